"""Outbox delivery through a real SMTP server by a real RQ worker; SMTP down delays, never loses."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import time_machine
from rq import SimpleWorker
from sqlalchemy import select

from app.extensions import db
from app.models import EmailStatus, OutboxEmail
from app.queueing.queues import DEFAULT, get_queue
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
        assert msg["To"] == "kim@example.com"
        assert "Maya Coach" in msg["Subject"]
        parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in msg.walk() if not p.is_multipart()}
        assert created.invite_url in parts["text/plain"]
        assert "Kim &lt;b&gt;Lee&lt;/b&gt;" in parts["text/html"]  # escaped in HTML
        db.session.expire_all()
        row = db.session.execute(select(OutboxEmail)).scalar_one()
        assert row.status is EmailStatus.SENT
        assert row.attempts == 1


def test_smtp_down_keeps_the_email_pending_then_delivers_once(make_app, factory):
    port = free_port()
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False, SMTP_TIMEOUT_SECONDS=2)
    with app.app_context():
        coach = factory.coach()
        clients.create_client(coach, email="kim@example.com", name="Kim")
        run_worker()  # nobody listens on the port: the job fails and is scheduled for a retry
        db.session.expire_all()
        row = db.session.execute(select(OutboxEmail)).scalar_one()
        assert row.status is EmailStatus.PENDING
        assert row.attempts == 1
        assert "Error" in row.last_error
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


def test_idempotency_key_queues_one_email(app, factory):
    from app.services import mail

    user = factory.coach()
    first = mail.queue_email(
        user.email,
        "invite",
        "invite",
        idempotency_key="alert:1:user:1",
        name="A",
        inviter="B",
        url="https://x",
        hours=1,
    )
    db.session.commit()
    again = mail.queue_email(
        user.email,
        "invite",
        "invite",
        idempotency_key="alert:1:user:1",
        name="A",
        inviter="B",
        url="https://x",
        hours=1,
    )
    db.session.commit()
    assert first.id == again.id
    assert db.session.execute(select(OutboxEmail)).scalars().all() == [first]


def test_two_workers_delivering_the_same_email_send_it_once(make_app, factory):
    import threading

    from app.services import mail

    port = free_port()
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False)
    with app.app_context(), smtp_server(port) as (inbox, _):
        coach = factory.coach()
        email = mail.queue_email(
            "kim@example.com", "invite", "invite", name="Kim", inviter=coach.name, url="https://x", hours=1
        )
        db.session.commit()
        email_id = email.id  # read here: the ORM object belongs to this thread's session
        results: list[str] = []

        def worker() -> None:
            with app.app_context():
                results.append(mail.deliver(email_id).value)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(inbox.messages) == 1
        assert "sent" in results


def test_a_claim_left_by_a_dead_worker_is_released(app, factory):
    from datetime import UTC, datetime, timedelta

    import time_machine

    from app.jobs.mail import sweep_outbox
    from app.services import mail

    email = mail.queue_email("kim@example.com", "invite", "invite", name="Kim", inviter="C", url="https://x", hours=1)
    db.session.commit()
    assert mail._claim(email.id)  # a worker claimed it, then died
    assert sweep_outbox() == 0  # too recent to be considered dead
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=11)):
        assert sweep_outbox() == 1
    db.session.expire_all()
    assert db.session.get(OutboxEmail, email.id).status is EmailStatus.PENDING


def _scheduler_tick() -> None:
    """What RQ's scheduler does at the (travelled) time: due scheduled jobs go to their queue."""
    from rq.job import Job

    queue = get_queue(DEFAULT)
    registry = queue.scheduled_job_registry
    for job_id in registry.get_jobs_to_schedule(int(time.time())):
        job = Job.fetch(job_id, connection=get_redis())
        registry.remove(job)
        queue.enqueue_job(job)


def test_smtp_down_for_three_hours_loses_nothing_and_sends_nothing_twice(make_app, factory):
    """Every 5 minutes of a 3-hour outage: RQ's scheduler, the outbox sweep (cron) and a worker run.
    RQ's own retries are spent after ~1 h 43 min; the sweep keeps trying; when the server is back each
    email arrives exactly once."""
    from app.jobs.mail import sweep_outbox
    from app.services import mail

    port = free_port()
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False, SMTP_TIMEOUT_SECONDS=1)
    start = datetime.now(UTC)
    with app.app_context():
        for i in range(4):
            mail.queue_email(
                f"c{i}@example.com", "invite", "invite", name=f"C{i}", inviter="M", url="https://x", hours=1
            )
        db.session.commit()
        for email_id in mail.due_for_retry():
            mail.enqueue_delivery(email_id[0])
        for step in range(36):  # 3 hours
            with time_machine.travel(start + timedelta(minutes=5 * step), tick=False):
                _scheduler_tick()
                sweep_outbox()
                run_worker()
        db.session.expire_all()
        rows = db.session.execute(select(OutboxEmail)).scalars().all()
        assert {r.status for r in rows} == {EmailStatus.PENDING}  # none given up, none lost
        assert all(r.attempts >= 10 for r in rows)  # and they were tried all along, not only by RQ
        with smtp_server(port) as (inbox, _), time_machine.travel(start + timedelta(hours=3, minutes=5), tick=False):
            for _ in range(3):
                _scheduler_tick()
                sweep_outbox()
                run_worker()
            received = sorted(m["To"] for m in inbox.messages)
        assert received == [f"c{i}@example.com" for i in range(4)]  # each exactly once
        db.session.expire_all()
        assert {r.status for r in db.session.execute(select(OutboxEmail)).scalars()} == {EmailStatus.SENT}


