"""Crash safety: sync runs a dead worker (or a database that went away) left ``running`` are closed,
and their connections put back from ``syncing``."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.exc import InterfaceError, OperationalError

from app.extensions import db
from app.models import Connection, ConnectionStatus
from app.models.base import utcnow
from app.models.sync import SyncRun, SyncStatus
from app.queueing import dispatch
from app.sync.backoff import Backoff

log = logging.getLogger(__name__)

#: the database went away (restart, failover, network): retried, the run closed as ``database``
DB_GONE = (OperationalError, InterfaceError)

MESSAGES = {
    "interrupted": "The worker stopped during this sync; nothing of it was saved.",
    "database": "The database was unavailable during this sync; nothing of it was saved. It is retried.",
}


def reap_interrupted(
    connection_id: int | None = None, older_than: timedelta | None = None, error_class: str = "interrupted"
) -> int:
    """Close runs left ``running`` by a dead worker and put their connections back from ``syncing``.

    Called with the connection's lock held (then every running run of it is dead), and from cron for
    all connections with ``older_than`` (longer than any job may run). ``error_class`` says why:
    ``interrupted`` (a dead worker) or ``database`` (the database went away under the sync).
    """
    if connection_id is not None and older_than is None and not _left_running(connection_id):
        db.session.commit()  # as below: the caller goes on from a fresh transaction
        return 0
    query = select(SyncRun).where(SyncRun.status == SyncStatus.RUNNING.value)
    if connection_id is not None:
        query = query.where(SyncRun.connection_id == connection_id)
    if older_than is not None:
        query = query.where(SyncRun.started_at < utcnow() - older_than)
    count = 0
    for run in db.session.execute(query).scalars().all():
        run.status = SyncStatus.FAILED.value
        run.finished_at = utcnow()
        run.error_class = error_class
        run.error_message = MESSAGES.get(error_class, MESSAGES["interrupted"])
        conn = db.session.get(Connection, run.connection_id)
        if conn is not None and conn.status == ConnectionStatus.SYNCING.value:
            conn.status = (run.details or {}).get("prev_status", ConnectionStatus.CONNECTED.value)
        count += 1
    stuck = select(Connection).where(Connection.status == ConnectionStatus.SYNCING.value)
    if connection_id is not None:
        stuck = stuck.where(Connection.id == connection_id)
    running = {
        r
        for r in db.session.execute(
            select(SyncRun.connection_id).where(SyncRun.status == SyncStatus.RUNNING.value)
        ).scalars()
    }
    for conn in db.session.execute(stuck).scalars().all():
        if conn.id not in running or connection_id is not None:
            conn.status = ConnectionStatus.CONNECTED.value
    db.session.commit()
    if count:
        log.warning("reaped interrupted syncs", extra={"event": "sync_reaped", "count": count})
    return count


def _left_running(connection_id: int) -> bool:
    """Whether the connection has a run left ``running`` or is ``syncing``: one query, the case of
    nearly every sync (nothing to reap) costs one statement instead of three (bench/README.md, "Sync CPU")."""
    running = select(SyncRun.id).where(
        SyncRun.connection_id == connection_id, SyncRun.status == SyncStatus.RUNNING.value
    )
    found = db.session.execute(
        select(Connection.id).where(
            Connection.id == connection_id,
            or_(Connection.status == ConnectionStatus.SYNCING.value, exists(running)),
        )
    ).first()
    return found is not None


def database_down(
    connection_id: int, trigger: str, attempt: int, exc: Exception, policy: Backoff, *, locked: bool
) -> float | None:
    """The database went away under a sync: schedule a retry with backoff, and close the run as
    ``database`` now if the database answers again (else the retry does, under the connection's lock).
    The job returns normally: RQ's crash retry would take the run for a dead worker's. ``locked``: the
    caller holds the connection's sync lock (then every run of it left ``running`` is this one).
    Returns the seconds until the retry (None: the retry budget is spent)."""
    log.warning(
        "database unavailable during a sync: %s",
        type(exc).__name__,
        extra={"event": "sync_error", "connection_id": connection_id, "error_class": "database"},
    )
    retry_in = None
    if not policy.exhausted(attempt):
        retry_in = policy.delay(attempt)
        dispatch.enqueue_sync_in(connection_id, str(trigger), attempt + 1, retry_in, reap_as="database")
    try:
        db.session.rollback()
        if locked:
            reap_interrupted(connection_id, error_class="database")
    except DB_GONE:  # still down: the retry closes the run
        db.session.rollback()
    return retry_in
