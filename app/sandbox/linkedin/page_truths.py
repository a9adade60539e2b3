"""What a LinkedIn Company Page's followers are and how often the Page is viewed: the Page truths.

A Page (``orgs.py``) carries, besides its name and role, an optional ``audience`` and ``page_views``
set through the control API (``PUT``/``PATCH /_sandbox/linkedin/accounts/<id>/organizations``); without
them the Page has a deterministic default drawn from its id. The audience truth is in percent of the
followers LinkedIn has classified in each facet, the way the other platforms' truths are:

``{"countries": [{"code": "US", "share": 40.0}, ...], "regions": [{"geo": "90000084", "share": ..}],
"seniority": {"4": 30.0, ...}, "industries": {"4": 20.0, ...}, "functions": {"12": 25.0, ...},
"company_sizes": {"SIZE_11_TO_50": 30.0, ...}, "employees": 12}`` (``employees`` a count, the rest
percent; ``industry_names`` optionally names industry ids the sandbox's table lacks, e.g. to try
hostile text). ``page_views`` maps ``YYYY-MM-DD`` to the Page's views that day (other days: the default).

The answers (``organization.py``, ``standardized.py``) turn the truth into LinkedIn's shapes: facet
URNs with organic and paid follower counts, geo and industry ids named by the standardized-data API.
A Page with fewer than :data:`DEMOGRAPHICS_MIN_FOLLOWERS` followers gets empty facets: the reference
names no threshold for LinkedIn (unconfirmed); the sandbox withholds them as Meta does under 100, so the
product's "not enough followers" path has something to answer.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ..audience import percentages
from ..util import unit

#: below this many followers the lifetime facets are empty (unconfirmed for LinkedIn: see above)
DEMOGRAPHICS_MIN_FOLLOWERS = 100
#: ISO country -> LinkedIn geo id, and the names the standardized-data geo API gives them
GEO_COUNTRIES: dict[str, tuple[str, str]] = {
    "US": ("103644278", "United States"),
    "GB": ("101165590", "United Kingdom"),
    "DE": ("101282230", "Germany"),
    "FR": ("105015875", "France"),
    "BR": ("106057199", "Brazil"),
    "IN": ("102713980", "India"),
    "CA": ("101174742", "Canada"),
    "AU": ("101452733", "Australia"),
    "ES": ("105646813", "Spain"),
    "IT": ("103350119", "Italy"),
    "MX": ("103323778", "Mexico"),
    "NL": ("102890719", "Netherlands"),
    "SE": ("105117694", "Sweden"),
    "JP": ("101355337", "Japan"),
    "PL": ("105072130", "Poland"),
}
#: regional geo ids (followerCountsByGeo) and their names
GEO_REGIONS: dict[str, str] = {
    "90000084": "San Francisco Bay Area",
    "90000070": "New York City Metropolitan Area",
    "90009496": "Greater London",
    "90009714": "Berlin Metropolitan Area",
    "90009659": "Greater Paris Metropolitan Region",
    "90000091": "Greater Seattle Area",
    "90009551": "Greater Toronto Area",
}
#: industry ids (the industry taxonomy the facets use) and their names
INDUSTRIES: dict[str, str] = {
    "4": "Software Development",
    "6": "Technology, Information and Internet",
    "11": "Business Consulting and Services",
    "14": "Hospitals and Health Care",
    "27": "Retail",
    "43": "Financial Services",
    "68": "Higher Education",
    "80": "Advertising Services",
    "96": "IT Services and IT Consulting",
    "104": "Staffing and Recruiting",
    "137": "Human Resources Services",
}
SENIORITIES = tuple(str(i) for i in range(1, 11))
FUNCTIONS = tuple(str(i) for i in range(1, 27))
STAFF_COUNT_RANGES = (
    "SIZE_1",
    "SIZE_2_TO_10",
    "SIZE_11_TO_50",
    "SIZE_51_TO_200",
    "SIZE_201_TO_500",
    "SIZE_501_TO_1000",
    "SIZE_1001_TO_5000",
    "SIZE_5001_TO_10000",
    "SIZE_10001_OR_MORE",
)
SHARE_FACETS = {
    "seniority": SENIORITIES,
    "industries": tuple(INDUSTRIES),
    "functions": FUNCTIONS,
    "company_sizes": STAFF_COUNT_RANGES,
}
#: ``industry_names`` names industry ids outside :data:`INDUSTRIES` (what the standardized-data API answers)
AUDIENCE_KEYS = ("countries", "regions", *SHARE_FACETS, "employees", "industry_names")


def _weights(seed: object, name: str, keys: tuple[str, ...], n: int) -> dict[str, float]:
    picked = sorted(keys, key=lambda k: unit(seed, "li-page", name, "pick", k))[:n]
    return {k: 0.2 + unit(seed, "li-page", name, k) * (3 if i < 2 else 1) for i, k in enumerate(picked)}


def default_audience(org_id: str) -> dict[str, Any]:
    """The Page's audience before the control API sets one (deterministic in its id)."""
    countries = percentages(_weights(org_id, "country", tuple(GEO_COUNTRIES), 8))
    regions = percentages(_weights(org_id, "region", tuple(GEO_REGIONS), 4))
    out: dict[str, Any] = {
        "countries": [{"code": c, "share": s} for c, s in sorted(countries.items(), key=lambda kv: -kv[1])],
        "regions": [{"geo": g, "share": s} for g, s in sorted(regions.items(), key=lambda kv: -kv[1])],
        "employees": int(unit(org_id, "li-page", "employees") * 40),
    }
    for key, keys in SHARE_FACETS.items():
        out[key] = percentages(_weights(org_id, key, keys, min(len(keys), 7)))
    return out


