"""A LinkedIn Company Page's follower demographics (platforms-deep-data.md §5.2) and daily page views
(platforms.md §7.4, ``organizationPageStatistics``).

Demographics: ``organizationalEntityFollowerStatistics`` *without* ``timeIntervals`` gives lifetime
facets, each ``[{<facet>: "urn:..", "followerCounts": {"organicFollowerCount", "paidFollowerCount"}}]``;
a value's count is organic + paid (docs/metrics.md). Seniority, job function and company size are named
by the app's own tables (``app/web/audience_labels.py``); geo and industry ids are many, so they are
named through LinkedIn's standardized-data API (``/v2/geo?ids=List(..)``, ``/v2/industryTaxonomyVersions/
DEFAULT/industries?ids=List(..)``, Rest.li BATCH_GET), the largest :data:`RESOLVED` of each only; the
rest and any id LinkedIn does not name are counted as ``other``. A country is kept as its ISO code
(the geo name read back through CLDR's English names), else as its name. Older answers'
``followerCountsByCountry`` (``urn:li:country:us``) are read as countries; ``followerCountsByRegion``
(region URNs the geo API does not name) is left out. Cost: 1 call, +1 when there are geo facets, +1
when there are industry facets (weekly).

A malformed answer (no element, a facet that is not a list, a count that is not a number) raises
:class:`BadResponse`: the sync drops the audience step and the stored snapshot stays the newest. A
naming call the platform refuses leaves its facets out of the read (noted in ``failed``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from babel import Locale

from app.platforms.audience import RawAudience
from app.platforms.base import as_mapping, to_int
from app.platforms.errors import BadResponse, PlatformError
from app.platforms.linkedin import API, LinkedInAdapter, _query

log = logging.getLogger(__name__)

__all__ = ["OTHER", "page_audience", "page_views_of"]

OTHER = "other"
#: geo and industry ids named per read (the largest by followers); the payload keeps the top 10
RESOLVED = 25
MAX_NAME = 100
#: answer field -> (breakdown, the facet's value field, its URN prefix)
FACETS: dict[str, tuple[str, str, str]] = {
    "followerCountsBySeniority": ("seniority", "seniority", "urn:li:seniority:"),
    "followerCountsByIndustry": ("industries", "industry", "urn:li:industry:"),
    "followerCountsByFunction": ("functions", "function", "urn:li:function:"),
    "followerCountsByStaffCountRange": ("company_sizes", "staffCountRange", ""),
    "followerCountsByGeoCountry": ("countries", "geo", "urn:li:geo:"),
    "followerCountsByCountry": ("countries", "country", "urn:li:country:"),
    "followerCountsByGeo": ("regions", "geo", "urn:li:geo:"),
}
_ENGLISH_TERRITORIES = {
    name.casefold(): code for code, name in Locale.parse("en").territories.items() if len(code) == 2 and code.isalpha()
}


def _count(entry: Mapping[str, Any], field: str) -> int:
    counts = entry.get("followerCounts")
    if not isinstance(counts, Mapping):
        raise BadResponse(f"follower statistics: {field} entry without followerCounts", platform="linkedin")
    organic, paid = counts.get("organicFollowerCount"), counts.get("paidFollowerCount", 0)
    values = (to_int(organic), to_int(paid))
    if values[0] is None or values[1] is None or isinstance(organic, bool) or values[0] < 0 or values[1] < 0:
        raise BadResponse(f"follower statistics: a {field} count is not a number", platform="linkedin")
    return values[0] + values[1]


def _facet(body_field: str, raw: Any) -> dict[str, int]:
    """facet id (URN prefix removed; ``other`` when it is not one) -> organic + paid followers."""
    _, field, prefix = FACETS[body_field]
    if not isinstance(raw, list):
        raise BadResponse(f"follower statistics: {body_field} is not a list", platform="linkedin")
    out: dict[str, int] = {}
    for entry in raw:
        if not isinstance(entry, Mapping):
            raise BadResponse(f"follower statistics: {body_field} holds a non-object", platform="linkedin")
        value = entry.get(field) if field != "industry" else entry.get("industry", entry.get("industryV2"))
        key = value[len(prefix) :] if isinstance(value, str) and value.startswith(prefix) else ""
        ok = key.isdigit() or (field == "country" and key.isalpha() and len(key) == 2) or (not prefix and key)
        key = key.upper() if field == "country" else key
        name = key if ok and len(key) <= 40 else OTHER
        out[name] = out.get(name, 0) + _count(entry, body_field)
    return out


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())
    return text[:MAX_NAME] or None


def _batch_names(adapter: LinkedInAdapter, token: str, path: str, ids: list[str], pick: str) -> dict[str, str]:
    """One standardized-data BATCH_GET (not versioned): id -> its name (``pick``: ``geo`` / ``industry``)."""
    url = f"{API}/v2{path}?" + _query({"ids": [int(i) for i in ids]})
    response = adapter.http.request("GET", url, headers={"X-Restli-Protocol-Version": "2.0.0"}, access_token=token)
    body = adapter._check(response)
    results = body.get("results") if isinstance(body, Mapping) else None
    if not isinstance(results, Mapping):
        raise BadResponse(f"{path}: answer has no results object", platform="linkedin")
    out: dict[str, str] = {}
    for key, entity in results.items():
        entity = as_mapping(entity)
        if pick == "geo":
            name = _clean(as_mapping(entity.get("defaultLocalizedName")).get("value"))
        else:
            localized = as_mapping(as_mapping(entity.get("name")).get("localized"))
            name = _clean(localized.get("en_US") or next(iter(localized.values()), None))
        if name and str(key) in ids:
            out[str(key)] = name
    return out


def _named(counts: dict[str, int], names: dict[str, str], as_country: bool) -> dict[str, float]:
    """Counts keyed by their names (a country by its ISO code where CLDR knows the name); unnamed: other."""
    out: dict[str, float] = {}
    for key, n in counts.items():
        name = names.get(key)
        if name is not None and as_country:
            name = _ENGLISH_TERRITORIES.get(name.casefold(), name)
        label = name or OTHER
        out[label] = out.get(label, 0.0) + n
    return out


def _top(counts: dict[str, int]) -> list[str]:
    ranked = sorted((k for k in counts if k != OTHER), key=lambda k: (-counts[k], k))
    return ranked[:RESOLVED]


def _facets(element: Mapping[str, Any]) -> tuple[dict[str, dict[str, int]], int]:
    """(breakdown -> facet id -> followers, followers who are employees) of the Page's element."""
    raw: dict[str, dict[str, int]] = {}
    for body_field, (key, _, _) in FACETS.items():
        if body_field in element:
            for name, n in _facet(body_field, element[body_field]).items():
                raw.setdefault(key, {})[name] = raw.get(key, {}).get(name, 0) + n
    employees = 0
    for entry in element.get("followerCountsByAssociationType") or []:
        if isinstance(entry, Mapping) and entry.get("associationType") == "EMPLOYEE":
            employees += _count(entry, "followerCountsByAssociationType")
    return raw, employees


