"""Thumbnail job (queue ``default``): id-only and idempotent (only posts without a stored thumbnail).

``fetch_thumbnails(id)`` is queued after each sync that saved something (``app.jobs.sync`` through
``app.queueing.dispatch.enqueue_thumbnails``).
"""

from __future__ import annotations

from app.sync import thumbnails


def fetch_thumbnails(connection_id: int) -> int:
    """Fetch the missing thumbnails of one connection's posts; returns how many were stored."""
    return thumbnails.fetch_thumbnails(connection_id).stored
