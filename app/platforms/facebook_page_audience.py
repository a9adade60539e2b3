"""A Facebook Page's followers by country and city: all Meta still gives about who follows a Page
(platforms-deep-data.md §2.4; age and gender went on 2024-03-14, the ``page_fans_*`` breakdowns on
2025-11-15).

``GET /{v}/me/insights?metric=page_follows_country&period=lifetime`` works on v25: one point whose value
is an object of follower counts by ISO-2 country code (``{"IN": 1064, "GB": 28}``).
``page_follows_city`` is **unconfirmed** (on Meta's 2024 deprecation list, yet named the replacement of
``page_fans_city`` in Nov 2025 and reported working in 2026): it is asked in its own call, after the
countries, and any answer it gets that is not usable (Meta's invalid-metric error, a refused or
garbled answer) means "not given" (noted in ``failed``), never a lost read.

The countries are the read: a refused or garbled countries answer raises, so the sync drops the
audience step and the stored snapshot (with its countries) stays the newest, rather than a week of
"no countries". Permanent errors (token dead, permission missing) and retryable ones (rate limits,
Meta down) raise whichever metric they come from. An empty ``data`` (a Page under Meta's threshold,
historically 100 followers) gives no breakdown: the sync stores an empty snapshot, "not enough
followers". Costs 2 calls a week (1 when the countries fail), counted like every Page call
(``RecordingSession``: Meta's usage headers, the Page's BUC window).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from app.platforms.audience import RawAudience
from app.platforms.base import to_int
from app.platforms.errors import BadResponse, PlatformError
from app.platforms.facebook import FacebookAdapter

__all__ = ["CITY_METRIC", "COUNTRY_METRIC", "OTHER", "page_audience", "places_of"]

log = logging.getLogger(__name__)

COUNTRY_METRIC = "page_follows_country"
CITY_METRIC = "page_follows_city"
#: a key that is not an ISO-2 code, or a city without a usable name, is counted here
OTHER = "other"
MAX_NAME = 100


def _clean(value: str) -> str:
    """A place name without control characters or runs of spaces, cut at ``MAX_NAME``."""
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())
    return text[:MAX_NAME]


def places_of(body: Any, metric: str) -> dict[str, float]:
    """Followers by place of one lifetime answer (newest point); ``{}`` for an empty ``data``.

    :raises BadResponse: no ``data`` list, a value that is not an object, a count that is not a
        non-negative whole number."""
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, list):
        raise BadResponse(f"{metric}: answer has no data list", platform="facebook")
    entry = next((e for e in data if isinstance(e, Mapping) and e.get("name") == metric), None)
    points = entry.get("values") if entry is not None else None
    if entry is None or not points:
        return {}
    if not isinstance(points, list) or not isinstance(points[-1], Mapping):
        raise BadResponse(f"{metric}: values is not a list of points", platform="facebook")
    value = points[-1].get("value", {})
    if not isinstance(value, Mapping):
        raise BadResponse(f"{metric}: value is not an object", platform="facebook")
    out: dict[str, float] = {}
    for raw_key, raw_count in value.items():
        count = to_int(raw_count)
        if count is None or isinstance(raw_count, bool) or count < 0:
            raise BadResponse(f"{metric}: a count is not a number", platform="facebook")
        key = str(raw_key).strip()
        if metric == COUNTRY_METRIC:
            key = key.upper() if len(key) == 2 and key.isascii() and key.isalpha() else OTHER
        else:
            key = _clean(key) or OTHER
        if count:
            out[key] = out.get(key, 0.0) + count
    return out


def _read(adapter: FacebookAdapter, token: str, metric: str) -> dict[str, float]:
    return places_of(adapter.fetch_page_insight(token, metric, "lifetime"), metric)


def page_audience(adapter: FacebookAdapter, token: str) -> RawAudience:
    """The Page's followers by country, then by city (2 calls); counts kept beside the shares."""
    out = RawAudience(keep_counts=("countries", "cities"))
    countries = _read(adapter, token, COUNTRY_METRIC)  # raises: the stored snapshot stays the newest
    if countries:
        out.breakdowns["countries"] = countries
    try:
        cities = _read(adapter, token, CITY_METRIC)
    except PlatformError as exc:
        if exc.retryable or not isinstance(exc, BadResponse):
            raise
        log.info("facebook: page_follows_city not given: %s", exc)
        out.failed.append("cities")
        return out
    if cities:
        out.breakdowns["cities"] = cities
    return out
