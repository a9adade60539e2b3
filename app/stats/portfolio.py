"""The coach's portfolio: totals, average growth, top platform, leaderboard, needs attention, cohorts.

Followers at a handful of anchor days (today, -7, -14, -30, -35, -90, the period start) are
followers(d) as everywhere else (the snapshot on d, else the last one before d), read from the prepared
per-connection rows (``app/stats/portfolio_state.py``) and summed per client, with the platform totals,
in one statement (``app/stats/portfolio_rows.py``). On PostgreSQL it runs on a connection of its own
(``app/stats/parallel_reads.py``) while the request reads the chart's daily sums (the whole portfolio:
the trigger-kept daily totals, ``app/stats/totals.py``; narrower scopes sum snapshots) and the few
connections that may have a problem.
"""

from __future__ import annotations

import heapq
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, overload

from sqlalchemy import Select, func, select, true

from app.extensions import db
from app.models import Client, Connection, ContentItem, DailySnapshot
from app.models.base import utcnow
from app.models.platforms import PLATFORM_NAMES
from app.redis_cache import digest_key, get_or_build
from app.stats import parallel_reads, totals
from app.stats import portfolio_rows as rows_sql
from app.stats import portfolio_state as state
from app.stats.engagement import LOW_ENGAGEMENT_PCT
from app.stats.growth import Change, stalled
from app.stats.query import BadQuery, Period, StatsQuery
from app.stats.rounding import rounding_step
from app.stats.series import GAP, Point, Series

log = logging.getLogger(__name__)

SIZE_BANDS: dict[str, tuple[int, int | None]] = {
    "nano": (0, 10_000),
    "micro": (10_000, 100_000),
    "macro": (100_000, None),
}
SIZE_LABELS = {"nano": "under 10K", "micro": "10K–100K", "macro": "100K+"}
AVG_GROWTH_DAYS = 90
LEADERBOARD_DAYS = 30
#: what the portfolio page shows: the first leaderboard rows and needs-attention rows (``attention.for_page``)
LEADERBOARD_SHOWN = 25
ATTENTION_SHOWN = 50


@dataclass(frozen=True)
class ClientRow:
    client_id: int
    name: str
    coach_id: int | None
    followers: int | None  # total now
    anchors: dict[int, int | None]  # days back -> total then
    by_platform: dict[str, dict[int, int | None]]
    engagement_30d: float | None
    connection_problems: tuple[str, ...]

    def change(self, days: int) -> Change:
        return Change(self.anchors.get(days), self.followers)

    @property
    def rounded(self) -> bool:
        """The total includes a count the platform rounds (docs/metrics.md "Rounded counts")."""
        return any(rounding_step(p, v.get(0) or 0) > 1 for p, v in self.by_platform.items())

    def top_gainer(self, days: int) -> str | None:
        """The platform with the largest net gain over ``days`` (the first one on a tie), if it gained."""
        best, best_gain = None, 0
        for p, v in self.by_platform.items():
            start, end = v.get(days), v.get(0)
            if start is not None and end is not None and (best is None or end - start > best_gain):
                best, best_gain = p, end - start
        return best if best_gain > 0 else None


@dataclass(frozen=True)
class LeaderRow:
    rank: int
    client_id: int
    name: str
    followers: int | None
    change: Change
    top_platform: str | None
    #: the total includes a rounded count (a YouTube channel of 1,000 subscribers or more): "about"
    rounded: bool = False


@dataclass(frozen=True)
class Attention:
    client_id: int
    name: str
    reasons: tuple[str, ...]


@dataclass
class Portfolio:
    """The portfolio page's numbers. The per-client rows behind them (``client_rows``) are not kept:
    pages, the API and reports only count them, and caching 1,000 rows cost more than the page."""

    query: StatsQuery
    client_count: int
    total_followers: int
    period_change: Change
    avg_growth_90d: float | None
    avg_growth_clients: int
    top_platform: str | None
    top_platform_share: float | None
    platform_totals: dict[str, int]
    leaderboard: Sequence[LeaderRow]
    attention: list[Attention]
    series: Series
    #: a page result (``portfolio(..., page=True)``) keeps the first ``LEADERBOARD_SHOWN`` leaderboard rows
    #: and the first ``ATTENTION_SHOWN`` clients needing attention; the others needing attention are here,
    #: their ids in order (``attention.attention_of`` reads a few of them when notes hide shown ones)
    attention_rest: Sequence[int] = ()

    @property
    def rounded_platforms(self) -> frozenset[str]:
        """Platforms whose part of the total includes rounded counts (YouTube, 1,000 and more): "about"."""
        return frozenset(p for p, n in self.platform_totals.items() if rounding_step(p, n) > 1)


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


