"""The one Redis JSON cache helper (``app.redis_cache``), on a real Redis: a miss builds and stores
with the TTL, a hit loads without building, and Redis being down costs only the build (one warning).
The chart and portfolio caches keep their key prefixes and TTLs through it."""

from __future__ import annotations

import json
import logging

from app.redis_cache import digest_key, get_or_build
from app.redis_conn import get_redis
from app.stats import portfolio


def _cached(key: str, builds: list[int], value: int = 7) -> int:
    def build() -> int:
        builds.append(value)
        return value

    return get_or_build(
        key, build, ttl=120, dump=lambda v: json.dumps({"v": v}), load=lambda raw: json.loads(raw)["v"], name="test"
    )


def test_digest_key_keeps_the_prefix_and_separates_parts():
    key = digest_key("x:v1:", "a", "bc")
    assert key.startswith("x:v1:")
    assert len(key) == len("x:v1:") + 64
    assert key != digest_key("x:v1:", "ab", "c")  # the separator keeps parts apart
    assert key == digest_key("x:v1:", "a", "bc")


def test_miss_builds_and_stores_with_ttl_then_a_hit_does_not_build(app):
    builds: list[int] = []
    key = digest_key("test:", "one")
    assert _cached(key, builds) == 7
    assert builds == [7]
    assert json.loads(get_redis().get(key)) == {"v": 7}
    assert 0 < get_redis().ttl(key) <= 120
    assert _cached(key, builds, value=8) == 7  # from Redis, not rebuilt
    assert builds == [7]


def test_redis_down_builds_every_time_with_one_warning_each(app, caplog):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    app.extensions.pop("portal_redis", None)
    builds: list[int] = []
    with caplog.at_level(logging.WARNING):
        assert _cached(digest_key("test:", "down"), builds) == 7
        assert _cached(digest_key("test:", "down"), builds) == 7
    assert builds == [7, 7]
    events = [r for r in caplog.records if getattr(r, "event", None) == "test_cache_down"]
    assert len(events) == 2
    assert events[0].getMessage() == "test cache unavailable"


def test_chart_and_portfolio_caches_keep_their_prefixes_and_ttls(app):
    from app.charts import cache as chart_cache  # after the app: pygal's import hook warns otherwise

    assert chart_cache.PREFIX == "chart:v3:"
    assert chart_cache.TTL_SECONDS == 26 * 3600
    assert portfolio.CACHE_PREFIX == "portfolio:v3:"
    assert portfolio.CACHE_TTL_SECONDS == 600
    assert chart_cache.cache_key("growth", "client:1", "q", "v") == digest_key(
        "chart:v3:", "growth", "client:1", "q", "v"
    )
