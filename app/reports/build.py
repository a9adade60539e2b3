"""The numbers of each report as a JSON-ready payload, computed with ``app/stats/`` only.

The payload is stored on the ``Report`` row, so the page, the PDF and a link opened days later all
show exactly the numbers that were generated, and the JSON API returns the same dict.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select

from app.charts import page_charts
from app.errors import ValidationFailed
from app.extensions import db
from app.models import Client, Connection
from app.models.base import utcnow
from app.models.platforms import PLATFORM_NAMES
from app.reports import formatting, summary
from app.services import brand
from app.services import tactics as tactics_service
from app.stats import audience_reads, content
from app.stats import portfolio as pf_stats
from app.stats import tactics as tactic_stats
from app.stats.achievements import Achievements, achievements, threshold_label
from app.stats.content import Post, load_posts
from app.stats.engagement import points_change
from app.stats.growth import Change
from app.stats.overview import PlatformRow, client_overview
from app.stats.query import BadQuery, Period, StatsQuery

VERSION = 3  # bump when the payload or templates change (part of the cache fingerprint)
RATINGS = summary.RATINGS
rating = summary.rating  # the weekly rating and advice rules live in app/reports/summary.py
advice = summary.advice


def _iso(v: date | datetime | None) -> str | None:
    return v.isoformat() if v else None


def _change(c: Change) -> dict[str, Any]:
    return {"start": c.start, "end": c.end, "net": c.net, "growth_rate": c.rate}


def _rounding(r: PlatformRow) -> dict[str, Any]:
    """A platform's rounded count (YouTube): the true range of the start and end values, and whether the
    change is exactly known (docs/metrics.md "Rounded counts")."""
    return {
        "followers_range": list(r.bounds) if r.bounds else None,
        "start_range": list(r.start_bounds) if r.start_bounds else None,
        "change_exact": r.change_exact,
    }


def _post(p: Post) -> dict[str, Any]:
    return {
        "id": p.id,
        "platform": p.platform,
        "platform_name": p.platform_name,
        "kind": p.kind,
        "caption": p.caption[:280],
        "permalink": p.permalink,
        "published_at": p.published_at.isoformat(),
        "headline_label": p.headline_label,
        "headline": p.headline,
        "interactions": p.interactions,
        "engagement_rate": p.rate,
    }


def _query(client: Client, start_exclusive: date, end: date) -> StatsQuery:
    return StatsQuery(
        scope="client", period=Period("custom", end=end, start=start_exclusive), tz=client.time_zone or "UTC", today=end
    )


def _slot(best: content.BestTimes) -> dict[str, Any] | None:
    if best.best is None:
        return None
    b = best.best
    return {
        "weekday": content.WEEKDAYS[b.weekday],
        "from": f"{2 * b.block:02d}:00",
        "to": f"{(2 * b.block + 2) % 24:02d}:00",
        "tz": best.tz,
        "posts": b.posts,
        "median_rate": b.median_rate,
    }


def _audience(client: Client, ov: Any, period: Period) -> list[dict[str, Any]]:
    """Per connected platform with something to say: its insight totals over the period (views, watch
    time...) and the newest audience read in short (largest age group and gender, top 3 countries), or
    why there is none. A platform with neither is left out (a report does not print empty rows)."""
    out = []
    for platform in dict.fromkeys(c.platform for c in ov.connections):
        aud = audience_reads.audience(client.id, platform)
        totals = audience_reads.insights(client.id, platform, period)["totals"]
        if not aud["available"] and not totals:
            continue
        top = {}
        for key in ("age", "gender", "traffic_sources", "devices", "content_types", "seniority", "industries"):
            if aud.get(key):
                name, share = max(aud[key].items(), key=lambda kv: kv[1])
                top[key] = {"name": name, "share": share}
        out.append(
            {
                "platform": platform,
                "name": PLATFORM_NAMES.get(platform, platform),
                "insights": totals,
                "available": aud["available"],
                "reason": aud["reason"],
                "as_of": aud["as_of"],
                "top": top,
                "countries": aud.get("countries", [])[:3],
                "shorts_share": (aud.get("content_types") or {}).get("shorts"),
            }
        )
    return out


def report_locale(client: Client | None = None) -> str:
    """The locale a report is formatted in: the client's own choice, else the business's (brand
    settings), else English (US). The emails that carry a report read it from the payload."""
    chosen = client.locale if client is not None and client.locale else brand.current().locale
    return formatting.locale_or_default(chosen)


def with_summary(out: dict[str, Any]) -> dict[str, Any]:
    """The payload with its cover numbers and sentences (``summary.py``), in the payload's locale."""
    locale = out.get("locale") or formatting.DEFAULT_LOCALE
    out["summary"] = summary.summarise(out, locale).as_dict(locale)
    return out


