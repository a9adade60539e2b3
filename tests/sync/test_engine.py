"""The sync end to end: initial sync per platform, a second sync the same day, the call plan."""

from __future__ import annotations

from typing import Any

import pytest

from app.extensions import db
from app.models import Connection
from app.queueing import dispatch
from app.sync import engine
from tests.sync.conftest import counts, drain, runs


@pytest.mark.parametrize("platform", ["instagram", "tiktok", "youtube", "x", "facebook", "linkedin"])
def test_initial_sync_then_same_day_resync_writes_one_day(app: Any, link: Any, world: Any, platform: str) -> None:
    conn_id, account = link(platform)
    assert dispatch.enqueue_sync(conn_id, "initial")
    drain(app)
    first = counts(conn_id)
    assert first["snapshots"] == 1, first
    assert first["items"] > 0, first
    run = runs(conn_id)[-1]
    assert run.status in ("succeeded", "partial"), (run.status, run.error_message, run.details)
    assert run.calls > 0
    conn = db.session.get(Connection, conn_id)
    assert conn.status == "connected"
    assert conn.last_sync_at is not None
    # again the same day: nothing duplicated
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    again = counts(conn_id)
    assert again["snapshots"] == 1
    assert again["items"] == first["items"]
    assert again["metric_snapshots"] == first["metric_snapshots"]
