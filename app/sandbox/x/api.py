"""X API v2 reads of the cheapest daily sync: ``/2/users/me``, ``/2/users/:id/tweets``, ``/2/tweets``.

Every call checks the bearer token, then the 15-minute windows (per user and per app, per endpoint) and
answers with ``x-rate-limit-*`` headers; post reads count against the monthly cap of the app
(``X_MONTHLY_POST_READS`` per billing cycle), past which X answers 429 ``usage-capped``.

Fidelity points: ``max_results`` 5..100, only the newest 3,200 posts reachable, opaque
``pagination_token`` / ``meta.next_token``, ``since_id`` on snowflake ids, ``data`` absent on an empty
page, ``edit_history_tweet_ids`` always present (tweepy warns without it), ``non_public_metrics`` and
``organic_metrics`` only on the owner's posts younger than 30 days (older ones get a partial
``not-authorized-for-field`` error alongside ``data``), protected and suspended accounts, and the
v2.167 field spellings (``post_count``, ``repost_count``) behind ``X_POST_FIELD_NAMES``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Response, g, request

from ..common import json_response, state
from ..state import Token
from ..util import hexchars, iso_z, parse_datetime
from ..world import Account, Post
from .errors import PROBLEMS, XProblem, bp, cycle_start, invalid_request, too_many, unauthorized, usage_capped

WINDOW = 900
MAX_REACHABLE = 3200
ORGANIC_DAYS = 30
USER_FIELDS = (
    "id",
    "name",
    "username",
    "created_at",
    "description",
    "location",
    "pinned_tweet_id",
    "profile_image_url",
    "protected",
    "public_metrics",
    "url",
    "verified",
    "verified_type",
)
TWEET_FIELDS = (
    "id",
    "text",
    "created_at",
    "author_id",
    "conversation_id",
    "edit_history_tweet_ids",
    "lang",
    "public_metrics",
    "non_public_metrics",
    "organic_metrics",
    "possibly_sensitive",
    "entities",
)
OWNER_FIELDS = ("non_public_metrics", "organic_metrics")


def _auth() -> tuple[Token, Account]:
    st = state()
    header = request.headers.get("Authorization", "")
    value = header[7:].strip() if header.startswith("Bearer ") else ""
    tok = st.tokens.get(value)
    if tok is None or tok.kind != "access" or tok.platform != "x" or st.token_status(tok) != "ok":
        raise unauthorized()
    acc = st.accounts[tok.account_id]
    if acc.suspended:
        raise XProblem(403, "Forbidden", "Your account is suspended.", PROBLEMS + "user-suspended")
    return tok, acc


def _limit(tok: Token, endpoint: str) -> None:
    """The per-user and per-app 15-minute windows; the tighter one's numbers go in the headers."""
    st = state()
    user_limit = int(st.x_limits.get(endpoint, st.cfg["X_RATE_LIMITS"].get(endpoint, 900)))
    app_limit = st.cfg["X_APP_RATE_LIMITS"].get(endpoint)
    windows = [(f"x|user|{tok.client_id}|{tok.account_id}|{endpoint}", user_limit)]
    if app_limit is not None:
        windows.append((f"x|app|{tok.client_id}|{endpoint}", int(app_limit)))
    headers: dict[str, str] = {}
    best: tuple[int, int] | None = None
    now = int(st.now().timestamp())
    for key, limit in windows:
        count, allowed = st.window_hit(key, WINDOW, limit)
        oldest = st.windows[key][0] if st.windows.get(key) else now
        reset = int(oldest) + WINDOW
        if not allowed:
            raise too_many(reset, limit)
        remaining = limit - count
        if best is None or remaining < best[0]:
            best = (remaining, limit)
            headers = {
                "x-rate-limit-limit": str(limit),
                "x-rate-limit-remaining": str(remaining),
                "x-rate-limit-reset": str(reset),
            }
    g.x_rate_headers = headers


