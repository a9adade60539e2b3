"""The ``graph.facebook.com`` router: users, Pages (with their tokens), posts, insights, faults.

The ladder is Graph's: version (resolved as Instagram's), the OAuth endpoint, the token (user or Page),
the throttle (app-level hourly; a Page token's calls also count against the Page's BUC window, code
80001), the node, the edge. Page tokens come from ``me/accounts`` called with a user token; they do not
expire, and die with the grant (app removed, password changed) or the Page.
"""

from __future__ import annotations

import base64
import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Response, g, request

from ..common import json_response, state
from ..instagram.graph import VERSION_RE, _default_version, _resolve_version
from ..instagram.shared import GraphError, expired_message, graph_error_response, page_url, split_fields
from ..state import Token
from ..util import iso_meta
from ..world import Account, Post
from . import comments as fb_comments
from . import oauth
from .insights import POST_METRICS, check_metrics, page_insights, post_insight_entries, post_insights
from .shared import READ_ENGAGEMENT, READ_INSIGHTS, SHOW_LIST, bp

PAGE_FIELDS = (
    "id",
    "name",
    "username",
    "link",
    "followers_count",
    "fan_count",
    "picture",
    "about",
    "category",
    "verification_status",
    "access_token",
    "tasks",
)
POST_FIELDS = (
    "id",
    "created_time",
    "message",
    "permalink_url",
    "status_type",
    "shares",
    "reactions",
    "comments",
    "insights",
    "full_picture",
    "is_published",
    "from",
)
TASKS = ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"]
MAX_LIMIT = 100
CDN = "https://scontent.xx.fbcdn.net/v/t39.30808-6"


def _field_name(spec: str) -> str:
    return re.split(r"[.{(]", spec, maxsplit=1)[0]


def _throttle(tok: Token, page: Account | None) -> None:
    st = state()
    _, ok = st.window_hit(f"meta_app|{tok.client_id}", 3600, int(st.cfg["META_APP_HOURLY_LIMIT"]))
    if not ok:
        raise GraphError("(#4) Application request limit reached", 4, transient=True)
    if page is not None:
        _, ok = st.window_hit(f"meta_buc|{page.platform_user_id}", 86400, int(st.cfg["META_BUC_DAILY_LIMIT"]))
        if not ok:
            raise GraphError(
                "(#80001) There have been too many calls to this Page account. Wait a bit and try again.",
                80001,
                transient=True,
            )


def _page_token(page: Account, tok: Token) -> Token:
    """The Page token for ``page`` under the user's grant: the same one on every call, as Meta does
    (found among the grant's few tokens, not among every token)."""
    st = state()
    for t in st.tokens.of_grant(tok.grant_id):
        if t.kind == "fb_page" and t.account_id == page.id and t.grant_id == tok.grant_id and not t.revoked:
            return t
    return st.issue_token("facebook", "fb_page", page.id, tok.client_id, tok.scopes, None, tok.grant_id)


def _page_json(page: Account, fields: list[str], tok: Token | None) -> dict[str, Any]:  # noqa: C901 - one branch a field
    st = state()
    out: dict[str, Any] = {}
    for spec in fields or ["name", "id"]:
        name = _field_name(spec)
        if name not in PAGE_FIELDS:
            raise GraphError(f"(#100) Tried accessing nonexisting field ({name}) on node type (Page)", 100)
        if name == "id":
            out["id"] = page.platform_user_id
        elif name == "name":
            out["name"] = page.display_name
        elif name == "username":
            out["username"] = page.username
        elif name == "link":
            out["link"] = f"https://www.facebook.com/{page.username}"
        elif name in ("followers_count", "fan_count"):
            followers = page.followers_on(st.today())
            out[name] = followers if name == "followers_count" else int(followers * 0.93)
        elif name == "picture":
            url = f"{CDN}/{page.platform_user_id}_n.jpg"
            out["picture"] = {"data": {"height": 50, "is_silhouette": False, "url": url, "width": 50}}
        elif name == "about":
            out["about"] = page.bio
        elif name == "category":
            out["category"] = "Digital creator"
        elif name == "verification_status":
            out["verification_status"] = "blue_verified" if page.verified else "not_verified"
        elif name == "access_token" and tok is not None:
            out["access_token"] = _page_token(page, tok).value
        elif name == "tasks":
            out["tasks"] = TASKS
    return out


