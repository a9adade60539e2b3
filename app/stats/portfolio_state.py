"""The portfolio's prepared per-connection rows (``PortfolioConnectionState``): definition, refresh, check.

What the portfolio reads of each live connection is followers(d) at a handful of days back from today
(docs/metrics.md: the snapshot on d, else the last one before d) and the inputs of the 30-day
engagement (the sum and number of its post rates). Deriving them for every connection from the
snapshots and posts is what made the admin portfolio slow at 10,000 clients (bench/README.md, issue 21),
so each connection keeps them in one row, valid for one UTC day and one version of its history:

* database triggers (migration ``0030_portfolio``) bump the row's ``version`` whenever the
  connection's snapshots or posts are written, in the writer's transaction, whatever writes them (the
  sync's upserts, backfill and reconciliation, retention, deletion, a bulk fix by hand);
* ``refresh`` recomputes rows that are not fresh (``fresh_version <> version`` or ``as_of`` not
  today): in the portfolio preparation that the syncs of its window ask for (one batch for all of
  them), and for every connection just after midnight UTC (``app.jobs.pages.refresh_portfolio_rows``).
  On PostgreSQL it locks the rows first (skipping those a writer holds: they stay stale until the
  next refresh), so what it computes is what it marks fresh;
* readers (``columns``) take a fresh row's values and compute a stale row's from the history in the
  same statement, so a reader never sees a value that differs from the definition, only a slower one.

``differences`` compares the fresh rows with the definition (tests, ``flask stats portfolio-rows``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, text

from app.extensions import db
from app.models import Connection, ContentItem, DailySnapshot, PortfolioConnectionState
from app.stats.engagement import post_rate_sql
from app.stats.query import day_start, today

S = PortfolioConnectionState
#: days back kept per connection: today, the anchors of growth, stall and needs attention, and the
#: start of every preset range (7, 30, 90 days; all time starts 366 days back, ``compute_portfolio``)
STORED: tuple[int, ...] = (0, 7, 14, 30, 35, 90, 366)
ENGAGEMENT_DAYS = 30
BATCH = 2000


def followers_at(d: date) -> Any:
    """followers(d) of the outer ``Connection``: its snapshot on d, else the last one before (NULL: none)."""
    return (
        select(DailySnapshot.followers)
        .where(DailySnapshot.connection_id == Connection.id, DailySnapshot.day <= d)
        .order_by(DailySnapshot.day.desc())
        .limit(1)
        .correlate(Connection)
        .scalar_subquery()
    )


def engagement_window(day: date) -> tuple[datetime, datetime]:
    """Posts counted in the 30-day engagement as of ``day``: published in ``[start, end)`` (UTC days)."""
    return day_start(day - timedelta(days=ENGAGEMENT_DAYS)) + timedelta(days=1), day_start(day) + timedelta(days=1)


def _engagement_of(day: date, agg: Any) -> Any:
    start, end = engagement_window(day)
    return (
        select(agg(post_rate_sql()))
        .where(
            ContentItem.connection_id == Connection.id,
            ContentItem.published_at >= start,
            ContentItem.published_at < end,
        )
        .correlate(Connection)
        .scalar_subquery()
    )


def engagement_sum(day: date) -> Any:
    return _engagement_of(day, func.sum)


def engagement_posts(day: date) -> Any:
    return func.coalesce(_engagement_of(day, func.count), 0)


def fresh(day: date) -> ColumnElement[bool]:
    return and_(S.as_of == day, S.fresh_version == S.version)


def columns(day: date, anchors: Sequence[int]) -> list[Any]:
    """For a statement over ``Connection`` outer-joined to ``S`` (``join_state``): followers at each of
    ``anchors`` days back from ``day``, then the engagement sum and post count; a fresh row's stored
    values, else computed from the history (the CASE evaluates the lookups only for stale rows)."""
    ok = fresh(day)
    out: list[Any] = []
    for n in anchors:
        lookup = followers_at(day - timedelta(days=n))
        out.append(case((ok, getattr(S, f"f{n}")), else_=lookup) if n in STORED else lookup)
    out.append(case((ok, S.eng_sum), else_=engagement_sum(day)))
    out.append(case((ok, S.eng_posts), else_=engagement_posts(day)))
    return out


def join_state(stmt: Any) -> Any:
    return stmt.outerjoin(S, S.connection_id == Connection.id)


def _definition(day: date) -> list[Any]:
    return [*(followers_at(day - timedelta(days=n)) for n in STORED), engagement_sum(day), engagement_posts(day)]


def ensure_rows() -> None:
    """A row for every connection (the insert trigger makes them; a load with triggers disabled may not).
    A new row is stale (no ``fresh_version``), so inserting it can never hide a write."""
    db.session.execute(
        text(
            "INSERT INTO portfolio_connection_state (connection_id, version, eng_posts) SELECT id, 0, 0"
            " FROM connections c WHERE NOT EXISTS"
            " (SELECT 1 FROM portfolio_connection_state s WHERE s.connection_id = c.id)"
            " ON CONFLICT (connection_id) DO NOTHING"
        )
    )


def stale_ids(day: date, connection_ids: Sequence[int] | None = None) -> list[int]:
    """Live connections whose row is not fresh for ``day``."""
    stmt = (
        select(S.connection_id)
        .join(Connection, Connection.id == S.connection_id)
        .where(
            Connection.disconnected_at.is_(None),
            or_(S.as_of.is_(None), S.fresh_version.is_(None), S.as_of != day, S.fresh_version != S.version),
        )
        .order_by(S.connection_id)
    )
    if connection_ids is not None:
        stmt = stmt.where(S.connection_id.in_(list(connection_ids)))
    return list(db.session.execute(stmt).scalars())


def refresh(connection_ids: Sequence[int], day: date | None = None) -> int:
    """Recompute the rows of ``connection_ids`` for ``day`` (today) in the caller's transaction; returns
    how many were written. PostgreSQL: the rows are locked first, skipping those another transaction
    holds (a writer, whose sync asks for the next refresh, or a concurrent refresh); the values are then read in a
    later statement, so they include every write committed before the lock and none can slip in between.
    The ``version`` check guards the same on SQLite (one writer at a time)."""
    day = day or today()
    ids = sorted(set(connection_ids))
    if not ids:
        return 0
    if db.engine.dialect.name == "postgresql":
        ids = list(
            db.session.execute(
                select(S.connection_id)
                .where(S.connection_id.in_(ids))
                .order_by(S.connection_id)
                .with_for_update(skip_locked=True)
            ).scalars()
        )
        if not ids:
            return 0
    rows = db.session.execute(
        select(Connection.id, S.version, *_definition(day))
        .join(S, S.connection_id == Connection.id)
        .where(Connection.id.in_(ids))
    ).all()
    params = [
        {
            "cid": cid,
            "v": version,
            "day": day,
            **{f"f{n}": v for n, v in zip(STORED, values, strict=False)},
            "eng_sum": None if values[-2] is None else float(values[-2]),
            "eng_posts": int(values[-1] or 0),
        }
        for cid, version, *values in rows
    ]
    if params:
        sets = ", ".join(f"f{n} = :f{n}" for n in STORED)
        db.session.execute(
            text(
                f"UPDATE portfolio_connection_state SET {sets}, eng_sum = :eng_sum, eng_posts = :eng_posts,"  # noqa: S608
                " as_of = :day, fresh_version = version WHERE connection_id = :cid AND version = :v"
            ),
            params,
        )
    return len(params)


def refresh_stale(day: date | None = None, connection_ids: Sequence[int] | None = None) -> int:
    """Refresh every stale live row (of ``connection_ids``, else all), committing per ``BATCH`` rows so a
    sync waits at most one batch for a row; returns how many were written."""
    day = day or today()
    ensure_rows()
    db.session.commit()
    done = 0
    ids = stale_ids(day, connection_ids)
    for i in range(0, len(ids), BATCH):
        done += refresh(ids[i : i + BATCH], day)
        db.session.commit()
    return done


def differences(day: date | None = None) -> list[tuple[int, tuple[Any, ...], tuple[Any, ...]]]:
    """``(connection_id, stored, from the history)`` for every fresh row of ``day`` that disagrees with
    the definition (engagement sums compared to 1e-9); empty when they all agree."""
    day = day or today()
    stored_cols = [*(getattr(S, f"f{n}") for n in STORED), S.eng_sum, S.eng_posts]
    rows = db.session.execute(
        select(Connection.id, *stored_cols, *_definition(day))
        .join(S, S.connection_id == Connection.id)
        .where(fresh(day))
        .order_by(Connection.id)
    ).all()
    out = []
    k = len(stored_cols)
    for cid, *vals in rows:
        have, want = tuple(vals[:k]), tuple(vals[k:])
        same = have[:-2] == want[:-2] and int(have[-1]) == int(want[-1] or 0)
        hs, ws = have[-2], want[-2]
        same = same and ((hs is None) == (ws is None)) and (hs is None or abs(float(hs) - float(ws)) < 1e-9)
        if not same:
            out.append((int(cid), have, want))
    return out
