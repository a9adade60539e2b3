"""LinkedIn comments in the sandbox (``socialActions/{urn}/comments``), read through LinkedIn's official
``linkedin-api-client``: a Page's post comments with start/count paging, replies under a comment URN,
member and organization actors, the scopes (``r_organization_social`` for a Page's posts,
``r_member_social`` for a member's own), the versioned header, LinkedIn's error envelope, and a reply
written as the Page (``w_organization_social``) that later lists show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
import requests

from tests.sandbox.test_linkedin import HEADERS, VERSION, envelope, official  # noqa: F401
from tests.support.sandbox import CLIENTS, REDIRECT_URI, SandboxControl

NOW = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
ORG = "urn:li:organization:556001"
BASE = "openid profile r_member_profileAnalytics r_member_postAnalytics rw_organization_admin"


def token(sandbox: SandboxControl, account_id: str, scope: str) -> str:
    location = sandbox.consent(sandbox.authorize_url("linkedin", scope=scope), account_id)
    code = sandbox.redirect_params(location)["code"]
    cid, secret = CLIENTS["linkedin"]
    resp = requests.post(
        sandbox.url("www.linkedin.com/oauth/v2/accessToken"),
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": cid,
            "client_secret": secret,
        },
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    return str(resp.json()["access_token"])


@pytest.fixture
def page(sandbox: SandboxControl) -> dict[str, Any]:
    sandbox.set_clock(now=NOW.isoformat())
    posts = [{"published_at": (NOW - timedelta(days=2)).isoformat(), "caption": "hiring", "comment_count": 3}]
    acc = sandbox.create_account("linkedin", "li.pagecomments", 5_000, seed=33, posts=posts)
    sandbox.linkedin_organizations(acc["id"], [{"name": "Acme", "id": "556001"}])
    acc["post"] = sandbox.account(acc["id"], posts=True)["posts"][0]["id"]
    return acc


def _comments(sandbox: SandboxControl, acc: dict[str, Any], n: int) -> list[str]:
    return [
        sandbox.add_comment(
            acc["id"],
            f"comment {i} <b>bold</b>",
            f"fan{i}",
            post_id=acc["post"],
            published_at=(NOW - timedelta(hours=n - i)).isoformat(),
        )
        for i in range(n)
    ]


def test_page_post_comments_paged_through_the_official_client(
    sandbox: SandboxControl,
    page: dict[str, Any],
    official: Any,  # noqa: F811
) -> None:
    from linkedin_api.clients.restli.client import RestliClient

    ids = _comments(sandbox, page, 3)
    reply = sandbox.add_comment(page["id"], "Thanks!", "acme", parent_id=ids[0], author_id=ORG)
    tok = token(sandbox, page["id"], BASE + " r_organization_social")
    client = RestliClient()
    first = client.get_all(
        resource_path="/socialActions/{urn}/comments",
        path_keys={"urn": page["post"]},
        query_params={"start": 0, "count": 2},
        access_token=tok,
        version_string=VERSION,
    )
    assert first.status_code == 200
    assert [e["commentUrn"] for e in first.elements] == [ids[2], ids[1]]  # newest first
    assert first.paging.total == 3
    assert first.response.json()["paging"]["links"][0]["rel"] == "next"
    second = client.get_all(
        resource_path="/socialActions/{urn}/comments",
        path_keys={"urn": page["post"]},
        query_params={"start": 2, "count": 2},
        access_token=tok,
        version_string=VERSION,
    )
    top = second.elements[0]
    assert top["commentUrn"] == ids[0]
    assert top["message"]["text"] == "comment 0 <b>bold</b>"
    assert top["actor"].startswith("urn:li:person:")  # app-scoped, no name
    assert "name" not in top
    assert top["created"]["time"] > 0
    assert top["commentsSummary"]["totalFirstLevelComments"] == 1
    assert ids[0].startswith("urn:li:comment:(urn:li:activity:")
    replies = client.get_all(
        resource_path="/socialActions/{urn}/comments",
        path_keys={"urn": ids[0]},
        access_token=tok,
        version_string=VERSION,
    )
    assert [(e["commentUrn"], e["actor"], e["parentComment"]) for e in replies.elements] == [(reply, ORG, ids[0])]


def test_scopes_version_and_error_envelope(sandbox: SandboxControl, page: dict[str, Any]) -> None:
    _comments(sandbox, page, 1)
    path = sandbox.url(f"api.linkedin.com/rest/socialActions/{quote(page['post'], safe='')}/comments")
    without = token(sandbox, page["id"], BASE)  # no r_organization_social: the Page's posts are refused
    envelope(
        requests.get(path, headers={**HEADERS, "Authorization": f"Bearer {without}"}, timeout=10), 403, "ACCESS_DENIED"
    )
    tok = token(sandbox, page["id"], BASE + " r_organization_social")
    ok = requests.get(path, headers={**HEADERS, "Authorization": f"Bearer {tok}"}, timeout=10)
    assert ok.status_code == 200
    assert len(ok.json()["elements"]) == 1
    envelope(requests.get(path, headers={"Authorization": f"Bearer {tok}"}, timeout=10), 400, "VERSION_MISSING")
    old = {**HEADERS, "LinkedIn-Version": "202301", "Authorization": f"Bearer {tok}"}
    envelope(requests.get(path, headers=old, timeout=10), 426, "NONEXISTENT_VERSION")
    gone = path.replace(quote(page["post"], safe=""), quote("urn:li:share:1", safe=""))
    envelope(requests.get(gone, headers={**HEADERS, "Authorization": f"Bearer {tok}"}, timeout=10), 404, "NOT_FOUND")
    # a member's own posts (no Page) need r_member_social, which this app does not ask
    member = sandbox.create_account(
        "linkedin", "li.membercomments", 900, seed=34, posts=[{"published_at": (NOW - timedelta(days=1)).isoformat()}]
    )
    member_post = sandbox.account(member["id"], posts=True)["posts"][0]["id"]
    mtok = token(sandbox, member["id"], BASE + " r_organization_social")
    mpath = sandbox.url(f"api.linkedin.com/rest/socialActions/{quote(member_post, safe='')}/comments")
    envelope(
        requests.get(mpath, headers={**HEADERS, "Authorization": f"Bearer {mtok}"}, timeout=10), 403, "ACCESS_DENIED"
    )


def test_reply_as_the_page_needs_w_organization_social(
    sandbox: SandboxControl,
    page: dict[str, Any],
    official: Any,  # noqa: F811
) -> None:
    from linkedin_api.clients.restli.client import RestliClient

    (top,) = _comments(sandbox, page, 1)
    body = {"actor": ORG, "object": page["post"], "parentComment": top, "message": {"text": "Thank you 🙏"}}
    path = sandbox.url(f"api.linkedin.com/rest/socialActions/{quote(page['post'], safe='')}/comments")
    read_only = token(sandbox, page["id"], BASE + " r_organization_social")
    refused = requests.post(path, json=body, headers={**HEADERS, "Authorization": f"Bearer {read_only}"}, timeout=10)
    envelope(refused, 403, "ACCESS_DENIED")
    tok = token(sandbox, page["id"], BASE + " r_organization_social w_organization_social")
    other = requests.post(
        path,
        json={**body, "actor": "urn:li:organization:999"},
        headers={**HEADERS, "Authorization": f"Bearer {tok}"},
        timeout=10,
    )
    envelope(other, 403, "ACCESS_DENIED")  # not a Page this member administers
    made = requests.post(path, json=body, headers={**HEADERS, "Authorization": f"Bearer {tok}"}, timeout=10)
    assert made.status_code == 201, made.text
    urn = made.json()["commentUrn"]
    assert urn.endswith(f",{made.headers['x-restli-id']})")
    listed = RestliClient().get_all(
        resource_path="/socialActions/{urn}/comments", path_keys={"urn": top}, access_token=tok, version_string=VERSION
    )
    assert [(e["commentUrn"], e["actor"], e["message"]["text"]) for e in listed.elements] == [
        (urn, ORG, "Thank you 🙏")
    ]
    stored = {c["id"]: c for c in sandbox.comments(page["id"])}
    assert stored[urn]["parent_id"] == top
    assert stored[urn]["from_owner"] is True
