"""X's batch compliance, applied: every stored X post id (and every connected X account id) checked once
a day, and what X says is deleted, suspended or protected removed within 24 h (``platforms.md`` 6.5).

The lookup by ids during the sync reaches only posts on the aging schedule (up to 90 days); this covers
the rest. One ``tweets`` job for the stored posts of every connection (further jobs, one after another,
past ``MAX_IDS_PER_JOB``) and one ``users`` job for the connected accounts, each a row of
:class:`~app.models.XComplianceJob` that moves a step at a time::

    created -(create at X)-> created+x_job_id -(upload ids)-> uploaded -> in_progress -> applied
                                                                   \\-> failed / expired

Every step commits before the next call, so a killed worker leaves the row where it was and the next
poll (every 10 minutes, ``app.jobs.compliance``) carries it on; a Redis lock keeps two workers off the
same rows. Applying results is idempotent (deleting a post already deleted is a no-op) and commits with
the step ``applied`` and its ``outcome``, so a job is never applied half. A job X fails or lets expire,
or one without an answer within a day, ends ``failed`` / ``expired``, raises an ops alert (the
operations pages list it) and the next day's job checks everything again.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from redis.exceptions import LockError
from sqlalchemy import select

from app.extensions import db
from app.models import Connection, ConnectionStatus, XComplianceJob
from app.models.base import utcnow
from app.models.compliance import OPEN_STEPS
from app.models.history import ContentItem
from app.platforms import PlatformError
from app.platforms.http import PlatformHttp, shared_session
from app.platforms.registry import hosts_from_settings
from app.platforms.x_compliance import MAX_IDS_PER_JOB, ComplianceResults, XComplianceClient, expired
from app.redis_conn import get_redis
from app.security.crypto import aad_for
from app.services import ops_alerts
from app.services.tokens import keyring, safe_error, wipe_tokens
from app.services.transaction import dialect_insert
from app.sync import storage

log = logging.getLogger(__name__)

TOKEN_KEY = "x:app_token"  # noqa: S105 - a Redis key name
TOKEN_TTL = 86_400  # X's app-only token does not expire; a day bounds how long a revoked one is kept
LOCK_KEY = "lock:x_compliance"
LOCK_TTL = 600
#: an open job older than this is given up (X's upload URL lasts 15 minutes, a job's results a week)
STALE_AFTER = timedelta(hours=20)
#: reasons that mean the post (or the account) must go; ``scrub_geo`` only strips geo data, which we
#: do not store. ``protected`` is kept: every stored post is a connected account's own, read with its
#: owner's grant and shown only to that owner and their coach, which a protected account still allows
#: (the owner's sync reads them); removing them would only have the next sync bring them back.
REMOVE_REASONS = frozenset({"deleted", "deactivated", "suspended", "bounced"})
USER_MESSAGES = {
    "suspended": "X suspended this account, so its data was removed and nothing can be read. Reconnect once "
    "it is restored.",
    "deleted": "This X account was deleted or deactivated at X. Reconnect if it is restored.",
}


@dataclass
class PollReport:
    """What one poll did: steps taken, jobs finished, connections that broke (the job raises alerts)."""

    steps: list[str] = field(default_factory=list)
    broken: list[int] = field(default_factory=list)
    skipped: str | None = None


# --------------------------------------------------------------------------- the client and its token


def _token_cache() -> tuple[Any, Any, Any]:
    redis = get_redis()
    aad = aad_for("redis", "x_app_token", "value")

    def get() -> str | None:
        raw = redis.get(TOKEN_KEY)
        if not raw:
            return None
        try:
            return keyring().decrypt(raw.decode() if isinstance(raw, bytes) else str(raw), aad)
        except Exception:  # noqa: BLE001 - a key rotated away or a damaged value: fetch a new token
            return None

    def put(token: str) -> None:
        redis.set(TOKEN_KEY, keyring().encrypt(token, aad), ex=TOKEN_TTL)

    def drop() -> None:
        redis.delete(TOKEN_KEY)

    return get, put, drop


def client_from_settings() -> XComplianceClient | None:
    """The compliance client, or None when the deployment has no X API key/secret (the job says so)."""
    cfg = current_app.config
    key, secret = str(cfg.get("X_API_KEY") or "").strip(), str(cfg.get("X_API_SECRET") or "").strip()
    if not key or not secret:
        return None
    session = shared_session(
        float(cfg["PLATFORM_CONNECT_TIMEOUT_SECONDS"]), float(cfg["PLATFORM_READ_TIMEOUT_SECONDS"])
    )
    http = PlatformHttp("x", session, hosts_from_settings(cfg))
    return XComplianceClient(http, api_key=key, api_secret=secret, token_cache=_token_cache())


# --------------------------------------------------------------------------- which ids


def _x_connections() -> Any:
    return select(Connection.id).where(Connection.platform == "x")


def _post_ids(row: XComplianceJob) -> list[str]:
    """The batch's stored X post ids (distinct), in content-item order after ``after_item_id``."""
    query = select(ContentItem.id, ContentItem.platform_id).where(
        ContentItem.connection_id.in_(_x_connections()), ContentItem.id > row.after_item_id
    )
    if row.last_item_id:
        query = query.where(ContentItem.id <= row.last_item_id)
    rows = db.session.execute(query.order_by(ContentItem.id).limit(MAX_IDS_PER_JOB)).all()
    if not row.last_item_id and rows:
        row.last_item_id = int(rows[-1][0])
    return list(dict.fromkeys(str(pid) for _, pid in rows if str(pid).isdigit()))


