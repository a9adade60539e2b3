"""Tokens: single-flight refresh (J5), newest refresh token wins (O8), invalid_grant (O9), at rest (T1-T5)."""

from __future__ import annotations

import base64
import logging
import os
import shutil
import subprocess
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text, update

from app import ConfigurationError
from app.extensions import db
from app.jobs.connections import refresh_connection, refresh_expiring_tokens
from app.models import Connection, OutboxEmail
from app.models.base import utcnow
from app.platforms import TokenSet
from app.security.crypto import TokenDecryptError, aad_for
from app.services import tokens as svc
from tests.support.connect import connect

REFRESH_PATH = "/open.tiktokapis.com/v2/oauth/token/"


def only_connection() -> Connection:
    db.session.expire_all()
    [conn] = db.session.execute(select(Connection)).scalars().all()
    return conn


def issued(sandbox: Any, account_id: str, kind: str) -> list[dict[str, Any]]:
    return [t for t in sandbox.tokens(account_id) if t["kind"] == kind]


@pytest.fixture
def tiktok_conn(client, creator, sandbox, accounts) -> Connection:
    client.login("creator@example.com")
    assert connect(client, sandbox, "tiktok", accounts["tiktok"]["id"]).status_code == 303
    sandbox.clear_calls()
    return only_connection()


def test_two_workers_refreshing_at_once_make_one_platform_call_and_keep_the_grant(
    app, tiktok_conn, sandbox, accounts, caplog
):
    """Two threads of one process: the second waits on the in-process lock, re-reads, and is done
    without Redis (J5's in-process dedupe)."""
    caplog.set_level(logging.INFO, logger="app.services.tokens")
    conn_id, version = tiktok_conn.id, tiktok_conn.token_version
    sandbox.set_latency(300)  # widen the window in which both workers want to refresh
    results: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            with app.app_context():
                barrier.wait()
                results.append(svc.refresh_tokens(conn_id, force=True).outcome)
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    sandbox.set_latency(0)
    assert errors == []
    assert sorted(results) == ["fresh", "refreshed"]
    assert [c["path"] for c in sandbox.calls() if c["path"] == REFRESH_PATH] == [REFRESH_PATH]
    # the grant is alive and the stored refresh token is the newest one issued (O8)
    conn = only_connection()
    stored = svc.token_set_of(conn)
    live = [t["value"] for t in issued(sandbox, accounts["tiktok"]["id"], "refresh") if t["status"] == "ok"]
    assert live == [stored.refresh_token]
    assert svc.adapter_for("tiktok").fetch_profile(stored.access_token).followers is not None
    assert conn.token_version == version + 1
    assert [r.outcome for r in caplog.records if getattr(r, "event", "") == "refresh_deduplicated"] == ["fresh"]


def test_a_refresh_waiting_on_another_process_lock_rereads_and_skips(app, tiktok_conn, sandbox):
    """Across processes the Redis lock serialises: while "another process" holds it and renews the
    grant, our refresh waits, re-reads the row and makes no platform call of its own."""
    from app.redis_conn import get_redis

    conn_id = tiktok_conn.id
    other = get_redis().lock(f"lock:refresh:tiktok:{conn_id}", timeout=30)
    assert other.acquire(blocking=False)
    results: list[str] = []

    def ours() -> None:
        with app.app_context():
            results.append(svc.refresh_tokens(conn_id, force=True).outcome)

    waiting = threading.Thread(target=ours)
    waiting.start()
    waiting.join(0.5)
    assert waiting.is_alive()  # blocked on the Redis lock
    with app.app_context():  # the other process renews and commits ...
        stale = db.session.get(Connection, conn_id)
        assert svc._refresh_locked(stale, retried=False).outcome == "refreshed"
    other.release()  # ... then lets go
    waiting.join(30)
    assert results == ["fresh"]
    assert len([c for c in sandbox.calls() if c["path"] == REFRESH_PATH]) == 1


def test_without_the_lock_the_race_loses_the_grant(app, tiktok_conn, sandbox, accounts):
    """Guard against a regression that silently drops the lock: two unlocked refreshes of one token."""
    tokens = svc.token_set_of(tiktok_conn)
    adapter = svc.adapter_for("tiktok")
    adapter.refresh(tokens)
    from app.platforms import AccessRevoked

    with pytest.raises(AccessRevoked):
        adapter.refresh(tokens)  # the second worker's stale refresh token is dead


