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


@bp.post("/clients/<int:client_id>/tactics/tag")
def client_tactic_tag(client_id: int) -> ResponseReturnValue:
    """Tag one of the client's posts from the CRM page (replaces its tags); another client's post is a 404."""
    client = clients.get_client_for(current_user, client_id)
    raw = request.form.get("content_id", "")
    if not raw.isdigit():
        flash("Choose a post.", "error")
    else:
        try:
            tags = service.set_tags(client, int(raw), request.form.getlist("tactic"), current_user.id)
            flash(f"Tactics saved ({len(tags)}).", "success")
        except BadTactics as exc:
            flash(exc.message, "error")
    return redirect(url_for("admin.client_detail", client_id=client.id) + "#tactics-card", 303)