def _post_json(post: Post, page: Account, fields: list[str]) -> dict[str, Any]:  # noqa: C901 - one branch a field
    now = state().now()
    out: dict[str, Any] = {}
    for spec in fields or ["created_time", "message", "id"]:
        name = _field_name(spec)
        if name not in POST_FIELDS:
            raise GraphError(f"(#100) Tried accessing nonexisting field ({name}) on node type (PagePost)", 100)
        if name == "id":
            out["id"] = post.id
        elif name == "created_time":
            out["created_time"] = iso_meta(post.published_at)
        elif name == "message" and post.caption:
            out["message"] = post.caption  # absent, not empty, on a post without text
        elif name == "permalink_url":
            out["permalink_url"] = f"https://www.facebook.com/{page.username}/posts/{post.id.split('_')[-1]}"
        elif name == "status_type":
            out["status_type"] = "added_video" if post.kind == "video" else "added_photos"
        elif name == "shares":
            shares = post.count("shares", now)
            if shares:  # Meta omits ``shares`` when nobody shared
                out["shares"] = {"count": shares}
        elif name in ("reactions", "comments"):
            edge: dict[str, Any] = {"data": []}
            if ".summary(" in spec:
                total = post.count("likes" if name == "reactions" else "comments", now)
                edge["summary"] = {"total_count": total}
                if name == "comments":
                    edge["summary"].update({"order": "ranked", "can_comment": True})
            out[name] = edge
        elif name == "insights":
            match = re.search(r"\.metric\(([^)]*)\)", spec)
            metrics = check_metrics(match.group(1) if match else None, POST_METRICS)
            out["insights"] = {"data": post_insight_entries(post, metrics)}
        elif name == "full_picture":
            out["full_picture"] = f"{CDN}/{post.id}_n.jpg"
        elif name == "is_published":
            out["is_published"] = True
        elif name == "from":
            out["from"] = {"name": page.display_name, "id": page.platform_user_id}
    return out


def _cursor(i: int) -> str:
    return base64.urlsafe_b64encode(f"fbc:{i}".encode()).decode().rstrip("=")


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        return max(0, int(text.removeprefix("fbc:")))
    except (ValueError, UnicodeDecodeError):
        raise GraphError("(#100) Invalid cursor", 100) from None


def _limit(default: int) -> int:
    raw = request.args.get("limit")
    if raw is None:
        return default
    if not raw.strip().isdigit():
        raise GraphError("(#100) Param limit must be a number", 100)
    return max(1, min(int(raw), MAX_LIMIT))


def _paged(rows: list[Any], default: int) -> tuple[list[Any], dict[str, Any]]:
    limit = _limit(default)
    start = _offset(request.args.get("after"))
    chunk = rows[start : start + limit]
    paging: dict[str, Any] = {"cursors": {"before": _cursor(start), "after": _cursor(start + len(chunk))}}
    if start + limit < len(rows):
        params = {k: v for k, v in request.args.items() if k not in ("after", "access_token")}
        paging["next"] = page_url({**params, "limit": str(limit), "after": _cursor(start + limit)})
    if start > 0:
        paging["previous"] = page_url(
            {**{k: v for k, v in request.args.items() if k != "access_token"}, "before": _cursor(start)}
        )
    return chunk, paging


def _posts(page: Account) -> Response:
    st = state()
    fields = split_fields(request.args.get("fields"))
    since = _when(request.args.get("since"))
    until = _when(request.args.get("until"))
    posts = sorted(page.posts_at(st.now()), key=lambda p: (p.published_at, p.id), reverse=True)
    posts = [
        p for p in posts if (since is None or p.published_at >= since) and (until is None or p.published_at <= until)
    ]
    chunk, paging = _paged(posts, 25)
    body: dict[str, Any] = {"data": [_post_json(p, page, fields) for p in chunk]}
    if chunk or request.args.get("after"):
        body["paging"] = paging
    return json_response(body)


