"""JSON API of the comment inbox (contract 6.4): list, reply, bulk actions, the comment grant, export.

A client sees their own comments; staff read a client's through ``/api/admin/social/clients/<id>/comments``.
Another client's comment id is a 404. Errors are ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import csv
import io
import json

from flask import Response, jsonify, request
from flask_login import current_user

from app.errors import ValidationFailed
from app.models import Connection, Role
from app.services import clients, comment_replies
from app.services import comments as inbox
from app.sync import replies
from app.web.access import login_required, role_required
from app.web.api import bp

ACTIONS = ("read", "unread", "archive", "unarchive", "hide", "unhide", "reply")
EXPORT_MAX = 5000


def _client_id() -> int:
    return clients.own_client(current_user).id


@bp.get("/portal/social/comments")
@login_required
def list_comments() -> Response:
    page = inbox.inbox(_client_id(), inbox.parse_query(request.args))
    return jsonify(inbox.page_json(page))


@bp.get("/admin/social/clients/<int:client_id>/comments")
@role_required(Role.ADMIN, Role.COACH)
def admin_comments(client_id: int) -> Response:
    client = clients.get_client_for(current_user, client_id)
    return jsonify(inbox.page_json(inbox.inbox(client.id, inbox.parse_query(request.args))))


def _body() -> dict[str, object]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationFailed("Send a JSON object.")
    return data


@bp.post("/portal/social/comments/<int:comment_id>/reply")
@login_required
def reply(comment_id: int) -> Response:
    """202 with the queued reply; the same request again answers the same reply (idempotent)."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= 200:
        raise ValidationFailed("Idempotency-Key must be 1 to 200 characters.")
    data = request.get_json(silent=True)
    text = data.get("text") if isinstance(data, dict) else None  # judged after the comment is found (404 first)
    row = comment_replies.request_reply(_client_id(), current_user.id, comment_id, text, key)
    resp = jsonify(reply=comment_replies.reply_json(row))
    resp.status_code = 202
    return resp


def run_bulk(client_id: int, user_id: int, data: dict[str, object]) -> tuple[int, list[dict[str, object]]]:
    """One bulk action; the ids are checked (at most ``MAX_BULK``) before anything changes."""
    action = data.get("action")
    if action not in ACTIONS:
        raise ValidationFailed(f"action must be one of {', '.join(ACTIONS)}.", field="action")
    ids = inbox.parse_ids(data.get("ids"))
    if action == "reply":
        comment_replies.check_text("youtube", data.get("text"))  # the common checks before any row
        return comment_replies.bulk_reply(client_id, user_id, ids, data.get("text"))
    if action in ("hide", "unhide"):
        return replies.moderate_ids(client_id, ids, action == "hide")
    done, failed = inbox.set_state(client_id, ids, str(action))
    return done, list(failed)


@bp.post("/portal/social/comments/bulk")
@login_required
def bulk() -> Response:
    done, failed = run_bulk(_client_id(), current_user.id, _body())
    return jsonify(done=done, failed=failed)


@bp.delete("/portal/social/connections/<int:connection_id>/comments-grant")
@login_required
def revoke_grant(connection_id: int) -> Response:
    conn: Connection = comment_replies.revoke_grant(_client_id(), connection_id)
    return jsonify(connection_id=conn.id, comments_grant=False)


@bp.get("/portal/social/comments/export")
@login_required
def export() -> Response:
    """The filtered inbox as CSV or JSON (at most 5,000 threads); text cells that a spreadsheet would run as
    a formula are prefixed with ``'``."""
    fmt = request.args.get("format", "csv")
    if fmt not in ("csv", "json"):
        raise ValidationFailed("format must be csv or json.", field="format")
    query = inbox.parse_query({**request.args, "limit": "100"})
    rows = inbox.export_rows(_client_id(), query, EXPORT_MAX)
    if fmt == "json":
        body = json.dumps({"comments": rows}, ensure_ascii=False)
        return Response(
            body, mimetype="application/json", headers={"Content-Disposition": "attachment; filename=comments.json"}
        )
    out = io.StringIO()
    fields = [
        "id",
        "platform",
        "published_at",
        "author_handle",
        "author_name",
        "text",
        "like_count",
        "answered",
        "hidden",
        "archived",
        "post_permalink",
    ]
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: inbox.csv_safe(r.get(k)) for k in fields})
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=comments.csv"}
    )
