"""Evaluate the rules for one connection, record alerts once (database-enforced), fan out, queue emails.

An alert, its receipts and its emails are written in one transaction (the outbox): if the process dies
before the commit nothing happened, after it the outbox sweep delivers. Dedup is two database facts:
the unique ``alerts.dedup_key`` (inserted with ON CONFLICT DO NOTHING) and the ``alert_cooldowns`` row
that only one transaction can move forward (conditional UPDATE, or INSERT ON CONFLICT DO NOTHING).

Who hears about an alert (docs/alerts.md): the client's coach; when the client has no (active) coach,
every active admin, so nothing goes unheard; the client themselves for their own milestones and
connection problems. Admins see every alert in the feed regardless.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from app.alerts import causes, rules
from app.alerts.rules import COOLDOWN, Candidate
from app.extensions import db
from app.models import (
    Alert,
    AlertCooldown,
    AlertReceipt,
    AlertType,
    Client,
    Connection,
    ConnectionStatus,
    EmailMode,
    Role,
    Severity,
    User,
)
from app.models.base import utcnow
from app.models.platforms import PLATFORM_NAMES
from app.services import mail, notifications
from app.services.transaction import dialect_insert
from app.services.urls import absolute_url
from app.stats.content import load_posts
from app.stats.milestones import progress
from app.stats.query import Period
from app.stats.series import load_histories, openings

log = logging.getLogger(__name__)

#: the alert types a client hears about (their own milestones and connection problems)
CLIENT_TYPES = frozenset({AlertType.MILESTONE.value, AlertType.CONNECTION_LOST.value, AlertType.TOKEN_EXPIRING.value})
LOST_STATUSES = frozenset(
    {
        ConnectionStatus.REVOKED.value,
        ConnectionStatus.INSUFFICIENT_SCOPE.value,
        ConnectionStatus.EXPIRED.value,
        ConnectionStatus.DECRYPT_ERROR.value,
    }
)
POSTS_LOOKBACK_DAYS = 14 + 90  # the causes' recent window plus its baseline
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\"]+$")


def valid_address(address: str | None) -> bool:
    """A plain ``local@domain.tld`` without header-breaking characters (a bad one is never queued)."""
    return bool(address) and len(address or "") <= 254 and bool(_ADDRESS.match(address or ""))


# --------------------------------------------------------------------------- evaluation


def candidates_for(conn: Connection, today: date) -> list[Candidate]:
    """Every rule for one connection against its client's history up to ``today``."""
    out: list[Candidate] = []
    status_alert = connection_candidate(conn, today)
    if status_alert is not None:
        out.append(status_alert)
    if not conn.is_live:
        return out
    stale = rules.data_stale(conn, utcnow(), today)
    if stale is not None:
        out.append(stale)
    live = list(
        db.session.execute(
            select(Connection).where(Connection.client_id == conn.client_id, Connection.disconnected_at.is_(None))
        ).scalars()
    )
    history = load_histories(live).get(conn.client_id)
    acc = next((a for a in history.accounts if a.connection.id == conn.id), None) if history else None
    if history is None or acc is None:
        return out
    d = rules.evaluation_day(acc, today)
    if d is None:
        return out  # nothing measured yet (or only backfilled history): silence
    posts = load_posts([conn], Period("alerts", d, d - timedelta(days=POSTS_LOOKBACK_DAYS)))
    opening = openings([a.connection.id for a in history.accounts], d)
    for found in (
        rules.milestone_platform(conn.client_id, acc, d, opening),
        rules.milestone_total(conn.client_id, history, d, opening),
        rules.growth(conn.client_id, acc, d),
        rules.low_engagement(conn.client_id, acc, d, posts),
    ):
        if found is None:
            continue
        if found.type is AlertType.GROWTH_DECLINE:
            found = replace(found, details={**found.details, **causes.likely_causes(posts, d)})
        if found.type is AlertType.MILESTONE:  # "+234 in the last 7 days", "+104% since starting"
            start = conn.client.program_start
            found = replace(found, details={**found.details, **progress(history, d, start, found.platform)})
        out.append(found)
    return out


