"""LinkedIn Company Pages in the sandbox, read through LinkedIn's official ``linkedin-api-client``:
several Pages per member with roles and states (control API), ``organizationAcls`` filtered and paged,
``organizations/{id}``, share statistics per post (``shares=List(..)``) and per day (12 months kept),
version headers and error envelopes, and the control API's answers to bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.sandbox.test_linkedin import HEADERS, VERSION, envelope, official, rest  # noqa: F401
from tests.support.sandbox import SandboxControl, SandboxError

NOW = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def admin(sandbox: SandboxControl) -> dict[str, Any]:
    sandbox.set_clock(now=NOW.isoformat())
    posts = [
        {
            "published_at": (NOW - timedelta(days=d)).isoformat(),
            "caption": f"post {d}",
            "view_count": 1_000 * d,
            "like_count": 10 * d,
            "comment_count": d,
            "share_count": 1,
        }
        for d in (3, 8)
    ]
    acc = sandbox.create_account("linkedin", "li.pages", 6_000, seed=31, posts=posts)
    sandbox.linkedin_organizations(
        acc["id"],
        [
            {"name": "Acme <b>Corp</b>", "id": "555001", "vanity": "acme", "followers_percent": 50},
            {"name": "Beta", "id": "555002"},
            {"name": "Gamma", "id": "555003", "role": "ANALYST"},
            {"name": "Delta", "id": "555004", "state": "REVOKED"},
        ],
    )
    return acc


def test_acls_list_the_administered_pages_through_the_official_client(
    sandbox: SandboxControl,
    admin: dict[str, Any],
    official: Any,  # noqa: F811
) -> None:
    from linkedin_api.clients.restli.client import RestliClient

    client = RestliClient()
    token = sandbox.connect("linkedin", admin["id"])["access_token"]
    acls = client.finder(
        resource_path="/organizationAcls",
        finder_name="roleAssignee",
        query_params={"role": "ADMINISTRATOR", "state": "APPROVED"},
        access_token=token,
        version_string=VERSION,
    )
    assert [e["organization"] for e in acls.elements] == ["urn:li:organization:555001", "urn:li:organization:555002"]
    assert all(e["roleAssignee"] == f"urn:li:person:{admin['platform_user_id']}" for e in acls.elements)
    paged = client.finder(
        resource_path="/organizationAcls",
        finder_name="roleAssignee",
        query_params={"start": 1, "count": 2},
        access_token=token,
        version_string=VERSION,
    )
    assert [e["organization"] for e in paged.elements] == ["urn:li:organization:555002", "urn:li:organization:555003"]
    assert paged.paging.total == 4
    page = client.get(
        resource_path="/organizations/{id}", path_keys={"id": 555001}, access_token=token, version_string=VERSION
    )
    assert page.entity["localizedName"] == "Acme <b>Corp</b>"
    assert page.entity["vanityName"] == "acme"
    missing = client.get(
        resource_path="/organizations/{id}", path_keys={"id": 999}, access_token=token, version_string=VERSION
    )
    assert missing.status_code == 404
    size = client.get(
        resource_path="/networkSizes/{id}",
        path_keys={"id": "urn:li:organization:555001"},
        query_params={"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"},
        access_token=token,
        version_string=VERSION,
    )
    assert size.entity["firstDegreeSize"] == 3_000  # 50 % of 6,000


def test_share_statistics_per_post_and_per_day(
    sandbox: SandboxControl,
    admin: dict[str, Any],
    official: Any,  # noqa: F811
) -> None:
    from linkedin_api.clients.restli.client import RestliClient

    client = RestliClient()
    token = sandbox.connect("linkedin", admin["id"])["access_token"]
    posts = sandbox.account(admin["id"], posts=True)["posts"]
    urns = [p["id"] for p in posts]
    per_post = client.finder(
        resource_path="/organizationalEntityShareStatistics",
        finder_name="organizationalEntity",
        query_params={"organizationalEntity": "urn:li:organization:555002", "shares": [*urns, "urn:li:share:1"]},
        access_token=token,
        version_string=VERSION,
    )
    stats = {e["share"]: e["totalShareStatistics"] for e in per_post.elements}
    assert set(stats) == set(urns)  # an unknown post is absent, not an error
    by_days = {round((NOW - datetime.fromisoformat(p["published_at"])).total_seconds() / 86400): p for p in posts}
    assert stats[by_days[3]["id"]]["impressionCount"] == 3_000
    assert stats[by_days[8]["id"]]["likeCount"] == 80
    assert stats[by_days[8]["id"]]["commentCount"] == 8
    start = datetime(2025, 10, 10, tzinfo=UTC)  # older than 12 months before 2026-10-15: cut
    interval = {
        "timeRange": {"start": int(start.timestamp() * 1000), "end": int(NOW.timestamp() * 1000)},
        "timeGranularityType": "DAY",
    }
    daily = client.finder(
        resource_path="/organizationalEntityShareStatistics",
        finder_name="organizationalEntity",
        query_params={"organizationalEntity": "urn:li:organization:555001", "timeIntervals": interval},
        access_token=token,
        version_string=VERSION,
    )
    days = [datetime.fromtimestamp(e["timeRange"]["start"] / 1000, UTC).date() for e in daily.elements]
    assert days[0] == (NOW - timedelta(days=365)).date()
    assert days[-1] == (NOW - timedelta(days=1)).date()
    assert len(days) == 365


def test_revoked_and_analyst_roles_are_denied(sandbox: SandboxControl, admin: dict[str, Any]) -> None:
    token = sandbox.connect("linkedin", admin["id"])["access_token"]
    for org in ("555003", "555004"):
        resp = rest(
            sandbox,
            f"organizationalEntityFollowerStatistics?q=organizationalEntity&organizationalEntity=urn%3Ali%3Aorganization%3A{org}",
            token,
        )
        body = envelope(resp, 403, "ACCESS_DENIED")
        assert body["serviceErrorCode"] == 100
    sandbox.linkedin_organization(admin["id"], "555001", state="REVOKED")
    envelope(rest(sandbox, "posts?q=author&author=urn%3Ali%3Aorganization%3A555001", token), 403, "ACCESS_DENIED")
    missing = rest(sandbox, "organizations/555001", token, headers={"X-Restli-Protocol-Version": "2.0.0"})
    envelope(missing, 400, "VERSION_MISSING")
    sunset = rest(sandbox, "organizations/555001", token, headers={**HEADERS, "LinkedIn-Version": "202406"})
    envelope(sunset, 426, "NONEXISTENT_VERSION")


@pytest.mark.parametrize(
    "body",
    [
        {"organizations": [{"name": ""}]},
        {"organizations": [{"name": "A", "id": "12x"}]},
        {"organizations": [{"name": "A", "role": "OWNER"}]},
        {"organizations": [{"name": "A", "followers_percent": 101}]},
        {"organizations": [{"name": "A", "id": "1"}, {"name": "B", "id": "1"}]},
        {"organizations": "nope"},
    ],
)
def test_control_api_rejects_bad_organizations(sandbox: SandboxControl, admin: dict[str, Any], body: Any) -> None:
    with pytest.raises(SandboxError) as err:
        sandbox._call("PUT", f"linkedin/accounts/{admin['id']}/organizations", json=body)
    assert err.value.status_code == 400


def test_control_api_answers_unknown_accounts_and_pages(sandbox: SandboxControl, admin: dict[str, Any]) -> None:
    with pytest.raises(SandboxError) as err:
        sandbox.linkedin_organizations("li_404")
    assert err.value.status_code == 404
    with pytest.raises(SandboxError) as err:
        sandbox.linkedin_organization(admin["id"], "999", state="REVOKED")
    assert err.value.status_code == 404
    other = sandbox.create_account("linkedin", "li.other", 100, seed=32)
    with pytest.raises(SandboxError) as err:
        sandbox.linkedin_organizations(other["id"], [{"name": "Stolen", "id": "555001"}])
    assert err.value.status_code == 409
