"""The weekly fan-out in chunks (``app.reports.chunks``): one job per chunk of clients, each report still on
its own (a failing client does not lose the others), a chunk run again after a failure or a killed worker
makes each report once and sends each email once, the brand is read once per chunk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rq.job import Job, JobStatus
from sqlalchemy import event, func, select

from app.extensions import db
from app.jobs import reports as report_jobs
from app.models import Client, OutboxEmail, Report, ReportLink
from app.queueing import dispatch
from app.queueing.queues import DEFAULT, REPORTS, get_queue
from app.redis_conn import get_redis
from app.reports import build, chunks, service
from app.services import mail
from tests.reports.test_reports import END, _work
from tests.support import history

MONDAY = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)  # the week Nov 9..15 for every zone used here


@pytest.fixture
def five(factory, monkeypatch):
    """Five clients with a week of followers; chunks of 2 (so 3 jobs: 2 + 2 + 1)."""
    monkeypatch.setattr(chunks, "CHUNK", 2)
    coach = factory.coach(email="coach@example.com")
    out = []
    for i in range(5):
        c = factory.client(coach=coach, name=f"Client {i}", email=f"c{i}@example.com")
        ig = history.connection(c, "instagram", username=f"c{i}_ig")
        history.daily(ig, END - timedelta(days=7), [1000 + i * 10 + d for d in range(8)])
        out.append(c)
    return out


def _reports() -> list[Report]:
    db.session.expire_all()
    return list(db.session.execute(select(Report).order_by(Report.client_id)).scalars())


def _key(r: Report) -> str:
    """The idempotency key of the report's email to its client (``service.send_report``)."""
    user_id = db.session.execute(select(Client.user_id).where(Client.id == r.client_id)).scalar_one()
    return f"report:{r.id}:user:{user_id}"


def _emails_by_key() -> dict[str, int]:
    rows = db.session.execute(select(OutboxEmail.idempotency_key, func.count()).group_by(OutboxEmail.idempotency_key))
    return {k: n for k, n in rows}


def test_the_fanout_queues_one_job_per_chunk_and_every_report_is_sent_once(app, five):
    assert service.weekly_fanout(MONDAY) == 5
    reports = _reports()
    job_ids = [r.job_id for r in reports]
    assert len(set(job_ids)) == 3  # 2 + 2 + 1
    assert job_ids[0] == job_ids[1] != job_ids[2] == job_ids[3] != job_ids[4]
    assert job_ids[0] == f"report-weekly-{five[0].id}-202647-chunk"
    assert sorted(get_queue(REPORTS).get_job_ids()) == sorted(set(job_ids))
    job = Job.fetch(job_ids[0], connection=get_redis())
    assert job.args == ([reports[0].id, reports[1].id],)
    assert job.retries_left == 3  # as a single report's job (dispatch.report_retry)
    assert service.weekly_fanout(MONDAY + timedelta(hours=1)) == 0  # a re-run adds no row and no job
    assert len(get_queue(REPORTS).get_job_ids()) == 3
    _work()  # the reports queue, then the emails' deliveries on the default queue
    assert [r.status for r in _reports()] == ["done"] * 5
    emails = db.session.execute(select(OutboxEmail).order_by(OutboxEmail.id)).scalars().all()
    assert sorted(e.to_address for e in emails) == [f"c{i}@example.com" for i in range(5)]
    assert {e.status for e in emails} == {"logged"}  # each delivered (the test mailer logs): all were queued


def test_a_failing_client_does_not_lose_the_others_and_the_retry_makes_it_once(app, five, monkeypatch):
    weekly = build.weekly

    def broken_for_client_1(client, end):
        if client.id == five[1].id:
            raise RuntimeError("this client's numbers cannot be computed")
        return weekly(client, end)

    monkeypatch.setattr(build, "weekly", broken_for_client_1)
    service.weekly_fanout(MONDAY)
    first_chunk = _reports()[0].job_id
    _work()
    statuses = [r.status for r in _reports()]
    assert statuses == ["done", "failed", "done", "done", "done"]  # its chunk-mate is done and emailed
    assert sorted(_emails_by_key()) == sorted(_key(r) for r in _reports() if r.status == "done")
    job = Job.fetch(first_chunk, connection=get_redis())
    assert job.get_status() == JobStatus.SCHEDULED  # RQ retries the chunk (30 s later)
    assert job.retries_left == 2

    monkeypatch.setattr(build, "weekly", weekly)  # the cause is gone; the chunk runs again as RQ would
    report_jobs.weekly_reports(*job.args)
    reports = _reports()
    assert [r.status for r in reports] == ["done"] * 5
    keys = _emails_by_key()
    assert keys == {_key(r): 1 for r in reports}  # each email once
    links = db.session.execute(select(ReportLink.report_id, func.count()).group_by(ReportLink.report_id)).all()
    assert sorted(n for _, n in links) == [1] * 5


class Killed(BaseException):
    """The worker process dying (SIGKILL, out of memory): nothing after it runs, no ``except Exception``."""


def test_a_chunk_killed_midway_is_run_again_and_each_report_and_email_is_made_once(app, five, monkeypatch):
    service.weekly_fanout(MONDAY)
    reports = _reports()
    ids = [r.id for r in reports[:2]]  # the first chunk
    send = service.send_report
    calls = []

    def dies_on_the_second(report, **kw):
        calls.append(report.id)
        if len(calls) == 2:  # the second report is done (committed), its email not yet made
            raise Killed
        return send(report, **kw)

    monkeypatch.setattr(service, "send_report", dies_on_the_second)
    with pytest.raises(Killed):
        report_jobs.weekly_reports(ids)
    db.session.rollback()
    assert [r.status for r in _reports()[:2]] == ["done", "done"]
    assert len(_emails_by_key()) == 1
    first_email = db.session.execute(select(OutboxEmail)).scalar_one()
    # killed before the chunk queued its deliveries: the email is committed, and the outbox sweep sends it
    assert get_queue(DEFAULT).get_job_ids() == []
    assert (first_email.id, 0) in mail.due_for_retry()

    monkeypatch.setattr(service, "send_report", send)
    report_jobs.weekly_reports(ids)  # RQ's re-run of the abandoned chunk
    report_jobs.weekly_reports(ids)  # and once more: nothing new
    keys = _emails_by_key()
    assert keys == {_key(r): 1 for r in _reports()[:2]}
    second = db.session.execute(select(OutboxEmail).where(OutboxEmail.id != first_email.id)).scalar_one()
    assert get_queue(DEFAULT).get_job_ids() == [f"email-{second.id}"]  # the re-run queued only its new email
    payload = _reports()[0].payload
    assert payload is not None
    assert payload["kind"] == "weekly"


def test_the_brand_is_read_once_per_chunk(app, five):
    service.weekly_fanout(MONDAY)
    ids = [r.id for r in _reports()[:2]]
    reads = []

    def count(conn, cursor, statement, *args):
        if "FROM brand_settings" in statement:
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        report_jobs.weekly_reports(ids)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(reads) == 1  # one report alone read it six times (the locale, the email's header and footer)
    assert [r.status for r in _reports()[:2]] == ["done", "done"]


def test_a_down_queue_marks_the_chunked_reports_failed(app, five, monkeypatch):
    monkeypatch.setattr(dispatch, "enqueue_weekly_chunks", lambda batch: False)
    assert service.weekly_fanout(MONDAY) == 0
    assert {r.status for r in _reports()} == {"failed"}
