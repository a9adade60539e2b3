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


def test_page_audience_page_views_and_names_through_the_official_client(
    sandbox: SandboxControl,
    admin: dict[str, Any],
    official: Any,  # noqa: F811
) -> None:
    """The Page's audience and page-view truths (control API) as LinkedIn's shapes, read by RestliClient:
    lifetime facets as organic + paid counts, page views by DAY, geo and industry names batch-got."""
    from linkedin_api.clients.restli.client import RestliClient

    audience = {"countries": [{"code": "US", "share": 75}, {"code": "GB", "share": 25}], "seniority": {"5": 100}}
    view = sandbox._call(
        "PATCH",
        f"linkedin/accounts/{admin['id']}/organizations/555001",
        json={"audience": audience, "page_views": {"2026-10-14": 42}},
    )
    [acme] = [o for o in view["organizations"] if o["id"] == "555001"]
    assert acme["audience"]["seniority"] == {"5": 100.0}
    assert acme["audience"]["industries"]  # the default's, not replaced
    client = RestliClient()
    token = sandbox.connect("linkedin", admin["id"])["access_token"]
    stats = client.finder(
        resource_path="/organizationalEntityFollowerStatistics",
        finder_name="organizationalEntity",
        query_params={"organizationalEntity": "urn:li:organization:555001"},
        access_token=token,
        version_string=VERSION,
    )
    [element] = stats.elements
    # 3,000 followers (50 % of 6,000): US 2,250 = 2,205 organic + 45 paid (2 %); GB 750 = 735 + 15
    assert element["followerCountsByGeoCountry"] == [
        {"geo": "urn:li:geo:103644278", "followerCounts": {"organicFollowerCount": 2_205, "paidFollowerCount": 45}},
        {"geo": "urn:li:geo:101165590", "followerCounts": {"organicFollowerCount": 735, "paidFollowerCount": 15}},
    ]
    assert element["followerCountsBySeniority"] == [
        {"seniority": "urn:li:seniority:5", "followerCounts": {"organicFollowerCount": 2_940, "paidFollowerCount": 60}}
    ]
    assert stats.response.headers.get("Content-Type", "").startswith("application/json")
    geo = client.batch_get(resource_path="/geo", ids=[103644278, 101165590, 1], access_token=token)
    assert geo.results["103644278"]["defaultLocalizedName"]["value"] == "United States"
    assert geo.results["101165590"]["defaultLocalizedName"]["value"] == "United Kingdom"
    assert geo.errors["1"]["status"] == 404  # unknown: an error entry, not a failed call
    industry = client.batch_get(
        resource_path="/industryTaxonomyVersions/DEFAULT/industries", ids=[137], access_token=token
    )
    assert industry.results["137"]["name"]["localized"]["en_US"] == "Human Resources Services"
    start = datetime(2026, 10, 13, tzinfo=UTC)
    interval = {
        "timeRange": {
            "start": int(start.timestamp() * 1000),
            "end": int((start + timedelta(days=2)).timestamp() * 1000),
        },
        "timeGranularityType": "DAY",
    }
    views = client.finder(
        resource_path="/organizationPageStatistics",
        finder_name="organization",
        query_params={"organization": "urn:li:organization:555001", "timeIntervals": interval},
        access_token=token,
        version_string=VERSION,
    )
    assert len(views.elements) == 2
    last = views.elements[-1]
    assert last["timeRange"]["start"] == int(datetime(2026, 10, 14, tzinfo=UTC).timestamp() * 1000)
    page = last["totalPageStatistics"]["views"]
    assert page["allPageViews"] == {"pageViews": 42}
    assert page["allDesktopPageViews"]["pageViews"] + page["allMobilePageViews"]["pageViews"] == 42
    denied = rest(
        sandbox, "organizationPageStatistics?q=organization&organization=urn%3Ali%3Aorganization%3A555003", token
    )
    envelope(denied, 403, "ACCESS_DENIED")  # an ANALYST of that Page
    envelope(
        rest(
            sandbox,
            "organizationPageStatistics?q=organization&organization=urn%3Ali%3Aorganization%3A555001",
            token,
            headers={"X-Restli-Protocol-Version": "2.0.0"},
        ),
        400,
        "VERSION_MISSING",
    )


def test_a_small_page_answers_empty_facets(sandbox: SandboxControl, admin: dict[str, Any]) -> None:
    sandbox.linkedin_organizations(admin["id"], [{"name": "Tiny", "id": "555009", "followers_percent": 1}])  # 60
    token = sandbox.connect("linkedin", admin["id"])["access_token"]
    resp = rest(
        sandbox,
        "organizationalEntityFollowerStatistics?q=organizationalEntity&organizationalEntity=urn%3Ali%3Aorganization%3A555009",
        token,
    )
    [element] = resp.json()["elements"]
    assert element["organizationalEntity"] == "urn:li:organization:555009"
    assert element["followerCountsBySeniority"] == []
    assert element["followerCountsByGeoCountry"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"audience": {"countries": [{"code": "ZZ", "share": 10}]}},
        {"audience": {"seniority": {"99": 10}}},
        {"audience": {"age": {"18-24": 10}}},
        {"audience": {"employees": -1}},
        {"page_views": {"yesterday": 3}},
        {"page_views": {"2026-10-01": -3}},
    ],
)
def test_control_api_rejects_bad_page_truths(sandbox: SandboxControl, admin: dict[str, Any], body: Any) -> None:
    with pytest.raises(SandboxError) as err:
        sandbox._call("PATCH", f"linkedin/accounts/{admin['id']}/organizations/555001", json=body)
    assert err.value.status_code == 400
