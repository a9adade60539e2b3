"""``GET /api/admin/social/budgets`` (contract 6.4, admins): every platform's limits as on the budgets page."""

from __future__ import annotations

from flask import Response, current_app, jsonify

from app.errors import ServiceError
from app.models import Role
from app.models.platforms import CONNECTABLE
from app.redis_conn import get_redis
from app.sync import budgets
from app.web.access import role_required
from app.web.api import bp


class BudgetsUnavailable(ServiceError):
    status = 503
    code = "budgets_unavailable"


@bp.get("/admin/social/budgets")
@role_required(Role.ADMIN)
def admin_budgets() -> Response:
    """``{"platforms": [{"platform", "limits": [{"name", "spent", "limit", "window", "resets_at",
    "projected"}], "history": [{"day", "calls", "units"}]}]}``; 503 when Redis (today's spend) is down."""
    found = budgets.budgets(current_app.config, get_redis(), CONNECTABLE)
    if found is None:
        raise BudgetsUnavailable("Redis is not reachable: today's spend cannot be read.")
    return jsonify(
        platforms=[
            {
                "platform": b.platform,
                "limits": [limit.as_json() for limit in b.limits],
                "history": [{"day": d.isoformat(), "calls": c, "units": u} for d, c, u in b.history],
            }
            for b in found
        ]
    )
