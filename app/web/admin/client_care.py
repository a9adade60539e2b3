"""CRM client page, the coach's side of care: the client's accounts with "Refresh now" (the same hourly
limit as the client's own button), the client's alerts, and the raw data (daily snapshots, paged)."""

from __future__ import annotations

from flask import Response, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.errors import NotFound, ServiceError, ValidationFailed
from app.services import attention as attention_service
from app.services import clients, connections, sync_requests
from app.stats import raw_data
from app.stats.query import today
from app.web.admin import bp
from app.web.admin.clients import care_context, client_card
from app.web.htmx import render, toast


@bp.post("/clients/<int:client_id>/connections/<int:connection_id>/refresh")
def client_refresh(client_id: int, connection_id: int) -> ResponseReturnValue:
    """The coach's "Refresh now": 202 queued, 429 + Retry-After within the hour, 503 when it cannot queue."""
    client = clients.get_client_for(current_user, client_id)
    retry_after = None
    try:
        conn = sync_requests.request_staff_sync(client, connection_id)  # NotFound: another client's connection
    except connections.RefreshTooSoon as exc:
        retry_after = exc.retry_after
        minutes = max(1, exc.retry_after // 60)
        message, status, level = (
            f"This account was refreshed in the last hour. Try again in {minutes} min.",
            429,
            "warning",
        )
    except sync_requests.CannotQueue as exc:
        message, status, level = exc.message, 503, "error"
    except NotFound:
        raise
    except ServiceError as exc:  # not live or needs reconnecting
        message, status, level = exc.message, 409, "error"
    else:
        message, status, level = f"Sync of {conn.username or conn.platform} queued.", 202, "success"
    resp = client_card(
        client,
        "accounts",
        message=message,
        status=status,
        trigger=toast(message, level),
        error=message if status >= 400 else None,
        **care_context(client),
    )
    if retry_after is not None and isinstance(resp, Response):
        resp.headers["Retry-After"] = str(retry_after)
    return resp


@bp.post("/clients/<int:client_id>/attention")
def client_attention(client_id: int) -> ResponseReturnValue:
    """Snooze or resolve one needs-attention reason with a note; the attention card replaces itself."""
    client = clients.get_client_for(current_user, client_id)
    f = request.form
    try:
        row = attention_service.record(
            current_user,
            client,
            reason=f.get("reason", ""),
            reason_text=f.get("reason_text", ""),
            action=f.get("action", ""),
            days=f.get("days"),
            note=f.get("note", ""),
            today=today(),
        )
    except ValidationFailed as exc:
        return client_card(
            client, "attention", status=422, error=exc.message, error_field=exc.field, **care_context(client)
        )
    message = "Reason resolved." if row.action == "resolved" else f"Reason snoozed until {row.until.isoformat()}."
    return client_card(client, "attention", message=message, trigger=toast(message), **care_context(client))


@bp.get("/clients/<int:client_id>/data")
def client_raw_data(client_id: int) -> Response:
    """Daily snapshots with provenance, newest first, 50 a page (``?page=&platform=``)."""
    client = clients.get_client_for(current_user, client_id)
    platform = request.args.get("platform", "")
    page = raw_data.snapshot_page(client.id, raw_data.parse_page(request.args.get("page")), platform)
    return render("admin/clients/raw_data.html", "table", client=client, data=page, platform=platform)