ConnRow = tuple[int, str, str, datetime | None, dict[int, int | None], float | None, int]


def _anchor_rows(client_ids: Select[tuple[int]], query: StatsQuery, anchors: list[int]) -> list[ConnRow]:
    """Per live connection (in id order), as plain tuples: ``(client_id, platform, status, failing_since,
    {days back: followers(d)}, engagement sum, rated posts)``, read from the prepared rows
    (``app/stats/portfolio_state.py``; a stale row is computed from the history in the same statement)."""
    stmt = (
        select(
            Connection.client_id,
            Connection.platform,
            Connection.status,
            rows_sql.failing_since(),
            *state.columns(query.today, anchors),
        )
        .select_from(Connection)
        .where(Connection.client_id.in_(client_ids), Connection.disconnected_at.is_(None))
        .order_by(Connection.id)
    )
    stmt = state.join_state(stmt)
    if query.platforms:
        stmt = stmt.where(Connection.platform.in_(query.platforms))
    out: list[ConnRow] = []
    for client_id, platform, status, since, *values in db.session.connection().execute(stmt):
        *followers, eng_sum, eng_posts = values
        by_day = {n: (None if v is None else int(v)) for n, v in zip(anchors, followers, strict=True)}
        out.append((client_id, platform, status, since, by_day, eng_sum, int(eng_posts or 0)))
    return out


