"""Audience truths and stories: what each sandbox account's audience is, and its Instagram stories.

The *audience truth* of an account is what the platform would report about who follows or watches it:
age and gender shares, countries and cities, the hours its followers are online, and (YouTube) where
views come from and on which devices. Every account has a deterministic default drawn from its seed; the
control API (``PATCH /_sandbox/accounts/<id>`` with ``{"audience": {...}}``) replaces any part of it.
Shares are percentages that add up to 100; ``online_hours`` are the percent of followers online in
each UTC hour; ``contact_buttons`` (Instagram) the taps a day on each contact button the profile has.
The platform answers (``instagram/insights.py``, ``youtube/analytics.py``) turn the truth
into their own shapes (counts of followers, ``viewerPercentage``, view splits).

A :class:`Story` is an Instagram story: listed by ``/me/stories`` and readable through its insights for
24 hours after ``published_at`` only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from .util import parse_datetime, unit

AGE_KEYS = ("13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
GENDER_KEYS = ("female", "male", "other")
COUNTRY_POOL = ("US", "GB", "DE", "FR", "BR", "IN", "CA", "AU", "ES", "IT", "MX", "NL", "SE", "JP", "PL")
CITY_POOL = (
    "London, England",
    "New York, New York",
    "Los Angeles, California",
    "Berlin, Berlin",
    "Paris, Ile-de-France",
    "Sao Paulo, Sao Paulo",
    "Toronto, Ontario",
    "Sydney, New South Wales",
    "Madrid, Comunidad de Madrid",
    "Chicago, Illinois",
)
TRAFFIC_SOURCES = (
    "YT_SEARCH",
    "SUBSCRIBER",
    "RELATED_VIDEO",
    "SHORTS",
    "EXT_URL",
    "YT_CHANNEL",
    "PLAYLIST",
    "NOTIFICATION",
    "NO_LINK_OTHER",
)
DEVICE_TYPES = ("MOBILE", "DESKTOP", "TABLET", "TV", "GAME_CONSOLE", "UNKNOWN_PLATFORM")
SHARE_KEYS = ("age", "gender", "traffic_sources", "devices")
LIST_KEYS = {"countries": "code", "cities": "name"}
AUDIENCE_KEYS = (*SHARE_KEYS, *LIST_KEYS, "online_hours")
#: Instagram ``contact_button_type`` values; ``contact_buttons`` maps each configured button to its taps a
#: day (an account without the key has no contact buttons: Meta answers nothing for it, not 0)
CONTACT_BUTTONS = ("BOOK_NOW", "CALL", "DIRECTION", "EMAIL", "INSTANT_EXPERIENCE", "TEXT", "UNDEFINED")
PLATFORM_KEYS = {
    "instagram": ("age", "gender", "countries", "cities", "online_hours", "contact_buttons"),
    "youtube": ("age", "gender", "countries", "traffic_sources", "devices"),
    # given to apps only by the Business API, for a BUSINESS account (``tiktok/business.py``)
    "tiktok": ("gender", "countries", "online_hours"),
    # a Page's followers by country (``page_follows_country``) and city (``page_follows_city``, unconfirmed):
    # all Meta still gives about a Page's followers (platforms-deep-data.md 2.4; ``facebook/insights.py``)
    "facebook": ("countries", "cities"),
}
STORY_LIFETIME = timedelta(hours=24)


def percentages(weights: dict[str, float]) -> dict[str, float]:
    """Weights -> percentages with one decimal that add up to exactly 100 (the largest takes the rest)."""
    total = sum(weights.values())
    if total <= 0:
        return {}
    out = {k: round(100 * w / total, 1) for k, w in weights.items()}
    top = max(out, key=lambda k: out[k])
    out[top] = round(100 - sum(v for k, v in out.items() if k != top), 1)
    return out


def _weights(seed: int, name: str, keys: tuple[str, ...], lead: int, boost: float) -> dict[str, float]:
    return {k: unit(seed, "aud", name, k) + (boost if i < lead else 0.1) for i, k in enumerate(keys)}


def default_audience(platform: str, seed: int) -> dict[str, Any]:
    """The account's audience before the control API changes it (deterministic in ``seed``)."""
    if platform not in ("instagram", "youtube", "tiktok", "facebook"):
        return {}
    ages = {k: w * (0.25 if k in ("13-17", "65+") else 1.0) for k, w in _weights(seed, "age", AGE_KEYS, 0, 0).items()}
    ages["25-34"] += 1.2
    ages["18-24"] += 0.8
    gender = {"female": 0.5 + unit(seed, "aud", "f"), "male": 0.5 + unit(seed, "aud", "m"), "other": 0.04}
    start = int(unit(seed, "aud", "country0") * 5)
    pool = COUNTRY_POOL[start:] + COUNTRY_POOL[:start]
    countries = percentages(_weights(seed, "country", pool[:10], 2, 2.0))
    out: dict[str, Any] = {
        "age": percentages(ages),
        "gender": percentages(gender),
        "countries": [{"code": c, "share": s} for c, s in sorted(countries.items(), key=lambda kv: -kv[1])],
    }
    if platform == "tiktok":
        del out["age"]  # the Business API gives no age split
        out["online_hours"] = _online_hours(seed)
    elif platform == "facebook":  # Meta removed a Page's age and gender splits in 2024
        del out["age"], out["gender"]
        cities = percentages(_weights(seed, "city", CITY_POOL, 2, 1.5))
        out["cities"] = [{"name": c, "share": s} for c, s in sorted(cities.items(), key=lambda kv: -kv[1])]
    elif platform == "instagram":
        cities = percentages(_weights(seed, "city", CITY_POOL, 2, 1.5))
        out["cities"] = [{"name": c, "share": s} for c, s in sorted(cities.items(), key=lambda kv: -kv[1])]
        out["online_hours"] = _online_hours(seed)
    else:
        out["traffic_sources"] = percentages(_weights(seed, "traffic", TRAFFIC_SOURCES, 3, 1.5))
        out["devices"] = percentages(
            {
                k: w * (0.05 if k in ("GAME_CONSOLE", "UNKNOWN_PLATFORM") else 1)
                for k, w in _weights(seed, "device", DEVICE_TYPES, 2, 2.0).items()
            }
        )
    return out


