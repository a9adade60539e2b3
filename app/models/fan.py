"""Fans who link their own accounts (docs/fans.md): a creator's public link page, each fan's link with the
consent they gave, and the per-platform identities they proved by posting a code as a comment.

Only these rows ever make one person of two platforms' commenters; nothing is matched by handle or name.
Deleting a link (the fan's own "unlink and delete") deletes its identities (cascade).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class FanLinkPage(Base):
    """A creator's public "link your accounts" page, reached by an unguessable token."""

    __tablename__ = "fan_link_pages"

    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    token: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class FanLink(Base):
    """One fan's link on one creator's page, with the consent text they agreed to, word for word."""

    __tablename__ = "fan_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), nullable=False)
    #: sha256 of the fan's private manage secret (the secret itself is only in the fan's own link)
    manage_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    consent_text: Mapped[str] = mapped_column(Text, nullable=False)
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    __table_args__ = (Index("ix_fan_links_client", "client_id"),)


class FanLinkIdentity(Base):
    """A platform account a fan claims; verified once a comment from that account carries its code."""

    __tablename__ = "fan_link_identities"

    id: Mapped[int] = mapped_column(primary_key=True)
    fan_link_id: Mapped[int] = mapped_column(ForeignKey("fan_links.id", ondelete="CASCADE"), nullable=False)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), nullable=False)
    platform: Mapped[str] = mapped_column(String(16), nullable=False)
    handle: Mapped[str] = mapped_column(String(64), nullable=False)
    code: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    code_issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    author_platform_id: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (
        # one platform account belongs to at most one fan's link
        UniqueConstraint("connection_id", "author_platform_id", name="uq_fan_link_identities_author"),
        Index("ix_fan_link_identities_link", "fan_link_id"),
        Index("ix_fan_link_identities_client", "client_id"),
    )
