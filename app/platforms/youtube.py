"""YouTube through Google OAuth, the Data API v3 and the Analytics API v2 (``platforms.md`` §5).

OAuth: Google's web-server flow with ``access_type=offline``, ``prompt=consent`` (a refresh token is
only issued at consent), ``include_granted_scopes=true`` and PKCE S256. Refresh tokens do **not** rotate:
a refresh answer usually has no ``refresh_token`` and the stored one is kept. Granular consent lets a
user untick scopes, so the granted ``scope`` is always parsed and checked. Note: a Google project in
"Testing" publishing status gets refresh tokens that die after 7 days.

Data: ``channels?mine=true`` -> uploads playlist -> ``playlistItems`` (stop at the window) ->
``videos`` in batches of 50. ``search.list`` is never used (its own 100-calls/day bucket).
Quota exhaustion (``quotaExceeded``) resets at midnight Pacific time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import requests

from app.platforms.analytics_query import report_without_unknown
from app.platforms.base import (
    ContentItem,
    ContentKind,
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
from app.platforms.oauth import build_oauth_session, call_token_endpoint

__all__ = ["YouTubeAdapter", "classify_google_error", "next_pacific_midnight"]

AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/v2/auth"
TOKEN_URL = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL
REVOKE_URL = "https://oauth2.googleapis.com/revoke"
DATA_API = "https://youtube.googleapis.com/youtube/v3"
ANALYTICS_API = "https://youtubeanalytics.googleapis.com/v2/reports"

SCOPE_READONLY = "https://www.googleapis.com/auth/youtube.readonly"
SCOPE_ANALYTICS = "https://www.googleapis.com/auth/yt-analytics.readonly"
DEFAULT_SCOPES = (SCOPE_READONLY, SCOPE_ANALYTICS)

PACIFIC = ZoneInfo("America/Los_Angeles")
BATCH = 50
SHORTS_MAX_SECONDS = 180  # Shorts may be up to 3 minutes (since 2024-10)

ANALYTICS_METRICS = (
    "views",
    "estimatedMinutesWatched",
    "averageViewDuration",
    "likes",
    "comments",
    "shares",
    "subscribersGained",
    "subscribersLost",
    "engagedViews",
    "averageViewPercentage",
)
_ANALYTICS_NAMES = {
    "views": "views",
    "estimatedMinutesWatched": "watch_time",  # converted to seconds
    "averageViewDuration": "avg_view_duration",
    "likes": "likes",
    "comments": "comments",
    "shares": "shares",
    "subscribersGained": "followers_gained",
    "subscribersLost": "followers_lost",
    "engagedViews": "engaged_views",
    "averageViewPercentage": "avg_view_pct",
}

_QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
_RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"})
_SCOPE_REASONS = frozenset({"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT", "forbidden"})
_OAUTH_ERRORS: dict[str, type[PlatformError]] = {
    "invalid_grant": AccessRevoked,
    "invalid_token": AccessRevoked,
    "access_denied": AccessRevoked,
    "invalid_scope": ScopeMissing,
    "invalid_client": InvalidRequest,
    "unauthorized_client": InvalidRequest,
    "invalid_request": InvalidRequest,
    "unsupported_grant_type": InvalidRequest,
    "temporarily_unavailable": PlatformUnavailable,
    "server_error": PlatformUnavailable,
}


def next_pacific_midnight(now: datetime | None = None) -> datetime:
    """The next 00:00 America/Los_Angeles after ``now``, as aware UTC (YouTube's quota reset)."""
    current = (now or datetime.now(UTC)).astimezone(PACIFIC)
    tomorrow = current.date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=PACIFIC).astimezone(UTC)