def _user_ids() -> list[str]:
    rows = db.session.execute(
        select(Connection.platform_user_id).where(
            Connection.platform == "x", Connection.disconnected_at.is_(None), Connection.access_token_enc.is_not(None)
        )
    ).scalars()
    return sorted({str(u) for u in rows if u and str(u).isdigit()})[:MAX_IDS_PER_JOB]


def _ids(row: XComplianceJob) -> list[str]:
    return _post_ids(row) if row.job_type == "tweets" else _user_ids()


# --------------------------------------------------------------------------- starting the day's jobs


def start_day(day: date, now: datetime | None = None) -> list[int]:
    """Open today's ``tweets`` and ``users`` rows (once: the unique day key); returns the new rows' ids.

    Open rows of earlier days older than :data:`STALE_AFTER` are given up first (X allows one active job
    a type, so a stuck one would block every later day).
    """
    now = now or utcnow()
    _give_up_stale(now)
    new: list[int] = []
    for job_type in ("tweets", "users"):
        added = db.session.execute(
            dialect_insert(XComplianceJob)
            .values(run_day=day, job_type=job_type, batch=0, step="created", outcome={}, created_at=now, updated_at=now)
            .on_conflict_do_nothing(index_elements=["run_day", "job_type", "batch"])
            .returning(XComplianceJob.id)
        ).scalar_one_or_none()
        if added is not None:
            new.append(int(added))
    db.session.commit()
    return new


def _give_up_stale(now: datetime) -> None:
    rows = db.session.execute(
        select(XComplianceJob).where(XComplianceJob.step.in_(OPEN_STEPS), XComplianceJob.created_at < now - STALE_AFTER)
    ).scalars()
    for row in rows:
        _finish(row, "expired", f"no result from X within {int(STALE_AFTER.total_seconds() // 3600)} h", now)
    db.session.commit()


# --------------------------------------------------------------------------- moving jobs on


