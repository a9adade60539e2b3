"""The alert rules of docs/metrics.md ("Alerts"), as pure functions of one account's history.

Every number comes from ``app/stats`` (followers with provenance, growth, stall, surge, engagement);
this module only compares them with the thresholds. A rule reads history up to the evaluated day and
stays silent when any point it reads comes from backfilled history (or is missing): backfill gives
charts a past, it never raises an alert.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from app.models import AlertType, Connection, Provenance, Severity
from app.models.connection import USABLE_STATUSES
from app.models.platforms import PLATFORM_NAMES
from app.stats.content import Post
from app.stats.engagement import LOW_ENGAGEMENT_PCT, mean_rate
from app.stats.growth import growth_rate, stalled, surge
from app.stats.series import AccountHistory, History

MILESTONES: tuple[int, ...] = (1_000, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000)
DECLINE_CRITICAL_PCT = -5.0
ENGAGEMENT_DAYS = 30
COOLDOWN = timedelta(days=7)
REAL = frozenset({Provenance.MEASURED.value, Provenance.IMPORTED.value})


@dataclass(frozen=True)
class Candidate:
    """An alert a rule wants to raise; ``service.record`` decides (in the database) whether it may."""

    type: AlertType
    severity: Severity
    client_id: int
    connection_id: int | None
    platform: str | None  # None: the client's total
    day: date
    title: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def dedup_key(self) -> str:
        """Milestones: once per threshold and scope, ever. Others: once per connection and history day."""
        if self.type is AlertType.MILESTONE:
            return f"MILESTONE:{self.client_id}:{self.platform or 'total'}:{self.details['threshold']}"
        return f"{self.type.value}:conn:{self.connection_id}:{self.day.isoformat()}"

    @property
    def cooldown_key(self) -> str | None:
        """Besides milestones, the same type for the same connection fires at most once per 7 days."""
        if self.type is AlertType.MILESTONE:
            return None
        return f"{self.type.value}:conn:{self.connection_id}"


def fmt_k(n: int) -> str:
    """1000 -> 1K, 1000000 -> 1M (threshold labels)."""
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}K"
    return f"{n:,}"


def _real(acc: AccountHistory, d: date) -> int | None:
    """followers(d) when the snapshot behind it is measured or imported; None for backfilled or gaps."""
    day, prov = acc.source(d)
    if day is None or prov not in REAL:
        return None
    return acc.at(d)[0]


def _real_lower(acc: AccountHistory, d: date) -> int | None:
    """The least followers(d) can truly be (a rounded count's lower bound), when it is real data."""
    return acc.lower(d) if _real(acc, d) is not None else None


#: how far back (the analytics lag) a rounded account's growth is read to find exactly known changes
EXACT_LOOKBACK_DAYS = 4


def _growth_day(acc: AccountHistory, d: date) -> date:
    """The day growth rules read: ``d``, or for a rounded count whose last week is not exactly known yet
    (YouTube Analytics lags 48-72 h), the latest of the few days before whose week is."""
    week = timedelta(days=7)
    if acc.change_is_exact(d - week, d):
        return d
    for back in range(1, EXACT_LOOKBACK_DAYS + 1):
        day = d - timedelta(days=back)
        if _real(acc, day) is not None and acc.change_is_exact(day - week, day):
            return day
    return d


def _significant(acc: AccountHistory, a: date, b: date) -> bool:
    """A change a rule may act on: exact, or at least as large as the rounding step of its ends (a
    rounded count moving by one step proves little; docs/metrics.md "Rounded counts")."""
    if acc.change_is_exact(a, b):
        return True
    now, before = acc.at(b)[0], acc.at(a)[0]
    if now is None or before is None:
        return False
    return abs(now - before) >= max(acc.step(a), acc.step(b))


def evaluation_day(acc: AccountHistory, today: date) -> date | None:
    """The latest snapshot day up to today, when that snapshot is real data (a sync, or imported)."""
    day, prov = acc.source(today)
    return day if day is not None and prov in REAL else None


def crossed(before: int, now: int) -> list[int]:
    """Thresholds passed going from ``before`` to ``now`` (upwards only)."""
    return [t for t in MILESTONES if before < t <= now]


def _name(platform: str | None) -> str:
    return PLATFORM_NAMES.get(platform, platform) if platform else "Total"


def _before(acc: AccountHistory, d: date, openings: Mapping[int, int]) -> int | None:
    """The count a crossing on ``d`` is measured from: the day before when that is real data, else the
    day's first measurement (``opening_followers``: on the connect day the day before is backfilled,
    and a threshold crossed between the day's two syncs must still count)."""
    before = _real_lower(acc, d - timedelta(days=1))
    return before if before is not None else openings.get(acc.connection.id)


def milestone_platform(
    client_id: int, acc: AccountHistory, d: date, openings: Mapping[int, int] | None = None
) -> Candidate | None:
    """The account crossed a threshold between the previous measurement and ``d`` (both real data).

    ``openings``: connection id -> its first measured follower count on ``d``.
    """
    now, before = _real_lower(acc, d), _before(acc, d, openings or {})
    if now is None or before is None:
        return None
    passed = crossed(before, now)
    if not passed:
        return None
    top = passed[-1]  # a jump over several thresholds raises the highest; the lower ones stay in details
    platform = acc.connection.platform
    return Candidate(
        AlertType.MILESTONE,
        Severity.INFO,
        client_id,
        acc.connection.id,
        platform,
        d,
        f"{_name(platform)} reached {fmt_k(top)} followers",
        f"{_name(platform)} went from {before:,} to {now:,} followers on {d.isoformat()}, passing {fmt_k(top)}.",
        {"threshold": top, "passed": passed, "followers": now, "previous": before, "scope": platform},
    )


def milestone_total(
    client_id: int, history: History, d: date, openings: Mapping[int, int] | None = None
) -> Candidate | None:
    """The client's total crossed a threshold; every account must have real data before and on ``d``
    (so connecting a new account, or a backfill, never counts as growth; a new account's "before" is
    its first measurement)."""
    now_vals = [_real_lower(a, d) for a in history.accounts if a.days]
    before_vals = [_before(a, d, openings or {}) for a in history.accounts if a.days]
    if not now_vals or None in now_vals or None in before_vals:
        return None
    now, before = sum(v for v in now_vals if v is not None), sum(v for v in before_vals if v is not None)
    passed = crossed(before, now)
    if not passed:
        return None
    top = passed[-1]
    return Candidate(
        AlertType.MILESTONE,
        Severity.INFO,
        client_id,
        None,
        None,
        d,
        f"Total followers reached {fmt_k(top)}",
        f"Total followers across platforms went from {before:,} to {now:,} on {d.isoformat()}, passing {fmt_k(top)}.",
        {"threshold": top, "passed": passed, "followers": now, "previous": before, "scope": "total"},
    )


def growth(client_id: int, acc: AccountHistory, d: date) -> Candidate | None:
    """GROWTH_DECLINE (net change < 0; CRITICAL below -5%), else a stall (WARNING), else GROWTH_SURGE.

    Rounded counts: read on the latest day whose week is exactly known, and silent on a change that
    is neither exact nor at least one rounding step.
    """
    d = _growth_day(acc, d)
    f_now, f_7, f_35 = _real(acc, d), _real(acc, d - timedelta(days=7)), _real(acc, d - timedelta(days=35))
    if f_now is None or f_7 is None or not _significant(acc, d - timedelta(days=7), d):
        return None
    conn = acc.connection
    name = _name(conn.platform)
    net = f_now - f_7
    rate = growth_rate(f_now, f_7)
    numbers: dict[str, Any] = {
        "followers": f_now,
        "followers_7d_ago": f_7,
        "followers_35d_ago": f_35,
        "net_7d": net,
        "rate_7d": None if rate is None else round(rate, 2),
        "approximate": not acc.change_is_exact(d - timedelta(days=7), d),
    }
    about = "about " if numbers["approximate"] else ""
    if net < 0:
        critical = rate is not None and rate < DECLINE_CRITICAL_PCT
        return Candidate(
            AlertType.GROWTH_DECLINE,
            Severity.CRITICAL if critical else Severity.WARNING,
            client_id,
            conn.id,
            conn.platform,
            d,
            f"{name} followers declining",
            f"{name} lost {about}{-net:,} followers in the last 7 days ({f_7:,} → {f_now:,}, {rate:+.1f}%)."
            if rate is not None
            else f"{name} lost {about}{-net:,} followers in the last 7 days.",
            {**numbers, "kind": "decline"},
        )
    if f_35 is None or not _significant(acc, d - timedelta(days=35), d - timedelta(days=7)):
        return None
    mean_weekly = (f_7 - f_35) / 4
    numbers["mean_weekly_gain_before"] = round(mean_weekly, 1)
    if stalled(f_now, f_7, f_35):
        return Candidate(
            AlertType.GROWTH_DECLINE,
            Severity.WARNING,
            client_id,
            conn.id,
            conn.platform,
            d,
            f"{name} growth stalled",
            f"{name} gained {about}{net:,} followers in the last 7 days, less than half its usual "
            f"{mean_weekly:,.0f} a week over the 4 weeks before.",
            {**numbers, "kind": "stall"},
        )
    if surge(f_now, f_7, f_35):
        return Candidate(
            AlertType.GROWTH_SURGE,
            Severity.INFO,
            client_id,
            conn.id,
            conn.platform,
            d,
            f"{name} growth surge",
            f"{name} gained {about}{net:,} followers in the last 7 days, more than twice its usual "
            f"{mean_weekly:,.0f} a week over the 4 weeks before.",
            {**numbers, "kind": "surge"},
        )
    return None


def low_engagement(client_id: int, acc: AccountHistory, d: date, posts: Sequence[Post]) -> Candidate | None:
    """Mean post engagement rate of the posts published in the 30 days ending on ``d`` below 1.5%."""
    window = [p for p in posts if d - timedelta(days=ENGAGEMENT_DAYS) < p.published_at.date() <= d]
    rate = mean_rate(p.rate for p in window)
    if rate is None or rate >= LOW_ENGAGEMENT_PCT:
        return None
    conn = acc.connection
    name = _name(conn.platform)
    return Candidate(
        AlertType.LOW_ENGAGEMENT,
        Severity.WARNING,
        client_id,
        conn.id,
        conn.platform,
        d,
        f"{name} engagement is low",
        f"{name} engagement rate over the last 30 days is {rate:.2f}% across {len(window)} "
        f"post{'s' if len(window) != 1 else ''}, below {LOW_ENGAGEMENT_PCT}%.",
        {"rate_30d": round(rate, 3), "posts": len(window), "threshold_pct": LOW_ENGAGEMENT_PCT},
    )


#: a usable connection without a successful sync for this long missed its daily sync (D1)
STALE_HOURS = 26


def data_stale(conn: Connection, now: datetime, day: date) -> Candidate | None:
    """DATA_STALE: the connection looks fine (its status is usable) but no sync succeeded for over
    ``STALE_HOURS``: the daily sync keeps failing (a 5xx leaves the status ``connected``), or it never
    ran (cron down). Lost connections have their own alert; this is the one a coach would not see."""
    if conn.state not in USABLE_STATUSES or conn.disconnected_at is not None:
        return None
    since = conn.last_sync_at or conn.connected_at
    if since is None or now - since <= timedelta(hours=STALE_HOURS):
        return None
    hours = int((now - since).total_seconds() // 3600)
    name = _name(conn.platform)
    handle = f" (@{conn.username})" if conn.username else ""
    why = f" The last attempt said: {conn.last_error}" if conn.last_error else ""
    return Candidate(
        AlertType.DATA_STALE,
        Severity.WARNING,
        conn.client_id,
        conn.id,
        conn.platform,
        day,
        f"{name} data not updating",
        f"No successful sync of {name}{handle} for {hours} hours (last: {since:%Y-%m-%d %H:%M} UTC).{why}",
        {"hours": hours, "last_sync_at": since.isoformat(), "last_error": conn.last_error},
    )
