"""Logins, server-side sessions, throttling, users and invite links."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import Client, ClientStatus, Invite, LoginAttempt, Role, User, UserSession
from app.models.base import utcnow
from app.services import capabilities
from app.services.zones import parse_time_zone

log = logging.getLogger("app.security")

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
# Verified against when the email is unknown, so a miss costs as much time as a hit. A fixed scrypt hash
# (same method and cost as ``hash_password``) of a random password nobody kept: the check's result is
# thrown away, only its cost matters. Hashing one at import cost every process ~0.2 s of CPU at start-up
# (each of the 12 sync workers of the benchmark; bench/README.md, "Sync CPU, third pass").
_DUMMY_HASH = (
    "scrypt:32768:8:1$Kf9ksHFDMkCizDtN$47731a9150f2d57c0bf662f0b8659165a74154cdc73bb03fc5a7122ffe2e086e"
    "9100e9928418abd683d65687c671a9a456f8e4c099888afee0eb26dea6cf3973"
)


def hash_password(password: str) -> str:
    """scrypt (werkzeug's default KDF) with a random salt."""
    return generate_password_hash(password, method="scrypt")


def normalise_email(raw: str) -> str:
    """Validate an address and return it in lower case.

    :raises ValidationFailed: when the address is not a valid email.
    """
    try:
        info = validate_email((raw or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed(f"That email address is not valid: {exc}", field="email") from None
    return info.normalized.lower()


def check_new_password(password: str, confirm: str | None = None) -> None:
    """:raises ValidationFailed: when the password is too short, too long or not confirmed."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"Use at least {MIN_PASSWORD_LENGTH} characters.", field="password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed("That password is too long.", field="password")
    if confirm is not None and confirm != password:
        raise ValidationFailed("The two passwords differ.", field="confirm")


# --- login and throttling --------------------------------------------------------------------


class LoginThrottled(Exception):
    """Too many failed attempts; try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"throttled for {retry_after}s")
        self.retry_after = retry_after


def _throttle_wait(email: str, ip: str) -> int:
    """Seconds to wait before another attempt for this email or IP, 0 when allowed."""
    cfg = current_app.config
    window = timedelta(minutes=int(cfg["LOGIN_WINDOW_MINUTES"]))
    limit = int(cfg["LOGIN_MAX_FAILURES"])
    checks = ((LoginAttempt.email, email, limit), (LoginAttempt.ip, ip, limit * 5))
    return capabilities.throttle_wait(LoginAttempt.at, checks, window, LoginAttempt.succeeded.is_(False))


class LoginDisabled(Exception):
    """The password is right but staff disabled this login (told only to whoever knows the password)."""


def authenticate(email: str, password: str, ip: str) -> User | None:
    """The user for these credentials, or None; every attempt is recorded.

    :raises LoginThrottled: when this email or IP failed too often in the window.
    :raises LoginDisabled: when the credentials match a disabled login (recorded as a failure).
    """
    email = (email or "").strip().lower()[:254]
    ip = (ip or "unknown")[:64]
    wait = _throttle_wait(email, ip)
    if wait > 0:
        log.warning("login throttled", extra={"event": "login_throttled", "ip": ip})
        raise LoginThrottled(wait)
    user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    ok = False
    if user is not None and user.password_hash:
        ok = check_password_hash(user.password_hash, password or "")
    else:
        check_password_hash(_DUMMY_HASH, password or "")
    disabled = ok and user is not None and not user.is_active
    ok = ok and user is not None and user.is_active
    db.session.add(LoginAttempt(email=email, ip=ip, succeeded=ok))
    if ok and user is not None:
        user.last_login_at = utcnow()
    db.session.commit()
    log.info(
        "login %s",
        "succeeded" if ok else "failed",
        extra={
            "event": "login_success" if ok else "login_failure",
            "actor_id": user.id if ok and user else None,
            "ip": ip,
        },
    )
    if disabled:
        raise LoginDisabled
    return user if ok else None


def record_failure(email: str, ip: str) -> None:
    """Count a failed password check made outside the login form (e.g. a wrong current password)."""
    db.session.add(LoginAttempt(email=email.lower()[:254], ip=(ip or "unknown")[:64], succeeded=False))
    db.session.commit()


# --- server-side sessions (A5) ---------------------------------------------------------------


def start_session(user: User, user_agent: str | None) -> str:
    """Create a server-side session for ``user``; returns the raw id to put in the signed cookie."""
    raw = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(token_hash=capabilities.sha256(raw), user_id=user.id, user_agent=(user_agent or "")[:255])
    )
    db.session.commit()
    return raw


def session_user(raw: str | None, user_id: int) -> User | None:
    """The active user of a live session, or None when it was ended, expired or the user disabled."""
    if not raw:
        return None
    # one read: the session with its user, and a client user's client record with its deliverables (pages
    # read its time zone, app/web/times.py, and the portal its client, app/services/clients.py, without
    # another query)
    row = (
        db.session.execute(
            select(UserSession.created_at, User)
            .join(User, User.id == UserSession.user_id)
            .where(UserSession.token_hash == capabilities.sha256(raw), UserSession.user_id == user_id)
            .options(joinedload(User.client).joinedload(Client.deliverables))
        )
        .unique()
        .one_or_none()
    )
    if row is None:
        return None
    created_at, user = row._tuple()
    max_age = timedelta(hours=int(current_app.config["SESSION_MAX_HOURS"]))
    if created_at + max_age < utcnow():
        return None
    if not user.is_active:
        return None
    return user


def end_session(raw: str | None) -> None:
    """Delete one server-side session (logout)."""
    if raw:
        db.session.execute(delete(UserSession).where(UserSession.token_hash == capabilities.sha256(raw)))
        db.session.commit()


def end_all_sessions(user_id: int) -> int:
    """Delete every session of a user (disable, password change); returns how many ended."""
    result = db.session.execute(delete(UserSession).where(UserSession.user_id == user_id))
    db.session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def end_other_sessions(user_id: int, keep_raw: str | None) -> int:
    """Delete every session of a user but the one carried by ``keep_raw``; returns how many ended."""
    stmt = delete(UserSession).where(UserSession.user_id == user_id)
    if keep_raw:
        stmt = stmt.where(UserSession.token_hash != capabilities.sha256(keep_raw))
    result = db.session.execute(stmt)
    db.session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def set_active(user: User, active: bool) -> None:
    """Enable or disable a login; disabling ends its sessions at once (ASVS 7.4.2)."""
    user.is_active = active
    db.session.commit()
    if not active:
        end_all_sessions(user.id)


def logins(*, q: str = "") -> list[User]:
    """Every login for the admins' user page: staff first, then clients, by name."""
    stmt = select(User)
    q = (q or "").strip()
    if q:
        pattern = f"%{q.lower()}%"
        stmt = stmt.where(func.lower(User.name).like(pattern) | func.lower(User.email).like(pattern))
    order = {Role.ADMIN: 0, Role.COACH: 1, Role.CLIENT: 2}
    found = list(db.session.execute(stmt.order_by(User.name, User.id)).scalars())
    return sorted(found, key=lambda u: order[u.role])


def change_active(actor: User, user_id: int, active: bool) -> User:
    """An admin disables (sessions end at once) or re-enables another user's login.

    :raises Forbidden: the actor is not an admin, or disables themselves.
    :raises NotFound: no such user.
    """
    if actor.role is not Role.ADMIN:
        raise Forbidden("Only admins can disable or enable a login.")
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    if user.id == actor.id and not active:
        raise Forbidden("You cannot disable your own login.")
    set_active(user, active)
    log.info(
        "login %s",
        "enabled" if active else "disabled",
        extra={"event": "user_enabled" if active else "user_disabled", "actor_id": actor.id, "user_id": user.id},
    )
    return user


def change_password(user: User, current: str, password: str, confirm: str, *, keep_session: str | None, ip: str) -> int:
    """Set a new password after checking the current one; every other session of the user ends.

    Returns how many other sessions ended. A wrong current password counts as a failed login, so the
    login throttle also limits guessing here.

    :raises LoginThrottled: too many failures for this email or IP.
    :raises ValidationFailed: wrong current password (field ``current``) or an unacceptable new one.
    """
    wait = _throttle_wait(user.email, (ip or "unknown")[:64])
    if wait > 0:
        raise LoginThrottled(wait)
    if not current:
        raise ValidationFailed("Enter your current password.", field="current")
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        record_failure(user.email, ip)
        raise ValidationFailed("That is not your current password.", field="current")
    check_new_password(password, confirm)
    user.password_hash = hash_password(password)
    db.session.commit()
    ended = end_other_sessions(user.id, keep_session)
    log.info("password changed", extra={"event": "password_changed", "actor_id": user.id})
    return ended


# --- users -----------------------------------------------------------------------------------


def create_user(
    email: str,
    name: str,
    role: Role | str,
    password: str | None = None,
    coach: User | None = None,
    *,
    commit: bool = True,
) -> User:
    """Create a login; a client user gets its client profile.

    :raises ValidationFailed: bad email, name, role or password.
    :raises Conflict: the email is taken.
    """
    email = normalise_email(email)
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise ValidationFailed("Give a name of 1 to 120 characters.", field="name")
    try:
        role = Role(role)
    except ValueError:
        raise ValidationFailed("Role must be admin, coach or client.", field="role") from None
    if password is not None:
        check_new_password(password)
    if db.session.execute(select(func.count()).select_from(User).where(User.email == email)).scalar():
        raise Conflict("A user with that email already exists.", field="email")
    user = User(email=email, name=name, role=role, password_hash=hash_password(password) if password else None)
    db.session.add(user)
    if role is Role.CLIENT:
        db.session.add(Client(user=user, display_name=name, coach=coach, status=ClientStatus.ONBOARDING))
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return user


# --- invites ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class InviteProblem(Exception):
    """Why an invite link cannot be used; ``reason`` is one of invalid, expired, used."""

    reason: str

    @property
    def message(self) -> str:
        return {
            "invalid": "This invite link is not valid. Ask your coach for a new one.",
            "expired": "This invite link has expired. Ask your coach to send a new one.",
            "used": "This invite link was already used. Log in with your password instead.",
        }[self.reason]


INVITE_SALT = "invite-v1"


def create_invite(user: User, invited_by: User | None) -> str:
    """Issue a single-use link token for ``user``; older unused invites of the user stop working."""
    db.session.execute(
        update(Invite).where(Invite.user_id == user.id, Invite.used_at.is_(None)).values(expires_at=utcnow())
    )
    nonce, nonce_hash = capabilities.new_nonce()
    ttl = timedelta(hours=int(current_app.config["INVITE_TTL_HOURS"]))
    invite = Invite(
        user_id=user.id,
        token_hash=nonce_hash,
        invited_by_id=invited_by.id if invited_by else None,
        expires_at=utcnow() + ttl,
    )
    db.session.add(invite)
    db.session.flush()
    return capabilities.link_token(INVITE_SALT, invite.id, nonce)


def resolve_invite(token: str) -> Invite:
    """The invite behind a link token, checked for signature, expiry and reuse.

    :raises InviteProblem: with the reason the link cannot be used.
    """
    parsed = capabilities.read_link_token(INVITE_SALT, token)
    if parsed is None:
        raise InviteProblem("invalid")
    invite_id, nonce = parsed
    invite = db.session.get(Invite, invite_id)
    if invite is None or not capabilities.nonce_matches(invite.token_hash, nonce):
        raise InviteProblem("invalid")
    if invite.used_at is not None:
        raise InviteProblem("used")
    if invite.expires_at <= utcnow():
        raise InviteProblem("expired")
    return invite


def accept_invite(token: str, password: str, confirm: str) -> User:
    """Set the password of an invited user; the link is consumed atomically (single use).

    :raises InviteProblem: the link is invalid, expired or used (also when a concurrent use won).
    :raises ValidationFailed: the password is not acceptable (the link stays usable).
    """
    invite = resolve_invite(token)
    check_new_password(password, confirm)
    now: datetime = utcnow()
    claimed = db.session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.used_at.is_(None), Invite.expires_at > now)
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise InviteProblem("used")
    user = db.session.get(User, invite.user_id)
    assert user is not None
    user.password_hash = hash_password(password)
    db.session.commit()
    end_all_sessions(user.id)
    log.info("invite accepted", extra={"event": "invite_accepted", "actor_id": user.id})
    return user


def set_time_zone(user: User, raw: str | None) -> str:
    """Staff choose the zone they read times in. :raises ValidationFailed: for names outside the IANA list."""
    if not user.is_staff:
        raise ValidationFailed("Your time zone is your client record's; your coach can change it.", field="time_zone")
    user.time_zone = parse_time_zone(raw)
    db.session.commit()
    return user.time_zone
