"""Connection jobs: scheduled token renewal ahead of expiry, TOKEN_EXPIRING warnings, data deletion.

Jobs take ids only (T5): the tokens are read and decrypted inside ``app.services.tokens`` at call
time. A grant these jobs find dead, or about to end, is raised as an alert here
(``app.alerts.service.raise_connection_alert``): the token service reports it, it does not announce it.
"""

from __future__ import annotations

import logging

from app.alerts import service as alerts
from app.services import platform_events, tokens

log = logging.getLogger(__name__)


def refresh_connection(connection_id: int) -> str:
    """Renew one connection's grant under its lock (a retryable platform error raises so RQ retries)."""
    result = tokens.refresh_tokens(connection_id)
    if result.lost is not None:
        alerts.raise_connection_alert(connection_id, result.lost)
    return result.outcome


def refresh_expiring_tokens() -> dict[str, int]:
    """Cron: renew every grant that is due, then warn about grants that will still run out (7 days)."""
    outcomes: dict[str, int] = {}
    for connection_id in tokens.due_connection_ids():
        try:
            outcome = refresh_connection(connection_id)
        except Exception as exc:  # noqa: BLE001 - one connection's failure must not stop the others
            log.warning(
                "scheduled refresh failed: %s",
                type(exc).__name__,
                extra={"event": "scheduled_refresh_failed", "connection_id": connection_id},
            )
            outcome = "failed"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    notices = tokens.warn_expiring()
    for notice in notices:
        alerts.raise_connection_alert(notice.connection_id, notice.kind)
    outcomes["warned"] = len(notices)
    return outcomes


def process_data_deletion(request_id: int) -> int:
    """Delete everything tied to a platform account after a platform's deletion request (D4)."""
    return platform_events.process_data_deletion(request_id)


def requeue_lost_deletions() -> None:
    """Every 10 minutes: pending data-deletion requests whose job was lost (Redis) are queued again."""
    n = platform_events.requeue_lost_deletions()
    if n:
        log.info("lost deletion jobs queued again", extra={"event": "deletions_requeued", "count": n})
