"""Budgets shared by every worker, kept in Redis (J7): spend them before a call, never after.

* **YouTube**: Data API units per Pacific day and bucket (reset at midnight America/Los_Angeles). A call
  that would go over the budget is not made: :class:`QuotaExceeded` defers the sync to the reset
  instead of burning a unit on a certain ``quotaExceeded``.
* **TikTok**: calls per minute; over the limit the sync is deferred to the next minute.
* **X**: posts read per billing cycle (the monthly cap). Each timeline or lookup call reserves a full
  page (100) before it is sent and is settled to the posts returned after; a call that would pass
  ``SYNC_X_MONTHLY_POST_READS`` is not made and the sync is deferred to the cycle's reset. X's
  15-minute windows (per endpoint and user) are remembered from each answer's ``x-rate-limit-remaining``
  / ``x-rate-limit-reset``: a call into a window X said is spent is not made and the sync is deferred to
  the window's reset (``QuotaExceeded`` with ``code="rate_window"``); a 429 X still sends (another
  client of the same user) is waited out as before.
* **LinkedIn**: calls per UTC day over all workers (``SYNC_LINKEDIN_DAILY_CALLS``); over it the sync is
  deferred to 00:00 UTC, when LinkedIn's own per-app and per-member daily limits reset.
* **Meta** (Instagram): the usage headers (``X-App-Usage`` / ``X-Business-Use-Case-Usage``) of the last
  answer are shared; above 80 % every call is slowed down, above 95 % syncs are deferred.
* **Concurrency**: at most N syncs per platform at once (a sorted-set semaphore with expiring entries,
  so a killed worker's slot comes back by itself).

Every call and unit is also counted per platform and UTC day for the admin page.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import redis
import requests

from app.platforms.errors import QuotaExceeded, RateLimited
from app.platforms.x import PAGE_SIZE as X_PAGE
from app.platforms.x import cycle_start, is_post_read, next_cycle_start
from app.services.quota_counters import (
    META_ACCOUNT_USAGE,
    META_APP_USAGE,
    PACIFIC,
    count_call,
    linkedin_day_key,
    pacific_day,
    tiktok_minute_key,
    x_post_reads_key,
    youtube_analytics_key,
    youtube_units_key,
)

__all__ = ["PACIFIC", "Budgets", "next_pacific_midnight", "pacific_day", "usage_today"]


def next_pacific_midnight(now: datetime | None = None) -> datetime:
    """The next 00:00 America/Los_Angeles after ``now`` (aware UTC): YouTube's quota reset."""
    local = (now or datetime.now(UTC)).astimezone(PACIFIC)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=PACIFIC)
    return midnight.astimezone(UTC)


def _next_utc_midnight() -> datetime:
    now = datetime.now(UTC)
    return datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)


#: Data API writes on comments (comments.insert / update / delete / setModerationStatus) cost 50 units
YOUTUBE_WRITE_UNITS = 50


def youtube_units(url: str, method: str) -> int:
    """The Data API units of one call: 1 for a read, 50 for a comment write."""
    if method.upper() != "GET" and "/youtube/v3/comment" in url:
        return YOUTUBE_WRITE_UNITS
    return 1


_X_ID = re.compile(r"/\d+(?=/|$)")
X_WINDOW_CODE = "rate_window"


def x_endpoint(url: str) -> str:
    """The X API endpoint of a URL, ids generalised: ``users/:id/tweets``, ``users/me``, ``tweets``."""
    path = urlsplit(url).path
    path = path.split("/2/", 1)[1] if "/2/" in path else path.lstrip("/")
    return _X_ID.sub("/:id", "/" + path.rstrip("/"))[1:][:80]


def jitter_scale(exc: QuotaExceeded) -> int:
    """Seconds of jitter per backoff step after a reset: 1 for a 15-minute X window, else 60."""
    return 1 if exc.code == X_WINDOW_CODE else 60


