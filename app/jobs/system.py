"""Housekeeping jobs: the cron heartbeat and the daily retention purge."""

from __future__ import annotations

from app.models.base import utcnow
from app.redis_conn import get_redis
from app.services import retention

HEARTBEAT_KEY = "portal:cron:last-tick"


def cron_heartbeat() -> str:
    """Record that the cron scheduler and a worker are both alive (read by /readyz and operators)."""
    stamp = utcnow().isoformat()
    get_redis().set(HEARTBEAT_KEY, stamp, ex=24 * 3600)
    return stamp


def purge_expired_rows() -> dict[str, int]:
    """Daily: every bookkeeping row past its retention rule (``app.services.retention``) goes."""
    return retention.purge()
