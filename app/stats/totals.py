"""The portfolio's daily totals (``PortfolioDailyTotal``): reading, checking and rebuilding them.

Database triggers keep the table (migration ``0009_portfolio_totals``); this module is its reader and
the tools an operator or a bulk load needs: ``differences`` compares it with the snapshots it sums,
``rebuild`` recomputes it from them (after a load with triggers disabled, or if ``differences`` ever
finds drift). ``flask stats totals [--rebuild]`` runs them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, delete, func, insert, select, text

from app.extensions import db
from app.models import Connection, DailySnapshot, PortfolioDailyTotal
from app.models.history import TOTAL_SLOTS


def _from_snapshots() -> Select[tuple[Any, ...]]:
    """The table's definition: per day, platform and slot, the live connections' snapshots."""
    slot = DailySnapshot.connection_id % TOTAL_SLOTS
    return (
        select(DailySnapshot.day, Connection.platform, slot, func.sum(DailySnapshot.followers), func.count())
        .join(Connection, Connection.id == DailySnapshot.connection_id)
        .where(Connection.disconnected_at.is_(None))
        .group_by(DailySnapshot.day, Connection.platform, slot)
    )


def day_sums(start: date, end: date, platforms: tuple[str, ...] = ()) -> Select[tuple[date, Any, Any]]:
    """Per day in ``[start, end]`` with at least one snapshot: the followers summed over every live
    connection (of ``platforms``, all when empty) and the number of snapshots summed."""
    stmt = (
        select(
            PortfolioDailyTotal.day, func.sum(PortfolioDailyTotal.followers), func.sum(PortfolioDailyTotal.snapshots)
        )
        .where(PortfolioDailyTotal.day >= start, PortfolioDailyTotal.day <= end)
        .group_by(PortfolioDailyTotal.day)
        .having(func.sum(PortfolioDailyTotal.snapshots) > 0)
    )
    if platforms:
        stmt = stmt.where(PortfolioDailyTotal.platform.in_(platforms))
    return stmt


def differences() -> list[tuple[date, str, int, tuple[int, int], tuple[int, int]]]:
    """``(day, platform, slot, (followers, snapshots) stored, (followers, snapshots) from the snapshots)``
    for every key where the table disagrees with its definition; empty when it is right. Rows left at
    zero by deletes count as agreeing with an absent key."""
    want = {(d, p, int(s)): (int(f), int(n)) for d, p, s, f, n in db.session.execute(_from_snapshots())}
    have = {
        (r.day, r.platform, r.slot): (r.followers, r.snapshots)
        for r in db.session.execute(select(PortfolioDailyTotal)).scalars()
    }
    out = []
    for key in sorted(set(want) | set(have)):
        stored, expected = have.get(key, (0, 0)), want.get(key, (0, 0))
        if stored != expected:
            out.append((*key, stored, expected))
    return out


def rebuild() -> int:
    """Recompute the whole table from the snapshots in the caller's transaction; returns its row count.

    On PostgreSQL the table is locked against writers first (``EXCLUSIVE`` waits for transactions that
    already changed it and holds off the triggers of new ones until the caller commits), so a sync
    running meanwhile is counted either by the recomputation or by its own trigger, never by both or
    neither. SQLite has one writer at a time anyway."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE portfolio_daily_totals IN EXCLUSIVE MODE"))
    db.session.execute(delete(PortfolioDailyTotal))
    db.session.execute(
        insert(PortfolioDailyTotal).from_select(
            ["day", "platform", "slot", "followers", "snapshots"], _from_snapshots()
        )
    )
    return int(db.session.execute(select(func.count()).select_from(PortfolioDailyTotal)).scalar_one())