def test_after_mail_retry_hours_the_email_fails_and_requeue_sends_it(make_app, factory):
    import pytest

    from app.services import mail

    port = free_port()
    app = make_app(
        SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False, SMTP_TIMEOUT_SECONDS=1, MAIL_RETRY_HOURS=2
    )
    with app.app_context():
        email = mail.queue_email(
            "kim@example.com", "invite", "invite", name="Kim", inviter="C", url="https://x", hours=1
        )
        db.session.commit()
        with pytest.raises(OSError, match="Connection refused"):
            mail.deliver(email.id)
        db.session.expire_all()
        assert db.session.get(OutboxEmail, email.id).status is EmailStatus.PENDING  # temporary: retried
        with (
            time_machine.travel(datetime.now(UTC) + timedelta(hours=2, minutes=1)),
            pytest.raises(OSError, match="Connection refused"),
        ):
            mail.deliver(email.id)
        db.session.expire_all()
        row = db.session.get(OutboxEmail, email.id)
        assert row.status is EmailStatus.FAILED
        assert row.attempts == 2
        assert mail.deliver(email.id) is EmailStatus.FAILED  # no further attempt on its own
        with smtp_server(port) as (inbox, _):
            out = app.test_cli_runner().invoke(args=["mail", "requeue"])
            assert out.exit_code == 0
            assert "Requeued 1 failed email(s); 1 delivery job(s)" in out.output
            run_worker()
            assert [m["To"] for m in inbox.messages] == ["kim@example.com"]
        db.session.expire_all()
        assert db.session.get(OutboxEmail, email.id).status is EmailStatus.SENT


def test_a_line_break_in_a_name_does_not_make_the_email_unsendable(make_app, factory):
    port = free_port()
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False)
    with app.app_context(), smtp_server(port) as (inbox, _):
        coach = factory.coach(name="Maya\r\nBcc: victim@example.com")
        clients.create_client(coach, email="kim@example.com", name="Kim\nLee")
        run_worker()
        assert len(inbox.messages) == 1
        assert "\n" not in inbox.messages[0]["Subject"]
        assert inbox.messages[0]["Bcc"] is None
        db.session.expire_all()
        assert db.session.execute(select(OutboxEmail.status)).scalar_one() is EmailStatus.SENT


def test_smtp_server_that_never_answers_times_out_and_keeps_the_email(make_app, factory):
    """A server that accepts the TCP connection and then says nothing: the send times out, the email
    stays pending for a retry, nothing is lost."""
    import socket
    import threading

    import pytest

    from app.services import mail

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    port = listener.getsockname()[1]
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept_and_hang() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                accepted.append(conn)  # never greets
            except TimeoutError:
                continue

    t = threading.Thread(target=accept_and_hang, daemon=True)
    t.start()
    try:
        app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False, SMTP_TIMEOUT_SECONDS=1)
        with app.app_context():
            email = mail.queue_email(
                "kim@example.com", "invite", "invite", name="Kim", inviter="C", url="https://x", hours=1
            )
            db.session.commit()
            # smtplib turns the read timeout into SMTPServerDisconnected, an OSError
            with pytest.raises(OSError, match="timed out"):
                mail.deliver(email.id)
            db.session.expire_all()
            row = db.session.get(OutboxEmail, email.id)
            assert row.status is EmailStatus.PENDING
            assert "timed out" in row.last_error.lower()
    finally:
        stop.set()
        t.join(timeout=5)
        for c in accepted:
            c.close()
        listener.close()


def test_rejected_recipient_is_kept_with_the_servers_reason(make_app, factory):
    """An SMTP 550 for the recipient: a permanent failure, marked at once (no pointless retries), with
    the server's words kept on the row."""
    from aiosmtpd.controller import Controller

    from app.services import mail

    class Rejecting:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
            return "550 5.1.1 mailbox unavailable"

    port = free_port()
    controller = Controller(Rejecting(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False)
        with app.app_context():
            email = mail.queue_email(
                "nobody@example.com", "invite", "invite", name="N", inviter="C", url="https://x", hours=1
            )
            db.session.commit()
            assert mail.deliver(email.id) is EmailStatus.FAILED  # no exception: RQ does not retry it
            db.session.expire_all()
            row = db.session.get(OutboxEmail, email.id)
            assert row.status is EmailStatus.FAILED
            assert "mailbox unavailable" in row.last_error
            assert row.attempts == 1
    finally:
        controller.stop()
