"""What to sync for each connection and how often, with the quota cost of each choice (contract 6.4:
``{"sync": {"posts", "comments", "audience", "stories"}, "cadence": "daily|twice_daily"}``).

* **Kinds**: a platform has some of them (:data:`AVAILABLE`); the app syncs ``posts``, ``comments``
  (the comment step calls ``sync_enabled(conn, "comments")``), ``audience`` (weekly,
  ``app/sync/audience.py``) and ``stories`` (the 4-hourly story sync) today (:data:`SYNCED_NOW`).
  Any other flag is stored and shown, and read by its sync through :func:`sync_enabled` when it arrives.
* **Cadence**: ``daily`` (the 03:00 UTC fan-out), or ``twice_daily`` (a second sync at 15:00 UTC) for
  accounts the coach marks "active campaign" (``connections.active_campaign``).
* **Budget**: every choice has a daily cost (:func:`cost`); a change is refused (400, the reason in
  words) when the platform's planned daily spend over all live connections would pass its limit, or
  when it adds syncs while today's budget is already past the warning threshold.

The defaults (posts, comments, audience and stories where the platform has them, daily) keep every
client within budget at the benchmark's scale: 1,000 YouTube channels plan 6,000 of 9,500 units a day
(measured a day after the first sync: 6.4 a channel on average, bench/README.md "sync").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.errors import NotFound, ServiceError
from app.extensions import db
from app.models import Client, Connection, Role, User
from app.models.platforms import PLATFORM_NAMES
from app.services import quota_counters
from app.services.clients import own_client, visible_clients

KINDS: tuple[str, ...] = ("posts", "comments", "audience", "stories")
KIND_LABELS = {
    "posts": "Posts and their numbers",
    "comments": "Comments",
    "audience": "Audience (age, gender, countries)",
    "stories": "Stories",
}
#: a platform whose kind holds something else than the general label says (a Page has no age or gender)
PLATFORM_KIND_LABELS: dict[str, dict[str, str]] = {
    "facebook": {"audience": "Audience (the followers' countries and cities)"},
}
#: the kinds each platform offers through the app's grants
AVAILABLE: dict[str, frozenset[str]] = {
    "instagram": frozenset({"posts", "comments", "audience", "stories"}),
    "youtube": frozenset({"posts", "comments", "audience"}),
    "tiktok": frozenset({"posts"}),
    "x": frozenset({"posts"}),  # X replies need search, which the read tier we use does not include
    "facebook": frozenset({"posts", "comments", "audience"}),  # audience: the followers' countries and cities
    "linkedin": frozenset({"posts"}),  # a member's comments need r_member_social (docs/comments.md)
}
#: a TikTok business account (API for Business) also has its audience and its comments
TIKTOK_BUSINESS_KINDS = frozenset({"posts", "comments", "audience"})
#: a LinkedIn Company Page also has its followers' demographics and its posts' comments (a member neither)
LINKEDIN_PAGE_KINDS = frozenset({"posts", "comments", "audience"})
#: the kinds a sync fetches today; the others are stored for the syncs that arrive later
SYNCED_NOW: frozenset[str] = frozenset({"posts", "comments", "audience", "stories"})
CADENCES = {"daily": 1, "twice_daily": 2}

#: YouTube Data API units of one sync: the profile (channels) always, posts: playlistItems + videos
#: (up to 50 new videos), comments: one commentThreads page per post due (up to 12): 3.4 a channel on
#: average in the 1,000-connection sync benchmark a day after the first sync, so 3 (bench/README.md)
YOUTUBE_UNITS = {"profile": 1, "posts": 2, "comments": 3, "audience": 0}
#: calls of one sync, per kind (Instagram and TikTok budgets count calls or usage, not units)
CALLS = {
    "instagram": {"profile": 5, "posts": 2, "comments": 3, "audience": 1},
    # a business account (API for Business): business/get + its daily metrics; video pages; audience
    # (weekly, one business/get call): see docs/sync.md
    # comments (a business account): business/comment/list/ per 30 comments of each video due, and a
    # reply list for a comment whose replies changed past the 3 nested (docs/sync.md)
    "tiktok": {"profile": 1, "posts": 2, "comments": 3, "audience": 1},
    # the Page + its insights; the posts with their insights; comments: one stream call per post due;
    # audience (weekly: page_follows_country + page_follows_city, 2 calls a week) (docs/sync.md)
    "facebook": {"profile": 2, "posts": 1, "comments": 3, "audience": 1},
    "youtube": {"profile": 2, "posts": 2, "comments": 1, "audience": 1},
    "x": {"profile": 2, "posts": 2},  # refresh (2-hour tokens) + users/me; timeline + lookup by ids
    # LinkedIn: follower count + 5 daily analytics calls (userinfo only when connecting); posts: one page of
    # 100 plus 4 analytics calls for each new or due post under 30 days old: 22.3 calls a day in all at one
    # post every 3 days, measured over 14 daily syncs before userinfo left the sync, so 21.3 (docs/sync.md)
    "linkedin": {"profile": 6, "posts": 15},
    # a LinkedIn Company Page: networkSizes (its name only when connecting) + follower, share and page statistics by
    # day; posts: one page of 100 plus one share-statistics call for the new and due posts; audience
    # (weekly: follower statistics + geo and industry names, 3 calls a week) (docs/sync.md)
    # comments: one socialActions/{post}/comments call per 100 comments of each post due, and one per
    # comment whose replies changed (docs/sync.md)
    "linkedin_org": {"profile": 4, "posts": 2, "comments": 3, "audience": 1},
}

#: calls a day of kinds read by their own schedule, whatever the cadence: the 4-hourly story sync makes 6
#: runs of one list call plus two insights calls per live story; 3 live stories assumed (docs/sync.md)
DAILY_CALLS = {"instagram": {"stories": 6 * (1 + 2 * 3)}}


class OverBudget(ServiceError):
    status = 400
    code = "over_budget"


class InvalidSettings(ServiceError):
    status = 400
    code = "invalid_settings"


@dataclass(frozen=True)
class SyncSettings:
    sync: dict[str, bool]
    cadence: str

    def as_json(self) -> dict[str, Any]:
        return {"sync": dict(self.sync), "cadence": self.cadence}


@dataclass(frozen=True)
class Cost:
    """What a choice costs per day for one connection: calls, and YouTube Data API units."""

    calls: int
    units: int

    def words(self, platform: str) -> str:
        if platform == "youtube":
            return f"{self.units} Data API unit{'s' if self.units != 1 else ''} a day"
        return f"about {self.calls} call{'s' if self.calls != 1 else ''} a day"


def available(conn: Connection) -> frozenset[str]:
    """The kinds this connection offers: its platform's, or a TikTok business account's."""
    if conn.platform == "tiktok" and conn.account_type == "business":
        return TIKTOK_BUSINESS_KINDS
    if conn.platform == "linkedin" and conn.account_type == "organization":
        return LINKEDIN_PAGE_KINDS
    return AVAILABLE.get(conn.platform, frozenset())


def kind_labels(conn: Connection) -> dict[str, str]:
    """The kinds' labels on this connection's settings page."""
    return {**KIND_LABELS, **PLATFORM_KIND_LABELS.get(conn.platform, {})}


def defaults(platform: str, kinds: frozenset[str] | None = None) -> SyncSettings:
    offered = AVAILABLE.get(platform, frozenset()) if kinds is None else kinds
    return SyncSettings({k: k in offered for k in KINDS}, "daily")


def settings_of(conn: Connection) -> SyncSettings:
    """The connection's settings (stored values over the platform's defaults; kinds it lacks are off)."""
    base = defaults(conn.platform, available(conn))
    stored = conn.sync_settings or {}
    sync = {k: bool(stored.get("sync", {}).get(k, base.sync[k])) and base.sync[k] for k in KINDS}
    cadence = stored.get("cadence") if stored.get("cadence") in CADENCES else "daily"
    if cadence == "twice_daily" and not conn.active_campaign:
        cadence = "daily"  # the campaign ended: back to once a day
    return SyncSettings(sync, str(cadence))


def sync_enabled(conn: Connection, kind: str) -> bool:
    """Whether a sync should fetch ``kind`` for this connection (the one read for every sync kind)."""
    if kind not in KINDS:
        raise ValueError(f"unknown sync kind {kind!r}")
    return settings_of(conn).sync[kind]


def syncs_per_day(conn: Connection) -> int:
    return CADENCES[settings_of(conn).cadence]


def calls_key(conn: Connection) -> str:
    """The :data:`CALLS` row of a connection: its platform's, or a LinkedIn Company Page's."""
    return "linkedin_org" if conn.platform == "linkedin" and conn.account_type == "organization" else conn.platform


def cost(platform: str, settings: SyncSettings, key: str | None = None) -> Cost:
    """The daily cost of ``settings`` for one connection of ``platform`` (``key``: :func:`calls_key`)."""
    kinds = ["profile", *(k for k in KINDS if settings.sync.get(k))]
    per_sync_calls = sum(CALLS.get(key or platform, {}).get(k, 0) for k in kinds)
    per_sync_units = sum(YOUTUBE_UNITS.get(k, 0) for k in kinds) if platform == "youtube" else 0
    n = CADENCES[settings.cadence]
    own_schedule = sum(DAILY_CALLS.get(platform, {}).get(k, 0) for k in kinds)
    return Cost(per_sync_calls * n + own_schedule, per_sync_units * n)


def choice_costs(conn: Connection) -> dict[str, str]:
    """The cost of each single choice, shown beside it before saving: a kind (per day at the current
    cadence) and twice a day (the whole sync again)."""
    current = settings_of(conn)
    out: dict[str, str] = {}
    for kind in KINDS:
        if kind in available(conn):
            per_kind = Cost(
                CALLS.get(calls_key(conn), {}).get(kind, 0) * CADENCES[current.cadence]
                + DAILY_CALLS.get(conn.platform, {}).get(kind, 0),
                (YOUTUBE_UNITS.get(kind, 0) if conn.platform == "youtube" else 0) * CADENCES[current.cadence],
            )
            out[kind] = per_kind.words(conn.platform)
    once = cost(conn.platform, SyncSettings(current.sync, "daily"), calls_key(conn))
    out["daily"] = once.words(conn.platform)
    twice = cost(conn.platform, SyncSettings(current.sync, "twice_daily"), calls_key(conn))
    out["twice_daily"] = twice.words(conn.platform)
    return out


# --------------------------------------------------------------------------- who may see and change


def connection_for(user: User, connection_id: int) -> Connection:
    """A live connection the user may manage: a client their own, staff their visible clients'.

    :raises NotFound: missing, disconnected or another tenant's (indistinguishable).
    """
    query = select(Connection).where(Connection.id == connection_id, Connection.disconnected_at.is_(None))
    if user.role is Role.CLIENT:
        query = query.where(Connection.client_id == own_client(user).id)
    else:
        query = query.where(Connection.client_id.in_(visible_clients(user).with_only_columns(Client.id)))
    conn = db.session.execute(query).scalar_one_or_none()
    if conn is None:
        raise NotFound("No such connection.")
    return conn


def _parse(conn: Connection, payload: Any) -> SyncSettings:
    if not isinstance(payload, dict) or set(payload) - {"sync", "cadence"}:
        raise InvalidSettings('Send {"sync": {...}, "cadence": "daily" or "twice_daily"}.')
    current = settings_of(conn)
    sync = dict(current.sync)
    raw_sync = payload.get("sync", {})
    if not isinstance(raw_sync, dict) or set(raw_sync) - set(KINDS):
        raise InvalidSettings(f"sync takes {', '.join(KINDS)} (each true or false).")
    name = PLATFORM_NAMES.get(conn.platform, conn.platform)
    for kind, value in raw_sync.items():
        if not isinstance(value, bool):
            raise InvalidSettings(f"sync.{kind} must be true or false.")
        if value and kind not in available(conn):
            raise InvalidSettings(f"{name} has no {KIND_LABELS[kind].lower()} the app can read.")
        sync[kind] = value
    cadence = payload.get("cadence", current.cadence)
    if cadence not in CADENCES:
        raise InvalidSettings(
            "cadence must be daily or twice_daily; more often than twice a day does not fit the platforms' budgets."
        )
    if cadence == "twice_daily" and not conn.active_campaign:
        raise InvalidSettings(
            "Twice a day is for accounts your coach marks as an active campaign; this one syncs once a day."
        )
    return SyncSettings(sync, str(cadence))


def _planned_units(platform: str, exclude: int) -> int:
    """The daily Data API units of every other live YouTube connection with its settings."""
    conns = db.session.execute(
        select(Connection).where(
            Connection.platform == platform, Connection.disconnected_at.is_(None), Connection.id != exclude
        )
    ).scalars()
    return sum(cost(platform, settings_of(c)).units for c in conns)


def _check_budget(conn: Connection, new: SyncSettings) -> None:
    """Refuse a change that makes the platform's planned daily spend pass its limit, or that adds syncs
    while today's budget is already past the warning threshold."""
    if conn.platform != "youtube":
        return
    old_cost, new_cost = cost(conn.platform, settings_of(conn)), cost(conn.platform, new)
    if new_cost.units <= old_cost.units:
        return  # less or the same never needs room
    limit = int(current_app.config["SYNC_YOUTUBE_DAILY_UNITS"])
    planned = _planned_units(conn.platform, conn.id) + new_cost.units
    if planned > limit:
        raise OverBudget(
            f"This does not fit YouTube's daily budget: every connected channel's syncs would need {planned:,} "
            f"units a day of the {limit:,} the app may spend. Keep fewer kinds or sync once a day."
        )
    threshold = int(current_app.config["OPS_BUDGET_WARN_PERCENT"])
    spent = quota_counters.youtube_units_today()
    if threshold and spent is not None and limit and 100 * spent / limit >= threshold:
        raise OverBudget(
            f"YouTube's budget for today is {100 * spent / limit:.0f}% used ({spent:,} of {limit:,} units): more "
            "syncs cannot be added before the reset at midnight Pacific time. Try again tomorrow."
        )


