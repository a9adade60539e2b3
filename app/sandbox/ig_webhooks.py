"""Instagram webhook subscriptions and the ``story_insights`` delivery (platforms-deep-data.md 1.5, 1.6).

Two subscriptions must both exist before Meta sends an account's webhooks:

* **the app's**: ``POST graph.facebook.com/{v}/{app-id}/subscriptions`` with the app access token
  ``{app-id}|{app-secret}`` and ``object=instagram``, ``callback_url``, ``fields``, ``verify_token``. Meta
  checks the callback first (a GET with ``hub.mode=subscribe``, ``hub.challenge``, ``hub.verify_token``
  that must echo the challenge) and refuses with ``#2200`` otherwise; fields add to those already there.
  ``GET`` lists them, ``DELETE`` (``fields=`` or all) removes them.
* **the account's**: ``POST graph.instagram.com/{v}/me/subscribed_apps?subscribed_fields=...`` with the
  account's user token (``{"success": true}``; the list replaces the app's fields for that account;
  ``story_insights`` needs ``instagram_business_manage_insights``, ``comments`` and ``live_comments``
  ``instagram_business_manage_comments``); ``GET`` reads back ``{"data": [{"id", "subscribed_fields"}]}``.

The control call ``POST /_sandbox/webhooks/story_insights`` plays Meta's delivery about an hour after a
story expires: each story of an Instagram account 25 h or more after publishing, not delivered before, is
sent (signed with the app secret, the legacy value shape: ``impressions`` for views, ``-1`` under 5) to the
app's callback when the app and the account are both subscribed to ``story_insights``; stories of other
accounts are reported as ``not_subscribed`` and stay undelivered.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import timedelta
from typing import Any

import requests
from flask import Response, request

from .common import json_response, state
from .control import bp as control_bp
from .instagram.oauth import token_value
from .instagram.shared import GraphError
from .instagram.shared import bp as ig_bp
from .instagram.subscriptions import parse_fields as _fields


def page_fields(raw: str | None) -> list[str]:
    """The ``page`` object's webhook fields (the sandbox knows ``feed``; Meta has many more)."""
    names = [f.strip() for f in (raw or "").split(",") if f.strip()]
    for name in names:
        if name not in PAGE_FIELDS:
            raise GraphError(f"(#100) Param fields[{name}] is not a valid field for object page", 100)
    return list(dict.fromkeys(names))


PAGE_FIELDS = ("feed", "mention", "ratings", "messages")

DELIVERY_DELAY = timedelta(hours=25)  # 24 h of life, then about an hour


def _arg(name: str) -> str | None:
    return request.values.get(name)


def _app(app_id: str) -> dict[str, Any]:
    """The Instagram app ``app_id`` when the call carries its app token, else Meta's error."""
    st = state()
    apps = {c["client_id"]: c for p in ("instagram", "facebook") for c in st.cfg["CLIENTS"].get(p, [])}
    token = token_value() or ""
    app = apps.get(app_id)
    if app is None:
        raise GraphError(f"(#803) Some of the aliases you requested do not exist: {app_id[:40]}", 803)
    if token != f"{app_id}|{app['client_secret']}":
        raise GraphError("(#15) This method must be called with an app access_token.", 15)
    return app


def _verify(callback_url: str, verify_token: str) -> None:
    challenge = str(secrets.randbelow(10**9))
    params = {"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": verify_token}
    try:
        resp = requests.get(callback_url, params=params, timeout=5)
        ok = resp.status_code == 200 and resp.text.strip() == challenge
    except requests.RequestException:
        ok = False
    if not ok:
        raise GraphError(
            "(#2200) callback verification failed: the URL did not answer the challenge with status 200", 2200
        )


