"""Sync logs: the staff log (the latest runs of the clients a user may see) and a client's own history in
plain words, newest first.

Its own small module because it is a read for one staff page (``/admin/sync``), scoped like every
client lookup (``clients.visible_clients``: a coach sees only their clients' syncs), and kept out of
the view so views run no SQL themselves (tests/web/test_thin_views.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.models import Client, Connection, SyncRun, User
from app.models.sync import SyncStatus
from app.services.clients import visible_clients

PAGE = 50


def recent_runs(user: User, *, errors_only: bool = False, limit: int = PAGE) -> list[tuple[SyncRun, Connection]]:
    """The ``limit`` latest runs with their connection (``errors_only``: failed and deferred ones only)."""
    visible = visible_clients(user).with_only_columns(Client.id)
    query = (
        select(SyncRun, Connection)
        .join(Connection, Connection.id == SyncRun.connection_id)
        .where(Connection.client_id.in_(visible))
    )
    if errors_only:
        query = query.where(SyncRun.error_class.is_not(None))
    return [(run, conn) for run, conn in db.session.execute(query.order_by(SyncRun.id.desc()).limit(limit))]


#: what started a run, as a client reads it
TRIGGER_WORDS = {
    "initial": "First sync after connecting",
    "daily": "Daily update",
    "manual": "You asked for a refresh",
    "operator": "Refresh by your coach or our team",
    "campaign": "Second update of the day (active campaign)",
    "retry": "Another try",
}


@dataclass(frozen=True)
class HistoryRow:
    """One sync of a client's account, in words a client understands."""

    at: datetime
    platform: str
    username: str | None
    what: str
    outcome: str
    ok: bool


def _outcome(run: SyncRun) -> tuple[str, bool]:
    if run.status in (SyncStatus.SUCCEEDED.value, SyncStatus.PARTIAL.value):
        posts = f"{run.items} post{'s' if run.items != 1 else ''} checked"
        partial = "; some numbers were not available this time" if run.status == SyncStatus.PARTIAL.value else ""
        return f"Numbers updated ({posts}){partial}.", True
    if run.status == SyncStatus.RUNNING.value:
        return "Updating now…", True
    if run.status == SyncStatus.QUEUED.value:
        return "Waiting for its turn.", True
    if run.status == SyncStatus.DEFERRED.value:
        return run.error_message or "Postponed; it will run again soon.", True
    return run.error_message or "It did not work this time; we will try again.", False


def own_history(client_id: int, limit: int = 30) -> list[HistoryRow]:
    """The latest syncs of one client's accounts (live or disconnected), for the client themselves."""
    rows = db.session.execute(
        select(SyncRun, Connection)
        .join(Connection, Connection.id == SyncRun.connection_id)
        .where(Connection.client_id == client_id)
        .order_by(SyncRun.id.desc())
        .limit(limit)
    )
    out = []
    for run, conn in rows:
        outcome, ok = _outcome(run)
        out.append(
            HistoryRow(
                at=run.finished_at or run.started_at or run.queued_at,
                platform=conn.platform,
                username=conn.username,
                what=TRIGGER_WORDS.get(run.trigger, "Update"),
                outcome=outcome,
                ok=ok,
            )
        )
    return out
