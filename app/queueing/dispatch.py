"""One function per job the app queues: its entry point, its job id, its limits and its retries.

The job bodies live in ``app/jobs`` (the top of the worker's layers); callers below them (the sync
engine scheduling its own retry, a service queuing an email, the report service) name the body here
by its dotted path, never by importing it. ``tests/jobs/test_dispatch.py`` checks that every path
named here and in the cron table resolves to a function in ``app/jobs``.

Every function returns False when Redis cannot be reached: work that must not be lost is in the
database first (outbox rows, report rows, connections due for a sync) and a sweep picks it up again.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import redis
from flask import current_app
from rq import Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from app.queueing import queues
from app.queueing.batch import Batch

log = logging.getLogger(__name__)

SYNC_JOB = "app.jobs.sync.sync_connection"
ALERT_EVALUATION_JOB = "app.jobs.alerts.evaluate_connection"
EMAIL_DELIVERY_JOB = "app.jobs.mail.deliver_email"
DATA_DELETION_JOB = "app.jobs.connections.process_data_deletion"
REPORT_JOB = "app.jobs.reports.generate_report"
WEEKLY_REPORT_JOB = "app.jobs.reports.weekly_report"
WEEKLY_CHUNK_JOB = "app.jobs.reports.weekly_reports"
THUMBNAILS_JOB = "app.jobs.thumbnails.fetch_thumbnails"
SHARE_CARD_JOB = "app.jobs.reports.render_share_card"
COMMENT_REPLY_JOB = "app.jobs.comments.send_reply"
CLIENT_PAGES_JOB = "app.jobs.pages.prepare_client_pages"
PORTFOLIO_PAGES_JOB = "app.jobs.pages.prepare_portfolio_pages"
FANS_WARM_JOB = "app.jobs.fans.warm_fans"
WEBHOOK_SUBSCRIBE_JOB = "app.jobs.audience.subscribe_webhooks"

#: every entry point named here (the dispatch test resolves each)
JOB_PATHS: tuple[str, ...] = (
    SYNC_JOB,
    ALERT_EVALUATION_JOB,
    EMAIL_DELIVERY_JOB,
    DATA_DELETION_JOB,
    REPORT_JOB,
    WEEKLY_REPORT_JOB,
    WEEKLY_CHUNK_JOB,
    THUMBNAILS_JOB,
    SHARE_CARD_JOB,
    COMMENT_REPLY_JOB,
    CLIENT_PAGES_JOB,
    PORTFOLIO_PAGES_JOB,
    FANS_WARM_JOB,
)

#: a report renders charts and a PDF in seconds; longer than this is a stuck job
REPORT_JOB_TIMEOUT = 120
#: a chunk of weekly reports (``app.reports.chunks.CHUNK`` reports, their numbers and emails, no PDF)
WEEKLY_CHUNK_TIMEOUT = 900
#: a share card is one Pillow drawing over the programme report's numbers
SHARE_CARD_JOB_TIMEOUT = 60
#: the thumbnail job stops itself after 90 s (``app.sync.thumbnails.RUN_BUDGET_SECONDS``) plus one fetch
THUMBNAILS_JOB_TIMEOUT = 150
#: a page preparation renders a few charts or computes one portfolio (seconds at 10,000 clients)
PAGES_JOB_TIMEOUT = 300
#: a few grouped reads of one client's comments (seconds at 200,000 comments)
FANS_WARM_TIMEOUT = 120
#: sync outcomes after which the posts' thumbnails are fetched
THUMBNAIL_SYNC_STATUSES = frozenset({"succeeded", "partial"})


# --------------------------------------------------------------------------- syncs


def sync_job_timeout() -> int:
    """The longest one sync job may run (``SYNC_JOB_TIMEOUT_SECONDS``)."""
    return int(current_app.config["SYNC_JOB_TIMEOUT_SECONDS"])


def sync_crash_retry() -> Retry:
    """Re-run after an abandoned job (worker killed); the engine handles every classified error itself.

    The first re-run is queued at once: finding the job abandoned already took a heartbeat TTL, and a
    scheduled retry would wait for the scheduler lock the dead worker may still hold (61 s).
    """
    return Retry(max=2, interval=[0, 60])


def daily_sync_job_id(connection_id: int, day: date | None = None) -> str:
    """``sync-{id}-{YYYYMMDD}``: unique per connection and day, so a second fan-out adds nothing (J4)."""
    return f"sync-{connection_id}-{(day or datetime.now(UTC).date()).strftime('%Y%m%d')}"


def sync_job_prefix(connection_id: int) -> str:
    """Every sync job id of one connection starts with this (a disconnect cancels them all, D3)."""
    return f"sync-{connection_id}-"


def enqueue_sync(connection_id: int, trigger: str, job_id: str | None = None) -> bool:
    """Queue a sync now; False when Redis is unreachable (the caller says so to the user)."""
    if job_id is None:
        job_id = f"{sync_job_prefix(connection_id)}{trigger}-{uuid.uuid4().hex[:12]}"
    return queues.enqueue(
        queues.SYNC,
        SYNC_JOB,
        connection_id,
        trigger,
        job_id=job_id,
        timeout=sync_job_timeout(),
        retry=sync_crash_retry(),
    )


def enqueue_initial_sync(connection_id: int) -> bool:
    """The first sync right after connecting (not counted against the hourly "Refresh now" limit)."""
    stamp = int(datetime.now(UTC).timestamp())
    return enqueue_sync(connection_id, "initial", job_id=f"{sync_job_prefix(connection_id)}initial-{stamp}")


def enqueue_sync_in(
    connection_id: int,
    trigger: str,
    attempt: int,
    seconds: float,
    not_before: float | None = None,
    reap_as: str | None = None,
) -> bool:
    """Schedule a follow-up sync (deferred, retried or postponed); needs a worker with the scheduler.
    ``reap_as``: how the follow-up closes a run this one left ``running`` (``database``)."""
    extra = (reap_as,) if reap_as else ()
    try:
        queues.get_queue(queues.SYNC).enqueue_in(
            timedelta(seconds=max(1.0, seconds)),
            SYNC_JOB,
            connection_id,
            trigger,
            attempt,
            not_before,
            *extra,
            job_timeout=sync_job_timeout(),
            result_ttl=queues.RESULT_TTL,
            failure_ttl=queues.FAILURE_TTL,
            retry=sync_crash_retry(),
        )
    except Exception as exc:  # noqa: BLE001 - Redis down: the daily fan-out picks the connection up again
        log.warning(
            "could not schedule a sync retry: %s",
            type(exc).__name__,
            extra={"event": "sync_retry_not_scheduled", "connection_id": connection_id},
        )
        return False
    return True


def cancel_syncs(connection_id: int) -> int:
    """Drop the connection's queued and scheduled syncs (after a disconnect); returns how many."""
    return queues.cancel_jobs(queues.SYNC, sync_job_prefix(connection_id))


