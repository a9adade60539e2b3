"""Sync tests: the engine against the sandbox over HTTP, a real RQ worker, real DB and Redis.

The sandbox clock is moved to the real "now" so the product's today and the platform's today agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from rq import SimpleWorker
from sqlalchemy import func, select

from app.extensions import db
from app.models import Connection
from app.models.history import ContentItem, ContentMetricSnapshot, DailySnapshot
from app.models.sync import SyncRun
from app.queueing.queues import QUEUES, get_queue
from app.redis_conn import get_redis
from tests.support.connect import connect, portal_app
from tests.support.sandbox import SandboxControl, sandbox, sandbox_app, sandbox_url  # noqa: F401

FAST = {
    "SYNC_BACKOFF_BASE_SECONDS": 1,
    "SYNC_BACKOFF_CAP_SECONDS": 5,
    "SYNC_LOCK_TTL_SECONDS": 10,
    "SYNC_META_SLOWDOWN_SECONDS": 0,
    "PLATFORM_READ_TIMEOUT_SECONDS": 6,  # a busy 2-core CI box can take 3 s for a year of analytics
}


@pytest.fixture
def world(sandbox: SandboxControl) -> SandboxControl:  # noqa: F811
    sandbox.set_clock(now=datetime.now(UTC).replace(microsecond=0).isoformat())
    return sandbox


@pytest.fixture
def app(make_app: Any, sandbox_url: str, world: SandboxControl) -> Iterator[Flask]:  # noqa: F811
    app = portal_app(make_app, sandbox_url, **FAST)
    with app.app_context():
        yield app


@pytest.fixture
def creator(factory: Any) -> Any:
    coach = factory.coach(email="coach@example.com")
    return factory.client(coach=coach, email="creator@example.com", name="Cara Creator")


ACCOUNT_SPECS = {
    "instagram": {"username": "ig.creator", "followers": 15_234, "seed": 7, "account_type": "MEDIA_CREATOR"},
    "tiktok": {"username": "tt.creator", "followers": 10_234, "seed": 8},
    "youtube": {"username": "yt.creator", "followers": 15_432, "seed": 9},
    "x": {"username": "x.creator", "followers": 5_321, "seed": 11},
    "facebook": {"username": "fb.creator", "followers": 12_345, "seed": 10, "owner": "Cara"},
    "linkedin": {"username": "li.creator", "followers": 4_200, "seed": 21},
}


@pytest.fixture
def link(client: Any, creator: Any, world: SandboxControl) -> Any:
    """``link(platform, **spec) -> (connection id, sandbox account)`` via the real OAuth round trip."""
    client.login("creator@example.com")

    def make(platform: str, **spec: Any) -> tuple[int, dict[str, Any]]:
        base = dict(ACCOUNT_SPECS[platform])
        base.update(spec)
        username, followers = base.pop("username"), base.pop("followers")
        account = world.create_account(platform, username, followers, **base)
        resp = connect(client, world, platform, account["id"])
        assert resp.status_code in (302, 303), resp.get_data(as_text=True)
        db.session.expire_all()
        conn = db.session.execute(select(Connection).where(Connection.platform == platform)).scalar_one()
        return conn.id, account

    return make


def drain(app: Flask, limit: int = 50) -> None:
    """Run every queued sync job with a real RQ worker (burst)."""
    worker = SimpleWorker([get_queue(q) for q in QUEUES], connection=get_redis())
    worker.work(burst=True, max_jobs=limit)
    db.session.expire_all()


def run_scheduled(app: Flask) -> int:
    """Move every scheduled (retry/deferred) sync job to the queue now, as the scheduler would later."""
    queue = get_queue("sync")
    registry = queue.scheduled_job_registry
    ids = registry.get_job_ids()
    for job_id in ids:
        registry.remove(job_id)
        queue.enqueue_job(queue.fetch_job(job_id))
    return len(ids)


def counts(connection_id: int) -> dict[str, int]:
    db.session.expire_all()

    def n(query: Any) -> int:
        return int(db.session.execute(query).scalar_one())

    return {
        "snapshots": n(
            select(func.count())
            .select_from(DailySnapshot)
            .where(DailySnapshot.connection_id == connection_id, DailySnapshot.provenance == "measured")
        ),
        "items": n(select(func.count()).select_from(ContentItem).where(ContentItem.connection_id == connection_id)),
        "metric_snapshots": n(
            select(func.count())
            .select_from(ContentMetricSnapshot)
            .join(ContentItem)
            .where(ContentItem.connection_id == connection_id)
        ),
        "runs": n(select(func.count()).select_from(SyncRun).where(SyncRun.connection_id == connection_id)),
    }


def runs(connection_id: int) -> list[SyncRun]:
    db.session.expire_all()
    return list(
        db.session.execute(select(SyncRun).where(SyncRun.connection_id == connection_id).order_by(SyncRun.id)).scalars()
    )