def _cap_key(client_id: str) -> str:
    st = state()
    start = cycle_start(st.now(), int(st.cfg["X_CAP_RESET_DAY"]))
    return f"{client_id}|x_post_reads|{start.date().isoformat()}"


def _check_cap(tok: Token) -> None:
    st = state()
    if st.quota.get(_cap_key(tok.client_id), 0) >= int(st.cfg["X_MONTHLY_POST_READS"]):
        raise usage_capped()


def _charge_posts(tok: Token, n: int) -> None:
    st = state()
    key = _cap_key(tok.client_id)
    st.quota[key] = st.quota.get(key, 0) + n
    g.quota_units = n
    g.quota_bucket = "x_post_reads"


def _ok(body: dict[str, Any]) -> Response:
    return json_response(body, 200, dict(getattr(g, "x_rate_headers", {}) or {}))


def _fields(param: str, allowed: tuple[str, ...], alias: str | None = None) -> list[str]:
    raw = request.args.get(param)
    if raw is None and alias is not None:
        raw, param = request.args.get(alias), alias
    if raw is None:
        return []
    fields = [f for f in raw.split(",") if f]
    bad = [f for f in fields if f not in allowed]
    if bad:
        raise invalid_request(
            "bad field",
            [
                {
                    "parameters": {param: [",".join(bad)]},
                    "message": f"The `{param}` query parameter value [{bad[0]}] is not one of [{','.join(allowed)}]",
                }
            ],
        )
    return fields


def _names() -> tuple[str, str]:
    """(post count name, repost count name): the v2.159 spellings, or v2.167's behind a flag."""
    if state().cfg["X_POST_FIELD_NAMES"]:
        return "post_count", "repost_count"
    return "tweet_count", "retweet_count"


def user_object(acc: Account, fields: list[str]) -> dict[str, Any]:
    st = state()
    now = st.now()
    posts = acc.posts_at(now)
    post_count, _ = _names()
    values: dict[str, Any] = {
        "created_at": iso_z(acc.created_at - timedelta(days=2000)).replace("Z", ".000Z"),
        "description": acc.bio,
        "location": "",
        "profile_image_url": "https://pbs.twimg.com/profile_images/"
        f"{acc.platform_user_id}/{hexchars(8, acc.seed)}_normal.jpg",
        "protected": acc.protected,
        "public_metrics": {
            "followers_count": acc.followers_on(now.date()),
            "following_count": acc.following,
            post_count: len(posts),
            "listed_count": acc.followers_on(now.date()) // 400,
            "like_count": acc.following * 7,
            "media_count": len(posts) // 3,
        },
        "url": "",
        "verified": acc.verified,
        "verified_type": "blue" if acc.verified else "none",
    }
    if posts:
        values["pinned_tweet_id"] = posts[-1].id
    out: dict[str, Any] = {"id": acc.platform_user_id, "name": acc.display_name, "username": acc.username}
    out.update({f: values[f] for f in fields if f in values})
    return out


@bp.get("/api.x.com/2/users/me")
@bp.get("/api.twitter.com/2/users/me")
def users_me() -> Response:
    st = state()
    with st.lock:
        tok, acc = _auth()
        _limit(tok, "users/me")
        if "users.read" not in tok.scopes or "tweet.read" not in tok.scopes:
            raise XProblem(403, "Forbidden", "Forbidden", headers=dict(g.x_rate_headers))
        fields = _fields("user.fields", USER_FIELDS)
        return _ok({"data": user_object(acc, fields)})