# --------------------------------------------------------------------------- the rest


def enqueue_alert_evaluation(connection_id: int, run_key: str, batch: Batch | None = None) -> bool:
    """Evaluate a connection's alert rules after a sync; the id (per sync run) makes a re-enqueue a no-op.
    With ``batch`` the job is added to it (sent with the sync's other follow-ups, ``app.queueing.batch``)."""
    job_id = f"alerts-{connection_id}-{run_key}"
    if batch is not None:
        batch.enqueue(
            ALERT_EVALUATION_JOB,
            connection_id,
            job_id=job_id,
            timeout=queues.DEFAULT_TIMEOUT,
            retry=queues.default_retry(),
        )
        return True
    return queues.enqueue_default(ALERT_EVALUATION_JOB, connection_id, job_id=job_id)


def enqueue_thumbnails(connection_id: int, run_key: str, sync_status: str, batch: Batch | None = None) -> bool:
    """After a sync that saved something: fetch its posts' missing thumbnails (no retry: the next sync
    queues it again). False when not queued (another outcome, or Redis unreachable)."""
    if sync_status not in THUMBNAIL_SYNC_STATUSES:
        return False
    job_id = f"thumbs-{connection_id}-{run_key}"
    return _on_default(THUMBNAILS_JOB, connection_id, job_id, THUMBNAILS_JOB_TIMEOUT, batch)


def enqueue_webhook_subscription(connection_id: int, batch: Batch | None = None) -> bool:
    """Subscribe a connected Instagram account to ``story_insights`` or a Facebook Page to ``feed`` (no
    retry: the story sync, or the Page's next sync, asks again while it is not done). False when Redis is
    unreachable. The id is unique to the microsecond: the Page's initial sync often finishes within the
    second its connect asked, and a second-resolution id made RQ drop that second request."""
    stamp = int(datetime.now(UTC).timestamp() * 1_000_000)
    return _on_default(WEBHOOK_SUBSCRIBE_JOB, connection_id, f"ig-webhooks-{connection_id}-{stamp}", 60, batch)


def enqueue_fans_warmup(client_id: int, version: str, batch: Batch | None = None) -> bool:
    """After a sync changed a client's data version: build the fans views the pages open with (one job per
    client and version). False when not queued (Redis unreachable: the first reader builds them)."""
    return _on_default(FANS_WARM_JOB, client_id, f"fans-warm-{client_id}-{version}", FANS_WARM_TIMEOUT, batch)


