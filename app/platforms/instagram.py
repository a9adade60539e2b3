"""Instagram API with Instagram Login (``graph.instagram.com``), per ``shared/reference/platforms.md`` §2.

OAuth: authorize at ``www.instagram.com/oauth/authorize`` (comma scopes, no PKCE); code -> 1-hour token at
``api.instagram.com/oauth/access_token`` (flat or ``{"data": [...]}`` answer); short -> 60-day token at
``graph.instagram.com/access_token`` (``ig_exchange_token``); refresh with ``ig_refresh_token`` once the
token is 24 h old. There is no refresh token: the long-lived token is itself refreshed. No revoke
endpoint is documented for Instagram-Login tokens; revocation arrives by the deauthorize callback.

The token endpoints take the token in the query string as documented (their URLs are scrubbed in every
error); data calls send it in the ``Authorization: Bearer`` header instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar

import requests

from app.platforms.base import (
    ContentItem,
    ContentKind,
    DailyInsight,
    PageGuard,
    Profile,
    TokenSet,
    as_mapping,
    aware_utc,
    dedupe,
    extract_hashtags,
    parse_scopes,
    to_int,
)
from app.platforms.errors import (
    BadResponse,
    InvalidMetric,
    InvalidRequest,
    PlatformError,
    PlatformUnavailable,
    RateLimited,
)
from app.platforms.http import parse_retry_after
from app.platforms.meta import MetaGraphAdapter, classify_meta_error
from app.platforms.oauth import build_oauth_session, call_token_endpoint

__all__ = ["DEPRECATED_METRICS", "MEDIA_METRICS", "InstagramAdapter"]

log = logging.getLogger(__name__)

AUTHORIZE_URL = "https://www.instagram.com/oauth/authorize"
SHORT_TOKEN_URL = "https://api.instagram.com/oauth/access_token"  # noqa: S105 - a URL
GRAPH = "https://graph.instagram.com"

DEFAULT_SCOPES = ("instagram_business_basic", "instagram_business_manage_insights")

PROFILE_FIELDS = "user_id,username,name,account_type,profile_picture_url,followers_count,follows_count,media_count"
MEDIA_FIELDS = (
    "id,caption,media_type,media_product_type,permalink,timestamp,like_count,comments_count,thumbnail_url,media_url"
)

#: metrics removed by Meta; never requested (a test checks every request list against this)
DEPRECATED_METRICS = frozenset(
    {
        "impressions",
        "plays",
        "video_views",
        "clips_replays_count",
        "ig_reels_aggregated_all_plays_count",
        "engagement",
        "exits",
        "taps_forward",
        "taps_back",
        "carousel_album_impressions",
        "carousel_album_reach",
        "carousel_album_engagement",
        "carousel_album_saved",
        "carousel_album_video_views",
        "profile_views",
        "website_clicks",
        "reached_audience_demographics",
    }
)

#: current per-media metrics by ``media_product_type`` (a breakdown metric is never mixed in)
MEDIA_METRICS: dict[str, tuple[str, ...]] = {
    "FEED": ("views", "reach", "likes", "comments", "saved", "shares", "reposts", "total_interactions"),
    "REELS": (
        "views",
        "reach",
        "likes",
        "comments",
        "saved",
        "shares",
        "reposts",
        "total_interactions",
        "ig_reels_avg_watch_time",
        "ig_reels_video_view_total_time",
    ),
    "STORY": ("views", "reach", "shares", "reposts", "total_interactions", "replies"),
}

#: account insights: one time_series call, and one total_value call per day (no breakdowns)
ACCOUNT_SERIES_METRICS = ("reach", "follower_count")
ACCOUNT_TOTAL_METRICS = (
    "views",
    "accounts_engaged",
    "total_interactions",
    "likes",
    "comments",
    "shares",
    "saves",
    "replies",
    "reposts",
    "profile_links_taps",  # absent (not 0) when the account has no contact buttons
)

# Graph metric name -> normalised name (docs/platforms.md); values in ms become seconds.
_METRIC_NAMES = {
    "saved": "saves",
    "follower_count": "new_followers",
    "profile_links_taps": "link_taps",
    "ig_reels_avg_watch_time": "avg_view_duration",
    "ig_reels_video_view_total_time": "watch_time",
}
_MS_METRICS = frozenset({"ig_reels_avg_watch_time", "ig_reels_video_view_total_time"})

MIN_REFRESH_AGE = timedelta(hours=24)
MAX_INSIGHT_DAYS = 30  # Meta refuses more than 30 days between since and until
META_DAY_END = timedelta(hours=7)  # end_time of day D is D+1 07:00 UTC
PAGE_SIZE = 50


def _normalise_metric(name: str, value: Any) -> tuple[str, float] | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if name in _MS_METRICS:
        value = value / 1000.0
    return _METRIC_NAMES.get(name, name), value


def _meta_window(first: date, last: date) -> tuple[int, int]:
    """Unix ``since``/``until`` selecting Meta's daily points for ``first``..``last`` inclusive."""
    since = datetime.combine(first, time(0), tzinfo=UTC) + META_DAY_END
    until = datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC) + META_DAY_END
    return int(since.timestamp()), int(until.timestamp())


