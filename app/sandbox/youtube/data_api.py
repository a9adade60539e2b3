"""YouTube Data API v3: channels, playlistItems, videos and videos:batchGetStats, plus the request plumbing.

Every resource answers on both API hosts (``www.googleapis.com`` and ``youtube.googleapis.com``). The
plumbing shared with :mod:`.search_comments` is here too: ``part`` validation, ``maxResults``, page tokens
and paging, etags, thumbnails, the list-response envelope and the lookups of channels and videos in the
world. Each call is authenticated and charged its quota units through :mod:`.auth`.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

from flask import Response, request

from ..common import json_response, state
from ..util import b64chars, day_start, decode_token, encode_token, iso_duration, iso_z
from ..world import Account, Post
from .auth import DATA_SCOPES, authenticate, charge
from .errors import GoogleError, bp

API_HOSTS = ("www.googleapis.com", "youtube.googleapis.com")


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


def requested_parts(allowed: tuple[str, ...], supported: tuple[str, ...]) -> list[str]:
    raw = request.args.get("part")
    if not raw:
        raise GoogleError(400, "Required parameter: part", "required", location="part")
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    for p in parts:
        if p not in allowed:
            raise GoogleError(400, f"'{p}'", "unknownPart", "youtube.part", location="part")
    return [p for p in parts if p in supported]


def max_results_param(default: int, low: int, high: int) -> int:
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


def page_offset(kind: str) -> int:
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


def paged(kind: str, items: list[Any], size: int, offset: int) -> tuple[list[Any], dict[str, Any]]:
    page = items[offset : offset + size]
    meta: dict[str, Any] = {}
    if offset + size < len(items) and size > 0:
        meta["nextPageToken"] = _page_token(kind, offset + size)
    if offset > 0:
        meta["prevPageToken"] = _page_token(kind, max(0, offset - size))
    return page, meta


def all_channels(first: str | None = None) -> list[Account]:
    return state().platform_accounts("youtube", first)


def find_video(video_id: str, first: str | None = None) -> tuple[Account, Post] | None:
    """The channel holding ``video_id`` and the video; ``first``: the caller's channel, looked in first."""
    now = state().now()
    for acc in all_channels(first):
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


def list_response(
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
        parts = requested_parts(
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
            found = [a for a in all_channels() if a.platform_user_id in ids]
        elif args.get("forHandle"):
            handle = args["forHandle"].lstrip("@").lower()
            found = [a for a in all_channels() if a.username.lower() == handle]
        elif args.get("forUsername"):
            found = [a for a in all_channels() if a.username.lower() == args["forUsername"].lower()]
        else:
            raise GoogleError(
                400,
                "No filter selected. Expected one of: forUsername, managedByMe, categoryId, "
                "mine, mySubscribers, id, idParam, forHandle.",
                "missingRequiredParameter",
                "youtube.parameter",
            )
        items = [channel_item(a, parts) for a in found]
        return json_response(list_response("youtube#channelListResponse", items, len(items), 5))


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
            # an explicit (control API) video's caption is also one of its tags: hostile text reaches tags
            "tags": ["sandbox"]
            + (["shorts"] if post.kind == "short" else [])
            + ([post.caption[:100]] if post.explicit and post.caption else []),
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
        parts = requested_parts(
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
            found = find_video(vid, tok.account_id)
            if found is not None:
                items.append(video_item(found[0], found[1], parts))
        return json_response(list_response("youtube#videoListResponse", items, len(items), len(items)))


@bp.get("/<any('www.googleapis.com','youtube.googleapis.com'):host>/youtube/v3/videos:batchGetStats")
def batch_get_stats(host: str) -> Response:
    st = state()
    with st.lock:
        tok = authenticate(DATA_SCOPES)
        charge(tok, "batchGetStats")
        parts = requested_parts(
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
            found = find_video(vid, tok.account_id)
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
        parts = requested_parts(
            ("id", "snippet", "contentDetails", "status"), ("id", "snippet", "contentDetails", "status")
        )
        playlist = request.args.get("playlistId")
        if not playlist:
            raise GoogleError(
                400,
                "No filter selected. Expected one of: id, playlistId.",
                "missingRequiredParameter",
                "youtube.parameter",
            )
        size = max_results_param(5, 0, 50)
        offset = page_offset(f"pl:{playlist}")
        acc = next((a for a in all_channels() if a.scoped_id == playlist), None)
        if acc is None:
            raise GoogleError(
                404,
                "The playlist identified with the request's <code>playlistId</code> parameter cannot be found.",
                "playlistNotFound",
                "youtube.playlistItem",
                location="playlistId",
            )
        posts = acc.posts_at(st.now())
        page, meta = paged(f"pl:{playlist}", posts, size, offset)
        items = [playlist_item(acc, p, offset + i, parts) for i, p in enumerate(page)]
        return json_response(list_response("youtube#playlistItemListResponse", items, len(posts), size, meta))
