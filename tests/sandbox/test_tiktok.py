"""TikTok Login Kit v2 + Display API v2 over real HTTP: OAuth, PKCE, rotation, revoke, endpoints, faults."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from app.sandbox import create_app
from tests.support.live import serve_wsgi
from tests.support.sandbox import CLIENTS, REDIRECT_URI, SANDBOX_TEST_CONFIG, SandboxControl, pkce_pair

KEY, SECRET = CLIENTS["tiktok"]
ALL_VIDEO_FIELDS = (
    "id,create_time,title,video_description,duration,cover_image_url,share_url,embed_link,"
    "like_count,comment_count,share_count,view_count"
)


def token_call(sandbox: SandboxControl, **form: str) -> requests.Response:
    return requests.post(
        sandbox.url("open.tiktokapis.com/v2/oauth/token/"),
        timeout=10,
        data={"client_key": KEY, "client_secret": SECRET, **form},
    )


def exchange(sandbox: SandboxControl, code: str, **extra: str) -> requests.Response:
    return token_call(sandbox, code=code, grant_type="authorization_code", redirect_uri=REDIRECT_URI, **extra)


def api(sandbox: SandboxControl, method: str, path: str, token: str | None, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(
        method, sandbox.url(f"open.tiktokapis.com/v2/{path}"), headers=headers, timeout=10, **kwargs
    )


def envelope(resp: requests.Response, code: str = "ok") -> dict[str, Any]:
    body = resp.json()
    assert set(body) == {"data", "error"}
    assert set(body["error"]) == {"code", "message", "log_id"}
    assert body["error"]["code"] == code
    assert body["error"]["log_id"]
    return body["data"]  # type: ignore[no-any-return]


@pytest.fixture
def tokens(sandbox: SandboxControl, tt_account: dict[str, Any]) -> dict[str, Any]:
    return sandbox.connect("tiktok", tt_account["id"])


def test_oauth_dance(sandbox: SandboxControl, tt_account: dict[str, Any]) -> None:
    page = requests.get(sandbox.authorize_url("tiktok"), timeout=10)
    assert page.status_code == 200
    assert f'value="{tt_account["id"]}"' in page.text
    location = sandbox.consent(sandbox.authorize_url("tiktok", state="xyz"), tt_account["id"])
    params = sandbox.redirect_params(location)
    assert params["state"] == "xyz"
    assert params["scopes"] == "user.info.basic,user.info.profile,user.info.stats,video.list"
    resp = exchange(sandbox, params["code"])
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {
        "access_token",
        "expires_in",
        "open_id",
        "refresh_expires_in",
        "refresh_token",
        "scope",
        "token_type",
    }
    assert body["access_token"].startswith("act.")
    assert body["refresh_token"].startswith("rft.")
    assert (body["expires_in"], body["refresh_expires_in"]) == (7200, 180 * 86400)
    assert body["open_id"] == tt_account["platform_user_id"]
    assert body["token_type"] == "Bearer"
    reused = exchange(sandbox, params["code"])
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    assert set(reused.json()) == {"error", "error_description", "log_id"}


def test_pkce_is_enforced_when_a_challenge_was_sent(sandbox: SandboxControl, tt_account: dict[str, Any]) -> None:
    verifier, challenge = pkce_pair()
    url = sandbox.authorize_url("tiktok", code_challenge=challenge, code_challenge_method="S256")
    code = sandbox.redirect_params(sandbox.consent(url, tt_account["id"]))["code"]
    missing = exchange(sandbox, code)
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_grant"
    code = sandbox.redirect_params(sandbox.consent(url, tt_account["id"]))["code"]
    assert exchange(sandbox, code, code_verifier="wrong-verifier").json()["error"] == "invalid_grant"
    code = sandbox.redirect_params(sandbox.consent(url, tt_account["id"]))["code"]
    assert exchange(sandbox, code, code_verifier=verifier).status_code == 200


def test_wrong_redirect_bad_client_denied(sandbox: SandboxControl, tt_account: dict[str, Any]) -> None:
    code = sandbox.redirect_params(sandbox.consent(sandbox.authorize_url("tiktok"), tt_account["id"]))["code"]
    wrong = token_call(sandbox, code=code, grant_type="authorization_code", redirect_uri=REDIRECT_URI + "x")
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_request"
    bad_client = requests.post(
        sandbox.url("open.tiktokapis.com/v2/oauth/token/"),
        timeout=10,
        data={
            "client_key": KEY,
            "client_secret": "nope",
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": REDIRECT_URI,
        },
    )
    assert bad_client.status_code == 401
    assert bad_client.json()["error"] == "invalid_client"
    denied = sandbox.redirect_params(sandbox.consent(sandbox.authorize_url("tiktok"), tt_account["id"], "deny"))
    assert denied["error"] == "access_denied"
    assert denied["error_description"]
    assert denied["state"] == "st-123"
    scope = sandbox.redirect_params(
        requests.get(
            sandbox.authorize_url("tiktok", scope="user.info.basic,bogus"), timeout=10, allow_redirects=False
        ).headers["Location"]
    )
    assert scope["error"] == "invalid_scope"
    unregistered = requests.get(sandbox.authorize_url("tiktok", redirect_uri="https://evil.example/cb"), timeout=10)
    assert unregistered.status_code == 400


def test_refresh_rotates_and_the_old_refresh_token_fails(sandbox: SandboxControl, tokens: dict[str, Any]) -> None:
    sandbox.advance_seconds(7201)
    expired = api(sandbox, "GET", "user/info/?fields=open_id", tokens["access_token"])
    assert expired.status_code == 401
    assert envelope(expired, "access_token_invalid") == {}
    first = token_call(sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert rotated["expires_in"] == 7200
    again = token_call(sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert api(sandbox, "GET", "user/info/?fields=open_id", rotated["access_token"]).status_code == 200
    sandbox.advance_days(181)
    late = token_call(sandbox, grant_type="refresh_token", refresh_token=rotated["refresh_token"])
    assert late.json()["error"] == "invalid_grant"


def test_configurable_lifetimes() -> None:
    config = {**SANDBOX_TEST_CONFIG, "TIKTOK_ACCESS_TTL": 86400, "TIKTOK_REFRESH_TTL": 365 * 86400}
    with serve_wsgi(create_app(config)) as url:
        control = SandboxControl(url)
        acc = control.create_account("tiktok", "legacy", 10)
        body = control.connect("tiktok", acc["id"])
        assert (body["expires_in"], body["refresh_expires_in"]) == (86400, 365 * 86400)


def test_revoke(sandbox: SandboxControl, tokens: dict[str, Any]) -> None:
    resp = requests.post(
        sandbox.url("open.tiktokapis.com/v2/oauth/revoke/"),
        timeout=10,
        data={"client_key": KEY, "client_secret": SECRET, "token": tokens["access_token"]},
    )
    assert resp.status_code == 200
    assert resp.json() == {}
    assert api(sandbox, "GET", "user/info/?fields=open_id", tokens["access_token"]).status_code == 401
    refresh = token_call(sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refresh.json()["error"] == "invalid_grant"


def test_control_revoke(sandbox: SandboxControl, tt_account: dict[str, Any], tokens: dict[str, Any]) -> None:
    sandbox.revoke(tt_account["id"])
    resp = api(sandbox, "GET", "user/info/?fields=open_id", tokens["access_token"])
    assert resp.status_code == 401
    assert envelope(resp, "access_token_invalid") == {}


def test_user_info_fields_and_scopes(
    sandbox: SandboxControl, tt_account: dict[str, Any], tokens: dict[str, Any]
) -> None:
    fields = (
        "open_id,union_id,avatar_url,display_name,username,bio_description,profile_deep_link,is_verified,"
        "follower_count,following_count,likes_count,video_count"
    )
    resp = api(sandbox, "GET", f"user/info/?fields={fields}", tokens["access_token"])
    assert resp.status_code == 200
    user = envelope(resp)["user"]
    truth = sandbox.account(tt_account["id"])
    assert list(user) == fields.split(",")
    assert user["follower_count"] == 10_234
    assert user["video_count"] == truth["posts_count"]
    assert user["likes_count"] == truth["totals"]["like_count"]
    assert user["open_id"] == tt_account["platform_user_id"]
    only = api(sandbox, "GET", "user/info/?fields=open_id,display_name", tokens["access_token"])
    assert set(envelope(only)["user"]) == {"open_id", "display_name"}
    unknown = api(sandbox, "GET", "user/info/?fields=open_id,shoe_size", tokens["access_token"])
    assert unknown.status_code == 400
    assert envelope(unknown, "invalid_params") == {}
    basic_url = sandbox.authorize_url("tiktok", scope="user.info.basic")
    code = sandbox.redirect_params(sandbox.consent(basic_url, tt_account["id"]))["code"]
    basic = exchange(sandbox, code).json()
    assert basic["scope"] == "user.info.basic"
    stats = api(sandbox, "GET", "user/info/?fields=open_id,follower_count", basic["access_token"])
    assert stats.status_code == 401
    assert envelope(stats, "scope_not_authorized") == {}
    videos = api(sandbox, "POST", "video/list/?fields=id", basic["access_token"], json={})
    assert videos.status_code == 401
    assert envelope(videos, "scope_not_authorized") == {}


def test_missing_token(sandbox: SandboxControl) -> None:
    resp = api(sandbox, "GET", "user/info/?fields=open_id", None)
    assert resp.status_code == 401
    assert envelope(resp, "access_token_invalid") == {}


def test_video_list_pages_to_the_end(
    sandbox: SandboxControl, tt_account: dict[str, Any], tokens: dict[str, Any]
) -> None:
    truth = sandbox.account(tt_account["id"], posts=True)
    assert truth["posts_count"] > 40
    first = envelope(api(sandbox, "POST", f"video/list/?fields={ALL_VIDEO_FIELDS}", tokens["access_token"], json={}))
    assert len(first["videos"]) == 10
    assert first["has_more"] is True
    video = first["videos"][0]
    assert list(video) == ALL_VIDEO_FIELDS.split(",")
    assert "x-expires=" in video["cover_image_url"]
    assert video["share_url"].endswith(video["id"])
    assert first["cursor"] == first["videos"][-1]["create_time"] * 1000
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        body: dict[str, Any] = {"max_count": 20}
        if cursor is not None:
            body["cursor"] = cursor
        page = envelope(
            api(
                sandbox,
                "POST",
                "video/list/?fields=id,create_time,view_count",
                tokens["access_token"],
                json=body,
            )
        )
        seen.extend(page["videos"])
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    assert [v["id"] for v in seen] == [p["id"] for p in truth["posts"]]
    assert [v["create_time"] for v in seen] == sorted((v["create_time"] for v in seen), reverse=True)
    assert seen[5]["view_count"] == truth["posts"][5]["view_count"]


@pytest.mark.parametrize("body", [{"max_count": 21}, {"max_count": 0}, {"cursor": "yesterday"}, {"cursor": -5}])
def test_video_list_bad_input(sandbox: SandboxControl, tokens: dict[str, Any], body: dict[str, Any]) -> None:
    resp = api(sandbox, "POST", "video/list/?fields=id", tokens["access_token"], json=body)
    assert resp.status_code == 400
    assert envelope(resp, "invalid_params") == {}


def test_video_list_short_pages_flag() -> None:
    with serve_wsgi(create_app({**SANDBOX_TEST_CONFIG, "TIKTOK_SHORT_PAGES": True})) as url:
        control = SandboxControl(url)
        acc = control.create_account("tiktok", "short", 5000, seed=12)
        tok = control.connect("tiktok", acc["id"])["access_token"]
        total = control.account(acc["id"])["posts_count"]
        count, cursor, sizes = 0, None, []
        while True:
            page = envelope(
                api(
                    control,
                    "POST",
                    "video/list/?fields=id",
                    tok,
                    json={"max_count": 20, **({"cursor": cursor} if cursor else {})},
                )
            )
            count += len(page["videos"])
            sizes.append(len(page["videos"]))
            cursor = page["cursor"]
            if not page["has_more"]:
                break
        assert count == total
        assert min(sizes[:-1]) < 20


def test_video_query(sandbox: SandboxControl, tt_account: dict[str, Any], tokens: dict[str, Any]) -> None:
    ids = [p["id"] for p in sandbox.account(tt_account["id"], posts=True)["posts"][:3]]
    resp = api(
        sandbox,
        "POST",
        "video/query/?fields=id,like_count,view_count",
        tokens["access_token"],
        json={"filters": {"video_ids": [*ids, "7000000000000000000"]}},
    )
    videos = envelope(resp)["videos"]
    assert [v["id"] for v in videos] == ids
    assert set(videos[0]) == {"id", "like_count", "view_count"}
    too_many = api(
        sandbox,
        "POST",
        "video/query/?fields=id",
        tokens["access_token"],
        json={"filters": {"video_ids": [str(i) for i in range(21)]}},
    )
    assert too_many.status_code == 400
    assert envelope(too_many, "invalid_params") == {}


def test_rate_limit_per_endpoint_sliding_window() -> None:
    with serve_wsgi(create_app({**SANDBOX_TEST_CONFIG, "TIKTOK_RATE_LIMIT_PER_MIN": 3})) as url:
        control = SandboxControl(url)
        acc = control.create_account("tiktok", "hot", 500)
        tok = control.connect("tiktok", acc["id"])["access_token"]
        codes = [api(control, "GET", "user/info/?fields=open_id", tok).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = api(control, "GET", "user/info/?fields=open_id", tok)
        assert envelope(limited, "rate_limit_exceeded") == {}
        # another endpoint has its own window
        assert api(control, "POST", "video/list/?fields=id", tok, json={}).status_code == 200
        control.advance_seconds(61)
        assert api(control, "GET", "user/info/?fields=open_id", tok).status_code == 200


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("rate_limited", 429, "rate_limit_exceeded"),
        ("server_error", 500, "internal_error"),
        ("token_expired", 401, "access_token_invalid"),
        ("token_revoked", 401, "access_token_invalid"),
        ("quota_exceeded", 429, "rate_limit_exceeded"),
    ],
)
def test_faults_in_tiktok_format(
    sandbox: SandboxControl, tokens: dict[str, Any], kind: str, status: int, code: str
) -> None:
    sandbox.add_fault("tiktok", kind, path_contains="/v2/user/info/", retry_after=30)
    resp = api(sandbox, "GET", "user/info/?fields=open_id", tokens["access_token"])
    assert resp.status_code == status
    assert envelope(resp, code) == {}
    assert resp.headers["Retry-After"] == "30"
    assert api(sandbox, "GET", "user/info/?fields=open_id", tokens["access_token"]).status_code == 200


def test_faults_on_the_token_endpoint_use_the_oauth_shape(sandbox: SandboxControl, tokens: dict[str, Any]) -> None:
    sandbox.add_fault("tiktok", "token_revoked", path_contains="/oauth/token/")
    resp = token_call(sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_grant"
    sandbox.add_fault("tiktok", "malformed")
    with pytest.raises(ValueError, match="Unterminated string"):  # the truncated body does not parse
        api(sandbox, "GET", "user/info/?fields=open_id", tokens["access_token"]).json()
