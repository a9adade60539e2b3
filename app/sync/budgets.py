"""Platform budgets: what the syncs spent against each limit the app knows, today and over 30 days, the
projection for the current window, and the warnings to admins before a limit bites (docs/operations.md,
"Platform budgets", defines every number).

Where each number comes from, once:

* **today's spend** is the gate's own counter in Redis (``app.sync.quotas``), the number that decides
  whether the next call is made: YouTube Data API units per Pacific day, YouTube Analytics queries per
  Pacific day, TikTok calls in the current minute, and Meta's last reported usage headers (the app's over
  a rolling hour, each Instagram account's over 24 h, in percent).
* **the 30 days** are the sync runs (``sync_runs.calls`` / ``quota_units``, what the recording session
  counted per sync), summed per window day: Pacific days for YouTube, UTC days for the others.
* **projected**: the spend at the end of the current window at the pace since it began (linear, counted
  from at least one hour in so the first minutes after a reset do not extrapolate wildly); ``None`` for
  rolling windows, whose figure is already a level.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import redis
from sqlalchemy import select

from app.extensions import db
from app.models import Connection, SyncRun
from app.models.base import utcnow
from app.models.platforms import PLATFORM_NAMES
from app.platforms.x import cycle_start, next_cycle_start
from app.services import ops_alerts
from app.services.quota_counters import (
    META_ACCOUNT_USAGE,
    META_APP_USAGE,
    PACIFIC,
    linkedin_day_key,
    pacific_day,
    tiktok_minute_key,
    x_post_reads_key,
    youtube_analytics_key,
    youtube_units_key,
)
from app.sync.quotas import next_pacific_midnight

HISTORY_DAYS = 30
#: the project's YouTube Data API quota (Google's default); SYNC_YOUTUBE_DAILY_UNITS is the syncs' share
YOUTUBE_PROJECT_UNITS = 10_000
#: a projection extrapolates from at least this much of the window
MIN_PACE_WINDOW = timedelta(hours=1)

#: what the app does when each platform's limits are near, in order (shown on the page)
WHEN_NEAR: dict[str, tuple[str, ...]] = {
    "youtube": (
        "Past the warning threshold, the 15:00 UTC second syncs of active-campaign accounts are skipped for "
        "the day (the first thing given up); daily syncs go on.",
        "Each Data API call reserves its unit before it is sent; a call that would pass "
        "SYNC_YOUTUBE_DAILY_UNITS is not made and that sync is deferred to the Pacific midnight reset "
        "(plus a few minutes of jitter), with a note on the client's card.",
        "Syncs already queued keep their order (the 03:00 UTC daily fan-out first, then refreshes); every "
        "deferred one runs after the reset before new work of the day.",
        "Analytics reports cost no Data API units and are never deferred for them.",
    ),
    "instagram": (
        "Past the warning threshold, the 15:00 UTC second syncs of active-campaign accounts are skipped.",
        "At 80 % of Meta's reported usage (app or account) every Instagram call waits "
        "SYNC_META_SLOWDOWN_SECONDS first.",
        "At 95 % Instagram syncs are deferred by 5 minutes until the usage falls.",
    ),
    "facebook": (
        "Past the warning threshold, the 15:00 UTC second syncs of active-campaign accounts are skipped.",
        "At 80 % of Meta's reported usage (app or Page) every Meta call waits SYNC_META_SLOWDOWN_SECONDS first.",
        "At 95 % Facebook and Instagram syncs are deferred by 5 minutes until the usage falls.",
    ),
    "tiktok": (
        "Past the warning threshold, the 15:00 UTC second syncs of active-campaign accounts are skipped.",
        "Over SYNC_TIKTOK_CALLS_PER_MINUTE calls in a minute, the sync that needed the call is deferred to "
        "the next minute.",
    ),
    "linkedin": (
        "Past the warning threshold, the 15:00 UTC second syncs of active-campaign accounts are skipped.",
        "Each LinkedIn call is counted before it is sent; a call that would pass SYNC_LINKEDIN_DAILY_CALLS is "
        "not made and that sync is deferred to 00:00 UTC, when LinkedIn's per-app and per-member limits reset.",
        "A 429 from LinkedIn naming a DAY limit defers the sync to 00:00 UTC the same way; any other 429 is "
        "retried with backoff (LinkedIn sends no Retry-After).",
    ),
    "x": (
        "Past the warning threshold, the 15:00 UTC second syncs of active-campaign accounts are skipped.",
        "Each timeline or lookup call reserves 100 post reads before it is sent (settled to the posts "
        "returned); a read that would pass SYNC_X_MONTHLY_POST_READS is not made and the sync is deferred "
        "to the billing cycle's reset (X_CAP_RESET_DAY), with a note on the client's card saying when.",
        "X's own 15-minute windows answer 429 with x-rate-limit-reset; the sync waits until then.",
    ),
}


@dataclass(frozen=True)
class Limit:
    """One limit of one platform (contract 6.4: ``name, spent, limit, window, resets_at, projected``)."""

    name: str
    label: str
    spent: float
    limit: float | None  # None: a quota the platform does not publish (counted, not capped)
    window: str  # pacific_day | utc_day | minute | rolling_hour | rolling_24h | month (X's billing cycle)
    resets_at: datetime | None
    projected: float | None
    unit: str = "units"
    note: str = ""

    @property
    def share(self) -> float | None:
        """Spent as a percentage of the limit (100 and more: spent)."""
        return 100.0 * self.spent / self.limit if self.limit else None

    @property
    def projected_share(self) -> float | None:
        return None if self.projected is None or not self.limit else 100.0 * self.projected / self.limit

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "spent": self.spent,
            "limit": self.limit,
            "window": self.window,
            "resets_at": self.resets_at.isoformat() if self.resets_at else None,
            "projected": self.projected,
        }


@dataclass(frozen=True)
class PlatformBudget:
    platform: str
    limits: tuple[Limit, ...]
    history: tuple[tuple[date, int, int], ...]  # (window day, calls, quota units), oldest first
    when_near: tuple[str, ...]


def _int(raw: Any) -> int:
    try:
        return int(raw or 0)
    except (TypeError, ValueError):
        return 0


def _float(raw: Any) -> float | None:
    try:
        return None if raw is None else float(raw)
    except (TypeError, ValueError):
        return None


def project(spent: float, window_start: datetime, window_end: datetime, now: datetime) -> float:
    """The spend at ``window_end`` at the pace since ``window_start`` (linear, at least an hour of pace)."""
    elapsed = max(now - window_start, MIN_PACE_WINDOW)
    total = window_end - window_start
    return round(spent * total / elapsed, 1) if elapsed < total else float(spent)


def _pacific_start(now: datetime) -> datetime:
    local = now.astimezone(PACIFIC)
    return datetime.combine(local.date(), datetime.min.time(), tzinfo=PACIFIC).astimezone(UTC)


def _history(platform: str, now: datetime) -> tuple[tuple[date, int, int], ...]:
    """Calls and quota units of the platform's sync runs per window day, the last 30 days."""
    since = now - timedelta(days=HISTORY_DAYS + 1)
    rows = db.session.execute(
        select(SyncRun.started_at, SyncRun.calls, SyncRun.quota_units)
        .join(Connection, Connection.id == SyncRun.connection_id)
        .where(Connection.platform == platform, SyncRun.started_at >= since)
    ).all()
    pacific = platform == "youtube"
    today = now.astimezone(PACIFIC).date() if pacific else now.date()
    days = [today - timedelta(days=i) for i in range(HISTORY_DAYS - 1, -1, -1)]
    calls: dict[date, int] = defaultdict(int)
    units: dict[date, int] = defaultdict(int)
    for started_at, n_calls, n_units in rows:
        day = started_at.astimezone(PACIFIC).date() if pacific else started_at.astimezone(UTC).date()
        calls[day] += n_calls or 0
        units[day] += n_units or 0
    return tuple((d, calls[d], units[d]) for d in days)


