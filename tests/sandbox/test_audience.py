"""Audience truths, Instagram demographics and stories, YouTube Analytics audience reports, over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from tests.support.sandbox import SandboxControl, SandboxError


def graph(sandbox: SandboxControl, path: str, token: str, **params: Any) -> requests.Response:
    return requests.get(
        sandbox.url(f"graph.instagram.com/v25.0/{path}"), params={**params, "access_token": token}, timeout=10
    )


def report(sandbox: SandboxControl, token: str, **params: Any) -> requests.Response:
    params.setdefault("ids", "channel==MINE")
    params.setdefault("startDate", "2026-09-01")
    params.setdefault("endDate", "2026-09-30")
    return requests.get(
        sandbox.url("youtubeanalytics.googleapis.com/v2/reports"),
        params=params,
        timeout=10,
        headers={"Authorization": f"Bearer {token}"},
    )


def _ts(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(hour=7, tzinfo=UTC).timestamp())


def test_audience_truth_is_read_and_set_through_the_control_api(
    sandbox: SandboxControl, ig_account: dict[str, Any]
) -> None:
    truth = sandbox._call("GET", f"accounts/{ig_account['id']}", params={"audience": "1"})["audience"]
    assert set(truth) == {"age", "gender", "countries", "cities", "online_hours"}
    assert round(sum(truth["age"].values()), 1) == 100.0
    assert round(sum(c["share"] for c in truth["countries"]), 1) == 100.0
    changed = sandbox.patch_account(ig_account["id"], audience={"age": {"18-24": 50, "25-34": 50}})
    assert changed["audience"]["age"] == {"18-24": 50.0, "25-34": 50.0}
    assert changed["audience"]["countries"] == truth["countries"]  # other keys kept
    for bad, text in (
        ({"traffic_sources": {"YT_SEARCH": 1}}, "not for instagram"),
        ({"age": {"18-24": -1}}, "non-negative"),
        ({"online_hours": {"24": 5}}, "online_hours"),
        ({"countries": [{"code": "US"}]}, "countries"),
        ({"contact_buttons": {"FAX": 2}}, "contact_buttons must map button types"),
        ({"contact_buttons": {"CALL": -1}}, "contact_buttons must map button types"),
    ):
        with pytest.raises(SandboxError) as err:
            sandbox.patch_account(ig_account["id"], audience=bad)
        assert err.value.status_code == 400
        assert text in err.value.response.json()["error"]["message"]
    # TikTok: gender, countries and online hours (shown by the API for Business only), no age split
    tt = sandbox.create_account("tiktok", "tt.aud", 5000, seed=3)
    with pytest.raises(SandboxError, match="audience keys not for tiktok: age"):
        sandbox.patch_account(tt["id"], audience={"age": {"18-24": 100}})
    got = sandbox.patch_account(tt["id"], audience={"gender": {"female": 60, "male": 40}})
    assert got["audience"]["gender"] == {"female": 60.0, "male": 40.0}


def test_instagram_demographics_and_online_hours_follow_the_truth(sandbox: SandboxControl) -> None:
    acc = sandbox.create_account("instagram", "ig.aud", 10_000, seed=5, account_type="BUSINESS")
    sandbox.patch_account(
        acc["id"],
        audience={
            "age": {"18-24": 50, "25-34": 30, "35-44": 20},
            "gender": {"female": 70, "male": 29, "other": 1},
            "online_hours": {"20": 10, "21": 2.5},
        },
    )
    token = sandbox.connect("instagram", acc["id"])["access_token"]
    common = {"period": "lifetime", "metric_type": "total_value", "timeframe": "this_month"}
    age = graph(sandbox, "me/insights", token, metric="follower_demographics", breakdown="age", **common).json()
    results = age["data"][0]["total_value"]["breakdowns"][0]["results"]
    assert results == [  # 10,000 followers x the shares, largest first
        {"dimension_values": ["18-24"], "value": 5000},
        {"dimension_values": ["25-34"], "value": 3000},
        {"dimension_values": ["35-44"], "value": 2000},
    ]
    gender = graph(sandbox, "me/insights", token, metric="engaged_audience_demographics", breakdown="gender", **common)
    # engaged audience: 8 % of followers = 800 -> 560 F, 232 M, 8 U
    assert [
        (r["dimension_values"][0], r["value"])
        for r in gender.json()["data"][0]["total_value"]["breakdowns"][0]["results"]
    ] == [
        ("F", 560),
        ("M", 232),
        ("U", 8),
    ]
    online = graph(
        sandbox,
        "me/insights",
        token,
        metric="online_followers",
        period="lifetime",
        since=_ts("2026-10-05"),
        until=_ts("2026-10-15"),
    ).json()["data"][0]["values"]
    by_day = {v["end_time"][:10]: v["value"] for v in online}
    assert by_day["2026-10-10"]["20"] == 1000
    assert by_day["2026-10-10"]["21"] == 250
    assert by_day["2026-10-10"]["3"] == 0
    assert by_day["2026-10-15"] == {}  # the most recent days are not counted yet


def test_small_instagram_accounts_get_no_demographics(sandbox: SandboxControl) -> None:
    small = sandbox.create_account("instagram", "ig.tiny", 80, seed=6, account_type="BUSINESS")
    token = sandbox.connect("instagram", small["id"])["access_token"]
    resp = graph(
        sandbox,
        "me/insights",
        token,
        metric="follower_demographics",
        breakdown="country",
        period="lifetime",
        metric_type="total_value",
    )
    assert resp.status_code == 200
    assert resp.json()["data"] == []


def test_stories_live_for_24_hours_with_their_insights(sandbox: SandboxControl, ig_account: dict[str, Any]) -> None:
    token = sandbox.connect("instagram", ig_account["id"])["access_token"]
    story = sandbox._call(
        "POST",
        f"accounts/{ig_account['id']}/stories",
        json={"views": 300, "replies": 4, "shares": 2, "tap_forward": 150},
    )["id"]
    quiet = sandbox._call("POST", f"accounts/{ig_account['id']}/stories", json={"views": 3})["id"]
    listed = graph(sandbox, "me/stories", token, fields="id,media_type,media_product_type,timestamp").json()["data"]
    assert {s["id"] for s in listed} == {story, quiet}
    assert listed[0]["media_product_type"] == "STORY"
    ins = graph(sandbox, f"{story}/insights", token, metric="views,reach,replies,total_interactions").json()["data"]
    values = {d["name"]: d["values"][0]["value"] for d in ins}
    assert values == {"views": 300, "reach": 240, "replies": 4, "total_interactions": 6}
    nav = graph(
        sandbox, f"{story}/insights", token, metric="navigation", breakdown="story_navigation_action_type"
    ).json()
    results = nav["data"][0]["total_value"]["breakdowns"][0]["results"]
    assert results[0] == {"dimension_values": ["tap_forward"], "value": 150}
    removed = graph(sandbox, f"{story}/insights", token, metric="taps_forward")
    assert removed.status_code == 400
    assert removed.json()["error"]["code"] == 100
    mixed = graph(
        sandbox, f"{story}/insights", token, metric="navigation,views", breakdown="story_navigation_action_type"
    )
    assert mixed.status_code == 500
    few = graph(sandbox, f"{quiet}/insights", token, metric="views")
    assert few.status_code == 400
    assert few.json()["error"]["code"] == 10
    sandbox.advance_seconds(23 * 3600)
    assert len(graph(sandbox, "me/stories", token).json()["data"]) == 2
    sandbox.advance_seconds(2 * 3600)
    assert graph(sandbox, "me/stories", token).json()["data"] == []
    gone = graph(sandbox, f"{story}/insights", token, metric="views")
    assert gone.status_code == 400
    assert gone.json()["error"]["error_subcode"] == 33
    kept = sandbox._call("GET", f"accounts/{ig_account['id']}/stories")["stories"]
    assert [s["live"] for s in kept] == [False, False]
    with pytest.raises(SandboxError):
        sandbox._call("POST", f"accounts/{ig_account['id']}/stories", json={"views": -1})


def test_youtube_traffic_devices_and_demographics_follow_the_truth(
    sandbox: SandboxControl, yt_account: dict[str, Any]
) -> None:
    sandbox.patch_account(
        yt_account["id"],
        audience={
            "traffic_sources": {"YT_SEARCH": 60, "SUBSCRIBER": 40},
            "devices": {"MOBILE": 75, "DESKTOP": 25},
            "age": {"25-34": 100},
            "gender": {"female": 60, "male": 40},
        },
    )
    token = sandbox.connect("youtube", yt_account["id"])["access_token"]
    total = report(sandbox, token, metrics="views").json()["rows"][0][0]
    assert total > 0
    body = report(sandbox, token, metrics="views,estimatedMinutesWatched", dimensions="insightTrafficSourceType").json()
    assert [h["name"] for h in body["columnHeaders"]] == [
        "insightTrafficSourceType",
        "views",
        "estimatedMinutesWatched",
    ]
    assert body["columnHeaders"][0]["columnType"] == "DIMENSION"
    views = {r[0]: r[1] for r in body["rows"]}
    assert views == {"YT_SEARCH": int(total * 60 / 100), "SUBSCRIBER": int(total * 40 / 100)}
    devices = {r[0]: r[1] for r in report(sandbox, token, metrics="views", dimensions="deviceType").json()["rows"]}
    assert devices == {"MOBILE": int(total * 75 / 100), "DESKTOP": int(total * 25 / 100)}
    daily = report(sandbox, token, metrics="views", dimensions="day,deviceType").json()["rows"]
    assert daily[0][0] == "2026-09-01"
    assert daily[0][1] == "MOBILE"
    demo = report(sandbox, token, metrics="viewerPercentage", dimensions="ageGroup,gender").json()["rows"]
    assert sorted(demo) == [["age25-34", "female", 60.0], ["age25-34", "male", 40.0]]
    for params in (
        {"metrics": "likes", "dimensions": "insightTrafficSourceType"},  # view metrics only
        {
            "metrics": "views",
            "dimensions": "insightTrafficSourceDetail",
            "maxResults": "10",
            "sort": "-views",
        },  # filter needed
        {
            "metrics": "views",
            "dimensions": "insightTrafficSourceDetail",
            "filters": "insightTrafficSourceType==SHORTS",
            "maxResults": "10",
            "sort": "-views",
        },
        {
            "metrics": "views",
            "dimensions": "insightTrafficSourceDetail",
            "filters": "insightTrafficSourceType==YT_SEARCH",
            "maxResults": "50",
            "sort": "-views",
        },
        {"metrics": "views", "dimensions": "deviceType,country"},
    ):
        resp = report(sandbox, token, **params)
        assert resp.status_code == 400, params
        assert resp.json()["error"]["message"].startswith("The query is not supported")
    detail = report(
        sandbox,
        token,
        metrics="views",
        dimensions="insightTrafficSourceDetail",
        filters="insightTrafficSourceType==YT_SEARCH",
        maxResults="25",
        sort="-views",
    ).json()["rows"]
    assert detail[0][0] == "how to start"
    assert detail[0][1] == int(total * 60 * 0.3 / 100)
    assert report(sandbox, token, metrics="estimatedRevenue", dimensions="day").status_code == 403


def test_small_channels_get_no_demographic_rows(sandbox: SandboxControl) -> None:
    small = sandbox.create_account("youtube", "yt.tiny", 60, seed=4)
    token = sandbox.connect("youtube", small["id"])["access_token"]
    body = report(sandbox, token, metrics="viewerPercentage", dimensions="ageGroup").json()
    assert "rows" not in body
    assert [h["name"] for h in body["columnHeaders"]] == ["ageGroup", "viewerPercentage"]


def test_demo_creators_have_audiences_and_live_stories() -> None:
    from app.sandbox import create_app
    from app.sandbox.demo import seed_demo
    from tests.support.live import serve_wsgi
    from tests.support.sandbox import SANDBOX_TEST_CONFIG

    with serve_wsgi(create_app({**SANDBOX_TEST_CONFIG, "DEMO": True})) as url:
        control = SandboxControl(url)
        for _ in range(2):  # in process (DEMO), then over HTTP (what `flask demo` does with a running sandbox)
            by_name = {a["username"]: a for a in control.accounts()}
            maya = by_name["maya.moves"]["id"]
            stories = control._call("GET", f"accounts/{maya}/stories")["stories"]
            # 48,200 followers: 6 %, 9 % and 4 % of them view the three stories
            assert sorted(s["views"] for s in stories) == [1928, 2892, 4338]
            assert all(s["live"] for s in stories)
            assert control._call("GET", f"accounts/{by_name['personal.pat']['id']}/stories")["stories"] == []
            truth = control._call("GET", f"accounts/{by_name['leobuilds']['id']}", params={"audience": "1"})["audience"]
            assert {"traffic_sources", "devices", "age", "gender", "countries"} <= set(truth)
            # Maya's profile has contact buttons (the Instagram page's taps by kind); Chef Lena's has none
            ig = control._call("GET", f"accounts/{maya}", params={"audience": "1"})["audience"]
            assert ig["contact_buttons"] == {"EMAIL": 5, "CALL": 2}
            lena = control._call("GET", f"accounts/{by_name['chef.lena']['id']}", params={"audience": "1"})
            assert "contact_buttons" not in lena["audience"]
            control.reset()
            seed_demo(url)