def _reasons(error: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for item in error.get("errors") or []:
        if isinstance(item, Mapping) and item.get("reason"):
            out.append(str(item["reason"]))
    for item in error.get("details") or []:
        if isinstance(item, Mapping) and item.get("reason"):
            out.append(str(item["reason"]))
    return out


def classify_google_error(response: requests.Response, body: Any) -> PlatformError | None:
    """The typed error for a Google API or OAuth answer, or ``None`` on success."""
    status = response.status_code
    error = body.get("error") if isinstance(body, Mapping) else None
    if status < 400 and error is None:
        return None
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if isinstance(error, str):  # OAuth endpoint shape
        message = f"Google OAuth error {error}: {body.get('error_description') or ''}".rstrip(": ")
        cls = _OAUTH_ERRORS.get(error)
        if cls is None and status == 429 or error == "rate_limit_exceeded":
            return RateLimited(message, retry_after=retry_after, platform="youtube", status=status, code=error)
        if cls is None:
            cls = PlatformUnavailable if status >= 500 else InvalidRequest
        return cls(message, platform="youtube", status=status, code=error)
    reasons = _reasons(error) if isinstance(error, Mapping) else []
    api_status = str(error.get("status") or "") if isinstance(error, Mapping) else ""
    detail = str(error.get("message") or "") if isinstance(error, Mapping) else ""
    message = f"Google API HTTP {status} {'/'.join(reasons) or api_status}: {detail}".rstrip(": ")
    code = reasons[0] if reasons else (api_status or None)
    if any(r in _QUOTA_REASONS for r in reasons):
        return QuotaExceeded(message, resets_at=next_pacific_midnight(), platform="youtube", status=status, code=code)
    if any(r in _RATE_REASONS for r in reasons) or status == 429:
        return RateLimited(message, retry_after=retry_after, platform="youtube", status=status, code=code)
    if status == 401 or api_status == "UNAUTHENTICATED":
        return TokenExpired(message, platform="youtube", status=status, code=code)
    if status == 403 and (any(r in _SCOPE_REASONS for r in reasons) or api_status == "PERMISSION_DENIED"):
        return ScopeMissing(message, platform="youtube", status=status, code=code)
    if status >= 500:
        return PlatformUnavailable(message, platform="youtube", status=status, code=code)
    if 400 <= status < 500:
        return InvalidRequest(message, platform="youtube", status=status, code=code)
    return BadResponse(message, platform="youtube", status=status, code=code)


_DURATION_RE = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$")


def parse_iso_duration(value: Any) -> float | None:
    """Seconds in an ISO 8601 duration such as ``PT4M13S`` (``None`` when absent or odd)."""
    if not isinstance(value, str):
        return None
    match = _DURATION_RE.match(value.strip())
    if not match or value.strip() in ("P", "PT"):
        return None
    parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
    return parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]


