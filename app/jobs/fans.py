"""Fans job (queue ``default``): after a sync, build the fans answers the pages open with.

``warm_fans(client_id)`` is queued by ``app.jobs.sync`` after a sync of a platform whose comments the app
reads (``app.queueing.dispatch.enqueue_fans_warmup``); id-only and idempotent (a cached view is read, not
rebuilt).
"""

from __future__ import annotations

from app.extensions import db
from app.models import Client
from app.services import fans


def warm_fans(client_id: int) -> int:
    """Build and cache the client's opening fans views; returns how many (0: the client is gone)."""
    client = db.session.get(Client, client_id)
    return fans.warm(client) if client is not None else 0
