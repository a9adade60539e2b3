"""The sandbox's comments: control calls, Instagram comment edges, YouTube commentThreads / comments."""

from __future__ import annotations

from typing import Any

import requests

from tests.support.sandbox import SandboxControl

IG_ALL = "instagram_business_basic,instagram_business_manage_insights,instagram_business_manage_comments"
YT_FORCE = "https://www.googleapis.com/auth/youtube.force-ssl"
YT_READ = "https://www.googleapis.com/auth/youtube.readonly"
FIELDS = "id,text,timestamp,username,from{id,username},like_count,hidden,parent_id,replies.limit(5){id,text,parent_id}"


def ig_token(sandbox: SandboxControl, account_id: str, scope: str = IG_ALL) -> str:
    location = sandbox.consent(sandbox.authorize_url("instagram", scope=scope), account_id)
    code = sandbox.redirect_params(location)["code"]
    resp = requests.post(
        sandbox.url("api.instagram.com/oauth/access_token"),
        data={
            "client_id": "sandbox-ig-app",
            "client_secret": "sandbox-ig-secret",
            "grant_type": "authorization_code",
            "redirect_uri": "http://127.0.0.1:5000/api/portal/social/callback/test",
            "code": code,
        },
        timeout=10,
    ).json()
    return str(resp["access_token"])


def yt_token(sandbox: SandboxControl, account_id: str, scope: str) -> str:
    location = sandbox.consent(sandbox.authorize_url("youtube", scope=scope), account_id)
    code = sandbox.redirect_params(location)["code"]
    resp = requests.post(
        sandbox.url("oauth2.googleapis.com/token"),
        data={
            "client_id": "sandbox-google-client",
            "client_secret": "sandbox-google-secret",
            "grant_type": "authorization_code",
            "redirect_uri": "http://127.0.0.1:5000/api/portal/social/callback/test",
            "code": code,
        },
        timeout=10,
    ).json()
    return str(resp["access_token"])


def graph(sandbox: SandboxControl, method: str, path: str, token: str, **params: Any) -> requests.Response:
    return requests.request(
        method, sandbox.url(f"graph.instagram.com/v25.0/{path}"), params={"access_token": token, **params}, timeout=10
    )


