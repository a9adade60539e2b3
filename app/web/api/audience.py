"""Audience, insights and stories (contract 6.4): ``/api/portal/social/<platform>/audience``,
``/insights``, ``/instagram/stories`` and the staff's read-only ``/api/admin/social/clients/<id>/audience``.

Errors are ``{"error": {"code", "message"}}``; an unknown platform is a 400 ``bad_query``; another
client's id is a 404.
"""

from __future__ import annotations

from flask import Response, jsonify, request
from flask_login import current_user

from app.models import Role
from app.models.platforms import PLATFORMS
from app.services import clients
from app.stats import audience_reads, serialize
from app.stats import query as stats_query
from app.web.access import client_required, role_required
from app.web.api import bp


def _platform(raw: str | None) -> str:
    """:raises BadQuery: unknown or missing platform."""
    if raw not in PLATFORMS:
        raise stats_query.BadQuery(f"Unknown platform {str(raw)[:30]!r}: use one of {', '.join(PLATFORMS)}.")
    return str(raw)


@bp.get("/portal/social/<platform>/audience")
@client_required(staff_to=None)
def social_audience(platform: str) -> Response:
    client = clients.own_client(current_user)
    return jsonify(audience_reads.audience(client.id, _platform(platform)))


@bp.get("/portal/social/<platform>/insights")
@client_required(staff_to=None)
def social_insights(platform: str) -> Response:
    client = clients.own_client(current_user)
    name = _platform(platform)
    q = stats_query.parse(request.args, tz=client.time_zone)
    answer = audience_reads.insights(client.id, name, q.period)
    return jsonify(platform=name, period=serialize.period(q, q.period), days=answer["days"], totals=answer["totals"])


@bp.get("/portal/social/instagram/stories")
@client_required(staff_to=None)
def social_stories() -> Response:
    client = clients.own_client(current_user)
    q = stats_query.parse(request.args, tz=client.time_zone)
    return jsonify(stories=audience_reads.stories(client.id, q.period))


@bp.get("/admin/social/clients/<int:client_id>/audience")
@role_required(Role.ADMIN, Role.COACH)
def admin_client_audience(client_id: int) -> Response:
    client = clients.get_client_for(current_user, client_id)
    return jsonify(audience_reads.audience(client.id, _platform(request.args.get("platform"))))
