"""The raw data behind a client's numbers: their daily snapshots with provenance, newest first, paged.

Staff read this on the CRM client page ("Raw data") to check a number against what was stored: each row is
one stored day of one connection, as the sync (or the backfill, the carry-forward, an import) wrote it
(docs/metrics.md, "Days and history").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from app.extensions import db
from app.models import Connection, DailySnapshot
from app.models.platforms import PLATFORMS

PAGE_SIZE = 50


@dataclass(frozen=True)
class SnapshotRow:
    day: date
    platform: str
    username: str | None
    connection_id: int
    followers: int
    reported_followers: int | None
    followers_low: int | None
    followers_high: int | None
    following: int | None
    media_count: int | None
    provenance: str
    synced_at: datetime


@dataclass(frozen=True)
class SnapshotPage:
    rows: list[SnapshotRow]
    page: int  # 1-based; clamped to the last page
    pages: int  # at least 1 (an empty history has one empty page)
    total: int


def parse_page(raw: str | None) -> int:
    """``?page=``: a positive integer; anything else is page 1 (never an error: it is a paging link)."""
    return int(raw) if raw and raw.isdigit() and 0 < int(raw) < 1_000_000 else 1


def snapshot_page(client_id: int, page: int = 1, platform: str = "", per_page: int = PAGE_SIZE) -> SnapshotPage:
    """Day by day, newest first (then platform), every connection of the client, kept history included."""
    where = [Connection.client_id == client_id]
    if platform in PLATFORMS:
        where.append(Connection.platform == platform)
    total = int(
        db.session.execute(
            select(func.count(DailySnapshot.id))
            .join(Connection, Connection.id == DailySnapshot.connection_id)
            .where(*where)
        ).scalar_one()
    )
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    stmt = (
        select(DailySnapshot, Connection.platform, Connection.username)
        .join(Connection, Connection.id == DailySnapshot.connection_id)
        .where(*where)
        .order_by(DailySnapshot.day.desc(), Connection.platform, DailySnapshot.connection_id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    rows = [
        SnapshotRow(
            day=s.day,
            platform=plat,
            username=user,
            connection_id=s.connection_id,
            followers=s.followers,
            reported_followers=s.reported_followers,
            followers_low=s.followers_low,
            followers_high=s.followers_high,
            following=s.following,
            media_count=s.media_count,
            provenance=s.provenance,
            synced_at=s.synced_at,
        )
        for s, plat, user in db.session.execute(stmt)
    ]
    return SnapshotPage(rows=rows, page=page, pages=pages, total=total)