def test_invalid_grant_after_a_lost_race_retries_once_with_the_new_token(app, tiktok_conn, sandbox):
    conn_id = tiktok_conn.id
    with app.app_context():  # worker A read the row (token version N) ...
        stale = db.session.get(Connection, conn_id)
        assert stale is not None
        assert stale.refresh_token_enc
        with app.app_context():  # ... worker B rotates meanwhile ...
            assert svc.refresh_tokens(conn_id, force=True).outcome == "refreshed"
        sandbox.clear_calls()
        result = svc._refresh_locked(stale, retried=False)  # ... A refreshes with the old token
    assert result.outcome == "refreshed"
    assert result.platform_calls == 2
    assert len([c for c in sandbox.calls() if c["path"] == REFRESH_PATH]) == 2
    assert only_connection().status == "connected"


def test_revoked_grant_is_reported_not_announced_by_the_token_service(app, tiktok_conn, sandbox, accounts):
    sandbox.revoke(accounts["tiktok"]["id"])
    result = svc.refresh_tokens(tiktok_conn.id, force=True)
    assert result.outcome == "revoked"
    assert result.platform_calls == 1
    assert result.lost == "connection_revoked"  # the caller raises the alert
    conn = only_connection()
    assert conn.status == "revoked"
    assert conn.access_token_enc is None
    assert conn.refresh_token_enc is None
    assert db.session.execute(select(OutboxEmail)).scalars().all() == []
    assert svc.refresh_tokens(conn.id, force=True).outcome == "skipped"  # nothing left to retry


def test_revoked_grant_is_marked_tokens_deleted_and_client_told_once(app, tiktok_conn, sandbox, accounts):
    sandbox.revoke(accounts["tiktok"]["id"])
    db.session.execute(update(Connection).values(access_expires_at=utcnow() + timedelta(minutes=5)))
    db.session.commit()
    assert refresh_connection(tiktok_conn.id) == "revoked"  # the job: refresh, then the alert
    conn = only_connection()
    assert conn.status == "revoked"
    assert conn.access_token_enc is None
    assert conn.refresh_token_enc is None
    mails = db.session.execute(select(OutboxEmail)).scalars().all()
    assert [m.kind for m in mails] == ["connection_revoked"]
    assert mails[0].to_address == "creator@example.com"
    assert refresh_connection(conn.id) == "skipped"  # nothing left to retry, nobody told twice
    assert len(db.session.execute(select(OutboxEmail)).scalars().all()) == 1


def test_non_rotating_refresh_keeps_the_stored_refresh_token(client, creator, sandbox, accounts):
    client.login("creator@example.com")
    connect(client, sandbox, "youtube", accounts["youtube"]["id"])
    before = svc.token_set_of(only_connection())
    assert svc.refresh_tokens(only_connection().id, force=True).outcome == "refreshed"
    after = svc.token_set_of(only_connection())
    assert after.refresh_token == before.refresh_token
    assert after.access_token != before.access_token


def test_instagram_younger_than_24h_is_not_refreshed(client, creator, sandbox, accounts):
    client.login("creator@example.com")
    connect(client, sandbox, "instagram", accounts["instagram"]["id"])
    sandbox.clear_calls()
    assert svc.refresh_tokens(only_connection().id, force=True).outcome == "fresh"
    assert sandbox.calls() == []


def test_refresh_schedule_per_platform():
    now = utcnow()

    def conn(platform: str, **kw: Any) -> Connection:
        return Connection(platform=platform, connected_at=now - timedelta(days=60), **kw)

    # Instagram: about day 50 of 60, never before 24 h, never once expired
    assert svc.refresh_due(
        conn("instagram", access_issued_at=now - timedelta(days=50), access_expires_at=now + timedelta(days=10)), now
    )
    assert not svc.refresh_due(
        conn("instagram", access_issued_at=now - timedelta(days=40), access_expires_at=now + timedelta(days=20)), now
    )
    assert not svc.refresh_due(
        conn("instagram", access_issued_at=now - timedelta(hours=2), access_expires_at=now + timedelta(days=5)), now
    )
    # TikTok: access within 15 min of expiry, or refresh token within 30 days
    assert svc.refresh_due(
        conn("tiktok", access_expires_at=now + timedelta(minutes=10), refresh_expires_at=now + timedelta(days=170)), now
    )
    assert svc.refresh_due(
        conn("tiktok", access_expires_at=now + timedelta(hours=2), refresh_expires_at=now + timedelta(days=20)), now
    )
    assert not svc.refresh_due(
        conn("tiktok", access_expires_at=now + timedelta(hours=2), refresh_expires_at=now + timedelta(days=170)), now
    )
    # Google: used at least monthly (unused refresh tokens die after 6 months)
    assert svc.refresh_due(
        conn("youtube", access_issued_at=now - timedelta(days=31), access_expires_at=now + timedelta(hours=1)), now
    )


