"""Delete with history, for connections that HAVE synced history: an X account and a LinkedIn Company
Page, each connected through the real OAuth round trip and synced by a real RQ worker against the
sandbox, next to another client's connection of the same platform. "Disconnect and delete the
history" removes every row of the deleted connection (snapshots, posts and their metric snapshots,
daily insights, audience, sync runs, raw answers, the portfolio's prepared state) and its followers
from the portfolio's daily totals, and leaves the other client's history exactly as it was."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import Client, Connection, User
from app.models.audience import AudienceSnapshot
from app.models.history import (
    AccountInsight,
    ContentItem,
    ContentMetricSnapshot,
    DailySnapshot,
    PortfolioConnectionState,
    PortfolioDailyTotal,
)
from app.models.sync import RawResponse, SyncRun
from tests.support.connect import connect, portal_app, query
from tests.support.sandbox import SandboxControl
from tests.sync.conftest import FAST, drain, runs

PER_CONNECTION = (DailySnapshot, ContentItem, AccountInsight, AudienceSnapshot, SyncRun, RawResponse)


@pytest.fixture
def app(make_app: Any, sandbox_url: str, world: SandboxControl) -> Iterator[Flask]:
    app = portal_app(make_app, sandbox_url, LINKEDIN_ORGANIZATIONS=True, SYNC_KEEP_RAW=True, **FAST)
    with app.app_context():
        yield app


def _history(conn_id: int) -> dict[str, int]:
    """Rows of each history table that belong to the connection."""
    db.session.expire_all()

    def n(stmt: Any) -> int:
        return int(db.session.execute(stmt).scalar_one())

    out = {
        m.__tablename__: n(select(func.count()).select_from(m).where(m.connection_id == conn_id))
        for m in PER_CONNECTION
    }
    out["content_metric_snapshots"] = n(
        select(func.count())
        .select_from(ContentMetricSnapshot)
        .join(ContentItem)
        .where(ContentItem.connection_id == conn_id)
    )
    out["portfolio_connection_state"] = n(
        select(func.count())
        .select_from(PortfolioConnectionState)
        .where(PortfolioConnectionState.connection_id == conn_id)
    )
    return out


def _daily_total(platform: str) -> int:
    """Today's portfolio daily total of the platform (trigger-kept), summed over its slots."""
    day = db.session.execute(select(func.max(DailySnapshot.day))).scalar_one()
    stmt = select(func.coalesce(func.sum(PortfolioDailyTotal.followers), 0)).where(
        PortfolioDailyTotal.day == day, PortfolioDailyTotal.platform == platform
    )
    return int(db.session.execute(stmt).scalar_one())


def _other_client(app: Flask, factory: Any) -> Any:
    """Another client of the same coach, signed in in a browser of their own."""
    coach_user = db.session.execute(select(User).where(User.email == "coach@example.com")).scalar_one()
    factory.client(coach=coach_user, email="other@example.com", name="Otto Other")
    browser = app.test_client()
    browser.login("other@example.com")
    return browser


def _connection_of(email: str, platform: str) -> int:
    db.session.expire_all()
    stmt = (
        select(Connection.id)
        .join(Client, Client.id == Connection.client_id)
        .join(User, User.id == Client.user_id)
        .where(User.email == email, Connection.platform == platform)
    )
    return int(db.session.execute(stmt).scalar_one())


def _delete_and_check(client: Any, app: Flask, mine: int, theirs: int, platform: str, their_followers: int) -> None:
    drain(app)
    for conn_id in (mine, theirs):
        assert runs(conn_id)[-1].status == "succeeded", (conn_id, runs(conn_id)[-1].error_message)
    before_mine, before_theirs = _history(mine), _history(theirs)
    for table in ("daily_snapshots", "content_items", "content_metric_snapshots", "sync_runs", "raw_responses"):
        assert before_mine[table] > 0, table  # there is history to delete
        assert before_theirs[table] > 0, table
    mine_followers = db.session.get(Connection, mine).profile_stats["followers"]
    assert _daily_total(platform) == mine_followers + their_followers

    resp = client.post(f"/portal/settings/connections/{mine}/disconnect", data={"history": "delete"})
    assert resp.status_code == 303
    assert db.session.get(Connection, mine) is None
    assert _history(mine) == dict.fromkeys(before_mine, 0)
    assert _history(theirs) == before_theirs  # the other client's history is untouched
    assert _daily_total(platform) == their_followers  # the deleted followers left the portfolio totals
    assert db.session.get(Connection, theirs).status == "connected"

    # the coach's portfolio and leaderboard no longer count the deleted history
    client.logout()
    client.login("coach@example.com")
    pf = client.get(f"/api/admin/social/portfolio?platform={platform}").get_json()
    assert (pf["total_followers"], pf["platform_totals"]) == (their_followers, {platform: their_followers})
    board = client.get(f"/api/admin/social/leaderboard?platform={platform}").get_json()["items"]
    followers = {r["name"]: r["followers"] for r in board}
    assert followers.get("Otto Other") == their_followers
    assert followers.get("Cara Creator") is None


def test_deleting_a_synced_x_account_deletes_its_history_only(
    app: Any, client: Any, creator: Any, world: SandboxControl, factory: Any
) -> None:
    mine = world.create_account("x", "x.creator", 5_321, seed=11, post_every_days=2, history_days=60)
    theirs = world.create_account("x", "x.other", 7_700, seed=12, post_every_days=3, history_days=60)
    client.login("creator@example.com")
    assert connect(client, world, "x", mine["id"]).status_code == 303
    other = _other_client(app, factory)
    assert connect(other, world, "x", theirs["id"]).status_code == 303
    _delete_and_check(
        client, app, _connection_of("creator@example.com", "x"), _connection_of("other@example.com", "x"), "x", 7_700
    )
    # the deleted connection's grant was revoked at X (its refresh token ends it); the other's still works
    granted = {
        a["id"]: {t["status"] for t in world.tokens(a["id"]) if t["kind"] != "authorization_code"}
        for a in (mine, theirs)
    }
    assert granted[mine["id"]] == {"revoked"}
    assert "ok" in granted[theirs["id"]]
    assert "revoked" not in granted[theirs["id"]]


def _page(browser: Any, world: SandboxControl, username: str, org: str, seed: int) -> None:
    """A member administering one Company Page (a third of the member's 4,200 followers) connects it."""
    acc = world.create_account("linkedin", username, 4_200, seed=seed, post_every_days=3, daily_changes=[3] * 120)
    world.linkedin_organizations(acc["id"], [{"name": f"Page {org}", "id": org}])
    picker = connect(browser, world, "linkedin", acc["id"]).headers["Location"]
    assert picker.startswith("/portal/settings/connections/linkedin/pages?pick="), picker
    chosen = browser.post(
        picker.split("?")[0], data={"pick": query(picker)["pick"], "page": f"urn:li:organization:{org}"}
    )
    assert chosen.status_code == 303


def test_deleting_a_synced_linkedin_page_deletes_its_history_only(
    app: Any, client: Any, creator: Any, world: SandboxControl, factory: Any
) -> None:
    client.login("creator@example.com")
    _page(client, world, "li.admin", "555001", 21)
    other = _other_client(app, factory)
    _page(other, world, "li.other", "555002", 22)
    mine, theirs = _connection_of("creator@example.com", "linkedin"), _connection_of("other@example.com", "linkedin")
    assert db.session.get(Connection, mine).account_type == "organization"
    _delete_and_check(client, app, mine, theirs, "linkedin", 1_400)