def best_tactic(client: Client, q: StatsQuery) -> dict[str, Any] | None:
    """The best performing content theme of the programme: the tagged tactic with the largest positive
    lift over the account's own baseline (``stats.tactics.best_theme``, docs/metrics.md "Tactics");
    None when no tactic has enough posts to compare or none beats the baseline."""
    row = tactic_stats.best_theme(tactics_service.report(client, q))
    if row is None:
        return None
    c = row.overall
    return {
        "slug": row.slug,
        "name": row.name,
        "posts": c.posts,
        "median_engagement": c.median_engagement,
        "baseline_posts": c.baseline_posts,
        "baseline_engagement": c.baseline_engagement,
        "lift_pct": c.lift_pct,
    }


def _header(client: Client, kind: str, first: date, end: date, as_of: datetime | None) -> dict[str, Any]:
    return {
        "kind": kind,
        "version": VERSION,
        "locale": report_locale(client),
        "client": {"id": client.id, "name": client.display_name, "time_zone": client.time_zone},
        "period": {"start": first.isoformat(), "end": end.isoformat(), "days": (end - first).days + 1},
        "data_as_of": _iso(as_of),
        "generated_at": utcnow().isoformat(),
    }


def weekly(client: Client, end: date) -> dict[str, Any]:
    """The week of 7 days ending on ``end`` compared with the day before it started."""
    return _period_report(client, "weekly", end - timedelta(days=6), end, end - timedelta(days=14))


def last_complete_month(today: date) -> tuple[date, date]:
    """(first day, last day) of the calendar month before the one ``today`` is in."""
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def parse_month(raw: str, today: date) -> tuple[date, date]:
    """``YYYY-MM`` of a month that has ended -> (first day, last day).

    :raises ValidationFailed: not a month, or the current or a future month (not complete yet).
    """
    try:
        first = datetime.strptime(raw, "%Y-%m").date()  # noqa: DTZ007 - a calendar month, no time of day
    except ValueError:
        raise ValidationFailed("month must be YYYY-MM.", field="month") from None
    if first >= today.replace(day=1):
        raise ValidationFailed("That month has not ended yet.", field="month")
    if first.year < 2000:
        raise ValidationFailed("month must be 2000-01 or later.", field="month")
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, last


def monthly(client: Client, first: date, end: date) -> dict[str, Any]:
    """A calendar month (``first`` .. ``end``) in the weekly report's shape; engagement against the same
    number of days before it (as the overview's "previous" engagement)."""
    days = (end - first).days + 1
    return _period_report(client, "monthly", first, end, first - timedelta(days=1 + days))


