"""Helpers shared by the platform blueprints: state access, JSON responses, hosts, consent page."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from flask import Response, current_app, render_template_string, request

from .state import SandboxState

HOSTS: dict[str, str] = {
    "graph.instagram.com": "instagram",
    "api.instagram.com": "instagram",
    "www.instagram.com": "instagram",
    "graph.facebook.com": "facebook",
    "www.facebook.com": "facebook",
    "open.tiktokapis.com": "tiktok",
    "www.tiktok.com": "tiktok",
    "business-api.tiktok.com": "tiktok",  # the API for Business (``tiktok/business.py``)
    "www.googleapis.com": "youtube",
    "youtube.googleapis.com": "youtube",
    "oauth2.googleapis.com": "youtube",
    "accounts.google.com": "youtube",
    "youtubeanalytics.googleapis.com": "youtube",
    "api.x.com": "x",
    "api.twitter.com": "x",
    "x.com": "x",
    "twitter.com": "x",
    "www.linkedin.com": "linkedin",
    "api.linkedin.com": "linkedin",
}
CONSENT_PATHS = (
    "/www.instagram.com/oauth/authorize",
    "/api.instagram.com/oauth/authorize",
    "/www.tiktok.com/v2/auth/authorize",
    "/www.facebook.com/dialog/oauth",
    "/accounts.google.com/o/oauth2/v2/auth",
    "/accounts.google.com/o/oauth2/auth",
    "/x.com/i/oauth2/authorize",
    "/twitter.com/i/oauth2/authorize",
    "/www.linkedin.com/oauth/v2/authorization",
)
OAUTH_PATHS = (
    "/api.instagram.com/oauth/access_token",
    "/graph.instagram.com/access_token",
    "/graph.instagram.com/refresh_access_token",
    "/open.tiktokapis.com/v2/oauth/",
    "/business-api.tiktok.com/open_api/v1.3/tt_user/oauth2/",
    "/graph.facebook.com/oauth/access_token",
    "/oauth2.googleapis.com/",
    "/api.x.com/2/oauth2/",
    "/api.twitter.com/2/oauth2/",
    "/api.x.com/oauth2/",  # the app-only token (client credentials)
    "/api.twitter.com/oauth2/",
    "/www.linkedin.com/oauth/v2/",
)


def state() -> SandboxState:
    st: SandboxState = current_app.extensions["sandbox"]
    return st


def cfg(key: str) -> Any:
    return state().cfg[key]


def host_of(path: str) -> str:
    return path.lstrip("/").split("/", 1)[0]


def platform_of(path: str) -> str | None:
    return HOSTS.get(host_of(path))


_FB_VERSION = re.compile(r"^/(www|graph)\.facebook\.com/v\d+\.\d+/")


def is_consent(path: str) -> bool:
    path = _FB_VERSION.sub(r"/\1.facebook.com/", path)  # Facebook's dialog and token paths carry a version
    return any(path.rstrip("/") == p for p in CONSENT_PATHS)


def is_oauth(path: str) -> bool:
    path = _FB_VERSION.sub(r"/\1.facebook.com/", path)
    return any(path.startswith(p) for p in OAUTH_PATHS)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    resp = Response(body, status=status, mimetype="application/json")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def control_error(status: int, code: str, message: str) -> Response:
    return json_response({"error": {"code": code, "message": message}}, status)


CONSENT_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} - sandbox consent</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}
fieldset{margin:1rem 0}label{display:block;margin:.3rem 0}.note{color:#666;font-size:.9em}</style></head>
<body>
<h1>{{ title }}</h1>
<p><strong>{{ client_name }}</strong> wants to access your account (sandbox).</p>
<form method="post" action="">
  <fieldset><legend>Choose an account</legend>
  {% for acc in accounts %}
    <label><input type="radio" name="account_id" value="{{ acc.id }}" {% if loop.first %}checked{% endif %}>
      @{{ acc.username }} ({{ acc.display_name }})
      {% if acc.note %}<span class="note">{{ acc.note }}</span>{% endif %}
    </label>
  {% else %}
    <p>No sandbox accounts exist for this platform yet (create one with POST /_sandbox/accounts).</p>
  {% endfor %}
  </fieldset>
  {% if scopes %}
  <fieldset><legend>Permissions</legend>
    {% if granular %}<input type="hidden" name="granular" value="1">{% endif %}
    {% for s in scopes %}
      {% if granular %}<label><input type="checkbox" name="scope" value="{{ s }}" checked> {{ s }}</label>
      {% else %}<label>{{ s }}</label>{% endif %}
    {% endfor %}
  </fieldset>
  {% endif %}
  <button type="submit" name="decision" value="approve">Allow</button>
  <button type="submit" name="decision" value="deny">Cancel</button>
</form>
</body></html>
"""

ERROR_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><h1>{{ title }}</h1><p>{{ message }}</p></body></html>
"""


def consent_page(
    title: str, client_name: str, accounts: list[dict[str, Any]], scopes: list[str], granular: bool = False
) -> Response:
    html = render_template_string(
        CONSENT_TEMPLATE,
        title=title,
        client_name=client_name,
        accounts=accounts,
        scopes=scopes,
        granular=granular,
    )
    return Response(html, mimetype="text/html")


def error_page(title: str, message: str, status: int = 400) -> Response:
    return Response(
        render_template_string(ERROR_TEMPLATE, title=title, message=message),
        status=status,
        mimetype="text/html",
    )


def pkce_ok(challenge: str | None, method: str | None, verifier: str | None) -> bool:
    """True when no challenge was sent, or the verifier matches it (S256 or plain)."""
    import base64
    import hashlib

    if not challenge:
        return True
    if not verifier:
        return False
    if (method or "plain").upper() == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=") == challenge
    return verifier == challenge


def redirect_to(url: str) -> Response:
    """A 302 to ``url`` (kept verbatim: Instagram appends ``#_``)."""
    resp = Response("", status=302)
    resp.headers["Location"] = url
    return resp


def redirect_with(uri: str, params: Mapping[str, str], fragment: str = "") -> Response:
    """Back to the app's ``redirect_uri`` with ``params`` added to its query (and Meta's fragment)."""
    return redirect_to(uri + ("&" if "?" in uri else "?") + urlencode(params) + fragment)


def consent_choice(
    platform: str, redirect_uri: str, denial: Mapping[str, str], error_title: str, fragment: str = ""
) -> Any:
    """The consent form's answer, the same on every platform: "deny" goes back to the app with the
    platform's own ``denial`` parameters, a malformed form or an account of another platform gets the
    platform's error page (``error_title``); otherwise the chosen :class:`~app.sandbox.world.Account`.
    Callers return a :class:`~flask.Response` as it is."""
    decision = request.form.get("decision")
    if decision == "deny":
        return redirect_with(redirect_uri, denial, fragment)
    if decision != "approve":
        return error_page(error_title, "decision must be approve or deny")
    acc = state().accounts.get(request.form.get("account_id", ""))
    if acc is None or acc.platform != platform:
        return error_page(error_title, "Unknown account_id")
    return acc
