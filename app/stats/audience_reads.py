"""What the pages and the JSON API show of a client's audience, insights and stories (architecture.md
6.4; docs/metrics.md, "Audience and insights"). One read per answer, from the stored rows only."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from app.extensions import db
from app.models import AccountInsight, AudienceSnapshot, Connection, StoryItem
from app.models.platforms import PLATFORM_NAMES
from app.stats.audience import (
    INSTAGRAM_DEMOGRAPHICS_MIN_FOLLOWERS,
    audience_changes,
    insight_days,
    insight_totals,
    link_taps_by_button,
    peak_hours,
)
from app.stats.query import Period

#: the plain reasons an audience is not shown (the page and the API say the same)
NO_AUDIENCE_API = "{name} shares no audience data with apps: its API gives none for personal accounts."
#: what a Facebook Page's Audience section says beside its countries (platforms-deep-data.md 2.4)
FACEBOOK_NOTE = (
    "Facebook gives apps only where a Page's followers are: their countries (and cities, where Facebook "
    "gives them). Meta removed the followers' age and gender from its API in 2024."
)
FACEBOOK_TOO_SMALL = (
    "Shown once the account has enough followers (Facebook gives no follower countries for small Pages; "
    "it has given them from 100 followers)."
)
NO_AUDIENCE_TIKTOK = (
    "TikTok shares no audience data with apps for personal accounts. A TikTok business account, connected as "
    "one, would show countries, genders and when followers are online."
)
TIKTOK_TOO_SMALL = "Shown once the account has enough followers (TikTok gives no audience data for small accounts)."
NOT_CONNECTED = "No {name} account is connected."
NOT_READ_YET = "The audience is read once a week; the first read has not run yet."
TOO_SMALL = "Shown once the account has enough followers ({name} gives audience data from {n} followers)."
TOO_FEW_VIEWERS = "Shown once the channel has enough viewers (YouTube gives no audience data for small channels)."
NO_AUDIENCE_LINKEDIN_MEMBER = (
    "LinkedIn gives apps no audience data for member (personal) profiles. A LinkedIn Company Page you "
    "administer, connected as one, would show its followers' countries, seniority, industries, job "
    "functions and company sizes."
)
LINKEDIN_TOO_SMALL = (
    "Shown once the Page has enough followers (LinkedIn gave no follower demographics for this Page yet)."
)
AUDIENCE_PLATFORMS = ("instagram", "youtube", "facebook")
#: ``connections.account_type`` of a LinkedIn Company Page (``app/platforms/linkedin_org.py``)
LINKEDIN_PAGE = "organization"
#: ``connections.account_type`` of a TikTok business account (``app/platforms/tiktok_business.py``)
TIKTOK_BUSINESS = "business"
#: audience over time compares the newest snapshot with the newest one at least this many days older
#: (else the oldest one there is)
CHANGE_SPAN_DAYS = 28
SCOPE_MONETARY = "https://www.googleapis.com/auth/yt-analytics-monetary.readonly"
ROUNDED_SUBSCRIBERS = (
    "YouTube rounds public subscriber counts to three significant figures (e.g. 12,345 shows as 12,300); "
    "gains and losses here are exact, from YouTube Analytics."
)


#: a page's connections by platform, read once for all the parts of its panel (``panel``)
Conns = dict[str, Connection | None]


def _connection(client_id: int, platform: str, conns: Conns | None = None) -> Connection | None:
    """The client's live connection of ``platform`` (the newest, if several); ``conns`` remembers it."""
    if conns is not None and platform in conns:
        return conns[platform]
    conn = db.session.execute(
        select(Connection)
        .where(Connection.client_id == client_id, Connection.platform == platform, Connection.disconnected_at.is_(None))
        .order_by(Connection.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if conns is not None:
        conns[platform] = conn
    return conn


def audience(client_id: int, platform: str, conns: Conns | None = None) -> dict[str, Any]:
    """The audience answer: the latest snapshot's shares, or ``available: false`` with a plain reason."""
    name = PLATFORM_NAMES.get(platform, platform)
    out: dict[str, Any] = {"platform": platform, "as_of": None, "available": False, "reason": None}
    if platform == "tiktok" and not _tiktok_business(client_id, conns):
        out["reason"] = NO_AUDIENCE_TIKTOK
        return out
    if platform not in (*AUDIENCE_PLATFORMS, "tiktok", "linkedin"):
        out["reason"] = NO_AUDIENCE_API.format(name=name)
        return out
    conn = _linkedin_page(client_id, conns) if platform == "linkedin" else _connection(client_id, platform, conns)
    if conn is None and platform == "linkedin" and _connection(client_id, platform, conns) is not None:
        out["reason"] = NO_AUDIENCE_LINKEDIN_MEMBER
        return out
    if conn is None:
        out["reason"] = NOT_CONNECTED.format(name=name)
        return out
    snap = db.session.execute(
        select(AudienceSnapshot)
        .where(AudienceSnapshot.connection_id == conn.id)
        .order_by(AudienceSnapshot.taken_on.desc())
        .limit(1)
    ).scalar_one_or_none()
    if snap is None:
        out["reason"] = NOT_READ_YET
        return out
    out["as_of"] = snap.taken_on.isoformat()
    if not snap.payload:
        if platform == "instagram":
            out["reason"] = TOO_SMALL.format(name=name, n=INSTAGRAM_DEMOGRAPHICS_MIN_FOLLOWERS)
        elif platform == "tiktok":
            out["reason"] = TIKTOK_TOO_SMALL
        elif platform == "linkedin":
            out["reason"] = LINKEDIN_TOO_SMALL
        elif platform == "facebook":
            out["reason"] = FACEBOOK_TOO_SMALL
        else:
            out["reason"] = TOO_FEW_VIEWERS
        return out
    out["available"] = True
    out.update(snap.payload)
    return out


def _linkedin_page(client_id: int, conns: Conns | None) -> Connection | None:
    """The client's live LinkedIn Company Page connection (the newest), also beside a member connection."""
    known = conns.get("linkedin") if conns is not None else None
    if known is not None and known.account_type == LINKEDIN_PAGE:
        return known
    return db.session.execute(
        select(Connection)
        .where(
            Connection.client_id == client_id,
            Connection.platform == "linkedin",
            Connection.account_type == LINKEDIN_PAGE,
            Connection.disconnected_at.is_(None),
        )
        .order_by(Connection.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _tiktok_business(client_id: int, conns: Conns | None) -> bool:
    conn = _connection(client_id, "tiktok", conns)
    return conn is not None and conn.account_type == TIKTOK_BUSINESS


def audience_peak_hours(client_id: int, n: int = 3) -> list[int]:
    """The UTC hours most of the client's Instagram followers are online ([] when not known)."""
    answer = audience(client_id, "instagram")
    return peak_hours(answer.get("online_hours") or {}, n)


def insights(client_id: int, platform: str, period: Period, conns: Conns | None = None) -> dict[str, Any]:
    """Daily account insights in ``(period.start, period.end]`` with their totals (contract names)."""
    conn = _connection(client_id, platform, conns)
    days = []
    if conn is not None:
        stmt = select(AccountInsight.day, AccountInsight.metric, AccountInsight.value).where(
            AccountInsight.connection_id == conn.id, AccountInsight.day <= period.end
        )
        if period.start is not None:
            stmt = stmt.where(AccountInsight.day > period.start)
        days = insight_days((r.day, r.metric, r.value) for r in db.session.execute(stmt))
    return {
        "platform": platform,
        "days": [{"day": d.day.isoformat(), **d.metrics} for d in days],
        "totals": insight_totals(days),
    }


def stories(client_id: int, period: Period, conns: Conns | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """The client's Instagram stories published in the period, newest first (kept after they expire)."""
    conn = _connection(client_id, "instagram", conns)
    if conn is None:
        return []
    stmt = select(StoryItem).where(StoryItem.connection_id == conn.id)
    end = datetime.combine(period.end + timedelta(days=1), time(0), tzinfo=UTC)
    stmt = stmt.where(StoryItem.published_at < end)
    if period.start is not None:
        stmt = stmt.where(
            StoryItem.published_at >= datetime.combine(period.start + timedelta(days=1), time(0), tzinfo=UTC)
        )
    rows = db.session.execute(stmt.order_by(StoryItem.published_at.desc()).limit(limit)).scalars()
    return [
        {
            "id": s.id,
            "published_at": s.published_at.isoformat(),
            "expires_at": s.expires_at.isoformat(),
            "media_type": s.media_type,
            "views": s.views,
            "reach": s.reach,
            "replies": s.replies,
            "taps_forward": s.taps_forward,
            "taps_back": s.taps_back,
            "exits": s.exits,
            "follows": s.follows,
            "profile_visits": s.profile_visits,
            "note": s.note,
        }
        for s in rows
    ]


def _hour_offset(tz: str) -> tuple[int, str]:
    """(whole hours east of UTC, label) for ``tz`` today; UTC when the zone is unknown or not whole hours."""
    try:
        offset = datetime.now(ZoneInfo(tz)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return 0, "UTC"
    seconds = int(offset.total_seconds()) if offset is not None else 0
    if seconds % 3600:
        return 0, "UTC"
    return seconds // 3600, tz


def online_heat(online_hours: Mapping[str, float], tz: str) -> dict[str, Any]:
    """The online-hours row of the heat map in the client's time zone: 24 cells ``(hour, followers,
    level 0-4)``, level = the share of the busiest hour in quarters (rounded up; 0 = nobody)."""
    shift, label = _hour_offset(tz)
    top = max((float(v) for v in online_hours.values()), default=0.0)
    cells = []
    for local in range(24):
        value = float(online_hours.get(str((local - shift) % 24), 0.0))
        level = 0 if top <= 0 or value <= 0 else min(4, math.ceil(4 * value / top))
        cells.append({"hour": local, "followers": value, "level": level})
    peaks = [c["hour"] for c in sorted(cells, key=lambda c: (-c["followers"], c["hour"]))[:3] if c["followers"] > 0]
    return {"tz": label, "cells": cells, "peaks": peaks}


def over_time(
    client_id: int,
    platform: str,
    as_of: str | None,
    newest: Mapping[str, Any] | None = None,
    conns: Conns | None = None,
) -> dict[str, Any] | None:
    """The audience's biggest moves between the newest snapshot (``as_of``, its payload ``newest`` when
    the caller has it) and the newest non-empty one at least ``CHANGE_SPAN_DAYS`` older, else the oldest
    non-empty one (``None`` with only one)."""
    pick = _linkedin_page if platform == "linkedin" else lambda c, k: _connection(c, platform, k)
    conn = pick(client_id, conns) if as_of else None
    if conn is None or as_of is None:
        return None
    latest = datetime.fromisoformat(as_of).date()
    base = select(AudienceSnapshot).where(AudienceSnapshot.connection_id == conn.id, AudienceSnapshot.taken_on < latest)
    older = db.session.execute(
        base.where(AudienceSnapshot.taken_on <= latest - timedelta(days=CHANGE_SPAN_DAYS))
        .order_by(AudienceSnapshot.taken_on.desc())
        .limit(4)
    ).scalars()
    before = next((s for s in older if s.payload), None)
    if before is None:
        before = next(
            (s for s in db.session.execute(base.order_by(AudienceSnapshot.taken_on).limit(8)).scalars() if s.payload),
            None,
        )
    if newest is None:
        newest = db.session.execute(
            select(AudienceSnapshot.payload).where(
                AudienceSnapshot.connection_id == conn.id, AudienceSnapshot.taken_on == latest
            )
        ).scalar_one_or_none()
    if before is None or not newest:
        return None
    return {"since": before.taken_on.isoformat(), "until": as_of, "changes": audience_changes(before.payload, newest)}


def known_connections(connections: Iterable[Connection], complete: Iterable[str] = ()) -> Conns:
    """``Conns`` from live connections a page already read (``connections_query``): per platform the
    newest, as ``_connection`` would read it, so ``panel`` reads none of them again; ``complete`` names
    the platforms whose live connections are all in ``connections`` (none of them: no connection)."""
    out: Conns = dict.fromkeys(complete)
    for conn in connections:
        if conn.disconnected_at is None:
            known = out.get(conn.platform)
            if known is None or conn.id > known.id:
                out[conn.platform] = conn
    return out


def panel(client_id: int, platform: str, period: Period, tz: str, known: Conns | None = None) -> dict[str, Any]:
    """Everything the Audience section of a platform page shows (each connection read once; ``known``:
    connections the caller already read, see ``known_connections``)."""
    conns: Conns = dict(known or {})
    aud = audience(client_id, platform, conns)
    # every platform's stored daily insights (Instagram, YouTube, Facebook Pages, ...), except TikTok's
    # Display API, which gives none (a business account's come from the API for Business)
    read = platform != "tiktok" or _tiktok_business(client_id, conns)
    got = insights(client_id, platform, period, conns) if read else {"totals": {}, "days": []}
    out: dict[str, Any] = {"audience": aud, "insights": got["totals"], "insight_days": got["days"]}
    out["heat"] = online_heat(aud["online_hours"], tz) if aud.get("online_hours") else None
    out["places"] = {
        "countries": [(c["code"], c["share"]) for c in aud.get("countries", [])],
        "cities": [(c["name"], c["share"]) for c in aud.get("cities", [])],
        "engaged_countries": [(c["code"], c["share"]) for c in (aud.get("engaged") or {}).get("countries", [])],
        "engaged_cities": [(c["name"], c["share"]) for c in (aud.get("engaged") or {}).get("cities", [])],
        # most first whatever order the stored JSON kept
        "link_taps": list(link_taps_by_button(aud.get("link_taps_by_button") or {}).items()),
        "regions": [(c["name"], c["share"]) for c in aud.get("regions", [])],
        # follower counts beside the shares where the platform gave counts (a Facebook Page)
        "counts": {
            key: {str(c[name]): int(c["followers"]) for c in aud.get(key, []) if isinstance(c.get("followers"), int)}
            for key, name in (("countries", "code"), ("cities", "name"))
        },
    }
    out["note"] = FACEBOOK_NOTE if platform == "facebook" else None
    out["stories"] = stories(client_id, period, conns, limit=20) if platform == "instagram" else []
    out["over_time"] = over_time(client_id, platform, aud["as_of"], aud, conns) if aud["available"] else None
    out["subscriber_note"] = ROUNDED_SUBSCRIBERS if platform == "youtube" else None
    conn = _connection(client_id, platform, conns) if platform == "youtube" else None
    # YouTube revenue is read only once the client shares it (the separate monetary scope)
    out["revenue_shared"] = conn is not None and SCOPE_MONETARY in conn.scope_set
    out["revenue_offer"] = conn is not None and not out["revenue_shared"]
    # best posting time, when there are too few posts to rate slots: this page's online hours, else the
    # client's Instagram followers' (no other platform tells apps when followers are online)
    out["online_fallback"] = None
    if out["heat"] is None and platform != "instagram":
        ig = audience(client_id, "instagram", conns)
        if ig.get("online_hours"):
            out["online_fallback"] = online_heat(ig["online_hours"], tz)
    return out
