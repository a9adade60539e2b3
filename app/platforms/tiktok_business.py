"""TikTok API for Business, Accounts API, for a creator's TikTok *business* account
(``shared/reference/platforms-deep-data.md`` §6; much of it secondary evidence, see docs/platforms.md).

A business connection is a ``tiktok`` connection with ``account_type`` :data:`BUSINESS`; it is read with
this adapter instead of the Display API one (``registry.get_adapter(..., account_type=...)``).

* OAuth: the TikTok authorize page with the Business app's id as ``client_key`` (no PKCE); the code is
  traded at ``business-api.tiktok.com/open_api/v1.3/tt_user/oauth2/token/`` (JSON ``client_id,
  client_secret, grant_type, auth_code, redirect_uri``), refreshed at ``.../refresh_token/`` (24 h access,
  1 year refresh, **rotating**: persist the new refresh token first) and revoked at ``.../revoke/``.
* Every call carries ``Access-Token: <token>`` and ``business_id`` (the token's ``open_id``, stored as the
  connection's ``platform_user_id``). The answer is ``{"code", "message", "request_id", "data"}`` with
  **HTTP 200 even on errors**: the ``code`` is classified (:func:`classify_business_error`).
* Comments (``tiktok_comments.py``): ``business/comment/list/``, ``.../reply/list/`` and
  ``POST .../reply/create/`` (scopes ``comment.list`` / ``comment.list.manage``, neither required to connect).
* Reads: ``business/get/`` (profile; ``audience_countries`` and ``audience_genders`` as fractions; daily
  ``metrics`` with ``audience_activity`` by hour) and ``business/video/list/`` (videos with
  ``full_video_watched_rate``, ``average_time_watched``, ``impression_sources``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

import requests

from app.platforms.audience import RawAudience
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

__all__ = ["BUSINESS", "TikTokBusinessAdapter", "classify_business_error"]

#: ``connections.account_type`` of a TikTok connection read through the API for Business
BUSINESS = "business"
AUTHORIZE_URL = "https://www.tiktok.com/v2/auth/authorize/"
API = "https://business-api.tiktok.com/open_api/v1.3"
DEFAULT_SCOPES = (
    "user.info.basic",
    "user.info.stats",
    "user.insights",
    "video.list",
    "video.insights",
    "comment.list",
)
#: asked but not required: a grant without them connects, and the comment step or the replies say what
#: is missing (``comment.list.manage`` is the portal's separate comment grant, docs/comments.md)
OPTIONAL_SCOPES = frozenset({"comment.list", "comment.list.manage"})
PROFILE_FIELDS = (
    "username",
    "display_name",
    "profile_image",
    "is_business_account",
    "followers_count",
    "following_count",
    "total_likes",
    "videos_count",
)
VIDEO_FIELDS = (
    "item_id",
    "create_time",
    "thumbnail_url",
    "share_url",
    "embed_url",
    "caption",
    "video_duration",
    "video_views",
    "likes",
    "comments",
    "shares",
    "reach",
    "full_video_watched_rate",
    "average_time_watched",
    "impression_sources",
    "audience_countries",
)
#: per-video viewer countries kept (the largest shares; the rest are each a few percent at most)
VIDEO_COUNTRIES = 5
MAX_COUNT = 20
#: ``business/get/`` gives at most this many days of ``metrics`` per call (sandbox: 60; unconfirmed)
MAX_DAYS = 60
#: online hours averaged over this many finished days of ``audience_activity``
ONLINE_DAYS = 7
#: daily ``metrics`` field -> stored insight name (docs/metrics.md)
DAILY_METRICS = {
    "video_views": "views",
    "profile_views": "profile_views",
    "likes": "likes",
    "comments": "comments",
    "shares": "shares",
}
GENDERS = {"female": "female", "male": "male"}

# ``code`` -> typed error (40001 parameters, 40100 token, 40105 limits: secondary evidence, unconfirmed)
_CODES: dict[int, type[PlatformError]] = {
    40001: InvalidRequest,
    40002: InvalidRequest,
    40100: TokenExpired,
    40102: ScopeMissing,
    40105: RateLimited,
    50000: PlatformUnavailable,
}


def classify_business_error(response: requests.Response, body: Any) -> PlatformError | None:
    """The typed error of an API for Business answer, or ``None`` on ``code == 0`` (HTTP 200)."""
    status = response.status_code
    code = to_int(body.get("code")) if isinstance(body, Mapping) else None
    if code == 0 and status < 400:
        return None
    message = str(body.get("message") or "")[:200] if isinstance(body, Mapping) else ""
    text = f"TikTok Business error {code if code is not None else 'unknown'}: {message}".rstrip(": ")
    cls = _CODES.get(code) if code is not None else None
    if cls is None:
        if status == 429:
            cls = RateLimited
        elif status >= 500:
            cls = PlatformUnavailable
        elif code is None:
            return BadResponse(f"answer without a code (HTTP {status})", platform="tiktok", status=status)
        else:
            cls = InvalidRequest
    if cls is RateLimited:
        retry = parse_retry_after(response.headers.get("Retry-After"))
        return RateLimited(text, retry_after=retry, platform="tiktok", status=status, code=str(code))
    return cls(text, platform="tiktok", status=status, code=str(code))


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _shares(entries: Any, key: str) -> dict[str, float]:
    """``[{key, percentage}]`` -> name -> percent. Fractions (all <= 1) are scaled to percent; bad
    entries are skipped; names are trimmed to 48 characters."""
    out: dict[str, float] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping):
            continue
        name, value = entry.get(key), _num(entry.get("percentage"))
        if isinstance(name, str) and name.strip() and value is not None and value >= 0:
            out[name.strip()[:48]] = out.get(name.strip()[:48], 0.0) + value
    if out and sum(out.values()) <= 1.0001:
        out = {k: v * 100 for k, v in out.items()}
    return out


class TikTokBusinessAdapter(ScopeCheckMixin):
    """A TikTok business account: profile, videos with insights, daily metrics and the audience."""

    name: ClassVar[str] = "tiktok"
    rotates_refresh_token: ClassVar[bool] = True
    supports_revoke: ClassVar[bool] = True

    def __init__(
        self,
        http: PlatformHttp,
        *,
        app_id: str,
        secret: str,
        scopes: Sequence[str] = DEFAULT_SCOPES,
        business_id: str | None = None,
    ) -> None:
        self._set_up(http, scopes, (app_id, secret), "TikTok Business app id and secret")
        self.required_scopes = frozenset(self.scopes) - OPTIONAL_SCOPES
        self.app_id = app_id
        self.secret = secret
        self.uses_pkce = False
        #: the account every call names; set from the connection, or by the code exchange
        self.business_id = business_id

    def __repr__(self) -> str:
        return f"TikTokBusinessAdapter(app_id={self.app_id!r})"

    # ------------------------------------------------------------------ plumbing

    def _check(self, response: requests.Response) -> Mapping[str, Any]:
        body = json_body(response, self.name)
        error = classify_business_error(response, body)
        if error is not None:
            raise error
        data = body.get("data")
        if not isinstance(data, Mapping):
            raise BadResponse("answer has no data object", platform=self.name)
        return data

    def _get(self, path: str, access_token: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
        if not self.business_id:
            raise InvalidRequest("no business_id for this connection", platform=self.name)
        response = self.http.request(
            "GET",
            f"{API}/{path}",
            params={"business_id": self.business_id, **params},
            headers={"Access-Token": access_token},
        )
        return self._check(response)

    # ------------------------------------------------------------------ OAuth

    def authorize_url(self, state: str, redirect_uri: str, code_challenge: str | None = None) -> str:
        params = {
            "client_key": self.app_id,
            "response_type": "code",
            "scope": ",".join(self.scopes),
            "redirect_uri": redirect_uri,
            "state": state,
        }
        return f"{self.http.hosts.url(AUTHORIZE_URL)}?{urlencode(params)}"

    def _token_call(self, path: str, payload: Mapping[str, str], *, refreshing: bool) -> TokenSet:
        response = self.http.request(
            "POST",
            f"{API}/tt_user/oauth2/{path}/",
            json_body={"client_id": self.app_id, "client_secret": self.secret, **payload},
        )
        try:
            data = self._check(response)
        except TokenExpired as exc:
            if refreshing:  # 40100: a refresh token that is dead, rotated away or revoked: reconnect
                raise AccessRevoked(exc.message, platform=self.name, status=exc.status, code=exc.code) from None
            raise InvalidRequest(f"authorization code rejected: {exc.message}", platform=self.name) from None
        except InvalidRequest as exc:  # 40001: bad parameters or app credentials (never "revoked")
            raise InvalidRequest(f"token call rejected: {exc.message}", platform=self.name) from None
        if not isinstance(data.get("access_token"), str) or not data["access_token"]:
            raise BadResponse("token answer without access_token", platform=self.name)
        now = datetime.now(UTC)
        expires_in, refresh_in = to_int(data.get("expires_in")), to_int(data.get("refresh_token_expires_in"))
        open_id = data.get("open_id") or data.get("creator_id")
        if open_id:
            self.business_id = str(open_id)
        refresh = data.get("refresh_token") if isinstance(data.get("refresh_token"), str) else None
        return TokenSet(
            access_token=data["access_token"],
            refresh_token=refresh or payload.get("refresh_token"),
            expires_at=now + timedelta(seconds=expires_in) if expires_in else None,
            refresh_expires_at=now + timedelta(seconds=refresh_in) if refresh_in else None,
            scopes=parse_scopes(data.get("scope")),
            platform_user_id=self.business_id,
            issued_at=now,
        )

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str | None = None) -> TokenSet:
        if not code.strip():
            raise InvalidRequest("empty authorization code", platform=self.name)
        payload = {"grant_type": "authorization_code", "auth_code": code.strip(), "redirect_uri": redirect_uri}
        return self._token_call("token", payload, refreshing=False)

    def can_refresh(self, token_set: TokenSet, now: datetime | None = None) -> bool:
        if not token_set.refresh_token:
            return False
        return token_set.refresh_expires_at is None or token_set.refresh_expires_at > (now or datetime.now(UTC))

    def refresh(self, token_set: TokenSet) -> TokenSet:
        """Rotate: the returned refresh token replaces the old one, which stops working."""
        if not token_set.refresh_token:
            raise AccessRevoked("no refresh token stored", platform=self.name)
        payload = {"grant_type": "refresh_token", "refresh_token": token_set.refresh_token}
        new = self._token_call("refresh_token", payload, refreshing=True)
        return new if new.scopes else replace(new, scopes=token_set.scopes)

    def revoke(self, token_set: TokenSet) -> None:
        response = self.http.request(
            "POST",
            f"{API}/tt_user/oauth2/revoke/",
            json_body={"client_id": self.app_id, "client_secret": self.secret, "access_token": token_set.access_token},
        )
        try:
            self._check(response)
        except (TokenExpired, InvalidRequest):
            return

    # ------------------------------------------------------------------ data

    def fetch_profile(self, access_token: str) -> Profile:
        """``business/get/`` with the profile fields (one call)."""
        data = self._get("business/get/", access_token, {"fields": json.dumps(list(PROFILE_FIELDS))})
        return Profile(
            platform_user_id=str(self.business_id),
            username=data.get("username") if isinstance(data.get("username"), str) else None,
            display_name=data.get("display_name") if isinstance(data.get("display_name"), str) else None,
            avatar_url=data.get("profile_image") if isinstance(data.get("profile_image"), str) else None,
            followers=to_int(data.get("followers_count")),
            following=to_int(data.get("following_count")),
            media_count=to_int(data.get("videos_count")),
            total_likes=to_int(data.get("total_likes")),
            account_type=BUSINESS,
            extras={"is_business_account": data.get("is_business_account") is True},
        )

    def _video_item(self, raw: Mapping[str, Any]) -> ContentItem:
        caption = raw.get("caption") if isinstance(raw.get("caption"), str) else None
        metrics: dict[str, float] = {}
        for field_name, metric in (
            ("video_views", "views"),
            ("likes", "likes"),
            ("comments", "comments"),
            ("shares", "shares"),
            ("reach", "reach"),
        ):
            value = to_int(raw.get(field_name))
            if value is not None and value >= 0:
                metrics[metric] = value
        rate = _num(raw.get("full_video_watched_rate"))
        if rate is not None and 0 <= rate <= 100:
            metrics["full_watch_pct"] = round(rate * 100 if rate <= 1 else rate, 2)
        avg = _num(raw.get("average_time_watched"))
        if avg is not None and avg >= 0:
            metrics["avg_watch_s"] = round(avg, 2)
        for name, share in _shares(raw.get("impression_sources"), "impression_source").items():
            slug = "".join(c if c.isalnum() else "_" for c in name.lower())[:32]
            metrics[f"source_{slug}"] = round(share, 1)
        countries = _countries(raw.get("audience_countries"))
        for code, share in sorted(countries.items(), key=lambda kv: (-kv[1], kv[0]))[:VIDEO_COUNTRIES]:
            metrics[f"country_{code}"] = round(share, 1)
        duration = _num(raw.get("video_duration"))
        return ContentItem(
            platform_id=str(raw["item_id"]),
            kind="video",
            published_at=aware_utc(raw.get("create_time"), self.name, "create_time"),
            caption=caption,
            permalink=raw.get("share_url") if isinstance(raw.get("share_url"), str) else None,
            thumbnail_url=raw.get("thumbnail_url") if isinstance(raw.get("thumbnail_url"), str) else None,
            duration_seconds=duration,
            hashtags=extract_hashtags(caption),
            metrics=metrics,
            extras={"embed_link": raw["embed_url"]} if isinstance(raw.get("embed_url"), str) else {},
        )

    def _videos(self, access_token: str, params: Mapping[str, Any]) -> tuple[list[ContentItem], Mapping[str, Any]]:
        data = self._get("business/video/list/", access_token, {"fields": json.dumps(list(VIDEO_FIELDS)), **params})
        videos = data.get("videos") or []
        if not isinstance(videos, list):
            raise BadResponse("video list is not a list", platform=self.name)
        items = [self._video_item(v) for v in videos if isinstance(v, Mapping) and v.get("item_id") is not None]
        return items, data

    def fetch_content(
        self,
        access_token: str,
        since: datetime | None = None,
        *,
        max_items: int | None = None,
        profile: Profile | None = None,
    ) -> list[ContentItem]:
        """``business/video/list/`` pages of 20, newest first, until ``has_more`` ends or ``since`` passes."""
        guard = PageGuard(self.name)
        items: list[ContentItem] = []
        cursor: int | None = None
        while True:
            params: dict[str, Any] = {"max_count": MAX_COUNT}
            if cursor is not None:
                params["cursor"] = cursor
            page, data = self._videos(access_token, params)
            ended = False
            for item in page:
                if since is not None and item.published_at < since:
                    ended = True
                    continue
                items.append(item)
            items = dedupe(items)
            if ended or (max_items is not None and len(items) >= max_items):
                break
            next_cursor = to_int(data.get("cursor"))
            if not data.get("has_more") or next_cursor is None or (cursor is not None and next_cursor >= cursor):
                break
            if not guard.next_allowed(next_cursor):
                break
            cursor = next_cursor
        return items[:max_items] if max_items is not None else items

    def fetch_content_metrics(self, access_token: str, items: Sequence[ContentItem]) -> dict[str, Mapping[str, float]]:
        """``business/video/list/`` filtered by ``video_ids``, 20 a call; gone videos are absent."""
        ids = list(dict.fromkeys(item.platform_id for item in items))
        out: dict[str, Mapping[str, float]] = {}
        for start in range(0, len(ids), MAX_COUNT):
            batch = ids[start : start + MAX_COUNT]
            page, _ = self._videos(access_token, {"filters": json.dumps({"video_ids": batch}), "max_count": MAX_COUNT})
            out.update({item.platform_id: dict(item.metrics) for item in page})
        return out

    def _metrics(
        self, access_token: str, since: date, until: date, extra: Sequence[str] = ()
    ) -> tuple[list[Any], Mapping[str, Any]]:
        """``business/get/`` ``metrics`` rows for ``since``..``until`` (one call per 60 days), and the last
        answer's ``data`` (which holds the ``extra`` fields asked with them)."""
        out: list[Any] = []
        data: Mapping[str, Any] = {}
        start = since
        while start <= until:
            end = min(until, start + timedelta(days=MAX_DAYS - 1))
            params = {
                "fields": json.dumps(["metrics", *extra]),
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
            }
            data = self._get("business/get/", access_token, params)
            rows = data.get("metrics") or []
            if not isinstance(rows, list):
                raise BadResponse("metrics is not a list", platform=self.name)
            out.extend(rows)
            start = end + timedelta(days=1)
        return out, data

    def fetch_account_insights(
        self, access_token: str, since: date, until: date, *, profile: Profile | None = None
    ) -> list[DailyInsight]:
        """Daily views, profile views, likes, comments and shares (``DAILY_METRICS``)."""
        days: list[DailyInsight] = []
        rows, _ = self._metrics(access_token, since, until)
        for row in rows:
            day = _day(row)
            if day is None or not since <= day <= until:
                continue
            metrics = {
                name: float(v)
                for key, name in DAILY_METRICS.items()
                if (v := to_int(row.get(key))) is not None and v >= 0
            }
            if metrics:
                days.append(DailyInsight(day, metrics))
        return days

    def audience(self, access_token: str, today: date) -> RawAudience:
        """One ``business/get/`` call: countries and genders (percent), and the followers active by hour
        averaged over the last ``ONLINE_DAYS`` finished days (days without activity left out)."""
        out = RawAudience()
        rows, extra = self._metrics(
            access_token,
            today - timedelta(days=ONLINE_DAYS),
            today - timedelta(days=1),
            extra=("audience_countries", "audience_genders"),
        )
        sums: dict[str, float] = {}
        counted = 0
        for row in rows:
            if not isinstance(row, Mapping):
                continue
            activity = row.get("audience_activity")
            hours = {
                str(hour): n
                for e in (activity if isinstance(activity, list) else [])
                if isinstance(e, Mapping)
                and (hour := to_int(e.get("hour"))) is not None
                and 0 <= hour <= 23
                and (n := _num(e.get("count"))) is not None
                and n >= 0
            }
            if hours:
                counted += 1
                for key, n in hours.items():
                    sums[key] = sums.get(key, 0.0) + n
        if counted:
            out.online_hours = {str(h): sums.get(str(h), 0.0) / counted for h in range(24)}
        countries = _countries(extra.get("audience_countries"))
        if countries:
            out.breakdowns["countries"] = countries
        genders: dict[str, float] = {}
        for name, share in _shares(extra.get("audience_genders"), "gender").items():
            key = GENDERS.get(name.lower(), "other")
            genders[key] = genders.get(key, 0.0) + share
        if genders:
            out.breakdowns["gender"] = genders
        return out


def _countries(entries: Any) -> dict[str, float]:
    """``[{country, percentage}]`` -> ISO code -> percent; a name that is not a two-letter code is dropped."""
    shares = _shares(entries, "country")
    return {k.upper(): v for k, v in shares.items() if len(k) == 2 and k.isascii() and k.isalpha()}


def _day(row: Any) -> date | None:
    if not isinstance(row, Mapping) or not isinstance(row.get("date"), str):
        return None
    try:
        return date.fromisoformat(row["date"][:10])
    except ValueError:
        return None
