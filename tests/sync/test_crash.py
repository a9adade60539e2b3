"""Crash safety (J1, J2): a real ``python worker.py`` SIGKILLed mid-sync, a second worker finishing the job,
and the cron reaper for runs a dead worker left ``running``."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.jobs import sync as sync_jobs
from app.models import Connection
from app.models.base import utcnow
from app.models.history import ContentItem
from app.models.sync import SyncRun
from app.queueing import dispatch
from app.queueing.queues import get_queue
from app.sync.plans import INITIAL_MAX_ITEMS
from tests.chaos.support import kill_tree as _kill_tree
from tests.chaos.support import start_worker as _start_worker
from tests.chaos.support import wait_for as _wait
from tests.chaos.support import worker_env as _worker_env
from tests.sync.conftest import counts, runs


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["fork", "no-fork"])
def test_sigkilled_worker_mid_sync_is_retried_and_the_day_is_synced_once(
    app: Any, link: Any, world: Any, sandbox_url: str, tmp_path: Path, mode: str
) -> None:
    """Both worker kinds: the forking one (the horse dies with it) and ``--no-fork`` (the job runs in the
    killed process itself; its heartbeat thread must keep the abandoned-job detection as quick)."""
    extra = ("--no-fork",) if mode == "no-fork" else ()
    conn_id, account = link("tiktok")  # queues the initial sync
    queue = get_queue("sync")
    assert len(queue.job_ids) == 1
    job_id = queue.job_ids[0]
    world.set_latency(1000)  # every platform call takes a second: the sync is mid-flight for a while
    world.clear_calls()
    env = _worker_env(app, sandbox_url)
    log = tmp_path / "workers.log"
    first = _start_worker(env, log, *extra)
    second = None
    try:

        def mid_sync() -> bool:
            running = [r for r in runs(conn_id) if r.status == "running"]
            return bool(running) and len(world.calls("tiktok")) >= 2

        _wait(mid_sync, 30, "the first worker to be mid-sync", log)
        _kill_tree(first)
        # the crash left a running run and a "syncing" connection, and nothing of the sync
        assert [r.status for r in runs(conn_id)] == ["running"]
        assert db.session.get(Connection, conn_id).status == "syncing"
        assert counts(conn_id)["snapshots"] == 0
        assert counts(conn_id)["items"] == 0

        world.set_latency(0)
        second = _start_worker(env, log, *extra)

        def synced() -> bool:
            return any(r.status in ("succeeded", "partial") for r in runs(conn_id))

        _wait(synced, 45, "the retried job to finish", log)
        # the run commits before the job's follow-ups (alerts, page preparation) are queued and RQ marks
        # the job finished: the worker must live until then, or the test kills it in that window
        job = queue.fetch_job(job_id)
        assert job is not None
        _wait(lambda: job.get_status() == "finished", 15, "RQ to mark the job finished", log)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                _kill_tree(proc)
    all_runs = runs(conn_id)
    assert [r.status for r in all_runs][0] == "failed"
    assert all_runs[0].error_class == "interrupted"
    assert all_runs[0].finished_at is not None
    assert sum(r.status in ("succeeded", "partial") for r in all_runs) == 1
    assert all(r.status != "running" for r in all_runs)
    assert db.session.get(Connection, conn_id).status == "connected"
    after = counts(conn_id)
    assert after["snapshots"] == 1
    posts = world.account(account["id"], posts=True)["posts"]
    ids = (
        db.session.execute(select(ContentItem.platform_id).where(ContentItem.connection_id == conn_id)).scalars().all()
    )
    assert len(ids) == len(set(ids)) == min(len(posts), INITIAL_MAX_ITEMS)  # every post once, none twice
    assert job.retries_left == 1


def test_reaper_closes_runs_a_dead_worker_left_running(app: Any, link: Any) -> None:
    conn_id, _ = link("youtube")
    conn = db.session.get(Connection, conn_id)
    conn.status = "syncing"
    stale = SyncRun(
        connection_id=conn_id,
        trigger="daily",
        status="running",
        day=utcnow().date(),
        started_at=utcnow() - timedelta(seconds=dispatch.sync_job_timeout() + 300),
        details={"prev_status": "expiring"},
    )
    db.session.add(stale)
    db.session.commit()
    assert sync_jobs.reap_stale_syncs() == 1
    db.session.expire_all()
    stale = db.session.get(SyncRun, stale.id)
    assert stale.status == "failed"
    assert stale.error_class == "interrupted"
    assert stale.finished_at is not None
    assert db.session.get(Connection, conn_id).status == "expiring"  # put back to what it was
    # a run still within the job timeout belongs to a live worker: left alone
    fresh = SyncRun(
        connection_id=conn_id,
        trigger="daily",
        status="running",
        day=utcnow().date(),
        started_at=utcnow() - timedelta(seconds=30),
    )
    db.session.get(Connection, conn_id).status = "syncing"
    db.session.add(fresh)
    db.session.commit()
    assert sync_jobs.reap_stale_syncs() == 0
    db.session.expire_all()
    assert db.session.get(SyncRun, fresh.id).status == "running"
    assert db.session.get(Connection, conn_id).status == "syncing"
    n = db.session.execute(select(func.count()).select_from(SyncRun).where(SyncRun.status == "running")).scalar()
    assert n == 1


@pytest.mark.slow
def test_no_fork_worker_keeps_a_long_job_alive(
    app: Any, link: Any, world: Any, sandbox_url: str, tmp_path: Path
) -> None:
    """A ``--no-fork`` sync lasting longer than the job heartbeat TTL (monitoring interval + RQ_WORKER_TTL,
    8 s here) is not taken for abandoned by a second worker's registry maintenance: one run, no retry."""
    conn_id, _ = link("tiktok")
    queue = get_queue("sync")
    job_id = queue.job_ids[0]
    world.set_latency(2000)  # several calls of 2 s: the sync runs well past the 8 s heartbeat TTL
    env = {**_worker_env(app, sandbox_url), "SYNC_LOCK_TTL_SECONDS": "30"}  # the lock outlives a call
    log = tmp_path / "workers.log"
    first = _start_worker(env, log, "--no-fork")
    second = None
    try:
        _wait(lambda: any(r.status == "running" for r in runs(conn_id)), 30, "the sync to start", log)
        second = _start_worker(env, log, "--no-fork")  # idle: its maintenance cleans the registries
        _wait(
            lambda: any(r.status in ("succeeded", "partial") for r in runs(conn_id)), 60, "the long sync to finish", log
        )
        time.sleep(4)  # a wrongly re-queued job would now be picked up by the idle worker
        job = queue.fetch_job(job_id)
        assert job is not None
        # RQ marks the job finished after its follow-ups are queued: the workers live until then
        _wait(lambda: job.get_status() == "finished", 15, "RQ to mark the job finished", log)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                _kill_tree(proc)
    all_runs = runs(conn_id)
    assert [r.status for r in all_runs] in (["succeeded"], ["partial"])
    assert (all_runs[0].finished_at - all_runs[0].started_at).total_seconds() > 9
    assert job.retries_left == 2
