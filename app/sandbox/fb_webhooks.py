"""Facebook Page ``feed`` webhooks (platforms-deep-data.md 2.3): the Page's subscription and the deliveries.

Meta sends a Page's ``feed`` changes when both subscriptions exist: the app's (``object=page``,
``fields=feed``, made through ``graph.facebook.com/{v}/{app-id}/subscriptions`` in ``ig_webhooks.py``) and
the Page's, ``POST /{v}/{page-id}/subscribed_apps?subscribed_fields=feed`` with the Page token (needs
``pages_manage_metadata``; ``GET`` reads back ``{"data": [{"id", "name", "subscribed_fields"}]}``).

Deliveries, signed ``X-Hub-Signature-256`` with the app secret, go out when the world changes through the
control API: a comment added (``item: comment, verb: add``), edited (``PATCH
/_sandbox/accounts/<id>/comments/<comment_id>`` ``{"text"}``, ``verb: edited``) or removed (``DELETE`` the
same path, ``verb: remove``), and a post deleted (``DELETE /_sandbox/accounts/<id>/posts/<post_id>``:
``item: status|photo|video, verb: remove``). Once each, best effort, as Meta (which retries) does not
promise order either.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from flask import Response, request

from . import events
from .comments import Comment
from .common import json_response, state
from .control import BadRequest, _get_account, body
from .control import bp as control_bp
from .control_comments import send_webhook
from .events import Delivery
from .ig_webhooks import page_fields
from .instagram.shared import GraphError
from .state import Token
from .world import Account, Post

MANAGE_METADATA = "pages_manage_metadata"  # as ``facebook/shared.py`` names it (no import: no cycle)


def page_subscribed_apps(page: Account, tok: Token) -> dict[str, Any]:
    """``/{page-id}/subscribed_apps`` (GET, POST, DELETE) with the Page's own token."""
    st = state()
    if tok.kind != "fb_page" or tok.account_id != page.id:
        raise GraphError("(#190) This method must be called with a Page Access Token", 190)
    subs = st.subscribed_apps.setdefault(page.id, {})
    names = {c["client_id"]: c.get("name", "Portal") for c in st.cfg["CLIENTS"].get("facebook", [])}
    if request.method == "GET":
        return {"data": [{"id": app, "name": names.get(app, app), "subscribed_fields": f} for app, f in subs.items()]}
    if MANAGE_METADATA not in tok.scopes:
        raise GraphError(f"(#200) Subscribing a Page to webhooks requires the {MANAGE_METADATA} permission", 200)
    if request.method == "DELETE":
        subs.pop(tok.client_id, None)
        st.save()
        return {"success": True}
    fields = page_fields(request.values.get("subscribed_fields"))
    if not fields:
        raise GraphError("(#100) The parameter subscribed_fields is required", 100)
    subs[tok.client_id] = fields
    st.save()
    return {"success": True}


def feed_deliveries(page: Account, value: dict[str, Any]) -> list[Delivery]:
    """(url, body, signature) for every app whose ``page`` subscription and this Page's both hold ``feed``.
    Call under the state lock; send outside it (the receiver may call the sandbox)."""
    st = state()
    out: list[Delivery] = []
    for app_id, sub in st.webhook_apps.items():
        if sub.get("object") != "page" or "feed" not in sub["fields"]:
            continue
        if "feed" not in st.subscribed_apps.get(page.id, {}).get(app_id, []):
            continue
        entry = {
            "id": page.platform_user_id,
            "time": int(st.now().timestamp()),
            "changes": [{"field": "feed", "value": value}],
        }
        raw = json.dumps({"object": "page", "entry": [entry]}, ensure_ascii=False).encode()
        out.append(
            (sub["callback_url"], raw, "sha256=" + hmac.new(sub["secret"].encode(), raw, hashlib.sha256).hexdigest())
        )
    return out


def comment_value(c: Comment, verb: str) -> dict[str, Any]:
    value: dict[str, Any] = {
        "item": "comment",
        "verb": verb,
        "comment_id": c.id,
        "post_id": c.post_id,
        "parent_id": c.parent_id or c.post_id,
        "from": {"id": c.author_id, "name": c.author_name},
        "created_time": int(c.published_at.timestamp()),
        "post": {"id": c.post_id, "status_type": "added_photos", "is_published": True},
    }
    if verb != "remove":
        value["message"] = c.text
    return value


def post_removed_value(post: Post, page: Account) -> dict[str, Any]:
    item = {"video": "video", "reel": "video", "image": "photo", "photo": "photo"}.get(post.kind, "status")
    return {
        "item": item,
        "verb": "remove",
        "post_id": post.id,
        "recipient_id": page.platform_user_id,
        "created_time": int(state().now().timestamp()),
    }


def send_all(deliveries: list[Delivery]) -> None:
    for url, raw, sig in deliveries:
        send_webhook(url, raw, sig)


VERBS = {"comment_added": "add", "comment_edited": "edited", "comment_removed": "remove"}


@events.listen
def _on_change(event: str, account: Any, subject: Any) -> list[Delivery]:
    """The Page's ``feed`` deliveries for a world change made through the control API."""
    if getattr(account, "platform", None) != "facebook":
        return []
    if event in VERBS:
        return feed_deliveries(account, comment_value(subject, VERBS[event]))
    if event == "post_deleted":
        return feed_deliveries(account, post_removed_value(subject, account))
    return []


def _comment_of(acc_id: str, comment_id: str) -> tuple[Account, Comment] | Response:
    st = state()
    acc = _get_account(acc_id)
    if isinstance(acc, Response):
        return acc
    c = st.comments.get(comment_id)
    if c is None or c.account_id != acc.id or c.deleted:
        return json_response({"error": {"code": "not_found", "message": f"no comment {comment_id!r}"}}, 404)
    return acc, c


@control_bp.patch("/accounts/<acc_id>/comments/<comment_id>")
def edit_comment(acc_id: str, comment_id: str) -> Response:
    """``{"text"}``: the commenter edits their comment (a Facebook Page's ``feed`` webhook says ``edited``)."""
    data = body()
    text = data.get("text")
    if set(data) != {"text"} or not isinstance(text, str) or not text.strip() or len(text) > 10_000:
        raise BadRequest('send {"text": "..."} (1 to 10,000 characters)')
    st = state()
    with st.lock:
        found = _comment_of(acc_id, comment_id)
        if isinstance(found, Response):
            return found
        acc, c = found
        c.text = text
        c.updated_at = st.now()
        st.save()
        hooks = events.deliveries("comment_edited", acc, c)
    send_all(hooks)
    return json_response({"id": c.id, "text": c.text, "webhooks": len(hooks)})


@control_bp.delete("/accounts/<acc_id>/comments/<comment_id>")
def remove_comment(acc_id: str, comment_id: str) -> Response:
    """The commenter (or the Page, elsewhere) removes a comment."""
    st = state()
    with st.lock:
        found = _comment_of(acc_id, comment_id)
        if isinstance(found, Response):
            return found
        acc, c = found
        c.deleted = True
        st.save()
        hooks = events.deliveries("comment_removed", acc, c)
    send_all(hooks)
    return json_response({"id": c.id, "deleted": True, "webhooks": len(hooks)})