def connection_candidate(conn: Connection, today: date, kind: str | None = None) -> Candidate | None:
    """TOKEN_EXPIRING (status ``expiring``) or CONNECTION_LOST (revoked, scopes lost, expired)."""
    name = PLATFORM_NAMES.get(conn.platform, conn.platform)
    handle = f" (@{conn.username})" if conn.username else ""
    if kind == "token_expiring" or (kind is None and conn.status == ConnectionStatus.EXPIRING.value):
        return Candidate(
            AlertType.TOKEN_EXPIRING,
            Severity.WARNING,
            conn.client_id,
            conn.id,
            conn.platform,
            today,
            f"{name} connection expires soon",
            f"The {name} connection{handle} ends within 7 days and cannot be renewed "
            f"automatically; the client needs to reconnect.",
            {"status": conn.status, "reason": "expiring"},
        )
    if kind in ("connection_revoked", "connection_expired") or (kind is None and conn.status in LOST_STATUSES):
        reason = {"connection_expired": "expired"}.get(kind or "", conn.status)
        return Candidate(
            AlertType.CONNECTION_LOST,
            Severity.CRITICAL,
            conn.client_id,
            conn.id,
            conn.platform,
            today,
            f"{name} connection lost",
            f"The {name} connection{handle} stopped working ({reason.replace('_', ' ')}); "
            f"no data is synced until the client reconnects.",
            {"status": conn.status, "reason": reason},
        )
    return None


def evaluate_connection(connection_id: int, today: date | None = None) -> list[int]:
    """Evaluate every rule for one connection; returns the ids of the alerts raised (idempotent)."""
    conn = db.session.get(Connection, connection_id)
    if conn is None:
        return []
    day = today or utcnow().date()
    found = candidates_for(conn, day)
    db.session.rollback()  # end the read transaction: each alert is claimed in its own write
    raised: list[int] = []
    for cand in found:
        alert, emails = record(cand)
        if alert is None:
            db.session.rollback()
            continue
        db.session.commit()
        raised.append(alert.id)
        for email_id in emails:
            mail.enqueue_delivery(email_id)
    return raised


def raise_connection_alert(connection_id: int, kind: str) -> int | None:
    """TOKEN_EXPIRING or CONNECTION_LOST for a connection whose new status the caller has committed.

    ``kind``: ``token_expiring``, ``connection_revoked`` or ``connection_expired``, as reported by the
    token service (``RefreshResult.lost``, ``warn_expiring``) or the sync engine (``Result.grant_lost``);
    the jobs that called them raise the alert here. The alert, its receipts and its emails commit
    together and the emails are queued at once. Idempotent (dedup key and cooldown); should the process
    die before this runs, the after-sync and daily evaluations raise the same alert from the status.
    Returns the new alert's id, or None when there was nothing (new) to raise.
    """
    conn = db.session.get(Connection, connection_id)
    if conn is None:
        return None
    cand = connection_candidate(conn, utcnow().date(), kind)
    if cand is None:
        return None
    alert, emails = record(cand)
    if alert is None:
        db.session.rollback()
        return None
    db.session.commit()
    for email_id in emails:
        mail.enqueue_delivery(email_id)
    return int(alert.id)


# --------------------------------------------------------------------------- recording (dedup)