def _sum(values: list[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _client_ids(visible: Select[tuple[Client]], query: StatsQuery) -> Select[tuple[int]]:
    return select(portfolio_clients(visible, query).with_only_columns(Client.id).subquery().c.id)


def client_rows(visible: Select[tuple[Client]], query: StatsQuery, period_days: int) -> list[ClientRow]:
    """Per client: totals at the anchor days, per-platform anchors, 30-day engagement, connection problems.

    The detailed rows (per platform) of a few clients: the notes of one client, tests. The whole
    portfolio is summed per client in SQL instead (``app/stats/portfolio_rows.py``)."""
    ids = _client_ids(visible, query)
    # Core execution (the session's connection): plain rows without the ORM's per-row processing
    clients = (
        db.session.connection()
        .execute(
            portfolio_clients(visible, query)
            .order_by(Client.display_name, Client.id)
            .with_only_columns(Client.id, Client.display_name, Client.coach_id)
        )
        .all()
    )
    anchors = sorted({0, 7, 14, 30, 35, AVG_GROWTH_DAYS, period_days})
    per_client: dict[int, list[ConnRow]] = {}
    for row in _anchor_rows(ids, query, anchors):
        per_client.setdefault(row[0], []).append(row)
    now = utcnow()
    none_known = dict.fromkeys(anchors)
    out = []
    for cid, name, coach_id in clients:
        rows = per_client.get(cid)
        if not rows:
            out.append(ClientRow(cid, name, coach_id, None, dict(none_known), {}, None, ()))
            continue
        totals = {n: _sum([r[4][n] for r in rows]) for n in anchors}
        by_platform = {r[1]: r[4] for r in rows}
        problems = tuple(
            f"{PLATFORM_NAMES.get(r[1], r[1])} {p}" for r in rows if (p := rows_sql.problem(r[2], r[3], None, now))
        )
        posts = sum(r[6] for r in rows)
        engagement = sum(float(r[5]) for r in rows if r[5] is not None) / posts if posts else None
        out.append(ClientRow(cid, name, coach_id, totals[0], totals, by_platform, engagement, problems))
    return out


@dataclass(frozen=True)
class ClientTotal:
    change: Change  # total followers ``days`` ago -> today
    rounded: bool  # today's total includes a count the platform rounds (shown as "about")


def client_totals(client_ids: Sequence[int], query: StatsQuery, days: int = LEADERBOARD_DAYS) -> dict[int, ClientTotal]:
    """Per client: total followers ``days`` ago and today (live connections, followers(d) with carry-forward),
    the same numbers the portfolio's leaderboard uses; clients without connections are absent.
    At most three queries whatever the number of clients."""
    if not client_ids:
        return {}
    starts: dict[int, list[int | None]] = defaultdict(list)
    ends: dict[int, list[int | None]] = defaultdict(list)
    rounded: set[int] = set()
    for client_id, platform, _, _, values, _, _ in _anchor_rows(
        select(Client.id).where(Client.id.in_(list(client_ids))), query, [0, days]
    ):
        starts[client_id].append(values[days])
        ends[client_id].append(values[0])
        if rounding_step(platform, values[0] or 0) > 1:
            rounded.add(client_id)
    return {cid: ClientTotal(Change(_sum(starts[cid]), _sum(ends[cid])), cid in rounded) for cid in ends}


def client_growth(client_ids: Sequence[int], query: StatsQuery, days: int = LEADERBOARD_DAYS) -> dict[int, Change]:
    """``client_totals`` without the rounding flag."""
    return {cid: t.change for cid, t in client_totals(client_ids, query, days).items()}


def attention_reasons(row: ClientRow) -> tuple[str, ...]:
    """Needs attention, each with its reason (docs/metrics.md, "Needs attention")."""
    a = row.anchors
    return reasons(row.followers, a.get(7), a.get(14), a.get(35), row.engagement_30d, row.connection_problems)


def reasons(
    followers: int | None,
    f7: int | None,
    f14: int | None,
    f35: int | None,
    engagement_30d: float | None,
    problems: tuple[str, ...],
) -> tuple[str, ...]:
    """``attention_reasons`` from a client's total followers now and 7, 14 and 35 days back, its 30-day
    engagement and its connections' problems."""
    out: list[str] = []
    net14 = None if f14 is None or followers is None else followers - f14
    if net14 is not None and net14 < 0:
        out.append(f"lost {abs(net14):,} followers in the last 14 days")
    if engagement_30d is not None and engagement_30d < LOW_ENGAGEMENT_PCT:
        out.append(f"engagement {engagement_30d:.2f}% over 30 days (below {LOW_ENGAGEMENT_PCT}%)")
    if stalled(followers, f7, f35):
        out.append("growth stalled: last 7 days gained under half the weekly average of the 4 weeks before")
    out.extend(problems)
    return tuple(out)


def needs_attention(
    followers: int | None, f7: int | None, f14: int | None, f35: int | None, engagement_30d: float | None
) -> bool:
    """Whether ``reasons`` (without connection problems) gives any, without writing them: the page counts
    ~9,000 clients beyond the 50 it shows (tests/stats/test_portfolio_page.py checks it against ``reasons``)."""
    if engagement_30d is not None and engagement_30d < LOW_ENGAGEMENT_PCT:
        return True
    return followers is not None and ((f14 is not None and followers < f14) or stalled(followers, f7, f35))


def leaderboard(rows: Sequence[ClientRow], days: int, band: str = "") -> list[LeaderRow]:
    """Clients ranked by growth rate of total followers over ``days``; undefined rates last."""
    if band and band not in SIZE_BANDS:
        raise BadQuery(f"Unknown size band: use one of {', '.join(SIZE_BANDS)}.")
    picked = [(r, c, c.rate) for r in rows if _size_ok(band, r.followers) for c in (r.change(days),)]
    picked.sort(key=lambda t: (t[2] is not None, t[2] or 0.0), reverse=True)
    return [
        LeaderRow(i + 1, r.client_id, r.name, r.followers, c, r.top_gainer(days), r.rounded)
        for i, (r, c, _) in enumerate(picked)
    ]


def _everyone(visible: Select[tuple[Client]], query: StatsQuery) -> bool:
    """Whether the portfolio covers every client: an admin's unfiltered ``visible_clients`` and no coach filter."""
    return visible.whereclause is None and not query.filter("coach")


def _aggregate_stmt(
    visible: Select[tuple[Client]], query: StatsQuery, period: Period
) -> Select[tuple[date, Any, int, Any]]:
    """Per day of ``period``: the sum and number of the portfolio's snapshots, and the live connections."""
    assert period.start is not None
    if _everyone(visible, query):  # the daily totals (app/stats/totals.py): ~24 rows a day, not ~3,000
        live = select(func.count(Connection.id)).where(Connection.disconnected_at.is_(None))
        if query.platforms:
            live = live.where(Connection.platform.in_(query.platforms))
        return totals.day_sums(period.start, period.end, query.platforms).add_columns(live.scalar_subquery())
    conn_ids = select(Connection.id).where(
        Connection.client_id.in_(_client_ids(visible, query)), Connection.disconnected_at.is_(None)
    )
    if query.platforms:
        conn_ids = conn_ids.where(Connection.platform.in_(query.platforms))
    n_live = select(func.count()).select_from(conn_ids.subquery()).scalar_subquery()
    return (
        select(DailySnapshot.day, func.sum(DailySnapshot.followers), func.count(), n_live)
        .where(
            DailySnapshot.connection_id.in_(conn_ids),
            DailySnapshot.day >= period.start,
            DailySnapshot.day <= period.end,
        )
        .group_by(DailySnapshot.day)
    )


def _series(rows: Iterable[tuple[Any, ...]], period: Period) -> Series:
    """Sum of the portfolio's snapshots per day; a day where not every connection reported is marked
    carried (its sum is incomplete), a day with none is a gap."""
    assert period.start is not None
    by_day: dict[date, tuple[int, int]] = {}
    n_conns = 0
    for d, s, c, n in rows:
        by_day[d], n_conns = (int(s), int(c)), int(n)
    pts = []
    for i in range((period.end - period.start).days + 1):
        d = period.start + timedelta(days=i)
        if d in by_day:
            s, c = by_day[d]
            pts.append(Point(d, s, "measured" if c >= n_conns else "carried"))
        else:
            pts.append(Point(d, None, GAP))
    return Series("total", "Portfolio total", tuple(pts))


CACHE_PREFIX = "portfolio:v3:"
CACHE_TTL_SECONDS = 600  # "failing for over 24 hours" depends on the clock: bound staleness


def data_version(visible: Select[tuple[Client]]) -> str:
    """Changes with every sync (``last_sync_at``), connection or client change (``updated_at``, counts) and
    new snapshot or content rows (max primary keys): one cheap query, no scan of the history.

    One pass over the clients and one over the connections (each aggregate in its own subquery scanned
    the tables again: ~150 ms at 10,000 clients under load, on every view, cached ones too); an admin's
    scope (every client) needs no filter by the visible ids."""
    clients = select(func.count(Client.id), func.max(Client.updated_at))
    conns = select(func.count(Connection.id), func.max(Connection.last_sync_at), func.max(Connection.updated_at))
    if visible.whereclause is not None:  # narrower than every client
        ids = select(visible.with_only_columns(Client.id).subquery().c.id)
        clients, conns = clients.where(Client.id.in_(ids)), conns.where(Connection.client_id.in_(ids))
    cl, cn = clients.subquery("cl"), conns.subquery("cn")
    stmt = select(
        *cl.c,
        *cn.c,
        select(func.max(DailySnapshot.id)).scalar_subquery(),
        select(func.max(ContentItem.id)).scalar_subquery(),
    ).select_from(cl.join(cn, true()))  # two one-row results side by side
    return "|".join(str(v) for v in db.session.execute(stmt).one())


def _scope_key(visible: Select[tuple[Client]]) -> str:
    return str(visible.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))


def _dump(pf: Portfolio) -> str:
    def ch(c: Change) -> list[int | None]:
        return [c.start, c.end]

    return json.dumps(
        {
            "n_clients": pf.client_count,
            "total": pf.total_followers,
            "period_change": ch(pf.period_change),
            "avg": pf.avg_growth_90d,
            "avg_n": pf.avg_growth_clients,
            "top": pf.top_platform,
            "top_share": pf.top_platform_share,
            "platform_totals": pf.platform_totals,
            "leaderboard": [
                [r.rank, r.client_id, r.name, r.followers, ch(r.change), r.top_platform, r.rounded]
                for r in pf.leaderboard
            ],
            "attention": [[a.client_id, a.name, list(a.reasons)] for a in pf.attention],
            "attention_rest": list(pf.attention_rest),
            "series": [
                pf.series.key,
                pf.series.label,
                [[p.day.isoformat(), p.value, p.provenance] for p in pf.series.points],
            ],
        },
        separators=(",", ":"),
    )


class CachedLeaderboard(Sequence[LeaderRow]):
    """A cached result's leaderboard, its rows built when read: the page shows 25 of 10,000 (building
    them all was ~60 ms of each cached view at 10,000 clients); the API and reports read them all."""

    def __init__(self, raw: list[list[Any]]) -> None:
        self._raw = raw

    @staticmethod
    def _row(entry: list[Any]) -> LeaderRow:
        rank, cid, name, fol, c, top, *rest = entry  # an entry cached before ``rounded`` existed has six fields
        return LeaderRow(rank, cid, name, fol, Change(*c), top, bool(rest and rest[0]))

    def __len__(self) -> int:
        return len(self._raw)

    @overload
    def __getitem__(self, i: int) -> LeaderRow: ...
    @overload
    def __getitem__(self, i: slice) -> list[LeaderRow]: ...
    def __getitem__(self, i: int | slice) -> LeaderRow | list[LeaderRow]:
        if isinstance(i, slice):
            return [self._row(e) for e in self._raw[i]]
        return self._row(self._raw[i])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


def _load(raw: bytes, query: StatsQuery) -> Portfolio:
    d = json.loads(raw)
    key, label, points = d["series"]
    return Portfolio(
        query=query,
        client_count=d["n_clients"],
        total_followers=d["total"],
        period_change=Change(*d["period_change"]),
        avg_growth_90d=d["avg"],
        avg_growth_clients=d["avg_n"],
        top_platform=d["top"],
        top_platform_share=d["top_share"],
        platform_totals=d["platform_totals"],
        leaderboard=CachedLeaderboard(d["leaderboard"]),
        attention=[Attention(cid, name, tuple(rs)) for cid, name, rs in d["attention"]],
        series=Series(key, label, tuple(Point(date.fromisoformat(day), v, prov) for day, v, prov in points)),
        attention_rest=d.get("attention_rest", []),
    )


PAGE_CACHE_PREFIX = "portfolio:page:v1:"


def portfolio(visible: Select[tuple[Client]], query: StatsQuery, *, page: bool = False) -> Portfolio:
    """Every number of the portfolio for ``query`` (clients visible to the user); ``page``: only what the
    page shows (see ``Portfolio.attention_rest``), cached apart from the whole result (the API, reports).

    The result is cached in Redis per (visible clients, query, data version) for at most
    ``CACHE_TTL_SECONDS`` (custom ranges are computed every time: ``StatsQuery.cacheable``); the version
    (``data_version``) changes with every sync, so a cached portfolio
    never outlives the data behind it. Redis being down only costs the computation.
    """
    band = query.filter("size")
    if band and band not in SIZE_BANDS:
        raise BadQuery(f"Unknown size band: use one of {', '.join(SIZE_BANDS)}.")
    portfolio_clients(visible, query)  # a malformed coach filter is a BadQuery before any cache lookup
    if not query.cacheable:
        return compute_portfolio(visible, query, page=page)
    prefix = PAGE_CACHE_PREFIX if page else CACHE_PREFIX
    key = digest_key(prefix, _scope_key(visible), query.cache_key(), str(query.today), data_version(visible))
    return get_or_build(
        key,
        lambda: compute_portfolio(visible, query, page=page),
        ttl=CACHE_TTL_SECONDS,
        dump=_dump,
        load=lambda raw: _load(raw, query),
        name="portfolio",
        log=log,
    )


#: runs of clients the whole portfolio's per-client statement is split into on PostgreSQL, each on a
#: connection of its own (``portfolio_rows.summaries``). 1 (no split) until the split is shown to pay at
#: 10,000 clients on a quiet box: at 1,000 clients under load ~7 two parts cost ~9 ms more app CPU,
#: ~11 ms more database CPU and ~25 ms more wall time than one (bench/README.md, issue 21, fifth pass)
SUMMARY_PARTS = 1


def compute_portfolio(
    visible: Select[tuple[Client]], query: StatsQuery, *, page: bool = False, parts: int | None = None
) -> Portfolio:
    """``portfolio`` without the cache: per-client sums from SQL over the prepared rows
    (``app/stats/portfolio_rows.py``), the same numbers as ``client_rows`` (tests/stats/test_portfolio_state.py).
    ``page``: the leaderboard's first ``LEADERBOARD_SHOWN`` rows and the first ``ATTENTION_SHOWN`` clients
    needing attention are built, the others only ranked or listed (10,000 rows at 10,000 clients).
    ``parts``: the per-client statement in that many runs of clients (default: ``SUMMARY_PARTS`` for every
    client on PostgreSQL, else 1); the same result whatever the split (tests/stats/test_portfolio_state.py)."""
    band = query.filter("size")
    if band and band not in SIZE_BANDS:
        raise BadQuery(f"Unknown size band: use one of {', '.join(SIZE_BANDS)}.")
    period = query.period.resolved(query.today - timedelta(days=365))
    assert period.start is not None
    period_days = (query.today - period.start).days
    ids, now = _client_ids(visible, query), utcnow()
    # the per-client sums and platform totals (one statement) on a connection of their own
    # (app/stats/parallel_reads.py) while the chart's daily sums and the few problems are read here; a
    # narrower scope (a coach's clients) reads it inline: a side connection costs more than it overlaps
    anchors = sorted({0, 7, 14, 30, 35, AVG_GROWTH_DAYS, period_days})
    inline = not _everyone(visible, query)
    postgres = db.engine.dialect.name == "postgresql"
    # the clients in runs on connections of their own, side by side (every client on PostgreSQL: SUMMARY_PARTS)
    n_parts = parts if parts is not None else SUMMARY_PARTS if postgres and not inline else 1
    key = (_scope_key(visible), query.filter("coach"), query.today, query.platforms, tuple(anchors), n_parts, postgres)
    stmt = rows_sql.kept(  # built once per process and key: ~13 ms of CPU before the database could start
        key,
        lambda: rows_sql.summaries(
            portfolio_clients(visible, query), query, anchors, LEADERBOARD_DAYS, grouping_sets=postgres, parts=n_parts
        ),
    )
    reads = [
        parallel_reads.fetch(stmt, {"part": k} if n_parts > 1 else None, jit=False, inline=inline)
        for k in range(1, n_parts + 1)
    ]
    at = {n: 4 + i for i, n in enumerate(anchors)}  # a row: id, name, coach, connections, totals..., (see summaries)
    i0, i7, i14, i35, ip = at[0], at[7], at[14], at[35], at[period_days]
    i30, i90 = at[LEADERBOARD_DAYS], at[AVG_GROWTH_DAYS]
    conn = db.session.connection()
    series = _series([tuple(r) for r in conn.execute(_aggregate_stmt(visible, query, period))], period)
    problems = rows_sql.problems(conn, ids, query, now)
    rows, platform_totals_now = rows_sql.merge([r.result() for r in reads], i0)
    total, start, starts_known, rates = 0, 0, False, []
    ranked: list[tuple[bool, float, int, Sequence[Any]]] = []  # (rate known, rate, -position, row)
    attention: list[Attention] = []
    rest: list[int] = []
    shown = ATTENTION_SHOWN if page else len(rows)
    for n, r in enumerate(rows):  # 10,000 rows at 10,000 clients: growth_rate and reasons inlined or skipped
        cid, followers, f30, f90, posts = r[0], r[i0], r[i30], r[i90], r[-3]
        if followers is not None:
            total += followers
            if f90:  # growth_rate: None when the start is unknown or 0
                rates.append((followers - f90) / f90 * 100.0)
        if r[ip] is not None:
            start, starts_known = start + r[ip], True
        if not band or _size_ok(band, followers):
            known = followers is not None and bool(f30)
            ranked.append((known, (followers - f30) / f30 * 100.0 if known else 0.0, -n, r))
        eng = float(r[-4]) / posts if posts else None
        if len(attention) < shown:
            if rs := reasons(followers, r[i7], r[i14], r[i35], eng, tuple(problems.get(cid, ()))):
                attention.append(Attention(cid, r[1], rs))
        elif cid in problems or needs_attention(followers, r[i7], r[i14], r[i35], eng):
            rest.append(cid)
    # ranked by growth rate, undefined rates last, ties in the portfolio's order (-position): the first rows
    # of a full sort, nlargest's too; the row itself is never compared
    ranked = heapq.nlargest(LEADERBOARD_SHOWN, ranked) if page else sorted(ranked, reverse=True)
    top = max(platform_totals_now, key=lambda p: platform_totals_now[p]) if platform_totals_now and total else None
    return Portfolio(
        query=query,
        client_count=len(rows),
        total_followers=total,
        period_change=Change(start if starts_known else None, total if rows else None),
        avg_growth_90d=(sum(rates) / len(rates)) if rates else None,
        avg_growth_clients=len(rates),
        top_platform=top,
        top_platform_share=(platform_totals_now[top] / total * 100.0) if top else None,
        platform_totals=platform_totals_now,
        leaderboard=[
            LeaderRow(i + 1, r[0], r[1], r[i0], Change(r[i30], r[i0]), r[-2], bool(r[-1]))
            for i, (_, _, _, r) in enumerate(ranked)
        ],
        attention=attention,
        series=series,
        attention_rest=rest,
    )
