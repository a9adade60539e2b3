"""LinkedIn organization (Company Page) endpoints, for a member holding the ADMINISTRATOR role.

The Pages and roles of the world are ``orgs.py``'s (settable through the control API); a Page's
posts are its administrator's. Any other member asking for a Page's statistics gets LinkedIn's 403
``ACCESS_DENIED``, as does a member whose role was removed. Time-bound statistics reach back 12
months (rolling); older days are absent from share statistics.

* ``/rest/organizationAcls?q=roleAssignee`` (``rw_organization_admin`` / ``r_organization_admin``).
* ``/rest/networkSizes/{orgUrn}?edgeType=COMPANY_FOLLOWED_BY_MEMBER`` -> ``firstDegreeSize``.
* ``/rest/organizationalEntityFollowerStatistics?q=organizationalEntity``: lifetime facets (the Page's
  audience truth as organic and paid counts, empty below ``page_truths.DEMOGRAPHICS_MIN_FOLLOWERS``),
  or with ``timeIntervals`` one ``followerGains`` element per day (not segmented).
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
from ..world import Post
from . import orgs, page_truths
from .errors import API, LinkedInError, bp, gate, illegal
from .member import ms, paging, param, person_urn, require_admin

ADMIN_SCOPES = orgs.ADMIN_SCOPES
#: time-bound share statistics are kept for a rolling 12 months
KEPT_DAYS = 365


def _organization() -> str:
    value = param("organizationalEntity")
    if not isinstance(value, str):
        raise illegal("organizationalEntity must be an organization URN")
    return value


def _days(kept: int | None = None) -> list[date] | None:
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
    today = state().today()
    last, first = min(end, today), max(start, today - timedelta(days=kept)) if kept else start
    return [first + timedelta(days=i) for i in range(max(0, (last - first).days))]


def _range(d: date) -> dict[str, int]:
    return {"start": ms(day_start(d)), "end": ms(day_start(d + timedelta(days=1)))}


@bp.get(f"{API}/rest/organizationAcls")
def acls() -> Response:
    st = state()
    with st.lock:
        _, acc = gate("organizationAcls", ADMIN_SCOPES)
        if request.args.get("q") != "roleAssignee":
            raise illegal("q must be roleAssignee")
        role, wanted = request.args.get("role"), request.args.get("state")
        if role is not None and role not in orgs.ROLES or wanted is not None and wanted not in orgs.STATES:
            raise illegal("role or state is not a known value")
        matching = [
            {"roleAssignee": person_urn(acc), "role": o["role"], "state": o["state"], "organization": orgs.urn(o)}
            for o in orgs.organizations_of(acc)
            if (role is None or o["role"] == role) and (wanted is None or o["state"] == wanted)
        ]
        start, count, page = paging(len(matching))
        return json_response({"paging": page, "elements": matching[start : start + count]})


@bp.get(f"{API}/rest/networkSizes/<path:urn>")
def network_size(urn: str) -> Response:
    st = state()
    with st.lock:
        _, acc = gate("networkSizes", ())
        if request.args.get("edgeType") != "COMPANY_FOLLOWED_BY_MEMBER":
            raise illegal("edgeType must be COMPANY_FOLLOWED_BY_MEMBER")
        found = orgs.find(urn, acc.id)
        if found is None:
            raise LinkedInError(404, "NOT_FOUND", f"Organization {urn} not found")
        owner, org = found
        return json_response({"firstDegreeSize": orgs.followers(owner, org, st.today())})


@bp.get(f"{API}/rest/organizationalEntityFollowerStatistics")
def follower_statistics() -> Response:
    st = state()
    with st.lock:
        _, acc = gate("organizationalEntityFollowerStatistics", ADMIN_SCOPES)
        org = _organization()
        require_admin(acc, org, "organizationalEntityFollowerStatistics")
        page_of = orgs.admin_of(acc, org) or {}
        days = _days()
        if days is None:  # lifetime facets: the Page's audience truth (``page_truths.py``)
            facets = page_truths.lifetime_facets(page_of, orgs.followers(acc, page_of, st.today()))
            element: dict[str, Any] = {"organizationalEntity": org, **facets}
            return json_response({"paging": {"start": 0, "count": 10, "links": []}, "elements": [element]})
        elements = [
            {
                "organizationalEntity": org,
                "timeRange": _range(d),
                "followerGains": {
                    "organicFollowerGain": orgs.followers(acc, page_of, d)
                    - orgs.followers(acc, page_of, d - timedelta(days=1)),
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
        shares, key = param("shares", required=False), "share"
        if shares is None:
            shares, key = param("ugcPosts", required=False), "ugcPost"
        days = _days(KEPT_DAYS)
        elements: list[dict[str, Any]] = []
        if shares is not None:
            if not isinstance(shares, list) or not all(isinstance(s, str) for s in shares) or len(shares) > 100:
                raise illegal(f"{key}s must be List(<{key} urn>,...) of at most 100")
            by_id = {p.id: p for p in posts}
            for urn in shares:
                post = by_id.get(urn)
                if post is None:
                    continue  # no activity or not this page's: absent, to be read as 0
                stats = _stats([post], None, now)
                if stats["impressionCount"] or stats["likeCount"]:
                    elements.append({key: urn, "organizationalEntity": org, "totalShareStatistics": stats})
        elif days is not None:
            for d in days:
                lo, hi = day_start(d), min(day_start(d + timedelta(days=1)), now)
                elements.append(
                    {"organizationalEntity": org, "timeRange": _range(d), "totalShareStatistics": _stats(posts, lo, hi)}
                )
        else:
            elements.append({"organizationalEntity": org, "totalShareStatistics": _stats(posts, None, now)})
        return json_response({"paging": {"start": 0, "count": len(elements), "links": []}, "elements": elements})