def _online_hours(seed: int) -> dict[str, float]:
    peak = 17 + int(unit(seed, "aud", "peak") * 5)  # evening peak, 17-21 UTC
    return {
        str(h): round(4 + 30 * max(0.0, 1 - abs(h - peak) / 8) + 4 * unit(seed, "aud", "hour", h), 1) for h in range(24)
    }


@lru_cache(maxsize=65536)
def _default_of(platform: str, seed: int) -> dict[str, Any]:
    return default_audience(platform, seed)


def audience_truth(platform: str, seed: int, override: dict[str, Any]) -> dict[str, Any]:
    """The default audience with the control API's replacements laid over it.

    The default is drawn once per (platform, seed) (~100 hashes; the insights ask for it once a day of a
    series): the answer is a new top-level dict, its values the cached ones - read them, never change
    them in place."""
    truth = dict(_default_of(platform, seed))
    truth.update({k: v for k, v in override.items() if k in PLATFORM_KEYS.get(platform, ())})
    return truth


def validate_audience(data: Any, platform: str) -> dict[str, Any]:  # noqa: C901 - flat checks
    """Check a control-API ``audience`` object; raises ``ValueError`` with the reason."""
    if not isinstance(data, dict):
        raise ValueError("audience must be a JSON object")
    allowed = PLATFORM_KEYS.get(platform, ())
    unknown = set(data) - set(allowed)
    if unknown:
        names = ", ".join(allowed) or "nothing (this platform shares no audience data)"
        raise ValueError(f"audience keys not for {platform}: {', '.join(sorted(unknown))} (allowed: {names})")
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in SHARE_KEYS:
            if not isinstance(value, dict) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in value.values()
            ):
                raise ValueError(f"audience.{key} must map names to non-negative percentages")
            out[key] = {str(k): float(v) for k, v in value.items()}
        elif key in LIST_KEYS:
            name = LIST_KEYS[key]
            if not isinstance(value, list) or not all(
                isinstance(i, dict)
                and isinstance(i.get(name), str)
                and i[name]
                and isinstance(i.get("share"), int | float)
                and i["share"] >= 0
                for i in value
            ):
                raise ValueError(f"audience.{key} must be a list of {{{name!r}, 'share'}} objects")
            out[key] = [{name: i[name], "share": float(i["share"])} for i in value]
        elif key == "contact_buttons":
            if not isinstance(value, dict) or not all(
                k in CONTACT_BUTTONS and isinstance(v, int) and not isinstance(v, bool) and v >= 0
                for k, v in value.items()
            ):
                raise ValueError(
                    f"audience.contact_buttons must map button types ({', '.join(CONTACT_BUTTONS)}) to taps a day"
                )
            out[key] = {str(k): int(v) for k, v in value.items()}
        else:  # online_hours
            if (
                not isinstance(value, dict)
                or set(value) - {str(h) for h in range(24)}
                or not all(isinstance(v, int | float) and 0 <= v <= 100 for v in value.values())
            ):
                raise ValueError("audience.online_hours must map hours '0'..'23' to percents (0-100)")
            out[key] = {str(k): float(v) for k, v in value.items()}
    return out


