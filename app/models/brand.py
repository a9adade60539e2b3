"""The coaching business's brand (one row): its name, logo, colour, email sender and report footer,
applied to the portal header, emails, report pages, PDFs and the public share page. Every field is
optional; ``app/services/brand.py`` supplies the defaults. The logo is stored re-encoded as PNG (never
the uploaded bytes, never SVG).

``ShareCard`` is a client's share image (Open Graph / LinkedIn / X card), rendered by a worker and
kept until the numbers or the brand behind it change (``fingerprint``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class BrandSettings(Base):
    __tablename__ = "brand_settings"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1: one brand per installation
    business_name: Mapped[str | None] = mapped_column(String(80))
    primary_colour: Mapped[str | None] = mapped_column(String(7))  # "#rrggbb", >= 4.5:1 on white
    sender_name: Mapped[str | None] = mapped_column(String(80))
    reply_to: Mapped[str | None] = mapped_column(String(254))
    footer: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(16))  # reports' date and number format
    logo_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    logo_width: Mapped[int | None] = mapped_column(Integer)
    logo_height: Mapped[int | None] = mapped_column(Integer)
    logo_sha256: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)


class ShareCard(Base):
    __tablename__ = "share_cards"

    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    png: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
