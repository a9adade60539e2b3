"""Jobs asked for together: a finished sync's follow-ups in one Redis round trip instead of ten.

A sync job asks for up to six small jobs after its run (alert evaluation, thumbnails, the page
preparations, the webhook subscription, the fans warm-up). One at a time, each unique enqueue is two
round trips (RQ registers the queue, then runs its unique-enqueue script) and each debounced page
preparation one or two (``EXISTS``, then the schedule): 8-12 round trips and ~15 % of the sync job's
CPU (bench/README.md, "Sync CPU, fourth pass"). A :class:`Batch` collects the same jobs, under the
same ids, with the same timeouts, TTLs and retries, and sends them in one pipeline through the very
scripts RQ runs for a unique job (``rq.scripts``: check the id, save the job, push it to the queue or
add it to the scheduled registry, atomically per job), so a job id already known is still never
queued twice. The debounced ids are looked up first in a pipeline the caller also uses for its own
reads and writes (the sync job's live-version bump), so a batch costs two round trips in all.

RQ is pinned (``pyproject.toml``): the scripts and ``_build_hset_args`` are RQ 2.12's own.
``tests/queueing/test_batch.py`` checks that a batched job is the job ``queues.enqueue`` makes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import redis
from redis.client import Pipeline
from rq import Retry
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry
from rq.scripts import UNIQUE_ENQUEUE_SCRIPT, UNIQUE_SCHEDULE_SCRIPT, _build_hset_args

from app.queueing import queues

log = logging.getLogger(__name__)


@dataclass
class _Ask:
    func: str
    args: tuple[Any, ...]
    job_id: str
    timeout: int
    retry: Retry | None = None
    at: int | None = None  # a UTC timestamp: scheduled then, unless the id is known (a debounce)


@dataclass
class Batch:
    """Jobs for the default queue, sent together by :meth:`send` (after :meth:`check`, if debounced)."""

    asks: list[_Ask] = field(default_factory=list)
    known: set[str] = field(default_factory=set)  # debounced ids found in Redis by ``check``
    _checked: list[str] = field(default_factory=list)

    def enqueue(self, func: str, *args: Any, job_id: str, timeout: int, retry: Retry | None = None) -> None:
        """``queues.enqueue(DEFAULT, func, *args, job_id=...)`` when sent: unique by id."""
        self.asks.append(_Ask(func, args, job_id, timeout, retry))

    def schedule(self, func: str, *args: Any, job_id: str, timeout: int, at: int) -> None:
        """A job scheduled at ``at`` (UTC timestamp) unless its id is known: the debounce of
        ``dispatch._enqueue_debounced``, checked by :meth:`check` and again, atomically, when sent."""
        self.asks.append(_Ask(func, args, job_id, timeout, at=at))

    def check(self, pipe: Pipeline) -> None:
        """Queue the existence checks of the scheduled ids last on the caller's pipeline (one round trip
        shared with the caller's own commands); its results go through :meth:`checked`."""
        self._checked = [a.job_id for a in self.asks if a.at is not None]
        for job_id in self._checked:
            pipe.exists(Job.key_for(job_id))

    def checked(self, results: list[Any]) -> list[Any]:
        """Take :meth:`check`'s results from the tail of the caller's pipeline results; returns the rest
        (the caller's own, in order)."""
        n = len(self._checked)
        own, mine = (list(results[:-n]), results[-n:]) if n else (list(results), [])
        self.known = {job_id for job_id, found in zip(self._checked, mine, strict=True) if found}
        return own

    def send(self) -> int:
        """Send every job not known yet in one pipeline; returns how many were asked for (a job already
        there counts, as ``queues.enqueue`` counts a duplicate id), 0 when Redis cannot be reached."""
        asks = [a for a in self.asks if a.job_id not in self.known]
        if not asks:
            return len(self.asks)
        try:
            q = queues.get_queue(queues.DEFAULT)
            registry = ScheduledJobRegistry(queue=q)
            pipe = q.connection.pipeline(transaction=False)
            pipe.sadd(q.redis_queues_keys, q.key)
            for ask in asks:
                job = q.create_job(
                    ask.func,
                    args=ask.args,
                    job_id=ask.job_id,
                    timeout=ask.timeout,
                    result_ttl=queues.RESULT_TTL,
                    failure_ttl=queues.FAILURE_TTL,
                    retry=ask.retry,
                    meta={},
                    status=JobStatus.QUEUED if ask.at is None else JobStatus.SCHEDULED,
                )
                ttl = job.ttl if job.ttl is not None else -1
                if ask.at is None:
                    q._prepare_for_queue(job)  # what Queue.enqueue_job sets before its unique script
                    pipe.eval(UNIQUE_ENQUEUE_SCRIPT, 2, job.key, q.key, job.id, "R", str(ttl), *_build_hset_args(job))
                else:
                    pipe.eval(
                        UNIQUE_SCHEDULE_SCRIPT,
                        3,
                        job.key,
                        registry.key,
                        q.redis_queues_keys,
                        job.id,
                        str(ttl),
                        str(ask.at),
                        q.key,
                        *_build_hset_args(job),
                    )
            pipe.execute()
        except (redis.RedisError, OSError) as exc:
            log.warning(
                "could not enqueue %d follow-up jobs: %s",
                len(asks),
                type(exc).__name__,
                extra={"event": "follow_ups_not_queued", "jobs": [a.job_id for a in asks]},
            )
            return 0
        return len(self.asks)
