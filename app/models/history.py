"""Synced history: one snapshot per connection per day, content items, their metric snapshots and
account insights. Every row is written by upsert on its natural key, so a re-run never duplicates (J1).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class Provenance(enum.StrEnum):
    """Where a day of history came from (docs/metrics.md, "Days and history")."""

    MEASURED = "measured"  # a sync that day
    BACKFILLED = "backfilled"  # the platform's own history on first connect
    CARRIED = "carried"  # no data that day: the last known value carried forward
    IMPORTED = "imported"  # demo or imported history


class ContentKind(enum.StrEnum):
    IMAGE = "image"
    CAROUSEL = "carousel"
    REEL = "reel"
    VIDEO = "video"
    SHORT = "short"
    STORY = "story"
    POST = "post"  # a text-first post (X)


class DailySnapshot(Base):
    """A connection's account numbers on one UTC day; a later sync the same day overwrites it."""

    __tablename__ = "daily_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    followers: Mapped[int] = mapped_column(BigInteger, nullable=False)
    #: the day's first measured follower count (a later sync the same day leaves it): the "before" of a
    #: threshold crossed between two syncs of one day when the day before is not real data (connect day)
    opening_followers: Mapped[int | None] = mapped_column(BigInteger)
    #: what the platform reported where it rounds (YouTube: three significant figures, rounded down);
    #: ``followers`` is then the level reconciled with the exact daily changes (``app/stats/rounding.py``)
    reported_followers: Mapped[int | None] = mapped_column(BigInteger)
    #: bounds of the true level when it is not known exactly (NULL: ``followers`` is exact)
    followers_low: Mapped[int | None] = mapped_column(BigInteger)
    followers_high: Mapped[int | None] = mapped_column(BigInteger)
    #: the first day of the run of exactly known daily changes ending on this day: the change from any
    #: day on or after it to this day is exact, whatever the rounding of the levels
    linked_since: Mapped[date | None] = mapped_column(Date)
    following: Mapped[int | None] = mapped_column(BigInteger)
    media_count: Mapped[int | None] = mapped_column(BigInteger)
    total_likes: Mapped[int | None] = mapped_column(BigInteger)  # TikTok likes_count
    total_views: Mapped[int | None] = mapped_column(BigInteger)  # YouTube viewCount
    provenance: Mapped[str] = mapped_column(String(16), default=Provenance.MEASURED.value, nullable=False)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("connection_id", "day", name="uq_daily_snapshots_connection_day"),
        # day ranges across the portfolio (anchor days, the aggregate chart) read index-only on PostgreSQL
        Index("ix_daily_snapshots_day_connection", "day", "connection_id", postgresql_include=["followers"]),
    )


class PortfolioDailyTotal(Base):
    """Per UTC day and platform: the sum and number of the snapshots of every live (not disconnected)
    connection, split over ``TOTAL_SLOTS`` rows by ``connection_id % TOTAL_SLOTS``.

    Why: the all-clients portfolio chart summed ~3,000 snapshots per day (93,000 rows for 30 days,
    2.2 million for two years); this table gives the same sums from 24 rows per day. Database triggers
    keep it (migration ``0009_portfolio_totals``): every insert, update and delete of a snapshot, a
    connection disconnected, reconnected or deleted (also by cascade from its client), in the same
    transaction as the change, so no write path can forget it. The slots spread concurrent syncs of
    the same platform and day over several rows instead of one contended row. ``app.stats.totals``
    checks it against the snapshots and rebuilds it (``flask stats totals``).
    """

    __tablename__ = "portfolio_daily_totals"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    slot: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    followers: Mapped[int] = mapped_column(BigInteger, nullable=False)
    snapshots: Mapped[int] = mapped_column(Integer, nullable=False)


TOTAL_SLOTS = 8


