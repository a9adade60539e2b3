"""Connecting, refreshing and disconnecting platform accounts (issue 4; O1-O9, T1-T5, J5, D3, D4, W10).

Why it is shaped like this:

* **The callback checks everything before it touches the code** (O2, O4): the ``state`` must exist, be
  unexpired, belong to this session and user, and have been issued for the platform whose callback path
  was hit. The state row is deleted (committed) first, so it is single use even when a later step fails.
  Only then are the platform's error parameters read, and only then is the code exchanged.
* **Tokens are decrypted only here, at call time** (T5) and written only as row-bound envelopes (T2).
  Jobs receive connection ids, never tokens.
* **Refresh is single-flight** (J5): a Redis lock per connection, a re-read after the lock, and a
  compare-and-set on ``token_version``; the newest refresh token wins and an empty one never replaces a
  stored one (O8). ``invalid_grant`` is a lost race when the stored token changed meanwhile (retry once
  with the new one), otherwise the grant is dead (O9).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import (
    Client,
    Connection,
    ConnectionStatus,
    DataDeletionRequest,
    OAuthState,
    User,
)
from app.models.base import utcnow
from app.models.connection import USABLE_STATUSES
from app.platforms import (
    PLATFORMS,
    AccessRevoked,
    PlatformAdapter,
    PlatformError,
    PlatformNotConfigured,
    Profile,
    ScopeMissing,
    TokenExpired,
    TokenSet,
    get_adapter,
    make_pkce_pair,
)
from app.redis_conn import get_redis
from app.security.crypto import Keyring, TokenDecryptError, aad_for
from app.security.scrub import scrub_text
from app.services import clients as client_service
from app.services.errors import NotFound, ServiceError

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)
REFRESH_MARGIN = timedelta(minutes=15)
#: refresh an Instagram token this long before its 60 days end (platforms.md §2.1: "about day 50")
INSTAGRAM_REFRESH_AHEAD = timedelta(days=10)
#: a rotating refresh token is renewed when it has less than this left
ROTATING_REFRESH_AHEAD = timedelta(days=30)
#: Google refresh tokens die after 6 months unused: use them at least monthly
GOOGLE_MAX_IDLE = timedelta(days=30)
REFRESH_REQUEST_COOLDOWN = timedelta(hours=1)
TABLE = "connections"

PLATFORM_NAMES = {"instagram": "Instagram", "tiktok": "TikTok", "youtube": "YouTube"}
#: ``iss`` values a platform may add to its redirect (RFC 9207); anything else is a mix-up (O4)
ISSUERS = {"youtube": {"https://accounts.google.com", "accounts.google.com"}}


# --------------------------------------------------------------------------- errors and outcomes


class OAuthRejected(ServiceError):
    """The callback cannot be trusted (forged, replayed, expired, other session/user/platform)."""

    status = 400
    code = "oauth_rejected"


class RefreshTooSoon(ServiceError):
    """A manual refresh was asked for within the cooldown."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class CallbackOutcome:
    """What the callback achieved; ``kind`` picks the page the user lands on."""

    kind: str  # connected | insufficient_scope | denied | wrong_account_type | taken | other_account | failed
    platform: str
    connection_id: int | None = None
    message: str = ""


@dataclass(frozen=True)
class RefreshResult:
    """``refreshed`` (a platform call), ``fresh`` (nothing to do / another worker did it), or a failure."""

    outcome: str
    platform_calls: int = 0


# --------------------------------------------------------------------------- helpers


def keyring() -> Keyring:
    """The process keyring built by ``create_app`` (fails closed there)."""
    ring: Keyring = current_app.extensions["token_keyring"]
    return ring


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def adapter_for(platform: str) -> PlatformAdapter:
    """:raises NotFound: unknown platform; :raises ServiceError: the platform app is not configured."""
    if platform not in PLATFORMS:
        raise NotFound("Unknown platform.")
    try:
        return get_adapter(platform, current_app.config)
    except PlatformNotConfigured:
        raise ServiceError(f"{PLATFORM_NAMES[platform]} is not set up on this server yet.") from None


def redirect_uri(platform: str) -> str:
    """The registered redirect URI: from configuration only, never from the request's Host (O3)."""
    base = current_app.config.get("OAUTH_REDIRECT_BASE") or current_app.config["PUBLIC_BASE_URL"]
    return f"{str(base).rstrip('/')}/api/portal/social/callback/{platform}"


def _encrypt(conn: Connection, column: str, value: str | None) -> str | None:
    if not value:
        return None
    return keyring().encrypt(value, aad_for(TABLE, conn.id, column))


