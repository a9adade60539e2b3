"""YouTube Data API v3: search.list.

``search`` (charged to its own quota bucket; ``forMine`` / ``channelId`` / ``q`` / ``order``) over the
sandbox's channels. The product does not call it (only the sandbox's own tests do, including the check
against Google's discovery document). Paging, ``part`` and the list envelope come from :mod:`.data_api`.
The comment resources are in :mod:`.comments`.
"""

from __future__ import annotations

from flask import Response, request

from ..common import json_response, state
from ..util import iso_z
from .auth import DATA_SCOPES, authenticate, charge
from .data_api import (
    all_channels,
    etag,
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
