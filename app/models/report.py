"""Reports (weekly, programme completion, portfolio), the emailed links that open them, per-client
report settings and the public share link of the programme report.

A report row is also the job UI's "Task": it links the requester to the RQ job id, carries status
and progress, and keeps the computed numbers (``payload``) so a link opened days later shows exactly
what was sent. The generated PDF is a row of ``report_files`` in the database, so every web and
worker process on any host serves the same bytes and none re-renders it (D5 purges both).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow


class ReportKind(enum.StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    PROGRAM = "program"
    PORTFOLIO = "portfolio"


class ReportStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Report(Base):
    """One generated report; ``client_id`` is None for a portfolio report (then ``owner_id`` scopes it)."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cohort: Mapped[str | None] = mapped_column(String(16))  # portfolio: program-start month "YYYY-MM"
    period_start: Mapped[date] = mapped_column(Date, nullable=False)  # first day inside the report
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    # weekly reports: ISO week "2026W47" so the cron makes exactly one per client per week; monthly
    # reports: "2026M11" (one per client per calendar month)
    week_key: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default=ReportStatus.QUEUED.value, nullable=False)
    progress: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    error: Mapped[str | None] = mapped_column(String(300))
    job_id: Mapped[str | None] = mapped_column(String(80))
    fingerprint: Mapped[str | None] = mapped_column(String(64))  # data version + inputs: cache key
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    size_bytes: Mapped[int | None] = mapped_column(Integer)  # of the PDF in ``report_files``
    # PDF downloads of this report: weekly PDFs are rendered ahead for clients who usually download them
    pdf_downloads: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    coach_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    links: Mapped[list[ReportLink]] = relationship(back_populates="report", cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("client_id", "kind", "week_key", name="uq_reports_client_kind_week"),
        Index("ix_reports_client_kind", "client_id", "kind"),
        Index("ix_reports_fingerprint", "fingerprint"),
    )

    @property
    def is_finished(self) -> bool:
        return self.status in (ReportStatus.DONE.value, ReportStatus.FAILED.value)


class ReportFile(Base):
    """A report's PDF, stored in the database: one place every process can read (web workers on other
    hosts than the worker that rendered it), deleted with its report."""

    __tablename__ = "report_files"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class ReportLink(Base):
    """A capability for one report and one recipient (A4): only the token's SHA-256 is stored."""

    __tablename__ = "report_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    recipient_email: Mapped[str] = mapped_column(String(254), nullable=False)
    recipient_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    email_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_emails.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    open_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    report: Mapped[Report] = relationship(back_populates="links")

    __table_args__ = (Index("ix_report_links_report_id", "report_id"),)


class ReportSettings(Base):
    """Per client: weekly report on/off, who receives it, and the programme report's share link."""

    __tablename__ = "report_settings"

    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True)
    weekly_enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    send_to_client: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    send_to_coach: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # share link: token = HMAC(SECRET_KEY, nonce); only its hash is looked up; clearing the nonce revokes
    share_nonce: Mapped[str | None] = mapped_column(String(64))
    share_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # what the public page shows: "totals" (followers and growth only) or "full" (platforms, top posts)
    share_detail: Mapped[str] = mapped_column(String(16), default="totals", server_default="totals", nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)
