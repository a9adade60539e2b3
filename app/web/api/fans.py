"""JSON API of fans per platform (contract 6.4): the client's own, and read-only for staff who may see them."""

from __future__ import annotations

from flask import Response, jsonify, request
from flask_login import current_user

from app.models import Role
from app.services import clients, fan_links
from app.services import fans as service
from app.stats import query as stats_query
from app.web.access import client_required, role_required
from app.web.api import bp


@bp.get("/portal/social/fans")
@client_required(staff_to=None)
def portal_fans() -> Response:
    client = clients.own_client(current_user)
    return jsonify(service.fans_json(client, stats_query.parse(request.args, tz=client.time_zone)))


@bp.get("/portal/social/fans/<fan_id>")
@client_required(staff_to=None)
def portal_fan(fan_id: str) -> Response:
    return jsonify(service.fan_detail_json(clients.own_client(current_user), fan_id))


@bp.get("/admin/social/clients/<int:client_id>/fans")
@role_required(Role.ADMIN, Role.COACH)
def admin_fans(client_id: int) -> Response:
    client = clients.get_client_for(current_user, client_id)
    return jsonify(service.fans_json(client, stats_query.parse(request.args, tz=client.time_zone)))


@bp.get("/admin/social/clients/<int:client_id>/fans/<fan_id>")
@role_required(Role.ADMIN, Role.COACH)
def admin_fan(client_id: int, fan_id: str) -> Response:
    return jsonify(service.fan_detail_json(clients.get_client_for(current_user, client_id), fan_id))


@bp.post("/portal/social/fans/link-page")
@client_required(staff_to=None)
def link_page_on() -> Response:
    """Turn on the public "link your accounts" page; answers its address (the same one while it is on)."""
    client = clients.own_client(current_user)
    fan_links.page_for_client(client, create=True)
    return jsonify(url=fan_links.page_url(client))


@bp.delete("/portal/social/fans/link-page")
@client_required(staff_to=None)
def link_page_off() -> Response:
    fan_links.turn_off(clients.own_client(current_user))
    return jsonify(url=None)
