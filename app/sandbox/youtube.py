"""Google OAuth 2.0, YouTube Data API v3 and YouTube Analytics API v2."""

from __future__ import annotations

import base64
import json
import operator
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, g, request

from .common import consent_page, error_page, json_response, pkce_ok, redirect_to, state
from .state import Token
from .util import b64chars, day_end, day_start, decode_token, encode_token, iso_duration, iso_z, rng, unit
from .world import Account, Post

bp = Blueprint("sandbox_youtube", __name__)

YT = "https://www.googleapis.com/auth/youtube"
YT_READONLY = "https://www.googleapis.com/auth/youtube.readonly"
YT_FORCE_SSL = "https://www.googleapis.com/auth/youtube.force-ssl"
YTA = "https://www.googleapis.com/auth/yt-analytics.readonly"
YTA_MONEY = "https://www.googleapis.com/auth/yt-analytics-monetary.readonly"
KNOWN_SCOPES = (
    YT,
    YT_READONLY,
    YT_FORCE_SSL,
    YTA,
    YTA_MONEY,
    "openid",
    "email",
    "profile",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/userinfo.profile",
)
DATA_SCOPES = (YT, YT_READONLY, YT_FORCE_SSL)
ANALYTICS_SCOPES = (YTA, YTA_MONEY)
DAY = timedelta(days=1)
API_HOSTS = ("www.googleapis.com", "youtube.googleapis.com")
INVALID_CREDENTIALS = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
    "or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


class GoogleError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        reason: str,
        domain: str = "global",
        location: str | None = None,
        location_type: str = "parameter",
        status_text: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.reason, self.domain = status, message, reason, domain
        self.location, self.location_type, self.status_text, self.headers = (
            location,
            location_type,
            status_text,
            headers,
        )


def google_error_body(err: GoogleError) -> dict[str, Any]:
    item: dict[str, Any] = {"message": err.message, "domain": err.domain, "reason": err.reason}
    if err.location:
        item["location"] = err.location
        item["locationType"] = err.location_type
    body: dict[str, Any] = {"code": err.status, "message": err.message, "errors": [item]}
    if err.status_text:
        body["status"] = err.status_text
    return {"error": body}


@bp.errorhandler(GoogleError)
def _google_error(err: GoogleError) -> Response:
    return json_response(google_error_body(err), err.status, err.headers)


def not_found_page(status: int) -> Response:
    path = request.path
    if path.startswith(("/accounts.google.com/", "/oauth2.googleapis.com/")):
        return error_page(f"Error {status}", "That's an error. The requested URL was not found on this server.", status)
    err = GoogleError(404, "Method not found.", "notFound", status_text="NOT_FOUND")
    return json_response(google_error_body(err), 404)


def quota_error(bucket: str) -> GoogleError:
    return GoogleError(
        403,
        "The request cannot be completed because you have exceeded your quota.",
        "quotaExceeded",
        "youtube.quota",
    )


def auth_error() -> GoogleError:
    return GoogleError(
        401,
        INVALID_CREDENTIALS,
        "authError",
        location="Authorization",
        location_type="header",
        status_text="UNAUTHENTICATED",
    )


def fault_response(fault: dict[str, Any], path: str) -> Response:
    kind = fault["kind"]
    headers = {"Retry-After": str(fault["retry_after"])} if fault.get("retry_after") is not None else None
    if kind == "malformed":
        return Response(
            '{"kind": "youtube#channelListResponse", "items": [{"id": "UC',
            status=200,
            mimetype="application/json",
        )
    if path.startswith(("/oauth2.googleapis.com/", "/accounts.google.com/")):
        table = {
            "token_expired": (400, "invalid_grant", "Token has been expired or revoked."),
            "token_revoked": (400, "invalid_grant", "Token has been expired or revoked."),
            "server_error": (500, "internal_failure", "Backend Error"),
            "rate_limited": (429, "rate_limit_exceeded", "Rate limit exceeded"),
            "quota_exceeded": (429, "rate_limit_exceeded", "Rate limit exceeded"),
        }
        status, error, desc = table[kind]
        return json_response({"error": error, "error_description": desc}, status, headers)
    errors = {
        "rate_limited": GoogleError(
            429,
            "The request cannot be completed because you have exceeded the request rate limit.",
            "rateLimitExceeded",
            "youtube.quota",
            status_text="RESOURCE_EXHAUSTED",
        ),
        "quota_exceeded": quota_error("default"),
        "server_error": GoogleError(500, "Internal error encountered.", "backendError", status_text="INTERNAL"),
        "token_expired": auth_error(),
        "token_revoked": auth_error(),
    }
    err = errors[kind]
    return json_response(google_error_body(err), err.status, headers)


# --------------------------------------------------------------------------- OAuth
def _redirect(uri: str, params: dict[str, str]) -> Response:
    sep = "&" if "?" in uri else "?"
    return redirect_to(uri + sep + urlencode(params))