def deferral_words(exc: QuotaExceeded) -> str | None:
    """What the connection shows for a deferred sync (None: the plain sentence of the error class)."""
    if exc.platform != "x":
        return None
    if exc.code == X_WINDOW_CODE:
        return exc.message + "."
    return f"X's monthly read limit is used up; syncing resumes after it resets on {exc.resets_at:%d %B %Y}."


def x_window_key(account: str, url: str) -> str:
    return f"x:window:{account}:{x_endpoint(url)}"


def x_account(account: str | None, headers: Mapping[str, Any] | None) -> str | None:
    """Whose windows: the connection when the caller names it, else the bearer token's hash."""
    if account:
        return account
    auth = str((headers or {}).get("Authorization") or "")
    return "t" + hashlib.sha256(auth.encode()).hexdigest()[:16] if auth.startswith("Bearer ") else None


#: the platforms behind Meta's usage headers (X-App-Usage, X-Business-Use-Case-Usage): one gate for both
META_PLATFORMS = frozenset({"instagram", "facebook"})


class Budgets:
    """The shared budgets, configured from the app settings (see ``docs/sync.md``)."""

    def __init__(self, conn: redis.Redis, settings: Mapping[str, Any]) -> None:
        self.conn: Any = conn  # redis-py stubs mix sync and async return types
        self.youtube_units = int(settings["SYNC_YOUTUBE_DAILY_UNITS"])
        self.tiktok_per_minute = int(settings["SYNC_TIKTOK_CALLS_PER_MINUTE"])
        self.meta_slowdown = float(settings["SYNC_META_SLOWDOWN_SECONDS"])
        self.x_post_reads = int(settings.get("SYNC_X_MONTHLY_POST_READS", 3_000_000))
        self.x_cap_day = int(settings.get("X_CAP_RESET_DAY") or 1)
        self.linkedin_daily = int(settings.get("SYNC_LINKEDIN_DAILY_CALLS", 90000))
        self.concurrency = {
            platform: int(settings.get(f"SYNC_CONCURRENCY_{platform.upper()}", 16))
            for platform in ("instagram", "tiktok", "youtube", "x", "facebook", "linkedin")
        }

    # ------------------------------------------------------------------ before / after one call

    def x_window_check(self, account: str | None, url: str) -> None:
        """:raises QuotaExceeded: (``code="rate_window"``) X's last answer on this endpoint for this user
        said its 15-minute window is spent and the window has not reset yet."""
        if not account:
            return
        self._x_window_raise(self.conn.hgetall(x_window_key(account, url)), url)

    @staticmethod
    def _x_window_raise(raw: Mapping[Any, Any], url: str) -> None:
        """:raises QuotaExceeded: the window X last reported (``raw``: the window's hash) is spent."""
        values = {(k.decode() if isinstance(k, bytes) else str(k)): v for k, v in raw.items()}
        try:
            remaining, reset = int(values["remaining"]), int(values["reset"])
        except (KeyError, ValueError):
            return
        resets = datetime.fromtimestamp(reset, UTC)
        if remaining <= 0 and resets > datetime.now(UTC):
            raise QuotaExceeded(
                f"X's 15-minute limit for {x_endpoint(url)} is used up; the sync resumes after {resets:%H:%M} UTC",
                platform="x",
                resets_at=resets,
                code=X_WINDOW_CODE,
            )

    def x_window_record(self, account: str | None, url: str, response: requests.Response, pipe: Any = None) -> None:
        """Remember the window X reported (``x-rate-limit-remaining`` / ``-reset``) until it resets. A 429 is
        not remembered: it already defers its sync to the reset (``RateLimited``). ``pipe``: queued on the
        caller's pipeline (sent with the call's other counts) instead of sent now."""
        if response.status_code == 429:
            return
        remaining = response.headers.get("x-rate-limit-remaining")
        reset = response.headers.get("x-rate-limit-reset")
        if not account or remaining is None or reset is None:
            return
        try:
            left, at = int(remaining), int(reset)
        except ValueError:
            return
        ttl = at - int(time.time()) + 60
        if ttl <= 0:
            return
        key = x_window_key(account, url)
        own = pipe is None
        pipe = self.conn.pipeline(transaction=False) if own else pipe
        pipe.hset(key, mapping={"remaining": str(left), "reset": str(at)})
        pipe.expire(key, min(ttl, 3600))
        if own:
            pipe.execute()

    def before_call(self, platform: str, url: str, method: str = "GET", account: str | None = None) -> int:
        """Reserve what the call costs; returns the quota units reserved (a YouTube comment write: 50).

        :raises QuotaExceeded: the YouTube daily budget is spent (defer to the Pacific midnight); an X
            15-minute window is known to be spent (``account``: whose windows; defer to its reset).
        :raises RateLimited: TikTok's per-minute budget or Meta's usage is spent (defer shortly).
        """
        if platform == "youtube":
            if "/youtube/v3/" not in url:  # Analytics: its own budget, counted for the budgets page only
                key = youtube_analytics_key()
                self._incr(key, 1, 2 * 24 * 3600)
                return 0
            cost = youtube_units(url, method)
            key = youtube_units_key()
            used = self._incr(key, cost, 2 * 24 * 3600)
            if used > self.youtube_units:
                self.conn.decrby(key, cost)
                raise QuotaExceeded(
                    "daily YouTube quota budget spent", platform="youtube", resets_at=next_pacific_midnight()
                )
            return cost
        if platform == "tiktok":
            key = tiktok_minute_key()
            used = self._incr(key, 1, 120)
            if used > self.tiktok_per_minute:
                raise RateLimited(
                    "TikTok per-minute budget spent", platform="tiktok", retry_after=60 - time.time() % 60
                )
            return 0
        if platform == "x":
            return self._x_call(url, account)
        if platform == "linkedin":
            return self._linkedin_call()
        if platform in META_PLATFORMS:
            usage = self.meta_usage()
            if usage is not None and usage >= 95:
                raise RateLimited(f"Meta usage at {usage:.0f}%", platform=platform, retry_after=300)
            if usage is not None and usage >= 80 and self.meta_slowdown > 0:
                time.sleep(self.meta_slowdown)
        return 0

    def _x_call(self, url: str, account: str | None) -> int:
        """X: the user's 15-minute window of this endpoint, then a post read's reservation (a full page).

        One round trip: the window is read in the reservation's pipeline; a window found spent gives the
        reservation back before the sync is deferred (the rare path pays a second round trip)."""
        if not is_post_read(url):
            self.x_window_check(account, url)
            return 0
        now = datetime.now(UTC)
        key = x_post_reads_key(cycle_start(now, self.x_cap_day).date().isoformat())
        pipe = self.conn.pipeline(transaction=False)
        if account:
            pipe.hgetall(x_window_key(account, url))
        pipe.incrby(key, X_PAGE)
        pipe.expire(key, 40 * 24 * 3600)
        got = pipe.execute()
        used = int(got[-2])
        if account:
            try:
                self._x_window_raise(got[0], url)
            except QuotaExceeded:
                self.conn.decrby(key, X_PAGE)
                raise
        if used > self.x_post_reads:
            self.conn.decrby(key, X_PAGE)
            resets = next_cycle_start(now, self.x_cap_day)
            raise QuotaExceeded(
                f"X monthly post-read budget spent; syncing resumes when it resets on {resets:%Y-%m-%d}",
                platform="x",
                resets_at=resets,
            )
        return X_PAGE

    def _incr(self, key: str, amount: int, ttl: int) -> int:
        """INCRBY and EXPIRE in one round trip (the reservation is the INCRBY, atomic on its own)."""
        pipe = self.conn.pipeline(transaction=False)
        pipe.incrby(key, amount)
        pipe.expire(key, ttl)
        used, _ = pipe.execute()
        return int(used)

    def _linkedin_call(self) -> int:
        """Count one LinkedIn call of the UTC day; over ``SYNC_LINKEDIN_DAILY_CALLS`` defer to 00:00 UTC."""
        key = linkedin_day_key()
        used = self._incr(key, 1, 2 * 24 * 3600)
        if used > self.linkedin_daily:
            self.conn.decr(key)
            raise QuotaExceeded("daily LinkedIn call budget spent", platform="linkedin", resets_at=_next_utc_midnight())
        return 0

    def after_call(
        self,
        platform: str,
        units: int,
        meta_usage: tuple[float | None, dict[str, float]] | None = None,
        pipe: Any = None,
    ) -> None:
        """Count the call for the admin page and remember Meta's usage headers: the highest value for the
        gate (``meta:usage``), the app's and each account's for the budgets page. ``pipe``: a pipeline
        holding the call's other writes (X's refund and window), sent with these in one round trip."""
        pipe = self.conn.pipeline() if pipe is None else pipe
        count_call(pipe, platform, units)
        if meta_usage is not None:
            app_usage, accounts = meta_usage
            values = [v for v in (app_usage, *accounts.values()) if v is not None]
            if values:
                pipe.set("meta:usage", str(max(values)), ex=600)
            if app_usage is not None:
                pipe.set(META_APP_USAGE, str(app_usage), ex=3600)
            if accounts:
                pipe.hset(META_ACCOUNT_USAGE, mapping={k: str(v) for k, v in accounts.items()})
                pipe.expire(META_ACCOUNT_USAGE, 24 * 3600)
        pipe.execute()

    def refund(self, platform: str, units: int) -> None:
        """Give back a reservation for a call that was never sent (a transport failure before sending)."""
        if platform == "youtube" and units:
            self.conn.decrby(youtube_units_key(), units)
        if platform == "x" and units:
            self.conn.decrby(x_post_reads_key(cycle_start(datetime.now(UTC), self.x_cap_day).date().isoformat()), units)

    def settle(self, platform: str, reserved: int, response: requests.Response, pipe: Any = None) -> int:
        """X: the posts an answer really returned (``len(data)``), the rest of the reservation given back
        (on ``pipe`` when given: sent with the call's counts)."""
        if platform != "x" or not reserved:
            return reserved
        try:
            data = response.json().get("data") if response.status_code < 400 else None
        except (ValueError, AttributeError):
            data = None
        actual = len(data) if isinstance(data, list) else 0
        if actual < reserved and pipe is not None:
            pipe.decrby(
                x_post_reads_key(cycle_start(datetime.now(UTC), self.x_cap_day).date().isoformat()), reserved - actual
            )
        elif actual < reserved:
            self.refund("x", reserved - actual)
        return actual

    def meta_usage(self) -> float | None:
        raw = self.conn.get("meta:usage")
        return float(raw) if raw is not None else None

    # ------------------------------------------------------------------ concurrency

    def acquire_slot(self, platform: str, ttl: int) -> str | None:
        """A concurrency slot for one sync of ``platform`` (``None`` when all are taken)."""
        key = f"sem:{platform}"
        now = time.time()
        token = uuid.uuid4().hex
        pipe = self.conn.pipeline()
        pipe.zremrangebyscore(key, "-inf", now - ttl)
        pipe.zadd(key, {token: now})
        pipe.zrank(key, token)
        _, _, rank = pipe.execute()
        if rank is None or int(rank) >= self.concurrency.get(platform, 16):
            self.conn.zrem(key, token)
            return None
        return token

    def release_slot(self, platform: str, token: str | None) -> None:
        if token:
            with contextlib.suppress(redis.RedisError):
                self.conn.zrem(f"sem:{platform}", token)


def usage_today(conn: redis.Redis, day: str | None = None) -> dict[str, dict[str, int]]:
    """Calls and quota units per platform for a UTC day (admin page), plus YouTube's Pacific-day total."""
    day = day or datetime.now(UTC).date().isoformat()
    client: Any = conn
    raw = client.hgetall(f"usage:{day}")
    out: dict[str, dict[str, int]] = {}
    for key, value in raw.items():
        platform, _, what = key.decode().partition(":")
        out.setdefault(platform, {})[what] = int(value)
    yt = client.get(youtube_units_key())
    out.setdefault("youtube", {})["pacific_day_units"] = int(yt or 0)
    return out
