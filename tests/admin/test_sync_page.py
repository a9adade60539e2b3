"""The staff sync log (quota use today, runs with errors) and the operators' `flask sync run`."""

from __future__ import annotations

from app.extensions import db
from app.models.sync import SyncRun
from app.queueing import queues
from tests.support import history


def _run(conn, status: str, error: str | None = None) -> SyncRun:
    run = SyncRun(
        connection_id=conn.id,
        trigger="daily",
        status=status,
        error_class="RateLimited" if error else None,
        error_message=error,
        calls=3,
        quota_units=2,
        details={},
    )
    db.session.add(run)
    db.session.commit()
    return run


def test_sync_log_shows_runs_and_errors_scoped_to_the_coach(client, factory):
    mine = factory.client(coach=factory.coach(email="a@example.com"), name="Mine Client")
    theirs = factory.client(coach=factory.coach(email="b@example.com"), name="Their Client")
    c1 = history.connection(mine, "tiktok", username="mine_tt")
    c2 = history.connection(theirs, "youtube", username="their_yt")
    _run(c1, "succeeded")
    _run(c1, "failed", "TikTok is rate limiting us; retrying later")
    _run(c2, "failed", "secret other tenant error")
    client.login("a@example.com")
    page = client.get("/admin/sync")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "mine_tt" in text
    assert "rate limiting" in text
    assert "their_yt" not in text
    assert "secret other tenant error" not in text
    errors = client.get("/admin/sync?errors=1", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "rate limiting" in errors
    assert "<html" not in errors


def test_admin_sees_every_run_client_users_none(client, factory):
    c = factory.client(coach=factory.coach(), email="c@example.com")
    conn = history.connection(c, "instagram", username="ig_someone")
    _run(conn, "failed", "Instagram token expired")
    factory.admin(email="admin@example.com")
    client.login("admin@example.com")
    assert "ig_someone" in client.get("/admin/sync").get_data(as_text=True)
    client.logout()
    client.login("c@example.com")
    assert client.get("/admin/sync").status_code == 403


def test_flask_sync_run_enqueues_for_operators(app, factory):
    c = factory.client()
    # active = live, usable and holding a token (the job is only queued here, never run)
    a = history.connection(c, "tiktok", access_token_enc="v1.k1.placeholder")
    b = history.connection(factory.client(), "youtube", access_token_enc="v1.k1.placeholder")
    history.connection(factory.client(), "instagram", status="revoked")  # not active: not queued
    runner = app.test_cli_runner()
    one = runner.invoke(args=["sync", "run", "--connection", str(a.id)])
    assert one.exit_code == 0
    assert "Queued 1" in one.output
    every = runner.invoke(args=["sync", "run", "--all"])
    assert every.exit_code == 0
    assert "Queued 2" in every.output
    ids = queues.get_queue(queues.SYNC).get_job_ids()
    assert any(j.startswith(f"sync-{a.id}-") for j in ids)
    assert any(j.startswith(f"sync-{b.id}-") for j in ids)
    bad = runner.invoke(args=["sync", "run"])
    assert bad.exit_code != 0
    assert "exactly one" in bad.output