@bp.route("/accounts.google.com/o/oauth2/v2/auth", methods=["GET", "POST"])
@bp.route("/accounts.google.com/o/oauth2/auth", methods=["GET", "POST"])
def authorize() -> Response:  # noqa: C901 - Google's checks, in Google's order
    st = state()
    args = request.args
    with st.lock:
        client = st.client("youtube", args.get("client_id"))
        if client is None:
            return error_page("Error 401: invalid_client", "The OAuth client was not found.", 401)
        redirect_uri = args.get("redirect_uri", "")
        if not st.redirect_allowed(client, redirect_uri):
            return error_page(
                "Error 400: redirect_uri_mismatch",
                "You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 "
                "policy. If you're the app developer, register the redirect URI in the Google Cloud "
                f"Console. Request details: redirect_uri={redirect_uri}",
            )
        if args.get("response_type") != "code":
            return error_page("Error 400: invalid_request", "Invalid response_type: must be code")
        scopes = [s for s in (args.get("scope") or "").split() if s]
        if not scopes:
            return error_page("Error 400: invalid_request", "Missing required parameter: scope")
        bad = [s for s in scopes if s not in KNOWN_SCOPES]
        if bad:
            return error_page("Error 400: invalid_scope", "Some requested scopes were invalid: " + " ".join(bad))
        challenge = args.get("code_challenge")
        method = args.get("code_challenge_method") or ("plain" if challenge else None)
        if challenge and method not in ("S256", "plain"):
            return error_page("Error 400: invalid_request", "Invalid code_challenge_method")
        keep = {"state": args["state"]} if "state" in args else {}
        if request.method == "GET":
            accounts = [
                {"id": a.id, "username": a.username, "display_name": a.display_name, "note": ""}
                for a in st.platform_accounts("youtube")
            ]
            return consent_page("Sign in with Google", client["client_id"], accounts, scopes, granular=True)
        decision = request.form.get("decision")
        if decision == "deny":
            return _redirect(redirect_uri, {"error": "access_denied", **keep})
        if decision != "approve":
            return error_page("Error 400: invalid_request", "decision must be approve or deny")
        acc = st.accounts.get(request.form.get("account_id", ""))
        if acc is None or acc.platform != "youtube":
            return error_page("Error 400: invalid_request", "Unknown account_id")
        granted = scopes
        if request.form.get("granular") == "1":
            chosen = set(request.form.getlist("scope"))
            granted = [s for s in scopes if s in chosen]
        if not granted:
            return _redirect(redirect_uri, {"error": "access_denied", **keep})
        offline = args.get("access_type") == "offline"
        if offline and "consent" not in (args.get("prompt") or "").split():
            has_refresh = any(
                t.kind == "refresh"
                and t.account_id == acc.id
                and t.client_id == client["client_id"]
                and st.token_status(t) == "ok"
                for t in st.tokens.values()
            )
            offline = not has_refresh
        code = st.issue_code("youtube", acc.id, client["client_id"], redirect_uri, granted, challenge, method, offline)
        st.save()
        return _redirect(redirect_uri, {**keep, "code": code.value, "scope": " ".join(granted)})


def _client_credentials() -> tuple[str | None, str | None]:
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        return auth.username, auth.password
    return request.form.get("client_id"), request.form.get("client_secret")


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    return json_response({"error": error, "error_description": description}, status)


@bp.post("/oauth2.googleapis.com/token")
def token() -> Response:  # noqa: C901 - the OAuth checks read best in order
    st = state()
    form = request.form
    with st.lock:
        client_id, secret = _client_credentials()
        client = st.client("youtube", client_id)
        if client is None:
            return _oauth_error("invalid_client", "The OAuth client was not found.", 401)
        if secret != client["client_secret"]:
            return _oauth_error("invalid_client", "Unauthorized", 401)
        grant = form.get("grant_type")
        refresh_ttl = st.cfg["GOOGLE_TESTING_REFRESH_TTL"] if st.cfg["GOOGLE_TESTING_MODE"] else None
        if grant == "authorization_code":
            code = st.codes.get(form.get("code") or "")
            if code is None or code.platform != "youtube" or code.client_id != client["client_id"]:
                return _oauth_error("invalid_grant", "Malformed auth code.")
            if code.used:
                return _oauth_error("invalid_grant", "Bad Request")
            if (st.now() - code.issued_at).total_seconds() > st.cfg["CODE_TTL"]:
                return _oauth_error("invalid_grant", "Bad Request")
            if form.get("redirect_uri") != code.redirect_uri:
                return _oauth_error("redirect_uri_mismatch", "Bad Request")
            if code.code_challenge and not form.get("code_verifier"):
                return _oauth_error("invalid_grant", "Missing code verifier.")
            if not pkce_ok(code.code_challenge, code.code_challenge_method, form.get("code_verifier")):
                return _oauth_error("invalid_grant", "Invalid code verifier.")
            code.used = True
            if code.account_id not in st.accounts:
                return _oauth_error("invalid_grant", "Bad Request")
            access = st.issue_token(
                "youtube",
                "access",
                code.account_id,
                client["client_id"],
                code.scopes,
                st.cfg["GOOGLE_ACCESS_TTL"],
                code.grant_id,
            )
            payload: dict[str, Any] = {
                "access_token": access.value,
                "expires_in": int(st.cfg["GOOGLE_ACCESS_TTL"]),
            }
            if code.offline:
                refresh = st.issue_token(
                    "youtube",
                    "refresh",
                    code.account_id,
                    client["client_id"],
                    code.scopes,
                    refresh_ttl,
                    code.grant_id,
                )
                payload["refresh_token"] = refresh.value
            payload.update({"scope": " ".join(code.scopes), "token_type": "Bearer"})
            st.save()
            return json_response(payload)
        if grant == "refresh_token":
            old = st.tokens.get(form.get("refresh_token") or "")
            if old is None or old.kind != "refresh" or old.platform != "youtube":
                return _oauth_error("invalid_grant", "Bad Request")
            if old.client_id != client["client_id"]:
                return _oauth_error("unauthorized_client", "Unauthorized")
            if st.token_status(old) != "ok":
                return _oauth_error("invalid_grant", "Token has been expired or revoked.")
            access = st.issue_token(
                "youtube",
                "access",
                old.account_id,
                old.client_id,
                old.scopes,
                st.cfg["GOOGLE_ACCESS_TTL"],
                old.grant_id,
            )
            st.save()
            return json_response(
                {
                    "access_token": access.value,
                    "expires_in": int(st.cfg["GOOGLE_ACCESS_TTL"]),
                    "scope": " ".join(old.scopes),
                    "token_type": "Bearer",
                }
            )
        return _oauth_error("unsupported_grant_type", f"Invalid grant_type: {grant or ''}")


