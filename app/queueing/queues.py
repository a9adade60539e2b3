"""Queue names and the one way jobs are enqueued: explicit timeouts, TTLs and retries (J2, D5)."""

from __future__ import annotations

import logging
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


def enqueue_default(func: str, *args: Any, job_id: str | None = None) -> bool:
    """Housekeeping and email jobs: retried at 30 s, 2 min, 10 min, 30 min, 1 h."""
    return enqueue(
        DEFAULT, func, *args, job_id=job_id, timeout=120, retry=Retry(max=5, interval=[30, 120, 600, 1800, 3600])
    )


def worker_ttl() -> int:
    """How long a silent worker counts as alive; short so abandoned jobs are found quickly (J2)."""
    return int(current_app.config["RQ_WORKER_TTL"])
