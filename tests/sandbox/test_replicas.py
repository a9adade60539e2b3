"""``POST /_sandbox/replicas``: copies of connected accounts under their own ids, read through the platform
APIs with the copied tokens (what ``bench/sync.py --replicate-from`` relies on)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from app.sandbox.world import identity
from tests.support.sandbox import SANDBOX_TEST_CONFIG, SandboxControl, SandboxError

WORLD_SEED = SANDBOX_TEST_CONFIG["SEED"]


def graph(sandbox: SandboxControl, host: str, path: str, token: str, **params: Any) -> Any:
    resp = requests.get(sandbox.url(f"{host}/v25.0/{path}"), params={**params, "access_token": token}, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_instagram_replica_has_the_templates_numbers_under_its_own_ids(sandbox: SandboxControl) -> None:
    acc = sandbox.create_account("instagram", "ig.template", 5_000, seed=3, history_days=30)
    token = sandbox.connect("instagram", acc["id"])["access_token"]
    fields = "id,timestamp,like_count,comments_count,media_type"
    before = graph(sandbox, "graph.instagram.com", "me/media", token, fields=fields, limit=100)["data"]
    assert before

    rep, other = sandbox.replicas((acc["id"], "ig.copy1"), (acc["id"], "ig.copy2"))
    assert (rep["of"], rep["platform"], rep["username"]) == (acc["id"], "instagram", "ig.copy1")
    assert rep["id"] not in (acc["id"], other["id"])
    assert len({acc["platform_user_id"], rep["platform_user_id"], other["platform_user_id"]}) == 3
    assert set(rep["tokens"]) >= {token}
    rep_token = rep["tokens"][token]
    assert rep_token != token
    assert rep_token.startswith("IGAA")

    me = graph(sandbox, "graph.instagram.com", "me", rep_token, fields="user_id,username,followers_count")
    assert (me["user_id"], me["username"]) == (rep["platform_user_id"], "ig.copy1")
    assert (
        me["followers_count"]
        == graph(sandbox, "graph.instagram.com", "me", token, fields="followers_count")["followers_count"]
    )
    after = graph(sandbox, "graph.instagram.com", "me/media", rep_token, fields=fields, limit=100)["data"]
    assert [m["id"] for m in after] == [rep["posts"][m["id"]] for m in before]
    assert [{k: v for k, v in m.items() if k != "id"} for m in after] == [
        {k: v for k, v in m.items() if k != "id"} for m in before
    ]
    # the template's token still reads the template, and a replica's post is not the template's
    assert graph(sandbox, "graph.instagram.com", "me", token, fields="user_id")["user_id"] == acc["platform_user_id"]
    foreign = requests.get(
        sandbox.url(f"graph.instagram.com/v25.0/{after[0]['id']}"), params={"access_token": token}, timeout=10
    )
    assert foreign.status_code == 400

    issued = {t["value"]: t for t in sandbox.tokens(rep["id"])}
    template_tokens = {t["value"]: t for t in sandbox.tokens(acc["id"])}
    assert issued[rep_token]["expires_at"] == template_tokens[token]["expires_at"]
    assert issued[rep_token]["scopes"] == template_tokens[token]["scopes"]


def test_youtube_and_facebook_lookups_find_the_replica(sandbox: SandboxControl) -> None:
    yt = sandbox.create_account("youtube", "yt.template", 8_000, seed=4, history_days=30)
    yt_tokens = sandbox.connect("youtube", yt["id"])
    fb = sandbox.create_account("facebook", "fb.template", 3_000, seed=5, history_days=30)
    rep_yt, rep_fb = sandbox.replicas((yt["id"], "yt.copy"), (fb["id"], "fb.copy"))

    assert {yt_tokens["access_token"], yt_tokens["refresh_token"]} <= set(rep_yt["tokens"])
    video, copy = next(iter(rep_yt["posts"].items()))
    resp = requests.get(
        sandbox.url("www.googleapis.com/youtube/v3/videos"),
        params={"part": "snippet,statistics", "id": copy},
        headers={"Authorization": f"Bearer {rep_yt['tokens'][yt_tokens['access_token']]}"},
        timeout=10,
    ).json()["items"]
    template = requests.get(
        sandbox.url("www.googleapis.com/youtube/v3/videos"),
        params={"part": "snippet,statistics", "id": video},
        headers={"Authorization": f"Bearer {yt_tokens['access_token']}"},
        timeout=10,
    ).json()["items"]
    assert resp[0]["snippet"]["channelId"] == rep_yt["platform_user_id"] != template[0]["snippet"]["channelId"]
    assert resp[0]["statistics"] == template[0]["statistics"]

    assert rep_fb["posts"]
    assert all(p.startswith(rep_fb["platform_user_id"] + "_") for p in rep_fb["posts"].values())
    template_page, template_manager = identity("facebook", 5, WORLD_SEED, "fb.template")
    assert template_page == fb["platform_user_id"]  # the helper names the template as the sandbox did
    assert rep_fb["scoped_id"] != template_manager  # the replica's Page has its own manager


def test_linkedin_replicas_administer_pages_of_their_own(sandbox: SandboxControl) -> None:
    member = sandbox.create_account("linkedin", "li.admin", 2_000, seed=6, account_type="ADMINISTRATOR")
    reps = sandbox.replicas(*[(member["id"], f"li.copy{i}") for i in range(40)])
    pages = {r["scoped_id"] for r in reps} | {identity("linkedin", 6, WORLD_SEED, "")[1]}
    assert len(pages) == 41
    assert len({r["platform_user_id"] for r in reps}) == 40


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({}, 400, "replicas must be a non-empty list"),
        ({"replicas": []}, 400, "replicas must be a non-empty list"),
        ({"replicas": [{"of": "ig_1"}]}, 400, "replicas[0].username"),
        ({"replicas": [{"of": "ig_1", "username": "a", "seed": 1}]}, 400, "unknown keys: seed"),
        ({"replicas": [{"of": "ig_1", "username": "a"}] * 2001}, 400, "at most 2000"),
        ({"replicas": [{"of": "nope", "username": "a"}]}, 404, "no sandbox account 'nope'"),
    ],
)
def test_bad_replica_requests_are_clear(
    sandbox: SandboxControl, body: dict[str, Any], status: int, fragment: str
) -> None:
    sandbox.create_account("instagram", "ig.one", 1_000, seed=1)
    with pytest.raises(SandboxError) as err:
        sandbox._call("POST", "replicas", json=body)
    assert err.value.status_code == status
    assert fragment in err.value.response.text
    assert len(sandbox.accounts()) == 1  # all or none
