"""The cron heartbeat: written every minute by ``app.jobs.system.cron_heartbeat`` (the cron scheduler
enqueues it, a worker of queue ``default`` runs it), read by ``/readyz``, the operations pages and the
workers' watchdog (``app.services.ops_alerts.check_cron``). Older than :data:`STALE`, or missing, means
cron, or every worker of queue ``default``, stopped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import redis

from app.models.base import utcnow
from app.redis_conn import get_redis

KEY = "portal:cron:last-tick"
#: the heartbeat runs every minute; silent longer than this is an alert and a failing readiness check
STALE = timedelta(minutes=5)


@dataclass(frozen=True)
class CronState:
    ok: bool
    last_tick: datetime | None
    #: False when Redis did not answer (then nothing is known about cron)
    known: bool = True

    def as_json(self) -> dict[str, object]:
        return {"ok": self.ok, "last_tick": self.last_tick.isoformat() if self.last_tick else None}


def beat(now: datetime | None = None) -> datetime:
    """Record that the cron scheduler and a worker are both alive."""
    stamp = now or utcnow()
    get_redis().set(KEY, stamp.isoformat(), ex=24 * 3600)
    return stamp


def cron_state(now: datetime | None = None) -> CronState:
    """Whether the heartbeat is younger than :data:`STALE` (Redis down: not ok, not known)."""
    try:
        raw = get_redis().get(KEY)
    except (redis.RedisError, OSError):
        return CronState(ok=False, last_tick=None, known=False)
    if not raw:
        return CronState(ok=False, last_tick=None)
    tick = datetime.fromisoformat(raw.decode() if isinstance(raw, bytes) else str(raw))
    return CronState(ok=(now or utcnow()) - tick < STALE, last_tick=tick)
