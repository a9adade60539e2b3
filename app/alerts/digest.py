"""The daily digest for users who chose it: every alert deferred to it since the last one, one email.

Receipts waiting for the digest (``email == "digest"``) move to ``digested`` in the same transaction
that queues the email (idempotency key ``digest:<user>:<date>``), so a re-run sends nothing twice and a
crash before the commit loses nothing.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.alerts.service import valid_address
from app.extensions import db
from app.models import Alert, AlertReceipt, Client, NotificationPreference, User
from app.models.base import utcnow
from app.services import mail, notifications
from app.services.urls import absolute_url


def send_digest(user_id: int, day: date | None = None) -> int | None:
    """Queue one user's digest; returns the outbox id, or None when there was nothing to send."""
    user = db.session.get(User, user_id)
    if user is None:
        return None
    rows = list(
        db.session.execute(
            select(AlertReceipt, Alert, Client.display_name)
            .join(Alert, Alert.id == AlertReceipt.alert_id)
            .join(Client, Client.id == Alert.client_id)
            .where(AlertReceipt.user_id == user.id, AlertReceipt.email == "digest")
            .order_by(Alert.created_at, Alert.id)
        )
    )
    if not rows:
        return None
    day = day or utcnow().date()
    if not valid_address(user.email):
        for receipt, _, _ in rows:
            receipt.email = "invalid_address"
        db.session.commit()
        return None
    items = [
        {
            "alert": a,
            "client_name": name,
            "url": absolute_url("admin.client_detail", client_id=a.client_id)
            if user.is_staff
            else absolute_url("portal.notifications"),
        }
        for _, a, name in rows
    ]
    email = mail.queue_email(
        user.email,
        "alert_digest",
        "alert_digest",
        idempotency_key=f"digest:{user.id}:{day}",
        user_id=user.id,
        user=user,
        items=items,
        day=day,
        feed_url=absolute_url("admin.alerts_feed" if user.is_staff else "portal.notifications"),
        unsubscribe_url=notifications.unsubscribe_url(user),
        settings_url=absolute_url("settings.notifications_page"),
    )
    db.session.flush()
    for receipt, _, _ in rows:
        receipt.email, receipt.email_id = "digested", email.id
    pref = db.session.get(NotificationPreference, user.id)
    if pref is not None:
        pref.last_digest_at = utcnow()
    db.session.commit()
    mail.enqueue_delivery(email.id)
    return email.id


def users_with_pending_digest() -> list[int]:
    return list(
        db.session.execute(
            select(AlertReceipt.user_id).where(AlertReceipt.email == "digest").distinct().order_by(AlertReceipt.user_id)
        ).scalars()
    )
