"""Stats results as JSON-ready dicts for the API: the same numbers the pages format (no rounding)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.stats.attention import ClientAttention, Reason
from app.stats.content import Post
from app.stats.growth import Change
from app.stats.overview import ClientOverview
from app.stats.portfolio import LeaderRow, Portfolio
from app.stats.query import StatsQuery
from app.stats.series import Point, Series


def period(q: StatsQuery, ov_period: Any) -> dict[str, Any]:
    return {
        "key": q.period.key,
        "start": ov_period.start.isoformat() if ov_period.start else None,
        "end": ov_period.end.isoformat(),
        "days": ov_period.days,
    }


def change(c: Change) -> dict[str, Any]:
    return {"start": c.start, "end": c.end, "net": c.net, "growth_rate": c.rate}


def post(p: Post) -> dict[str, Any]:
    return {
        "id": p.id,
        "platform": p.platform,
        "kind": p.kind,
        "caption": p.caption,
        "permalink": p.permalink,
        "published_at": p.published_at.isoformat(),
        "views": p.views,
        "likes": p.likes,
        "comments": p.comments,
        "shares": p.shares,
        "saves": p.saves,
        "interactions": p.interactions,
        "followers_at_measure": p.followers_at_measure,
        "engagement_rate": p.rate,
        "headline": {"metric": p.headline_label, "value": p.headline},
        "hashtags": list(p.hashtags),
    }


def series(s: Series) -> dict[str, Any]:
    return {
        "key": s.key,
        "label": s.label,
        "points": [_point(p) for p in s.points],
    }


def overview(ov: ClientOverview, *, with_series: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "client_id": ov.client_id,
        "period": period(ov.query, ov.period),
        "last_synced_at": ov.last_synced.isoformat() if ov.last_synced else None,
        "connections": [
            {
                "id": c.id,
                "platform": c.platform,
                "username": c.username,
                "status": c.status,
                "last_sync_at": c.last_sync_at.isoformat() if c.last_sync_at else None,
            }
            for c in ov.connections
        ],
        "total_followers": change(ov.total),
        "engagement": {
            "rate": ov.engagement.rate,
            "previous_rate": ov.engagement.previous,
            "change_points": ov.engagement.change_points,
            "posts": ov.engagement.posts,
        },
        "platforms": [
            {
                "platform": r.platform,
                "username": r.username,
                "status": r.status,
                "followers": r.followers,
                "share": r.share,
                "change": change(r.change),
                "monthly_gain": r.monthly_gain,
                "performance": r.label,
            }
            for r in ov.platforms
        ],
        "program": {
            "start_date": ov.program.start.isoformat() if ov.program.start else None,
            "followers_at_start": ov.program.start_total,
            "followers_now": ov.program.now_total,
            "net": ov.program.change.net,
            "growth_rate": ov.program.change.rate,
        },
        "engagement_program_start": ov.engagement_start,
        "engagement_last_30d": ov.engagement_now,
        "milestones": [
            {
                "code": m.code,
                "title": m.title,
                "completed_on": m.completed_on.isoformat() if m.completed_on else None,
                "gain": m.gain,
                "so_far": m.so_far,
                "growth_rate_28d_before": m.before_rate,
                "growth_rate_28d_after": m.after_rate,
            }
            for m in ov.milestones
        ],
        "goals": [
            {
                "id": g.id,
                "platform": g.platform,
                "target": g.target,
                "target_date": g.target_date.isoformat(),
                "current": g.current,
                "state": g.state,
                "forecast": g.forecast.isoformat() if g.forecast else None,
            }
            for g in ov.goals
        ],
        "top_content": [post(p) for p in ov.top],
    }
    if with_series:
        out["series"] = [series(s) for s in ov.series]
    return out


def leader(r: LeaderRow) -> dict[str, Any]:
    return {
        "rank": r.rank,
        "client_id": r.client_id,
        "name": r.name,
        "followers": r.followers,
        "followers_rounded": r.rounded,
        "change": change(r.change),
        "top_platform": r.top_platform,
    }


def _quiet(reasons: Sequence[Reason]) -> list[dict[str, Any]]:
    return [{"reason": r.text, "action": r.note.action, "until": r.note.until.isoformat()} for r in reasons if r.note]


def portfolio(pf: Portfolio, attention: Sequence[ClientAttention]) -> dict[str, Any]:
    """``attention`` is ``pf.attention`` with the coach's notes (``app.stats.attention.with_notes``): as on
    the page, a snoozed or resolved reason is not among ``reasons`` but in ``quiet_reasons``, and a client
    whose every reason is quiet is in ``attention_quiet`` instead of ``needs_attention``."""
    return {
        "total_followers": pf.total_followers,
        "period_change": change(pf.period_change),
        "average_growth_rate_90d": pf.avg_growth_90d,
        "average_growth_clients": pf.avg_growth_clients,
        "top_platform": {"platform": pf.top_platform, "share": pf.top_platform_share},
        "platform_totals": pf.platform_totals,
        "clients": pf.client_count,
        "needs_attention": [
            {
                "client_id": a.client_id,
                "name": a.name,
                "reasons": [r.text for r in a.open],
                "quiet_reasons": _quiet(a.quiet),
            }
            for a in attention
            if a.open
        ],
        "attention_quiet": [
            {"client_id": a.client_id, "name": a.name, "quiet_reasons": _quiet(a.quiet)}
            for a in attention
            if not a.open
        ],
        "series": series(pf.series),
    }


def _point(p: Point) -> dict[str, Any]:
    """A day of a follower series; ``followers_low``/``followers_high`` where a rounded count is in it."""
    out: dict[str, Any] = {"day": p.day.isoformat(), "followers": p.value, "provenance": p.provenance}
    if p.bounds is not None:
        out["followers_low"], out["followers_high"] = p.bounds
    return out
