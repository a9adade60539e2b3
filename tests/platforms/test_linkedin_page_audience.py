"""A LinkedIn Company Page's follower demographics and page views read by the adapter from the sandbox:
facets as organic + paid counts, geo and industry ids named through the standardized-data API (a
country back to its ISO code), unknown ids counted as "other", a Page below the threshold, malformed
answers and hostile names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.platforms import BadResponse
from app.platforms.linkedin import LinkedInAdapter
from app.platforms.linkedin_org import LinkedInOrgAdapter, organization_daily
from app.platforms.linkedin_page_audience import _facet
from tests.platforms.conftest import connect
from tests.support.sandbox import SandboxControl

ORG = "urn:li:organization:777001"
SCOPES = "openid profile r_member_profileAnalytics r_member_postAnalytics rw_organization_admin r_organization_social"
HOSTILE = "<script>alert(1)</script> Widgets"


@pytest.fixture(autouse=True)
def real_clock(sandbox: SandboxControl) -> None:
    sandbox.set_clock(now=datetime.now(UTC).replace(microsecond=0).isoformat())


def _page(sandbox: SandboxControl, make_adapter: Any, followers: int, **truths: Any) -> tuple[LinkedInOrgAdapter, str]:
    li = make_adapter("linkedin", LINKEDIN_SCOPES=SCOPES)
    assert isinstance(li, LinkedInAdapter)
    acc = sandbox.create_account("linkedin", f"li.page{followers}", followers, seed=41, account_type="ADMINISTRATOR")
    sandbox.linkedin_organizations(acc["id"], [{"name": "Acme", "id": "777001", "followers_percent": 50, **truths}])
    token = connect(sandbox, li, acc["id"]).access_token
    return LinkedInOrgAdapter(li, ORG), token


def test_facets_counted_and_named(make_adapter: Any, sandbox: SandboxControl) -> None:
    audience = {
        "countries": [{"code": "US", "share": 60}, {"code": "DE", "share": 40}],
        "regions": [{"geo": "90000084", "share": 100}],
        "seniority": {"4": 50, "6": 30, "10": 20},
        "industries": {"4": 70, "9001": 20, "9002": 10},  # 9002: LinkedIn does not name it
        "industry_names": {"9001": HOSTILE},
        "functions": {"12": 100},
        "company_sizes": {"SIZE_11_TO_50": 25, "SIZE_2_TO_10": 75},
        "employees": 12,
    }
    page, token = _page(sandbox, make_adapter, 10_000, audience=audience)  # the Page: 5,000 followers
    sandbox.clear_calls()
    raw = page.audience(token)
    # each value: int(5,000 x share) followers, 2 % of them paid; organic + paid = the whole
    assert raw.breakdowns["countries"] == {"US": 3_000.0, "DE": 2_000.0}  # "United States" read back as US
    assert raw.breakdowns["regions"] == {"San Francisco Bay Area": 5_000.0}
    assert raw.breakdowns["seniority"] == {"4": 2_500.0, "6": 1_500.0, "10": 1_000.0}
    assert raw.breakdowns["industries"] == {"Software Development": 3_500.0, HOSTILE: 1_000.0, "other": 500.0}
    assert raw.breakdowns["functions"] == {"12": 5_000.0}
    assert raw.breakdowns["company_sizes"] == {"SIZE_11_TO_50": 1_250.0, "SIZE_2_TO_10": 3_750.0}
    assert raw.breakdowns["employees"] == {"EMPLOYEE": 12.0}
    assert raw.failed == []
    paths = [c["path"] for c in sandbox.calls("linkedin")]
    assert len(paths) == 3  # follower statistics + one geo batch + one industry batch
    assert any(p.endswith("/v2/geo") for p in paths)
    assert any(p.endswith("/v2/industryTaxonomyVersions/DEFAULT/industries") for p in paths)


def test_page_views_by_day(make_adapter: Any, sandbox: SandboxControl) -> None:
    today = datetime.now(UTC).date()
    y1, y2 = today - timedelta(days=1), today - timedelta(days=2)
    page, token = _page(sandbox, make_adapter, 10_000, page_views={y1.isoformat(): 321, y2.isoformat(): 0})
    days = {d.day: d.metrics for d in organization_daily(page, token, ORG, y2, y1)}
    assert days[y1]["page_views"] == 321
    assert days[y2]["page_views"] == 0
    assert {"new_followers", "views"} <= set(days[y1])


def test_a_small_page_has_no_facets_and_costs_one_call(make_adapter: Any, sandbox: SandboxControl) -> None:
    page, token = _page(sandbox, make_adapter, 150)  # 75 followers: under the sandbox's 100
    sandbox.clear_calls()
    raw = page.audience(token)
    assert raw.breakdowns == {}
    assert len(sandbox.calls("linkedin")) == 1


def test_malformed_answers_raise(make_adapter: Any, sandbox: SandboxControl) -> None:
    page, token = _page(sandbox, make_adapter, 10_000)
    sandbox.add_fault("linkedin", "malformed", path_contains="organizationalEntityFollowerStatistics")
    with pytest.raises(BadResponse):
        page.audience(token)
    with pytest.raises(BadResponse, match="not a number"):
        _facet(
            "followerCountsBySeniority",
            [{"seniority": "urn:li:seniority:4", "followerCounts": {"organicFollowerCount": "x"}}],
        )
    with pytest.raises(BadResponse, match="not a list"):
        _facet("followerCountsByIndustry", {"industry": "urn:li:industry:4"})
    # an older answer's country URN is its ISO code; a value that is no URN of the facet is "other"
    assert _facet(
        "followerCountsByCountry",
        [
            {"country": "urn:li:country:us", "followerCounts": {"organicFollowerCount": 7}},
            {"country": "urn:li:region:84", "followerCounts": {"organicFollowerCount": 3, "paidFollowerCount": 1}},
        ],
    ) == {"US": 7, "other": 4}


def test_geo_names_refused_leave_the_places_out(make_adapter: Any, sandbox: SandboxControl) -> None:
    page, token = _page(sandbox, make_adapter, 10_000)
    sandbox.add_fault("linkedin", "malformed", path_contains="/v2/geo")
    raw = page.audience(token)
    assert "countries" not in raw.breakdowns
    assert "regions" not in raw.breakdowns
    assert raw.failed == ["countries and regions"]
    assert raw.breakdowns["seniority"]  # the other facets stand
