"""Facebook Page ``feed`` webhook subscriptions (platforms-deep-data.md 2.3): the app's and each Page's.

Meta sends a Page's ``feed`` changes only when both exist: the app subscribed to the ``page`` object's
``feed`` field (``POST graph.facebook.com/{v}/{app-id}/subscriptions`` with the app token
``{app-id}|{secret}``; Meta checks the callback's ``hub.challenge`` first) and the Page subscribed to the
app (``POST /{v}/{page-id}/subscribed_apps?subscribed_fields=...`` with the Page token and
``pages_manage_metadata``; the list replaces the Page's fields for the app, so those there are kept).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import quote

from app.platforms.facebook import GRAPH, FacebookAdapter
from app.platforms.instagram_webhooks import data_items, field_names

#: the permission Meta wants for ``subscribed_apps`` on a Page
METADATA_SCOPE = "pages_manage_metadata"


def _app_url(adapter: FacebookAdapter) -> str:
    return f"{GRAPH}/{adapter.api_version}/{quote(adapter.client_id, safe='')}/subscriptions"


def app_subscription(adapter: FacebookAdapter) -> tuple[str | None, list[str]]:
    """(callback URL, fields) of the app's ``page`` subscription; ``(None, [])`` without one."""
    token = f"{adapter.client_id}|{adapter.client_secret}"
    body = adapter._check(adapter.http.request("GET", _app_url(adapter), access_token=token))
    for sub in data_items(body):
        if isinstance(sub, Mapping) and sub.get("object") == "page":
            callback = sub.get("callback_url")
            return (str(callback) if callback else None), field_names(sub.get("fields"))
    return None, []


def subscribe_app(adapter: FacebookAdapter, callback_url: str, verify_token: str, fields: Iterable[str]) -> None:
    """Add ``fields`` to the app's ``page`` subscription (Meta verifies ``callback_url`` first)."""
    data = {
        "object": "page",
        "callback_url": callback_url,
        "fields": ",".join(fields),
        "verify_token": verify_token,
        "include_values": "true",
    }
    token = f"{adapter.client_id}|{adapter.client_secret}"
    adapter._check(adapter.http.request("POST", _app_url(adapter), data=data, access_token=token))


def page_fields(adapter: FacebookAdapter, page_id: str, page_token: str) -> list[str]:
    """The fields this Page is subscribed to for our app (``[]`` when none)."""
    url = f"{GRAPH}/{adapter.api_version}/{quote(page_id, safe='')}/subscribed_apps"
    body = adapter._check(adapter.http.request("GET", url, access_token=page_token))
    for row in data_items(body):
        if isinstance(row, Mapping) and str(row.get("id")) == adapter.client_id:
            return field_names(row.get("subscribed_fields"))
    return []


def subscribe_page(adapter: FacebookAdapter, page_id: str, page_token: str, fields: Iterable[str]) -> list[str]:
    """Subscribe the Page to ``fields`` as well as those it has; returns what Meta reads back."""
    have = page_fields(adapter, page_id, page_token)
    wanted = list(dict.fromkeys([*have, *fields]))
    if set(wanted) != set(have):
        url = f"{GRAPH}/{adapter.api_version}/{quote(page_id, safe='')}/subscribed_apps"
        adapter._check(
            adapter.http.request("POST", url, params={"subscribed_fields": ",".join(wanted)}, access_token=page_token)
        )
        have = page_fields(adapter, page_id, page_token)
    return have