def yt(sandbox: SandboxControl, method: str, resource: str, token: str, **kw: Any) -> requests.Response:
    return requests.request(
        method,
        sandbox.url(f"www.googleapis.com/youtube/v3/{resource}"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
        **kw,
    )


def test_control_calls_add_and_list(sandbox: SandboxControl, ig_account: dict[str, Any]) -> None:
    posts = sandbox.account(ig_account["id"], posts=True)["posts"]
    newest = max(posts, key=lambda p: p["published_at"])
    top = sandbox.add_comment(ig_account["id"], "مرحبا 👋", "fan_01", author_name="Fan One", like_count=3)
    reply = sandbox.add_comment(ig_account["id"], "me too", "fan_02", parent_id=top)
    deep = sandbox.add_comment(ig_account["id"], "reply to reply", "fan_03", parent_id=reply)
    listed = sandbox.comments(ig_account["id"])
    assert [c["id"] for c in listed] == [top, reply, deep]
    assert listed[0]["post_id"] == newest["id"]
    assert listed[0]["text"] == "مرحبا 👋"
    assert listed[0]["like_count"] == 3
    assert listed[0]["hidden"] is False
    assert listed[0]["from_owner"] is False
    assert listed[2]["parent_id"] == top  # one level only: attached to the top-level comment
    bad = requests.post(
        f"{sandbox.base_url}/_sandbox/accounts/{ig_account['id']}/comments", json={"author_handle": "x"}, timeout=10
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == "text is required"
    missing = requests.post(
        f"{sandbox.base_url}/_sandbox/accounts/{ig_account['id']}/comments",
        json={"text": "hi", "author_handle": "x", "post_id": "999"},
        timeout=10,
    )
    assert missing.status_code == 404


def test_instagram_list_paging_reply_hide_delete(sandbox: SandboxControl, ig_account: dict[str, Any]) -> None:
    acc = ig_account["id"]
    ids = [
        sandbox.add_comment(acc, f"comment {i}", f"fan_{i}", published_at=f"2026-10-14T10:{i:02d}:00Z")
        for i in range(30)
    ]
    sandbox.add_comment(acc, "a reply", "fan_x", parent_id=ids[29])
    media = sandbox.comments(acc)[0]["post_id"]
    token = ig_token(sandbox, acc)
    first = graph(sandbox, "GET", f"{media}/comments", token, fields=FIELDS, limit=25).json()
    assert [c["id"] for c in first["data"]] == list(reversed(ids))[:25]  # newest first
    assert first["data"][0]["from"]["username"] == "fan_29"
    assert first["data"][0]["replies"]["data"][0]["text"] == "a reply"
    second = requests.get(first["paging"]["next"], timeout=10).json()
    assert [c["id"] for c in second["data"]] == list(reversed(ids))[25:]
    assert "next" not in second["paging"]
    # reply as the owner; a reply to a reply is refused
    reply = graph(sandbox, "POST", f"{ids[0]}/replies", token, message="Thanks! 🙏").json()
    owner = [c for c in sandbox.comments(acc) if c["id"] == reply["id"]][0]
    assert owner["from_owner"] is True
    assert owner["parent_id"] == ids[0]
    err = graph(sandbox, "POST", f"{reply['id']}/replies", token, message="x").json()["error"]
    assert err["code"] == 100
    # hide, then a reply is refused; unhide
    assert graph(sandbox, "POST", ids[1], token, hide="true").json() == {"success": True}
    assert graph(sandbox, "POST", f"{ids[1]}/replies", token, message="hi").status_code == 400
    assert graph(sandbox, "GET", ids[1], token, fields="hidden").json() == {"hidden": True, "id": ids[1]}
    assert graph(sandbox, "POST", ids[1], token, hide="false").json() == {"success": True}
    # empty and over-long replies
    assert graph(sandbox, "POST", f"{ids[2]}/replies", token, message="  ").json()["error"]["code"] == 100
    assert graph(sandbox, "POST", f"{ids[2]}/replies", token, message="x" * 2201).status_code == 400
    # delete: marked in the store, gone from the API (code 100, subcode 33)
    assert graph(sandbox, "DELETE", ids[3], token).json() == {"success": True}
    gone = graph(sandbox, "POST", f"{ids[3]}/replies", token, message="hi").json()["error"]
    assert (gone["code"], gone["error_subcode"], gone["type"]) == (100, 33, "IGApiException")
    assert [c["deleted"] for c in sandbox.comments(acc) if c["id"] == ids[3]] == [True]


def test_instagram_without_comment_scope(sandbox: SandboxControl, ig_account: dict[str, Any]) -> None:
    acc = ig_account["id"]
    cid = sandbox.add_comment(acc, "hello", "fan_01")
    media = sandbox.comments(acc)[0]["post_id"]
    token = ig_token(sandbox, acc, "instagram_business_basic,instagram_business_manage_insights")
    data = graph(sandbox, "GET", f"{media}/comments", token, fields="id,text,username,from{id,username}").json()
    assert data["data"] == [{"id": cid, "text": "hello"}]  # handle withheld without manage_comments
    err = graph(sandbox, "POST", f"{cid}/replies", token, message="hi").json()["error"]
    assert err["code"] == 10


def test_youtube_threads_reply_moderation_units(sandbox: SandboxControl, yt_account: dict[str, Any]) -> None:
    acc = yt_account["id"]
    top = sandbox.add_comment(acc, "Is this <script>alert(1)</script> safe?", "fan01", like_count=4)
    video = sandbox.comments(acc)[0]["post_id"]
    read = yt_token(sandbox, acc, YT_READ)
    write = yt_token(sandbox, acc, YT_FORCE)
    params = {"part": "snippet,replies", "videoId": video, "textFormat": "html"}
    threads = yt(sandbox, "GET", "commentThreads", read, params=params).json()
    snippet = threads["items"][0]["snippet"]["topLevelComment"]["snippet"]
    assert snippet["textDisplay"] == "Is this &lt;script&gt;alert(1)&lt;/script&gt; safe?"
    assert snippet["textOriginal"] == "Is this <script>alert(1)</script> safe?"
    assert snippet["authorDisplayName"] == "@fan01"
    assert snippet["likeCount"] == 4
    # insert needs force-ssl and costs 50 units
    denied = yt(
        sandbox,
        "POST",
        "comments",
        read,
        params={"part": "snippet"},
        json={"snippet": {"parentId": top, "textOriginal": "hi"}},
    )
    assert denied.status_code == 403
    sandbox.clear_calls()
    body = {"snippet": {"parentId": top, "textOriginal": "Yes! שלום"}}
    reply = yt(sandbox, "POST", "comments", write, params={"part": "snippet"}, json=body).json()
    assert reply["snippet"]["parentId"] == top
    assert sandbox.calls()[-1]["quota_units"] == 50
    replies = yt(sandbox, "GET", "comments", read, params={"part": "snippet", "parentId": top}).json()
    assert [c["snippet"]["textOriginal"] for c in replies["items"]] == ["Yes! שלום"]
    for text, reason in (("", "commentTextRequired"), ("x" * 10001, "commentTextTooLong")):
        resp = yt(
            sandbox,
            "POST",
            "comments",
            write,
            params={"part": "snippet"},
            json={"snippet": {"parentId": top, "textOriginal": text}},
        )
        assert (resp.status_code, resp.json()["error"]["errors"][0]["reason"]) == (400, reason)
    # hold for review: gone from the published list, back when published
    held = yt(
        sandbox, "POST", "comments/setModerationStatus", write, params={"id": top, "moderationStatus": "heldForReview"}
    )
    assert held.status_code == 204
    assert yt(sandbox, "GET", "commentThreads", read, params=params).json()["items"] == []
    assert [c["moderation"] for c in sandbox.comments(acc) if c["id"] == top] == ["heldForReview"]
    yt(sandbox, "POST", "comments/setModerationStatus", write, params={"id": top, "moderationStatus": "published"})
    assert len(yt(sandbox, "GET", "commentThreads", read, params=params).json()["items"]) == 1
    # delete: only the author's own comment
    assert yt(sandbox, "DELETE", "comments", write, params={"id": top}).status_code == 403
    assert yt(sandbox, "DELETE", "comments", write, params={"id": reply["id"]}).status_code == 204
    # comments off
    sandbox.set_comments_enabled(acc, video, False)
    off = yt(sandbox, "GET", "commentThreads", read, params=params)
    assert (off.status_code, off.json()["error"]["errors"][0]["reason"]) == (403, "commentsDisabled")
    units = [c["quota_units"] for c in sandbox.calls() if "/youtube/v3/" in c["path"]]
    assert units == [50, 1, 50, 50, 50, 1, 50, 1, 50, 50, 1]


def test_demo_creators_have_comment_streams() -> None:
    from app.sandbox import create_app
    from tests.support.live import serve_wsgi
    from tests.support.sandbox import SANDBOX_TEST_CONFIG

    with serve_wsgi(create_app({**SANDBOX_TEST_CONFIG, "DEMO": True})) as url:
        control = SandboxControl(url)
        by_name = {a["username"]: a for a in control.accounts()}
        maya = control.comments(by_name["maya.moves"]["id"])
        leo = control.comments(by_name["leobuilds"]["id"])
        assert control.comments(by_name["personal.pat"]["id"]) == []  # a personal account has none
        dance = control.comments(by_name["danceduo"]["id"])  # a TikTok business account (API for Business)
        assert control.comments(by_name["codewithkai"]["id"]) == []  # a personal TikTok account: none given
    assert len(dance) >= 10
    assert any(c["liked"] for c in dance)
    assert any(c["pinned"] for c in dance)
    assert any(c["from_owner"] and c["parent_id"] for c in dance)
    for stream in (maya, leo):
        assert len(stream) >= 10
        assert any(c["from_owner"] for c in stream)
        assert any("?" in c["text"] for c in stream)
    assert any(any("\u0590" <= ch <= "\u06ff" for ch in c["text"]) for c in maya + leo)  # Hebrew or Arabic
    # a commenter keeps one id across comments (an IGSID / channel id), so fans can return
    for stream in (maya, leo):
        ids: dict[str, set[str]] = {}
        for c in stream:
            if not c["from_owner"]:
                ids.setdefault(c["author_handle"], set()).add(c["author_id"])
        assert all(len(v) == 1 for v in ids.values()), ids
        assert len(set().union(*ids.values())) == len(ids)  # and different fans have different ids
        assert any(sum(c["author_handle"] == h for c in stream) > 1 for h in ids)  # someone came back
