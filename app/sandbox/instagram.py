"""Instagram API with Instagram Login: OAuth, graph.instagram.com nodes, edges and insights."""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, g, request

from .common import consent_page, error_page, json_response, redirect_to, state
from .state import Token
from .util import day_start, iso_meta, parse_datetime, unit, utc
from .world import Account, Post

bp = Blueprint("sandbox_instagram", __name__)

SCOPES = (
    "instagram_business_basic",
    "instagram_business_manage_insights",
    "instagram_business_manage_comments",
    "instagram_business_content_publish",
    "instagram_business_manage_messages",
)
OLD_SCOPES = (
    "business_basic",
    "business_content_publish",
    "business_manage_comments",
    "business_manage_messages",
)
BASIC = "instagram_business_basic"
INSIGHTS = "instagram_business_manage_insights"

USER_FIELDS = (
    "id",
    "user_id",
    "username",
    "name",
    "account_type",
    "profile_picture_url",
    "followers_count",
    "follows_count",
    "media_count",
    "biography",
    "website",
)
MEDIA_FIELDS = (
    "id",
    "caption",
    "media_type",
    "media_product_type",
    "media_url",
    "permalink",
    "shortcode",
    "thumbnail_url",
    "timestamp",
    "username",
    "like_count",
    "comments_count",
    "is_comment_enabled",
    "owner",
    "children",
    "alt_text",
    "is_shared_to_feed",
)
EXTRA_MEDIA_FIELDS = ("view_count", "saved_count", "shares_count", "reposts_count")

