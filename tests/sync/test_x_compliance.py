"""X's batch compliance through real RQ workers against the sandbox: the daily job and its polls remove a
stored post older than 90 days (past the lookup's aging schedule) that was deleted at X, keep the others
and another client's, break (and tell the client about) a connected account X reports suspended, skip a
malformed result line with a count, and record a failed job in the ops alerts so the next day checks again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.models import Alert, Connection, OpsAlert, XComplianceJob
from app.models.base import utcnow
from app.models.history import ContentItem
from app.queueing import queues
from app.queueing.queues import get_queue
from app.sync import x_compliance
from tests.support import history
from tests.sync.conftest import drain


def _run(app: Any, job: str) -> None:
    get_queue(queues.DEFAULT).enqueue(f"app.jobs.compliance.{job}")
    drain(app)


def _daily_then_poll(app: Any) -> list[XComplianceJob]:
    """The cron's daily entry (open, create, upload), then one poll (the jobs complete and apply)."""
    _run(app, "x_compliance_daily")
    _run(app, "x_compliance_poll")
    db.session.expire_all()
    return list(db.session.execute(select(XComplianceJob).order_by(XComplianceJob.id)).scalars())


def _stored(conn_id: int) -> set[str]:
    db.session.expire_all()
    return set(
        db.session.execute(select(ContentItem.platform_id).where(ContentItem.connection_id == conn_id)).scalars()
    )


def _old_posts(world: Any, account_id: str, n: int) -> list[str]:
    now = utcnow()
    posts = world.account(account_id, posts=True)["posts"]
    old = [p["id"] for p in posts if p["published_at"] < (now - timedelta(days=100)).isoformat()]
    assert len(old) >= n
    return old[:n]


def test_deleted_old_post_removed_others_kept(app: Any, link: Any, world: Any, factory: Any) -> None:
    conn_id, account = link("x", post_every_days=2, history_days=200)
    drain(app)  # the initial sync stores the 100 posts
    deleted, kept = _old_posts(world, account["id"], 2)
    before = _stored(conn_id)
    assert {deleted, kept} <= before
    # another client's X account and its stored posts (written as a sync would)
    other_account = world.create_account("x", "x.other", 900, seed=41, post_every_days=3, history_days=30)
    other_client = factory.client(coach=factory.coach(email="coach2@example.com"), email="other@example.com")
    other_conn = history.connection(other_client, "x")
    other_conn.platform_user_id = other_account["platform_user_id"]
    other_posts = world.account(other_account["id"], posts=True)["posts"][:3]
    for p in other_posts:
        history.post(other_conn, utcnow() - timedelta(days=5), kind="post").platform_id = p["id"]
    db.session.commit()
    world.delete_post(account["id"], deleted)

    rows = _daily_then_poll(app)
    assert [(r.job_type, r.step) for r in rows] == [("tweets", "applied"), ("users", "applied")]
    tweets, users = rows
    assert tweets.ids_sent == len(before) + 3  # every stored X post id, of both clients
    assert tweets.outcome["removed"] == 1
    assert tweets.outcome["by_connection"] == {str(conn_id): 1}
    assert tweets.outcome["reasons"] == {"deleted": 1}
    assert tweets.outcome["malformed_lines"] == 0
    assert _stored(conn_id) == before - {deleted}
    assert _stored(other_conn.id) == {p["id"] for p in other_posts}  # another client's posts untouched
    assert users.ids_sent == 1
    assert users.outcome["broken_connections"] == []
    sent = world.x_compliance()["jobs"]
    assert sorted(j["type"] for j in sent) == ["tweets", "users"]
    assert deleted in next(j for j in sent if j["type"] == "tweets")["ids"]
    # idempotent: the same day's cron run again opens nothing and removes nothing more
    again = _daily_then_poll(app)
    assert len(again) == 2
    assert len(world.x_compliance()["jobs"]) == 2
    assert _stored(conn_id) == before - {deleted}


def test_protected_account_keeps_its_posts_and_its_connection(app: Any, link: Any, world: Any) -> None:
    """Protected is not a removal for the account's own posts: its owner's grant still reads them."""
    conn_id, account = link("x", post_every_days=2, history_days=40)
    drain(app)
    before = _stored(conn_id)
    assert before
    world.x_state(account["id"], protected=True)
    tweets, users = _daily_then_poll(app)
    assert tweets.step == "applied"
    assert users.step == "applied"
    assert tweets.outcome["removed"] == 0
    assert tweets.outcome["reasons"] == {"kept:protected": len(before)}
    assert users.outcome["broken_connections"] == []
    assert users.outcome["reasons"] == {"kept:protected": 1}
    assert _stored(conn_id) == before
    conn = db.session.get(Connection, conn_id)
    assert conn is not None
    assert conn.status == "connected"


def test_suspended_account_breaks_connection_and_malformed_line_counted(app: Any, link: Any, world: Any) -> None:
    conn_id, account = link("x", post_every_days=2, history_days=40)
    drain(app)
    before = _stored(conn_id)
    world.x_state(account["id"], suspended=True)
    world.x_compliance(malformed_lines=1)  # the tweets job's result file carries one cut line
    rows = _daily_then_poll(app)
    tweets, users = rows
    assert tweets.step == "applied"
    assert tweets.outcome["malformed_lines"] == 1
    assert tweets.outcome["removed"] == len(before)  # X: the author is suspended, every post goes
    assert tweets.outcome["reasons"] == {"suspended": len(before)}
    assert _stored(conn_id) == set()
    assert users.outcome["broken_connections"] == [conn_id]
    conn = db.session.get(Connection, conn_id)
    assert conn is not None
    assert conn.status == "error"
    assert "suspended" in (conn.last_error or "")
    lost = db.session.execute(
        select(Alert).where(Alert.connection_id == conn_id, Alert.type == "CONNECTION_LOST")
    ).scalar_one()  # the client is told, as for a revoked grant
    assert lost.details["reason"] == "error"


