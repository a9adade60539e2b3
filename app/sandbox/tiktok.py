"""TikTok Login Kit v2 (authorize, token, revoke) and Display API v2 (user info, video list and query)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, request

from .common import consent_page, error_page, json_response, pkce_ok, redirect_to, state
from .state import Token
from .util import hexchars
from .world import Account, Post

bp = Blueprint("sandbox_tiktok", __name__)

SCOPES = ("user.info.basic", "user.info.profile", "user.info.stats", "video.list")
FIELD_SCOPES = {
    "open_id": "user.info.basic",
    "union_id": "user.info.basic",
    "avatar_url": "user.info.basic",
    "avatar_url_100": "user.info.basic",
    "avatar_large_url": "user.info.basic",
    "display_name": "user.info.basic",
    "bio_description": "user.info.profile",
    "profile_deep_link": "user.info.profile",
    "is_verified": "user.info.profile",
    "username": "user.info.profile",
    "follower_count": "user.info.stats",
    "following_count": "user.info.stats",
    "likes_count": "user.info.stats",
    "video_count": "user.info.stats",
}
VIDEO_FIELDS = (
    "id",
    "create_time",
    "cover_image_url",
    "share_url",
    "video_description",
    "duration",
    "height",
    "width",
    "title",
    "embed_html",
    "embed_link",
    "like_count",
    "comment_count",
    "share_count",
    "view_count",
)
HTTP = {
    "ok": 200,
    "access_token_invalid": 401,
    "scope_not_authorized": 401,
    "scope_permission_missed": 401,
    "invalid_params": 400,
    "rate_limit_exceeded": 429,
    "internal_error": 500,
    "not_found": 404,
}
INVALID_TOKEN = "The access token is invalid or not found in the request."  # noqa: S105 - an error message


class TikTokError(Exception):
    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status or HTTP.get(code, 400)


def api_error(code: str, message: str, status: int | None = None, headers: dict[str, str] | None = None) -> Response:
    st = state()
    with st.lock:
        log_id = st.trace_id("tiktok")
    return json_response(
        {"data": {}, "error": {"code": code, "message": message, "log_id": log_id}},
        status or HTTP.get(code, 400),
        headers,
    )


def ok(data: dict[str, Any]) -> Response:
    st = state()
    return json_response({"data": data, "error": {"code": "ok", "message": "", "log_id": st.trace_id("tiktok")}})


@bp.errorhandler(TikTokError)
def _tiktok_error(err: TikTokError) -> Response:
    return api_error(err.code, err.message, err.status)


def oauth_error(error: str, description: str, status: int = 400, headers: dict[str, str] | None = None) -> Response:
    st = state()
    with st.lock:
        log_id = st.trace_id("tiktok")
    return json_response({"error": error, "error_description": description, "log_id": log_id}, status, headers)


def fault_response(fault: dict[str, Any], path: str) -> Response:
    kind = fault["kind"]
    headers = {"Retry-After": str(fault["retry_after"])} if fault.get("retry_after") is not None else None
    if kind == "malformed":
        return Response('{"data":{"videos":[{"id":"73', status=200, mimetype="application/json")
    if path.startswith("/open.tiktokapis.com/v2/oauth/"):
        table = {
            "rate_limited": ("rate_limit_exceeded", "Too many requests.", 429),
            "quota_exceeded": ("rate_limit_exceeded", "Too many requests.", 429),
            "server_error": ("server_error", "Internal error, please retry.", 500),
            "token_expired": ("invalid_grant", "Refresh token is invalid or expired.", 400),
            "token_revoked": ("invalid_grant", "Refresh token is invalid or expired.", 400),
        }
        err, desc, status = table[kind]
        return oauth_error(err, desc, status, headers)
    table2 = {
        "rate_limited": (
            "rate_limit_exceeded",
            "You have exceeded the rate limit of this API. Please retry later.",
        ),
        "quota_exceeded": ("rate_limit_exceeded", "You have exceeded the daily quota of this API."),
        "server_error": ("internal_error", "Something went wrong. Please try again later."),
        "token_expired": ("access_token_invalid", INVALID_TOKEN),
        "token_revoked": ("access_token_invalid", INVALID_TOKEN),
    }
    code, message = table2[kind]
    return api_error(code, message, headers=headers)


# --------------------------------------------------------------------------- OAuth
def _redirect(uri: str, params: dict[str, str]) -> Response:
    sep = "&" if "?" in uri else "?"
    return redirect_to(uri + sep + urlencode(params))


@bp.route("/www.tiktok.com/v2/auth/authorize/", methods=["GET", "POST"])
def authorize() -> Response:
    st = state()
    args = request.args
    with st.lock:
        client = st.client("tiktok", args.get("client_key"))
        if client is None:
            return error_page("Something went wrong", "client_key: this app is not registered (sandbox).")
        redirect_uri = args.get("redirect_uri", "")
        if not st.redirect_allowed(client, redirect_uri):
            return error_page("Something went wrong", "redirect_uri: does not match a registered redirect URI.")
        keep = {"state": args["state"]} if "state" in args else {}
        if args.get("response_type") != "code":
            return _redirect(
                redirect_uri,
                {
                    "error": "unsupported_response_type",
                    "error_description": "response_type must be code",
                    **keep,
                },
            )
        scopes = [s for s in (args.get("scope") or "").split(",") if s]
        bad = [s for s in scopes if s not in SCOPES]
        if not scopes or bad:
            return _redirect(
                redirect_uri,
                {
                    "error": "invalid_scope",
                    "error_description": "Invalid scope: " + ",".join(bad or ["(none)"]),
                    **keep,
                },
            )
        challenge = args.get("code_challenge")
        method = args.get("code_challenge_method")
        if challenge and (method or "").upper() != "S256":
            return _redirect(
                redirect_uri,
                {
                    "error": "invalid_request",
                    "error_description": "code_challenge_method must be S256",
                    **keep,
                },
            )
        if request.method == "GET":
            accounts = [
                {"id": a.id, "username": a.username, "display_name": a.display_name, "note": ""}
                for a in st.platform_accounts("tiktok")
            ]
            return consent_page("Log in to TikTok", client["client_id"], accounts, scopes)
        decision = request.form.get("decision")
        if decision == "deny":
            return _redirect(
                redirect_uri,
                {
                    "error": "access_denied",
                    "error_description": "The user denied the authorization request.",
                    **keep,
                },
            )
        if decision != "approve":
            return error_page("Something went wrong", "decision must be approve or deny")
        acc = st.accounts.get(request.form.get("account_id", ""))
        if acc is None or acc.platform != "tiktok":
            return error_page("Something went wrong", "Unknown account_id")
        code = st.issue_code(
            "tiktok",
            acc.id,
            client["client_id"],
            redirect_uri,
            scopes,
            challenge,
            "S256" if challenge else None,
        )
        st.save()
        return _redirect(redirect_uri, {"code": code.value, "scopes": ",".join(scopes), **keep})


def _token_payload(access: Token, refresh: Token, acc: Account) -> dict[str, Any]:
    st = state()
    assert refresh.expires_at is not None and access.expires_at is not None
    return {
        "access_token": access.value,
        "expires_in": int((access.expires_at - st.now()).total_seconds()),
        "open_id": acc.platform_user_id,
        "refresh_expires_in": int((refresh.expires_at - st.now()).total_seconds()),
        "refresh_token": refresh.value,
        "scope": ",".join(access.scopes),
        "token_type": "Bearer",
    }


@bp.post("/open.tiktokapis.com/v2/oauth/token/")
def token() -> Response:  # noqa: C901 - the OAuth checks read best in order
    st = state()
    form = request.form
    with st.lock:
        client = st.client("tiktok", form.get("client_key"))
        if client is None or form.get("client_secret") != client["client_secret"]:
            return oauth_error("invalid_client", "Client key or secret is incorrect.", 401)
        grant = form.get("grant_type")
        if grant == "authorization_code":
            code = st.codes.get(form.get("code") or "")
            if code is None or code.platform != "tiktok" or code.client_id != client["client_id"]:
                return oauth_error("invalid_grant", "Authorization code is invalid.")
            if code.used:
                st.revoke_grant(code.grant_id)
                return oauth_error("invalid_grant", "Authorization code has been used.")
            if (st.now() - code.issued_at).total_seconds() > st.cfg["CODE_TTL"]:
                return oauth_error("invalid_grant", "Authorization code is expired.")
            if form.get("redirect_uri") != code.redirect_uri:
                return oauth_error("invalid_request", "redirect_uri does not match the authorization request.")
            if not pkce_ok(code.code_challenge, code.code_challenge_method, form.get("code_verifier")):
                return oauth_error("invalid_grant", "Code verifier or code challenge is invalid.")
            code.used = True
            acc = st.accounts.get(code.account_id)
            if acc is None:
                return oauth_error("invalid_grant", "Authorization code is invalid.")
            access = st.issue_token(
                "tiktok",
                "access",
                acc.id,
                client["client_id"],
                code.scopes,
                st.cfg["TIKTOK_ACCESS_TTL"],
                code.grant_id,
            )
            refresh = st.issue_token(
                "tiktok",
                "refresh",
                acc.id,
                client["client_id"],
                code.scopes,
                st.cfg["TIKTOK_REFRESH_TTL"],
                code.grant_id,
            )
            st.save()
            return json_response(_token_payload(access, refresh, acc))
        if grant == "refresh_token":
            old = st.tokens.get(form.get("refresh_token") or "")
            if old is None or old.kind != "refresh" or old.platform != "tiktok" or old.client_id != client["client_id"]:
                return oauth_error("invalid_grant", "Refresh token is invalid or expired.")
            status = st.token_status(old)
            if status != "ok":
                return oauth_error("invalid_grant", "Refresh token is invalid or expired.")
            acc = st.accounts[old.account_id]
            old.superseded = True
            access = st.issue_token(
                "tiktok",
                "access",
                acc.id,
                old.client_id,
                old.scopes,
                st.cfg["TIKTOK_ACCESS_TTL"],
                old.grant_id,
            )
            refresh = st.issue_token(
                "tiktok",
                "refresh",
                acc.id,
                old.client_id,
                old.scopes,
                st.cfg["TIKTOK_REFRESH_TTL"],
                old.grant_id,
            )
            st.save()
            return json_response(_token_payload(access, refresh, acc))
        return oauth_error("unsupported_grant_type", "grant_type must be authorization_code or refresh_token.")


@bp.post("/open.tiktokapis.com/v2/oauth/revoke/")
def revoke() -> Response:
    st = state()
    form = request.form
    with st.lock:
        client = st.client("tiktok", form.get("client_key"))
        if client is None or form.get("client_secret") != client["client_secret"]:
            return oauth_error("invalid_client", "Client key or secret is incorrect.", 401)
        tok = st.tokens.get(form.get("token") or "")
        if tok is None or tok.platform != "tiktok" or tok.client_id != client["client_id"]:
            return oauth_error("invalid_request", "The token is invalid.")
        st.revoke_grant(tok.grant_id)
        st.save()
        return json_response({})


# --------------------------------------------------------------------------- Display API
def _auth() -> tuple[Token, Account]:
    st = state()
    header = request.headers.get("Authorization", "")
    value = header[7:].strip() if header.startswith("Bearer ") else ""
    tok = st.tokens.get(value)
    if tok is None or tok.kind != "access" or tok.platform != "tiktok" or st.token_status(tok) != "ok":
        raise TikTokError("access_token_invalid", INVALID_TOKEN)
    return tok, st.accounts[tok.account_id]


def _rate_limit(tok: Token, endpoint: str) -> None:
    st = state()
    _, allowed = st.window_hit(f"tiktok|{tok.client_id}|{endpoint}", 60, int(st.cfg["TIKTOK_RATE_LIMIT_PER_MIN"]))
    if not allowed:
        raise TikTokError("rate_limit_exceeded", "You have exceeded the rate limit of this API. Please retry later.")


def _fields(allowed: tuple[str, ...] | list[str]) -> list[str]:
    raw = request.args.get("fields")
    if not raw:
        raise TikTokError("invalid_params", "The fields parameter is required.")
    fields = [f.strip() for f in raw.split(",") if f.strip()]
    bad = [f for f in fields if f not in allowed]
    if bad:
        raise TikTokError("invalid_params", f"Invalid fields: {','.join(bad)}")
    return fields


def _json_body() -> dict[str, Any]:
    if not request.data:
        return {}
    data = request.get_json(silent=True, force=True)
    if not isinstance(data, dict):
        raise TikTokError("invalid_params", "The request body must be a JSON object.")
    return data


@bp.get("/open.tiktokapis.com/v2/user/info/")
def user_info() -> Response:
    st = state()
    with st.lock:
        tok, acc = _auth()
        _rate_limit(tok, "user/info")
        fields = _fields(list(FIELD_SCOPES))
        missing = sorted({FIELD_SCOPES[f] for f in fields} - set(tok.scopes))
        if missing:
            raise TikTokError(
                "scope_not_authorized",
                "The user did not authorize the scope required for completing this request.",
            )
        now = st.now()
        posts = acc.posts_at(now)
        avatar = f"https://p16-sign.tiktokcdn-us.com/tos-useast5-avt-0068-tx/{acc.scoped_id[:16]}~c5_168x168.jpeg"
        values: dict[str, Any] = {
            "open_id": acc.platform_user_id,
            "union_id": acc.scoped_id,
            "avatar_url": avatar,
            "avatar_url_100": avatar.replace("168x168", "100x100"),
            "avatar_large_url": avatar.replace("168x168", "1080x1080"),
            "display_name": acc.display_name,
            "bio_description": acc.bio,
            "profile_deep_link": f"https://vm.tiktok.com/{acc.scoped_id[:9]}/",
            "is_verified": acc.verified,
            "username": acc.username,
            "follower_count": acc.followers_on(now.date()),
            "following_count": acc.following,
            "likes_count": sum(p.count("likes", now) for p in posts),
            "video_count": len(posts),
        }
        return ok({"user": {f: values[f] for f in fields}})


def video_object(acc: Account, post: Post, fields: list[str]) -> dict[str, Any]:
    st = state()
    now = st.now()
    expires = int(now.timestamp()) + 6 * 3600
    values: dict[str, Any] = {
        "id": post.id,
        "create_time": int(post.published_at.timestamp()),
        "cover_image_url": f"https://p16-sign.tiktokcdn-us.com/obj/tos-useast5-p-0068-tx/{post.id}~tplv-noop.image"
        f"?x-expires={expires}&x-signature={hexchars(24, post.id, expires)}",
        "share_url": f"https://www.tiktok.com/@{acc.username}/video/{post.id}",
        "video_description": post.caption[:150],
        "duration": post.duration,
        "height": 1920,
        "width": 1080,
        "title": post.caption[:150],
        "embed_html": f'<blockquote class="tiktok-embed" cite="https://www.tiktok.com/@{acc.username}/video/'
        f'{post.id}" data-video-id="{post.id}"></blockquote>',
        "embed_link": f"https://www.tiktok.com/player/v1/{post.id}",
        "like_count": post.count("likes", now),
        "comment_count": post.count("comments", now),
        "share_count": post.count("shares", now),
        "view_count": post.count("views", now),
    }
    return {f: values[f] for f in fields}


def _need_video_scope(tok: Token) -> None:
    if "video.list" not in tok.scopes:
        raise TikTokError(
            "scope_not_authorized",
            "The user did not authorize the scope required for completing this request.",
        )


@bp.post("/open.tiktokapis.com/v2/video/list/")
def video_list() -> Response:
    st = state()
    with st.lock:
        tok, acc = _auth()
        _rate_limit(tok, "video/list")
        _need_video_scope(tok)
        fields = _fields(VIDEO_FIELDS)
        body = _json_body()
        max_count = body.get("max_count", 10)
        if not isinstance(max_count, int) or isinstance(max_count, bool) or not 1 <= max_count <= 20:
            raise TikTokError("invalid_params", "max_count must be an integer between 1 and 20.")
        cursor = body.get("cursor")
        if cursor is not None and (not isinstance(cursor, int) or isinstance(cursor, bool) or cursor < 0):
            raise TikTokError("invalid_params", "cursor must be a UTC Unix timestamp in milliseconds.")
        posts = acc.posts_at(st.now())
        if cursor is not None:
            posts = [p for p in posts if int(p.published_at.timestamp()) * 1000 < cursor]
        size = max_count
        if st.cfg["TIKTOK_SHORT_PAGES"] and len(posts) > max_count:
            size = max(1, max_count - int(posts[0].id[-1]) % 3)
        page = posts[:size]
        has_more = len(posts) > len(page)
        next_cursor = int(page[-1].published_at.timestamp()) * 1000 if page else (cursor or 0)
        return ok(
            {
                "videos": [video_object(acc, p, fields) for p in page],
                "cursor": next_cursor,
                "has_more": has_more,
            }
        )


@bp.post("/open.tiktokapis.com/v2/video/query/")
def video_query() -> Response:
    st = state()
    with st.lock:
        tok, acc = _auth()
        _rate_limit(tok, "video/query")
        _need_video_scope(tok)
        fields = _fields(VIDEO_FIELDS)
        body = _json_body()
        filters = body.get("filters")
        ids = filters.get("video_ids") if isinstance(filters, dict) else None
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise TikTokError("invalid_params", "filters.video_ids must be a non-empty list of video ids.")
        if len(ids) > 20:
            raise TikTokError("invalid_params", "filters.video_ids can contain at most 20 ids.")
        by_id = {p.id: p for p in acc.posts_at(st.now())}
        videos = [video_object(acc, by_id[i], fields) for i in ids if i in by_id]
        return ok({"videos": videos, "cursor": 0, "has_more": False})
