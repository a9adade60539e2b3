"""Queue emails in the outbox (same transaction as the change behind them) and deliver them by job."""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template
from sqlalchemy import select, update

from app.extensions import db
from app.models import EmailStatus, OutboxEmail
from app.models.base import utcnow
from app.queueing import dispatch

log = logging.getLogger(__name__)


MAX_ATTEMPTS = 6
CLAIM_TIMEOUT = timedelta(minutes=10)


def queue_email(
    to: str,
    kind: str,
    template: str,
    *,
    idempotency_key: str | None = None,
    user_id: int | None = None,
    **context: object,
) -> OutboxEmail:
    """Add an email rendered from ``templates/email/<template>.{txt,html}`` to the session.

    The caller commits it together with the change that caused it; the job enqueued by
    ``enqueue_delivery`` (or the outbox sweep) sends it afterwards. With an ``idempotency_key`` an email
    already queued under that key is returned instead of a second one (a re-run never emails twice).
    """
    if idempotency_key:
        existing = db.session.execute(
            select(OutboxEmail).where(OutboxEmail.idempotency_key == idempotency_key)
        ).scalar_one_or_none()
        if existing is not None:
            return existing
    subject = render_template(f"email/{template}.subject.txt", **context).strip()
    text = render_template(f"email/{template}.txt", **context)
    html = render_template(f"email/{template}.html", **context)
    email = OutboxEmail(
        to_address=to,
        subject=subject[:255],
        body_text=text,
        body_html=html,
        kind=kind,
        idempotency_key=idempotency_key,
        user_id=user_id,
    )
    db.session.add(email)
    return email


def enqueue_delivery(email_id: int) -> bool:
    """Ask a worker to deliver one email now; False when the queue is unreachable (the sweep retries)."""
    return dispatch.enqueue_email_delivery(email_id)


def _message(email: OutboxEmail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = email.to_address
    msg["Subject"] = email.subject
    msg["Message-ID"] = make_msgid(idstring=f"outbox-{email.id}")
    msg.set_content(email.body_text)
    if email.body_html:
        msg.add_alternative(email.body_html, subtype="html")
    return msg


def _claim(email_id: int) -> bool:
    """Move a pending email to ``sending`` atomically, so two workers never both send it."""
    result = db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == email_id, OutboxEmail.status == EmailStatus.PENDING)
        .values(status=EmailStatus.SENDING, claimed_at=utcnow(), attempts=OutboxEmail.attempts + 1)
    )
    db.session.commit()
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def deliver(email_id: int) -> EmailStatus:
    """Send one pending email through SMTP (or log it when no SMTP is configured).

    :raises OSError | smtplib.SMTPException: when the server fails; the row goes back to pending for a
        retry (or to ``failed`` after ``MAX_ATTEMPTS``).
    """
    if not _claim(email_id):
        email = db.session.get(OutboxEmail, email_id)
        return email.status if email else EmailStatus.FAILED  # already sent, sending elsewhere, or gone
    email = db.session.get(OutboxEmail, email_id)
    assert email is not None
    cfg = current_app.config
    if not cfg.get("SMTP_HOST"):
        log.info("email %s to %s not sent (no SMTP_HOST): %s", email.id, email.to_address, email.subject)
        email.status = EmailStatus.LOGGED
        email.sent_at = utcnow()
        db.session.commit()
        return email.status
    try:
        with smtplib.SMTP(cfg["SMTP_HOST"], int(cfg["SMTP_PORT"]), timeout=float(cfg["SMTP_TIMEOUT_SECONDS"])) as smtp:
            if cfg.get("SMTP_STARTTLS"):
                smtp.starttls(context=ssl.create_default_context())
            if cfg.get("SMTP_USERNAME"):
                smtp.login(cfg["SMTP_USERNAME"], cfg.get("SMTP_PASSWORD") or "")
            smtp.send_message(_message(email))
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _msg in exc.recipients.values()]
        if codes and all(500 <= code < 600 for code in codes):
            # a permanent refusal (e.g. 550 no such mailbox): retrying cannot help; keep the reason
            email.last_error = f"recipient refused: {exc.recipients}"[:500]
            email.status = EmailStatus.FAILED
            email.claimed_at = None
            db.session.commit()
            log.warning("email %s permanently refused: %s", email.id, email.last_error)
            return email.status
        email.last_error = f"{type(exc).__name__}: {exc}"[:500]
        email.status = EmailStatus.FAILED if email.attempts >= MAX_ATTEMPTS else EmailStatus.PENDING
        email.claimed_at = None
        db.session.commit()
        raise
    except (OSError, smtplib.SMTPException) as exc:
        email.last_error = f"{type(exc).__name__}: {exc}"[:500]
        email.status = EmailStatus.FAILED if email.attempts >= MAX_ATTEMPTS else EmailStatus.PENDING
        email.claimed_at = None
        db.session.commit()
        log.warning("email %s delivery failed (attempt %s): %s", email.id, email.attempts, email.last_error)
        raise
    email.status = EmailStatus.SENT
    email.sent_at = utcnow()
    email.last_error = None
    db.session.commit()
    return email.status


def release_stale_claims() -> int:
    """Return emails claimed by a worker that died mid-send to ``pending``; returns how many.

    A worker killed after the SMTP server accepted the message but before the row was marked sent can
    cause one repeat; the stable Message-ID (``outbox-<id>``) lets mail clients fold it.
    """
    result = db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.status == EmailStatus.SENDING, OutboxEmail.claimed_at < utcnow() - CLAIM_TIMEOUT)
        .values(status=EmailStatus.PENDING, claimed_at=None)
    )
    db.session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def pending_ids(limit: int = 500) -> list[int]:
    """Emails still waiting for delivery, oldest first."""
    return list(
        db.session.execute(
            select(OutboxEmail.id)
            .where(OutboxEmail.status == EmailStatus.PENDING)
            .order_by(OutboxEmail.id)
            .limit(limit)
        ).scalars()
    )