def test_token_expiring_warning_once_7_days_ahead(app, client, creator, sandbox, accounts):
    client.login("creator@example.com")
    connect(client, sandbox, "instagram", accounts["instagram"]["id"])
    conn = only_connection()
    conn.access_expires_at = utcnow() + timedelta(days=5)
    db.session.commit()
    assert refresh_expiring_tokens()["warned"] == 1
    assert refresh_expiring_tokens()["warned"] == 0  # once per grant
    conn = only_connection()
    assert conn.status == "expiring"
    assert [m.kind for m in db.session.execute(select(OutboxEmail)).scalars()] == ["token_expiring"]
    page = client.get("/portal/settings/connections").get_data(as_text=True)
    assert "Expiring soon" in page


def test_cron_table_has_the_token_refresh_entry():
    from app.cron import SCHEDULE

    [entry] = [e for e in SCHEDULE if e.name == "token-refresh"]
    assert entry.func == "app.jobs.connections.refresh_expiring_tokens"
    assert entry.cron


def test_scheduled_job_refreshes_due_connections(app, tiktok_conn, sandbox):
    db.session.execute(update(Connection).values(access_expires_at=utcnow() + timedelta(minutes=5)))
    db.session.commit()
    from app.jobs.connections import refresh_expiring_tokens

    outcomes = refresh_expiring_tokens()
    assert outcomes.get("refreshed") == 1
    assert only_connection().access_expires_at > utcnow() + timedelta(hours=1)


# --------------------------------------------------------------------------- at rest


def test_corrupted_ciphertext_marks_decrypt_error_and_calls_nothing(app, tiktok_conn, sandbox):
    env = tiktok_conn.access_token_enc
    tiktok_conn.access_token_enc = env[:-2] + ("A" if env[-2] != "A" else "B") + env[-1]
    db.session.commit()
    assert svc.refresh_tokens(tiktok_conn.id, force=True).outcome == "decrypt_error"
    assert only_connection().status == "decrypt_error"
    assert sandbox.calls() == []


def test_ciphertext_copied_to_another_row_does_not_decrypt(app, tiktok_conn, factory):
    other_client = factory.client(email="b@example.com")
    other = Connection(client_id=other_client.id, platform="tiktok", platform_user_id="other")
    db.session.add(other)
    db.session.flush()
    other.access_token_enc = tiktok_conn.access_token_enc
    db.session.commit()
    with pytest.raises(TokenDecryptError):
        svc.token_set_of(other)
    # and a column swap within one row fails too
    with pytest.raises(TokenDecryptError):
        svc.keyring().decrypt(tiktok_conn.refresh_token_enc, aad_for("connections", tiktok_conn.id, "access_token_enc"))


def test_repr_masks_tokens(tiktok_conn):
    tokens = svc.token_set_of(tiktok_conn)
    for shown in (repr(tiktok_conn), str(tiktok_conn), repr(tokens)):
        assert tokens.access_token not in shown
        assert tokens.refresh_token not in shown


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def test_key_rotation_of_100_rows(make_app, factory, sandbox_url):
    from tests.conftest import TOKEN_KEY

    k2 = _key()
    app1 = make_app(PLATFORM_SANDBOX_URL=sandbox_url)
    with app1.app_context():
        clients = [factory.client(email=f"r{i}@example.com") for i in range(100)]
        for i, c in enumerate(clients):
            conn = Connection(client_id=c.id, platform="tiktok", platform_user_id=f"u{i}")
            db.session.add(conn)
            db.session.flush()
            svc.store_tokens(
                conn,
                TokenSet(access_token=f"act.{i}", refresh_token=f"rft.{i}", expires_at=utcnow() + timedelta(hours=2)),
            )
        db.session.commit()
        assert svc.key_counts() == {"k1": 200}
    # k2 becomes active, k1 stays in the ring: everything still reads
    app2 = make_app(TOKEN_ENCRYPTION_KEYS=f"k2:{k2},k1:{TOKEN_KEY}", TOKEN_ENCRYPTION_ACTIVE_KEY="k2")
    with app2.app_context():
        rows = db.session.execute(select(Connection)).scalars().all()
        assert {svc.token_set_of(r).access_token for r in rows} == {f"act.{i}" for i in range(100)}
    with app2.app_context():  # the CLI uses the active app context
        result = app2.test_cli_runner().invoke(args=["tokens", "rotate"])
    assert result.exit_code == 0, result.output
    assert "k1: 200 -> 0" in result.output
    assert "k2: 0 -> 200" in result.output
    # k1 removed: all rows still read, and new writes use k2
    app3 = make_app(TOKEN_ENCRYPTION_KEYS=f"k2:{k2}", TOKEN_ENCRYPTION_ACTIVE_KEY="k2")
    with app3.app_context():
        rows = db.session.execute(select(Connection)).scalars().all()
        assert {svc.token_set_of(r).refresh_token for r in rows} == {f"rft.{i}" for i in range(100)}
        assert svc.key_counts() == {"k2": 200}
        assert svc.keyring().encrypt("x", b"a").startswith("v1.k2.")


