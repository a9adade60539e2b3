"""JSON analytics endpoints of the contract (§6.2): the same StatsQuery and stats calls as the pages,
so the numbers are identical. Errors are ``{"error": {"code", "message"}}``; another client is a 404."""

from __future__ import annotations

from flask import Response, jsonify, request
from flask_login import current_user

from app.models import Role
from app.models.platforms import PLATFORMS
from app.services import clients, goals
from app.services import portfolio as pf_service
from app.stats import attention, content, serialize
from app.stats import portfolio as pf_stats
from app.stats import query as stats_query
from app.stats.overview import client_overview
from app.web.access import client_required, role_required
from app.web.api import bp


def _platform_args(platform: str) -> dict[str, str]:
    """:raises BadQuery: unknown platform (the path names it)."""
    if platform not in PLATFORMS:
        raise stats_query.BadQuery(f"Unknown platform {platform[:30]!r}: use one of {', '.join(PLATFORMS)}.")
    args = request.args.to_dict()
    args["platform"] = platform
    return args


@bp.get("/portal/social/overview")
@client_required(staff_to=None)
def social_overview() -> Response:
    client = clients.own_client(current_user)
    q = stats_query.parse(request.args, tz=client.time_zone)
    return jsonify(serialize.overview(client_overview(client, q, goals.goals_for(client))))


@bp.get("/portal/social/<platform>/metrics")
@client_required(staff_to=None)
def social_platform_metrics(platform: str) -> Response:
    client = clients.own_client(current_user)
    q = stats_query.parse(_platform_args(platform), tz=client.time_zone)
    ov = client_overview(client, q)
    row = ov.platforms[0] if ov.platforms else None
    reach = content.views_or_reach(ov.posts)
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
@client_required(staff_to=None)
def social_platform_growth(platform: str) -> Response:
    client = clients.own_client(current_user)
    q = stats_query.parse(_platform_args(platform), tz=client.time_zone)
    ov = client_overview(client, q)
    return jsonify(
        platform=platform,
        period=serialize.period(q, ov.period),
        change=serialize.change(ov.total),
        series=[serialize.series(s) for s in ov.series if s.key == platform],
    )


@bp.get("/portal/social/top-content")
@client_required(staff_to=None)
def social_top_content() -> Response:
    client = clients.own_client(current_user)
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
    return jsonify(serialize.overview(client_overview(client, q, goals.goals_for(client)), with_series=True))


@bp.get("/admin/social/portfolio")
@role_required(Role.ADMIN, Role.COACH)
def admin_portfolio() -> Response:
    q = pf_service.parse_query(current_user, request.args)
    pf = pf_service.portfolio_for(current_user, q)
    return jsonify(serialize.portfolio(pf, attention.with_notes(pf.attention, q.today)))


@bp.get("/admin/social/leaderboard")
@role_required(Role.ADMIN, Role.COACH)
def admin_leaderboard() -> Response:
    pf = pf_service.portfolio_for(current_user, pf_service.parse_query(current_user, request.args))
    return jsonify(
        window_days=pf_stats.LEADERBOARD_DAYS,
        size=pf.query.filter("size") or None,
        platform=pf.query.platform,
        items=[serialize.leader(r) for r in pf.leaderboard],
    )