def tweet_object(acc: Account, post: Post, fields: list[str], owner: bool, now: datetime) -> dict[str, Any]:
    _, repost = _names()
    c = post.counts(now)
    values: dict[str, Any] = {
        "created_at": iso_z(post.published_at).replace("Z", ".000Z"),
        "author_id": acc.platform_user_id,
        "conversation_id": post.id,
        "lang": "en",
        "possibly_sensitive": False,
        "entities": {"hashtags": [{"tag": w[1:]} for w in post.caption.split() if w.startswith("#")]},
        "public_metrics": {
            repost: c["shares"],
            "reply_count": c["comments"],
            "like_count": c["likes"],
            "quote_count": c["reposts"],
            "bookmark_count": c["saves"],
            "impression_count": c["views"],
        },
    }
    if owner:
        values["non_public_metrics"] = {
            "impression_count": c["views"],
            "url_link_clicks": c["bio_link_clicks"],
            "user_profile_clicks": c["profile_visits"],
            "engagements": c["likes"] + c["comments"] + c["shares"] + c["reposts"] + c["profile_visits"],
        }
        values["organic_metrics"] = {
            "impression_count": c["views"],
            "like_count": c["likes"],
            "reply_count": c["comments"],
            repost: c["shares"],
            "url_link_clicks": c["bio_link_clicks"],
            "user_profile_clicks": c["profile_visits"],
        }
    out: dict[str, Any] = {"id": post.id, "text": post.caption, "edit_history_tweet_ids": [post.id]}
    out.update({f: values[f] for f in fields if f in values})
    return out


