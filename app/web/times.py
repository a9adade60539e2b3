"""Times as people read them: in the viewer's own time zone, and relative where recency is the point.

A client reads times in their client record's time zone; staff in the zone they chose in their
settings (UTC until they do), always labelled. Relative
times ("2 hours ago", "in 5 minutes") carry the exact local time on hover and in ``datetime`` for
machines. Babel does the formatting, so the words and numbers are the locale's, not ``strftime``'s.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime, format_timedelta
from flask import g, has_request_context
from flask_login import current_user
from markupsafe import Markup, escape

from app.models import Role

LOCALE = "en"
UTC_ZONE = ZoneInfo("UTC")


def viewer_zone() -> ZoneInfo:
    """The signed-in viewer's time zone (a client's own; staff: their choice, else UTC), once per request."""
    if not has_request_context():
        return UTC_ZONE
    zone: ZoneInfo | None = g.get("viewer_zone")
    if zone is None:
        name = "UTC"
        user = current_user
        if getattr(user, "is_authenticated", False):
            if user.role == Role.CLIENT and user.client is not None:
                name = user.client.time_zone or "UTC"
            elif user.role != Role.CLIENT:
                name = user.time_zone or "UTC"
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            zone = UTC_ZONE
        g.viewer_zone = zone
    return zone


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def local_time(dt: datetime | None, with_year: bool = True) -> str:
    """``Dec 1, 2026, 17:03 +0100``: the moment in the viewer's zone, the zone shown."""
    if dt is None:
        return "—"
    pattern = "MMM d, y, HH:mm zzz" if with_year else "MMM d, HH:mm zzz"
    return format_datetime(_aware(dt), pattern, tzinfo=viewer_zone(), locale=LOCALE)


def local_clock(dt: datetime | None) -> str:
    """``09:00``: the hour and minute of a moment in the viewer's zone (the moment is within a day)."""
    if dt is None:
        return "—"
    return format_datetime(_aware(dt), "HH:mm", tzinfo=viewer_zone(), locale=LOCALE)


def local_date(d: date | datetime | None) -> str:
    """``Dec 1, 2026``; a moment is first moved to the viewer's zone (its day may differ from UTC's)."""
    if d is None:
        return "—"
    if isinstance(d, datetime):
        d = _aware(d).astimezone(viewer_zone()).date()
    return format_date(d, "MMM d, y", locale=LOCALE)


def ago(dt: datetime | None, now: datetime | None = None) -> Markup:
    """``<time datetime=... title="exact local time">2 hours ago</time>`` (or "in 5 minutes")."""
    if dt is None:
        return Markup("—")
    moment = _aware(dt)
    delta = moment - (now or datetime.now(UTC))
    words = (
        "just now"
        if abs(delta.total_seconds()) < 45
        else format_timedelta(delta, add_direction=True, locale=LOCALE, threshold=1.0)
    )
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        moment.isoformat(), escape(local_time(moment)), words
    )