STORY_COUNTS = (
    "views",
    "reach",
    "replies",
    "shares",
    "follows",
    "profile_visits",
    "tap_forward",
    "tap_back",
    "tap_exit",
    "swipe_forward",
)


@dataclass
class Story:
    id: str
    published_at: datetime
    media_type: str
    views: int = 0
    reach: int = 0
    replies: int = 0
    shares: int = 0
    follows: int = 0
    profile_visits: int = 0
    tap_forward: int = 0
    tap_back: int = 0
    tap_exit: int = 0
    swipe_forward: int = 0

    def live(self, now: datetime) -> bool:
        return self.published_at <= now < self.published_at + STORY_LIFETIME

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["published_at"] = self.published_at.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Story:
        return cls(
            id=data["id"],
            published_at=parse_datetime(data["published_at"]),
            media_type=data["media_type"],
            **{k: int(data.get(k, 0)) for k in STORY_COUNTS},
        )


def validate_story(data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Check a control-API story spec; raises ``ValueError``. Missing counts are drawn from ``views``."""
    allowed = {"published_at", "media_type", *STORY_COUNTS}
    unknown = set(data) - allowed
    if unknown:
        raise ValueError(f"unknown story keys: {', '.join(sorted(unknown))} (allowed: {', '.join(sorted(allowed))})")
    published = now
    if "published_at" in data:
        try:
            published = parse_datetime(str(data["published_at"]))
        except ValueError as exc:
            raise ValueError("published_at must be an ISO 8601 time") from exc
        if published > now:
            raise ValueError("published_at cannot be in the future")
    media_type = data.get("media_type", "IMAGE")
    if media_type not in ("IMAGE", "VIDEO"):
        raise ValueError("media_type must be IMAGE or VIDEO")
    counts: dict[str, int] = {}
    for key in STORY_COUNTS:
        if key in data:
            value = data[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{key} must be a non-negative integer")
            counts[key] = value
    views = counts.setdefault("views", 240)
    counts.setdefault("reach", int(views * 0.8))
    counts.setdefault("replies", views // 60)
    counts.setdefault("shares", views // 90)
    counts.setdefault("follows", views // 120)
    counts.setdefault("profile_visits", views // 25)
    counts.setdefault("tap_forward", int(views * 0.55))
    counts.setdefault("tap_back", views // 20)
    counts.setdefault("tap_exit", views // 12)
    counts.setdefault("swipe_forward", views // 30)
    return {"published_at": published, "media_type": media_type, **counts}
