"""Clients as each role may see them, and the CRM's changes to them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, cast
from zoneinfo import ZoneInfo

from flask import current_app, g, has_request_context
from sqlalchemy import Select, func, inspect, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.models import Client, ClientStatus, Connection, Deliverable, Role, User
from app.models.base import utcnow
from app.models.platforms import PLATFORMS
from app.services import accounts, brand, mail
from app.services.transaction import atomic
from app.services.urls import absolute_url
from app.services.zones import parse_time_zone
from app.stats.growth import Change

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$")


def parse_date(raw: str | None, field: str, *, required: bool = False) -> date | None:
    """A strict ``YYYY-MM-DD`` date.

    :raises ValidationFailed: malformed or impossible dates (2026-02-30), naming ``field``.
    """
    raw = (raw or "").strip()
    if not raw:
        if required:
            raise ValidationFailed("This date is required.", field=field)
        return None
    if not _DATE_RE.match(raw):
        raise ValidationFailed("Use the format YYYY-MM-DD.", field=field)
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed("That date does not exist.", field=field) from None
    if not date(2000, 1, 1) <= value <= date(2100, 12, 31):
        raise ValidationFailed("Pick a date between 2000 and 2100.", field=field)
    return value


# --- scoping (A1): every client lookup goes through here -------------------------------------


def visible_clients(user: User) -> Select[tuple[Client]]:
    """Clients ``user`` may see: all for admins, their own for coaches, themselves for clients."""
    stmt = select(Client)
    if user.role is Role.ADMIN:
        return stmt
    if user.role is Role.COACH:
        return stmt.where(Client.coach_id == user.id)
    return stmt.where(Client.user_id == user.id)


def get_client_for(user: User, client_id: int) -> Client:
    """The client with their deliverables, login and coach loaded (pages show all three, and a page
    must not load them lazily while it renders).

    :raises NotFound: when the client does not exist or is not visible to ``user``.
    """
    client = db.session.execute(
        visible_clients(user)
        .where(Client.id == client_id)
        .options(selectinload(Client.deliverables), joinedload(Client.user), joinedload(Client.coach))
    ).scalar_one_or_none()
    if client is None:
        raise NotFound("No such client.")
    return client


def own_client(user: User) -> Client:
    """The client profile of a client user.

    :raises NotFound: for staff users or a client without a profile.
    """
    if user.role is not Role.CLIENT:
        raise NotFound("No client profile for this user.")
    # read once per request: a page's view and its usage tracking (``app.web.usage``) both ask; a second
    # read would return the same object from the session's identity map anyway
    known = g.get("own_client") if has_request_context() else None
    if known is not None and known[0] == user.id and known[1] in db.session:
        return cast(Client, known[1])
    if "client" in inspect(user).dict:  # loaded with the user (``accounts.session_user``): no second read
        client = user.client
        if client is not None and "deliverables" not in inspect(client).dict:
            client.deliverables  # noqa: B018 (loaded now, as the query below would, not while a page renders)
    else:
        client = db.session.execute(
            select(Client).where(Client.user_id == user.id).options(selectinload(Client.deliverables))
        ).scalar_one_or_none()
    if client is None:
        raise NotFound("No client profile for this user.")
    if has_request_context():
        g.own_client = (user.id, client)
    return client


SORTS: dict[str, Any] = {
    "name": Client.display_name.asc(),
    "-name": Client.display_name.desc(),
    "start": Client.program_start.asc(),
    "-start": Client.program_start.desc(),
    "status": Client.status.asc(),
}
# sorts on numbers from app.stats (applied after the stats call; clients without data last either way)
STAT_SORTS = ("followers", "-followers", "growth", "-growth")
SORT_LABELS = [
    ("name", "Name A–Z"),
    ("-name", "Name Z–A"),
    ("-start", "Newest program"),
    ("start", "Oldest program"),
    ("status", "Status"),
    ("-followers", "Most followers"),
    ("followers", "Fewest followers"),
    ("-growth", "Fastest growth (30d)"),
    ("growth", "Slowest growth (30d)"),
]


@dataclass(frozen=True)
class ClientListRow:
    client: Client
    growth: Change  # total followers 30 days ago -> today (app.stats.portfolio.client_totals)
    rounded: bool = False  # the total includes a rounded count (YouTube): shown as "about"

    @property
    def followers(self) -> int | None:
        return self.growth.end


def list_clients(
    user: User, q: str = "", sort: str = "name", status: str = "", platform: str = "", today: date | None = None
) -> list[ClientListRow]:
    """The visible clients filtered by a name/email search, status and platform (a live connection on it),
    each with total followers and 30-day growth from ``app.stats``, in a known sort order.

    Bounded queries whatever the number of clients: the list, coach and user loads, and the stats call.
    """
    from app.stats import portfolio as pf_stats
    from app.stats.query import parse

    stmt = visible_clients(user).join(User, Client.user_id == User.id)
    q = (q or "").strip()[:100]
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(func.lower(Client.display_name).like(like), func.lower(User.email).like(like)))
    if status:
        try:
            stmt = stmt.where(Client.status == ClientStatus(status))
        except ValueError:
            raise ValidationFailed("Unknown status filter.", field="status") from None
    if platform:
        if platform not in PLATFORMS:
            raise ValidationFailed("Unknown platform filter.", field="platform")
        stmt = stmt.where(
            select(Connection.id)
            .where(
                Connection.client_id == Client.id, Connection.platform == platform, Connection.disconnected_at.is_(None)
            )
            .exists()
        )
    if sort not in SORTS and sort not in STAT_SORTS:
        raise ValidationFailed("Unknown sort order.", field="sort")
    order = SORTS.get(sort, SORTS["name"])
    stmt = stmt.order_by(order, Client.id).options(selectinload(Client.coach), selectinload(Client.user))
    found = list(db.session.execute(stmt).scalars())
    query = parse({}, scope="portfolio", now=today)
    totals = pf_stats.client_totals([c.id for c in found], query)
    none = pf_stats.ClientTotal(Change(None, None), rounded=False)
    rows = [ClientListRow(c, totals.get(c.id, none).change, totals.get(c.id, none).rounded) for c in found]
    if sort in STAT_SORTS:

        def value(r: ClientListRow) -> float | None:
            return r.followers if sort.endswith("followers") else r.growth.rate

        known = [r for r in rows if value(r) is not None]
        known.sort(key=lambda r: value(r) or 0, reverse=sort.startswith("-"))  # stable: name order within ties
        rows = known + [r for r in rows if value(r) is None]
    return rows


def coaches(*, include_inactive: bool = False) -> list[User]:
    """Coaches and admins by name: the one coach picker.

    Assigning a client offers the active ones; a filter (portfolio, alert feed) also offers deactivated
    coaches, whose former clients may still be filtered by them.
    """
    stmt = select(User).where(User.role.in_([Role.COACH, Role.ADMIN]))
    if not include_inactive:
        stmt = stmt.where(User.is_active.is_(True))
    return list(db.session.execute(stmt.order_by(User.name, User.id)).scalars())


def may_filter_by_coach(user: User) -> bool:
    """Only admins filter by coach (a coach's view is already their own clients)."""
    return user.role is Role.ADMIN


def coach_filter_choices(user: User) -> list[User]:
    """The coach picker of the filters (portfolio, alert feed): every coach for an admin, deactivated
    ones too; nobody for anyone else, who may not filter by coach."""
    return coaches(include_inactive=True) if may_filter_by_coach(user) else []


def _coach_for(actor: User, coach_id: str | int | None) -> User | None:
    if actor.role is Role.COACH:
        return actor  # a coach creates clients for themselves
    if coach_id in (None, ""):
        return None
    try:
        coach = db.session.get(User, int(coach_id))
    except (TypeError, ValueError):
        coach = None
    if coach is None or coach.role not in (Role.COACH, Role.ADMIN):
        raise ValidationFailed("Pick a coach from the list.", field="coach_id")
    return coach


@dataclass(frozen=True)
class NewClient:
    client: Client
    invite_url: str


@atomic
def create_client(
    actor: User,
    *,
    email: str,
    name: str,
    coach_id: str | int | None = None,
    program_start: str | None = None,
    program_end: str | None = None,
    time_zone: str | None = None,
) -> NewClient:
    """Create a client login + profile and email an invite link; all or nothing.

    :raises ValidationFailed | Conflict: with the field at fault; nothing is stored.
    """
    start = parse_date(program_start, "program_start")
    end = parse_date(program_end, "program_end")
    if start and end and end < start:
        raise ValidationFailed("The program cannot end before it starts.", field="program_end")
    tz = parse_time_zone(time_zone)
    coach = _coach_for(actor, coach_id)
    user = accounts.create_user(email, name, Role.CLIENT, coach=coach, commit=False)
    client = user.client
    assert client is not None
    client.program_start, client.program_end, client.time_zone = start, end, tz
    token = accounts.create_invite(user, actor)
    invite_url = absolute_url("auth.invite", token=token)
    email_row = mail.queue_email(
        user.email,
        "invite",
        "invite",
        name=user.name,
        inviter=actor.name,
        url=invite_url,
        hours=int(current_app.config["INVITE_TTL_HOURS"]),
    )
    db.session.commit()
    mail.enqueue_delivery(email_row.id)
    return NewClient(client=client, invite_url=invite_url)


def resend_invite(actor: User, client: Client) -> str:
    """A fresh invite link for a client who has not set a password yet.

    :raises ValidationFailed: when the client already has a password.
    """
    if client.user.password_hash:
        raise ValidationFailed("This client has already set a password.")
    token = accounts.create_invite(client.user, actor)
    url = absolute_url("auth.invite", token=token)
    email_row = mail.queue_email(
        client.user.email,
        "invite",
        "invite",
        name=client.user.name,
        inviter=actor.name,
        url=url,
        hours=int(current_app.config["INVITE_TTL_HOURS"]),
    )
    db.session.commit()
    mail.enqueue_delivery(email_row.id)
    return url


@atomic
def update_program(
    client: Client,
    *,
    program_start: str | None,
    program_end: str | None,
    status: str | None = None,
    time_zone: str | None = None,
    locale: str | None = None,
) -> Client:
    """Change program dates (and optionally status / time zone / report locale); all fields checked
    before any is stored. ``locale`` "" is the business's default; None leaves it as it is.

    :raises ValidationFailed: malformed dates, end before start, unknown status, time zone or locale.
    """
    start = parse_date(program_start, "program_start")
    end = parse_date(program_end, "program_end")
    if start and end and end < start:
        raise ValidationFailed("The program cannot end before it starts.", field="program_end")
    new_status = client.status
    if status:
        try:
            new_status = ClientStatus(status)
        except ValueError:
            raise ValidationFailed("Unknown status.", field="status") from None
    tz = parse_time_zone(time_zone) if time_zone is not None else client.time_zone
    loc = client.locale
    if locale is not None:
        if locale and locale not in brand.LOCALES:
            raise ValidationFailed("Choose a report format from the list.", field="locale")
        loc = locale or None
    client.program_start, client.program_end, client.status, client.time_zone = start, end, new_status, tz
    client.locale = loc
    db.session.commit()
    return client


@atomic
def add_deliverable(client: Client, *, code: str, title: str, due_date: str | None) -> Deliverable:
    """:raises ValidationFailed: bad code/title/date or a code the client already has."""
    code = (code or "").strip().upper()
    title = (title or "").strip()
    if not _CODE_RE.match(code):
        raise ValidationFailed("Use a short code such as M1.", field="code")
    if not title or len(title) > 200:
        raise ValidationFailed("Give a title of 1 to 200 characters.", field="title")
    due = parse_date(due_date, "due_date")
    if any(d.code == code for d in client.deliverables):
        raise ValidationFailed(f"{code} already exists for this client.", field="code")
    position = max((d.position for d in client.deliverables), default=0) + 1
    deliverable = Deliverable(client=client, code=code, title=title, due_date=due, position=position)
    db.session.add(deliverable)
    db.session.commit()
    return deliverable


def get_deliverable(client: Client, deliverable_id: int) -> Deliverable:
    """:raises NotFound: when the deliverable is not this client's."""
    for d in client.deliverables:
        if d.id == deliverable_id:
            return d
    raise NotFound("No such deliverable.")


@atomic
def set_deliverable_complete(client: Client, deliverable_id: int, complete: bool, on: str | None = None) -> Deliverable:
    """Mark a deliverable complete (on a given day, default now) or reopen it.

    :raises NotFound | ValidationFailed: unknown deliverable, malformed or future date.
    """
    deliverable = get_deliverable(client, deliverable_id)
    if complete:
        day = parse_date(on, "completed_on")
        if day is None:
            when = utcnow()
        else:
            if day > utcnow().date():
                raise ValidationFailed("A completion date cannot be in the future.", field="completed_on")
            when = datetime.combine(day, time(12, 0), tzinfo=ZoneInfo("UTC"))
        deliverable.completed_at = when
    else:
        deliverable.completed_at = None
    db.session.commit()
    return deliverable
