"""A circuit breaker per platform, in Redis so every worker shares it (J8).

``threshold`` consecutive provider-wide failures (5xx, timeouts: ``PlatformUnavailable``) open it for
``open_seconds``; while open, syncs of that platform are deferred without a call. Any success closes it.
Redis errors are swallowed: a broken breaker must not stop syncs.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import redis


class Breaker:
    def __init__(self, conn: redis.Redis, platform: str, threshold: int = 10, open_seconds: int = 120) -> None:
        self.conn: Any = conn  # redis-py stubs mix sync and async return types
        self.platform = platform
        self.threshold = threshold
        self.open_seconds = open_seconds
        self._failures = f"breaker:{platform}:failures"
        self._open = f"breaker:{platform}:open_until"

    def open_until(self) -> float | None:
        """The epoch second the breaker closes again, or ``None`` when it is closed."""
        try:
            raw = self.conn.get(self._open)
        except redis.RedisError:
            return None
        if raw is None:
            return None
        until = float(raw)
        return until if until > time.time() else None

    def record_failure(self) -> bool:
        """Count one provider-wide failure; returns True when this one opened the breaker."""
        try:
            count = int(self.conn.incr(self._failures))
            self.conn.expire(self._failures, 3600)
            if count >= self.threshold:
                until = time.time() + self.open_seconds
                self.conn.set(self._open, str(until), ex=self.open_seconds)
                self.conn.delete(self._failures)
                return True
        except redis.RedisError:
            return False
        return False

    def record_success(self) -> None:
        with contextlib.suppress(redis.RedisError):
            self.conn.delete(self._failures)
