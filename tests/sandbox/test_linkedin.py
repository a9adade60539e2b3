"""LinkedIn over real HTTP: 3-legged OAuth, versioned headers, Rest.li paging, error envelope, roles,
daily limits and faults, read through LinkedIn's official ``linkedin-api-client`` where it applies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support.sandbox import CLIENTS, REDIRECT_URI, SandboxControl

CID, SECRET = CLIENTS["linkedin"]
VERSION = "202610"
HEADERS = {"LinkedIn-Version": VERSION, "X-Restli-Protocol-Version": "2.0.0"}


def rest(sandbox: SandboxControl, path: str, token: str | None, headers: dict[str, str] | None = None) -> Any:
    h = dict(HEADERS if headers is None else headers)
    if token:
        h["Authorization"] = f"Bearer {token}"
    return requests.get(sandbox.url(f"api.linkedin.com/rest/{path}"), headers=h, timeout=10)


def envelope(resp: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["message"]
    return body  # type: ignore[no-any-return]


@pytest.fixture
def member(sandbox: SandboxControl) -> dict[str, Any]:
    return sandbox.create_account("linkedin", "li.creator", 4_200, seed=21)


@pytest.fixture
def admin(sandbox: SandboxControl) -> dict[str, Any]:
    return sandbox.create_account("linkedin", "li.admin", 9_000, seed=22, account_type="ADMINISTRATOR")


@pytest.fixture
def official(sandbox: SandboxControl) -> Iterator[Any]:
    """linkedin-api-client's module-level base URLs pointed at the sandbox (platforms-deep-data.md §8)."""
    import linkedin_api.clients.auth.utils.oauth as oauth_mod
    import linkedin_api.common.constants as constants

    saved = (constants.VERSIONED_BASE_URL, constants.NON_VERSIONED_BASE_URL, constants.OAUTH_BASE_URL)
    constants.VERSIONED_BASE_URL = sandbox.url("api.linkedin.com/rest")
    constants.NON_VERSIONED_BASE_URL = sandbox.url("api.linkedin.com/v2")
    constants.OAUTH_BASE_URL = oauth_mod.OAUTH_BASE_URL = sandbox.url("www.linkedin.com/oauth/v2")
    yield constants
    constants.VERSIONED_BASE_URL, constants.NON_VERSIONED_BASE_URL, constants.OAUTH_BASE_URL = saved
    oauth_mod.OAUTH_BASE_URL = saved[2]


def test_oauth_lifetimes_refresh_does_not_extend_and_revoke(sandbox: SandboxControl, member: dict[str, Any]) -> None:
    page = requests.get(sandbox.authorize_url("linkedin"), timeout=10)
    assert page.status_code == 200
    assert f'value="{member["id"]}"' in page.text
    tokens = sandbox.connect("linkedin", member["id"])
    assert tokens["expires_in"] == 60 * 86400
    assert tokens["refresh_token_expires_in"] == 365 * 86400
    assert set(tokens["scope"].split(",")) >= {"openid", "r_member_postAnalytics"}
    sandbox.advance_days(59)
    again = requests.post(
        sandbox.url("www.linkedin.com/oauth/v2/accessToken"),
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": CID,
            "client_secret": SECRET,
        },
        timeout=10,
    ).json()
    assert again["expires_in"] == 60 * 86400
    assert again["refresh_token_expires_in"] == 306 * 86400  # fixed from the first grant
    intro = requests.post(
        sandbox.url("www.linkedin.com/oauth/v2/introspectToken"),
        data={"client_id": CID, "client_secret": SECRET, "token": again["access_token"]},
        timeout=10,
    ).json()
    assert intro["status"] == "active"
    assert intro["auth_type"] == "3L"
    revoked = requests.post(
        sandbox.url("www.linkedin.com/oauth/v2/revoke"),
        data={"client_id": CID, "client_secret": SECRET, "token": again["access_token"]},
        timeout=10,
    )
    assert revoked.status_code == 200
    assert revoked.text == ""
    envelope(rest(sandbox, "memberFollowersCount?q=me", again["access_token"]), 401, "REVOKED_ACCESS_TOKEN")
    refresh = requests.post(
        sandbox.url("www.linkedin.com/oauth/v2/accessToken"),
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": CID,
            "client_secret": SECRET,
        },
        timeout=10,
    )
    assert refresh.status_code == 400
    assert refresh.json()["error"] == "invalid_request"


def test_denied_consent_and_bad_scope_redirect(sandbox: SandboxControl, member: dict[str, Any]) -> None:
    location = sandbox.consent(sandbox.authorize_url("linkedin"), member["id"], decision="deny")
    assert sandbox.redirect_params(location)["error"] == "user_cancelled_authorize"
    bad = requests.get(
        sandbox.authorize_url("linkedin", scope="openid r_everything"), allow_redirects=False, timeout=10
    )
    assert sandbox.redirect_params(bad.headers["Location"])["error"] == "unauthorized_scope_error"


