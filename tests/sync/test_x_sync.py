"""X through the real sync: the initial sync (posts backfilled, no follower history to backfill), the
daily sync's calls and post reads, token rotation stored ahead of expiry, the monthly post-read budget
deferring to the cycle's reset and saying so, a suspended account, a grant revoked between syncs (broken
and the client notified), and hostile post text stored as data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Alert, Connection
from app.models.base import utcnow
from app.models.history import ContentItem, ContentMetricSnapshot, DailySnapshot
from app.platforms.x import next_cycle_start
from app.queueing import dispatch
from app.redis_conn import get_redis
from app.services.tokens import token_set_of
from app.sync.budgets import current_limits
from tests.support.sandbox import SandboxError
from tests.sync.conftest import counts, drain, run_scheduled, runs


def _sync(app: Any, conn_id: int, trigger: str = "daily") -> Any:
    dispatch.enqueue_sync(conn_id, trigger)
    drain(app)
    return runs(conn_id)[-1]


def test_initial_and_daily_sync(app: Any, link: Any, world: Any) -> None:
    conn_id, account = link("x", post_every_days=1, history_days=60)
    world.clear_calls()
    drain(app)  # the connect queued the initial sync
    (run,) = runs(conn_id)
    assert run.trigger == "initial"
    assert run.status == "succeeded", run.error_message
    truth = world.account(account["id"], posts=True)
    assert counts(conn_id)["items"] == len(truth["posts"])
    assert run.details["backfilled_posts"] == len(truth["posts"])
    assert run.details["backfilled_days"] == 0  # X has no follower history: it starts today
    snap = db.session.execute(select(DailySnapshot).where(DailySnapshot.connection_id == conn_id)).scalar_one()
    assert snap.followers == 5_321
    newest = (
        db.session.execute(
            select(ContentItem).where(ContentItem.connection_id == conn_id).order_by(ContentItem.published_at.desc())
        )
        .scalars()
        .first()
    )
    assert newest is not None
    assert newest.kind == "post"
    assert newest.platform_id == truth["posts"][0]["id"]
    assert newest.likes == truth["posts"][0]["like_count"]
    paths = [c["path"] for c in world.calls("x")]
    assert paths[0].endswith("/2/users/me")
    assert sum(p.endswith("/tweets") for p in paths) == 1  # 60 posts: one page of 100
    assert run.quota_units == len(truth["posts"])  # post reads, settled to what X returned
    (limit,) = current_limits(app.config, get_redis(), "x", utcnow())
    assert limit.name == "monthly_post_reads"
    assert limit.spent == world.x_usage()["post_reads"] == len(truth["posts"])  # our gate agrees with X
    assert limit.resets_at == next_cycle_start(utcnow(), 1)
    # a day later: users/me, the timeline since the last sync, and a lookup of the posts due
    world.advance_days(1)
    conn = db.session.get(Connection, conn_id)
    conn.access_expires_at = utcnow()  # a day later the 2-hour token has expired: refreshed ahead
    db.session.commit()
    world.clear_calls()
    run = _sync(app, conn_id)
    assert run.status == "succeeded", run.error_message
    paths = [c["path"] for c in world.calls("x")]
    assert paths[:2] == ["/api.x.com/2/oauth2/token", "/api.x.com/2/users/me"]
    assert paths[2].endswith("/tweets")
    assert set(paths[3:]) <= {"/api.x.com/2/tweets"}  # the lookup of posts due for fresh numbers
    assert len(paths) <= 4, paths
    assert run.quota_units < 100


def test_refresh_ahead_of_expiry_stores_the_rotated_token(app: Any, link: Any, world: Any) -> None:
    conn_id, account = link("x")
    conn = db.session.get(Connection, conn_id)
    old = token_set_of(conn)
    conn.access_expires_at = utcnow() + timedelta(minutes=1)
    db.session.commit()
    run = _sync(app, conn_id, "initial")
    assert run.status == "succeeded", run.error_message
    db.session.expire_all()
    new = token_set_of(db.session.get(Connection, conn_id))
    assert new.refresh_token != old.refresh_token
    assert new.access_token != old.access_token
    statuses = {t["value"]: t["status"] for t in world.tokens(account["id"])}
    assert statuses[old.refresh_token] == "invalid"  # single use: rotated away
    assert statuses[new.refresh_token] == "ok"


def test_monthly_budget_defers_to_the_cycle_reset_and_says_so(
    make_app: Any, sandbox_url: str, world: Any, client: Any, creator: Any
) -> None:
    from tests.support.connect import connect, portal_app
    from tests.sync.conftest import FAST

    app = portal_app(make_app, sandbox_url, **FAST, SYNC_X_MONTHLY_POST_READS=50)
    with app.app_context():
        test_client = app.test_client()
        test_client.login("creator@example.com")
        account = world.create_account("x", "x.creator", 5_321, seed=11)
        assert connect(test_client, world, "x", account["id"]).status_code == 303
        conn = db.session.execute(select(Connection)).scalar_one()
        world.clear_calls()
        run = _sync(app, conn.id, "initial")
        assert run.status == "deferred"
        assert run.error_class == "quota_exceeded"
        assert run.deferred_until >= next_cycle_start(utcnow(), 1)
        assert not any(c["path"].endswith("/tweets") for c in world.calls("x"))  # the read was not made
        conn = db.session.get(Connection, conn.id)
        assert conn.status == "connected"
        assert "X's monthly read limit is used up" in conn.last_error
        assert run_scheduled(app) >= 1


def test_x_cap_reached_at_the_platform_defers(app: Any, link: Any, world: Any) -> None:
    conn_id, _ = link("x")
    world.x_usage(post_reads=3_000_000)
    run = _sync(app, conn_id, "initial")
    assert run.status == "deferred"
    assert run.deferred_until >= next_cycle_start(utcnow(), 1)
    assert "resets on" in db.session.get(Connection, conn_id).last_error


def test_suspended_account_is_broken_and_the_client_told(app: Any, link: Any, world: Any) -> None:
    conn_id, account = link("x")
    _sync(app, conn_id, "initial")
    world.x_state(account["id"], suspended=True)
    run = _sync(app, conn_id)
    assert run.status == "failed"
    assert run.error_class == "account_suspended"
    conn = db.session.get(Connection, conn_id)
    assert conn.status == "revoked"
    assert "suspended" in conn.last_error
    assert conn.access_token_enc is None
    assert "CONNECTION_LOST" in [a.type for a in db.session.execute(select(Alert)).scalars()]
    assert run_scheduled(app) == 0


def test_grant_revoked_between_syncs_is_broken_and_the_client_told(app: Any, link: Any, world: Any) -> None:
    conn_id, account = link("x")
    _sync(app, conn_id, "initial")
    before = counts(conn_id)
    world.revoke(account["id"])  # the user removed the app at x.com between two syncs
    run = _sync(app, conn_id)
    assert run.status == "failed"
    conn = db.session.get(Connection, conn_id)
    assert conn.status == "revoked"
    assert conn.access_token_enc is None
    assert "Reconnect" in conn.last_error
    assert "CONNECTION_LOST" in [a.type for a in db.session.execute(select(Alert)).scalars()]
    assert counts(conn_id)["items"] == before["items"]  # the history is kept


def test_protected_account_syncs_and_hostile_text_is_data(app: Any, link: Any, world: Any) -> None:
    hostile = '<script>alert("x")</script> {{ 7*7 }} \u202e #ok'
    conn_id, account = link(
        "x",
        display_name='"><img src=x onerror=alert(1)>',
        posts=[{"published_at": (utcnow() - timedelta(hours=1)).isoformat(), "caption": hostile, "like_count": 4}],
    )
    world.x_state(account["id"], protected=True)
    run = _sync(app, conn_id, "initial")
    assert run.status == "succeeded", run.error_message
    (item,) = db.session.execute(select(ContentItem).where(ContentItem.connection_id == conn_id)).scalars()
    assert item.caption == hostile
    conn = db.session.get(Connection, conn_id)
    assert conn.display_name == '"><img src=x onerror=alert(1)>'


def test_a_post_deleted_at_x_is_deleted_here_at_the_next_sync(app: Any, link: Any, world: Any) -> None:
    """X's terms: content removed at X leaves our store within 24 h. The daily lookup of the posts due
    names the deleted one (``resource-not-found``); the sync deletes it with its numbers, keeps the rest."""
    conn_id, account = link("x", post_every_days=1, history_days=10)
    drain(app)
    truth = world.account(account["id"], posts=True)["posts"]
    before = counts(conn_id)["items"]
    assert before == len(truth)
    victim, kept = truth[1]["id"], truth[2]["id"]  # recent posts: both due for fresh numbers tomorrow
    victim_row = db.session.execute(
        select(ContentItem.id).where(ContentItem.connection_id == conn_id, ContentItem.platform_id == victim)
    ).scalar_one()
    world.delete_post(account["id"], victim)
    with pytest.raises(SandboxError):  # the sandbox knows it is gone
        world.delete_post(account["id"], victim)
    world.advance_days(1)
    # the app's clock stays put: yesterday's snapshots make the recent posts due for fresh numbers today
    mine = select(ContentItem.id).where(ContentItem.connection_id == conn_id)
    for snap in db.session.execute(
        select(ContentMetricSnapshot).where(ContentMetricSnapshot.content_item_id.in_(mine))
    ).scalars():
        snap.day -= timedelta(days=1)
    db.session.commit()
    world.clear_calls()
    run = _sync(app, conn_id)
    assert run.status == "succeeded", run.error_message
    assert any(c["path"].endswith("/2/tweets") for c in world.calls("x"))  # the lookup that names it gone
    assert run.details["removed_posts"] == 1
    ids = set(db.session.execute(select(ContentItem.platform_id).where(ContentItem.connection_id == conn_id)).scalars())
    assert victim not in ids
    assert kept in ids
    assert len(ids) >= before - 1  # nothing else went (new posts may have come)
    left = db.session.execute(
        select(ContentMetricSnapshot).where(ContentMetricSnapshot.content_item_id == victim_row)
    ).all()
    assert left == []  # its numbers went with it
