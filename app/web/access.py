"""Who may see what: session loading, HTMX-aware login redirects and role checks (A1, A2, A5).

Each role rule is written once here as a decorator (``login_required``, ``role_required``,
``client_required``) or a ``before_request`` hook (``require_staff``), so views do not repeat it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import abort, current_app, jsonify, redirect, session, url_for
from flask_login import current_user
from htmx_flask import (
    make_response,
    request,  # the typed request with .htmx
)
from werkzeug.wrappers import Response as BaseResponse

from app.errors import NotFound
from app.models import Role, User
from app.services import accounts

F = TypeVar("F", bound=Callable[..., Any])


def load_user_from_session(user_id: str) -> User | None:
    """Flask-Login's loader: the user only while their server-side session lives and is not idle."""
    try:
        uid = int(user_id)
    except (TypeError, ValueError):
        return None
    now = int(time.time())
    seen = session.get("seen")
    idle = int(current_app.config["SESSION_IDLE_MINUTES"]) * 60
    if not isinstance(seen, int) or now - seen > idle:
        return None
    user = accounts.session_user(session.get("sid"), uid)
    if user is not None and now - seen > 60:
        session["seen"] = now  # refreshed at most once a minute
    return user


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are accepted as a post-login destination (O5)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def unauthorized() -> BaseResponse:
    """Not logged in: JSON 401 for the API, HX-Redirect for HTMX, a redirect with ``next`` otherwise."""
    session.pop("sid", None)
    if is_api_request():
        resp = jsonify(error={"code": "unauthenticated", "message": "Log in first."})
        resp.status_code = 401
        return resp
    target = request.full_path if request.method == "GET" else request.path
    if target.endswith("?"):
        target = target[:-1]
    if request.htmx:
        # A plain 302 would make htmx swap the login page into a fragment.
        current = request.htmx.current_url or ""
        nxt = safe_next(urlsplit(current).path) if current else None
        return make_response("", 401, redirect=url_for("auth.login", next=nxt))
    return redirect(url_for("auth.login", next=safe_next(target)))


def login_required(view: F) -> F:
    """Require a live session (HTMX- and API-aware)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return unauthorized()
        return view(*args, **kwargs)

    return cast(F, wrapped)


def require_staff() -> None:
    """For ``before_request`` of CRM blueprints: log in first, then admins and coaches only.

    :raises werkzeug.exceptions.Forbidden: for client users.
    """
    if not current_user.is_authenticated:
        abort(unauthorized())
    if current_user.role not in (Role.ADMIN, Role.COACH):
        abort(403)


def role_required(*roles: Role) -> Callable[[F], F]:
    """Require one of ``roles`` (403 otherwise)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


def client_required(staff_to: str | None = "admin.clients_list") -> Callable[[F], F]:
    """Pages of a client's own portal: log in first; staff, who have no client profile, are sent to
    their counterpart page ``staff_to`` (an endpoint), or answered 404 when it is None (the JSON API).

    Client-only *actions* use ``role_required(Role.CLIENT)`` (403) instead: nothing to redirect to.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return unauthorized()
            if current_user.role is not Role.CLIENT:
                if staff_to is None:
                    raise NotFound("No client profile for this user.")
                return redirect(url_for(staff_to))
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator
