"""TikTok Login Kit v2 + Display API v2, per ``shared/reference/platforms.md`` §4.

OAuth: authorize at ``www.tiktok.com/v2/auth/authorize/`` with ``client_key`` and comma-separated scopes
(PKCE S256 when enabled); token and refresh at ``open.tiktokapis.com/v2/oauth/token/``. **Refresh tokens
rotate**: each refresh returns a new refresh token and the old one stops working, so the returned
:class:`TokenSet` must be persisted before anything else uses the grant. Lifetimes come from
``expires_in`` / ``refresh_expires_in`` (2 h / 180 d today), never hard-coded.

TikTok's ``client_key`` parameter (not ``client_id``) does not fit authlib's client, so the token calls
are plain form posts through the same shared session and timeouts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

import requests

from app.platforms.base import (
    ContentItem,
    DailyInsight,
    PageGuard,
    Profile,
    ScopeCheckMixin,
    TokenSet,
    aware_utc,
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
    RateLimited,
    ScopeMissing,
    TokenExpired,
)
from app.platforms.http import PlatformHttp, json_body, parse_retry_after

__all__ = ["TikTokAdapter", "classify_tiktok_error"]

AUTHORIZE_URL = "https://www.tiktok.com/v2/auth/authorize/"
API = "https://open.tiktokapis.com"
TOKEN_URL = f"{API}/v2/oauth/token/"
REVOKE_URL = f"{API}/v2/oauth/revoke/"

DEFAULT_SCOPES = ("user.info.basic", "user.info.profile", "user.info.stats", "video.list")
USER_FIELDS = (
    "open_id,union_id,avatar_url,display_name,username,bio_description,profile_deep_link,is_verified,"
    "follower_count,following_count,likes_count,video_count"
)
VIDEO_FIELDS = (
    "id,create_time,title,video_description,duration,cover_image_url,share_url,embed_link,"
    "like_count,comment_count,share_count,view_count"
)
MAX_COUNT = 20  # video/list and video/query maximum

# Display API ``error.code`` -> typed error. ``access_token_invalid`` covers both expiry (2-hour
# tokens) and revocation; it is classified as expired so the caller refreshes, and the refresh then
# answers ``invalid_grant`` when the grant is really gone.
_API_ERRORS: dict[str, type[PlatformError]] = {
    "access_token_invalid": TokenExpired,
    "scope_not_authorized": ScopeMissing,
    "scope_permission_missed": ScopeMissing,
    "rate_limit_exceeded": RateLimited,
    "internal_error": PlatformUnavailable,
    "invalid_params": InvalidRequest,
    "invalid_file_upload": InvalidRequest,
}
# OAuth endpoint ``error`` values
_OAUTH_ERRORS: dict[str, type[PlatformError]] = {
    "invalid_grant": AccessRevoked,
    "access_denied": AccessRevoked,
    "invalid_scope": ScopeMissing,
    "invalid_client": InvalidRequest,
    "invalid_request": InvalidRequest,
    "unauthorized_client": InvalidRequest,
    "unsupported_grant_type": InvalidRequest,
    "unsupported_response_type": InvalidRequest,
    "rate_limit_exceeded": RateLimited,
    "server_error": PlatformUnavailable,
    "temporarily_unavailable": PlatformUnavailable,
}

_TRUTHY = {"1", "true", "yes", "on"}


def _build(cls: type[PlatformError], message: str, response: requests.Response, code: str) -> PlatformError:
    status = response.status_code
    if cls is RateLimited:
        return RateLimited(
            message,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            platform="tiktok",
            status=status,
            code=code,
        )
    return cls(message, platform="tiktok", status=status, code=code)


def classify_tiktok_error(response: requests.Response, body: Any) -> PlatformError | None:
    """The typed error for a TikTok answer, or ``None`` on success.

    Display API answers carry ``{"error": {"code": "ok" | "<code>", "message", "log_id"}}``; OAuth
    answers carry ``{"error": "<code>", "error_description"}`` (with HTTP 200 or 4xx).
    """
    status = response.status_code
    error = body.get("error") if isinstance(body, Mapping) else None
    if isinstance(error, Mapping):
        code = str(error.get("code") or "")
        if code == "ok" and status < 400:
            return None
        message = f"TikTok error {code or 'unknown'}: {error.get('message') or ''}".rstrip(": ")
        cls = _API_ERRORS.get(code)
        if cls is not None:
            return _build(cls, message, response, code)
    elif isinstance(error, str) and error:
        message = f"TikTok OAuth error {error}: {body.get('error_description') or ''}".rstrip(": ")
        cls = _OAUTH_ERRORS.get(error)
        if cls is not None:
            return _build(cls, message, response, error)
        if status < 400 or status == 401:
            return InvalidRequest(message, platform="tiktok", status=status, code=error)
    else:
        message = f"HTTP {status}"
        if status < 400:
            return None
    return _by_status(message, response)


def _by_status(message: str, response: requests.Response) -> PlatformError:
    """Classify by HTTP status when the body names no known code."""
    status = response.status_code
    if status == 429:
        return _build(RateLimited, message, response, "rate_limit_exceeded")
    if status >= 500:
        return PlatformUnavailable(message, platform="tiktok", status=status)
    if status == 401:
        return TokenExpired(message, platform="tiktok", status=status)
    if status == 403:
        return ScopeMissing(message, platform="tiktok", status=status)
    if status >= 400:
        return InvalidRequest(message, platform="tiktok", status=status)
    return BadResponse(message, platform="tiktok", status=status)


class TikTokAdapter(ScopeCheckMixin):
    """TikTok creator accounts: profile stats and public videos (no account-level insights exist)."""

    name: ClassVar[str] = "tiktok"
    rotates_refresh_token: ClassVar[bool] = True
    supports_revoke: ClassVar[bool] = True

    def __init__(
        self,
        http: PlatformHttp,
        *,
        client_key: str,
        client_secret: str,
        scopes: Sequence[str] = DEFAULT_SCOPES,
        use_pkce: bool = True,
    ) -> None:
        self._set_up(http, scopes, (client_key, client_secret), "TikTok client key and secret")
        self.client_key = client_key
        self.client_secret = client_secret
        self.uses_pkce = use_pkce

    def __repr__(self) -> str:
        return f"TikTokAdapter(client_key={self.client_key!r}, uses_pkce={self.uses_pkce!r})"

    # ------------------------------------------------------------------ plumbing

    def _check(self, response: requests.Response) -> Any:
        body = json_body(response, self.name)
        error = classify_tiktok_error(response, body)
        if error is not None:
            raise error
        return body

    def _data(self, body: Any) -> Mapping[str, Any]:
        data = body.get("data") if isinstance(body, Mapping) else None
        if not isinstance(data, Mapping):
            raise BadResponse("answer has no data object", platform=self.name)
        return data

    # ------------------------------------------------------------------ OAuth

    def authorize_url(self, state: str, redirect_uri: str, code_challenge: str | None = None) -> str:
        """The consent URL; with PKCE on, ``code_challenge`` (S256) is required."""
        params = {
            "client_key": self.client_key,
            "response_type": "code",
            "scope": ",".join(self.scopes),
            "redirect_uri": redirect_uri,
            "state": state,
        }
        if self.uses_pkce:
            if not code_challenge:
                raise ValueError("TikTok adapter uses PKCE: pass a code_challenge")
            params["code_challenge"] = code_challenge
            params["code_challenge_method"] = "S256"
        return f"{self.http.hosts.url(AUTHORIZE_URL)}?{urlencode(params)}"

    def _token_call(self, form: Mapping[str, str], *, refreshing: bool) -> Mapping[str, Any]:
        response = self.http.request(
            "POST",
            TOKEN_URL,
            data={"client_key": self.client_key, "client_secret": self.client_secret, **form},
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cache-Control": "no-cache"},
        )
        try:
            body = self._check(response)
        except AccessRevoked as exc:
            if not refreshing:
                # invalid_grant on a code exchange: the code was used, expired or not ours
                raise InvalidRequest(
                    f"authorization code rejected: {exc.message}",
                    platform=self.name,
                    status=exc.status,
                    code=exc.code,
                ) from None
            raise
        if isinstance(body, Mapping) and isinstance(body.get("data"), Mapping) and "access_token" not in body:
            body = body["data"]
        if not isinstance(body, Mapping) or not isinstance(body.get("access_token"), str):
            raise BadResponse("token answer without access_token", platform=self.name)
        return body

    def _token_set(self, body: Mapping[str, Any], previous: TokenSet | None = None) -> TokenSet:
        now = datetime.now(UTC)
        expires_in = to_int(body.get("expires_in"))
        refresh_in = to_int(body.get("refresh_expires_in"))
        new_refresh = body.get("refresh_token") if isinstance(body.get("refresh_token"), str) else None
        refresh_token = new_refresh or (previous.refresh_token if previous else None)
        refresh_expires_at = now + timedelta(seconds=refresh_in) if refresh_in else None
        if not new_refresh and previous is not None:
            refresh_expires_at = previous.refresh_expires_at
        scopes = parse_scopes(body.get("scope")) or (previous.scopes if previous else frozenset())
        open_id = body.get("open_id") or (previous.platform_user_id if previous else None)
        return TokenSet(
            access_token=body["access_token"],
            refresh_token=refresh_token,
            expires_at=now + timedelta(seconds=expires_in) if expires_in else None,
            refresh_expires_at=refresh_expires_at,
            scopes=scopes,
            platform_user_id=str(open_id) if open_id is not None else None,
            token_type=str(body.get("token_type") or "bearer"),
            issued_at=now,
        )

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str | None = None) -> TokenSet:
        """Code -> access token (2 h) + rotating refresh token (180 d)."""
        code = code.strip()
        if not code:
            raise InvalidRequest("empty authorization code", platform=self.name)
        form = {"code": code, "grant_type": "authorization_code", "redirect_uri": redirect_uri}
        if code_verifier:
            form["code_verifier"] = code_verifier
        elif self.uses_pkce:
            raise ValueError("TikTok adapter uses PKCE: pass the code_verifier")
        return self._token_set(self._token_call(form, refreshing=False))

    def can_refresh(self, token_set: TokenSet, now: datetime | None = None) -> bool:
        """A refresh token that has not expired."""
        if not token_set.refresh_token:
            return False
        return token_set.refresh_expires_at is None or token_set.refresh_expires_at > (now or datetime.now(UTC))

    def refresh(self, token_set: TokenSet) -> TokenSet:
        """Rotate: the returned refresh token replaces the old one, which stops working.

        :raises AccessRevoked: ``invalid_grant`` (revoked, expired, or an already-rotated token).
        """
        if not token_set.refresh_token:
            raise AccessRevoked("no refresh token stored", platform=self.name)
        body = self._token_call(
            {"grant_type": "refresh_token", "refresh_token": token_set.refresh_token}, refreshing=True
        )
        return self._token_set(body, previous=token_set)

    def revoke(self, token_set: TokenSet) -> None:
        """``POST /v2/oauth/revoke/``; an already-dead token counts as revoked."""
        response = self.http.request(
            "POST",
            REVOKE_URL,
            data={
                "client_key": self.client_key,
                "client_secret": self.client_secret,
                "token": token_set.access_token,
            },
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        try:
            self._check(response)
        except (AccessRevoked, TokenExpired):
            return

    # ------------------------------------------------------------------ data

    def fetch_profile(self, access_token: str) -> Profile:
        """``GET /v2/user/info/`` with profile and stats fields."""
        response = self.http.request(
            "GET", f"{API}/v2/user/info/", params={"fields": USER_FIELDS}, access_token=access_token
        )
        data = self._data(self._check(response))
        user = data.get("user")
        if not isinstance(user, Mapping) or not user.get("open_id"):
            raise BadResponse("user info without open_id", platform=self.name)
        return Profile(
            platform_user_id=str(user["open_id"]),
            username=user.get("username"),
            display_name=user.get("display_name"),
            avatar_url=user.get("avatar_url"),
            followers=to_int(user.get("follower_count")),
            following=to_int(user.get("following_count")),
            media_count=to_int(user.get("video_count")),
            total_likes=to_int(user.get("likes_count")),
            account_type="verified" if user.get("is_verified") else None,
            extras={k: user[k] for k in ("union_id", "profile_deep_link", "bio_description") if user.get(k)},
        )

    def _video_item(self, raw: Mapping[str, Any]) -> ContentItem:
        title = raw.get("title") if isinstance(raw.get("title"), str) else None
        description = raw.get("video_description") if isinstance(raw.get("video_description"), str) else None
        metrics: dict[str, float] = {}
        for field_name, metric in (
            ("view_count", "views"),
            ("like_count", "likes"),
            ("comment_count", "comments"),
            ("share_count", "shares"),
        ):
            value = to_int(raw.get(field_name))
            if value is not None:
                metrics[metric] = value
        duration = raw.get("duration")
        return ContentItem(
            platform_id=str(raw["id"]),
            kind="video",
            published_at=aware_utc(raw.get("create_time"), self.name, "create_time"),
            caption=description,
            title=title,
            permalink=raw.get("share_url"),
            thumbnail_url=raw.get("cover_image_url"),
            duration_seconds=float(duration)
            if isinstance(duration, int | float) and not isinstance(duration, bool)
            else None,
            hashtags=extract_hashtags(title, description),
            metrics=metrics,
            extras={"embed_link": raw["embed_link"]} if raw.get("embed_link") else {},
        )

    def fetch_content(
        self,
        access_token: str,
        since: datetime | None = None,
        *,
        max_items: int | None = None,
        profile: Profile | None = None,
    ) -> list[ContentItem]:
        """``POST /v2/video/list/`` pages of 20 (newest first) until ``has_more`` ends or ``since`` passes.

        A page may be short while ``has_more`` is true; paging continues. A cursor that does not move
        backwards in time, or repeats, ends the walk (loop safety).
        """
        guard = PageGuard(self.name)
        items: list[ContentItem] = []
        cursor: int | None = None
        while True:
            payload: dict[str, Any] = {"max_count": MAX_COUNT}
            if cursor is not None:
                payload["cursor"] = cursor
            response = self.http.request(
                "POST",
                f"{API}/v2/video/list/",
                params={"fields": VIDEO_FIELDS},
                json_body=payload,
                access_token=access_token,
            )
            data = self._data(self._check(response))
            videos = data.get("videos") or []
            if not isinstance(videos, list):
                raise BadResponse("video list is not a list", platform=self.name)
            reached_window_end = False
            for raw in videos:
                if not isinstance(raw, Mapping) or raw.get("id") is None:
                    continue
                item = self._video_item(raw)
                if since is not None and item.published_at < since:
                    reached_window_end = True
                    continue
                items.append(item)
            items = dedupe(items)
            if reached_window_end or (max_items is not None and len(items) >= max_items):
                break
            next_cursor = to_int(data.get("cursor"))
            if not data.get("has_more") or next_cursor is None:
                break
            if cursor is not None and next_cursor >= cursor:
                break  # the cursor must move back in time
            if not guard.next_allowed(next_cursor):
                break
            cursor = next_cursor
        return items[:max_items] if max_items is not None else items

    def fetch_content_metrics(self, access_token: str, items: Sequence[ContentItem]) -> dict[str, Mapping[str, float]]:
        """``POST /v2/video/query/`` in batches of 20 ids; deleted/private videos are absent."""
        ids = list(dict.fromkeys(item.platform_id for item in items))
        out: dict[str, Mapping[str, float]] = {}
        for start in range(0, len(ids), MAX_COUNT):
            batch = ids[start : start + MAX_COUNT]
            response = self.http.request(
                "POST",
                f"{API}/v2/video/query/",
                params={"fields": VIDEO_FIELDS},
                json_body={"filters": {"video_ids": batch}},
                access_token=access_token,
            )
            data = self._data(self._check(response))
            for raw in data.get("videos") or []:
                if isinstance(raw, Mapping) and raw.get("id") is not None:
                    out[str(raw["id"])] = dict(self._video_item(raw).metrics)
        return out

    def fetch_account_insights(
        self, access_token: str, since: date, until: date, *, profile: Profile | None = None
    ) -> list[DailyInsight]:
        """TikTok's Display API has no account-level insights: always empty (no call is made)."""
        return []


def use_pkce_setting(value: Any) -> bool:
    """Parse the ``TIKTOK_USE_PKCE`` setting (bool or text); default on."""
    if value is None:
        return True
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in _TRUTHY