def _decrypt(conn: Connection, column: str) -> str | None:
    envelope = getattr(conn, column)
    if envelope is None:
        return None
    return keyring().decrypt(envelope, aad_for(TABLE, conn.id, column))


def token_set_of(conn: Connection) -> TokenSet:
    """The stored grant, decrypted for a platform call.

    :raises TokenDecryptError: the ciphertext does not authenticate (never a plaintext fallback, T4).
    """
    access = _decrypt(conn, "access_token_enc")
    if access is None:
        raise TokenDecryptError("connection has no stored access token")
    return TokenSet(
        access_token=access,
        refresh_token=_decrypt(conn, "refresh_token_enc"),
        expires_at=conn.access_expires_at,
        refresh_expires_at=conn.refresh_expires_at,
        scopes=conn.scope_set,
        platform_user_id=conn.platform_user_id,
        issued_at=conn.access_issued_at or conn.connected_at,
    )


def _store_tokens(conn: Connection, tokens: TokenSet) -> None:
    """Write a grant onto ``conn`` (the row must have an id). An empty refresh token never wins (O8)."""
    conn.access_token_enc = _encrypt(conn, "access_token_enc", tokens.access_token)
    if tokens.refresh_token:
        conn.refresh_token_enc = _encrypt(conn, "refresh_token_enc", tokens.refresh_token)
        conn.refresh_expires_at = tokens.refresh_expires_at
    conn.access_expires_at = tokens.expires_at
    conn.access_issued_at = tokens.issued_at
    if tokens.scopes:
        conn.scopes = " ".join(sorted(tokens.scopes))


def _wipe_tokens(conn: Connection) -> None:
    conn.access_token_enc = None
    conn.refresh_token_enc = None
    conn.access_expires_at = None
    conn.refresh_expires_at = None
    conn.token_version = (conn.token_version or 0) + 1


def _profile_stats(profile: Profile) -> dict[str, Any]:
    stats = {
        "followers": profile.followers,
        "following": profile.following,
        "media_count": profile.media_count,
        "total_likes": profile.total_likes,
        "total_views": profile.total_views,
    }
    return {k: v for k, v in stats.items() if v is not None}


def _safe_error(exc: BaseException) -> str:
    return scrub_text(str(exc))[:500]


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


def cards_for(user: User) -> list[dict[str, Any]]:
    """One card per platform: the live connection (or the latest kept one), or nothing yet."""
    conns = own_connections(user)
    cards = []
    for platform in PLATFORMS:
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


# --------------------------------------------------------------------------- connect


def start_connect(user: User, session_id: str | None, platform: str) -> str:
    """Record a pending authorization and return the platform's authorize URL (O1, O2, O3).

    :raises NotFound: not a client user, or an unknown platform.
    """
    client_service.own_client(user)  # client users connect their own accounts only
    adapter = adapter_for(platform)
    if not session_id:
        raise OAuthRejected("Your session has ended. Log in again.")
    now = utcnow()
    db.session.execute(delete(OAuthState).where(OAuthState.expires_at < now))
    state = secrets.token_urlsafe(32)  # 256 bits
    verifier, challenge = make_pkce_pair() if adapter.uses_pkce else (None, None)
    state_hash = _sha256(state)
    uri = redirect_uri(platform)
    row = OAuthState(
        state_hash=state_hash,
        user_id=user.id,
        session_hash=_sha256(session_id),
        platform=platform,
        redirect_uri=uri,
        expires_at=now + STATE_TTL,
        code_verifier_enc=keyring().encrypt(verifier, aad_for("oauth_states", state_hash, "code_verifier"))
        if verifier
        else None,
    )
    db.session.add(row)
    db.session.commit()
    return adapter.authorize_url(state, uri, challenge)


def _consume_state(user: User, session_id: str | None, platform: str, state: str) -> OAuthState:
    """Check and delete the pending authorization; every failure is a 400 before any token call."""
    if not state or len(state) > 200:
        raise OAuthRejected("This sign-in link is not valid. Start connecting again.")
    row = db.session.execute(select(OAuthState).where(OAuthState.state_hash == _sha256(state))).scalar_one_or_none()
    if row is None:
        raise OAuthRejected("This sign-in link was already used or is not valid. Start connecting again.")
    # single use: delete first (UPDATE-free claim), commit, then judge
    deleted = db.session.execute(delete(OAuthState).where(OAuthState.id == row.id)).rowcount  # type: ignore[attr-defined]
    db.session.commit()
    if not deleted:
        raise OAuthRejected("This sign-in link was already used. Start connecting again.")
    if row.expires_at < utcnow():
        raise OAuthRejected("This sign-in link expired (10 minutes). Start connecting again.")
    if row.user_id != user.id or not session_id or not hmac.compare_digest(row.session_hash, _sha256(session_id)):
        log.warning("oauth state from another session or user", extra={"event": "oauth_state_mismatch"})
        raise OAuthRejected("This sign-in was started in another session. Start connecting again.")
    if row.platform != platform:
        log.warning(
            "oauth mix-up: state for %s delivered to %s callback",
            row.platform,
            platform,
            extra={"event": "oauth_mixup"},
        )
        raise OAuthRejected("This sign-in answer came back to the wrong place. Start connecting again.")
    return row


