"""A fan verifies a claimed account by signing in with the platform (docs/fans.md), where the platform
offers a consumer sign-in: Google for YouTube. The code-as-comment method (``fan_links.check``) stays for
every platform; this is the second, faster way.

Why it is shaped like this:

* **The sign-in proves the account, nothing else is kept.** The fan signs in with Google asking only
  ``youtube.readonly``; the app reads the fan's own channel (``channels?mine=true``: its id is the
  ``author_platform_id`` YouTube puts on that fan's comments), then revokes the grant at once. No token is
  stored; the fan's channel id is kept on their link as with a code.
* **The callback checks everything before it touches the code**, as the creator's OAuth does (O2, O4):
  the ``state`` is single use (``GETDEL`` in Redis, 10 minutes), bound to the browser that started it (a
  cookie whose hash the state holds: a sign-in answer carried to another browser is refused), to the
  platform whose callback was hit and to one claimed identity of a link that still exists.
* **One platform account belongs to at most one link**: a channel another fan already linked is "taken".
  The handle shown becomes the signed-in channel's (the sign-in is the proof; the handle typed was a
  claim).
* **X** ("Sign in with X"): OAuth 2.0 with PKCE against X's consent, scopes ``users.read tweet.read``
  (no ``offline.access``: no refresh token is issued), ``GET /2/users/me`` names the account, the access
  token is revoked at once. The app reads no X replies, so an X account can only be verified this way
  (``fan_links.SIGNIN_ONLY``: no code is offered for it) and adds an identity, not comments, to the fan.
* **Offered only where the deployment has the platform's credentials** (``offered()``): without
  ``X_CLIENT_ID``/``X_CLIENT_SECRET`` there is no X on the link page at all, and no Google button without
  the YouTube app.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Comment, Connection, FanLink, FanLinkIdentity
from app.models.base import utcnow
from app.platforms import PlatformAdapter, PlatformError, TokenSet, get_adapter, make_pkce_pair
from app.platforms.registry import is_configured
from app.redis_conn import get_redis
from app.security.crypto import aad_for
from app.services import fan_links, live, quota_counters
from app.services.tokens import keyring

log = logging.getLogger(__name__)

#: platform -> (the sign-in's name, the one scope asked): a consumer sign-in that names the account
SIGNIN_PLATFORMS: dict[str, tuple[str, str]] = {
    "youtube": ("Google", "https://www.googleapis.com/auth/youtube.readonly"),
    "x": ("X", "users.read tweet.read"),
}
STATE_SECONDS = 600
COOKIE = "fan_signin"
_PREFIX = "fan-signin:"


def offered() -> dict[str, tuple[str, str]]:
    """The sign-ins this deployment can offer (the platform's app credentials are set)."""
    return {p: v for p, v in SIGNIN_PLATFORMS.items() if is_configured(p, current_app.config)}


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def redirect_uri(platform: str) -> str:
    """From configuration only, never from the request's Host (O3)."""
    base = current_app.config.get("OAUTH_REDIRECT_BASE") or current_app.config["PUBLIC_BASE_URL"]
    return f"{str(base).rstrip('/')}/link/signin/callback/{platform}"


def _adapter(platform: str) -> PlatformAdapter:
    scope = SIGNIN_PLATFORMS[platform][1]
    return get_adapter(platform, {**current_app.config, f"{platform.upper()}_SCOPES": scope})


@dataclass(frozen=True)
class Started:
    url: str  # the platform's authorize URL
    browser: str  # the cookie value binding the answer to this browser


def start(link: FanLink, token: str, secret: str, platform: str) -> Started:
    """Record a pending sign-in for the link's unverified ``platform`` identity.

    :raises fan_links.BadLink: no such sign-in, or nothing to verify on that platform.
    """
    if platform not in offered():
        raise fan_links.BadLink("This platform has no sign-in here: post your code as a comment instead.")
    ident = next((i for i in fan_links.identities(link) if i.platform == platform), None)
    if ident is None or ident.verified_at is not None:
        raise fan_links.BadLink("Nothing to verify on this platform.")
    state = secrets.token_urlsafe(32)
    browser = secrets.token_urlsafe(24)
    verifier, challenge = make_pkce_pair()
    state_hash = _sha256(state)
    crypt = keyring()
    pending = {
        "identity_id": ident.id,
        "link_id": link.id,
        "platform": platform,
        "token": token,
        "secret": crypt.encrypt(secret, aad_for("fan_signin", state_hash, "secret")),
        "verifier": crypt.encrypt(verifier, aad_for("fan_signin", state_hash, "verifier")),
        "browser": _sha256(browser),
    }
    get_redis().set(_PREFIX + state_hash, json.dumps(pending), ex=STATE_SECONDS)
    return Started(_adapter(platform).authorize_url(state, redirect_uri(platform), challenge), browser)


@dataclass(frozen=True)
class Outcome:
    kind: str  # linked | denied | taken | failed
    token: str
    secret: str
    platform: str
    message: str = ""


def _claim(platform: str, state: str, browser: str | None) -> tuple[dict[str, Any], str]:
    """Take the pending sign-in (single use) and check it; every failure is a 400 before any token call."""
    if not state or len(state) > 200:
        raise fan_links.BadLink("This sign-in answer is not valid. Start again from your private page.")
    state_hash = _sha256(state)
    raw = get_redis().getdel(_PREFIX + state_hash)
    if not raw:
        raise fan_links.BadLink("This sign-in was already used or has expired (10 minutes). Start again.")
    pending: dict[str, Any] = json.loads(raw)  # type: ignore[arg-type]
    if not browser or not hmac.compare_digest(pending["browser"], _sha256(browser)):
        log.warning("fan sign-in answer in another browser", extra={"event": "fan_signin_browser_mismatch"})
        raise fan_links.BadLink("This sign-in was started in another browser. Start again from your private page.")
    if pending["platform"] != platform:
        log.warning("fan sign-in mix-up", extra={"event": "fan_signin_mixup"})
        raise fan_links.BadLink("This sign-in answer came back to the wrong place. Start again.")
    return pending, state_hash


def _connection_for(client_id: int, platform: str, author: str) -> int | None:
    """The creator's connection on ``platform`` this account commented on last, else their first live one."""
    commented = db.session.scalar(
        select(Comment.connection_id)
        .where(Comment.client_id == client_id, Comment.platform == platform, Comment.author_platform_id == author)
        .order_by(Comment.published_at.desc())
        .limit(1)
    )
    if commented is not None:
        return int(commented)
    return db.session.scalar(
        select(Connection.id)
        .where(
            Connection.client_id == client_id,
            Connection.platform == platform,
            Connection.disconnected_at.is_(None),
        )
        .order_by(Connection.id)
        .limit(1)
    )


def _account(adapter: PlatformAdapter, platform: str, tokens: TokenSet) -> tuple[str | None, str | None]:
    """(account id, handle) of the signed-in account; the grant is revoked whatever happens."""
    try:
        profile = adapter.fetch_profile(tokens.access_token)
        return profile.platform_user_id or tokens.platform_user_id, profile.username
    finally:
        quota_counters.charge_outside_sync(platform, quota_counters.IDENTITY_UNITS.get(platform, 0))
        try:
            adapter.revoke(tokens)  # nothing is kept: the sign-in only named the account
        except PlatformError as exc:
            log.warning("fan sign-in revoke failed: %s", exc, extra={"event": "fan_signin_revoke_failed"})


def complete(platform: str, args: Mapping[str, str], browser: str | None) -> Outcome:
    """Finish a fan's sign-in: verify the claimed identity as the signed-in account.

    :raises fan_links.BadLink: forged, replayed, expired, foreign-browser or mixed-up answers (400).
    """
    pending, state_hash = _claim(platform, args.get("state", ""), browser)
    crypt = keyring()
    secret = crypt.decrypt(pending["secret"], aad_for("fan_signin", state_hash, "secret"))
    token = str(pending["token"])
    ident = db.session.get(FanLinkIdentity, int(pending["identity_id"]))
    if ident is None or ident.fan_link_id != pending["link_id"]:
        raise fan_links.BadLink("This link was deleted meanwhile: nothing was verified.")

    def out(kind: str, message: str = "") -> Outcome:
        return Outcome(kind, token, secret, platform, message)

    if args.get("error"):
        return out("denied")
    code = args.get("code", "").strip()
    if not code:
        raise fan_links.BadLink("The platform sent no sign-in code. Start again from your private page.")
    adapter = _adapter(platform)
    verifier = crypt.decrypt(pending["verifier"], aad_for("fan_signin", state_hash, "verifier"))
    try:
        tokens = adapter.exchange_code(code, redirect_uri(platform), verifier)
        account, handle = _account(adapter, platform, tokens)
    except PlatformError as exc:
        log.warning("fan sign-in failed: %s", exc, extra={"event": "fan_signin_failed"})
        return out("failed", "The platform did not complete the sign-in. Nothing was linked; please try again.")
    if not account:
        return out("failed", "The platform did not say which account this is. Nothing was linked.")
    if ident.verified_at is not None:
        return out("linked")
    connection_id = _connection_for(ident.client_id, platform, account)
    if connection_id is None:
        return out("failed", "The creator's account on this platform is not connected any more.")
    owner = db.session.scalar(
        select(FanLinkIdentity).where(
            FanLinkIdentity.connection_id == connection_id, FanLinkIdentity.author_platform_id == account
        )
    )
    if owner is not None and owner.id != ident.id:
        return out("taken")
    ident.verified_at = utcnow()
    ident.connection_id = connection_id
    ident.author_platform_id = account[:128]
    if handle and fan_links.valid_handle(handle):
        ident.handle = handle.lstrip("@")[:64]
    db.session.commit()
    live.bump([ident.client_id])  # the creator's fans change (cached answers are keyed on it)
    return out("linked")
