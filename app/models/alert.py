"""Alerts raised by the rules in ``app/alerts/``, who has read them, and the cooldowns that keep them rare.

Dedup lives in the database, not in Python: ``alerts.dedup_key`` is unique (a milestone is
``MILESTONE:<client>:<scope>:<threshold>``, so it can exist once ever), and ``alert_cooldowns`` holds one
row per (type, connection) whose ``last_fired_at`` is moved forward by a conditional UPDATE; only the
transaction whose UPDATE (or INSERT) succeeds may add the alert. Two concurrent syncs therefore cannot
both raise it, and a re-run finds the cooldown taken.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow
from app.models.client import Client


class AlertType(enum.StrEnum):
    MILESTONE = "MILESTONE"
    GROWTH_SURGE = "GROWTH_SURGE"
    GROWTH_DECLINE = "GROWTH_DECLINE"
    LOW_ENGAGEMENT = "LOW_ENGAGEMENT"
    TOKEN_EXPIRING = "TOKEN_EXPIRING"  # noqa: S105 - an alert type, not a secret
    CONNECTION_LOST = "CONNECTION_LOST"
    DATA_STALE = "DATA_STALE"  # no successful sync for over 26 hours while the connection looks fine (D1)


#: what each type is called where people choose or read them (notification settings, filters)
ALERT_TYPE_LABELS: dict[AlertType, str] = {
    AlertType.MILESTONE: "Follower milestones",
    AlertType.GROWTH_SURGE: "Growth surges",
    AlertType.GROWTH_DECLINE: "Declines and stalls",
    AlertType.LOW_ENGAGEMENT: "Low engagement",
    AlertType.TOKEN_EXPIRING: "Connections about to expire",
    AlertType.CONNECTION_LOST: "Lost connections",
    AlertType.DATA_STALE: "Data not updating",
}


class Severity(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class Alert(Base):
    """One alert about one client: a platform account (``connection_id``) or the client's total."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), nullable=False)
    # SET NULL: a deleted connection keeps its alerts (and their pending emails); the platform stays
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("connections.id", ondelete="SET NULL"))
    platform: Mapped[str | None] = mapped_column(String(16))  # None: the client's total
    type: Mapped[str] = mapped_column(String(24), nullable=False)
    severity: Mapped[str] = mapped_column(String(16), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)  # the history day the rule looked at
    dedup_key: Mapped[str] = mapped_column(String(160), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    client: Mapped[Client] = relationship()

    __table_args__ = (
        Index("ix_alerts_client_created", "client_id", "created_at"),
        Index("ix_alerts_created", "created_at"),
    )

    def __repr__(self) -> str:
        return f"<Alert {self.id} {self.type} client={self.client_id}>"


class AlertReceipt(Base):
    """One user's copy of an alert: whether they read it and what happened to its email.

    ``email`` is one of ``queued`` (an outbox row ``alert:<id>:user:<uid>`` exists), ``digest`` (waits
    for the daily digest), ``off`` (preferences), ``invalid_address`` (not sendable; shown to staff) or
    ``none`` (feed only, e.g. an admin who marked it read).
    """

    __tablename__ = "alert_receipts"

    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str] = mapped_column(String(24), default="none", nullable=False)
    email_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_emails.id", ondelete="SET NULL"))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    __table_args__ = (Index("ix_alert_receipts_user_read", "user_id", "read_at"),)


class AlertCooldown(Base):
    """``<TYPE>:conn:<id>`` -> when that alert last fired; claimed atomically (see the module docstring)."""

    __tablename__ = "alert_cooldowns"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    last_fired_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
