"""The cron table builds one scheduler whose jobs a real worker runs."""

from __future__ import annotations

from rq import SimpleWorker

from app.cron import SCHEDULE, build_scheduler
from app.jobs.system import HEARTBEAT_KEY
from app.queueing.queues import QUEUES, get_queue
from app.redis_conn import get_redis


def test_schedule_entries_are_valid():
    names = [e.name for e in SCHEDULE]
    assert len(names) == len(set(names))
    for entry in SCHEDULE:
        assert entry.queue in QUEUES
        assert (entry.cron is None) != (entry.interval_seconds is None)


def test_scheduler_enqueues_due_jobs_and_worker_runs_them(app):
    conn = get_redis()
    scheduler = build_scheduler(conn)
    assert len(scheduler.get_jobs()) == len(SCHEDULE)
    enqueued = scheduler.enqueue_jobs()  # interval jobs are due at once
    assert any(job.name == "cron-heartbeat" for job in enqueued)
    SimpleWorker([get_queue(q) for q in QUEUES], connection=conn).work(burst=True)
    assert conn.get(HEARTBEAT_KEY) is not None