def _on_default(func: str, arg: int, job_id: str, timeout: int, batch: Batch | None) -> bool:
    """``func(arg)`` under ``job_id`` on the default queue, without retry: added to ``batch`` when there is
    one (sent later with a sync's other follow-ups, True), else queued now (False when Redis is unreachable)."""
    if batch is not None:
        batch.enqueue(func, arg, job_id=job_id, timeout=timeout)
        return True
    return queues.enqueue(queues.DEFAULT, func, arg, job_id=job_id, timeout=timeout)


def enqueue_email_delivery(email_id: int, again: str | None = None) -> bool:
    """Deliver one outbox email now. ``again`` names a later try (the sweep passes the attempts made so
    far, a requeue its time), so the finished or failed job of an earlier try never blocks it."""
    job_id = f"email-{email_id}" if not again else f"email-{email_id}-{again}"
    return queues.enqueue_default(EMAIL_DELIVERY_JOB, email_id, job_id=job_id)


def enqueue_comment_reply(reply_id: int, attempt: int = 0, seconds: float = 0) -> bool:
    """Send one comment reply (outbox row); a later attempt is scheduled ``seconds`` ahead under its own id.
    False when Redis cannot be reached (the row stays ``queued`` and the sweep sends it)."""
    job_id = f"reply-{reply_id}-{attempt}"
    if seconds <= 0:
        return queues.enqueue_default(COMMENT_REPLY_JOB, reply_id, job_id=job_id)
    try:
        queues.get_queue(queues.DEFAULT).enqueue_in(
            timedelta(seconds=seconds),
            COMMENT_REPLY_JOB,
            reply_id,
            job_id=job_id,
            result_ttl=queues.RESULT_TTL,
            failure_ttl=queues.FAILURE_TTL,
        )
    except Exception as exc:  # noqa: BLE001 - Redis down: the reply sweep picks the row up again
        log.warning("could not schedule a reply retry: %s", type(exc).__name__, extra={"event": "reply_not_scheduled"})
        return False
    return True


def data_deletion_job_id(request_id: int, again: str | None = None) -> str:
    """``deletion-{id}``; a sweep's later try (``again``: its time) gets its own id."""
    return f"deletion-{request_id}" if not again else f"deletion-{request_id}-again-{again}"


def enqueue_data_deletion(request_id: int, again: str | None = None) -> bool:
    """Delete a platform account's data after the platform asked (D4); the request row is kept first."""
    return queues.enqueue_default(DATA_DELETION_JOB, request_id, job_id=data_deletion_job_id(request_id, again))


def report_retry() -> Retry:
    """A report job that failed or whose worker died runs again (the job is idempotent: a done report
    is not rendered twice, a recipient is emailed once)."""
    return Retry(max=3, interval=[30, 120, 600])


def enqueue_report(report_id: int, job_id: str, *, weekly: bool = False, meta: dict[str, Any] | None = None) -> bool:
    """Render one report (and, for a weekly one, email its links) on the reports queue."""
    return queues.enqueue(
        queues.REPORTS,
        WEEKLY_REPORT_JOB if weekly else REPORT_JOB,
        report_id,
        job_id=job_id,
        timeout=REPORT_JOB_TIMEOUT,
        retry=report_retry(),
        meta=meta,
    )


def enqueue_weekly_chunks(chunks: list[tuple[str, list[int]]]) -> bool:
    """The weekly fan-out's jobs, one per chunk of reports (job id, report ids), in one Redis round trip;
    False when Redis cannot be reached (none is then queued). A job id already known is not queued again."""
    if not chunks:
        return True
    try:
        q = queues.get_queue(queues.REPORTS)
        known = _exist([job_id for job_id, _ in chunks])
        q.enqueue_many(
            [
                q.prepare_data(
                    WEEKLY_CHUNK_JOB,
                    args=(ids,),
                    job_id=job_id,
                    timeout=WEEKLY_CHUNK_TIMEOUT,
                    result_ttl=queues.RESULT_TTL,
                    failure_ttl=queues.FAILURE_TTL,
                    retry=report_retry(),
                    meta={"report_ids": ids},
                )
                for (job_id, ids), there in zip(chunks, known, strict=True)
                if not there
            ]
        )
    except (redis.RedisError, OSError) as exc:
        log.warning("could not enqueue %d report chunks: %s", len(chunks), type(exc).__name__)
        return False
    return True


def _exist(job_ids: list[str]) -> list[bool]:
    """Whether RQ holds each job id, in one pipeline."""
    pipe = queues.get_queue(queues.REPORTS).connection.pipeline(transaction=False)
    for job_id in job_ids:
        pipe.exists(Job.key_for(job_id))
    return [bool(n) for n in pipe.execute()]


