"""The token lifecycle of a connection: keyring use, token sets, refresh under lock, persistence.

Why it is its own module: the OAuth callback stores grants, the sync engine needs a usable access
token before every plan, the cron job renews grants ahead of expiry, and ``flask tokens rotate``
re-encrypts them; all of them use this module, which depends only on models, platforms and security,
so the engine can call it without climbing above ``services`` (docs/architecture.md, "Layers").

* **Tokens are decrypted only here, at call time** (T5) and written only as row-bound envelopes (T2).
  Jobs receive connection ids, never tokens.
* **Refresh is single-flight** (J5): a process-local lock, then a Redis lock per connection, a re-read
  after the wait, and a compare-and-set on ``token_version``; the newest refresh token wins and an
  empty one never replaces a stored one (O8). ``invalid_grant`` is a lost race when the stored token
  changed meanwhile (retry once with the new one), otherwise the grant is dead (O9).
* **A dead grant is reported, not announced**: ``RefreshResult.lost`` and ``warn_expiring``'s notices
  name the alert to raise (``connection_revoked``, ``connection_expired``, ``token_expiring``); the
  jobs that called them raise it (``app.alerts.service.raise_connection_alert``).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from app.errors import NotFound, ServiceError
from app.extensions import db
from app.models import Connection, ConnectionStatus
from app.models.base import utcnow
from app.models.connection import USABLE_STATUSES
from app.models.platforms import CONNECTABLE, PLATFORM_NAMES
from app.platforms import (
    AccessRevoked,
    PlatformAdapter,
    PlatformError,
    PlatformNotConfigured,
    ScopeMissing,
    TokenExpired,
    TokenSet,
    get_adapter,
)
from app.redis_conn import get_redis
from app.security.crypto import Keyring, TokenDecryptError, aad_for
from app.security.scrub import scrub_text

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=15)
#: refresh an Instagram token this long before its 60 days end (platforms.md §2.1: "about day 50")
INSTAGRAM_REFRESH_AHEAD = timedelta(days=10)
#: a rotating refresh token is renewed when it has less than this left
ROTATING_REFRESH_AHEAD = timedelta(days=30)
#: Google refresh tokens die after 6 months unused: use them at least monthly
GOOGLE_MAX_IDLE = timedelta(days=30)
#: LinkedIn access tokens last 60 days: renewed a week ahead (the refresh token's 365 days do not move)
LINKEDIN_REFRESH_AHEAD = timedelta(days=7)
TABLE = "connections"


@dataclass(frozen=True)
class RefreshResult:
    """``refreshed`` (a platform call), ``fresh`` (nothing to do / another worker did it), or a failure.

    ``lost``: the grant died in this refresh and the client must be told (``connection_revoked`` or
    ``connection_expired``, the alert kinds of ``app.alerts.service.raise_connection_alert``).
    """

    outcome: str
    platform_calls: int = 0
    lost: str | None = None


@dataclass(frozen=True)
class GrantNotice:
    """A connection ``warn_expiring`` marked: ``kind`` is ``token_expiring`` or ``connection_expired``."""

    connection_id: int
    kind: str


# --------------------------------------------------------------------------- keyring and token sets


def keyring() -> Keyring:
    """The process keyring built by ``create_app`` (fails closed there)."""
    ring: Keyring = current_app.extensions["token_keyring"]
    return ring


def adapter_for(platform: str, conn: Connection | None = None) -> PlatformAdapter:
    """The adapter for ``platform``, or for ``conn``'s kind of account (a TikTok business account is
    read through the API for Business).

    :raises NotFound: unknown platform; :raises ServiceError: the platform app is not configured."""
    if platform not in CONNECTABLE:
        raise NotFound("Unknown platform.")
    try:
        if conn is not None:
            return get_adapter(platform, current_app.config, kind=conn.account_type, account=conn.platform_user_id)
        return get_adapter(platform, current_app.config)
    except PlatformNotConfigured:
        raise ServiceError(f"{PLATFORM_NAMES[platform]} is not set up on this server yet.") from None


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


def store_tokens(conn: Connection, tokens: TokenSet) -> None:
    """Write a grant onto ``conn`` (the row must have an id). An empty refresh token never wins (O8)."""
    conn.access_token_enc = _encrypt(conn, "access_token_enc", tokens.access_token)
    if tokens.refresh_token:
        conn.refresh_token_enc = _encrypt(conn, "refresh_token_enc", tokens.refresh_token)
        conn.refresh_expires_at = tokens.refresh_expires_at
    conn.access_expires_at = tokens.expires_at
    conn.access_issued_at = tokens.issued_at
    if tokens.scopes:
        conn.scopes = " ".join(sorted(tokens.scopes))


def wipe_tokens(conn: Connection) -> None:
    """Forget a grant: the ciphertexts and their lifetimes go, the version moves on (D3, O9)."""
    conn.access_token_enc = None
    conn.refresh_token_enc = None
    conn.access_expires_at = None
    conn.refresh_expires_at = None
    conn.token_version = (conn.token_version or 0) + 1


def safe_error(exc: BaseException) -> str:
    """An exception's text fit to store and show: secrets scrubbed, at most 500 characters."""
    return scrub_text(str(exc))[:500]


