"""LinkedIn Company Page statistics for a member holding the ADMINISTRATOR role (``platforms.md`` §7.4).

Kept apart from the member adapter because they need ``rw_organization_admin`` (Community
Management approval) and the role: a member without it gets LinkedIn's 403 ``ACCESS_DENIED``, which
is raised here as :class:`~app.platforms.errors.ScopeMissing` with a message naming the role. The
member sync does not call these; a page's numbers are read on demand (one call each per day range).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from app.platforms.base import as_mapping, to_int
from app.platforms.errors import ScopeMissing
from app.platforms.linkedin import LinkedInAdapter

__all__ = ["OrgDay", "organization_daily", "organization_followers", "organizations"]


@dataclass(frozen=True)
class OrgDay:
    """One day of a Company Page: followers gained and organic share statistics (absent: 0)."""

    day: date
    metrics: Mapping[str, float] = field(default_factory=dict)


def organizations(adapter: LinkedInAdapter, access_token: str) -> list[str]:
    """The organization URNs the member administers (``organizationAcls``); empty without the role."""
    body = adapter.get(
        "/organizationAcls", access_token, {"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED"}
    )
    out = []
    for el in adapter.elements(body):
        org = el.get("organization")
        if isinstance(org, str) and org.startswith("urn:li:organization:") and el.get("state") in (None, "APPROVED"):
            out.append(org)
    return list(dict.fromkeys(out))


def _role_error(exc: ScopeMissing, org: str) -> ScopeMissing:
    return ScopeMissing(
        f"not an ADMINISTRATOR of {org}, or the page permissions were not granted ({exc.message})",
        platform="linkedin",
        status=exc.status,
        code=exc.code,
    )


def organization_followers(adapter: LinkedInAdapter, access_token: str, org: str) -> int | None:
    """``networkSizes/{org}?edgeType=COMPANY_FOLLOWED_BY_MEMBER`` -> ``firstDegreeSize``."""
    from urllib.parse import quote

    body = adapter.get(f"/networkSizes/{quote(org, safe='')}", access_token, {"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"})
    value = to_int(body.get("firstDegreeSize"))
    return value if value is not None and value >= 0 else None


def _ms(d: date) -> int:
    return int(datetime.combine(d, time(0), tzinfo=UTC).timestamp() * 1000)


def _day_of(el: Mapping[str, Any]) -> date | None:
    start = to_int(as_mapping(el.get("timeRange")).get("start"))
    return datetime.fromtimestamp(start / 1000, UTC).date() if start is not None and start >= 0 else None


def organization_daily(adapter: LinkedInAdapter, access_token: str, org: str, since: date, until: date) -> list[OrgDay]:
    """Two calls: follower gains and share statistics per day, ``since``..``until`` inclusive.

    :raises ScopeMissing: the member lacks the ADMINISTRATOR role of ``org`` (or the scope).
    """
    intervals = {
        "timeRange": {"start": _ms(since), "end": _ms(until + timedelta(days=1))},
        "timeGranularityType": "DAY",
    }
    params = {"q": "organizationalEntity", "organizationalEntity": org, "timeIntervals": intervals}
    days: dict[date, dict[str, float]] = {}
    try:
        followers = adapter.get("/organizationalEntityFollowerStatistics", access_token, params)
        shares = adapter.get("/organizationalEntityShareStatistics", access_token, params)
    except ScopeMissing as exc:
        raise _role_error(exc, org) from None
    for el in adapter.elements(followers):
        day = _day_of(el)
        gains = as_mapping(el.get("followerGains"))
        organic, paid = to_int(gains.get("organicFollowerGain")), to_int(gains.get("paidFollowerGain"))
        if day is not None and since <= day <= until and organic is not None:
            days.setdefault(day, {})["new_followers"] = organic + (paid or 0)
    names = {
        "impressionCount": "views",
        "uniqueImpressionsCount": "reach",
        "likeCount": "likes",  # may be negative: stored as reported
        "commentCount": "comments",
        "shareCount": "shares",
        "clickCount": "clicks",
    }
    for el in adapter.elements(shares):
        day = _day_of(el)
        stats = as_mapping(el.get("totalShareStatistics"))
        if day is None or not since <= day <= until:
            continue
        for raw, metric in names.items():
            value = to_int(stats.get(raw))
            if value is not None:
                days.setdefault(day, {})[metric] = value
    return [OrgDay(day=d, metrics=m) for d, m in sorted(days.items())]
