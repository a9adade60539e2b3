"""A client's connected accounts: listing them, their cards, disconnecting, and "Refresh now" requests.

The OAuth round trip that creates a connection is ``services/oauth.py``; its tokens are
``services/tokens.py``; what the platforms tell us about it (deauthorize, deletion) is
``services/platform_events.py``. Every lookup here is scoped to the client user's own connections:
another client's id is a 404, exactly like a missing one (A1).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, g
from sqlalchemy import func, select

from app.errors import NotFound, ServiceError
from app.extensions import db
from app.models import Client, Connection, ConnectionStatus, User
from app.models.base import utcnow
from app.models.connection import USABLE_STATUSES
from app.models.platforms import CONNECTABLE, PLATFORM_NAMES, PLATFORMS
from app.platforms import PlatformError
from app.platforms.registry import business_configured, configured_platforms
from app.queueing import dispatch
from app.security.crypto import TokenDecryptError
from app.services import clients as client_service
from app.services.tokens import adapter_for, safe_error, token_set_of, wipe_tokens

log = logging.getLogger(__name__)

REFRESH_REQUEST_COOLDOWN = timedelta(hours=1)


class RefreshTooSoon(ServiceError):
    """A manual refresh was asked for within the cooldown."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# --------------------------------------------------------------------------- reading


def own_connections(user: User) -> list[Connection]:
    """The client user's connections (live first), for the Connected Accounts page and the API."""
    client = client_service.own_client(user)
    return list_for_client(client)


def list_for_client(client: Client) -> list[Connection]:
    return list(
        db.session.execute(
            select(Connection)
            .where(Connection.client_id == client.id)
            .order_by(Connection.disconnected_at.is_not(None), Connection.platform, Connection.id)
        ).scalars()
    )


def get_own_connection(user: User, connection_id: int) -> Connection:
    """:raises NotFound: missing, or another client's connection (which looks exactly the same)."""
    client = client_service.own_client(user)
    conn = db.session.execute(
        select(Connection).where(Connection.id == connection_id, Connection.client_id == client.id)
    ).scalar_one_or_none()
    if conn is None:
        raise NotFound("No such connection.")
    return conn


def offered_platforms() -> tuple[str, ...]:
    """The platforms this deployment can connect: an adapter and client credentials (the others are
    hidden from the connect page and the filters rather than offered and failing)."""
    return configured_platforms(current_app.config)


def tiktok_business_offered() -> bool:
    """Whether "TikTok business account" is offered: the deployment has the API for Business app."""
    return business_configured(current_app.config)


def filter_platforms() -> dict[str, str]:
    """The platform filters' choices (id -> name): the offered platforms, plus any platform some
    connection holds history of (an imported account, or one connected before its app was removed).
    Once per request."""
    cached: dict[str, str] | None = g.get("filter_platforms")
    if cached is None:
        held = set(db.session.execute(select(Connection.platform).distinct()).scalars())
        shown = set(offered_platforms()) | held
        cached = {p: PLATFORM_NAMES[p] for p in PLATFORMS if p in shown}
        g.filter_platforms = cached
    return cached


def cards_for(user: User) -> list[dict[str, Any]]:
    """One card per offered platform (and per platform the client still has a connection on): the live
    connection (or the latest kept one), or nothing yet."""
    conns = own_connections(user)
    held = {c.platform for c in conns}
    cards = []
    offered = offered_platforms()
    for platform in CONNECTABLE:
        if platform not in offered and platform not in held:
            continue
        mine = [c for c in conns if c.platform == platform]
        live = next((c for c in mine if c.is_live), None)
        cards.append(
            {"platform": platform, "name": PLATFORM_NAMES[platform], "connection": live or (mine[0] if mine else None)}
        )
    return cards


