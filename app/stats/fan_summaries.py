"""The fans numbers (``app/stats/fans.py``) read from the per-fan summaries (``app/models/fan_summary.py``).

A cold read (the first after a sync) of a period's fans grouped every comment of the period into fans, and
every comment ever into first comments (bench/README.md, "fans"). The summaries hold one row per fan per UTC
day (with the fan's previous day with comments and their comments from that day on), one per fan with their
first comment, and the fans per (day, previous day) pair, kept by the comment sync. For a period of whole UTC
days ending after every fan's latest comment (every preset range) each fan of the period is one row, their
first in it, carrying their comments in the period: ranked without summing. The community line adds up the
fans per (day, previous day) pair: active in a week = previous day before the week; new = no previous day.
Same numbers as the direct computation (tests/fans/test_fan_summaries.py, test_fan_periods.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, literal, null, select, union_all

from app.extensions import db
from app.models import Connection, FanDay, FanDayCount, FanSummary
from app.models.fan_summary import NO_PREVIOUS


def whole_days(start: datetime, end: datetime) -> bool:
    """Both bounds at midnight UTC: the period is a sum of day rows."""
    return all(
        at.tzinfo is not None and at.astimezone(UTC).time() == time(0, 0) and at.utcoffset() is not None
        for at in (start, end)
    )


def _platforms(client_id: int, platform: str | None) -> list[str]:
    """The asked platform, or every platform of the client's accounts (the platform leads the indexes)."""
    if platform:
        return [platform]
    return sorted(db.session.scalars(select(Connection.platform).where(Connection.client_id == client_id).distinct()))


