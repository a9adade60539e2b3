"""Audience snapshots and Instagram stories (issue 18).

An :class:`AudienceSnapshot` is what a platform said about a connection's audience on one day (taken
weekly: demographics change slowly and cost calls), kept as dated rows so changes over time can be
shown. A :class:`StoryItem` is an Instagram story read while it was live; its numbers are kept for good
after the platform drops the story (24 h after publishing).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class AudienceSnapshot(Base):
    """One connection's audience as the platform reported it on ``taken_on`` (shares in percent).

    ``payload`` holds the keys of the audience contract (architecture.md 6.4) the platform gave:
    ``age``, ``gender``, ``countries``, ``cities``, ``online_hours``, ``traffic_sources``, ``devices``;
    ``base`` is how many followers (Instagram) the shares were computed from, when known.
    """

    __tablename__ = "audience_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), nullable=False)
    taken_on: Mapped[date] = mapped_column(Date, nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    base: Mapped[int | None] = mapped_column(BigInteger)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    __table_args__ = (UniqueConstraint("connection_id", "taken_on", name="uq_audience_snapshots_connection_day"),)


class StoryItem(Base):
    """An Instagram story and its latest numbers (lifetime), kept after it expires on the platform."""

    __tablename__ = "story_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), nullable=False)
    platform_id: Mapped[str] = mapped_column(String(128), nullable=False)
    media_type: Mapped[str | None] = mapped_column(String(16))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    views: Mapped[int | None] = mapped_column(BigInteger)
    reach: Mapped[int | None] = mapped_column(BigInteger)
    replies: Mapped[int | None] = mapped_column(BigInteger)
    shares: Mapped[int | None] = mapped_column(BigInteger)
    follows: Mapped[int | None] = mapped_column(BigInteger)
    profile_visits: Mapped[int | None] = mapped_column(BigInteger)
    taps_forward: Mapped[int | None] = mapped_column(BigInteger)
    taps_back: Mapped[int | None] = mapped_column(BigInteger)
    exits: Mapped[int | None] = mapped_column(BigInteger)
    #: why there are no numbers (``too_few_viewers``) when the platform gave none
    note: Mapped[str | None] = mapped_column(String(64))
    metrics_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("connection_id", "platform_id", name="uq_story_items_connection_platform_id"),
        Index("ix_story_items_connection_published", "connection_id", "published_at"),
    )


class VideoAnalytics(Base):
    """A YouTube video's Analytics numbers over the window of the last weekly read (one row per video,
    replaced at each read): views, watch time, average view duration and percentage, and the retention
    curve (``[[elapsed share 0-1, audienceWatchRatio], ...]``, ``[]`` when the curve was not read)."""

    __tablename__ = "video_analytics"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_item_id: Mapped[int] = mapped_column(
        ForeignKey("content_items.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    window_start: Mapped[date] = mapped_column(Date, nullable=False)
    window_end: Mapped[date] = mapped_column(Date, nullable=False)
    views: Mapped[float | None] = mapped_column(Float)
    watch_time_seconds: Mapped[float | None] = mapped_column(Float)
    avg_view_duration_s: Mapped[float | None] = mapped_column(Float)
    avg_view_pct: Mapped[float | None] = mapped_column(Float)
    retention: Mapped[list[Any]] = mapped_column(JSON, default=list, nullable=False)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
