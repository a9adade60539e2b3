"""JSON API of tactics (contract 6.4): tag a post, the tactic figures, the coach's tactic list.

A client tags their own posts; staff who may see a client tag theirs through ``/api/admin/social/clients/<id>/``.
Another client's post is a 404; bad input is a 400 ``bad_tactics`` and changes nothing.
"""

from __future__ import annotations

from flask import Response, jsonify, request
from flask_login import current_user

from app.errors import ValidationFailed
from app.models import Client, Role
from app.services import clients
from app.services import tactics as service
from app.stats import query as stats_query
from app.stats.tactics import MIN_POSTS
from app.web.access import client_required, role_required
from app.web.api import bp


def _body() -> dict[str, object]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationFailed("Send a JSON object.")
    return data


def _figures(client: Client, default_range: str = "30d") -> Response:
    q = stats_query.parse(request.args, tz=client.time_zone, default_range=default_range)
    rows = service.report(client, q)
    return jsonify(
        period={
            "key": q.period.key,
            "start": q.period.start.isoformat() if q.period.start else None,
            "end": q.period.end.isoformat(),
        },
        platform=q.platform,
        min_posts=MIN_POSTS,
        tactics=service.rows_json(rows),
    )


def _put(client: Client, content_id: int) -> Response:
    data = request.get_json(silent=True)
    raw = data.get("tactics") if isinstance(data, dict) else None
    tags = service.set_tags(client, content_id, raw, current_user.id)
    return jsonify(id=content_id, tactics=tags)


def _get_post(client: Client, content_id: int) -> Response:
    pt = service.post_tactics(client, content_id)
    return jsonify(id=content_id, tactics=pt.tactics, suggested=pt.suggested)


@bp.get("/portal/social/tactics")
@client_required(staff_to=None)
def portal_tactics() -> Response:
    return _figures(clients.own_client(current_user))


@bp.get("/portal/social/tactics/list")
@client_required(staff_to=None)
def portal_tactic_list() -> Response:
    return jsonify(tactics=service.definitions_json(clients.own_client(current_user).coach_id))


@bp.get("/portal/social/content/<int:content_id>/tactics")
@client_required(staff_to=None)
def portal_post_tactics(content_id: int) -> Response:
    return _get_post(clients.own_client(current_user), content_id)


@bp.put("/portal/social/content/<int:content_id>/tactics")
@client_required(staff_to=None)
def portal_put_tactics(content_id: int) -> Response:
    return _put(clients.own_client(current_user), content_id)


@bp.get("/admin/social/clients/<int:client_id>/tactics")
@role_required(Role.ADMIN, Role.COACH)
def admin_tactics(client_id: int) -> Response:
    return _figures(clients.get_client_for(current_user, client_id), default_range="90d")


@bp.get("/admin/social/clients/<int:client_id>/content/<int:content_id>/tactics")
@role_required(Role.ADMIN, Role.COACH)
def admin_post_tactics(client_id: int, content_id: int) -> Response:
    return _get_post(clients.get_client_for(current_user, client_id), content_id)


@bp.put("/admin/social/clients/<int:client_id>/content/<int:content_id>/tactics")
@role_required(Role.ADMIN, Role.COACH)
def admin_put_tactics(client_id: int, content_id: int) -> Response:
    return _put(clients.get_client_for(current_user, client_id), content_id)


@bp.post("/admin/social/clients/<int:client_id>/tactics/list")
@role_required(Role.ADMIN, Role.COACH)
def admin_add_tactic(client_id: int) -> Response:
    """Add a tactic to the list of the client's coach (shared by all of that coach's clients)."""
    client = clients.get_client_for(current_user, client_id)
    data = _body()
    row = service.add_tactic(client.coach_id, data.get("name"), data.get("keywords"))
    resp = jsonify(tactic={"slug": row.slug, "name": row.name, "keywords": row.keywords, "builtin": False})
    resp.status_code = 201
    return resp
