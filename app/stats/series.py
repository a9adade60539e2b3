"""followers(d) with carry-forward and per-day provenance, loaded once per client (docs/metrics.md).

A ``History`` holds every snapshot of a client's live connections (about 2,200 rows for three
accounts over two years), read in one query; series, growth, milestones and goals all look values up
in it, so a page costs a bounded number of queries whatever it shows.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Connection, DailySnapshot, Provenance
from app.models.platforms import PLATFORM_NAMES
from app.stats.query import Period

GAP = "gap"  # no data yet on that day (before the first snapshot): drawn as a gap, never as 0


@dataclass(frozen=True)
class Point:
    day: date
    value: int | None
    provenance: str  # measured | backfilled | imported | carried | gap
    #: the bounds of the true value when it depends on a rounded count (docs/metrics.md), else None
    bounds: tuple[int, int] | None = None


@dataclass(frozen=True)
class Series:
    """One line: a platform account or the client's total."""

    key: str  # platform name, or "total"
    label: str
    points: tuple[Point, ...]

    @property
    def known(self) -> list[Point]:
        return [p for p in self.points if p.value is not None]

    @property
    def carried_days(self) -> int:
        return sum(1 for p in self.points if p.provenance == Provenance.CARRIED.value)

    @property
    def gap_days(self) -> int:
        return sum(1 for p in self.points if p.provenance == GAP)


@dataclass
class AccountHistory:
    """One connection's snapshots, sorted by day.

    Where the platform rounds its counts (``app/stats/rounding.py``) ``low``/``high`` hold the bounds of
    the true level (None: exact) and ``linked`` the first day of the run of exactly known changes that
    ends on the day (None: not a rounded count).
    """

    connection: Connection
    days: list[date]
    followers: list[int]
    provenance: list[str]
    low: list[int | None] = field(default_factory=list)
    high: list[int | None] = field(default_factory=list)
    linked: list[date | None] = field(default_factory=list)

    def at(self, d: date) -> tuple[int | None, str]:
        """followers(d): the snapshot on d, else the last one before it (carried), else a gap."""
        i = bisect.bisect_right(self.days, d) - 1
        if i < 0:
            return None, GAP
        if self.days[i] == d:
            return self.followers[i], self.provenance[i]
        return self.followers[i], Provenance.CARRIED.value

    def source(self, d: date) -> tuple[date | None, str]:
        """The snapshot behind followers(d): its day and its own provenance (never ``carried``).

        Alerts need this: a carried day whose value came from backfilled history is still backfilled.
        """
        i = bisect.bisect_right(self.days, d) - 1
        if i < 0:
            return None, GAP
        return self.days[i], self.provenance[i]

    @property
    def first_day(self) -> date | None:
        return self.days[0] if self.days else None

    @property
    def latest(self) -> int | None:
        return self.followers[-1] if self.followers else None

    def _index(self, d: date) -> int | None:
        i = bisect.bisect_right(self.days, d) - 1
        return i if i >= 0 else None

    def bounds(self, d: date) -> tuple[int, int] | None:
        """The true level's bounds behind followers(d) when it is not exact (a rounded count), else None."""
        i = self._index(d)
        if i is None or i >= len(self.low):
            return None
        low, high = self.low[i], self.high[i]
        return None if low is None or high is None else (low, high)

    def lower(self, d: date) -> int | None:
        """The least the true level can be on d (followers(d) itself when exact): what a threshold or
        goal is checked against, so neither fires on a rounding step."""
        bounds = self.bounds(d)
        return bounds[0] if bounds else self.at(d)[0]

    def upper(self, d: date) -> int | None:
        """The most the true level can be on d (followers(d) itself when exact)."""
        bounds = self.bounds(d)
        return bounds[1] if bounds else self.at(d)[0]

    def change_is_exact(self, a: date, b: date) -> bool:
        """followers(b) - followers(a) is exact: both levels are, or b's run of known changes reaches a."""
        if self.bounds(a) is None and self.bounds(b) is None:
            return True
        i, j = self._index(b), self._index(a)
        linked = self.linked[i] if i is not None and i < len(self.linked) else None
        return linked is not None and j is not None and linked <= self.days[j]

    def step(self, d: date) -> int:
        """The width of the interval the level of d stands for (1 when exact)."""
        bounds = self.bounds(d)
        return 1 if bounds is None else bounds[1] - bounds[0] + 1


