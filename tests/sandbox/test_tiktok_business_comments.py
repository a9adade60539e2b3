"""The sandbox's TikTok API for Business comments over real HTTP: the envelope and item shapes, cursor
paging, nested replies, the ``status`` filter, reply creation visible in later lists, the ``code != 0``
errors on HTTP 200, the control calls, the answer of an unknown path on the business host, and the same
read through ``pytiktok`` (sns-sdks/python-tiktok, the client the reference cites)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from pytiktok import BusinessAccountApi
from pytiktok.error import PyTiktokError

from tests.support.sandbox import REDIRECT_URI, SandboxControl

APP, SECRET = "sandbox-tiktok-business-app", "sandbox-tiktok-business-secret"
API = "business-api.tiktok.com/open_api/v1.3"
READ = "user.info.basic,video.list,comment.list"
MANAGE = READ + ",comment.list.manage"


def business_token(sandbox: SandboxControl, account_id: str, scope: str = MANAGE) -> str:
    """The Business OAuth dance: the Login Kit page with the Business app, then the JSON token call."""
    params = {"client_key": APP, "response_type": "code", "scope": scope, "redirect_uri": REDIRECT_URI, "state": "s"}
    location = sandbox.consent(sandbox.url("www.tiktok.com/v2/auth/authorize/") + "?" + urlencode(params), account_id)
    code = sandbox.redirect_params(location)["code"]
    resp = requests.post(
        sandbox.url(f"{API}/tt_user/oauth2/token/"),
        json={
            "client_id": APP,
            "client_secret": SECRET,
            "grant_type": "authorization_code",
            "auth_code": code,
            "redirect_uri": REDIRECT_URI,
        },
        timeout=10,
    )
    assert resp.json()["code"] == 0, resp.text
    return str(resp.json()["data"]["access_token"])


@pytest.fixture
def biz(sandbox: SandboxControl) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    sandbox.set_clock(now=now.isoformat())
    posts = [
        {"published_at": (now - timedelta(days=1)).isoformat(), "caption": "new", "comment_count": 9},
        {"published_at": (now - timedelta(days=3)).isoformat(), "caption": "old", "comment_count": 1},
    ]
    acc = sandbox.create_account("tiktok", "tt.biz", 12_000, seed=5, account_type="BUSINESS", posts=posts)
    videos = sorted(sandbox.account(acc["id"], posts=True)["posts"], key=lambda p: p["published_at"], reverse=True)
    acc["video"], acc["old_video"] = videos[0]["id"], videos[1]["id"]
    return acc


def _get(sandbox: SandboxControl, path: str, token: str, **params: Any) -> dict[str, Any]:
    resp = requests.get(sandbox.url(f"{API}/{path}"), params=params, headers={"Access-Token": token}, timeout=10)
    assert resp.status_code == 200, resp.text  # errors too: HTTP 200 with a code
    return dict(resp.json())


def _seed(sandbox: SandboxControl, acc: dict[str, Any]) -> dict[str, str]:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=10)
    ids = {}
    for i in range(7):  # c0 oldest ... c6 newest
        ids[f"c{i}"] = sandbox.add_comment(
            acc["id"],
            f"comment {i}",
            f"fan{i}",
            author_name=f"Fan {i}",
            post_id=acc["video"],
            like_count=i * 2,
            published_at=(start + timedelta(minutes=i)).isoformat(),
            liked=i == 2,
            pinned=i == 3,
        )
    for k in range(4):
        ids[f"r{k}"] = sandbox.add_comment(
            acc["id"],
            f"reply {k}",
            f"rfan{k}",
            parent_id=ids["c0"],
            published_at=(start + timedelta(hours=1, minutes=k)).isoformat(),
        )
    ids["other"] = sandbox.add_comment(acc["id"], "on the old video", "fanx", post_id=acc["old_video"])
    return ids


def test_comment_list_shape_paging_nesting_and_sorting(sandbox: SandboxControl, biz: dict[str, Any]) -> None:
    ids = _seed(sandbox, biz)
    token = business_token(sandbox, biz["id"])
    puid = biz["platform_user_id"]
    first = _get(
        sandbox, "business/comment/list/", token, business_id=puid, video_id=biz["video"], max_count=4,
        include_replies="true",
    )  # fmt: skip
    assert set(first) == {"code", "message", "request_id", "data"}
    assert (first["code"], first["message"]) == (0, "OK")
    data = first["data"]
    # 7 top-level comments on this video, newest first by default: c6 c5 c4 c3 | c2 c1 c0
    assert [c["text"] for c in data["comments"]] == ["comment 6", "comment 5", "comment 4", "comment 3"]
    assert (data["cursor"], data["has_more"]) == (4, True)
    c3 = data["comments"][3]
    assert c3["pinned"] is True
    assert c3["liked"] is False
    assert {k: c3[k] for k in ("comment_id", "video_id", "username", "display_name", "likes", "replies", "owner")} == {
        "comment_id": ids["c3"],
        "video_id": biz["video"],
        "username": "fan3",
        "display_name": "Fan 3",
        "likes": 6,
        "replies": 0,
        "owner": False,
    }
    assert c3["unique_identifier"]
    assert c3["status"] == "PUBLIC"
    assert c3["parent_comment_id"] is None
    assert isinstance(c3["create_time"], int)
    assert c3["profile_image"].startswith("https://")
    second = _get(
        sandbox, "business/comment/list/", token, business_id=puid, video_id=biz["video"], max_count=4, cursor=4,
        include_replies="true",
    )["data"]  # fmt: skip
    assert [c["text"] for c in second["comments"]] == ["comment 2", "comment 1", "comment 0"]
    assert (second["cursor"], second["has_more"]) == (7, False)
    c0 = second["comments"][2]
    # 4 replies, the first 3 nested, oldest first
    assert c0["replies"] == 4
    assert [r["text"] for r in c0["reply_list"]] == ["reply 0", "reply 1", "reply 2"]
    assert all(r["parent_comment_id"] == ids["c0"] for r in c0["reply_list"])
    assert second["comments"][0]["liked"] is True
    by_likes = _get(
        sandbox, "business/comment/list/", token, business_id=puid, video_id=biz["video"], sort_field="likes",
        sort_order="asc", max_count=2,
    )["data"]  # fmt: skip
    assert [c["likes"] for c in by_likes["comments"]] == [0, 2]
    replies = _get(
        sandbox, "business/comment/reply/list/", token, business_id=puid, video_id=biz["video"],
        comment_id=ids["c0"], max_count=3,
    )["data"]  # fmt: skip
    assert [r["text"] for r in replies["comments"]] == ["reply 0", "reply 1", "reply 2"]
    assert (replies["cursor"], replies["has_more"]) == (3, True)


def test_hidden_comments_only_with_status_all_and_control_patch(sandbox: SandboxControl, biz: dict[str, Any]) -> None:
    ids = _seed(sandbox, biz)
    token = business_token(sandbox, biz["id"])
    patched = sandbox._call(
        "PATCH", f"accounts/{biz['id']}/comments/{ids['c6']}/flags", json={"hidden": True, "liked": True}
    )
    assert (patched["hidden"], patched["liked"]) == (True, True)
    args = {"business_id": biz["platform_user_id"], "video_id": biz["video"], "max_count": 50}
    public = _get(sandbox, "business/comment/list/", token, **args)["data"]["comments"]
    every = _get(sandbox, "business/comment/list/", token, status="ALL", **args)["data"]["comments"]
    assert len(public) == 6
    assert len(every) == 7
    assert [c["status"] for c in every if c["comment_id"] == ids["c6"]] == ["HIDDEN"]
    sandbox._call("DELETE", f"accounts/{biz['id']}/comments/{ids['c5']}")  # removed by its author
    assert len(_get(sandbox, "business/comment/list/", token, status="ALL", **args)["data"]["comments"]) == 6
    with pytest.raises(Exception, match="liked must be true or false"):
        sandbox._call("PATCH", f"accounts/{biz['id']}/comments/{ids['c4']}/flags", json={"liked": "yes"})


def test_reply_create_is_the_accounts_and_shows_in_later_lists(sandbox: SandboxControl, biz: dict[str, Any]) -> None:
    ids = _seed(sandbox, biz)
    token = business_token(sandbox, biz["id"])
    body = {
        "business_id": biz["platform_user_id"],
        "video_id": biz["video"],
        "comment_id": ids["r1"],
        "text": "Thanks 🙏 شكراً",
    }
    resp = requests.post(
        sandbox.url(f"{API}/business/comment/reply/create/"), json=body, headers={"Access-Token": token}, timeout=10
    )
    out = resp.json()
    assert (resp.status_code, out["code"]) == (200, 0)
    new = out["data"]
    # a reply to a reply lands under the top-level comment; it is the account's own
    assert (new["parent_comment_id"], new["owner"], new["username"], new["text"]) == (
        ids["c0"],
        True,
        "tt.biz",
        "Thanks 🙏 شكراً",
    )
    replies = _get(
        sandbox, "business/comment/reply/list/", token, business_id=biz["platform_user_id"], video_id=biz["video"],
        comment_id=ids["c0"], max_count=50,
    )["data"]["comments"]  # fmt: skip
    assert [r["comment_id"] for r in replies][-1] == new["comment_id"]
    assert len(replies) == 5
    # too long (151 characters), a comment of another video, no text: code 40001 on HTTP 200
    for change in ({"text": "x" * 151}, {"video_id": biz["old_video"]}, {"text": " "}):
        bad = requests.post(
            sandbox.url(f"{API}/business/comment/reply/create/"), json={**body, **change},
            headers={"Access-Token": token}, timeout=10,
        )  # fmt: skip
        assert (bad.status_code, bad.json()["code"]) == (200, 40001), change
    assert len([c for c in sandbox.comments(biz["id"]) if c["from_owner"]]) == 1


def test_errors_are_codes_on_http_200(sandbox: SandboxControl, biz: dict[str, Any]) -> None:
    ids = _seed(sandbox, biz)
    read_only = business_token(sandbox, biz["id"], READ)
    no_comments = business_token(sandbox, biz["id"], "user.info.basic,video.list")
    args = {"business_id": biz["platform_user_id"], "video_id": biz["video"]}
    assert _get(sandbox, "business/comment/list/", "not-a-token", **args)["code"] == 40100
    missing = _get(sandbox, "business/comment/list/", no_comments, **args)
    assert (missing["code"], missing["message"]) == (40102, "The user did not grant the scope required: comment.list")
    assert _get(sandbox, "business/comment/list/", read_only, **{**args, "video_id": "999"})["code"] == 40001
    assert _get(sandbox, "business/comment/list/", read_only, **{**args, "max_count": 51})["code"] == 40001
    reply = requests.post(
        sandbox.url(f"{API}/business/comment/reply/create/"),
        json={**args, "comment_id": ids["c1"], "text": "hi"}, headers={"Access-Token": read_only}, timeout=10,
    )  # fmt: skip
    assert (reply.status_code, reply.json()["code"]) == (200, 40102)
    sandbox.add_fault("tiktok", "quota_exceeded", path_contains="comment/list")
    quota = _get(sandbox, "business/comment/list/", read_only, **args)
    assert (quota["code"], quota["data"]) == (40105, {})


def test_unknown_path_on_the_business_host_answers_in_the_business_format(sandbox: SandboxControl) -> None:
    resp = requests.get(sandbox.url(f"{API}/business/comment/nothing/"), timeout=10)
    body = resp.json()
    assert resp.status_code == 404
    assert set(body) == {"code", "message", "request_id", "data"}
    assert (body["code"], body["message"], body["data"]) == (40001, "The requested path is not supported.", {})
    post = requests.post(sandbox.url(f"{API}/business/get/"), timeout=10)  # a GET-only path
    assert (post.status_code, post.json()["code"]) == (405, 40001)
    display = requests.get(sandbox.url("open.tiktokapis.com/v2/nothing/"), timeout=10).json()
    assert display["error"]["code"] == "not_found"  # the Display API keeps its own format


def test_pytiktok_reads_and_replies_through_the_sandbox(sandbox: SandboxControl, biz: dict[str, Any]) -> None:
    """Fidelity: the sns-sdks client (``python-tiktok`` 0.1.12) parses the sandbox's answers into its models."""
    ids = _seed(sandbox, biz)
    api = BusinessAccountApi(
        app_id=APP,
        app_secret=SECRET,
        access_token=business_token(sandbox, biz["id"]),
        base_url=sandbox.url("business-api.tiktok.com/open_api"),
        timeout=10,
    )
    puid = biz["platform_user_id"]
    page = api.get_video_comments(business_id=puid, video_id=biz["video"], include_replies=True, max_count=30)
    assert page.code == 0
    assert page.data is not None
    comments = page.data.comments or []
    assert [c.text for c in comments][:2] == ["comment 6", "comment 5"]
    assert page.data.has_more is False
    assert page.data.cursor == 7
    c0 = next(c for c in comments if c.comment_id == ids["c0"])
    assert (c0.replies, len(c0.reply_list or [])) == (4, 3)
    assert next(c for c in comments if c.comment_id == ids["c2"]).liked is True
    replies = api.get_comment_replies(business_id=puid, video_id=biz["video"], comment_id=ids["c0"])
    assert [r.text for r in replies.data.comments] == ["reply 0", "reply 1", "reply 2", "reply 3"]
    made = api.create_reply(business_id=puid, video_id=biz["video"], comment_id=ids["c1"], text="merci")
    assert made.data.owner is True
    assert made.data.parent_comment_id == ids["c1"]
    with pytest.raises(PyTiktokError) as err:
        api.get_video_comments(business_id=puid, video_id="12345")
    assert "40001" in str(err.value)
