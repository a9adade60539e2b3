"""Syncs people ask for, and what a connection card says about syncing.

* "Refresh now" is limited to once an hour per connection (``services.connections.request_refresh``
  keeps the stamp); the initial sync (``app.queueing.dispatch.enqueue_initial_sync``) and operators'
  ``flask sync run`` are not. When Redis is down the request is not recorded (it would block the user
  for an hour for nothing) and the view says so.
* ``states_of`` / ``any_running``: running (with progress), the last result and its reason in plain
  words, and whether the page should keep polling; one query each for a whole page of cards.

The sync itself is ``app/sync/engine.py``; its job entry point is ``app/jobs/sync.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select

from app.errors import ServiceError
from app.extensions import db
from app.models import Client, Connection, User
from app.models.base import utcnow
from app.models.sync import SyncRun, SyncStatus, SyncTrigger
from app.queueing import dispatch
from app.services import connections

PENDING_WINDOW = timedelta(minutes=10)


class CannotQueue(ServiceError):
    """Redis is unreachable: the sync cannot be queued now (pages still render from the database)."""

    status = 503
    code = "cannot_queue"


def request_manual_sync(user: User, connection_id: int) -> Connection:
    """The client's "Refresh now".

    :raises RefreshTooSoon: within the hour (429 with ``retry_after``).
    :raises CannotQueue: Redis is down; the hourly stamp is given back.
    """
    return _queue(connections.get_own_connection(user, connection_id))


def request_staff_sync(client: Client, connection_id: int) -> Connection:
    """The coach's "Refresh now" on a client's page: the same hourly limit as the client's own button
    (one stamp per connection, whoever pressed it). ``client`` comes from ``clients.get_client_for``.

    :raises NotFound: not this client's connection. :raises RefreshTooSoon, CannotQueue: as above.
    """
    return _queue(connections.get_client_connection(client, connection_id))


def _queue(conn: Connection) -> Connection:
    before = conn.sync_requested_at
    conn = connections.stamp_refresh(conn)
    if not dispatch.enqueue_sync(conn.id, SyncTrigger.MANUAL.value):
        conn.sync_requested_at = before
        db.session.commit()
        raise CannotQueue(
            "We cannot queue a sync right now. Your data below is from the last sync; "
            "please try again in a few minutes."
        )
    return conn


@dataclass(frozen=True)
class SyncState:
    """What a connection card shows: running (with progress), last result, and the reason in plain words."""

    running: bool
    progress: int
    last_status: str | None
    last_sync_at: datetime | None
    error: str | None
    retry_at: datetime | None
    #: the latest sync was deferred because the platform's quota budget is spent: it runs at ``retry_at``
    quota_deferred: bool = False


def _state(conn: Connection, run: SyncRun | None) -> SyncState:
    running = run is not None and run.status == SyncStatus.RUNNING.value
    failed = run is not None and run.status in (SyncStatus.FAILED.value, SyncStatus.DEFERRED.value)
    return SyncState(
        running=running,
        progress=run.progress if running and run else 0,
        last_status=run.status if run else None,
        last_sync_at=conn.last_sync_at,
        error=(conn.last_error if failed or conn.state.needs_reconnect else None),
        retry_at=run.deferred_until if failed and run else None,
        quota_deferred=bool(
            run is not None
            and run.status == SyncStatus.DEFERRED.value
            and run.error_class == "quota_exceeded"
            and run.deferred_until is not None
        ),
    )


def states_of(conns: Sequence[Connection]) -> dict[int, SyncState]:
    """The sync state of each connection (by id) from its latest run: one query for a whole page of
    cards, however many there are (a card used to ask for its own)."""
    ids = [c.id for c in conns if c.id is not None]
    if not ids:
        return {}
    latest = select(func.max(SyncRun.id)).where(SyncRun.connection_id.in_(ids)).group_by(SyncRun.connection_id)
    runs = {r.connection_id: r for r in db.session.execute(select(SyncRun).where(SyncRun.id.in_(latest))).scalars()}
    return {c.id: _state(c, runs.get(c.id)) for c in conns if c.id is not None}


def _awaited(conn: Connection, now: datetime) -> bool:
    """A sync was asked for in the last 10 minutes (connect or "Refresh now") and has not finished yet."""
    asked = conn.sync_requested_at if conn.last_sync_at is not None else conn.connected_at
    if asked is None or now - asked > PENDING_WINDOW or not conn.is_live or conn.state.needs_reconnect:
        return False
    return conn.last_sync_at is None or conn.last_sync_at < asked


def any_running(conns: Sequence[Connection]) -> bool:
    """Whether the page should keep polling: a sync runs, or one was just asked for."""
    ids = [c.id for c in conns]
    if not ids:
        return False
    now = utcnow()
    if any(_awaited(c, now) for c in conns):
        return True
    return (
        db.session.execute(
            select(SyncRun.id)
            .where(SyncRun.connection_id.in_(ids), SyncRun.status == SyncStatus.RUNNING.value)
            .limit(1)
        ).first()
        is not None
    )


def not_synced_on(day: date) -> list[int]:
    """Syncable connections with no sync run on ``day`` (UTC) that got anywhere: what a missed daily
    fan-out left, or one whose worker died under it. A run still ``running`` or closed as
    ``interrupted`` (a dead worker's) does not count; the caller checks whether its job is still alive."""
    ran = select(SyncRun.connection_id).where(
        SyncRun.day == day,
        SyncRun.status != SyncStatus.RUNNING.value,
        or_(SyncRun.error_class.is_(None), SyncRun.error_class != "interrupted"),
    )
    return list(
        db.session.execute(
            select(Connection.id)
            .where(
                Connection.id.in_(connections.syncable_connection_ids()),
                Connection.id.not_in(ran),
            )
            .order_by(Connection.id)
        ).scalars()
    )


def daily_synced(connection_id: int, day: date) -> bool:
    """Whether a daily sync of the connection already succeeded (fully or partly) on ``day``."""
    return (
        db.session.execute(
            select(SyncRun.id)
            .where(
                SyncRun.connection_id == connection_id,
                SyncRun.day == day,
                SyncRun.trigger == SyncTrigger.DAILY.value,
                SyncRun.status.in_([SyncStatus.SUCCEEDED.value, SyncStatus.PARTIAL.value]),
            )
            .limit(1)
        ).first()
        is not None
    )