def update(user: User, connection_id: int, payload: Any) -> SyncSettings:
    """Apply a partial change (``{"sync": {...}}`` and/or ``{"cadence": ...}``); nothing is stored when it
    is refused.

    :raises NotFound: not the user's to manage. :raises InvalidSettings: a choice that does not exist
        for this account. :raises OverBudget: it does not fit the platform's budget (the reason in words).
    """
    conn = connection_for(user, connection_id)
    new = _parse(conn, payload)
    _check_budget(conn, new)
    # only the kinds this account offers are stored: a kind a platform gains later (a Facebook Page's
    # audience) then starts at its default, not at the "off" that meant "not offered" when this was saved
    offered = available(conn)
    conn.sync_settings = {"sync": {k: v for k, v in new.sync.items() if k in offered}, "cadence": new.cadence}
    db.session.commit()
    return new


def set_active_campaign(user: User, connection_id: int, active: bool) -> Connection:
    """The coach (or an admin) marks an account "active campaign" (it may sync twice a day); ending the
    campaign puts a twice-daily account back to daily."""
    if user.role is Role.CLIENT:
        raise NotFound("No such connection.")
    conn = connection_for(user, connection_id)
    conn.active_campaign = active
    if not active and (conn.sync_settings or {}).get("cadence") == "twice_daily":
        conn.sync_settings = {**(conn.sync_settings or {}), "cadence": "daily"}
    db.session.commit()
    return conn


def twice_daily() -> list[tuple[int, str]]:
    """``(id, platform)`` of the live connections syncing twice a day (their coach marked an active
    campaign and the client chose it)."""
    conns = db.session.execute(
        select(Connection)
        .where(Connection.disconnected_at.is_(None), Connection.active_campaign.is_(True))
        .order_by(Connection.id)
    ).scalars()
    return [(c.id, c.platform) for c in conns if settings_of(c).cadence == "twice_daily"]
