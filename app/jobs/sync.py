"""Sync jobs (queue ``sync``): id-only entry points for the worker and the cron table.

* ``sync_connection(id, trigger, attempt, not_before)``: one sync; the engine classifies errors and
  schedules its own follow-ups (``app.queueing.dispatch``), so RQ's ``Retry`` only ever fires after a
  crash (SIGKILL, OOM). A grant the sync found dead is reported in the engine's result and raised as
  an alert here; every sync run is then evaluated against the alert rules.
* ``daily_fanout()``: 03:00 UTC, one job per active connection with the id ``sync-{id}-{YYYYMMDD}``
  (unique: a second fan-out the same day, or a second cron process, adds nothing; J4).
* ``purge_raw_responses()``: raw platform answers are kept 30 days.
* ``reap_stale_syncs()``: closes runs a dead worker left ``running`` (no connection stuck "syncing").
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from flask import current_app
from sqlalchemy import delete

from app.alerts import service as alerts
from app.extensions import db
from app.models import Connection
from app.models.base import utcnow
from app.models.sync import RawResponse, SyncTrigger
from app.queueing import dispatch
from app.queueing.batch import Batch
from app.queueing.queues import SYNC
from app.redis_conn import get_redis
from app.services import comments as inbox
from app.services import connection_settings, live, page_prep, sync_requests
from app.services.connections import syncable_connection_ids
from app.sync import budgets, engine, page_webhooks, reaper

log = logging.getLogger(__name__)

RAW_RETENTION = timedelta(days=30)
#: the fan-out runs at 03:00 UTC; from this hour on a connection without a run today is caught up
CATCH_UP_FROM_HOUR = 4
#: sync outcomes that saved data: the pages' caches are prepared after them (``app.services.page_prep``)
PREPARE_AFTER = frozenset({"succeeded", "partial"})


def sync_connection(
    connection_id: int,
    trigger: str = SyncTrigger.DAILY.value,
    attempt: int = 0,
    not_before: float | None = None,
    reap_as: str | None = None,
) -> str:
    """Run one sync of one connection (the job body), then raise what it found and queue its evaluation."""
    result = engine.sync(connection_id, trigger, attempt, not_before, reap_as)
    # the connection as the sync left it, read once for every follow-up below: each used to read it
    # itself (the session keeps no unreferenced object), 3 full-row reads and a client id a sync
    # (bench/README.md, "Sync CPU, third pass")
    conn = db.session.get(Connection, connection_id) if result.run_id is not None else None
    if result.grant_lost is not None:
        alerts.raise_connection_alert(connection_id, result.grant_lost)
    if result.run_id is not None:
        _follow_ups(connection_id, conn, str(result.run_id), result.status)
    return result.status


def _follow_ups(connection_id: int, conn: Connection | None, run_key: str, status: str) -> None:
    """After a run: bump the client's live version (open pages re-fetch), warn before the platform's
    limits, and queue the run's alert evaluation, thumbnails, page preparations, webhook subscription and
    fans warm-up (``conn``: the connection, None when it was deleted during the sync).

    Why batched: one at a time these were 9-13 Redis round trips and ~15 % of the job's CPU. The same
    jobs under the same ids (``app.queueing.batch``) now take two: the bump, the budgets' reads and the
    debounced ids' checks in one pipeline, then every job in one pipeline through RQ's own unique
    scripts (bench/README.md, "Sync CPU, fourth pass"). The fans job is keyed on the version the bump
    returns."""
    batch = Batch()
    dispatch.enqueue_alert_evaluation(connection_id, run_key, batch)
    dispatch.enqueue_thumbnails(connection_id, run_key, status, batch)
    if status in PREPARE_AFTER:
        page_prep.after_sync(connection_id, batch)  # the first view after this sync is a cached one
        _feed_subscription(connection_id, batch)
    bumped = [conn.client_id] if conn is not None else []
    now = utcnow()
    pipe = get_redis().pipeline(transaction=False)
    n = live.bump_commands(pipe, bumped) if bumped else 0  # open pages of this client re-fetch their numbers
    limits = conn is not None and _read_limits(pipe, now)
    batch.check(pipe)
    try:
        own: list[Any] | None = batch.checked(pipe.execute())
    except (redis.RedisError, OSError) as exc:  # Redis down: the jobs below fail to queue too, and say so
        if bumped:
            live.bump_failed(bumped, exc)
        own = None
    if conn is not None and limits and own is not None:  # the sync called its platform: warn before its limits
        _warn_before_limits(conn, now, own[n:])
    if conn is not None and _wants_fans(conn, status):
        version = str(own[0]) if own else "0"  # the client's version after this bump (live.version's "0": down)
        dispatch.enqueue_fans_warmup(conn.client_id, version, batch)
    batch.send()


def _feed_subscription(connection_id: int, batch: Batch | None = None) -> None:
    """A Facebook Page whose ``feed`` webhook subscription is not done (it failed at connect, or the
    receiver was configured later): queued again after a sync that worked (``app/sync/page_webhooks.py``)."""
    conn = db.session.get(Connection, connection_id)  # the job's own read (held by the caller): no query
    if conn is not None and page_webhooks.needs_subscription(conn):
        dispatch.enqueue_webhook_subscription(connection_id, batch)


def _wants_fans(conn: Connection, status: str) -> bool:
    """A sync of a platform with comments that saved something: the client's fans views are built by a
    worker now, not by the first reader (bench/README.md, "fans")."""
    return inbox.has_comments(conn) and status in dispatch.THUMBNAIL_SYNC_STATUSES


def _warm_fans(connection_id: int, status: str) -> None:
    """:func:`_wants_fans`, queued on its own (the sync job batches it with its other follow-ups)."""
    conn = db.session.get(Connection, connection_id)
    if conn is None or not _wants_fans(conn, status):
        return
    dispatch.enqueue_fans_warmup(conn.client_id, live.version([conn.client_id]))


def _read_limits(pipe: Any, now: datetime) -> bool:
    """Queue the budgets' reads on the follow-ups' pipeline; False (no warning this time) if that fails."""
    try:
        budgets.value_commands(pipe, now, int(current_app.config.get("X_CAP_RESET_DAY") or 1))
    except Exception:  # noqa: BLE001 - a warning that cannot be raised now is raised after the next sync
        log.warning("budget check failed", exc_info=True, extra={"event": "budget_check_failed"})
        return False
    return True


def _warn_before_limits(conn: Connection, now: datetime, results: list[Any]) -> None:
    """After a sync that called its platform: warn admins when its budgets near their limits (once per
    window, ``app.sync.budgets.check_warnings``) from the values read in the follow-ups' pipeline
    (``results``: ``budgets.value_commands``' answers first); a failure here never fails the sync job."""
    try:
        values = budgets.values_from(results[: budgets.VALUE_COMMANDS])
        budgets.check_warnings(current_app.config, get_redis(), conn.platform, now, values)
    except Exception:  # noqa: BLE001 - a warning that cannot be raised now is raised after the next sync
        db.session.rollback()
        log.warning("budget check failed", exc_info=True, extra={"event": "budget_check_failed"})


def daily_fanout() -> int:
    """One uniquely-named job per active connection for today; returns how many were handed to Redis."""
    day = datetime.now(UTC).date()
    queued = 0
    for connection_id in syncable_connection_ids():
        job_id = dispatch.daily_sync_job_id(connection_id, day)
        if dispatch.enqueue_sync(connection_id, SyncTrigger.DAILY.value, job_id=job_id):
            queued += 1
    log.info("daily sync fan-out", extra={"event": "sync_fanout", "count": queued})
    return queued


def campaign_fanout(now: datetime | None = None) -> int:
    """15:00 UTC: the second sync of the day of accounts syncing twice a day (an active campaign), id
    ``sync-{id}-{YYYYMMDD}-campaign`` (unique: once a day). A platform whose budget is past the warning
    threshold gets none today: the second syncs are the first thing given up when a limit is near."""
    now = now or datetime.now(UTC)
    near: dict[str, bool] = {}
    queued = 0
    for connection_id, platform in connection_settings.twice_daily():
        if platform not in near:
            near[platform] = budgets.near_limit(current_app.config, get_redis(), platform)
        if near[platform]:
            log.warning(
                "second sync skipped: budget near its limit",
                extra={"event": "sync_campaign_skipped", "connection_id": connection_id, "platform": platform},
            )
            continue
        job_id = f"{dispatch.daily_sync_job_id(connection_id, now.date())}-campaign"
        if dispatch.enqueue_sync(connection_id, SyncTrigger.CAMPAIGN.value, job_id=job_id):
            queued += 1
    return queued


def catch_up_daily(now: datetime | None = None) -> int:
    """Hourly: connections the 03:00 fan-out did not reach today (the cron process was down across
    03:00, or Redis lost the queue) get today's daily job now, under the same date-keyed id, so a job
    still queued is not doubled. A connection whose daily job is over without a run that got anywhere
    (a worker killed under it on every try: only ``interrupted`` or dead ``running`` runs) is queued
    again as ``<daily id>-again-<epoch>``. From 04:00 UTC on, an hour after the fan-out; returns how
    many are queued (including those still queued from before)."""
    now = now or datetime.now(UTC)
    if now.hour < CATCH_UP_FROM_HOUR:
        return 0
    queued = 0
    for connection_id in sync_requests.not_synced_on(now.date()):
        job_id = dispatch.daily_sync_job_id(connection_id, now.date())
        alive = dispatch.job_alive(SYNC, job_id)
        if alive is None:  # Redis is down: next hour
            continue
        if alive:  # still queued, retried or running: counted, not doubled
            queued += 1
            continue
        if dispatch.job_exists(SYNC, job_id):
            # today's job ended without a sync that got anywhere (its worker died on every try): a new id
            job_id = f"{job_id}-again-{int(now.timestamp())}"
        if dispatch.enqueue_sync(connection_id, SyncTrigger.DAILY.value, job_id=job_id):
            queued += 1
    if queued:
        log.warning("daily syncs caught up", extra={"event": "sync_catch_up", "count": queued})
    return queued


def purge_raw_responses() -> int:
    """Delete raw platform answers older than 30 days (D5)."""
    result = db.session.execute(delete(RawResponse).where(RawResponse.at < utcnow() - RAW_RETENTION))
    db.session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def reap_stale_syncs() -> int:
    """Runs still ``running`` after longer than any job may take belonged to a dead worker."""
    return reaper.reap_interrupted(older_than=timedelta(seconds=dispatch.sync_job_timeout() + 120))
