"""Connected Accounts pages (portal -> settings): cards, permissions, results, disconnect, deletion status.

The OAuth round trip itself lives on the API paths of the contract (``app/web/api/social.py``); these
pages are where the browser starts and lands.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.errors import ServiceError
from app.models import Connection, Role
from app.models.platforms import CONNECTABLE, PLATFORM_NAMES
from app.services import connection_settings as cs
from app.services import connections, facebook_pages, linkedin_pages, platform_events, sync_requests
from app.web.access import login_required
from app.web.connections import bp
from app.web.htmx import render, toast

PROBLEMS = {"denied", "wrong_account_type", "insufficient_scope", "taken", "other_account", "failed", "no_page"}


def _cards(status: int = 200, trigger: dict[str, Any] | None = None) -> Response:
    """The cards block: a card per platform, each connection's sync state (one query for the page) and
    whether the block keeps polling (a sync of one of them runs or was just asked for)."""
    cards = connections.cards_for(current_user)
    conns = [c["connection"] for c in cards if c["connection"] is not None]
    return render(
        "connections/index.html",
        "cards",
        status=status,
        trigger=trigger,
        cards=cards,
        sync_states=sync_requests.states_of(conns),
        polling=sync_requests.any_running(conns),
    )


@bp.get("/portal/settings/connections")
@login_required
def index() -> Response:
    """A card per platform with status, account, last sync and the actions that fit."""
    return _cards()


@bp.get("/portal/settings/connections/<platform>/permissions")
@login_required
def permissions(platform: str) -> Response:
    """What we read and why, before the platform's consent page (read-only, how to revoke)."""
    if platform not in connections.offered_platforms():
        abort(404)
    connections.own_connections(current_user)  # client users only
    business = platform == "tiktok" and connections.tiktok_business_offered()
    return render("connections/permissions.html", platform=platform, name=PLATFORM_NAMES[platform], business=business)


@bp.get("/portal/settings/connections/<int:connection_id>/connected")
@login_required
def connected(connection_id: int) -> Response:
    """Where a successful callback lands; the first numbers fill in without a reload."""
    conn = connections.get_own_connection(current_user, connection_id)
    return render("connections/connected.html", "first_numbers", conn=conn, name=PLATFORM_NAMES[conn.platform])


@bp.get("/portal/settings/connections/problem/<platform>/<kind>")
@login_required
def problem(platform: str, kind: str) -> Response:
    """A clear page for denied consent, wrong account type, missing scopes, taken accounts."""
    if platform not in CONNECTABLE or kind not in PROBLEMS:
        abort(404)
    return render("connections/problem.html", platform=platform, kind=kind, name=PLATFORM_NAMES[platform])


def _pick_problem(platform: str, name: str, message: str) -> Response:
    """A Page picker whose link expired or was used: the connect problem page, with the reason."""
    return render(
        "connections/problem.html", platform=platform, kind="rejected", name=name, message=message, status=400
    )


@bp.get("/portal/settings/connections/facebook/pages")
@login_required
def facebook_pages_pick() -> Response:
    """The Page picker: the person manages several Pages; which one is this client's."""
    pick = request.args.get("pick", "")
    try:
        pages = facebook_pages.options(current_user, session.get("sid"), pick)
    except facebook_pages.PickExpired as exc:
        return _pick_problem("facebook", "Facebook", exc.message)
    return render("connections/facebook_pages.html", pages=pages, pick=pick)


@bp.post("/portal/settings/connections/facebook/pages")
@login_required
def facebook_pages_choose() -> ResponseReturnValue:
    """Connect the chosen Page; the picker link is single use."""
    try:
        outcome = facebook_pages.choose(
            current_user, session.get("sid"), request.form.get("pick", ""), request.form.get("page_id", "")
        )
    except facebook_pages.PickExpired as exc:
        return _pick_problem("facebook", "Facebook", exc.message)
    if outcome.connection_id is not None and outcome.kind in ("connected", "insufficient_scope"):
        return redirect(url_for("connections.connected", connection_id=outcome.connection_id), 303)
    return redirect(url_for("connections.problem", platform="facebook", kind=outcome.kind), 303)


@bp.get("/portal/settings/connections/<int:connection_id>/disconnect")
@login_required
def confirm_disconnect(connection_id: int) -> Response:
    """Ask whether to keep or delete the history before disconnecting."""
    conn = connections.get_own_connection(current_user, connection_id)
    return render("connections/disconnect.html", "confirm", conn=conn, name=PLATFORM_NAMES[conn.platform])


@bp.post("/portal/settings/connections/<int:connection_id>/disconnect")
@login_required
def disconnect(connection_id: int) -> ResponseReturnValue:
    """Disconnect (revoke, delete tokens), keeping or deleting the history as chosen."""
    delete_history = request.form.get("history") == "delete"
    connections.disconnect(current_user, connection_id, delete_history)
    message = "Disconnected and history deleted." if delete_history else "Disconnected. Your history is kept."
    if request.headers.get("HX-Request"):
        return _cards(trigger=toast(message))
    return redirect(url_for("connections.index"), 303)


