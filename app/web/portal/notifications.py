"""A client's own notifications: their milestones and connection problems, with read state."""

from __future__ import annotations

from flask import Response
from flask_login import current_user

from app import htmx_events
from app.alerts import feed
from app.models import Role
from app.web.access import client_required, login_required, role_required
from app.web.htmx import render, toast
from app.web.portal import bp


@bp.get("/portal/notifications")
@client_required(staff_to="admin.alerts_feed")
def notifications() -> Response:
    """The client's notifications (staff are sent to the alert feed); the list polls itself."""
    items = feed.feed(current_user, feed.FeedFilters())
    return render("portal/notifications.html", "list", items=items, unread=feed.unread_count(current_user))


@bp.get("/portal/notifications/badge")
@login_required
def notifications_badge() -> Response:
    """The nav entry with its unread count (polled)."""
    return render("components/alerts_badge.html", count=feed.unread_count(current_user), oob=False)


@bp.post("/portal/notifications/<int:alert_id>/read")
@role_required(Role.CLIENT)
def notification_read(alert_id: int) -> Response:
    """Mark one notification read (404 for another client's); the row plus the badge out of band."""
    alert = feed.mark_read(current_user, alert_id)
    item = next((i for i in feed.feed(current_user, feed.FeedFilters()) if i.alert.id == alert.id), None)
    return render(
        "admin/alerts/row.html",
        item=item,
        alert=alert,
        count=feed.unread_count(current_user),
        oob=True,
    )


@bp.post("/portal/notifications/read-all")
@role_required(Role.CLIENT)
def notifications_read_all() -> Response:
    """Mark all read; the list in its next state."""
    n = feed.mark_all_read(current_user)
    return render(
        "portal/notifications.html",
        "list",
        items=feed.feed(current_user, feed.FeedFilters()),
        unread=0,
        oob_badge=True,
        trigger=toast(f"{n} marked read.") | {htmx_events.ALERTS_CHANGED: {}},
    )
