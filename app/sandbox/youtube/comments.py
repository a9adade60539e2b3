"""YouTube Data API v3 comment resources (platforms-deep-data.md section 3).

* ``GET commentThreads`` (1 unit): exactly one of ``allThreadsRelatedToChannelId``, ``videoId``, ``id``;
  ``moderationStatus`` (owner only), ``order=time``, ``maxResults`` 1-100 (20), ``textFormat``; ``part``
  ``id,snippet,replies`` (``replies.comments`` holds at most 5 replies, a subset).
* ``GET comments`` (1 unit): ``parentId`` or ``id``.
* ``POST comments`` (50 units, ``youtube.force-ssl``): a reply to a top-level comment.
* ``POST comments/setModerationStatus`` (50 units, owner): ``heldForReview`` / ``published`` /
  ``rejected`` (``banAuthor`` only with ``rejected``; ``rejected`` does not come back).
* ``DELETE comments`` (50 units): the author's own comments only.

``textDisplay`` is HTML (escaped text, ``<br>`` for new lines) unless ``textFormat=plainText``; a video with
comments off answers ``403 commentsDisabled``.
"""

from __future__ import annotations

import html
from typing import Any

from flask import Response, request

from ..comments import Comment, new_comment_id, replies_of, top_level
from ..common import json_response, state
from ..state import Token
from ..util import iso_z
from ..world import Account
from .auth import DATA_SCOPES, YT, YT_FORCE_SSL, authenticate, charge
from .data_api import etag, find_video, list_response, max_results_param, page_offset, paged, requested_parts
from .errors import GoogleError, bp

HOSTS = "<any('www.googleapis.com','youtube.googleapis.com'):host>"
WRITE_UNITS = 50
WRITE_SCOPES = (YT_FORCE_SSL, YT)


def _disabled(video_id: str) -> bool:
    return video_id in state().comments_off


def comment_resource(c: Comment, acc: Account, owner_view: bool) -> dict[str, Any]:
    plain = request.args.get("textFormat") == "plainText"
    snippet: dict[str, Any] = {
        "channelId": acc.platform_user_id,
        "videoId": c.post_id,
        "textDisplay": c.text if plain else html.escape(c.text).replace("\n", "<br>"),
        "textOriginal": c.text,
        "authorDisplayName": f"@{c.author_handle}",
        "authorProfileImageUrl": f"https://yt3.ggpht.com/{c.author_id}=s48-c-k-no-rj",
        "authorChannelUrl": f"http://www.youtube.com/@{c.author_handle}",
        "authorChannelId": {"value": c.author_id},
        "canRate": True,
        "viewerRating": "none",
        "likeCount": c.like_count,
        "publishedAt": iso_z(c.published_at),
        "updatedAt": iso_z(c.updated_at),
    }
    if c.parent_id:
        snippet["parentId"] = c.parent_id
    if owner_view:
        snippet["moderationStatus"] = c.moderation
    item = {"kind": "youtube#comment", "etag": "", "id": c.id, "snippet": snippet}
    item["etag"] = etag(item)
    return item


def _thread(c: Comment, acc: Account, parts: list[str], owner_view: bool) -> dict[str, Any]:
    st = state()
    kids = [k for k in replies_of(st.comments, c.id) if k.moderation == "published"]
    item: dict[str, Any] = {"kind": "youtube#commentThread", "etag": "", "id": c.id}
    if "snippet" in parts:
        item["snippet"] = {
            "channelId": acc.platform_user_id,
            "videoId": c.post_id,
            "topLevelComment": comment_resource(c, acc, owner_view),
            "canReply": not _disabled(c.post_id),
            "totalReplyCount": len(kids),
            "isPublic": True,
        }
    if "replies" in parts and kids:
        item["replies"] = {"comments": [comment_resource(k, acc, owner_view) for k in kids[:5]]}
    item["etag"] = etag(item)
    return item


def _video_not_found() -> GoogleError:
    return GoogleError(
        404,
        'The video identified by the <code><a href="/youtube/v3/docs/commentThreads/'
        'list#videoId">videoId</a></code> parameter could not be found.',
        "videoNotFound",
        "youtube.commentThread",
        location="videoId",
    )


def _comment_not_found(location: str = "id") -> GoogleError:
    return GoogleError(
        404,
        "The comment identified by the request's <code>id</code> parameter could not be found.",
        "commentNotFound",
        "youtube.comment",
        location=location,
    )


def _owned(tok: Token, acc: Account) -> bool:
    return tok.account_id == acc.id


