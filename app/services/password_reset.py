"""Password reset by emailed link: the same answer whatever the address, single-use short-lived links.

A request always does the same work and gets the same answer, whether or not an account has the
address (no account enumeration): it is recorded (the per-email and per-IP throttle counts requests,
not accounts), the email is rendered, and only for an active account is a link stored (hashed, as
for invites) and the email queued in the outbox. Setting the new password consumes the link in one
UPDATE (a second use, even a concurrent one, fails) and ends every session of the user.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, render_template
from sqlalchemy import select, update

from app.errors import ValidationFailed
from app.extensions import db
from app.models import PasswordReset, User
from app.models.base import utcnow
from app.services import accounts, capabilities, mail
from app.services.urls import absolute_url

log = logging.getLogger("app.security")

THROTTLE_WINDOW = timedelta(hours=1)
IP_FACTOR = 5  # one office or household shares an IP


@dataclass(frozen=True)
class ResetProblem(Exception):
    """Why a reset link cannot be used; ``reason`` is one of invalid, expired, used."""

    reason: str

    @property
    def status(self) -> int:
        return 400 if self.reason == "invalid" else 410

    @property
    def message(self) -> str:
        return {
            "invalid": "This password-reset link is not valid. Check that you copied the whole address, "
            "or ask for a new link.",
            "expired": "This password-reset link has expired. Ask for a new one: it arrives in a minute.",
            "used": "This password-reset link was already used. Log in with your new password, or ask for a new link.",
        }[self.reason]


class ResetThrottled(Exception):
    """Too many requests for this email or IP; try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"throttled for {retry_after}s")
        self.retry_after = retry_after


RESET_SALT = "password-reset-v1"


def ttl() -> timedelta:
    return timedelta(minutes=int(current_app.config["PASSWORD_RESET_TTL_MINUTES"]))


def _throttle_wait(email: str, ip: str) -> int:
    """Seconds before another request for this email or IP is accepted, 0 when allowed."""
    limit = int(current_app.config["PASSWORD_RESET_MAX_REQUESTS"])
    checks = ((PasswordReset.email, email, limit), (PasswordReset.ip, ip, limit * IP_FACTOR))
    return capabilities.throttle_wait(PasswordReset.requested_at, checks, THROTTLE_WINDOW)


def request_reset(raw_email: str, ip: str) -> None:
    """Email a reset link when an active account has this address; otherwise do the same work silently.

    :raises ValidationFailed: the address is empty or not an email address (says nothing about accounts).
    :raises ResetThrottled: too many requests for this address or from this IP in the last hour.
    """
    if not (raw_email or "").strip():
        raise ValidationFailed("Enter the email address you log in with.", field="email")
    email = accounts.normalise_email(raw_email)[:254]
    ip = (ip or "unknown")[:64]
    wait = _throttle_wait(email, ip)
    if wait > 0:
        log.warning("password reset throttled", extra={"event": "password_reset_throttled", "ip": ip})
        raise ResetThrottled(wait)
    user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    if user is not None and not user.is_active:
        user = None  # a disabled login cannot be reset (staff re-enable it)
    nonce, nonce_hash = capabilities.new_nonce()
    minutes = int(current_app.config["PASSWORD_RESET_TTL_MINUTES"])
    # Both paths run the same statements up to the email (a miss costs about what a hit costs): older
    # unused links of the user stop working (only the newest email counts; for a miss it matches
    # nothing), the request is stored, and the email is rendered.
    db.session.execute(
        update(PasswordReset)
        .where(
            PasswordReset.user_id == (user.id if user else 0),
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > utcnow(),
        )
        .values(expires_at=utcnow())
    )
    row = PasswordReset(
        email=email,
        ip=ip,
        expires_at=utcnow() + ttl(),
        user_id=user.id if user else None,
        token_hash=nonce_hash if user else None,
    )
    db.session.add(row)
    db.session.flush()
    url = absolute_url("auth.reset_password", token=capabilities.link_token(RESET_SALT, row.id, nonce))
    if user is None:
        _render(name="", url=url, minutes=minutes)
        db.session.commit()
        log.info("password reset requested for no active account", extra={"event": "password_reset_unknown"})
        return
    email_row = mail.queue_email(
        user.email, "password_reset", "password_reset", user_id=user.id, name=user.name, url=url, minutes=minutes
    )
    db.session.commit()
    mail.enqueue_delivery(email_row.id)
    log.info("password reset requested", extra={"event": "password_reset_requested", "actor_id": user.id})


def _render(**context: object) -> None:
    for part in ("subject.txt", "txt", "html"):
        render_template(f"email/password_reset.{part}", **context)


def resolve(token: str) -> PasswordReset:
    """The reset behind a link token, checked for signature, expiry, reuse and a still active user.

    :raises ResetProblem: with the reason the link cannot be used.
    """
    parsed = capabilities.read_link_token(RESET_SALT, token)
    if parsed is None:
        raise ResetProblem("invalid")
    reset_id, nonce = parsed
    row = db.session.get(PasswordReset, reset_id)
    if row is None or not capabilities.nonce_matches(row.token_hash, nonce):
        raise ResetProblem("invalid")
    if row.used_at is not None:
        raise ResetProblem("used")
    if row.expires_at <= utcnow():
        raise ResetProblem("expired")
    user = db.session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise ResetProblem("invalid")
    return row


def complete_reset(token: str, password: str, confirm: str) -> User:
    """Set the new password; the link is consumed atomically and every session of the user ends.

    :raises ResetProblem: the link is invalid, expired or used (also when a concurrent use won).
    :raises ValidationFailed: the password is not acceptable (the link stays usable).
    """
    row = resolve(token)
    check = (password or "", confirm or "")
    if not check[0]:
        raise ValidationFailed("Choose a new password.", field="password")
    accounts.check_new_password(*check)
    now: datetime = utcnow()
    claimed = db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == row.id, PasswordReset.used_at.is_(None), PasswordReset.expires_at > now)
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise ResetProblem("used")
    user = db.session.get(User, row.user_id)
    assert user is not None
    user.password_hash = accounts.hash_password(password)
    db.session.commit()
    ended = accounts.end_all_sessions(user.id)
    log.info("password reset", extra={"event": "password_reset_done", "actor_id": user.id, "sessions_ended": ended})
    return user
