"""JSON API of the portal's connections (contract §6.2) and the OAuth callback paths.

Errors are ``{"error": {"code", "message"}}``; another client's connection is a 404.
"""

from __future__ import annotations

from flask import Response, flash, jsonify, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.services import connections, facebook_pages, linkedin_pages, oauth, sync_requests
from app.services.connections import RefreshTooSoon
from app.services.oauth import OAuthRejected
from app.web.access import login_required
from app.web.api import bp
from app.web.errors import error_response
from app.web.htmx import render

_NO_REFERRER = {"Referrer-Policy": "no-referrer"}


@bp.get("/portal/social/connections")
@login_required
def list_connections() -> Response:
    return jsonify(connections=[connections.to_json(c) for c in connections.own_connections(current_user)])


@bp.post("/portal/social/connect/<platform>")
@login_required
def connect(platform: str) -> ResponseReturnValue:
    """303 to the platform's authorize URL with a fresh state (and PKCE where the platform takes it)."""
    url = oauth.start_connect(current_user, session.get("sid"), platform, request.args.get("feature") or None)
    return redirect(url, 303)


@bp.get("/portal/social/callback/<platform>")
def callback(platform: str) -> ResponseReturnValue:
    """The platform's redirect. Writes to the database on a GET by necessity (the platform redirects
    the browser here with GET); everything it writes is guarded by the single-use state.

    Answers 303 to a clean URL (no code or state in history or Referer) with ``no-referrer`` (O6).
    """
    if not current_user.is_authenticated:
        resp = render("connections/problem.html", platform=None, kind="session", name="", status=401)
        resp.headers.update(_NO_REFERRER)
        return resp
    try:
        if platform == "facebook":  # Facebook Login grants a person: then which Page (the picker)
            outcome = facebook_pages.complete_callback(current_user, session.get("sid"), request.args)
        elif platform == "linkedin":  # a member, or one of the Company Pages they administer
            outcome = linkedin_pages.complete_callback(current_user, session.get("sid"), request.args)
        else:
            outcome = oauth.complete_callback(current_user, session.get("sid"), platform, request.args)
    except OAuthRejected as exc:
        resp = render(
            "connections/problem.html", platform=None, kind="rejected", name="", message=exc.message, status=400
        )
        resp.headers.update(_NO_REFERRER)
        return resp
    if outcome.connection_id is not None and outcome.kind in ("connected", "insufficient_scope"):
        target = url_for("connections.connected", connection_id=outcome.connection_id)
        if outcome.message:
            flash(outcome.message, "info")  # e.g. a LinkedIn member without a Page: why the profile
    elif outcome.kind == "pick_page" and outcome.pick:
        picker = "connections.linkedin_pages_pick" if platform == "linkedin" else "connections.facebook_pages_pick"
        target = url_for(picker, pick=outcome.pick)
    else:
        target = url_for("connections.problem", platform=platform, kind=outcome.kind)
    moved = redirect(target, 303)
    moved.headers.update(_NO_REFERRER)
    return moved


@bp.delete("/portal/social/connections/<int:connection_id>")
@login_required
def delete_connection(connection_id: int) -> Response:
    """Disconnect; ``?history=delete`` also deletes the synced history (default: keep)."""
    history = request.args.get("history", "keep")
    if history not in ("keep", "delete"):
        return error_response(422, "invalid", "history must be keep or delete.")
    kept = connections.disconnect(current_user, connection_id, history == "delete")
    return jsonify(connection=connections.to_json(kept) if kept else None, history="kept" if kept else "deleted")


@bp.post("/portal/social/connections/<int:connection_id>/refresh")
@login_required
def refresh(connection_id: int) -> Response:
    """202: a sync is queued; 429 + Retry-After within the hour; 503 when it cannot be queued."""
    try:
        conn = sync_requests.request_manual_sync(current_user, connection_id)
    except sync_requests.CannotQueue as exc:
        return error_response(503, exc.code, exc.message)
    except RefreshTooSoon as exc:
        resp = error_response(429, exc.code, exc.message)
        resp.headers["Retry-After"] = str(exc.retry_after)
        return resp
    resp = jsonify(status="accepted", connection=connections.to_json(conn))
    resp.status_code = 202
    return resp
