"""Page preparation jobs (queue ``default``): id-only, call ``app.services.page_prep``.

Scheduled by a finished sync (``app.jobs.sync.sync_connection``), debounced per client and per staff
user; a failure is logged and not retried: the page renders what is missing on its first view.
"""

from __future__ import annotations

import logging

from app.extensions import db
from app.services import page_prep
from app.services import portfolio as pf_service

log = logging.getLogger(__name__)


def prepare_client_pages(client_id: int) -> int:
    """The client's charts for the default ranges, into the chart cache."""
    try:
        return page_prep.prepare_client(client_id)
    except Exception:  # noqa: BLE001 - a preparation is an optimisation: the page renders it when opened
        db.session.rollback()
        log.warning("client pages not prepared", exc_info=True, extra={"event": "pages_prep_failed"})
        return 0


def prepare_portfolio_pages(user_id: int) -> bool:
    """The portfolio result and chart a coach or an admin opens, into their caches."""
    try:
        return page_prep.prepare_portfolio(user_id)
    except Exception:  # noqa: BLE001 - as above
        db.session.rollback()
        log.warning("portfolio not prepared", exc_info=True, extra={"event": "pages_prep_failed"})
        return False


def refresh_portfolio_rows() -> int:
    """Cron, just after midnight UTC: every live connection's prepared portfolio row for the new day
    (``app.stats.portfolio_state``), so the first portfolio of the day does not compute them."""
    return pf_service.refresh_stale()
