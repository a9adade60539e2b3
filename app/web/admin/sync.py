"""Admin: quota use per platform today and the sync history log with errors (staff only, via the
blueprint's ``before_request``). Also the template helpers every page uses for sync status."""

from __future__ import annotations

from typing import Any

import redis
from flask import Response, request
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.models import Client, Connection
from app.models.platforms import CONNECTABLE, PLATFORM_NAMES
from app.models.sync import SyncRun
from app.redis_conn import get_redis
from app.services import clients as client_service
from app.services import sync_requests
from app.sync.quotas import usage_today
from app.web.admin import bp
from app.web.htmx import render

PAGE = 50


@bp.app_template_global("sync_state")
def sync_state(conn: Connection | None) -> sync_requests.SyncState | None:
    """The sync status of a connection for its card (running + progress, last sync, error)."""
    return sync_requests.state_of(conn) if conn is not None and conn.id else None


@bp.app_template_global("sync_polling")
def sync_polling(cards: list[dict[str, Any]]) -> bool:
    """Whether a connection page should keep polling (a sync of one of its connections is running)."""
    return sync_requests.any_running([c["connection"] for c in cards if c.get("connection") is not None])


@bp.get("/sync")
def sync_log() -> Response:
    """Quota use today and the latest sync runs, newest first (``?errors=1`` for failures only)."""
    try:
        usage: dict[str, dict[str, int]] | None = usage_today(get_redis())
    except (redis.RedisError, OSError):
        usage = None
    visible = client_service.visible_clients(current_user).with_only_columns(Client.id)
    query = (
        select(SyncRun, Connection)
        .join(Connection, Connection.id == SyncRun.connection_id)
        .where(Connection.client_id.in_(visible))
    )  # a coach sees only their clients' syncs
    errors_only = request.args.get("errors") == "1"
    if errors_only:
        query = query.where(SyncRun.error_class.is_not(None))
    rows = db.session.execute(query.order_by(SyncRun.id.desc()).limit(PAGE)).tuples().all()
    return render(
        "admin/sync/index.html",
        "log",
        usage=usage,
        rows=rows,
        platforms=CONNECTABLE,
        platform_names=PLATFORM_NAMES,
        errors_only=errors_only,
    )