@bp.route("/oauth2.googleapis.com/revoke", methods=["GET", "POST"])
def revoke() -> Response:
    st = state()
    value = request.args.get("token") or request.form.get("token") or ""
    with st.lock:
        tok = st.tokens.get(value)
        if tok is None or tok.platform != "youtube" or st.token_status(tok) != "ok":
            return _oauth_error("invalid_token", "Token expired or revoked")
        st.revoke_grant(tok.grant_id)
        st.save()
        return json_response({})


@bp.get("/oauth2.googleapis.com/tokeninfo")
def tokeninfo() -> Response:
    st = state()
    with st.lock:
        tok = st.tokens.get(request.args.get("access_token") or "")
        if tok is None or tok.platform != "youtube" or tok.kind != "access" or st.token_status(tok) != "ok":
            return _oauth_error("invalid_token", "Invalid Value")
        assert tok.expires_at is not None
        return json_response(
            {
                "azp": tok.client_id,
                "aud": tok.client_id,
                "scope": " ".join(tok.scopes),
                "exp": str(int(tok.expires_at.timestamp())),
                "expires_in": str(int((tok.expires_at - st.now()).total_seconds())),
                "access_type": "offline",
            }
        )


# --------------------------------------------------------------------------- API helpers
def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip()
    return request.args.get("access_token") or request.args.get("oauth_token")


def authenticate(scopes: tuple[str, ...], extra: tuple[str, ...] = ()) -> Token:
    st = state()
    value = _bearer()
    if not value:
        raise GoogleError(
            401,
            "Request is missing required authentication credential. Expected OAuth 2 access "
            "token, login cookie or other valid authentication credential. See "
            "https://developers.google.com/identity/sign-in/web/devconsole-project.",
            "required",
            location="Authorization",
            location_type="header",
            status_text="UNAUTHENTICATED",
        )
    tok = st.tokens.get(value)
    if tok is None or tok.kind != "access" or tok.platform != "youtube" or st.token_status(tok) != "ok":
        raise auth_error()
    have = set(tok.scopes)
    if not have & set(scopes) or any(not have & set(group) for group in ([extra] if extra else [])):
        raise GoogleError(
            403,
            "Request had insufficient authentication scopes.",
            "insufficientPermissions",
            status_text="PERMISSION_DENIED",
        )
    return tok


def charge(tok: Token, bucket: str, units: int = 1) -> None:
    st = state()
    limit = st.cfg["YT_QUOTA_LIMITS"].get(bucket)
    if limit is not None and st.quota_used(tok.client_id, bucket) + units > limit:
        raise quota_error(bucket)
    st.charge(tok.client_id, bucket, units)
    g.quota_units = units if bucket != "analytics" else 0
    g.quota_bucket = bucket


def etag(data: Any) -> str:
    raw = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return b64chars(27, "etag", raw)


def thumbnails(key: str, short: bool = False) -> dict[str, Any]:
    base = f"https://i.ytimg.com/vi/{key}"
    return {
        "default": {"url": f"{base}/default.jpg", "width": 120, "height": 90},
        "medium": {"url": f"{base}/mqdefault.jpg", "width": 320, "height": 180},
        "high": {"url": f"{base}/hqdefault.jpg", "width": 480, "height": 360},
    }


def _parts(allowed: tuple[str, ...], supported: tuple[str, ...]) -> list[str]:
    raw = request.args.get("part")
    if not raw:
        raise GoogleError(400, "Required parameter: part", "required", location="part")
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    for p in parts:
        if p not in allowed:
            raise GoogleError(400, f"'{p}'", "unknownPart", "youtube.part", location="part")
    return [p for p in parts if p in supported]


def _max_results(default: int, low: int, high: int) -> int:
    raw = request.args.get("maxResults")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if not low <= value <= high:
        raise GoogleError(
            400,
            f"Invalid value '{raw}'. Values must be within the range: [{low}, {high}]",
            "invalidParameter",
            "youtube.parameter",
            location="maxResults",
        )
    return value


def _page_offset(kind: str) -> int:
    raw = request.args.get("pageToken")
    if not raw:
        return 0
    data = decode_token(raw[4:]) if raw.startswith("EAAa") else None
    if not data or data.get("k") != kind or not isinstance(data.get("o"), int) or data["o"] < 0:
        raise GoogleError(
            400,
            "The request specifies an invalid page token.",
            "invalidPageToken",
            "youtube.parameter",
            location="pageToken",
        )
    return int(data["o"])


def _page_token(kind: str, offset: int) -> str:
    return "EAAa" + encode_token({"k": kind, "o": offset})


def _paged(kind: str, items: list[Any], size: int, offset: int) -> tuple[list[Any], dict[str, Any]]:
    page = items[offset : offset + size]
    meta: dict[str, Any] = {}
    if offset + size < len(items) and size > 0:
        meta["nextPageToken"] = _page_token(kind, offset + size)
    if offset > 0:
        meta["prevPageToken"] = _page_token(kind, max(0, offset - size))
    return page, meta


def _channels() -> list[Account]:
    return state().platform_accounts("youtube")


def _find_video(video_id: str) -> tuple[Account, Post] | None:
    now = state().now()
    for acc in _channels():
        post = acc.find_post(video_id, now)
        if post is not None:
            return acc, post
    return None


