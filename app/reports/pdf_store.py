"""Report PDFs by need: rendered when first asked for, stored in the database, served from it afterwards.

Most emailed weekly links are opened as web pages, if at all, so a scheduled (weekly or monthly) report
job computes and stores the numbers and emails the link; its PDF is rendered on the first download
(``ensure_pdf``) or, for a client who usually downloads (at least ``AHEAD_MIN`` of their last
``AHEAD_OF`` reports of that kind), by the job ahead of time. Downloads are counted per report
(``Report.pdf_downloads``) to decide that.

Where: a row of ``report_files`` in the database, not a directory. Every web and worker process on
every host already reads the database; the PDF is written in the same transaction model as its report,
deleted with it (cascade, the 90-day purge) and backed up with it; a shared directory would need a
filesystem mounted on every host and its own cleanup. A PDF is 50-80 KB; at 1,000 weekly reports that
is at most ~80 MB a week while every one is downloaded, much less by need.

Concurrency: the first requests for one PDF render it once. The first takes a Redis lock
(``report-pdf:<id>``) and renders; the others wait for the stored row (up to ``WAIT_SECONDS``) instead
of rendering too. Without Redis each renders, and the second insert of the row is refused by its
primary key and reads the first one's bytes: harmless, only slower.

Staleness: a PDF is drawn from the report's stored payload, the numbers that were emailed, so data
changing after the report never makes its PDF disagree with its page; a report asked for again after
the data changed has a new fingerprint, so it is a new report with its own PDF
(``service.request_report``).
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

import redis
from flask import render_template
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Report, ReportFile, ReportStatus
from app.models.base import utcnow
from app.redis_conn import get_redis
from app.reports.pdf import render_pdf

log = logging.getLogger(__name__)

#: a render takes well under a second (its fonts and templates were loaded when the process started:
#: app/reports/warm.py)
LOCK_SECONDS = 120
WAIT_SECONDS = 20.0
POLL_SECONDS = 0.2
#: rendered ahead for a client with a download in at least AHEAD_MIN of their last AHEAD_OF reports
AHEAD_OF = 4
AHEAD_MIN = 2


def render_report_pdf(payload: dict[str, Any]) -> bytes:
    html = render_template("reports/pdf.html", r=payload, pdf=True)
    return render_pdf(html)


def stored_pdf(report: Report) -> bytes | None:
    data: bytes | None = db.session.execute(
        select(ReportFile.pdf).where(ReportFile.report_id == report.id)
    ).scalar_one_or_none()
    return data


def has_pdf(report: Report) -> bool:
    return db.session.execute(select(ReportFile.report_id).where(ReportFile.report_id == report.id)).first() is not None


def store_pdf(report: Report, data: bytes) -> None:
    """Add the report's PDF to the session (the caller commits)."""
    db.session.merge(ReportFile(report_id=report.id, pdf=data, created_at=utcnow()))
    report.size_bytes = len(data)


def _insert(report_id: int, data: bytes) -> bytes:
    """Store a freshly rendered PDF; when another process stored one first, theirs is the PDF."""
    try:
        db.session.add(ReportFile(report_id=report_id, pdf=data, created_at=utcnow()))
        db.session.execute(update(Report).where(Report.id == report_id).values(size_bytes=len(data)))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        first: bytes | None = db.session.execute(
            select(ReportFile.pdf).where(ReportFile.report_id == report_id)
        ).scalar_one_or_none()
        return first if first is not None else data
    return data


def ensure_pdf(report: Report, wait: float = WAIT_SECONDS) -> bytes | None:
    """The report's PDF: stored, else rendered now from its payload and stored (once, however many ask
    at the same time). None when it cannot be drawn here: the report is not done, has no payload (then
    a worker is asked, ``service.prepare_pdf``), or another process's render outlasted ``wait``."""
    data = stored_pdf(report)
    if data is not None:
        return data
    if report.status != ReportStatus.DONE.value or report.payload is None:
        return None
    report_id, payload, key = report.id, report.payload, f"report-pdf:{report.id}"
    try:
        mine = bool(get_redis().set(key, "1", nx=True, ex=LOCK_SECONDS))
    except (redis.RedisError, OSError):
        mine = True  # no lock without Redis: render; a second insert reads the first
    if mine:
        try:
            t = time.perf_counter()
            data = _insert(report_id, render_report_pdf(payload))
            log.info(
                "report pdf rendered on first request",
                extra={"event": "report_pdf_rendered", "report_id": report_id, "ms": (time.perf_counter() - t) * 1000},
            )
            return data
        finally:
            with contextlib.suppress(redis.RedisError, OSError):
                get_redis().delete(key)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        db.session.commit()  # a new statement snapshot: see the other process's insert
        data = db.session.execute(select(ReportFile.pdf).where(ReportFile.report_id == report_id)).scalar_one_or_none()
        if data is not None:
            return data
    return None


def count_download(report: Report) -> None:
    db.session.execute(update(Report).where(Report.id == report.id).values(pdf_downloads=Report.pdf_downloads + 1))
    db.session.commit()


def usually_downloaded(report: Report) -> bool:
    """Whether the client downloaded the PDF of at least ``AHEAD_MIN`` of their last ``AHEAD_OF`` reports
    of this kind (before this one): then its PDF is worth rendering ahead."""
    if report.client_id is None:
        return False
    last = db.session.execute(
        select(Report.pdf_downloads)
        .where(Report.client_id == report.client_id, Report.kind == report.kind, Report.id < report.id)
        .order_by(Report.id.desc())
        .limit(AHEAD_OF)
    ).scalars()
    return sum(1 for n in last if n > 0) >= AHEAD_MIN
