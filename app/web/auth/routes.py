"""Log in, log out, set a password from an invite link, and reset a forgotten one by emailed link."""

from __future__ import annotations

import time

from flask import Response, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user

from app.errors import ValidationFailed
from app.models import Role, User
from app.services import accounts, password_reset
from app.web.access import safe_next
from app.web.auth import bp


def home_for(role: Role) -> str:
    return url_for("admin.clients_list") if role in (Role.ADMIN, Role.COACH) else url_for("portal.home")


def _begin_session(user: User) -> None:
    """A new cookie and a new server-side session at every login (ASVS 7.2.4)."""
    session.clear()
    raw = accounts.start_session(user, request.user_agent.string)
    login_user(user)
    session["sid"] = raw
    session["seen"] = int(time.time())
    session.permanent = True


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The login form; on success, to ``next`` (if same-site) or the role's home."""
    nxt = safe_next(request.values.get("next"))
    if request.method in ("GET", "HEAD"):
        if current_user.is_authenticated:
            return redirect(nxt or home_for(current_user.role))
        return render_template("auth/login.html", next=nxt, email="")
    email = request.form.get("email", "")
    try:
        user = accounts.authenticate(email, request.form.get("password", ""), request.remote_addr or "")
    except accounts.LoginThrottled as exc:
        minutes = max(1, round(exc.retry_after / 60))
        html = render_template(
            "auth/login.html",
            next=nxt,
            email=email,
            error=f"Too many failed attempts. Try again in about {minutes} minute(s).",
        )
        return Response(html, 429, headers={"Retry-After": str(exc.retry_after)})
    except accounts.LoginDisabled:
        html = render_template(
            "auth/login.html",
            next=nxt,
            email=email,
            error="This login is disabled. Ask your coach or an admin to enable it again.",
        )
        return Response(html, 403)
    if user is None:
        html = render_template(
            "auth/login.html", next=nxt, email=email, error="That email and password do not match an account."
        )
        return Response(html, 401)
    _begin_session(user)
    return redirect(nxt or home_for(user.role), code=303)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End the server-side session, then the cookie."""
    accounts.end_session(session.get("sid"))
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invite(token: str) -> ResponseReturnValue:
    """Set a password from an invite link. GET never consumes the link (mail scanners pre-fetch it)."""
    try:
        invite_row = accounts.resolve_invite(token)
    except accounts.InviteProblem as problem:
        status = 410 if problem.reason in ("expired", "used") else 404
        return Response(
            render_template("auth/invite_problem.html", problem=problem),
            status,
            headers={"Referrer-Policy": "no-referrer"},
        )
    if request.method in ("GET", "HEAD"):
        return Response(
            render_template("auth/invite.html", token=token, user=invite_row.user),
            headers={"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"},
        )
    try:
        user = accounts.accept_invite(token, request.form.get("password", ""), request.form.get("confirm", ""))
    except ValidationFailed as exc:
        html = render_template(
            "auth/invite.html", token=token, user=invite_row.user, error=exc.message, error_field=exc.field
        )
        return Response(html, 422, headers={"Referrer-Policy": "no-referrer"})
    except accounts.InviteProblem as problem:
        return Response(render_template("auth/invite_problem.html", problem=problem), 410)
    _begin_session(user)
    flash("Your password is set. Welcome!", "success")
    return redirect(home_for(user.role), code=303)


NO_REFERRER = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
SENT = "If an account exists for that address, we sent a link to choose a new password. It works for {minutes} minutes."


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password() -> ResponseReturnValue:
    """Ask for a reset link; the same answer whether or not an account has the address."""
    if request.method in ("GET", "HEAD"):
        return render_template("auth/forgot.html", email="")
    email = request.form.get("email", "")
    try:
        password_reset.request_reset(email, request.remote_addr or "")
    except ValidationFailed as exc:
        return Response(render_template("auth/forgot.html", email=email, error=exc.message), 422)
    except password_reset.ResetThrottled as exc:
        minutes = max(1, round(exc.retry_after / 60))
        html = render_template(
            "auth/forgot.html", email=email, error=f"Too many requests. Try again in about {minutes} minute(s)."
        )
        return Response(html, 429, headers={"Retry-After": str(exc.retry_after)})
    minutes = int(current_app.config["PASSWORD_RESET_TTL_MINUTES"])
    return render_template("auth/forgot.html", email="", sent=SENT.format(minutes=minutes))


def _reset_problem(problem: password_reset.ResetProblem) -> Response:
    """Why the link cannot be used (400 unknown, 410 expired or used) and a way to ask again."""
    html = render_template("auth/reset_problem.html", problem=problem)
    return Response(html, problem.status, headers=NO_REFERRER)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> ResponseReturnValue:
    """Choose a new password from an emailed link. GET never consumes the link (mail scanners pre-fetch it)."""
    try:
        password_reset.resolve(token)
    except password_reset.ResetProblem as problem:
        return _reset_problem(problem)
    if request.method in ("GET", "HEAD"):
        return Response(render_template("auth/reset.html", token=token), headers=NO_REFERRER)
    try:
        password_reset.complete_reset(token, request.form.get("password", ""), request.form.get("confirm", ""))
    except ValidationFailed as exc:
        html = render_template("auth/reset.html", token=token, error=exc.message, error_field=exc.field)
        return Response(html, 422, headers=NO_REFERRER)
    except password_reset.ResetProblem as problem:
        return _reset_problem(problem)
    if current_user.is_authenticated:  # this browser's own session ended with all the others
        logout_user()
    session.clear()
    flash("Your password is changed and every session of your login has ended. Log in with it.", "success")
    return redirect(url_for("auth.login"), code=303)
