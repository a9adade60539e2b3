"""One post's numbers for the JSON API (contract 6.4, docs/api.md "GET /api/portal/social/content/<id>").

What the post page shows, in contract names: the post's own metrics as the platform gives them (views,
reach, saves, shares; an Instagram reel's watch time and average view), its daily curve, and for a
YouTube video the weekly Analytics read (watch time, average view duration and percentage, the
retention curve and its marks). Numbers the platform does not give are ``null``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Connection, ContentItem, VideoAnalytics
from app.stats import content, video_insights

MARKS = video_insights.RETENTION_MARKS


def _watch_minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _youtube_analytics(content_item_id: int) -> dict[str, Any] | None:
    row = db.session.execute(
        select(VideoAnalytics).where(VideoAnalytics.content_item_id == content_item_id)
    ).scalar_one_or_none()
    if row is None:
        return None
    curve = [{"elapsed": round(float(x), 4), "ratio": round(float(y), 4)} for x, y in row.retention or []]
    return {
        "source": "youtube_analytics",
        "window_start": row.window_start.isoformat(),
        "window_end": row.window_end.isoformat(),
        "views": row.views,
        "watch_time_minutes": _watch_minutes(row.watch_time_seconds),
        "average_view_duration_s": row.avg_view_duration_s,
        "average_view_percentage": row.avg_view_pct,
        "retention": {f"{int(m * 100)}": video_insights.retention_at(row.retention, m) for m in MARKS}
        if row.retention
        else {},
        "retention_curve": curve,
    }


#: the numbers a platform gives only to the account owner, as stored in ``extra_metrics`` (label, key):
#: X's ``organic_metrics`` / ``non_public_metrics``, read for the owner's posts under 30 days old
#: (``app/platforms/x.py``; docs/platforms.md)
OWNER_METRICS: dict[str, tuple[tuple[str, str], ...]] = {
    "x": (
        ("organic_impressions", "Impressions (organic)"),
        ("engagements", "Engagements"),
        ("link_clicks", "Link clicks"),
        ("profile_visits", "Profile visits"),
    ),
}


def owner_metrics(item: ContentItem | None, platform: str) -> dict[str, int] | None:
    """The owner-only numbers stored for the post (``OWNER_METRICS``), or None when the platform has
    none or none was read (an X post already over 30 days old when first synced)."""
    wanted = OWNER_METRICS.get(platform)
    if item is None or not wanted:
        return None
    extras = item.extra_metrics or {}
    found = {key: int(extras[key]) for key, _ in wanted if isinstance(extras.get(key), int | float)}
    return found or None


def owner_panel(content_item_id: int, platform: str) -> list[tuple[str, int]] | None:
    """``owner_metrics`` as (label, value) rows for the post page, in ``OWNER_METRICS`` order."""
    found = owner_metrics(db.session.get(ContentItem, content_item_id), platform)
    if found is None:
        return None
    return [(label, found[key]) for key, label in OWNER_METRICS[platform] if key in found]


def post_json(connections: Sequence[Connection], content_id: int) -> dict[str, Any]:
    """The post's answer (see the module docstring).

    :raises NotFound: for a post not on these connections (another client's post is a 404).
    """
    detail = content.content_detail(connections, content_id)
    post = detail.post
    item = db.session.get(ContentItem, post.id)
    assert item is not None  # content_detail found it
    extras = item.extra_metrics or {}
    avg = extras.get("avg_view_duration")
    tags = video_insights.video_tags(post.id) if post.platform == "youtube" else None
    return {
        "id": post.id,
        "platform": post.platform,
        "kind": post.kind,
        "caption": post.caption,
        "permalink": post.permalink,
        "published_at": post.published_at.isoformat(),
        "metrics": {
            "views": post.views,
            "reach": post.reach,
            "likes": post.likes,
            "comments": post.comments,
            "shares": post.shares,
            "saves": post.saves,
            "interactions": post.interactions,
            "watch_time_minutes": _watch_minutes(item.watch_time_seconds),
            "average_view_duration_s": round(float(avg), 1) if isinstance(avg, int | float) else None,
        },
        "owner_metrics": owner_metrics(item, post.platform),
        "followers_at_measure": post.followers_at_measure,
        "engagement_rate": round(post.rate, 2) if post.rate is not None else None,
        "metrics_updated_at": item.metrics_updated_at.isoformat() if item.metrics_updated_at else None,
        "days": [
            {"day": day.isoformat(), "views": views, "likes": likes, "interactions": inter}
            for day, views, likes, inter in detail.curve
        ],
        "video_analytics": _youtube_analytics(post.id) if post.platform == "youtube" else None,
        "tags": tags["tags"] if tags else [],
        "category": tags["category"] if tags else None,
    }
