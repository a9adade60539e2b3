"""Alert jobs (queue ``default``): id-only, idempotent (dedup and cooldowns live in the database).

* ``evaluate_connection(id)``: after each sync (queued by ``app.jobs.sync`` through
  ``app.queueing.dispatch.enqueue_alert_evaluation``) and from the daily run.
* ``evaluate_all()``: cron, daily after the sync fan-out: every live connection, so rules also fire for
  accounts whose sync failed (connection problems) and on days without a sync.
* ``send_digests()``: cron, daily: one digest email per user who chose the digest.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from app.alerts import digest, service
from app.extensions import db
from app.models import Connection

log = logging.getLogger(__name__)


def evaluate_connection(connection_id: int) -> list[int]:
    """Evaluate every rule for one connection; returns the ids of new alerts."""
    return service.evaluate_connection(connection_id)


def evaluate_all() -> int:
    """Evaluate every live connection in this job (one failure does not stop the others)."""
    ids = list(
        db.session.execute(
            select(Connection.id).where(Connection.disconnected_at.is_(None)).order_by(Connection.id)
        ).scalars()
    )
    raised = 0
    for connection_id in ids:
        try:
            raised += len(service.evaluate_connection(connection_id))
        except Exception as exc:  # noqa: BLE001 - one connection's failure must not stop the others
            db.session.rollback()
            log.warning(
                "alert evaluation failed: %s",
                type(exc).__name__,
                extra={"event": "alert_evaluation_failed", "connection_id": connection_id},
            )
    return raised


def send_digests() -> int:
    """Queue the daily digest of every user with deferred alerts; returns how many were queued."""
    sent = 0
    for user_id in digest.users_with_pending_digest():
        if digest.send_digest(user_id) is not None:
            sent += 1
    return sent