@ig_bp.route("/graph.facebook.com/<version>/<app_id>/subscriptions", methods=["GET", "POST", "DELETE"])
def app_subscriptions(version: str, app_id: str) -> Response:
    st = state()
    app = _app(app_id)
    if request.method == "GET":
        with st.lock:
            sub = st.webhook_apps.get(app_id)
        data = []
        if sub:
            data.append(
                {
                    "object": sub.get("object", "instagram"),
                    "callback_url": sub["callback_url"],
                    "active": True,
                    "fields": [{"name": f, "version": version} for f in sub["fields"]],
                }
            )
        return json_response({"data": data})
    if request.method == "DELETE":
        drop = _fields(_arg("fields"))
        with st.lock:
            sub = st.webhook_apps.get(app_id)
            if sub is not None:
                sub["fields"] = [f for f in sub["fields"] if drop and f not in drop]
                if not sub["fields"]:
                    st.webhook_apps.pop(app_id)
            st.save()
        return json_response({"success": True})
    obj = _arg("object")
    if obj not in ("instagram", "page"):
        raise GraphError("(#100) Param object must be one of {instagram, page, user, permissions}", 100)
    callback_url, verify_token = _arg("callback_url") or "", _arg("verify_token") or ""
    if not callback_url.startswith(("http://", "https://")):
        raise GraphError("(#100) Param callback_url must be a valid URL", 100)
    fields = _fields(_arg("fields")) if obj == "instagram" else page_fields(_arg("fields"))
    if not fields:
        raise GraphError("(#100) The parameter fields is required", 100)
    _verify(callback_url, verify_token)  # outside the lock: the callback may call the sandbox
    with st.lock:
        old = st.webhook_apps.get(app_id, {}).get("fields", [])
        st.webhook_apps[app_id] = {
            "object": obj,
            "callback_url": callback_url,
            "fields": list(dict.fromkeys([*old, *fields])),
            "secret": app["client_secret"],
        }
        st.save()
    return json_response({"success": True})


def _count(value: int) -> int:
    return value if value >= 5 else -1


def _story_value(story: Any) -> dict[str, Any]:
    return {
        "media_id": story.id,
        "impressions": _count(story.views),
        "reach": _count(story.reach),
        "replies": _count(story.replies),
        "taps_forward": _count(story.tap_forward),
        "taps_back": _count(story.tap_back),
        "exits": _count(story.tap_exit),
    }


@control_bp.post("/webhooks/story_insights")
def deliver_story_insights() -> Response:
    """Meta's ``story_insights`` delivery for every story due (see the module docstring)."""
    st = state()
    sends: list[tuple[str, bytes, str]] = []
    delivered: list[str] = []
    skipped: list[str] = []
    with st.lock:
        now = st.now()
        for acc in st.accounts.values():
            if acc.platform != "instagram":
                continue
            due = [s for s in acc.stories if s.published_at + DELIVERY_DELAY <= now and s.id not in st.stories_sent]
            if not due:
                continue
            apps = [
                (app_id, sub)
                for app_id, sub in st.webhook_apps.items()
                if sub.get("object", "instagram") == "instagram"
                and "story_insights" in sub["fields"]
                and "story_insights" in st.subscribed_apps.get(acc.id, {}).get(app_id, [])
            ]
            if not apps:
                skipped += [s.id for s in due]
                continue
            for _app, sub in apps:
                for story in due:
                    entry = {
                        "id": acc.platform_user_id,
                        "time": int(now.timestamp()),
                        "changes": [{"field": "story_insights", "value": _story_value(story)}],
                    }
                    body = json.dumps({"object": "instagram", "entry": [entry]}).encode()
                    sig = "sha256=" + hmac.new(sub["secret"].encode(), body, hashlib.sha256).hexdigest()
                    sends.append((sub["callback_url"], body, sig))
            for story in due:
                st.stories_sent.add(story.id)
                delivered.append(story.id)
        st.save()
    answers: list[int | None] = []
    for url, body, sig in sends:  # outside the lock: the receiver may call the sandbox
        try:
            resp = requests.post(
                url, data=body, headers={"Content-Type": "application/json", "X-Hub-Signature-256": sig}, timeout=5
            )
            answers.append(resp.status_code)
        except requests.RequestException:
            answers.append(None)
    return json_response({"delivered": delivered, "not_subscribed": skipped, "answers": answers})


@control_bp.get("/webhooks/subscriptions")
def list_subscriptions() -> Response:
    """What Meta holds: the apps' subscriptions and each account's ``subscribed_apps`` (no secrets)."""
    st = state()
    with st.lock:
        apps = {k: {"callback_url": v["callback_url"], "fields": v["fields"]} for k, v in st.webhook_apps.items()}
        accounts = {k: dict(v) for k, v in st.subscribed_apps.items() if v}
    return json_response({"apps": apps, "accounts": accounts})
