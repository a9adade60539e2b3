"""How each user wants to hear about alerts: by email at once, in a daily digest, or not at all."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class EmailMode(enum.StrEnum):
    IMMEDIATE = "immediate"
    DIGEST = "digest"  # one email a day with everything since the last one
    OFF = "off"


class NotificationPreference(Base):
    """One row per user who changed the defaults (no row = immediate email for every alert type)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    email_mode: Mapped[str] = mapped_column(String(16), default=EmailMode.IMMEDIATE.value, nullable=False)
    # alert types (e.g. "LOW_ENGAGEMENT") this user does not want by email; the feed still shows them
    muted_types: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)
