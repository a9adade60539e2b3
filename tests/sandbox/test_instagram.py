"""Instagram API with Instagram Login over real HTTP: OAuth, tokens, nodes, paging, insights, faults."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from app.sandbox import create_app
from tests.support.live import serve_wsgi
from tests.support.sandbox import CLIENTS, REDIRECT_URI, SANDBOX_TEST_CONFIG, SandboxControl

CLIENT_ID, SECRET = CLIENTS["instagram"]


def graph(sandbox: SandboxControl, path: str, token: str | None, **params: Any) -> requests.Response:
    if token is not None:
        params["access_token"] = token
    return requests.get(sandbox.url(f"graph.instagram.com/{path}"), params=params, timeout=10)


def meta_error(resp: requests.Response) -> dict[str, Any]:
    assert resp.headers["Content-Type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"error"}
    assert {"message", "type", "code", "fbtrace_id"} <= set(body["error"])
    return body["error"]  # type: ignore[no-any-return]


def code_for(sandbox: SandboxControl, account_id: str, **extra: str) -> str:
    location = sandbox.consent(sandbox.authorize_url("instagram", **extra), account_id)
    return sandbox.redirect_params(location)["code"]


def exchange_code(sandbox: SandboxControl, code: str, redirect_uri: str = REDIRECT_URI) -> requests.Response:
    return requests.post(
        sandbox.url("api.instagram.com/oauth/access_token"),
        timeout=10,
        data={
            "client_id": CLIENT_ID,
            "client_secret": SECRET,
            "grant_type": "authorization_code",
            "redirect_uri": redirect_uri,
            "code": code,
        },
    )


@pytest.fixture
def token(sandbox: SandboxControl, ig_account: dict[str, Any]) -> str:
    return sandbox.connect("instagram", ig_account["id"])["access_token"]  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- OAuth
def test_consent_page_lists_instagram_accounts(sandbox: SandboxControl, ig_account: dict[str, Any]) -> None:
    sandbox.create_account("tiktok", "not.instagram", 5)
    page = requests.get(sandbox.authorize_url("instagram"), timeout=10)
    assert page.status_code == 200
    assert "text/html" in page.headers["Content-Type"]
    assert 'name="account_id"' in page.text
    assert f'value="{ig_account["id"]}"' in page.text
    assert 'name="decision" value="approve"' in page.text
    assert 'value="deny"' in page.text
    assert "not.instagram" not in page.text


def test_oauth_dance_short_then_long_lived(sandbox: SandboxControl, ig_account: dict[str, Any]) -> None:
    location = sandbox.consent(sandbox.authorize_url("instagram", state="abc"), ig_account["id"])
    assert location.startswith(REDIRECT_URI + "?")
    assert location.endswith("#_")
    params = sandbox.redirect_params(location)
    assert params["state"] == "abc"
    short = exchange_code(sandbox, params["code"])
    assert short.status_code == 200
    body = short.json()
    assert set(body) == {"access_token", "user_id", "permissions"}
    assert body["user_id"] == ig_account["platform_user_id"]
    assert body["permissions"] == "instagram_business_basic,instagram_business_manage_insights"
    long = graph(sandbox, "access_token", body["access_token"], grant_type="ig_exchange_token", client_secret=SECRET)
    assert long.status_code == 200
    assert long.json()["token_type"] == "bearer"
    assert long.json()["expires_in"] == 60 * 86400
    me = graph(sandbox, "v25.0/me", long.json()["access_token"], fields="user_id,username")
    assert me.json()["username"] == "ig.creator"


def test_wrapped_token_shape_flag(ig_account: dict[str, Any]) -> None:
    with serve_wsgi(create_app({**SANDBOX_TEST_CONFIG, "IG_TOKEN_RESPONSE_SHAPE": "wrapped"})) as url:
        control = SandboxControl(url)
        acc = control.create_account("instagram", "wrapped", 300)
        body = exchange_code(control, code_for(control, acc["id"])).json()
        assert set(body) == {"data"}
        assert body["data"][0]["user_id"] == acc["platform_user_id"]


def test_reused_code_wrong_redirect_and_expired_code(sandbox: SandboxControl, ig_account: dict[str, Any]) -> None:
    code = code_for(sandbox, ig_account["id"])
    wrong = exchange_code(sandbox, code, "http://127.0.0.1:5000/other")
    assert wrong.status_code == 400
    assert wrong.json()["error_type"] == "OAuthException"
    assert "redirect_uri" in wrong.json()["error_message"]
    assert exchange_code(sandbox, code).status_code == 200
    reused = exchange_code(sandbox, code)
    assert reused.status_code == 400
    assert "used" in reused.json()["error_message"]
    stale = code_for(sandbox, ig_account["id"])
    sandbox.advance_seconds(601)
    assert "expired" in exchange_code(sandbox, stale).json()["error_message"]


def test_denied_consent_and_personal_account(sandbox: SandboxControl, ig_account: dict[str, Any]) -> None:
    denied = sandbox.consent(sandbox.authorize_url("instagram"), ig_account["id"], decision="deny")
    assert denied.endswith("#_")
    assert sandbox.redirect_params(denied) == {
        "error": "access_denied",
        "error_reason": "user_denied",
        "error_description": "The user denied your request.",
        "state": "st-123",
    }
    personal = sandbox.create_account("instagram", "just.me", 120, account_type="PERSONAL")
    params = sandbox.redirect_params(sandbox.consent(sandbox.authorize_url("instagram"), personal["id"]))
    assert params["error"] == "access_denied"
    assert params["error_reason"] == "not_professional_account"
    assert "code" not in params


@pytest.mark.parametrize(
    ("change", "text"),
    [
        ({"client_id": "unknown-app"}, "Invalid platform app"),
        ({"redirect_uri": "https://evil.example.com/cb"}, "Redirect URI"),
        ({"scope": "business_basic"}, "Invalid Scopes"),
    ],
)
def test_authorize_rejects_bad_requests(sandbox: SandboxControl, change: dict[str, str], text: str) -> None:
    url = sandbox.authorize_url(
        "instagram",
        **{k: v for k, v in change.items() if k != "redirect_uri"},
        **({"redirect_uri": change["redirect_uri"]} if "redirect_uri" in change else {}),
    )
    resp = requests.get(url, timeout=10, allow_redirects=False)
    assert resp.status_code == 400
    assert text in resp.text


def test_token_lifetimes_and_refresh(sandbox: SandboxControl, ig_account: dict[str, Any]) -> None:
    short = exchange_code(sandbox, code_for(sandbox, ig_account["id"])).json()["access_token"]
    long = graph(sandbox, "access_token", short, grant_type="ig_exchange_token", client_secret=SECRET).json()[
        "access_token"
    ]
    too_early = graph(sandbox, "refresh_access_token", long, grant_type="ig_refresh_token")
    assert too_early.status_code == 400
    assert "24 hours" in meta_error(too_early)["message"]
    sandbox.advance_seconds(3601)
    expired_short = meta_error(graph(sandbox, "v25.0/me", short))
    assert (expired_short["code"], expired_short["error_subcode"]) == (190, 463)
    sandbox.advance_days(1)
    refreshed = graph(sandbox, "refresh_access_token", long, grant_type="ig_refresh_token")
    assert refreshed.status_code == 200
    assert refreshed.json()["expires_in"] == 60 * 86400
    new = refreshed.json()["access_token"]
    assert new != long
    sandbox.advance_days(59)  # the original long-lived token is now past 60 days, the refreshed one is not
    assert meta_error(graph(sandbox, "v25.0/me", long))["error_subcode"] == 463
    assert graph(sandbox, "v25.0/me", new).status_code == 200
    late = graph(sandbox, "refresh_access_token", long, grant_type="ig_refresh_token")
    assert meta_error(late)["code"] == 190


def test_bad_tokens(sandbox: SandboxControl, ig_account: dict[str, Any], token: str) -> None:
    missing = graph(sandbox, "v25.0/me", None)
    assert missing.status_code == 400
    assert meta_error(missing)["code"] == 2500
    garbage = meta_error(graph(sandbox, "v25.0/me", "nonsense"))
    assert (garbage["code"], garbage["error_subcode"], garbage["type"]) == (190, 467, "OAuthException")
    sandbox.revoke(ig_account["id"])
    revoked = graph(sandbox, "v25.0/me", token)
    assert revoked.status_code == 400
    assert (meta_error(revoked)["code"], meta_error(revoked)["error_subcode"]) == (190, 458)


# --------------------------------------------------------------------------- nodes
def test_me_and_user_node(sandbox: SandboxControl, ig_account: dict[str, Any], token: str) -> None:
    fields = "user_id,username,name,account_type,profile_picture_url,followers_count,follows_count,media_count"
    me = graph(sandbox, "v25.0/me", token, fields=fields)
    assert me.status_code == 200
    body = me.json()
    truth = sandbox.account(ig_account["id"])
    assert body["user_id"] == ig_account["platform_user_id"]
    assert body["followers_count"] == 15_234
    assert body["account_type"] == "MEDIA_CREATOR"
    assert body["media_count"] == truth["posts_count"]
    assert body["id"] == truth["app_scoped_id"] != body["user_id"]
    same = graph(sandbox, f"v25.0/{ig_account['platform_user_id']}", token, fields=fields).json()
    assert same == body
    assert graph(sandbox, "v25.0/me", token).json() == {"id": truth["app_scoped_id"]}


def test_unknown_field_and_object(sandbox: SandboxControl, token: str) -> None:
    err = meta_error(graph(sandbox, "v25.0/me", token, fields="username,impressions_count"))
    assert err["code"] == 100
    assert "nonexisting field (impressions_count)" in err["message"]
    other = meta_error(graph(sandbox, "v25.0/17999999999999999", token))
    assert (other["code"], other["error_subcode"], other["type"]) == (100, 33, "GraphMethodException")
    assert meta_error(graph(sandbox, "v25.0/me/friends", token))["code"] == 2500


def test_usage_headers_on_every_graph_response(sandbox: SandboxControl, ig_account: dict[str, Any], token: str) -> None:
    for resp in (graph(sandbox, "v25.0/me", token), graph(sandbox, "v25.0/me", "bad")):
        usage = json.loads(resp.headers["X-App-Usage"])
        assert set(usage) == {"call_count", "total_cputime", "total_time"}
        assert "X-Business-Use-Case-Usage" in resp.headers
    buc = json.loads(graph(sandbox, "v25.0/me", token).headers["X-Business-Use-Case-Usage"])
    entry = buc[ig_account["platform_user_id"]][0]
    assert entry["type"] == "instagram"
    assert entry["estimated_time_to_regain_access"] == 0


def test_versions(sandbox: SandboxControl, token: str) -> None:
    assert graph(sandbox, "v25.0/me", token).headers["facebook-api-version"] == "v25.0"
    # v20.0 expired on 2026-09-24: the call is upgraded to the next version
    old = graph(sandbox, "v20.0/me", token)
    assert old.status_code == 200
    assert old.headers["facebook-api-version"] == "v21.0"
    assert graph(sandbox, "me", token).status_code == 200
    future = graph(sandbox, "v99.0/me", token)
    assert future.status_code == 400
    assert meta_error(future)["code"] == 2500


def test_media_paging_to_the_end(sandbox: SandboxControl, ig_account: dict[str, Any], token: str) -> None:
    truth = sandbox.account(ig_account["id"], posts=True)
    assert truth["posts_count"] > 60
    first = graph(sandbox, "v25.0/me/media", token, fields="id,timestamp,media_type,media_product_type").json()
    assert len(first["data"]) == 25
    assert "next" in first["paging"]
    seen: list[dict[str, Any]] = []
    url: str | None = (
        sandbox.url("graph.instagram.com/v25.0/me/media")
        + "?"
        + requests.compat.urlencode(
            {
                "fields": "id,timestamp,like_count,comments_count,media_type",
                "limit": 30,
                "access_token": token,
            }
        )
    )
    pages = 0
    while url:
        page = requests.get(url, timeout=10).json()
        seen.extend(page["data"])
        assert set(page["paging"]["cursors"]) == {"before", "after"}
        url = page["paging"].get("next")
        pages += 1
    assert pages == -(-truth["posts_count"] // 30)
    assert [m["id"] for m in seen] == [p["id"] for p in truth["posts"]]
    assert [m["timestamp"] for m in seen] == sorted((m["timestamp"] for m in seen), reverse=True)
    assert seen[0]["timestamp"].endswith("+0000")
    assert {m["media_type"] for m in seen} <= {"IMAGE", "VIDEO", "CAROUSEL_ALBUM"}
    assert seen[3]["like_count"] == truth["posts"][3]["like_count"]
    bad = graph(sandbox, "v25.0/me/media", token, after="not-a-cursor")
    assert bad.status_code == 400
    assert meta_error(bad)["code"] == 100


def test_media_node_and_insights(sandbox: SandboxControl, ig_account: dict[str, Any], token: str) -> None:
    media = graph(sandbox, "v25.0/me/media", token, fields="id,media_product_type,media_type", limit=100).json()
    feed = next(m for m in media["data"] if m["media_product_type"] == "FEED")
    reel = next(m for m in media["data"] if m["media_product_type"] == "REELS")
    node = graph(sandbox, f"v25.0/{feed['id']}", token, fields="id,permalink,timestamp,like_count").json()
    assert node["id"] == feed["id"]
    assert node["permalink"].startswith("https://www.instagram.com/p/")
    metrics = "views,reach,likes,comments,saved,shares,total_interactions,follows,profile_visits"
    feed_ins = graph(sandbox, f"v25.0/{feed['id']}/insights", token, metric=metrics).json()["data"]
    assert [d["name"] for d in feed_ins] == metrics.split(",")
    first = feed_ins[0]
    assert first["period"] == "lifetime"
    assert first["id"] == f"{feed['id']}/insights/views/lifetime"
    assert isinstance(first["values"][0]["value"], int)
    assert first["title"]
    by_name = {d["name"]: d["values"][0]["value"] for d in feed_ins}
    assert (
        by_name["total_interactions"] == by_name["likes"] + by_name["comments"] + by_name["saved"] + by_name["shares"]
    )
    assert by_name["likes"] == node["like_count"]
    # non-applicable metrics are silently omitted for a reel
    reel_ins = graph(
        sandbox,
        f"v25.0/{reel['id']}/insights",
        token,
        metric="views,follows,profile_visits,ig_reels_avg_watch_time",
    ).json()["data"]
    assert [d["name"] for d in reel_ins] == ["views", "ig_reels_avg_watch_time"]


@pytest.mark.parametrize(
    "metric",
    ["impressions", "plays", "video_views", "clips_replays_count", "ig_reels_aggregated_all_plays_count"],
)
def test_deprecated_media_metrics_are_code_100(sandbox: SandboxControl, token: str, metric: str) -> None:
    media_id = graph(sandbox, "v25.0/me/media", token).json()["data"][0]["id"]
    resp = graph(sandbox, f"v25.0/{media_id}/insights", token, metric=f"reach,{metric}")
    assert resp.status_code == 400
    assert meta_error(resp)["code"] == 100
    assert metric in meta_error(resp)["message"]


def test_media_insights_bad_requests(sandbox: SandboxControl, token: str) -> None:
    media_id = graph(sandbox, "v25.0/me/media", token).json()["data"][0]["id"]
    unknown = meta_error(graph(sandbox, f"v25.0/{media_id}/insights", token, metric="reach,bogus"))
    assert unknown["code"] == 100
    assert "metric[1]" in unknown["message"]
    none = meta_error(graph(sandbox, f"v25.0/{media_id}/insights", token))
    assert (none["code"], none["error_subcode"]) == (3001, 1504028)
    mixed = graph(
        sandbox, f"v25.0/{media_id}/insights", token, metric="profile_activity,reach", breakdown="action_type"
    )
    assert mixed.status_code == 500
    assert meta_error(mixed)["message"] == "An unknown error has occurred."


# --------------------------------------------------------------------------- account insights
def _ts(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(hour=7, tzinfo=UTC).timestamp())


def test_follower_count_time_series(sandbox: SandboxControl, ig_account: dict[str, Any], token: str) -> None:
    resp = graph(
        sandbox,
        "v25.0/me/insights",
        token,
        metric="follower_count,reach",
        period="day",
        since=_ts("2026-09-15"),
        until=_ts("2026-10-15"),
    )
    assert resp.status_code == 200
    data = {d["name"]: d for d in resp.json()["data"]}
    follower = data["follower_count"]
    assert follower["period"] == "day"
    assert follower["id"].endswith("/insights/follower_count/day")
    ends = [v["end_time"] for v in follower["values"]]
    assert len(ends) == 30
    assert ends[0] == "2026-09-16T07:00:00+0000"
    assert ends[-1] == "2026-10-15T07:00:00+0000"
    assert all(e.endswith("T07:00:00+0000") for e in ends)
    assert all(isinstance(v["value"], int) and v["value"] >= 0 for v in follower["values"])
    assert len(data["reach"]["values"]) == 30
    assert {"previous", "next"} <= set(resp.json()["paging"])
    # the last 30 days only: an older window has no follower_count points
    old = graph(
        sandbox,
        "v25.0/me/insights",
        token,
        metric="follower_count",
        period="day",
        since=_ts("2026-07-01"),
        until=_ts("2026-07-20"),
    ).json()["data"]
    assert old[0]["values"] == []
    two = graph(sandbox, "v25.0/me/insights", token, metric="reach", period="day").json()["data"]
    assert len(two[0]["values"]) == 2


def test_insights_rules(sandbox: SandboxControl, token: str) -> None:
    too_long = meta_error(
        graph(
            sandbox,
            "v25.0/me/insights",
            token,
            metric="reach",
            period="day",
            since=_ts("2026-08-01"),
            until=_ts("2026-10-01"),
        )
    )
    assert too_long["code"] == 100
    assert "30 days" in too_long["message"]
    needs_total = meta_error(graph(sandbox, "v25.0/me/insights", token, metric="views,reach", period="day"))
    assert "metric_type=total_value" in needs_total["message"]
    mixed = graph(
        sandbox,
        "v25.0/me/insights",
        token,
        metric="reach,likes",
        period="day",
        metric_type="total_value",
        breakdown="media_product_type",
    )
    assert mixed.status_code == 500
    assert meta_error(mixed)["message"] == "An unknown error has occurred."
    exclusive = meta_error(
        graph(
            sandbox,
            "v25.0/me/insights",
            token,
            metric="reach",
            period="day",
            metric_type="time_series",
            breakdown="media_product_type",
        )
    )
    assert exclusive["code"] == 100
    removed = meta_error(graph(sandbox, "v25.0/me/insights", token, metric="impressions", period="day"))
    assert removed["code"] == 100


def test_total_value_and_breakdowns(sandbox: SandboxControl, token: str) -> None:
    resp = graph(
        sandbox,
        "v25.0/me/insights",
        token,
        period="day",
        metric_type="total_value",
        metric="views,reach,likes,comments,shares,saves,total_interactions,accounts_engaged",
        since=_ts("2026-10-01"),
        until=_ts("2026-10-15"),
    )
    data = {d["name"]: d["total_value"]["value"] for d in resp.json()["data"]}
    assert data["views"] > data["reach"] > 0
    assert data["total_interactions"] == data["likes"] + data["comments"] + data["shares"] + data["saves"]
    split = graph(
        sandbox,
        "v25.0/me/insights",
        token,
        period="day",
        metric_type="total_value",
        metric="likes",
        breakdown="media_product_type",
        since=_ts("2026-10-01"),
        until=_ts("2026-10-15"),
    ).json()["data"][0]["total_value"]
    assert split["value"] == data["likes"]
    assert sum(r["value"] for r in split["breakdowns"][0]["results"]) == data["likes"]
    demo = graph(
        sandbox,
        "v25.0/me/insights",
        token,
        period="lifetime",
        metric="follower_demographics",
        metric_type="total_value",
        breakdown="age",
    ).json()["data"][0]
    results = demo["total_value"]["breakdowns"][0]["results"]
    assert demo["total_value"]["breakdowns"][0]["dimension_keys"] == ["age"]
    assert len(results) == 7


def test_small_accounts_have_no_follower_count(sandbox: SandboxControl) -> None:
    small = sandbox.create_account("instagram", "tiny", 80, seed=11)
    tok = sandbox.connect("instagram", small["id"])["access_token"]
    resp = graph(
        sandbox,
        "v25.0/me/insights",
        tok,
        metric="follower_count",
        period="day",
        since=_ts("2026-10-01"),
        until=_ts("2026-10-15"),
    )
    assert resp.status_code == 200
    assert resp.json()["data"] == []


def test_insights_need_the_insights_scope(sandbox: SandboxControl, ig_account: dict[str, Any]) -> None:
    code = code_for(sandbox, ig_account["id"], scope="instagram_business_basic")
    tok = exchange_code(sandbox, code).json()["access_token"]
    assert graph(sandbox, "v25.0/me", tok).status_code == 200
    err = meta_error(graph(sandbox, "v25.0/me/insights", tok, metric="reach", period="day"))
    assert err["code"] == 10


# --------------------------------------------------------------------------- faults and throttling
@pytest.mark.parametrize(
    ("kind", "status", "code", "subcode"),
    [
        ("rate_limited", 400, 4, None),
        ("quota_exceeded", 400, 80002, None),
        ("server_error", 500, 2, None),
        ("token_expired", 400, 190, 463),
        ("token_revoked", 400, 190, 458),
    ],
)
def test_faults_in_meta_format(
    sandbox: SandboxControl, token: str, kind: str, status: int, code: int, subcode: int | None
) -> None:
    sandbox.add_fault("instagram", kind, path_contains="/me", retry_after=120)
    resp = graph(sandbox, "v25.0/me", token)
    assert resp.status_code == status
    err = meta_error(resp)
    assert err["code"] == code
    assert err.get("error_subcode") == subcode
    assert "X-App-Usage" in resp.headers
    if kind in ("rate_limited", "quota_exceeded"):
        buc = json.loads(resp.headers["X-Business-Use-Case-Usage"])
        assert next(iter(buc.values()))[0]["estimated_time_to_regain_access"] == 2
    assert graph(sandbox, "v25.0/me", token).status_code == 200  # times=1: the next call is fine
    assert sandbox.calls("instagram")[-2]["status"] == status


def test_malformed_fault(sandbox: SandboxControl, token: str) -> None:
    sandbox.add_fault("instagram", "malformed")
    resp = graph(sandbox, "v25.0/me", token)
    assert resp.status_code == 200
    with pytest.raises(ValueError, match="Unterminated string"):  # the truncated body does not parse
        resp.json()


def test_app_and_buc_throttling_at_http_400() -> None:
    with serve_wsgi(create_app({**SANDBOX_TEST_CONFIG, "META_APP_HOURLY_LIMIT": 3})) as url:
        control = SandboxControl(url)
        acc = control.create_account("instagram", "busy", 5000)
        tok = control.connect("instagram", acc["id"])["access_token"]
        statuses = [graph(control, "v25.0/me", tok) for _ in range(4)]
        assert [r.status_code for r in statuses] == [200, 200, 200, 400]
        assert meta_error(statuses[-1])["code"] == 4
        assert json.loads(statuses[-1].headers["X-App-Usage"])["call_count"] == 100
        control.advance_seconds(3601)
        assert graph(control, "v25.0/me", tok).status_code == 200
    with serve_wsgi(create_app({**SANDBOX_TEST_CONFIG, "META_BUC_DAILY_LIMIT": 2})) as url:
        control = SandboxControl(url)
        acc = control.create_account("instagram", "busy", 5000)
        tok = control.connect("instagram", acc["id"])["access_token"]
        last = [graph(control, "v25.0/me", tok) for _ in range(3)][-1]
        assert last.status_code == 400
        assert meta_error(last)["code"] == 80002
        buc = json.loads(last.headers["X-Business-Use-Case-Usage"])[acc["platform_user_id"]][0]
        assert buc["call_count"] == 100
        assert buc["estimated_time_to_regain_access"] > 0