def strip_code(code: str) -> str:
    """Instagram appends ``#_`` to the redirect; strip it (and surrounding whitespace) from the code."""
    code = code.strip()
    while code.endswith("#_"):
        code = code[:-2]
    return code.rstrip("#")


class InstagramAdapter(MetaGraphAdapter):
    """Instagram professional accounts through Instagram Login (no Facebook Page needed)."""

    name: ClassVar[str] = "instagram"
    credentials_label: ClassVar[str] = "Instagram client id and secret"
    default_scopes: ClassVar[tuple[str, ...]] = DEFAULT_SCOPES

    # ------------------------------------------------------------------ errors

    def _token_check(self, response: requests.Response) -> PlatformError | None:
        """Classify a token-endpoint answer (Graph envelope, or the older ``error_type`` shape)."""
        try:
            body = response.json()
        except ValueError:
            return None if response.status_code < 400 else classify_meta_error(response, None, platform=self.name)
        if isinstance(body, Mapping) and ("error_type" in body or "error_message" in body):
            # the api.instagram.com shape: {"error_type": "OAuthException", "code": 400, "error_message": ...}
            status = response.status_code
            message = f"{body.get('error_type', 'error')}: {body.get('error_message', '')}"
            code = to_int(body.get("code"))
            if status == 429:
                return RateLimited(
                    message,
                    retry_after=parse_retry_after(response.headers.get("Retry-After")),
                    platform=self.name,
                    status=status,
                    code=code,
                )
            if status >= 500:
                return PlatformUnavailable(message, platform=self.name, status=status, code=code)
            return InvalidRequest(message, platform=self.name, status=status, code=code)
        return classify_meta_error(response, body, platform=self.name)

    def _graph(
        self,
        path: str,
        access_token: str,
        params: Mapping[str, Any] | None = None,
        requested_metrics: Sequence[str] = (),
    ) -> Any:
        response = self.http.request(
            "GET", f"{GRAPH}/{self.api_version}/{path.lstrip('/')}", params=params, access_token=access_token
        )
        return self._check(response, requested_metrics)

    # ------------------------------------------------------------------ OAuth

    def authorize_url(self, state: str, redirect_uri: str, code_challenge: str | None = None) -> str:
        """The consent URL (Instagram Login takes no PKCE; a challenge is ignored)."""
        oauth = build_oauth_session(self.http, self.client_id)
        url, _ = oauth.create_authorization_url(
            self.http.hosts.url(AUTHORIZE_URL),
            state=state,
            redirect_uri=redirect_uri,
            scope=",".join(self.scopes),
        )
        return str(url)

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str | None = None) -> TokenSet:
        """Code -> short-lived token -> long-lived (60-day) token."""
        code = strip_code(code)
        if not code:
            raise InvalidRequest("empty authorization code", platform=self.name)
        oauth = build_oauth_session(self.http, self.client_id, self.client_secret, check=self._token_check)
        raw = call_token_endpoint(
            self.name,
            lambda: oauth.fetch_token(
                self.http.hosts.url(SHORT_TOKEN_URL),
                grant_type="authorization_code",
                code=code,
                redirect_uri=redirect_uri,
            ),
        )
        data = raw.get("data")
        if isinstance(data, list) and data and isinstance(data[0], Mapping):
            raw = dict(data[0])
        short_token = raw.get("access_token")
        if not isinstance(short_token, str) or not short_token:
            raise BadResponse("token answer without access_token", platform=self.name)
        user_id = raw.get("user_id")
        scopes = parse_scopes(raw.get("permissions") or raw.get("scope"))

        response = self.http.request(
            "GET",
            f"{GRAPH}/access_token",
            params={
                "grant_type": "ig_exchange_token",
                "client_secret": self.client_secret,
                "access_token": short_token,
            },
        )
        long_lived = self._check(response)
        return self._token_set(long_lived, scopes=scopes, user_id=user_id)

    def _token_set(
        self, body: Any, *, scopes: frozenset[str], user_id: Any, issued_at: datetime | None = None
    ) -> TokenSet:
        if not isinstance(body, Mapping) or not isinstance(body.get("access_token"), str):
            raise BadResponse("token answer without access_token", platform=self.name)
        now = issued_at or datetime.now(UTC)
        expires_in = to_int(body.get("expires_in"))
        return TokenSet(
            access_token=body["access_token"],
            refresh_token=None,
            expires_at=now + timedelta(seconds=expires_in) if expires_in else None,
            refresh_expires_at=None,
            scopes=scopes,
            platform_user_id=str(user_id) if user_id is not None else None,
            token_type=str(body.get("token_type") or "bearer"),
            issued_at=now,
        )

    def can_refresh(self, token_set: TokenSet, now: datetime | None = None) -> bool:
        """Only a token at least 24 h old and not yet expired can be refreshed."""
        current = now or datetime.now(UTC)
        if current - token_set.issued_at < MIN_REFRESH_AGE:
            return False
        return token_set.expires_at is None or token_set.expires_at > current

    def refresh(self, token_set: TokenSet) -> TokenSet:
        """A new 60-day token; a token younger than 24 h is returned unchanged (no call is made).

        :raises TokenExpired: the token already expired; the user must connect again.
        """
        now = datetime.now(UTC)
        if now - token_set.issued_at < MIN_REFRESH_AGE:
            log.debug("instagram token younger than 24 h: refresh skipped")
            return token_set
        response = self.http.request(
            "GET",
            f"{GRAPH}/refresh_access_token",
            params={"grant_type": "ig_refresh_token", "access_token": token_set.access_token},
        )
        body = self._check(response)
        return self._token_set(body, scopes=token_set.scopes, user_id=token_set.platform_user_id, issued_at=now)

    def revoke(self, token_set: TokenSet) -> None:
        """No revoke endpoint exists for Instagram-Login tokens: a no-op (the caller deletes the token)."""
        return

    # ------------------------------------------------------------------ data

    def fetch_profile(self, access_token: str) -> Profile:
        """``GET /{v}/me`` with the profile and count fields."""
        body = self._graph("me", access_token, {"fields": PROFILE_FIELDS})
        if not isinstance(body, Mapping):
            raise BadResponse("profile answer is not an object", platform=self.name)
        user_id = body.get("user_id") or body.get("id")
        if user_id is None:
            raise BadResponse("profile answer without user_id", platform=self.name)
        return Profile(
            platform_user_id=str(user_id),
            username=body.get("username"),
            display_name=body.get("name"),
            avatar_url=body.get("profile_picture_url"),
            followers=to_int(body.get("followers_count")),
            following=to_int(body.get("follows_count")),
            media_count=to_int(body.get("media_count")),
            account_type=body.get("account_type"),
            extras={"app_scoped_id": str(body["id"])} if body.get("id") is not None else {},
        )

    def _media_item(self, raw: Mapping[str, Any]) -> ContentItem:
        media_type = str(raw.get("media_type") or "").upper()
        product = str(raw.get("media_product_type") or "").upper()
        kind: ContentKind
        if product == "STORY":
            kind = "story"
        elif product == "REELS":
            kind = "reel"
        elif media_type == "CAROUSEL_ALBUM":
            kind = "carousel"
        elif media_type == "VIDEO":
            kind = "video"
        else:
            kind = "image"
        caption = raw.get("caption") if isinstance(raw.get("caption"), str) else None
        metrics: dict[str, float] = {}
        for field_name, metric in (("like_count", "likes"), ("comments_count", "comments")):
            value = to_int(raw.get(field_name))
            if value is not None:
                metrics[metric] = value
        for field_name, metric in (
            ("view_count", "views"),
            ("saved_count", "saves"),
            ("shares_count", "shares"),
            ("reposts_count", "reposts"),
        ):
            value = to_int(raw.get(field_name))
            if value is not None:
                metrics[metric] = value
        return ContentItem(
            platform_id=str(raw["id"]),
            kind=kind,
            published_at=aware_utc(raw.get("timestamp"), self.name, "media timestamp"),
            caption=caption,
            permalink=raw.get("permalink"),
            thumbnail_url=raw.get("thumbnail_url") or (raw.get("media_url") if kind == "image" else None),
            hashtags=extract_hashtags(caption),
            metrics=metrics,
            extras={"media_type": media_type, "media_product_type": product or "FEED"},
        )

    def _media_pages(self, access_token: str) -> Iterator[list[Mapping[str, Any]]]:
        guard = PageGuard(self.name)
        params: dict[str, Any] = {"fields": MEDIA_FIELDS, "limit": PAGE_SIZE}
        while True:
            body = self._graph("me/media", access_token, params)
            if not isinstance(body, Mapping) or not isinstance(body.get("data", []), list):
                raise BadResponse("media answer has no data list", platform=self.name)
            yield [m for m in body.get("data", []) if isinstance(m, Mapping) and m.get("id") is not None]
            paging = as_mapping(body.get("paging"))
            cursors = as_mapping(paging.get("cursors"))
            after = cursors.get("after")
            # Meta omits ``next`` on the last page; the ``after`` cursor alone does not mean more.
            # We never follow the ``next`` URL itself: it carries the token and a host we did not choose.
            if not paging.get("next") or not guard.next_allowed(after):
                return
            params = {"fields": MEDIA_FIELDS, "limit": PAGE_SIZE, "after": after}

    def fetch_content(
        self,
        access_token: str,
        since: datetime | None = None,
        *,
        max_items: int | None = None,
        profile: Profile | None = None,
    ) -> list[ContentItem]:
        """``/me/media`` newest first, cursor paging until ``since`` is passed or the list ends."""
        items: list[ContentItem] = []
        for page in self._media_pages(access_token):
            reached_window_end = False
            for raw in page:
                item = self._media_item(raw)
                if since is not None and item.published_at < since:
                    reached_window_end = True
                    continue
                items.append(item)
            items = dedupe(items)
            if reached_window_end or (max_items is not None and len(items) >= max_items):
                break
        return items[:max_items] if max_items is not None else items

    def _insights(
        self, path: str, access_token: str, metrics: Sequence[str], extra: Mapping[str, Any] | None = None
    ) -> list[Mapping[str, Any]]:
        """``GET <path>/insights``; an invalid metric (code 100) is dropped and the call repeated.

        When Meta's message does not say which metric is wrong, the metrics are requested one by one and
        the failing ones are left out. Returns the ``data`` entries.
        """
        wanted = [m for m in metrics if m not in DEPRECATED_METRICS]
        for _ in range(len(wanted) + 1):
            if not wanted:
                return []
            params = {"metric": ",".join(wanted), **(extra or {})}
            try:
                body = self._graph(f"{path}/insights", access_token, params, requested_metrics=wanted)
            except InvalidMetric as exc:
                if exc.metrics:
                    log.info("instagram: dropping invalid metrics %s", sorted(exc.metrics))
                    wanted = [m for m in wanted if m not in exc.metrics]
                    continue
                if len(wanted) == 1:
                    return []
                return self._insights_one_by_one(path, access_token, wanted, extra)
            data = body.get("data") if isinstance(body, Mapping) else None
            if not isinstance(data, list):
                raise BadResponse("insights answer has no data list", platform=self.name)
            return [d for d in data if isinstance(d, Mapping)]
        return []

    def _insights_one_by_one(
        self, path: str, access_token: str, metrics: Sequence[str], extra: Mapping[str, Any] | None
    ) -> list[Mapping[str, Any]]:
        out: list[Mapping[str, Any]] = []
        for metric in metrics:
            try:
                body = self._graph(
                    f"{path}/insights",
                    access_token,
                    {"metric": metric, **(extra or {})},
                    requested_metrics=[metric],
                )
            except InvalidMetric:
                log.info("instagram: dropping invalid metric %s", metric)
                continue
            data = body.get("data") if isinstance(body, Mapping) else None
            if isinstance(data, list):
                out.extend(d for d in data if isinstance(d, Mapping))
        return out

    def fetch_content_metrics(self, access_token: str, items: Sequence[ContentItem]) -> dict[str, Mapping[str, float]]:
        """Per-media insights, with the metric list of each item's ``media_product_type``."""
        out: dict[str, Mapping[str, float]] = {}
        for item in items:
            product = str(item.extras.get("media_product_type") or ("REELS" if item.kind == "reel" else "FEED"))
            metric_list = MEDIA_METRICS.get(product, MEDIA_METRICS["FEED"])
            try:
                entries = self._insights(item.platform_id, access_token, metric_list)
            except PlatformError as exc:
                # (#10) on a story with < 5 viewers, or a media that vanished: no numbers, not a failure
                if exc.code in (10,) and item.kind == "story":
                    continue
                raise
            metrics: dict[str, float] = dict(item.metrics)
            for entry in entries:
                values = entry.get("values")
                value: Any = None
                if isinstance(values, list) and values and isinstance(values[0], Mapping):
                    value = values[0].get("value")
                elif isinstance(entry.get("total_value"), Mapping):
                    value = entry["total_value"].get("value")
                normalised = _normalise_metric(str(entry.get("name")), value)
                if normalised is not None:
                    metrics[normalised[0]] = normalised[1]
            out[item.platform_id] = metrics
        return out

    def fetch_account_insights(
        self, access_token: str, since: date, until: date, *, profile: Profile | None = None
    ) -> list[DailyInsight]:
        """Daily account metrics for the days ``since``..``until`` inclusive.

        Meta's day D ends at ``D+1T07:00:00+0000`` (its ``end_time``), and ``since``/``until`` select the
        points whose ``end_time`` lies in ``(since, until]``; so day D is asked for with
        ``since = D 07:00Z`` and ``until = D+1 07:00Z``. Both are always sent: without them Meta returns
        about two points. The cost is one ``time_series`` call (``reach``, ``follower_count``) per 30
        days, plus one ``total_value`` call per day (no breakdowns). Days Meta has not finished yet are
        absent.
        """
        if until < since:
            return []
        days: dict[date, dict[str, float]] = {}
        chunk_start = since
        while chunk_start <= until:
            chunk_end = min(until, chunk_start + timedelta(days=MAX_INSIGHT_DAYS - 1))
            since_ts, until_ts = _meta_window(chunk_start, chunk_end)
            series = self._insights(
                "me",
                access_token,
                ACCOUNT_SERIES_METRICS,
                {"period": "day", "metric_type": "time_series", "since": since_ts, "until": until_ts},
            )
            for entry in series:
                name = str(entry.get("name"))
                for point in entry.get("values") or []:
                    if not isinstance(point, Mapping):
                        continue
                    day = self._point_day(point.get("end_time"))
                    normalised = _normalise_metric(name, point.get("value"))
                    if day is not None and since <= day <= until and normalised is not None:
                        days.setdefault(day, {})[normalised[0]] = normalised[1]
            chunk_start = chunk_end + timedelta(days=1)
        for day in sorted(days):
            since_ts, until_ts = _meta_window(day, day)
            totals = self._insights(
                "me",
                access_token,
                ACCOUNT_TOTAL_METRICS,
                {"period": "day", "metric_type": "total_value", "since": since_ts, "until": until_ts},
            )
            for entry in totals:
                total = entry.get("total_value")
                if isinstance(total, Mapping):
                    normalised = _normalise_metric(str(entry.get("name")), total.get("value"))
                    if normalised is not None:
                        days[day].setdefault(normalised[0], normalised[1])
        return [DailyInsight(day=d, metrics=m) for d, m in sorted(days.items())]

    def _point_day(self, end_time: Any) -> date | None:
        """The day a time-series point measures: the day-long period that ends at ``end_time``.

        Meta stamps the day D (the account's day, e.g. Pacific) as ``D+1T07:00:00+0000``; a UTC day ends at
        ``D+1T00:00:00``. Either way the start of the period, one day earlier, falls on D.
        """
        try:
            end = aware_utc(end_time, self.name, "end_time")
        except BadResponse:
            return None
        return (end - timedelta(days=1)).date()
