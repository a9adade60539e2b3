"""Content tactics: the coach's own additions to the built-in tactic list, and the tags on posts.

The built-in tactics (collab, trend audio, ...) live in code (``app/stats/tactics.py``); a coach extends
the list for their clients with ``Tactic`` rows. A post carries at most ``MAX_TACTICS_PER_POST`` tags
(``ContentTactic``), each naming a tactic by its slug; tags go with the post (cascade).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class Tactic(Base):
    """A tactic a coach added to the list their clients tag posts with."""

    __tablename__ = "tactics"

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    slug: Mapped[str] = mapped_column(String(40), nullable=False)
    name: Mapped[str] = mapped_column(String(40), nullable=False)
    #: caption words and hashtags that suggest the tactic (lower case, at most 10)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    __table_args__ = (UniqueConstraint("coach_id", "slug", name="uq_tactics_coach_slug"),)


class ContentTactic(Base):
    """One tactic tag on one post."""

    __tablename__ = "content_tactics"

    content_item_id: Mapped[int] = mapped_column(
        ForeignKey("content_items.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    tactic: Mapped[str] = mapped_column(String(40), primary_key=True)
    tagged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    tagged_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    __table_args__ = (Index("ix_content_tactics_tactic", "tactic"),)
