"""Get-or-build for values cached in Redis as JSON: the one helper behind every derived-result cache
(rendered charts in ``app.charts.cache``, the portfolio in ``app.stats.portfolio``).

Keys are a prefix plus the SHA-256 of their parts: short, and no tenant's data in clear text in Redis.
Every value has a TTL. Redis being down costs only the build: the value is built and returned, and
one warning event names the cache (``<name>_cache_down``). The database is never a cache.

It sits beside ``app.redis_conn``, low in the layers, so the charts and the stats below them share it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import TypeVar

import redis

from app.redis_conn import get_redis

T = TypeVar("T")
_log = logging.getLogger(__name__)


def digest_key(prefix: str, *parts: str) -> str:
    """``prefix`` + SHA-256 of the parts joined by the unit separator (no part can run into the next)."""
    return prefix + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def get_or_build(
    key: str,
    build: Callable[[], T],
    *,
    ttl: int,
    dump: Callable[[T], str],
    load: Callable[[bytes], T],
    name: str,
    log: logging.Logger | None = None,
) -> T:
    """The value under ``key`` (``load``-ed), or ``build()``, stored for ``ttl`` seconds and returned.

    ``name`` names the cache in the warning logged (on ``log``, the caller's logger) when Redis cannot
    store the value; a failed read is a miss.
    """
    try:
        raw: bytes | None = get_redis().get(key)  # type: ignore[assignment]
    except redis.RedisError:
        raw = None
    if raw:
        return load(raw)
    value = build()
    try:
        get_redis().set(key, dump(value), ex=ttl)
    except redis.RedisError:
        (log or _log).warning(f"{name} cache unavailable", extra={"event": f"{name}_cache_down"})
    return value
