"""``connections_query``: the one place that applies tenant and platform scoping to analytics reads.

Every metric reads connections, snapshots and content through these statements, so a client's numbers
can never include another client's rows, and the portal, the CRM and the API see the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select

from app.models import Connection
from app.stats.query import StatsQuery


def connections_query(client_ids: Sequence[int] | Select[tuple[int]], query: StatsQuery) -> Select[tuple[Connection]]:
    """Live connections (not disconnected) of the given clients, narrowed to the query's platforms."""
    stmt = select(Connection).where(Connection.client_id.in_(client_ids), Connection.disconnected_at.is_(None))
    if query.platforms:
        stmt = stmt.where(Connection.platform.in_(query.platforms))
    return stmt.order_by(Connection.client_id, Connection.platform, Connection.id)