# --------------------------------------------------------------------------- refresh (J5, O8, O9)


def refresh_due(conn: Connection, now: datetime | None = None) -> bool:
    """Whether the grant should be renewed now (access ahead of expiry, or the grant itself at risk)."""
    now = now or utcnow()
    if conn.access_expires_at and conn.access_expires_at - REFRESH_MARGIN <= now and (conn.platform != "instagram"):
        return True
    issued = conn.access_issued_at or conn.connected_at
    if conn.platform == "facebook":  # a Page token from a long-lived user token never expires: no refresh flow
        return False
    if conn.platform == "instagram":
        return bool(
            conn.access_expires_at
            and conn.access_expires_at - INSTAGRAM_REFRESH_AHEAD <= now
            and now - issued >= timedelta(hours=24)
            and conn.access_expires_at > now
        )
    if conn.platform in ("tiktok", "x"):  # rotating grants (X's refresh lifetime is undocumented: None)
        return bool(conn.refresh_expires_at and conn.refresh_expires_at - ROTATING_REFRESH_AHEAD <= now)
    if conn.platform == "linkedin":
        return bool(
            conn.access_expires_at
            and conn.access_expires_at - LINKEDIN_REFRESH_AHEAD <= now
            and conn.refresh_expires_at
            and conn.refresh_expires_at > now
        )
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
        wipe_tokens(conn)


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
    adapter = adapter_for(conn.platform, conn)
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
            return RefreshResult(result.outcome, result.platform_calls + 1, lost=result.lost)
        if fresh is not None:
            _mark(fresh.id, ConnectionStatus.REVOKED, "Access was removed at the platform. Reconnect.", wipe=True)
            db.session.commit()
        log.warning("grant revoked: %s", exc, extra={"event": "grant_revoked", "connection_id": conn.id})
        return RefreshResult("revoked", 1, lost="connection_revoked" if fresh is not None else None)
    except TokenExpired as exc:
        _mark(conn.id, ConnectionStatus.EXPIRED, "The authorization expired. Reconnect.", wipe=True)
        db.session.commit()
        log.warning("grant expired: %s", exc, extra={"event": "grant_expired", "connection_id": conn.id})
        return RefreshResult("expired", 1, lost="connection_expired")
    except ScopeMissing as exc:
        _mark(conn.id, ConnectionStatus.INSUFFICIENT_SCOPE, safe_error(exc))
        db.session.commit()
        return RefreshResult("insufficient_scope", 1)
    except PlatformError as exc:
        conn.last_error = safe_error(exc)
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
    if conn.platform == "linkedin" and conn.refresh_expires_at is None:
        return conn.access_expires_at  # an app not approved for refresh: the 60-day token is the grant
    return conn.refresh_expires_at


def warn_expiring(now: datetime | None = None) -> list[GrantNotice]:
    """TOKEN_EXPIRING: grants the app could not renew that end within the warning window.

    Marks the connection ``expiring`` (shown in the portal), or ``expired`` with its tokens deleted
    when the end has passed, once per grant (``expiry_warned_at``), and returns one notice per
    connection marked; the caller raises the alert (and so the client's email) for each.
    """
    now = now or utcnow()
    window = timedelta(days=int(current_app.config["TOKEN_EXPIRING_WARNING_DAYS"]))
    notices: list[GrantNotice] = []
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
            wipe_tokens(conn)
            notices.append(GrantNotice(conn.id, "connection_expired"))
        else:
            conn.status = ConnectionStatus.EXPIRING.value
            notices.append(GrantNotice(conn.id, "token_expiring"))
        conn.expiry_warned_at = now
        log.info("TOKEN_EXPIRING", extra={"event": "token_expiring", "connection_id": conn.id})
    db.session.commit()
    return notices


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
