"""``GET`` / ``PATCH /api/portal/social/connections/<id>/settings`` (contract 6.4): what to sync and how
often. A client manages their own connections, staff those of the clients they may see; another
tenant's id is a 404. A choice that does not fit the budget is a 400 with the reason."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Response, jsonify, request
from flask_login import current_user

from app.models import Connection
from app.services import connection_settings as cs
from app.web.access import login_required
from app.web.api import bp


def settings_json(conn: Connection) -> dict[str, Any]:
    """The contract's ``sync`` and ``cadence``, with what the account offers and what each choice costs."""
    current = cs.settings_of(conn)
    return {
        **current.as_json(),
        "available": sorted(cs.available(conn)),
        "synced_now": sorted(cs.SYNCED_NOW),
        "active_campaign": conn.active_campaign,
        "cost_per_day": asdict(cs.cost(conn.platform, current, cs.calls_key(conn))),
        "choice_costs": cs.choice_costs(conn),
    }


@bp.get("/portal/social/connections/<int:connection_id>/settings")
@login_required
def connection_settings(connection_id: int) -> Response:
    return jsonify(settings_json(cs.connection_for(current_user, connection_id)))


@bp.patch("/portal/social/connections/<int:connection_id>/settings")
@login_required
def connection_settings_update(connection_id: int) -> Response:
    """A partial change: ``{"sync": {"posts": false}}`` or ``{"cadence": "twice_daily"}``."""
    cs.update(current_user, connection_id, request.get_json(silent=True))
    return jsonify(settings_json(cs.connection_for(current_user, connection_id)))
