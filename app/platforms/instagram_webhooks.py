"""Instagram webhook subscriptions (platforms-deep-data.md 1.5): the app's and each account's.

Meta sends an account's webhooks only when both exist: the app subscribed to the ``instagram`` object's
fields (``POST graph.facebook.com/{v}/{app-id}/subscriptions`` with the app token ``{app-id}|{secret}``;
Meta checks the callback URL's ``hub.challenge`` first) and the account subscribed to the app
(``POST graph.instagram.com/{v}/me/subscribed_apps?subscribed_fields=...`` with the account's token,
which replaces that account's list, so the fields already there are read first and kept).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.platforms.instagram import GRAPH, InstagramAdapter

FACEBOOK_GRAPH = "https://graph.facebook.com"


def field_names(raw: Any) -> list[str]:
    """The subscribed field names Meta lists (names or ``{"name": ...}`` objects), cut to 40 characters."""
    if not isinstance(raw, list):
        return []
    out = []
    for f in raw:
        name = f.get("name") if isinstance(f, Mapping) else f
        if isinstance(name, str) and name:
            out.append(name[:40])
    return out


def data_items(body: Any) -> list[Any]:
    """A Graph answer's ``data`` list (empty when it is missing or not a list)."""
    data = body.get("data") if isinstance(body, Mapping) else None
    return data if isinstance(data, list) else []


def app_subscription(adapter: InstagramAdapter) -> tuple[str | None, list[str]]:
    """(callback URL, fields) of the app's ``instagram`` subscription; ``(None, [])`` without one."""
    url = f"{FACEBOOK_GRAPH}/{adapter.api_version}/{adapter.client_id}/subscriptions"
    app_token = f"{adapter.client_id}|{adapter.client_secret}"
    body = adapter._check(adapter.http.request("GET", url, access_token=app_token))
    for sub in data_items(body):
        if isinstance(sub, Mapping) and sub.get("object") == "instagram":
            callback = sub.get("callback_url")
            return (str(callback) if callback else None), field_names(sub.get("fields"))
    return None, []


def subscribe_app(adapter: InstagramAdapter, callback_url: str, verify_token: str, fields: Iterable[str]) -> None:
    """Add ``fields`` to the app's ``instagram`` subscription (Meta verifies ``callback_url`` first).

    :raises PlatformError: as classified (``#2200``: the callback did not answer the challenge).
    """
    url = f"{FACEBOOK_GRAPH}/{adapter.api_version}/{adapter.client_id}/subscriptions"
    data = {
        "object": "instagram",
        "callback_url": callback_url,
        "fields": ",".join(fields),
        "verify_token": verify_token,
        "include_values": "true",
    }
    app_token = f"{adapter.client_id}|{adapter.client_secret}"
    adapter._check(adapter.http.request("POST", url, data=data, access_token=app_token))


def account_fields(adapter: InstagramAdapter, access_token: str) -> list[str]:
    """The fields this account is subscribed to for our app (``[]`` when none)."""
    url = f"{GRAPH}/{adapter.api_version}/me/subscribed_apps"
    body = adapter._check(adapter.http.request("GET", url, access_token=access_token))
    for row in data_items(body):
        if isinstance(row, Mapping) and str(row.get("id")) == adapter.client_id:
            return field_names(row.get("subscribed_fields"))
    return []


def subscribe_account(adapter: InstagramAdapter, access_token: str, fields: Iterable[str]) -> list[str]:
    """Subscribe the token's account to ``fields`` as well as those it has; returns what Meta reads back."""
    have = account_fields(adapter, access_token)
    wanted = list(dict.fromkeys([*have, *fields]))
    if set(wanted) != set(have):
        url = f"{GRAPH}/{adapter.api_version}/me/subscribed_apps"
        adapter._check(
            adapter.http.request("POST", url, params={"subscribed_fields": ",".join(wanted)}, access_token=access_token)
        )
        have = account_fields(adapter, access_token)
    return have
