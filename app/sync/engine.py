"""Sync one connection (architecture §4): lock -> token -> plan -> one write transaction -> SyncRun.

Errors are classified once, here (J8):

=====================  ======================================================================
platform error         what the engine does
=====================  ======================================================================
RateLimited            deferred: retried after the platform's hint (+ jitter), else backoff
QuotaExceeded          deferred to the reset (YouTube: midnight Pacific; X: its monthly cycle), no retry before
PlatformUnavailable    failed, retried with full-jitter backoff; counts toward the breaker
TokenExpired           token refreshed (single-flight, ``services.tokens``), plan retried once
AccessRevoked          connection marked ``revoked``, tokens deleted, ``Result.grant_lost`` set; no retry
ScopeMissing           connection marked ``insufficient_scope``; no retry
BadResponse / other    failed, not retried (the answer will not change by asking again)
database gone          (OperationalError) retried with backoff; the run closed as ``database``
=====================  ======================================================================

A retry is a new job (``dispatch.enqueue_sync_in``) within a per-sync budget; RQ's ``Retry`` is left for crashes.

The engine raises no alerts: a grant found dead (revoked, expired) is reported in ``Result.grant_lost``;
the calling job (``app.jobs.sync``) raises the alert: the engine depends on nothing above services/queueing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from app.extensions import db
from app.models import Connection, ConnectionStatus
from app.models.base import utcnow
from app.models.connection import USABLE_STATUSES
from app.models.history import ContentItem, Provenance
from app.models.sync import SyncRun, SyncStatus, SyncTrigger
from app.platforms import PlatformError, TokenSet, get_adapter
from app.platforms.errors import (
    AccessRevoked,
    PlatformUnavailable,
    QuotaExceeded,
    RateLimited,
    ScopeMissing,
    TokenExpired,
)
from app.platforms.http import shared_session
from app.queueing import dispatch
from app.redis_conn import get_redis
from app.security.crypto import TokenDecryptError
from app.security.scrub import scrub_text
from app.services import connection_settings, sync_requests, tokens
from app.stats.rounding import ROUNDED_PLATFORMS
from app.sync import aging, audience, reconcile, storage
from app.sync import comments as comment_sync
from app.sync.backoff import Backoff
from app.sync.breaker import Breaker
from app.sync.locks import SyncLock
from app.sync.plans import PlanInput, SyncData, run_plan
from app.sync.quotas import Budgets, deferral_words, jitter_scale
from app.sync.reaper import DB_GONE, database_down, reap_interrupted
from app.sync.recorder import RecordingSession

log = logging.getLogger(__name__)

DEAD_GRANT = {"revoked", "expired", "insufficient_scope", "decrypt_error"}
#: plain words for the connection card, by error kind
PLAIN = {
    "rate_limited": "The platform asked us to slow down; we will try again shortly.",
    "quota_exceeded": "The platform's daily limit is used up; syncing resumes after it resets.",
    "unavailable": "The platform did not answer; we will try again.",
    "token_expired": "The platform did not accept our access; reconnect if this continues.",
    "access_revoked": "Access was removed at the platform. Reconnect to continue.",
    "account_suspended": "The platform suspended this account, so nothing can be read. Reconnect once it is restored.",
    "scope_missing": "A permission we need was not granted. Reconnect and allow all permissions.",
    "bad_response": "The platform sent data we could not read; we will try again tomorrow.",
    "invalid_request": "The platform refused our request; our team has been told.",
    "revoked": "Access was removed at the platform. Reconnect to continue.",
    "expired": "The authorization expired. Reconnect to continue.",
    "insufficient_scope": "A permission we need was not granted. Reconnect and allow all permissions.",
    "decrypt_error": "Stored credentials could not be read. Reconnect to continue.",
    "disconnected": "Disconnected during the sync; nothing of it was saved.",
    "lock_lost": "The sync took too long and was stopped; it will run again.",
    "breaker_open": "The platform is having trouble; syncing resumes when it recovers.",
    "database": "Our database was briefly unavailable; the sync is retried.",
}


@dataclass
class Result:
    """What one job did; ``retry_in`` seconds when a follow-up job was scheduled.

    ``grant_lost``: the connection's grant was found dead during this sync (``connection_revoked`` or
    ``connection_expired``); the caller raises the CONNECTION_LOST alert for it.
    """

    status: str
    run_id: int | None = None
    retry_in: float | None = None
    message: str = ""
    grant_lost: str | None = None


def today() -> date:
    return datetime.now(UTC).date()


def settings() -> Any:
    return current_app.config


def lock_ttl() -> int:
    cfg = settings()
    return int(
        cfg["SYNC_LOCK_TTL_SECONDS"]
        or (float(cfg["PLATFORM_CONNECT_TIMEOUT_SECONDS"]) + float(cfg["PLATFORM_READ_TIMEOUT_SECONDS"]) + 25)
    )


def backoff() -> Backoff:
    cfg = settings()
    return Backoff(
        base=float(cfg["SYNC_BACKOFF_BASE_SECONDS"]),
        cap=float(cfg["SYNC_BACKOFF_CAP_SECONDS"]),
        budget=int(cfg["SYNC_RETRY_BUDGET"]),
    )


def breaker(platform: str) -> Breaker:
    cfg = settings()
    return Breaker(
        get_redis(),
        platform,
        threshold=int(cfg["SYNC_BREAKER_THRESHOLD"]),
        open_seconds=int(cfg["SYNC_BREAKER_OPEN_SECONDS"]),
    )


# --------------------------------------------------------------------------- the job body


def sync(
    connection_id: int,
    trigger: str = SyncTrigger.DAILY,
    attempt: int = 0,
    not_before: float | None = None,
    reap_as: str | None = None,
) -> Result:
    """Sync one connection once. ``not_before``: skip when a sync succeeded after this epoch second
    (set when the job was postponed because another sync of the connection was running). ``reap_as``:
    why a run of the connection left ``running`` ended (``database`` when this job retries one the
    database outage cut short). The database going away (restart, failover) is retried with backoff."""
    try:
        return _sync(connection_id, trigger, attempt, not_before, reap_as)
    except DB_GONE as exc:
        retry_in = database_down(connection_id, trigger, attempt, exc, backoff(), locked=False)
        return Result("failed", retry_in=retry_in, message="database unavailable")


def _sync(connection_id: int, trigger: str, attempt: int, not_before: float | None, reap_as: str | None) -> Result:
    conn = db.session.get(Connection, connection_id)
    if conn is None or not conn.is_live or conn.state not in USABLE_STATUSES or conn.access_token_enc is None:
        return Result("skipped", message="not connected")
    if not_before is not None and conn.last_sync_at and conn.last_sync_at.timestamp() >= not_before:
        return Result("fresh", message="another sync finished meanwhile")
    platform = conn.platform
    opened = breaker(platform).open_until()
    if opened is not None:
        # jittered: every sync deferred while the breaker is open must not come back in the same second
        wait = backoff().delay(0, hint=opened - time.time() + 1)
        return _defer(conn, trigger, attempt, "breaker_open", wait, count=False)
    lock = SyncLock(get_redis(), connection_id, lock_ttl())
    if not lock.acquire():
        return _postpone_busy(connection_id, trigger, attempt)
    budgets = Budgets(get_redis(), settings())
    slot = budgets.acquire_slot(platform, lock_ttl() * 4)
    try:
        if slot is None:
            return _defer(conn, trigger, attempt, "concurrency", 5 + 10 * (attempt % 3), count=False)
        return _sync_locked(connection_id, trigger, attempt, lock, budgets, reap_as)
    except DB_GONE as exc:  # the lock is still ours: every run of the connection left running is this one
        retry_in = database_down(connection_id, trigger, attempt, exc, backoff(), locked=True)
        return Result("failed", retry_in=retry_in, message="database unavailable")
    finally:
        budgets.release_slot(platform, slot)
        lock.release()


def _sync_locked(
    connection_id: int, trigger: str, attempt: int, lock: SyncLock, budgets: Budgets, reap_as: str | None
) -> Result:
    reap_interrupted(connection_id, error_class=reap_as or "interrupted")
    conn = db.session.get(Connection, connection_id)
    if conn is None or not conn.is_live or conn.state not in USABLE_STATUSES:
        return Result("skipped", message="not connected")
    if trigger == SyncTrigger.DAILY.value and sync_requests.daily_synced(connection_id, today()):
        # RQ re-ran the job (its worker died after our commit) or a catch-up raced it: once a day
        return Result("fresh", message="today's daily sync already ran")
    prev_status = conn.status if conn.status != ConnectionStatus.SYNCING.value else ConnectionStatus.CONNECTED.value
    run = SyncRun(
        connection_id=connection_id,
        trigger=str(trigger),
        status=SyncStatus.RUNNING.value,
        job_id=_job_id(),
        day=today(),
        started_at=utcnow(),
        details={"prev_status": prev_status, "attempt": attempt},
    )
    db.session.add(run)
    conn.status = ConnectionStatus.SYNCING.value
    db.session.flush()
    run_id, platform = run.id, conn.platform  # before the commit expires them (2 reloads a sync after it)
    db.session.commit()
    timeouts = (float(settings()[f"PLATFORM_{k}_TIMEOUT_SECONDS"]) for k in ("CONNECT", "READ"))
    session = shared_session(*timeouts)
    keep, who = bool(settings()["SYNC_KEEP_RAW"]), f"c{connection_id}"  # whose X 15-minute windows
    recorder = RecordingSession(session, platform, budgets, on_call=lock.extend, keep_raw=keep, account=who)
    try:
        data = _fetch(connection_id, run_id, recorder)
    except PlatformError as exc:
        return _classified(connection_id, run_id, trigger, attempt, exc, recorder)
    except _GrantDead as dead:
        failed = _finish_failed(
            run_id, recorder, dead.outcome, "The connection needs to be reconnected.", keep_status=True
        )
        return replace(failed, grant_lost=dead.lost)
    if not lock.owned():
        # another worker may have taken over after our lock expired: do not write over it, and come back
        # (skipped then if that other sync succeeded meanwhile: ``not_before``)
        retry_in = None
        if not backoff().exhausted(attempt):
            retry_in = backoff().delay(attempt)
            _schedule(connection_id, trigger, attempt, retry_in, not_before=time.time())
        return _finish_failed(
            run_id, recorder, "lock_lost", "The sync took too long and was abandoned.", retry_in=retry_in
        )
    breaker(platform).record_success()
    return _write(connection_id, run_id, data, recorder, prev_status)


class _GrantDead(Exception):
    def __init__(self, outcome: str, lost: str | None = None) -> None:
        super().__init__(outcome)
        self.outcome = outcome
        self.lost = lost


def _token(connection_id: int, *, force: bool = False) -> TokenSet:
    """A usable access token: renewed first when due (single-flight in ``services.tokens``)."""
    result = tokens.refresh_tokens(connection_id, force=force)
    if result.outcome in DEAD_GRANT:
        raise _GrantDead(result.outcome, result.lost)
    if result.outcome != "fresh":  # "fresh": the row was just read in this transaction, nothing renewed it
        db.session.expire_all()
    conn = db.session.get(Connection, connection_id)
    if conn is None or conn.access_token_enc is None:
        raise _GrantDead("revoked")
    try:
        return tokens.token_set_of(conn)
    except TokenDecryptError:
        conn.status = ConnectionStatus.DECRYPT_ERROR.value
        conn.last_error = "Stored credentials could not be read; reconnect."
        db.session.commit()
        raise _GrantDead("decrypt_error") from None


def _plan_input(conn: Connection) -> PlanInput:
    day = today()
    last_ok = db.session.execute(
        select(SyncRun.started_at)
        .where(
            SyncRun.connection_id == conn.id, SyncRun.status.in_([SyncStatus.SUCCEEDED.value, SyncStatus.PARTIAL.value])
        )
        .order_by(SyncRun.started_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    initial = storage.first_measured_day(conn.id) is None
    since = last_ok - timedelta(days=1) if last_ok is not None and not initial else None
    window_start = datetime.combine(day - timedelta(days=aging.MAX_AGE_DAYS), datetime.min.time(), tzinfo=UTC)
    last_days = storage.last_snapshot_days(conn.id, window_start)
    rows = (
        db.session.execute(
            select(ContentItem).where(ContentItem.connection_id == conn.id, ContentItem.published_at >= window_start)
        )
        .scalars()
        .all()
    )
    due = [r for r in rows if aging.is_due(r.published_at.date(), last_days.get(r.id), day)]
    due.sort(key=lambda r: last_days.get(r.id) or date.min)  # most overdue first
    last_count = (conn.profile_stats or {}).get("media_count") if last_ok is not None else None
    return PlanInput(
        today=day,
        initial=initial,
        content_since=since,
        due=[storage.to_platform_item(r) for r in due],
        last_media_count=last_count if isinstance(last_count, int) else None,
        posts=connection_settings.sync_enabled(conn, "posts"),
        audience_due=connection_settings.sync_enabled(conn, "audience") and audience.audience_due(conn.id, day),
        scopes=conn.scope_set,
    )


def _fetch(connection_id: int, run_id: int, recorder: RecordingSession) -> SyncData:
    token = _token(connection_id)
    conn = db.session.get(Connection, connection_id)
    assert conn is not None
    inp = _plan_input(conn)
    adapter = get_adapter(conn.platform, settings(), recorder, kind=conn.account_type, account=conn.platform_user_id)
    comments = comment_sync.wanted(conn)  # from the row the plan read (after the commit: a reload)
    db.session.commit()

    interval = float(settings()["SYNC_PROGRESS_INTERVAL_SECONDS"])
    last = time.monotonic()

    def progress(pct: int) -> None:
        # a commit per step cost more than the step in short daily syncs: only a sync still running
        # after ``interval`` seconds (since it started or the last update) shows its progress
        nonlocal last
        if time.monotonic() - last < interval:
            return
        db.session.execute(
            update(SyncRun)
            .where(SyncRun.id == run_id)
            .values(progress=pct, calls=recorder.calls, quota_units=recorder.quota_units)
        )
        db.session.commit()
        last = time.monotonic()

    try:
        data = run_plan(adapter, token.access_token, inp, progress)
    except TokenExpired:
        log.info(
            "access token rejected: refreshing and retrying once",
            extra={"event": "sync_token_retry", "connection_id": connection_id},
        )
        token = _token(connection_id, force=True)
        data = run_plan(adapter, token.access_token, inp, progress)
    if comments:
        data.comments = comment_sync.fetch(adapter, token.access_token, connection_id, inp.today, data.content)
    return data


# --------------------------------------------------------------------------- writing


def _write(connection_id: int, run_id: int, data: SyncData, recorder: RecordingSession, prev_status: str) -> Result:
    """Everything of this sync in one transaction; re-checks that the connection is still live (D3)."""
    day = today()
    db.session.rollback()
    db.session.expire_all()
    conn = db.session.get(Connection, connection_id)
    run = db.session.get(SyncRun, run_id)
    assert run is not None
    if conn is None or not conn.is_live or conn.access_token_enc is None:
        return _finish_failed(
            run_id, recorder, "disconnected", "Disconnected during the sync; nothing saved.", keep_status=True
        )
    followers = storage.as_int(data.profile.followers)
    wrote_day = storage.write_snapshot(connection_id, day, data.profile, rounded=conn.platform in ROUNDED_PLATFORMS)
    if not wrote_day:
        data.notes.append("the platform hides the follower count; no snapshot for today")
    ids = storage.write_content(connection_id, data.content, followers)
    keep = storage.KEPT_EXTRAS.get(conn.platform, ())
    ids.update(storage.write_metrics(connection_id, data.metrics, followers, keep))
    removed = storage.remove_content(connection_id, [g for g in data.gone if g not in ids])
    comments = comment_sync.write(conn, data.comments) if data.comments is not None else None
    measured = {
        i.platform_id: i.metrics
        for i in data.content
        if aging.interval_days((day - i.published_at.date()).days) is not None
    }
    measured.update(data.metrics)
    snapshots = storage.write_metric_snapshots(day, ids, measured, followers)
    provenance = Provenance.BACKFILLED if data.backfill else Provenance.MEASURED
    storage.write_insights(connection_id, data.insights, provenance.value)
    first_day = min((i.day for i in data.insights), default=None)
    backfilled = 0
    if first_day is not None and first_day < (storage.first_measured_day(connection_id) or day):
        backfilled = storage.rebuild_history(connection_id, conn.platform)
    reconciled = reconcile.reconcile_followers(connection_id, conn.platform)
    if data.audience is not None:
        audience.write_audience(connection_id, day, data.audience, followers)
    storage.write_raw(connection_id, run_id, recorder.raw)
    status = SyncStatus.PARTIAL if data.notes else SyncStatus.SUCCEEDED
    _close_run(run, recorder, status.value)
    run.items = len(ids)
    run.progress = 100
    run.details = {
        **(run.details or {}),
        "metric_snapshots": snapshots,
        "backfilled_days": backfilled,
        "backfilled_posts": len(data.content) if data.backfill else 0,  # the first sync's past posts
        "reconciled_days": reconciled,
        "removed_posts": removed,  # deleted at the platform, so deleted here (X's 24 h rule)
        "notes": data.notes[:10],
    }
    if comments is not None and data.comments is not None:
        run.details["comments"] = {"written": comments, "notes": data.comments.notes[:10]}
    conn.status = prev_status if prev_status in (ConnectionStatus.EXPIRING.value,) else ConnectionStatus.CONNECTED.value
    conn.last_sync_at = utcnow()
    conn.last_error = None
    conn.profile_stats = {
        k: v
        for k, v in {
            "followers": followers,
            "following": storage.as_int(data.profile.following),
            "media_count": storage.as_int(data.profile.media_count),
            "total_likes": storage.as_int(data.profile.total_likes),
            "total_views": storage.as_int(data.profile.total_views),
        }.items()
        if v is not None
    }
    db.session.commit()
    log.info(
        "sync done",
        extra={
            "event": "sync_done",
            "connection_id": connection_id,
            "calls": recorder.calls,
            "quota_units": recorder.quota_units,
            "items": len(ids),
        },
    )
    return Result(status.value, run_id)


def _close_run(run: SyncRun, recorder: RecordingSession | None, status: str) -> None:
    run.status = status
    run.finished_at = utcnow()
    if recorder is not None:
        run.calls = recorder.calls
        run.quota_units = recorder.quota_units


def _finish_failed(
    run_id: int,
    recorder: RecordingSession | None,
    error_class: str,
    message: str,
    *,
    keep_status: bool = False,
    status: str = SyncStatus.FAILED.value,
    deferred_until: datetime | None = None,
    conn_status: str | None = None,
    retry_in: float | None = None,
    plain: str | None = None,
) -> Result:
    """Close the run (and keep the raw answers that explain it); the connection shows the reason
    (``plain``, else the plain sentence of ``error_class``)."""
    db.session.rollback()
    run = db.session.get(SyncRun, run_id)
    assert run is not None
    _close_run(run, recorder, status)
    run.error_class = error_class[:64]
    run.error_message = scrub_text(message)[:500]
    run.deferred_until = deferred_until
    if retry_in is not None:
        run.details = {**(run.details or {}), "retry_in_seconds": round(retry_in, 1)}
    if recorder is not None:
        storage.write_raw(run.connection_id, run_id, recorder.raw)
    conn = db.session.get(Connection, run.connection_id)
    if conn is not None:
        prev = (run.details or {}).get("prev_status", ConnectionStatus.CONNECTED.value)
        if conn_status is not None:
            conn.status = conn_status
        elif not keep_status or conn.status == ConnectionStatus.SYNCING.value:
            conn.status = prev if conn.status == ConnectionStatus.SYNCING.value else conn.status
        conn.last_error = (plain or PLAIN.get(error_class, message))[:500]
    db.session.commit()
    return Result(status, run_id, retry_in=retry_in, message=message)


# --------------------------------------------------------------------------- classification


def _classified(
    connection_id: int, run_id: int, trigger: str, attempt: int, exc: PlatformError, recorder: RecordingSession
) -> Result:
    log.warning(
        "sync failed: %s", exc, extra={"event": "sync_error", "connection_id": connection_id, "error_class": exc.kind}
    )
    if isinstance(exc, QuotaExceeded):
        wait = max(1.0, (exc.resets_at - utcnow()).total_seconds()) + backoff().delay(0, hint=0) * jitter_scale(exc)
        _schedule(connection_id, trigger, attempt, wait, count=False)
        return _finish_failed(
            run_id,
            recorder,
            exc.kind,
            exc.message,
            status=SyncStatus.DEFERRED.value,
            deferred_until=utcnow() + timedelta(seconds=wait),
            retry_in=wait,
            plain=deferral_words(exc),
        )
    if isinstance(exc, RateLimited):
        return _retry(
            connection_id, run_id, trigger, attempt, exc, recorder, exc.retry_after, status=SyncStatus.DEFERRED.value
        )
    if isinstance(exc, PlatformUnavailable):
        breaker(exc.platform or "").record_failure()
        return _retry(connection_id, run_id, trigger, attempt, exc, recorder, None)
    if isinstance(exc, AccessRevoked | TokenExpired):
        return _grant_problem(run_id, recorder, exc)
    if isinstance(exc, ScopeMissing):
        return _finish_failed(
            run_id, recorder, exc.kind, exc.message, conn_status=ConnectionStatus.INSUFFICIENT_SCOPE.value
        )
    return _finish_failed(run_id, recorder, exc.kind, exc.message)


def _grant_problem(run_id: int, recorder: RecordingSession, exc: PlatformError) -> Result:
    """Revoked (or still rejected after a refresh): mark, delete the dead tokens, report it; stop."""
    result = _finish_failed(
        run_id,
        recorder,
        exc.kind,
        exc.message,
        conn_status=ConnectionStatus.REVOKED.value if isinstance(exc, AccessRevoked) else ConnectionStatus.ERROR.value,
    )
    if isinstance(exc, AccessRevoked):
        run = db.session.get(SyncRun, run_id)
        conn = db.session.get(Connection, run.connection_id) if run else None
        if conn is not None:
            conn.access_token_enc = None
            conn.refresh_token_enc = None
            conn.token_version = (conn.token_version or 0) + 1
            db.session.commit()
            return replace(result, grant_lost="connection_revoked")
    return result


def _retry(
    connection_id: int,
    run_id: int,
    trigger: str,
    attempt: int,
    exc: PlatformError,
    recorder: RecordingSession,
    hint: float | None,
    status: str = SyncStatus.FAILED.value,
) -> Result:
    policy = backoff()
    if policy.exhausted(attempt):
        return _finish_failed(run_id, recorder, exc.kind, f"{exc.message} (retries used up)")
    wait = policy.delay(attempt, hint)
    _schedule(connection_id, trigger, attempt, wait)
    return _finish_failed(
        run_id,
        recorder,
        exc.kind,
        exc.message,
        status=status,
        deferred_until=utcnow() + timedelta(seconds=wait),
        retry_in=wait,
    )


def _defer(conn: Connection, trigger: str, attempt: int, reason: str, wait: float, *, count: bool) -> Result:
    """Nothing was called: record a deferred run and come back later (budgets, breaker)."""
    wait = max(1.0, wait)
    run = SyncRun(
        connection_id=conn.id,
        trigger=str(trigger),
        status=SyncStatus.DEFERRED.value,
        day=today(),
        job_id=_job_id(),
        error_class=reason,
        error_message=PLAIN.get(reason, reason),
        deferred_until=utcnow() + timedelta(seconds=wait),
        finished_at=utcnow(),
    )
    db.session.add(run)
    db.session.commit()
    _schedule(conn.id, trigger, attempt, wait, count=count)
    return Result(SyncStatus.DEFERRED.value, run.id, retry_in=wait, message=reason)


def _postpone_busy(connection_id: int, trigger: str, attempt: int) -> Result:
    """Another sync of this connection holds the lock: come back after it, skip if it succeeded."""
    wait = lock_ttl() + backoff().delay(0, hint=0)
    if backoff().exhausted(attempt):
        return Result("busy", message="another sync is running")
    _schedule(connection_id, trigger, attempt, wait, not_before=time.time())
    return Result("busy", retry_in=wait, message="another sync is running")


def _schedule(
    connection_id: int, trigger: str, attempt: int, wait: float, *, count: bool = True, not_before: float | None = None
) -> None:
    dispatch.enqueue_sync_in(connection_id, str(trigger), attempt + 1 if count else attempt, wait, not_before)


def _job_id() -> str | None:
    from rq import get_current_job

    job = get_current_job()
    return job.id if job is not None else None
