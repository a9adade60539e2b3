"""Coaching clients (creators) and their program deliverables."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, UTCDateTime
from app.models.user import User


class ClientStatus(enum.StrEnum):
    """Where a client is in the coaching program."""

    ONBOARDING = "onboarding"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"


class Client(TimestampMixin, Base):
    """A creator in a coaching program, with their coach and program dates."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True, nullable=False)
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    display_name: Mapped[str] = mapped_column(String(120), nullable=False)
    program_start: Mapped[date | None] = mapped_column(Date)
    program_end: Mapped[date | None] = mapped_column(Date)
    status: Mapped[ClientStatus] = mapped_column(
        Enum(
            ClientStatus,
            name="client_status",
            values_callable=lambda e: [m.value for m in e],
            native_enum=False,
            length=16,
        ),
        default=ClientStatus.ONBOARDING,
        nullable=False,
    )
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", nullable=False)
    #: the format of the client's reports and report emails (dates, numbers; ``brand.LOCALES``);
    #: None: the business's choice in the brand settings, else English (US)
    locale: Mapped[str | None] = mapped_column(String(16))

    user: Mapped[User] = relationship(back_populates="client", foreign_keys=[user_id])
    coach: Mapped[User | None] = relationship(foreign_keys=[coach_id])
    deliverables: Mapped[list[Deliverable]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="Deliverable.position"
    )

    __table_args__ = (
        CheckConstraint(
            "program_end IS NULL OR program_start IS NULL OR program_end >= program_start", name="program_dates_ordered"
        ),
        Index("ix_clients_coach_id", "coach_id"),
    )

    def __repr__(self) -> str:
        return f"<Client {self.id}>"


class Deliverable(TimestampMixin, Base):
    """A program milestone (M1, M2, ...) of one client; completion dates mark the growth charts."""

    __tablename__ = "deliverables"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), nullable=False)
    code: Mapped[str] = mapped_column(String(16), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    position: Mapped[int] = mapped_column(default=0, nullable=False)
    due_date: Mapped[date | None] = mapped_column(Date)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    client: Mapped[Client] = relationship(back_populates="deliverables")

    __table_args__ = (UniqueConstraint("client_id", "code"),)

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None
