"""LinkedIn member (creator) endpoints: OIDC userinfo, follower counts, post analytics, posts.

* ``/v2/userinfo`` (non-versioned; ``openid`` + ``profile``; ``email`` adds the address).
* ``/rest/memberFollowersCount`` ``q=me`` (lifetime total) or ``q=dateRange`` (one element per day:
  followers gained that day); scope ``r_member_profileAnalytics``.
* ``/rest/memberCreatorPostAnalytics`` ``q=me`` (all the member's posts) or ``q=entity``
  (``(share:urn)`` / ``(ugc:urn)``), one ``queryType`` per call, ``aggregation`` ``DAILY`` or
  ``TOTAL`` (``MEMBERS_REACHED`` only ``TOTAL``); scope ``r_member_postAnalytics``. A ``dateRange``
  end is exclusive.
* ``/rest/posts?q=author`` with start/count paging (``count`` at most 100) and ``paging.links`` next;
  a person author needs the restricted ``r_member_social``, an organization author
  ``r_organization_social`` and the ADMINISTRATOR role (``organization.py``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import Response, request

from ..common import json_response, state
from ..util import day_start
from ..world import Account, Post
from . import orgs
from .errors import API, LinkedInError, bp, denied, gate, illegal
from .restli import RestliSyntaxError, decode, raw_params

QUERY_TYPES = {
    "IMPRESSION": "views",
    "MEMBERS_REACHED": "reach",
    "REACTION": "likes",
    "COMMENT": "comments",
    "RESHARE": "shares",
}
MAX_COUNT = 100


def person_urn(acc: Account) -> str:
    return f"urn:li:person:{acc.platform_user_id}"


def ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def param(name: str, required: bool = True) -> Any:
    """A Rest.li decoded query parameter (``None`` when absent and not required)."""
    raw = raw_params(request.query_string).get(name)
    if raw is None or raw == "":
        if required:
            raise illegal(f"Query parameter {name} is required")
        return None
    try:
        return decode(raw)
    except RestliSyntaxError as exc:
        raise illegal(f"Invalid value for param: {name} ({exc})") from None


def _date(obj: Any, name: str) -> date:
    try:
        return date(int(obj["year"]), int(obj["month"]), int(obj["day"]))
    except (KeyError, TypeError, ValueError):
        raise illegal(f"Invalid date in {name}") from None


def date_range() -> tuple[date, date]:
    """``dateRange=(start:(year,month,day),end:(...))`` as (first day, exclusive end)."""
    value = param("dateRange")
    if not isinstance(value, dict) or "start" not in value:
        raise illegal("dateRange must have a start")
    start = _date(value["start"], "dateRange.start")
    end = _date(value["end"], "dateRange.end") if "end" in value else state().today()
    if end <= start:
        raise illegal("dateRange end must be after its start")
    return start, end


def ymd(d: date) -> dict[str, int]:
    return {"year": d.year, "month": d.month, "day": d.day}


def paging(total: int, default: int = 10) -> tuple[int, int, dict[str, Any]]:
    """(start, count, the ``paging`` object with a ``next`` link while more remain)."""
    args = request.args
    try:
        start = int(args.get("start", 0))
        count = int(args.get("count", default))
    except ValueError:
        raise illegal("start and count must be integers") from None
    if start < 0 or count < 1:
        raise illegal("start must be >= 0 and count >= 1")
    count = min(count, MAX_COUNT)
    links: list[dict[str, Any]] = []
    if start + count < total:
        query = "&".join(f"{k}={v}" for k, v in raw_params(request.query_string).items() if k not in ("start", "count"))
        href = request.path.removeprefix(API) + f"?{query}&start={start + count}&count={count}".replace("?&", "?")
        links.append({"type": "application/json", "rel": "next", "href": href})
    return start, count, {"start": start, "count": count, "links": links, "total": total}


@bp.get(f"{API}/v2/userinfo")
def userinfo() -> Response:
    st = state()
    with st.lock:
        tok, acc = gate("userinfo", ("openid",), versioned=False)
        if "profile" not in tok.scopes:
            raise denied("userinfo")
        given, _, family = acc.display_name.partition(" ")
        body: dict[str, Any] = {
            "sub": acc.platform_user_id,
            "name": acc.display_name,
            "given_name": given,
            "family_name": family,
            "picture": f"https://media.licdn.com/dms/image/sandbox/{acc.platform_user_id}/profile.jpg",
            "locale": {"country": "US", "language": "en"},
        }
        if "email" in tok.scopes:
            body.update({"email": f"{acc.username}@example.com", "email_verified": True})
        return json_response(body)


@bp.get(f"{API}/rest/memberFollowersCount")
def followers_count() -> Response:
    st = state()
    with st.lock:
        _, acc = gate("memberFollowersCount", ("r_member_profileAnalytics",))
        q = request.args.get("q")
        if q == "me":
            elements: list[dict[str, Any]] = [{"memberFollowersCount": acc.followers_on(st.today())}]
        elif q == "dateRange":
            start, end = date_range()
            last = min(end, st.today())  # today is not finished: days up to yesterday
            elements = []
            d = start
            while d < last:
                elements.append(
                    {
                        "dateRange": {"start": ymd(d), "end": ymd(d + timedelta(days=1))},
                        "memberFollowersCount": acc.gained_lost(d)[0],
                    }
                )
                d += timedelta(days=1)
        else:
            raise illegal("q must be me or dateRange")
        return json_response({"paging": {"start": 0, "count": 10, "links": []}, "elements": elements})


def require_admin(acc: Account, organization: str, resource: str) -> None:
    """403 ``ACCESS_DENIED`` unless ``acc`` administers ``organization`` (role ADMINISTRATOR, APPROVED)."""
    if not organization.startswith("urn:li:organization:"):
        raise illegal(f"Invalid organization URN: {organization}")
    if orgs.admin_of(acc, organization) is None:
        raise denied(resource)


def find_post(acc: Account, urn: str) -> Post | None:
    return acc.find_post(urn, state().now())


@bp.get(f"{API}/rest/memberCreatorPostAnalytics")
def post_analytics() -> Response:
    st = state()
    with st.lock:
        _, acc = gate("memberCreatorPostAnalytics", ("r_member_postAnalytics",))
        query_type = request.args.get("queryType", "")
        metric = QUERY_TYPES.get(query_type)
        if metric is None:
            raise illegal(f"queryType must be one of {', '.join(QUERY_TYPES)}")
        aggregation = request.args.get("aggregation", "TOTAL")
        if aggregation not in ("DAILY", "TOTAL"):
            raise illegal("aggregation must be DAILY or TOTAL")
        if aggregation == "DAILY" and query_type == "MEMBERS_REACHED":
            raise illegal("MEMBERS_REACHED does not support DAILY aggregation")
        q = request.args.get("q")
        now = st.now()
        if q == "entity":
            entity = param("entity")
            urn = (entity.get("share") or entity.get("ugc")) if isinstance(entity, dict) else None
            if not isinstance(urn, str):
                raise illegal("entity must be (share:<urn>) or (ugc:<urn>)")
            found = find_post(acc, urn)
            if found is None:
                raise LinkedInError(404, "NOT_FOUND", f"Entity {urn} not found or not owned by the member")
            posts = [found]
        elif q == "me":
            posts = acc.posts_at(now)
        else:
            raise illegal("q must be me or entity")
        if aggregation == "TOTAL":
            has_range = param("dateRange", required=False) is not None
            first, end = date_range() if has_range else (None, None)
            total = 0
            for p in posts:
                upto = min(day_start(end), now) if end is not None else now
                since = day_start(first) if first is not None else p.published_at
                total += p.count(metric, upto) - (p.count(metric, since) if first is not None else 0)
            return json_response(
                {
                    "paging": {"start": 0, "count": 10, "links": []},
                    "elements": [{"count": total, "metricType": query_type}],
                }
            )
        start, end = date_range()
        elements = []
        d = start
        while d < min(end, st.today() + timedelta(days=1)):
            lo, hi = day_start(d), min(day_start(d + timedelta(days=1)), now)
            count = sum(p.count(metric, hi) - p.count(metric, lo) for p in posts) if hi > lo else 0
            elements.append(
                {
                    "count": count,
                    "metricType": query_type,
                    "dateRange": {"start": ymd(d), "end": ymd(d + timedelta(days=1))},
                }
            )
            d += timedelta(days=1)
        return json_response({"paging": {"start": 0, "count": len(elements), "links": []}, "elements": elements})


def post_object(p: Post, author: str) -> dict[str, Any]:
    published = ms(p.published_at)
    body: dict[str, Any] = {
        "id": p.id,
        "author": author,
        "commentary": p.caption,
        "visibility": "PUBLIC",
        "lifecycleState": "PUBLISHED",
        "publishedAt": published,
        "createdAt": published,
        "lastModifiedAt": published,
        "isReshareDisabledByAuthor": False,
        "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
    }
    media = "video" if p.kind == "video" else "image"
    body["content"] = {"media": {"id": f"urn:li:{media}:{p.id.rsplit(':', 1)[-1]}", "altText": ""}}
    return body


@bp.get(f"{API}/rest/posts")
def posts() -> Response:
    st = state()
    with st.lock:
        if request.args.get("q") != "author":
            raise illegal("q must be author")
        author = param("author")
        if not isinstance(author, str):
            raise illegal("author must be a person or organization URN")
        if author.startswith("urn:li:organization:"):
            tok, acc = gate("posts", ("r_organization_social", "r_organization_social_feed"))
            require_admin(acc, author, "posts")
        else:
            tok, acc = gate("posts", ("r_member_social",))
            if author != person_urn(acc):
                raise denied("posts")
        items = acc.posts_at(st.now())
        start, count, page = paging(len(items))
        elements = [post_object(p, author) for p in items[start : start + count]]
        return json_response({"paging": page, "elements": elements})
