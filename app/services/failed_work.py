"""Failed and stuck work, for the admins' operations page and the health JSON.

Five sources, each read from where its truth lives:

* **syncs**: a live connection whose latest run failed with no follow-up scheduled (retries used up, or
  an error that asking again will not fix), and runs left ``running`` longer than a sync may take;
* **reports**: reports ``failed``, and reports ``queued``/``running`` for over 15 minutes;
* **emails**: outbox emails ``failed``, and ``pending`` ones still not delivered after an hour;
* **replies**: comment replies ``failed`` (the platform refused, or never answered in ``MAX_ATTEMPTS``
  tries), and ``queued``/``sending`` ones still not sent after an hour (the reply sweep re-queues them);
* **jobs**: what RQ keeps in a queue's failed registry (retries spent, or the worker died every time).

A reply is retried through its outbox row (back to ``queued``, attempts kept), so the worker's claim and
its landing check (``app.sync.replies.deliver``: any attempt after the first reads the comment's replies
before sending) are the same as the sweep's: a reply that reached the platform is recorded, not resent.
A reply whose comment was deleted at the platform, or whose connection or reply permission is gone, can
only be discarded; a discarded reply is marked ``failed`` so the sweep never sends it.

Every item is one *failure instance* (``kind`` + ``item_key``: a run id, an email at its attempt count,
a report at its failure time, a job at its end time). An admin's retry or discard is a row of
``ops_work_actions`` unique on that pair, inserted before anything is queued: two admins retrying the
same job at once insert one row, the other is told who was first, and the job runs once. A retried item
that fails again is a new instance (a new run, one more attempt) and is listed again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, NotFound, ServiceError
from app.extensions import db
from app.models import (
    Client,
    Comment,
    CommentReply,
    Connection,
    EmailStatus,
    OutboxEmail,
    ReplyStatus,
    Report,
    ReportStatus,
    SyncRun,
    SyncStatus,
    SyncTrigger,
    User,
    WorkAction,
)
from app.models.base import utcnow
from app.models.platforms import PLATFORM_NAMES
from app.queueing import dispatch, queues
from app.security.scrub import scrub_text

KINDS = ("sync", "report", "email", "reply", "job")
KIND_LABELS = {
    "sync": "Syncs",
    "report": "Reports",
    "email": "Emails",
    "reply": "Comment replies",
    "job": "Background jobs",
}
REPORT_STUCK_AFTER = timedelta(minutes=15)
EMAIL_STUCK_AFTER = timedelta(hours=1)
REPLY_STUCK_AFTER = timedelta(hours=1)
REPLY_DISCARDED = "Discarded by an admin; it was not sent."
RECENT_RUNS = timedelta(days=8)
LIMIT = 100

#: what a failed RQ job was for, by entry point
JOB_WORDS = {
    dispatch.SYNC_JOB: "Sync",
    dispatch.ALERT_EVALUATION_JOB: "Alert evaluation after a sync",
    dispatch.EMAIL_DELIVERY_JOB: "Email delivery",
    dispatch.DATA_DELETION_JOB: "Data deletion requested by a platform",
    dispatch.REPORT_JOB: "Report",
    dispatch.WEEKLY_REPORT_JOB: "Weekly report and its emails",
    dispatch.WEEKLY_CHUNK_JOB: "Weekly reports and their emails (a chunk of clients)",
    dispatch.THUMBNAILS_JOB: "Post thumbnails",
    dispatch.COMMENT_REPLY_JOB: "Comment reply",
}
#: a name in RQ's last exception line -> words (the scrubbed line itself is shown beside them)
JOB_ERRORS = {
    "JobTimeoutException": "It ran longer than its time limit and was stopped.",
    "AbandonedJobError": "Its worker died (killed or out of memory) on every try.",
    "OperationalError": "The database was unavailable.",
    "ConnectionError": "A service it needed did not answer.",
}


@dataclass(frozen=True)
class WorkItem:
    """One failed or stuck piece of work, in words an admin can act on."""

    kind: str
    item_key: str
    state: str  # failed | stuck
    what: str
    reason: str
    detail: str  # the technical error, scrubbed
    concerns: str  # the client and account it is about, or why there is none
    client_id: int | None
    at: datetime | None
    blocked: str | None = None  # why it cannot be retried (then discard is the only action)

    @property
    def can_retry(self) -> bool:
        return self.blocked is None


def _actioned(kind: str, keys: Iterable[str]) -> set[str]:
    keys = list(keys)
    if not keys:
        return set()
    return set(
        db.session.execute(
            select(WorkAction.item_key).where(WorkAction.kind == kind, WorkAction.item_key.in_(keys))
        ).scalars()
    )


def _account(conn: Connection, client_name: str | None) -> str:
    handle = f"@{conn.username}" if conn.username else conn.platform_user_id
    return f"{client_name or 'Unknown client'} · {PLATFORM_NAMES.get(conn.platform, conn.platform)} {handle}"


# --------------------------------------------------------------------------- syncs


def _sync_items(now: datetime) -> list[WorkItem]:
    # a live connection syncs daily, so its latest run is recent: the last 8 days bound the scan
    latest = select(func.max(SyncRun.id)).where(SyncRun.queued_at >= now - RECENT_RUNS).group_by(SyncRun.connection_id)
    rows = db.session.execute(
        select(SyncRun, Connection, Client.display_name)
        .join(Connection, Connection.id == SyncRun.connection_id)
        .join(Client, Client.id == Connection.client_id)
        .where(Connection.disconnected_at.is_(None), SyncRun.id.in_(latest), SyncRun.status == SyncStatus.FAILED.value)
        .order_by(SyncRun.id.desc())
        .limit(LIMIT)
    ).all()
    stuck_before = now - timedelta(seconds=dispatch.sync_job_timeout() + 120)
    stuck = db.session.execute(
        select(SyncRun, Connection, Client.display_name)
        .join(Connection, Connection.id == SyncRun.connection_id)
        .join(Client, Client.id == Connection.client_id)
        .where(SyncRun.status == SyncStatus.RUNNING.value, SyncRun.started_at < stuck_before)
        .order_by(SyncRun.id.desc())
        .limit(LIMIT)
    ).all()
    items = []
    for run, conn, client_name in rows:
        if (run.details or {}).get("retry_in_seconds") is not None:
            continue  # a retry is scheduled: not given up yet
        blocked = "The client has to reconnect this account first." if conn.state.needs_reconnect else None
        items.append(
            WorkItem(
                "sync",
                str(run.id),
                "failed",
                f"{run.trigger.capitalize()} sync",
                conn.last_error or "The sync failed and no retry is scheduled.",
                scrub_text(f"{run.error_class or 'error'}: {run.error_message or ''}")[:300],
                _account(conn, client_name),
                conn.client_id,
                run.finished_at or run.started_at,
                blocked,
            )
        )
    for run, conn, client_name in stuck:
        items.append(
            WorkItem(
                "sync",
                f"{run.id}:stuck",
                "stuck",
                f"{run.trigger.capitalize()} sync",
                "Running for longer than a sync may take: its worker probably died. It is closed within 10 "
                "minutes by the stale-sync sweep; a retry starts a fresh sync now.",
                f"started {run.started_at.isoformat() if run.started_at else '?'}",
                _account(conn, client_name),
                conn.client_id,
                run.started_at,
                None if not conn.state.needs_reconnect and conn.is_live else "The account is not connected.",
            )
        )
    done = _actioned("sync", [i.item_key for i in items])
    return [i for i in items if i.item_key not in done]


def _retry_sync(item: WorkItem) -> bool:
    run = db.session.get(SyncRun, int(item.item_key.split(":")[0]))
    if run is None:
        return False
    job_id = f"{dispatch.sync_job_prefix(run.connection_id)}retry-{item.item_key.replace(':', '-')}"
    return dispatch.enqueue_sync(run.connection_id, SyncTrigger.OPERATOR.value, job_id=job_id)


# --------------------------------------------------------------------------- reports


def _report_key(report: Report) -> str:
    stamp = report.finished_at or report.created_at
    return f"{report.id}@{int(stamp.timestamp())}"


def _report_items(now: datetime) -> list[WorkItem]:
    rows = db.session.execute(
        select(Report, Client.display_name)
        .outerjoin(Client, Client.id == Report.client_id)
        .where(
            (Report.status == ReportStatus.FAILED.value)
            | (
                Report.status.in_([ReportStatus.QUEUED.value, ReportStatus.RUNNING.value])
                & (Report.created_at < now - REPORT_STUCK_AFTER)
            )
        )
        .order_by(Report.id.desc())
        .limit(LIMIT)
    ).all()
    items = []
    for report, client_name in rows:
        failed = report.status == ReportStatus.FAILED.value
        items.append(
            WorkItem(
                "report",
                _report_key(report),
                "failed" if failed else "stuck",
                f"{report.kind.capitalize()} report, {report.period_start:%Y-%m-%d} to {report.period_end:%Y-%m-%d}",
                (report.error or "The report could not be generated.")
                if failed
                else f"Still {report.status} after 15 minutes; the report sweep queues it again every 10 minutes.",
                f"job {report.job_id or '-'}",
                client_name or ("Portfolio report" if report.client_id is None else "Deleted client"),
                report.client_id,
                report.finished_at or report.created_at,
            )
        )
    done = _actioned("report", [i.item_key for i in items])
    return [i for i in items if i.item_key not in done]


def _report_job_id(item: WorkItem) -> str:
    return f"report-{item.item_key.replace('@', '-retry-')}"


def _prepare_report(item: WorkItem) -> None:
    """Back to ``queued`` with a new job id (the report sweep queues it if Redis loses the job)."""
    db.session.execute(
        update(Report)
        .where(Report.id == int(item.item_key.split("@")[0]))
        .values(status=ReportStatus.QUEUED.value, error=None, progress=0, job_id=_report_job_id(item), finished_at=None)
    )


def _retry_report(item: WorkItem) -> bool:
    report = db.session.get(Report, int(item.item_key.split("@")[0]))
    return report is None or dispatch.enqueue_report(
        report.id, _report_job_id(item), weekly=report.week_key is not None
    )


# --------------------------------------------------------------------------- emails


def _email_items(now: datetime) -> list[WorkItem]:
    rows = db.session.execute(
        select(OutboxEmail)
        .where(
            (OutboxEmail.status == EmailStatus.FAILED)
            | ((OutboxEmail.status == EmailStatus.PENDING) & (OutboxEmail.created_at < now - EMAIL_STUCK_AFTER))
        )
        .order_by(OutboxEmail.id.desc())
        .limit(LIMIT)
    ).scalars()
    items = []
    for email in rows:
        failed = email.status == EmailStatus.FAILED
        items.append(
            WorkItem(
                "email",
                f"{email.id}@{email.attempts}",
                "failed" if failed else "stuck",
                f"Email “{email.subject}”",
                "The mail server refused it for good, or kept refusing it until the retry window ended."
                if failed
                else f"Not delivered after an hour ({email.attempts} tries); the outbox sweep keeps trying.",
                scrub_text(email.last_error or "no error recorded")[:300],
                f"to {email.to_address}",
                None,
                email.last_attempt_at or email.created_at,
            )
        )
    done = _actioned("email", [i.item_key for i in items])
    return [i for i in items if i.item_key not in done]


def _prepare_email(item: WorkItem) -> None:
    """A failed email back to ``pending`` with a new retry window (the outbox sweep sends it if Redis
    loses the job)."""
    email = db.session.get(OutboxEmail, int(item.item_key.split("@")[0]))
    if email is not None and email.status == EmailStatus.FAILED:
        email.status = EmailStatus.PENDING
        email.give_up_at = utcnow() + timedelta(hours=int(current_app.config["MAIL_RETRY_HOURS"]))
        email.claimed_at = None


def _retry_email(item: WorkItem) -> bool:
    email_id, _, attempts = item.item_key.partition("@")
    return dispatch.enqueue_email_delivery(int(email_id), again=f"ops-{attempts}")


# --------------------------------------------------------------------------- comment replies


def _reply_items(now: datetime) -> list[WorkItem]:
    open_states = [ReplyStatus.QUEUED.value, ReplyStatus.SENDING.value]
    rows = db.session.execute(
        select(CommentReply, Comment, Connection, Client.display_name)
        .join(Comment, Comment.id == CommentReply.comment_id)
        .join(Connection, Connection.id == Comment.connection_id)
        .join(Client, Client.id == CommentReply.client_id)
        .where(
            (CommentReply.status == ReplyStatus.FAILED.value)
            | (CommentReply.status.in_(open_states) & (CommentReply.created_at < now - REPLY_STUCK_AFTER))
        )
        .order_by(CommentReply.id.desc())
        .limit(LIMIT)
    ).all()
    items = []
    for reply, comment, conn, client_name in rows:
        failed = reply.status == ReplyStatus.FAILED.value
        if failed and reply.error == REPLY_DISCARDED:
            continue
        if comment.deleted_at_platform is not None:
            blocked: str | None = "The comment was deleted at the platform."
        elif not conn.is_live:
            blocked = "The account was disconnected."
        elif conn.state.needs_reconnect:
            blocked = "The client has to reconnect this account first."
        elif conn.comments_grant_at is None:
            blocked = "The client removed the permission to reply to comments."
        else:
            blocked = None
        author = f"@{comment.author_handle}" if comment.author_handle else (comment.author_name or "a viewer")
        items.append(
            WorkItem(
                "reply",
                f"{reply.id}@{reply.attempts}" + ("" if failed else ":stuck"),
                "failed" if failed else "stuck",
                f"Reply to {author}: “{comment.text[:60]}{'…' if len(comment.text) > 60 else ''}”",
                (reply.error or "The reply could not be sent.")
                if failed
                else f"Not sent after an hour ({reply.attempts} tries); the reply sweep keeps trying.",
                scrub_text(f"reply #{reply.id}, comment #{comment.id}, {reply.attempts} tries")[:300],
                _account(conn, client_name),
                reply.client_id,
                reply.created_at,
                blocked,
            )
        )
    done = _actioned("reply", [i.item_key for i in items])
    return [i for i in items if i.item_key not in done]


def _reply_id(item: WorkItem) -> int:
    return int(item.item_key.split("@")[0])


def _prepare_reply(item: WorkItem) -> None:
    """Back to ``queued`` with its attempts kept: the worker's next claim counts one more, so it checks
    whether the reply landed before sending (the reply sweep sends it if Redis loses the job)."""
    db.session.execute(
        update(CommentReply)
        .where(
            CommentReply.id == _reply_id(item),
            CommentReply.status.in_([ReplyStatus.FAILED.value, ReplyStatus.SENDING.value]),
        )
        .values(status=ReplyStatus.QUEUED.value, error=None)
    )


def _retry_reply(item: WorkItem) -> bool:
    key = item.item_key.replace("@", "-ops-").replace(":", "-")
    return queues.enqueue_default(dispatch.COMMENT_REPLY_JOB, _reply_id(item), job_id=f"reply-{key}")


def _discard_reply(item: WorkItem) -> None:
    """Failed for good, so the reply sweep never sends it (a worker mid-send is not stopped)."""
    db.session.execute(
        update(CommentReply)
        .where(
            CommentReply.id == _reply_id(item),
            CommentReply.status.in_([ReplyStatus.FAILED.value, ReplyStatus.QUEUED.value, ReplyStatus.SENDING.value]),
        )
        .values(status=ReplyStatus.FAILED.value, error=REPLY_DISCARDED)
    )


# --------------------------------------------------------------------------- RQ's failed registries


def _job_items() -> list[WorkItem] | None:
    """RQ's failed jobs; None when Redis does not answer (unknown, not zero)."""
    jobs = queues.failed_jobs(LIMIT)
    if not jobs:
        return None if jobs is None else []
    conn_ids = {int(j.args[0]) for j in jobs if j.func == dispatch.SYNC_JOB and j.args and isinstance(j.args[0], int)}
    found = {
        c.id: (c, name)
        for c, name in db.session.execute(
            select(Connection, Client.display_name).join(Client).where(Connection.id.in_(conn_ids))
        ).all()
    }
    items = []
    for job in jobs:
        concerns, client_id, blocked = "-", None, None
        if job.func == dispatch.SYNC_JOB and job.args:
            pair = found.get(job.args[0]) if isinstance(job.args[0], int) else None
            if pair is None:
                concerns, blocked = f"connection #{job.args[0]} (deleted)", "Its connection was deleted."
            else:
                conn, name = pair
                concerns, client_id = _account(conn, name), conn.client_id
                if not conn.is_live:
                    blocked = "The account was disconnected."
        items.append(
            WorkItem(
                "job",
                f"{job.queue}:{job.job_id}@{int(job.ended_at.timestamp()) if job.ended_at else 0}",
                "failed",
                JOB_WORDS.get(job.func, job.func.rsplit(".", 1)[-1].replace("_", " ").capitalize()),
                next(
                    (words for name, words in JOB_ERRORS.items() if name in job.error), "It raised an error every try."
                ),
                scrub_text(job.error)[:300],
                concerns,
                client_id,
                job.ended_at,
                blocked,
            )
        )
    done = _actioned("job", [i.item_key for i in items])
    return [i for i in items if i.item_key not in done]


