"""Audience reads: Instagram follower demographics, online hours and stories; YouTube Analytics audience
reports (traffic sources, devices, geography, age and gender).

What comes back is raw, as the platform gave it (follower counts on Instagram, views or
``viewerPercentage`` on YouTube); ``app/stats/audience.py`` turns it into shares. Each breakdown is its
own call and fails alone: an unsupported report or a rejected metric leaves the others (costs in
docs/sync.md).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.platforms.errors import BadResponse, PlatformError
from app.platforms.instagram import InstagramAdapter, _meta_window
from app.platforms.video_analytics import ChannelExtras
from app.platforms.youtube import ANALYTICS_API, YouTubeAdapter

log = logging.getLogger(__name__)

IG_BREAKDOWNS = {"age": "age", "gender": "gender", "country": "countries", "city": "cities"}
IG_GENDERS = {"F": "female", "M": "male", "U": "other"}
ENGAGED_BREAKDOWNS = {"age": "age", "gender": "gender", "country": "countries", "city": "cities"}
#: ``profile_links_taps`` by ``contact_button_type`` over this many finished days (Meta allows 30)
LINK_TAP_DAYS = 28
YT_AGE = {"age65-": "65+"}
YT_GENDERS = {"user_specified": "other"}
#: online hours averaged over this many finished days (Meta answers ``{}`` for the newest 2-3)
ONLINE_DAYS = 10
STORY_METRICS = ("views", "reach", "replies", "shares", "follows", "profile_visits")
STORY_LIFETIME = timedelta(hours=24)


@dataclass
class RawAudience:
    """``breakdowns``: contract key (``age``, ``gender``, ``countries``, ``cities``, ``traffic_sources``,
    ``devices``) -> value -> the platform's number; ``online_hours``: hour -> average followers online;
    ``failed``: breakdowns the platform refused (noted, not fatal)."""

    breakdowns: dict[str, dict[str, float]] = field(default_factory=dict)
    online_hours: dict[str, float] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    #: Instagram: the engaged audience's raw counts (``age``, ``gender``, ``countries``) this month
    engaged: dict[str, dict[str, float]] = field(default_factory=dict)
    #: Instagram: taps on the profile's contact buttons by button type over ``LINK_TAP_DAYS`` days
    #: (empty for an account without contact buttons: Meta answers nothing, not 0)
    link_taps: dict[str, float] = field(default_factory=dict)
    #: YouTube: per-video numbers, the Shorts / long-form split and revenue (``video_analytics.py``)
    extras: ChannelExtras | None = None
    #: list breakdowns (``countries``, ``cities``) whose raw numbers are follower counts worth storing
    #: beside the shares (a Facebook Page: ``page_follows_country`` gives counts, not shares)
    keep_counts: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoryRead:
    platform_id: str
    media_type: str | None
    published_at: datetime
    metrics: Mapping[str, int]
    note: str | None = None


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


# --------------------------------------------------------------------------- Instagram


def instagram_audience(adapter: InstagramAdapter, token: str, today: date) -> RawAudience:
    """Four ``follower_demographics`` calls (one per breakdown), four ``engaged_audience_demographics``
    calls, one ``online_followers`` call and one ``profile_links_taps`` call by button type."""
    out = RawAudience()
    for breakdown, key in IG_BREAKDOWNS.items():
        try:
            entries = adapter._insights(
                "me",
                token,
                ["follower_demographics"],
                {"period": "lifetime", "metric_type": "total_value", "breakdown": breakdown, "timeframe": "this_month"},
            )
        except PlatformError as exc:
            if exc.retryable or not isinstance(exc, BadResponse):
                raise
            out.failed.append(key)
            continue
        values: dict[str, float] = {}
        for name, value in _results(entries):
            name = IG_GENDERS.get(name.upper(), "other") if key == "gender" else name
            values[name] = values.get(name, 0.0) + value
        if values:
            out.breakdowns[key] = values
    out.engaged = _engaged(adapter, token, out.failed)
    since, until = _meta_window(today - timedelta(days=ONLINE_DAYS), today - timedelta(days=1))
    try:
        entries = adapter._insights(
            "me", token, ["online_followers"], {"period": "lifetime", "since": since, "until": until}
        )
    except PlatformError as exc:
        if exc.retryable or not isinstance(exc, BadResponse):
            raise
        out.failed.append("online_hours")
        entries = []
    out.online_hours = _online_hours(entries)
    out.link_taps = _link_taps(adapter, token, today, out.failed)
    return out


def _link_taps(adapter: InstagramAdapter, token: str, today: date, failed: list[str]) -> dict[str, float]:
    """``profile_links_taps`` by ``contact_button_type`` (``CALL``, ``EMAIL``...) summed over the
    ``LINK_TAP_DAYS`` finished days before ``today``: one ``total_value`` call (platforms.md 2.x: a
    breakdown needs its own call, fetched weekly)."""
    since, until = _meta_window(today - timedelta(days=LINK_TAP_DAYS), today - timedelta(days=1))
    try:
        entries = adapter._insights(
            "me",
            token,
            ["profile_links_taps"],
            {
                "period": "day",
                "metric_type": "total_value",
                "breakdown": "contact_button_type",
                "since": since,
                "until": until,
            },
        )
    except PlatformError as exc:
        if exc.retryable or not isinstance(exc, BadResponse):
            raise
        failed.append("link_taps")
        return {}
    out: dict[str, float] = {}
    for name, value in _results(entries):
        key = name.upper() or "UNDEFINED"
        out[key] = out.get(key, 0.0) + value
    return {k: v for k, v in out.items() if v > 0}


def _engaged(adapter: InstagramAdapter, token: str, failed: list[str]) -> dict[str, dict[str, float]]:
    """``engaged_audience_demographics`` (accounts that engaged this month) by age, gender, country and
    city: 4 calls; Meta accepts only ``timeframe=this_week|this_month`` for it."""
    out: dict[str, dict[str, float]] = {}
    for breakdown, key in ENGAGED_BREAKDOWNS.items():
        try:
            entries = adapter._insights(
                "me",
                token,
                ["engaged_audience_demographics"],
                {"period": "lifetime", "metric_type": "total_value", "breakdown": breakdown, "timeframe": "this_month"},
            )
        except PlatformError as exc:
            if exc.retryable or not isinstance(exc, BadResponse):
                raise
            failed.append(f"engaged_{key}")
            continue
        values: dict[str, float] = {}
        for name, value in _results(entries):
            name = IG_GENDERS.get(name.upper(), "other") if key == "gender" else name
            values[name] = values.get(name, 0.0) + value
        if values:
            out[key] = values
    return out


def instagram_follows(adapter: InstagramAdapter, token: str, days: list[date]) -> dict[date, dict[str, float]]:
    """day -> ``{"follows": n, "unfollows": n}`` from ``follows_and_unfollows`` by ``follow_type``
    (``FOLLOWER`` = follows, ``NON_FOLLOWER`` = unfollows), one ``total_value`` call per day. Meta gives
    none under 100 followers (an empty answer: the day is left out); a refused call ends the reads
    (noted by the caller), the days read before are kept."""
    out: dict[date, dict[str, float]] = {}
    for day in days:
        since, until = _meta_window(day, day)
        entries = adapter._insights(
            "me",
            token,
            ["follows_and_unfollows"],
            {"period": "day", "metric_type": "total_value", "breakdown": "follow_type", "since": since, "until": until},
        )
        kinds = {"FOLLOWER": "follows", "NON_FOLLOWER": "unfollows"}
        got = {kinds[name.upper()]: value for name, value in _results(entries) if name.upper() in kinds}
        if got:
            out[day] = got
    return out


def _results(entries: list[Mapping[str, Any]]) -> list[tuple[str, float]]:
    """(first dimension value, value) of every breakdown result in ``entries``."""
    out: list[tuple[str, float]] = []
    for entry in entries:
        total = entry.get("total_value")
        for block in (total.get("breakdowns") or []) if isinstance(total, Mapping) else []:
            for result in (block.get("results") or []) if isinstance(block, Mapping) else []:
                dims = result.get("dimension_values") if isinstance(result, Mapping) else None
                value = _num(result.get("value")) if isinstance(result, Mapping) else None
                if isinstance(dims, list) and dims and value is not None:
                    out.append((str(dims[0]), value))
    return out


def _online_hours(entries: list[Mapping[str, Any]]) -> dict[str, float]:
    """hour -> followers online, averaged over the days Meta has counted (``{}`` days left out)."""
    sums: dict[str, float] = {}
    days = 0
    for entry in entries:
        for point in entry.get("values") or []:
            value = point.get("value") if isinstance(point, Mapping) else None
            if not isinstance(value, Mapping) or not value:
                continue  # ``{}``: the day is not counted yet
            days += 1
            for hour, n in value.items():
                number = _num(n)
                if number is not None and str(hour).isdigit() and 0 <= int(hour) <= 23:
                    sums[str(int(hour))] = sums.get(str(int(hour)), 0.0) + number
    if not days:
        return {}
    return {h: sums.get(h, 0.0) / days for h in (str(i) for i in range(24))}


def instagram_stories(adapter: InstagramAdapter, token: str) -> list[StoryRead]:
    """``/me/stories`` (the last 24 h), then one insights call per story (``navigation`` needs its own)."""
    body = adapter._graph("me/stories", token, {"fields": "id,media_type,timestamp"})
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, list):
        raise BadResponse("stories answer has no data list", platform=adapter.name)
    out: list[StoryRead] = []
    for item in data:
        if not isinstance(item, Mapping) or not item.get("id"):
            continue
        published = _meta_time(item.get("timestamp"))
        if published is None:
            continue
        story_id = str(item["id"])
        metrics: dict[str, int] = {}
        note = None
        try:
            for entry in adapter._insights(story_id, token, STORY_METRICS):
                values = entry.get("values") or []
                value = _num(values[0].get("value")) if values and isinstance(values[0], Mapping) else None
                if value is not None:
                    metrics[str(entry.get("name"))] = int(value)
            nav = adapter._insights(story_id, token, ["navigation"], {"breakdown": "story_navigation_action_type"})
            for name, value in _results(nav):
                metrics[name.lower()] = int(value)
        except PlatformError as exc:
            if exc.retryable:
                raise
            if exc.code != 10:  # (#10) fewer than 5 viewers: a story without numbers, not a failure
                log.info("instagram: story %s insights refused: %s", story_id, exc)
            note = "too_few_viewers" if exc.code == 10 else "refused"
        media_type = item.get("media_type")
        out.append(StoryRead(story_id, str(media_type) if media_type else None, published, metrics, note))
    return out


def _meta_time(value: Any) -> datetime | None:
    try:
        return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)
    except ValueError:
        return None


# --------------------------------------------------------------------------- YouTube

YT_REPORTS = (
    ("age_gender", {"dimensions": "ageGroup,gender", "metrics": "viewerPercentage"}),
    ("countries", {"dimensions": "country", "metrics": "views", "sort": "-views", "maxResults": "25"}),
    ("traffic_sources", {"dimensions": "insightTrafficSourceType", "metrics": "views"}),
    ("devices", {"dimensions": "deviceType", "metrics": "views"}),
)


def youtube_audience(adapter: YouTubeAdapter, token: str, since: date, until: date) -> RawAudience:
    """Four Analytics reports over ``since``..``until`` (Analytics calls, no Data API units)."""
    out = RawAudience()
    for name, params in YT_REPORTS:
        try:
            body = adapter._get(
                ANALYTICS_API,
                token,
                {"ids": "channel==MINE", "startDate": since.isoformat(), "endDate": until.isoformat(), **params},
            )
        except PlatformError as exc:
            if exc.retryable or not isinstance(exc, BadResponse):
                raise
            out.failed.append(name)
            continue
        headers = [str(h.get("name")) for h in body.get("columnHeaders") or [] if isinstance(h, Mapping)]
        for row in body.get("rows") or []:  # ``rows`` is left out when there is no data
            if not isinstance(row, list) or len(row) != len(headers):
                continue
            cells = dict(zip(headers, row, strict=True))
            if name == "age_gender":
                share = _num(cells.get("viewerPercentage"))
                if share is None:
                    continue
                age = str(cells.get("ageGroup", "")).removeprefix("age")
                age = YT_AGE.get(f"age{age}", age)
                gender = YT_GENDERS.get(str(cells.get("gender")), str(cells.get("gender")))
                out.breakdowns.setdefault("age", {})[age] = out.breakdowns.get("age", {}).get(age, 0.0) + share
                genders = out.breakdowns.setdefault("gender", {})
                genders[gender] = genders.get(gender, 0.0) + share
            else:
                views = _num(cells.get("views"))
                key = str(row[0])
                if views is not None and key:
                    out.breakdowns.setdefault(name, {})[key] = views
    return out
