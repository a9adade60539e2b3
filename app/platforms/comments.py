"""Comments on Instagram (professional accounts), YouTube, Facebook Pages, TikTok business accounts
(``tiktok_comments.py``) and LinkedIn Company Pages (``linkedin_comments.py``): read, reply, hide / unhide
(not on TikTok or LinkedIn).

Calls (``docs/comments.md`` has the costs):

* Instagram: ``GET /{media}/comments?fields=...,replies.limit(50){...}&limit=50`` with cursor paging, and
  ``GET /{comment}/replies`` when a comment has more replies than nested; ``POST /{comment}/replies?message=``;
  ``POST /{comment}?hide=true|false``. Reading needs only the basic scope (handles are withheld without
  ``instagram_business_manage_comments``); writes need that scope.
* YouTube: ``commentThreads?videoId=&part=snippet,replies&textFormat=plainText&maxResults=100`` (1 unit a page)
  and ``comments?parentId=`` (1 unit) for threads with more replies than the 5 nested; ``comments.insert``
  and ``comments.setModerationStatus`` (50 units each, ``youtube.force-ssl``).
* Facebook Pages (Page token): ``GET /{post}/comments?filter=stream&order=chronological&fields=...&limit=100``
  (every comment and reply in one list, a reply carrying ``parent{id}``; cursor paging);
  ``POST /{comment}/comments?message=`` (the reply is the Page's); ``POST /{comment}?is_hidden=true|false``.
  Reading needs ``pages_read_engagement``; writes ``pages_manage_engagement``. Commenters are Page-scoped
  ids with a name and no handle.

No database access here; the records are plain and the sync writes them (``app/sync/comments.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.platforms import linkedin_comments, tiktok_comments
from app.platforms.base import PageGuard, as_mapping, aware_utc, to_int
from app.platforms.comment_record import PlatformComment
from app.platforms.errors import BadResponse, InvalidRequest
from app.platforms.facebook import GRAPH as FB_GRAPH
from app.platforms.facebook import FacebookAdapter
from app.platforms.instagram import GRAPH, InstagramAdapter
from app.platforms.linkedin_org import LinkedInOrgAdapter
from app.platforms.tiktok_business import TikTokBusinessAdapter
from app.platforms.youtube import DATA_API, YouTubeAdapter, classify_google_error

__all__ = [
    "FB_MANAGE_SCOPE",
    "IG_MANAGE_SCOPE",
    "LI_MANAGE_SCOPE",
    "REPLY_LIMITS",
    "TT_MANAGE_SCOPE",
    "YT_MANAGE_SCOPE",
    "YT_WRITE_UNITS",
    "PlatformComment",
    "fetch_post_comments",
    "fetch_replies",
    "hide_comment",
    "reply_to_comment",
]

IG_MANAGE_SCOPE = "instagram_business_manage_comments"
FB_MANAGE_SCOPE = "pages_manage_engagement"
YT_MANAGE_SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"
TT_MANAGE_SCOPE = tiktok_comments.MANAGE_SCOPE
LI_MANAGE_SCOPE = linkedin_comments.WRITE_SCOPE
#: the longest reply each platform takes (Instagram's is undocumented: the app's own limit, about 2,200)
REPLY_LIMITS = {
    "instagram": 2200,
    "youtube": 10000,
    "facebook": 8000,
    "tiktok": tiktok_comments.REPLY_LIMIT,
    "linkedin": linkedin_comments.REPLY_LIMIT,
}
#: quota units of one YouTube comment write (insert, setModerationStatus)
YT_WRITE_UNITS = 50
IG_FIELDS = "id,text,timestamp,username,from{id,username},like_count,hidden,parent_id,user{id}"
IG_PAGE = 50
YT_NESTED_REPLIES = 5


# --------------------------------------------------------------------------- Instagram


def _ig(adapter: InstagramAdapter, method: str, path: str, token: str, params: Mapping[str, Any]) -> Any:
    response = adapter.http.request(method, f"{GRAPH}/{adapter.api_version}/{path}", params=params, access_token=token)
    return adapter._check(response)


def _ig_comment(raw: Mapping[str, Any], post_id: str, parent: str | None) -> PlatformComment:
    author = as_mapping(raw.get("from"))
    handle = raw.get("username") or author.get("username")
    text = raw.get("text")
    if raw.get("id") is None or not isinstance(text, str):
        raise BadResponse("comment without id or text", platform="instagram")
    replies = as_mapping(raw.get("replies")).get("data")
    return PlatformComment(
        platform_id=str(raw["id"]),
        post_id=post_id,
        parent_id=str(raw.get("parent_id") or parent) if (raw.get("parent_id") or parent) else None,
        text=text,
        author_handle=str(handle) if handle else None,
        author_name=None,  # Instagram gives the handle only
        # ``user`` comes only on the account's own comments, also without the comment scope: who answered
        author_id=str(author.get("id") or as_mapping(raw.get("user")).get("id") or "") or None,
        author_url=f"https://www.instagram.com/{handle}/" if handle else None,
        published_at=aware_utc(raw.get("timestamp"), "instagram", "comment timestamp"),
        updated_at=None,
        like_count=to_int(raw.get("like_count")),
        reply_count=len(replies) if isinstance(replies, list) else (0 if parent is None else None),
        hidden=bool(raw.get("hidden")),
    )


def _ig_pages(adapter: InstagramAdapter, token: str, path: str, fields: str) -> list[Mapping[str, Any]]:
    guard = PageGuard("instagram")
    params: dict[str, Any] = {"fields": fields, "limit": IG_PAGE}
    out: list[Mapping[str, Any]] = []
    while True:
        body = _ig(adapter, "GET", path, token, params)
        data = body.get("data") if isinstance(body, Mapping) else None
        if not isinstance(data, list):
            raise BadResponse("comments answer has no data list", platform="instagram")
        out.extend(d for d in data if isinstance(d, Mapping))
        paging = as_mapping(body.get("paging"))
        after = as_mapping(paging.get("cursors")).get("after")
        if not paging.get("next") or not guard.next_allowed(after):
            return out
        params = {"fields": fields, "limit": IG_PAGE, "after": after}


def _ig_post_comments(adapter: InstagramAdapter, token: str, media_id: str) -> list[PlatformComment]:
    fields = f"{IG_FIELDS},replies.limit({IG_PAGE}){{{IG_FIELDS}}}"
    out: list[PlatformComment] = []
    for raw in _ig_pages(adapter, token, f"{media_id}/comments", fields):
        top = _ig_comment(raw, media_id, None)
        nested = as_mapping(raw.get("replies")).get("data") or []
        if len(nested) >= IG_PAGE:  # maybe more than nested: read them all
            nested = _ig_pages(adapter, token, f"{top.platform_id}/replies", IG_FIELDS)
        replies = [_ig_comment(r, media_id, top.platform_id) for r in nested if isinstance(r, Mapping)]
        out.append(PlatformComment(**{**top.__dict__, "reply_count": len(replies)}))
        out.extend(replies)
    return out


# --------------------------------------------------------------------------- Facebook Pages

FB_FIELDS = "id,message,created_time,from{id,name},like_count,comment_count,is_hidden,parent{id}"
FB_PAGE = 100


def _fb(adapter: FacebookAdapter, method: str, path: str, token: str, params: Mapping[str, Any]) -> Any:
    response = adapter.http.request(
        method, f"{FB_GRAPH}/{adapter.api_version}/{path}", params=params, access_token=token
    )
    return adapter._check(response)


def _fb_comment(raw: Mapping[str, Any], post_id: str, parent: str | None) -> PlatformComment:
    text = raw.get("message")
    if raw.get("id") is None or not isinstance(text, str):
        raise BadResponse("comment without id or message", platform="facebook")
    author = as_mapping(raw.get("from"))
    name = author.get("name")
    parent_id = as_mapping(raw.get("parent")).get("id") or parent
    return PlatformComment(
        platform_id=str(raw["id"]),
        post_id=post_id,
        parent_id=str(parent_id) if parent_id else None,
        text=text,
        author_handle=None,  # Facebook gives a Page-scoped id and a name, no handle
        author_name=str(name) if isinstance(name, str) and name else None,
        author_id=str(author["id"]) if author.get("id") is not None else None,
        author_url=None,
        published_at=aware_utc(raw.get("created_time"), "facebook", "comment created_time"),
        updated_at=None,
        like_count=to_int(raw.get("like_count")),
        reply_count=to_int(raw.get("comment_count")) if not parent_id else None,
        hidden=bool(raw.get("is_hidden")),
    )


def _fb_pages(adapter: FacebookAdapter, token: str, path: str, params: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    guard = PageGuard("facebook")
    query = dict(params)
    out: list[Mapping[str, Any]] = []
    while True:
        body = _fb(adapter, "GET", path, token, query)
        data = body.get("data") if isinstance(body, Mapping) else None
        if not isinstance(data, list):
            raise BadResponse("comments answer has no data list", platform="facebook")
        out.extend(d for d in data if isinstance(d, Mapping))
        paging = as_mapping(body.get("paging"))
        after = as_mapping(paging.get("cursors")).get("after")
        if not paging.get("next") or not guard.next_allowed(after):
            return out
        query = {**params, "after": after}


def _fb_post_comments(adapter: FacebookAdapter, token: str, post_id: str) -> list[PlatformComment]:
    """One ``filter=stream`` walk: top-level comments and replies together; each top-level comment is
    followed by its replies, as the other platforms list them. A malformed entry is skipped."""
    params = {"fields": FB_FIELDS, "filter": "stream", "order": "chronological", "limit": FB_PAGE}
    rows: list[PlatformComment] = []
    for raw in _fb_pages(adapter, token, f"{post_id}/comments", params):
        try:
            rows.append(_fb_comment(raw, post_id, None))
        except BadResponse:
            continue
    tops = [c for c in rows if c.parent_id is None]
    replies: dict[str, list[PlatformComment]] = {}
    for c in rows:
        if c.parent_id is not None:
            replies.setdefault(c.parent_id, []).append(c)
    out: list[PlatformComment] = []
    for top in tops:
        mine = replies.get(top.platform_id, [])
        out.append(PlatformComment(**{**top.__dict__, "reply_count": len(mine)}))
        out.extend(mine)
    return out


# --------------------------------------------------------------------------- YouTube


def _yt_comment(raw: Mapping[str, Any], video_id: str, reply_count: int | None) -> PlatformComment:
    snippet = as_mapping(raw.get("snippet"))
    text = snippet.get("textOriginal")
    if not isinstance(text, str):
        text = snippet.get("textDisplay")
    if raw.get("id") is None or not isinstance(text, str):
        raise BadResponse("comment without id or text", platform="youtube")
    name = snippet.get("authorDisplayName")
    url = snippet.get("authorChannelUrl")
    handle = str(url).rsplit("/@", 1)[1] if isinstance(url, str) and "/@" in url else None
    published = aware_utc(snippet.get("publishedAt"), "youtube", "comment publishedAt")
    updated = snippet.get("updatedAt")
    return PlatformComment(
        platform_id=str(raw["id"]),
        post_id=str(snippet.get("videoId") or video_id),
        parent_id=str(snippet["parentId"]) if snippet.get("parentId") else None,
        text=text,
        author_handle=handle or (str(name).lstrip("@") if name else None),
        author_name=str(name) if name else None,
        author_id=str(as_mapping(snippet.get("authorChannelId")).get("value") or "") or None,
        author_url=str(url) if isinstance(url, str) and url.startswith(("http://", "https://")) else None,
        published_at=published,
        updated_at=aware_utc(updated, "youtube", "comment updatedAt") if updated else None,
        like_count=to_int(snippet.get("likeCount")),
        reply_count=reply_count,
        hidden=snippet.get("moderationStatus") in ("heldForReview", "rejected"),
    )


def _yt_list(adapter: YouTubeAdapter, token: str, resource: str, params: dict[str, Any]) -> list[Mapping[str, Any]]:
    guard = PageGuard("youtube")
    out: list[Mapping[str, Any]] = []
    while True:
        body = adapter._get(f"{DATA_API}/{resource}", token, params)
        items = body.get("items")
        if not isinstance(items, list):
            raise BadResponse(f"{resource} answer has no items", platform="youtube")
        out.extend(i for i in items if isinstance(i, Mapping))
        page = body.get("nextPageToken")
        if not page or not guard.next_allowed(str(page)):
            return out
        params = {**params, "pageToken": page}


def fetch_replies(adapter: Any, token: str, parent_id: str, post_id: str) -> list[PlatformComment]:
    """Every reply under a top-level comment (the reply check before a retried send uses it too)."""
    if isinstance(adapter, InstagramAdapter):
        raws = _ig_pages(adapter, token, f"{parent_id}/replies", IG_FIELDS)
        return [_ig_comment(r, post_id, parent_id) for r in raws]
    if isinstance(adapter, FacebookAdapter):
        raws = _fb_pages(adapter, token, f"{parent_id}/comments", {"fields": FB_FIELDS, "limit": FB_PAGE})
        return [_fb_comment(r, post_id, parent_id) for r in raws]
    if isinstance(adapter, TikTokBusinessAdapter):
        return tiktok_comments.replies(adapter, token, parent_id, post_id)
    if isinstance(adapter, LinkedInOrgAdapter):
        return linkedin_comments.replies(adapter, token, parent_id, post_id)
    params = {"part": "snippet", "parentId": parent_id, "maxResults": 100, "textFormat": "plainText"}
    return [_yt_comment(r, post_id, None) for r in _yt_list(adapter, token, "comments", params)]


def _yt_post_comments(
    adapter: YouTubeAdapter, token: str, video_id: str, known: Mapping[str, int]
) -> list[PlatformComment]:
    params = {"part": "snippet,replies", "videoId": video_id, "maxResults": 100, "textFormat": "plainText"}
    out: list[PlatformComment] = []
    for thread in _yt_list(adapter, token, "commentThreads", params):
        snippet = as_mapping(thread.get("snippet"))
        total = to_int(snippet.get("totalReplyCount")) or 0
        top = _yt_comment(as_mapping(snippet.get("topLevelComment")), video_id, total)
        out.append(top)
        nested = [r for r in as_mapping(thread.get("replies")).get("comments") or [] if isinstance(r, Mapping)]
        if total > len(nested) and known.get(top.platform_id) != total:
            out.extend(fetch_replies(adapter, token, top.platform_id, video_id))  # only threads that changed
        else:
            out.extend(_yt_comment(r, video_id, None) for r in nested)
    return out


# --------------------------------------------------------------------------- one interface


def fetch_post_comments(
    adapter: Any, token: str, post_id: str, known_reply_counts: Mapping[str, int] | None = None
) -> list[PlatformComment]:
    """Every comment and reply on one post (top-level first, each followed by its replies)."""
    if isinstance(adapter, InstagramAdapter):
        return _ig_post_comments(adapter, token, post_id)
    if isinstance(adapter, YouTubeAdapter):
        return _yt_post_comments(adapter, token, post_id, known_reply_counts or {})
    if isinstance(adapter, FacebookAdapter):
        return _fb_post_comments(adapter, token, post_id)
    if isinstance(adapter, TikTokBusinessAdapter):
        return tiktok_comments.post_comments(adapter, token, post_id, known_reply_counts or {})
    if isinstance(adapter, LinkedInOrgAdapter):
        return linkedin_comments.post_comments(adapter, token, post_id, known_reply_counts or {})
    # a personal TikTok account (Display API): TikTok gives no comments to apps; a LinkedIn member's own
    # posts need the restricted ``r_member_social`` (docs/comments.md)
    return []


def reply_to_comment(adapter: Any, token: str, parent_id: str, text: str, post_id: str = "") -> str:
    """Send one reply; returns the platform's id of the reply (``post_id``: TikTok names the video too)."""
    if isinstance(adapter, TikTokBusinessAdapter):
        return tiktok_comments.reply(adapter, token, post_id, parent_id, text)
    if isinstance(adapter, LinkedInOrgAdapter):  # as the Page (``w_organization_social``)
        return linkedin_comments.reply(adapter, token, post_id, parent_id, text)
    if isinstance(adapter, InstagramAdapter):
        body = _ig(adapter, "POST", f"{parent_id}/replies", token, {"message": text})
        if not isinstance(body, Mapping) or body.get("id") is None:
            raise BadResponse("reply answer has no id", platform="instagram")
        return str(body["id"])
    if isinstance(adapter, FacebookAdapter):
        body = _fb(adapter, "POST", f"{parent_id}/comments", token, {"message": text})
        if not isinstance(body, Mapping) or body.get("id") is None:
            raise BadResponse("reply answer has no id", platform="facebook")
        return str(body["id"])
    response = adapter.http.request(
        "POST",
        f"{DATA_API}/comments",
        params={"part": "snippet"},
        json_body={"snippet": {"parentId": parent_id, "textOriginal": text}},
        access_token=token,
    )
    return str(_yt_body(response).get("id") or "")