def _platform_error_outcome(platform: str, args: Mapping[str, str]) -> CallbackOutcome:
    """The platform redirected with error parameters (denied consent, personal Instagram account...)."""
    error, reason = args.get("error", ""), args.get("error_reason", "")
    if reason == "not_professional_account":
        return CallbackOutcome("wrong_account_type", platform)
    if error in ("access_denied", "user_denied") or reason == "user_denied":
        return CallbackOutcome("denied", platform)
    return CallbackOutcome("failed", platform, message=f"{PLATFORM_NAMES[platform]} said: {scrub_text(error)[:60]}")


def complete_callback(user: User, session_id: str | None, platform: str, args: Mapping[str, str]) -> CallbackOutcome:
    """Finish an authorization: checks (O2, O4), platform errors, exchange, scopes (O7), storage.

    :raises OAuthRejected: forged, replayed, expired, foreign or mixed-up callbacks, or no code.
    :raises NotFound: an unknown platform or a non-client user.
    """
    if platform not in PLATFORMS:
        raise NotFound("Unknown platform.")
    client = client_service.own_client(user)
    pending = _consume_state(user, session_id, platform, args.get("state", ""))
    iss = args.get("iss")
    if iss is not None and iss not in ISSUERS.get(platform, set()):
        raise OAuthRejected("This sign-in answer came from an unexpected issuer. Start connecting again.")

    if args.get("error"):
        return _platform_error_outcome(platform, args)
    code = args.get("code", "").strip()
    if not code:
        raise OAuthRejected("The platform sent no authorization code. Start connecting again.")

    adapter = adapter_for(platform)
    verifier = None
    if pending.code_verifier_enc:
        verifier = keyring().decrypt(
            pending.code_verifier_enc, aad_for("oauth_states", pending.state_hash, "code_verifier")
        )
    try:
        tokens = adapter.exchange_code(code, pending.redirect_uri, verifier)
    except PlatformError as exc:
        log.warning("token exchange failed: %s", exc, extra={"event": "oauth_exchange_failed"})
        return CallbackOutcome(
            "failed",
            platform,
            message=f"{PLATFORM_NAMES[platform]} did not complete the sign-in. Nothing was saved; please try again.",
        )
    missing = adapter.missing_scopes(tokens)
    try:
        profile = adapter.fetch_profile(tokens.access_token)
    except ScopeMissing:
        _revoke_quietly(adapter, tokens)
        return CallbackOutcome("insufficient_scope", platform)
    except PlatformError as exc:
        log.warning("profile fetch after exchange failed: %s", exc, extra={"event": "oauth_profile_failed"})
        return CallbackOutcome(
            "failed",
            platform,
            message=f"{PLATFORM_NAMES[platform]} did not answer. Nothing was saved; please try again.",
        )
    account_id = profile.platform_user_id or tokens.platform_user_id
    if not account_id:
        return CallbackOutcome("failed", platform, message="The platform did not say which account this is.")

    return _store_connection(client, adapter, platform, account_id, tokens, profile, missing)