def claim_cooldown(key: str, now: datetime) -> bool:
    """Take the 7-day cooldown of ``key``; False when it fired less than 7 days ago (or is being taken
    by a concurrent transaction, which then wins). The UPDATE is the first write, so on SQLite it takes
    the write lock and on PostgreSQL the row lock: concurrent evaluations serialise here."""
    moved = db.session.execute(
        update(AlertCooldown)
        .where(AlertCooldown.key == key, AlertCooldown.last_fired_at <= now - COOLDOWN)
        .values(last_fired_at=now)
    )
    if moved.rowcount == 1:  # type: ignore[attr-defined]
        return True
    # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT DO NOTHING
    added = db.session.execute(
        dialect_insert(AlertCooldown)
        .values(key=key, last_fired_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(AlertCooldown.key)
    ).scalar_one_or_none()
    return added is not None


def record(cand: Candidate, now: datetime | None = None) -> tuple[Alert | None, list[int]]:
    """Insert the alert unless its dedup key or cooldown says no; then receipts and emails (not committed).

    Returns the alert (None when deduplicated) and the ids of the emails queued for immediate delivery.
    """
    now = now or utcnow()
    if cand.cooldown_key and not claim_cooldown(cand.cooldown_key, now):
        return None, []
    added = db.session.execute(
        dialect_insert(Alert)
        .values(
            client_id=cand.client_id,
            connection_id=cand.connection_id,
            platform=cand.platform,
            type=cand.type.value,
            severity=cand.severity.value,
            title=cand.title[:200],
            message=cand.message,
            details=cand.details,
            day=cand.day,
            dedup_key=cand.dedup_key,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(Alert.id)
    ).scalar_one_or_none()
    if added is None:
        return None, []
    alert = db.session.execute(select(Alert).where(Alert.dedup_key == cand.dedup_key)).scalar_one()
    log.info(
        "alert raised",
        extra={
            "event": "alert_raised",
            "alert_id": alert.id,
            "alert_type": alert.type,
            "client_id": alert.client_id,
            "connection_id": alert.connection_id,
        },
    )
    return alert, fan_out(alert)


# --------------------------------------------------------------------------- fan-out and emails


def recipients(alert: Alert, client: Client) -> list[tuple[User, str]]:
    """``(user, audience)`` pairs: the coach (else every active admin) as staff; the client for their types."""
    out: list[tuple[User, str]] = []
    coach = db.session.get(User, client.coach_id) if client.coach_id else None
    if coach is not None and coach.is_active:
        out.append((coach, "staff"))
    else:
        admins = db.session.execute(
            select(User).where(User.role == Role.ADMIN, User.is_active.is_(True)).order_by(User.id)
        ).scalars()
        out.extend((a, "staff") for a in admins)
    if alert.type in CLIENT_TYPES:
        user = db.session.get(User, client.user_id)
        if user is not None and user.is_active:
            out.append((user, "client"))
    return out


#: connection problems are the client's to fix: staff see them in the feed (and "needs attention") only
FEED_ONLY_FOR_STAFF = frozenset(
    {AlertType.CONNECTION_LOST.value, AlertType.TOKEN_EXPIRING.value, AlertType.DATA_STALE.value}
)


def email_kind(alert: Alert, audience: str) -> str:
    """The outbox ``kind``; the client's connection emails keep the kinds they had before issue 7."""
    if audience == "client" and alert.type == AlertType.TOKEN_EXPIRING.value:
        return "token_expiring"
    if audience == "client" and alert.type == AlertType.CONNECTION_LOST.value:
        return "connection_expired" if (alert.details or {}).get("reason") == "expired" else "connection_revoked"
    return f"alert_{alert.type.lower()}"


def template_for(alert_type: str, audience: str) -> str:
    """The email template of an alert for an audience (docs/alerts.md lists them)."""
    if audience == "client":
        return "alert_celebration" if alert_type == AlertType.MILESTONE.value else "alert_reconnect"
    return {AlertType.MILESTONE.value: "alert_milestone_coach", AlertType.GROWTH_DECLINE.value: "alert_decline"}.get(
        alert_type, "alert_notice"
    )


def email_context(alert: Alert, client: Client, user: User) -> dict[str, Any]:
    """What every alert template may use; links are absolute (PUBLIC_BASE_URL)."""
    return {
        "alert": alert,
        "client_name": client.display_name,
        "user": user,
        "platform_name": PLATFORM_NAMES.get(alert.platform or "", "All platforms"),
        "analytics_url": absolute_url("admin.client_detail", client_id=client.id),
        "congratulate_url": absolute_url(
            "admin.alert_compose", client_id=client.id, kind="congratulate", alert=alert.id
        ),
        "contact_url": absolute_url("admin.alert_compose", client_id=client.id, kind="contact", alert=alert.id),
        "feed_url": absolute_url("admin.alerts_feed"),
        "portal_url": absolute_url("portal.notifications"),
        "reconnect_url": absolute_url("connections.index"),
        "unsubscribe_url": notifications.unsubscribe_url(user),
        "settings_url": absolute_url("settings.notifications_page"),
    }


def fan_out(alert: Alert) -> list[int]:
    """One receipt per recipient, with the email queued, deferred to the digest, off, not sendable, or
    ``none`` (staff hear about connection problems in the feed only)."""
    client = db.session.get(Client, alert.client_id)
    if client is None:
        return []
    queued: list[int] = []
    for user, audience in recipients(alert, client):
        receipt = AlertReceipt(alert_id=alert.id, user_id=user.id)
        mode = notifications.email_mode_for(user, alert.type)
        if audience == "staff" and alert.type in FEED_ONLY_FOR_STAFF:
            receipt.email = "none"
        elif mode is EmailMode.OFF:
            receipt.email = "off"
        elif not valid_address(user.email):
            receipt.email = "invalid_address"
            log.warning(
                "alert email not queued: invalid address",
                extra={"event": "alert_email_invalid", "alert_id": alert.id, "user_id": user.id},
            )
        elif mode is EmailMode.DIGEST:
            receipt.email = "digest"
        else:
            email = mail.queue_email(
                user.email,
                email_kind(alert, audience),
                template_for(alert.type, audience),
                idempotency_key=f"alert:{alert.id}:user:{user.id}",
                user_id=user.id,
                **email_context(alert, client, user),
            )
            db.session.flush()
            receipt.email, receipt.email_id = "queued", email.id
            queued.append(email.id)
        db.session.add(receipt)
    db.session.flush()
    return queued
