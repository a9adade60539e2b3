"""Per-fan summaries of the comments (docs/fans.md, "Speed"): what the fans pages read instead of grouping
every comment on each cold read.

A ``FanSummary`` is one fan (one commenter on one connection: ``(connection_id, author_platform_id)``) with
their first / last comment and count over every counted comment the app holds; a ``FanDay`` is that fan's
comments on one UTC day (a period is whole UTC days, so a period or a week sums whole days), with the fan's
previous day with comments (``prev_day``; ``NO_PREVIOUS`` on their first), their comments from that day on
(``onward``) and their latest comment (``fan_last_at``): the first of a fan's rows in a period is the one whose
previous day is before the period, and for a period that holds the fan's latest comment its ``onward`` is the
fan's comments in the period (``app/stats/fan_summaries.py``). Counted as in
``app/stats/fans.py``: the audience's comments, not deleted at the platform, with an author id. Rebuilt per
fan from the comments (``refresh``) in the transaction that changed them: by the comment sync for every
author on the posts it wrote (its bulk upserts and updates bypass the ORM), and by ``_after_flush`` for
comments written through the ORM (replies we send, the demo, tests). The rows only ever restate the comments.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    delete,
    event,
    insert,
    inspect,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection as Bind
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.models.base import Base, UTCDateTime
from app.models.comment import Comment
from app.models.connection import Connection as Account


class FanSummary(Base):
    __tablename__ = "fan_summaries"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), nullable=False)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), nullable=False)
    platform: Mapped[str] = mapped_column(String(16), nullable=False)
    author_platform_id: Mapped[str] = mapped_column(String(128), nullable=False)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    comments: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (
        UniqueConstraint("connection_id", "author_platform_id", name="uq_fan_summaries_author"),
        # the community line: fans by their first comment
        Index("ix_fan_summaries_first", "client_id", "first_seen", postgresql_include=["platform"]),
    )


class FanDay(Base):
    __tablename__ = "fan_days"

    fan_id: Mapped[int] = mapped_column(
        ForeignKey("fan_summaries.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    #: midnight UTC starting the day
    day: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), nullable=False)
    platform: Mapped[str] = mapped_column(String(16), nullable=False)
    comments: Mapped[int] = mapped_column(Integer, nullable=False)
    #: the fan's latest comment that day (top fans' tie-break)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    #: the fan's previous day with comments (``NO_PREVIOUS`` on their first day)
    prev_day: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    #: the fan's comments on this day and every later day
    onward: Mapped[int] = mapped_column(Integer, nullable=False)
    #: the fan's latest comment (any day)
    fan_last_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)

    __table_args__ = (
        # a period's fans (rows of its days), one platform's rows apart: index-only on PostgreSQL
        Index(
            "ix_fan_days_client_day",
            "client_id",
            "platform",
            "day",
            postgresql_include=["fan_id", "comments", "last_at", "prev_day", "onward", "fan_last_at"],
        ),
        # top fans: one platform's rows with one ``onward`` count, latest fan first (stops at the top N)
        Index(
            "ix_fan_days_client_rank",
            "client_id",
            "platform",
            "onward",
            "fan_last_at",
            "fan_id",
            postgresql_include=["day", "prev_day"],
        ),
    )


class FanDayCount(Base):
    """Fans of one connected account with comments on ``day`` whose previous day with comments was
    ``prev_day`` (``NO_PREVIOUS``: new that day) and who have ``onward`` comments from that day on. The
    community line counts these instead of every fan's day rows: the fans active in a week are those whose
    previous day is before the week, the new fans those with no previous day; top fans read how many fans of
    a period have each count (the first rows: previous day before the period) to know which counts reach the
    top N. A row per (day, previous day, count), at most a day's fans. Deleting the connection (or the client)
    deletes them with its comments."""

    __tablename__ = "fan_day_counts"

    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True)
    #: midnight UTC starting the day
    day: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), primary_key=True)
    prev_day: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    onward: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    platform: Mapped[str] = mapped_column(String(16), nullable=False)
    fans: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (
        # new fans (no previous day) before and in a period
        Index("ix_fan_day_counts_prev", "client_id", "prev_day", "day", postgresql_include=["platform", "fans"]),
    )


#: ``prev_day`` of a fan's first day: before any period (custom ranges start in 2000 at the earliest)
NO_PREVIOUS = datetime(1970, 1, 1, tzinfo=UTC)


CHUNK = 500


def _day(at: datetime) -> datetime:
    return datetime.combine(at.astimezone(UTC).date(), time(0, 0), tzinfo=UTC)


@dataclass
class _Fan:
    client_id: int
    platform: str
    first: datetime
    last: datetime
    n: int = 0


@dataclass
class _Day:
    last: datetime
    n: int = 0


def refresh(bind: Bind, connection_id: int, authors: Iterable[str | None]) -> None:
    """Rebuild the summaries of ``authors`` (platform author ids) on one connection from their comments."""
    wanted = sorted({a for a in authors if a})
    if not wanted:
        return
    client_id = bind.scalar(select(Account.client_id).where(Account.id == connection_id))
    for i in range(0, len(wanted), CHUNK):
        chunk = wanted[i : i + CHUNK]
        _replace(
            bind,
            [FanSummary.connection_id == connection_id, FanSummary.author_platform_id.in_(chunk)],
            # client first: the comments' fans index (client, author, connection, time)
            [
                Comment.client_id == client_id,
                Comment.connection_id == connection_id,
                Comment.author_platform_id.in_(chunk),
            ],
        )


def rebuild(bind: Bind, client_id: int) -> None:
    """Rebuild every summary of a client from its comments (bulk-written comments; a repair)."""
    bind.execute(delete(FanDayCount).where(FanDayCount.client_id == client_id))  # counted again from nothing
    bind.execute(delete(FanDay).where(FanDay.client_id == client_id))
    bind.execute(delete(FanSummary).where(FanSummary.client_id == client_id))
    _replace(bind, [FanSummary.client_id == client_id], [Comment.client_id == client_id])


def _replace(bind: Bind, summaries: list[ColumnElement[bool]], comments: list[ColumnElement[bool]]) -> None:
    """Delete the summaries matching ``summaries`` and write them again from the comments matching ``comments``
    (the same fans)."""
    counts: Counter[tuple[int, datetime, int, datetime, int, str]] = Counter()
    of_fans = FanDay.fan_id.in_(select(FanSummary.id).where(*summaries).scalar_subquery())
    for c, d, conn, v, o, p in bind.execute(
        select(FanDay.client_id, FanDay.day, FanSummary.connection_id, FanDay.prev_day, FanDay.onward, FanDay.platform)
        .join(FanSummary, FanSummary.id == FanDay.fan_id)
        .where(*summaries)
    ):
        counts[(c, d, conn, v, o, p)] -= 1
    bind.execute(delete(FanDay).where(of_fans))
    bind.execute(delete(FanSummary).where(*summaries))
    rows = bind.execute(
        select(
            Comment.client_id, Comment.connection_id, Comment.platform, Comment.author_platform_id, Comment.published_at
        ).where(
            *comments,
            ~Comment.from_owner,
            Comment.deleted_at_platform.is_(None),
            Comment.author_platform_id.is_not(None),
        )
    ).all()
    fans: dict[tuple[int, str], _Fan] = {}
    days: dict[tuple[int, str, datetime], _Day] = {}
    for client_id, connection_id, platform, author, at in rows:
        f = fans.setdefault((connection_id, author), _Fan(client_id, platform, at, at))
        f.first, f.last, f.n = min(f.first, at), max(f.last, at), f.n + 1
        d = days.setdefault((connection_id, author, _day(at)), _Day(at))
        d.last, d.n = max(d.last, at), d.n + 1
    if not fans:
        _count(bind, counts)
        return
    bind.execute(
        insert(FanSummary),
        [
            {
                "client_id": f.client_id,
                "connection_id": key[0],
                "platform": f.platform,
                "author_platform_id": key[1],
                "first_seen": f.first,
                "last_seen": f.last,
                "comments": f.n,
            }
            for key, f in fans.items()
        ],
    )
    ids = {
        (c, a): i
        for c, a, i in bind.execute(
            select(FanSummary.connection_id, FanSummary.author_platform_id, FanSummary.id).where(*summaries)
        )
    }
    per_fan: dict[tuple[int, str], list[tuple[datetime, _Day]]] = {}
    for (c, a, day), d in days.items():
        per_fan.setdefault((c, a), []).append((day, d))
    out: list[dict[str, Any]] = []
    for key, fan_days in per_fan.items():
        fan, onward, prev = fans[key], fans[key].n, NO_PREVIOUS
        for day, d in sorted(fan_days, key=lambda x: x[0]):
            out.append(
                {
                    "fan_id": ids[key],
                    "day": day,
                    "client_id": fan.client_id,
                    "platform": fan.platform,
                    "comments": d.n,
                    "last_at": d.last,
                    "prev_day": prev,
                    "onward": onward,
                    "fan_last_at": fan.last,
                }
            )
            onward, prev = onward - d.n, day
            counts[(fan.client_id, day, key[0], out[-1]["prev_day"], out[-1]["onward"], fan.platform)] += 1
    bind.execute(insert(FanDay), out)
    _count(bind, counts)


def _count(bind: Bind, delta: Counter[tuple[int, datetime, int, datetime, int, str]]) -> None:
    """Add ``delta`` to the fans per (client, day, connection, previous day, count); a key left with none loses its
    row. Keys in order, so two transactions touching the same pairs lock them in the same order."""
    changed = sorted(k for k, n in delta.items() if n)
    if not changed:
        return
    ins = (postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert)(FanDayCount)
    bind.execute(
        ins.on_conflict_do_update(
            index_elements=["client_id", "day", "connection_id", "prev_day", "onward"],
            set_={"fans": FanDayCount.fans + ins.excluded.fans},
        ),
        [
            {
                "client_id": c,
                "day": d,
                "connection_id": conn,
                "prev_day": v,
                "onward": o,
                "platform": p,
                "fans": delta[(c, d, conn, v, o, p)],
            }
            for c, d, conn, v, o, p in changed
        ],
    )
    bind.execute(
        delete(FanDayCount).where(
            FanDayCount.client_id.in_({k[0] for k in changed}),
            FanDayCount.day.in_({k[1] for k in changed}),
            FanDayCount.fans <= 0,
        )
    )


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _ctx: Any) -> None:
    """Comments added, changed or deleted through the ORM: rebuild their authors' summaries in the same
    transaction (an author id changed: the old one's too)."""
    touched: dict[int, set[str | None]] = {}
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Comment) and obj.connection_id is not None:
            authors = touched.setdefault(obj.connection_id, set())
            authors.add(obj.author_platform_id)
            if obj not in session.new:
                authors.update(inspect(obj).attrs.author_platform_id.history.deleted or ())
    for connection_id, authors in touched.items():
        refresh(session.connection(), connection_id, authors)
