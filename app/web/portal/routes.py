"""The client portal."""

from __future__ import annotations

from flask import Response, redirect, url_for
from flask_login import current_user

from app.models import Role
from app.services import clients, connections
from app.web.access import login_required
from app.web.htmx import render
from app.web.portal import bp


@bp.get("/")
def index() -> Response:
    """Send each role to its home page."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))  # type: ignore[return-value]
    if current_user.role in (Role.ADMIN, Role.COACH):
        return redirect(url_for("admin.clients_list"))  # type: ignore[return-value]
    return redirect(url_for("portal.home"))  # type: ignore[return-value]


@bp.get("/portal")
@login_required
def home() -> Response:
    """A client's own overview: program and milestones (analytics arrive with the sync engine)."""
    if current_user.role is not Role.CLIENT:
        return redirect(url_for("admin.clients_list"))  # type: ignore[return-value]
    client = clients.own_client(current_user)
    return render("portal/home.html", client=client, cards=connections.cards_for(current_user))
