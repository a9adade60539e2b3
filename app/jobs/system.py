"""Housekeeping jobs: the cron heartbeat and the daily retention purge."""

from __future__ import annotations

from app.services import heartbeat, retention

#: kept here for callers that name the key by its old home
HEARTBEAT_KEY = heartbeat.KEY


def cron_heartbeat() -> str:
    """Record that the cron scheduler and a worker are both alive (read by /readyz, the operations pages
    and the workers' watchdog)."""
    return heartbeat.beat().isoformat()


def purge_expired_rows() -> dict[str, int]:
    """Daily: every bookkeeping row past its retention rule (``app.services.retention``) goes."""
    return retention.purge()
