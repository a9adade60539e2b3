"""Failed and stuck work on the admins' operations page: listed with its reason and what it concerns,
retried once however many admins click, discarded, counted in /readyz; against the sandbox with a real
RQ worker."""

from __future__ import annotations

import threading
from typing import Any

from rq.job import Job, JobStatus
from sqlalchemy import select

from app.errors import Conflict
from app.extensions import db
from app.models import Connection, OutboxEmail, SyncRun, User, WorkAction
from app.models.outbox import EmailStatus
from app.queueing import dispatch
from app.queueing.queues import SYNC, get_queue
from app.redis_conn import get_redis
from app.services import failed_work
from tests.sync.conftest import drain, runs

CHANNELS = "/youtube/v3/channels"


def _failed_youtube_sync(link: Any, world: Any, app: Any) -> tuple[int, SyncRun]:
    """A connected YouTube account whose next sync fails for good (a garbled answer, no retries left)."""
    conn_id, _ = link("youtube")
    drain(app)
    assert runs(conn_id)[-1].status == "succeeded"
    world.add_fault("youtube", "malformed", times=1, path_contains=CHANNELS)
    dispatch.enqueue_sync(conn_id, "operator")
    drain(app)
    run = runs(conn_id)[-1]
    assert run.status == "failed"
    return conn_id, run


def test_a_failed_sync_is_listed_in_plain_words_and_retried_from_the_page(
    app: Any, client: Any, link: Any, world: Any, factory: Any
) -> None:
    conn_id, run = _failed_youtube_sync(link, world, app)
    factory.admin(email="ops@example.com", name="Olive Ops")
    client.logout()
    client.login("ops@example.com")

    page = client.get("/admin/ops/work")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'data-testid="work-sync-{run.id}"' in text
    assert "Cara Creator · YouTube @yt.creator" in text  # the client and account it concerns
    conn = db.session.get(Connection, conn_id)
    assert conn.last_error
    assert conn.last_error in text  # the reason in plain words
    assert client.get("/readyz").json["background"]["failed_work"]["sync"] == 1

    world.clear_calls()
    resp = client.post("/admin/ops/work", data={"kind": "sync", "key": str(run.id), "action": "retry"})
    assert resp.status_code == 303
    assert "queued again" in client.get(resp.headers["Location"]).get_data(as_text=True)
    drain(app)
    latest = runs(conn_id)[-1]
    assert (latest.id != run.id, latest.trigger, latest.status) == (True, "operator", "succeeded")
    assert len([c for c in world.calls("youtube") if CHANNELS in c["path"]]) == 1  # the retry asked once
    assert f'data-testid="work-sync-{run.id}"' not in client.get("/admin/ops/work").get_data(as_text=True)
    assert client.get("/readyz").json["background"]["failed_work"]["sync"] == 0

    # a second admin clicking the same (stale) button is told who was first; nothing runs again
    again = client.post("/admin/ops/work", data={"kind": "sync", "key": str(run.id), "action": "retry"})
    assert "Olive Ops already retried this job." in client.get(again.headers["Location"]).get_data(as_text=True)
    assert get_queue(SYNC).count == 0


def test_two_admins_retrying_the_same_failed_job_at_once_run_it_once(
    app: Any, link: Any, world: Any, factory: Any
) -> None:
    conn_id, run = _failed_youtube_sync(link, world, app)
    admins = [factory.admin(email=f"a{i}@example.com").id for i in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def click(admin_id: int) -> None:
        with app.app_context():
            actor = db.session.get(User, admin_id)
            barrier.wait()
            try:
                failed_work.act(actor, "sync", str(run.id), "retry")
                outcomes.append("retried")
            except Conflict as exc:
                outcomes.append(exc.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=click, args=(a,)) for a in admins]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes)[-1] == "retried"
    assert outcomes.count("retried") == 1, outcomes
    assert db.session.execute(select(WorkAction)).scalars().all()[0].item_key == str(run.id)
    world.clear_calls()
    drain(app)
    assert [r.trigger for r in runs(conn_id)[-1:]] == ["operator"]
    assert len(runs(conn_id)) == 3  # initial, the failed one, one retry
    assert len([c for c in world.calls("youtube") if CHANNELS in c["path"]]) == 1


