"""What a client's platform page shows, read once and in one order.

Two callers read a platform page: the page itself (``app.web.portal.analytics.platform_page``) and the
worker that prepares it after a sync (``app.services.page_prep.prepare_platform_page``). The worker only
helps if it reads the same rows and asks the chart cache for the same keys, so both go through
``read``: the overview first, then the audience panel on the connections the overview already read.
``context`` adds what only the page needs (the content table, best times, tactics, fans).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.charts import page_charts
from app.models import Client
from app.services import comments as inbox
from app.services import fan_links, fans, tactics
from app.stats import audience_reads, content, insight_series
from app.stats.insight_series import ALL_INSIGHTS
from app.stats.overview import ClientOverview, client_overview
from app.stats.query import BadQuery, StatsQuery


@dataclass(frozen=True)
class PlatformRead:
    """The overview of one platform's period and its Audience section (``panel`` is None when the
    overview has no data and the caller asked to stop there)."""

    ov: ClientOverview
    panel: dict[str, Any] | None


def read(client: Client, q: StatsQuery, platform: str, *, stop_without_data: bool = False) -> PlatformRead:
    """The overview, then the audience panel reusing the overview's live connections of ``platform``
    (so the panel reads none of them again)."""
    ov = client_overview(client, q)
    if stop_without_data and not ov.has_data:
        return PlatformRead(ov, None)
    known = audience_reads.known_connections(ov.connections, complete=[platform])
    return PlatformRead(ov, audience_reads.panel(client.id, platform, ov.period, client.time_zone, known))


def charts(got: PlatformRead, platform: str, metric: str = ALL_INSIGHTS) -> dict[str, Any]:
    """The page's charts (followers, engagement, reach, and the daily insights: all of them, or the one
    ``metric`` the selector picked), from the chart cache when fresh."""
    assert got.panel is not None
    return page_charts.platform_page(got.ov, got.panel["insight_days"], platform, metric)


def metric_context(client: Client, q: StatsQuery, platform: str, metric: str) -> dict[str, Any]:
    """What the metric selector's swap (``#metric-chart`` alone) shows: the overview, the panel and the
    charts, without the content table, best times, tactics and fans the whole page also reads."""
    got = read(client, q, platform)
    assert got.panel is not None
    return dict(
        ov=got.ov,
        audience=got.panel,
        **charts(got, platform, metric),
        metric=metric,
        metrics=insight_series.insight_choices(got.panel["insight_days"], platform, metric),
        table_error=None,
    )


def context(client: Client, q: StatsQuery, platform: str, version: str, metric: str = ALL_INSIGHTS) -> dict[str, Any]:
    """Everything ``portal/platform.html`` shows besides the request's own parts (client, query, live
    poller). ``table_error`` is a message for a content filter that could not be applied (the rest of
    the page still shows); ``version`` is the client's live data version (the fans answer's cache key);
    ``metric`` the insight the metric selector picked (``insight_series.parse_insight_metric``)."""
    got = read(client, q, platform)
    ov = got.ov
    assert got.panel is not None
    try:
        rows = content.filter_posts(ov.posts, q)
        table_error = None
    except BadQuery as exc:
        rows, table_error = [], exc.message
    # a period without a start (all time) is read again by the tactics
    period_posts = ov.posts if q.period.start is not None else None
    with_fans = inbox.reads_comments(client.id, platform)  # a personal TikTok account alone has none
    return dict(
        ov=ov,
        rows=rows,
        table_error=table_error,
        **charts(got, platform, metric),
        metric=metric,
        metrics=insight_series.insight_choices(got.panel["insight_days"], platform, metric),
        times=content.best_posting_time(ov.posts, client.time_zone),
        hashtags=content.best_hashtags(ov.posts),
        audience=got.panel,
        tactic_rows=tactics.report(client, q, period_posts),
        fans=fans.fans_json(client, q, limit=10, version=version) if with_fans else None,
        link_url=fan_links.page_url(client),
        kinds=content.CONTENT_KINDS,
        sorts=content.CONTENT_SORTS,
        weekdays=content.WEEKDAYS,
    )


def coach_panels(client: Client, ov: ClientOverview) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The coach's client page: each connected platform's Audience section and its daily insights chart
    (one per platform, ids ``insights-<platform>-svg``), read on the connections ``ov`` already read. The
    page and the worker's preparation after a sync both call this, so the first view is a cached one."""
    platforms = list(dict.fromkeys(c.platform for c in ov.connections))
    known = audience_reads.known_connections(ov.connections, complete=platforms)
    audiences = {p: audience_reads.panel(client.id, p, ov.period, client.time_zone, known) for p in platforms}
    insight_charts = {
        p: page_charts.client_insights(ov, panel["insight_days"], p, f"insights-{p}-svg")
        for p, panel in audiences.items()
        if panel["insight_days"]
    }
    return audiences, insight_charts