@bp.get(f"/{HOSTS}/youtube/v3/commentThreads")
def comment_threads(host: str) -> Response:  # noqa: C901 - the filter ladder
    st = state()
    with st.lock:
        tok = authenticate(DATA_SCOPES)
        charge(tok, "default")
        parts = requested_parts(("id", "snippet", "replies"), ("id", "snippet", "replies"))
        args = request.args
        filters = [f for f in ("allThreadsRelatedToChannelId", "videoId", "id") if args.get(f)]
        if args.get("channelId"):
            raise GoogleError(
                400,
                "The channelId filter is no longer supported.",
                "invalidParameter",
                "youtube.parameter",
                location="channelId",
            )
        if len(filters) != 1:
            raise GoogleError(
                400,
                "No filter selected. Expected one of: allThreadsRelatedToChannelId, id, videoId."
                if not filters
                else "Incompatible parameters specified in the request: " + ", ".join(filters),
                "missingRequiredParameter" if not filters else "incompatibleParameters",
                "youtube.parameter",
            )
        status = args.get("moderationStatus", "published")
        if status not in ("published", "heldForReview", "likelySpam", "rejected"):
            raise GoogleError(
                400, f"Invalid value '{status}'.", "invalidParameter", "youtube.parameter", location="moderationStatus"
            )
        if filters[0] == "id":
            wanted = [i for i in args["id"].split(",") if i]
            found = [st.comments.get(i) for i in wanted]
            threads = [
                c for c in found if c is not None and c.platform == "youtube" and c.parent_id is None and c.visible
            ]
            threads = [c for c in threads if c.moderation == "published"]
            items = [_thread(c, st.accounts[c.account_id], parts, False) for c in threads]
            return json_response(list_response("youtube#commentThreadListResponse", items, len(items), len(items), {}))
        if filters[0] == "videoId":
            found_video = find_video(args["videoId"], tok.account_id)
            if found_video is None:
                raise _video_not_found()
            acc, post = found_video
            if _disabled(post.id):
                raise GoogleError(
                    403,
                    'The video identified by the <code><a href="/youtube/v3/docs/commentThreads/list#videoId">'
                    "videoId</a></code> parameter has disabled comments.",
                    "commentsDisabled",
                    "youtube.commentThread",
                    location="videoId",
                )
            pool = top_level(st.comments, acc.id, post.id)
        else:
            channel = args["allThreadsRelatedToChannelId"]
            owners = st.accounts.with_user_id("youtube", channel)
            if not owners:
                raise GoogleError(
                    404,
                    "The channel could not be found.",
                    "channelNotFound",
                    "youtube.commentThread",
                    location="allThreadsRelatedToChannelId",
                )
            acc = owners[0]
            pool = top_level(st.comments, acc.id)
        owner_view = _owned(tok, acc)
        if "moderationStatus" in args and not owner_view:
            raise GoogleError(
                403,
                "The request is not properly authorized to retrieve the specified comment threads.",
                "forbidden",
                "youtube.commentThread",
            )
        pool = [c for c in pool if c.moderation == status]
        size = max_results_param(20, 1, 100)
        kind = f"ct:{filters[0]}:{args[filters[0]]}:{status}"
        page, meta = paged(kind, pool, size, page_offset(kind))
        items = [_thread(c, acc, parts, owner_view) for c in page]
        return json_response(list_response("youtube#commentThreadListResponse", items, len(pool), size, meta))


@bp.get(f"/{HOSTS}/youtube/v3/comments")
def comments_list(host: str) -> Response:
    st = state()
    with st.lock:
        tok = authenticate(DATA_SCOPES)
        charge(tok, "default")
        requested_parts(("id", "snippet"), ("id", "snippet"))
        args = request.args
        if bool(args.get("parentId")) == bool(args.get("id")):
            raise GoogleError(
                400,
                "No filter selected. Expected one of: id, parentId.",
                "missingRequiredParameter",
                "youtube.parameter",
            )
        if args.get("id"):
            found = [st.comments.get(i) for i in args["id"].split(",") if i]
            hits = [
                c
                for c in found
                if c is not None and c.platform == "youtube" and c.visible and c.moderation == "published"
            ]
            items = [comment_resource(c, st.accounts[c.account_id], False) for c in hits]
            return json_response(list_response("youtube#commentListResponse", items, len(items), len(items), {}))
        parent = st.comments.get(args["parentId"])
        if parent is None or parent.platform != "youtube" or not parent.visible or parent.parent_id is not None:
            raise _comment_not_found("parentId")
        acc = st.accounts[parent.account_id]
        pool = [c for c in replies_of(st.comments, parent.id) if c.moderation == "published"]
        size = max_results_param(20, 1, 100)
        kind = f"cm:{parent.id}"
        page, meta = paged(kind, pool, size, page_offset(kind))
        items = [comment_resource(c, acc, _owned(tok, acc)) for c in page]
        return json_response(list_response("youtube#commentListResponse", items, len(pool), size, meta))


