"""Queue emails in the outbox (same transaction as the change behind them) and deliver them by job."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template
from sqlalchemy import select

from app.extensions import db
from app.models import EmailStatus, OutboxEmail
from app.models.base import utcnow

log = logging.getLogger(__name__)


def queue_email(to: str, kind: str, template: str, **context: object) -> OutboxEmail:
    """Add an email rendered from ``templates/email/<template>.{txt,html}`` to the session.

    The caller commits it together with the change that caused it; ``deliver_pending`` (or the job
    enqueued by ``enqueue_delivery``) sends it afterwards.
    """
    subject = render_template(f"email/{template}.subject.txt", **context).strip()
    text = render_template(f"email/{template}.txt", **context)
    html = render_template(f"email/{template}.html", **context)
    email = OutboxEmail(to_address=to, subject=subject[:255], body_text=text, body_html=html, kind=kind)
    db.session.add(email)
    return email


def enqueue_delivery(email_id: int) -> bool:
    """Ask a worker to deliver one email now; False when the queue is unreachable (the sweep retries)."""
    from app.jobs.queues import enqueue_default

    return enqueue_default("app.jobs.mail.deliver_email", email_id, job_id=f"email-{email_id}")


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


def deliver(email_id: int) -> EmailStatus:
    """Send one pending email through SMTP (or log it when no SMTP is configured).

    :raises OSError | smtplib.SMTPException: when the server fails; the row stays pending for a retry.
    """
    email = db.session.get(OutboxEmail, email_id)
    if email is None or email.status in (EmailStatus.SENT, EmailStatus.LOGGED):
        return email.status if email else EmailStatus.FAILED
    cfg = current_app.config
    if not cfg.get("SMTP_HOST"):
        log.info("email %s to %s not sent (no SMTP_HOST): %s", email.id, email.to_address, email.subject)
        email.status = EmailStatus.LOGGED
        email.sent_at = utcnow()
        db.session.commit()
        return email.status
    email.attempts += 1
    db.session.commit()
    try:
        with smtplib.SMTP(cfg["SMTP_HOST"], int(cfg["SMTP_PORT"]),
                          timeout=float(cfg["SMTP_TIMEOUT_SECONDS"])) as smtp:
            if cfg.get("SMTP_STARTTLS"):
                smtp.starttls(context=ssl.create_default_context())
            if cfg.get("SMTP_USERNAME"):
                smtp.login(cfg["SMTP_USERNAME"], cfg.get("SMTP_PASSWORD") or "")
            smtp.send_message(_message(email))
    except (OSError, smtplib.SMTPException) as exc:
        email.last_error = f"{type(exc).__name__}: {exc}"[:500]
        db.session.commit()
        raise
    email.status = EmailStatus.SENT
    email.sent_at = utcnow()
    email.last_error = None
    db.session.commit()
    return email.status


def pending_ids(limit: int = 500) -> list[int]:
    """Emails still waiting for delivery, oldest first."""
    return list(db.session.execute(
        select(OutboxEmail.id).where(OutboxEmail.status == EmailStatus.PENDING)
        .order_by(OutboxEmail.id).limit(limit)
    ).scalars())