def test_failed_job_alerts_ops_and_next_day_retries(app: Any, client: Any, factory: Any, link: Any, world: Any) -> None:
    conn_id, account = link("x", post_every_days=2, history_days=200)
    drain(app)
    deleted = _old_posts(world, account["id"], 1)[0]
    world.delete_post(account["id"], deleted)
    world.x_compliance(outcome="failed")  # X fails the next job to complete (the tweets one)
    rows = _daily_then_poll(app)
    assert [(r.job_type, r.step) for r in rows] == [("tweets", "failed"), ("users", "applied")]
    assert "failed" in (rows[0].error or "")
    assert deleted in _stored(conn_id)  # nothing applied from a failed job
    ops = db.session.execute(select(OpsAlert).where(OpsAlert.kind == "x_compliance")).scalar_one()
    assert "failed" in ops.title
    assert rows[0].x_job_id in ops.message
    # the next day: a new job checks everything again and the deletion is applied
    for row in rows:
        row.run_day = row.run_day - timedelta(days=1)
        row.created_at = row.created_at - timedelta(days=1)
    db.session.commit()
    rows = _daily_then_poll(app)
    assert [(r.job_type, r.step) for r in rows[2:]] == [("tweets", "applied"), ("users", "applied")]
    assert rows[2].outcome["removed"] == 1
    assert deleted not in _stored(conn_id)
    assert db.session.execute(select(func.count()).select_from(OpsAlert)).scalar_one() == 1
    # the operations page shows the alert and the jobs, not only the log
    factory.admin(email="ops@example.com")
    client.login("ops@example.com")
    page = client.get("/admin/ops/work").get_data(as_text=True)
    assert 'data-testid="ops-alert-x_compliance"' in page
    assert f'data-testid="x-compliance-{rows[0].id}"' in page
    assert "1 removed" in page
    assert "Failed" in page


def test_more_ids_than_one_job_takes_go_in_batches_one_after_another(
    app: Any, link: Any, world: Any, monkeypatch: Any
) -> None:
    conn_id, account = link("x", post_every_days=5, history_days=90)
    drain(app)
    stored = _stored(conn_id)
    assert 10 < len(stored) <= 20
    monkeypatch.setattr(x_compliance, "MAX_IDS_PER_JOB", 10)  # X's (unconfirmed) 100,000, made small
    deleted = (
        db.session.execute(  # the post stored last: the second batch holds it
            select(ContentItem.platform_id).where(ContentItem.connection_id == conn_id).order_by(ContentItem.id.desc())
        )
        .scalars()
        .first()
    )
    assert deleted is not None
    world.delete_post(account["id"], deleted)
    _run(app, "x_compliance_daily")  # batch 0 of the posts and the accounts: created, uploaded
    _run(app, "x_compliance_poll")  # both complete and applied; batch 1 of the posts opened
    _run(app, "x_compliance_poll")  # batch 1 created and uploaded (X's batch-0 job is no longer active)
    _run(app, "x_compliance_poll")  # batch 1 applied
    db.session.expire_all()
    rows = db.session.execute(
        select(XComplianceJob).where(XComplianceJob.job_type == "tweets").order_by(XComplianceJob.batch)
    ).scalars()
    got = [(r.batch, r.step, r.ids_sent, r.outcome.get("removed")) for r in rows]
    assert got == [(0, "applied", 10, 0), (1, "applied", len(stored) - 10, 1)]
    assert _stored(conn_id) == stored - {deleted}
    sent = [j["ids"] for j in world.x_compliance()["jobs"] if j["type"] == "tweets"]
    assert sorted(i for ids in sent for i in ids) == sorted(stored)  # every stored id, once


def test_a_step_interrupted_by_an_x_error_is_carried_on_by_the_next_poll(app: Any, link: Any, world: Any) -> None:
    conn_id, account = link("x", post_every_days=2, history_days=200)
    drain(app)
    deleted = _old_posts(world, account["id"], 1)[0]
    world.delete_post(account["id"], deleted)
    _run(app, "x_compliance_daily")  # created and uploaded: the step is committed
    world.add_fault("x", "server_error", times=2, path_contains="/2/compliance/jobs/")
    _run(app, "x_compliance_poll")  # X answers 503 to the status reads: nothing applied, the error kept
    db.session.expire_all()
    rows = list(db.session.execute(select(XComplianceJob).order_by(XComplianceJob.id)).scalars())
    assert [r.step for r in rows] == ["in_progress", "in_progress"]
    assert all("503" in (r.error or "") for r in rows)
    assert deleted in _stored(conn_id)
    _run(app, "x_compliance_poll")  # the next poll goes on from the committed step
    db.session.expire_all()
    rows = list(db.session.execute(select(XComplianceJob).order_by(XComplianceJob.id)).scalars())
    assert [r.step for r in rows] == ["applied", "applied"]
    assert rows[0].outcome["removed"] == 1
    assert deleted not in _stored(conn_id)
    assert len(world.x_compliance()["jobs"]) == 2  # no job created twice at X
