"""Coaching impact (issue 16): the coach's notes on a needs-attention reason (snooze / resolve), the
portal usage the impact page counts, and a client's consent to a case study."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class AttentionAction(enum.StrEnum):
    SNOOZED = "snoozed"  # hidden until ``until``
    RESOLVED = "resolved"  # dealt with: hidden until ``until`` (RESOLVE_DAYS), back if still true then


class AttentionNote(Base):
    """A coach's snooze or resolution of one needs-attention reason of one client, with a note.

    ``reason`` is the reason's key (``app.stats.attention.reason_key``: ``decline``, ``low_engagement``,
    ``stalled``, ``connection:<platform>``); the newest row per (client, reason) is the one in force.
    """

    __tablename__ = "attention_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), nullable=False)
    reason: Mapped[str] = mapped_column(String(48), nullable=False)
    reason_text: Mapped[str] = mapped_column(String(300), nullable=False)  # the reason as it read then
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    until: Mapped[date] = mapped_column(Date, nullable=False)  # hidden while today < until
    note: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    __table_args__ = (Index("ix_attention_notes_client_reason", "client_id", "reason"),)


class UsageKind(enum.StrEnum):
    ANALYTICS = "analytics"  # opened an analytics page of the portal
    EXPORT = "export"  # downloaded an export (CSV, JSON, PDF)
    REPORT = "report"  # opened a report (page, PDF or emailed link)


class UsageDay(Base):
    """One client used one part of the portal on one UTC day (one row however often: the impact page
    counts clients, never clicks, and keeps no more about them)."""

    __tablename__ = "usage_days"

    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)

    __table_args__ = (Index("ix_usage_days_kind_day", "kind", "day"),)


class CaseStudyConsent(Base):
    """A client's consent to a case study of their growth, asked in the portal and revocable: while
    ``withdrawn_at`` is set (or there is no row) no case study page or PDF of them exists.
    ``named``: they also allow their name and handles (else only the anonymised version)."""

    __tablename__ = "case_study_consents"

    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True)
    named: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
