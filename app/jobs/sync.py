"""Sync jobs (queue ``sync``): id-only entry points for the worker, the cron table and the CLI.

* ``sync_connection(id, trigger, attempt, not_before)``: one sync; the engine classifies errors and
  schedules its own follow-ups, so RQ's ``Retry`` only ever fires after a crash (SIGKILL, OOM).
* ``daily_fanout()``: 03:00 UTC, one job per active connection with the id ``sync-{id}-{YYYYMMDD}``
  (unique: a second fan-out the same day, or a second cron process, adds nothing; J4).
* ``purge_raw_responses()``: raw platform answers are kept 30 days.
* ``reap_stale_syncs()``: closes runs a dead worker left ``running`` (no connection stuck "syncing").
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from rq import Retry
from sqlalchemy import delete, select

from app.extensions import db
from app.jobs import queues
from app.models import Connection
from app.models.base import utcnow
from app.models.connection import USABLE_STATUSES
from app.models.sync import RawResponse, SyncTrigger
from app.sync import engine

log = logging.getLogger(__name__)

RAW_RETENTION = timedelta(days=30)
FUNC = "app.jobs.sync.sync_connection"


def job_timeout() -> int:
    return int(current_app.config["SYNC_JOB_TIMEOUT_SECONDS"])


def crash_retry() -> Retry:
    """Re-run after an abandoned job (worker killed); the engine handles every classified error itself.

    The first re-run is queued at once: finding the job abandoned already took a heartbeat TTL, and a
    scheduled retry would wait for the scheduler lock the dead worker may still hold (61 s).
    """
    return Retry(max=2, interval=[0, 60])


def daily_job_id(connection_id: int, day: date | None = None) -> str:
    return f"sync-{connection_id}-{(day or datetime.now(UTC).date()).strftime('%Y%m%d')}"


def sync_connection(
    connection_id: int, trigger: str = SyncTrigger.DAILY.value, attempt: int = 0, not_before: float | None = None
) -> str:
    """Run one sync of one connection (the job body), then queue its alert evaluation (issue 7)."""
    result = engine.sync(connection_id, trigger, attempt, not_before)
    if result.run_id is not None:
        from app.jobs.alerts import enqueue_evaluation

        enqueue_evaluation(connection_id, str(result.run_id))
    return result.status


def enqueue_sync(connection_id: int, trigger: str, job_id: str | None = None) -> bool:
    """Queue a sync now; False when Redis is unreachable (the caller says so to the user)."""
    if job_id is None:
        job_id = f"sync-{connection_id}-{trigger}-{uuid.uuid4().hex[:12]}"
    return queues.enqueue(
        queues.SYNC, FUNC, connection_id, trigger, job_id=job_id, timeout=job_timeout(), retry=crash_retry()
    )


def enqueue_sync_in(
    connection_id: int, trigger: str, attempt: int, seconds: float, not_before: float | None = None
) -> bool:
    """Schedule a follow-up sync (deferred, retried or postponed); needs a worker with the scheduler."""
    try:
        queues.get_queue(queues.SYNC).enqueue_in(
            timedelta(seconds=max(1.0, seconds)),
            FUNC,
            connection_id,
            trigger,
            attempt,
            not_before,
            job_timeout=job_timeout(),
            result_ttl=queues.RESULT_TTL,
            failure_ttl=queues.FAILURE_TTL,
            retry=crash_retry(),
        )
    except Exception as exc:  # noqa: BLE001 - Redis down: the daily fan-out picks the connection up again
        log.warning(
            "could not schedule a sync retry: %s",
            type(exc).__name__,
            extra={"event": "sync_retry_not_scheduled", "connection_id": connection_id},
        )
        return False
    return True


def active_connection_ids() -> list[int]:
    return list(
        db.session.execute(
            select(Connection.id)
            .where(
                Connection.disconnected_at.is_(None),
                Connection.access_token_enc.is_not(None),
                Connection.status.in_([s.value for s in USABLE_STATUSES]),
            )
            .order_by(Connection.id)
        ).scalars()
    )


def daily_fanout() -> int:
    """One uniquely-named job per active connection for today; returns how many were handed to Redis."""
    day = datetime.now(UTC).date()
    queued = 0
    for connection_id in active_connection_ids():
        if enqueue_sync(connection_id, SyncTrigger.DAILY.value, job_id=daily_job_id(connection_id, day)):
            queued += 1
    log.info("daily sync fan-out", extra={"event": "sync_fanout", "count": queued})
    return queued


def purge_raw_responses() -> int:
    """Delete raw platform answers older than 30 days (D5)."""
    result = db.session.execute(delete(RawResponse).where(RawResponse.at < utcnow() - RAW_RETENTION))
    db.session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def reap_stale_syncs() -> int:
    """Runs still ``running`` after longer than any job may take belonged to a dead worker."""
    return engine.reap_interrupted(older_than=timedelta(seconds=job_timeout() + 120))
