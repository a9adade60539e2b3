"""Alerts to admins about the platform itself: cron silent, a quota budget near its limit.

An alert is one row of ``ops_alerts`` whose ``dedup_key`` is unique (``INSERT ... ON CONFLICT DO
NOTHING``), so however many workers notice the same silence or the same budget at once, one alert is
recorded and every active admin gets one email (outbox, idempotency key ``ops:<id>:user:<uid>``). The
operations pages list the recent ones.

Who notices: the cron heartbeat is checked by every worker's maintenance (``worker.py``, every
``RQ_WORKER_TTL``/2 s), because a silent cron cannot report itself; budgets are checked after every sync
(``app.jobs.sync``). With cron and every worker down only ``/readyz`` can tell (status ``degraded``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import OpsAlert, Role, User
from app.models.base import utcnow
from app.services import heartbeat, mail
from app.services.transaction import dialect_insert
from app.services.urls import absolute_url

log = logging.getLogger(__name__)

#: how far back the operations pages list alerts
RECENT = timedelta(days=7)


def raise_alert(
    kind: str, dedup_key: str, *, severity: str, title: str, message: str, details: dict[str, Any] | None = None
) -> OpsAlert | None:
    """Record the alert once (by ``dedup_key``) and email every active admin; None when it existed."""
    now = utcnow()
    added = db.session.execute(
        dialect_insert(OpsAlert)
        .values(
            kind=kind,
            severity=severity,
            title=title[:200],
            message=message,
            details=details or {},
            dedup_key=dedup_key[:160],
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(OpsAlert.id)
    ).scalar_one_or_none()
    if added is None:
        db.session.rollback()
        return None
    alert = db.session.get(OpsAlert, added)
    assert alert is not None
    admins = db.session.execute(
        select(User).where(User.role == Role.ADMIN, User.is_active.is_(True)).order_by(User.id)
    ).scalars()
    emails = [
        mail.queue_email(
            admin.email,
            "ops_alert",
            "ops_alert",
            idempotency_key=f"ops:{alert.id}:user:{admin.id}",
            user_id=admin.id,
            alert=alert,
            url=absolute_url("admin.ops_work" if kind == "cron_silent" else "admin.ops_budgets"),
        )
        for admin in admins
    ]
    db.session.commit()
    for email in emails:
        mail.enqueue_delivery(email.id)
    log.warning(title, extra={"event": "ops_alert", "kind": kind, "dedup_key": dedup_key})
    return alert


def recent(now: datetime | None = None, limit: int = 20) -> list[OpsAlert]:
    """The latest alerts of the last 7 days, newest first."""
    since = (now or utcnow()) - RECENT
    return list(
        db.session.execute(
            select(OpsAlert).where(OpsAlert.created_at >= since).order_by(OpsAlert.id.desc()).limit(limit)
        ).scalars()
    )


def check_cron(now: datetime | None = None, watching_since: datetime | None = None) -> OpsAlert | None:
    """Raise ``cron_silent`` once per silence (keyed by the last tick; a missing heartbeat once a day, and
    only once the watcher has itself been up for 5 minutes: a fresh deployment has none yet)."""
    now = now or utcnow()
    state = heartbeat.cron_state(now)
    if state.ok or not state.known:
        return None
    if state.last_tick is None and watching_since is not None and now - watching_since < heartbeat.STALE:
        return None
    if state.last_tick is None:
        key, since = f"cron_silent:never:{now.date().isoformat()}", "no heartbeat has been recorded"
    else:
        minutes = int((now - state.last_tick).total_seconds() // 60)
        key, since = f"cron_silent:{state.last_tick.isoformat()}", f"the last heartbeat was {minutes} minutes ago"
    return raise_alert(
        "cron_silent",
        key,
        severity="critical",
        title="The cron scheduler is silent",
        message=(
            f"The cron heartbeat stopped: {since}. Daily syncs, email sweeps, alert evaluations and reports "
            "are not being scheduled. Check that exactly one `python worker.py cron` process runs and that "
            "a worker serves queue `default`."
        ),
        details={"last_tick": state.last_tick.isoformat() if state.last_tick else None},
    )