def _period_report(client: Client, kind: str, first: date, end: date, prev_start: date) -> dict[str, Any]:
    """Days ``first`` .. ``end`` compared with the day before ``first``; engagement of the posts in the
    period against those of (``prev_start``, ``first`` - 1]."""
    start = first - timedelta(days=1)
    ov = client_overview(client, _query(client, start, end), top_n=1)
    prev_posts = load_posts(ov.connections, Period("previous", end=start, start=prev_start))
    now_by = content.engagement_by_platform(ov.posts)
    prev_by = content.engagement_by_platform(prev_posts)
    rows = []
    for r in ov.platforms:
        e_now, e_prev = now_by.get(r.platform), prev_by.get(r.platform)
        rows.append(
            {
                "platform": r.platform,
                "name": r.name,
                "username": r.username,
                "status": r.status,
                "followers": _change(r.change),
                **_rounding(r),
                "engagement_start": e_prev,
                "engagement_end": e_now,
                "engagement_change": points_change(e_now, e_prev),
            }
        )
    slot = _slot(content.best_posting_time(ov.posts + prev_posts, client.time_zone))
    out = _header(client, kind, first, end, ov.last_synced)
    out.update(
        {
            "has_connections": ov.has_connections,
            "has_data": ov.history.total_at(end) is not None,
            "total": _change(ov.total),
            "platforms": rows,
            "engagement": {
                "rate": ov.engagement.rate,
                "previous": ov.engagement.previous,
                "change_points": ov.engagement.change_points,
                "posts": ov.engagement.posts,
            },
            "top_post": _post(ov.top[0]) if ov.top else None,
            "best_slot": slot,
            "audience": _audience(client, ov, Period("week", end=end, start=start)),
        }
    )
    days = (end - first).days + 1
    out["rating"] = rating(ov.total.rate, ov.engagement.rate, out["has_data"], days)
    out["advice"] = advice(
        has_connections=ov.has_connections,
        has_data=out["has_data"],
        posts=ov.engagement.posts,
        net=ov.total.net,
        engagement_change=ov.engagement.change_points,
        slot=slot,
        locale=out["locale"],
        days=days,
    )
    return with_summary(out)


def _achievements(a: Achievements, first: date) -> dict[str, Any]:
    def month(n: int) -> str:
        return f"Month {n}"

    return {
        "crossed": [
            {
                "threshold": c.threshold,
                "label": threshold_label(c.threshold),
                "day": c.day.isoformat(),
                "month": c.month,
                "line": f"Hit {threshold_label(c.threshold)} followers - {month(c.month)} ({c.day.strftime('%B %Y')})",
            }
            for c in a.crossed
        ],
        "best_month": (
            {
                "month": a.best_month.month,
                "first": a.best_month.first.isoformat(),
                "last": a.best_month.last.isoformat(),
                "gain": a.best_month.gain,
            }
            if a.best_month
            else None
        ),
        "biggest_day": {"day": a.biggest_day.day.isoformat(), "gain": a.biggest_day.value} if a.biggest_day else None,
        "peak": {"day": a.peak.day.isoformat(), "followers": a.peak.value} if a.peak else None,
        "best_post": _post(a.best_post) if a.best_post else None,
        "program_start": first.isoformat(),
    }


def program_window(client: Client, today: date) -> tuple[date, date]:
    """(first day, last day) of the programme: its dates, clamped to today; 90 days without dates."""
    end = min(client.program_end or today, today)
    first = client.program_start or (end - timedelta(days=89))
    return (min(first, end), end)


def program(client: Client, today: date, comment: str | None = None, *, charts: bool = True) -> dict[str, Any]:
    """Programme completion: start vs final per platform and in total, growth, engagement change,
    milestones by month, deliverable gains, best theme and posting time, top posts, coach comment."""
    first, end = program_window(client, today)
    q = _query(client, first - timedelta(days=1), end)
    ov = client_overview(client, q, top_n=3)
    theme = content.best_theme(ov.posts)
    out = _header(client, "program", first, end, ov.last_synced)
    out.update(
        {
            "has_connections": ov.has_connections,
            "has_data": ov.has_data,
            "program": {"start": _iso(client.program_start), "end": _iso(client.program_end)},
            "total": _change(ov.total),
            "platforms": [
                {
                    "platform": r.platform,
                    "name": r.name,
                    "username": r.username,
                    "followers": _change(r.change),
                    **_rounding(r),
                }
                for r in ov.platforms
            ],
            "engagement": {
                "start": ov.engagement_start,
                "end": ov.engagement_now,
                "change_points": points_change(ov.engagement_now, ov.engagement_start),
                "posts": ov.engagement.posts,
                "rate": ov.engagement.rate,
            },
            "milestones": [
                {
                    "code": m.code,
                    "title": m.title,
                    "completed_on": _iso(m.completed_on),
                    "month": formatting.month(m.completed_on, out["locale"]) if m.completed_on else None,
                    "gain": m.gain,
                    "so_far": m.so_far,
                    "growth_rate_28d_before": m.before_rate,
                    "growth_rate_28d_after": m.after_rate,
                }
                for m in ov.milestones
            ],
            "best_theme": (
                {"label": theme.label, "source": theme.source, "posts": theme.posts, "median_rate": theme.median_rate}
                if theme
                else None
            ),
            "best_tactic": best_tactic(client, q),
            "best_slot": _slot(content.best_posting_time(ov.posts, client.time_zone)),
            "top_posts": [_post(p) for p in ov.top],
            "audience": _audience(client, ov, Period("program", end=end, start=first - timedelta(days=1))),
            "coach_comment": comment or None,
            "achievements": _achievements(achievements(ov.history, first, end, ov.posts), first),
            "charts": [],
        }
    )
    if charts and ov.has_data:
        chart = page_charts.client_growth_print(ov, "Followers over the programme")
        out["charts"].append({"title": chart.title, "svg": chart.svg, "notes": list(chart.notes)})
    return with_summary(out)