def _store_connection(
    client: Client,
    adapter: PlatformAdapter,
    platform: str,
    account_id: str,
    tokens: TokenSet,
    profile: Profile,
    missing: frozenset[str],
) -> CallbackOutcome:
    """Create or revive the client's row for this account (history kept) and store the grant."""
    taken = db.session.execute(
        select(Connection.id).where(
            Connection.platform == platform,
            Connection.platform_user_id == account_id,
            Connection.disconnected_at.is_(None),
            Connection.client_id != client.id,
        )
    ).first()
    if taken:
        # not revoked: revoking could end the other client's authorization of our app
        return CallbackOutcome("taken", platform)
    other = db.session.execute(
        select(Connection).where(
            Connection.client_id == client.id,
            Connection.platform == platform,
            Connection.disconnected_at.is_(None),
            Connection.platform_user_id != account_id,
        )
    ).scalar_one_or_none()
    if other is not None:
        _revoke_quietly(adapter, tokens)
        return CallbackOutcome(
            "other_account",
            platform,
            message=f"You already connected @{other.username or other.platform_user_id}. "
            "Disconnect it first to connect a different account.",
        )

    # reconnect keeps the history: reuse this client's row for this account when there is one
    conn = (
        db.session.execute(
            select(Connection)
            .where(
                Connection.client_id == client.id,
                Connection.platform == platform,
                Connection.platform_user_id == account_id,
            )
            .order_by(Connection.disconnected_at.is_not(None), Connection.id.desc())
        )
        .scalars()
        .first()
    )
    if conn is None:
        conn = Connection(client_id=client.id, platform=platform, platform_user_id=account_id)
        db.session.add(conn)
    conn.disconnected_at = None
    conn.username = (profile.username or "")[:255] or None
    conn.display_name = (profile.display_name or "")[:255] or None
    conn.avatar_url = (profile.avatar_url or "")[:2048] or None
    conn.account_type = (profile.account_type or "")[:32] or None
    conn.status = (ConnectionStatus.INSUFFICIENT_SCOPE if missing else ConnectionStatus.CONNECTED).value
    conn.last_error = f"Missing permissions: {', '.join(sorted(missing))}" if missing else None
    conn.profile_stats = _profile_stats(profile)
    conn.connected_at = utcnow()
    conn.expiry_warned_at = None
    try:
        db.session.flush()  # the id binds the ciphertexts (T2)
        conn.refresh_token_enc = None
        _store_tokens(conn, tokens)
        conn.token_version = (conn.token_version or 0) + 1
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return CallbackOutcome("taken", platform)
    log.info(
        "connection stored", extra={"event": "connection_connected", "connection_id": conn.id, "platform": platform}
    )
    # The initial sync (issue 5) brings the history; never for an insufficient_scope connection (O7).
    if not missing:
        from app.services.sync import start_initial_sync

        start_initial_sync(conn.id)
    kind = "insufficient_scope" if missing else "connected"
    return CallbackOutcome(kind, platform, connection_id=conn.id)


def _revoke_quietly(adapter: PlatformAdapter, tokens: TokenSet) -> None:
    try:
        adapter.revoke(tokens)
    except PlatformError as exc:
        log.warning("revoke failed: %s", exc, extra={"event": "revoke_failed"})


# --------------------------------------------------------------------------- disconnect


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
                adapter = adapter_for(conn.platform)
                if adapter.supports_revoke:
                    adapter.revoke(tokens)
            except (PlatformError, ServiceError) as exc:
                # the tokens are deleted below whatever the platform said
                log.warning(
                    "revoke at platform failed: %s",
                    _safe_error(exc),
                    extra={"event": "revoke_failed", "connection_id": conn.id},
                )
    from app.jobs.queues import SYNC, cancel_jobs

    cancel_jobs(SYNC, f"sync-{conn.id}-")  # nothing queued for it may run after the disconnect (D3)
    if delete_history:
        db.session.delete(conn)
        db.session.commit()
        return None
    _wipe_tokens(conn)
    conn.status = ConnectionStatus.DISCONNECTED.value
    conn.disconnected_at = utcnow()
    db.session.commit()
    return conn


def request_refresh(user: User, connection_id: int) -> Connection:
    """Record a client's "Refresh now" (the sync engine of issue 5 acts on it); once an hour.

    :raises RefreshTooSoon: within an hour of the previous request (``retry_after`` seconds).
    """
    conn = get_own_connection(user, connection_id)
    if not conn.is_live or conn.state not in USABLE_STATUSES:
        raise ServiceError("Reconnect this account first.")
    now = utcnow()
    if conn.sync_requested_at and now - conn.sync_requested_at < REFRESH_REQUEST_COOLDOWN:
        wait = int((conn.sync_requested_at + REFRESH_REQUEST_COOLDOWN - now).total_seconds()) + 1
        raise RefreshTooSoon("You can refresh once an hour.", retry_after=wait)
    conn.sync_requested_at = now
    db.session.commit()
    return conn


# --------------------------------------------------------------------------- refresh (J5, O8, O9)