@bp.post("/portal/settings/connections/<int:connection_id>/refresh")
@login_required
def refresh(connection_id: int) -> Response:
    """ "Refresh now" (issue 5): queue a sync; once an hour (429 + Retry-After); says so when it cannot queue."""
    try:
        sync_requests.request_manual_sync(current_user, connection_id)
    except connections.RefreshTooSoon as exc:
        minutes = max(1, exc.retry_after // 60)
        resp = _cards(429, toast(f"You can refresh once an hour. Try again in {minutes} min.", "warning"))
        resp.headers["Retry-After"] = str(exc.retry_after)
        return resp
    except sync_requests.CannotQueue as exc:
        return _cards(503, toast(exc.message, "error"))
    return _cards(202, toast("Sync queued. The numbers update here when it is done."))


@bp.get("/data-deletion/<code>")
def deletion_status(code: str) -> Response:
    """Meta's data-deletion status URL: public, shows progress for a confirmation code (W10, D4)."""
    req = platform_events.deletion_status(code)
    return render("connections/deletion_status.html", req=req)


def _sync_page(conn: Connection, status: int = 200, error: str | None = None, typed: Any = None) -> Response:
    return render(
        "connections/sync_settings.html",
        status=status,
        conn=conn,
        name=PLATFORM_NAMES[conn.platform],
        current=typed or cs.settings_of(conn),
        costs=cs.choice_costs(conn),
        total=cs.cost(conn.platform, cs.settings_of(conn), cs.calls_key(conn)).words(conn.platform),
        available=cs.available(conn),
        kinds=cs.kind_labels(conn),
        staff=current_user.role is not Role.CLIENT,
        error=error,
    )


@bp.get("/portal/settings/connections/<int:connection_id>/sync")
@login_required
def sync_settings(connection_id: int) -> Response:
    """What to sync and how often, each choice with its quota cost before saving (client and staff)."""
    return _sync_page(cs.connection_for(current_user, connection_id))


@bp.post("/portal/settings/connections/<int:connection_id>/sync")
@login_required
def sync_settings_save(connection_id: int) -> ResponseReturnValue:
    """Save the form; a choice that does not fit is shown with its reason and the typed values kept."""
    conn = cs.connection_for(current_user, connection_id)
    sync = {k: request.form.get(k) == "on" for k in cs.KINDS if k in cs.available(conn)}
    cadence = request.form.get("cadence", "daily")
    try:
        cs.update(current_user, connection_id, {"sync": sync, "cadence": cadence})
    except ServiceError as exc:
        typed = cs.SyncSettings({**cs.settings_of(conn).sync, **sync}, cadence)
        return _sync_page(conn, exc.status, exc.message, typed)
    flash("Sync settings saved. The next sync follows them.", "success")
    return redirect(url_for("connections.sync_settings", connection_id=connection_id), 303)


@bp.post("/portal/settings/connections/<int:connection_id>/campaign")
@login_required
def active_campaign(connection_id: int) -> ResponseReturnValue:
    """Staff mark an account "active campaign" (it may sync twice a day) or end it."""
    active = request.form.get("active") == "1"
    cs.set_active_campaign(current_user, connection_id, active)
    flash(
        "Marked as an active campaign: it may sync twice a day." if active else "Campaign ended: once a day.", "success"
    )
    return redirect(url_for("connections.sync_settings", connection_id=connection_id), 303)


@bp.get("/portal/settings/connections/linkedin/pages")
@login_required
def linkedin_pages_pick() -> Response:
    """The LinkedIn Page picker: the member administers Pages; which one (or the own profile)."""
    pick = request.args.get("pick", "")
    try:
        pages = linkedin_pages.options(current_user, session.get("sid"), pick)
    except linkedin_pages.PickExpired as exc:
        return _pick_problem("linkedin", "LinkedIn", exc.message)
    return render("connections/linkedin_pages.html", pages=pages, pick=pick, member=linkedin_pages.MEMBER)


@bp.post("/portal/settings/connections/linkedin/pages")
@login_required
def linkedin_pages_choose() -> ResponseReturnValue:
    """Connect the chosen Page or the member profile; the picker link is single use."""
    try:
        outcome = linkedin_pages.choose(
            current_user, session.get("sid"), request.form.get("pick", ""), request.form.get("page", "")
        )
    except linkedin_pages.PickExpired as exc:
        return _pick_problem("linkedin", "LinkedIn", exc.message)
    if outcome.connection_id is not None and outcome.kind in ("connected", "insufficient_scope"):
        return redirect(url_for("connections.connected", connection_id=outcome.connection_id), 303)
    if outcome.kind == "failed" and outcome.message:
        return _pick_problem("linkedin", "LinkedIn", outcome.message)
    return redirect(url_for("connections.problem", platform="linkedin", kind=outcome.kind), 303)
