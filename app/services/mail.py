"""Queue emails in the outbox (same transaction as the change behind them) and deliver them by job.

Nothing is lost when SMTP is down: a temporary failure leaves the email pending. RQ retries the job
at 30 s, 2 min, 10 min, 30 min and 1 h; after that the outbox sweep (every 5 minutes) queues another
attempt for every pending email not tried in the last ``SWEEP_RETRY_AFTER``, under an id numbered by
attempt so an old failed job never blocks it. Only a permanent refusal (5xx for the recipient), a
message that cannot be built, or ``MAIL_RETRY_HOURS`` of temporary failures mark an email failed;
``flask --app wsgi mail requeue`` gives failed mail another ``MAIL_RETRY_HOURS``. Nothing is sent
twice: a worker claims the row (pending -> sending) in one UPDATE before it talks to the server.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr

from flask import current_app, render_template
from sqlalchemy import or_, select, update

from app.extensions import db
from app.models import EmailStatus, OutboxEmail
from app.models.base import utcnow
from app.queueing import dispatch
from app.services import brand

log = logging.getLogger(__name__)


CLAIM_TIMEOUT = timedelta(minutes=10)
#: a pending email not tried for this long is queued again by the sweep (after RQ's own retries)
SWEEP_RETRY_AFTER = timedelta(minutes=15)


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
    # a header never carries a line break (a name with a newline must not make the email unsendable)
    subject = " ".join(render_template(f"email/{template}.subject.txt", **context).split())
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
        give_up_at=utcnow() + retry_window(),
    )
    db.session.add(email)
    return email


def retry_window() -> timedelta:
    """How long temporary SMTP failures are retried (``MAIL_RETRY_HOURS``)."""
    return timedelta(hours=int(current_app.config["MAIL_RETRY_HOURS"]))


def enqueue_delivery(email_id: int) -> bool:
    """Ask a worker to deliver one email now; False when the queue is unreachable (the sweep retries)."""
    return dispatch.enqueue_email_delivery(email_id)


def _message(email: OutboxEmail) -> EmailMessage:
    b = brand.current()
    msg = EmailMessage()
    sender = current_app.config["MAIL_FROM"]
    if b.sender_name:  # the brand's name on the configured address
        _, address = parseaddr(sender)
        user, _, domain = address.partition("@")
        sender = Address(display_name=b.sender_name, username=user, domain=domain) if domain else sender
    msg["From"] = sender
    if b.reply_to:
        msg["Reply-To"] = b.reply_to
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
        .values(
            status=EmailStatus.SENDING,
            claimed_at=utcnow(),
            last_attempt_at=utcnow(),
            attempts=OutboxEmail.attempts + 1,
        )
    )
    db.session.commit()
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def deliver(email_id: int) -> EmailStatus:
    """Send one pending email through SMTP (or log it when no SMTP is configured).

    :raises OSError | smtplib.SMTPException: when the server fails for now; the row goes back to
        pending for a retry (or to ``failed`` once its ``give_up_at`` has passed).
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
        message = _message(email)
    except (ValueError, TypeError) as exc:  # e.g. a header that cannot be encoded: no retry can help
        return _failed(email, f"message could not be built: {type(exc).__name__}: {exc}")
    try:
        with smtplib.SMTP(cfg["SMTP_HOST"], int(cfg["SMTP_PORT"]), timeout=float(cfg["SMTP_TIMEOUT_SECONDS"])) as smtp:
            if cfg.get("SMTP_STARTTLS"):
                smtp.starttls(context=ssl.create_default_context())
            if cfg.get("SMTP_USERNAME"):
                smtp.login(cfg["SMTP_USERNAME"], cfg.get("SMTP_PASSWORD") or "")
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _msg in exc.recipients.values()]
        if codes and all(500 <= code < 600 for code in codes):
            # a permanent refusal (e.g. 550 no such mailbox): retrying cannot help; keep the reason
            return _failed(email, f"recipient refused: {exc.recipients}")
        _retry_later(email, exc)
        raise
    except (OSError, smtplib.SMTPException) as exc:
        _retry_later(email, exc)
        raise
    email.status = EmailStatus.SENT
    email.sent_at = utcnow()
    email.last_error = None
    db.session.commit()
    return email.status


def _failed(email: OutboxEmail, reason: str) -> EmailStatus:
    email.last_error = reason[:500]
    email.status = EmailStatus.FAILED
    email.claimed_at = None
    db.session.commit()
    log.warning("email %s failed for good: %s", email.id, email.last_error, extra={"event": "email_failed"})
    return email.status


def _retry_later(email: OutboxEmail, exc: BaseException) -> None:
    """A temporary failure: pending again until ``give_up_at``, then failed (operators can requeue)."""
    email.last_error = f"{type(exc).__name__}: {exc}"[:500]
    give_up_at = email.give_up_at or email.created_at + retry_window()  # rows queued before give_up_at
    gave_up = give_up_at <= utcnow()
    email.status = EmailStatus.FAILED if gave_up else EmailStatus.PENDING
    email.claimed_at = None
    db.session.commit()
    log.warning(
        "email %s delivery failed (attempt %s%s): %s",
        email.id,
        email.attempts,
        ", giving up" if gave_up else "",
        email.last_error,
        extra={"event": "email_failed" if gave_up else "email_retry"},
    )


def release_stale_claims() -> int:
    """Return emails claimed by a worker that died mid-send to ``pending``; returns how many.

    A worker killed after the SMTP server accepted the message but before the row was marked sent can
    cause one repeat; the stable Message-ID (``outbox-<id>``) lets mail clients fold it.
    """
    result = db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.status == EmailStatus.SENDING, OutboxEmail.claimed_at < utcnow() - CLAIM_TIMEOUT)
        .values(status=EmailStatus.PENDING, claimed_at=None, last_attempt_at=None)  # due again at once
    )
    db.session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def due_for_retry(limit: int = 500) -> list[tuple[int, int]]:
    """Pending emails never tried, or not tried for ``SWEEP_RETRY_AFTER``: ``(id, attempts)``, oldest first."""
    stale = utcnow() - SWEEP_RETRY_AFTER
    return [
        (int(email_id), int(attempts))
        for email_id, attempts in db.session.execute(
            select(OutboxEmail.id, OutboxEmail.attempts)
            .where(
                OutboxEmail.status == EmailStatus.PENDING,
                or_(OutboxEmail.last_attempt_at.is_(None), OutboxEmail.last_attempt_at < stale),
            )
            .order_by(OutboxEmail.id)
            .limit(limit)
        )
    ]


def requeue_failed(email_ids: list[int] | None = None) -> list[int]:
    """Failed emails back to pending with a new ``MAIL_RETRY_HOURS`` (all, or ``email_ids``); their ids."""
    stmt = select(OutboxEmail).where(OutboxEmail.status == EmailStatus.FAILED)
    if email_ids is not None:
        stmt = stmt.where(OutboxEmail.id.in_(email_ids))
    rows = list(db.session.execute(stmt.order_by(OutboxEmail.id)).scalars())
    for email in rows:
        email.status = EmailStatus.PENDING
        email.give_up_at = utcnow() + retry_window()
        email.claimed_at = None
    db.session.commit()
    return [e.id for e in rows]
