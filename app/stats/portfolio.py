"""The coach's portfolio: totals, average growth, top platform, leaderboard, needs attention, cohorts.

Followers at a handful of anchor days (today, -7, -14, -30, -35, -90, the period start) are read per
connection with correlated "last snapshot on or before d" subqueries served by the
``(connection_id, day)`` unique index: one query for the whole portfolio, independent of its size in
round-trips. Engagement per client is one grouped query built from the same interaction definition.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select

from app.extensions import db
from app.models import Client, Connection, ConnectionStatus, ContentItem, DailySnapshot, Role, User
from app.models.base import utcnow
from app.stats.engagement import LOW_ENGAGEMENT_PCT, post_rate_sql
from app.stats.growth import Change, growth_rate, stalled
from app.stats.query import PLATFORM_NAMES, BadQuery, Period, StatsQuery, day_start
from app.stats.series import GAP, Point, Series

SIZE_BANDS: dict[str, tuple[int, int | None]] = {"nano": (0, 10_000), "micro": (10_000, 100_000),
                                                 "macro": (100_000, None)}
SIZE_LABELS = {"nano": "under 10K", "micro": "10K–100K", "macro": "100K+"}
AVG_GROWTH_DAYS = 90
LEADERBOARD_DAYS = 30
FAILING_HOURS = 24


@dataclass(frozen=True)
class ClientRow:
    client_id: int
    name: str
    coach_id: int | None
    followers: int | None                    # total now
    anchors: dict[int, int | None]           # days back -> total then
    by_platform: dict[str, dict[int, int | None]]
    engagement_30d: float | None
    connection_problems: tuple[str, ...]

    def change(self, days: int) -> Change:
        return Change(self.anchors.get(days), self.followers)

    def top_gainer(self, days: int) -> str | None:
        gains = {p: Change(v.get(days), v.get(0)).net for p, v in self.by_platform.items()}
        gains = {p: g for p, g in gains.items() if g is not None}
        if not gains:
            return None
        best = max(gains, key=lambda p: gains[p] or 0)
        return best if (gains[best] or 0) > 0 else None


@dataclass(frozen=True)
class LeaderRow:
    rank: int
    client_id: int
    name: str
    followers: int | None
    change: Change
    top_platform: str | None


@dataclass(frozen=True)
class Attention:
    client_id: int
    name: str
    reasons: tuple[str, ...]


@dataclass
class Portfolio:
    query: StatsQuery
    clients: list[ClientRow]
    total_followers: int
    period_change: Change
    avg_growth_90d: float | None
    avg_growth_clients: int
    top_platform: str | None
    top_platform_share: float | None
    platform_totals: dict[str, int]
    leaderboard: list[LeaderRow]
    attention: list[Attention]
    series: Series


def _at(d: date) -> Any:
    return (select(DailySnapshot.followers).where(DailySnapshot.connection_id == Connection.id,
                                                  DailySnapshot.day <= d)
            .order_by(DailySnapshot.day.desc()).limit(1).correlate(Connection).scalar_subquery())


def _size_ok(band: str, followers: int | None) -> bool:
    if not band:
        return True
    lo, hi = SIZE_BANDS[band]
    return followers is not None and followers >= lo and (hi is None or followers < hi)


def portfolio_clients(visible: Select[tuple[Client]], query: StatsQuery) -> Select[tuple[Client]]:
    """The visible clients, narrowed by the coach filter (admins).

    :raises BadQuery: a malformed coach id.
    """
    coach = query.filter("coach")
    if coach:
        if not coach.isdigit():
            raise BadQuery("Unknown coach filter.")
        visible = visible.where(Client.coach_id == int(coach))
    return visible


def _anchor_rows(client_ids: Select[tuple[int]], query: StatsQuery, anchors: list[int]) -> list[Any]:
    cols = [_at(query.today - timedelta(days=n)).label(f"a{n}") for n in anchors]
    stmt = (select(Connection.id, Connection.client_id, Connection.platform, Connection.status,
                   Connection.last_sync_at, Connection.updated_at, *cols)
            .where(Connection.client_id.in_(client_ids), Connection.disconnected_at.is_(None)))
    if query.platforms:
        stmt = stmt.where(Connection.platform.in_(query.platforms))
    return list(db.session.execute(stmt))


def _engagement(client_ids: Select[tuple[int]], query: StatsQuery) -> dict[int, float | None]:
    since = day_start(query.today - timedelta(days=30)) + timedelta(days=1)
    stmt = (select(Connection.client_id, func.avg(post_rate_sql()))
            .join(ContentItem, ContentItem.connection_id == Connection.id)
            .where(Connection.client_id.in_(client_ids), Connection.disconnected_at.is_(None),
                   ContentItem.published_at >= since,
                   ContentItem.published_at < day_start(query.today) + timedelta(days=1))
            .group_by(Connection.client_id))
    if query.platforms:
        stmt = stmt.where(Connection.platform.in_(query.platforms))
    return {cid: (float(v) if v is not None else None) for cid, v in db.session.execute(stmt)}


def _problem(status: str, last_sync: datetime | None, updated: datetime | None, now: datetime) -> str | None:
    state = ConnectionStatus(status)
    if state in (ConnectionStatus.EXPIRED, ConnectionStatus.REVOKED, ConnectionStatus.INSUFFICIENT_SCOPE,
                 ConnectionStatus.DECRYPT_ERROR):
        return f"connection {state.value.replace('_', ' ')}"
    if state is ConnectionStatus.ERROR:
        since = last_sync or updated
        if since is None or now - since > timedelta(hours=FAILING_HOURS):
            return "connection failing for over 24 hours"
    return None


def _sum(values: list[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def client_rows(visible: Select[tuple[Client]], query: StatsQuery, period_days: int) -> list[ClientRow]:
    """Per client: totals at the anchor days, per-platform anchors, 30-day engagement, connection problems."""
    clients = list(db.session.execute(portfolio_clients(visible, query).order_by(Client.display_name, Client.id)
                                      .with_only_columns(Client.id, Client.display_name, Client.coach_id)))
    ids = select(portfolio_clients(visible, query).with_only_columns(Client.id).subquery().c.id)
    anchors = sorted({0, 7, 14, 30, 35, AVG_GROWTH_DAYS, period_days})
    per_client: dict[int, list[Any]] = defaultdict(list)
    for row in _anchor_rows(ids, query, anchors):
        per_client[row.client_id].append(row)
    eng = _engagement(ids, query)
    now = utcnow()
    out = []
    for cid, name, coach_id in clients:
        rows = per_client.get(cid, [])
        totals = {n: _sum([getattr(r, f"a{n}") for r in rows]) for n in anchors}
        by_platform: dict[str, dict[int, int | None]] = {}
        for r in rows:
            by_platform[r.platform] = {n: getattr(r, f"a{n}") for n in anchors}
        problems = tuple(f"{PLATFORM_NAMES.get(r.platform, r.platform)} {p}" for r in rows
                         if (p := _problem(r.status, r.last_sync_at, r.updated_at, now)))
        out.append(ClientRow(cid, name, coach_id, totals[0], totals, by_platform, eng.get(cid), problems))
    return out


def attention_reasons(row: ClientRow) -> tuple[str, ...]:
    """Needs attention, each with its reason (docs/metrics.md, "Needs attention")."""
    reasons: list[str] = []
    net14 = row.change(14).net
    if net14 is not None and net14 < 0:
        reasons.append(f"lost {abs(net14):,} followers in the last 14 days")
    if row.engagement_30d is not None and row.engagement_30d < LOW_ENGAGEMENT_PCT:
        reasons.append(f"engagement {row.engagement_30d:.2f}% over 30 days (below {LOW_ENGAGEMENT_PCT}%)")
    if stalled(row.followers, row.anchors.get(7), row.anchors.get(35)):
        reasons.append("growth stalled: last 7 days gained under half the weekly average of the 4 weeks before")
    reasons.extend(row.connection_problems)
    return tuple(reasons)


def leaderboard(rows: Sequence[ClientRow], days: int, band: str = "") -> list[LeaderRow]:
    """Clients ranked by growth rate of total followers over ``days``; undefined rates last."""
    if band and band not in SIZE_BANDS:
        raise BadQuery(f"Unknown size band: use one of {', '.join(SIZE_BANDS)}.")
    picked = [r for r in rows if _size_ok(band, r.followers)]
    picked.sort(key=lambda r: (r.change(days).rate is not None, r.change(days).rate or 0.0), reverse=True)
    return [LeaderRow(i + 1, r.client_id, r.name, r.followers, r.change(days), r.top_gainer(days))
            for i, r in enumerate(picked)]


def aggregate_series(visible: Select[tuple[Client]], query: StatsQuery, period: Period) -> Series:
    """Sum of the portfolio's snapshots per day; a day where not every connection reported is marked
    carried (its sum is incomplete), a day with none is a gap."""
    assert period.start is not None
    ids = select(portfolio_clients(visible, query).with_only_columns(Client.id).subquery().c.id)
    conn_ids = select(Connection.id).where(Connection.client_id.in_(ids), Connection.disconnected_at.is_(None))
    if query.platforms:
        conn_ids = conn_ids.where(Connection.platform.in_(query.platforms))
    n_conns = db.session.execute(select(func.count()).select_from(conn_ids.subquery())).scalar_one()
    stmt = (select(DailySnapshot.day, func.sum(DailySnapshot.followers), func.count())
            .where(DailySnapshot.connection_id.in_(conn_ids), DailySnapshot.day >= period.start,
                   DailySnapshot.day <= period.end).group_by(DailySnapshot.day))
    by_day = {d: (int(s), int(c)) for d, s, c in db.session.execute(stmt)}
    pts = []
    for i in range((period.end - period.start).days + 1):
        d = period.start + timedelta(days=i)
        if d in by_day:
            s, c = by_day[d]
            pts.append(Point(d, s, "measured" if c >= n_conns else "carried"))
        else:
            pts.append(Point(d, None, GAP))
    return Series("total", "Portfolio total", tuple(pts))


def portfolio(visible: Select[tuple[Client]], query: StatsQuery) -> Portfolio:
    """Every number of the portfolio page for ``query`` (clients visible to the user)."""
    band = query.filter("size")
    if band and band not in SIZE_BANDS:
        raise BadQuery(f"Unknown size band: use one of {', '.join(SIZE_BANDS)}.")
    period = query.period.resolved(query.today - timedelta(days=365))
    assert period.start is not None
    period_days = (query.today - period.start).days
    rows = client_rows(visible, query, period_days)
    totals: dict[str, int] = defaultdict(int)
    for r in rows:
        for p, v in r.by_platform.items():
            totals[p] += v.get(0) or 0
    total = sum(r.followers or 0 for r in rows)
    rates = [rate for r in rows if (rate := r.change(AVG_GROWTH_DAYS).rate) is not None]
    top = max(totals, key=lambda p: totals[p]) if totals and total else None
    start_total = _sum([r.anchors.get(period_days) for r in rows])
    return Portfolio(
        query=query, clients=rows, total_followers=total, period_change=Change(start_total, total if rows else None),
        avg_growth_90d=(sum(rates) / len(rates)) if rates else None, avg_growth_clients=len(rates),
        top_platform=top, top_platform_share=(totals[top] / total * 100.0) if top else None,
        platform_totals=dict(totals), leaderboard=leaderboard(rows, LEADERBOARD_DAYS, band),
        attention=[Attention(r.client_id, r.name, rs) for r in rows if (rs := attention_reasons(r))],
        series=aggregate_series(visible, query, period),
    )


@dataclass(frozen=True)
class CohortRow:
    cohort: str                      # program start month, YYYY-MM
    clients: int
    growth_by_week: list[float | None]   # mean growth % since program start at week 0..N


def cohorts(visible: Select[tuple[Client]], query: StatsQuery, weeks: int = 12) -> list[CohortRow]:
    """Clients aligned by weeks since program start, grouped by start month; mean growth % per week.

    One query: the snapshots of the visible clients' connections on the days ``start + 7w``.
    """
    starts = {cid: ps for cid, ps in db.session.execute(
        visible.with_only_columns(Client.id, Client.program_start).where(Client.program_start.is_not(None)))}
    if not starts:
        return []
    wanted: dict[tuple[int, date], int] = {}
    for cid, ps in starts.items():
        for w in range(weeks + 1):
            d = ps + timedelta(days=7 * w)
            if d <= query.today:
                wanted[(cid, d)] = w
    stmt = (select(Connection.client_id, DailySnapshot.day, func.sum(DailySnapshot.followers))
            .join(DailySnapshot, DailySnapshot.connection_id == Connection.id)
            .where(Connection.client_id.in_(list(starts)), Connection.disconnected_at.is_(None),
                   DailySnapshot.day.in_({d for _, d in wanted}))
            .group_by(Connection.client_id, DailySnapshot.day))
    if query.platforms:
        stmt = stmt.where(Connection.platform.in_(query.platforms))
    totals: dict[int, dict[int, int]] = defaultdict(dict)
    for cid, d, s in db.session.execute(stmt):
        if (cid, d) in wanted:
            totals[cid][wanted[(cid, d)]] = int(s)
    groups: dict[str, list[int]] = defaultdict(list)
    for cid, ps in starts.items():
        groups[ps.strftime("%Y-%m")].append(cid)
    out = []
    for cohort in sorted(groups):
        members = groups[cohort]
        row: list[float | None] = []
        for w in range(weeks + 1):
            rates = [r for cid in members if (r := growth_rate(totals[cid].get(w), totals[cid].get(0))) is not None]
            row.append(sum(rates) / len(rates) if rates else None)
        out.append(CohortRow(cohort, len(members), row))
    return out


def coach_choices() -> list[tuple[int, str]]:
    return [(u.id, u.name) for u in db.session.execute(select(User).where(
        User.role.in_([Role.COACH, Role.ADMIN])).order_by(User.name)).scalars()]
