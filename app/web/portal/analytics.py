"""The client's analytics: overview, per-platform pages and content detail (thin views).

Each view parses its ``StatsQuery`` once, calls ``app.stats``, hands results to ``app.charts`` and
renders one template; an HTMX request gets only the block its ``HX-Target`` names (selectors swap
only what they affect and push the URL, so every view is linkable).
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from htmx_flask import request as hx_request

from app.charts import page_charts
from app.errors import ServiceError, ValidationFailed
from app.models import Client, UsageKind
from app.models.platforms import PLATFORMS
from app.services import clients, goals, live, post_page, sync_log, tactics, thumbnails
from app.services import platform_page as platform_page_service
from app.stats import insight_series, query
from app.stats.overview import client_overview
from app.stats.query import METRICS, RANGES, BadQuery, StatsQuery
from app.web.access import client_required, login_required
from app.web.htmx import render
from app.web.portal import bp
from app.web.usage import tracked

CONTENT_FILTERS = ("type", "q", "sort")


def _block(targets: dict[str, str], default: str) -> str:
    """The block an HTMX request asked for (by its HX-Target), else the page's main block."""
    target = hx_request.htmx.target if hx_request.htmx else None
    return targets.get(target or "", default)


def _parse(client: Client, extra: tuple[str, ...] = ()) -> tuple[StatsQuery | None, str | None]:
    try:
        return query.parse(request.args, tz=client.time_zone, extra=extra), None
    except BadQuery as exc:
        return None, exc.message


def _choices() -> dict[str, Any]:
    return {"ranges": list(RANGES), "metrics": METRICS}


def overview_page(endpoint: str) -> Response:
    """The client's overview (the portal home, also at /portal/analytics): connected accounts with status
    and "+ Connect", totals, growth chart with milestones, breakdown, top content, goals, last synced and
    Refresh now. Selectors swap blocks and push URLs of ``endpoint``. For client users only (the
    routes say so with ``client_required``)."""
    client = clients.own_client(current_user)
    ctx = {"client": client, "page_url": url_for(endpoint), "live": live.poller([client.id]), **_choices()}
    q, error = _parse(client)
    if q is None:
        return render("portal/analytics.html", "body", error=error, q=None, status=400, **ctx)
    ov = client_overview(client, q, goals.goals_for(client))
    growth = page_charts.client_growth(ov)
    metric_chart = page_charts.client_metric(ov, ov.posts, ov.period, q.metric)
    block = _block({"metric-chart": "metric_chart", "growth-chart": "growth_chart"}, "body")
    return render(
        "portal/analytics.html", block, q=q, ov=ov, growth=growth, metric_chart=metric_chart, error=None, **ctx
    )


@bp.get("/portal/analytics")
@client_required()
@tracked(UsageKind.ANALYTICS)
def analytics() -> Response:
    """Overview: accounts, totals, growth chart with milestones, breakdown, top content, goals."""
    return overview_page("portal.analytics")


@bp.get("/portal/analytics/<platform>")
@client_required()
@tracked(UsageKind.ANALYTICS)
def platform_page(platform: str) -> Response:
    """One platform: followers, engagement and reach trends, the daily insights with their metric
    selector (``metric``: one insight, or all; swapped alone into ``#metric-chart``), content table,
    best times, hashtags."""
    client = clients.own_client(current_user)
    if platform not in PLATFORMS:
        abort(404)
    args = request.args.to_dict()
    args["platform"] = platform
    # the page's selector picks a daily insight, not one of the overview's metrics: parsed apart
    raw_metric = args.pop("metric", None)
    try:
        q = query.parse(args, tz=client.time_zone, extra=CONTENT_FILTERS)
        metric = insight_series.parse_insight_metric(raw_metric)
    except BadQuery as exc:
        return render(
            "portal/platform.html",
            "body",
            client=client,
            platform=platform,
            error=exc.message,
            q=None,
            status=400,
            ranges=list(RANGES),
            metrics={insight_series.ALL_INSIGHTS: "All insights"},
            metric=insight_series.ALL_INSIGHTS,
        )
    poll = live.poller([client.id])
    block = _block({"content-table": "content_table", "metric-chart": "metric_chart"}, "body")
    if block == "metric_chart":  # the selector's swap reads only what the chart needs
        ctx = platform_page_service.metric_context(client, q, platform, metric)
    else:
        ctx = platform_page_service.context(client, q, platform, poll["version"], metric)
    return render(
        "portal/platform.html",
        block,
        status=400 if ctx["table_error"] else 200,
        client=client,
        platform=platform,
        live=poll,
        q=q,
        error=None,
        ranges=list(RANGES),
        **ctx,
    )


@bp.get("/portal/sync-history")
@client_required()
def sync_history() -> Response:
    """What was synced when, in plain words (the client's own accounts)."""
    client = clients.own_client(current_user)
    return render("portal/sync_history.html", client=client, rows=sync_log.own_history(client.id))


@bp.get("/portal/analytics/content/<int:content_id>")
@client_required()
def content_page(content_id: int) -> Response:
    """One post with its own metric curve (another client's post is a 404)."""
    client = clients.own_client(current_user)
    return render("portal/content.html", client=client, staff=False, **post_page.context(client, content_id))


@bp.post("/portal/analytics/content/<int:content_id>/tactics")
@client_required()
def content_tactics(content_id: int) -> ResponseReturnValue:
    """Tag a post with tactics from its page (PRG); another client's post is a 404."""
    client = clients.own_client(current_user)
    try:
        tactics.set_tags(client, content_id, request.form.getlist("tactic"), current_user.id)
        flash("Tactics saved.", "success")
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
    return redirect(url_for("portal.content_page", content_id=content_id) + "#tactics-h", 303)


@bp.get("/portal/thumbs/<int:content_id>")
@login_required
def thumbnail(content_id: int) -> Response:
    """A post's stored thumbnail from our own origin (404 when none or not the user's to see: clients
    their own posts, staff their visible clients'); private, cached a week, revalidated by its ETag."""
    thumb = thumbnails.visible_thumbnail(current_user, content_id)
    resp = Response(thumb.content, mimetype=thumb.mime)
    resp.set_etag(thumb.sha256)
    resp.headers["Cache-Control"] = f"private, max-age={thumbnails.CACHE_SECONDS}"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.make_conditional(request)  # 304 without a body when the browser's copy is current
    return resp


@bp.post("/portal/analytics/goals")
@client_required()
def goal_add() -> ResponseReturnValue:
    """Set a goal; back to the overview with a message (PRG)."""
    client = clients.own_client(current_user)
    try:
        goals.add_goal(
            client,
            current_user,
            target=request.form.get("target"),
            platform=request.form.get("platform"),
            target_date=request.form.get("target_date"),
        )
        flash("Goal saved.", "success")
    except ValidationFailed as exc:
        flash(exc.message, "error")
    return redirect(url_for("portal.home"), 303)