MEDIA_METRICS: dict[str, tuple[str, ...]] = {
    "FEED": (
        "views",
        "reach",
        "likes",
        "comments",
        "saved",
        "shares",
        "reposts",
        "total_interactions",
        "follows",
        "profile_visits",
        "profile_activity",
        "facebook_views",
    ),
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
        "reels_skip_rate",
        "crossposted_views",
        "facebook_views",
    ),
    "STORY": (
        "views",
        "reach",
        "shares",
        "reposts",
        "total_interactions",
        "follows",
        "profile_visits",
        "profile_activity",
        "replies",
        "navigation",
        "facebook_views",
    ),
}
ALL_MEDIA_METRICS = tuple(dict.fromkeys(m for ms in MEDIA_METRICS.values() for m in ms))
DEPRECATED_MEDIA_METRICS = (
    "impressions",
    "plays",
    "clips_replays_count",
    "ig_reels_aggregated_all_plays_count",
    "video_views",
    "carousel_album_impressions",
    "carousel_album_reach",
    "carousel_album_engagement",
    "carousel_album_saved",
    "carousel_album_video_views",
    "taps_forward",
    "taps_back",
    "exits",
    "engagement",
)
USER_METRICS = (
    "reach",
    "views",
    "follower_count",
    "online_followers",
    "accounts_engaged",
    "total_interactions",
    "likes",
    "comments",
    "shares",
    "saves",
    "replies",
    "reposts",
    "follows_and_unfollows",
    "profile_links_taps",
    "follower_demographics",
    "engaged_audience_demographics",
)
TIME_SERIES_METRICS = ("reach", "follower_count", "online_followers")
TOTAL_VALUE_ONLY = (
    "views",
    "accounts_engaged",
    "total_interactions",
    "likes",
    "comments",
    "shares",
    "saves",
    "replies",
    "reposts",
    "follows_and_unfollows",
    "profile_links_taps",
)
DEMOGRAPHICS = ("follower_demographics", "engaged_audience_demographics")
BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "reach": ("media_product_type", "follow_type"),
    "views": ("follower_type", "media_product_type"),
    "total_interactions": ("media_product_type",),
    "likes": ("media_product_type",),
    "comments": ("media_product_type",),
    "shares": ("media_product_type",),
    "saves": ("media_product_type",),
    "follows_and_unfollows": ("follow_type",),
    "profile_links_taps": ("contact_button_type",),
    "follower_demographics": ("age", "gender", "country", "city"),
    "engaged_audience_demographics": ("age", "gender", "country", "city"),
}
TITLES = {
    "views": "Views",
    "reach": "Accounts reached",
    "likes": "Likes",
    "comments": "Comments",
    "saved": "Saved",
    "saves": "Saves",
    "shares": "Shares",
    "reposts": "Reposts",
    "total_interactions": "Interactions",
    "follows": "Follows",
    "profile_visits": "Profile visits",
    "profile_activity": "Profile activity",
    "ig_reels_avg_watch_time": "Average watch time",
    "ig_reels_video_view_total_time": "Watch time",
    "reels_skip_rate": "Skip rate",
    "follower_count": "Follower count",
    "accounts_engaged": "Accounts engaged",
    "replies": "Replies",
    "follows_and_unfollows": "Follows and unfollows",
    "follower_demographics": "Follower demographics",
    "engaged_audience_demographics": "Engaged audience demographics",
    "online_followers": "Online followers",
}
PRODUCT = {"image": ("IMAGE", "FEED"), "carousel": ("CAROUSEL_ALBUM", "FEED"), "reel": ("VIDEO", "REELS")}
AGES = ("13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
COUNTRIES = ("US", "GB", "DE", "FR", "BR", "IN", "CA", "AU", "ES", "IT", "MX", "NL", "SE", "JP", "PL")
CITIES = (
    "London, England",
    "New York, New York",
    "Los Angeles, California",
    "Berlin, Berlin",
    "Paris, Ile-de-France",
    "Sao Paulo, Sao Paulo",
    "Mumbai, Maharashtra",
    "Toronto, Ontario",
    "Sydney, New South Wales",
    "Madrid, Comunidad de Madrid",
    "Chicago, Illinois",
    "Manchester, England",
    "Amsterdam, North Holland",
)
VERSION_RE = re.compile(r"^v\d+\.\d+$")
DAY = timedelta(days=1)


class GraphError(Exception):
    def __init__(
        self,
        message: str,
        code: int,
        subcode: int | None = None,
        type_: str = "OAuthException",
        status: int = 400,
        transient: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message, self.code, self.subcode, self.type, self.status = message, code, subcode, type_, status
        self.transient = transient


def graph_error_response(err: GraphError) -> Response:
    body: dict[str, Any] = {"message": err.message, "type": err.type, "code": err.code}
    if err.subcode is not None:
        body["error_subcode"] = err.subcode
    if err.transient is not None:
        body["is_transient"] = err.transient
    body["fbtrace_id"] = state().trace_id("meta")
    return json_response({"error": body}, err.status)


@bp.errorhandler(GraphError)
def _graph_error(err: GraphError) -> Response:
    return graph_error_response(err)


def unknown_path() -> Response:
    with state().lock:
        return graph_error_response(GraphError(f"Unknown path components: {request.path.split('.com', 1)[-1]}", 2500))


# --------------------------------------------------------------------------- usage headers
def _usage(count: int, limit: int) -> int:
    return min(100, int(math.ceil(100 * count / max(limit, 1)))) if count else 0


def add_usage_headers(response: Response) -> None:
    st = state()
    with st.lock:
        client = getattr(g, "meta_client", None) or "anonymous"
        app_count = st.window_count(f"meta_app|{client}", 3600)
        pct = _usage(app_count, int(st.cfg["META_APP_HOURLY_LIMIT"]))
        response.headers["X-App-Usage"] = json.dumps(
            {"call_count": pct, "total_cputime": pct * 2 // 5, "total_time": pct * 3 // 5},
            separators=(",", ":"),
        )
        account: Account | None = getattr(g, "meta_account", None)
        buc: dict[str, Any] = {}
        if account is not None:
            key = f"meta_buc|{account.platform_user_id}"
            count = st.window_count(key, 86400)
            bpct = _usage(count, int(st.cfg["META_BUC_DAILY_LIMIT"]))
            regain = 0
            if bpct >= 100:
                dq = st.windows.get(key)
                if dq:
                    regain = max(1, int(math.ceil((dq[0] + 86400 - st.now().timestamp()) / 60)))
            forced = getattr(g, "meta_regain", None)
            if forced is not None:
                regain = forced
                bpct = 100
            buc[account.platform_user_id] = [
                {
                    "type": "instagram",
                    "call_count": bpct,
                    "total_cputime": bpct * 2 // 5,
                    "total_time": bpct * 3 // 5,
                    "estimated_time_to_regain_access": regain,
                }
            ]
        response.headers["X-Business-Use-Case-Usage"] = json.dumps(buc, separators=(",", ":"))
        version = getattr(g, "meta_version", None)
        if version:
            response.headers["facebook-api-version"] = version


# --------------------------------------------------------------------------- faults
def fault_response(fault: dict[str, Any], path: str) -> Response:
    kind = fault["kind"]
    st = state()
    if path.startswith("/api.instagram.com/"):
        status, msg = {
            "server_error": (500, "Oops, an error occurred."),
            "rate_limited": (429, "Too many requests"),
            "quota_exceeded": (429, "Too many requests"),
        }.get(kind, (400, "Invalid authorization code"))
        if kind == "malformed":
            return Response('{"access_token": "IGAA', status=200, mimetype="application/json")
        return json_response({"error_type": "OAuthException", "code": status, "error_message": msg}, status)
    retry = fault.get("retry_after")
    if retry is not None:
        g.meta_regain = max(1, int(math.ceil(retry / 60)))
    errors = {
        "rate_limited": GraphError("(#4) Application request limit reached", 4, transient=True),
        "quota_exceeded": GraphError(
            "(#80002) There have been too many calls to this Instagram account. "
            "Wait a bit and try again. For more info, please refer to "
            "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
            80002,
            transient=True,
        ),
        "server_error": GraphError(
            "An unexpected error has occurred. Please retry your request later.",
            2,
            status=500,
            transient=True,
        ),
        "token_expired": GraphError(_expired_message(st.now() - timedelta(hours=1), st.now()), 190, 463),
        "token_revoked": GraphError(
            "Error validating access token: The user has not authorized application sandbox-ig-app.", 190, 458
        ),
    }
    if kind == "malformed":
        return Response('{"data":[{"id":"1790000', status=200, mimetype="application/json")
    if kind in ("rate_limited", "quota_exceeded"):
        acc = _account_from_request_token()
        if acc is not None:
            g.meta_account = acc
            g.meta_regain = g.get("meta_regain") or 60
    with st.lock:
        return graph_error_response(errors[kind])


def _account_from_request_token() -> Account | None:
    st = state()
    with st.lock:
        tok = st.tokens.get(_token_value() or "")
        return st.accounts.get(tok.account_id) if tok else None


# --------------------------------------------------------------------------- OAuth
def _redirect(uri: str, params: dict[str, str]) -> Response:
    sep = "&" if "?" in uri else "?"
    return redirect_to(uri + sep + urlencode(params) + "#_")


def _scopes(raw: str | None) -> list[str]:
    return [s for s in re.split(r"[,\s]+", raw or "") if s]


@bp.route("/www.instagram.com/oauth/authorize", methods=["GET", "POST"])
@bp.route("/api.instagram.com/oauth/authorize", methods=["GET", "POST"])
def authorize() -> Response:
    st = state()
    args = request.args
    with st.lock:
        client = st.client("instagram", args.get("client_id"))
        if client is None:
            return error_page("Invalid Request", "Invalid Request: Invalid platform app")
        redirect_uri = args.get("redirect_uri", "")
        if not st.redirect_allowed(client, redirect_uri):
            return error_page("Invalid Request", "Invalid Request: Redirect URI does not match registered redirect URI")
        if args.get("response_type") != "code":
            return error_page("Invalid Request", "Invalid Request: Unsupported response_type, must be 'code'")
        scopes = _scopes(args.get("scope"))
        bad = [s for s in scopes if s not in SCOPES]
        if not scopes or bad:
            return error_page("Invalid Scopes", "Invalid Scopes: " + ", ".join(bad or ["(none)"]))
        state_param = {"state": args["state"]} if "state" in args else {}
        if request.method == "GET":
            accounts = [
                {
                    "id": a.id,
                    "username": a.username,
                    "display_name": a.display_name,
                    "note": "personal account: switch to a professional account to continue"
                    if a.account_type == "PERSONAL"
                    else "",
                }
                for a in st.platform_accounts("instagram")
            ]
            return consent_page("Log in with Instagram", client["client_id"], accounts, scopes)
        decision = request.form.get("decision")
        if decision == "deny":
            return _redirect(
                redirect_uri,
                {
                    "error": "access_denied",
                    "error_reason": "user_denied",
                    "error_description": "The user denied your request.",
                    **state_param,
                },
            )
        if decision != "approve":
            return error_page("Invalid Request", "decision must be approve or deny")
        acc = st.accounts.get(request.form.get("account_id", ""))
        if acc is None or acc.platform != "instagram":
            return error_page("Invalid Request", "Unknown account_id")
        if acc.account_type == "PERSONAL":
            return _redirect(
                redirect_uri,
                {
                    "error": "access_denied",
                    "error_reason": "not_professional_account",
                    "error_description": "This Instagram account is not a professional (Business or Creator) account.",
                    **state_param,
                },
            )
        code = st.issue_code("instagram", acc.id, client["client_id"], redirect_uri, scopes, None, None)
        st.save()
        return _redirect(redirect_uri, {"code": code.value, **state_param})


def _ig_oauth_error(message: str, status: int = 400) -> Response:
    return json_response({"error_type": "OAuthException", "code": status, "error_message": message}, status)


@bp.post("/api.instagram.com/oauth/access_token")
def access_token() -> Response:
    st = state()
    form = request.form
    with st.lock:
        client = st.client("instagram", form.get("client_id"))
        if client is None:
            return _ig_oauth_error("Invalid platform app")
        if form.get("client_secret") != client["client_secret"]:
            return _ig_oauth_error("Error validating client secret.")
        if form.get("grant_type") != "authorization_code":
            return _ig_oauth_error("Unsupported grant_type, must be authorization_code")
        raw = (form.get("code") or "").removesuffix("#_")
        code = st.codes.get(raw)
        if code is None or code.platform != "instagram" or code.client_id != client["client_id"]:
            return _ig_oauth_error("Invalid authorization code")
        if code.used:
            return _ig_oauth_error("This authorization code has been used")
        if (st.now() - code.issued_at).total_seconds() > st.cfg["CODE_TTL"]:
            return _ig_oauth_error("This authorization code has expired")
        if form.get("redirect_uri") != code.redirect_uri:
            return _ig_oauth_error(
                "Error validating verification code. Please make sure your redirect_uri is "
                "identical to the one you used in the OAuth dialog request"
            )
        code.used = True
        acc = st.accounts.get(code.account_id)
        if acc is None:
            return _ig_oauth_error("Invalid authorization code")
        tok = st.issue_token(
            "instagram",
            "ig_short",
            acc.id,
            client["client_id"],
            code.scopes,
            st.cfg["IG_SHORT_TOKEN_TTL"],
            code.grant_id,
        )
        st.save()
        payload = {
            "access_token": tok.value,
            "user_id": acc.platform_user_id,
            "permissions": ",".join(code.scopes),
        }
        if st.cfg["IG_TOKEN_RESPONSE_SHAPE"] == "wrapped":  # noqa: S105
            return json_response({"data": [payload]})
        return json_response(payload)


def _expired_message(expired_at: datetime, now: datetime) -> str:
    fmt = "%A, %d-%b-%y %H:%M:%S UTC"
    return (
        f"Error validating access token: Session has expired on {utc(expired_at).strftime(fmt)}. "
        f"The current time is {utc(now).strftime(fmt)}."
    )


def _token_value() -> str | None:
    value = request.args.get("access_token") or request.form.get("access_token")
    if value:
        return value
    header = request.headers.get("Authorization", "")
    for prefix in ("Bearer ", "OAuth "):
        if header.startswith(prefix):
            return header[len(prefix) :].strip()
    return None


def check_token(value: str | None) -> Token:
    """Validate an IG user token; raise the Graph error a real call would get."""
    st = state()
    if not value:
        raise GraphError("An active access token must be used to query information about the current user.", 2500)
    tok = st.tokens.get(value)
    if tok is None or tok.platform != "instagram":
        raise GraphError("Invalid OAuth access token - Cannot parse access token", 190, 467)
    status = st.token_status(tok)
    if status == "expired":
        assert tok.expires_at is not None
        raise GraphError(_expired_message(tok.expires_at, st.now()), 190, 463)
    if status == "revoked":
        raise GraphError(
            f"Error validating access token: The user has not authorized application {tok.client_id}.",
            190,
            458,
        )
    if status != "ok":
        raise GraphError("Error validating access token: The session is invalid because the user logged out.", 190, 467)
    g.meta_client = tok.client_id
    return tok


@bp.get("/graph.instagram.com/access_token")
def exchange_token() -> Response:
    st = state()
    with st.lock:
        if request.args.get("grant_type") != "ig_exchange_token":
            raise GraphError("Unsupported grant type: expected ig_exchange_token", 100)
        tok = check_token(_token_value())
        client = st.client("instagram", tok.client_id)
        if client is None or request.args.get("client_secret") != client["client_secret"]:
            raise GraphError("Error validating client secret.", 1, type_="OAuthException")
        if tok.kind != "ig_short":
            raise GraphError("(#100) The access token must be a short-lived Instagram User access token", 100)
        new = st.issue_token(
            "instagram",
            "ig_long",
            tok.account_id,
            tok.client_id,
            tok.scopes,
            st.cfg["IG_LONG_TOKEN_TTL"],
            tok.grant_id,
        )
        st.save()
        return json_response(
            {
                "access_token": new.value,
                "token_type": "bearer",
                "expires_in": int(st.cfg["IG_LONG_TOKEN_TTL"]),
            }
        )


@bp.get("/graph.instagram.com/refresh_access_token")
def refresh_token() -> Response:
    st = state()
    with st.lock:
        if request.args.get("grant_type") != "ig_refresh_token":
            raise GraphError("Unsupported grant type: expected ig_refresh_token", 100)
        tok = check_token(_token_value())
        if tok.kind != "ig_long":
            raise GraphError("(#100) Only long-lived Instagram User access tokens can be refreshed", 100)
        age = (st.now() - tok.issued_at).total_seconds()
        if age < st.cfg["IG_REFRESH_MIN_AGE"]:
            raise GraphError("(#100) The access token must be at least 24 hours old to be refreshed", 100)
        new = st.issue_token(
            "instagram",
            "ig_long",
            tok.account_id,
            tok.client_id,
            tok.scopes,
            st.cfg["IG_LONG_TOKEN_TTL"],
            tok.grant_id,
        )
        st.save()
        return json_response(
            {
                "access_token": new.value,
                "token_type": "bearer",
                "expires_in": int(st.cfg["IG_LONG_TOKEN_TTL"]),
            }
        )


# --------------------------------------------------------------------------- graph dispatch
def _resolve_version(version: str) -> str:
    st = state()
    versions: dict[str, str | None] = st.cfg["META_VERSIONS"]
    known = sorted(versions, key=lambda v: float(v[1:]))
    today = st.today()

    def alive(v: str) -> bool:
        exp = versions[v]
        return exp is None or date.fromisoformat(exp) >= today

    number = float(version[1:])
    if number > float(known[-1][1:]):
        raise GraphError(f"Unknown path components: /{version}", 2500)
    candidates = [v for v in known if float(v[1:]) >= number and alive(v)]
    if not candidates:
        raise GraphError(f"Unknown path components: /{version}", 2500)
    return candidates[0]


def _default_version() -> str:
    st = state()
    versions: dict[str, str | None] = st.cfg["META_VERSIONS"]
    return _resolve_version(sorted(versions, key=lambda v: float(v[1:]))[0])


def split_fields(raw: str | None) -> list[str]:
    """Split a Graph ``fields`` value on top-level commas (keeps ``children{id}`` together)."""
    if not raw:
        return []
    out, depth, cur = [], 0, ""
    for ch in raw:
        if ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


@bp.route("/graph.instagram.com/<path:rest>", methods=["GET", "POST", "DELETE"])
def graph(rest: str) -> Response:  # noqa: C901 - Graph's routing ladder
    st = state()
    parts = [p for p in rest.split("/") if p]
    with st.lock:
        if parts and VERSION_RE.match(parts[0]):
            g.meta_version = _resolve_version(parts[0])
            parts = parts[1:]
        else:
            g.meta_version = _default_version()
        if not parts or len(parts) > 2:
            raise GraphError(f"Unknown path components: /{rest}", 2500)
        if request.method != "GET":
            raise GraphError(
                "Unsupported post request. Object does not support this operation.",
                100,
                33,
                "GraphMethodException",
            )
        tok = check_token(_token_value())
        acc = st.accounts.get(tok.account_id)
        if acc is None:
            raise GraphError("Error validating access token: The user has not authorized application.", 190, 458)
        g.meta_account = acc
        _throttle(tok, acc)
        node, edge = parts[0], (parts[1] if len(parts) > 1 else None)
        if node in ("me", acc.platform_user_id, acc.scoped_id):
            if BASIC not in tok.scopes:
                raise GraphError("(#10) Application does not have permission for this action", 10)
            if edge is None:
                return json_response(user_node(acc, split_fields(request.args.get("fields"))))
            if edge == "media":
                return json_response(media_edge(acc))
            if edge == "stories":
                return json_response({"data": []})
            if edge == "insights":
                if INSIGHTS not in tok.scopes:
                    raise GraphError("(#10) Application does not have permission for this action", 10)
                return json_response(user_insights(acc))
            raise GraphError(f"Unknown path components: /{edge}", 2500)
        post = acc.find_post(node, st.now())
        if post is None:
            raise GraphError(
                f"Unsupported get request. Object with ID '{node}' does not exist, cannot be loaded "
                "due to missing permissions, or does not support this operation. Please read the "
                "Graph API documentation at https://developers.facebook.com/docs/graph-api",
                100,
                33,
                "GraphMethodException",
            )
        if BASIC not in tok.scopes:
            raise GraphError("(#10) Application does not have permission for this action", 10)
        if edge is None:
            return json_response(media_node(acc, post, split_fields(request.args.get("fields"))))
        if edge == "insights":
            if INSIGHTS not in tok.scopes:
                raise GraphError("(#10) Application does not have permission for this action", 10)
            return json_response(media_insights(post))
        if edge == "children":
            return json_response({"data": [{"id": cid} for cid in _children(post)]})
        if edge == "comments":
            return json_response({"data": []})
        raise GraphError(f"Unknown path components: /{edge}", 2500)


def _throttle(tok: Token, acc: Account) -> None:
    st = state()
    _, app_ok = st.window_hit(f"meta_app|{tok.client_id}", 3600, int(st.cfg["META_APP_HOURLY_LIMIT"]))
    if not app_ok:
        raise GraphError("(#4) Application request limit reached", 4, transient=True)
    _, buc_ok = st.window_hit(f"meta_buc|{acc.platform_user_id}", 86400, int(st.cfg["META_BUC_DAILY_LIMIT"]))
    if not buc_ok:
        raise GraphError(
            "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again.",
            80002,
            transient=True,
        )


def user_node(acc: Account, fields: list[str]) -> dict[str, Any]:
    now = state().now()
    getters: dict[str, Any] = {
        "id": lambda: acc.scoped_id,
        "user_id": lambda: acc.platform_user_id,
        "username": lambda: acc.username,
        "name": lambda: acc.display_name,
        "account_type": lambda: acc.account_type,
        "profile_picture_url": lambda: f"https://scontent.cdninstagram.com/v/t51.2885-19/{acc.platform_user_id}_n.jpg",
        "followers_count": lambda: acc.followers_on(now.date()),
        "follows_count": lambda: acc.following,
        "media_count": lambda: len(acc.posts_at(now)),
        "biography": lambda: acc.bio,
        "website": lambda: f"https://example.com/{acc.username}",
    }
    out: dict[str, Any] = {}
    for f in fields or ["id"]:
        if f not in getters:
            raise GraphError(f"(#100) Tried accessing nonexisting field ({f}) on node type (IGUser)", 100)
        out[f] = getters[f]()
    out.setdefault("id", acc.scoped_id)
    return out


def _children(post: Post) -> list[str]:
    if post.kind != "carousel":
        return []
    n = 2 + int(unit(post.id, "children") * 5)
    return [str(int(post.id) + i + 1) for i in range(n)]


def media_node(acc: Account, post: Post, fields: list[str]) -> dict[str, Any]:
    st = state()
    now = st.now()
    allowed = MEDIA_FIELDS + (EXTRA_MEDIA_FIELDS if st.cfg["IG_MEDIA_EXTRA_COUNT_FIELDS"] else ())
    media_type, product = PRODUCT[post.kind]
    cdn = "https://scontent.cdninstagram.com/v/t51.2885-15"
    kids = _children(post)
    getters: dict[str, Any] = {
        "id": lambda: post.id,
        "caption": lambda: post.caption or None,
        "media_type": lambda: media_type,
        "media_product_type": lambda: product,
        "media_url": lambda: f"{cdn}/{post.id}_n.{'mp4' if media_type == 'VIDEO' else 'jpg'}",
        "permalink": lambda: f"https://www.instagram.com/{'reel' if product == 'REELS' else 'p'}/{post.shortcode}/",
        "shortcode": lambda: post.shortcode,
        "thumbnail_url": lambda: f"{cdn}/{post.id}_thumb.jpg" if media_type == "VIDEO" else None,
        "timestamp": lambda: iso_meta(post.published_at),
        "username": lambda: acc.username,
        "like_count": lambda: post.count("likes", now),
        "comments_count": lambda: post.count("comments", now),
        "is_comment_enabled": lambda: True,
        "owner": lambda: {"id": acc.platform_user_id},
        "children": lambda: {"data": [{"id": c} for c in kids]} if kids else None,
        "alt_text": lambda: None,
        "is_shared_to_feed": lambda: True if product == "REELS" else None,
        "view_count": lambda: post.count("views", now),
        "saved_count": lambda: post.count("saves", now),
        "shares_count": lambda: post.count("shares", now),
        "reposts_count": lambda: post.count("reposts", now),
    }
    out: dict[str, Any] = {}
    for f in fields or ["id"]:
        name = f.split("{", 1)[0]
        if name not in allowed:
            raise GraphError(f"(#100) Tried accessing nonexisting field ({name}) on node type (IGMedia)", 100)
        value = getters[name]()
        if value is not None:
            out[name] = value
    return out


def _cursor(post_id: str) -> str:
    import base64

    return base64.b64encode(f"QVFI{post_id}".encode()).decode().rstrip("=")


def _decode_cursor(value: str) -> str | None:
    import base64
    import binascii

    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return raw[4:] if raw.startswith("QVFI") and raw[4:].isdigit() else None


def _page_url(params: dict[str, str]) -> str:
    return request.base_url + "?" + urlencode(params)


def media_edge(acc: Account) -> dict[str, Any]:
    st = state()
    now = st.now()
    fields = split_fields(request.args.get("fields"))
    posts = acc.posts_at(now)
    limit_raw = request.args.get("limit", "25")
    try:
        limit = int(limit_raw)
    except ValueError as exc:
        raise GraphError("(#100) Param limit must be an integer", 100) from exc
    limit = max(1, min(limit, 100))
    ids = [p.id for p in posts]
    after, before = request.args.get("after"), request.args.get("before")
    start, end = 0, min(limit, len(posts))
    if after:
        pid = _decode_cursor(after)
        if pid is None or pid not in ids:
            raise GraphError("(#100) The after cursor is not valid", 100)
        start = ids.index(pid) + 1
        end = min(start + limit, len(posts))
    elif before:
        pid = _decode_cursor(before)
        if pid is None or pid not in ids:
            raise GraphError("(#100) The before cursor is not valid", 100)
        end = ids.index(pid)
        start = max(0, end - limit)
    page = posts[start:end]
    data = [media_node(acc, p, fields) for p in page]
    out: dict[str, Any] = {"data": data}
    if page:
        base = {k: v for k, v in request.args.items() if k not in ("after", "before")}
        paging: dict[str, Any] = {"cursors": {"before": _cursor(page[0].id), "after": _cursor(page[-1].id)}}
        if end < len(posts):
            paging["next"] = _page_url({**base, "limit": str(limit), "after": _cursor(page[-1].id)})
        if start > 0:
            paging["previous"] = _page_url({**base, "limit": str(limit), "before": _cursor(page[0].id)})
        out["paging"] = paging
    return out


# --------------------------------------------------------------------------- insights
def _metric_list(raw: str | None) -> list[str]:
    return [m.strip() for m in (raw or "").split(",") if m.strip()]


def _invalid_metric(i: int, valid: tuple[str, ...]) -> GraphError:
    return GraphError(f"(#100) metric[{i}] must be one of the following values: {', '.join(valid)}", 100)


def _media_value(post: Post, metric: str, now: datetime) -> float | int:
    if metric == "saved":
        return post.count("saves", now)
    if metric == "total_interactions":
        return sum(post.count(m, now) for m in ("likes", "comments", "saves", "shares"))
    if metric == "ig_reels_avg_watch_time":
        return int(round(post.duration * 1000 * post.avg_view_pct))
    if metric == "ig_reels_video_view_total_time":
        return post.count("watch_ms", now)
    if metric == "reels_skip_rate":
        return round(post.skip_rate * 100, 2)
    if metric == "profile_activity":
        return post.count("bio_link_clicks", now)
    return post.count(metric, now)


def media_insights(post: Post) -> dict[str, Any]:  # noqa: C901
    st = state()
    now = st.now()
    metrics = _metric_list(request.args.get("metric"))
    if not metrics:
        raise GraphError("No metric was specified", 3001, 1504028)
    for i, m in enumerate(metrics):
        if m in DEPRECATED_MEDIA_METRICS:
            raise GraphError(
                f"(#100) Starting from version v22.0 and for all versions from April 21, 2025, the "
                f"{m} metric is no longer supported. Please use the views metric instead.",
                100,
            )
        if m not in ALL_MEDIA_METRICS:
            raise _invalid_metric(i, ALL_MEDIA_METRICS)
    breakdown = request.args.get("breakdown")
    if breakdown:
        if len(metrics) > 1:
            raise GraphError("An unknown error has occurred.", 1, status=500, transient=False)
        if (metrics[0], breakdown) not in (
            ("profile_activity", "action_type"),
            ("navigation", "story_navigation_action_type"),
        ):
            raise GraphError(f"(#100) Incompatible breakdown ({breakdown}) for metric ({metrics[0]})", 100)
    _, product = PRODUCT[post.kind]
    applicable = MEDIA_METRICS[product]
    data = []
    for m in metrics:
        if m not in applicable:
            continue  # silently omitted, as observed in 2026
        if m in ("facebook_views", "crossposted_views"):
            raise GraphError(f"(#100) The {m} metric is only available for media shared to Facebook", 100)
        item: dict[str, Any] = {"name": m, "period": "lifetime"}
        value = _media_value(post, m, now)
        if m == "profile_activity" and breakdown:
            results = []
            total = int(value)
            for key, share in (
                ("BIO_LINK_CLICKED", 0.7),
                ("EMAIL", 0.12),
                ("CALL", 0.05),
                ("DIRECTION", 0.08),
                ("TEXT", 0.05),
            ):
                v = int(total * share)
                if v:
                    results.append({"dimension_values": [key], "value": v})
            item["total_value"] = {
                "value": total,
                "breakdowns": [{"dimension_keys": ["action_type"], "results": results}],
            }
        else:
            item["values"] = [{"value": value}]
        item["title"] = TITLES.get(m, m)
        item["description"] = f"The {TITLES.get(m, m).lower()} of this media object."
        item["id"] = f"{post.id}/insights/{m}/lifetime"
        data.append(item)
    return {"data": data}


def _parse_time(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw.lstrip("-").isdigit():
        return int(raw)
    try:
        return int(parse_datetime(raw).timestamp())
    except ValueError as exc:
        raise GraphError(f"(#100) The parameter {name} must be a unix timestamp or a strtotime() string", 100) from exc


def _end_time(d: date) -> datetime:
    return day_start(d) + DAY + timedelta(hours=7)


def _days_between(since: int, until: int, today: date) -> list[date]:
    """World days whose end_time (next day 07:00 UTC) lies in (since, until], complete days only."""
    out = []
    d = datetime.fromtimestamp(since, tz=day_start(today).tzinfo).date() - DAY * 2
    while _end_time(d).timestamp() <= until:
        if _end_time(d).timestamp() > since and d < today:
            out.append(d)
        d += DAY
    return out


def _daily_user_value(acc: Account, metric: str, d: date) -> int:
    if metric == "views":
        return acc.daily("views", d)
    if metric == "reach":
        return int(round(acc.daily("views", d) * (0.45 + 0.15 * unit(acc.seed, "reach", d))))
    if metric in ("likes", "comments", "shares", "saves", "reposts"):
        return acc.daily(metric, d)
    if metric == "total_interactions":
        return sum(acc.daily(m, d) for m in ("likes", "comments", "shares", "saves"))
    if metric == "accounts_engaged":
        return int(round(sum(acc.daily(m, d) for m in ("likes", "comments", "shares", "saves")) * 0.62))
    if metric == "follower_count":
        return acc.gained_lost(d)[0]
    if metric == "follows_and_unfollows":
        gained, lost = acc.gained_lost(d)
        return gained + lost
    return 0


def _breakdown_results(acc: Account, metric: str, breakdown: str, days: list[date]) -> list[dict[str, Any]]:
    today = state().today()
    if breakdown in ("age", "gender", "country", "city"):
        followers = acc.followers_on(today)
        if metric == "engaged_audience_demographics":
            followers = int(followers * 0.08)
        keys: tuple[str, ...]
        if breakdown == "age":
            keys = AGES
        elif breakdown == "gender":
            keys = ("F", "M", "U")
        elif breakdown == "country":
            keys = COUNTRIES
        else:
            keys = CITIES
        weights = [unit(acc.seed, "demo", breakdown, k) + (1.5 if i < 3 else 0.2) for i, k in enumerate(keys)]
        total_w = sum(weights)
        results: list[dict[str, Any]] = [
            {"dimension_values": [k], "value": int(followers * w / total_w)} for k, w in zip(keys, weights, strict=True)
        ]
        results = [r for r in results if r["value"] > 0][:45]
        return results
    if breakdown == "media_product_type":
        feed = sum(_kind_value(acc, metric, d, ("image", "carousel")) for d in days)
        reels = sum(_kind_value(acc, metric, d, ("reel",)) for d in days)
        return [
            r
            for r in (
                {"dimension_values": ["POST"], "value": feed},
                {"dimension_values": ["REEL"], "value": reels},
            )
            if r["value"]
        ]
    total = sum(_daily_user_value(acc, metric, d) for d in days)
    if metric == "follows_and_unfollows":
        gained = sum(acc.gained_lost(d)[0] for d in days)
        lost = sum(acc.gained_lost(d)[1] for d in days)
        return [
            {"dimension_values": ["FOLLOWER"], "value": gained},
            {"dimension_values": ["NON_FOLLOWER"], "value": lost},
        ]
    follower_part = int(total * 0.4)
    return [
        {"dimension_values": ["FOLLOWER"], "value": follower_part},
        {"dimension_values": ["NON_FOLLOWER"], "value": total - follower_part},
    ]


def _kind_value(acc: Account, metric: str, d: date, kinds: tuple[str, ...]) -> int:
    base = {"reach": "views", "total_interactions": "likes"}.get(metric, metric)
    if metric == "total_interactions":
        return sum(acc.daily_for(m, d, kinds) for m in ("likes", "comments", "shares", "saves"))
    value = acc.daily_for(base, d, kinds)
    return int(value * 0.52) if metric == "reach" else value


def user_insights(acc: Account) -> dict[str, Any]:  # noqa: C901 - one validation ladder, as Meta applies it
    st = state()
    today = st.today()
    metrics = _metric_list(request.args.get("metric"))
    if not metrics:
        raise GraphError("No metric was specified", 3001, 1504028)
    for i, m in enumerate(metrics):
        if m not in USER_METRICS:
            raise _invalid_metric(i, USER_METRICS)
    period = request.args.get("period")
    periods = ("day", "week", "days_28", "month", "lifetime", "total_over_range")
    if period not in periods:
        raise GraphError("(#100) param period must be one of {" + ", ".join(periods) + "}", 100)
    metric_type = request.args.get("metric_type")
    if metric_type not in (None, "time_series", "total_value"):
        raise GraphError("(#100) param metric_type must be one of {time_series, total_value}", 100)
    breakdown = request.args.get("breakdown")
    demo = [m for m in metrics if m in DEMOGRAPHICS]
    if (breakdown or demo) and len(metrics) > 1:
        raise GraphError("An unknown error has occurred.", 1, status=500, transient=False)
    if breakdown and metric_type == "time_series":
        raise GraphError("(#100) breakdown is not supported with metric_type=time_series", 100)
    if breakdown and breakdown not in BREAKDOWNS.get(metrics[0], ()):
        raise GraphError(f"(#100) Incompatible breakdown ({breakdown}) for metric ({metrics[0]})", 100)
    for m in metrics:
        expected = "lifetime" if m in DEMOGRAPHICS or m == "online_followers" else "day"
        if period != expected:
            raise GraphError(f"(#100) The period ({period}) is not supported for the metric ({m})", 100)
    if demo:
        if not breakdown:
            raise GraphError(f"(#100) The breakdown parameter is required for the metric ({demo[0]})", 100)
        timeframe = request.args.get("timeframe")
        if demo[0] == "engaged_audience_demographics" and timeframe not in ("this_week", "this_month"):
            raise GraphError("(#100) timeframe must be one of {this_week, this_month}", 100)
        if timeframe not in (None, "this_week", "this_month"):
            raise GraphError("(#100) timeframe must be one of {this_week, this_month}", 100)
        metric_type = "total_value"
    wants_total = [m for m in metrics if m in TOTAL_VALUE_ONLY]
    if wants_total and metric_type != "total_value":
        raise GraphError(
            f"(#100) The following metrics ({', '.join(wants_total)}) should be specified with "
            "parameter metric_type=total_value",
            100,
        )
    ts_only = [m for m in metrics if m in ("follower_count", "online_followers")]
    if ts_only and metric_type == "total_value":
        raise GraphError(
            f"(#100) The following metrics ({', '.join(ts_only)}) should be specified with "
            "parameter metric_type=time_series",
            100,
        )
    since, until = _parse_time("since"), _parse_time("until")
    if since is not None and until is not None:
        if until <= since:
            raise GraphError("(#100) The since parameter must be earlier than until", 100)
        if until - since > 30 * 86400:
            raise GraphError("(#100) There cannot be more than 30 days (2592000 s) between since and until", 100)
        days = _days_between(since, until, today)
    else:
        days = [today - DAY * 2, today - DAY] if (metric_type or "time_series") == "time_series" else [today - DAY]
        if since is not None:
            days = [d for d in days if _end_time(d).timestamp() > since]
        if until is not None:
            days = [d for d in days if _end_time(d).timestamp() <= until]
    followers_now = acc.followers_on(today)
    uid = acc.platform_user_id
    data = []
    for m in metrics:
        if m in ("follower_count", "follows_and_unfollows", "online_followers") and followers_now < 100:
            continue
        if m == "profile_links_taps":
            continue  # no contact buttons configured: absent, not zero
        title = TITLES.get(m, m)
        item: dict[str, Any] = {
            "name": m,
            "period": period,
            "title": title,
            "description": f"{title} of the Instagram account.",
        }
        if m in DEMOGRAPHICS:
            if followers_now < 100:
                continue
            item["total_value"] = {
                "breakdowns": [
                    {
                        "dimension_keys": [breakdown],
                        "results": _breakdown_results(acc, m, breakdown or "", []),
                    }
                ]
            }
        elif metric_type == "total_value":
            value = sum(_daily_user_value(acc, m, d) for d in days)
            item["total_value"] = {"value": value}
            if breakdown:
                item["total_value"]["breakdowns"] = [
                    {"dimension_keys": [breakdown], "results": _breakdown_results(acc, m, breakdown, days)}
                ]
        elif m == "online_followers":
            item["values"] = [
                {
                    "value": {
                        str(h): int(followers_now * (0.02 + 0.05 * unit(acc.seed, "on", d, h))) for h in range(24)
                    },
                    "end_time": iso_meta(_end_time(d)),
                }
                for d in days
            ]
        else:
            window = [d for d in days if m != "follower_count" or d >= today - DAY * 30]
            item["values"] = [
                {"value": _daily_user_value(acc, m, d), "end_time": iso_meta(_end_time(d))} for d in window
            ]
        item["id"] = f"{uid}/insights/{m}/{period}"
        data.append(item)
    out: dict[str, Any] = {"data": data}
    if metric_type != "total_value" and since is not None and until is not None:
        span = until - since
        base = dict(request.args.items())
        out["paging"] = {
            "previous": _page_url({**base, "since": str(since - span), "until": str(since)}),
            "next": _page_url({**base, "since": str(until), "until": str(until + span)}),
        }
    return out