def _when(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        if raw.strip().isdigit():
            return datetime.fromtimestamp(int(raw), UTC)
        parsed = datetime.fromisoformat(raw.strip())
    except (ValueError, OverflowError):
        raise GraphError("(#100) The parameter since/until is not a valid time", 100) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _need(tok: Token, scope: str) -> None:
    if scope not in tok.scopes:
        raise GraphError(f"(#200) Requires {scope} permission to manage the object", 200)


def _find_post(post_id: str, first: str | None = None) -> tuple[Post, Account] | None:
    st = state()
    page_id = post_id.split("_", 1)[0]
    for acc in st.accounts.with_user_id("facebook", page_id, first):  # the Page by its id: no scan
        if acc.platform_user_id == page_id:
            post = acc.find_post(post_id, st.now())
            return (post, acc) if post is not None else None
    return None


def _page_by_id(node: str, first: str | None = None) -> Account | None:
    for acc in state().accounts.with_user_id("facebook", node, first):
        if acc.platform_user_id == node and acc.account_type == "PAGE":
            return acc
    return None


@bp.route("/graph.facebook.com/<path:rest>", methods=["GET", "POST", "DELETE"])
def graph(rest: str) -> Response:  # noqa: C901 - Graph's routing ladder
    st = state()
    parts = [p for p in rest.split("/") if p]
    with st.lock:
        if parts and VERSION_RE.match(parts[0]):
            g.meta_version = _resolve_version(parts[0])
            parts = parts[1:]
        else:
            g.meta_version = _default_version()
        if parts == ["oauth", "access_token"] and request.method == "GET":
            return oauth.exchange()
        if not parts or len(parts) > 2:
            raise GraphError(f"Unknown path components: /{rest}", 2500)
        tok = oauth.request_token()
        me = st.accounts[tok.account_id]
        node, edge = parts[0], (parts[1] if len(parts) > 1 else None)
        is_page_token = tok.kind == "fb_page"
        if node == "me":
            node = me.platform_user_id if is_page_token else me.scoped_id
        page = _page_by_id(node, tok.account_id)  # a Page token's account is its Page: looked at first
        found = None if page is not None else _find_post(node, tok.account_id)
        comment = st.comments.get(node) if page is None and found is None else None
        if comment is not None and (comment.platform != "facebook" or not comment.visible):
            comment = None
        comment_page = st.accounts.get(comment.account_id) if comment is not None else None
        target_page = page or (found[1] if found else None) or comment_page
        if target_page is not None and is_page_token:
            g.meta_account = target_page
            g.meta_buc_type = "pages"
        _throttle(tok, target_page if is_page_token else None)
        if request.method == "DELETE" and not is_page_token and node == me.scoped_id and edge == "permissions":
            st.revoke_grant(tok.grant_id)
            st.save()
            return json_response({"success": True})
        if comment is not None and comment_page is not None:
            _may_read(comment_page, me, tok)
            if request.method != "GET":
                return json_response(fb_comments.write(comment, comment_page, tok, edge))
            if edge == "comments":
                return json_response(fb_comments.comment_replies(comment, comment_page))
            if edge is None:
                fields = split_fields(request.args.get("fields"))
                return json_response(fb_comments.comment_view(comment, comment_page, fields))
        if page is not None and edge == "subscribed_apps":  # the Page's webhook subscription (feed)
            from ..fb_webhooks import page_subscribed_apps

            return json_response(page_subscribed_apps(page, tok))
        if request.method != "GET":
            raise GraphError(
                "Unsupported post request. Object does not support this operation.", 100, 33, "GraphMethodException"
            )
        fields = split_fields(request.args.get("fields"))
        if not is_page_token and node == me.scoped_id:
            return _user(me, tok, edge, fields)
        if page is not None:
            return _page(page, me, tok, edge, fields)
        if found is not None:
            post, owner_page = found
            _may_read(owner_page, me, tok)
            if edge is None:
                return json_response(_post_json(post, owner_page, fields))
            if edge == "insights":
                _need_page_token(tok)
                _need(tok, READ_INSIGHTS)
                return json_response(post_insights(post))
            if edge == "comments":
                _need(tok, READ_ENGAGEMENT)
                return json_response(fb_comments.post_comments(post, owner_page))
        raise GraphError(
            f"Unsupported get request. Object with ID '{node}' does not exist, cannot be loaded due to missing "
            "permissions, or does not support this operation.",
            100,
            33,
            "GraphMethodException",
        )


def _user(me: Account, tok: Token, edge: str | None, fields: list[str]) -> Response:
    if edge is None:
        out: dict[str, Any] = {}
        for spec in fields or ["name", "id"]:
            name = _field_name(spec)
            if name == "id":
                out["id"] = me.scoped_id
            elif name == "name":
                out["name"] = me.owner
            else:
                raise GraphError(f"(#100) Tried accessing nonexisting field ({name}) on node type (User)", 100)
        return json_response(out)
    if edge == "permissions":
        return json_response({"data": [{"permission": s, "status": "granted"} for s in tok.scopes]})
    if edge == "accounts":
        _need(tok, SHOW_LIST)
        pages = oauth.managed_pages(me)
        chunk, paging = _paged(pages, 25)
        body: dict[str, Any] = {
            "data": [_page_json(p, fields or ["name", "id", "access_token", "tasks"], tok) for p in chunk]
        }
        if chunk:
            body["paging"] = paging
        return json_response(body)
    raise GraphError(f"(#100) Tried accessing nonexisting field ({edge}) on node type (User)", 100)


def _may_read(page: Account, me: Account, tok: Token) -> None:
    """A Page token reads its own Page; a user token reads the Pages its person manages."""
    if tok.kind == "fb_page" and me.id != page.id or tok.kind != "fb_page" and page.owner != me.owner:
        raise GraphError(
            f"Unsupported get request. Object with ID '{page.platform_user_id}' does not exist, cannot be loaded "
            "due to missing permissions, or does not support this operation.",
            100,
            33,
            "GraphMethodException",
        )


def _need_page_token(tok: Token) -> None:
    if tok.kind != "fb_page":
        raise GraphError("(#190) This method must be called with a Page Access Token", 190)


def _page(page: Account, me: Account, tok: Token, edge: str | None, fields: list[str]) -> Response:
    _may_read(page, me, tok)
    if edge is None:
        return json_response(_page_json(page, [f for f in fields if _field_name(f) != "access_token"], None))
    if edge in ("posts", "published_posts", "feed"):
        _need(tok, READ_ENGAGEMENT)
        return _posts(page)
    if edge == "insights":
        _need_page_token(tok)
        _need(tok, READ_INSIGHTS)
        return json_response(page_insights(page))
    raise GraphError(f"(#100) Tried accessing nonexisting field ({edge}) on node type (Page)", 100)


def fault_response(fault: dict[str, Any], path: str) -> Response:
    """An injected fault as Facebook answers it (the Graph envelope everywhere, also on the token path)."""
    kind = fault["kind"]
    st = state()
    if kind == "malformed":
        return Response('{"data":[{"id":"10', status=200, mimetype="application/json")
    retry = fault.get("retry_after")
    g.meta_buc_type = "pages"
    if kind in ("rate_limited", "quota_exceeded"):
        with st.lock:
            tok = st.tokens.get(oauth.token_value() or "")
            acc = st.accounts.get(tok.account_id) if tok is not None and tok.kind == "fb_page" else None
        if acc is not None:
            g.meta_account = acc
            g.meta_regain = max(1, int(math.ceil(retry / 60))) if retry is not None else 60
    errors = {
        "rate_limited": GraphError("(#32) Page request limit reached", 32, transient=True),
        "quota_exceeded": GraphError(
            "(#80001) There have been too many calls to this Page account. Wait a bit and try again. For more "
            "info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
            80001,
            transient=True,
        ),
        "server_error": GraphError(
            "An unexpected error has occurred. Please retry your request later.", 2, status=500, transient=True
        ),
        "token_expired": GraphError(expired_message(st.now() - timedelta(hours=1), st.now()), 190, 463),
        "token_revoked": GraphError(
            "Error validating access token: The user has not authorized application sandbox-fb-app.", 190, 458
        ),
    }
    with st.lock:
        return graph_error_response(errors[kind])