@dataclass
class History:
    """All live accounts of one client (already narrowed to the query's platforms)."""

    accounts: list[AccountHistory]

    @property
    def first_day(self) -> date | None:
        days = [a.first_day for a in self.accounts if a.first_day]
        return min(days) if days else None

    @property
    def last_day(self) -> date | None:
        days = [a.days[-1] for a in self.accounts if a.days]
        return max(days) if days else None

    @property
    def has_data(self) -> bool:
        return any(a.days for a in self.accounts)

    def total_at(self, d: date) -> int | None:
        """The client's total on d: the sum over accounts with a known value (None if none known)."""
        values = [v for v, _ in (a.at(d) for a in self.accounts) if v is not None]
        return sum(values) if values else None

    def total_lower(self, d: date) -> int | None:
        """The least the client's total can be on d (rounded counts at their lower bound)."""
        values = [v for v in (a.lower(d) for a in self.accounts) if v is not None]
        return sum(values) if values else None

    def platform_lower(self, platform: str, d: date) -> int | None:
        values = [a.lower(d) for a in self.accounts if a.connection.platform == platform]
        known = [v for v in values if v is not None]
        return sum(known) if known else None

    def approximate(self, d: date, platform: str | None = None) -> bool:
        """A level on d (one platform's, or the total) depends on a rounded count."""
        return any(
            a.bounds(d) is not None for a in self.accounts if platform is None or a.connection.platform == platform
        )

    def platform_at(self, platform: str, d: date) -> int | None:
        values = [a.at(d)[0] for a in self.accounts if a.connection.platform == platform]
        known = [v for v in values if v is not None]
        return sum(known) if known else None

    @property
    def platforms(self) -> list[str]:
        return list(dict.fromkeys(a.connection.platform for a in self.accounts))


def load_histories(connections: Sequence[Connection]) -> dict[int, History]:
    """One query for every snapshot of ``connections``, grouped into a ``History`` per client.

    The whole history is read (not just the window) because milestones, program start and goals look
    far back; two years of three accounts is ~2,200 small rows.
    """
    by_conn: dict[int, AccountHistory] = {
        c.id: AccountHistory(connection=c, days=[], followers=[], provenance=[]) for c in connections
    }
    if by_conn:
        stmt = (
            select(
                DailySnapshot.connection_id,
                DailySnapshot.day,
                DailySnapshot.followers,
                DailySnapshot.provenance,
                DailySnapshot.followers_low,
                DailySnapshot.followers_high,
                DailySnapshot.linked_since,
            )
            .where(DailySnapshot.connection_id.in_(list(by_conn)))
            .order_by(DailySnapshot.connection_id, DailySnapshot.day)
        )
        for conn_id, day, followers, prov, low, high, linked in db.session.execute(stmt):
            acc = by_conn[conn_id]
            acc.days.append(day)
            acc.followers.append(int(followers))
            acc.provenance.append(prov)
            acc.low.append(None if low is None else int(low))
            acc.high.append(None if high is None else int(high))
            acc.linked.append(linked)
    out: dict[int, History] = {}
    for c in connections:
        out.setdefault(c.client_id, History(accounts=[])).accounts.append(by_conn[c.id])
    return out


def openings(connection_ids: Sequence[int], day: date) -> dict[int, int]:
    """connection id -> its first measured follower count on ``day`` (``opening_followers``), where known."""
    if not connection_ids:
        return {}
    stmt = select(DailySnapshot.connection_id, DailySnapshot.opening_followers).where(
        DailySnapshot.connection_id.in_(list(connection_ids)),
        DailySnapshot.day == day,
        DailySnapshot.opening_followers.is_not(None),
    )
    return {conn_id: int(value) for conn_id, value in db.session.execute(stmt)}


def days_of(period: Period) -> list[date]:
    """The days drawn for a period: its start (the comparison point) through its end."""
    assert period.start is not None
    n = (period.end - period.start).days
    return [period.start + timedelta(days=i) for i in range(n + 1)]


def _worst(provs: Iterable[str]) -> str:
    provs = list(provs)
    for p in (GAP, Provenance.CARRIED.value, Provenance.IMPORTED.value, Provenance.BACKFILLED.value):
        if p in provs:
            return p
    return Provenance.MEASURED.value


def sum_bounds(accounts: Sequence[AccountHistory], d: date) -> tuple[int, int] | None:
    """The bounds of a sum of levels on d when any of them is a rounded count, else None."""
    if not any(a.bounds(d) is not None for a in accounts):
        return None
    lows = [v for v in (a.lower(d) for a in accounts) if v is not None]
    highs = [v for v in (a.upper(d) for a in accounts) if v is not None]
    return sum(lows), sum(highs)


def follower_series(history: History, period: Period) -> list[Series]:
    """A series per platform plus the total, each day with its provenance (gaps stay gaps) and, where
    a rounded count is part of it, the bounds of the true value."""
    days = days_of(period)
    out: list[Series] = []
    for platform in history.platforms:
        accs = [a for a in history.accounts if a.connection.platform == platform]
        pts = []
        for d in days:
            vals = [a.at(d) for a in accs]
            known = [v for v, _ in vals if v is not None]
            value = sum(known) if known else None
            pts.append(Point(d, value, _worst(p for _, p in vals), sum_bounds(accs, d) if known else None))
        out.append(Series(platform, PLATFORM_NAMES.get(platform, platform), tuple(pts)))
    if history.accounts:
        total = []
        for d in days:
            vals = [a.at(d) for a in history.accounts]
            known = [v for v, _ in vals if v is not None]
            prov = _worst(p for v, p in vals if v is not None) if known else GAP
            bounds = sum_bounds(history.accounts, d) if known else None
            total.append(Point(d, sum(known) if known else None, prov, bounds))
        out.append(Series("total", "Total", tuple(total)))
    return out
