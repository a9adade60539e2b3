"""Monthly reports, scheduled like the weekly ones: on the 1st of the month in the client's morning (or
later that day and on the 2nd, catching up a cron that was down), for the calendar month that just
ended, for clients whose scheduled reports are on (the weekly switch of the report settings covers both).

One row per (client, month): ``week_key`` holds "YYYYMmm" (e.g. "2026M11") under the reports' unique
(client, kind, week_key) constraint, and the job id ``report-monthly-{client}-{YYYYmm}`` is deterministic,
so a second run or a second scheduler queues nothing new. The job is the weekly one (generate, then
email the links once per recipient).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Report, ReportKind, ReportStatus
from app.models.base import utcnow
from app.reports import build, service

CATCH_UP_DAYS = (2,)  # the 2nd: a 1st missed by the cron still gets its report


def month_key(first: date) -> str:
    return f"{first.year}M{first.month:02d}"


def due_monthly(now: datetime) -> list[service.Due]:
    """Clients whose local time is the 1st of a month from the morning on, or the 2nd (catch-up).
    ``Due.local_day`` is the client's local day (the report covers the month before it)."""
    out = []
    for cid, local in service.clients_local_now(now):
        if (local.day == 1 and local.hour >= service.WEEKLY_HOURS.start) or local.day in CATCH_UP_DAYS:
            out.append(service.Due(cid, local.date()))
    return out


def monthly_fanout(now: datetime | None = None) -> int:
    """One monthly report per client per calendar month; re-runs are no-ops."""
    now = now or utcnow()
    queued = 0
    for due in due_monthly(now):
        first, last = build.last_complete_month(due.local_day)
        key = month_key(first)
        report = Report(
            kind=ReportKind.MONTHLY.value,
            client_id=due.client_id,
            week_key=key,
            period_start=first,
            period_end=last,
            status=ReportStatus.QUEUED.value,
            progress=0,
            job_id=f"report-monthly-{due.client_id}-{key.replace('M', '')}",
        )
        db.session.add(report)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            continue
        service.start_job(report, weekly=True)
        queued += 1
    return queued
