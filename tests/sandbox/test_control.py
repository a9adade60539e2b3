"""The control API (architecture.md 6.3): accounts, clock, faults, latency, calls, tokens, reset."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from app.sandbox import create_app
from app.sandbox.demo import demo_accounts, seed_demo
from tests.support.live import serve_wsgi
from tests.support.sandbox import SANDBOX_TEST_CONFIG, SandboxControl, SandboxError


def test_create_account_returns_contract_shape(sandbox: SandboxControl) -> None:
    created = sandbox.create_account("instagram", "maker", 1200, seed=3)
    assert set(created) == {"id", "platform", "platform_user_id", "username"}
    assert created["platform"] == "instagram"
    assert created["username"] == "maker"
    assert created["platform_user_id"].startswith("1784140")
    assert len(created["platform_user_id"]) == 17
    truth = sandbox.account(created["id"])
    assert truth["followers"] == 1200
    assert truth["today"] == "2026-10-15"
    assert truth["account_type"] == "MEDIA_CREATOR"


def test_daily_changes_define_history_ending_today(sandbox: SandboxControl) -> None:
    changes = [5, -2, 10, 0, 7]
    acc = sandbox.create_account("tiktok", "hist", 500, daily_changes=changes, posts=[])
    truth = sandbox.account(acc["id"], history=True)
    assert truth["daily_changes"] == changes
    assert truth["followers_at_history_start"] == 500 - sum(changes)
    assert truth["history_start"] == "2026-10-11"
    assert truth["posts_count"] == 0


def test_explicit_posts_are_todays_truth(sandbox: SandboxControl) -> None:
    post = {
        "published_at": "2026-09-01T10:00:00Z",
        "caption": "hello",
        "like_count": 120,
        "comment_count": 8,
        "share_count": 3,
        "save_count": 9,
        "view_count": 4000,
    }
    acc = sandbox.create_account("instagram", "posts", 2000, posts=[post])
    truth = sandbox.account(acc["id"], posts=True)
    assert truth["posts_count"] == 1
    got = truth["posts"][0]
    assert (
        got["like_count"],
        got["comment_count"],
        got["share_count"],
        got["save_count"],
        got["view_count"],
    ) == (120, 8, 3, 9, 4000)


def test_fresh_posts_keep_growing_and_saturate(sandbox: SandboxControl) -> None:
    sandbox.set_clock(now="2026-10-15T10:00:00Z")
    post = {"published_at": "2026-10-15T08:00:00Z", "caption": "new", "like_count": 10, "view_count": 300}
    acc = sandbox.create_account("tiktok", "fresh", 900, posts=[post])
    views = []
    for _ in range(6):
        views.append(sandbox.account(acc["id"], posts=True)["posts"][0]["view_count"])
        sandbox.advance_days(3)
    assert views[0] == 300
    assert views == sorted(views)
    assert views[1] > 2 * views[0]
    # most growth happens in the first days, then it saturates
    assert views[-1] - views[-2] < (views[1] - views[0]) / 5


def test_patch_followers_and_add_posts(sandbox: SandboxControl) -> None:
    acc = sandbox.create_account("youtube", "patchy", 1000, posts=[])
    updated = sandbox.patch_account(
        acc["id"], followers=1500, posts=[{"published_at": "2026-10-10", "caption": "v", "view_count": 50}]
    )
    assert updated["followers"] == 1500
    assert updated["posts_count"] == 1
    with pytest.raises(SandboxError) as err:
        sandbox.patch_account(acc["id"], nonsense=1)
    assert err.value.status_code == 400


def test_future_days_continue_the_trajectory(sandbox: SandboxControl) -> None:
    acc = sandbox.create_account("instagram", "grower", 10_000, daily_changes=[20] * 60, posts=[])
    sandbox.advance_days(10)
    later = sandbox.account(acc["id"])["followers"]
    assert 10_000 + 100 < later < 10_000 + 300


def test_list_and_filter_accounts(sandbox: SandboxControl) -> None:
    sandbox.create_account("instagram", "a", 10)
    sandbox.create_account("tiktok", "b", 10)
    assert [a["username"] for a in sandbox.accounts()] == ["a", "b"]
    assert [a["username"] for a in sandbox.accounts("tiktok")] == ["b"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"platform": "myspace", "username": "x", "followers": 1}, "platform"),
        ({"platform": "tiktok", "username": "x"}, "followers is required"),
        ({"platform": "tiktok", "username": "x", "followers": -1}, "followers"),
        ({"platform": "tiktok", "username": "x", "followers": "12"}, "followers"),
        ({"platform": "tiktok", "username": "x", "followers": 1, "daily_changes": [1, "a"]}, "daily_changes"),
        ({"platform": "tiktok", "username": "x", "followers": 1, "daily_changes": [5]}, "negative"),
        (
            {"platform": "tiktok", "username": "x", "followers": 1, "posts": [{"caption": "no date"}]},
            "published_at",
        ),
        ({"platform": "tiktok", "username": "x", "followers": 1, "colour": "red"}, "unknown keys"),
        ({"platform": "tiktok", "username": "x", "followers": 1, "account_type": "PAGE"}, "account_type"),
    ],
)
def test_bad_account_specs_are_clear_400s(sandbox: SandboxControl, body: dict[str, Any], fragment: str) -> None:
    resp = requests.post(f"{sandbox.base_url}/_sandbox/accounts", json=body, timeout=5)
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["code"]
    assert fragment in error["message"]


@pytest.mark.parametrize("path", ["accounts", "clock", "faults"])
def test_bad_json_is_a_400(sandbox: SandboxControl, path: str) -> None:
    resp = requests.post(
        f"{sandbox.base_url}/_sandbox/{path}",
        data="{not json",
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "bad_json"
    resp = requests.post(f"{sandbox.base_url}/_sandbox/{path}", json=[1, 2], timeout=5)
    assert resp.status_code == 400


def test_unknown_account_is_404(sandbox: SandboxControl) -> None:
    resp = requests.get(f"{sandbox.base_url}/_sandbox/accounts/nope", timeout=5)
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"
    with pytest.raises(SandboxError):
        sandbox.revoke("nope")


def test_clock_set_and_advance(sandbox: SandboxControl) -> None:
    assert sandbox.clock()["today"] == "2026-10-15"
    assert sandbox.set_clock(today="2026-11-02")["now"] == "2026-11-02T12:00:00Z"
    assert sandbox.advance_days(3)["today"] == "2026-11-05"
    assert sandbox.advance_seconds(12 * 3600)["now"] == "2026-11-06T00:00:00Z"
    for bad in ({"today": "02/11/2026"}, {"advance_days": "x"}, {"tomorrow": True}, {}):
        resp = requests.post(f"{sandbox.base_url}/_sandbox/clock", json=bad, timeout=5)
        assert resp.status_code == 400, bad


def test_fault_validation(sandbox: SandboxControl) -> None:
    for bad in (
        {"platform": "tiktok", "kind": "meteor"},
        {"platform": "myspace", "kind": "timeout"},
        {"platform": "tiktok", "kind": "timeout", "times": 0},
    ):
        resp = requests.post(f"{sandbox.base_url}/_sandbox/faults", json=bad, timeout=5)
        assert resp.status_code == 400, bad
    fault = sandbox.add_fault("tiktok", "server_error", times=2, path_contains="user/info")
    assert fault["times"] == 2
    assert fault["path_contains"] == "user/info"
    sandbox.clear_faults()
    assert requests.get(f"{sandbox.base_url}/_sandbox/faults", timeout=5).json()["faults"] == []


def test_latency_is_added_to_platform_calls_only(sandbox: SandboxControl) -> None:
    sandbox.set_latency(300)
    started = time.monotonic()
    requests.get(sandbox.url("open.tiktokapis.com/v2/user/info/?fields=open_id"), timeout=5)
    assert time.monotonic() - started >= 0.3
    sandbox.set_latency(5000)  # long enough that no busy machine hides it: the control API never waits
    started = time.monotonic()
    sandbox.clock()
    assert time.monotonic() - started < 4
    sandbox.set_latency(0)
    resp = requests.put(f"{sandbox.base_url}/_sandbox/latency", json={"ms": -5}, timeout=5)
    assert resp.status_code == 400


def test_timeout_fault_sleeps_past_the_client_read_timeout(sandbox: SandboxControl) -> None:
    sandbox.add_fault("tiktok", "timeout", seconds=0.6)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(sandbox.url("open.tiktokapis.com/v2/user/info/?fields=open_id"), timeout=0.2)
    time.sleep(0.5)  # let the sleeping handler finish before the next test resets the world


def test_call_log_records_platform_calls(sandbox: SandboxControl) -> None:
    requests.get(sandbox.url("open.tiktokapis.com/v2/user/info/?fields=open_id"), timeout=5)
    requests.get(sandbox.url("graph.instagram.com/v25.0/me"), timeout=5)
    calls = sandbox.calls()
    assert [(c["platform"], c["method"], c["path"], c["status"]) for c in calls] == [
        ("tiktok", "GET", "/open.tiktokapis.com/v2/user/info/", 401),
        ("instagram", "GET", "/graph.instagram.com/v25.0/me", 400),
    ]
    assert all(c["at"] == "2026-10-15T12:00:00Z" and c["quota_units"] == 0 for c in calls)
    assert [c["platform"] for c in sandbox.calls("instagram")] == ["instagram"]
    sandbox.clear_calls()
    assert sandbox.calls() == []


def test_tokens_endpoint_lists_issued_tokens(sandbox: SandboxControl, tt_account: dict[str, Any]) -> None:
    tokens = sandbox.connect("tiktok", tt_account["id"])
    issued = {t["value"]: t for t in sandbox.tokens(tt_account["id"])}
    assert issued[tokens["access_token"]]["kind"] == "access"
    assert issued[tokens["refresh_token"]]["kind"] == "refresh"
    assert any(t["kind"] == "authorization_code" for t in issued.values())
    assert requests.get(f"{sandbox.base_url}/_sandbox/tokens?account=zz", timeout=5).status_code == 404


def test_reset_empties_the_world(sandbox: SandboxControl, ig_account: dict[str, Any]) -> None:
    sandbox.add_fault("instagram", "server_error")
    sandbox.advance_days(4)
    sandbox.reset()
    assert sandbox.accounts() == []
    assert sandbox.clock()["today"] == "2026-10-15"
    assert requests.get(f"{sandbox.base_url}/_sandbox/faults", timeout=5).json()["faults"] == []


def _script(control: SandboxControl) -> list[str]:
    """A fixed sequence of calls whose raw bodies must be identical across identical worlds."""
    out = []
    acc = control.create_account("youtube", "twin", 5000, seed=42)
    tiktok = control.create_account("tiktok", "twin", 5000, seed=43)
    ig = control.create_account("instagram", "twin", 5000, seed=44)
    yt_tokens = control.connect("youtube", acc["id"])
    tt_tokens = control.connect("tiktok", tiktok["id"])
    ig_tokens = control.connect("instagram", ig["id"])
    out.append(repr((yt_tokens, tt_tokens, ig_tokens)))
    headers = {"Authorization": f"Bearer {yt_tokens['access_token']}"}
    for path in (
        "youtube.googleapis.com/youtube/v3/channels?part=snippet,statistics,contentDetails&mine=true",
        "youtubeanalytics.googleapis.com/v2/reports?ids=channel==MINE&startDate=2026-09-01"
        "&endDate=2026-10-15&metrics=views,subscribersGained&dimensions=day",
    ):
        out.append(requests.get(control.url(path), headers=headers, timeout=10).text)
    out.append(
        requests.post(
            control.url("open.tiktokapis.com/v2/video/list/?fields=id,view_count,create_time"),
            json={"max_count": 20},
            timeout=10,
            headers={"Authorization": f"Bearer {tt_tokens['access_token']}"},
        ).text
    )
    out.append(
        requests.get(
            control.url("graph.instagram.com/v25.0/me/media"),
            timeout=10,
            params={
                "fields": "id,timestamp,like_count,comments_count",
                "access_token": ig_tokens["access_token"],
            },
        ).text
    )
    control.advance_days(5)
    out.append(repr(control.accounts()))
    # paging URLs carry the server's own address, which differs between the two servers
    return [o.replace(control.base_url, "BASE") for o in out]


def test_same_seed_and_clock_give_byte_identical_answers() -> None:
    worlds = []
    for _ in range(2):
        with serve_wsgi(create_app(dict(SANDBOX_TEST_CONFIG))) as url:
            worlds.append(_script(SandboxControl(url)))
    assert worlds[0] == worlds[1]
    with serve_wsgi(create_app({**SANDBOX_TEST_CONFIG, "TODAY": "2026-10-20"})) as url:
        assert _script(SandboxControl(url))[-1] != worlds[0][-1]


def test_demo_world_in_process_and_over_http() -> None:
    specs = demo_accounts()
    assert len(specs) >= 12
    assert {s["platform"] for s in specs} == {"instagram", "tiktok", "youtube", "facebook", "linkedin", "x"}
    app = create_app({**SANDBOX_TEST_CONFIG, "DEMO": True})
    with serve_wsgi(app) as url:
        control = SandboxControl(url)
        accounts = control.accounts()
        assert len(accounts) == len(specs)
        by_name = {a["username"]: a for a in accounts}
        # a stalled creator stopped posting, a declining one lost followers, a viral spike happened
        stalled = control.account(by_name["nomad.nina"]["id"], history=True, posts=True)
        assert stalled["posts"][0]["published_at"] < "2026-08-15"
        declining = control.account(by_name["retro.gamer"]["id"], history=True)
        assert sum(declining["daily_changes"][-90:]) < 0
        spiky = control.account(by_name["danceduo"]["id"], history=True)
        assert max(spiky["daily_changes"]) > 20 * (sum(spiky["daily_changes"][:200]) / 200)
        control.reset()
        created = seed_demo(url)
        assert [c["username"] for c in created] == [s["username"] for s in specs]
        control.reset()
        resp = requests.post(f"{url}/_sandbox/demo", timeout=30)  # what `flask demo` calls
        assert resp.status_code == 201
        assert [c["username"] for c in resp.json()["accounts"]] == [s["username"] for s in specs]
        assert len(control.accounts()) == len(specs)


def test_state_file_keeps_tokens_across_restarts(tmp_path: Any) -> None:
    config = {**SANDBOX_TEST_CONFIG, "STATE_FILE": str(tmp_path / "sandbox.json")}
    with serve_wsgi(create_app(config)) as url:
        control = SandboxControl(url)
        acc = control.create_account("tiktok", "persisted", 777, seed=5)
        tokens = control.connect("tiktok", acc["id"])
    with serve_wsgi(create_app(config)) as url:
        resp = requests.get(
            f"{url}/open.tiktokapis.com/v2/user/info/?fields=open_id,display_name",
            timeout=5,
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
        assert resp.status_code == 200
        assert resp.json()["data"]["user"]["open_id"] == acc["platform_user_id"]


def test_a_request_still_running_at_a_clear_is_not_logged_after_it(sandbox: SandboxControl) -> None:
    """A client that timed out leaves a request the sandbox finishes later: it must not land in the
    next test's call log (it made adapter tests count one call too many under load)."""
    import threading

    acc = sandbox.create_account("tiktok", "slow.one", 100, seed=1)
    tokens = sandbox.connect("tiktok", acc["id"])
    sandbox.add_fault("tiktok", "timeout", seconds=1.0, path_contains="/user/info/")
    url = sandbox.url("open.tiktokapis.com/v2/user/info/?fields=open_id")
    slow = threading.Thread(
        target=requests.get, args=(url,), kwargs={"headers": {"Authorization": f"Bearer {tokens['access_token']}"}}
    )
    slow.start()
    time.sleep(0.3)  # the request is in the sandbox now, sleeping
    sandbox.clear_calls()
    slow.join()
    assert sandbox.calls("tiktok") == []