def portfolio(
    visible: Select[tuple[Client]], today: date, cohort: str | None = None, *, charts: bool = True
) -> dict[str, Any]:
    """All visible clients, or one cohort (programme start month ``YYYY-MM``), over the last 90 days."""
    if cohort:
        lo, hi = cohort_bounds(cohort)
        visible = visible.where(Client.program_start >= lo, Client.program_start < hi)
    q = StatsQuery(scope="portfolio", period=Period("90d", end=today, start=today - timedelta(days=90)), today=today)
    pf = pf_stats.portfolio(visible, q)
    as_of = db.session.execute(
        select(func.max(Connection.last_sync_at)).where(Connection.client_id.in_(visible.with_only_columns(Client.id)))
    ).scalar()
    out: dict[str, Any] = {
        "kind": "portfolio",
        "version": VERSION,
        "locale": report_locale(),
        "cohort": cohort,
        "period": {"start": (today - timedelta(days=89)).isoformat(), "end": today.isoformat(), "days": 90},
        "data_as_of": _iso(as_of),
        "generated_at": utcnow().isoformat(),
        "clients": pf.client_count,
        "total_followers": pf.total_followers,
        "period_change": _change(pf.period_change),
        "average_growth_rate_90d": pf.avg_growth_90d,
        "top_platform": {
            "platform": pf.top_platform,
            "name": PLATFORM_NAMES.get(pf.top_platform or "", pf.top_platform),
            "share": pf.top_platform_share,
        },
        "leaderboard": [
            {
                "rank": r.rank,
                "client_id": r.client_id,
                "name": r.name,
                "followers": r.followers,
                "change": _change(r.change),
                "top_platform": PLATFORM_NAMES.get(r.top_platform or "", r.top_platform),
            }
            for r in pf.leaderboard
        ],
        "needs_attention": [
            {"client_id": a.client_id, "name": a.name, "reasons": list(a.reasons)} for a in pf.attention
        ],
        "charts": [],
    }
    if charts and pf.client_count:
        chart = page_charts.portfolio_growth(pf, f"report:{cohort or 'all'}", print_size=True)
        out["charts"].append({"title": chart.title, "svg": chart.svg, "notes": list(chart.notes)})
    return with_summary(out)


def cohort_bounds(cohort: str) -> tuple[date, date]:
    """``YYYY-MM`` -> [first day of the month, first day of the next); :raises BadQuery: otherwise."""
    try:
        lo = date.fromisoformat(f"{cohort}-01")
    except ValueError:
        raise BadQuery("A cohort is a programme start month, YYYY-MM.") from None
    hi = date(lo.year + (lo.month == 12), lo.month % 12 + 1, 1)
    return lo, hi


def cohorts(visible: Select[tuple[Client]]) -> list[str]:
    """The programme-start months of the visible clients (the cohort choices)."""
    rows: Sequence[date | None] = (
        db.session.execute(
            select(Client.program_start).where(
                Client.id.in_(visible.with_only_columns(Client.id)), Client.program_start.is_not(None)
            )
        )
        .scalars()
        .all()
    )
    return sorted({d.strftime("%Y-%m") for d in rows if d})
