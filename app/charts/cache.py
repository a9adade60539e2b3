"""Rendered charts cached in Redis per (chart, query, data version), never in the database.

The data version changes with every sync of the connections behind the chart (their
``last_sync_at``) and with milestone edits, so a cached chart lives until the next sync of its data;
a TTL bounds what is kept. Redis being down only costs the render time.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict

import redis

from app.charts.builders import Chart, Table
from app.redis_conn import get_redis

log = logging.getLogger(__name__)
TTL_SECONDS = 26 * 3600
PREFIX = "chart:v3:"  # bump when the builders change, so no stale drawing outlives a deploy


def cache_key(kind: str, tenant: str, query_key: str, version: str) -> str:
    digest = hashlib.sha256("\x1f".join((kind, tenant, query_key, version)).encode()).hexdigest()
    return PREFIX + digest


def cached(key: str, build: Callable[[], Chart]) -> Chart:
    """The chart under ``key`` from Redis, or built, stored and returned."""
    try:
        raw: bytes | None = get_redis().get(key)  # type: ignore[assignment]
    except redis.RedisError:
        raw = None
    if raw:
        data = json.loads(raw)
        data["table"] = Table(tuple(data["table"]["columns"]), tuple(tuple(r) for r in data["table"]["rows"]))
        data["notes"] = tuple(data["notes"])
        return Chart(**data)
    chart = build()
    try:
        get_redis().set(key, json.dumps(asdict(chart)), ex=TTL_SECONDS)
    except redis.RedisError:
        log.warning("chart cache unavailable", extra={"event": "chart_cache_down"})
    return chart
