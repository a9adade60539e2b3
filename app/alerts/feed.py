"""The alert feed: what a user may see, filtered, with per-user read state and unread counts.

Visibility follows the client scoping of ``services.clients.visible_clients``: admins see every alert,
coaches their clients' alerts, a client only their own milestones and connection problems.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.exc import IntegrityError

from app.alerts.service import CLIENT_TYPES
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.models import Alert, AlertReceipt, AlertType, Client, Role, Severity, User
from app.models.base import utcnow
from app.models.platforms import PLATFORMS
from app.services.clients import may_filter_by_coach, visible_clients

PAGE_SIZE = 50
FILTERS = ("type", "severity", "platform", "coach", "client", "unread")


@dataclass(frozen=True)
class FeedFilters:
    type: str = ""
    severity: str = ""
    platform: str = ""  # a platform, "total", or empty
    coach: int | None = None
    unread: bool = False
    client: int | None = None  # one client's alerts (the CRM client page's panel)

    def as_args(self) -> dict[str, str]:
        args = {
            "type": self.type,
            "severity": self.severity,
            "platform": self.platform,
            "coach": str(self.coach) if self.coach else "",
            "unread": "1" if self.unread else "",
            "client": str(self.client) if self.client else "",
        }
        return {k: v for k, v in args.items() if v}


@dataclass(frozen=True)
class FeedItem:
    alert: Alert
    client_name: str
    read: bool


def parse_filters(args: Mapping[str, str], user: User) -> FeedFilters:
    """:raises ValidationFailed: an unknown type, severity, platform or coach (or a coach filter by a coach).
    :raises NotFound: a ``client`` filter naming a client the user may not see (or none): 404, like its page.
    """
    kind, sev, platform = args.get("type", ""), args.get("severity", ""), args.get("platform", "")
    if kind and kind not in {t.value for t in AlertType}:
        raise ValidationFailed("Unknown alert type.", field="type")
    if sev and sev not in {s.value for s in Severity}:
        raise ValidationFailed("Unknown severity.", field="severity")
    if platform and platform != "total" and platform not in PLATFORMS:
        raise ValidationFailed("Unknown platform.", field="platform")
    coach_raw = args.get("coach", "")
    coach: int | None = None
    if coach_raw:
        if not coach_raw.isdigit() or not may_filter_by_coach(user):
            raise ValidationFailed("Unknown coach filter.", field="coach")
        coach = int(coach_raw)
    client = _client_filter(args.get("client", ""), user)
    return FeedFilters(kind, sev, platform, coach, args.get("unread", "") in ("1", "true", "on"), client)


def _client_filter(raw: str, user: User) -> int | None:
    if not raw:
        return None
    if not raw.isdigit():
        raise ValidationFailed("Unknown client filter.", field="client")
    visible = db.session.execute(
        visible_clients(user).with_only_columns(Client.id).where(Client.id == int(raw))
    ).scalar_one_or_none()
    if visible is None:
        raise NotFound("No such client.")
    return int(raw)


def _read_clause(user: User) -> Any:
    return exists().where(
        AlertReceipt.alert_id == Alert.id, AlertReceipt.user_id == user.id, AlertReceipt.read_at.is_not(None)
    )


def visible_alerts(user: User) -> Select[tuple[Alert]]:
    """Alerts ``user`` may see (a client: only their own client-facing types)."""
    ids = visible_clients(user).with_only_columns(Client.id)
    stmt = select(Alert).where(Alert.client_id.in_(ids))
    if user.role is Role.CLIENT:
        stmt = stmt.where(Alert.type.in_(sorted(CLIENT_TYPES)))
    return stmt


def _filtered(user: User, f: FeedFilters) -> Select[tuple[Alert]]:
    stmt = visible_alerts(user)
    if f.type:
        stmt = stmt.where(Alert.type == f.type)
    if f.severity:
        stmt = stmt.where(Alert.severity == f.severity)
    if f.platform == "total":
        stmt = stmt.where(Alert.platform.is_(None))
    elif f.platform:
        stmt = stmt.where(Alert.platform == f.platform)
    if f.coach:
        stmt = stmt.where(Alert.client_id.in_(select(Client.id).where(Client.coach_id == f.coach)))
    if f.client:
        stmt = stmt.where(Alert.client_id == f.client)
    if f.unread:
        stmt = stmt.where(~_read_clause(user))
    return stmt


def feed(user: User, f: FeedFilters, limit: int = PAGE_SIZE) -> list[FeedItem]:
    """Newest first, with each alert's client name and whether ``user`` has read it."""
    stmt = (
        _filtered(user, f)
        .join(Client, Client.id == Alert.client_id)
        .add_columns(Client.display_name, _read_clause(user).label("read"))
        .order_by(Alert.created_at.desc(), Alert.id.desc())
        .limit(limit)
    )
    return [FeedItem(a, name, bool(read)) for a, name, read in db.session.execute(stmt)]


def unread_count(user: User) -> int:
    """The nav badge: visible alerts this user has not read."""
    stmt = visible_alerts(user).where(~_read_clause(user)).with_only_columns(func.count(Alert.id))
    return int(db.session.execute(stmt).scalar_one())


def get_visible(user: User, alert_id: int) -> Alert:
    """:raises NotFound: an alert that does not exist or that ``user`` may not see (IDOR: 404, not 403)."""
    alert = db.session.execute(visible_alerts(user).where(Alert.id == alert_id)).scalar_one_or_none()
    if alert is None:
        raise NotFound("No such alert.")
    return alert


def _mark(user: User, alert_ids: list[int]) -> int:
    now = utcnow()
    if not alert_ids:
        return 0
    existing = {
        r.alert_id: r
        for r in db.session.execute(
            select(AlertReceipt).where(AlertReceipt.user_id == user.id, AlertReceipt.alert_id.in_(alert_ids))
        ).scalars()
    }
    changed = 0
    for aid in alert_ids:
        receipt = existing.get(aid)
        if receipt is None:
            db.session.add(AlertReceipt(alert_id=aid, user_id=user.id, email="none", read_at=now))
            changed += 1
        elif receipt.read_at is None:
            receipt.read_at = now
            changed += 1
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent "mark read" by the same user inserted the receipt first
        db.session.rollback()
        return 0
    return changed


def mark_read(user: User, alert_id: int) -> Alert:
    """:raises NotFound: see ``get_visible``."""
    alert = get_visible(user, alert_id)
    _mark(user, [alert.id])
    return alert


def mark_all_read(user: User, f: FeedFilters | None = None) -> int:
    """Mark every visible (and filtered) unread alert read; returns how many."""
    stmt = _filtered(user, f or FeedFilters()).where(~_read_clause(user)).with_only_columns(Alert.id)
    return _mark(user, list(db.session.execute(stmt).scalars()))


def email_states(alert: Alert) -> dict[int, str]:
    """user id -> email state of each receipt (``invalid_address`` is shown to staff)."""
    rows = db.session.execute(
        select(AlertReceipt.user_id, AlertReceipt.email).where(and_(AlertReceipt.alert_id == alert.id))
    )
    return {uid: state for uid, state in rows}
