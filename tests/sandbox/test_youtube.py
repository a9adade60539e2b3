"""Google OAuth + YouTube Data API v3 + Analytics API v2 over real HTTP."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import requests

from app.sandbox import create_app
from tests.support.live import serve_wsgi
from tests.support.sandbox import CLIENTS, REDIRECT_URI, SANDBOX_TEST_CONFIG, SandboxControl, pkce_pair

CLIENT_ID, SECRET = CLIENTS["youtube"]
READONLY = "https://www.googleapis.com/auth/youtube.readonly"
ANALYTICS = "https://www.googleapis.com/auth/yt-analytics.readonly"


def token_call(sandbox: SandboxControl, **form: str) -> requests.Response:
    return requests.post(
        sandbox.url("oauth2.googleapis.com/token"),
        timeout=10,
        data={"client_id": CLIENT_ID, "client_secret": SECRET, **form},
    )


def exchange(sandbox: SandboxControl, code: str, **extra: str) -> requests.Response:
    return token_call(sandbox, code=code, grant_type="authorization_code", redirect_uri=REDIRECT_URI, **extra)


def yt(
    sandbox: SandboxControl, resource: str, token: str | None, host: str = "www.googleapis.com", **params: Any
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(sandbox.url(f"{host}/youtube/v3/{resource}"), params=params, headers=headers, timeout=10)


def report(sandbox: SandboxControl, token: str, **params: Any) -> requests.Response:
    params.setdefault("ids", "channel==MINE")
    return requests.get(
        sandbox.url("youtubeanalytics.googleapis.com/v2/reports"),
        params=params,
        timeout=10,
        headers={"Authorization": f"Bearer {token}"},
    )


def google_error(resp: requests.Response, status: int, reason: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert err["code"] == status
    assert err["message"]
    assert err["errors"][0]["reason"] == reason
    assert err["errors"][0]["message"]
    assert err["errors"][0]["domain"]
    return err  # type: ignore[no-any-return]


@pytest.fixture
def tokens(sandbox: SandboxControl, yt_account: dict[str, Any]) -> dict[str, Any]:
    return sandbox.connect("youtube", yt_account["id"])


# --------------------------------------------------------------------------- OAuth
def test_oauth_dance_with_refresh_token(sandbox: SandboxControl, yt_account: dict[str, Any]) -> None:
    page = requests.get(sandbox.authorize_url("youtube"), timeout=10)
    assert page.status_code == 200
    assert 'name="scope"' in page.text
    assert f'value="{yt_account["id"]}"' in page.text
    params = sandbox.redirect_params(sandbox.consent(sandbox.authorize_url("youtube", state="s1"), yt_account["id"]))
    assert params["state"] == "s1"
    assert params["scope"] == f"{READONLY} {ANALYTICS}"
    body = exchange(sandbox, params["code"]).json()
    assert set(body) == {"access_token", "expires_in", "refresh_token", "scope", "token_type"}
    assert body["expires_in"] == 3599
    assert body["token_type"] == "Bearer"
    assert body["access_token"].startswith("ya29.")
    assert body["refresh_token"].startswith("1//")
    reused = exchange(sandbox, params["code"])
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"


def test_online_access_has_no_refresh_token(sandbox: SandboxControl, yt_account: dict[str, Any]) -> None:
    url = sandbox.authorize_url("youtube", access_type="online", prompt="")
    body = exchange(sandbox, sandbox.redirect_params(sandbox.consent(url, yt_account["id"]))["code"]).json()
    assert "refresh_token" not in body
    assert body["access_token"]


def test_pkce_wrong_redirect_denied_bad_client(sandbox: SandboxControl, yt_account: dict[str, Any]) -> None:
    verifier, challenge = pkce_pair()
    url = sandbox.authorize_url("youtube", code_challenge=challenge, code_challenge_method="S256")
    code = sandbox.redirect_params(sandbox.consent(url, yt_account["id"]))["code"]
    assert exchange(sandbox, code).json() == {
        "error": "invalid_grant",
        "error_description": "Missing code verifier.",
    }
    code = sandbox.redirect_params(sandbox.consent(url, yt_account["id"]))["code"]
    assert exchange(sandbox, code, code_verifier="nope").json()["error"] == "invalid_grant"
    code = sandbox.redirect_params(sandbox.consent(url, yt_account["id"]))["code"]
    wrong = token_call(
        sandbox,
        code=code,
        grant_type="authorization_code",
        redirect_uri=REDIRECT_URI + "/x",
        code_verifier=verifier,
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "redirect_uri_mismatch"
    basic = requests.post(
        sandbox.url("oauth2.googleapis.com/token"),
        auth=(CLIENT_ID, SECRET),
        timeout=10,
        data={
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
    )
    assert basic.status_code == 200
    denied = sandbox.redirect_params(sandbox.consent(sandbox.authorize_url("youtube"), yt_account["id"], "deny"))
    assert denied == {"error": "access_denied", "state": "st-123"}
    unknown = requests.get(sandbox.authorize_url("youtube", client_id="nobody"), timeout=10)
    assert unknown.status_code == 401
    assert "invalid_client" in unknown.text
    mismatch = requests.get(sandbox.authorize_url("youtube", redirect_uri="https://evil.example/cb"), timeout=10)
    assert mismatch.status_code == 400
    assert "redirect_uri_mismatch" in mismatch.text
    bad_secret = requests.post(
        sandbox.url("oauth2.googleapis.com/token"),
        timeout=10,
        data={
            "client_id": CLIENT_ID,
            "client_secret": "x",
            "grant_type": "refresh_token",
            "refresh_token": "y",
        },
    )
    assert bad_secret.status_code == 401
    assert bad_secret.json()["error"] == "invalid_client"


def test_granular_consent_can_drop_a_scope(sandbox: SandboxControl, yt_account: dict[str, Any]) -> None:
    location = sandbox.consent(sandbox.authorize_url("youtube"), yt_account["id"], scopes=[READONLY])
    params = sandbox.redirect_params(location)
    assert params["scope"] == READONLY
    body = exchange(sandbox, params["code"]).json()
    assert body["scope"] == READONLY
    assert yt(sandbox, "channels", body["access_token"], part="id", mine="true").status_code == 200
    resp = report(sandbox, body["access_token"], startDate="2026-09-01", endDate="2026-09-30", metrics="views")
    google_error(resp, 403, "insufficientPermissions")


def test_refresh_does_not_rotate_and_revocation(
    sandbox: SandboxControl, yt_account: dict[str, Any], tokens: dict[str, Any]
) -> None:
    sandbox.advance_seconds(3600)
    expired = yt(sandbox, "channels", tokens["access_token"], part="id", mine="true")
    err = google_error(expired, 401, "authError")
    assert err["status"] == "UNAUTHENTICATED"
    refreshed = token_call(sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 200
    assert "refresh_token" not in refreshed.json()
    assert refreshed.json()["expires_in"] == 3599
    again = token_call(sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert again.status_code == 200  # no rotation: the original keeps working
    sandbox.advance_days(200)
    assert token_call(sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).status_code == 200
    sandbox.revoke(yt_account["id"])
    revoked = token_call(sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert revoked.status_code == 400
    assert revoked.json() == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }


def test_revoke_endpoint(sandbox: SandboxControl, tokens: dict[str, Any]) -> None:
    resp = requests.post(
        sandbox.url("oauth2.googleapis.com/revoke"), params={"token": tokens["refresh_token"]}, timeout=10
    )
    assert resp.status_code == 200
    google_error(yt(sandbox, "channels", tokens["access_token"], part="id", mine="true"), 401, "authError")
    again = requests.post(
        sandbox.url("oauth2.googleapis.com/revoke"), data={"token": tokens["refresh_token"]}, timeout=10
    )
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_token"


def test_testing_mode_refresh_tokens_die_after_7_days() -> None:
    with serve_wsgi(create_app({**SANDBOX_TEST_CONFIG, "GOOGLE_TESTING_MODE": True})) as url:
        control = SandboxControl(url)
        acc = control.create_account("youtube", "tester", 100)
        tokens = control.connect("youtube", acc["id"])
        control.advance_days(6)
        assert token_call(control, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).ok
        control.advance_days(2)
        late = token_call(control, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
        assert late.json()["error"] == "invalid_grant"


# --------------------------------------------------------------------------- Data API
@pytest.mark.parametrize("host", ["www.googleapis.com", "youtube.googleapis.com"])
def test_channels_mine(sandbox: SandboxControl, yt_account: dict[str, Any], tokens: dict[str, Any], host: str) -> None:
    resp = yt(
        sandbox,
        "channels",
        tokens["access_token"],
        host=host,
        part="snippet,statistics,contentDetails",
        mine="true",
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["kind"] == "youtube#channelListResponse"
    assert body["pageInfo"]["totalResults"] == 1
    channel = body["items"][0]
    truth = sandbox.account(yt_account["id"])
    assert channel["kind"] == "youtube#channel"
    assert channel["id"] == yt_account["platform_user_id"]
    stats = channel["statistics"]
    assert stats == {
        "viewCount": str(truth["totals"]["view_count"]),
        "subscriberCount": "15400",
        "hiddenSubscriberCount": False,
        "videoCount": str(truth["posts_count"]),
    }
    assert channel["contentDetails"]["relatedPlaylists"]["uploads"] == truth["uploads_playlist_id"]
    assert channel["snippet"]["customUrl"] == "@yt.creator"


def test_channels_bad_requests(sandbox: SandboxControl, tokens: dict[str, Any]) -> None:
    google_error(yt(sandbox, "channels", tokens["access_token"], mine="true"), 400, "required")
    err = google_error(
        yt(sandbox, "channels", tokens["access_token"], part="snippet,bogus", mine="true"), 400, "unknownPart"
    )
    assert err["errors"][0]["domain"] == "youtube.part"
    google_error(yt(sandbox, "channels", tokens["access_token"], part="id"), 400, "missingRequiredParameter")
    missing = google_error(yt(sandbox, "channels", None, part="id", mine="true"), 401, "required")
    assert missing["status"] == "UNAUTHENTICATED"
    google_error(yt(sandbox, "channels", "ya29.garbage", part="id", mine="true"), 401, "authError")


def test_uploads_paging_to_the_end(sandbox: SandboxControl, yt_account: dict[str, Any], tokens: dict[str, Any]) -> None:
    truth = sandbox.account(yt_account["id"], posts=True)
    playlist = truth["uploads_playlist_id"]
    default = yt(sandbox, "playlistItems", tokens["access_token"], part="contentDetails", playlistId=playlist).json()
    assert len(default["items"]) == 5
    assert default["pageInfo"] == {
        "totalResults": truth["posts_count"],
        "resultsPerPage": 5,
    }
    seen: list[dict[str, Any]] = []
    token: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"part": "snippet,contentDetails", "playlistId": playlist, "maxResults": 50}
        if token:
            params["pageToken"] = token
        page = yt(sandbox, "playlistItems", tokens["access_token"], **params).json()
        seen.extend(page["items"])
        pages += 1
        token = page.get("nextPageToken")
        if not token:
            break
    assert pages == -(-truth["posts_count"] // 50)
    assert [i["contentDetails"]["videoId"] for i in seen] == [p["id"] for p in truth["posts"]]
    assert [i["snippet"]["position"] for i in seen] == list(range(len(seen)))
    assert seen[0]["contentDetails"]["videoPublishedAt"].endswith("Z")
    google_error(
        yt(sandbox, "playlistItems", tokens["access_token"], part="id", playlistId=playlist, maxResults=51),
        400,
        "invalidParameter",
    )
    google_error(
        yt(
            sandbox,
            "playlistItems",
            tokens["access_token"],
            part="id",
            playlistId=playlist,
            pageToken="garbage",
        ),
        400,
        "invalidPageToken",
    )
    google_error(
        yt(sandbox, "playlistItems", tokens["access_token"], part="id", playlistId="UUnope"),
        404,
        "playlistNotFound",
    )


def test_videos_and_batch_get_stats(
    sandbox: SandboxControl, yt_account: dict[str, Any], tokens: dict[str, Any]
) -> None:
    posts = sandbox.account(yt_account["id"], posts=True)["posts"]
    ids = [p["id"] for p in posts[:50]]
    resp = yt(
        sandbox,
        "videos",
        tokens["access_token"],
        part="snippet,statistics,contentDetails",
        id=",".join([*ids[:49], "doesNotExist"]),
    )
    items = resp.json()["items"]
    assert [i["id"] for i in items] == ids[:49]
    first = items[0]
    assert first["statistics"]["viewCount"] == str(posts[0]["view_count"])
    assert first["statistics"]["likeCount"] == str(posts[0]["like_count"])
    assert first["contentDetails"]["duration"].startswith("PT")
    google_error(
        yt(sandbox, "videos", tokens["access_token"], part="id", id=",".join(ids + ["x"])),
        400,
        "invalidFilters",
    )
    batch = yt(
        sandbox,
        "videos:batchGetStats",
        tokens["access_token"],
        part="id,snippet,statistics",
        id=ids[:3] + ["missing"],
    ).json()
    assert batch["kind"] == "youtube#batchGetStatsResponse"
    assert [i["id"] for i in batch["items"]] == ids[:3]
    assert batch["items"][0]["statistics"]["viewCount"] == str(posts[0]["view_count"])
    buckets = [
        (c["path"].rsplit("/", 1)[-1], c["quota_units"], c.get("quota_bucket"))
        for c in sandbox.calls()
        if "youtube/v3" in c["path"]
    ]
    assert buckets == [
        ("videos", 1, "default"),
        ("videos", 1, "default"),
        ("videos:batchGetStats", 1, "batchGetStats"),
    ]


def test_search_and_comment_threads(
    sandbox: SandboxControl, yt_account: dict[str, Any], tokens: dict[str, Any]
) -> None:
    found = yt(
        sandbox,
        "search",
        tokens["access_token"],
        part="snippet",
        forMine="true",
        type="video",
        order="date",
        maxResults=10,
    ).json()
    assert found["kind"] == "youtube#searchListResponse"
    assert len(found["items"]) == 10
    assert found["items"][0]["id"]["kind"] == "youtube#video"
    assert sandbox.calls()[-1]["quota_bucket"] == "search"
    posts = sandbox.account(yt_account["id"], posts=True)["posts"]
    video = max(posts, key=lambda p: p["comment_count"])
    sandbox.add_comment(yt_account["id"], "Great video!", "fan01", post_id=video["id"])
    threads = yt(
        sandbox, "commentThreads", tokens["access_token"], part="snippet", videoId=video["id"], maxResults=100
    ).json()
    assert threads["kind"] == "youtube#commentThreadListResponse"
    assert threads["items"]
    top = threads["items"][0]["snippet"]["topLevelComment"]
    assert top["kind"] == "youtube#comment"
    assert top["snippet"]["videoId"] == video["id"]
    google_error(
        yt(sandbox, "commentThreads", tokens["access_token"], part="snippet", videoId="nope"),
        404,
        "videoNotFound",
    )


# --------------------------------------------------------------------------- quotas
def test_quota_buckets_and_pacific_midnight_reset() -> None:
    limits = {"default": 3, "search": 2, "batchGetStats": 10000}
    config = {**SANDBOX_TEST_CONFIG, "TODAY": "2026-10-15T06:58:00Z", "YT_QUOTA_LIMITS": limits}
    with serve_wsgi(create_app(config)) as url:
        control = SandboxControl(url)
        acc = control.create_account("youtube", "quota", 100)
        tok = control.connect("youtube", acc["id"])["access_token"]
        statuses = [yt(control, "channels", tok, part="id", mine="true").status_code for _ in range(3)]
        over = yt(control, "channels", tok, part="id", mine="true")
        err = google_error(over, 403, "quotaExceeded")
        assert err["errors"][0]["domain"] == "youtube.quota"
        assert statuses == [200, 200, 200]
        # search has its own bucket
        assert [
            yt(control, "search", tok, part="snippet", forMine="true", type="video").status_code for _ in range(3)
        ] == [200, 200, 403]
        usage = {u["bucket"]: u["used"] for u in control.quota()["usage"]}
        assert usage == {"default": 3, "search": 2}
        assert control.quota()["pacific_today"] == "2026-10-14"
        control.advance_seconds(180)  # 07:01 UTC = 00:01 PDT: a new quota day
        assert control.quota()["pacific_today"] == "2026-10-15"
        assert yt(control, "channels", tok, part="id", mine="true").status_code == 200
        units = [c["quota_units"] for c in control.calls() if "/youtube/v3/" in c["path"]]
        assert units == [1, 1, 1, 0, 1, 1, 0, 1]


# --------------------------------------------------------------------------- Analytics
def test_daily_report_shape_and_lag(sandbox: SandboxControl, tokens: dict[str, Any]) -> None:
    metrics = (
        "views,engagedViews,estimatedMinutesWatched,averageViewDuration,averageViewPercentage,likes,"
        "comments,shares,subscribersGained,subscribersLost"
    )
    resp = report(
        sandbox,
        tokens["access_token"],
        startDate="2026-09-01",
        endDate="2026-10-15",
        metrics=metrics,
        dimensions="day",
        sort="day",
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["kind"] == "youtubeAnalytics#resultTable"
    headers = body["columnHeaders"]
    assert headers[0] == {"name": "day", "columnType": "DIMENSION", "dataType": "STRING"}
    assert [h["name"] for h in headers[1:]] == metrics.split(",")
    assert {h["dataType"] for h in headers[1:]} == {"INTEGER", "FLOAT"}
    rows = body["rows"]
    # 2026-10-15 12:00 UTC is 05:00 PDT on the 15th: the last complete day is the 12th (48-72 h lag)
    assert rows[0][0] == "2026-09-01"
    assert rows[-1][0] == "2026-10-12"
    assert len(rows) == 42
    assert all(isinstance(r[1], int) and isinstance(r[5], float) for r in rows)
    assert all(r[2] <= r[1] for r in rows)  # engagedViews <= views


def test_analytics_agree_with_data_api(sandbox: SandboxControl) -> None:
    sandbox.set_clock(now="2026-10-11T00:00:00Z")
    acc = sandbox.create_account("youtube", "consistent", 20_000, seed=77)
    tok = sandbox.connect("youtube", acc["id"])["access_token"]
    views_now = int(
        yt(sandbox, "channels", tok, part="statistics", mine="true").json()["items"][0]["statistics"]["viewCount"]
    )
    sandbox.advance_days(4)
    tok = sandbox.connect("youtube", acc["id"])["access_token"]
    truth = sandbox.account(acc["id"], history=True)
    start = truth["history_start"]
    body = report(
        sandbox,
        tok,
        startDate=start,
        endDate="2026-10-10",
        metrics="views,subscribersGained,subscribersLost",
        dimensions="day",
    ).json()
    assert body["rows"][-1][0] == "2026-10-10"
    assert sum(r[1] for r in body["rows"]) == views_now
    days_to_oct10 = (date(2026, 10, 10) - date.fromisoformat(start)).days + 1
    followers_oct10 = truth["followers_at_history_start"] + sum(truth["daily_changes"][:days_to_oct10])
    net = sum(r[2] - r[3] for r in body["rows"])
    assert net == followers_oct10 - truth["followers_at_history_start"]
    assert all(r[2] >= 0 and r[3] >= 0 for r in body["rows"])
    total = report(sandbox, tok, startDate=start, endDate="2026-10-10", metrics="views").json()["rows"]
    assert total == [[views_now]]


def test_top_videos_and_other_reports(sandbox: SandboxControl, tokens: dict[str, Any]) -> None:
    top = report(
        sandbox,
        tokens["access_token"],
        startDate="2026-01-01",
        endDate="2026-10-15",
        metrics="views,likes",
        dimensions="video",
        sort="-views",
        maxResults=10,
    ).json()
    views = [r[1] for r in top["rows"]]
    assert len(views) == 10
    assert views == sorted(views, reverse=True)
    demo = report(
        sandbox,
        tokens["access_token"],
        startDate="2026-09-01",
        endDate="2026-09-30",
        metrics="viewerPercentage",
        dimensions="ageGroup,gender",
    ).json()
    assert abs(sum(r[2] for r in demo["rows"]) - 100) < 1
    kinds = report(
        sandbox,
        tokens["access_token"],
        startDate="2026-09-01",
        endDate="2026-09-30",
        metrics="views",
        dimensions="creatorContentType",
    ).json()
    assert {r[0] for r in kinds["rows"]} <= {"SHORTS", "VIDEO_ON_DEMAND"}
    empty = report(
        sandbox,
        tokens["access_token"],
        startDate="2026-10-14",
        endDate="2026-10-15",
        metrics="views",
        dimensions="day",
    ).json()
    assert "rows" not in empty  # not processed yet


@pytest.mark.parametrize(
    ("params", "status", "reason"),
    [
        ({"metrics": "views,bogus"}, 400, "badRequest"),
        ({"metrics": "views", "dimensions": "day,country,video"}, 400, "badRequest"),
        ({"metrics": "estimatedRevenue"}, 403, "forbidden"),
        ({"metrics": "views", "ids": "channel==UCsomeoneElse"}, 403, "forbidden"),
        ({"metrics": "views", "startDate": None}, 400, "required"),
        ({"metrics": "views", "dimensions": "video"}, 400, "badRequest"),
        ({"metrics": "views", "dimensions": "day", "maxResults": "ten"}, 400, "badRequest"),
    ],
)
def test_analytics_bad_requests(
    sandbox: SandboxControl, tokens: dict[str, Any], params: dict[str, Any], status: int, reason: str
) -> None:
    query = {"startDate": "2026-09-01", "endDate": "2026-09-30", **params}
    query = {k: v for k, v in query.items() if v is not None}
    google_error(report(sandbox, tokens["access_token"], **query), status, reason)


# --------------------------------------------------------------------------- faults
@pytest.mark.parametrize(
    ("kind", "status", "reason"),
    [
        ("rate_limited", 429, "rateLimitExceeded"),
        ("quota_exceeded", 403, "quotaExceeded"),
        ("server_error", 500, "backendError"),
        ("token_expired", 401, "authError"),
        ("token_revoked", 401, "authError"),
    ],
)
def test_faults_in_google_format(
    sandbox: SandboxControl, tokens: dict[str, Any], kind: str, status: int, reason: str
) -> None:
    sandbox.add_fault("youtube", kind, path_contains="/youtube/v3/channels", retry_after=7)
    resp = yt(sandbox, "channels", tokens["access_token"], part="id", mine="true")
    google_error(resp, status, reason)
    assert resp.headers["Retry-After"] == "7"
    assert yt(sandbox, "channels", tokens["access_token"], part="id", mine="true").status_code == 200


def test_token_endpoint_faults(sandbox: SandboxControl, tokens: dict[str, Any]) -> None:
    sandbox.add_fault("youtube", "token_revoked", path_contains="oauth2.googleapis.com/token")
    resp = token_call(sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert resp.json() == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }
    sandbox.add_fault("youtube", "malformed", path_contains="channels")
    with pytest.raises(ValueError, match="Unterminated string"):  # the truncated body does not parse
        yt(sandbox, "channels", tokens["access_token"], part="id", mine="true").json()


def test_subscriber_rounding_can_be_disabled() -> None:
    with serve_wsgi(create_app({**SANDBOX_TEST_CONFIG, "YT_ROUND_SUBSCRIBERS": False})) as url:
        control = SandboxControl(url)
        acc = control.create_account("youtube", "exact", 15_432)
        tok = control.connect("youtube", acc["id"])["access_token"]
        stats = yt(control, "channels", tok, part="statistics", mine="true").json()["items"][0]["statistics"]
        assert stats["subscriberCount"] == "15432"


def test_clock_moves_the_numbers(sandbox: SandboxControl, yt_account: dict[str, Any], tokens: dict[str, Any]) -> None:
    before = yt(sandbox, "channels", tokens["access_token"], part="statistics", mine="true").json()
    sandbox.advance_days(20)
    tok = sandbox.connect("youtube", yt_account["id"])["access_token"]
    after = yt(sandbox, "channels", tok, part="statistics", mine="true").json()
    assert int(after["items"][0]["statistics"]["viewCount"]) > int(before["items"][0]["statistics"]["viewCount"])
    assert sandbox.account(yt_account["id"])["today"] == (date(2026, 10, 15) + timedelta(days=20)).isoformat()
