"""A LinkedIn Company Page's Audience section and audience answer: seniority, industries, job functions,
company sizes and countries in words (never a URN or a raw id), hostile names escaped, a Page below
LinkedIn's threshold, a member profile told plainly that LinkedIn gives no audience data, and page
views in the insights."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import AccountInsight, AudienceSnapshot
from app.stats.audience import audience_payload
from app.stats.query import today
from app.web.audience_labels import audience_label
from tests.support import history as h

HOSTILE = "<script>alert(1)</script> Widgets & Co"
#: raw follower counts (organic + paid) as the adapter reads them; shares below computed by hand
RAW = {
    "countries": {"US": 3_000.0, "DE": 1_500.0, "other": 500.0},
    "seniority": {"4": 2_500.0, "6": 1_500.0, "42": 1_000.0},  # 42: an id the app's table lacks
    "industries": {"Software Development": 3_000.0, HOSTILE: 1_000.0, "other": 1_000.0},
    "functions": {"12": 4_000.0, "25": 1_000.0},
    "company_sizes": {"SIZE_11_TO_50": 1_250.0, "SIZE_2_TO_10": 3_750.0},
}


@pytest.fixture
def page_client(factory):
    coach = factory.coach(email="coach@example.com")
    c = factory.client(coach=coach, email="c@example.com", name="Cora")
    page = h.connection(c, "linkedin", username=None, account_type="organization", display_name="Acme")
    h.daily(page, today() - timedelta(days=10), [5_000 + i for i in range(11)])
    payload = audience_payload(RAW, {})
    payload["employee_followers"] = 12
    db.session.add_all(
        [
            AudienceSnapshot(connection_id=page.id, taken_on=today() - timedelta(days=2), payload=payload, base=5_000),
            AccountInsight(connection_id=page.id, day=today() - timedelta(days=3), metric="page_views", value=120.0),
            AccountInsight(connection_id=page.id, day=today() - timedelta(days=2), metric="page_views", value=80.0),
        ]
    )
    db.session.commit()
    return c


def test_payload_shares_by_hand() -> None:
    got = audience_payload(RAW, {})
    assert got["countries"] == [
        {"code": "US", "share": 60.0},
        {"code": "DE", "share": 30.0},
        {"code": "other", "share": 10.0},
    ]
    assert got["seniority"] == {"4": 50.0, "6": 30.0, "42": 20.0}
    assert got["industries"] == {"Software Development": 60.0, HOSTILE: 20.0, "other": 20.0}
    assert got["functions"] == {"12": 80.0, "25": 20.0}
    assert list(got["company_sizes"].items()) == [("SIZE_2_TO_10", 75.0), ("SIZE_11_TO_50", 25.0)]  # by size


def test_labels_are_words_with_a_clear_fallback() -> None:
    assert audience_label("seniority", "4") == "Senior"
    assert audience_label("seniority", "42") == "Other seniority"
    assert audience_label("functions", "12") == "Human Resources"
    assert audience_label("functions", "99") == "Other job functions"
    assert audience_label("company_sizes", "SIZE_10001_OR_MORE") == "10,001+ employees"
    assert audience_label("company_sizes", "SIZE_NEW") == "Other company size"
    assert audience_label("industries", "other") == "Other industries"
    assert audience_label("countries", "other") == "Other or unknown countries"
    assert audience_label("countries", "DE") == "Germany"


def test_the_page_shows_its_followers_in_words(client, page_client):
    client.login("c@example.com")
    text = client.get("/portal/analytics/linkedin?range=30d").get_data(as_text=True)
    assert '<h2 id="aud-h">Audience</h2>' in text
    for words in (
        "Seniority",
        ">Senior<",
        ">Director<",
        ">Other seniority<",
        "Job functions",
        ">Human Resources<",
        ">Sales<",
        "Company size",
        ">2-10 employees<",
        ">11-50 employees<",
        "Industries",
        ">Software Development<",
        ">Other industries<",
        ">United States<",
        ">Germany<",
        ">Other or unknown countries<",
        "12 followers work at the company",
        "organic and paid followers together",
    ):
        assert words in text, words
    assert text.index(">2-10 employees<") < text.index(">11-50 employees<")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Widgets &amp; Co" in text
    assert "<script>alert(1)" not in text
    assert "urn:li:" not in text
    assert '<meter min="0" max="100" value="50.0">' in text  # Senior's bar
    assert "Page views" in text  # the KPI and the insights chart's series
    assert ">200<" in text  # 120 + 80 page views in the period


def test_a_small_page_and_a_member_profile_say_why(client, factory):
    coach = factory.coach(email="coach@example.com")
    small = factory.client(coach=coach, email="s@example.com", name="Sam")
    page = h.connection(small, "linkedin", username=None, account_type="organization")
    h.daily(page, today() - timedelta(days=3), [40, 41, 42, 43])
    db.session.add(AudienceSnapshot(connection_id=page.id, taken_on=today() - timedelta(days=1), payload={}))
    member = factory.client(coach=coach, email="m@example.com", name="Mo")
    conn = h.connection(member, "linkedin", username=None, account_type="member")
    h.daily(conn, today() - timedelta(days=3), [400, 401, 402, 403])
    db.session.commit()
    client.login("s@example.com")
    text = client.get("/portal/analytics/linkedin?range=30d").get_data(as_text=True)
    assert "Shown once the Page has enough followers" in text
    answer = client.get("/api/portal/social/linkedin/audience").get_json()
    assert answer["available"] is False
    assert answer["reason"].startswith("Shown once the Page has enough followers")
    client.logout()
    client.login("m@example.com")
    text = client.get("/portal/analytics/linkedin?range=30d").get_data(as_text=True)
    assert "LinkedIn gives apps no audience data for member (personal) profiles" in text
    answer = client.get("/api/portal/social/linkedin/audience").get_json()
    assert (answer["available"], answer["as_of"]) == (False, None)
    assert "member (personal) profiles" in answer["reason"]


def test_the_api_answers_the_pages_audience_and_page_views(client, page_client):
    client.login("c@example.com")
    answer = client.get("/api/portal/social/linkedin/audience").get_json()
    assert answer == {
        "platform": "linkedin",
        "as_of": (today() - timedelta(days=2)).isoformat(),
        "available": True,
        "reason": None,
        "countries": [{"code": "US", "share": 60.0}, {"code": "DE", "share": 30.0}, {"code": "other", "share": 10.0}],
        "seniority": {"4": 50.0, "6": 30.0, "42": 20.0},
        "industries": {"Software Development": 60.0, HOSTILE: 20.0, "other": 20.0},
        "functions": {"12": 80.0, "25": 20.0},
        "company_sizes": {"SIZE_2_TO_10": 75.0, "SIZE_11_TO_50": 25.0},
        "employee_followers": 12,
    }
    insights = client.get("/api/portal/social/linkedin/insights?range=30d").get_json()
    assert insights["totals"]["page_views"] == 200.0
    assert [d["page_views"] for d in insights["days"]] == [120.0, 80.0]


def test_the_weekly_report_names_the_pages_top_seniority_and_industry(app, page_client):
    import shutil
    import subprocess

    from app.reports import build, service

    r = build.weekly(page_client, today())
    [li] = [a for a in r["audience"] if a["platform"] == "linkedin"]
    assert li["top"]["seniority"] == {"name": "4", "share": 50.0}
    assert li["top"]["industries"] == {"name": "Software Development", "share": 60.0}
    assert li["insights"]["page_views"] == 200.0
    if shutil.which("pdftotext"):
        pdf = service.render_report_pdf(r)
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()  # noqa: S603,S607
        flat = " ".join(text.split())
        assert "mostly senior (50.0%)" in flat
        assert "largest industry Software Development (60.0%)" in flat


def test_the_coach_sees_the_pages_audience_on_the_client_page(client, page_client):
    client.login("coach@example.com")
    text = client.get(f"/admin/clients/{page_client.id}").get_data(as_text=True)
    assert "<summary>LinkedIn audience</summary>" in text
    assert '<h3 id="aud-linkedin-seniority">Seniority</h3>' in text
    assert ">Human Resources<" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Widgets &amp; Co" in text
    assert "<script>alert(1)" not in text
    assert "urn:li:" not in text
