"""How long each kind of row is kept, and the daily purge of what has outlived it (D5).

Every table has a rule (docs/operations.md, "Retention" lists them all). The rules here are the ones
for bookkeeping rows that nothing deletes in the normal course of things: sessions, login attempts,
pending authorizations, invites, sync runs, sent mail, alerts, cooldowns, deletion requests, the
operations console's alerts and actions. Raw
platform answers (``app.jobs.sync.purge_raw_responses``, 30 days) and reports (``app.reports.service
.purge``, 90 days) have purges of their own; the synced history lives as long as its connection.

Outbox bodies go first: a delivered email's body holds the invite or report link it carried, a
capability, so it is blanked after ``OUTBOX_BODY_DAYS`` while the row (who, what, when) stays for
``OUTBOX_DAYS``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Delete, delete, func, or_, select, update

from app.extensions import db
from app.models import (
    Alert,
    AlertCooldown,
    DataDeletionRequest,
    EmailStatus,
    Invite,
    LoginAttempt,
    OAuthState,
    OpsAlert,
    OutboxEmail,
    PasswordReset,
    UserSession,
    WorkAction,
    XComplianceJob,
)
from app.models.base import utcnow
from app.models.sync import SyncRun, SyncStatus

log = logging.getLogger(__name__)

LOGIN_ATTEMPT_DAYS = 30  # the throttle needs 15 minutes; the rest is the audit trail
OAUTH_STATE_DAYS = 1  # pending authorizations live 10 minutes
INVITE_DAYS = 30  # after their expiry or use
PASSWORD_RESET_DAYS = 30  # requests (the throttle needs 1 hour) and links (they live 60 minutes)
SYNC_RUN_DAYS = 90  # but each connection's latest successful run is kept (incremental syncs start there)
OUTBOX_BODY_DAYS = 3  # a delivered email's links (invites live 72 h) are removed from its body
OUTBOX_DAYS = 90
ALERT_DAYS = 365  # the feed's history; receipts go with their alert
COOLDOWN_DAYS = 30  # cooldowns last 7 days
DELETION_REQUEST_DAYS = 365  # completed ones: the proof that a platform's request was honoured
OPS_DAYS = 90  # alerts to admins, and retries/discards (the failures they name are gone by then)

REMOVED_BODY = "[Removed after delivery: the message held a sign-in or report link.]"


def purge(now: datetime | None = None) -> dict[str, int]:
    """Apply every rule; returns the rows deleted (or bodies blanked) per rule."""
    now = now or utcnow()
    session_hours = int(current_app.config["SESSION_MAX_HOURS"])
    counts: dict[str, int] = {}
    steps: list[tuple[str, Delete]] = [
        ("user_sessions", delete(UserSession).where(UserSession.created_at < now - timedelta(hours=session_hours))),
        ("login_attempts", delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(days=LOGIN_ATTEMPT_DAYS))),
        ("oauth_states", delete(OAuthState).where(OAuthState.expires_at < now - timedelta(days=OAUTH_STATE_DAYS))),
        (
            "password_resets",
            delete(PasswordReset).where(
                func.coalesce(PasswordReset.used_at, PasswordReset.expires_at)
                < now - timedelta(days=PASSWORD_RESET_DAYS),
            ),
        ),
        (
            "invites",
            delete(Invite).where(
                func.coalesce(Invite.used_at, Invite.expires_at) < now - timedelta(days=INVITE_DAYS),
            ),
        ),
        ("sync_runs", _old_sync_runs(now)),
        (
            "outbox_emails",
            delete(OutboxEmail).where(
                OutboxEmail.created_at < now - timedelta(days=OUTBOX_DAYS),
                OutboxEmail.status.in_([EmailStatus.SENT, EmailStatus.LOGGED, EmailStatus.FAILED]),
            ),
        ),
        ("alerts", delete(Alert).where(Alert.created_at < now - timedelta(days=ALERT_DAYS))),
        (
            "alert_cooldowns",
            delete(AlertCooldown).where(AlertCooldown.last_fired_at < now - timedelta(days=COOLDOWN_DAYS)),
        ),
        (
            "data_deletion_requests",
            delete(DataDeletionRequest).where(
                DataDeletionRequest.status == "completed",
                DataDeletionRequest.completed_at < now - timedelta(days=DELETION_REQUEST_DAYS),
            ),
        ),
        ("ops_alerts", delete(OpsAlert).where(OpsAlert.created_at < now - timedelta(days=OPS_DAYS))),
        ("ops_work_actions", delete(WorkAction).where(WorkAction.at < now - timedelta(days=OPS_DAYS))),
        # X's compliance jobs: what each removed, 90 days (an open one is given up after 20 h anyway)
        ("x_compliance_jobs", delete(XComplianceJob).where(XComplianceJob.created_at < now - timedelta(days=OPS_DAYS))),
    ]
    for name, stmt in steps:
        counts[name] = int(db.session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]
    counts["outbox_bodies"] = _blank_delivered_bodies(now)
    db.session.commit()
    log.info("retention purge", extra={"event": "retention_purge", **{f"n_{k}": v for k, v in counts.items()}})
    return counts


def _old_sync_runs(now: datetime) -> Delete:
    """Finished runs older than ``SYNC_RUN_DAYS``, except each connection's latest successful one."""
    latest_ok = (
        select(func.max(SyncRun.id))
        .where(SyncRun.status.in_([SyncStatus.SUCCEEDED.value, SyncStatus.PARTIAL.value]))
        .group_by(SyncRun.connection_id)
    )
    return delete(SyncRun).where(
        SyncRun.queued_at < now - timedelta(days=SYNC_RUN_DAYS),
        SyncRun.status != SyncStatus.RUNNING.value,
        SyncRun.id.not_in(latest_ok),
    )


def _blank_delivered_bodies(now: datetime) -> int:
    """Remove the bodies (their links are capabilities) of emails delivered or given up on a while ago."""
    result = db.session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.status.in_([EmailStatus.SENT, EmailStatus.LOGGED, EmailStatus.FAILED]),
            OutboxEmail.created_at < now - timedelta(days=OUTBOX_BODY_DAYS),
            or_(OutboxEmail.body_text != REMOVED_BODY, OutboxEmail.body_html.is_not(None)),
        )
        .values(body_text=REMOVED_BODY, body_html=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
