"""Interactions and engagement rates (docs/metrics.md, "Engagement").

The per-platform interaction fields are defined once in ``INTERACTION_FIELDS``; the Python sum (for
pages) and the SQL expression (for the portfolio's per-client averages) are both built from it.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal

from app.models import Connection, ContentItem

# ContentItem columns summed per platform. X replies, LinkedIn reactions and Facebook reactions are
# stored by the sync as comments / likes; X reposts + quotes and LinkedIn reposts as shares.
INTERACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "instagram": ("likes", "comments", "saves", "shares"),
    "tiktok": ("likes", "comments", "shares"),
    "youtube": ("likes", "comments"),
    "x": ("likes", "comments", "shares"),
    "linkedin": ("likes", "comments", "shares"),
    "facebook": ("likes", "comments", "shares"),
}
LOW_ENGAGEMENT_PCT = 1.5


def interactions(item: Any, platform: str) -> int:
    """Interactions of a post; a count the platform does not give counts as 0."""
    return sum(int(getattr(item, f) or 0) for f in INTERACTION_FIELDS.get(platform, ("likes", "comments")))


def post_rate(item: Any, platform: str) -> float | None:
    """interactions / followers at the sync that measured the post x 100; None when that is 0 or unknown."""
    followers = int(item.followers_at_measure or 0)
    if not followers:
        return None
    return interactions(item, platform) / followers * 100.0


def mean_rate(rates: Iterable[float | None]) -> float | None:
    """Mean post engagement rate; None when no post has a rate."""
    known = [r for r in rates if r is not None]
    return statistics.fmean(known) if known else None


def points_change(now: float | None, before: float | None) -> float | None:
    """Engagement change in percentage points (this period - the previous one)."""
    if now is None or before is None:
        return None
    return now - before


def interactions_sql() -> ColumnElement[Any]:
    """The same interactions as ``interactions()``, as SQL over ContentItem joined to Connection."""

    def total(fields: tuple[str, ...]) -> ColumnElement[Any]:
        expr: ColumnElement[Any] = literal(0)
        for f in fields:
            expr = expr + func.coalesce(getattr(ContentItem, f), 0)
        return expr

    return case(
        *[(Connection.platform == p, total(fs)) for p, fs in INTERACTION_FIELDS.items()],
        else_=total(("likes", "comments")),
    )


def post_rate_sql() -> ColumnElement[Any]:
    """Post engagement rate in SQL (NULL when followers at measure is 0 or unknown)."""
    return interactions_sql() * 100.0 / func.nullif(ContentItem.followers_at_measure, 0)


@dataclass(frozen=True)
class EngagementSummary:
    rate: float | None  # mean post ER of the period
    previous: float | None  # the previous period of equal length
    posts: int

    @property
    def change_points(self) -> float | None:
        return points_change(self.rate, self.previous)
