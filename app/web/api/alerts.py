"""``GET /api/admin/social/alerts`` (§6.2): the feed as JSON, same filters and scoping as the page."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask_login import current_user

from app.alerts import feed
from app.models import Role
from app.web.access import role_required
from app.web.api import bp


def _item(i: feed.FeedItem) -> dict[str, Any]:
    a = i.alert
    return {
        "id": a.id,
        "client_id": a.client_id,
        "client_name": i.client_name,
        "connection_id": a.connection_id,
        "platform": a.platform,
        "type": a.type,
        "severity": a.severity,
        "title": a.title,
        "message": a.message,
        "details": a.details,
        "day": a.day.isoformat(),
        "created_at": a.created_at.isoformat(),
        "read": i.read,
    }


@bp.get("/admin/social/alerts")
@role_required(Role.ADMIN, Role.COACH)
def admin_alerts() -> Response:
    """Newest first; ``?type=&severity=&platform=&coach=&unread=1&limit=`` (limit up to 200)."""
    filters = feed.parse_filters(request.args, current_user)  # ValidationFailed -> 422 JSON
    raw = request.args.get("limit", "")
    limit = min(int(raw), 200) if raw.isdigit() and int(raw) > 0 else feed.PAGE_SIZE
    items = feed.feed(current_user, filters, limit=limit)
    return jsonify(alerts=[_item(i) for i in items], unread=feed.unread_count(current_user), filters=filters.as_args())
