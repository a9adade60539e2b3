"""Connection jobs: scheduled token renewal ahead of expiry, TOKEN_EXPIRING warnings, data deletion.

Jobs take ids only (T5): the tokens are read and decrypted inside the service at call time.
"""

from __future__ import annotations

import logging

from app.services import connections

log = logging.getLogger(__name__)


def refresh_connection(connection_id: int) -> str:
    """Renew one connection's grant under its lock (a retryable platform error raises so RQ retries)."""
    return connections.refresh_tokens(connection_id).outcome


def refresh_expiring_tokens() -> dict[str, int]:
    """Cron: renew every grant that is due, then warn about grants that will still run out (7 days)."""
    outcomes: dict[str, int] = {}
    for connection_id in connections.due_connection_ids():
        try:
            outcome = connections.refresh_tokens(connection_id).outcome
        except Exception as exc:  # noqa: BLE001 - one connection's failure must not stop the others
            log.warning(
                "scheduled refresh failed: %s",
                type(exc).__name__,
                extra={"event": "scheduled_refresh_failed", "connection_id": connection_id},
            )
            outcome = "failed"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    outcomes["warned"] = connections.warn_expiring()
    return outcomes


def process_data_deletion(request_id: int) -> int:
    """Delete everything tied to a platform account after a platform's deletion request (D4)."""
    return connections.process_data_deletion(request_id)
