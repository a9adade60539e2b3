"""Chaos (issue "Reliability"): the PostgreSQL server stopped (``pg_ctl stop -m immediate``) in the middle
of a sync run by a real worker, kept down for seconds, and started again.

A private cluster (initdb in a temporary directory, a free port, the ``postgres`` user when the tests
run as root) is migrated with Alembic and used by the app and a ``python worker.py`` subprocess. The
sandbox's latency keeps the sync mid-flight while the database goes away. Skipped only when no
PostgreSQL server binaries are installed.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.jobs import sync as sync_jobs
from app.models.history import DailySnapshot
from app.models.sync import SyncRun
from app.queueing import dispatch
from app.queueing.queues import get_queue
from tests.chaos.support import free_port, kill_tree, start_worker, wait_for, worker_env
from tests.conftest import PortalClient, app_config
from tests.support.connect import REDIRECT_BASE
from tests.sync.conftest import FAST

DOWN_SECONDS = 6


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


class PrivatePostgres:
    """A throw-away PostgreSQL cluster; ``stop()`` is an immediate (crash-like) shutdown."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="chaos-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to the postgres user
            shutil.chown(self.folder, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        cmd = [*self.as_user, *args]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
        if result.returncode != 0:
            log = self.folder / "pg.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            pytest.fail(f"{' '.join(args)} failed: {result.stdout}{result.stderr}\n{tail}")

    def init(self) -> None:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            opts,
            "-l",
            str(self.folder / "pg.log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def destroy(self) -> None:
        subprocess.run(  # noqa: S603
            [*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    bindir = _pg_bin()
    if bindir is None or not (bindir / "initdb").exists():
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) installed")
    server = PrivatePostgres(bindir)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture
def app(
    private_pg: PrivatePostgres, redis_url: str, instance_dir: Path, sandbox_url: str, world: Any
) -> Iterator[Flask]:
    """The sync tests' app on the private cluster, migrated with Alembic as production is."""
    from flask_migrate import upgrade

    cfg = app_config(
        private_pg.url,
        redis_url,
        instance_dir,
        PLATFORM_SANDBOX_URL=sandbox_url,
        OAUTH_REDIRECT_BASE=REDIRECT_BASE,
        **FAST,
    )
    app = create_app(cfg)
    app.test_client_class = PortalClient
    with app.app_context():
        upgrade()
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()
    redis.Redis.from_url(redis_url).flushdb()


def _runs(conn_id: int) -> list[SyncRun]:
    return list(
        db.session.execute(select(SyncRun).where(SyncRun.connection_id == conn_id).order_by(SyncRun.id)).scalars()
    )


def _safe(predicate: Any) -> Any:
    """The test's own session meets the restart too: a failed poll is a "not yet"."""

    def poll() -> Any:
        try:
            return predicate()
        except Exception:  # noqa: BLE001 - OperationalError while the server is down or restarting
            db.session.rollback()
            return False

    return poll


@pytest.mark.slow
def test_postgres_down_mid_sync_the_sync_is_retried_and_the_run_says_why(
    app: Flask, link_many: Any, world: Any, sandbox_url: str, private_pg: PrivatePostgres, tmp_path: Path
) -> None:
    ((conn_id, _, _),) = link_many(1)
    queue = get_queue("sync")
    queue.empty()  # the daily job is the sync under test
    day = datetime.now(UTC).date()
    assert sync_jobs.daily_fanout() == 1
    job_id = dispatch.daily_sync_job_id(conn_id, day)
    world.set_latency(1500)  # each platform call takes 1.5 s: the database goes away mid-sync
    world.clear_calls()
    # retries within 2 s, 4 s, then 8 s (full jitter), 8 of them: the database's 6 s away are outlasted
    env = worker_env(
        app,
        sandbox_url,
        SYNC_LOCK_TTL_SECONDS="30",
        SYNC_BACKOFF_BASE_SECONDS="2",
        SYNC_BACKOFF_CAP_SECONDS="8",
        SYNC_RETRY_BUDGET="8",
    )
    log = tmp_path / "workers.log"
    worker = start_worker(env, log)
    try:
        wait_for(
            _safe(lambda: any(r.status == "running" for r in _runs(conn_id)) and len(world.calls()) >= 1),
            60,
            "the sync to be running",
            log,
        )
        db.session.remove()
        private_pg.stop()
        down_at = time.monotonic()
        world.set_latency(0)  # the fetch ends now: the sync's write meets the database down
        time.sleep(DOWN_SECONDS)
        private_pg.start()
        up_after = time.monotonic() - down_at
        # bounded: the retries (budget 5, backoff capped at 8 s) reach the database once it is back
        wait_for(
            _safe(lambda: any(r.status in ("succeeded", "partial") for r in _runs(conn_id))),
            45,
            "the daily sync to succeed after the restart",
            log,
        )
    finally:
        if worker.poll() is None:
            kill_tree(worker)
    runs = _runs(conn_id)
    statuses = [(r.status, r.error_class) for r in runs]
    assert sum(s in ("succeeded", "partial") for s, _ in statuses) == 1, statuses
    assert all(s != "running" for s, _ in statuses), statuses
    failed = [r for r in runs if r.status == "failed"]
    assert failed, f"no run records the outage: {statuses}"
    assert all(r.error_class == "database" for r in failed), statuses
    assert all(r.finished_at is not None for r in failed)
    snapshots = db.session.execute(
        select(DailySnapshot.day).where(DailySnapshot.connection_id == conn_id, DailySnapshot.day == day)
    ).all()
    assert len(snapshots) == 1
    assert queue.fetch_job(job_id) is not None
    assert up_after >= DOWN_SECONDS
    print(f"runs after {up_after:.1f} s without the database: {statuses}")