def refresh_due(conn: Connection, now: datetime | None = None) -> bool:
    """Whether the grant should be renewed now (access ahead of expiry, or the grant itself at risk)."""
    now = now or utcnow()
    if conn.access_expires_at and conn.access_expires_at - REFRESH_MARGIN <= now and (conn.platform != "instagram"):
        return True
    issued = conn.access_issued_at or conn.connected_at
    if conn.platform == "instagram":
        return bool(
            conn.access_expires_at
            and conn.access_expires_at - INSTAGRAM_REFRESH_AHEAD <= now
            and now - issued >= timedelta(hours=24)
            and conn.access_expires_at > now
        )
    if conn.platform == "tiktok":
        return bool(conn.refresh_expires_at and conn.refresh_expires_at - ROTATING_REFRESH_AHEAD <= now)
    return now - issued >= GOOGLE_MAX_IDLE


def _lock_ttl() -> int:
    cfg = current_app.config
    connect = float(cfg["PLATFORM_CONNECT_TIMEOUT_SECONDS"])
    read = float(cfg["PLATFORM_READ_TIMEOUT_SECONDS"])
    return int(connect + read + 15)  # longer than one token call plus margin (J5, J6)


def _mark(conn_id: int, status: ConnectionStatus, error: str | None, *, wipe: bool = False) -> None:
    conn = db.session.get(Connection, conn_id)
    if conn is None:
        return
    conn.status = status.value
    conn.last_error = error[:500] if error else None
    if wipe:
        _wipe_tokens(conn)


def _notify(conn: Connection, template: str, kind: str) -> None:
    """Raise TOKEN_EXPIRING / CONNECTION_LOST in the caller's transaction (issue 7): the alert, its
    receipts and its emails (reconnect request to the client, notice to the coach) commit together.

    ``template`` is kept for the callers' sake; the alert service picks the templates.
    """
    from app.alerts import service as alerts

    alerts.raise_for_connection(conn, kind)


_local_locks: dict[str, threading.Lock] = {}
_local_locks_guard = threading.Lock()


def _local_lock(key: str) -> threading.Lock:
    """This process's lock for ``key``: one per connection ever refreshed here (a few thousand at most)."""
    with _local_locks_guard:
        return _local_locks.setdefault(key, threading.Lock())


def _reread(connection_id: int, seen_version: int) -> tuple[Connection | None, RefreshResult | None]:
    """The row as committed now; a result when there is nothing left to do."""
    db.session.rollback()  # end the transaction: the re-read must see other workers' commits
    db.session.expire_all()
    conn = db.session.get(Connection, connection_id)
    if conn is None or not conn.is_live or conn.access_token_enc is None:
        return None, RefreshResult("skipped")
    if conn.token_version != seen_version:
        return None, RefreshResult("fresh")  # another worker renewed it while we waited
    return conn, None


def refresh_tokens(connection_id: int, *, force: bool = False) -> RefreshResult:
    """Renew one connection's grant: in-process single flight, then ``lock:refresh:{platform}:{id}`` (J5).

    Threads of one process (a web process's request threads, a worker's jobs) first queue on a local
    lock: a thread that waited there re-reads the row and is done without touching Redis when the
    first one renewed the grant. Across processes the Redis lock does the same. Either way the row is
    re-read after the wait, and the new tokens are persisted (compare-and-set on ``token_version``)
    before the locks are released.
    """
    conn = db.session.get(Connection, connection_id)
    if conn is None or not conn.is_live or conn.access_token_enc is None:
        return RefreshResult("skipped")
    if not force and not refresh_due(conn):
        return RefreshResult("fresh")
    seen_version = conn.token_version
    key = f"lock:refresh:{conn.platform}:{connection_id}"
    local = _local_lock(key)
    waited = not local.acquire(blocking=False)
    if waited and not local.acquire(timeout=_lock_ttl()):
        return RefreshResult("busy")
    try:
        if waited:
            conn, done = _reread(connection_id, seen_version)
            if done is not None:
                log.info(
                    "refresh deduplicated in process", extra={"event": "refresh_deduplicated", "outcome": done.outcome}
                )
                return done
        lock = get_redis().lock(key, timeout=_lock_ttl(), blocking_timeout=_lock_ttl())
        if not lock.acquire():
            return RefreshResult("busy")
        try:
            conn, done = _reread(connection_id, seen_version)
            if done is not None:
                return done
            assert conn is not None
            return _refresh_locked(conn, retried=False)
        finally:
            try:
                lock.release()
            except Exception:  # noqa: BLE001 - an expired lock is already gone
                log.warning("refresh lock expired before release", extra={"event": "lock_expired"})
    finally:
        local.release()