def to_json(conn: Connection) -> dict[str, Any]:
    """The API view of a connection: never a token."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": conn.id,
        "platform": conn.platform,
        "platform_user_id": conn.platform_user_id,
        "username": conn.username,
        "display_name": conn.display_name,
        "account_type": conn.account_type,
        "status": conn.status,
        "scopes": sorted(conn.scope_set),
        "access_expires_at": iso(conn.access_expires_at),
        "refresh_expires_at": iso(conn.refresh_expires_at),
        "last_sync_at": iso(conn.last_sync_at),
        "last_error": conn.last_error,
        "profile": conn.profile_stats or {},
        "connected_at": iso(conn.connected_at),
        "disconnected_at": iso(conn.disconnected_at),
    }


def live_count(client: Client) -> int:
    return int(
        db.session.execute(
            select(func.count(Connection.id)).where(
                Connection.client_id == client.id, Connection.disconnected_at.is_(None)
            )
        ).scalar_one()
    )


def syncable_connection_ids() -> list[int]:
    """Every connection a sync can run for (live, with a grant, in a usable state), by id."""
    return list(
        db.session.execute(
            select(Connection.id)
            .where(
                Connection.disconnected_at.is_(None),
                Connection.access_token_enc.is_not(None),
                Connection.status.in_([s.value for s in USABLE_STATUSES]),
            )
            .order_by(Connection.id)
        ).scalars()
    )


# --------------------------------------------------------------------------- disconnect and refresh requests


def disconnect(user: User, connection_id: int, delete_history: bool) -> Connection | None:
    """Revoke at the platform where possible, delete the token ciphertexts, keep or delete history (D3).

    Returns the kept row, or ``None`` when the history was deleted.

    :raises NotFound: another client's or a missing connection.
    """
    conn = get_own_connection(user, connection_id)
    return disconnect_connection(conn, delete_history)


def disconnect_connection(conn: Connection, delete_history: bool) -> Connection | None:
    """The disconnect itself, for the portal and for platform-initiated removals."""
    if conn.access_token_enc:
        try:
            tokens = token_set_of(conn)
        except TokenDecryptError:
            tokens = None
        if tokens is not None:
            try:
                adapter = adapter_for(conn.platform, conn)
                if adapter.supports_revoke:
                    adapter.revoke(tokens)
            except (PlatformError, ServiceError) as exc:
                # the tokens are deleted below whatever the platform said
                log.warning(
                    "revoke at platform failed: %s",
                    safe_error(exc),
                    extra={"event": "revoke_failed", "connection_id": conn.id},
                )
    dispatch.cancel_syncs(conn.id)  # nothing queued for it may run after the disconnect (D3)
    if delete_history:
        db.session.delete(conn)
        db.session.commit()
        return None
    wipe_tokens(conn)
    conn.status = ConnectionStatus.DISCONNECTED.value
    conn.disconnected_at = utcnow()
    db.session.commit()
    return conn


def request_refresh(user: User, connection_id: int) -> Connection:
    """Record a client's "Refresh now" (the sync engine of issue 5 acts on it); once an hour.

    :raises RefreshTooSoon: within an hour of the previous request (``retry_after`` seconds).
    """
    return stamp_refresh(get_own_connection(user, connection_id))


def get_client_connection(client: Client, connection_id: int) -> Connection:
    """One of ``client``'s connections (staff pages: the client is already scoped to the user).

    :raises NotFound: missing, or another client's connection.
    """
    conn = db.session.execute(
        select(Connection).where(Connection.id == connection_id, Connection.client_id == client.id)
    ).scalar_one_or_none()
    if conn is None:
        raise NotFound("No such connection.")
    return conn


def stamp_refresh(conn: Connection) -> Connection:
    """The hourly limit of "Refresh now", shared by the client and their coach (one stamp per connection).

    :raises RefreshTooSoon: within an hour of the previous request (``retry_after`` seconds).
    """
    if not conn.is_live or conn.state not in USABLE_STATUSES:
        raise ServiceError("Reconnect this account first.")
    now = utcnow()
    if conn.sync_requested_at and now - conn.sync_requested_at < REFRESH_REQUEST_COOLDOWN:
        wait = int((conn.sync_requested_at + REFRESH_REQUEST_COOLDOWN - now).total_seconds()) + 1
        raise RefreshTooSoon("You can refresh once an hour.", retry_after=wait)
    conn.sync_requested_at = now
    db.session.commit()
    return conn
