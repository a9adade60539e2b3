"""The whole portfolio's per-client rows, summed in SQL from the prepared per-connection rows.

``app.stats.portfolio.client_rows`` builds a detailed row per client in Python (a dict per connection
and per client); at 10,000 clients that was ~1.3 s of the uncached admin portfolio (bench/README.md,
issue 21). Here the database does the per-client work over the prepared rows
(``app/stats/portfolio_state.py``) and returns one flat tuple per client, in the portfolio's order
(display name, id):

    (client_id, name, coach_id, live connections, total at each anchor..., engagement sum, rated
     posts, top gainer platform over ``gain_days``, rounded)

with the same definitions as ``ClientRow``: a total is the sum of the known values (NULL when none is
known, as SQL's ``sum``); the top gainer is the first platform (connection order) with the largest net
gain over ``gain_days`` among those known at both ends, if that gain is positive; "rounded" is a live
count the platform rounds today (``app.stats.rounding.rounding_step``). The same statement ends with a
row per platform (its totals, ``summaries``); the connections that may have a problem are a further
small statement.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    cast,
    func,
    join,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import Connection as DBConnection

from app.models import Client, Connection, ConnectionStatus
from app.models.connection import USABLE_STATUSES
from app.models.platforms import PLATFORM_NAMES
from app.stats import portfolio_state as state
from app.stats.query import StatsQuery
from app.stats.rounding import EXACT_BELOW, ROUNDED_PLATFORMS

#: the earliest a usable or failing connection can have a problem (``problem``: 24 and 26 hours)
PROBLEM_AFTER = timedelta(hours=24)
POSITION_BASE = 10**12
FAILING_HOURS = 24
#: a usable connection whose last good sync is older than this missed its daily sync (D1)
STALE_HOURS = 26  # client position x base + connection id orders connections as the portfolio walks them


def failing_since() -> Any:
    """The last good sync of connections whose problem depends on time: in error (``last_sync_at``, else
    ``updated_at``), or usable (``last_sync_at``, else ``connected_at``: a sync failing with a 5xx keeps
    the status ``connected``, so only the age of the data shows it); NULL otherwise."""
    return type_coerce(
        case(
            (
                Connection.status == ConnectionStatus.ERROR.value,
                func.coalesce(Connection.last_sync_at, Connection.updated_at),
            ),
            (
                Connection.status.in_([s.value for s in USABLE_STATUSES]),
                func.coalesce(Connection.last_sync_at, Connection.connected_at),
            ),
        ),
        Connection.last_sync_at.type,
    )


def _live(client_ids: Select[tuple[int]], query: StatsQuery) -> Any:
    stmt = Connection.client_id.in_(client_ids), Connection.disconnected_at.is_(None)
    return and_(*stmt, Connection.platform.in_(query.platforms)) if query.platforms else and_(*stmt)


def _connection_columns(query: StatsQuery, anchors: list[int], *extra: Any) -> Select[Any]:
    """Per connection (``Connection`` outer-joined to its prepared row): ``extra``, client, id, platform,
    followers at each anchor (``a{n}``), engagement inputs."""
    cols = state.columns(query.today, anchors)
    return select(
        *extra,
        Connection.client_id.label("client_id"),
        Connection.id.label("cid"),
        Connection.platform.label("platform"),
        *[c.label(f"a{n}") for n, c in zip(anchors, cols, strict=False)],
        cols[-2].label("eng_sum"),
        cols[-1].label("eng_posts"),
    )


def _bigint(expr: Any) -> Any:
    return cast(expr, BigInteger)  # PostgreSQL sums bigints as numeric


def summaries(
    clients: Select[tuple[Client]],
    query: StatsQuery,
    anchors: list[int],
    gain_days: int,
    *,
    grouping_sets: bool,
    parts: int = 1,
) -> Select[Any]:
    """One statement, one pass over the connections: a flat tuple per client of ``clients`` (see the
    module docstring) in display-name order, then one row per platform of the live connections,
    ``(None, platform, None, connections, today's followers (NULL: none known), ...)`` (the rest of a
    platform row is not to be read), in the order of each platform's first connection in the
    portfolio's order (clients by display name, then connection id).

    The platform totals were a statement of their own that joined and summed the same 30,000 prepared
    rows again and sorted the clients again (~47 ms of database CPU at 10,000 clients, bench/README.md,
    issue 21). Here the clients are sorted once (``pos``) and the per-connection rows computed once.
    ``grouping_sets`` (PostgreSQL): both groupings in one pass, ``GROUP BY GROUPING SETS ((client),
    (platform))``, the clients full-joined to them; otherwise (SQLite has no grouping sets) the
    per-connection rows are a CTE grouped twice, the two parts a ``UNION ALL`` (~15 % more database CPU
    than grouping sets at 10,000 clients).

    ``parts`` > 1: the statement covers one of ``parts`` runs of clients in the portfolio's order (the
    ``part`` parameter, 1 to ``parts``, given when executing it: one statement for every part), so the parts
    can run side by side on connections of their own; ``merge`` puts their rows together."""
    order = [Client.display_name, Client.id]
    pos_cols: list[Any] = [
        Client.id.label("id"),
        Client.display_name.label("name"),
        Client.coach_id.label("coach_id"),
        func.row_number().over(order_by=order).label("pos"),
    ]
    if parts > 1:  # both windows from the one sort of the clients
        every = clients.with_only_columns(*pos_cols, func.ntile(parts).over(order_by=order).label("part"))
        every_sq = every.order_by(None).subquery("every")
        pos = (
            select(every_sq.c.id, every_sq.c.name, every_sq.c.coach_id, every_sq.c.pos)
            .where(every_sq.c.part == bindparam("part", type_=Integer))
            .cte("pos")
        )
    else:
        pos = clients.with_only_columns(*pos_cols).order_by(None).cte("pos")
    live = [Connection.disconnected_at.is_(None)]
    if query.platforms:
        live.append(Connection.platform.in_(query.platforms))
    on_pos = join(Connection, pos, pos.c.id == Connection.client_id)
    pc_select = state.join_state(_connection_columns(query, anchors, pos.c.pos).select_from(on_pos)).where(*live)
    pc = pc_select.subquery("pc") if grouping_sets else pc_select.cte("pc")
    gain = pc.c.a0 - pc.c[f"a{gain_days}"]
    ranked = select(
        pc,
        gain.label("gain"),
        func.row_number()
        .over(partition_by=pc.c.client_id, order_by=[gain.desc().nulls_last(), pc.c.cid])
        .label("gain_rank"),
    ).subquery("rk")
    rk = ranked.c
    # a platform's key (its first connection) is above every client's position (1..clients): its row comes last
    first = func.min(rk.pos * POSITION_BASE + rk.cid)
    per_client = select(
        rk.client_id,
        *([rk.platform] if grouping_sets else []),
        func.count().label("n"),
        *[_bigint(func.sum(rk[f"a{n}"])).label(f"t{n}") for n in anchors],
        func.sum(rk.eng_sum).label("eng_sum"),
        _bigint(func.sum(rk.eng_posts)).label("eng_posts"),
        func.max(case((and_(rk.gain_rank == 1, rk.gain > 0), rk.platform))).label("top"),
        func.max(case((and_(rk.platform.in_(sorted(ROUNDED_PLATFORMS)), rk.a0 >= EXACT_BELOW), 1), else_=0)).label(
            "rounded"
        ),
        *([first.label("first")] if grouping_sets else []),
    )
    values = [*[f"t{n}" for n in anchors], "eng_sum", "eng_posts", "top", "rounded"]
    if grouping_sets:
        agg = per_client.group_by(func.grouping_sets(rk.client_id, rk.platform)).subquery("agg")
        return (
            select(pos.c.id, func.coalesce(pos.c.name, agg.c.platform), pos.c.coach_id, agg.c.n)
            .add_columns(*[agg.c[v] for v in values])
            .select_from(pos.outerjoin(agg, agg.c.client_id == pos.c.id, full=True))
            .order_by(func.coalesce(pos.c.pos, agg.c.first))
        )
    agg = per_client.group_by(rk.client_id).subquery("agg")
    clients_part = select(
        pos.c.pos.label("k"), pos.c.id, pos.c.name, pos.c.coach_id, agg.c.n, *[agg.c[v] for v in values]
    ).select_from(pos.outerjoin(agg, agg.c.client_id == pos.c.id))
    platforms_part = select(
        func.min(pc.c.pos * POSITION_BASE + pc.c.cid),
        null(),
        pc.c.platform,
        null(),
        func.count(),
        _bigint(func.sum(pc.c.a0)),
        *[null() for _ in values[1:]],
    ).group_by(pc.c.platform)
    both = union_all(clients_part, platforms_part).subquery("both")
    return select(*list(both.c)[1:]).order_by(both.c.k)


_KEPT: dict[Hashable, Select[Any]] = {}
KEPT_STATEMENTS = 32
_KEPT_LOCK = threading.Lock()


def kept(key: Hashable, build: Callable[[], Select[Any]]) -> Select[Any]:
    """The statement ``build`` makes for ``key``, built once per process (the ``KEPT_STATEMENTS`` last keys).

    Building ``summaries`` and its SQLAlchemy cache key (computed once per statement object, then memoised
    on it) took ~13 ms of CPU on every uncached portfolio before the database could start (bench/README.md,
    issue 21); a statement is immutable, so threads can share it. ``key`` must hold everything the
    statement depends on (the scope, the day, the platforms, the anchors, the split)."""
    stmt = _KEPT.get(key)
    if stmt is None:
        stmt = build()
        with _KEPT_LOCK:  # request threads of one process
            while len(_KEPT) >= KEPT_STATEMENTS:
                _KEPT.pop(next(iter(_KEPT)))
            _KEPT[key] = stmt
    return stmt


def merge(parts: Sequence[Sequence[Sequence[Any]]], i0: int) -> tuple[list[Sequence[Any]], dict[str, int]]:
    """The rows of ``summaries`` run in ``parts`` (in part order) put together: the client rows in the
    portfolio's order, and today's followers per platform (column ``i0``; unknown counts as 0) in the order of
    each platform's first connection: the parts follow the portfolio's order, so a platform's first part
    holds its first connection."""
    rows: list[Sequence[Any]] = []
    platforms: dict[str, int] = {}
    for part in parts:
        n = len(part)
        while n and part[n - 1][0] is None:  # the platform rows come last, their client id NULL
            n -= 1
        rows.extend(part[:n])
        for r in part[n:]:
            platforms[r[1]] = platforms.get(r[1], 0) + int(r[i0] or 0)
    return rows, platforms


def problem_candidates(client_ids: Select[tuple[int]], query: StatsQuery, now: datetime) -> Any:
    """Live connections that may have a problem (a superset: ``problem`` decides), in id order:
    ``(client_id, platform, status, failing_since)``; a connection synced within 24 hours has none."""
    since = failing_since()
    return (
        select(Connection.client_id, Connection.platform, Connection.status, since)
        .where(
            _live(client_ids, query),
            or_(
                Connection.status != ConnectionStatus.CONNECTED.value,
                since.is_(None),
                since < now - PROBLEM_AFTER,
            ),
        )
        .order_by(Connection.id)
    )


def problems(
    conn: DBConnection, client_ids: Select[tuple[int]], query: StatsQuery, now: datetime
) -> dict[int, list[str]]:
    """Per client with any: its live connections' problems, as needs attention lists them."""
    out: dict[int, list[str]] = {}
    for cid, platform, status, since in conn.execute(problem_candidates(client_ids, query, now)):
        if p := problem(status, since, None, now):
            out.setdefault(cid, []).append(f"{PLATFORM_NAMES.get(platform, platform)} {p}")
    return out


def problem(status: str, last_sync: datetime | None, updated: datetime | None, now: datetime) -> str | None:
    """A live connection's problem shown under needs attention, if any (docs/metrics.md)."""
    st = ConnectionStatus(status)
    if st in (
        ConnectionStatus.EXPIRED,
        ConnectionStatus.REVOKED,
        ConnectionStatus.INSUFFICIENT_SCOPE,
        ConnectionStatus.DECRYPT_ERROR,
    ):
        return f"connection {st.value.replace('_', ' ')}"
    if st is ConnectionStatus.EXPIRING:
        return "access about to expire (the client must reconnect)"
    if st is ConnectionStatus.ERROR:
        since = last_sync or updated
        if since is None or now - since > timedelta(hours=FAILING_HOURS):
            return "connection failing for over 24 hours"
    elif st in USABLE_STATUSES and last_sync is not None and now - last_sync > timedelta(hours=STALE_HOURS):
        return f"no new data for over {STALE_HOURS} hours"
    return None
