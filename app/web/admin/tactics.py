"""CRM: extend the tactic list of a client's coach (the figures are on the client page)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.services import clients
from app.services import tactics as service
from app.services.tactics import BadTactics
from app.web.admin import bp


@bp.post("/clients/<int:client_id>/tactics")
def client_tactic_add(client_id: int) -> ResponseReturnValue:
    """Add a tactic to the coach's list (shared by that coach's clients); back to the client page (PRG)."""
    client = clients.get_client_for(current_user, client_id)
    try:
        row = service.add_tactic(client.coach_id, request.form.get("name"), request.form.get("keywords"))
        flash(f"{row.name} added to the tactic list.", "success")
    except BadTactics as exc:
        flash(exc.message, "error")
    return redirect(url_for("admin.client_detail", client_id=client.id) + "#tactics-card", 303)
