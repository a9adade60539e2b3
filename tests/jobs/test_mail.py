"""Outbox delivery through a real SMTP server by a real RQ worker; SMTP down delays, never loses."""

from __future__ import annotations

from rq import SimpleWorker
from sqlalchemy import select

from app.extensions import db
from app.jobs.queues import DEFAULT, get_queue
from app.models import EmailStatus, OutboxEmail
from app.redis_conn import get_redis
from app.services import clients
from tests.support.smtp import free_port, smtp_server


def run_worker() -> None:
    SimpleWorker([get_queue(DEFAULT)], connection=get_redis()).work(burst=True)


def test_invite_email_is_delivered_by_the_worker(make_app, factory):
    port = free_port()
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False)
    with app.app_context(), smtp_server(port) as (inbox, _):
        coach = factory.coach(name="Maya Coach")
        created = clients.create_client(coach, email="kim@example.com", name="Kim <b>Lee</b>")
        run_worker()
        assert len(inbox.messages) == 1
        msg = inbox.messages[0]
        assert msg["To"] == "kim@example.com" and "Maya Coach" in msg["Subject"]
        parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in msg.walk()
                 if not p.is_multipart()}
        assert created.invite_url in parts["text/plain"]
        assert "Kim &lt;b&gt;Lee&lt;/b&gt;" in parts["text/html"]  # escaped in HTML
        db.session.expire_all()
        row = db.session.execute(select(OutboxEmail)).scalar_one()
        assert row.status is EmailStatus.SENT and row.attempts == 1


def test_smtp_down_keeps_the_email_pending_then_delivers_once(make_app, factory):
    port = free_port()
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False, SMTP_TIMEOUT_SECONDS=2)
    with app.app_context():
        coach = factory.coach()
        clients.create_client(coach, email="kim@example.com", name="Kim")
        run_worker()  # nobody listens on the port: the job fails and is scheduled for a retry
        db.session.expire_all()
        row = db.session.execute(select(OutboxEmail)).scalar_one()
        assert row.status is EmailStatus.PENDING and row.attempts == 1 and "Error" in row.last_error
        queue = get_queue(DEFAULT)
        scheduled = queue.scheduled_job_registry.get_job_ids()
        assert scheduled == [f"email-{row.id}"]  # RQ's Retry scheduled it, not lost
        with smtp_server(port) as (inbox, _):
            from rq.job import Job

            from app.jobs.mail import sweep_outbox

            # time passes: move the scheduled retry to the queue as RQ's scheduler would
            job = Job.fetch(scheduled[0], connection=get_redis())
            queue.scheduled_job_registry.remove(job)
            queue.enqueue_job(job)
            run_worker()
            assert len(inbox.messages) == 1
            assert sweep_outbox() == 0  # nothing pending any more, so nothing is sent twice
            run_worker()
            assert len(inbox.messages) == 1
        db.session.expire_all()
        assert db.session.get(OutboxEmail, row.id).status is EmailStatus.SENT


def test_without_smtp_the_email_is_logged(app, factory):
    coach = factory.coach()
    clients.create_client(coach, email="kim@example.com", name="Kim")
    run_worker()
    db.session.expire_all()
    assert db.session.execute(select(OutboxEmail.status)).scalar_one() is EmailStatus.LOGGED


def test_redis_down_still_creates_the_client_and_keeps_the_email(make_app, factory):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens there
    with app.app_context():
        coach = factory.coach()
        created = clients.create_client(coach, email="kim@example.com", name="Kim")
        assert created.client.id
        assert db.session.execute(select(OutboxEmail.status)).scalar_one() is EmailStatus.PENDING
