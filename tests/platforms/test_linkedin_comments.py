"""The LinkedIn Page comment adapter (``app/platforms/linkedin_comments.py``) against the sandbox: paging
past 100 comments, replies read only for comments whose reply count changed, member and organization
actors, the versioned header on every call, a reply written as the Page, and LinkedIn's faults typed
(daily limit, revoked and expired tokens, outage, missing scope, malformed answers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.platforms.comments import fetch_post_comments, fetch_replies, reply_to_comment
from app.platforms.errors import (
    AccessRevoked,
    BadResponse,
    PlatformUnavailable,
    QuotaExceeded,
    ScopeMissing,
    TokenExpired,
)
from app.platforms.linkedin import LinkedInAdapter
from app.platforms.linkedin_org import LinkedInOrgAdapter
from tests.platforms.conftest import connect
from tests.support.sandbox import SandboxControl

ORG = "urn:li:organization:558001"
READ = "openid profile r_member_profileAnalytics r_member_postAnalytics rw_organization_admin r_organization_social"


@pytest.fixture
def page(sandbox: SandboxControl, make_adapter: Any) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    sandbox.set_clock(now=now.isoformat())
    posts = [{"published_at": (now - timedelta(days=1)).isoformat(), "caption": "news", "comment_count": 130}]
    acc = sandbox.create_account("linkedin", "li.adapterpage", 3_000, seed=44, posts=posts)
    sandbox.linkedin_organizations(acc["id"], [{"name": "Acme", "id": "558001"}])
    post = sandbox.account(acc["id"], posts=True)["posts"][0]["id"]
    return {"account": acc, "post": post, "now": now}


def _adapter(sandbox: SandboxControl, make_adapter: Any, account_id: str, scopes: str = READ) -> tuple[Any, str]:
    li = make_adapter("linkedin", LINKEDIN_SCOPES=scopes)
    assert isinstance(li, LinkedInAdapter)
    token = connect(sandbox, li, account_id).access_token
    return LinkedInOrgAdapter(li, ORG), token


def test_paged_comments_replies_and_actors(sandbox: SandboxControl, make_adapter: Any, page: dict[str, Any]) -> None:
    acc, post, now = page["account"], page["post"], page["now"]
    ids = [
        sandbox.add_comment(
            acc["id"], f"c{i}", f"fan{i}", post_id=post, published_at=(now - timedelta(minutes=200 - i)).isoformat()
        )
        for i in range(130)
    ]
    sandbox.add_comment(acc["id"], "thanks", "acme", parent_id=ids[5], author_id=ORG)
    sandbox.add_comment(acc["id"], "me too", "fan9", parent_id=ids[5])
    adapter, token = _adapter(sandbox, make_adapter, acc["id"])
    sandbox.clear_calls()
    got = fetch_post_comments(adapter, token, post, {})
    calls = sandbox.calls("linkedin")
    # two pages of 100 + the replies of the one comment that has some
    assert len(calls) == 3
    # the sandbox answers 400 VERSION_MISSING / 426 without a live LinkedIn-Version header
    assert all(c["status"] == 200 and "/rest/socialActions/" in c["path"] for c in calls)
    tops = [c for c in got if c.parent_id is None]
    assert len(tops) == 130
    assert len(got) == 132
    five = next(c for c in got if c.platform_id == ids[5])
    assert five.reply_count == 2
    kids = got[got.index(five) + 1 : got.index(five) + 3]
    assert [k.text for k in kids] == ["thanks", "me too"]
    assert kids[0].author_id == ORG
    assert kids[0].author_url == "https://www.linkedin.com/company/558001/"
    assert kids[1].author_id.startswith("urn:li:person:")
    assert kids[1].author_url is None
    assert all(c.author_name is None and c.author_handle is None for c in got)
    # a second read with the reply count known: no reply call
    sandbox.clear_calls()
    again = fetch_post_comments(adapter, token, post, {ids[5]: 2})
    assert len(sandbox.calls("linkedin")) == 2
    assert len(again) == 130  # the thread's replies were not re-read (kept as stored)


def test_reply_as_the_page_and_landing_check(sandbox: SandboxControl, make_adapter: Any, page: dict[str, Any]) -> None:
    acc, post = page["account"], page["post"]
    top = sandbox.add_comment(acc["id"], "Is it remote?", "fan", post_id=post)
    read_only, token = _adapter(sandbox, make_adapter, acc["id"])
    with pytest.raises(ScopeMissing):
        reply_to_comment(read_only, token, top, "Yes", post)
    adapter, token = _adapter(sandbox, make_adapter, acc["id"], READ + " w_organization_social")
    urn = reply_to_comment(adapter, token, top, "Yes, fully remote.", post)
    assert urn.startswith("urn:li:comment:(")
    [mine] = fetch_replies(adapter, token, top, post)
    assert (mine.platform_id, mine.author_id, mine.text, mine.parent_id) == (urn, ORG, "Yes, fully remote.", top)


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("quota_exceeded", QuotaExceeded),
        ("token_revoked", AccessRevoked),
        ("token_expired", TokenExpired),
        ("server_error", PlatformUnavailable),
        ("malformed", BadResponse),
    ],
)
def test_faults_are_typed(
    sandbox: SandboxControl, make_adapter: Any, page: dict[str, Any], kind: str, error: type[Exception]
) -> None:
    acc, post = page["account"], page["post"]
    sandbox.add_comment(acc["id"], "hi", "fan", post_id=post)
    adapter, token = _adapter(sandbox, make_adapter, acc["id"])
    sandbox.add_fault("linkedin", kind, path_contains="socialActions")
    with pytest.raises(error):
        fetch_post_comments(adapter, token, post, {})


def test_missing_scope_and_garbled_elements(sandbox: SandboxControl, make_adapter: Any, page: dict[str, Any]) -> None:
    acc, post = page["account"], page["post"]
    sandbox.add_comment(acc["id"], "hi", "fan", post_id=post)
    without, token = _adapter(sandbox, make_adapter, acc["id"], READ.replace(" r_organization_social", ""))
    with pytest.raises(ScopeMissing):
        fetch_post_comments(without, token, post, {})
    from app.platforms.linkedin_comments import _comment

    with pytest.raises(BadResponse):
        _comment({"commentUrn": "urn:li:comment:(urn:li:activity:1,2)", "message": {"text": 5}}, post, None)
    with pytest.raises(BadResponse):
        _comment({"commentUrn": "x", "message": {"text": "hi"}, "created": {"time": 1}}, post, None)
    with pytest.raises(BadResponse):
        _comment({"commentUrn": "urn:li:comment:(urn:li:activity:1,2)", "message": {"text": "hi"}}, post, None)
    odd = _comment(
        {
            "commentUrn": "urn:li:comment:(urn:li:activity:1,2)",
            "message": {"text": "<script>x</script>"},
            "created": {"time": 1_790_000_000_000},
            "actor": "javascript:alert(1)",
            "likesSummary": {"totalLikes": "many"},
        },
        post,
        None,
    )
    assert (odd.author_id, odd.author_url, odd.like_count, odd.reply_count) == (None, None, None, None)
    assert odd.text == "<script>x</script>"
