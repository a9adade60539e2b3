"""LinkedIn organization (Company Page) endpoints, for a member holding the ADMINISTRATOR role.

A sandbox account of ``account_type`` ``ADMINISTRATOR`` administers one page,
``urn:li:organization:{scoped_id}``, whose followers are a third of the member's and whose posts are
the member's. Any other member asking for that page's statistics gets LinkedIn's 403
``ACCESS_DENIED``, as does a member without the role.

* ``/rest/organizationAcls?q=roleAssignee`` (``rw_organization_admin`` / ``r_organization_admin``).
* ``/rest/networkSizes/{orgUrn}?edgeType=COMPANY_FOLLOWED_BY_MEMBER`` -> ``firstDegreeSize``.
* ``/rest/organizationalEntityFollowerStatistics?q=organizationalEntity``: lifetime facets, or with
  ``timeIntervals`` one ``followerGains`` element per day (not segmented).
* ``/rest/organizationalEntityShareStatistics?q=organizationalEntity``: lifetime totals (rolling 12
  months), per day with ``timeIntervals``, or per post with ``shares=List(..)``; a post without
  activity is absent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Response, request

from ..common import json_response, state
from ..util import day_start
from ..world import Account, Post
from .errors import API, LinkedInError, bp, gate, illegal
from .member import ms, org_urn, param, person_urn, require_admin

ADMIN_SCOPES = ("rw_organization_admin", "r_organization_admin")


def org_followers(acc: Account, d: date) -> int:
    return acc.followers_on(d) // 3


def _organization() -> str:
    value = param("organizationalEntity")
    if not isinstance(value, str):
        raise illegal("organizationalEntity must be an organization URN")
    return value


def _days() -> list[date] | None:
    """The DAY buckets of ``timeIntervals=(timeRange:(start:ms,end:ms),timeGranularityType:DAY)``."""
    value = param("timeIntervals", required=False)
    if value is None:
        return None
    try:
        start = datetime.fromtimestamp(int(value["timeRange"]["start"]) / 1000, UTC).date()
        end = datetime.fromtimestamp(int(value["timeRange"]["end"]) / 1000, UTC).date()
    except (KeyError, TypeError, ValueError):
        raise illegal("timeIntervals.timeRange must have start and end in epoch milliseconds") from None
    if value.get("timeGranularityType", "DAY") != "DAY":
        raise illegal("only DAY granularity is served by the sandbox")
    last = min(end, state().today())
    return [start + timedelta(days=i) for i in range(max(0, (last - start).days))]


def _range(d: date) -> dict[str, int]:
    return {"start": ms(day_start(d)), "end": ms(day_start(d + timedelta(days=1)))}


@bp.get(f"{API}/rest/organizationAcls")
def acls() -> Response:
    st = state()
    with st.lock:
        _, acc = gate("organizationAcls", ADMIN_SCOPES)
        if request.args.get("q") != "roleAssignee":
            raise illegal("q must be roleAssignee")
        role = request.args.get("role", "ADMINISTRATOR")
        org = org_urn(acc)
        elements = []
        if org and role == "ADMINISTRATOR" and request.args.get("state", "APPROVED") == "APPROVED":
            elements.append(
                {"roleAssignee": person_urn(acc), "role": "ADMINISTRATOR", "state": "APPROVED", "organization": org}
            )
        return json_response(
            {"paging": {"start": 0, "count": 10, "links": [], "total": len(elements)}, "elements": elements}
        )


@bp.get(f"{API}/rest/networkSizes/<path:urn>")
def network_size(urn: str) -> Response:
    st = state()
    with st.lock:
        _, acc = gate("networkSizes", ())
        if request.args.get("edgeType") != "COMPANY_FOLLOWED_BY_MEMBER":
            raise illegal("edgeType must be COMPANY_FOLLOWED_BY_MEMBER")
        owner = next((a for a in st.platform_accounts("linkedin") if org_urn(a) == urn), None)
        if owner is None:
            raise LinkedInError(404, "NOT_FOUND", f"Organization {urn} not found")
        return json_response({"firstDegreeSize": org_followers(owner, st.today())})


@bp.get(f"{API}/rest/organizationalEntityFollowerStatistics")
def follower_statistics() -> Response:
    st = state()
    with st.lock:
        _, acc = gate("organizationalEntityFollowerStatistics", ADMIN_SCOPES)
        org = _organization()
        require_admin(acc, org, "organizationalEntityFollowerStatistics")
        days = _days()
        if days is None:
            total = org_followers(acc, st.today())

            def counts(share: float) -> dict[str, int]:
                return {"organicFollowerCount": int(total * share), "paidFollowerCount": 0}

            element: dict[str, Any] = {
                "organizationalEntity": org,
                "followerCountsByAssociationType": [{"associationType": "EMPLOYEE", "followerCounts": counts(0.02)}],
                "followerCountsBySeniority": [{"seniority": "urn:li:seniority:4", "followerCounts": counts(0.4)}],
                "followerCountsByIndustry": [{"industry": "urn:li:industry:4", "followerCounts": counts(0.3)}],
                "followerCountsByStaffCountRange": [
                    {"staffCountRange": "SIZE_11_TO_50", "followerCounts": counts(0.25)}
                ],
                "followerCountsByGeoCountry": [{"geo": "urn:li:geo:103644278", "followerCounts": counts(0.5)}],
                "followerCountsByFunction": [{"function": "urn:li:function:8", "followerCounts": counts(0.2)}],
                "followerCountsByGeo": [{"geo": "urn:li:geo:90000084", "followerCounts": counts(0.1)}],
            }
            return json_response({"paging": {"start": 0, "count": 10, "links": []}, "elements": [element]})
        elements = [
            {
                "organizationalEntity": org,
                "timeRange": _range(d),
                "followerGains": {
                    "organicFollowerGain": org_followers(acc, d) - org_followers(acc, d - timedelta(days=1)),
                    "paidFollowerGain": 0,
                },
            }
            for d in days
        ]
        return json_response({"paging": {"start": 0, "count": len(elements), "links": []}, "elements": elements})


def _stats(posts: list[Post], lo: datetime | None, hi: datetime) -> dict[str, Any]:
    def delta(metric: str) -> int:
        return sum(p.count(metric, hi) - (p.count(metric, lo) if lo is not None else 0) for p in posts)

    impressions, likes, comments, shares = delta("views"), delta("likes"), delta("comments"), delta("shares")
    clicks = delta("profile_visits")
    engaged = clicks + likes + comments + shares
    return {
        "impressionCount": impressions,
        "uniqueImpressionsCount": delta("reach"),
        "clickCount": clicks,
        "likeCount": likes,
        "commentCount": comments,
        "shareCount": shares,
        "engagement": round(engaged / impressions, 6) if impressions else 0.0,
    }


@bp.get(f"{API}/rest/organizationalEntityShareStatistics")
def share_statistics() -> Response:
    st = state()
    with st.lock:
        _, acc = gate("organizationalEntityShareStatistics", ("rw_organization_admin", "r_organization_social"))
        org = _organization()
        require_admin(acc, org, "organizationalEntityShareStatistics")
        now = st.now()
        year_ago = now - timedelta(days=365)
        posts = [p for p in acc.posts_at(now) if p.published_at >= year_ago]  # organic, rolling 12 months
        shares = param("shares", required=False)
        days = _days()
        elements: list[dict[str, Any]] = []
        if shares is not None:
            if not isinstance(shares, list) or not all(isinstance(s, str) for s in shares):
                raise illegal("shares must be List(<share urn>,...)")
            by_id = {p.id: p for p in posts}
            for urn in shares:
                post = by_id.get(urn)
                if post is None:
                    continue  # no activity or not this page's: absent, to be read as 0
                stats = _stats([post], None, now)
                if stats["impressionCount"] or stats["likeCount"]:
                    elements.append({"share": urn, "organizationalEntity": org, "totalShareStatistics": stats})
        elif days is not None:
            for d in days:
                lo, hi = day_start(d), min(day_start(d + timedelta(days=1)), now)
                elements.append(
                    {"organizationalEntity": org, "timeRange": _range(d), "totalShareStatistics": _stats(posts, lo, hi)}
                )
        else:
            elements.append({"organizationalEntity": org, "totalShareStatistics": _stats(posts, None, now)})
        return json_response({"paging": {"start": 0, "count": len(elements), "links": []}, "elements": elements})
