"""A TikTok business account's per-video numbers for the post page (docs/metrics.md, "TikTok business
accounts"): how much of the video people watched and where they found it, as the API for Business gave
them at the last read (stored with the post's other extra numbers)."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.models import ContentItem

#: stored ``extra_metrics`` key prefixes: an impression source's share, a viewer country's share (percent)
SOURCE_PREFIX = "source_"
COUNTRY_PREFIX = "country_"


def video_panel(content_item_id: int) -> dict[str, Any] | None:
    """``{"full_watch_pct", "avg_watch_s", "sources"|"countries": [(name or code, percent), ...] largest
    first}``, or
    ``None`` when the post has none of them (a personal account's video: the Display API gives none)."""
    item = db.session.get(ContentItem, content_item_id)
    extras = (item.extra_metrics or {}) if item is not None else {}
    sources = sorted(
        (
            (key.removeprefix(SOURCE_PREFIX).replace("_", " ").strip().capitalize(), float(value))
            for key, value in extras.items()
            if key.startswith(SOURCE_PREFIX) and isinstance(value, int | float)
        ),
        key=lambda kv: (-kv[1], kv[0]),
    )
    countries = sorted(
        (
            (key.removeprefix(COUNTRY_PREFIX), float(value))
            for key, value in extras.items()
            if key.startswith(COUNTRY_PREFIX) and isinstance(value, int | float)
        ),
        key=lambda kv: (-kv[1], kv[0]),
    )
    full, avg = extras.get("full_watch_pct"), extras.get("avg_watch_s")
    if full is None and avg is None and not sources and not countries:
        return None
    return {
        "full_watch_pct": float(full) if isinstance(full, int | float) else None,
        "avg_watch_s": float(avg) if isinstance(avg, int | float) else None,
        "sources": sources,
        "countries": countries,
    }
