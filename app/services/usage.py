"""Portal usage the impact page counts (``usage_days``): a client opened analytics, exported, or opened a
report, at most one row per client, kind and UTC day. Recording never fails the page it is part of."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.models import UsageDay, UsageKind
from app.models.base import utcnow

log = logging.getLogger(__name__)


def record(client_id: int, kind: UsageKind) -> None:
    """Note that ``client_id`` used ``kind`` today (idempotent; a race or a database hiccup is logged)."""
    day = utcnow().date()
    key = {"client_id": client_id, "kind": kind.value, "day": day}
    try:
        if db.session.execute(select(UsageDay.day).filter_by(**key)).first() is not None:
            return
        with db.session.begin_nested():
            db.session.add(UsageDay(**key))
        db.session.commit()
    except SQLAlchemyError:  # the same row inserted by a concurrent request, or the database is busy
        db.session.rollback()
        log.info("usage not recorded", extra={"event": "usage_not_recorded", "kind": kind.value})