class PortfolioConnectionState(Base):
    """Per connection: what the portfolio reads of it, prepared (``app/stats/portfolio_state.py``).

    Followers(d) at the days the portfolio uses (``f0`` today, ``f7`` ... ``f366`` days back: the
    anchors of every preset range) and the 30-day engagement inputs (sum and number of the post rates),
    all as of the UTC day ``as_of`` and computed from the history as it was at ``fresh_version``.
    Database triggers (migration ``0030_portfolio``) bump ``version`` on every insert, update or delete
    of the connection's snapshots or posts, in the writer's transaction, so a row is *fresh* only when
    ``fresh_version = version`` and ``as_of`` is the day asked for; a stale row (a write since, a new day)
    is computed from the history by the reader until it is refreshed (by the portfolio
    preparation the syncs ask for, and just after midnight UTC).
    """

    __tablename__ = "portfolio_connection_state"

    connection_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    fresh_version: Mapped[int | None] = mapped_column(BigInteger)
    as_of: Mapped[date | None] = mapped_column(Date)
    f0: Mapped[int | None] = mapped_column(BigInteger)
    f7: Mapped[int | None] = mapped_column(BigInteger)
    f14: Mapped[int | None] = mapped_column(BigInteger)
    f30: Mapped[int | None] = mapped_column(BigInteger)
    f35: Mapped[int | None] = mapped_column(BigInteger)
    f90: Mapped[int | None] = mapped_column(BigInteger)
    f366: Mapped[int | None] = mapped_column(BigInteger)
    eng_sum: Mapped[float | None] = mapped_column(Float)
    eng_posts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class ContentItem(Base):
    """A post, reel, carousel, video or short, upserted by its platform id; carries its latest numbers."""

    __tablename__ = "content_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), nullable=False)
    platform_id: Mapped[str] = mapped_column(String(128), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    caption: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    permalink: Mapped[str | None] = mapped_column(String(2048))
    thumbnail_url: Mapped[str | None] = mapped_column(String(2048))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    duration_seconds: Mapped[int | None] = mapped_column()
    hashtags: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)
    #: YouTube: the owner's own tags (``snippet.tags``, only the owner sees them) and the category id
    tags: Mapped[list[str] | None] = mapped_column(JSON)
    category_id: Mapped[str | None] = mapped_column(String(8))
    # latest metrics (None where the platform does not give them)
    views: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(BigInteger)
    comments: Mapped[int | None] = mapped_column(BigInteger)
    shares: Mapped[int | None] = mapped_column(BigInteger)
    saves: Mapped[int | None] = mapped_column(BigInteger)
    reach: Mapped[int | None] = mapped_column(BigInteger)
    watch_time_seconds: Mapped[float | None] = mapped_column(Float)
    extra_metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    # the account's followers at the sync that measured the post (post engagement rate's denominator)
    followers_at_measure: Mapped[int | None] = mapped_column(BigInteger)
    metrics_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    #: the last sync that read this post's comments (the comment sync's aging schedule)
    comments_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("connection_id", "platform_id", name="uq_content_items_connection_platform_id"),
        Index("ix_content_items_connection_published", "connection_id", "published_at"),
        Index("ix_content_items_published", "published_at"),  # the portfolio's 30-day engagement
    )


class ContentThumbnail(Base):
    """A post's thumbnail, fetched by the worker from the platform's media host (``app/sync/thumbnails.py``)
    and served from our origin; goes with its content item (cascade)."""

    __tablename__ = "content_thumbnails"

    content_item_id: Mapped[int] = mapped_column(
        ForeignKey("content_items.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    mime: Mapped[str] = mapped_column(String(32), nullable=False)
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    #: sha256 of the URL it came from (the URL itself carries signatures on Meta and TikTok)
    source_url_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class ContentMetricSnapshot(Base):
    """One content item's numbers on one day (taken on the aging schedule: often while new, then rarely)."""

    __tablename__ = "content_metric_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_item_id: Mapped[int] = mapped_column(ForeignKey("content_items.id", ondelete="CASCADE"), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    views: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(BigInteger)
    comments: Mapped[int | None] = mapped_column(BigInteger)
    shares: Mapped[int | None] = mapped_column(BigInteger)
    saves: Mapped[int | None] = mapped_column(BigInteger)
    reach: Mapped[int | None] = mapped_column(BigInteger)
    watch_time_seconds: Mapped[float | None] = mapped_column(Float)
    followers: Mapped[int | None] = mapped_column(BigInteger)
    provenance: Mapped[str] = mapped_column(String(16), default=Provenance.MEASURED.value, nullable=False)

    __table_args__ = (UniqueConstraint("content_item_id", "day", name="uq_content_metric_snapshots_item_day"),)


class AccountInsight(Base):
    """A daily account-level metric (reach, views, profile views, watch time, subscribers gained/lost...)."""

    __tablename__ = "account_insights"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    metric: Mapped[str] = mapped_column(String(48), nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    provenance: Mapped[str] = mapped_column(String(16), default=Provenance.MEASURED.value, nullable=False)

    __table_args__ = (UniqueConstraint("connection_id", "day", "metric", name="uq_account_insights_key"),)
