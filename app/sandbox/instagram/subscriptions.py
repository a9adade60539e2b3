"""``graph.instagram.com/{v}/me/subscribed_apps``: an account's webhook subscription to an app (the
app's own subscription and the deliveries are in ``app/sandbox/ig_webhooks.py``)."""

from __future__ import annotations

from typing import Any

from flask import request

from ..common import state
from ..world import Account
from .oauth import check_token, token_value
from .shared import GraphError

FIELDS = ("comments", "live_comments", "mentions", "story_insights", "messages", "message_reactions")
#: the scope each field needs on the account's token
FIELD_SCOPES = {
    "comments": "instagram_business_manage_comments",
    "live_comments": "instagram_business_manage_comments",
    "mentions": "instagram_business_manage_comments",
    "story_insights": "instagram_business_manage_insights",
    "messages": "instagram_business_manage_messages",
    "message_reactions": "instagram_business_manage_messages",
}


def parse_fields(raw: str | None) -> list[str]:
    names = [f.strip() for f in (raw or "").split(",") if f.strip()]
    for name in names:
        if name not in FIELDS:
            raise GraphError(f"(#100) Param fields[{name}] is not a valid field for object instagram", 100)
    return list(dict.fromkeys(names))


def account_subscribed_apps(acc: Account) -> dict[str, Any]:
    """``/me/subscribed_apps`` (GET, POST, DELETE) for the token's account; called by the Graph router."""
    st = state()
    tok = check_token(token_value())
    subs = st.subscribed_apps.setdefault(acc.id, {})
    if request.method == "GET":
        return {"data": [{"id": app, "subscribed_fields": fields} for app, fields in subs.items()]}
    if request.method == "DELETE":
        subs.pop(tok.client_id, None)
        st.save()
        return {"success": True}
    raw = request.values.get("subscribed_fields")
    fields = parse_fields(raw)
    if not fields:
        raise GraphError("(#100) The parameter subscribed_fields is required", 100)
    for f in fields:
        if FIELD_SCOPES[f] not in tok.scopes:
            raise GraphError(f"(#200) Subscribing to {f} requires the {FIELD_SCOPES[f]} permission", 200)
    subs[tok.client_id] = fields
    st.save()
    return {"success": True}
