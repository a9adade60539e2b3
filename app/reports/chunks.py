"""How the weekly fan-out groups its reports into jobs: one ``reports`` job per chunk of ``CHUNK`` clients.

A weekly report's own work is its numbers and one email (tens of milliseconds on a quiet box); one RQ
job per report added about as much again in Redis round trips and bookkeeping (~60 Redis commands a job),
and each job read the brand, the settings and the templates' shared things afresh. A chunk job pays that
once for ``CHUNK`` reports (``app.jobs.reports.weekly_reports``) and still treats each report on its own:
its own transaction, a failure recorded on its row without stopping the others, RQ's retry for the chunk
re-running only what is not done (a done report is not recomputed, a recipient's email is keyed).
"""

from __future__ import annotations

from app.extensions import db
from app.models import Report, ReportStatus
from app.queueing import dispatch

#: reports per job: big enough to pay RQ's per-job cost once for many, small enough that 2 workers share
#: 1,000 reports evenly (40 jobs) and a retried chunk re-checks few done reports
CHUNK = 25


class ChunkIncomplete(Exception):
    """Some reports of a weekly chunk failed; raised after the others are done so that RQ retries the
    chunk (``dispatch.report_retry``), which re-runs only what is not done."""


def chunk_job_id(first: Report) -> str:
    """``report-weekly-{client}-{isoyear}{isoweek}-chunk``: named for its first report, whose (client, week)
    row is unique, so two chunks never share an id and a re-run of the fan-out adds none."""
    return f"report-weekly-{first.client_id}-{(first.week_key or '').replace('W', '')}-chunk"


def assign(rows: list[Report]) -> list[list[Report]]:
    """Split ``rows`` (not yet committed) into chunks, each row's ``job_id`` naming its chunk's job."""
    chunks = [rows[i : i + CHUNK] for i in range(0, len(rows), CHUNK)]
    for chunk in chunks:
        job_id = chunk_job_id(chunk[0])
        for row in chunk:
            row.job_id = job_id
    return chunks


def start(reports: list[Report]) -> int:
    """Enqueue the chunks' jobs (one per ``job_id``) in one Redis round trip; a down queue marks the
    reports failed, as ``service.start_job`` does. Returns how many reports were queued."""
    batch: dict[str, list[int]] = {}
    for r in reports:
        batch.setdefault(r.job_id or f"report-{r.id}", []).append(r.id)
    if dispatch.enqueue_weekly_chunks(list(batch.items())):
        return len(reports)
    for report in reports:
        report.status, report.error = ReportStatus.FAILED.value, "The report queue is unavailable; try again shortly."
    db.session.commit()
    return 0
