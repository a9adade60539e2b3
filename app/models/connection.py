"""Connected platform accounts, pending OAuth authorizations and platform data-deletion requests.

Tokens are stored only as AES-256-GCM envelopes bound to their row and column
(``app/security/crypto.py``); ``repr()`` never shows them. ``token_version`` is bumped on every token
write so refreshes can compare-and-set (J5).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, UTCDateTime, utcnow
from app.models.client import Client


class ConnectionStatus(enum.StrEnum):
    """The health of a connection, as the client sees it on the Connected Accounts page."""

    CONNECTED = "connected"
    SYNCING = "syncing"
    EXPIRING = "expiring"  # the grant ends soon and the app cannot renew it itself
    EXPIRED = "expired"  # the grant ended: reconnect
    REVOKED = "revoked"  # the user removed the app (or the platform did)
    ERROR = "error"
    INSUFFICIENT_SCOPE = "insufficient_scope"  # permissions were unticked: no sync until reconnect
    DECRYPT_ERROR = "decrypt_error"  # the stored ciphertext does not authenticate (T4)
    DISCONNECTED = "disconnected"  # the client disconnected and kept the history

    @property
    def needs_reconnect(self) -> bool:
        return self in (
            ConnectionStatus.EXPIRED,
            ConnectionStatus.REVOKED,
            ConnectionStatus.INSUFFICIENT_SCOPE,
            ConnectionStatus.DECRYPT_ERROR,
            ConnectionStatus.DISCONNECTED,
        )


#: statuses in which a connection holds a grant the sync may use
USABLE_STATUSES = (
    ConnectionStatus.CONNECTED,
    ConnectionStatus.SYNCING,
    ConnectionStatus.EXPIRING,
    ConnectionStatus.ERROR,
)


class Connection(TimestampMixin, Base):
    """One client's link to one platform account."""

    __tablename__ = "connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), nullable=False)
    platform: Mapped[str] = mapped_column(String(16), nullable=False)
    platform_user_id: Mapped[str] = mapped_column(String(128), nullable=False)
    username: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(255))
    avatar_url: Mapped[str | None] = mapped_column(String(2048))
    account_type: Mapped[str | None] = mapped_column(String(32))
    #: who granted access when that is not the account itself: the app-scoped Facebook user id behind a
    #: Page connection (Meta's deauthorize and data-deletion callbacks name the user, not the Page)
    grantor_id: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(24), default=ConnectionStatus.CONNECTED.value, nullable=False)
    # AES-256-GCM envelopes (v1.<key id>.<nonce>.<ct>), bound to connections:<id>:<column>
    access_token_enc: Mapped[str | None] = mapped_column(Text)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    access_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    scopes: Mapped[str] = mapped_column(Text, default="", nullable=False)
    token_version: Mapped[int] = mapped_column(default=0, nullable=False)
    profile_stats: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sync_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    expiry_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: the client's separate opt-in to reply to and hide comments through the portal (docs/comments.md);
    #: NULL: not granted or revoked (the inbox is read-only)
    comments_grant_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: the Instagram webhook fields Meta reads back for this account (``/me/subscribed_apps``,
    #: comma-separated; ``app/sync/webhook_subscriptions.py``); NULL: not subscribed yet
    webhook_fields: Mapped[str | None] = mapped_column(String(200))
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    disconnected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # what to sync and how often (``app/services/connection_settings.py``); None: the defaults
    sync_settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # the coach marks an account "active campaign": it may sync twice a day
    active_campaign: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false(), nullable=False)

    client: Mapped[Client] = relationship()

    __table_args__ = (
        # One live link per platform account across all clients, and per platform per client;
        # a disconnected row (history kept) does not block a new connection.
        Index(
            "uq_connections_live_account",
            "platform",
            "platform_user_id",
            unique=True,
            sqlite_where=text("disconnected_at IS NULL"),
            postgresql_where=text("disconnected_at IS NULL"),
        ),
        Index(
            "uq_connections_live_client_platform",
            "client_id",
            "platform",
            unique=True,
            sqlite_where=text("disconnected_at IS NULL"),
            postgresql_where=text("disconnected_at IS NULL"),
        ),
        Index("ix_connections_client_id", "client_id"),
    )

    @property
    def state(self) -> ConnectionStatus:
        return ConnectionStatus(self.status)

    @property
    def is_live(self) -> bool:
        return self.disconnected_at is None

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(s for s in self.scopes.split() if s)

    def __repr__(self) -> str:
        # Never the token columns (T5).
        return f"<Connection {self.id} {self.platform} client={self.client_id} status={self.status}>"

    __str__ = __repr__


class OAuthState(Base):
    """A pending authorization: single use, short-lived, bound to session, user and platform (O1-O4).

    Only the SHA-256 of ``state`` is stored; the PKCE verifier is encrypted bound to this state.
    """

    __tablename__ = "oauth_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    session_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    platform: Mapped[str] = mapped_column(String(16), nullable=False)
    redirect_uri: Mapped[str] = mapped_column(String(512), nullable=False)
    code_verifier_enc: Mapped[str | None] = mapped_column(Text)
    #: an extra grant asked with this authorization (``comments``: the comment-management scope)
    feature: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)

    __table_args__ = (Index("ix_oauth_states_user_id", "user_id"),)

    def __repr__(self) -> str:
        return f"<OAuthState {self.id} {self.platform} user={self.user_id}>"


class DataDeletionRequest(Base):
    """A platform's request to delete a user's data (Meta data-deletion callback, TikTok removal).

    ``confirmation_code`` is what Meta shows the user; the status page looks it up (D4, W10).
    """

    __tablename__ = "data_deletion_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16), nullable=False)
    platform_user_id: Mapped[str] = mapped_column(String(128), nullable=False)
    confirmation_code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="pending", nullable=False)
    connections_deleted: Mapped[int] = mapped_column(default=0, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_data_deletion_requests_account", "platform", "platform_user_id"),)
