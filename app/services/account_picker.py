"""Holding a grant while the creator picks which account it connects (a Facebook Page, a LinkedIn Page).

The grant waits, encrypted, in a single-use ``oauth_states`` row bound to the session and the user for
ten minutes (``feature`` names the picker); the picker's URL carries only a random pick token, whose
SHA-256 finds the row. Reading the choices keeps the row; the choice consumes it, once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import delete, select

from app.errors import ServiceError
from app.extensions import db
from app.models import OAuthState, User
from app.models.base import utcnow
from app.security.crypto import aad_for
from app.services.tokens import keyring

PICK_TTL = timedelta(minutes=10)


class PickExpired(ServiceError):
    """The picker link is unknown, used, expired, or from another session or user."""

    status = 400
    code = "page_pick_expired"


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def hold(user: User, session_id: str | None, platform: str, feature: str, secret: str, label: str) -> str:
    """Keep ``secret`` (encrypted, bound to the row and ``label``); returns the single-use pick token."""
    if not session_id:
        raise PickExpired("Your session has ended. Log in again.")
    pick = secrets.token_urlsafe(32)
    state_hash = _sha256(pick)
    db.session.add(
        OAuthState(
            state_hash=state_hash,
            user_id=user.id,
            session_hash=_sha256(session_id),
            platform=platform,
            redirect_uri="",
            feature=feature,
            expires_at=utcnow() + PICK_TTL,
            code_verifier_enc=keyring().encrypt(secret, aad_for("oauth_states", state_hash, label)),
        )
    )
    db.session.commit()
    return pick


def take(
    user: User, session_id: str | None, pick: str, features: tuple[str, ...], label: str, *, consume: bool
) -> tuple[str, str]:
    """The held secret and the row's feature; ``consume`` deletes the row (a second use fails).

    :raises PickExpired: unknown, used, expired, or another session's or user's pick.
    """
    if not pick or len(pick) > 200:
        raise PickExpired("This choice is not valid. Start connecting again.")
    state_hash = _sha256(pick)
    row = db.session.execute(
        select(OAuthState).where(OAuthState.state_hash == state_hash, OAuthState.feature.in_(features))
    ).scalar_one_or_none()
    if row is None:
        raise PickExpired("This choice was already made or is not valid. Start connecting again.")
    if row.user_id != user.id or not session_id or not hmac.compare_digest(row.session_hash, _sha256(session_id)):
        raise PickExpired("This choice was started in another session. Start connecting again.")
    if row.expires_at < utcnow():
        db.session.execute(delete(OAuthState).where(OAuthState.id == row.id))
        db.session.commit()
        raise PickExpired("This choice expired (10 minutes). Start connecting again.")
    secret = keyring().decrypt(row.code_verifier_enc or "", aad_for("oauth_states", state_hash, label))
    feature = row.feature or ""
    if consume:
        deleted = db.session.execute(delete(OAuthState).where(OAuthState.id == row.id)).rowcount  # type: ignore[attr-defined]
        db.session.commit()
        if not deleted:
            raise PickExpired("This choice was already made. Start connecting again.")
    return secret, feature
