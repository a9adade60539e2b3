"""The per-connection sync lock: two syncs of one connection never run at once.

A Redis lock ``lock:sync:{id}`` with a short TTL that the running sync extends after every platform
call, so a SIGKILLed worker's lock disappears within the TTL and the retried job can take it.
"""

from __future__ import annotations

import logging
import time

import redis
from redis.lock import Lock

log = logging.getLogger(__name__)


class SyncLock:
    def __init__(self, conn: redis.Redis, connection_id: int, ttl: int) -> None:
        # not thread-local: a sync's overlapped platform calls (``app.sync.aside``) extend it from side threads
        self.lock: Lock = conn.lock(f"lock:sync:{connection_id}", timeout=ttl, blocking=False, thread_local=False)
        self.ttl = ttl
        self._extended = 0.0

    def acquire(self) -> bool:
        got = bool(self.lock.acquire(blocking=False))
        self._extended = time.monotonic()
        return got

    def extend(self) -> None:
        """Push the expiry back to a full TTL (called after each platform call); skipped while the
        last extension is under a quarter of the TTL old (the lock then still has 3/4 of its TTL, more
        than one call's timeout: ``engine.lock_ttl``), which saves a Redis round trip per call."""
        now = time.monotonic()
        if now - self._extended < self.ttl / 4:
            return
        try:
            self.lock.reacquire()
            self._extended = now
        except (redis.RedisError, Exception):  # noqa: BLE001 - a lost lock is logged, the write re-checks
            log.warning("sync lock lost", extra={"event": "sync_lock_lost"})

    def owned(self) -> bool:
        try:
            return bool(self.lock.owned())
        except redis.RedisError:
            return False

    def release(self) -> None:
        try:
            self.lock.release()
        except Exception:  # noqa: BLE001 - already expired
            log.info("sync lock had already expired", extra={"event": "sync_lock_expired"})
