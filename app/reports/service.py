"""Report lifecycle: request (deduped by a data fingerprint), generate (in the ``reports`` queue),
files, emailed links (A4), share links, per-client settings, the weekly cron fan-out and retention (D5).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, delete, or_, select
from sqlalchemy.exc import IntegrityError

from app.errors import NotFound, ServiceError
from app.extensions import db
from app.models import (
    Client,
    ClientStatus,
    Connection,
    Deliverable,
    OutboxEmail,
    Report,
    ReportKind,
    ReportLink,
    ReportSettings,
    ReportStatus,
    Role,
    User,
)
from app.models.base import utcnow
from app.queueing import dispatch
from app.reports import build, chunks, pdf_store
from app.reports.pdf import pdf_text
from app.reports.pdf_store import has_pdf, render_report_pdf
from app.services import brand, clients

log = logging.getLogger(__name__)

#: a queued or running report older than this with no job in RQ is queued again
STUCK_AFTER = timedelta(minutes=15)
LINK_DAYS = 7
REPORT_RETENTION_DAYS = 90  # report rows, payloads and PDFs (D5)
LINK_RETENTION_DAYS = 30  # link rows this long after they expired
WEEKLY_HOURS = range(6, 12)  # "Monday morning" in the client's time zone
CATCH_UP_WEEKDAYS = (1,)  # Tuesday: a Monday missed by the cron (down across the morning) still gets its report
MAX_COMMENT = 4000


class LinkGone(ServiceError):
    """An expired or revoked report link (410): it says so and offers to log in."""

    status = 410
    code = "link_gone"


# ---------------------------------------------------------------- access


def get_report_for(user: User, report_id: int) -> Report:
    """A report ``user`` may see; :raises NotFound: otherwise (another tenant's report is a 404)."""
    report = db.session.get(Report, report_id)
    if report is None:
        raise NotFound("No such report.")
    if report.client_id is None:
        if user.role is Role.ADMIN or report.owner_id == user.id:
            return report
        raise NotFound("No such report.")
    clients.get_client_for(user, report.client_id)  # raises NotFound
    return report


def reports_for_client(client: Client, limit: int = 20) -> list[Report]:
    return list(
        db.session.execute(
            select(Report)
            .where(Report.client_id == client.id)
            .order_by(Report.created_at.desc(), Report.id.desc())
            .limit(limit)
        ).scalars()
    )


def links_for_client(client: Client, limit: int = 50) -> list[ReportLink]:
    """The history of reports sent (newest first)."""
    return list(
        db.session.execute(
            select(ReportLink)
            .join(Report)
            .where(Report.client_id == client.id)
            .order_by(ReportLink.created_at.desc(), ReportLink.id.desc())
            .limit(limit)
        ).scalars()
    )


# ---------------------------------------------------------------- request + cache


def data_version(client: Client) -> str:
    """Changes whenever the data behind a client's reports changes: each connection's last sync and
    update, each deliverable's completion and the programme dates (2 small queries)."""
    conns = db.session.execute(
        select(Connection.id, Connection.last_sync_at, Connection.updated_at, Connection.disconnected_at)
        .where(Connection.client_id == client.id)
        .order_by(Connection.id)
    ).all()
    dels = db.session.execute(
        select(Deliverable.id, Deliverable.completed_at)
        .where(Deliverable.client_id == client.id)
        .order_by(Deliverable.id)
    ).all()
    return repr((conns, dels, client.program_start, client.program_end, client.time_zone, client.display_name))


def fingerprint(*parts: Any) -> str:
    return hashlib.sha256(repr((build.VERSION, *parts)).encode()).hexdigest()


def _period(kind: str, client: Client | None, today: date) -> tuple[date, date]:
    if kind == ReportKind.WEEKLY and client is not None:
        end = today - timedelta(days=1)
        return end - timedelta(days=6), end
    if kind == ReportKind.MONTHLY and client is not None:
        return build.last_complete_month(today)
    if kind == ReportKind.PROGRAM and client is not None:
        return build.program_window(client, today)
    return today - timedelta(days=89), today


def request_report(
    actor: User,
    kind: str,
    *,
    client: Client | None = None,
    cohort: str | None = None,
    comment: str | None = None,
    today: date | None = None,
) -> Report:
    """The report for these inputs: a finished one whose data has not changed since, a running one
    (a second click attaches to it), or a new row with its job enqueued (style conventions 8-10)."""
    today = today or utcnow().date()
    if kind not in {k.value for k in ReportKind} or (kind != ReportKind.PORTFOLIO) != (client is not None):
        raise ServiceError("Unknown report kind.")
    if cohort:
        build.cohort_bounds(cohort)
    first, end = _period(kind, client, today)
    if client is not None:
        version = data_version(client)
    else:
        version = repr(
            db.session.execute(
                select(Connection.id, Connection.last_sync_at)
                .where(Connection.client_id.in_(clients.visible_clients(actor).with_only_columns(Client.id)))
                .order_by(Connection.id)
            ).all()
        )
    fp = fingerprint(
        kind,
        client.id if client else None,
        actor.id if client is None else None,
        cohort,
        first,
        end,
        comment or "",
        version,
        brand.current(),  # a new name, logo or colour makes a new PDF
        client.locale if client else None,  # so does the client's own report format
    )
    existing = db.session.execute(
        select(Report)
        .where(Report.fingerprint == fp, Report.status != ReportStatus.FAILED.value)
        .order_by(Report.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if existing is not None:  # running, or done (its PDF is drawn when first asked for: ``pdf_store``)
        return existing
    report = Report(
        kind=kind,
        client_id=client.id if client else None,
        owner_id=actor.id,
        cohort=cohort,
        period_start=first,
        period_end=end,
        fingerprint=fp,
        coach_comment=comment or None,
        status=ReportStatus.QUEUED.value,
        progress=0,
    )
    db.session.add(report)
    db.session.commit()
    start_job(report)
    return report


def start_job(report: Report, *, weekly: bool = False) -> bool:
    """Enqueue the report's job (id-only, explicit limits); a down queue marks the report failed."""
    report.job_id = f"report-{report.id}" if report.job_id is None else report.job_id
    db.session.commit()
    ok = dispatch.enqueue_report(
        report.id,
        report.job_id,
        weekly=weekly,
        meta={"report_id": report.id, "client_id": report.client_id, "owner_id": report.owner_id},
    )
    if not ok:
        report.status, report.error = ReportStatus.FAILED.value, "The report queue is unavailable; try again shortly."
        db.session.commit()
    return ok


# ---------------------------------------------------------------- generation


def _progress(report: Report, pct: int, status: str = ReportStatus.RUNNING.value) -> None:
    report.progress, report.status = pct, status
    db.session.commit()


def compute_payload(report: Report) -> dict[str, Any]:
    today = report.period_end + timedelta(days=1) if report.kind == ReportKind.WEEKLY else report.period_end
    if report.kind == ReportKind.PORTFOLIO:
        owner = db.session.get(User, report.owner_id) if report.owner_id else None
        if owner is None:
            raise NotFound("The report's owner no longer exists.")
        return build.portfolio(clients.visible_clients(owner), today, report.cohort)
    client = db.session.get(Client, report.client_id)
    if client is None:
        raise NotFound("The report's client no longer exists.")
    if report.kind == ReportKind.WEEKLY:
        return build.weekly(client, report.period_end)
    if report.kind == ReportKind.MONTHLY:
        return build.monthly(client, report.period_start, report.period_end)
    return build.program(client, today, report.coach_comment)


def generate(report_id: int, *, by_need: bool = False) -> Report:
    """Compute the payload, render the PDF, store both; progress is written as it goes. ``by_need`` (the
    scheduled weekly and monthly jobs): the PDF only for a client who usually downloads it, else it is
    drawn when first asked for (``pdf_store``)."""
    report = db.session.get(Report, report_id)
    if report is None:
        raise NotFound("No such report.")
    if report.status == ReportStatus.DONE and has_pdf(report):
        return report
    if report.status == ReportStatus.DONE and report.payload is not None:
        if not by_need:  # a PDF asked for (``prepare_pdf``): drawn from the numbers that were sent
            pdf_store.store_pdf(report, render_report_pdf(report.payload))
            db.session.commit()
        return report
    if not by_need:  # the scheduled jobs skip it: nobody watches their progress, a commit saved
        _progress(report, 10)
    try:
        payload = compute_payload(report)
        report.payload = payload
        if not by_need:  # a report someone waits for: its card shows the progress
            _progress(report, 60)
        if not by_need or pdf_store.usually_downloaded(report):
            pdf_store.store_pdf(report, render_report_pdf(payload))
        report.finished_at = utcnow()
        _progress(report, 100, ReportStatus.DONE.value)
    except Exception as exc:
        db.session.rollback()
        failed = db.session.get(Report, report_id)
        if failed is not None:
            failed.status, failed.error = ReportStatus.FAILED.value, "The report could not be generated."
            failed.finished_at = utcnow()
            db.session.commit()
        log.exception(
            "report generation failed",
            extra={"event": "report_failed", "report_id": report_id, "error_type": type(exc).__name__},
        )
        raise
    return report


def pdf_bytes(report: Report) -> bytes | None:
    """The PDF: stored, else drawn now from the stored numbers and stored, once per report however many
    ask at once (``pdf_store.ensure_pdf``); None while it cannot be (``prepare_pdf`` then asks a worker)."""
    return pdf_store.ensure_pdf(report)


count_download = pdf_store.count_download  # one more download: decides rendering the next PDF ahead


def prepare_pdf(report: Report) -> bool:
    """Ask a worker to render a done report's missing PDF; one job per report however often it is asked."""
    return dispatch.enqueue_report(report.id, f"report-{report.id}-pdf")


def download_name(report: Report, ext: str = "pdf") -> str:
    """Built by the server from the kind and dates only: never a client's name (W9)."""
    return f"{report.kind}-report-{report.period_start.isoformat()}-{report.period_end.isoformat()}.{ext}"


# ---------------------------------------------------------------- links (A4)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(report: Report, email: str, user_id: int | None, days: int = LINK_DAYS) -> tuple[ReportLink, str]:
    """A capability for one report and one recipient; the raw token exists only in the returned URL."""
    token = secrets.token_urlsafe(32)
    link = ReportLink(
        report_id=report.id,
        token_hash=hash_token(token),
        recipient_email=email,
        recipient_user_id=user_id,
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(link)
    db.session.flush()
    return link, token


def link_url(report: Report, token: str) -> str:
    from app.services.urls import absolute_url

    return absolute_url("reports.link", report_id=report.id, token=token)


def resolve_link(report_id: int, token: str) -> ReportLink:
    """:raises NotFound: unknown token, or a token of another report; :raises LinkGone: expired/revoked."""
    link = db.session.execute(select(ReportLink).where(ReportLink.token_hash == hash_token(token))).scalar_one_or_none()
    if link is None or not hmac.compare_digest(str(link.report_id), str(report_id)):
        raise NotFound("This report link is not valid.")
    if link.revoked_at is not None:
        raise LinkGone("This report link was revoked.")
    if link.expires_at <= utcnow():
        raise LinkGone("This report link has expired.")
    return link


def mark_opened(link: ReportLink) -> None:
    link.last_opened_at = utcnow()
    link.open_count += 1
    db.session.commit()


def revoke_link(client: Client, link_id: int) -> ReportLink:
    link = db.session.execute(
        select(ReportLink).join(Report).where(ReportLink.id == link_id, Report.client_id == client.id)
    ).scalar_one_or_none()
    if link is None:
        raise NotFound("No such link.")
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        db.session.commit()
    return link


def send_report(report: Report, *, today: date | None = None, deliver: bool = True) -> list[int]:
    """Email the report's link to its client and (if opted in) the coach, once per recipient; returns
    the outbox email ids. Links and emails are committed together (transactional outbox); ``deliver=False``
    leaves queueing their delivery to the caller (a weekly chunk queues its emails in one round trip)."""
    from app.services.mail import enqueue_delivery, queue_email

    client = db.session.get(Client, report.client_id) if report.client_id else None
    if client is None:
        return []
    settings = settings_for(client)
    recipients: list[User] = []
    if settings.send_to_client and client.user is not None:
        recipients.append(client.user)
    if settings.send_to_coach and client.coach is not None:
        recipients.append(client.coach)
    ids = []
    for user in recipients:
        key = f"report:{report.id}:user:{user.id}"
        if db.session.execute(select(OutboxEmail.id).where(OutboxEmail.idempotency_key == key)).first():
            continue
        link, token = issue_link(report, user.email, user.id)
        email = queue_email(
            user.email,
            "report",
            "weekly_report",
            idempotency_key=key,
            user_id=user.id,
            url=link_url(report, token),
            name=user.name,
            client_name=client.display_name,
            r=report.payload or {},
            expires=link.expires_at,
            for_coach=user.id != client.user_id,
        )
        db.session.flush()
        link.email_id = email.id
        ids.append(email.id)
    db.session.commit()
    for email_id in ids if deliver else ():
        enqueue_delivery(email_id)
    return ids


# ---------------------------------------------------------------- settings + share


def settings_for(client: Client) -> ReportSettings:
    """The client's report settings (defaults - weekly on, client only - until first saved)."""
    row = db.session.get(ReportSettings, client.id)
    if row is None:
        row = ReportSettings(client_id=client.id, weekly_enabled=True, send_to_client=True, send_to_coach=False)
    return row


def save_settings(client: Client, *, weekly: bool, to_client: bool, to_coach: bool) -> ReportSettings:
    row = settings_for(client)
    row.weekly_enabled, row.send_to_client, row.send_to_coach = weekly, to_client, to_coach
    db.session.add(row)
    db.session.commit()
    return row


def _share_token(nonce: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"report-share:{nonce}".encode(), hashlib.sha256).hexdigest()


def set_share(client: Client, enabled: bool) -> ReportSettings:
    """Turn the public programme-report link on (a new token each time) or off (the old one dies)."""
    row = settings_for(client)
    if enabled and row.share_nonce is None:
        row.share_nonce = secrets.token_hex(16)
        row.share_token_hash = hash_token(_share_token(row.share_nonce))
    elif not enabled:
        row.share_nonce = row.share_token_hash = None
    db.session.add(row)
    db.session.commit()
    return row


def share_url(row: ReportSettings) -> str | None:
    if row.share_nonce is None:
        return None
    from app.services.urls import absolute_url

    return absolute_url("reports.share", token=_share_token(row.share_nonce))


def client_for_share(token: str) -> Client:
    """:raises LinkGone: the client turned sharing off (or never had this link)."""
    row = db.session.execute(
        select(ReportSettings).where(ReportSettings.share_token_hash == hash_token(token))
    ).scalar_one_or_none()
    if row is None or row.share_nonce is None:
        raise LinkGone("This shared report is no longer available.")
    client = db.session.get(Client, row.client_id)
    if client is None:
        raise LinkGone("This shared report is no longer available.")
    return client


# ---------------------------------------------------------------- weekly cron


def week_key(d: date) -> str:
    iso = d.isocalendar()
    return f"{iso.year}W{iso.week:02d}"


@dataclass(frozen=True)
class Due:
    client_id: int
    local_day: date


def clients_local_now(now: datetime) -> list[tuple[int, datetime]]:
    """Each active or onboarding client whose scheduled reports are on, with ``now`` in the client's own
    zone (UTC when the zone is missing or unknown): what the weekly and monthly schedules decide on."""
    stmt: Select[Any] = (
        select(Client.id, Client.time_zone)
        .outerjoin(ReportSettings)
        .where(
            Client.status.in_([ClientStatus.ACTIVE, ClientStatus.ONBOARDING]),
            or_(ReportSettings.client_id.is_(None), ReportSettings.weekly_enabled.is_(True)),
        )
    )
    out = []
    for cid, tz in db.session.execute(stmt):
        try:
            local = now.astimezone(ZoneInfo(tz or "UTC"))
        except (KeyError, ValueError):
            local = now
        out.append((cid, local))
    return out


def due_weekly(now: datetime) -> list[Due]:
    """Clients with weekly reports on whose local time is Monday morning, or later on Monday or Tuesday
    (a fan-out missed while the cron process was down is caught up; the unique (client, week) row keeps
    it to one report). ``Due.local_day`` is that week's Monday."""
    out = []
    for cid, local in clients_local_now(now):
        monday = local.date() - timedelta(days=local.weekday())
        if (local.weekday() == 0 and local.hour >= WEEKLY_HOURS.start) or local.weekday() in CATCH_UP_WEEKDAYS:
            out.append(Due(cid, monday))
    return out


def weekly_fanout(now: datetime | None = None) -> int:
    """One weekly report per client per ISO week (the unique (client, kind, week) row and the job id
    ``report-weekly-{client}-{isoyear}{isoweek}-chunk`` of each chunk's first make re-runs no-ops): the rows
    in one commit, one job per chunk of clients (``app.reports.chunks``) queued in one Redis round trip; a
    concurrent fan-out makes this one fall back to a row at a time."""
    now = now or utcnow()
    due = due_weekly(now)
    keys = {d.client_id: week_key(d.local_day) for d in due}
    weeks = select(Report.client_id, Report.week_key).where(Report.kind == "weekly", Report.week_key.in_(keys.values()))
    have = set(db.session.execute(weeks).tuples())
    new = [_weekly_row(d) for d in due if (d.client_id, keys[d.client_id]) not in have]
    chunks.assign(new)
    if not _committed(new):  # another fan-out ran at the same time: one row at a time, skipping theirs
        new = [r for r in (_weekly_row(d) for d in due) if _committed([r])]
        chunks.assign(new)  # chunks named for this fan-out's own rows only
        db.session.commit()
    return chunks.start(new)


def _committed(rows: list[Report]) -> bool:
    db.session.add_all(rows)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def _weekly_row(due: Due) -> Report:
    key, end = week_key(due.local_day), due.local_day - timedelta(days=1)
    return Report(
        kind=ReportKind.WEEKLY.value,
        client_id=due.client_id,
        week_key=key,
        job_id=f"report-weekly-{due.client_id}-{key.replace('W', '')}",
        period_start=end - timedelta(days=6),
        period_end=end,
        status=ReportStatus.QUEUED.value,
    )


def requeue_stuck(now: datetime | None = None) -> int:
    """Reports still queued or running with no job left in RQ (Redis lost it, or its retries were
    spent while a worker kept dying) are queued again under a new job id; returns how many.

    Run by cron every 10 minutes; a report younger than ``STUCK_AFTER`` is left to its own job.
    """
    now = now or utcnow()
    rows = db.session.execute(
        select(Report).where(
            Report.status.in_([ReportStatus.QUEUED.value, ReportStatus.RUNNING.value]),
            Report.created_at < now - STUCK_AFTER,
        )
    ).scalars()
    requeued = 0
    for report in list(rows):
        if report.job_id and dispatch.job_alive("reports", report.job_id) is not False:
            continue  # still queued or running (or Redis is down: next time)
        report.job_id = f"report-{report.id}-again-{int(now.timestamp())}"
        report.status, report.progress = ReportStatus.QUEUED.value, 0
        log.warning("report job lost: queued again", extra={"event": "report_requeued", "report_id": report.id})
        if start_job(report, weekly=report.kind == ReportKind.WEEKLY.value):
            requeued += 1
    return requeued


# ---------------------------------------------------------------- retention (D5)


def purge(now: datetime | None = None) -> int:
    """Delete reports (rows, payloads, PDFs) older than the retention and long-expired links."""
    now = now or utcnow()
    old = list(
        db.session.execute(
            select(Report).where(Report.created_at < now - timedelta(days=REPORT_RETENTION_DAYS))
        ).scalars()
    )
    for r in old:
        db.session.delete(r)  # its PDF (report_files) and links go with it
    db.session.execute(delete(ReportLink).where(ReportLink.expires_at < now - timedelta(days=LINK_RETENTION_DAYS)))
    db.session.commit()
    return len(old)


__all__ = ["LinkGone", "pdf_text"]
