"""LinkedIn Company Page statistics for a member holding the ADMINISTRATOR role (``platforms.md`` §7.4).

Kept apart from the member adapter because they need ``rw_organization_admin`` (Community
Management approval) and the role: a member without it gets LinkedIn's 403 ``ACCESS_DENIED``, which
is raised here as :class:`~app.platforms.errors.ScopeMissing` with a message naming the role.

A connection of a Page (``account_type`` ``organization``, ``platform_user_id`` the organization URN)
is synced by :class:`LinkedInOrgAdapter` (``registry.get_adapter`` picks it by ``kind``): the member's grant, the
Page's numbers. Its daily plan (``docs/sync.md``): ``networkSizes`` (profile, :meth:`~LinkedInOrgAdapter.sync_profile`;
the connect reads ``organizations/{id}`` too, for the Page's name),
``posts?q=author`` (1 call per 100 posts), share statistics of the recent posts (1 call per 100), and
the Page's daily follower gains, share statistics and page views (3 calls whatever the range: also the
backfill); weekly, the follower demographics (``linkedin_page_audience.py``).
Once connected, a 403 ``ACCESS_DENIED`` means the member lost the Page's role: raised as
:class:`PageRoleLost` (an :class:`~app.platforms.errors.AccessRevoked`: broken, client notified).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from app.platforms.audience import RawAudience
from app.platforms.base import ContentItem, DailyInsight, Profile, as_mapping, to_int
from app.platforms.errors import AccessRevoked, BadResponse, ScopeMissing
from app.platforms.linkedin import LinkedInAdapter
from app.platforms.linkedin_page_audience import page_audience, page_views_of

log = logging.getLogger(__name__)

__all__ = [
    "ORGANIZATION",
    "LinkedInOrgAdapter",
    "OrgDay",
    "PageChoice",
    "PageRoleLost",
    "organization_daily",
    "organization_followers",
    "organizations",
    "page_choices",
]

#: ``Connection.account_type`` / ``Profile.account_type`` of a Company Page connection
ORGANIZATION = "organization"
PREFIX = "urn:li:organization:"
#: share URNs per ``organizationalEntityShareStatistics&shares=List(..)`` call
STATS_BATCH = 50
MAX_NAME = 200
_VANITY = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


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
        if (
            isinstance(org, str)
            and org.startswith(PREFIX)
            and org[len(PREFIX) :].isdigit()
            and el.get("role") in (None, "ADMINISTRATOR")
            and el.get("state") in (None, "APPROVED")
        ):
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
    """Three calls: follower gains, share statistics and page views per day, ``since``..``until`` inclusive.

    Page views (``organizationPageStatistics``, ``totalPageStatistics.views.allPageViews.pageViews`` ->
    ``page_views``) are read apart: a garbled answer of that call leaves the page views out of this read
    (the stored days keep theirs), not the other numbers.

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
    for day, views in _page_views(adapter, access_token, org, params).items():
        if since <= day <= until:
            days.setdefault(day, {})["page_views"] = views
    return [OrgDay(day=d, metrics=m) for d, m in sorted(days.items())]


def _page_views(adapter: LinkedInAdapter, access_token: str, org: str, params: Mapping[str, Any]) -> dict[date, int]:
    """``organizationPageStatistics?q=organization`` by DAY: day -> all page views (1 call)."""
    query = {"q": "organization", "organization": org, "timeIntervals": params["timeIntervals"]}
    try:
        body = adapter.get("/organizationPageStatistics", access_token, query)
        elements = adapter.elements(body)
    except ScopeMissing as exc:
        raise _role_error(exc, org) from None
    except BadResponse as exc:  # garbled or refused (4xx): the page views only are left out
        log.warning("linkedin: page statistics of %s not read: %s", org, exc)
        return {}
    out: dict[date, int] = {}
    for el in elements:
        day, views = _day_of(el), page_views_of(el)
        if day is not None and views is not None:
            out[day] = views
    return out


# --------------------------------------------------------------------------- the Page picker


@dataclass(frozen=True)
class PageChoice:
    """A Page the member administers, as the picker shows it (untrusted text, escaped when shown)."""

    urn: str
    name: str
    vanity: str | None


def _clean_name(value: Any, fallback: str) -> str:
    if not isinstance(value, str):
        return fallback
    text = "".join(ch for ch in value if ch.isprintable()).strip()
    return text[:MAX_NAME] or fallback


def _vanity(value: Any) -> str | None:
    if isinstance(value, str) and 0 < len(value) <= 100 and set(value) <= _VANITY:
        return value
    return None


def lookup(adapter: LinkedInAdapter, access_token: str, org: str) -> PageChoice:
    """``organizations/{id}``: the Page's name and vanity name (one call)."""
    body = adapter.get(f"/organizations/{org[len(PREFIX) :]}", access_token)
    fallback = f"LinkedIn Page {org[len(PREFIX) :]}"
    return PageChoice(
        urn=org, name=_clean_name(body.get("localizedName"), fallback), vanity=_vanity(body.get("vanityName"))
    )


def page_choices(adapter: LinkedInAdapter, access_token: str) -> list[PageChoice]:
    """The Pages the member administers, with their names: 1 + one call a Page (10 Pages at most).

    :raises ScopeMissing: the organization scopes were not granted.
    """
    return [lookup(adapter, access_token, org) for org in organizations(adapter, access_token)[:10]]


# --------------------------------------------------------------------------- the Page's sync


class PageRoleLost(AccessRevoked):
    """The member no longer administers the connected Page (403 ``ACCESS_DENIED`` once connected)."""


