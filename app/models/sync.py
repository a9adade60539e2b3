"""Sync attempts and the raw platform responses kept for debugging."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class SyncTrigger(enum.StrEnum):
    INITIAL = "initial"  # right after connecting (does not count against the manual limit)
    DAILY = "daily"  # the 03:00 UTC fan-out
    MANUAL = "manual"  # "Refresh now" (once an hour per connection)
    OPERATOR = "operator"  # flask sync run
    CAMPAIGN = "campaign"  # the 15:00 UTC second sync of an active-campaign account (cadence twice_daily)


class SyncStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"  # saved what it could; some calls or metrics failed
    FAILED = "failed"
    DEFERRED = "deferred"  # a budget or breaker said wait; rescheduled, nothing burned


class SyncRun(Base):
    """One attempt to sync one connection: what it did, what it cost, how it ended (D1)."""

    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), nullable=False)
    trigger: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), default=SyncStatus.QUEUED.value, nullable=False)
    job_id: Mapped[str | None] = mapped_column(String(128))
    day: Mapped[date | None] = mapped_column(Date)  # the snapshot day it wrote
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    calls: Mapped[int] = mapped_column(default=0, nullable=False)
    quota_units: Mapped[int] = mapped_column(default=0, nullable=False)
    items: Mapped[int] = mapped_column(default=0, nullable=False)
    progress: Mapped[int] = mapped_column(default=0, nullable=False)  # 0-100 for the UI
    error_class: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(String(500))  # scrubbed, plain words
    deferred_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)

    __table_args__ = (
        Index("ix_sync_runs_connection_queued", "connection_id", "queued_at"),
        Index("ix_sync_runs_status", "status"),
    )


class RawResponse(Base):
    """A platform response kept 30 days for debugging, tokens redacted (then purged)."""

    __tablename__ = "raw_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), nullable=False)
    sync_run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    method: Mapped[str] = mapped_column(String(8), nullable=False)
    url: Mapped[str] = mapped_column(String(2048), nullable=False)  # scrubbed
    status: Mapped[int] = mapped_column(nullable=False)
    body: Mapped[str | None] = mapped_column(Text)  # scrubbed, truncated

    __table_args__ = (Index("ix_raw_responses_at", "at"),)