@pytest.mark.parametrize(
    ("keys", "active"),
    [
        ("k1:not-base64!!", "k1"),
        (f"k1:{base64.b64encode(os.urandom(16)).decode()}", "k1"),
        (f"k1:{base64.b64encode(os.urandom(32)).decode()}", "k9"),
    ],
)
def test_malformed_key_refuses_to_start(make_app, keys, active):
    with pytest.raises(ConfigurationError):
        make_app(TOKEN_ENCRYPTION_KEYS=keys, TOKEN_ENCRYPTION_ACTIVE_KEY=active)


def test_canary_tokens_never_leave_the_ciphertext(app, client, creator, sandbox, accounts, caplog, database_url):
    caplog.set_level(logging.DEBUG)
    client.login("creator@example.com")
    connect(client, sandbox, "tiktok", accounts["tiktok"]["id"])
    conn = only_connection()
    svc.refresh_tokens(conn.id, force=True)
    canaries = [t["value"] for t in sandbox.tokens(accounts["tiktok"]["id"])]
    assert len(canaries) >= 4  # code, access and refresh tokens, rotated pair

    # the database (file + WAL on SQLite; every row as text on PostgreSQL)
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("PRAGMA wal_checkpoint(FULL)"))
        path = Path(database_url.removeprefix("sqlite:///"))
        blob = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
        dumped = blob.decode("latin-1")
    elif shutil.which("pg_dump"):  # T1: the whole database as pg_dump writes it
        db.session.commit()
        url = database_url.replace("postgresql+psycopg://", "postgresql://")
        dumped = subprocess.run(
            ["pg_dump", "--data-only", url], capture_output=True, text=True, check=True, timeout=60
        ).stdout
        assert "COPY public.connections" in dumped
    else:
        dumped = ""
        for table in ("connections", "oauth_states", "outbox_emails"):
            dumped += str(db.session.execute(text(f"SELECT * FROM {table}")).all())  # noqa: S608
    # pages and API answers
    bodies = [
        client.get(u).get_data(as_text=True)
        for u in (
            "/portal/settings/connections",
            f"/portal/settings/connections/{conn.id}/connected",
            "/api/portal/social/connections",
            "/portal",
            f"/portal/settings/connections/{conn.id}/disconnect",
        )
    ]
    # RQ job payloads: jobs carry ids only
    from app.queueing.queues import SYNC, enqueue, get_queue
    from app.redis_conn import get_redis

    assert enqueue(SYNC, "app.jobs.connections.refresh_connection", conn.id, job_id=f"refresh-{conn.id}")
    job_hash = get_redis().hgetall(f"rq:job:refresh-{conn.id}")
    payload = b"".join(job_hash.values()).decode("latin-1")
    get_queue(SYNC).empty()
    # error messages after a platform failure
    sandbox.revoke(accounts["tiktok"]["id"])
    svc.refresh_tokens(conn.id, force=True)
    errors = str(only_connection().last_error)
    app_logs = "\n".join(
        r.getMessage() + str(r.__dict__.get("exc_text") or "")
        for r in caplog.records
        if not r.name.startswith("werkzeug")
    )
    for canary in canaries:
        assert canary not in dumped, "token in database"
        assert all(canary not in b for b in bodies), "token in a page"
        assert canary not in payload, "token in a job payload"
        assert canary not in errors, "token in an error"
        assert canary not in app_logs, "token in the app's logs"