def _job_ref(item: WorkItem) -> tuple[str, str]:
    queue, _, rest = item.item_key.partition(":")
    return queue, rest.rpartition("@")[0]


def _retry_job(item: WorkItem) -> bool:
    moved = queues.requeue_failed_job(*_job_ref(item))
    if moved is False:  # requeued or removed outside this page (``rq requeue``): nothing to do
        raise Conflict("This job was already requeued or removed outside this page.")
    return bool(moved)


# --------------------------------------------------------------------------- the page and actions


class CannotQueue(ServiceError):
    status = 503
    code = "cannot_queue"

    def __init__(self, then: str = " Nothing was retried; try again shortly.") -> None:
        super().__init__("The queue (Redis) is unreachable." + then)


def items(kind: str | None = None, now: datetime | None = None) -> dict[str, list[WorkItem] | None]:
    """Failed and stuck work by kind (``kind`` alone, or all), newest first; a kind that cannot be read
    now (background jobs while Redis is down) is None."""
    now = now or utcnow()
    readers = {
        "sync": lambda: _sync_items(now),
        "report": lambda: _report_items(now),
        "email": lambda: _email_items(now),
        "reply": lambda: _reply_items(now),
        "job": _job_items,
    }
    return {k: readers[k]() for k in KINDS if kind in (None, k)}


