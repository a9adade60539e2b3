"""Connecting a platform account: the authorize redirect and the callback (O1-O7).

Why it is shaped like this:

* **The callback checks everything before it touches the code** (O2, O4): the ``state`` must exist, be
  unexpired, belong to this session and user, and have been issued for the platform whose callback path
  was hit. The state row is deleted (committed) first, so it is single use even when a later step fails.
  Only then are the platform's error parameters read, and only then is the code exchanged.
* **A reconnect keeps the history**: the client's row for the same account is revived, never a copy.
* **The first sync is queued at once** (``app.queueing.dispatch.enqueue_initial_sync``), never for a
  connection that lacks a permission (O7).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.errors import NotFound, ServiceError
from app.extensions import db
from app.models import Client, Connection, ConnectionStatus, OAuthState, User
from app.models.base import utcnow
from app.models.platforms import CONNECTABLE, PLATFORM_NAMES
from app.platforms import (
    PlatformAdapter,
    PlatformError,
    Profile,
    ScopeMissing,
    TokenSet,
    get_adapter,
    make_pkce_pair,
)
from app.platforms.registry import business_configured
from app.platforms.tiktok_business import BUSINESS as TIKTOK_BUSINESS
from app.queueing import dispatch
from app.security.crypto import aad_for
from app.security.scrub import scrub_text
from app.services import clients as client_service
from app.services import comment_replies, quota_counters
from app.services.tokens import adapter_for, keyring, store_tokens

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)
#: ``iss`` values a platform may add to its redirect (RFC 9207); anything else is a mix-up (O4)
ISSUERS = {"youtube": {"https://accounts.google.com", "accounts.google.com"}}


class OAuthRejected(ServiceError):
    """The callback cannot be trusted (forged, replayed, expired, other session/user/platform)."""

    status = 400
    code = "oauth_rejected"


@dataclass(frozen=True)
class CallbackOutcome:
    """What the callback achieved; ``kind`` picks the page the user lands on."""

    kind: str  # connected | insufficient_scope | denied | wrong_account_type | taken | other_account | failed
    # (Facebook also: no_page, pick_page)
    platform: str
    connection_id: int | None = None
    message: str = ""
    #: Facebook with several Pages: the single-use token of the Page picker (``app.services.facebook_pages``)
    pick: str | None = None


@dataclass(frozen=True)
class Exchanged:
    """A callback that passed every check and traded its code: the pending row, the adapter, the grant."""

    client: Client
    pending: OAuthState
    adapter: PlatformAdapter
    tokens: TokenSet


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def redirect_uri(platform: str) -> str:
    """The registered redirect URI: from configuration only, never from the request's Host (O3)."""
    base = current_app.config.get("OAUTH_REDIRECT_BASE") or current_app.config["PUBLIC_BASE_URL"]
    return f"{str(base).rstrip('/')}/api/portal/social/callback/{platform}"


def _profile_stats(profile: Profile) -> dict[str, Any]:
    stats = {
        "followers": profile.followers,
        "following": profile.following,
        "media_count": profile.media_count,
        "total_likes": profile.total_likes,
        "total_views": profile.total_views,
    }
    return {k: v for k, v in stats.items() if v is not None}


# --------------------------------------------------------------------------- connect


#: YouTube: the client opts into sharing estimated revenue (the separate monetary Analytics scope)
REVENUE_FEATURE = "revenue"
#: connect a TikTok *business* account through the API for Business (docs/connecting.md)
BUSINESS_FEATURE = "business"
SCOPE_MONETARY = "https://www.googleapis.com/auth/yt-analytics-monetary.readonly"


def _revenue_adapter(platform: str) -> Any:
    """The YouTube adapter asking the usual scopes plus the monetary one (other platforms: 404)."""
    if platform != "youtube":
        raise NotFound("Revenue can be shared from YouTube only.")
    base = get_adapter(platform, current_app.config).scopes  # type: ignore[attr-defined]
    return get_adapter(platform, {**current_app.config, "YOUTUBE_SCOPES": " ".join([*base, SCOPE_MONETARY])})


def _business_adapter(platform: str) -> Any:
    """The TikTok API for Business adapter (a business account); 404 elsewhere or when not set up."""
    if platform != "tiktok" or not business_configured(current_app.config):
        raise NotFound("Business accounts can be connected from TikTok only, where this server has the app.")
    return get_adapter(platform, current_app.config, kind=TIKTOK_BUSINESS)


