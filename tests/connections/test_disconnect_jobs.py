"""D3: a disconnect cancels the connection's queued and scheduled sync jobs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Connection
from app.queueing import queues
from app.queueing.dispatch import enqueue_sync
from tests.support.connect import connect


def _sync_job_ids(conn_id: int) -> set[str]:
    q = queues.get_queue(queues.SYNC)
    ids = set(q.get_job_ids()) | set(q.scheduled_job_registry.get_job_ids())
    return {j for j in ids if j.startswith(f"sync-{conn_id}-")}


def test_disconnect_cancels_queued_and_scheduled_syncs(client, creator, sandbox, accounts):
    client.login("creator@example.com")
    connect(client, sandbox, "tiktok", accounts["tiktok"]["id"])
    db.session.expire_all()
    conn = db.session.execute(select(Connection)).scalar_one()
    assert enqueue_sync(conn.id, "daily", job_id=f"sync-{conn.id}-daily-test")
    queues.get_queue(queues.SYNC).enqueue_in(
        timedelta(hours=1), "app.jobs.sync.sync_connection", conn.id, job_id=f"sync-{conn.id}-retry-test"
    )
    other = f"sync-{conn.id + 1000}-daily-test"
    queues.get_queue(queues.SYNC).enqueue("app.jobs.sync.sync_connection", conn.id + 1000, job_id=other)
    assert len(_sync_job_ids(conn.id)) >= 2
    resp = client.hx("POST", f"/portal/settings/connections/{conn.id}/disconnect", data={"history": "keep"})
    assert resp.status_code == 200
    assert _sync_job_ids(conn.id) == set()
    assert other in queues.get_queue(queues.SYNC).get_job_ids()  # another connection's job is untouched
