"""The client portal."""

from __future__ import annotations

from flask import Response, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.models import Role, UsageKind
from app.web.access import client_required
from app.web.portal import bp
from app.web.usage import tracked


@bp.get("/")
def index() -> ResponseReturnValue:
    """Send each role to its home page."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.role in (Role.ADMIN, Role.COACH):
        return redirect(url_for("admin.clients_list"))
    return redirect(url_for("portal.home"))


@bp.get("/portal")
@client_required()
@tracked(UsageKind.ANALYTICS)
def home() -> Response:
    """Where a client lands after login: their analytics overview (staff go to the CRM)."""
    from app.web.portal.analytics import overview_page

    return overview_page("portal.home")