def _yt_body(response: Any) -> Mapping[str, Any]:
    body: Any = {}
    if response.status_code != 204:
        try:
            body = response.json()
        except ValueError:
            body = {}
    error = classify_google_error(response, body)
    if error is not None:
        raise error
    return body if isinstance(body, Mapping) else {}


def hide_comment(adapter: Any, token: str, comment_id: str, hide: bool) -> None:
    """Hide or unhide (YouTube: hold for review / publish). TikTok's ``business/comment/hide/`` is
    unconfirmed: not offered (the inbox refuses hiding TikTok comments with the reason)."""
    if isinstance(adapter, TikTokBusinessAdapter):
        raise InvalidRequest("hiding TikTok comments from the portal is not supported", platform="tiktok")
    if isinstance(adapter, LinkedInOrgAdapter):  # the Comments API has no hide: delete only, not offered
        raise InvalidRequest("hiding LinkedIn comments from the portal is not supported", platform="linkedin")
    if isinstance(adapter, InstagramAdapter):
        _ig(adapter, "POST", comment_id, token, {"hide": "true" if hide else "false"})
        return
    if isinstance(adapter, FacebookAdapter):
        _fb(adapter, "POST", comment_id, token, {"is_hidden": "true" if hide else "false"})
        return
    response = adapter.http.request(
        "POST",
        f"{DATA_API}/comments/setModerationStatus",
        params={"id": comment_id, "moderationStatus": "heldForReview" if hide else "published"},
        access_token=token,
    )
    _yt_body(response)