def counts(now: datetime | None = None) -> dict[str, int | None]:
    """How many failed and stuck items of each kind (``/readyz``); None: unknown (Redis down)."""
    return {kind: None if rows is None else len(rows) for kind, rows in items(now=now).items()}


def act(actor: User, kind: str, item_key: str, action: str) -> WorkItem:
    """Retry or discard one item, once however many admins click at the same time.

    :raises NotFound: no such item is failing (any more).
    :raises Conflict: another admin already retried or discarded it.
    :raises ServiceError: it cannot be retried (its connection was deleted, ...): discard it instead.
    """
    if kind not in KINDS or action not in ("retry", "discard"):
        raise NotFound("Unknown job.")
    _already(kind, item_key)
    item = next((i for i in items(kind)[kind] or () if i.item_key == item_key), None)
    if item is None:
        _already(kind, item_key)  # handled meanwhile by another admin: say who
        raise NotFound("This job is not failing any more.")
    if action == "retry" and item.blocked:
        raise ServiceError(f"It cannot be retried: {item.blocked} Discard it instead.")
    action_row = WorkAction(kind=kind, item_key=item_key, action=action, actor_id=actor.id, at=utcnow())
    try:
        db.session.add(action_row)
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        _already(kind, item_key)
        raise Conflict("Someone else handled this job a moment ago.") from None
    if action == "retry" and kind in PREPARE:
        PREPARE[kind](item)
    if action == "discard" and kind in DISCARD:
        DISCARD[kind](item)
    db.session.commit()  # from here on a second admin is told who was first
    if action == "discard":
        if kind == "job":
            queues.remove_failed_job(*_job_ref(item))
        return item
    if not RETRY[kind](item):
        if kind in PREPARE:  # the row says what to do: the report or outbox sweep queues it later
            raise CannotQueue(" It is marked for retry and goes out with the next sweep once Redis is back.")
        db.session.delete(action_row)  # nothing was queued: it may be retried again
        db.session.commit()
        raise CannotQueue()
    return item


RETRY = {"sync": _retry_sync, "report": _retry_report, "email": _retry_email, "reply": _retry_reply, "job": _retry_job}
PREPARE = {"report": _prepare_report, "email": _prepare_email, "reply": _prepare_reply}
DISCARD = {"reply": _discard_reply}


def _already(kind: str, item_key: str) -> None:
    row = db.session.execute(
        select(WorkAction, User.name)
        .outerjoin(User, User.id == WorkAction.actor_id)
        .where(WorkAction.kind == kind, WorkAction.item_key == item_key)
    ).first()
    if row is not None:
        action, name = row
        verb = "retried" if action.action == "retry" else "discarded"
        raise Conflict(f"{name or 'Another admin'} already {verb} this job.")
