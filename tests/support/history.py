"""Builders for synced history, written straight to the tables (no sync engine needed), so each
metric can be checked on small hand-computed fixtures."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.extensions import db
from app.models import Client, Connection, ContentItem, ContentMetricSnapshot, DailySnapshot

_seq = itertools.count(1)


def connection(client: Client, platform: str = "instagram", username: str | None = None, **kw: Any) -> Connection:
    n = next(_seq)
    conn = Connection(
        client_id=client.id,
        platform=platform,
        platform_user_id=f"{platform}-{n}",
        username=username or f"{platform}_user{n}",
        status=kw.pop("status", "connected"),
        **kw,
    )
    db.session.add(conn)
    db.session.commit()
    return conn


def snapshots(conn: Connection, values: Mapping[date, int], provenance: str = "measured") -> None:
    db.session.add_all(
        DailySnapshot(connection_id=conn.id, day=d, followers=v, provenance=provenance) for d, v in values.items()
    )
    db.session.commit()


def daily(conn: Connection, start: date, values: list[int], provenance: str = "measured") -> None:
    """Consecutive days from ``start``."""
    snapshots(conn, {start + timedelta(days=i): v for i, v in enumerate(values)}, provenance)


def post(
    conn: Connection,
    published: datetime | date,
    *,
    likes: int = 0,
    comments: int = 0,
    shares: int | None = None,
    saves: int | None = None,
    views: int | None = None,
    followers: int | None = 1000,
    kind: str = "image",
    caption: str = "a post",
    hashtags: list[str] | None = None,
    **kw: Any,
) -> ContentItem:
    if isinstance(published, date) and not isinstance(published, datetime):
        published = datetime(published.year, published.month, published.day, 12, tzinfo=UTC)
    item = ContentItem(
        connection_id=conn.id,
        platform_id=f"p{next(_seq)}",
        kind=kind,
        caption=caption,
        published_at=published,
        likes=likes,
        comments=comments,
        shares=shares,
        saves=saves,
        views=views,
        followers_at_measure=followers,
        hashtags=hashtags or [],
        extra_metrics={},
        **kw,
    )
    db.session.add(item)
    db.session.commit()
    return item


def metric_snapshot(item: ContentItem, day: date, **values: Any) -> None:
    db.session.add(ContentMetricSnapshot(content_item_id=item.id, day=day, **values))
    db.session.commit()
