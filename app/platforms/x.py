"""X API v2 with OAuth 2.0 Authorization Code + PKCE, per ``shared/reference/platforms.md`` section 6.

OAuth: authorize at ``x.com/i/oauth2/authorize`` with space-separated scopes and a mandatory PKCE S256
challenge; token, refresh and revoke at ``api.x.com/2/oauth2/*`` with the confidential client in HTTP
Basic. Access tokens live 2 hours; a refresh token comes only with ``offline.access`` and is **single
use**: each refresh returns a new one and the old one stops working, so the returned :class:`TokenSet`
must be persisted before anything else uses the grant (the engine does, ``rotates_refresh_token``).

Data, the cheapest daily sync (section 6.6): ``/2/users/me`` with ``public_metrics`` (followers,
following, post count), ``/2/users/:id/tweets`` since the last sync (``max_results`` 100, paged by
``pagination_token``), and ``/2/tweets?ids=`` (100 a call) for fresh numbers of posts still inside the
refresh window. ``non_public_metrics`` / ``organic_metrics`` come only for the owner's posts younger
than 30 days; older posts get a partial ``not-authorized-for-field`` error, which is expected and
ignored. X has no account-level history: followers over time are our own daily snapshots.

Errors are RFC 7807-style problems (``title``/``detail``/``type``). ``usage-capped`` (429) is the monthly
post-read cap: :class:`QuotaExceeded` until the next billing cycle (``X_CAP_RESET_DAY``), because X names
no reset time. Other 429s carry ``x-rate-limit-reset`` (epoch seconds) for the 15-minute windows.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

import requests

from app.platforms.base import (
    ContentItem,
    DailyInsight,
    PageGuard,
    Profile,
    ScopeCheckMixin,
    TokenSet,
    as_mapping,
    aware_utc,
    dedupe,
    extract_hashtags,
    parse_scopes,
    to_int,
)
from app.platforms.errors import (
    AccessRevoked,
    AccountSuspended,
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

__all__ = ["XAdapter", "classify_x_error", "cycle_start", "is_post_read", "next_cycle_start"]

AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
API = "https://api.x.com"
TOKEN_URL = f"{API}/2/oauth2/token"
REVOKE_URL = f"{API}/2/oauth2/revoke"

DEFAULT_SCOPES = ("tweet.read", "users.read", "offline.access")
USER_FIELDS = "created_at,description,profile_image_url,protected,public_metrics,verified,verified_type"
TWEET_FIELDS = "created_at,public_metrics,non_public_metrics,organic_metrics"
PAGE_SIZE = 100  # max_results maximum of the timeline and of a lookup by ids
#: owner-only metrics exist for posts younger than this
ORGANIC_WINDOW = timedelta(days=30)
PROBLEM = "/2/problems/"

_OAUTH_ERRORS: dict[str, type[PlatformError]] = {
    "invalid_grant": AccessRevoked,
    "access_denied": AccessRevoked,
    "invalid_scope": ScopeMissing,
    "invalid_client": InvalidRequest,
    "unauthorized_client": InvalidRequest,
    "unsupported_grant_type": InvalidRequest,
    "rate_limit_exceeded": RateLimited,
    "server_error": PlatformUnavailable,
    "temporarily_unavailable": PlatformUnavailable,
}


def next_cycle_start(now: datetime, day: int) -> datetime:
    """00:00 UTC of the next monthly billing cycle starting on ``day`` (1-28) of the month."""
    day = max(1, min(int(day), 28))
    start = datetime(now.year, now.month, day, tzinfo=UTC)
    if now < start:
        return start
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return datetime(year, month, day, tzinfo=UTC)


def cycle_start(now: datetime, day: int) -> datetime:
    """00:00 UTC of the billing cycle ``now`` falls in."""
    day = max(1, min(int(day), 28))
    start = datetime(now.year, now.month, day, tzinfo=UTC)
    if now >= start:
        return start
    year, month = (now.year - 1, 12) if now.month == 1 else (now.year, now.month - 1)
    return datetime(year, month, day, tzinfo=UTC)


def is_post_read(url: str) -> bool:
    """Whether a call reads posts (counted against the monthly cap): a timeline or a lookup by ids."""
    path = url.split("?", 1)[0].rstrip("/")
    return path.endswith("/2/tweets") or (path.endswith("/tweets") and "/2/users/" in path)


def _reset_wait(response: requests.Response) -> float | None:
    """Seconds until ``x-rate-limit-reset`` (epoch seconds), else ``Retry-After``."""
    reset = to_int(response.headers.get("x-rate-limit-reset"))
    if reset is not None:
        # whole epoch seconds, truncated by X: one more second so the retry never lands just before the reset
        return max(0.0, math.ceil(reset - datetime.now(UTC).timestamp()) + 1.0)
    return parse_retry_after(response.headers.get("Retry-After"))


def _problem_type(body: Any) -> str:
    kind = as_mapping(body).get("type")
    return kind.rsplit("/", 1)[-1] if isinstance(kind, str) and PROBLEM in kind else ""


def classify_x_error(response: requests.Response, body: Any, cap_reset_day: int = 1) -> PlatformError | None:
    """The typed error of an X answer, or ``None`` on success (partial ``errors`` beside ``data`` are not one).

    API answers carry problems (``{"title", "detail", "type"}``); OAuth answers ``{"error",
    "error_description"}``.
    """
    status = response.status_code
    data = as_mapping(body)
    oauth = data.get("error")
    if isinstance(oauth, str) and oauth:
        message = f"X OAuth error {oauth}: {data.get('error_description') or ''}".rstrip(": ")
        cls = _OAUTH_ERRORS.get(oauth)
        if cls is RateLimited:
            return RateLimited(message, retry_after=_reset_wait(response), platform="x", status=status, code=oauth)
        if cls is not None:
            return cls(message, platform="x", status=status, code=oauth)
        if oauth == "invalid_request" and "token" in str(data.get("error_description") or "").lower():
            return AccessRevoked(message, platform="x", status=status, code=oauth)
        return InvalidRequest(message, platform="x", status=status, code=oauth)
    if status < 400:
        return None
    kind = _problem_type(body)
    message = f"X {status} {data.get('title') or ''}: {data.get('detail') or ''}".strip().rstrip(":")
    if status == 429 and kind == "usage-capped":
        resets = next_cycle_start(datetime.now(UTC), cap_reset_day)
        return QuotaExceeded(
            f"X monthly post-read cap reached; syncing resumes when the cap resets on {resets:%Y-%m-%d}",
            resets_at=resets,
            platform="x",
            status=status,
            code=kind,
        )
    if status == 429:
        return RateLimited(message, retry_after=_reset_wait(response), platform="x", status=status, code=kind or None)
    if status >= 500:
        return PlatformUnavailable(message, platform="x", status=status, code=kind or None)
    if status == 401:
        return TokenExpired(message, platform="x", status=status, code=kind or None)
    if status == 403 and kind == "user-suspended":
        return AccountSuspended("the X account is suspended", platform="x", status=status, code=kind)
    if status == 403:
        return ScopeMissing(message, platform="x", status=status, code=kind or None)
    return InvalidRequest(message, platform="x", status=status, code=kind or None)


class XAdapter(ScopeCheckMixin):
    """X accounts: profile counts, posts with public metrics and (inside 30 days) owner metrics."""

    name: ClassVar[str] = "x"
    rotates_refresh_token: ClassVar[bool] = True
    supports_revoke: ClassVar[bool] = True
    uses_pkce: bool = True

    def __init__(
        self,
        http: PlatformHttp,
        *,
        client_id: str,
        client_secret: str,
        scopes: Sequence[str] = DEFAULT_SCOPES,
        cap_reset_day: int = 1,
    ) -> None:
        if not client_id or not client_secret:
            raise ValueError("X client id and secret are required")
        self.http = http
        self.client_id = client_id
        self.client_secret = client_secret
        self.scopes = tuple(scopes)
        self.required_scopes = frozenset(self.scopes)
        self.cap_reset_day = cap_reset_day

    def __repr__(self) -> str:
        return f"XAdapter(client_id={self.client_id!r})"

    # ------------------------------------------------------------------ plumbing

    def _check(self, response: requests.Response) -> Mapping[str, Any]:
        body = json_body(response, self.name)
        error = classify_x_error(response, body, self.cap_reset_day)
        if error is not None:
            raise error
        if not isinstance(body, Mapping):
            raise BadResponse("answer is not a JSON object", platform=self.name)
        return body

    def _get(self, path: str, params: Mapping[str, Any], access_token: str) -> Mapping[str, Any]:
        return self._check(self.http.request("GET", f"{API}{path}", params=params, access_token=access_token))

    def _basic(self) -> dict[str, str]:
        raw = f"{quote(self.client_id, safe='')}:{quote(self.client_secret, safe='')}".encode()
        return {
            "Authorization": "Basic " + base64.b64encode(raw).decode("ascii"),
            "Content-Type": "application/x-www-form-urlencoded",
        }

    # ------------------------------------------------------------------ OAuth

    def authorize_url(self, state: str, redirect_uri: str, code_challenge: str | None = None) -> str:
        """The consent URL; X requires the PKCE ``code_challenge`` (S256)."""
        if not code_challenge:
            raise ValueError("X requires PKCE: pass a code_challenge")
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(self.scopes),
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.http.hosts.url(AUTHORIZE_URL)}?{urlencode(params, quote_via=quote)}"

    def _token_call(self, form: Mapping[str, str], *, refreshing: bool) -> Mapping[str, Any]:
        response = self.http.request("POST", TOKEN_URL, data=form, headers=self._basic())
        try:
            body = self._check(response)
        except AccessRevoked as exc:
            if not refreshing:  # a rejected code is our request's fault, not a revoked grant
                raise InvalidRequest(
                    f"authorization code rejected: {exc.message}", platform=self.name, status=exc.status, code=exc.code
                ) from None
            raise
        if not isinstance(body.get("access_token"), str) or not body["access_token"]:
            raise BadResponse("token answer without access_token", platform=self.name)
        return body

    def _token_set(self, body: Mapping[str, Any], previous: TokenSet | None = None) -> TokenSet:
        now = datetime.now(UTC)
        expires_in = to_int(body.get("expires_in"))
        new_refresh = body.get("refresh_token") if isinstance(body.get("refresh_token"), str) else None
        return TokenSet(
            access_token=body["access_token"],
            refresh_token=new_refresh or (previous.refresh_token if previous else None),
            expires_at=now + timedelta(seconds=expires_in) if expires_in else None,
            refresh_expires_at=None,  # X does not document a refresh-token lifetime
            scopes=parse_scopes(body.get("scope")) or (previous.scopes if previous else frozenset()),
            platform_user_id=previous.platform_user_id if previous else None,
            token_type=str(body.get("token_type") or "bearer"),
            issued_at=now,
        )

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str | None = None) -> TokenSet:
        """Code (valid 30 s) -> 2-hour access token + single-use refresh token (with ``offline.access``)."""
        code = code.strip()
        if not code:
            raise InvalidRequest("empty authorization code", platform=self.name)
        if not code_verifier:
            raise ValueError("X requires PKCE: pass the code_verifier")
        form = {
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        return self._token_set(self._token_call(form, refreshing=False))

    def can_refresh(self, token_set: TokenSet, now: datetime | None = None) -> bool:
        """Whenever a refresh token is stored (its lifetime is not documented)."""
        return bool(token_set.refresh_token)

    def refresh(self, token_set: TokenSet) -> TokenSet:
        """Rotate: the returned refresh token replaces the old one, which stops working.

        :raises AccessRevoked: the refresh token was revoked, already used, or is unknown.
        """
        if not token_set.refresh_token:
            raise AccessRevoked("no refresh token stored", platform=self.name)
        body = self._token_call(
            {"grant_type": "refresh_token", "refresh_token": token_set.refresh_token}, refreshing=True
        )
        return self._token_set(body, previous=token_set)

    def revoke(self, token_set: TokenSet) -> None:
        """``POST /2/oauth2/revoke`` for the refresh token (ends the grant), else the access token."""
        token = token_set.refresh_token or token_set.access_token
        hint = "refresh_token" if token_set.refresh_token else "access_token"
        response = self.http.request(
            "POST", REVOKE_URL, data={"token": token, "token_type_hint": hint}, headers=self._basic()
        )
        try:
            self._check(response)
        except (AccessRevoked, TokenExpired):
            return

    # ------------------------------------------------------------------ data

    def fetch_profile(self, access_token: str) -> Profile:
        """``GET /2/users/me`` with ``public_metrics``: followers, following and the post count."""
        data = as_mapping(self._get("/2/users/me", {"user.fields": USER_FIELDS}, access_token).get("data"))
        if not data.get("id"):
            raise BadResponse("users/me without an id", platform=self.name)
        metrics = as_mapping(data.get("public_metrics"))
        posts = metrics.get("tweet_count", metrics.get("post_count"))
        protected = data.get("protected") is True
        return Profile(
            platform_user_id=str(data["id"]),
            username=data.get("username") if isinstance(data.get("username"), str) else None,
            display_name=data.get("name") if isinstance(data.get("name"), str) else None,
            avatar_url=data.get("profile_image_url") if isinstance(data.get("profile_image_url"), str) else None,
            followers=to_int(metrics.get("followers_count")),
            following=to_int(metrics.get("following_count")),
            media_count=to_int(posts),
            account_type="protected" if protected else ("verified" if data.get("verified") is True else None),
            extras={
                "protected": protected,
                **({"listed_count": to_int(metrics["listed_count"])} if "listed_count" in metrics else {}),
            },
        )

    def _item(self, raw: Mapping[str, Any], user: str | None) -> ContentItem:
        text = raw.get("text") if isinstance(raw.get("text"), str) else None
        public = as_mapping(raw.get("public_metrics"))
        organic = as_mapping(raw.get("organic_metrics"))
        private = as_mapping(raw.get("non_public_metrics"))
        metrics: dict[str, float] = {}
        for source, names in (
            (public, (("impression_count", "views"), ("like_count", "likes"), ("reply_count", "comments"))),
            (public, (("bookmark_count", "saves"), ("quote_count", "quotes"))),
            (private, (("url_link_clicks", "link_clicks"), ("user_profile_clicks", "profile_visits"))),
            (private, (("engagements", "engagements"),)),
        ):
            for field_name, metric in names:
                value = to_int(source.get(field_name))
                if value is not None and value >= 0:
                    metrics[metric] = value
        # docs/metrics.md: reposts and quotes are stored together as ``shares`` (v2.167 says repost_count)
        reposts = to_int(public.get("retweet_count", public.get("repost_count")))
        quotes = to_int(public.get("quote_count"))
        if reposts is not None or quotes is not None:
            metrics["shares"] = max(reposts or 0, 0) + max(quotes or 0, 0)
        owner = bool(organic or private)
        if owner and to_int(organic.get("impression_count")) is not None:
            metrics["organic_impressions"] = to_int(organic.get("impression_count")) or 0
        post_id = str(raw["id"])
        return ContentItem(
            platform_id=post_id,
            kind="post",
            published_at=aware_utc(raw.get("created_at"), self.name, "created_at"),
            caption=text,
            permalink=f"https://x.com/{user}/status/{post_id}" if user else f"https://x.com/i/status/{post_id}",
            hashtags=extract_hashtags(text),
            metrics=metrics,
            extras={"owner_metrics": owner},
        )

    def _items(self, body: Mapping[str, Any], user: str | None) -> list[ContentItem]:
        data = body.get("data")
        if data is None:
            return []  # X leaves ``data`` out of an empty page
        if not isinstance(data, list):
            raise BadResponse("post list is not a list", platform=self.name)
        out = []
        for raw in data:
            if isinstance(raw, Mapping) and isinstance(raw.get("id"), str | int) and not isinstance(raw["id"], bool):
                try:
                    out.append(self._item(raw, user))
                except BadResponse:
                    continue  # one post without a usable date does not sink the page
        return out

    def _only_errors(self, body: Mapping[str, Any]) -> None:
        """A timeline answer with ``errors`` and no ``data``: the account itself is unreadable."""
        if body.get("data") is not None or not isinstance(body.get("errors"), list):
            return
        for err in body["errors"]:
            detail = str(as_mapping(err).get("detail") or "")
            if "suspended" in detail.lower():
                raise AccountSuspended("the X account is suspended", platform=self.name, code="user-suspended")
            if _problem_type(err) == "not-authorized-for-resource":
                raise ScopeMissing(f"X refused the timeline: {detail[:120]}", platform=self.name)

    def fetch_content(
        self,
        access_token: str,
        since: datetime | None = None,
        *,
        max_items: int | None = None,
        profile: Profile | None = None,
    ) -> list[ContentItem]:
        """``GET /2/users/:id/tweets`` (100 a page, retweets excluded) back to ``since``; X reaches only
        the newest 3,200 posts."""
        profile = profile or self.fetch_profile(access_token)
        params: dict[str, Any] = {"max_results": PAGE_SIZE, "tweet.fields": TWEET_FIELDS, "exclude": "retweets"}
        if since is not None:
            params["start_time"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        guard = PageGuard(self.name)
        items: list[ContentItem] = []
        path = f"/2/users/{quote(profile.platform_user_id, safe='')}/tweets"
        while True:
            body = self._get(path, params, access_token)
            self._only_errors(body)
            items = dedupe(
                items + [i for i in self._items(body, profile.username) if since is None or i.published_at >= since]
            )
            if max_items is not None and len(items) >= max_items:
                break
            token = as_mapping(body.get("meta")).get("next_token")
            if not isinstance(token, str) or not guard.next_allowed(token):
                break
            params["pagination_token"] = token
        return items[:max_items] if max_items is not None else items

    def fetch_content_metrics(self, access_token: str, items: Sequence[ContentItem]) -> dict[str, Mapping[str, float]]:
        """``GET /2/tweets?ids=`` in batches of 100; posts gone at X are absent."""
        return self.content_metrics_and_gone(access_token, items)[0]

    def content_metrics_and_gone(
        self, access_token: str, items: Sequence[ContentItem]
    ) -> tuple[dict[str, Mapping[str, float]], list[str]]:
        """The fresh numbers of ``items`` and the ids X answered ``resource-not-found`` for (the post was
        deleted, or its author's account was): X's terms want those gone from our store within 24 h
        (``platforms.md`` 6.5). A post X withholds (``not-authorized-for-resource``) is not gone."""
        ids = list(dict.fromkeys(item.platform_id for item in items))
        out: dict[str, Mapping[str, float]] = {}
        gone: list[str] = []
        for start in range(0, len(ids), PAGE_SIZE):
            batch = ids[start : start + PAGE_SIZE]
            body = self._get("/2/tweets", {"ids": ",".join(batch), "tweet.fields": TWEET_FIELDS}, access_token)
            for item in self._items(body, None):
                out[item.platform_id] = dict(item.metrics)
            asked = set(batch)
            for err in body.get("errors") or ():
                if not isinstance(err, Mapping) or _problem_type(err) != "resource-not-found":
                    continue
                pid = err.get("resource_id") or err.get("value")
                if err.get("resource_type") == "tweet" and isinstance(pid, str) and pid in asked and pid not in out:
                    gone.append(pid)
        return out, list(dict.fromkeys(gone))

    def fetch_account_insights(
        self, access_token: str, since: date, until: date, *, profile: Profile | None = None
    ) -> list[DailyInsight]:
        """X has no account-level time series: always empty (no call is made)."""
        return []
