"""Queue names and the one way jobs are enqueued: explicit timeouts, TTLs and retries (J2, D5)."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from flask import current_app
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError

from app.redis_conn import get_redis

log = logging.getLogger(__name__)

SYNC = "sync"  # platform syncs (rate-limited per platform)
DEFAULT = "default"  # alerts, email delivery, housekeeping
REPORTS = "reports"  # PDF / CSV generation
QUEUES: tuple[str, ...] = (SYNC, DEFAULT, REPORTS)
#: the queues whose jobs render report PDFs: a worker of one of them loads the fonts at start (worker.py)
RENDERS_PDFS: tuple[str, ...] = (REPORTS,)

# Explicit limits; RQ's defaults (1-year failure_ttl) are not what we want (D5).
RESULT_TTL = 3600
FAILURE_TTL = 7 * 24 * 3600


def get_queue(name: str) -> Queue:
    """The named queue on the app's Redis."""
    if name not in QUEUES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=get_redis())


def enqueue(
    queue: str,
    func: str,
    *args: Any,
    job_id: str | None = None,
    timeout: int = 300,
    retry: Retry | None = None,
    meta: dict[str, Any] | None = None,
    unique: bool = True,
) -> bool:
    """Enqueue ``func`` (a dotted path) with id-only arguments.

    Returns True when the job is queued (or already was: a duplicate id counts as queued), False when
    Redis cannot be reached; callers that must not lose work keep it in the database for a later sweep.
    """
    try:
        get_queue(queue).enqueue(
            func,
            *args,
            job_id=job_id,
            unique=bool(job_id) and unique,
            job_timeout=timeout,
            result_ttl=RESULT_TTL,
            failure_ttl=FAILURE_TTL,
            retry=retry,
            meta=meta or {},
        )
    except DuplicateJobError:
        return True
    except (redis.RedisError, OSError) as exc:
        log.warning("could not enqueue %s on %s: %s", func, queue, type(exc).__name__)
        return False
    return True


def cancel_jobs(queue: str, id_prefix: str) -> int:
    """Delete queued and scheduled jobs whose id starts with ``id_prefix`` (e.g. a disconnected
    connection's ``sync-42-``); returns how many. Redis being down cancels nothing and is not an error:
    jobs re-check the connection inside their own transaction anyway (D3)."""
    from rq.job import Job

    count = 0
    try:
        q = get_queue(queue)
        candidates = set(q.get_job_ids()) | set(q.scheduled_job_registry.get_job_ids())
        for job_id in sorted(j for j in candidates if j.startswith(id_prefix)):
            job = Job.fetch(job_id, connection=q.connection)
            job.cancel()
            job.delete()
            count += 1
    except (redis.RedisError, OSError) as exc:
        log.warning("could not cancel jobs %s*: %s", id_prefix, type(exc).__name__)
    return count


DEFAULT_TIMEOUT = 120


def default_retry() -> Retry:
    """Housekeeping and email jobs: retried at 30 s, 2 min, 10 min, 30 min, 1 h."""
    return Retry(max=5, interval=[30, 120, 600, 1800, 3600])


def enqueue_default(func: str, *args: Any, job_id: str | None = None) -> bool:
    """Housekeeping and email jobs (``default_retry``)."""
    return enqueue(DEFAULT, func, *args, job_id=job_id, timeout=DEFAULT_TIMEOUT, retry=default_retry())


def worker_ttl() -> int:
    """How long a silent worker counts as alive; short so abandoned jobs are found quickly (J2)."""
    return int(current_app.config["RQ_WORKER_TTL"])


# --------------------------------------------------------------------------- RQ's failed registries


@dataclass(frozen=True)
class FailedJob:
    """A job RQ keeps in a queue's failed registry (its retries spent, or its worker died every time)."""

    queue: str
    job_id: str
    func: str
    args: tuple[Any, ...]
    ended_at: datetime | None
    error: str  # the last line of the exception, scrubbed by the caller before it is shown


def failed_jobs(limit: int = 100) -> list[FailedJob] | None:
    """The failed jobs of every queue, newest first (at most ``limit``); None when Redis is down."""
    from rq.job import Job

    out: list[FailedJob] = []
    try:
        for name in QUEUES:
            q = get_queue(name)
            ids = q.failed_job_registry.get_job_ids()
            for job in Job.fetch_many(ids[-limit:], connection=q.connection):
                if job is None:
                    continue
                lines = _exc_text(job).strip().splitlines()
                try:
                    args = tuple(job.args)
                except Exception:  # noqa: BLE001 - an unreadable payload is shown without its arguments
                    args = ()
                out.append(FailedJob(name, job.id, job.func_name or "", args, job.ended_at, lines[-1] if lines else ""))
    except (redis.RedisError, OSError) as exc:
        log.warning("could not read the failed registries: %s", type(exc).__name__)
        return None
    out.sort(key=lambda j: j.ended_at or datetime.min.replace(tzinfo=UTC), reverse=True)
    return out[:limit]


def _exc_text(job: Any) -> str:
    """The job's last exception: its latest result's, else what the registry stored (RQ deprecates the
    job attribute but still writes it when a worker's job is found abandoned)."""
    result = job.latest_result()
    if result is not None and result.exc_string:
        return str(result.exc_string)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return str(job.exc_info or "")


def requeue_failed_job(queue: str, job_id: str) -> bool | None:
    """Move one failed job back to its queue; False when it is not in the failed registry any more
    (requeued or removed by someone else: RQ's ZREM decides, so it runs once); None when Redis is down."""
    from rq.exceptions import InvalidJobOperation, NoSuchJobError

    try:
        get_queue(queue).failed_job_registry.requeue(job_id)
    except (InvalidJobOperation, NoSuchJobError):
        return False
    except (redis.RedisError, OSError) as exc:
        log.warning("could not requeue %s: %s", job_id, type(exc).__name__)
        return None
    return True


def remove_failed_job(queue: str, job_id: str) -> None:
    """Drop one job from the failed registry and delete it (Redis down: it expires with ``FAILURE_TTL``)."""
    from rq.exceptions import NoSuchJobError

    try:
        get_queue(queue).failed_job_registry.remove(job_id, delete_job=True)
    except NoSuchJobError:
        return
    except (redis.RedisError, OSError) as exc:
        log.warning("could not remove %s: %s", job_id, type(exc).__name__)
