"""CRM: the client list, creating a client (with an invite), one client's page and program edits."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask import Response, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from htmx_flask import request as hx_request

from app import htmx_events
from app.alerts import feed
from app.charts import page_charts
from app.errors import Conflict, ValidationFailed
from app.models import Client, ClientStatus
from app.models.platforms import COMMENT_PLATFORMS
from app.services import attention as attention_service
from app.services import case_studies, clients, connections, live, platform_page, sync_requests, tactics
from app.services import comments as inbox
from app.services import goals as goal_service
from app.services import portfolio as pf_service
from app.stats import attention
from app.stats import comments as comment_stats
from app.stats import query as stats_query
from app.stats.overview import client_goals, client_overview
from app.web.admin import bp
from app.web.htmx import render, toast


@bp.get("/")
def index() -> ResponseReturnValue:
    return redirect(url_for("admin.clients_list"))


@bp.get("/clients")
def clients_list() -> Response:
    """Searchable, sortable client list; the table block alone for HTMX."""
    q = request.args.get("q", "")
    sort = request.args.get("sort", "name")
    status = request.args.get("status", "")
    platform = request.args.get("platform", "")
    error = None
    try:
        rows = clients.list_clients(current_user, q=q, sort=sort, status=status, platform=platform)
    except ValidationFailed as exc:
        rows, error = [], exc.message
    return render(
        "admin/clients/list.html",
        "table",
        rows=rows,
        q=q,
        sort=sort,
        status_filter=status,
        platform_filter=platform,
        sorts=clients.SORT_LABELS,
        statuses=list(ClientStatus),
        error=error,
        status=400 if error else 200,
    )


@bp.route("/clients/new", methods=["GET", "POST"])
def clients_new() -> Response:
    """Create a client and email them an invite link."""
    form = request.form if request.method == "POST" else {}
    ctx = {"form": form, "coaches": clients.coaches(), "can_pick_coach": current_user.role.value == "admin"}
    if request.method in ("GET", "HEAD"):
        return render("admin/clients/new.html", "form", **ctx)
    try:
        created = clients.create_client(
            current_user,
            email=form.get("email", ""),
            name=form.get("name", ""),
            coach_id=form.get("coach_id"),
            program_start=form.get("program_start"),
            program_end=form.get("program_end"),
            time_zone=form.get("time_zone") or "UTC",
        )
    except (ValidationFailed, Conflict) as exc:
        return render(
            "admin/clients/new.html", "form", status=exc.status, error=exc.message, error_field=exc.field, **ctx
        )
    return render(
        "admin/clients/created.html",
        "form",
        client=created.client,
        invite_url=created.invite_url,
        trigger=toast(f"{created.client.display_name} was added and invited."),
    )


def _social(client: Client) -> dict[str, Any]:
    """The client social overview's context: one StatsQuery, one stats call, its growth chart."""
    try:
        q = stats_query.parse(request.args, tz=client.time_zone, default_range="90d")
    except stats_query.BadQuery as exc:
        return {"q": None, "ov": None, "social_error": exc.message}
    ov = client_overview(client, q, goal_service.goals_for(client))
    # each platform's audience and daily insights, as its platform page shows them to the client
    audiences, insight_charts = platform_page.coach_panels(client, ov)
    return {
        "q": q,
        "ov": ov,
        "audiences": audiences,
        "insight_charts": insight_charts,
        "growth": page_charts.client_growth(ov, "Growth timeline"),
        "engagement": page_charts.client_metric(ov, ov.posts, ov.period, "engagement") if ov.has_data else None,
        "social_error": None,
        "ranges": list(stats_query.RANGES),
        "metrics": stats_query.METRICS,
    }


ALERTS_SHOWN = 5


def care_context(client: Client) -> dict[str, Any]:
    """The client page's accounts card (with the coach's "Refresh now") and the client's latest alerts."""
    conns = [c for c in connections.list_for_client(client) if c.is_live]
    return {
        "attention": attention.for_client(
            clients.visible_clients(current_user), client.id, pf_service.parse_query(current_user, {})
        ),
        "attention_notes": attention.history(client.id),
        "snooze_days": attention_service.SNOOZE_DAYS,
        "case_study_consent": case_studies.consent_of(client),
        "care_connections": conns,
        "care_sync": sync_requests.states_of(conns),
        "care_alerts": feed.feed(current_user, feed.FeedFilters(client=client.id), limit=ALERTS_SHOWN),
    }


def _page_context(client: Client) -> dict[str, Any]:
    """Everything the whole client page renders: the social overview, the goals, accounts and alerts."""
    ctx = _social(client)
    goals = ctx["ov"].goals if ctx["ov"] else client_goals(client, goal_service.goals_for(client))
    return {
        "client": client,
        "goals": goals,
        "live": live.poller([client.id]),
        "comments": _comments(ctx["q"], client),
        "tactic_rows": tactics.report(client, ctx["q"]) if ctx["q"] else [],
        "tactic_list": tactics.definitions_json(client.coach_id),
        "tactic_posts": tactics.recent_posts(client, ctx["q"]) if ctx["q"] else [],
        **care_context(client),
        **ctx,
    }


def _comments(q: Any, client: Client) -> comment_stats.CommentHealth:
    """The coach's comment figures over the page's period (docs/metrics.md, "Comments")."""
    end = q.period.end if q else datetime.now(UTC).date()
    start = q.period.start if q and q.period.start else end - timedelta(days=90)
    return comment_stats.comment_health(
        client.id,
        datetime.combine(start + timedelta(days=1), time(0), tzinfo=UTC),
        datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC),
    )