def poll(now: datetime | None = None) -> PollReport:
    """Carry every open job one or more steps on, under the compliance lock (a second poll returns)."""
    report = PollReport()
    lock = get_redis().lock(LOCK_KEY, timeout=LOCK_TTL, blocking=False, thread_local=False)
    if not lock.acquire(blocking=False):
        report.skipped = "another poll is running"
        return report
    try:
        client = client_from_settings()
        if client is None:
            report.skipped = "X_API_KEY / X_API_SECRET are not set: X's compliance jobs cannot run"
            return report
        now = now or utcnow()
        _give_up_stale(now)
        rows = db.session.execute(
            select(XComplianceJob).where(XComplianceJob.step.in_(OPEN_STEPS)).order_by(XComplianceJob.id)
        ).scalars()
        active_types: set[str] = set()
        for row in list(rows):
            if row.job_type in active_types:
                continue  # one active job a type at X: the next batch waits for this one
            active_types.add(row.job_type)
            try:
                _advance(client, row, now, report)
            except PlatformError as exc:
                db.session.rollback()
                log.warning(
                    "x compliance step failed: %s",
                    safe_error(exc),
                    extra={"event": "x_compliance_step_failed", "job": row.id},
                )
                row = db.session.get(XComplianceJob, row.id) or row
                row.error = safe_error(exc)
                row.updated_at = now
                db.session.commit()
                report.steps.append(f"{row.id}:error")
        return report
    finally:
        with contextlib.suppress(LockError):  # the lock expired under a very slow poll: nothing to release
            lock.release()


def _advance(client: XComplianceClient, row: XComplianceJob, now: datetime, report: PollReport) -> None:
    if row.x_job_id is None:
        ids = _ids(row)
        if not ids:
            _finish(row, "applied", None, now, {"ids": 0})
            db.session.commit()
            report.steps.append(f"{row.id}:nothing")
            return
        job = client.create_job(row.job_type, f"portal-{row.run_day.isoformat()}-{row.job_type}-{row.batch}")
        row.x_job_id = job.id
        row.updated_at = now
        db.session.commit()  # the job exists at X: never create a second one for this row
        report.steps.append(f"{row.id}:created")
    job = client.get_job(row.x_job_id)
    if row.step == "created":
        if job.status != "created" or not job.upload_url or expired(job.upload_expires_at, now):
            _fail(row, "expired" if job.status in ("created", "expired") else "failed", job.status, now)
            return
        ids = _ids(row)
        client.upload(job.upload_url, ids)
        row.step, row.ids_sent, row.updated_at = "uploaded", len(ids), now
        db.session.commit()
        report.steps.append(f"{row.id}:uploaded")
        job = client.get_job(row.x_job_id)
    if job.status in ("failed", "expired"):
        _fail(row, job.status, job.status, now)
        return
    if job.status != "complete":
        if row.step != "in_progress":
            row.step, row.updated_at = "in_progress", now
            db.session.commit()
        report.steps.append(f"{row.id}:{job.status}")
        return
    if not job.download_url:
        _fail(row, "failed", "complete without a download_url", now)
        return
    results = client.download(job.download_url)
    if row.job_type == "tweets":
        outcome = _apply_posts(results)
        _next_batch(row, now)
    else:
        outcome, broken = _apply_users(results)
        report.broken.extend(broken)
    outcome["ids"] = row.ids_sent
    _finish(row, "applied", None, now, outcome)
    db.session.commit()  # the removals, the outcome and the step together: never applied half
    report.steps.append(f"{row.id}:applied")
    log.info(
        "x compliance job applied",
        extra={"event": "x_compliance_applied", "job": row.id, "type": row.job_type, "outcome": outcome},
    )


def _finish(
    row: XComplianceJob, step: str, error: str | None, now: datetime, outcome: dict[str, Any] | None = None
) -> None:
    row.step, row.error, row.updated_at, row.finished_at = step, error, now, now
    if outcome is not None:
        row.outcome = outcome


def _fail(row: XComplianceJob, step: str, detail: str, now: datetime) -> None:
    """X failed the job or let it expire: recorded, an ops alert raised; tomorrow's job checks again."""
    _finish(row, step, f"X answered status {detail!r} for job {row.x_job_id}", now)
    db.session.commit()
    ops_alerts.raise_alert(
        "x_compliance",
        f"x_compliance:{row.run_day.isoformat()}:{row.job_type}:{row.batch}",
        severity="warning",
        title=f"X compliance job {step} ({row.job_type}, {row.run_day.isoformat()})",
        message=(
            f"X's batch compliance job {row.x_job_id} for the {row.job_type} of {row.run_day.isoformat()} "
            f"ended {step}. Deletions at X may not be applied until tomorrow's job, which runs by itself."
        ),
        details={"job": row.id, "x_job_id": row.x_job_id, "type": row.job_type, "step": step},
    )