def start_connect(user: User, session_id: str | None, platform: str, feature: str | None = None) -> str:
    """Record a pending authorization and return the platform's authorize URL (O1, O2, O3).
    ``feature="comments"`` also asks the comment-management scope (incremental authorization);
    ``feature="revenue"`` (YouTube) also asks the monetary Analytics scope, so revenue is read.

    :raises NotFound: not a client user, or an unknown platform.
    """
    client_service.own_client(user)  # client users connect their own accounts only
    adapter = adapter_for(platform)
    if feature == REVENUE_FEATURE:
        adapter = _revenue_adapter(platform)
    elif feature == BUSINESS_FEATURE:
        adapter = _business_adapter(platform)
    elif feature is not None:
        if feature != comment_replies.GRANT_FEATURE:
            raise OAuthRejected("Unknown feature.")
        adapter = comment_replies.grant_adapter(platform)
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
        feature=feature,
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
    # LinkedIn: user_cancelled_authorize / user_cancelled_login
    if error in ("access_denied", "user_denied", "user_cancelled_authorize", "user_cancelled_login") or (
        reason == "user_denied"
    ):
        return CallbackOutcome("denied", platform)
    return CallbackOutcome("failed", platform, message=f"{PLATFORM_NAMES[platform]} said: {scrub_text(error)[:60]}")


def exchange_step(
    user: User, session_id: str | None, platform: str, args: Mapping[str, str]
) -> Exchanged | CallbackOutcome:
    """The checks (O2, O4), the platform's error parameters and the code exchange, shared by every
    platform's callback; an outcome when it ends here.

    :raises OAuthRejected: forged, replayed, expired, foreign or mixed-up callbacks, or no code.
    :raises NotFound: an unknown platform or a non-client user.
    """
    if platform not in CONNECTABLE:
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

    # a TikTok comment grant is a business account's (API for Business), as is a business connect
    business = pending.feature == BUSINESS_FEATURE or (
        platform == "tiktok" and pending.feature == comment_replies.GRANT_FEATURE
    )
    adapter = _business_adapter(platform) if business else adapter_for(platform)
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
    return Exchanged(client, pending, adapter, tokens)


def complete_callback(user: User, session_id: str | None, platform: str, args: Mapping[str, str]) -> CallbackOutcome:
    """Finish an authorization: :func:`exchange_step`, then scopes (O7), the profile and storage.
    (Facebook's callback, with its Page picker, is ``app.services.facebook_pages.complete_callback``.)

    :raises OAuthRejected: forged, replayed, expired, foreign or mixed-up callbacks, or no code.
    :raises NotFound: an unknown platform or a non-client user.
    """
    step = exchange_step(user, session_id, platform, args)
    if isinstance(step, CallbackOutcome):
        return step
    return finish_callback(platform, step)


def finish_callback(platform: str, step: Exchanged) -> CallbackOutcome:
    """After the exchange: scopes (O7), the account's profile and storage (also a LinkedIn member's
    connection when no Company Page is chosen, ``app.services.linkedin_pages``)."""
    client, pending, adapter, tokens = step.client, step.pending, step.adapter, step.tokens
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
    finally:  # the platform charged the lookup, answered or not: the budgets count it (docs/operations.md)
        quota_counters.charge_outside_sync(platform, quota_counters.IDENTITY_UNITS.get(platform, 0))
    account_id = profile.platform_user_id or tokens.platform_user_id
    if not account_id:
        return CallbackOutcome("failed", platform, message="The platform did not say which account this is.")

    outcome = store_connection(client, adapter, platform, account_id, tokens, profile, missing)
    conn = db.session.get(Connection, outcome.connection_id) if outcome.connection_id is not None else None
    if conn is not None and tokens.scopes:
        comment_replies.apply_grant(conn, tokens.scopes, pending.feature == comment_replies.GRANT_FEATURE)
        db.session.commit()
    return outcome


def store_connection(
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
    grantor = tokens.extras.get("grantor_id")  # Facebook: the person behind a Page connection
    conn.grantor_id = str(grantor)[:128] if grantor else None
    conn.status = (ConnectionStatus.INSUFFICIENT_SCOPE if missing else ConnectionStatus.CONNECTED).value
    conn.last_error = f"Missing permissions: {', '.join(sorted(missing))}" if missing else None
    conn.profile_stats = _profile_stats(profile)
    conn.connected_at = utcnow()
    conn.expiry_warned_at = None
    try:
        db.session.flush()  # the id binds the ciphertexts (T2)
        conn.refresh_token_enc = None
        store_tokens(conn, tokens)
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
        dispatch.enqueue_initial_sync(conn.id)
        # story_insights webhooks (app/sync/webhook_subscriptions.py); a Page's feed (app/sync/page_webhooks.py)
        if platform in ("instagram", "facebook"):
            dispatch.enqueue_webhook_subscription(conn.id)
    kind = "insufficient_scope" if missing else "connected"
    return CallbackOutcome(kind, platform, connection_id=conn.id)


def _revoke_quietly(adapter: PlatformAdapter, tokens: TokenSet) -> None:
    try:
        adapter.revoke(tokens)
    except PlatformError as exc:
        log.warning("revoke failed: %s", exc, extra={"event": "revoke_failed"})
