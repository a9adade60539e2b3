"""Portal usage the impact page counts (``usage_days``): a client opened analytics, exported, or opened a
report, at most one row per client, kind and UTC day. Recording never fails the page it is part of.

Once the day's row is known to exist, a Redis mark (per client, kind and day, kept two days) says so,
so a client's further page views that day cost one Redis read instead of a database query. The row is
the truth: without the mark (Redis down or flushed) the database is asked, as before."""

from __future__ import annotations

import contextlib
import logging

import redis
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.models import UsageDay, UsageKind
from app.models.base import utcnow
from app.redis_conn import get_redis

log = logging.getLogger(__name__)

MARK_PREFIX = "usage:day:"
MARK_SECONDS = 2 * 86400


def _marked(mark: str) -> bool:
    try:
        return bool(get_redis().exists(mark))
    except redis.RedisError:
        return False


def _mark(mark: str) -> None:
    with contextlib.suppress(redis.RedisError):  # not marked: the next view asks the database again
        get_redis().set(mark, "1", ex=MARK_SECONDS)


def record(client_id: int, kind: UsageKind) -> None:
    """Note that ``client_id`` used ``kind`` today (idempotent; a race or a database hiccup is logged)."""
    day = utcnow().date()
    mark = f"{MARK_PREFIX}{client_id}:{kind.value}:{day.isoformat()}"
    if _marked(mark):
        return
    key = {"client_id": client_id, "kind": kind.value, "day": day}
    try:
        if db.session.execute(select(UsageDay.day).filter_by(**key)).first() is None:
            with db.session.begin_nested():
                db.session.add(UsageDay(**key))
            db.session.commit()
    except SQLAlchemyError:  # the same row inserted by a concurrent request, or the database is busy
        db.session.rollback()
        log.info("usage not recorded", extra={"event": "usage_not_recorded", "kind": kind.value})
        return
    _mark(mark)