@bp.post(f"/{HOSTS}/youtube/v3/comments")
def comments_insert(host: str) -> Response:
    st = state()
    with st.lock:
        tok = authenticate(WRITE_SCOPES)
        charge(tok, "default", WRITE_UNITS)
        requested_parts(("id", "snippet"), ("id", "snippet"))
        data = request.get_json(silent=True, force=True)
        snippet = data.get("snippet") if isinstance(data, dict) else None
        if not isinstance(snippet, dict):
            raise GoogleError(
                400,
                "The API server failed to successfully process the request.",
                "processingFailure",
                "youtube.comment",
            )
        parent_id = snippet.get("parentId")
        text = snippet.get("textOriginal")
        if not parent_id:
            raise GoogleError(
                400,
                "No parent ID was specified.",
                "parentIdMissing",
                "youtube.comment",
                location="body.snippet.parentId",
            )
        if not isinstance(text, str) or not text.strip():
            raise GoogleError(
                400,
                "The comment's text is required.",
                "commentTextRequired",
                "youtube.comment",
                location="body.snippet.textOriginal",
            )
        if len(text) > int(st.cfg["YT_COMMENT_MAX_CHARS"]):
            raise GoogleError(
                400,
                "The comment's text is too long.",
                "commentTextTooLong",
                "youtube.comment",
                location="body.snippet.textOriginal",
            )
        parent = st.comments.get(str(parent_id))
        if parent is None or parent.platform != "youtube" or not parent.visible:
            raise _comment_not_found("body.snippet.parentId")
        if parent.parent_id is not None or _disabled(parent.post_id):
            raise GoogleError(
                400, "The operation is not supported for this comment.", "operationNotSupported", "youtube.comment"
            )
        me = st.accounts[tok.account_id]
        now = st.now()
        reply = Comment(
            id=new_comment_id("youtube", st.next("comment"), parent.id),
            account_id=parent.account_id,
            platform="youtube",
            post_id=parent.post_id,
            text=text,
            author_handle=me.username,
            author_name=me.display_name,
            author_id=me.platform_user_id,
            parent_id=parent.id,
            like_count=0,
            published_at=now,
            updated_at=now,
            from_owner=me.id == parent.account_id,
        )
        st.comments[reply.id] = reply
        st.save()
        return json_response(comment_resource(reply, st.accounts[parent.account_id], False))


@bp.post(f"/{HOSTS}/youtube/v3/comments/setModerationStatus")
def set_moderation_status(host: str) -> Response:
    st = state()
    with st.lock:
        tok = authenticate(WRITE_SCOPES)
        charge(tok, "default", WRITE_UNITS)
        ids = [i for i in (request.args.get("id") or "").split(",") if i]
        status = request.args.get("moderationStatus")
        if not ids or len(ids) > 50:
            raise GoogleError(
                400,
                "Between 1 and 50 comment ids are required.",
                "invalidParameter",
                "youtube.parameter",
                location="id",
            )
        if status not in ("heldForReview", "published", "rejected"):
            raise GoogleError(
                400, f"Invalid value '{status}'.", "invalidParameter", "youtube.parameter", location="moderationStatus"
            )
        if request.args.get("banAuthor") == "true" and status != "rejected":
            raise GoogleError(
                400,
                "The author can only be banned when the comment is rejected.",
                "banWithoutReject",
                "youtube.comment",
            )
        targets = [st.comments.get(i) for i in ids]
        for c in targets:
            if c is None or c.platform != "youtube" or c.deleted or c.account_id != tok.account_id:
                raise GoogleError(403, "The comment could not be moderated.", "forbidden", "youtube.comment")
            if c.moderation == "rejected" and status != "rejected":
                raise GoogleError(
                    400, "A rejected comment cannot be published again.", "operationNotSupported", "youtube.comment"
                )
        for c in targets:
            assert c is not None
            c.moderation = status
        st.save()
        return Response(status=204)


@bp.delete(f"/{HOSTS}/youtube/v3/comments")
def comments_delete(host: str) -> Response:
    st = state()
    with st.lock:
        tok = authenticate(WRITE_SCOPES)
        charge(tok, "default", WRITE_UNITS)
        c = st.comments.get(request.args.get("id") or "")
        if c is None or c.platform != "youtube" or c.deleted:
            raise GoogleError(
                400,
                "The API server failed to successfully process the request.",
                "processingFailure",
                "youtube.comment",
            )
        me = st.accounts[tok.account_id]
        if c.author_id != me.platform_user_id:
            raise GoogleError(403, "Only the author can delete a comment.", "forbidden", "youtube.comment")
        c.deleted = True
        st.save()
        return Response(status=204)
