"""Admin: quota use per platform today and the sync history log with errors (staff only, via the
blueprint's ``before_request``). The log is read by ``app.services.sync_log``."""

from __future__ import annotations

import redis
from flask import Response, request
from flask_login import current_user

from app.models.platforms import CONNECTABLE
from app.redis_conn import get_redis
from app.services.sync_log import recent_runs
from app.sync.quotas import usage_today
from app.web.admin import bp
from app.web.htmx import render


@bp.get("/sync")
def sync_log() -> Response:
    """Quota use today and the latest sync runs, newest first (``?errors=1`` for failures only)."""
    try:
        usage: dict[str, dict[str, int]] | None = usage_today(get_redis())
    except (redis.RedisError, OSError):
        usage = None
    errors_only = request.args.get("errors") == "1"
    rows = recent_runs(current_user, errors_only=errors_only)
    return render(
        "admin/sync/index.html", "log", usage=usage, rows=rows, platforms=CONNECTABLE, errors_only=errors_only
    )
