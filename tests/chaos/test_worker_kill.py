"""Chaos (issue "Reliability"): the sync worker SIGKILLed 20 times at random points of a day's fan-out.

Real parts only: ``python worker.py`` subprocesses (work-horse and all, killed as a process tree), the
test database and Redis, the platform sandbox over HTTP with latency to widen the windows. Some kills
land while a sync run is ``running`` (mid-fetch or mid-write). Afterwards a last worker finishes, the
hourly catch-up sweep runs (as cron would), and the day must be synced exactly once per connection.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rq.job import Job
from sqlalchemy import func, select

from app.extensions import db
from app.jobs import sync as sync_jobs
from app.models.base import utcnow
from app.models.history import ContentItem, DailySnapshot
from app.models.sync import SyncRun
from app.queueing import dispatch
from app.queueing.queues import get_queue
from tests.chaos.support import kill_tree, start_worker, wait_for, worker_env
from tests.sync.conftest import drain, run_scheduled

KILLS = 20
CONNECTIONS = 7


def _running_since(day: Any, since: datetime) -> bool:
    """A sync run of this worker's is in progress (not one an earlier killed worker left ``running``)."""
    return any(r.status == "running" and r.started_at >= since for r in _day_runs(day))


def _work_left(queue: Any) -> bool:
    return bool(queue.job_ids or queue.started_job_registry.get_job_ids())


def _day_runs(day: Any) -> list[SyncRun]:
    db.session.expire_all()
    return list(db.session.execute(select(SyncRun).where(SyncRun.day == day).order_by(SyncRun.id)).scalars())


@pytest.mark.slow
def test_worker_killed_20_times_during_the_daily_fanout_syncs_each_connection_once(
    app: Any, link_many: Any, world: Any, sandbox_url: str, tmp_path: Path
) -> None:
    seed = int(os.environ.get("CHAOS_SEED") or random.SystemRandom().randrange(1_000_000))
    rng = random.Random(seed)
    note = f"(seed {seed}; rerun with CHAOS_SEED={seed})"
    linked = link_many(CONNECTIONS)
    ids = [conn_id for conn_id, _, _ in linked]
    day = datetime.now(UTC).date()
    queue = get_queue("sync")
    queue.empty()  # no initial syncs: any run today counts for the catch-up (as if linked on a former day)
    assert sync_jobs.daily_fanout() == CONNECTIONS
    daily_ids = [dispatch.daily_sync_job_id(i, day) for i in ids]
    assert sorted(queue.job_ids) == sorted(daily_ids)

    world.set_latency(300)  # every platform call takes 0.3 s: each sync is mid-flight for seconds
    env = worker_env(app, sandbox_url)
    log = tmp_path / "workers.log"
    mid_run = 0
    worker = None
    try:
        for n in range(KILLS):
            since = utcnow()
            worker = start_worker(env, log)
            if n % 3 == 0:  # every third kill waits for a sync to be running, then kills it mid-way
                deadline = time.monotonic() + (15 if _work_left(queue) else 0)
                while time.monotonic() < deadline and not _running_since(day, since):
                    time.sleep(0.1)
                time.sleep(rng.uniform(0.0, 1.5))
            else:
                time.sleep(rng.uniform(0.5, 4.0))
            mid_run += _running_since(day, since)
            kill_tree(worker)
        assert mid_run >= KILLS // 4, f"only {mid_run} kills hit a running sync {note}"

        world.set_latency(0)
        worker = start_worker(env, log)

        def settled() -> bool:
            # a dead worker holds RQ's scheduler lock for 61 s: its scheduled follow-ups are moved now,
            # as the restarted worker's scheduler would do once that lock expires
            run_scheduled(app)
            started = queue.started_job_registry.get_job_ids()
            if queue.job_ids or started or queue.scheduled_job_registry.get_job_ids():
                return False
            # the hourly catch-up (cron): a connection whose daily job died for good is queued again
            catch_up_now = max(datetime.now(UTC), datetime(day.year, day.month, day.day, 4, tzinfo=UTC))
            return sync_jobs.catch_up_daily(now=catch_up_now) == 0

        wait_for(settled, 150, "the sync queue to settle", log, note)
    finally:
        if worker is not None and worker.poll() is None:
            kill_tree(worker)

    runs = _day_runs(day)
    assert not [r.id for r in runs if r.status == "running"], f"runs left running {note}"
    done = Counter(r.connection_id for r in runs if r.trigger == "daily" and r.status in ("succeeded", "partial"))
    assert done == Counter(ids), f"daily runs per connection {dict(done)} {note}"
    snapshots = Counter(
        db.session.execute(
            select(DailySnapshot.connection_id).where(DailySnapshot.day == day, DailySnapshot.connection_id.in_(ids))
        ).scalars()
    )
    assert snapshots == Counter(ids), f"snapshot rows per connection {dict(snapshots)} {note}"
    dupes = db.session.execute(
        select(ContentItem.connection_id, ContentItem.platform_id, func.count())
        .group_by(ContentItem.connection_id, ContentItem.platform_id)
        .having(func.count() > 1)
    ).all()
    assert not dupes, f"duplicate content items {dupes} {note}"
    # no job lost: the queue is empty and each daily job finished (or, when a worker died under it
    # on every try, the catch-up's job for that connection did)
    assert queue.job_ids == [], note
    assert queue.scheduled_job_registry.get_job_ids() == [], note
    for conn_id, job_id in zip(ids, daily_ids, strict=True):
        status = Job.fetch(job_id, connection=queue.connection).get_status()
        assert status in ("finished", "failed"), f"{job_id}: {status} {note}"
        if status == "failed":
            again = [j for j in queue.finished_job_registry.get_job_ids() if j.startswith(f"{job_id}-again-")]
            assert again, f"{job_id} failed and nothing finished its work {note}"
    interrupted = sum(r.error_class == "interrupted" for r in runs)
    caught_up = sum("-again-" in j for j in queue.finished_job_registry.get_job_ids())
    print(
        f"chaos seed {seed}: {mid_run} kills mid-sync, {interrupted} interrupted runs, {len(runs)} runs today, "
        f"{caught_up} daily jobs caught up after their retries were spent"
    )


