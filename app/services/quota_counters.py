"""The Redis counters of platform quota: their keys, and the charge of a call made outside a sync.

The sync gate (``app.sync.quotas.Budgets``) spends and checks these counters before every call of a
sync; the budgets page (``app.sync.budgets``) reads them. A platform call made outside a sync (the OAuth
callback's identity lookup, ``app.services.oauth``) is charged here after it was made, so the counters
match what the platform charged: a YouTube connect costs one Data API unit (``channels.list``).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import redis

from app.redis_conn import get_redis

PACIFIC = ZoneInfo("America/Los_Angeles")
USAGE_TTL = 3 * 24 * 3600
#: Meta's last reported usage: the app's (rolling hour) and each Instagram account's (BUC, 24 h), in %
META_APP_USAGE = "meta:usage:app"
META_ACCOUNT_USAGE = "meta:usage:accounts"


def youtube_units_key(day: str | None = None) -> str:
    """The Data API units spent on ``day`` (a Pacific day; today by default): the gate's own counter."""
    return f"quota:youtube:default:{day or pacific_day()}"


def youtube_analytics_key(day: str | None = None) -> str:
    return f"quota:youtube:analytics:{day or pacific_day()}"


def tiktok_minute_key(minute: int | None = None) -> str:
    return f"rate:tiktok:{minute if minute is not None else int(time.time() // 60)}"


def x_post_reads_key(cycle: str) -> str:
    """The X posts read in the billing cycle that began on ``cycle`` (an ISO date): the gate's counter."""
    return f"quota:x:post_reads:{cycle}"


def linkedin_day_key(day: str | None = None) -> str:
    """LinkedIn calls made on ``day`` (a UTC day: LinkedIn's daily limits reset at 00:00 UTC)."""
    return f"quota:linkedin:calls:{day or datetime.now(UTC).date().isoformat()}"


#: LinkedIn calls of the OAuth callback's identity lookup (userinfo + memberFollowersCount)
LINKEDIN_IDENTITY_CALLS = 2


def pacific_day(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).astimezone(PACIFIC).date().isoformat()


#: Data API units of the calls the OAuth callback makes (the profile lookup), per platform
IDENTITY_UNITS = {"youtube": 1}


def count_call(pipe: Any, platform: str, units: int) -> None:
    """Add one call (and its units) to the per-platform UTC-day counts of the sync page, on ``pipe``."""
    day = datetime.now(UTC).date().isoformat()
    pipe.hincrby(f"usage:{day}", f"{platform}:calls", 1)
    if units:
        pipe.hincrby(f"usage:{day}", f"{platform}:units", units)
    pipe.expire(f"usage:{day}", USAGE_TTL)


def charge_outside_sync(platform: str, units: int, linkedin_calls: int = LINKEDIN_IDENTITY_CALLS) -> None:
    """Count a call already made outside a sync (never refused: it has been sent); Redis down: not counted.
    ``linkedin_calls``: what it adds to LinkedIn's daily call count (the identity lookup's by default)."""
    try:
        conn: Any = get_redis()
        pipe = conn.pipeline()
        count_call(pipe, platform, units)
        if platform == "youtube" and units:
            pipe.incrby(youtube_units_key(), units)
            pipe.expire(youtube_units_key(), 2 * 24 * 3600)
        if platform == "tiktok":
            pipe.incr(tiktok_minute_key())
            pipe.expire(tiktok_minute_key(), 120)
        if platform == "linkedin":
            pipe.incrby(linkedin_day_key(), linkedin_calls)
            pipe.expire(linkedin_day_key(), 2 * 24 * 3600)
        pipe.execute()
    except (redis.RedisError, OSError):
        return


def youtube_units_today() -> int | None:
    """The Data API units spent today (Pacific day); None when Redis does not answer."""
    try:
        conn: Any = get_redis()
        raw = conn.get(youtube_units_key())
    except (redis.RedisError, OSError):
        return None
    return int(raw or 0)
