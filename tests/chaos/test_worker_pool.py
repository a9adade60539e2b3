"""``python worker.py --processes N`` (app/prefork.py): one parent starts once and forks N RQ workers.

Real parts only: the pool as a subprocess, its children real RQ workers on the test database and Redis,
the sandbox over HTTP with latency so a sync is mid-flight for seconds. A child SIGKILLed in the middle
of a sync is replaced and the sync is retried and completes, as for a killed ``worker.py``
(tests/sync/test_crash.py); SIGTERM or SIGINT to the parent is RQ's warm shutdown of every child (the
running sync finishes) and nothing of the pool is left running.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import psutil
import pytest
from rq import Worker

from app.extensions import db
from app.models import Connection
from app.queueing.queues import get_queue
from tests.chaos.support import kill_tree, start_worker, wait_for, worker_env
from tests.sync.conftest import counts, runs

PROCESSES = 2


def _workers_of(pool: Any) -> dict[int, str]:
    """The pool's live workers (its direct children) registered with RQ: pid -> RQ worker name."""
    try:
        pids = {c.pid for c in psutil.Process(pool.pid).children() if c.status() != psutil.STATUS_ZOMBIE}
    except psutil.NoSuchProcess:
        return {}
    registered = Worker.all(connection=get_queue("sync").connection)
    return {w.pid: w.name for w in registered if w.pid in pids}


def _running(job_id: str) -> int | None:
    """The pid of the RQ worker that has ``job_id`` as its current job."""
    for w in Worker.all(connection=get_queue("sync").connection):
        if w.get_current_job_id() == job_id:
            return w.pid
    return None


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["no-fork", "fork"])
def test_a_pool_worker_killed_mid_sync_is_replaced_and_the_sync_retried(
    app: Any, link_many: Any, world: Any, sandbox_url: str, tmp_path: Path, mode: str
) -> None:
    extra = ("--no-fork",) if mode == "no-fork" else ()
    ((conn_id, _, account),) = link_many(1)  # queues the initial sync
    queue = get_queue("sync")
    (job_id,) = queue.job_ids
    world.set_latency(1000)  # every platform call takes a second: the sync is mid-flight for a while
    world.clear_calls()
    log = tmp_path / "pool.log"
    pool = start_worker(worker_env(app, sandbox_url), log, *extra, "--processes", str(PROCESSES))
    try:
        victim = wait_for(lambda: _running(job_id), 60, "a pool worker to take the sync", log)
        wait_for(lambda: len(world.calls("tiktok")) >= 2, 30, "the sync to be mid-flight", log)
        before = _workers_of(pool)
        assert victim in before
        assert len(before) == PROCESSES
        # only the worker: what it leaves (forking, its work-horse; RQ's scheduler if it ran it) is adopted
        # by the pool's parent and stopped, as if the worker's whole process tree had been killed
        left_behind = psutil.Process(victim).children(recursive=True)
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: not any(_alive(p) for p in left_behind), 15, "the dead worker's children to stop", log)
        assert [r.status for r in runs(conn_id)] == ["running"]
        assert counts(conn_id)["snapshots"] == 0
        world.set_latency(0)

        def replaced() -> bool:
            now = _workers_of(pool)
            return len(now) == PROCESSES and victim not in now

        wait_for(replaced, 60, "the pool to replace the killed worker", log)
        wait_for(lambda: any(r.status in ("succeeded", "partial") for r in runs(conn_id)), 60, "the retried sync", log)
        job = queue.fetch_job(job_id)
        assert job is not None
        wait_for(lambda: job.get_status() == "finished", 15, "RQ to mark the job finished", log)
        assert pool.poll() is None
        assert len(_workers_of(pool)) == PROCESSES  # still N workers after the retry
    finally:
        if pool.poll() is None:
            kill_tree(pool)
    all_runs = runs(conn_id)
    assert all_runs[0].status == "failed"
    assert all_runs[0].error_class == "interrupted"
    assert sum(r.status in ("succeeded", "partial") for r in all_runs) == 1
    assert all(r.status != "running" for r in all_runs)
    assert db.session.get(Connection, conn_id).status == "connected"
    assert counts(conn_id)["snapshots"] == 1
    assert job.retries_left == 1
    assert log.read_text().count('"event": "pool_worker_started"') == PROCESSES + 1


@pytest.mark.slow
@pytest.mark.parametrize(
    ("mode", "signum"), [("no-fork", signal.SIGTERM), ("fork", signal.SIGINT)], ids=["no-fork-SIGTERM", "fork-SIGINT"]
)
def test_stopping_the_pool_lets_the_running_sync_finish_and_leaves_nothing_running(
    app: Any, link_many: Any, world: Any, sandbox_url: str, tmp_path: Path, mode: str, signum: int
) -> None:
    extra = ("--no-fork",) if mode == "no-fork" else ()
    ((conn_id, _, _),) = link_many(1)
    queue = get_queue("sync")
    (job_id,) = queue.job_ids
    world.set_latency(1000)
    world.clear_calls()
    log = tmp_path / "pool.log"
    pool = start_worker(worker_env(app, sandbox_url), log, *extra, "--processes", str(PROCESSES))
    try:
        wait_for(lambda: len(_workers_of(pool)) == PROCESSES, 60, "the pool's workers to register", log)
        wait_for(lambda: _running(job_id), 60, "a pool worker to take the sync", log)
        wait_for(lambda: len(world.calls("tiktok")) >= 1, 30, "the sync to be mid-flight", log)
        members = _tree(pool.pid)  # parent, workers, work-horse, RQ's scheduler
        assert len(members) >= 1 + PROCESSES
        os.kill(pool.pid, signum)
        assert pool.wait(timeout=90) == 0, log.read_text()[-3000:]
    finally:
        if pool.poll() is None:
            kill_tree(pool)
    left = [p.pid for p in members if _alive(p)]
    assert left == [], f"still running after the pool stopped: {left}\n{log.read_text()[-3000:]}"
    # warm shutdown: the sync that was running finished (not cut, not queued again)
    assert [r.status for r in runs(conn_id)] in (["succeeded"], ["partial"])
    job = queue.fetch_job(job_id)
    assert job is not None
    assert job.get_status() == "finished"
    assert not [w for w in Worker.all(connection=queue.connection) if w.pid in {p.pid for p in members}]
    assert '"event": "pool_stopping"' in log.read_text()