def test_a_failed_job_whose_connection_was_deleted_can_only_be_discarded(
    app: Any, client: Any, link: Any, world: Any, factory: Any
) -> None:
    conn_id, _ = link("youtube")
    drain(app)
    # a daily job RQ gave up on (its worker died on every try): RQ's own failed registry
    queue = get_queue(SYNC)
    job = queue.enqueue(dispatch.SYNC_JOB, conn_id, "daily", job_id=f"sync-{conn_id}-20261201")
    queue.remove(job)
    with get_redis().pipeline() as pipe:  # what RQ's started-registry cleanup does with an abandoned job
        job.set_status(JobStatus.FAILED, pipeline=pipe)
        job._handle_failure("Moved to FailedJobRegistry, due to AbandonedJobError, at 2026-12-01", pipe)
        pipe.execute()
    db.session.delete(db.session.get(Connection, conn_id))
    db.session.commit()
    factory.admin(email="ops@example.com")
    client.logout()
    client.login("ops@example.com")
    text = client.get("/admin/ops/work?kind=job").get_data(as_text=True)
    assert f"connection #{conn_id} (deleted)" in text
    assert "Its worker died (killed or out of memory) on every try." in text
    assert "Its connection was deleted." in text
    [item] = failed_work.items("job")["job"]
    refused = client.post("/admin/ops/work", data={"kind": "job", "key": item.item_key, "action": "retry"})
    assert "It cannot be retried: Its connection was deleted." in client.get(refused.headers["Location"]).get_data(
        as_text=True
    )
    assert job.id in queue.failed_job_registry.get_job_ids()
    client.post("/admin/ops/work", data={"kind": "job", "key": item.item_key, "action": "discard"})
    assert queue.failed_job_registry.get_job_ids() == []
    assert not get_redis().exists(Job.key_for(job.id))
    assert failed_work.items("job")["job"] == []


def test_a_failed_email_is_retried_once_and_clients_and_coaches_cannot_see_the_page(
    app: Any, client: Any, factory: Any
) -> None:
    email = OutboxEmail(
        to_address="someone@example.com",
        subject="Your weekly report",
        body_text="hi",
        kind="weekly_report",
        status=EmailStatus.FAILED,
        attempts=6,
        last_error="550 mailbox unavailable",
    )
    db.session.add(email)
    db.session.commit()
    factory.coach(email="coach@example.com")
    client.login("coach@example.com")
    assert client.get("/admin/ops/work").status_code == 403
    assert (
        client.post("/admin/ops/work", data={"kind": "email", "key": f"{email.id}@6", "action": "retry"}).status_code
        == 403
    )
    client.logout()
    factory.admin(email="ops@example.com")
    client.login("ops@example.com")
    text = client.get("/admin/ops/work?kind=email").get_data(as_text=True)
    assert "550 mailbox unavailable" in text
    assert "to someone@example.com" in text
    client.post("/admin/ops/work", data={"kind": "email", "key": f"{email.id}@6", "action": "retry"})
    db.session.expire_all()
    assert db.session.get(OutboxEmail, email.id).status == EmailStatus.PENDING
    assert Job.exists(f"email-{email.id}-ops-6", connection=get_redis())
    drain(app)  # no SMTP_HOST: the email is logged
    db.session.expire_all()
    assert db.session.get(OutboxEmail, email.id).status == EmailStatus.LOGGED
    assert failed_work.counts()["email"] == 0


def test_with_redis_down_the_failed_jobs_are_unknown_not_zero(make_app: Any) -> None:
    from tests.factories import Factory

    down = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    with down.app_context():
        Factory().admin(email="ops@example.com")
    web = down.test_client()
    ready = web.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["background"]["failed_work"] == {"sync": 0, "report": 0, "email": 0, "reply": 0, "job": None}
    web.login("ops@example.com")
    page = web.get("/admin/ops/work").get_data(as_text=True)
    assert "Redis is not reachable: the failed background jobs cannot be read now." in page
    assert "Redis is not reachable: the cron heartbeat cannot be read." in page
