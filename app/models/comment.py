"""Comments on a client's posts (Instagram professional accounts, YouTube) and the replies we send.

A comment row is upserted by its platform id (per connection); replies to it point at it through
``parent_id`` (one level, as on both platforms). ``read_at`` / ``archived_at`` are ours; a comment the
platform no longer lists is marked ``deleted_at_platform``, never dropped. A reply the client sends is a
``CommentReply`` outbox row with an idempotency key: it is sent once (docs/comments.md).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow

_TOP = "parent_id IS NULL AND NOT from_owner AND archived_at IS NULL"
_UNANSWERED = f"{_TOP} AND answered_at IS NULL AND NOT hidden AND deleted_at_platform IS NULL"
_UNREAD = f"{_TOP} AND read_at IS NULL"
_FANS = "NOT from_owner AND deleted_at_platform IS NULL AND author_platform_id IS NOT NULL"


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), nullable=False)
    #: the client owning the connection (denormalised: the inbox filters by client first)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), nullable=False)
    content_item_id: Mapped[int | None] = mapped_column(ForeignKey("content_items.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16), nullable=False)
    platform_id: Mapped[str] = mapped_column(String(128), nullable=False)
    post_platform_id: Mapped[str] = mapped_column(String(128), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    author_handle: Mapped[str | None] = mapped_column(String(255))
    author_name: Mapped[str | None] = mapped_column(String(255))
    author_platform_id: Mapped[str | None] = mapped_column(String(128))
    author_url: Mapped[str | None] = mapped_column(String(2048))
    #: written by the account owner (a reply of theirs)
    from_owner: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    #: a question (docs/metrics.md, "Comments"): set when the text is stored
    is_question: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    updated_at_platform: Mapped[datetime | None] = mapped_column(UTCDateTime())
    like_count: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    reply_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    #: hearted by the account owner at the platform (TikTok's ``liked``; the others do not say). A server
    #: default only, so inserts that do not name it (older code, the migrations' own tests) still work
    liked_by_owner: Mapped[bool] = mapped_column(Boolean, server_default=false(), nullable=False)
    #: pinned to the top of the post's comments at the platform (TikTok's ``pinned``)
    pinned: Mapped[bool] = mapped_column(Boolean, server_default=false(), nullable=False)
    #: the first reply by the account owner (NULL: unanswered); the response time is this minus published_at
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at_platform: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("connection_id", "platform_id", name="uq_comments_connection_platform_id"),
        Index("ix_comments_client_published", "client_id", "published_at"),
        Index("ix_comments_content_item", "content_item_id"),
        Index("ix_comments_parent", "parent_id"),
        # the fans of a client (app/stats/fans.py, bench/fans.py): index-only reads of the audience's comments,
        # by time (a period's commenters) and by author (first / last seen, a fan's comments)
        Index(
            "ix_comments_fans_time",
            "client_id",
            "published_at",
            postgresql_include=["connection_id", "author_platform_id", "platform", "content_item_id"],
            postgresql_where=sql_text(_FANS),
            sqlite_where=sql_text(_FANS),
        ),
        Index(
            "ix_comments_fans_author",
            "client_id",
            "author_platform_id",
            "connection_id",
            "published_at",
            postgresql_include=["platform"],
            postgresql_where=sql_text(_FANS),
            sqlite_where=sql_text(_FANS),
        ),
        # the inbox's "most liked" order, and its two counts as small partial indexes (bench/inbox.py), with
        # the platform so the counts under the inbox's platform filter are index-only too (0033_inboxcounts)
        Index("ix_comments_client_liked", "client_id", "like_count", "published_at"),
        Index(
            "ix_comments_unanswered",
            "client_id",
            "platform",
            postgresql_where=sql_text(_UNANSWERED),
            sqlite_where=sql_text(_UNANSWERED),
        ),
        Index(
            "ix_comments_unread",
            "client_id",
            "platform",
            postgresql_where=sql_text(_UNREAD),
            sqlite_where=sql_text(_UNREAD),
        ),
    )


class ReplyStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class CommentReply(Base):
    """A reply the client asked us to send: the outbox of comment replies."""

    __tablename__ = "comment_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), nullable=False)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), nullable=False)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text, nullable=False)
    #: one per (comment, text, request): a repeated request finds the row instead of sending again
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default=ReplyStatus.QUEUED.value, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    platform_reply_id: Mapped[str | None] = mapped_column(String(128))
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_comment_replies_comment", "comment_id"),)
