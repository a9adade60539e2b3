"""JSON analytics endpoints of the contract (§6.2): the same StatsQuery and stats calls as the pages,
so the numbers are identical. Errors are ``{"error": {"code", "message"}}``; another client is a 404."""

from __future__ import annotations

from flask import Response, abort, jsonify, request
from flask_login import current_user

from app.extensions import db
from app.models import Client, Goal, Role
from app.models.platforms import PLATFORMS
from app.services import clients
from app.stats import content, serialize
from app.stats import portfolio as pf_stats
from app.stats import query as stats_query
from app.stats.overview import client_overview
from app.web.access import login_required, role_required
from app.web.api import bp
from app.web.errors import error_response


def _goals(client: Client) -> list[Goal]:
    return list(db.session.query(Goal).filter(Goal.client_id == client.id).order_by(Goal.target_date))


def _platform_args(platform: str) -> dict[str, str]:
    """:raises BadQuery: unknown platform (the path names it)."""
    if platform not in PLATFORMS:
        raise stats_query.BadQuery(f"Unknown platform {platform[:30]!r}: use one of {', '.join(PLATFORMS)}.")
    args = request.args.to_dict()
    args["platform"] = platform
    return args


def _own() -> Client:
    if current_user.role is not Role.CLIENT:
        abort(error_response(404, "not_found", "No client profile for this user."))
    return clients.own_client(current_user)


@bp.get("/portal/social/overview")
@login_required
def social_overview() -> Response:
    client = _own()
    q = stats_query.parse(request.args, tz=client.time_zone)
    return jsonify(serialize.overview(client_overview(client, q, _goals(client))))


@bp.get("/portal/social/<platform>/metrics")
@login_required
def social_platform_metrics(platform: str) -> Response:
    client = _own()
    q = stats_query.parse(_platform_args(platform), tz=client.time_zone)
    ov = client_overview(client, q)
    row = ov.platforms[0] if ov.platforms else None
    reach = sum((p.views or p.reach or 0) for p in ov.posts)
    return jsonify(
        platform=platform,
        period=serialize.period(q, ov.period),
        connected=row is not None,
        followers=serialize.change(ov.total),
        performance=row.label if row else None,
        monthly_gain=row.monthly_gain if row else None,
        engagement={
            "rate": ov.engagement.rate,
            "previous_rate": ov.engagement.previous,
            "change_points": ov.engagement.change_points,
            "posts": ov.engagement.posts,
        },
        views_or_reach=reach,
    )


@bp.get("/portal/social/<platform>/growth")
@login_required
def social_platform_growth(platform: str) -> Response:
    client = _own()
    q = stats_query.parse(_platform_args(platform), tz=client.time_zone)
    ov = client_overview(client, q)
    return jsonify(
        platform=platform,
        period=serialize.period(q, ov.period),
        change=serialize.change(ov.total),
        series=[serialize.series(s) for s in ov.series if s.key == platform],
    )


@bp.get("/portal/social/top-content")
@login_required
def social_top_content() -> Response:
    client = _own()
    q = stats_query.parse(request.args, tz=client.time_zone)
    ov = client_overview(client, q, top_n=20)
    return jsonify(
        period=serialize.period(q, ov.period),
        items=[serialize.post(p) for p in ov.top],
        best_hashtags=[
            {"tag": t.tag, "posts": t.posts, "median_rate": t.median_rate} for t in content.best_hashtags(ov.posts)
        ],
    )


@bp.get("/admin/social/clients/<int:client_id>")
@role_required(Role.ADMIN, Role.COACH)
def admin_client(client_id: int) -> Response:
    client = clients.get_client_for(current_user, client_id)
    q = stats_query.parse(request.args, tz=client.time_zone, default_range="90d")
    return jsonify(serialize.overview(client_overview(client, q, _goals(client)), with_series=True))


def _portfolio_query() -> stats_query.StatsQuery:
    q = stats_query.parse(request.args, scope="portfolio", extra=("size", "coach"))
    if current_user.role is not Role.ADMIN and q.filter("coach"):
        raise stats_query.BadQuery("Only admins can filter by coach.")
    return q


@bp.get("/admin/social/portfolio")
@role_required(Role.ADMIN, Role.COACH)
def admin_portfolio() -> Response:
    pf = pf_stats.portfolio(clients.visible_clients(current_user), _portfolio_query())
    return jsonify(serialize.portfolio(pf))


@bp.get("/admin/social/leaderboard")
@role_required(Role.ADMIN, Role.COACH)
def admin_leaderboard() -> Response:
    pf = pf_stats.portfolio(clients.visible_clients(current_user), _portfolio_query())
    return jsonify(
        window_days=pf_stats.LEADERBOARD_DAYS,
        size=pf.query.filter("size") or None,
        platform=pf.query.platform,
        items=[serialize.leader(r) for r in pf.leaderboard],
    )