def _next_batch(row: XComplianceJob, now: datetime) -> None:
    """More stored posts than one job takes: the next batch starts after this one's last item."""
    if row.ids_sent < MAX_IDS_PER_JOB:
        return
    db.session.execute(
        dialect_insert(XComplianceJob)
        .values(
            run_day=row.run_day,
            job_type=row.job_type,
            batch=row.batch + 1,
            step="created",
            after_item_id=row.last_item_id,
            outcome={},
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["run_day", "job_type", "batch"])
    )


# --------------------------------------------------------------------------- applying results


def _count(counts: dict[str, int], key: str, n: int = 1) -> None:
    counts[key] = counts.get(key, 0) + n


def _apply_posts(results: ComplianceResults) -> dict[str, Any]:
    """Remove every stored post X names for removal, from whichever X connection holds it."""
    wanted: dict[str, str] = {}
    reasons: dict[str, int] = {}
    for action in results.actions:
        if action.action == "delete" and (action.reason in REMOVE_REASONS or not action.reason):
            wanted[action.id] = action.reason or "deleted"
        else:
            _count(reasons, f"kept:{action.reason or action.action}")
    holders: dict[int, list[str]] = {}
    for chunk in _chunks(sorted(wanted), 500):
        for conn_id, pid in db.session.execute(
            select(ContentItem.connection_id, ContentItem.platform_id).where(
                ContentItem.connection_id.in_(_x_connections()), ContentItem.platform_id.in_(chunk)
            )
        ).all():
            holders.setdefault(int(conn_id), []).append(str(pid))
    removed: dict[str, int] = {}
    total = 0
    for conn_id, pids in sorted(holders.items()):
        n = storage.remove_content(conn_id, pids)
        total += n
        removed[str(conn_id)] = n
        for pid in pids:
            _count(reasons, wanted[pid])
    return {"removed": total, "by_connection": removed, "reasons": reasons, "malformed_lines": results.malformed}


def _apply_users(results: ComplianceResults) -> tuple[dict[str, Any], list[int]]:
    """A connected account X deleted, deactivated or suspended: the connection is marked
    broken (a deleted one's grant is gone with it) and the job raises CONNECTION_LOST for the client."""
    broken: list[int] = []
    reasons: dict[str, int] = {}
    by_user = {a.id: a.reason for a in results.actions if a.action == "delete" and a.reason in REMOVE_REASONS}
    for action in results.actions:
        if action.id not in by_user:
            _count(reasons, f"kept:{action.reason or action.action}")
    for user_id, reason in sorted(by_user.items()):
        conns = db.session.execute(
            select(Connection).where(
                Connection.platform == "x", Connection.platform_user_id == user_id, Connection.disconnected_at.is_(None)
            )
        ).scalars()
        for conn in conns:
            kind = "deleted" if reason in ("deleted", "deactivated") else reason
            if kind == "deleted":
                wipe_tokens(conn)
                conn.status = ConnectionStatus.REVOKED.value
            elif kind == "suspended":
                conn.status = ConnectionStatus.ERROR.value
            else:
                continue
            conn.last_error = USER_MESSAGES[kind]
            broken.append(conn.id)
            _count(reasons, reason)
    return {"broken_connections": broken, "reasons": reasons, "malformed_lines": results.malformed}, broken


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def recent(limit: int = 14) -> list[XComplianceJob]:
    """The latest jobs, newest first, for the operations pages."""
    return list(db.session.execute(select(XComplianceJob).order_by(XComplianceJob.id.desc()).limit(limit)).scalars())