def test_versioned_headers_are_required(sandbox: SandboxControl, member: dict[str, Any]) -> None:
    token = sandbox.connect("linkedin", member["id"])["access_token"]
    envelope(
        rest(sandbox, "memberFollowersCount?q=me", token, {"X-Restli-Protocol-Version": "2.0.0"}),
        400,
        "VERSION_MISSING",
    )
    old = {"LinkedIn-Version": "202406", "X-Restli-Protocol-Version": "2.0.0"}
    envelope(rest(sandbox, "memberFollowersCount?q=me", token, old), 426, "NONEXISTENT_VERSION")
    ok = rest(sandbox, "memberFollowersCount?q=me", token)
    assert ok.json()["elements"][0]["memberFollowersCount"] == 4_200


def test_official_client_reads_profile_followers_posts_and_analytics(
    sandbox: SandboxControl, member: dict[str, Any], official: Any
) -> None:
    from linkedin_api.clients.auth.client import AuthClient
    from linkedin_api.clients.restli.client import RestliClient

    location = sandbox.consent(sandbox.authorize_url("linkedin"), member["id"])
    code = sandbox.redirect_params(location)["code"]
    auth = AuthClient(client_id=CID, client_secret=SECRET, redirect_url=REDIRECT_URI)
    got = auth.exchange_auth_code_for_access_token(code)
    assert got.status_code == 200
    assert got.expires_in == 60 * 86400
    token = got.access_token
    assert auth.exchange_refresh_token_for_access_token(got.refresh_token).access_token
    assert auth.introspect_access_token(token).status_code == 200

    client = RestliClient()
    me = client.get(resource_path="/userinfo", access_token=token)
    assert me.entity["sub"] == member["platform_user_id"]
    count = client.finder(
        resource_path="/memberFollowersCount", finder_name="me", access_token=token, version_string=VERSION
    )
    assert count.elements[0]["memberFollowersCount"] == 4_200
    person = f"urn:li:person:{member['platform_user_id']}"
    first = client.finder(
        resource_path="/posts",
        finder_name="author",
        query_params={"author": person, "count": 5},
        access_token=token,
        version_string=VERSION,
    )
    assert len(first.elements) == 5
    assert first.paging.start == 0
    assert first.paging.total > 5
    second = client.finder(
        resource_path="/posts",
        finder_name="author",
        query_params={"author": person, "count": 5, "start": 5},
        access_token=token,
        version_string=VERSION,
    )
    assert {e["id"] for e in first.elements}.isdisjoint({e["id"] for e in second.elements})
    urn = first.elements[0]["id"]
    total = client.finder(
        resource_path="/memberCreatorPostAnalytics",
        finder_name="entity",
        query_params={"entity": {"share": urn}, "queryType": "IMPRESSION", "aggregation": "TOTAL"},
        access_token=token,
        version_string=VERSION,
    )
    assert total.elements[0]["count"] >= 0
    daily = client.finder(
        resource_path="/memberCreatorPostAnalytics",
        finder_name="me",
        query_params={
            "queryType": "REACTION",
            "aggregation": "DAILY",
            "dateRange": {"start": {"year": 2026, "month": 10, "day": 1}, "end": {"year": 2026, "month": 10, "day": 8}},
        },
        access_token=token,
        version_string=VERSION,
    )
    assert len(daily.elements) == 7
    assert daily.elements[0]["dateRange"]["start"] == {"year": 2026, "month": 10, "day": 1}
    calls = sandbox.calls("linkedin")
    assert all(c["status"] in (200, 302) for c in calls), calls


