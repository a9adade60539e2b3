"""LinkedIn: 3-legged OAuth + the versioned REST API for members (creators), per ``platforms.md`` §7.

OAuth: authorize at ``www.linkedin.com/oauth/v2/authorization`` (space-separated scopes, no PKCE for a
web app); code and refresh at ``/oauth/v2/accessToken``. Access tokens last 60 days; a refresh token
(issued only to apps approved for programmatic refresh) lasts **365 days from the first
authorization** and a refresh does not extend it, so ``refresh_expires_at`` is kept from the grant
when the answer's remaining life says the same. Lifetimes come from ``expires_in`` /
``refresh_token_expires_in``, never hard-coded.

Every REST call sends ``LinkedIn-Version: YYYYMM`` (``LINKEDIN_API_VERSION``) and
``X-Restli-Protocol-Version: 2.0.0``; query values use Rest.li 2.0 syntax (``(k:v)``, ``List(..)``,
URNs percent-encoded), so query strings are built here rather than by ``requests``.

The cheapest daily sync (§7.7): ``memberFollowersCount?q=me`` (profile: :meth:`sync_profile`; the
connect reads ``userinfo`` too, for the member's id and name), the member's posts (``posts?q=author``,
100 a page), per-post ``memberCreatorPostAnalytics?q=entity`` totals for recent posts only (4 calls a
post), and the account's daily analytics (4 ``q=me`` DAILY calls + 1 ``memberFollowersCount?q=dateRange``)
whatever the range, which is also the backfill.
Organization (Company Page) statistics need the ADMINISTRATOR role: :meth:`organizations` and
:meth:`organization_daily` (``app.platforms.linkedin_org``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

import requests

from app.platforms.base import (
    ContentItem,
    ContentKind,
    DailyInsight,
    PageGuard,
    Profile,
    ScopeCheckMixin,
    TokenSet,
    as_mapping,
    dedupe,
    extract_hashtags,
    parse_scopes,
    to_int,
)
from app.platforms.errors import (
    AccessRevoked,
    BadResponse,
    InvalidRequest,
    PlatformError,
    PlatformUnavailable,
    QuotaExceeded,
    RateLimited,
    ScopeMissing,
    TokenExpired,
)
from app.platforms.http import PlatformHttp, json_body, parse_retry_after

__all__ = ["DEFAULT_SCOPES", "ORG_SCOPES", "LinkedInAdapter", "classify_linkedin_error", "next_utc_midnight", "restli"]

OAUTH = "https://www.linkedin.com/oauth/v2"
AUTHORIZE_URL = f"{OAUTH}/authorization"
TOKEN_URL = f"{OAUTH}/accessToken"
REVOKE_URL = f"{OAUTH}/revoke"
INTROSPECT_URL = f"{OAUTH}/introspectToken"
API = "https://api.linkedin.com"
REST = f"{API}/rest"

DEFAULT_SCOPES = ("openid", "profile", "r_member_profileAnalytics", "r_member_postAnalytics", "r_member_social")
#: asked besides, when the deployment enables Company Pages (``LINKEDIN_ORGANIZATIONS``, §7.4); not
#: required: a member who declines them keeps the member connection
ORG_SCOPES = ("r_organization_social", "rw_organization_admin")
DEFAULT_VERSION = "202610"
PAGE_SIZE = 100  # posts?q=author maximum count
#: per-post analytics cost one call per metric: only posts this young are re-read (§7.7)
POST_METRICS_MAX_AGE_DAYS = 30
POST_METRICS_MAX_ITEMS = 20
#: memberCreatorPostAnalytics queryType -> normalised metric name (docs/platforms.md)
POST_QUERY_TYPES = {"IMPRESSION": "views", "REACTION": "likes", "COMMENT": "comments", "RESHARE": "shares"}
MAX_TEXT = 3000  # LinkedIn's post commentary limit; anything longer is cut, never trusted

# serviceErrorCode / code -> typed error
_CODES: dict[str, type[PlatformError]] = {
    "REVOKED_ACCESS_TOKEN": AccessRevoked,
    "EXPIRED_ACCESS_TOKEN": TokenExpired,
    "INVALID_ACCESS_TOKEN": TokenExpired,
    "EMPTY_ACCESS_TOKEN": TokenExpired,
    "ACCESS_DENIED": ScopeMissing,
    "NONEXISTENT_VERSION": InvalidRequest,
    "VERSION_MISSING": InvalidRequest,
}
_OAUTH_ERRORS: dict[str, type[PlatformError]] = {
    "invalid_client": InvalidRequest,
    "unauthorized_client": InvalidRequest,
    "unsupported_grant_type": InvalidRequest,
    "unauthorized_scope_error": ScopeMissing,
    "server_error": PlatformUnavailable,
    "temporarily_unavailable": RateLimited,
}


def next_utc_midnight(now: datetime | None = None) -> datetime:
    """LinkedIn's daily limits reset at 00:00 UTC."""
    current = now or datetime.now(UTC)
    return datetime.combine(current.date() + timedelta(days=1), time(0), tzinfo=UTC)