def _refresh_locked(conn: Connection, *, retried: bool) -> RefreshResult:
    try:
        tokens = token_set_of(conn)
    except TokenDecryptError:
        log.error("stored token does not decrypt", extra={"event": "token_decrypt_error", "connection_id": conn.id})
        _mark(conn.id, ConnectionStatus.DECRYPT_ERROR, "Stored credentials could not be read; reconnect.")
        db.session.commit()
        return RefreshResult("decrypt_error")
    adapter = adapter_for(conn.platform)
    seen_version = conn.token_version
    try:
        new = adapter.refresh(tokens)
    except AccessRevoked as exc:
        db.session.rollback()
        db.session.expire_all()
        fresh = db.session.get(Connection, conn.id)
        if fresh is not None and fresh.token_version != seen_version and not retried:
            log.info(
                "invalid_grant after a concurrent rotation: retrying once with the new token",
                extra={"event": "refresh_lost_race", "connection_id": conn.id},
            )
            result = _refresh_locked(fresh, retried=True)
            return RefreshResult(result.outcome, result.platform_calls + 1)
        if fresh is not None:
            _mark(fresh.id, ConnectionStatus.REVOKED, "Access was removed at the platform. Reconnect.", wipe=True)
            _notify(fresh, "connection_revoked", "connection_revoked")
            db.session.commit()
        log.warning("grant revoked: %s", exc, extra={"event": "grant_revoked", "connection_id": conn.id})
        return RefreshResult("revoked", 1)
    except TokenExpired as exc:
        _mark(conn.id, ConnectionStatus.EXPIRED, "The authorization expired. Reconnect.", wipe=True)
        _notify(conn, "connection_revoked", "connection_expired")
        db.session.commit()
        log.warning("grant expired: %s", exc, extra={"event": "grant_expired", "connection_id": conn.id})
        return RefreshResult("expired", 1)
    except ScopeMissing as exc:
        _mark(conn.id, ConnectionStatus.INSUFFICIENT_SCOPE, _safe_error(exc))
        db.session.commit()
        return RefreshResult("insufficient_scope", 1)
    except PlatformError as exc:
        conn.last_error = _safe_error(exc)
        db.session.commit()
        if exc.retryable:
            raise
        return RefreshResult("error", 1)
    if new is tokens:
        return RefreshResult("fresh")  # Instagram younger than 24 h: nothing was called
    return _persist_refreshed(conn, new, seen_version)


def _persist_refreshed(conn: Connection, new: TokenSet, seen_version: int) -> RefreshResult:
    """Write the renewed grant with a compare-and-set on ``token_version`` (J5 backstop)."""
    # persist before the lock is released; compare-and-set against concurrent writers
    values: dict[str, Any] = {
        "access_token_enc": keyring().encrypt(new.access_token, aad_for(TABLE, conn.id, "access_token_enc")),
        "access_expires_at": new.expires_at,
        "access_issued_at": new.issued_at,
        "token_version": Connection.token_version + 1,
        "last_error": None,
        "updated_at": utcnow(),
    }
    if new.refresh_token:  # never overwrite a refresh token with an empty one (O8)
        values["refresh_token_enc"] = keyring().encrypt(new.refresh_token, aad_for(TABLE, conn.id, "refresh_token_enc"))
        values["refresh_expires_at"] = new.refresh_expires_at
    if conn.status in (ConnectionStatus.EXPIRING.value, ConnectionStatus.ERROR.value):
        values["status"] = ConnectionStatus.CONNECTED.value
        values["expiry_warned_at"] = None
    result = db.session.execute(
        update(Connection).where(Connection.id == conn.id, Connection.token_version == seen_version).values(**values)
    )
    db.session.commit()
    if not result.rowcount:  # type: ignore[attr-defined]
        log.error(
            "token compare-and-set lost; the newer stored token is kept",
            extra={"event": "token_cas_lost", "connection_id": conn.id},
        )
        return RefreshResult("conflict", 1)
    return RefreshResult("refreshed", 1)


