"""Email delivery jobs."""

from __future__ import annotations

from app.models import EmailStatus
from app.queueing import dispatch
from app.services import mail


def deliver_email(email_id: int) -> str:
    """Deliver one outbox email; an SMTP failure raises so RQ retries it later."""
    status: EmailStatus = mail.deliver(email_id)
    return status.value


def sweep_outbox() -> int:
    """Re-enqueue emails still pending (enqueue failed, Redis lost the job, or RQ's retries are spent
    during a long SMTP outage); returns how many."""
    mail.release_stale_claims()
    count = 0
    for email_id, attempts in mail.due_for_retry():
        if dispatch.enqueue_email_delivery(email_id, again=str(attempts) if attempts else None):
            count += 1
    return count
