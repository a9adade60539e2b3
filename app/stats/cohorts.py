"""Cohorts: clients aligned by weeks since their programme start, grouped by start month.

A coach compares programmes that started in different months on one axis (week 0 = the programme
start); the growth rate is ``growth_rate`` of docs/metrics.md, as everywhere else.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, func, select

from app.extensions import db
from app.models import Client, Connection, DailySnapshot
from app.stats.growth import growth_rate
from app.stats.query import StatsQuery


@dataclass(frozen=True)
class CohortRow:
    cohort: str  # program start month, YYYY-MM
    clients: int
    growth_by_week: list[float | None]  # mean growth % since program start at week 0..N


def cohorts(visible: Select[tuple[Client]], query: StatsQuery, weeks: int = 12) -> list[CohortRow]:
    """Clients aligned by weeks since program start, grouped by start month; mean growth % per week.

    One query: the snapshots of the visible clients' connections on the days ``start + 7w``.
    """
    starts = {
        cid: ps
        for cid, ps in db.session.execute(
            visible.with_only_columns(Client.id, Client.program_start).where(Client.program_start.is_not(None))
        )
    }
    if not starts:
        return []
    wanted: dict[tuple[int, date], int] = {}
    for cid, ps in starts.items():
        for w in range(weeks + 1):
            d = ps + timedelta(days=7 * w)
            if d <= query.today:
                wanted[(cid, d)] = w
    stmt = (
        select(Connection.client_id, DailySnapshot.day, func.sum(DailySnapshot.followers))
        .join(DailySnapshot, DailySnapshot.connection_id == Connection.id)
        .where(
            Connection.client_id.in_(list(starts)),
            Connection.disconnected_at.is_(None),
            DailySnapshot.day.in_({d for _, d in wanted}),
        )
        .group_by(Connection.client_id, DailySnapshot.day)
    )
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