#: how many results :func:`value_commands` adds to a pipeline
VALUE_COMMANDS = 7


def _redis_values(conn: Any, now: datetime, _x_day: int = 1) -> dict[str, Any]:
    pipe = conn.pipeline()
    value_commands(pipe, now, _x_day)
    return values_from(pipe.execute())


def value_commands(pipe: Any, now: datetime, x_day: int = 1) -> int:
    """Queue the reads behind :func:`current_limits` on the caller's pipeline (the sync job sends them
    with its other follow-ups: one round trip); returns how many results they add, for :func:`values_from`."""
    pipe.get(youtube_units_key(pacific_day(now)))
    pipe.get(youtube_analytics_key(pacific_day(now)))
    pipe.get(tiktok_minute_key(int(now.timestamp() // 60)))
    pipe.get(META_APP_USAGE)
    pipe.hgetall(META_ACCOUNT_USAGE)
    pipe.get(linkedin_day_key(now.date().isoformat()))
    pipe.get(x_post_reads_key(cycle_start(now, x_day).date().isoformat()))
    return VALUE_COMMANDS


def values_from(results: list[Any]) -> dict[str, Any]:
    """The values :func:`value_commands`' results say (in their order)."""
    yt_units, yt_analytics, tt_minute, meta_app, meta_accounts, li_calls, x_reads = results
    accounts = {
        (k.decode() if isinstance(k, bytes) else str(k)): _float(v.decode() if isinstance(v, bytes) else v) or 0.0
        for k, v in (meta_accounts or {}).items()
    }
    return {
        "yt_units": _int(yt_units),
        "yt_analytics": _int(yt_analytics),
        "tt_minute": _int(tt_minute),
        "meta_app": _float(meta_app.decode() if isinstance(meta_app, bytes) else meta_app),
        "meta_accounts": accounts,
        "li_calls": _int(li_calls),
        "x_reads": _int(x_reads),
    }


def _limits(platform: str, v: Mapping[str, Any], settings: Mapping[str, Any], now: datetime) -> tuple[Limit, ...]:
    if platform == "youtube":
        start, reset = _pacific_start(now), next_pacific_midnight(now)
        share = int(settings["SYNC_YOUTUBE_DAILY_UNITS"])
        return (
            Limit(
                "data_api_units",
                "Data API units (Pacific day)",
                v["yt_units"],
                share,
                "pacific_day",
                reset,
                project(v["yt_units"], start, reset, now),
                note=f"The syncs' share (SYNC_YOUTUBE_DAILY_UNITS) of the project's {YOUTUBE_PROJECT_UNITS:,} units.",
            ),
            Limit(
                "analytics_queries",
                "Analytics queries (Pacific day)",
                v["yt_analytics"],
                None,
                "pacific_day",
                reset,
                project(v["yt_analytics"], start, reset, now),
                unit="queries",
                note="A separate quota Google does not publish; read it in the Cloud console. Counted, not capped.",
            ),
        )
    if platform in ("instagram", "facebook"):  # one Meta gate: the app's usage and the busiest account or Page
        worst = max(v["meta_accounts"].items(), key=lambda kv: kv[1], default=None)
        return (
            Limit(
                "app_usage_pct",
                "Meta app usage (rolling hour)",
                v["meta_app"] or 0.0,
                100,
                "rolling_hour",
                None,
                None,
                unit="%",
                note="From the X-App-Usage header of the last answer."
                if v["meta_app"] is not None
                else "No answer in the last hour.",
            ),
            Limit(
                "account_usage_pct",
                "Busiest Meta account or Page (24 h)",
                worst[1] if worst else 0.0,
                100,
                "rolling_24h",
                None,
                None,
                unit="%",
                note=f"Account {worst[0]}, from X-Business-Use-Case-Usage." if worst else "No answer in 24 hours.",
            ),
        )
    if platform == "tiktok":
        minute = now.replace(second=0, microsecond=0)
        return (
            Limit(
                "calls_per_minute",
                "Calls this minute",
                v["tt_minute"],
                int(settings["SYNC_TIKTOK_CALLS_PER_MINUTE"]),
                "minute",
                minute + timedelta(minutes=1),
                None,
                unit="calls",
            ),
        )
    if platform == "linkedin":
        start = datetime.combine(now.date(), datetime.min.time(), tzinfo=UTC)
        reset = start + timedelta(days=1)
        return (
            Limit(
                "calls_per_day",
                "Calls (UTC day)",
                v["li_calls"],
                int(settings.get("SYNC_LINKEDIN_DAILY_CALLS", 90000)),
                "utc_day",
                reset,
                project(v["li_calls"], start, reset, now),
                unit="calls",
                note="LinkedIn's own limits are per endpoint, per app and per member, and unpublished.",
            ),
        )
    if platform == "x":
        day = int(settings.get("X_CAP_RESET_DAY") or 1)
        start, reset = cycle_start(now, day), next_cycle_start(now, day)
        return (
            Limit(
                "monthly_post_reads",
                "Post reads (billing cycle)",
                v["x_reads"],
                int(settings.get("SYNC_X_MONTHLY_POST_READS", 3_000_000)),
                "month",
                reset,
                project(v["x_reads"], start, reset, now),
                unit="posts",
                note="The syncs' share (SYNC_X_MONTHLY_POST_READS) of X's pay-per-use cap of 3M post reads a month.",
            ),
        )
    return ()


def current_limits(settings: Mapping[str, Any], conn: Any, platform: str, now: datetime) -> tuple[Limit, ...]:
    """The platform's limits now (Redis only: cheap enough to check after every sync)."""
    return _limits(platform, _redis_values(conn, now, int(settings.get("X_CAP_RESET_DAY") or 1)), settings, now)


def budgets(
    settings: Mapping[str, Any], conn: Any, platforms: tuple[str, ...], now: datetime | None = None
) -> list[PlatformBudget] | None:
    """Every known limit of each platform with its 30 days; None when Redis does not answer (the spend of
    today is only known there)."""
    now = now or utcnow()
    try:
        values = _redis_values(conn, now, int(settings.get("X_CAP_RESET_DAY") or 1))
    except (redis.RedisError, OSError):
        return None
    return [
        PlatformBudget(p, _limits(p, values, settings, now), _history(p, now), WHEN_NEAR.get(p, ())) for p in platforms
    ]


def near_limit(settings: Mapping[str, Any], conn: Any, platform: str, now: datetime | None = None) -> bool:
    """Whether a limit of the platform is past the warning threshold now (Redis down: not known, False)."""
    threshold = int(settings["OPS_BUDGET_WARN_PERCENT"]) or 100
    try:
        limits = current_limits(settings, conn, platform, now or utcnow())
    except (redis.RedisError, OSError):
        return False
    return any(limit.share is not None and limit.share >= threshold for limit in limits)


# --------------------------------------------------------------------------- warnings before limits


def _window_key(limit: Limit, now: datetime) -> str:
    """One warning per limit and window: the Pacific day, else the UTC day (a per-minute or rolling
    limit near its top warns once a day, not every minute)."""
    if limit.window == "month" and limit.resets_at is not None:  # once per billing cycle
        return f"cycle-{limit.resets_at.date().isoformat()}"
    return pacific_day(now) if limit.window == "pacific_day" else now.date().isoformat()


def check_warnings(
    settings: Mapping[str, Any],
    conn: Any,
    platform: str,
    now: datetime | None = None,
    values: Mapping[str, Any] | None = None,
) -> list[str]:
    """Raise an admin alert when a limit passes ``OPS_BUDGET_WARN_PERCENT`` or is projected to run out
    before its reset; once per limit, window and kind (``ops_alerts`` dedup). Returns the keys raised.
    ``values``: the Redis values already read (:func:`value_commands` in the caller's pipeline, at ``now``)."""
    threshold = int(settings["OPS_BUDGET_WARN_PERCENT"])
    if threshold <= 0:
        return []
    now = now or utcnow()
    try:
        if values is None:
            limits = current_limits(settings, conn, platform, now)
        else:
            limits = _limits(platform, values, settings, now)
    except (redis.RedisError, OSError):
        return []
    raised = []
    name = PLATFORM_NAMES.get(platform, platform)
    for limit in limits:
        share, projected = limit.share, limit.projected_share
        if share is None:
            continue
        reset = f" It resets {limit.resets_at:%Y-%m-%d %H:%M} UTC." if limit.resets_at else ""
        spent = f"{limit.spent:.0f}%" if limit.unit == "%" else f"{limit.spent:,.0f} of {limit.limit:,.0f} {limit.unit}"
        if share >= threshold:
            kind, title = "budget_threshold", f"{name}: {limit.label} at {share:.0f}% of the limit"
            message = (
                f"{name} {limit.label.lower()}: {spent} used ({share:.0f}%, warning at {threshold}%).{reset} "
                f"Syncs that would pass the limit are deferred: {WHEN_NEAR.get(platform, ('',))[0]}"
            )
        elif projected is not None and projected >= 100:
            kind, title = "budget_projected", f"{name}: {limit.label} projected to run out before the reset"
            message = (
                f"{name} {limit.label.lower()}: {spent} used so far; at the current pace "
                f"{limit.projected:,.0f} would be needed by the reset ({projected:.0f}% of the limit).{reset}"
            )
        else:
            continue
        key = f"budget:{platform}:{limit.name}:{_window_key(limit, now)}:{kind}"
        marker = f"ops:raised:{key}"
        if conn.exists(marker):  # raised already in this window: no database write after every sync
            continue
        alert = ops_alerts.raise_alert(
            kind,
            key,
            severity="warning",
            title=title,
            message=message,
            details={"platform": platform, **limit.as_json(), "threshold": threshold},
        )
        conn.set(marker, 1, ex=2 * 24 * 3600)
        if alert is not None:
            raised.append(key)
    return raised
