"""The client's comment inbox page (HTMX over ``app/services/comments.py``; the JSON API is api/comments.py).

``GET /portal/inbox`` renders the page or, for HTMX, the ``list`` block; the list re-fetches itself when the
live poller says the client's data moved (a sync or a sent reply), so new comments appear without a
reload. Bulk actions post the selected ids (at most ``MAX_BULK``) and answer the list in its next state.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.errors import ServiceError, ValidationFailed
from app.models.platforms import COMMENT_PLATFORMS
from app.services import clients, comment_replies, live
from app.services import comments as inbox
from app.web.access import client_required
from app.web.api.comments import run_bulk
from app.web.htmx import render, toast
from app.web.portal import bp

LABELS = {
    "read": "marked read",
    "unread": "marked unread",
    "archive": "archived",
    "unarchive": "moved back to the inbox",
    "hide": "hidden",
    "unhide": "shown again",
    "reply": "queued for a reply",
}


def _context(client_id: int, query: inbox.InboxQuery, error: str | None = None) -> dict[str, Any]:
    conns = inbox.comment_connections(client_id)
    return {
        "page": inbox.inbox(client_id, query),
        "q": query,
        "error": error,
        "sorts": inbox.SORTS,
        "states": inbox.STATES,
        "posts": inbox.recent_posts(client_id),
        "grants": {c.id: comment_replies.has_grant(c) for c in conns},
        "no_replies": {c.id: comment_replies.replies_unavailable(c, current_app.config) for c in conns},
        "connections": conns,
        "not_available": inbox.comments_not_available(client_id),
        "max_bulk": inbox.MAX_BULK,
        "comment_platforms": COMMENT_PLATFORMS,
    }


@bp.get("/portal/inbox")
@client_required()
def inbox_page() -> Response:
    client = clients.own_client(current_user)
    try:
        query = inbox.parse_query(request.args)
        error = None
    except ValidationFailed as exc:
        query, error = inbox.InboxQuery(), exc.message
    ctx = _context(client.id, query, error)
    return render("portal/inbox.html", "list", client=client, live=live.poller([client.id]), **ctx)


@bp.post("/portal/inbox/bulk")
@client_required()
def inbox_bulk() -> Response:
    client = clients.own_client(current_user)
    query = inbox.parse_query(request.args)
    action = request.form.get("action", "")
    try:
        raw_ids = [int(i) for i in request.form.getlist("ids")]
    except ValueError:
        raw_ids = []
    trigger = None
    try:
        if not raw_ids:
            raise ValidationFailed("Select at least one comment first.")
        done, failed = run_bulk(
            client.id, current_user.id, {"ids": raw_ids, "action": action, "text": request.form.get("text")}
        )
        message = f"{done} comment{'s' if done != 1 else ''} {LABELS.get(action, 'changed')}."
        if failed:
            reasons = sorted({str(f["reason"]) for f in failed})
            message += f" {len(failed)} not: {'; '.join(reasons)[:300]}"
        trigger = toast(message, "error" if failed and not done else "success")
    except ServiceError as exc:
        trigger = toast(exc.message, "error")
    return render("portal/inbox.html", "list", client=client, trigger=trigger, **_context(client.id, query))


@bp.post("/portal/inbox/grants/<int:connection_id>/revoke")
@client_required()
def inbox_revoke_grant(connection_id: int) -> ResponseReturnValue:
    """Turn replies from the portal off for one account (404 for another client's); back to the inbox."""
    comment_replies.revoke_grant(clients.own_client(current_user).id, connection_id)
    return redirect(url_for("portal.inbox_page"), 303)


@bp.post("/portal/inbox/grants/<int:connection_id>/allow")
@client_required()
def inbox_allow_replies(connection_id: int) -> ResponseReturnValue:
    """A LinkedIn Page's grant already holds ``w_organization_social``: the client allows replies as the Page
    (404 for another client's connection, 409 with the reason when LinkedIn's permission is missing)."""
    comment_replies.allow_page_replies(clients.own_client(current_user).id, connection_id)
    return redirect(url_for("portal.inbox_page"), 303)