def audience_truth(org: dict[str, Any]) -> dict[str, Any]:
    """The default audience with the control API's replacements laid over it."""
    truth = default_audience(str(org["id"]))
    truth.update(org.get("audience") or {})
    return truth


def page_views(org: dict[str, Any], followers: int, d: date) -> int:
    """The Page's views on ``d``: the control API's number for that day, else about 1 view a day per 25
    followers (weekends at 40 %), varied by a deterministic draw."""
    set_days = org.get("page_views") or {}
    if d.isoformat() in set_days:
        return int(set_days[d.isoformat()])
    weekday = 1.0 if d.weekday() < 5 else 0.4
    return int(followers / 25 * weekday * (0.6 + 0.8 * unit(org["id"], "li-page", "views", d.isoformat())))


def _shares(value: Any, key: str, allowed: tuple[str, ...] | None) -> dict[str, float]:
    if not isinstance(value, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in value.values()
    ):
        raise ValueError(f"audience.{key} must map ids to non-negative percentages")
    if allowed is not None and set(map(str, value)) - set(allowed):
        raise ValueError(f"audience.{key}: unknown ids (known: {', '.join(allowed)})")
    return {str(k): float(v) for k, v in value.items()}


def _places(value: Any, key: str, name: str, allowed: tuple[str, ...] | None) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(
        isinstance(i, dict)
        and isinstance(i.get(name), str)
        and (allowed is None or i[name] in allowed)
        and isinstance(i.get("share"), int | float)
        and not isinstance(i.get("share"), bool)
        and i["share"] >= 0
        for i in value
    ):
        known = f" ({name} one of {', '.join(allowed)})" if allowed else ""
        raise ValueError(f"audience.{key} must be a list of {{{name!r}, 'share'}} objects{known}")
    return [{name: i[name], "share": float(i["share"])} for i in value]


