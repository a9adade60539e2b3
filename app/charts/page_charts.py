"""The charts of each page, built from its stats results and cached per (tenant, query, data version)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from app.charts.builders import PLATFORM_COLOURS, Chart, growth_chart, insights_chart, weekly_chart
from app.charts.cache import cache_key, cached, cached_many
from app.models.platforms import PLATFORM_NAMES
from app.stats import methodology
from app.stats.content import Post
from app.stats.insight_series import ALL_INSIGHTS, INSIGHT_METRICS, insight_label, weekly_insight_metric
from app.stats.overview import ClientOverview, weekly_post_metric
from app.stats.portfolio import Portfolio
from app.stats.query import METRICS, Period

METRIC_UNITS = {
    "engagement": "Mean post engagement rate (%)",
    "reach": "Views (reach where no views)",
    "posts": "Posts published",
    "views": "Views by the day they happened (Instagram and YouTube insights)",
    "watch_time": "Hours watched (YouTube Analytics)",
}


#: a chart as the cache sees it: its key and how to build it
Spec = tuple[str, Callable[[], Chart]]


def _growth_spec(ov: ClientOverview, title: str) -> Spec:
    # the title is part of the key: the coach's "Growth timeline" and the client's chart of one range differ
    key = cache_key(f"growth:{title}", f"client:{ov.client_id}", ov.query.cache_key(), ov.data_version)
    return key, lambda: growth_chart("growth-svg", title, ov.series, ov.milestones, ov.program.start)


def client_growth(ov: ClientOverview, title: str = "Followers over time") -> Chart:
    return cached(*_growth_spec(ov, title), store=ov.query.cacheable)


def client_growth_print(ov: ClientOverview, title: str) -> Chart:
    """The growth chart drawn for print (reports): a smaller canvas, larger labels, milestones labelled."""
    key = cache_key("growth-print", f"client:{ov.client_id}", ov.query.cache_key(), ov.data_version)
    return cached(
        key,
        lambda: growth_chart("growth-svg", title, ov.series, ov.milestones, ov.program.start, print_size=True),
        store=ov.query.cacheable,
    )


def client_metric(ov: ClientOverview, posts: list[Post], period: Period, metric: str) -> Chart:
    """The metric selector's chart: followers, or a weekly post metric per platform."""
    if metric == "followers":
        return client_growth(ov)
    return cached(*_metric_spec(ov, posts, period, metric), store=ov.query.cacheable)


def _metric_spec(ov: ClientOverview, posts: list[Post], period: Period, metric: str) -> Spec:
    key = cache_key(
        f"metric:{metric}", f"client:{ov.client_id}", ov.query.cache_key(), f"{ov.data_version}|{len(posts)}"
    )
    if metric in INSIGHT_METRICS:
        return (
            key,
            lambda: weekly_chart(
                "metric-svg",
                f"{METRICS[metric]} by week",
                METRIC_UNITS[metric],
                weekly_insight_metric(ov.connections, period, metric),
                PLATFORM_NAMES,
                methodology.crossed(ov.history.platforms, "views", period.start, period.end)
                if metric == "views" and period.start is not None
                else (),
                by_publication=False,
            ),
        )
    return (
        key,
        lambda: weekly_chart(
            "metric-svg",
            f"{METRICS[metric]} by week",
            METRIC_UNITS[metric],
            weekly_post_metric(posts, period, metric),
            PLATFORM_NAMES,
            methodology.crossed(ov.history.platforms, "views", period.start, period.end)
            if metric == "reach" and period.start is not None
            else (),
        ),
    )


def portfolio_growth(pf: Portfolio, tenant: str, *, print_size: bool = False) -> Chart:
    last = pf.series.points[-1] if pf.series.points else None
    version = f"{pf.total_followers}|{last}|{pf.client_count}"
    key = cache_key("portfolio-print" if print_size else "portfolio", tenant, pf.query.cache_key(), version)
    return cached(
        key,
        lambda: growth_chart(
            "portfolio-svg", "Portfolio followers over time", [pf.series], [], None, print_size=print_size
        ),
        store=pf.query.cacheable,
    )


def client_insights(
    ov: ClientOverview, days: Sequence[Mapping[str, Any]], platform: str, chart_id: str = "insights-svg"
) -> Chart:
    """The platform page's daily insights chart (views, reach, watch time), YouTube's 2026-08-27 change
    in how views are counted marked when the period crosses it; cached like the page's other charts.
    The coach's client page shows one per platform, each with its own ``chart_id`` (ids are unique)."""
    return cached(*_insights_spec(ov, days, platform, chart_id=chart_id), store=ov.query.cacheable)


def _insights_spec(
    ov: ClientOverview,
    days: Sequence[Mapping[str, Any]],
    platform: str,
    metric: str = ALL_INSIGHTS,
    chart_id: str = "insights-svg",
) -> Spec:
    """The daily insights chart: every default series (``all``, the key the worker prepares) or the one
    insight the page's metric selector picked (its own key); another ``chart_id`` is another key (the
    id is in the rendered markup)."""
    name = PLATFORM_NAMES.get(platform, platform)
    changes = []
    if days and metric in (ALL_INSIGHTS, "views"):
        first, last = date.fromisoformat(str(days[0]["day"])), date.fromisoformat(str(days[-1]["day"]))
        changes = methodology.crossed([platform], "views", first - timedelta(days=1), last)
    last_day = str(days[-1]["day"]) if days else ""
    version = f"{ov.data_version}|{len(days)}|{last_day}"
    if metric == ALL_INSIGHTS:
        prefix = f"insights:{platform}" + ("" if chart_id == "insights-svg" else f":{chart_id}")
        key = cache_key(prefix, f"client:{ov.client_id}", ov.query.cache_key(), version)
        return key, lambda: insights_chart(chart_id, f"{name} insights by day", days, changes)
    label = insight_label(metric, platform)
    series = ((metric, label, PLATFORM_COLOURS.get(platform, "#2563eb")),)
    key = cache_key(f"insights:{platform}:{metric}", f"client:{ov.client_id}", ov.query.cache_key(), version)
    return key, lambda: insights_chart("insights-svg", f"{name}: {label} by day", days, changes, series)


def platform_page(
    ov: ClientOverview, insight_days: Sequence[Mapping[str, Any]], platform: str, metric: str = ALL_INSIGHTS
) -> dict[str, Chart]:
    """The charts of a platform page (``ov`` of its query, ``insight_days`` of its audience panel,
    ``metric`` its selector's insight): what the page shows and what the worker prepares after a sync
    (``app.services.page_prep``, the default metric), by one code."""
    specs = {
        "growth": _growth_spec(ov, f"{PLATFORM_NAMES.get(platform, platform)} followers"),
        "engagement": _metric_spec(ov, ov.posts, ov.period, "engagement"),
        "reach": _metric_spec(ov, ov.posts, ov.period, "reach"),
        "insights_chart": _insights_spec(ov, insight_days, platform, metric),
    }
    # the four in one Redis read when cached (each missing one is built and stored)
    return dict(zip(specs, cached_many(list(specs.values()), store=ov.query.cacheable), strict=True))
