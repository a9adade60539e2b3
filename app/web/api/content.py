"""One post's numbers as JSON (contract 6.4): ``/api/portal/social/content/<id>`` for the client and
``/api/admin/social/clients/<id>/content/<content id>`` for staff who may see the client.

Another client's post (or a client staff may not see) is a 404 ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

from flask import Response, jsonify
from flask_login import current_user

from app.models import Client, Role
from app.services import clients
from app.stats import post_insights
from app.stats import query as stats_query
from app.stats.overview import client_connections
from app.web.access import client_required, role_required
from app.web.api import bp


def _answer(client: Client, content_id: int) -> Response:
    conns = client_connections(client.id, stats_query.parse({}, tz=client.time_zone))
    return jsonify(post_insights.post_json(conns, content_id))


@bp.get("/portal/social/content/<int:content_id>")
@client_required(staff_to=None)
def portal_content(content_id: int) -> Response:
    return _answer(clients.own_client(current_user), content_id)


@bp.get("/admin/social/clients/<int:client_id>/content/<int:content_id>")
@role_required(Role.ADMIN, Role.COACH)
def admin_content(client_id: int, content_id: int) -> Response:
    return _answer(clients.get_client_for(current_user, client_id), content_id)
