"""Fidelity: Google's official client, built from the published discovery documents, against the sandbox.

Every response is also checked against the discovery document's schemas (every key declared, types and
string-encoded int64 counts as Google declares them).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

googleapiclient = pytest.importorskip("googleapiclient")

import google.auth.transport.requests  # noqa: E402
import google.oauth2.credentials  # noqa: E402
from googleapiclient.discovery import build_from_document  # noqa: E402
from googleapiclient.errors import HttpError  # noqa: E402

from tests.support.sandbox import CLIENTS, SandboxControl  # noqa: E402

DOCS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
# Named in Google's batchGetStats reference example but absent from the discovery schema.
DOCUMENTED_EXTRAS = {("VideoStatsContentDetails", "durationMillis")}


def load(name: str) -> dict[str, Any]:
    return json.loads((DOCS / name).read_text())  # type: ignore[no-any-return]


def check(value: Any, schema: dict[str, Any], schemas: dict[str, Any], where: str, name: str = "") -> None:  # noqa: C901
    if "$ref" in schema:
        ref = schema["$ref"]
        check(value, schemas[ref], schemas, where, ref)
        return
    kind = schema.get("type")
    if kind == "object":
        assert isinstance(value, dict), f"{where}: expected object"
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in props:
                check(item, props[key], schemas, f"{where}.{key}")
            elif extra is not None:
                check(item, extra, schemas, f"{where}.{key}")
            else:
                assert (name, key) in DOCUMENTED_EXTRAS, f"{where}.{key} is not declared by {name or 'schema'}"
    elif kind == "array":
        assert isinstance(value, list), f"{where}: expected array"
        for i, item in enumerate(value):
            check(item, schema.get("items", {}), schemas, f"{where}[{i}]")
    elif kind == "string":
        assert isinstance(value, str), f"{where}: expected string, got {value!r}"
        fmt = schema.get("format")
        if fmt in ("int64", "uint64"):
            assert re.fullmatch(r"-?\d+", value), f"{where}: {value!r} is not an {fmt} string"
        elif fmt in ("date-time", "google-datetime"):
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        elif fmt == "google-duration" or (where.endswith("duration")):
            assert re.fullmatch(r"P(T(\d+H)?(\d+M)?(\d+S)?)", value), f"{where}: bad duration {value!r}"
    elif kind == "integer":
        assert isinstance(value, int), f"{where}: expected integer"
        assert not isinstance(value, bool), f"{where}: expected integer, not a boolean"
    elif kind == "boolean":
        assert isinstance(value, bool), f"{where}: expected boolean"
    elif kind == "number":
        assert isinstance(value, int | float), f"{where}: expected number"


@pytest.fixture
def google_clients(sandbox: SandboxControl, yt_account: dict[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    tokens = sandbox.connect("youtube", yt_account["id"])
    creds = google.oauth2.credentials.Credentials(tokens["access_token"])
    youtube = build_from_document(
        load("youtube.v3.json"),
        credentials=creds,
        client_options={"api_endpoint": sandbox.url("youtube.googleapis.com/")},
    )
    analytics = build_from_document(
        load("youtubeAnalytics.v2.json"),
        credentials=creds,
        client_options={"api_endpoint": sandbox.url("youtubeanalytics.googleapis.com/")},
    )
    return youtube, analytics, tokens


def test_official_client_channels_playlist_items_videos(
    sandbox: SandboxControl, yt_account: dict[str, Any], google_clients: tuple[Any, Any, dict[str, Any]]
) -> None:
    youtube, _, _ = google_clients
    schemas = load("youtube.v3.json")["schemas"]
    channels = youtube.channels().list(part="snippet,statistics,contentDetails,status", mine=True).execute()
    check(channels, {"$ref": "ChannelListResponse"}, schemas, "channels")
    uploads = channels["items"][0]["contentDetails"]["relatedPlaylists"]["uploads"]

    request = youtube.playlistItems().list(part="snippet,contentDetails,status", playlistId=uploads, maxResults=50)
    video_ids: list[str] = []
    while request is not None:
        page = request.execute()
        check(page, {"$ref": "PlaylistItemListResponse"}, schemas, "playlistItems")
        video_ids.extend(i["contentDetails"]["videoId"] for i in page["items"])
        request = youtube.playlistItems().list_next(request, page)
    assert len(video_ids) == sandbox.account(yt_account["id"])["posts_count"]

    videos = (
        youtube.videos().list(part="snippet,statistics,contentDetails,status", id=",".join(video_ids[:50])).execute()
    )
    check(videos, {"$ref": "VideoListResponse"}, schemas, "videos")
    assert [v["id"] for v in videos["items"]] == video_ids[:50]

    stats = youtube.videos().batchGetStats(part="id,snippet,statistics,contentDetails", id=video_ids[:5]).execute()
    check(stats, {"$ref": "BatchGetStatsResponse"}, schemas, "batchGetStats")
    assert [v["id"] for v in stats["items"]] == video_ids[:5]

    search = youtube.search().list(part="snippet", forMine=True, type="video", maxResults=5).execute()
    check(search, {"$ref": "SearchListResponse"}, schemas, "search")
    top = sandbox.add_comment(yt_account["id"], "Great <b>video</b> 🎉", "fan01", post_id=video_ids[-1])
    sandbox.add_comment(yt_account["id"], "agreed", "fan02", parent_id=top)
    threads = youtube.commentThreads().list(part="snippet,replies", videoId=video_ids[-1], maxResults=20).execute()
    check(threads, {"$ref": "CommentThreadListResponse"}, schemas, "commentThreads")
    assert [t["id"] for t in threads["items"]] == [top]
    replies = youtube.comments().list(part="snippet", parentId=top).execute()
    check(replies, {"$ref": "CommentListResponse"}, schemas, "comments")
    assert [c["snippet"]["textOriginal"] for c in replies["items"]] == ["agreed"]


def test_official_client_reports(google_clients: tuple[Any, Any, dict[str, Any]]) -> None:
    _, analytics, _ = google_clients
    schemas = load("youtubeAnalytics.v2.json")["schemas"]
    for dims, extra in (("day", {}), ("video", {"sort": "-views", "maxResults": 10}), ("", {})):
        result = (
            analytics.reports()
            .query(
                ids="channel==MINE",
                startDate="2026-08-01",
                endDate="2026-10-15",
                dimensions=dims or None,
                metrics="views,engagedViews,estimatedMinutesWatched,averageViewDuration,likes,comments,shares,"
                "subscribersGained,subscribersLost",
                **extra,
            )
            .execute()
        )
        check(result, {"$ref": "QueryResponse"}, schemas, f"reports[{dims}]")
        assert result["rows"]


def test_official_client_sees_google_errors(
    sandbox: SandboxControl, google_clients: tuple[Any, Any, dict[str, Any]]
) -> None:
    youtube, _, _ = google_clients
    sandbox.add_fault("youtube", "quota_exceeded")
    with pytest.raises(HttpError) as err:
        youtube.channels().list(part="id", mine=True).execute()
    assert err.value.resp.status == 403
    assert err.value.error_details[0]["reason"] == "quotaExceeded"
    with pytest.raises(HttpError) as err:
        youtube.playlistItems().list(part="id", playlistId="UUnothing").execute()
    assert err.value.resp.status == 404
    assert err.value.error_details[0]["reason"] == "playlistNotFound"


def test_google_auth_refreshes_against_the_sandbox(
    sandbox: SandboxControl, google_clients: tuple[Any, Any, dict[str, Any]]
) -> None:
    _, _, tokens = google_clients
    client_id, secret = CLIENTS["youtube"]
    creds = google.oauth2.credentials.Credentials(
        None,
        refresh_token=tokens["refresh_token"],
        token_uri=sandbox.url("oauth2.googleapis.com/token"),
        client_id=client_id,
        client_secret=secret,
    )
    creds.refresh(google.auth.transport.requests.Request())
    assert creds.token
    assert creds.token.startswith("ya29.")
    assert creds.refresh_token == tokens["refresh_token"]
    sandbox.revoke(sandbox.accounts("youtube")[0]["id"])
    with pytest.raises(google.auth.exceptions.RefreshError) as err:
        creds.refresh(google.auth.transport.requests.Request())
    assert "invalid_grant" in str(err.value)