def _names(
    adapter: LinkedInAdapter, token: str, raw: dict[str, dict[str, int]], failed: list[str]
) -> dict[str, dict[str, str]]:
    """``geo`` / ``industries`` -> id -> name for the largest ids (a refused call: noted in ``failed``)."""
    geo_ids = [*_top(raw.get("countries", {})), *_top(raw.get("regions", {}))]
    geo_ids = [i for i in dict.fromkeys(geo_ids) if i.isdigit()]  # old ``urn:li:country:us``: already a code
    resolved: dict[str, dict[str, str]] = {}
    for key, path, pick, ids in (
        ("geo", "/geo", "geo", geo_ids),
        ("industries", "/industryTaxonomyVersions/DEFAULT/industries", "industry", _top(raw.get("industries", {}))),
    ):
        if not ids:
            continue
        try:
            resolved[key] = _batch_names(adapter, token, path, ids, pick)
        except PlatformError as exc:
            if exc.retryable or not isinstance(exc, BadResponse):
                raise
            log.info("linkedin: %s names refused: %s", key, exc)
            failed.append("countries and regions" if key == "geo" else "industries")
    return resolved


def page_audience(adapter: LinkedInAdapter, token: str, org: str) -> RawAudience:
    """The Page's lifetime follower facets as raw follower counts (1 to 3 calls)."""
    body = adapter.get(
        "/organizationalEntityFollowerStatistics", token, {"q": "organizationalEntity", "organizationalEntity": org}
    )
    element = next((e for e in adapter.elements(body) if e.get("organizationalEntity") in (None, org)), None)
    if element is None:
        raise BadResponse("follower statistics: no element for the Page", platform="linkedin")
    raw, employees = _facets(element)
    out = RawAudience()
    resolved = _names(adapter, token, raw, out.failed)
    for key, counts in raw.items():
        if key in ("countries", "regions"):
            if "geo" not in resolved and any(k.isdigit() for k in counts):
                continue  # the geo names were refused: left out of this read
            names = dict(resolved.get("geo", {}))
            names.update({k: k for k in counts if not k.isdigit() and k != OTHER})  # ISO codes of old answers
            out.breakdowns[key] = _named(counts, names, as_country=key == "countries")
        elif key == "industries":
            if "industries" in resolved:
                out.breakdowns[key] = _named(counts, resolved["industries"], as_country=False)
        else:
            out.breakdowns[key] = {k: float(v) for k, v in counts.items()}
    if employees and any(out.breakdowns.values()):
        out.breakdowns["employees"] = {"EMPLOYEE": float(employees)}
    return out


def page_views_of(element: Mapping[str, Any]) -> int | None:
    """``totalPageStatistics.views.allPageViews.pageViews`` of one page-statistics element."""
    views = as_mapping(as_mapping(element.get("totalPageStatistics")).get("views"))
    raw = as_mapping(views.get("allPageViews")).get("pageViews")
    value = to_int(raw)
    return value if value is not None and value >= 0 and not isinstance(raw, bool) else None