def validate_audience(data: Any) -> dict[str, Any]:
    """Check a Page's control-API ``audience``; raises ``ValueError`` with the reason.

    Industry ids outside the sandbox's table are allowed (the standardized-data API answers them as
    not found, as LinkedIn does for an id it does not know)."""
    if not isinstance(data, dict):
        raise ValueError("audience must be a JSON object")
    unknown = set(data) - set(AUDIENCE_KEYS)
    if unknown:
        raise ValueError(f"audience keys not for a LinkedIn Page: {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "countries":
            out[key] = _places(value, key, "code", tuple(GEO_COUNTRIES))
        elif key == "regions":
            out[key] = _places(value, key, "geo", tuple(GEO_REGIONS))
        elif key == "employees":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError("audience.employees must be a non-negative integer")
            out[key] = value
        elif key == "industry_names":
            if not isinstance(value, dict) or not all(
                str(k).isdigit() and isinstance(v, str) and 0 < len(v) <= 300 for k, v in value.items()
            ):
                raise ValueError("audience.industry_names must map industry ids to names (300 characters at most)")
            out[key] = {str(k): v for k, v in value.items()}
        elif key == "industries":
            out[key] = _shares(value, key, None)
            if not all(k.isdigit() for k in out[key]):
                raise ValueError("audience.industries ids must be digits")
        else:
            out[key] = _shares(value, key, SHARE_FACETS[key])
    return out


def validate_page_views(data: Any) -> dict[str, int]:
    """``{"YYYY-MM-DD": views}``; raises ``ValueError``."""
    if not isinstance(data, dict) or len(data) > 800:
        raise ValueError("page_views must map YYYY-MM-DD days to view counts (800 days at most)")
    out: dict[str, int] = {}
    for day, views in data.items():
        try:
            date.fromisoformat(str(day))
        except ValueError:
            raise ValueError(f"page_views: {day!r} is not a YYYY-MM-DD day") from None
        if isinstance(views, bool) or not isinstance(views, int) or views < 0:
            raise ValueError(f"page_views[{day}] must be a non-negative integer")
        out[str(day)] = views
    return out


def lifetime_facets(org: dict[str, Any], followers: int) -> dict[str, Any]:
    """``organizationalEntityFollowerStatistics`` without ``timeIntervals``: the facets of the truth as
    follower counts (every follower 98 % organic, 2 % paid); empty below the threshold."""
    names = (
        "followerCountsByAssociationType",
        "followerCountsBySeniority",
        "followerCountsByIndustry",
        "followerCountsByFunction",
        "followerCountsByStaffCountRange",
        "followerCountsByGeoCountry",
        "followerCountsByGeo",
    )
    if followers < DEMOGRAPHICS_MIN_FOLLOWERS:
        return dict.fromkeys(names, [])
    truth = audience_truth(org)

    def counts(share: float) -> dict[str, int]:
        n = int(followers * share / 100)
        paid = n * 2 // 100
        return {"organicFollowerCount": n - paid, "paidFollowerCount": paid}

    def facet(field: str, prefix: str, values: dict[str, float]) -> list[dict[str, Any]]:
        return [{field: f"{prefix}{k}", "followerCounts": counts(v)} for k, v in values.items() if v > 0]

    employees = int(truth.get("employees") or 0)
    countries = {GEO_COUNTRIES[c["code"]][0]: c["share"] for c in truth.get("countries", [])}
    regions = {r["geo"]: r["share"] for r in truth.get("regions", [])}
    return {
        "followerCountsByAssociationType": [
            {
                "associationType": "EMPLOYEE",
                "followerCounts": {"organicFollowerCount": employees, "paidFollowerCount": 0},
            }
        ]
        if employees
        else [],
        "followerCountsBySeniority": facet("seniority", "urn:li:seniority:", truth.get("seniority", {})),
        "followerCountsByIndustry": facet("industry", "urn:li:industry:", truth.get("industries", {})),
        "followerCountsByFunction": facet("function", "urn:li:function:", truth.get("functions", {})),
        "followerCountsByStaffCountRange": [
            {"staffCountRange": k, "followerCounts": counts(v)}
            for k, v in truth.get("company_sizes", {}).items()
            if v > 0
        ],
        "followerCountsByGeoCountry": facet("geo", "urn:li:geo:", countries),
        "followerCountsByGeo": facet("geo", "urn:li:geo:", regions),
    }
