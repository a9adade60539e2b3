"""D5 for the operations console's rows: alerts to admins and retry/discard actions are kept 90 days."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.jobs.system import purge_expired_rows
from app.models import OpsAlert, WorkAction
from app.models.base import utcnow


def test_ops_rows_are_kept_90_days(app: Any, factory: Any) -> None:
    now = utcnow()
    admin = factory.admin()
    for key, days in (("old", 91), ("young", 89)):
        db.session.add(
            OpsAlert(
                kind="cron_silent",
                severity="critical",
                title=key,
                message=key,
                dedup_key=key,
                created_at=now - timedelta(days=days),
            )
        )
        db.session.add(
            WorkAction(kind="sync", item_key=key, action="retry", actor_id=admin.id, at=now - timedelta(days=days))
        )
    db.session.commit()
    counts = purge_expired_rows()
    assert (counts["ops_alerts"], counts["ops_work_actions"]) == (1, 1)
    assert list(db.session.execute(select(OpsAlert.dedup_key)).scalars()) == ["young"]
    assert list(db.session.execute(select(WorkAction.item_key)).scalars()) == ["young"]
