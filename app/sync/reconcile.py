"""Stored follower levels of platforms that round their counts, reconciled after every sync.

The arithmetic and its reasons are in ``app/stats/rounding.py``; this module reads a connection's
snapshots and exact daily changes, and writes back the rows whose level, bounds or run changed, in the
sync's transaction (the caller commits). Imported days without a reported count (an export of exact
numbers) are facts: they constrain the level and are never rewritten.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, select, update

from app.extensions import db
from app.models.history import DailySnapshot, Provenance
from app.stats.rounding import ROUNDED_PLATFORMS, Observation, reconcile, rounding_step
from app.sync.storage import daily_nets


def reconcile_followers(connection_id: int, platform: str) -> int:
    """Reconcile the connection's stored levels; returns how many rows changed."""
    if platform not in ROUNDED_PLATFORMS:
        return 0
    rows = db.session.execute(
        select(
            DailySnapshot.id,
            DailySnapshot.day,
            DailySnapshot.followers,
            DailySnapshot.reported_followers,
            DailySnapshot.provenance,
            DailySnapshot.followers_low,
            DailySnapshot.followers_high,
            DailySnapshot.linked_since,
        )
        .where(DailySnapshot.connection_id == connection_id)
        .order_by(DailySnapshot.day)
    ).all()
    if not rows:
        return 0
    observations: dict[date, Observation] = {}
    for row in rows:
        reported = row.reported_followers
        if reported is None and row.provenance == Provenance.MEASURED.value:
            reported = row.followers  # measured before reports were kept: the stored count is the report
        if reported is not None:
            observations[row.day] = Observation(row.day, reported, rounding_step(platform, reported))
        elif row.provenance == Provenance.IMPORTED.value:
            observations[row.day] = Observation(row.day, row.followers, 1)
    levels = reconcile(
        [r.day for r in rows],
        observations,
        {day: int(round(net)) for day, net in daily_nets(connection_id, platform, complete_only=True).items()},
        {r.day: r.followers for r in rows},
    )
    changes = []
    for row in rows:
        level = levels.get(row.day)
        if level is None or (row.provenance == Provenance.IMPORTED.value and row.reported_followers is None):
            continue
        low, high = (None, None) if level.exact else (level.low, level.high)
        reported = row.reported_followers
        if reported is None and row.provenance == Provenance.MEASURED.value:
            reported = row.followers
        new = (level.value, low, high, level.linked_since, reported)
        if new != (row.followers, row.followers_low, row.followers_high, row.linked_since, row.reported_followers):
            changes.append(
                {
                    "row_id": row.id,
                    "followers": max(0, level.value),
                    "followers_low": low,
                    "followers_high": high,
                    "linked_since": level.linked_since,
                    "reported_followers": reported,
                }
            )
    if changes:
        table = DailySnapshot.__table__
        stmt = (
            update(table)  # type: ignore[arg-type]
            .where(table.c.id == bindparam("row_id"))
            .values(
                followers=bindparam("followers"),
                followers_low=bindparam("followers_low"),
                followers_high=bindparam("followers_high"),
                linked_since=bindparam("linked_since"),
                reported_followers=bindparam("reported_followers"),
            )
        )
        db.session.execute(stmt, changes)
    return len(changes)
