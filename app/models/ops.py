"""The operations console's own rows: alerts to admins about the platform itself (cron silent, a quota
budget near its limit) and what an admin did about a failed or stuck job.

Both are deduplicated by the database, not by Python: ``ops_alerts.dedup_key`` is unique (one alert per
silence, per budget window and threshold), and ``ops_work_actions`` has one row per failure instance
(``kind`` + ``item_key``), so two admins retrying the same failed job at once insert one row and the
second is told who was first; the job runs once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class OpsAlert(Base):
    """One alert to admins about the platform (not about a client): ``kind`` is ``cron_silent``,
    ``budget_threshold`` or ``budget_projected``."""

    __tablename__ = "ops_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    severity: Mapped[str] = mapped_column(String(16), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    dedup_key: Mapped[str] = mapped_column(String(160), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    __table_args__ = (Index("ix_ops_alerts_created", "created_at"),)


class WorkAction(Base):
    """An admin's retry or discard of one failure instance (a sync run, an email at its attempt count, a
    report at its failure time, an RQ job at its end time)."""

    __tablename__ = "ops_work_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    item_key: Mapped[str] = mapped_column(String(200), nullable=False)
    action: Mapped[str] = mapped_column(String(16), nullable=False)  # retry | discard
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    __table_args__ = (UniqueConstraint("kind", "item_key"),)