def _fail_for_good(job_id: str) -> None:
    """What RQ does to a job whose worker died under it on every try: failed, in the failed registry."""
    queue = get_queue("sync")
    job = Job.fetch(job_id, connection=queue.connection)
    queue.remove(job_id)
    queue.failed_job_registry.add(job, exc_string="Moved to FailedJobRegistry: abandoned", ttl=3600)
    job.set_status("failed")


def test_a_daily_job_killed_on_every_try_is_caught_up_under_a_new_id(app: Any, link_many: Any) -> None:
    """Defect found by the chaos test's design: a daily job whose worker was killed on every try (RQ's
    crash retries spent) left the connection with an ``interrupted`` run (or one still ``running``) and
    a failed job under today's id; the hourly catch-up counted that as "ran today" and the id as taken,
    so the day was never synced. Now it queues the connection again under ``<daily id>-again-<ts>``."""
    (killed, _, _), (stuck, _, _), (fine, _, _) = link_many(3)
    queue = get_queue("sync")
    queue.empty()  # no initial syncs: a run of any kind today counts as synced (linked on a former day)
    day = datetime.now(UTC).date()
    assert sync_jobs.daily_fanout() == 3
    for conn_id, status, error in ((killed, "failed", "interrupted"), (stuck, "running", None)):
        db.session.add(
            SyncRun(
                connection_id=conn_id,
                trigger="daily",
                status=status,
                error_class=error,
                day=day,
                started_at=utcnow(),
                job_id=dispatch.daily_sync_job_id(conn_id, day),
            )
        )
        _fail_for_good(dispatch.daily_sync_job_id(conn_id, day))
    db.session.commit()
    now = max(datetime.now(UTC), datetime(day.year, day.month, day.day, 4, tzinfo=UTC))
    # the third connection's daily job is still queued: counted, not doubled
    assert sync_jobs.catch_up_daily(now=now) == 3
    again = sorted(j for j in queue.job_ids if "-again-" in j)
    assert [j.split("-again-")[0] for j in again] == sorted(dispatch.daily_sync_job_id(i, day) for i in (killed, stuck))
    assert dispatch.daily_sync_job_id(fine, day) in queue.job_ids
    drain(app)
    runs = _day_runs(day)
    assert not [r for r in runs if r.status == "running"]  # the new sync closed the dead one
    done = Counter(r.connection_id for r in runs if r.trigger == "daily" and r.status in ("succeeded", "partial"))
    assert done == Counter([killed, stuck, fine])
    assert sync_jobs.catch_up_daily(now=now) == 0


def test_a_daily_job_run_again_after_its_sync_succeeded_does_not_sync_twice(app: Any, link_many: Any) -> None:
    """Defect found with the chaos test: a worker killed after the sync's commit but before RQ marked
    the job finished has the job retried (abandoned), and the retry synced the day a second time. A
    daily sync now finds today's successful daily run and stops ("fresh")."""
    ((conn_id, _, _),) = link_many(1)
    drain(app)
    assert sync_jobs.sync_connection(conn_id, "daily") in ("succeeded", "partial")
    assert sync_jobs.sync_connection(conn_id, "daily") == "fresh"  # RQ's crash retry of the same job
    assert sync_jobs.sync_connection(conn_id, "manual") in ("succeeded", "partial")  # other triggers still run
    day = datetime.now(UTC).date()
    assert sum(r.trigger == "daily" and r.status in ("succeeded", "partial") for r in _day_runs(day)) == 1
