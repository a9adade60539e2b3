"""Facebook Page ``feed`` webhooks end to end: connecting a Page (granted ``pages_manage_metadata``)
subscribes the app (verified by the sandbox against our live receiver) and the Page; the sandbox then
delivers signed ``feed`` changes as the world changes: a comment added, edited and removed lands in the
comment inbox, a post deleted leaves our store. A bad signature and a malformed body are refused, a
change for a Page we do not hold and an unknown item are counted and ignored."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Comment, Connection
from app.models.history import ContentItem
from app.queueing import dispatch
from app.sync import page_webhooks
from tests.support.live import serve_wsgi
from tests.sync.conftest import drain, runs

VERIFY = "verify-feed-14"
HOOK = "/api/platforms/facebook/webhook"
SECRET = "sandbox-fb-secret"  # noqa: S105 - the sandbox app's secret
SCOPES = "pages_show_list,pages_read_engagement,read_insights,pages_manage_metadata"


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def _signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {
        "X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
        "Content-Type": "application/json",
    }


def _comment(conn_id: int, cid: str) -> Comment:
    db.session.expire_all()
    return db.session.execute(
        select(Comment).where(Comment.connection_id == conn_id, Comment.platform_id == cid)
    ).scalar_one()


def _posts(conn_id: int) -> set[str]:
    db.session.expire_all()
    return set(
        db.session.execute(select(ContentItem.platform_id).where(ContentItem.connection_id == conn_id)).scalars()
    )


def _connect(app: Any, link: Any) -> tuple[int, dict[str, Any]]:
    now = datetime.now(UTC).replace(microsecond=0)
    posts = [
        {"published_at": _iso(now - timedelta(days=2)), "caption": "First"},
        {"published_at": _iso(now - timedelta(days=1)), "caption": "Second"},
    ]
    return link("facebook", posts=posts)  # type: ignore[no-any-return]


def test_connect_subscribes_and_world_changes_arrive(app: Any, link: Any, world: Any) -> None:
    app.config["INSTAGRAM_WEBHOOK_VERIFY_TOKEN"] = VERIFY
    app.config["FACEBOOK_SCOPES"] = SCOPES
    with serve_wsgi(app) as url:
        app.config["PUBLIC_BASE_URL"] = url
        conn_id, account = _connect(app, link)
        drain(app)  # the initial sync and the subscription job queued by the callback
        db.session.expire_all()
        conn = db.session.get(Connection, conn_id)
        assert conn is not None
        assert conn.webhook_fields == "feed"
        subs = world._call("GET", "webhooks/subscriptions")
        assert subs["apps"]["sandbox-fb-app"] == {"callback_url": url + HOOK, "fields": ["feed"]}
        assert subs["accounts"][account["id"]] == {"sandbox-fb-app": ["feed"]}
        post_ids = [p["id"] for p in world.account(account["id"], posts=True)["posts"]]
        assert set(post_ids) == _posts(conn_id)
        # a comment added at Facebook arrives through the webhook, before any sync
        cid = world.add_comment(account["id"], "Great post! 😍", "fan_a", author_name="Ana", post_id=post_ids[0])
        row = _comment(conn_id, cid)
        assert (row.text, row.author_name, row.post_platform_id) == ("Great post! 😍", "Ana", post_ids[0])
        assert row.deleted_at_platform is None
        edited = world._call("PATCH", f"accounts/{account['id']}/comments/{cid}", json={"text": "Great post, really"})
        assert edited["webhooks"] == 1
        assert _comment(conn_id, cid).text == "Great post, really"
        world._call("DELETE", f"accounts/{account['id']}/comments/{cid}")
        assert _comment(conn_id, cid).deleted_at_platform is not None
        # a post deleted at Facebook leaves our store
        world.delete_post(account["id"], post_ids[1])
        assert _posts(conn_id) == {post_ids[0]}


def test_bad_signature_malformed_body_unknown_page_and_item(app: Any, client: Any, link: Any, world: Any) -> None:
    conn_id, account = _connect(app, link)
    drain(app)
    assert [(r.trigger, r.status, r.error_message) for r in runs(conn_id)] == [("initial", "succeeded", None)]
    post = next(iter(_posts(conn_id)))
    page = account["platform_user_id"]

    def delivery(page_id: str, *values: dict[str, Any]) -> bytes:
        changes = [{"field": "feed", "value": v} for v in values]
        return json.dumps(
            {"object": "page", "entry": [{"id": page_id, "time": 1796150000, "changes": changes}]}
        ).encode()

    add = {
        "item": "comment",
        "verb": "add",
        "comment_id": f"{post}_777",
        "post_id": post,
        "parent_id": post,
        "from": {"id": "5556667770001", "name": "Jane <b>Doe</b>"},
        "message": '=HYPERLINK("http://evil") hi',
        "created_time": 1796150000,
    }
    body = delivery(page, add)
    assert client.post(HOOK, data=body, headers=_signed(body, "wrong")).status_code == 400
    assert client.post(HOOK, data=body, headers={"Content-Type": "application/json"}).status_code == 400
    broken = b'{"object":"page","entry":[{"id":'
    resp = client.post(HOOK, data=broken, headers=_signed(broken))
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "bad_request"
    # another Page (not connected here) and items we do not act on: counted, nothing stored
    reaction = {"item": "reaction", "verb": "add", "comment_id": f"{post}_777", "post_id": post}
    ok = client.post(HOOK, data=(other := delivery("99999", add)), headers=_signed(other))
    assert ok.get_json()["unknown_pages"] == 1
    body = delivery(page, add, reaction, {"item": "status", "verb": "hide", "post_id": post})
    ok = client.post(HOOK, data=body, headers=_signed(body))
    assert ok.status_code == 200
    got = ok.get_json()
    assert (got["comments"], got["ignored"], got["posts_removed"]) == (1, 2, 0)
    row = _comment(conn_id, f"{post}_777")
    assert row.text == '=HYPERLINK("http://evil") hi'  # stored as data
    assert row.parent_id is None  # parent_id == post_id: top level
    assert client.post(HOOK, data=body, headers=_signed(body)).get_json() == {"status": "duplicate"}
    assert post in _posts(conn_id)


def test_subscription_without_scope_or_receiver_then_retried_after_a_sync(app: Any, link: Any, world: Any) -> None:
    # the default scopes have no pages_manage_metadata: nothing is asked of Meta
    conn_id, account = _connect(app, link)
    drain(app)
    assert world._call("GET", "webhooks/subscriptions")["apps"] == {}
    conn = db.session.get(Connection, conn_id)
    assert conn is not None
    assert conn.webhook_fields is None
    assert page_webhooks.subscribe_feed(conn_id) == "not_configured"
    app.config["INSTAGRAM_WEBHOOK_VERIFY_TOKEN"] = VERIFY
    assert page_webhooks.subscribe_feed(conn_id) == "no_scope"


def test_a_subscription_not_done_at_connect_is_queued_again_after_a_sync(app: Any, link: Any, world: Any) -> None:
    app.config["FACEBOOK_SCOPES"] = SCOPES
    conn_id, account = _connect(app, link)
    drain(app)  # no receiver configured yet: not subscribed
    db.session.expire_all()
    assert db.session.get(Connection, conn_id).webhook_fields is None  # type: ignore[union-attr]
    app.config["INSTAGRAM_WEBHOOK_VERIFY_TOKEN"] = VERIFY
    with serve_wsgi(app) as url:
        app.config["PUBLIC_BASE_URL"] = url
        dispatch.enqueue_sync(conn_id, "operator")
        drain(app)  # the sync, then the subscription it queued
    db.session.expire_all()
    assert db.session.get(Connection, conn_id).webhook_fields == "feed"  # type: ignore[union-attr]
    assert world._call("GET", "webhooks/subscriptions")["accounts"][account["id"]] == {"sandbox-fb-app": ["feed"]}
