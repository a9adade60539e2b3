"""Per-user email preferences for alerts, and signed one-purpose unsubscribe links."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.errors import ValidationFailed
from app.extensions import db
from app.models import AlertType, EmailMode, NotificationPreference, User
from app.models.alert import ALERT_TYPE_LABELS as ALERT_TYPE_LABELS_BY_TYPE
from app.services.urls import absolute_url

ALERT_TYPES: tuple[str, ...] = tuple(t.value for t in AlertType)
ALERT_TYPE_LABELS: dict[str, str] = {t.value: label for t, label in ALERT_TYPE_LABELS_BY_TYPE.items()}


@dataclass(frozen=True)
class Preferences:
    email_mode: EmailMode
    muted_types: frozenset[str]


def preferences_for(user: User) -> Preferences:
    """The user's preferences; without a row, every alert type by immediate email."""
    row = db.session.get(NotificationPreference, user.id)
    if row is None:
        return Preferences(EmailMode.IMMEDIATE, frozenset())
    return Preferences(EmailMode(row.email_mode), frozenset(row.muted_types or ()))


def email_mode_for(user: User, alert_type: str) -> EmailMode:
    """How ``user`` wants an alert of ``alert_type`` by email (OFF when muted or unsubscribed)."""
    prefs = preferences_for(user)
    if prefs.email_mode is EmailMode.OFF or alert_type in prefs.muted_types:
        return EmailMode.OFF
    return prefs.email_mode


def update_preferences(user: User, email_mode: str, muted_types: list[str]) -> Preferences:
    """:raises ValidationFailed: an unknown mode or alert type."""
    try:
        mode = EmailMode(email_mode)
    except ValueError:
        raise ValidationFailed("Pick how you want alert emails.", field="email_mode") from None
    unknown = set(muted_types) - set(ALERT_TYPES)
    if unknown:
        raise ValidationFailed("Unknown alert type.", field="muted_types")
    row = db.session.get(NotificationPreference, user.id)
    if row is None:
        row = NotificationPreference(user_id=user.id)
        db.session.add(row)
    row.email_mode = mode.value
    row.muted_types = sorted(set(muted_types))
    db.session.commit()
    return preferences_for(user)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="unsubscribe-v1")


def unsubscribe_url(user: User) -> str:
    """A link that can only turn alert emails off for this one user (it logs nobody in)."""
    return absolute_url("settings.unsubscribe", token=_serializer().dumps({"u": user.id}))


def user_for_unsubscribe(token: str) -> User | None:
    """The user a valid unsubscribe token names, or None for a forged or malformed one."""
    try:
        user_id = int(_serializer().loads(token)["u"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    return db.session.get(User, user_id)


def unsubscribe(user: User) -> None:
    """Turn every alert email off for ``user`` (the in-app feed stays)."""
    prefs = preferences_for(user)
    update_preferences(user, EmailMode.OFF.value, sorted(prefs.muted_types))
