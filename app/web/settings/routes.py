"""Personal settings: alert email preferences, the password, and the unsubscribe link from emails."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.errors import ValidationFailed
from app.services import accounts, notifications, zones
from app.web.access import login_required
from app.web.htmx import render, toast
from app.web.settings import bp


def _ctx() -> dict[str, Any]:
    return {"prefs": notifications.preferences_for(current_user), "types": notifications.ALERT_TYPE_LABELS}


@bp.route("/settings/notifications", methods=["GET", "POST"])
@login_required
def notifications_page() -> Response:
    """Choose immediate, daily digest or no alert emails, and mute single alert types."""
    if request.method in ("GET", "HEAD"):
        return render("settings/notifications.html", "form", **_ctx())
    emailed = set(request.form.getlist("emailed"))
    muted = [t for t in notifications.ALERT_TYPES if t not in emailed]
    try:
        notifications.update_preferences(current_user, request.form.get("email_mode", ""), muted)
    except ValidationFailed as exc:
        return render("settings/notifications.html", "form", status=422, error=exc.message, **_ctx())
    return render("settings/notifications.html", "form", trigger=toast("Notification settings saved."), **_ctx())


@bp.route("/settings/time-zone", methods=["GET", "POST"])
@login_required
def time_zone_page() -> Response:
    """Staff pick the time zone every time on the pages is shown in (clients use their client record's)."""
    choices = zones.time_zone_choices()
    if request.method in ("GET", "HEAD"):
        return render("settings/time_zone.html", "form", zones=choices)
    try:
        name = accounts.set_time_zone(current_user, request.form.get("time_zone"))
    except ValidationFailed as exc:
        return render("settings/time_zone.html", "form", status=422, error=exc.message, zones=choices)
    return render("settings/time_zone.html", "form", trigger=toast(f"Times are now shown in {name}."), zones=choices)


@bp.route("/settings/password", methods=["GET", "POST"])
@login_required
def password_page() -> ResponseReturnValue:
    """Change the password (current + new + confirmation); every other session ends, this one stays."""
    if request.method in ("GET", "HEAD"):
        return render("settings/password.html", "form")
    form = request.form
    try:
        ended = accounts.change_password(
            current_user,
            form.get("current", ""),
            form.get("password", ""),
            form.get("confirm", ""),
            keep_session=session.get("sid"),
            ip=request.remote_addr or "",
        )
    except accounts.LoginThrottled as exc:
        minutes = max(1, round(exc.retry_after / 60))
        resp = render(
            "settings/password.html",
            "form",
            status=429,
            error=f"Too many wrong passwords. Try again in about {minutes} minute(s).",
        )
        resp.headers["Retry-After"] = str(exc.retry_after)
        return resp
    except ValidationFailed as exc:
        return render("settings/password.html", "form", status=422, error=exc.message, error_field=exc.field)
    others = f" {ended} other session(s) ended." if ended else ""
    flash(f"Your password is changed.{others}", "success")
    return redirect(url_for("settings.password_page"), code=303)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> Response:
    """GET asks (mail scanners pre-fetch links and must not unsubscribe anyone); POST unsubscribes."""
    user = notifications.user_for_unsubscribe(token)
    headers = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
    if user is None:
        resp = render("settings/unsubscribe.html", state="invalid", status=404)
    elif request.method in ("GET", "HEAD"):
        resp = render("settings/unsubscribe.html", state="confirm", token=token, email=user.email)
    else:
        notifications.unsubscribe(user)
        resp = render("settings/unsubscribe.html", state="done", email=user.email)
    resp.headers.update(headers)
    return resp