def _round3(n: int) -> int:
    if n < 1000:
        return n
    digits = len(str(n))
    factor = 10 ** (digits - 3)
    return (n // factor) * factor


# --------------------------------------------------------------------------- Data API v3
def _api_route(resource: str) -> list[str]:
    return [f"/{host}/youtube/v3/{resource}" for host in API_HOSTS]


def channel_item(acc: Account, parts: list[str]) -> dict[str, Any]:
    st = state()
    now = st.now()
    posts = acc.posts_at(now)
    item: dict[str, Any] = {"kind": "youtube#channel", "etag": "", "id": acc.platform_user_id}
    if "snippet" in parts:
        item["snippet"] = {
            "title": acc.display_name,
            "description": acc.bio,
            "customUrl": f"@{acc.username.lower()}",
            "publishedAt": iso_z(day_start(acc.start) - timedelta(days=30)),
            "thumbnails": thumbnails(acc.platform_user_id),
            "localized": {"title": acc.display_name, "description": acc.bio},
            "country": "US",
        }
    if "contentDetails" in parts:
        item["contentDetails"] = {"relatedPlaylists": {"likes": "", "uploads": acc.scoped_id}}
    if "statistics" in parts:
        subs = acc.followers_on(now.date())
        item["statistics"] = {
            "viewCount": str(sum(p.count("views", now) for p in posts)),
            "subscriberCount": str(_round3(subs) if st.cfg["YT_ROUND_SUBSCRIBERS"] else subs),
            "hiddenSubscriberCount": False,
            "videoCount": str(len(posts)),
        }
    if "status" in parts:
        item["status"] = {
            "privacyStatus": "public",
            "isLinked": True,
            "longUploadsStatus": "allowed",
            "madeForKids": False,
        }
    item["etag"] = etag(item)
    return item


def _list_response(
    kind: str, items: list[dict[str, Any]], total: int, per_page: int, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": kind, "etag": etag([i.get("etag") for i in items])}
    body.update(extra or {})
    body["pageInfo"] = {"totalResults": total, "resultsPerPage": per_page}
    body["items"] = items
    return body


@bp.get("/<any('www.googleapis.com','youtube.googleapis.com'):host>/youtube/v3/channels")
def channels(host: str) -> Response:
    st = state()
    with st.lock:
        tok = authenticate(DATA_SCOPES)
        charge(tok, "default")
        parts = _parts(
            (
                "id",
                "snippet",
                "contentDetails",
                "statistics",
                "status",
                "brandingSettings",
                "topicDetails",
                "localizations",
                "contentOwnerDetails",
                "auditDetails",
            ),
            ("id", "snippet", "contentDetails", "statistics", "status"),
        )
        args = request.args
        if args.get("mine", "").lower() == "true":
            found = [st.accounts[tok.account_id]]
        elif args.get("id"):
            ids = args["id"].split(",")
            found = [a for a in _channels() if a.platform_user_id in ids]
        elif args.get("forHandle"):
            handle = args["forHandle"].lstrip("@").lower()
            found = [a for a in _channels() if a.username.lower() == handle]
        elif args.get("forUsername"):
            found = [a for a in _channels() if a.username.lower() == args["forUsername"].lower()]
        else:
            raise GoogleError(
                400,
                "No filter selected. Expected one of: forUsername, managedByMe, categoryId, "
                "mine, mySubscribers, id, idParam, forHandle.",
                "missingRequiredParameter",
                "youtube.parameter",
            )
        items = [channel_item(a, parts) for a in found]
        return json_response(_list_response("youtube#channelListResponse", items, len(items), 5))


def video_item(acc: Account, post: Post, parts: list[str]) -> dict[str, Any]:
    now = state().now()
    item: dict[str, Any] = {"kind": "youtube#video", "etag": "", "id": post.id}
    description = f"{post.caption}\n\nSandbox video by {acc.display_name}."
    if "snippet" in parts:
        item["snippet"] = {
            "publishedAt": iso_z(post.published_at),
            "channelId": acc.platform_user_id,
            "title": post.caption,
            "description": description,
            "thumbnails": thumbnails(post.id),
            "channelTitle": acc.display_name,
            "tags": ["sandbox"] + (["shorts"] if post.kind == "short" else []),
            "categoryId": "22",
            "liveBroadcastContent": "none",
            "defaultAudioLanguage": "en",
            "localized": {"title": post.caption, "description": description},
        }
    if "contentDetails" in parts:
        item["contentDetails"] = {
            "duration": iso_duration(post.duration),
            "dimension": "2d",
            "definition": "hd",
            "caption": "false",
            "licensedContent": False,
            "contentRating": {},
            "projection": "rectangular",
        }
    if "statistics" in parts:
        item["statistics"] = {
            "viewCount": str(post.count("views", now)),
            "likeCount": str(post.count("likes", now)),
            "favoriteCount": "0",
            "commentCount": str(post.count("comments", now)),
        }
    if "status" in parts:
        item["status"] = {
            "uploadStatus": "processed",
            "privacyStatus": "public",
            "license": "youtube",
            "embeddable": True,
            "publicStatsViewable": True,
            "madeForKids": False,
        }
    if "player" in parts:
        item["player"] = {
            "embedHtml": f'<iframe width="480" height="270" src="//www.youtube.com/embed/{post.id}" '
            'frameborder="0" allowfullscreen></iframe>'
        }
    item["etag"] = etag(item)
    return item


def _ids_param() -> list[str]:
    values = request.args.getlist("id")
    return [i.strip() for v in values for i in v.split(",") if i.strip()]


@bp.get("/<any('www.googleapis.com','youtube.googleapis.com'):host>/youtube/v3/videos")
def videos(host: str) -> Response:
    st = state()
    with st.lock:
        tok = authenticate(DATA_SCOPES)
        charge(tok, "default")
        parts = _parts(
            (
                "id",
                "snippet",
                "contentDetails",
                "statistics",
                "status",
                "player",
                "topicDetails",
                "recordingDetails",
                "fileDetails",
                "processingDetails",
                "suggestions",
                "liveStreamingDetails",
                "localizations",
                "paidProductPlacementDetails",
            ),
            ("id", "snippet", "contentDetails", "statistics", "status", "player"),
        )
        ids = _ids_param()
        if not ids and not request.args.get("chart") and not request.args.get("myRating"):
            raise GoogleError(
                400,
                "No filter selected. Expected one of: chart, id, idParam, myRating.",
                "missingRequiredParameter",
                "youtube.parameter",
            )
        if len(ids) > 50:
            raise GoogleError(
                400,
                "The request specifies an invalid filter parameter: no more than 50 video ids may be requested.",
                "invalidFilters",
                "youtube.parameter",
                location="id",
            )
        items = []
        for vid in ids:
            found = _find_video(vid)
            if found is not None:
                items.append(video_item(found[0], found[1], parts))
        return json_response(_list_response("youtube#videoListResponse", items, len(items), len(items)))


@bp.get("/<any('www.googleapis.com','youtube.googleapis.com'):host>/youtube/v3/videos:batchGetStats")
def batch_get_stats(host: str) -> Response:
    st = state()
    with st.lock:
        tok = authenticate(DATA_SCOPES)
        charge(tok, "batchGetStats")
        parts = _parts(
            ("id", "snippet", "statistics", "contentDetails"),
            ("id", "snippet", "statistics", "contentDetails"),
        )
        ids = _ids_param()
        if not ids:
            raise GoogleError(400, "Required parameter: id", "required", location="id")
        if len(ids) > 50:
            raise GoogleError(
                400,
                "The number of IDs specified cannot exceed 50.",
                "invalidParameter",
                "youtube.parameter",
                location="id",
            )
        now = st.now()
        items = []
        for vid in ids:
            found = _find_video(vid)
            if found is None:
                continue
            post = found[1]
            item: dict[str, Any] = {"kind": "youtube#videoStats", "etag": "", "id": post.id}
            if "snippet" in parts:
                item["snippet"] = {"publishTime": iso_z(post.published_at)}
            if "statistics" in parts:
                item["statistics"] = {
                    "viewCount": str(post.count("views", now)),
                    "likeCount": str(post.count("likes", now)),
                    "commentCount": str(post.count("comments", now)),
                }
            if "contentDetails" in parts:
                item["contentDetails"] = {
                    "duration": iso_duration(post.duration),
                    "durationMillis": post.duration * 1000,
                }
            item["etag"] = etag(item)
            items.append(item)
        body = {
            "kind": "youtube#batchGetStatsResponse",
            "etag": etag([i["etag"] for i in items]),
            "items": items,
        }
        return json_response(body)


def playlist_item(acc: Account, post: Post, position: int, parts: list[str]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "kind": "youtube#playlistItem",
        "etag": "",
        "id": base64.urlsafe_b64encode(f"{acc.scoped_id}.{post.id}".encode()).decode().rstrip("="),
    }
    if "snippet" in parts:
        item["snippet"] = {
            "publishedAt": iso_z(post.published_at),
            "channelId": acc.platform_user_id,
            "title": post.caption,
            "description": f"{post.caption}\n\nSandbox video by {acc.display_name}.",
            "thumbnails": thumbnails(post.id),
            "channelTitle": acc.display_name,
            "playlistId": acc.scoped_id,
            "position": position,
            "resourceId": {"kind": "youtube#video", "videoId": post.id},
            "videoOwnerChannelTitle": acc.display_name,
            "videoOwnerChannelId": acc.platform_user_id,
        }
    if "contentDetails" in parts:
        item["contentDetails"] = {"videoId": post.id, "videoPublishedAt": iso_z(post.published_at)}
    if "status" in parts:
        item["status"] = {"privacyStatus": "public"}
    item["etag"] = etag(item)
    return item


@bp.get("/<any('www.googleapis.com','youtube.googleapis.com'):host>/youtube/v3/playlistItems")
def playlist_items(host: str) -> Response:
    st = state()
    with st.lock:
        tok = authenticate(DATA_SCOPES)
        charge(tok, "default")
        parts = _parts(("id", "snippet", "contentDetails", "status"), ("id", "snippet", "contentDetails", "status"))
        playlist = request.args.get("playlistId")
        if not playlist:
            raise GoogleError(
                400,
                "No filter selected. Expected one of: id, playlistId.",
                "missingRequiredParameter",
                "youtube.parameter",
            )
        size = _max_results(5, 0, 50)
        offset = _page_offset(f"pl:{playlist}")
        acc = next((a for a in _channels() if a.scoped_id == playlist), None)
        if acc is None:
            raise GoogleError(
                404,
                "The playlist identified with the request's <code>playlistId</code> parameter cannot be found.",
                "playlistNotFound",
                "youtube.playlistItem",
                location="playlistId",
            )
        posts = acc.posts_at(st.now())
        page, meta = _paged(f"pl:{playlist}", posts, size, offset)
        items = [playlist_item(acc, p, offset + i, parts) for i, p in enumerate(page)]
        return json_response(_list_response("youtube#playlistItemListResponse", items, len(posts), size, meta))


@bp.get("/<any('www.googleapis.com','youtube.googleapis.com'):host>/youtube/v3/search")
def search(host: str) -> Response:
    st = state()
    with st.lock:
        tok = authenticate(DATA_SCOPES)
        charge(tok, "search")
        _parts(("id", "snippet"), ("id", "snippet"))
        args = request.args
        if args.get("forMine", "").lower() == "true":
            if args.get("type") != "video":
                raise GoogleError(
                    400,
                    "The request specifies an invalid search filter: forMine requires type=video.",
                    "invalidSearchFilter",
                    "youtube.parameter",
                )
            pool = [(st.accounts[tok.account_id], p) for p in st.accounts[tok.account_id].posts_at(st.now())]
        elif args.get("channelId"):
            pool = [
                (a, p) for a in _channels() if a.platform_user_id == args["channelId"] for p in a.posts_at(st.now())
            ]
        else:
            pool = [(a, p) for a in _channels() for p in a.posts_at(st.now())]
        query = (args.get("q") or "").lower()
        if query:
            pool = [(a, p) for a, p in pool if query in p.caption.lower()]
        order = args.get("order", "relevance")
        now = st.now()
        if order == "viewCount":
            pool.sort(key=lambda ap: -ap[1].count("views", now))
        elif order == "title":
            pool.sort(key=lambda ap: ap[1].caption)
        else:
            pool.sort(key=lambda ap: ap[1].published_at, reverse=True)
        size = _max_results(5, 0, 50)
        offset = _page_offset("search")
        page, meta = _paged("search", pool, size, offset)
        items = []
        for acc, post in page:
            item = {
                "kind": "youtube#searchResult",
                "etag": "",
                "id": {"kind": "youtube#video", "videoId": post.id},
                "snippet": {
                    "publishedAt": iso_z(post.published_at),
                    "channelId": acc.platform_user_id,
                    "title": post.caption,
                    "description": f"{post.caption} (sandbox)",
                    "thumbnails": thumbnails(post.id),
                    "channelTitle": acc.display_name,
                    "liveBroadcastContent": "none",
                },
            }
            item["etag"] = etag(item)
            items.append(item)
        return json_response(
            _list_response(
                "youtube#searchListResponse",
                items,
                min(len(pool), 1000000),
                size,
                {**meta, "regionCode": "US"},
            )
        )


AUTHORS = (
    "Alex",
    "Sam",
    "Jordan",
    "Taylor",
    "Riley",
    "Casey",
    "Morgan",
    "Jamie",
    "Robin",
    "Quinn",
    "Avery",
    "Kai",
)
COMMENTS = (
    "Great video!",
    "This helped a lot, thanks.",
    "First!",
    "Can you do a part 2?",
    "Love the editing here.",
    "Watching this again.",
    "Underrated channel.",
    "Where did you get that?",
    "So relaxing to watch.",
    "Subscribed!",
)


@bp.get("/<any('www.googleapis.com','youtube.googleapis.com'):host>/youtube/v3/commentThreads")
def comment_threads(host: str) -> Response:
    st = state()
    with st.lock:
        tok = authenticate(DATA_SCOPES)
        charge(tok, "default")
        parts = _parts(("id", "snippet", "replies"), ("id", "snippet", "replies"))
        video_id = request.args.get("videoId")
        if not video_id:
            raise GoogleError(
                400,
                "No filter selected. Expected one of: allThreadsRelatedToChannelId, id, videoId.",
                "missingRequiredParameter",
                "youtube.parameter",
            )
        found = _find_video(video_id)
        if found is None:
            raise GoogleError(
                404,
                'The video identified by the <code><a href="/youtube/v3/docs/commentThreads/'
                'list#videoId">videoId</a></code> parameter could not be found.',
                "videoNotFound",
                "youtube.commentThread",
                location="videoId",
            )
        acc, post = found
        size = _max_results(20, 1, 100)
        offset = _page_offset(f"ct:{video_id}")
        now = st.now()
        total = int(post.count("comments", now) * 0.8)
        indices = list(range(total))
        page, meta = _paged(f"ct:{video_id}", indices, size, offset)
        span = max((now - post.published_at).total_seconds(), 60)
        items = []
        for i in page:
            k = total - 1 - i  # k: 0 = oldest
            r = rng(post.id, "comment", k)
            published = post.published_at + timedelta(seconds=span * ((k + 1) / (total + 1)) ** 2)
            author = f"{r.choice(AUTHORS)}{r.randint(1, 999)}"
            text = r.choice(COMMENTS)
            cid = "Ug" + b64chars(24, post.id, "cid", k)
            comment_snippet = {
                "channelId": acc.platform_user_id,
                "videoId": post.id,
                "textDisplay": text,
                "textOriginal": text,
                "authorDisplayName": f"@{author.lower()}",
                "authorProfileImageUrl": f"https://yt3.ggpht.com/{b64chars(12, author)}=s48-c-k-no-rj",
                "authorChannelUrl": f"http://www.youtube.com/@{author.lower()}",
                "authorChannelId": {"value": "UC" + b64chars(22, "author", author)},
                "canRate": True,
                "viewerRating": "none",
                "likeCount": r.randint(0, 40),
                "publishedAt": iso_z(published),
                "updatedAt": iso_z(published),
            }
            item: dict[str, Any] = {"kind": "youtube#commentThread", "etag": "", "id": cid}
            if "snippet" in parts:
                item["snippet"] = {
                    "channelId": acc.platform_user_id,
                    "videoId": post.id,
                    "topLevelComment": {
                        "kind": "youtube#comment",
                        "etag": etag(comment_snippet),
                        "id": cid,
                        "snippet": comment_snippet,
                    },
                    "canReply": True,
                    "totalReplyCount": 0,
                    "isPublic": True,
                }
            item["etag"] = etag(item)
            items.append(item)
        return json_response(_list_response("youtube#commentThreadListResponse", items, len(items), size, meta))


# --------------------------------------------------------------------------- Analytics API v2
METRIC_TYPES = {
    "views": "INTEGER",
    "engagedViews": "INTEGER",
    "estimatedMinutesWatched": "INTEGER",
    "averageViewDuration": "INTEGER",
    "averageViewPercentage": "FLOAT",
    "likes": "INTEGER",
    "dislikes": "INTEGER",
    "comments": "INTEGER",
    "shares": "INTEGER",
    "subscribersGained": "INTEGER",
    "subscribersLost": "INTEGER",
    "videosAddedToPlaylists": "INTEGER",
    "videosRemovedFromPlaylists": "INTEGER",
    "viewerPercentage": "FLOAT",
}
MONETARY = (
    "estimatedRevenue",
    "estimatedAdRevenue",
    "grossRevenue",
    "estimatedRedPartnerRevenue",
    "cpm",
    "playbackBasedCpm",
    "adImpressions",
    "monetizedPlaybacks",
)
DIMENSION_SETS = {
    (),
    ("day",),
    ("month",),
    ("video",),
    ("country",),
    ("ageGroup",),
    ("gender",),
    ("ageGroup", "gender"),
    ("gender", "ageGroup"),
    ("creatorContentType",),
    ("day", "creatorContentType"),
}
AGE_GROUPS = ("age13-17", "age18-24", "age25-34", "age35-44", "age45-54", "age55-64", "age65-")
COUNTRY_CODES = ("US", "GB", "IN", "DE", "BR", "CA", "FR", "AU", "MX", "JP")


def _analytics_error(message: str, status: int = 400, reason: str = "badRequest") -> GoogleError:
    return GoogleError(
        status, message, reason, status_text="INVALID_ARGUMENT" if status == 400 else "PERMISSION_DENIED"
    )


def _sums(acc: Account, posts: list[Post], days: list[date], channel_share: float) -> dict[str, float]:
    """Raw sums over ``days`` for ``posts`` (exact telescoping differences of the per-post counts)."""
    out = {k: 0.0 for k in ("views", "engaged_views", "minutes", "likes", "comments", "shares", "dur_views")}
    if days:
        start, end = day_start(days[0]), day_end(days[-1])
        for p in posts:
            if p.published_at >= end:
                continue
            dv = p.count("views", end) - p.count("views", start)
            out["views"] += dv
            out["engaged_views"] += p.count("engaged_views", end) - p.count("engaged_views", start)
            out["minutes"] += p.count("minutes", end) - p.count("minutes", start)
            out["likes"] += p.count("likes", end) - p.count("likes", start)
            out["comments"] += p.count("comments", end) - p.count("comments", start)
            out["shares"] += p.count("shares", end) - p.count("shares", start)
            out["dur_views"] += dv * p.duration
    gained = lost = 0
    for d in days:
        gd, ld = acc.gained_lost(d)
        gained += gd
        lost += ld
    out["subscribersGained"] = round(gained * channel_share)
    out["subscribersLost"] = round(lost * channel_share)
    return out


def _metric_values(metrics: list[str], s: dict[str, float]) -> list[Any]:
    row: list[Any] = []
    for m in metrics:
        if m == "views":
            row.append(int(s["views"]))
        elif m == "engagedViews":
            row.append(int(s["engaged_views"]))
        elif m == "estimatedMinutesWatched":
            row.append(int(s["minutes"]))
        elif m == "averageViewDuration":
            row.append(int(s["minutes"] * 60 / s["views"]) if s["views"] else 0)
        elif m == "averageViewPercentage":
            row.append(round(100 * s["minutes"] * 60 / s["dur_views"], 2) if s["dur_views"] else 0.0)
        elif m in ("likes", "comments", "shares", "subscribersGained", "subscribersLost"):
            row.append(int(s[m]))
        elif m == "dislikes":
            row.append(int(s["likes"] * 0.02))
        elif m == "videosAddedToPlaylists":
            row.append(int(s["views"] * 0.002))
        elif m == "videosRemovedFromPlaylists":
            row.append(int(s["views"] * 0.0004))
        else:
            row.append(0)
    return row


def _parse_date(name: str) -> date:
    raw = request.args.get(name)
    if not raw:
        raise _analytics_error(f"Required parameter: {name}", reason="required")
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise _analytics_error(f"Invalid value '{raw}' for {name}: must be YYYY-MM-DD.") from exc


def _parse_filters(acc: Account, posts: list[Post]) -> tuple[list[Post], float]:
    raw = request.args.get("filters")
    if not raw:
        return posts, 1.0
    share = 1.0
    for clause in raw.split(";"):
        key, _, value = clause.partition("==")
        values = value.split(",")
        if key == "video":
            posts = [p for p in posts if p.id in values]
            share = -1.0
        elif key == "creatorContentType":
            kinds = {"SHORTS": "short", "VIDEO_ON_DEMAND": "video"}
            posts = [p for p in posts if any(kinds.get(v) == p.kind for v in values)]
            share = -1.0
        else:
            raise _analytics_error("The query is not supported.")
    return posts, share


def _share_of_views(acc: Account, posts: list[Post], all_posts: list[Post], days: list[date]) -> float:
    if not days:
        return 0.0
    start, end = day_start(days[0]), day_end(days[-1])
    part = sum(p.count("views", end) - p.count("views", start) for p in posts)
    total = sum(p.count("views", end) - p.count("views", start) for p in all_posts)
    return part / total if total else 0.0


@bp.get("/youtubeanalytics.googleapis.com/v2/reports")
def reports() -> Response:  # noqa: C901 - validation mirrors the real API's
    st = state()
    with st.lock:
        extra = (DATA_SCOPES + ANALYTICS_SCOPES) if st.cfg["YT_ANALYTICS_REQUIRES_YOUTUBE_SCOPE"] else ()
        tok = authenticate(ANALYTICS_SCOPES, extra and DATA_SCOPES)
        charge(tok, "analytics")
        acc = st.accounts[tok.account_id]
        ids = request.args.get("ids")
        if not ids:
            raise _analytics_error("Required parameter: ids", reason="required")
        if ids not in ("channel==MINE", f"channel=={acc.platform_user_id}"):
            raise GoogleError(403, "Forbidden", "forbidden", status_text="PERMISSION_DENIED")
        start, end = _parse_date("startDate"), _parse_date("endDate")
        if start > end:
            raise _analytics_error("The start date must be before or equal to the end date.")
        metrics_raw = request.args.get("metrics")
        if not metrics_raw:
            raise _analytics_error("Required parameter: metrics", reason="required")
        metrics = [m.strip() for m in metrics_raw.split(",") if m.strip()]
        for m in metrics:
            if m in MONETARY:
                raise GoogleError(403, "Forbidden", "forbidden", status_text="PERMISSION_DENIED")
            if m not in METRIC_TYPES:
                raise _analytics_error(f"Unknown identifier ({m}) given in field parameters.metrics.")
        dims = tuple(d.strip() for d in (request.args.get("dimensions") or "").split(",") if d.strip())
        if dims not in DIMENSION_SETS:
            raise _analytics_error("The query is not supported.")
        demographic = any(d in ("ageGroup", "gender") for d in dims)
        if demographic != ("viewerPercentage" in metrics) or (demographic and metrics != ["viewerPercentage"]):
            raise _analytics_error("The query is not supported.")
        max_results = request.args.get("maxResults")
        start_raw = request.args.get("startIndex") or "1"
        if (max_results is not None and not max_results.isdigit()) or not start_raw.isdigit() or start_raw == "0":
            raise _analytics_error("Invalid value for maxResults or startIndex: must be a positive integer.")
        sort = request.args.get("sort")
        if dims == ("video",):
            if not max_results or not sort or not sort.startswith("-") or int(max_results or 0) > 200:
                raise _analytics_error("The query is not supported.")
        last_complete = st.pacific_today() - DAY * int(st.cfg["YT_ANALYTICS_LAG_DAYS"])
        first = max(start, acc.start)
        last = min(end, last_complete)
        days = [first + DAY * i for i in range((last - first).days + 1)] if first <= last else []
        all_posts = acc.all_posts_until(last) if days else []
        posts, share = _parse_filters(acc, all_posts)
        if share < 0:
            share = _share_of_views(acc, posts, all_posts, days)
        rows: list[list[Any]] = []
        if not dims:
            if days:
                rows.append(_metric_values(metrics, _sums(acc, posts, days, share)))
        elif dims == ("day",):
            for d in days:
                day_share = share if share == 1.0 else _share_of_views(acc, posts, all_posts, [d])
                rows.append([d.isoformat(), *_metric_values(metrics, _sums(acc, posts, [d], day_share))])
        elif dims == ("month",):
            months: dict[str, list[date]] = {}
            for d in days:
                months.setdefault(d.strftime("%Y-%m"), []).append(d)
            for key, mdays in months.items():
                rows.append([key, *_metric_values(metrics, _sums(acc, posts, mdays, share))])
        elif dims == ("video",):
            for p in posts:
                vshare = _share_of_views(acc, [p], all_posts, days)
                values = _metric_values(metrics, _sums(acc, [p], days, vshare))
                s = _sums(acc, [p], days, 0)
                if s["views"] > 0:
                    rows.append([p.id, *values])
        elif dims in (("creatorContentType",), ("day", "creatorContentType")):
            groups = (("SHORTS", "short"), ("VIDEO_ON_DEMAND", "video"))
            for d_list in [[d] for d in days] if dims[0] == "day" else ([days] if days else []):
                for label, kind in groups:
                    kp = [p for p in posts if p.kind == kind]
                    if not kp:
                        continue
                    kshare = _share_of_views(acc, kp, all_posts, d_list)
                    vals = _metric_values(metrics, _sums(acc, kp, d_list, kshare))
                    rows.append(([d_list[0].isoformat()] if dims[0] == "day" else []) + [label, *vals])
        elif dims == ("country",):
            if days:
                total = _sums(acc, posts, days, share)
                weights = [unit(acc.seed, "country", c) + (2.0 if i == 0 else 0.3) for i, c in enumerate(COUNTRY_CODES)]
                tw = sum(weights)
                for c, w in zip(COUNTRY_CODES, weights, strict=True):
                    scaled = {k: v * w / tw for k, v in total.items()}
                    scaled["dur_views"] = total["dur_views"] * w / tw
                    rows.append([c, *_metric_values(metrics, scaled)])
        else:
            if days:
                cells = []
                for a in AGE_GROUPS:
                    for gnd in ("female", "male", "user_specified"):
                        wgt = unit(acc.seed, "agegender", a, gnd) * (0.05 if gnd == "user_specified" else 1.0)
                        if a in ("age13-17", "age65-"):
                            wgt *= 0.3
                        cells.append((a, gnd, wgt))
                tw = sum(c[2] for c in cells)
                grouped: dict[tuple[str, ...], float] = {}
                for a, gnd, wgt in cells:
                    cell = tuple({"ageGroup": a, "gender": gnd}[d] for d in dims)
                    grouped[cell] = grouped.get(cell, 0.0) + 100 * wgt / tw
                rows = [[*k, round(v, 1)] for k, v in grouped.items()]
        if sort:
            sort_keys = [s.strip() for s in sort.split(",") if s.strip()]
            headers = list(dims) + metrics
            for sort_key in reversed(sort_keys):
                name = sort_key.lstrip("-")
                if name not in headers:
                    raise _analytics_error("The query is not supported.")
                rows.sort(key=operator.itemgetter(headers.index(name)), reverse=sort_key.startswith("-"))
        start_index = int(start_raw)
        rows = rows[start_index - 1 :]
        if max_results:
            rows = rows[: int(max_results)]
        headers_out = [{"name": d, "columnType": "DIMENSION", "dataType": "STRING"} for d in dims]
        headers_out += [{"name": m, "columnType": "METRIC", "dataType": METRIC_TYPES[m]} for m in metrics]
        body: dict[str, Any] = {"kind": "youtubeAnalytics#resultTable", "columnHeaders": headers_out}
        if rows:
            body["rows"] = rows
        return json_response(body)
