"""Subscribing a connected Instagram account to ``story_insights`` (the app's subscription, verified by the
sandbox against our receiver, and the account's ``subscribed_apps``), and the sandbox delivering story
insights only to subscribed accounts, end to end with a live receiver and a real RQ worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Connection, StoryItem
from app.sync.audience import sync_stories
from app.sync.webhook_subscriptions import subscribe_story_webhooks
from tests.support.live import serve_wsgi
from tests.sync.conftest import drain

VERIFY = "verify-smalls-42"
HOOK = "/api/platforms/instagram/webhook"


def _iso(dt: datetime) -> str:
    return dt.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _fields(conn_id: int) -> str | None:
    db.session.expire_all()
    conn = db.session.get(Connection, conn_id)
    assert conn is not None
    return conn.webhook_fields


def test_connecting_subscribes_and_only_subscribed_accounts_get_story_insights(app: Any, link: Any, world: Any) -> None:
    app.config["INSTAGRAM_WEBHOOK_VERIFY_TOKEN"] = VERIFY
    with serve_wsgi(app) as url:
        app.config["PUBLIC_BASE_URL"] = url
        conn_id, account = link("instagram")
        drain(app)  # the initial sync and the subscription job queued by the callback
        assert _fields(conn_id) == "story_insights"
        subs = world._call("GET", "webhooks/subscriptions")
        assert subs["apps"] == {"sandbox-ig-app": {"callback_url": url + HOOK, "fields": ["story_insights"]}}
        assert subs["accounts"] == {account["id"]: {"sandbox-ig-app": ["story_insights"]}}
        # an Instagram account nobody connected here: never subscribed
        other = world.create_account("instagram", "ig.unlinked", 900, seed=3)
        published = datetime.now(UTC) - timedelta(hours=26)
        mine = world._call(
            "POST",
            f"accounts/{account['id']}/stories",
            json={"published_at": _iso(published), "views": 300, "reach": 250, "replies": 3},
        )["id"]
        theirs = world._call("POST", f"accounts/{other['id']}/stories", json={"published_at": _iso(published)})["id"]
        live = world._call("POST", f"accounts/{account['id']}/stories", json={"views": 80})["id"]  # not due yet
        got = world._call("POST", "webhooks/story_insights")
        assert got == {"delivered": [mine], "not_subscribed": [theirs], "answers": [200]}
        # delivered once: a second run sends nothing new
        assert world._call("POST", "webhooks/story_insights")["delivered"] == []
    db.session.expire_all()
    rows = db.session.execute(select(StoryItem)).scalars().all()
    assert [r.platform_id for r in rows] == [mine]
    [row] = rows
    assert (row.views, row.reach, row.replies) == (300, 250, None)  # 3 replies are under 5: sent as -1
    assert row.note == "webhook_only"  # expired before any story sync saw it
    assert live != mine


def test_no_receiver_no_calls_and_a_failed_check_is_retried_by_the_story_sync(app: Any, link: Any, world: Any) -> None:
    conn_id, _account = link("instagram")
    drain(app)
    assert _fields(conn_id) is None  # no INSTAGRAM_WEBHOOK_VERIFY_TOKEN: nothing subscribed
    assert world._call("GET", "webhooks/subscriptions") == {"apps": {}, "accounts": {}}
    app.config["INSTAGRAM_WEBHOOK_VERIFY_TOKEN"] = VERIFY
    with serve_wsgi(app) as url:
        # Meta's callback check fails when the callback does not answer the challenge (#2200)
        app.config["PUBLIC_BASE_URL"] = url + "/not-here"
        assert subscribe_story_webhooks(conn_id) == "failed: invalid_request"
        assert _fields(conn_id) is None
        assert world._call("GET", "webhooks/subscriptions") == {"apps": {}, "accounts": {}}
        app.config["PUBLIC_BASE_URL"] = url
        # fixed: the 4-hourly story sync subscribes what the connect did not
        assert sync_stories(conn_id) == "0 stories"
        assert _fields(conn_id) == "story_insights"
    assert world._call("GET", "webhooks/subscriptions")["apps"]["sandbox-ig-app"]["fields"] == ["story_insights"]


def test_the_account_needs_the_grant_and_a_stories_setting_off_subscribes_nothing(
    app: Any, link: Any, world: Any
) -> None:
    import requests

    from app.services import tokens

    app.config["INSTAGRAM_WEBHOOK_VERIFY_TOKEN"] = VERIFY
    conn_id, account = link("instagram")
    conn = db.session.get(Connection, conn_id)
    assert conn is not None
    token = tokens.token_set_of(conn).access_token
    # comments need the comment-management grant this connection does not have (#200)
    resp = requests.post(
        f"{world.base_url}/graph.instagram.com/v25.0/me/subscribed_apps",
        params={"subscribed_fields": "comments"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == 200
    conn.sync_settings = {"sync": {"stories": False}}  # the client turned stories off (settings page)
    db.session.commit()
    with serve_wsgi(app) as url:
        app.config["PUBLIC_BASE_URL"] = url
        assert subscribe_story_webhooks(conn_id) == "off"
        assert world._call("GET", "webhooks/subscriptions") == {"apps": {}, "accounts": {}}
        conn = db.session.get(Connection, conn_id)
        assert conn is not None
        conn.sync_settings = None
        db.session.commit()
        assert subscribe_story_webhooks(conn_id) == "subscribed: story_insights"
        assert subscribe_story_webhooks(conn_id) == "subscribed: story_insights"  # read back, nothing doubled
    assert world._call("GET", "webhooks/subscriptions")["accounts"][account["id"]] == {
        "sandbox-ig-app": ["story_insights"]
    }
