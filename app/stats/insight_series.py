"""Platform insights by week for the metric selector (docs/metrics.md, "Insight metrics by week").

Views and watch time come from the platforms' own daily analytics (``account_insights``), not from
posts: an Instagram or YouTube view is counted on the day it happens, whatever day the post went out.
Each platform is its own line; the weeks are the selector's (7-day blocks from the period's start).
TikTok's Display API gives no daily insights, so it has no line.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import AccountInsight, Connection
from app.stats.overview import MetricPoint
from app.stats.query import Period

#: selector metric -> (stored insight name, factor from the stored unit)
INSIGHT_METRICS: dict[str, tuple[str, float]] = {
    "views": ("views", 1.0),
    "watch_time": ("watch_time", 1 / 3600),  # stored in seconds, shown in hours
}


def weekly_insight_metric(
    connections: Sequence[Connection], period: Period, metric: str
) -> dict[str, list[MetricPoint]]:
    """Per platform with any stored value in the period: the sum of ``metric`` per week (``None`` for a
    week without a stored day, so a gap is not drawn as a zero)."""
    assert period.start is not None
    name, factor = INSIGHT_METRICS[metric]
    weeks = max(1, -(-(period.end - period.start).days // 7))
    platform_of = {c.id: c.platform for c in connections}
    if not platform_of:
        return {}
    rows = db.session.execute(
        select(AccountInsight.connection_id, AccountInsight.day, AccountInsight.value).where(
            AccountInsight.connection_id.in_(list(platform_of)),
            AccountInsight.metric == name,
            AccountInsight.day > period.start,
            AccountInsight.day <= period.end,
        )
    ).tuples()
    sums: dict[str, dict[int, float]] = {}
    for conn_id, day, value in rows:
        idx = min((day - period.start - timedelta(days=1)).days // 7, weeks - 1)
        by_week = sums.setdefault(platform_of[conn_id], {})
        by_week[idx] = by_week.get(idx, 0.0) + value * factor
    return {
        platform: [
            MetricPoint(
                (period.start + timedelta(days=1 + 7 * w)).isoformat(),
                round(by_week[w], 1) if w in by_week else None,
            )
            for w in range(weeks)
        ]
        for platform, by_week in sums.items()
    }
