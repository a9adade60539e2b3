"""The staff sync log: the latest sync runs of the clients a user may see, newest first.

Its own small module because it is a read for one staff page (``/admin/sync``), scoped like every
client lookup (``clients.visible_clients``: a coach sees only their clients' syncs), and kept out of
the view so views run no SQL themselves (tests/web/test_thin_views.py).
"""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Client, Connection, SyncRun, User
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
