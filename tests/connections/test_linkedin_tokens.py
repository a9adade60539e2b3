"""LinkedIn grants: refreshed a week before the 60 days end, the 365-day refresh end never moves, a
revoked grant is marked and the client told once, the grant's end is warned about."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.jobs.connections import refresh_connection, refresh_expiring_tokens
from app.models import Connection, OutboxEmail
from app.models.base import utcnow
from app.services import tokens as svc
from tests.support.connect import connect


def only_connection() -> Connection:
    db.session.expire_all()
    [conn] = db.session.execute(select(Connection)).scalars().all()
    return conn


def _linked(client: Any, sandbox: Any, accounts: Any) -> Connection:
    client.login("creator@example.com")
    assert connect(client, sandbox, "linkedin", accounts["linkedin"]["id"]).status_code == 303
    sandbox.clear_calls()
    return only_connection()


def test_refresh_schedule() -> None:
    now = utcnow()

    def conn(**kw: Any) -> Connection:
        return Connection(platform="linkedin", connected_at=now - timedelta(days=55), **kw)

    assert svc.refresh_due(
        conn(access_expires_at=now + timedelta(days=6), refresh_expires_at=now + timedelta(days=300)), now
    )
    assert not svc.refresh_due(
        conn(access_expires_at=now + timedelta(days=20), refresh_expires_at=now + timedelta(days=300)), now
    )
    # no refresh token (an app not approved for refresh) or past its 365 days: nothing to refresh with
    assert not svc.refresh_due(conn(access_expires_at=now + timedelta(days=6)), now)
    assert not svc.refresh_due(
        conn(access_expires_at=now + timedelta(days=6), refresh_expires_at=now - timedelta(days=1)), now
    )


def test_refresh_keeps_the_refresh_token_and_its_end(app, client, creator, sandbox, accounts) -> None:
    conn = _linked(client, sandbox, accounts)
    before = svc.token_set_of(conn)
    end = conn.refresh_expires_at
    assert end is not None
    assert conn.access_expires_at is not None
    assert abs((conn.access_expires_at - utcnow()) - timedelta(days=60)) < timedelta(minutes=2)
    assert svc.refresh_tokens(conn.id, force=True).outcome == "refreshed"
    after = only_connection()
    tokens = svc.token_set_of(after)
    assert tokens.refresh_token == before.refresh_token
    assert tokens.access_token != before.access_token
    assert after.refresh_expires_at is not None
    assert abs(after.refresh_expires_at - end) < timedelta(minutes=2)  # 365 days from the first grant


def test_revoked_grant_is_marked_and_the_client_told_once(app, client, creator, sandbox, accounts) -> None:
    conn = _linked(client, sandbox, accounts)
    sandbox.revoke(accounts["linkedin"]["id"])
    conn.access_expires_at = utcnow() + timedelta(days=3)
    db.session.commit()
    assert refresh_connection(conn.id) == "revoked"
    conn = only_connection()
    assert conn.status == "revoked"
    assert conn.access_token_enc is None
    assert conn.refresh_token_enc is None
    assert [m.kind for m in db.session.execute(select(OutboxEmail)).scalars()] == ["connection_revoked"]
    assert refresh_connection(conn.id) == "skipped"
    page = client.get("/portal/settings/connections").get_data(as_text=True)
    assert "Reconnect" in page


def test_the_end_of_the_365_days_is_warned_about(app, client, creator, sandbox, accounts) -> None:
    conn = _linked(client, sandbox, accounts)
    conn.refresh_expires_at = utcnow() + timedelta(days=5)
    db.session.commit()
    assert refresh_expiring_tokens()["warned"] == 1
    assert only_connection().status == "expiring"
    assert [m.kind for m in db.session.execute(select(OutboxEmail)).scalars()] == ["token_expiring"]


def test_disconnect_revokes_at_linkedin_and_delete_removes_the_history(app, client, creator, sandbox, accounts) -> None:
    """LinkedIn's deletion duty: the member's grant ends at LinkedIn, and with "delete" every row goes."""
    from sqlalchemy import func

    from app.models.history import DailySnapshot

    conn = _linked(client, sandbox, accounts)
    from app.sync import engine

    assert engine.sync(conn.id, "operator").status in ("succeeded", "partial")
    assert db.session.execute(select(func.count()).select_from(DailySnapshot)).scalar() >= 1
    sandbox.clear_calls()
    resp = client.post(f"/portal/settings/connections/{conn.id}/disconnect", data={"history": "delete"})
    assert resp.status_code == 303
    assert [c["path"] for c in sandbox.calls() if "revoke" in c["path"]] == ["/www.linkedin.com/oauth/v2/revoke"]
    assert all(
        t["status"] == "revoked"
        for t in sandbox.tokens(accounts["linkedin"]["id"])
        if t["kind"] != "authorization_code"
    )
    db.session.expire_all()
    assert db.session.execute(select(Connection)).scalars().all() == []
    assert db.session.execute(select(func.count()).select_from(DailySnapshot)).scalar() == 0