def restli(value: Any) -> str:
    """Rest.li 2.0 encoding of a query value: strings percent-encoded, ``(k:v)`` objects, ``List(..)``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "(" + ",".join(f"{quote(str(k), safe='')}:{restli(v)}" for k, v in value.items()) + ")"
    if isinstance(value, list | tuple):
        return "List(" + ",".join(restli(v) for v in value) + ")"
    return quote(str(value), safe="")


def _query(params: Mapping[str, Any]) -> str:
    return "&".join(f"{quote(k, safe='')}={restli(v)}" for k, v in params.items())


def _ymd(d: date) -> dict[str, int]:
    return {"year": d.year, "month": d.month, "day": d.day}


def classify_linkedin_error(response: requests.Response, body: Any) -> PlatformError | None:
    """The typed error for a LinkedIn answer, or ``None`` on success.

    API errors carry ``{"status", "serviceErrorCode", "code", "message"}``; the OAuth endpoints
    ``{"error", "error_description"}``. A 429 naming a ``DAY limit`` is a daily quota (reset at 00:00
    UTC, no headers); any other 429 is LinkedIn's infrastructure throttle.
    """
    status = response.status_code
    if status < 400:
        return None
    data = as_mapping(body)
    code = str(data.get("code") or data.get("error") or "")
    text = str(data.get("message") or data.get("error_description") or "")
    message = f"LinkedIn error {status} {code}: {text}".rstrip(": ")
    if status == 429:
        if "DAY limit" in text:
            return QuotaExceeded(message, platform="linkedin", status=status, code=code, resets_at=next_utc_midnight())
        retry = parse_retry_after(response.headers.get("Retry-After"))
        return RateLimited(message, retry_after=retry, platform="linkedin", status=status, code=code)
    cls = _CODES.get(code) or _OAUTH_ERRORS.get(code)
    if cls is not None:
        if cls is RateLimited:
            return RateLimited(message, platform="linkedin", status=status, code=code)
        return cls(message, platform="linkedin", status=status, code=code)
    if status >= 500:
        return PlatformUnavailable(message, platform="linkedin", status=status, code=code or None)
    if status == 401:
        return TokenExpired(message, platform="linkedin", status=status, code=code or None)
    if status == 403:
        return ScopeMissing(message, platform="linkedin", status=status, code=code or None)
    return InvalidRequest(message, platform="linkedin", status=status, code=code or None)


class LinkedInAdapter(ScopeCheckMixin):
    """LinkedIn members: identity, followers, posts and their analytics, daily account analytics."""

    name: ClassVar[str] = "linkedin"
    rotates_refresh_token: ClassVar[bool] = False
    supports_revoke: ClassVar[bool] = True
    uses_pkce = False

    def __init__(
        self,
        http: PlatformHttp,
        *,
        client_id: str,
        client_secret: str,
        scopes: Sequence[str] = DEFAULT_SCOPES,
        api_version: str = DEFAULT_VERSION,
        org_scopes: Sequence[str] = (),
        member: str | None = None,
    ) -> None:
        self._set_up(http, scopes, (client_id, client_secret), "LinkedIn client id and secret")
        self.org_scopes = tuple(s for s in org_scopes if s not in scopes)
        #: the connected member's id (``userinfo``'s ``sub``, the connection's ``platform_user_id``) when
        #: the adapter syncs a stored connection: :meth:`sync_profile` then needs no ``userinfo``
        self.member = member
        self.client_id = client_id
        self.client_secret = client_secret
        self.api_version = api_version

    def __repr__(self) -> str:
        return f"LinkedInAdapter(client_id={self.client_id!r}, api_version={self.api_version!r})"

    # ------------------------------------------------------------------ plumbing

    def _check(self, response: requests.Response) -> Any:
        body = json_body(response, self.name)
        error = classify_linkedin_error(response, body)
        if error is not None:
            raise error
        return body

    def get(self, path: str, access_token: str, params: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
        """One versioned REST GET (``path`` under ``/rest``); the answer must be a JSON object."""
        url = f"{REST}{path}"
        if params:
            url += "?" + _query(params)
        response = self.http.request(
            "GET",
            url,
            headers={"LinkedIn-Version": self.api_version, "X-Restli-Protocol-Version": "2.0.0"},
            access_token=access_token,
        )
        body = self._check(response)
        if not isinstance(body, Mapping):
            raise BadResponse("answer is not a JSON object", platform=self.name)
        return body

    def elements(self, body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        raw = body.get("elements")
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise BadResponse("elements is not a list", platform=self.name)
        return [e for e in raw if isinstance(e, Mapping)]

    # ------------------------------------------------------------------ OAuth

    def authorize_url(self, state: str, redirect_uri: str, code_challenge: str | None = None) -> str:
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": " ".join((*self.scopes, *self.org_scopes)),
        }
        return f"{self.http.hosts.url(AUTHORIZE_URL)}?{urlencode(params)}"

    def _token_call(self, form: Mapping[str, str], *, refreshing: bool) -> Mapping[str, Any]:
        response = self.http.request(
            "POST",
            TOKEN_URL,
            data={"client_id": self.client_id, "client_secret": self.client_secret, **form},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        body = json_body(response, self.name)
        if response.status_code == 400 and as_mapping(body).get("error") == "invalid_request":
            text = str(as_mapping(body).get("error_description") or "")
            if refreshing:  # "...refresh token is invalid, expired or revoked": the grant is gone
                raise AccessRevoked(f"refresh rejected: {text}", platform=self.name, status=400, code="invalid_request")
            raise InvalidRequest(f"authorization code rejected: {text}", platform=self.name, status=400)
        error = classify_linkedin_error(response, body)
        if error is not None:
            raise error
        if not isinstance(body, Mapping) or not isinstance(body.get("access_token"), str):
            raise BadResponse("token answer without access_token", platform=self.name)
        return body

    def _token_set(self, body: Mapping[str, Any], previous: TokenSet | None = None) -> TokenSet:
        now = datetime.now(UTC)
        expires_in = to_int(body.get("expires_in"))
        refresh_in = to_int(body.get("refresh_token_expires_in"))
        new_refresh = body.get("refresh_token") if isinstance(body.get("refresh_token"), str) else None
        refresh_expires_at = now + timedelta(seconds=refresh_in) if new_refresh and refresh_in else None
        if refresh_expires_at is None and previous is not None:
            refresh_expires_at = previous.refresh_expires_at
        scopes = parse_scopes(body.get("scope")) or (previous.scopes if previous else frozenset())
        return TokenSet(
            access_token=body["access_token"],
            refresh_token=new_refresh or (previous.refresh_token if previous else None),
            expires_at=now + timedelta(seconds=expires_in) if expires_in else None,
            refresh_expires_at=refresh_expires_at,
            scopes=scopes,
            platform_user_id=previous.platform_user_id if previous else None,
            token_type=str(body.get("token_type") or "bearer"),
            issued_at=now,
        )

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str | None = None) -> TokenSet:
        """Code -> 60-day access token (+ a 365-day refresh token for approved apps)."""
        code = code.strip()
        if not code:
            raise InvalidRequest("empty authorization code", platform=self.name)
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        return self._token_set(self._token_call(form, refreshing=False))

    def can_refresh(self, token_set: TokenSet, now: datetime | None = None) -> bool:
        """A refresh token that has not reached its fixed 365-day end."""
        if not token_set.refresh_token:
            return False
        return token_set.refresh_expires_at is None or token_set.refresh_expires_at > (now or datetime.now(UTC))

    def refresh(self, token_set: TokenSet) -> TokenSet:
        """A new 60-day access token; the refresh token's end does not move.

        :raises AccessRevoked: the refresh token is revoked or past its 365 days (re-authorize).
        """
        if not token_set.refresh_token:
            raise AccessRevoked("no refresh token stored (the app is not approved for refresh)", platform=self.name)
        body = self._token_call(
            {"grant_type": "refresh_token", "refresh_token": token_set.refresh_token}, refreshing=True
        )
        return self._token_set(body, previous=token_set)

    def revoke(self, token_set: TokenSet) -> None:
        """``POST /oauth/v2/revoke`` (200, empty body); an already-dead token counts as revoked."""
        response = self.http.request(
            "POST",
            REVOKE_URL,
            data={"client_id": self.client_id, "client_secret": self.client_secret, "token": token_set.access_token},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if response.status_code >= 500:
            raise PlatformUnavailable(f"revoke: HTTP {response.status_code}", platform=self.name)
        if response.status_code == 401:
            raise InvalidRequest("revoke: client authentication failed", platform=self.name, status=401)

    def introspect(self, access_token: str) -> str:
        """The token's ``status``: ``active``, ``expired`` or ``revoked`` (unknown tokens: ``revoked``)."""
        response = self.http.request(
            "POST",
            INTROSPECT_URL,
            data={"client_id": self.client_id, "client_secret": self.client_secret, "token": access_token},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        body = as_mapping(self._check(response))
        status = body.get("status")
        if status in ("active", "expired", "revoked"):
            return str(status)
        return "active" if body.get("active") is True else "revoked"

    # ------------------------------------------------------------------ data

    def fetch_profile(self, access_token: str) -> Profile:
        """``/v2/userinfo`` (identity; the ``sub`` is app-scoped) + ``memberFollowersCount?q=me``."""
        response = self.http.request("GET", f"{API}/v2/userinfo", access_token=access_token)
        user = as_mapping(self._check(response))
        sub = user.get("sub")
        if not isinstance(sub, str) or not sub.strip():
            raise BadResponse("userinfo without sub", platform=self.name)
        counts = self.elements(self.get("/memberFollowersCount", access_token, {"q": "me"}))
        followers = to_int(counts[0].get("memberFollowersCount")) if counts else None
        name = user.get("name") if isinstance(user.get("name"), str) else None
        return Profile(
            platform_user_id=sub.strip(),
            username=None,  # LinkedIn gives members no handle through this API
            display_name=name[:200] if name else None,
            avatar_url=user.get("picture") if isinstance(user.get("picture"), str) else None,
            followers=followers if followers is not None and followers >= 0 else None,
            account_type="member",
            extras={"person_urn": f"urn:li:person:{sub.strip()}"},
        )

    def sync_profile(self, access_token: str) -> Profile:
        """The profile as a sync uses it: ``memberFollowersCount?q=me`` alone (1 call; §7.7's plan).

        A sync writes only the counts of a profile and needs the member's id for the posts' author
        URN; the id is the stored connection's (``member``), so ``userinfo`` (id, name, picture: read
        when connecting, never written by a sync) is not asked again. Without a known member, as
        :meth:`fetch_profile`."""
        if not self.member:
            return self.fetch_profile(access_token)
        counts = self.elements(self.get("/memberFollowersCount", access_token, {"q": "me"}))
        followers = to_int(counts[0].get("memberFollowersCount")) if counts else None
        return Profile(
            platform_user_id=self.member,
            username=None,
            followers=followers if followers is not None and followers >= 0 else None,
            account_type="member",
            extras={"person_urn": f"urn:li:person:{self.member}"},
        )

    def _post_item(self, raw: Mapping[str, Any]) -> ContentItem | None:
        urn = raw.get("id")
        published = to_int(raw.get("publishedAt")) or to_int(raw.get("createdAt"))
        if not isinstance(urn, str) or not urn.startswith("urn:li:") or published is None or published <= 0:
            return None  # a partial element is skipped, not guessed
        if raw.get("lifecycleState") not in (None, "PUBLISHED"):
            return None
        text = raw.get("commentary") if isinstance(raw.get("commentary"), str) else None
        media = as_mapping(as_mapping(raw.get("content")).get("media"))
        kind: ContentKind = "video" if str(media.get("id") or "").startswith("urn:li:video:") else "image"
        return ContentItem(
            platform_id=urn,
            kind=kind,
            published_at=datetime.fromtimestamp(published / 1000, UTC),
            caption=text[:MAX_TEXT] if text else None,
            permalink=f"https://www.linkedin.com/feed/update/{urn}/",
            hashtags=extract_hashtags(text),
        )

    def fetch_content(
        self,
        access_token: str,
        since: datetime | None = None,
        *,
        max_items: int | None = None,
        profile: Profile | None = None,
    ) -> list[ContentItem]:
        """``posts?q=author&author=<person urn>`` newest first, 100 a page, start/count paging.

        Without ``r_member_social`` in the configured scopes (an app without Community Management
        access) LinkedIn lets no app list a member's posts: empty, no call; the account analytics remain.
        """
        if "r_member_social" not in self.required_scopes:
            return []
        person = profile.extras.get("person_urn") if profile is not None else None
        if not isinstance(person, str):
            person = f"urn:li:person:{self.fetch_profile(access_token).platform_user_id}"
        return self.posts_of(access_token, person, since, max_items=max_items)

    def posts_of(
        self, access_token: str, author: str, since: datetime | None, *, max_items: int | None = None
    ) -> list[ContentItem]:
        """Posts of a person or organization URN, paged to ``since`` (loop-safe)."""
        guard = PageGuard(self.name)
        items: list[ContentItem] = []
        start = 0
        while True:
            params = {"q": "author", "author": author, "count": PAGE_SIZE, "start": start, "sortBy": "LAST_MODIFIED"}
            body = self.get("/posts", access_token, params)
            elements = self.elements(body)
            passed = False
            for raw in elements:
                item = self._post_item(raw)
                if item is None:
                    continue
                if since is not None and item.published_at < since:
                    passed = True
                    continue
                items.append(item)
            items = dedupe(items)
            if passed or not elements or (max_items is not None and len(items) >= max_items):
                break
            links = as_mapping(body.get("paging")).get("links")
            has_next = isinstance(links, list) and any(as_mapping(link).get("rel") == "next" for link in links)
            total = to_int(as_mapping(body.get("paging")).get("total"))
            nxt = start + len(elements)
            if not has_next and (total is None or nxt >= total):
                break
            if not guard.next_allowed(nxt):
                break
            start = nxt
        return items[:max_items] if max_items is not None else items

    def fetch_content_metrics(self, access_token: str, items: Sequence[ContentItem]) -> dict[str, Mapping[str, float]]:
        """Per-post totals (``q=entity``, 4 calls a post) for posts at most 30 days old, 20 at most.

        Older posts keep their last numbers: LinkedIn charges one call per metric and post.
        """
        cutoff = datetime.now(UTC) - timedelta(days=POST_METRICS_MAX_AGE_DAYS)
        recent = [i for i in items if i.published_at >= cutoff][:POST_METRICS_MAX_ITEMS]
        out: dict[str, Mapping[str, float]] = {}
        for item in recent:
            kind = "ugc" if item.platform_id.startswith("urn:li:ugcPost:") else "share"
            metrics: dict[str, float] = {}
            for query_type, metric in POST_QUERY_TYPES.items():
                try:
                    body = self.get(
                        "/memberCreatorPostAnalytics",
                        access_token,
                        {
                            "q": "entity",
                            "entity": {kind: item.platform_id},
                            "queryType": query_type,
                            "aggregation": "TOTAL",
                        },
                    )
                except InvalidRequest as exc:
                    if exc.status == 404:
                        break  # deleted at LinkedIn: absent
                    raise
                values = [to_int(e.get("count")) for e in self.elements(body)]
                known = [v for v in values if v is not None]
                if known:
                    metrics[metric] = sum(known)
            if metrics:
                out[item.platform_id] = metrics
        return out

    def fetch_account_insights(
        self, access_token: str, since: date, until: date, *, profile: Profile | None = None
    ) -> list[DailyInsight]:
        """Daily impressions, reactions, comments, reshares (``q=me``, DAILY) and followers gained.

        Five calls whatever the range (the first sync's backfill costs the same as a daily one).
        A ``dateRange`` end is exclusive.
        """
        if until < since:
            return []
        date_range = {"start": _ymd(since), "end": _ymd(until + timedelta(days=1))}
        days: dict[date, dict[str, float]] = {}
        for query_type, metric in POST_QUERY_TYPES.items():
            body = self.get(
                "/memberCreatorPostAnalytics",
                access_token,
                {"q": "me", "queryType": query_type, "aggregation": "DAILY", "dateRange": date_range},
            )
            for el in self.elements(body):
                day, value = _element_day(el), to_int(el.get("count"))
                if day is not None and value is not None and since <= day <= until:
                    days.setdefault(day, {})[metric] = value
        body = self.get("/memberFollowersCount", access_token, {"q": "dateRange", "dateRange": date_range})
        for el in self.elements(body):
            day, value = _element_day(el), to_int(el.get("memberFollowersCount"))
            if day is not None and value is not None and since <= day <= until:
                days.setdefault(day, {})["new_followers"] = value
        return [DailyInsight(day=d, metrics=m) for d, m in sorted(days.items())]


def _element_day(el: Mapping[str, Any]) -> date | None:
    start = as_mapping(as_mapping(el.get("dateRange")).get("start"))
    try:
        return date(int(start["year"]), int(start["month"]), int(start["day"]))
    except (KeyError, TypeError, ValueError):
        return None