def _days(client_id: int, platform: str | None, start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    platforms = _platforms(client_id, platform)
    return [FanDay.client_id == client_id, FanDay.platform.in_(platforms), FanDay.day >= start, FanDay.day < end]


#: at most this many distinct comment counts are read count by count for the top fans; more: one scan
MAX_COUNTS = 40


def period_fans(client_id: int, platform: str | None, start: datetime, end: datetime, top: int = 0) -> Any:
    """(fan_id, n, last) of the fans of the period ``[start, end)`` (whole UTC days), as a subquery: every
    fan, or (``top``) a set holding the period's ``top`` fans by (n, last).

    When no fan of the client has a comment on or after ``end`` (every preset period: they end with today),
    a fan's comments in the period are the ``onward`` count of their first row in it, the row whose
    previous day is before the period; one row per fan, nothing to sum. For ``top``, the pair counts tell
    how many fans of the period have each count, so only the highest counts that reach ``top`` fans are
    read, each platform and count apart, latest fan first, ``top`` rows at most (an index range each).
    Otherwise (a custom range ending in the past) the period's day rows are summed per fan.
    """
    later, counts = _pair_counts(client_id, platform, start, end)
    if later:
        return (
            select(FanDay.fan_id, func.sum(FanDay.comments).label("n"), func.max(FanDay.last_at).label("last"))
            .where(*_days(client_id, platform, start, end))
            .group_by(FanDay.fan_id)
            .subquery()
        )
    first_rows = [FanDay.day >= start, FanDay.day < end, FanDay.prev_day < start]
    wanted = _counts_reaching(counts, top) if top else None
    if wanted is None:
        return (
            select(FanDay.fan_id, FanDay.onward.label("n"), FanDay.fan_last_at.label("last"))
            .where(*_days(client_id, platform, start, end), FanDay.prev_day < start)
            .subquery()
        )
    parts = [
        select(FanDay.fan_id, FanDay.onward.label("n"), FanDay.fan_last_at.label("last"))
        .where(FanDay.client_id == client_id, FanDay.platform == p, FanDay.onward == n, *first_rows)
        .order_by(FanDay.fan_last_at.desc(), FanDay.fan_id.desc())
        .limit(top)
        .subquery()
        .select()
        for p, n in wanted or [(platform or "", 0)]  # no fans: one empty part
    ]
    return union_all(*parts).subquery()


def _pair_counts(
    client_id: int, platform: str | None, start: datetime, end: datetime
) -> tuple[bool, dict[tuple[str, int], int]]:
    """From the pair counts, in one query: whether a fan of the client has comments on or after ``end``, and
    the fans of the period per (platform, comments in the period) (their first rows: previous day before it)."""
    terms = [FanDayCount.client_id == client_id, FanDayCount.day >= start, FanDayCount.day < end]
    if platform:
        terms.append(FanDayCount.platform == platform)
    later = select(literal("").label("p"), literal(-1).label("n"), func.count().label("k")).where(
        FanDayCount.client_id == client_id, FanDayCount.day >= end
    )
    firsts = (
        select(FanDayCount.platform, FanDayCount.onward, func.sum(FanDayCount.fans))
        .where(*terms, FanDayCount.prev_day < start)
        .group_by(FanDayCount.platform, FanDayCount.onward)
    )
    after, counts = False, {}
    for p, n, k in db.session.execute(union_all(later, firsts)):
        if int(n) < 0:
            after = int(k) > 0
        else:
            counts[(str(p), int(n))] = int(k)
    return after, counts


def _counts_reaching(counts: dict[tuple[str, int], int], top: int) -> list[tuple[str, int]] | None:
    """The (platform, comment count) pairs of the highest counts that together hold at least ``top`` fans
    (all when fewer); None when these are more than ``MAX_COUNTS`` counts."""
    per_count: dict[int, int] = {}
    for (_, n), k in counts.items():
        per_count[n] = per_count.get(n, 0) + k
    wanted: set[int] = set()
    seen = 0
    for n in sorted(per_count, reverse=True):
        if seen >= top:
            break
        wanted.add(n)
        seen += per_count[n]
    if len(wanted) > MAX_COUNTS:
        return None
    return sorted(key for key in counts if key[1] in wanted)


def ranked(client_id: int, platform: str | None, start: datetime, end: datetime, limit: int) -> Sequence[Any]:
    """(connection id, author id, comments, latest comment) of the period's top ``limit`` fans, in the order
    of ``fans.top_fans``: comments, then the latest comment, then the author id."""
    # the period's fans by (comments, latest) only, keyed by the small fan id: 2 x limit of them, so every
    # fan tied with the limit-th is among them unless the ties run past 2 x limit (then the full join)
    window = 2 * limit
    per_fan = period_fans(client_id, platform, start, end, top=window)
    top = (
        select(per_fan.c.fan_id, per_fan.c.n, per_fan.c.last)
        .order_by(per_fan.c.n.desc(), per_fan.c.last.desc(), per_fan.c.fan_id)
        .limit(window)
        .subquery()
    )
    rows = [  # with their author ids: the top rows joined, not the period's fans
        (c, a, n, last)
        for c, a, n, last in db.session.execute(
            select(FanSummary.connection_id, FanSummary.author_platform_id, top.c.n, top.c.last).join(
                FanSummary, FanSummary.id == top.c.fan_id
            )
        )
    ]
    rows.sort(key=lambda r: (-r[2], -r[3].timestamp(), r[1]))
    if len(rows) == window and (rows[-1][2], rows[-1][3]) == (rows[limit - 1][2], rows[limit - 1][3]):
        return _ranked_joined(client_id, platform, start, end, limit)
    return rows[:limit]


def _ranked_joined(client_id: int, platform: str | None, start: datetime, end: datetime, limit: int) -> Sequence[Any]:
    """``ranked`` joining every fan of the period to their author id (many fans tied at the limit)."""
    per_fan = period_fans(client_id, platform, start, end)
    return db.session.execute(
        select(FanSummary.connection_id, FanSummary.author_platform_id, per_fan.c.n, per_fan.c.last)
        .join(per_fan, per_fan.c.fan_id == FanSummary.id)
        .order_by(per_fan.c.n.desc(), per_fan.c.last.desc(), FanSummary.author_platform_id)
        .limit(limit)
    ).all()


def community_counts(
    client_id: int, platform: str | None, start: datetime, end: datetime
) -> tuple[dict[int, int], dict[int, int]]:
    """Active fans per week (fans with comments in the week whose previous day with comments is before it),
    and fans per week of their first comment (``-1``: before the period), as ``fans._community_from_comments``;
    both from the fans per (day, previous day) pair (``FanDayCount``), not from each fan's day rows."""
    edges = [start]
    while edges[-1] + timedelta(days=7) < end:
        edges.append(edges[-1] + timedelta(days=7))
    bounds = [*edges, end]
    terms = [FanDayCount.client_id == client_id]
    if platform:
        terms.append(FanDayCount.platform == platform)
    active: dict[int, int] = {}
    firsts: dict[int, int] = {-1: 0}
    in_period = select(FanDayCount.day, FanDayCount.prev_day, FanDayCount.fans).where(
        *terms, FanDayCount.day >= start, FanDayCount.day < end
    )
    # and, in the same query, the fans new before the period (no day: the community before it)
    before = select(null().label("day"), null().label("prev_day"), func.sum(FanDayCount.fans)).where(
        *terms, FanDayCount.prev_day == NO_PREVIOUS, FanDayCount.day < start
    )
    for day, prev, n in db.session.execute(union_all(in_period, before)):
        if day is None:
            firsts[-1] = int(n or 0)
            continue
        w = (day - start).days // 7
        if prev < bounds[w]:
            active[w] = active.get(w, 0) + int(n)
        if prev == NO_PREVIOUS:
            firsts[w] = firsts.get(w, 0) + int(n)
    return active, firsts
