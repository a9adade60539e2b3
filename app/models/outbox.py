"""Outgoing email, written to the database first (a transactional outbox) and delivered by a job."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class EmailStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by one worker; a sweep returns it to pending if that worker died
    SENT = "sent"
    FAILED = "failed"  # refused for good, or still refused after MAIL_RETRY_HOURS; `flask mail requeue` retries
    LOGGED = "logged"  # no SMTP configured: written to the log only (embedded default)


class OutboxEmail(Base):
    """One email. Committed with the change that causes it, so nothing is lost when SMTP is down."""

    __tablename__ = "outbox_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254), nullable=False)
    subject: Mapped[str] = mapped_column(String(255), nullable=False)
    body_text: Mapped[str] = mapped_column(Text, nullable=False)
    body_html: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    # One email per key (e.g. ``alert:42:user:7``): queueing it again returns the existing row.
    idempotency_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[EmailStatus] = mapped_column(
        Enum(
            EmailStatus,
            name="email_status",
            values_callable=lambda e: [m.value for m in e],
            native_enum=False,
            length=16,
        ),
        default=EmailStatus.PENDING,
        nullable=False,
    )
    attempts: Mapped[int] = mapped_column(default=0, nullable=False)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: a temporary SMTP failure is retried until then (``MAIL_RETRY_HOURS`` after queueing or a requeue)
    give_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_outbox_emails_status", "status"),)
