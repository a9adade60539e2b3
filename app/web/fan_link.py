"""The creator's public "link your accounts" page and each fan's private page (docs/fans.md).

Public: no login. The creator's page is reached by its unguessable token; the fan's own page by the secret
only they hold (never in a log line of ours: the page is ``no-store`` with ``no-referrer``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.errors import ServiceError
from app.services import brand, fan_links, fan_signin

bp = Blueprint("fan_link", __name__)

_PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


def _page(template: str, status: int = 200, **ctx: Any) -> Response:
    resp = make_response(render_template(template, **ctx), status)
    resp.headers.update(_PRIVATE)
    return resp


@bp.route("/link/<token>", methods=["GET", "POST"])
def link_page(token: str) -> ResponseReturnValue:
    client = fan_links.client_for_token(token)
    business = brand.current().name
    ctx: dict[str, Any] = {
        "client": client,
        "token": token,
        "platforms": fan_links.platforms_of(client),
        "consent": fan_links.consent_text(client, business),
        "error": None,
        "form": request.form,
    }
    if request.method == "POST":
        handles = {p: request.form.get(p) for p in fan_links.LINK_PLATFORMS}
        try:
            secret = fan_links.start(client, business, request.form.get("consent"), handles)
        except ServiceError as exc:
            ctx["error"] = exc.message
            return _page("fans/link.html", 400, **ctx)
        return redirect(url_for("fan_link.manage", token=token, secret=secret), 303)
    return _page("fans/link.html", **ctx)


@bp.route("/link/<token>/me/<secret>", methods=["GET", "POST"])
def manage(token: str, secret: str) -> ResponseReturnValue:
    client = fan_links.client_for_token(token)
    link = fan_links.link_for(client, secret)
    if request.method == "POST":
        if request.form.get("action") == "delete":
            fan_links.delete_link(link)
            return _page("fans/deleted.html", client=client)
        result = fan_links.check(link)
        if result.taken:
            flash("One of these accounts is already linked by someone else: it stays unlinked.", "error")
        elif result.waiting:
            flash("No comment with your code from that handle yet: post it, wait for the next sync, try again.", "info")
        elif not result.signin:
            flash("All your accounts are linked.", "success")
        if result.signin:
            flash("Sign in with X below to link your X account: X replies are not read here.", "info")
        return redirect(url_for("fan_link.manage", token=token, secret=secret), 303)
    return _page(
        "fans/manage.html",
        client=client,
        link=link,
        identities=fan_links.identities(link),
        code_days=fan_links.CODE_DAYS,
        signins=fan_signin.offered(),
        signin_only=fan_links.SIGNIN_ONLY,
    )


@bp.post("/link/<token>/me/<secret>/signin/<platform>")
def signin(token: str, secret: str, platform: str) -> ResponseReturnValue:
    """Start verifying one claimed account by signing in with the platform (Google for YouTube)."""
    client = fan_links.client_for_token(token)
    link = fan_links.link_for(client, secret)
    started = fan_signin.start(link, token, secret, platform)
    resp = redirect(started.url, 303)
    resp.headers.update(_PRIVATE)
    resp.set_cookie(
        fan_signin.COOKIE,
        started.browser,
        max_age=fan_signin.STATE_SECONDS,
        path="/link/signin/",
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
    )
    return resp


@bp.get("/link/signin/callback/<platform>")
def signin_callback(platform: str) -> ResponseReturnValue:
    """The platform's answer: verify the claimed account as the signed-in one, back to the fan's page."""
    outcome = fan_signin.complete(platform, request.args, request.cookies.get(fan_signin.COOKIE))
    name = fan_signin.SIGNIN_PLATFORMS.get(platform, (platform, ""))[0]
    messages = {
        "linked": ("success", f"Signed in with {name}: that account is linked."),
        "denied": ("info", f"You cancelled the {name} sign-in: nothing was linked."),
        "taken": ("error", "That account is already linked by someone else: it stays unlinked."),
    }
    category, text = messages.get(outcome.kind, ("error", outcome.message))
    flash(text, category)
    resp = redirect(url_for("fan_link.manage", token=outcome.token, secret=outcome.secret), 303)
    resp.headers.update(_PRIVATE)
    resp.delete_cookie(fan_signin.COOKIE, path="/link/signin/")
    return resp