def enqueue_email_deliveries(email_ids: list[int]) -> bool:
    """``enqueue_email_delivery`` for many new outbox emails (a weekly chunk's) in one Redis round trip;
    False when Redis cannot be reached (the outbox sweep sends them)."""
    if not email_ids:
        return True
    try:
        q = queues.get_queue(queues.DEFAULT)
        q.enqueue_many(
            [
                q.prepare_data(
                    EMAIL_DELIVERY_JOB,
                    args=(email_id,),
                    job_id=f"email-{email_id}",
                    timeout=queues.DEFAULT_TIMEOUT,
                    result_ttl=queues.RESULT_TTL,
                    failure_ttl=queues.FAILURE_TTL,
                    retry=queues.default_retry(),
                )
                for email_id in email_ids
            ]
        )
    except (redis.RedisError, OSError) as exc:
        log.warning("could not enqueue %d email deliveries: %s", len(email_ids), type(exc).__name__)
        return False
    return True


def enqueue_share_card(client_id: int, job_id: str) -> bool:
    """Draw a client's share card (a PNG) on the reports queue; one job per card fingerprint (``job_id``)."""
    return queues.enqueue(
        queues.REPORTS, SHARE_CARD_JOB, client_id, job_id=job_id, timeout=SHARE_CARD_JOB_TIMEOUT, retry=report_retry()
    )


def job_alive(queue: str, job_id: str) -> bool | None:
    """Whether RQ still holds the job as queued, scheduled, deferred or running; None if Redis is down."""
    try:
        status = Job.fetch(job_id, connection=queues.get_queue(queue).connection).get_status()
    except NoSuchJobError:
        return False
    except (redis.RedisError, OSError):  # unreachable: the caller leaves the row for the next sweep
        return None
    return status in (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.STARTED)


def job_exists(queue: str, job_id: str) -> bool:
    """Whether RQ still keeps a job under this id in any state (a unique enqueue of it is then refused)."""
    try:
        return bool(queues.get_queue(queue).connection.exists(Job.key_for(job_id)))
    except (redis.RedisError, OSError):
        return True  # unknown: the caller picks a fresh id


def live_job_ids(queue: str) -> set[str] | None:
    """The ids of every job RQ holds as queued, scheduled, deferred or running on ``queue``; None if
    Redis is down (a sweep then leaves its rows for the next run)."""
    try:
        q = queues.get_queue(queue)
        return (
            set(q.get_job_ids())
            | set(q.scheduled_job_registry.get_job_ids())
            | set(q.deferred_job_registry.get_job_ids())
            | set(q.started_job_registry.get_job_ids())
        )
    except (redis.RedisError, OSError):
        return None


def _enqueue_debounced(func: str, arg: int, key: str, setting: str, batch: Batch | None = None) -> bool:
    """``func(arg)`` on the default queue once per window of ``setting`` seconds: every call within a
    window names the job ``{key}-{window}``, scheduled at the window's end (so it sees every sync of
    the window); a job already known under that id is not asked for again. With a delay of 0 each call
    queues its own job at once. False when Redis cannot be reached (the page renders on first view).
    With ``batch`` the same job is added to it (``app.queueing.batch``: the same check, one round trip)."""
    delay = int(current_app.config.get(setting, 30))
    if delay <= 0:
        return _on_default(func, arg, f"{key}-{uuid.uuid4().hex[:12]}", PAGES_JOB_TIMEOUT, batch)
    window = int(time.time() // delay)
    job_id = f"{key}-{window}"
    if batch is not None:
        batch.schedule(func, arg, job_id=job_id, timeout=PAGES_JOB_TIMEOUT, at=(window + 1) * delay)
        return True
    try:
        q = queues.get_queue(queues.DEFAULT)
        if q.connection.exists(Job.key_for(job_id)):
            return True
        q.enqueue_at(
            datetime.fromtimestamp((window + 1) * delay, UTC),
            func,
            arg,
            job_id=job_id,
            job_timeout=PAGES_JOB_TIMEOUT,
            result_ttl=queues.RESULT_TTL,
            failure_ttl=queues.FAILURE_TTL,
        )
    except (redis.RedisError, OSError) as exc:
        log.warning("could not schedule %s: %s", func, type(exc).__name__, extra={"event": "pages_not_scheduled"})
        return False
    return True


def enqueue_client_pages(client_id: int, batch: Batch | None = None) -> bool:
    """Render a client's charts for the default ranges after its sync (``app.services.page_prep``)."""
    return _enqueue_debounced(
        CLIENT_PAGES_JOB, client_id, f"pages-client-{client_id}", "PAGE_PREP_DELAY_SECONDS", batch
    )


def enqueue_portfolio_pages(user_id: int, batch: Batch | None = None) -> bool:
    """Refresh the portfolio a coach or an admin opens after a sync of one of their clients."""
    return _enqueue_debounced(
        PORTFOLIO_PAGES_JOB, user_id, f"pages-portfolio-{user_id}", "PAGE_PREP_PORTFOLIO_DELAY_SECONDS", batch
    )
