"""X batch compliance jobs (``app.sync.x_compliance``): opened once a day, carried on every 10 minutes.

The daily entry opens the day's ``tweets`` and ``users`` jobs (date-keyed rows: a second scheduler or a
catch-up run opens nothing more) and polls at once; the poll entry carries open jobs a step on and, for a
connected account X reports suspended, protected or deleted, raises CONNECTION_LOST for the client here,
as the other jobs do for a grant found dead (``app.alerts.service.raise_connection_alert``).
"""

from __future__ import annotations

import logging

from app.alerts import service as alerts
from app.models.base import utcnow
from app.sync import x_compliance

log = logging.getLogger(__name__)


def x_compliance_poll() -> dict[str, object]:
    """Cron (every 10 minutes): carry every open X compliance job on; alerts for broken connections."""
    report = x_compliance.poll()
    for connection_id in report.broken:
        alerts.raise_connection_alert(connection_id, "connection_revoked")
    if report.skipped:
        log.info("x compliance poll skipped: %s", report.skipped, extra={"event": "x_compliance_skipped"})
    return {"steps": report.steps, "broken": report.broken, "skipped": report.skipped}


def x_compliance_daily() -> dict[str, object]:
    """Cron (daily): open today's jobs (idempotent per day) and poll once."""
    opened = x_compliance.start_day(utcnow().date())
    return {"opened": opened, **x_compliance_poll()}
