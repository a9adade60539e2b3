"""YouTube Data API v3: search.list and commentThreads.list.

``search`` (charged to its own quota bucket; ``forMine`` / ``channelId`` / ``q`` / ``order``) over the
sandbox's channels, and the ``commentThreads`` of a video: deterministic generated top-level comments, newest
first, paged. The product does not call these two (only the sandbox's own tests do, including the check
against Google's discovery document). Paging, ``part`` and the list envelope come from :mod:`.data_api`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Response, request

from ..common import json_response, state
from ..util import b64chars, iso_z, rng
from .auth import DATA_SCOPES, authenticate, charge
from .data_api import (
    all_channels,
    etag,
    find_video,
    list_response,
    max_results_param,
    page_offset,
    paged,
    requested_parts,
    thumbnails,
)
from .errors import GoogleError, bp


@bp.get("/<any('www.googleapis.com','youtube.googleapis.com'):host>/youtube/v3/search")
def search(host: str) -> Response:
    st = state()
    with st.lock:
        tok = authenticate(DATA_SCOPES)
        charge(tok, "search")
        requested_parts(("id", "snippet"), ("id", "snippet"))
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
                (a, p) for a in all_channels() if a.platform_user_id == args["channelId"] for p in a.posts_at(st.now())
            ]
        else:
            pool = [(a, p) for a in all_channels() for p in a.posts_at(st.now())]
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
        size = max_results_param(5, 0, 50)
        offset = page_offset("search")
        page, meta = paged("search", pool, size, offset)
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
            list_response(
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
        parts = requested_parts(("id", "snippet", "replies"), ("id", "snippet", "replies"))
        video_id = request.args.get("videoId")
        if not video_id:
            raise GoogleError(
                400,
                "No filter selected. Expected one of: allThreadsRelatedToChannelId, id, videoId.",
                "missingRequiredParameter",
                "youtube.parameter",
            )
        found = find_video(video_id)
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
        size = max_results_param(20, 1, 100)
        offset = page_offset(f"ct:{video_id}")
        now = st.now()
        total = int(post.count("comments", now) * 0.8)
        indices = list(range(total))
        page, meta = paged(f"ct:{video_id}", indices, size, offset)
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
        return json_response(list_response("youtube#commentThreadListResponse", items, len(items), size, meta))
