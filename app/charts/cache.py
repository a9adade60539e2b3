"""Rendered charts cached in Redis per (chart, query, data version), never in the database.

The data version changes with every sync of the connections behind the chart (their
``last_sync_at``) and with milestone edits, so a cached chart lives until the next sync of its data;
a TTL bounds what is kept. Charts of custom date ranges are never stored: a key per range would let
one user fill the Redis that must not evict. Redis being down only costs the render time
(``app.redis_cache``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict

import redis

from app.charts.builders import Chart, Table
from app.redis_cache import digest_key, get_or_build
from app.redis_conn import get_redis

log = logging.getLogger(__name__)
TTL_SECONDS = 26 * 3600
PREFIX = "chart:v3:"  # bump when the builders change, so no stale drawing outlives a deploy


def cache_key(kind: str, tenant: str, query_key: str, version: str) -> str:
    return digest_key(PREFIX, kind, tenant, query_key, version)


def _dump(chart: Chart) -> str:
    return json.dumps(asdict(chart))


def _load(raw: bytes) -> Chart:
    data = json.loads(raw)
    data["table"] = Table(tuple(data["table"]["columns"]), tuple(tuple(r) for r in data["table"]["rows"]))
    data["notes"] = tuple(data["notes"])
    return Chart(**data)


def cached(key: str, build: Callable[[], Chart], *, store: bool = True) -> Chart:
    """The chart under ``key`` from Redis, or built, stored and returned; with ``store`` False (a custom
    range, ``StatsQuery.cacheable``) built and returned without touching Redis."""
    if not store:
        return build()
    return get_or_build(key, build, ttl=TTL_SECONDS, dump=_dump, load=_load, name="chart", log=log)


def cached_many(items: Sequence[tuple[str, Callable[[], Chart]]], *, store: bool = True) -> list[Chart]:
    """Several charts of one page: the cached ones in one read (``MGET``), each missing one as ``cached``
    builds it (built, stored, returned); with ``store`` False all are built, Redis untouched."""
    if not store:
        return [build() for _, build in items]
    try:
        raws: list[bytes | None] = get_redis().mget([key for key, _ in items])  # type: ignore[assignment]
    except redis.RedisError:
        raws = [None] * len(items)
    return [_load(raw) if raw else cached(key, build) for (key, build), raw in zip(items, raws, strict=True)]
