"""Platforms' changes in how a metric is counted: one row each, marked on the charts that cross them.

A number on either side of such a day is not comparable with the other side (a jump in YouTube views on
2026-08-27 is the new counting, not a viral week). The next change is one more row here, with its
source in ``../shared/reference/platforms.md``; docs/metrics.md lists them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class MethodologyChange:
    platform: str
    metric: str  # the app's metric name: views (reach where a post has no views) ...
    day: date  # the first day counted the new way
    title: str
    detail: str


CHANGES: tuple[MethodologyChange, ...] = (
    MethodologyChange(
        "youtube",
        "views",
        date(2025, 3, 31),
        "YouTube Shorts views counted at play start",
        "From 2025-03-31 a Shorts view counts when playback starts; the older count is `engagedViews`.",
    ),
    MethodologyChange(
        "instagram",
        "views",
        date(2025, 4, 21),
        "Instagram impressions and plays replaced by views",
        "From 2025-04-21 Instagram reports `views` instead of `impressions` and `plays` (all API versions).",
    ),
    MethodologyChange(
        "youtube",
        "views",
        date(2026, 8, 27),
        "YouTube views counted at play start for every format",
        "From 2026-08-27 long-form, live and Shorts views all count when playback starts.",
    ),
)


def crossed(platforms: Iterable[str], metric: str, first: date, last: date) -> list[MethodologyChange]:
    """The changes of ``metric`` on ``platforms`` that fall inside ``(first, last]`` (a chart crossing them)."""
    wanted = set(platforms)
    return [c for c in CHANGES if c.platform in wanted and c.metric == metric and first < c.day <= last]
