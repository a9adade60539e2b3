"""Goals a client or their coach sets (e.g. 25K Instagram followers by a date): the one way to read,
add and remove them (the portal, the CRM and the API read them through ``goals_for``)."""

from __future__ import annotations

from sqlalchemy import select

from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.models import Client, Goal, User
from app.models.base import utcnow
from app.models.platforms import PLATFORMS
from app.services.clients import parse_date
from app.services.transaction import atomic


def goals_for(client: Client) -> list[Goal]:
    """The client's goals, soonest target date first (then oldest first)."""
    stmt = select(Goal).where(Goal.client_id == client.id).order_by(Goal.target_date, Goal.id)
    return list(db.session.execute(stmt).scalars())


@atomic
def add_goal(client: Client, actor: User, *, target: str | None, platform: str | None, target_date: str | None) -> Goal:
    """:raises ValidationFailed: a target that is not a positive whole number, an unknown platform,
    a missing, malformed or past date."""
    try:
        value = int((target or "").strip())
    except ValueError:
        raise ValidationFailed("The target must be a whole number of followers.", field="target") from None
    if not 0 < value <= 10_000_000_000:
        raise ValidationFailed("The target must be a positive number of followers.", field="target")
    platform = (platform or "").strip() or None
    if platform is not None and platform not in PLATFORMS:
        raise ValidationFailed("Pick a platform from the list.", field="platform")
    day = parse_date(target_date, "target_date", required=True)
    assert day is not None
    if day <= utcnow().date():
        raise ValidationFailed("The goal date must be in the future.", field="target_date")
    goal = Goal(
        client_id=client.id,
        platform=platform,
        metric="followers",
        target=value,
        target_date=day,
        created_by_id=actor.id,
    )
    db.session.add(goal)
    db.session.commit()
    return goal


@atomic
def remove_goal(client: Client, goal_id: int | str | None) -> Goal:
    """Remove one of ``client``'s goals.

    :raises NotFound: a malformed id, or a goal that is not this client's (never reveals another's).
    """
    try:
        gid = int(str(goal_id))
    except ValueError:
        raise NotFound("No such goal.") from None
    goal = db.session.get(Goal, gid)
    if goal is None or goal.client_id != client.id:
        raise NotFound("No such goal.")
    db.session.delete(goal)
    db.session.commit()
    return goal
