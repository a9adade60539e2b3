"""CRM: the live alert feed (filters, read state, nav badge) and the prefilled messages to a client."""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app import htmx_events
from app.alerts import compose, feed
from app.errors import NotFound, ValidationFailed
from app.models import Alert, AlertType, Severity
from app.services import clients
from app.web.admin import bp
from app.web.htmx import render, toast


def _ctx(filters: feed.FeedFilters) -> dict[str, Any]:
    """The feed page: its items, and the filters' choices (alert types and severities from their enums)."""
    return {
        "filters": filters,
        "items": feed.feed(current_user, filters),
        "types": list(AlertType),
        "severities": list(Severity),
        "coaches": clients.coach_filter_choices(current_user),
        "unread": feed.unread_count(current_user),
    }


@bp.get("/alerts")
def alerts_feed() -> Response:
    """The alert feed; the list block polls itself and is swapped by the filters (URL pushed)."""
    try:
        filters = feed.parse_filters(request.args, current_user)
    except ValidationFailed as exc:
        return render("admin/alerts/feed.html", "feed", status=400, error=exc.message, **_ctx(feed.FeedFilters()))
    return render("admin/alerts/feed.html", "feed", error=None, **_ctx(filters))


@bp.get("/alerts/badge")
def alerts_badge() -> Response:
    """The nav badge alone (polled)."""
    return render("components/alerts_badge.html", count=feed.unread_count(current_user), oob=False)


@bp.post("/alerts/<int:alert_id>/read")
def alert_read(alert_id: int) -> Response:
    """Mark one alert read: the row in its next state, plus the nav badge out of band."""
    alert = feed.mark_read(current_user, alert_id)  # NotFound (404) for an alert the user may not see
    item = next((i for i in feed.feed(current_user, feed.FeedFilters()) if i.alert.id == alert.id), None)
    return render(
        "admin/alerts/row.html",
        item=item,
        alert=alert,
        count=feed.unread_count(current_user),
        oob=True,
    )


@bp.post("/alerts/read-all")
def alerts_read_all() -> Response:
    """Mark every (filtered) visible alert read; the feed block in its next state."""
    try:
        filters = feed.parse_filters(request.form, current_user)
    except ValidationFailed:
        filters = feed.FeedFilters()
    n = feed.mark_all_read(current_user, filters)
    ctx = _ctx(filters)
    return render(
        "admin/alerts/feed.html",
        "feed",
        error=None,
        oob_badge=True,
        trigger=toast(f"{n} alert{'s' if n != 1 else ''} marked read.") | {htmx_events.ALERTS_CHANGED: {}},
        **ctx,
    )


def _alert_arg(client_id: int) -> Alert | None:
    raw = request.values.get("alert", "")
    if not raw.isdigit():
        return None
    try:
        alert = feed.get_visible(current_user, int(raw))
    except NotFound:
        return None
    return alert if alert.client_id == client_id else None


@bp.route("/clients/<int:client_id>/compose", methods=["GET", "POST"])
def alert_compose(client_id: int) -> ResponseReturnValue:
    """ "Send Congratulations" / "Contact Client": a prefilled form; sending goes through the outbox."""
    client = clients.get_client_for(current_user, client_id)
    kind = request.values.get("kind", "contact")
    alert = _alert_arg(client_id)
    if request.method == "GET":
        try:
            d = compose.draft(current_user, client, kind, alert)
        except ValidationFailed as exc:
            return render("admin/alerts/compose.html", client=client, draft=None, error=exc.message, status=400)
        return render("admin/alerts/compose.html", client=client, draft=d, alert=alert, error=None)
    form = request.form
    try:
        compose.send(current_user, client, kind, form.get("subject", ""), form.get("body", ""), form.get("nonce", ""))
    except ValidationFailed as exc:
        d = compose.as_typed(client, kind, form.get("subject", ""), form.get("body", ""), form.get("nonce", ""))
        return render("admin/alerts/compose.html", client=client, draft=d, alert=alert, error=exc.message, status=422)
    return redirect(url_for("admin.client_detail", client_id=client.id, sent="1"))