def test_organization_statistics_need_the_administrator_role(
    sandbox: SandboxControl, member: dict[str, Any], admin: dict[str, Any], official: Any
) -> None:
    from linkedin_api.clients.restli.client import RestliClient

    client = RestliClient()
    admin_token = sandbox.connect("linkedin", admin["id"])["access_token"]
    member_token = sandbox.connect("linkedin", member["id"])["access_token"]
    acls = client.finder(
        resource_path="/organizationAcls",
        finder_name="roleAssignee",
        query_params={"role": "ADMINISTRATOR", "state": "APPROVED"},
        access_token=admin_token,
        version_string=VERSION,
    )
    org = acls.elements[0]["organization"]
    assert org == sandbox.account(admin["id"])["organization_urn"]
    interval = {"timeRange": {"start": 1_759_276_800_000, "end": 1_759_536_000_000}, "timeGranularityType": "DAY"}
    stats = client.finder(
        resource_path="/organizationalEntityFollowerStatistics",
        finder_name="organizationalEntity",
        query_params={"organizationalEntity": org, "timeIntervals": interval},
        access_token=admin_token,
        version_string=VERSION,
    )
    assert len(stats.elements) == 3
    assert "organicFollowerGain" in stats.elements[0]["followerGains"]
    size = client.get(
        resource_path="/networkSizes/{id}",
        path_keys={"id": org},
        query_params={"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"},
        access_token=admin_token,
        version_string=VERSION,
    )
    assert size.entity["firstDegreeSize"] == 3_000
    none = client.finder(
        resource_path="/organizationAcls",
        finder_name="roleAssignee",
        query_params={"role": "ADMINISTRATOR"},
        access_token=member_token,
        version_string=VERSION,
    )
    assert none.elements == []
    denied = client.finder(
        resource_path="/organizationalEntityFollowerStatistics",
        finder_name="organizationalEntity",
        query_params={"organizationalEntity": org},
        access_token=member_token,
        version_string=VERSION,
    )
    assert denied.status_code == 403
    body = denied.response.json()
    assert body["code"] == "ACCESS_DENIED"
    assert body["serviceErrorCode"] == 100


def test_daily_member_limit_answers_429_without_headers(
    sandbox: SandboxControl, member: dict[str, Any], sandbox_app: Any
) -> None:
    token = sandbox.connect("linkedin", member["id"])["access_token"]
    cfg = sandbox_app.extensions["sandbox"].cfg
    old = cfg["LI_MEMBER_DAILY_LIMIT"]
    cfg["LI_MEMBER_DAILY_LIMIT"] = 2
    try:
        assert rest(sandbox, "memberFollowersCount?q=me", token).status_code == 200
        assert rest(sandbox, "memberFollowersCount?q=me", token).status_code == 200
        quota = sandbox.quota()["linkedin"]
        assert {(q["scope"], q["resource"], q["used"]) for q in quota} >= {("member", "memberFollowersCount", 2)}
        over = rest(sandbox, "memberFollowersCount?q=me", token)
        body = envelope(over, 429, "TOO_MANY_REQUESTS")
        assert "MEMBER DAY limit" in body["message"]
        assert "Retry-After" not in over.headers
        assert (
            rest(sandbox, "posts?q=author&author=urn%3Ali%3Aperson%3A" + member["platform_user_id"], token).status_code
            == 200
        )  # per endpoint
        sandbox.advance_days(1)
        assert rest(sandbox, "memberFollowersCount?q=me", token).status_code == 200  # reset at 00:00 UTC
    finally:
        cfg["LI_MEMBER_DAILY_LIMIT"] = old


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("rate_limited", 429, "TOO_MANY_REQUESTS"),
        ("quota_exceeded", 429, "TOO_MANY_REQUESTS"),
        ("server_error", 500, "INTERNAL_SERVER_ERROR"),
        ("token_expired", 401, "EXPIRED_ACCESS_TOKEN"),
        ("token_revoked", 401, "REVOKED_ACCESS_TOKEN"),
    ],
)
def test_faults_use_linkedins_envelope(
    sandbox: SandboxControl, member: dict[str, Any], kind: str, status: int, code: str
) -> None:
    token = sandbox.connect("linkedin", member["id"])["access_token"]
    sandbox.add_fault("linkedin", kind, path_contains="/memberFollowersCount")
    envelope(rest(sandbox, "memberFollowersCount?q=me", token), status, code)


def test_malformed_fault_and_bad_restli(sandbox: SandboxControl, member: dict[str, Any]) -> None:
    token = sandbox.connect("linkedin", member["id"])["access_token"]
    sandbox.add_fault("linkedin", "malformed", path_contains="/memberFollowersCount")
    garbled = rest(sandbox, "memberFollowersCount?q=me", token)
    with pytest.raises(requests.JSONDecodeError):
        garbled.json()
    bad = rest(
        sandbox, "memberCreatorPostAnalytics?q=me&queryType=IMPRESSION&aggregation=DAILY&dateRange=(start:(year", token
    )
    envelope(bad, 400, "ILLEGAL_ARGUMENT")
    reached = rest(
        sandbox,
        "memberCreatorPostAnalytics?q=me&queryType=MEMBERS_REACHED&aggregation=DAILY"
        "&dateRange=(start:(year:2026,month:10,day:1))",
        token,
    )
    envelope(reached, 400, "ILLEGAL_ARGUMENT")
    other = rest(sandbox, "posts?q=author&author=urn%3Ali%3Aperson%3Asomeoneelse", token)
    envelope(other, 403, "ACCESS_DENIED")
