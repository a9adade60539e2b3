"""TikTok API for Business, Accounts API (``business-api.tiktok.com/open_api/v1.3/``), for creators who
connect a TikTok *business* account (``platforms-deep-data.md`` §6; much of it is secondary evidence).

* Consent: the Login Kit page (``www.tiktok.com/v2/auth/authorize/``) called with a Business app's
  ``client_key`` (``CLIENTS["tiktok_business"]``) lands here (:func:`consent`). Approving with a
  PERSONAL account redirects with ``error=access_denied&error_reason=not_professional_account``
  (a sandbox choice: what TikTok does then is unconfirmed).
* Tokens: ``POST open_api/v1.3/tt_user/oauth2/token/`` (JSON ``client_id, client_secret, grant_type,
  auth_code, redirect_uri``) and ``.../refresh_token/`` (``refresh_token``; it rotates, the old one is
  superseded), ``.../revoke/``. Lifetimes 24 h / 1 year (``TIKTOK_BUSINESS_ACCESS_TTL`` / ``..._REFRESH_TTL``).
* Data, header ``Access-Token`` and ``business_id`` (the ``open_id``) on every call:
  ``GET business/get/`` (profile, ``audience_countries``, ``audience_genders``, daily ``metrics`` with
  ``audience_activity``) and ``GET business/video/list/`` (per-video numbers, ``impression_sources``,
  ``audience_countries``, ``full_video_watched_rate``, ``average_time_watched``).
* Comments (:mod:`.business_comments`): ``business/comment/list/``, ``business/comment/reply/list/``,
  ``POST business/comment/reply/create/``.
* Envelope ``{"code", "message", "request_id", "data"}`` with **HTTP 200 even on errors**: ``40001``
  parameters, ``40100`` token invalid or expired, ``40102`` scope not granted (sandbox choice),
  ``40105`` rate limit / quota (unconfirmed; HTTP 429 with ``Retry-After`` for the per-minute limit),
  ``50000`` internal error.

The audience is the account's audience truth (``audience.py``): genders and countries as fractions
(``percentage`` 0-1), none below ``TIKTOK_BUSINESS_AUDIENCE_MIN_FOLLOWERS`` followers (unconfirmed).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from flask import Response, request

from ..audience import percentages
from ..common import consent_choice, consent_page, error_page, json_response, pkce_ok, redirect_with, state
from ..state import Token
from ..util import hexchars, unit
from ..world import Account, Post
from .errors import bp

API = "/business-api.tiktok.com/open_api/v1.3"
SCOPES = (
    "user.info.basic",
    "user.info.stats",
    "user.insights",
    "video.list",
    "video.insights",
    "comment.list",
    "comment.list.manage",
)
PROFILE_FIELDS = {
    "username": None,
    "display_name": None,
    "profile_image": None,
    "is_business_account": None,
    "followers_count": "user.info.stats",
    "following_count": "user.info.stats",
    "total_likes": "user.info.stats",
    "videos_count": "user.info.stats",
    "audience_countries": "user.insights",
    "audience_genders": "user.insights",
    "metrics": "user.insights",
}
VIDEO_FIELDS = {
    "item_id": None,
    "create_time": None,
    "thumbnail_url": None,
    "share_url": None,
    "embed_url": None,
    "caption": None,
    "video_duration": None,
    "video_views": None,
    "likes": None,
    "comments": None,
    "shares": None,
    "reach": "video.insights",
    "full_video_watched_rate": "video.insights",
    "total_time_watched": "video.insights",
    "average_time_watched": "video.insights",
    "impression_sources": "video.insights",
    "audience_countries": "video.insights",
}
IMPRESSION_SOURCES = ("For You", "Follow", "Personal Profile", "Search", "Sound", "Hashtag")
GENDER_NAMES = {"female": "Female", "male": "Male", "other": "Other"}
MAX_DAYS = 60
MAX_VIDEOS = 20
ACCOUNT_TYPES = ("PERSONAL", "BUSINESS")


class BusinessError(Exception):
    def __init__(self, code: int, message: str, status: int = 200, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.headers = code, message, status, headers


def envelope(code: int, message: str, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    st = state()
    with st.lock:
        request_id = st.trace_id("tiktok")
    return json_response({"code": code, "message": message, "request_id": request_id, "data": data}, status, headers)


def unknown_path(status: int) -> Response:
    """A path the API for Business does not have, in its own envelope (HTTP 404 / 405 with ``code``
    40001: the code is a sandbox choice, what TikTok answers there is unconfirmed)."""
    return envelope(40001, "The requested path is not supported.", {}, status)


@bp.errorhandler(BusinessError)
def _business_error(err: BusinessError) -> Response:
    return envelope(err.code, err.message, {}, err.status, err.headers)


def fault_response(fault: dict[str, Any], path: str) -> Response:
    """An injected fault in the Business envelope (HTTP 200 but for the per-minute limit and 5xx)."""
    kind = fault["kind"]
    if kind == "malformed":
        return Response('{"code":0,"message":"OK","data":{"videos":[{"item_id":"73', 200, mimetype="application/json")
    retry = {"Retry-After": str(fault["retry_after"])} if fault.get("retry_after") is not None else None
    table: dict[str, tuple[int, str, int]] = {
        "rate_limited": (40105, "Too many requests. Please retry later.", 429),
        "quota_exceeded": (40105, "The daily quota of this API is used up.", 200),
        "server_error": (50000, "Internal error, please retry.", 500),
        "token_expired": (40100, "The access token is invalid or expired.", 200),
        "token_revoked": (40100, "The access token is invalid or expired.", 200),
    }
    code, message, status = table[kind]
    return envelope(code, message, {}, status, retry)


def is_business_client(client_key: str | None) -> bool:
    return state().client("tiktok_business", client_key) is not None


def consent() -> Response:
    """The Login Kit page for a Business app: the same form contract (``account_id``, ``decision``)."""
    st = state()
    args = request.args
    with st.lock:
        client = st.client("tiktok_business", args.get("client_key"))
        assert client is not None
        redirect_uri = args.get("redirect_uri", "")
        if not st.redirect_allowed(client, redirect_uri):
            return error_page("Something went wrong", "redirect_uri: does not match a registered redirect URI.")
        keep = {"state": args["state"]} if "state" in args else {}
        scopes = [s for s in (args.get("scope") or "").split(",") if s]
        bad = [s for s in scopes if s not in SCOPES]
        if args.get("response_type") != "code" or not scopes or bad:
            error = "invalid_scope" if bad or not scopes else "unsupported_response_type"
            return redirect_with(redirect_uri, {"error": error, "error_description": ",".join(bad) or error, **keep})
        if request.method == "GET":
            accounts = [
                {
                    "id": a.id,
                    "username": a.username,
                    "display_name": a.display_name,
                    "note": "Business account" if a.account_type == "BUSINESS" else "Personal account",
                }
                for a in st.platform_accounts("tiktok")
            ]
            return consent_page("Log in to TikTok (Business)", client["client_id"], accounts, scopes)
        denial = {"error": "access_denied", "error_description": "denied", **keep}
        acc = consent_choice("tiktok", redirect_uri, denial, "Something went wrong")
        if isinstance(acc, Response):
            return acc
        if acc.account_type != "BUSINESS":
            return redirect_with(
                redirect_uri,
                {"error": "access_denied", "error_reason": "not_professional_account", **keep},
            )
        challenge = args.get("code_challenge")
        code = st.issue_code(
            "tiktok", acc.id, client["client_id"], redirect_uri, scopes, challenge, "S256" if challenge else None
        )
        st.save()
        return redirect_with(redirect_uri, {"code": code.value, "scopes": ",".join(scopes), **keep})


# --------------------------------------------------------------------------- tokens


def _json() -> dict[str, Any]:
    data = request.get_json(silent=True, force=True) if request.data else None
    if not isinstance(data, dict):
        raise BusinessError(40001, "The request body must be a JSON object.")
    return data


def _client(data: dict[str, Any]) -> dict[str, Any]:
    client = state().client("tiktok_business", data.get("client_id"))
    if client is None or data.get("client_secret") != client["client_secret"]:
        raise BusinessError(40001, "client_id or client_secret is incorrect.")
    return client


def _tokens(acc: Account, client_id: str, scopes: list[str], grant_id: str) -> Response:
    st = state()
    access = st.issue_token(
        "tiktok", "access", acc.id, client_id, scopes, st.cfg["TIKTOK_BUSINESS_ACCESS_TTL"], grant_id
    )
    refresh = st.issue_token(
        "tiktok", "refresh", acc.id, client_id, scopes, st.cfg["TIKTOK_BUSINESS_REFRESH_TTL"], grant_id
    )
    st.save()
    data = {
        "access_token": access.value,
        "token_type": "Bearer",
        "scope": ",".join(scopes),
        "expires_in": int(st.cfg["TIKTOK_BUSINESS_ACCESS_TTL"]),
        "refresh_token": refresh.value,
        "refresh_token_expires_in": int(st.cfg["TIKTOK_BUSINESS_REFRESH_TTL"]),
        "open_id": acc.platform_user_id,
    }
    return envelope(0, "OK", data)


@bp.post(f"{API}/tt_user/oauth2/token/")
def business_token() -> Response:
    st = state()
    with st.lock:
        data = _json()
        client = _client(data)
        if data.get("grant_type") != "authorization_code":
            raise BusinessError(40001, "grant_type must be authorization_code.")
        code = st.codes.get(str(data.get("auth_code") or ""))
        if code is None or code.client_id != client["client_id"] or code.used:
            if code is not None and code.used:
                st.revoke_grant(code.grant_id)
            raise BusinessError(40001, "auth_code is invalid or already used.")
        if (st.now() - code.issued_at).total_seconds() > st.cfg["CODE_TTL"]:
            raise BusinessError(40001, "auth_code is expired.")
        if data.get("redirect_uri") != code.redirect_uri:
            raise BusinessError(40001, "redirect_uri does not match the authorization request.")
        if not pkce_ok(code.code_challenge, code.code_challenge_method, data.get("code_verifier")):
            raise BusinessError(40001, "code_verifier is invalid.")
        code.used = True
        acc = st.accounts.get(code.account_id)
        if acc is None:
            raise BusinessError(40001, "auth_code is invalid or already used.")
        return _tokens(acc, client["client_id"], code.scopes, code.grant_id)


@bp.post(f"{API}/tt_user/oauth2/refresh_token/")
def business_refresh_token() -> Response:
    st = state()
    with st.lock:
        data = _json()
        client = _client(data)
        if data.get("grant_type", "refresh_token") != "refresh_token":
            raise BusinessError(40001, "grant_type must be refresh_token.")
        old = st.tokens.get(str(data.get("refresh_token") or ""))
        if old is None or old.kind != "refresh" or old.client_id != client["client_id"] or st.token_status(old) != "ok":
            raise BusinessError(40100, "The refresh token is invalid or expired.")
        old.superseded = True
        return _tokens(st.accounts[old.account_id], old.client_id, old.scopes, old.grant_id)


@bp.post(f"{API}/tt_user/oauth2/revoke/")
def business_revoke() -> Response:
    st = state()
    with st.lock:
        data = _json()
        client = _client(data)
        tok = st.tokens.get(str(data.get("access_token") or ""))
        if tok is None or tok.client_id != client["client_id"]:
            raise BusinessError(40001, "access_token is invalid.")
        st.revoke_grant(tok.grant_id)
        st.save()
        return envelope(0, "OK", {})


# --------------------------------------------------------------------------- data


def _auth(endpoint: str, business_id: Any = None) -> tuple[Token, Account]:
    """The token (``Access-Token``), its account named by ``business_id`` (the query's, or the JSON
    body's for a POST), and the per-client, per-endpoint rate limit."""
    st = state()
    tok = st.tokens.get(request.headers.get("Access-Token", "").strip())
    if (
        tok is None
        or tok.kind != "access"
        or st.client("tiktok_business", tok.client_id) is None
        or st.token_status(tok) != "ok"
    ):
        raise BusinessError(40100, "The access token is invalid or expired.")
    acc = st.accounts[tok.account_id]
    named = request.args.get("business_id") if business_id is None else str(business_id)
    if named != acc.platform_user_id:
        raise BusinessError(40001, "business_id does not match the access token.")
    _, allowed = st.window_hit(
        f"tiktok_business|{tok.client_id}|{endpoint}", 60, int(st.cfg["TIKTOK_BUSINESS_RATE_LIMIT_PER_MIN"])
    )
    if not allowed:
        raise BusinessError(40105, "Too many requests. Please retry later.", 429, {"Retry-After": "60"})
    return tok, acc


def _fields(allowed: dict[str, str | None], tok: Token) -> list[str]:
    raw = request.args.get("fields")
    try:
        fields = json.loads(raw) if raw else None
    except ValueError:
        fields = None
    if not isinstance(fields, list) or not fields or not all(isinstance(f, str) for f in fields):
        raise BusinessError(40001, 'fields must be a JSON array of field names, e.g. ["username"].')
    bad = [f for f in fields if f not in allowed]
    if bad:
        raise BusinessError(40001, f"Invalid fields: {','.join(bad)}")
    missing = sorted({s for f in fields if (s := allowed[f]) and s not in tok.scopes})
    if missing:
        raise BusinessError(40102, f"The user did not grant the scope required: {','.join(missing)}")
    return fields


def _date(name: str) -> date | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BusinessError(40001, f"{name} must be YYYY-MM-DD.") from None


def audience_shown(acc: Account, day: date) -> bool:
    return acc.followers_on(day) >= int(state().cfg["TIKTOK_BUSINESS_AUDIENCE_MIN_FOLLOWERS"])


def _fractions(shares: dict[str, float]) -> dict[str, float]:
    return {k: round(v / 100, 4) for k, v in shares.items()}


def day_metrics(acc: Account, d: date) -> dict[str, Any]:
    """One day of ``metrics``: the account's follower count and the day's increases over its videos."""
    followers = acc.followers_on(d)
    online = acc.audience().get("online_hours") or {}
    return {
        "date": d.isoformat(),
        "followers_count": followers,
        "profile_views": acc.daily("profile_visits", d),
        "video_views": acc.daily("views", d),
        "likes": acc.daily("likes", d),
        "comments": acc.daily("comments", d),
        "shares": acc.daily("shares", d),
        "audience_activity": [
            {"hour": str(h), "count": int(round(followers * float(online.get(str(h), 0.0)) / 100))} for h in range(24)
        ]
        if audience_shown(acc, d)
        else [],
    }


@bp.get(f"{API}/business/get/")
def business_get() -> Response:
    st = state()
    with st.lock:
        tok, acc = _auth("business/get")
        fields = _fields(PROFILE_FIELDS, tok)
        now = st.now()
        today = now.date()
        start, end = _date("start_date"), _date("end_date")
        if "metrics" in fields and (start is None or end is None or start > end or (end - start).days >= MAX_DAYS):
            raise BusinessError(40001, f"metrics need start_date <= end_date, at most {MAX_DAYS} days apart.")
        aud = acc.audience()
        shown = audience_shown(acc, today)
        posts = acc.posts_at(now)
        values: dict[str, Any] = {
            "username": acc.username,
            "display_name": acc.display_name,
            "profile_image": f"https://p16-sign.tiktokcdn-us.com/tos-useast5-avt-0068-tx/{acc.scoped_id[:16]}.jpeg",
            "is_business_account": acc.account_type == "BUSINESS",
            "followers_count": acc.followers_on(today),
            "following_count": acc.following,
            "total_likes": sum(p.count("likes", now) for p in posts),
            "videos_count": len(posts),
            "audience_countries": [
                {"country": c["code"], "percentage": round(c["share"] / 100, 4)} for c in aud.get("countries", [])
            ]
            if shown
            else [],
            "audience_genders": [
                {"gender": GENDER_NAMES.get(k, k), "percentage": v}
                for k, v in _fractions(aud.get("gender") or {}).items()
            ]
            if shown
            else [],
        }
        if "metrics" in fields and start is not None and end is not None:
            last = min(end, today - timedelta(days=1))  # today's numbers are not final: not given
            first = max(start, acc.start)
            values["metrics"] = [
                day_metrics(acc, first + timedelta(days=i)) for i in range(max(0, (last - first).days + 1))
            ]
        return envelope(0, "OK", {f: values[f] for f in fields})


def video_values(acc: Account, post: Post, shown: bool) -> dict[str, Any]:
    now = state().now()
    expires = int(now.timestamp()) + 6 * 3600  # signed, expiring like the Display API's covers
    views = post.count("views", now)
    watched = round(post.duration * post.avg_view_pct, 2)
    sources = percentages(
        {s: unit(post.id, "impr", s) + (1.5 if i == 0 else 0) for i, s in enumerate(IMPRESSION_SOURCES)}
    )
    countries = acc.audience().get("countries", [])
    return {
        "item_id": post.id,
        "create_time": int(post.published_at.timestamp()),
        "thumbnail_url": f"https://p16-sign.tiktokcdn-us.com/obj/tos-useast5-p-0068-tx/{post.id}~tplv-noop.image"
        f"?x-expires={expires}&x-signature={hexchars(24, post.id, expires)}",
        "share_url": f"https://www.tiktok.com/@{acc.username}/video/{post.id}",
        "embed_url": f"https://www.tiktok.com/player/v1/{post.id}",
        "caption": post.caption[:2200],
        "video_duration": float(post.duration),
        "video_views": views,
        "likes": post.count("likes", now),
        "comments": post.count("comments", now),
        "shares": post.count("shares", now),
        "reach": post.count("reach", now) or int(views * 0.8),
        "full_video_watched_rate": round(post.avg_view_pct**2, 4),
        "total_time_watched": round(watched * views, 1),
        "average_time_watched": watched,
        "impression_sources": [{"impression_source": k, "percentage": round(v / 100, 4)} for k, v in sources.items()],
        "audience_countries": [{"country": c["code"], "percentage": round(c["share"] / 100, 4)} for c in countries]
        if shown
        else [],
    }


@bp.get(f"{API}/business/video/list/")
def business_video_list() -> Response:
    st = state()
    with st.lock:
        tok, acc = _auth("business/video/list")
        if "video.list" not in tok.scopes:
            raise BusinessError(40102, "The user did not grant the scope required: video.list")
        fields = _fields(VIDEO_FIELDS, tok)
        try:
            max_count = int(request.args.get("max_count", MAX_VIDEOS))
            cursor = int(request.args["cursor"]) if request.args.get("cursor") else None
            filters = json.loads(request.args["filters"]) if request.args.get("filters") else {}
        except ValueError:
            raise BusinessError(40001, "max_count, cursor and filters must be numbers and JSON.") from None
        if not 1 <= max_count <= MAX_VIDEOS or (cursor is not None and cursor < 0):
            raise BusinessError(40001, f"max_count must be 1-{MAX_VIDEOS}; cursor a non-negative number.")
        ids = filters.get("video_ids") if isinstance(filters, dict) else None
        if ids is not None and (not isinstance(ids, list) or len(ids) > MAX_VIDEOS):
            raise BusinessError(40001, f"filters.video_ids must be a list of at most {MAX_VIDEOS} ids.")
        posts = acc.posts_at(st.now())
        if ids is not None:
            posts = [p for p in posts if p.id in {str(i) for i in ids}]
        if cursor is not None:
            posts = [p for p in posts if int(p.published_at.timestamp()) < cursor]
        page = posts[:max_count]
        shown = audience_shown(acc, st.today())
        videos = [{f: v[f] for f in fields} for v in (video_values(acc, p, shown) for p in page)]
        has_more = len(posts) > len(page)
        next_cursor = int(page[-1].published_at.timestamp()) if page else (cursor or 0)
        return envelope(0, "OK", {"videos": videos, "cursor": next_cursor, "has_more": has_more})
