"""Client goals (targets with a date) shown as on-track / off-track with a forecast."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class Goal(Base):
    """A client's target, e.g. 25K Instagram followers by a date (platform None = all platforms)."""

    __tablename__ = "goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), nullable=False)
    platform: Mapped[str | None] = mapped_column(String(16))
    metric: Mapped[str] = mapped_column(String(32), default="followers", nullable=False)
    target: Mapped[int] = mapped_column(BigInteger, nullable=False)
    target_date: Mapped[date] = mapped_column(Date, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    achieved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_goals_client_id", "client_id"),)
