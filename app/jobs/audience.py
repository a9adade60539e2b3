"""Story sync (queue ``sync``): every few hours, each live Instagram connection's stories are read while
they live (24 h) and kept for good (``app/sync/audience.py``)."""

from __future__ import annotations

import logging

from app.extensions import db
from app.models import Connection
from app.services.connections import syncable_connection_ids
from app.sync.audience import sync_stories

log = logging.getLogger(__name__)


def sync_all_stories() -> dict[str, int]:
    """One story read per live Instagram connection; a failing one does not stop the others."""
    counts = {"connections": 0, "failed": 0}
    for connection_id in syncable_connection_ids():
        conn = db.session.get(Connection, connection_id)
        if conn is None or conn.platform != "instagram":
            continue
        counts["connections"] += 1
        try:
            outcome = sync_stories(connection_id)
        except Exception:  # one connection's surprise must not stop the others; logged with its stack
            db.session.rollback()
            log.exception("story sync failed", extra={"event": "story_sync_failed", "connection_id": connection_id})
            counts["failed"] += 1
            continue
        if outcome.startswith("failed"):
            counts["failed"] += 1
    return counts
