"""CRM, admins only: every login, and disabling or re-enabling one (its sessions end at once)."""

from __future__ import annotations

from flask import Response, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.models import Role
from app.services import accounts
from app.web.access import role_required, safe_next
from app.web.admin import bp
from app.web.htmx import render


@bp.get("/users")
@role_required(Role.ADMIN)
def users_list() -> Response:
    """Admins, coaches and clients with their login state; ``q`` searches names and emails."""
    q = request.args.get("q", "")
    return render("admin/users.html", "table", users=accounts.logins(q=q), q=q)


def _set_active(user_id: int, active: bool) -> ResponseReturnValue:
    user = accounts.change_active(current_user, user_id, active)
    if active:
        flash(f"{user.name} can log in again.", "success")
    else:
        flash(f"{user.name} can no longer log in; their sessions have ended.", "success")
    return redirect(safe_next(request.form.get("next")) or url_for("admin.users_list"), code=303)


@bp.post("/users/<int:user_id>/disable")
@role_required(Role.ADMIN)
def user_disable(user_id: int) -> ResponseReturnValue:
    """Disable a login (not one's own): refused at login, and every session ends at once."""
    return _set_active(user_id, False)


@bp.post("/users/<int:user_id>/enable")
@role_required(Role.ADMIN)
def user_enable(user_id: int) -> ResponseReturnValue:
    """Let a disabled login in again."""
    return _set_active(user_id, True)
