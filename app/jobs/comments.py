"""Comment reply jobs (queue ``default``): id-only; sending is idempotent (``app.sync.replies``)."""

from __future__ import annotations

from app.sync import replies


def send_reply(reply_id: int) -> str:
    """Send one queued reply (or find that an earlier attempt landed); returns the outcome."""
    return replies.deliver(reply_id).outcome


def sweep_replies() -> int:
    """Re-queue replies left behind (Redis down when asked, a worker killed mid-send); returns how many."""
    return replies.sweep()
