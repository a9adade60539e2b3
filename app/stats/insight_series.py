"""Platform insights by week for the metric selector (docs/metrics.md, "Insight metrics by week").

Views and watch time come from the platforms' own daily analytics (``account_insights``), not from
posts: an Instagram or YouTube view is counted on the day it happens, whatever day the post went out.
Each platform is its own line; the weeks are the selector's (7-day blocks from the period's start).
TikTok's Display API gives no daily insights, so it has no line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import AccountInsight, Connection
from app.stats.audience import INSIGHT_NAMES
from app.stats.overview import MetricPoint
from app.stats.query import BadQuery, Period

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


#: the platform page's metric selector: its default (every series of the daily insights chart at once)
ALL_INSIGHTS = "all"
#: contract insight name -> how the selector and the chart name it (order = the selector's order); a
#: name not listed here (a new insight) is still offered, named from its contract name
DAILY_INSIGHT_LABELS: dict[str, str] = {
    "views": "Views",
    "engaged_views": "Engaged views",
    "reach": "Reach (accounts reached, summed by day)",
    "accounts_engaged": "Accounts engaged",
    "interactions": "Interactions",
    "profile_views": "Profile views",
    "link_taps": "Link taps",
    "page_views": "Page views",
    "watch_time_minutes": "Watch time (minutes)",
    "average_view_duration_s": "Average view duration (seconds)",
    "average_view_percentage": "Average view percentage (%)",
    "subscribers_gained": "Subscribers gained",
    "subscribers_lost": "Subscribers lost",
    "follows": "Follows",
    "unfollows": "Unfollows",
    "likes": "Likes",
    "comments": "Comments",
    "shares": "Shares",
    "estimated_revenue": "Estimated revenue (US$)",
}
#: YouTube's words on the other platforms (a Facebook Page has followers, not subscribers)
_FOLLOWER_WORDS = {"subscribers_gained": "Followers gained", "subscribers_lost": "Followers lost"}
#: the overview's selector keys a platform page link may still carry: read as the page's own metric
_OVERVIEW_KEYS = {
    "watch_time": "watch_time_minutes",
    "followers": ALL_INSIGHTS,
    "engagement": ALL_INSIGHTS,
    "posts": ALL_INSIGHTS,
}


def insight_label(name: str, platform: str) -> str:
    """The selector's and the chart's name of a daily insight in contract names."""
    if platform != "youtube" and name in _FOLLOWER_WORDS:
        return _FOLLOWER_WORDS[name]
    return DAILY_INSIGHT_LABELS.get(name) or name.replace("_", " ").capitalize()


def parse_insight_metric(raw: str | None) -> str:
    """The platform page's ``metric`` argument: ``all`` (the default), or a daily insight in contract names
    (``app.stats.audience.INSIGHT_NAMES``); the overview's keys read as the nearest page metric.

    :raises BadQuery: for anything else, naming what is accepted.
    """
    value = (raw or "").strip() or ALL_INSIGHTS
    value = _OVERVIEW_KEYS.get(value, value)
    known = {name for name, _ in INSIGHT_NAMES.values()}
    if value != ALL_INSIGHTS and value not in known:
        raise BadQuery(f"Unknown metric: use {ALL_INSIGHTS} or one of {', '.join(sorted(known))}.")
    return value


def insight_choices(days: Sequence[Mapping[str, Any]], platform: str, chosen: str) -> dict[str, str]:
    """The platform page's selector: ``all`` first, then each daily insight the period has a value of
    (in ``DAILY_INSIGHT_LABELS`` order, new names after), and the chosen one even when the period has none."""
    present = {k for d in days for k in d if k != "day"}
    if chosen != ALL_INSIGHTS:
        present.add(chosen)
    order = list(DAILY_INSIGHT_LABELS)
    names = sorted(present, key=lambda n: (order.index(n) if n in order else len(order), n))
    return {ALL_INSIGHTS: "All insights", **{n: insight_label(n, platform) for n in names}}