class YouTubeAdapter(ScopeCheckMixin):
    """A creator's own YouTube channel."""

    name: ClassVar[str] = "youtube"
    rotates_refresh_token: ClassVar[bool] = False
    supports_revoke: ClassVar[bool] = True

    def __init__(
        self,
        http: PlatformHttp,
        *,
        client_id: str,
        client_secret: str,
        scopes: Sequence[str] = DEFAULT_SCOPES,
    ) -> None:
        self._set_up(http, scopes, (client_id, client_secret), "Google client id and secret")
        self.client_id = client_id
        self.client_secret = client_secret
        self.uses_pkce = True

    def __repr__(self) -> str:
        return f"YouTubeAdapter(client_id={self.client_id!r})"

    # ------------------------------------------------------------------ plumbing

    def _token_check(self, response: requests.Response) -> PlatformError | None:
        try:
            body = response.json()
        except ValueError:
            body = None
        if body is None and response.status_code < 400:
            return None  # authlib reports the non-JSON answer; call_token_endpoint types it
        return classify_google_error(response, body if body is not None else {})

    def _get(self, url: str, access_token: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
        response = self.http.request("GET", url, params=params, access_token=access_token)
        body = json_body(response, self.name)
        error = classify_google_error(response, body)
        if error is not None:
            raise error
        if not isinstance(body, Mapping):
            raise BadResponse("answer is not an object", platform=self.name)
        return body

    # ------------------------------------------------------------------ OAuth

    def authorize_url(self, state: str, redirect_uri: str, code_challenge: str | None = None) -> str:
        """Google consent URL: offline access, forced consent, incremental scopes, PKCE S256."""
        if not code_challenge:
            raise ValueError("YouTube adapter uses PKCE: pass a code_challenge")
        oauth = build_oauth_session(self.http, self.client_id)
        url, _ = oauth.create_authorization_url(
            self.http.hosts.url(AUTHORIZE_URL),
            state=state,
            redirect_uri=redirect_uri,
            scope=" ".join(self.scopes),
            access_type="offline",
            prompt="consent",
            include_granted_scopes="true",
            code_challenge=code_challenge,
            code_challenge_method="S256",
        )
        return str(url)

    def _token_set(self, raw: Mapping[str, Any], previous: TokenSet | None = None) -> TokenSet:
        access = raw.get("access_token")
        if not isinstance(access, str) or not access:
            raise BadResponse("token answer without access_token", platform=self.name)
        now = datetime.now(UTC)
        expires_in = to_int(raw.get("expires_in"))
        new_refresh = raw.get("refresh_token") if isinstance(raw.get("refresh_token"), str) else None
        scopes = parse_scopes(raw.get("scope"))
        if not scopes and previous is not None:
            scopes = previous.scopes
        return TokenSet(
            access_token=access,
            # Google does not rotate: keep the stored refresh token when the answer has none (O8)
            refresh_token=new_refresh or (previous.refresh_token if previous else None),
            expires_at=now + timedelta(seconds=expires_in) if expires_in else None,
            refresh_expires_at=previous.refresh_expires_at if previous else None,
            scopes=scopes,
            platform_user_id=previous.platform_user_id if previous else None,
            token_type=str(raw.get("token_type") or "bearer"),
            issued_at=now,
        )

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str | None = None) -> TokenSet:
        """Code (+ PKCE verifier) -> access token and refresh token. ``platform_user_id`` comes later
        from :meth:`fetch_profile` (the channel id)."""
        code = code.strip()
        if not code:
            raise InvalidRequest("empty authorization code", platform=self.name)
        if not code_verifier:
            raise ValueError("YouTube adapter uses PKCE: pass the code_verifier")
        oauth = build_oauth_session(self.http, self.client_id, self.client_secret, check=self._token_check)
        try:
            raw = call_token_endpoint(
                self.name,
                lambda: oauth.fetch_token(
                    self.http.hosts.url(TOKEN_URL),
                    grant_type="authorization_code",
                    code=code,
                    redirect_uri=redirect_uri,
                    code_verifier=code_verifier,
                ),
            )
        except AccessRevoked as exc:
            raise InvalidRequest(
                f"authorization code rejected: {exc.message}",
                platform=self.name,
                status=exc.status,
                code=exc.code,
            ) from None
        return self._token_set(raw)

    def can_refresh(self, token_set: TokenSet, now: datetime | None = None) -> bool:
        """Whether a refresh token is stored."""
        return bool(token_set.refresh_token)

    def refresh(self, token_set: TokenSet) -> TokenSet:
        """A new access token; the refresh token is kept unless Google returns a new one.

        :raises AccessRevoked: ``invalid_grant`` (revoked, unused 6 months, testing-mode 7 days).
        """
        if not token_set.refresh_token:
            raise AccessRevoked("no refresh token stored", platform=self.name)
        oauth = build_oauth_session(self.http, self.client_id, self.client_secret, check=self._token_check)
        refresh_token = token_set.refresh_token
        raw = call_token_endpoint(
            self.name,
            lambda: oauth.refresh_token(self.http.hosts.url(TOKEN_URL), refresh_token=refresh_token),
        )
        return self._token_set(raw, previous=token_set)

    def revoke(self, token_set: TokenSet) -> None:
        """``POST /revoke`` with the refresh token (revokes its access tokens too); dead tokens are fine."""
        token = token_set.refresh_token or token_set.access_token
        response = self.http.request(
            "POST",
            REVOKE_URL,
            data={"token": token},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if response.status_code < 400:
            return
        try:
            body = response.json()
        except ValueError:
            body = {}
        error = classify_google_error(response, body)
        if isinstance(error, AccessRevoked | InvalidRequest) and response.status_code == 400:
            return  # invalid_token: already revoked or expired
        if error is not None:
            raise error
        return

    # ------------------------------------------------------------------ data

    def fetch_profile(self, access_token: str) -> Profile:
        """``channels?part=snippet,statistics,contentDetails&mine=true`` (1 unit)."""
        body = self._get(
            f"{DATA_API}/channels",
            access_token,
            {"part": "snippet,statistics,contentDetails", "mine": "true"},
        )
        items = body.get("items")
        if not isinstance(items, list) or not items or not isinstance(items[0], Mapping):
            raise BadResponse("no channel for this account", platform=self.name)
        channel = items[0]
        snippet = as_mapping(channel.get("snippet"))
        stats = as_mapping(channel.get("statistics"))
        details = as_mapping(channel.get("contentDetails"))
        playlists = as_mapping(details.get("relatedPlaylists"))
        thumbnails = as_mapping(snippet.get("thumbnails"))
        avatar = None
        for size in ("high", "medium", "default"):
            thumb = thumbnails.get(size)
            if isinstance(thumb, Mapping) and thumb.get("url"):
                avatar = str(thumb["url"])
                break
        hidden = bool(stats.get("hiddenSubscriberCount"))
        custom_url = snippet.get("customUrl")
        extras: dict[str, Any] = {"hidden_subscriber_count": hidden}
        if playlists.get("uploads"):
            extras["uploads_playlist_id"] = str(playlists["uploads"])
        return Profile(
            platform_user_id=str(channel.get("id")),
            username=str(custom_url).lstrip("@") if custom_url else None,
            display_name=snippet.get("title"),
            avatar_url=avatar,
            followers=None if hidden else to_int(stats.get("subscriberCount")),
            media_count=to_int(stats.get("videoCount")),
            total_views=to_int(stats.get("viewCount")),
            account_type="channel",
            extras=extras,
        )

    def _uploads_playlist(self, access_token: str, profile: Profile | None) -> str:
        playlist = profile.extras.get("uploads_playlist_id") if profile is not None else None
        if not playlist:
            playlist = self.fetch_profile(access_token).extras.get("uploads_playlist_id")
        if not playlist:
            raise BadResponse("channel has no uploads playlist", platform=self.name)
        return str(playlist)

    def _video_ids(
        self,
        access_token: str,
        playlist: str,
        since: datetime | None,
        max_items: int | None,
        expected_new: int | None = None,
    ) -> list[str]:
        guard = PageGuard(self.name)
        ids: list[str] = []
        params: dict[str, Any] = {"part": "contentDetails", "playlistId": playlist, "maxResults": BATCH}
        while True:
            body = self._get(f"{DATA_API}/playlistItems", access_token, params)
            reached_window_end = False
            for raw in body.get("items") or []:
                details = raw.get("contentDetails") if isinstance(raw, Mapping) else None
                if not isinstance(details, Mapping) or not details.get("videoId"):
                    continue
                published = details.get("videoPublishedAt")
                if (
                    since is not None
                    and published is not None
                    and aware_utc(published, self.name, "videoPublishedAt") < since
                ):
                    reached_window_end = True
                    continue
                ids.append(str(details["videoId"]))
            ids = list(dict.fromkeys(ids))
            if reached_window_end or (max_items is not None and len(ids) >= max_items):
                break
            if expected_new is not None and len(ids) >= expected_new:
                break  # as many uploads as the channel's videoCount grew by: no page to pay for
            token = body.get("nextPageToken")
            if not guard.next_allowed(token if isinstance(token, str) else None):
                break
            params = {**params, "pageToken": token}
        return ids[:max_items] if max_items is not None else ids

    def _videos(self, access_token: str, ids: Sequence[str]) -> list[ContentItem]:
        items: list[ContentItem] = []
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            body = self._get(
                f"{DATA_API}/videos",
                access_token,
                {"part": "snippet,statistics,contentDetails", "id": ",".join(batch), "maxResults": BATCH},
            )
            for raw in body.get("items") or []:
                if isinstance(raw, Mapping) and raw.get("id"):
                    items.append(self._video_item(raw))
        order = {vid: i for i, vid in enumerate(ids)}
        items.sort(key=lambda item: order.get(item.platform_id, len(order)))
        return items

    def _video_item(self, raw: Mapping[str, Any]) -> ContentItem:
        snippet = as_mapping(raw.get("snippet"))
        stats = as_mapping(raw.get("statistics"))
        details = as_mapping(raw.get("contentDetails"))
        title = snippet.get("title") if isinstance(snippet.get("title"), str) else None
        description = snippet.get("description") if isinstance(snippet.get("description"), str) else None
        duration = parse_iso_duration(details.get("duration"))
        raw_tags = snippet.get("tags")
        tags: list[Any] = raw_tags if isinstance(raw_tags, list) else []
        hashtags = extract_hashtags(title, description)
        shorts_tagged = "shorts" in hashtags or any(str(t).lower() in ("shorts", "#shorts") for t in tags)
        kind: ContentKind = "video"
        if duration is not None and (duration <= 60 or (duration <= SHORTS_MAX_SECONDS and shorts_tagged)):
            kind = "short"
        metrics: dict[str, float] = {}
        for field_name, metric in (
            ("viewCount", "views"),
            ("likeCount", "likes"),
            ("commentCount", "comments"),
        ):
            value = to_int(stats.get(field_name))
            if value is not None:
                metrics[metric] = value
        thumbnails = as_mapping(snippet.get("thumbnails"))
        thumb = None
        for size in ("maxres", "high", "medium", "default"):
            entry = thumbnails.get(size)
            if isinstance(entry, Mapping) and entry.get("url"):
                thumb = str(entry["url"])
                break
        video_id = str(raw["id"])
        return ContentItem(
            platform_id=video_id,
            kind=kind,
            published_at=aware_utc(snippet.get("publishedAt"), self.name, "publishedAt"),
            caption=description,
            title=title,
            permalink=f"https://www.youtube.com/{'shorts/' if kind == 'short' else 'watch?v='}{video_id}",
            thumbnail_url=thumb,
            duration_seconds=duration,
            hashtags=hashtags,
            metrics=metrics,
            extras={"tags": [str(t) for t in tags], "category_id": snippet.get("categoryId")},
        )

    def fetch_content(
        self,
        access_token: str,
        since: datetime | None = None,
        *,
        max_items: int | None = None,
        profile: Profile | None = None,
    ) -> list[ContentItem]:
        """Uploads playlist pages (newest first) to the window, then ``videos`` in batches of 50."""
        playlist = self._uploads_playlist(access_token, profile)
        ids = self._video_ids(access_token, playlist, since, max_items)
        items = self._videos(access_token, ids)
        if since is not None:
            items = [item for item in items if item.published_at >= since]
        return dedupe(items)

    def upload_ids(
        self,
        access_token: str,
        profile: Profile | None,
        since: datetime | None,
        max_items: int | None = None,
        expected_new: int | None = None,
    ) -> list[str]:
        """Ids from the uploads playlist, newest first, down to ``since`` (1 unit per page of 50).

        ``expected_new``: how many uploads are new (the growth of ``videoCount`` since the last sync);
        paging stops once that many are in hand, so 50 new videos cost one page, not two.

        With :meth:`videos` this lets the sync engine put new uploads and older videos due for fresh
        numbers into the same ``videos`` batch of 50 (one unit for both).
        """
        return self._video_ids(
            access_token, self._uploads_playlist(access_token, profile), since, max_items, expected_new
        )

    def videos(self, access_token: str, ids: Sequence[str]) -> list[ContentItem]:
        """Full items (snippet, statistics, contentDetails) in batches of 50 ids (1 unit per batch)."""
        return dedupe(self._videos(access_token, list(dict.fromkeys(ids))))

    def fetch_content_metrics(self, access_token: str, items: Sequence[ContentItem]) -> dict[str, Mapping[str, float]]:
        """``videos?part=statistics`` in batches of 50 (1 unit each); deleted/private videos are absent."""
        ids = list(dict.fromkeys(item.platform_id for item in items))
        out: dict[str, Mapping[str, float]] = {}
        for start in range(0, len(ids), BATCH):
            body = self._get(
                f"{DATA_API}/videos",
                access_token,
                {"part": "statistics", "id": ",".join(ids[start : start + BATCH]), "maxResults": BATCH},
            )
            for raw in body.get("items") or []:
                if not isinstance(raw, Mapping) or not raw.get("id"):
                    continue
                stats = as_mapping(raw.get("statistics"))
                metrics: dict[str, float] = {}
                for field_name, metric in (
                    ("viewCount", "views"),
                    ("likeCount", "likes"),
                    ("commentCount", "comments"),
                ):
                    value = to_int(stats.get(field_name))
                    if value is not None:
                        metrics[metric] = value
                out[str(raw["id"])] = metrics
        return out

    def fetch_account_insights(
        self, access_token: str, since: date, until: date, *, profile: Profile | None = None
    ) -> list[DailyInsight]:
        """Analytics ``reports`` with ``dimensions=day`` (the API leaves out days not yet complete)."""
        if until < since:
            return []
        body = report_without_unknown(
            lambda params: self._get(ANALYTICS_API, access_token, params),
            {
                "ids": "channel==MINE",
                "startDate": since.isoformat(),
                "endDate": until.isoformat(),
                "metrics": ",".join(ANALYTICS_METRICS),
                "dimensions": "day",
                "sort": "day",
            },
        )
        headers = body.get("columnHeaders")
        if not isinstance(headers, list):
            raise BadResponse("analytics answer without columnHeaders", platform=self.name)
        names = [str(h.get("name")) if isinstance(h, Mapping) else "" for h in headers]
        if "day" not in names:
            raise BadResponse("analytics answer without a day column", platform=self.name)
        day_index = names.index("day")
        out: list[DailyInsight] = []
        for row in body.get("rows") or []:
            if not isinstance(row, list) or len(row) != len(names):
                continue
            try:
                day = date.fromisoformat(str(row[day_index]))
            except ValueError:
                continue
            metrics: dict[str, float] = {}
            for name, value in zip(names, row, strict=True):
                if name == "day" or isinstance(value, bool) or not isinstance(value, int | float):
                    continue
                key = _ANALYTICS_NAMES.get(name, name)
                metrics[key] = value * 60 if name == "estimatedMinutesWatched" else value
            out.append(DailyInsight(day=day, metrics=metrics))
        return out