def _render(
    acc: Account, posts: list[Post], fields: list[str], tok: Token
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Posts as X renders them, and the partial errors for owner-only fields X refuses."""
    st = state()
    now = st.now()
    own = tok.account_id == acc.id
    wanted_owner = [f for f in fields if f in OWNER_FIELDS]
    data, errors = [], []
    for post in posts:
        fresh = own and now - post.published_at <= timedelta(days=ORGANIC_DAYS)
        data.append(tweet_object(acc, post, fields, fresh, now))
        if wanted_owner and not fresh:
            for f in wanted_owner:
                errors.append(
                    {
                        "value": post.id,
                        "detail": f"Sorry, you are not authorized to access '{f}' on the Tweet with ids: {post.id}.",
                        "title": "Field Authorization Error",
                        "resource_type": "tweet",
                        "parameter": "tweet.fields",
                        "field": f,
                        "resource_id": post.id,
                        "section": "data",
                        "type": PROBLEMS + "not-authorized-for-field",
                    }
                )
    return data, errors


def _page_token(offset: int, acc: Account) -> str:
    return hexchars(6, "xpage", acc.seed, offset) + format(offset, "x")


def _offset(token: str, acc: Account) -> int | None:
    try:
        offset = int(token[6:], 16)
    except ValueError:
        return None
    return offset if token == _page_token(offset, acc) else None


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise invalid_request(
            "bad number",
            [
                {
                    "parameters": {name: [raw]},
                    "message": f"The `{name}` query parameter value [{raw}] is not between {low} and {high}",
                }
            ],
        )
    return int(raw)


def _time_arg(name: str) -> datetime | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        return parse_datetime(raw)
    except ValueError:
        raise invalid_request(
            "bad time",
            [
                {
                    "parameters": {name: [raw]},
                    "message": f"Invalid '{name}':'{raw}'. '{name}' must be a valid RFC3339 date.",
                }
            ],
        ) from None


@bp.get("/api.x.com/2/users/<user_id>/tweets")
@bp.get("/api.twitter.com/2/users/<user_id>/tweets")
def user_tweets(user_id: str) -> Response:  # noqa: C901 - X's parameters, one by one
    st = state()
    with st.lock:
        tok, _me = _auth()
        _limit(tok, "users/tweets")
        _check_cap(tok)
        fields = _fields("tweet.fields", TWEET_FIELDS, alias="post.fields")
        max_results = _int_arg("max_results", 10, 5, 100)
        target = next(iter(st.accounts.with_user_id("x", user_id, tok.account_id)), None)
        if target is None or target.suspended:
            detail = (
                f"User has been suspended: [{user_id}]." if target else f"Could not find user with id: [{user_id}]."
            )
            return _ok(
                {
                    "errors": [
                        {
                            "value": user_id,
                            "detail": detail,
                            "title": "Forbidden" if target else "Not Found Error",
                            "resource_type": "user",
                            "parameter": "id",
                            "resource_id": user_id,
                            "type": PROBLEMS + "resource-not-found",
                        }
                    ]
                }
            )
        if target.protected and target.id != tok.account_id:
            return _ok(
                {
                    "errors": [
                        {
                            "detail": f"Sorry, you are not authorized to see the user with id: [{user_id}].",
                            "title": "Authorization Error",
                            "resource_type": "user",
                            "parameter": "id",
                            "resource_id": user_id,
                            "type": PROBLEMS + "not-authorized-for-resource",
                        }
                    ]
                }
            )
        posts = target.posts_at(st.now())[:MAX_REACHABLE]
        since_id, until_id = request.args.get("since_id"), request.args.get("until_id")
        for name, value in (("since_id", since_id), ("until_id", until_id)):
            if value is not None and not value.isdigit():
                raise invalid_request(
                    "bad id",
                    [
                        {
                            "parameters": {name: [value]},
                            "message": f"The `{name}` query parameter value [{value}] is not valid",
                        }
                    ],
                )
        if since_id:
            posts = [p for p in posts if int(p.id) > int(since_id)]
        if until_id:
            posts = [p for p in posts if int(p.id) < int(until_id)]
        start, end = _time_arg("start_time"), _time_arg("end_time")
        if start is not None:
            posts = [p for p in posts if p.published_at >= start]
        if end is not None:
            posts = [p for p in posts if p.published_at <= end]
        offset = 0
        token = request.args.get("pagination_token")
        if token is not None:
            found = _offset(token, target)
            if found is None:
                raise invalid_request(
                    "bad token",
                    [
                        {
                            "parameters": {"pagination_token": [token]},
                            "message": f"The `pagination_token` query parameter value [{token}] is not valid",
                        }
                    ],
                )
            offset = found
        page = posts[offset : offset + max_results]
        data, errors = _render(target, page, fields, tok)
        _charge_posts(tok, len(data))
        meta: dict[str, Any] = {"result_count": len(data)}
        if data:
            meta["newest_id"], meta["oldest_id"] = data[0]["id"], data[-1]["id"]
        if offset + max_results < len(posts):
            meta["next_token"] = _page_token(offset + max_results, target)
        if offset > 0:
            meta["previous_token"] = _page_token(max(0, offset - max_results), target)
        body: dict[str, Any] = {}
        if data:
            body["data"] = data
        if errors:
            body["errors"] = errors
        body["meta"] = meta
        return _ok(body)


@bp.get("/api.x.com/2/tweets")
@bp.get("/api.twitter.com/2/tweets")
def tweets_lookup() -> Response:
    st = state()
    with st.lock:
        tok, _me = _auth()
        _limit(tok, "tweets")
        _check_cap(tok)
        fields = _fields("tweet.fields", TWEET_FIELDS, alias="post.fields")
        raw = request.args.get("ids") or ""
        ids = [i for i in raw.split(",") if i]
        if not ids or len(ids) > 100 or not all(i.isdigit() for i in ids):
            raise invalid_request(
                "bad ids",
                [
                    {
                        "parameters": {"ids": [raw[:200]]},
                        "message": "The `ids` query parameter value must be 1 to 100 numeric post ids",
                    }
                ],
            )
        now = st.now()
        data: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for pid in dict.fromkeys(ids):
            found = None
            for acc in st.platform_accounts("x", tok.account_id):
                post = acc.find_post(pid, now) if not acc.suspended else None
                if post is not None and (not acc.protected or acc.id == tok.account_id):
                    found = (acc, post)
                    break
            if found is None:
                errors.append(
                    {
                        "value": pid,
                        "detail": f"Could not find tweet with ids: [{pid}].",
                        "title": "Not Found Error",
                        "resource_type": "tweet",
                        "parameter": "ids",
                        "resource_id": pid,
                        "type": PROBLEMS + "resource-not-found",
                    }
                )
                continue
            rendered, partial = _render(found[0], [found[1]], fields, tok)
            data += rendered
            errors += partial
        _charge_posts(tok, len(data))
        body: dict[str, Any] = {}
        if data:
            body["data"] = data
        if errors:
            body["errors"] = errors
        return _ok(body)