class LinkedInOrgAdapter(LinkedInAdapter):
    """The sync plan of one Company Page connection: the member adapter's grant, the Page's numbers."""

    def __init__(self, base: LinkedInAdapter, organization: str) -> None:
        super().__init__(
            base.http,
            client_id=base.client_id,
            client_secret=base.client_secret,
            scopes=base.scopes,
            api_version=base.api_version,
            org_scopes=base.org_scopes,
        )
        if not organization.startswith(PREFIX) or not organization[len(PREFIX) :].isdigit():
            raise ValueError("not an organization URN")
        self.organization = organization

    def __repr__(self) -> str:
        return f"LinkedInOrgAdapter(organization={self.organization!r}, api_version={self.api_version!r})"

    def _lost(self, exc: ScopeMissing) -> PageRoleLost:
        return PageRoleLost(
            f"You are no longer an administrator of this LinkedIn Page ({self.organization}); "
            "reconnect it once the role is back.",
            platform=self.name,
            status=exc.status,
            code=exc.code,
        )

    def fetch_profile(self, access_token: str) -> Profile:
        """``organizations/{id}`` (name) + ``networkSizes`` (followers): 2 calls."""
        try:
            page = lookup(self, access_token, self.organization)
            followers = organization_followers(self, access_token, self.organization)
        except ScopeMissing as exc:
            raise self._lost(exc) from None
        return Profile(
            platform_user_id=self.organization,
            username=None,  # a vanity name is no @handle: the Page is labelled by its name, as a member is
            display_name=page.name,
            avatar_url=None,
            followers=followers,
            account_type=ORGANIZATION,
            extras={"organization_urn": self.organization, "vanity_name": page.vanity},
        )

    def sync_profile(self, access_token: str) -> Profile:
        """The profile as a sync uses it: ``networkSizes`` alone (1 call; platforms.md §7.7's plan).

        A sync writes only the follower count of a profile; the Page's name and vanity name
        (``organizations/{id}``) are read when connecting and never written by a sync, so not asked again."""
        try:
            followers = organization_followers(self, access_token, self.organization)
        except ScopeMissing as exc:
            raise self._lost(exc) from None
        return Profile(
            platform_user_id=self.organization,
            followers=followers,
            account_type=ORGANIZATION,
            extras={"organization_urn": self.organization},
        )

    def fetch_content(
        self,
        access_token: str,
        since: datetime | None = None,
        *,
        max_items: int | None = None,
        profile: Profile | None = None,
    ) -> list[ContentItem]:
        """The Page's posts (``posts?q=author&author=<organization urn>``, 100 a page)."""
        try:
            return self.posts_of(access_token, self.organization, since, max_items=max_items)
        except ScopeMissing as exc:
            raise self._lost(exc) from None

    def fetch_content_metrics(self, access_token: str, items: Sequence[ContentItem]) -> dict[str, Mapping[str, float]]:
        """Lifetime share statistics of the posts, 50 URNs a call (shares and ugcPosts apart); a post
        LinkedIn leaves out had no activity: all 0. ``likeCount`` may be negative: kept as reported."""
        out: dict[str, Mapping[str, float]] = {}
        groups = {
            "shares": [i.platform_id for i in items if i.platform_id.startswith("urn:li:share:")],
            "ugcPosts": [i.platform_id for i in items if i.platform_id.startswith("urn:li:ugcPost:")],
        }
        for param, urns in groups.items():
            for at in range(0, len(urns), STATS_BATCH):
                batch = urns[at : at + STATS_BATCH]
                params = {"q": "organizationalEntity", "organizationalEntity": self.organization, param: batch}
                try:
                    body = self.get("/organizationalEntityShareStatistics", access_token, params)
                except ScopeMissing as exc:
                    raise self._lost(exc) from None
                got = {urn: _post_stats({}) for urn in batch}
                for el in self.elements(body):
                    urn = el.get("share") or el.get("ugcPost")
                    if isinstance(urn, str) and urn in got:
                        got[urn] = _post_stats(as_mapping(el.get("totalShareStatistics")))
                out.update(got)
        return out

    def fetch_account_insights(
        self, access_token: str, since: date, until: date, *, profile: Profile | None = None
    ) -> list[DailyInsight]:
        """The Page's day by day follower gains, organic share statistics and page views: 3 calls."""
        if until < since:
            return []
        try:
            days = organization_daily(self, access_token, self.organization, since, until)
        except ScopeMissing as exc:
            raise self._lost(exc) from None
        return [DailyInsight(day=d.day, metrics=dict(d.metrics)) for d in days]

    def audience(self, access_token: str) -> RawAudience:
        """The Page's follower demographics (lifetime facets, weekly: 1 to 3 calls, see
        ``linkedin_page_audience``)."""
        try:
            return page_audience(self, access_token, self.organization)
        except ScopeMissing as exc:
            raise self._lost(exc) from None


def _post_stats(stats: Mapping[str, Any]) -> dict[str, float]:
    names = {
        "impressionCount": "views",
        "uniqueImpressionsCount": "reach",
        "likeCount": "likes",
        "commentCount": "comments",
        "shareCount": "shares",
        "clickCount": "clicks",
    }
    out: dict[str, float] = {}
    for raw, metric in names.items():
        value = to_int(stats.get(raw)) if stats else 0
        if value is None:
            if raw in stats:
                raise BadResponse(f"share statistics: {raw} is not a number", platform="linkedin")
            value = 0
        out[metric] = value
    return out
