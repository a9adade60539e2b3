"""Per-video YouTube numbers for the post page (docs/metrics.md, "Per-video analytics").

Read from ``video_analytics`` (the weekly read of the channel's top videos over 28 days ending 3 days
back): watch time, average view duration and percentage as YouTube reported them, and the retention
curve summarised at a quarter, half and three quarters of the video and at its end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import ContentItem, VideoAnalytics

#: YouTube's standard video categories (``videoCategories``; stable ids, so no call is spent on them)
CATEGORIES = {
    "1": "Film & Animation",
    "2": "Autos & Vehicles",
    "10": "Music",
    "15": "Pets & Animals",
    "17": "Sports",
    "19": "Travel & Events",
    "20": "Gaming",
    "22": "People & Blogs",
    "23": "Comedy",
    "24": "Entertainment",
    "25": "News & Politics",
    "26": "Howto & Style",
    "27": "Education",
    "28": "Science & Technology",
    "29": "Nonprofits & Activism",
}


def category_name(category_id: str | None) -> str | None:
    """The category's name (``None`` without one; an id we do not know is shown as "category <id>")."""
    if not category_id:
        return None
    return CATEGORIES.get(category_id, f"category {category_id}")


#: where on the video the retention curve is read (elapsed share of its length)
RETENTION_MARKS = (0.25, 0.5, 0.75, 1.0)
#: the drawn curve's box (SVG user units)
CURVE_W, CURVE_H = 300, 100


def retention_at(points: Sequence[Sequence[float]], elapsed: float) -> float | None:
    """``audienceWatchRatio`` at the point nearest ``elapsed`` (earlier one on a tie), as percent of the
    video's views still watching, one decimal (``None`` with no curve)."""
    if not points:
        return None
    best = min(points, key=lambda p: (abs(float(p[0]) - elapsed), float(p[0])))
    return round(100 * float(best[1]), 1)


def curve_points(points: Sequence[Sequence[float]]) -> str:
    """The curve as an SVG ``points`` string: x = elapsed share over ``CURVE_W``, y from the top, with
    ``CURVE_H`` = 0 % and 0 = the curve's highest value or 100 %, whichever is more."""
    if not points:
        return ""
    top = max(1.0, max(float(p[1]) for p in points))
    return " ".join(f"{float(x) * CURVE_W:.1f},{CURVE_H - float(y) / top * CURVE_H:.1f}" for x, y in points)


def video_panel(content_item_id: int) -> dict[str, Any] | None:
    """What the post page shows of a video's Analytics (``None`` when the video was not among the read)."""
    row = db.session.execute(
        select(VideoAnalytics).where(VideoAnalytics.content_item_id == content_item_id)
    ).scalar_one_or_none()
    if row is None:
        return None
    return {
        "window_start": row.window_start.isoformat(),
        "window_end": row.window_end.isoformat(),
        "views": row.views,
        "watch_time_minutes": round(row.watch_time_seconds / 60, 1) if row.watch_time_seconds is not None else None,
        "average_view_duration_s": row.avg_view_duration_s,
        "average_view_percentage": row.avg_view_pct,
        "retention": {f"{int(m * 100)}": retention_at(row.retention, m) for m in RETENTION_MARKS}
        if row.retention
        else {},
        "curve": curve_points(row.retention),
    }


def video_tags(content_item_id: int) -> dict[str, Any] | None:
    """The video's own tags and category name as stored (``None`` when YouTube gave neither)."""
    row = db.session.execute(
        select(ContentItem.tags, ContentItem.category_id).where(ContentItem.id == content_item_id)
    ).one_or_none()
    if row is None or (not row.tags and not row.category_id):
        return None
    return {"tags": list(row.tags or []), "category": category_name(row.category_id)}