def client_card(
    client: Client,
    block: str,
    *,
    message: str | None = None,
    status: int = 200,
    trigger: dict[str, Any] | None = None,
    **extra: Any,
) -> ResponseReturnValue:
    """One card of the client page (a ``{% block %}`` of detail.html) after a form post or an edit link.

    With HTMX: the card alone, replacing itself. Without JavaScript: a success goes back to the client
    page with ``message`` flashed (post/redirect/get); an error or an edit form renders the whole page,
    complete, with the form in this card only (``error_block``: the other cards show no error).
    """
    if hx_request.htmx:
        return render(
            "admin/clients/detail.html",
            block,
            client=client,
            status=status,
            trigger=trigger,
            error_block=block,
            **extra,
        )
    if status < 400 and not extra.get("editing"):
        if message:
            flash(message, "success")
        return redirect(url_for("admin.client_detail", client_id=client.id), 303)
    return render("admin/clients/detail.html", status=status, error_block=block, **{**_page_context(client), **extra})


def _goals_card(client: Client, message: str, status: int = 200, **extra: Any) -> ResponseReturnValue:
    trigger = {**toast(message), htmx_events.CLIENT_UPDATED: {"id": client.id}} if status == 200 else None
    return client_card(
        client,
        "goals",
        message=message,
        status=status,
        trigger=trigger,
        goals=client_goals(client, goal_service.goals_for(client)),
        **extra,
    )


@bp.post("/clients/<int:client_id>/goals")
def client_goal_add(client_id: int) -> ResponseReturnValue:
    """Set a goal for the client (the portal's goal service); the goals card replaces itself."""
    client = clients.get_client_for(current_user, client_id)
    form = request.form
    try:
        goal_service.add_goal(
            client,
            current_user,
            target=form.get("target"),
            platform=form.get("platform"),
            target_date=form.get("target_date"),
        )
    except ValidationFailed as exc:
        return _goals_card(client, exc.message, status=422, form=form, error=exc.message, error_field=exc.field)
    return _goals_card(client, "Goal saved.")


@bp.post("/clients/<int:client_id>/goals/remove")
def client_goal_remove(client_id: int) -> ResponseReturnValue:
    """Remove one of the client's goals (``goal_id`` in the form; another client's goal is a 404)."""
    client = clients.get_client_for(current_user, client_id)
    goal_service.remove_goal(client, request.form.get("goal_id"))
    return _goals_card(client, "Goal removed.")


@bp.get("/clients/<int:client_id>")
def client_detail(client_id: int) -> Response:
    """One client: social overview, program, deliverables."""
    client = clients.get_client_for(current_user, client_id)
    ctx = _page_context(client)
    return render("admin/clients/detail.html", "social", status=400 if ctx["social_error"] else 200, **ctx)


@bp.route("/clients/<int:client_id>/program", methods=["GET", "POST"])
def client_program(client_id: int) -> ResponseReturnValue:
    """The program card: read-only, edit form (``?edit=1``) or save (POST), replacing itself."""
    client = clients.get_client_for(current_user, client_id)
    statuses = list(ClientStatus)
    if request.method in ("GET", "HEAD"):
        editing = request.args.get("edit") == "1"
        if not hx_request.htmx and not editing:
            return redirect(url_for("admin.client_detail", client_id=client.id), 303)
        return client_card(client, "program", statuses=statuses, editing=editing)
    form = request.form
    try:
        clients.update_program(
            client,
            program_start=form.get("program_start"),
            program_end=form.get("program_end"),
            status=form.get("status"),
            time_zone=form.get("time_zone"),
            locale=form.get("locale"),
        )
    except ValidationFailed as exc:
        return client_card(
            client,
            "program",
            statuses=statuses,
            editing=True,
            form=form,
            error=exc.message,
            error_field=exc.field,
            status=422,
        )
    return client_card(
        client,
        "program",
        message="Program saved.",
        statuses=statuses,
        editing=False,
        trigger={**toast("Program saved."), htmx_events.CLIENT_UPDATED: {"id": client.id}},
    )


@bp.post("/clients/<int:client_id>/invite")
def client_invite(client_id: int) -> ResponseReturnValue:
    """Send a fresh invite link to a client who has not set a password."""
    client = clients.get_client_for(current_user, client_id)
    try:
        url = clients.resend_invite(current_user, client)
    except ValidationFailed as exc:
        return client_card(client, "invite", error=exc.message, status=422)
    if not hx_request.htmx:  # the one-time link is shown on the page itself, not behind a redirect
        return render("admin/clients/detail.html", error_block="invite", invite_url=url, **_page_context(client))
    return client_card(client, "invite", invite_url=url, trigger=toast("A new invite link was sent."))


@bp.get("/clients/<int:client_id>/comments")
def client_comments(client_id: int) -> Response:
    """A read-only view of the client's comment inbox (same filters as theirs; no replies, no state)."""
    client = clients.get_client_for(current_user, client_id)
    try:
        query, error = inbox.parse_query(request.args), None
    except ValidationFailed as exc:
        query, error = inbox.InboxQuery(), exc.message
    return render(
        "admin/clients/comments.html",
        "list",
        client=client,
        page=inbox.inbox(client.id, query),
        q=query,
        error=error,
        sorts=inbox.SORTS,
        states=inbox.STATES,
        comment_platforms=COMMENT_PLATFORMS,
    )
