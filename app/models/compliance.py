"""X batch compliance jobs (``/2/compliance/jobs``): one row per job we asked X for.

X allows one active job per type at a time and its results are what X's terms make us act on within
24 h (``platforms.md`` 6.5), so each step of a job is recorded here, not held in a worker's memory: a
killed worker leaves the row at its last step and the next poll carries it on. ``run_day`` + ``job_type``
+ ``batch`` is unique, so a second scheduler or a repeated cron run cannot start the day's job twice.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow

#: steps of a job on our side; ``applied`` / ``failed`` / ``expired`` are final
OPEN_STEPS = ("created", "uploaded", "in_progress", "complete")


class XComplianceJob(Base):
    """One X compliance job: ``tweets`` (stored post ids) or ``users`` (connected account ids)."""

    __tablename__ = "x_compliance_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_day: Mapped[date] = mapped_column(Date, nullable=False)
    job_type: Mapped[str] = mapped_column(String(8), nullable=False)  # tweets | users
    #: the n-th job of the day's type (more ids than one job takes go in further jobs, one at a time)
    batch: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    #: X's job id (null until the create call answered)
    x_job_id: Mapped[str | None] = mapped_column(String(32))
    #: created -> uploaded -> in_progress -> complete -> applied, or failed / expired (X's or ours)
    step: Mapped[str] = mapped_column(String(16), default="created", nullable=False)
    #: the content_items.id the batch starts after (tweets), so the next batch takes the next ids
    after_item_id: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_item_id: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    ids_sent: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    #: what the results did: removed posts, broken connections, skipped lines, by reason
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("run_day", "job_type", "batch", name="uq_x_compliance_jobs_day"),
        Index("ix_x_compliance_jobs_step", "step"),
    )