def due_connection_ids(now: datetime | None = None) -> list[int]:
    """Live connections whose grant should be renewed now (for the cron job)."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Connection).where(
            Connection.disconnected_at.is_(None),
            Connection.access_token_enc.is_not(None),
            Connection.status.in_([s.value for s in USABLE_STATUSES]),
        )
    ).scalars()
    return [c.id for c in rows if refresh_due(c, now)]


def hard_expiry(conn: Connection) -> datetime | None:
    """When the grant dies for good unless renewed (Instagram: the token itself; else the refresh token)."""
    if conn.platform == "instagram":
        return conn.access_expires_at
    return conn.refresh_expires_at


def warn_expiring(now: datetime | None = None) -> int:
    """TOKEN_EXPIRING: grants the app could not renew that end within the warning window.

    Marks the connection ``expiring`` (shown in the portal) and emails the client once per grant
    (``expiry_warned_at``). The alert feed of issue 7 will pick up the same status.
    """
    now = now or utcnow()
    window = timedelta(days=int(current_app.config["TOKEN_EXPIRING_WARNING_DAYS"]))
    count = 0
    rows = (
        db.session.execute(
            select(Connection).where(
                Connection.disconnected_at.is_(None),
                Connection.access_token_enc.is_not(None),
                Connection.expiry_warned_at.is_(None),
                Connection.status.in_([s.value for s in USABLE_STATUSES]),
            )
        )
        .scalars()
        .all()
    )
    for conn in rows:
        end = hard_expiry(conn)
        if end is None or end > now + window:
            continue
        if end <= now:
            conn.status = ConnectionStatus.EXPIRED.value
            _wipe_tokens(conn)
            _notify(conn, "connection_revoked", "connection_expired")
        else:
            conn.status = ConnectionStatus.EXPIRING.value
            _notify(conn, "token_expiring", "token_expiring")
        conn.expiry_warned_at = now
        count += 1
        log.info("TOKEN_EXPIRING", extra={"event": "token_expiring", "connection_id": conn.id})
    db.session.commit()
    return count


# --------------------------------------------------------------------------- key rotation (T3)


def rotate_keys() -> dict[str, int]:
    """Re-encrypt every stored token to the active key; returns rows per key id afterwards."""
    ring = keyring()
    for conn in db.session.execute(select(Connection)).scalars():
        for column in ("access_token_enc", "refresh_token_enc"):
            envelope = getattr(conn, column)
            if envelope and ring.needs_rotation(envelope):
                setattr(conn, column, ring.reencrypt(envelope, aad_for(TABLE, conn.id, column)))
        db.session.flush()
    db.session.commit()
    return key_counts()


def key_counts() -> dict[str, int]:
    """How many token ciphertexts each key id protects (an old key retires at 0)."""
    ring = keyring()
    counts: dict[str, int] = {}
    for access, refresh in db.session.execute(select(Connection.access_token_enc, Connection.refresh_token_enc)):
        for envelope in (access, refresh):
            if envelope:
                key_id = ring.key_id_of(envelope)
                counts[key_id] = counts.get(key_id, 0) + 1
    return counts


# --------------------------------------------------------------------------- platform callbacks (W10, D4)


class BadSignature(ServiceError):
    status = 400
    code = "bad_signature"


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_signed_request(signed_request: str, secret: str, now: float | None = None) -> dict[str, Any]:
    """Verify Meta's ``signed_request`` (HMAC-SHA256 over the encoded payload, constant-time compare).

    :raises BadSignature: malformed, wrong algorithm, bad signature, or issued more than a day ago.
    """
    try:
        sig_b64, payload_b64 = signed_request.split(".", 1)
        sig = _b64url_decode(sig_b64)
        data = json.loads(_b64url_decode(payload_b64))
    except (ValueError, TypeError):
        raise BadSignature("Malformed signed_request.") from None
    expected = hmac.new(secret.encode(), payload_b64.encode("ascii", "ignore"), hashlib.sha256).digest()
    if (
        not isinstance(data, dict)
        or str(data.get("algorithm", "")).upper() != "HMAC-SHA256"
        or not hmac.compare_digest(sig, expected)
    ):
        raise BadSignature("Invalid signature.")
    issued = data.get("issued_at")
    if isinstance(issued, int | float) and (now or time.time()) - issued > 86400:
        raise BadSignature("Stale signed_request.")
    if not data.get("user_id"):
        raise BadSignature("signed_request without user_id.")
    return data


def _platform_removed(platform: str, platform_user_id: str) -> int:
    """The user removed our app at the platform: mark revoked and delete the tokens (no revoke call)."""
    rows = (
        db.session.execute(
            select(Connection).where(
                Connection.platform == platform,
                Connection.platform_user_id == platform_user_id,
                Connection.disconnected_at.is_(None),
            )
        )
        .scalars()
        .all()
    )
    for conn in rows:
        _wipe_tokens(conn)
        conn.status = ConnectionStatus.REVOKED.value
        conn.last_error = "Access was removed at the platform. Reconnect to continue."
    db.session.commit()
    return len(rows)


def meta_deauthorize(signed_request: str) -> int:
    """Meta deauthorize callback: verified, then the connection is marked revoked; idempotent."""
    secret = current_app.config.get("INSTAGRAM_CLIENT_SECRET") or ""
    if not secret:
        raise BadSignature("Instagram is not configured.")
    data = parse_signed_request(signed_request, secret)
    return _platform_removed("instagram", str(data["user_id"]))


def meta_data_deletion(signed_request: str) -> DataDeletionRequest:
    """Meta data-deletion callback: one request row per account (same code on a repeat), job enqueued."""
    secret = current_app.config.get("INSTAGRAM_CLIENT_SECRET") or ""
    if not secret:
        raise BadSignature("Instagram is not configured.")
    data = parse_signed_request(signed_request, secret)
    return request_data_deletion("instagram", str(data["user_id"]))


def request_data_deletion(platform: str, platform_user_id: str) -> DataDeletionRequest:
    """Record (once) and enqueue the deletion of everything tied to a platform account (D4)."""
    existing = db.session.execute(
        select(DataDeletionRequest).where(
            DataDeletionRequest.platform == platform,
            DataDeletionRequest.platform_user_id == platform_user_id,
            DataDeletionRequest.status == "pending",
        )
    ).scalar_one_or_none()
    if existing is None:
        existing = DataDeletionRequest(
            platform=platform, platform_user_id=platform_user_id[:128], confirmation_code=secrets.token_hex(12)
        )
        db.session.add(existing)
        # tokens go at once; the history goes in the job
        _platform_removed(platform, platform_user_id)
        db.session.commit()
    from app.jobs.queues import enqueue_default

    enqueue_default("app.jobs.connections.process_data_deletion", existing.id, job_id=f"deletion-{existing.id}")
    return existing


def process_data_deletion(request_id: int) -> int:
    """Delete every connection (and, through cascades, its history) of the account; idempotent."""
    req = db.session.get(DataDeletionRequest, request_id)
    if req is None or req.status == "completed":
        return 0
    result = db.session.execute(
        delete(Connection).where(
            Connection.platform == req.platform, Connection.platform_user_id == req.platform_user_id
        )
    )
    req.connections_deleted = int(result.rowcount or 0)  # type: ignore[attr-defined]
    req.status = "completed"
    req.completed_at = utcnow()
    db.session.commit()
    return req.connections_deleted


def deletion_status(code: str) -> DataDeletionRequest:
    """:raises NotFound: unknown confirmation code."""
    req = db.session.execute(
        select(DataDeletionRequest).where(DataDeletionRequest.confirmation_code == code[:64])
    ).scalar_one_or_none()
    if req is None:
        raise NotFound("No deletion request with that confirmation code.")
    return req


TIKTOK_SIGNATURE_TOLERANCE = 300


def tiktok_webhook(raw_body: bytes, signature_header: str | None, now: float | None = None) -> str:
    """Verify ``TikTok-Signature: t=..,s=..`` (HMAC-SHA256 of ``t.body`` with the client secret) and act.

    ``authorization.removed``: the token is already dead at TikTok; mark the connection revoked and
    delete its tokens and data (TikTok's policy: delete or stop using the data). Other events are
    acknowledged and ignored.

    :raises BadSignature: missing/invalid/stale signature or an unreadable body.
    """
    secret = current_app.config.get("TIKTOK_CLIENT_SECRET") or ""
    parts = dict(p.split("=", 1) for p in (signature_header or "").split(",") if "=" in p)
    stamp, sig = parts.get("t", ""), parts.get("s", "")
    if not secret or not stamp.isdigit() or not sig:
        raise BadSignature("Missing signature.")
    if abs((now or time.time()) - int(stamp)) > TIKTOK_SIGNATURE_TOLERANCE:
        raise BadSignature("Stale signature.")
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + raw_body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, sig.strip().lower()):
        raise BadSignature("Invalid signature.")
    try:
        event = json.loads(raw_body)
    except ValueError:
        raise BadSignature("Unreadable body.") from None
    if not isinstance(event, dict) or event.get("event") != "authorization.removed":
        return "ignored"
    open_id = str(event.get("user_openid") or "")
    if not open_id:
        return "ignored"
    try:
        reason = int(json.loads(event.get("content") or "{}").get("reason", 0))
    except (ValueError, TypeError, AttributeError):
        reason = 0
    if reason == 2:  # the TikTok account was deleted: its data goes too
        request_data_deletion("tiktok", open_id)
        return "deleted"
    _platform_removed("tiktok", open_id)  # stop: tokens deleted, history kept for a reconnect
    return "removed"


def live_count(client: Client) -> int:
    return int(
        db.session.execute(
            select(func.count(Connection.id)).where(
                Connection.client_id == client.id, Connection.disconnected_at.is_(None)
            )
        ).scalar_one()
    )


def _now() -> datetime:
    return datetime.now(UTC)
