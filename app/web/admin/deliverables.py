"""CRM: a client's deliverables (milestones M1, M2, ...): add, complete, reopen."""

from __future__ import annotations

from flask import request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app import htmx_events
from app.errors import ValidationFailed
from app.services import clients
from app.web.admin import bp
from app.web.admin.clients import client_card
from app.web.htmx import toast


@bp.post("/clients/<int:client_id>/deliverables")
def deliverable_add(client_id: int) -> ResponseReturnValue:
    """Add a deliverable; the deliverables block replaces itself."""
    client = clients.get_client_for(current_user, client_id)
    form = request.form
    try:
        d = clients.add_deliverable(
            client, code=form.get("code", ""), title=form.get("title", ""), due_date=form.get("due_date")
        )
    except ValidationFailed as exc:
        return client_card(client, "deliverables", form=form, error=exc.message, error_field=exc.field, status=422)
    return client_card(
        client,
        "deliverables",
        message=f"{d.code} added.",
        trigger={**toast(f"{d.code} added."), htmx_events.CLIENT_UPDATED: {"id": client.id}},
    )


@bp.post("/clients/<int:client_id>/deliverables/<int:deliverable_id>/complete")
def deliverable_complete(client_id: int, deliverable_id: int) -> ResponseReturnValue:
    """Mark complete (optionally on a past day) or reopen (``complete=0``)."""
    client = clients.get_client_for(current_user, client_id)
    complete = request.form.get("complete", "1") != "0"
    try:
        d = clients.set_deliverable_complete(client, deliverable_id, complete, request.form.get("completed_on"))
    except ValidationFailed as exc:
        return client_card(client, "deliverables", error=exc.message, error_field=exc.field, status=422)
    message = f"{d.code} marked complete." if complete else f"{d.code} reopened."
    return client_card(
        client,
        "deliverables",
        message=message,
        trigger={**toast(message), htmx_events.CLIENT_UPDATED: {"id": client.id}},
    )
