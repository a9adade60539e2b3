""" "Send Congratulations" and "Contact Client": a prefilled email the coach edits, sent via the outbox.

The form carries a random nonce; the idempotency key ``compose:<coach>:<nonce>`` makes a double submit
(or a retried POST) queue one email.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from app.alerts.service import valid_address
from app.errors import ValidationFailed
from app.extensions import db
from app.models import Alert, AlertType, Client, OutboxEmail, User
from app.services import mail
from app.services.urls import absolute_url

KINDS = ("congratulate", "contact")
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class Draft:
    kind: str
    to: str
    subject: str
    body: str
    nonce: str


def draft(coach: User, client: Client, kind: str, alert: Alert | None) -> Draft:
    """The prefilled message. :raises ValidationFailed: an unknown kind."""
    if kind not in KINDS:
        raise ValidationFailed("Unknown message kind.", field="kind")
    first = client.display_name.split(" ")[0] if client.display_name else "there"
    if kind == "congratulate":
        what = alert.title if alert is not None and alert.type == AlertType.MILESTONE.value else "your recent growth"
        subject = f"Congratulations on {what[0].lower() + what[1:] if what else what}!"
        body = (
            f"Hi {first},\n\nCongratulations on {what[0].lower() + what[1:]}! "
            f"{alert.message if alert is not None else ''}\n\nThe work is paying off. Let's keep the momentum "
            f"going in our next session.\n\nSee your numbers: {absolute_url('portal.home')}"
        )
    else:
        subject = "Checking in on your social growth"
        detail = f"\n\nI noticed: {alert.message}" if alert is not None else ""
        body = (
            f"Hi {first},\n\nI wanted to check in on how things are going with your content.{detail}\n\n"
            f"Could we find 20 minutes this week to look at it together?"
        )
    return Draft(kind, _address(client), subject, body, secrets.token_urlsafe(18))


def as_typed(client: Client, kind: str, subject: str, body: str, nonce: str) -> Draft:
    """The form as the coach sent it, shown again with the error when ``send`` refused it."""
    return Draft(kind, _address(client), subject, body, nonce)


def _address(client: Client) -> str:
    return client.user.email if client.user else ""


def send(coach: User, client: Client, kind: str, subject: str, body: str, nonce: str) -> OutboxEmail:
    """Queue the edited message to the client (one per nonce) and commit.

    :raises ValidationFailed: empty or too long fields, a bad nonce, or a client address that cannot be
        mailed (nothing is queued).
    """
    if kind not in KINDS:
        raise ValidationFailed("Unknown message kind.", field="kind")
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject or len(subject) > 200 or "\n" in subject or "\r" in subject:
        raise ValidationFailed("Write a one-line subject (up to 200 characters).", field="subject")
    if not body or len(body) > 10_000:
        raise ValidationFailed("Write a message (up to 10,000 characters).", field="body")
    if not _NONCE.match(nonce or ""):
        raise ValidationFailed("The form expired; open it again.", field="nonce")
    to = _address(client)
    if not valid_address(to):
        raise ValidationFailed("This client's email address cannot receive mail; fix it first.", field="to")
    email = mail.queue_email(
        to,
        f"coach_{kind}",
        "coach_message",
        idempotency_key=f"compose:{coach.id}:{nonce}",
        user_id=client.user_id,
        subject=subject,
        body=body,
        coach_name=coach.name,
    )
    db.session.commit()
    mail.enqueue_delivery(email.id)
    return email
