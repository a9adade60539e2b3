"""Report jobs (``reports`` queue): id-only, re-load rows, call ``app/reports/service.py``."""

from __future__ import annotations

import logging

from rq.timeouts import BaseTimeoutException

from app.extensions import db
from app.queueing import dispatch
from app.reports import chunks, monthly, service, share
from app.services import brand

log = logging.getLogger(__name__)


def generate_report(report_id: int) -> None:
    """Compute and render one report (the job UI polls its row for progress)."""
    service.generate(report_id)


def weekly_report(report_id: int) -> None:
    """Compute a weekly (or monthly) report and email its links to the web report (once per recipient,
    idempotent on retry); its PDF is drawn when first asked for, or here for clients who usually
    download it (``app.reports.pdf_store``)."""
    report = service.generate(report_id, by_need=True)
    service.send_report(report)


def weekly_reports(report_ids: list[int]) -> None:
    """A chunk of the weekly fan-out (``app.reports.chunks``): each report as ``weekly_report`` does, one
    after the other, each in its own transactions, so one client's failure (recorded on its row) does not
    hold back the others; the brand is read once for the chunk and the new emails' deliveries are queued
    together. A killed worker's chunk is run again by RQ: done reports and keyed emails are skipped."""
    failed: list[int] = []
    emails: list[int] = []
    with brand.held():
        for report_id in report_ids:
            try:
                emails += service.send_report(service.generate(report_id, by_need=True), deliver=False)
            except BaseTimeoutException:  # the chunk's time is up: RQ retries it
                raise
            except Exception:  # noqa: BLE001 - recorded on the report's row by ``generate``; the chunk goes on
                db.session.rollback()
                failed.append(report_id)
                log.warning(
                    "weekly report failed in its chunk",
                    extra={"event": "report_chunk_item_failed", "report_id": report_id},
                )
    dispatch.enqueue_email_deliveries(emails)  # False: Redis down, the outbox sweep sends them
    if failed:
        raise chunks.ChunkIncomplete(f"{len(failed)} of {len(report_ids)} weekly reports failed: {failed}")


def weekly_fanout() -> None:
    """Hourly: weekly reports for clients whose local time is Monday morning."""
    n = service.weekly_fanout()
    log.info("weekly reports queued", extra={"event": "weekly_reports_queued", "count": n})


def monthly_fanout() -> None:
    """Hourly: monthly reports (the calendar month just ended) for clients whose local day is the 1st."""
    n = monthly.monthly_fanout()
    log.info("monthly reports queued", extra={"event": "monthly_reports_queued", "count": n})


def purge_reports() -> None:
    n = service.purge()
    log.info("reports purged", extra={"event": "reports_purged", "count": n})


def requeue_stuck_reports() -> None:
    """Every 10 minutes: reports left queued or running without a job are queued again."""
    n = service.requeue_stuck()
    if n:
        log.info("stuck reports queued again", extra={"event": "reports_requeued", "count": n})


def render_share_card(client_id: int) -> None:
    """Draw and store a client's share card (the public page's Open Graph image)."""
    share.render_card(client_id)
