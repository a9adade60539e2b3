"""A Facebook Page's Audience section and audience answer: its followers' countries (and cities) with
bars, shares and follower counts, the plain note that Meta removed age and gender in 2024, a Page
under the threshold, the coach's client page, the weekly report, and audience over time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import AudienceSnapshot
from app.platforms.audience import RawAudience
from app.stats.query import today
from app.sync.audience import write_audience
from tests.support import history as h

HOSTILE = "<script>alert(1)</script> Springs"
#: follower counts as page_follows_country / page_follows_city give them; shares computed by hand
RAW = RawAudience(
    breakdowns={
        "countries": {"IN": 6_000.0, "GB": 3_000.0, "other": 1_000.0},
        "cities": {"Mumbai, Maharashtra": 3_000.0, HOSTILE: 1_000.0},
    },
    keep_counts=("countries", "cities"),
)


@pytest.fixture
def page_client(factory):
    coach = factory.coach(email="coach@example.com")
    c = factory.client(coach=coach, email="c@example.com", name="Cora")
    page = h.connection(c, "facebook", username="cora.cooks", account_type="PAGE", display_name="Cora Cooks")
    h.daily(page, today() - timedelta(days=10), [10_000 + i for i in range(11)])
    # five weeks ago the Page was more British: audience over time compares the two reads
    older = RawAudience(breakdowns={"countries": {"IN": 5_000.0, "GB": 5_000.0}}, keep_counts=("countries",))
    write_audience(page.id, today() - timedelta(days=37), older, 9_000)
    assert write_audience(page.id, today() - timedelta(days=2), RAW, 10_000)
    db.session.commit()
    return c


def test_the_snapshot_keeps_shares_and_follower_counts(page_client) -> None:
    snap = db.session.execute(
        db.select(AudienceSnapshot).where(AudienceSnapshot.taken_on == today() - timedelta(days=2))
    ).scalar_one()
    assert snap.base == 10_000
    assert snap.payload == {
        "countries": [
            {"code": "IN", "share": 60.0, "followers": 6_000},
            {"code": "GB", "share": 30.0, "followers": 3_000},
            {"code": "other", "share": 10.0, "followers": 1_000},
        ],
        "cities": [
            {"name": "Mumbai, Maharashtra", "share": 75.0, "followers": 3_000},
            {"name": HOSTILE, "share": 25.0, "followers": 1_000},
        ],
    }


def test_the_page_shows_countries_with_bars_and_counts(client, page_client) -> None:
    client.login("c@example.com")
    text = client.get("/portal/analytics/facebook?range=30d").get_data(as_text=True)
    assert '<h2 id="aud-h">Audience</h2>' in text
    assert '<h3 id="aud-countries">Countries</h3>' in text
    for words in (">India<", ">United Kingdom<", ">Other or unknown countries<", ">Mumbai, Maharashtra<"):
        assert words in text, words
    assert '<meter min="0" max="100" value="60.0">' in text  # India's bar
    assert '<th scope="col">Followers</th>' in text
    assert '<td class="num">6,000</td>' in text
    assert "Meta removed the followers&#39; age and gender from its API in 2024." in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Springs" in text
    assert "<script>alert(1)" not in text
    assert "not read yet" not in text
    # five weeks of change: India up 10 points, the United Kingdom down 20
    assert "Audience over time" in text
    assert "+10.0 points" in text
    assert "-20.0 points" in text


def test_the_api_answers_the_pages_countries(client, page_client) -> None:
    client.login("c@example.com")
    answer = client.get("/api/portal/social/facebook/audience").get_json()
    assert answer == {
        "platform": "facebook",
        "as_of": (today() - timedelta(days=2)).isoformat(),
        "available": True,
        "reason": None,
        "countries": [
            {"code": "IN", "share": 60.0, "followers": 6_000},
            {"code": "GB", "share": 30.0, "followers": 3_000},
            {"code": "other", "share": 10.0, "followers": 1_000},
        ],
        "cities": [
            {"name": "Mumbai, Maharashtra", "share": 75.0, "followers": 3_000},
            {"name": HOSTILE, "share": 25.0, "followers": 1_000},
        ],
    }


def test_the_coach_sees_the_pages_countries_on_the_client_page(client, page_client) -> None:
    client.login("coach@example.com")
    text = client.get(f"/admin/clients/{page_client.id}").get_data(as_text=True)
    assert "<summary>Facebook audience</summary>" in text
    assert '<h3 id="aud-facebook-countries">Countries</h3>' in text
    assert ">India<" in text
    assert '<td class="num">3,000</td>' in text
    assert "<script>alert(1)" not in text


def test_a_small_page_says_so_and_a_page_not_read_yet_too(client, factory) -> None:
    coach = factory.coach(email="coach@example.com")
    small = factory.client(coach=coach, email="s@example.com", name="Sam")
    page = h.connection(small, "facebook", username="sam.page", account_type="PAGE")
    h.daily(page, today() - timedelta(days=3), [40, 41, 42, 43])
    client.login("s@example.com")
    answer = client.get("/api/portal/social/facebook/audience").get_json()
    assert (answer["available"], answer["reason"]) == (
        False,
        "The audience is read once a week; the first read has not run yet.",
    )
    assert not write_audience(page.id, today() - timedelta(days=1), RawAudience(keep_counts=("countries",)), 43)
    db.session.commit()
    answer = client.get("/api/portal/social/facebook/audience").get_json()
    assert answer["available"] is False
    assert answer["reason"].startswith("Shown once the account has enough followers (Facebook")
    text = client.get("/portal/analytics/facebook?range=30d").get_data(as_text=True)
    assert "Shown once the account has enough followers" in text
    assert "Meta removed the followers&#39; age and gender from its API in 2024." in text


def test_the_weekly_report_names_the_pages_top_countries(app, page_client) -> None:
    import shutil
    import subprocess

    from app.reports import build, service

    r = build.weekly(page_client, today())
    [fb] = [a for a in r["audience"] if a["platform"] == "facebook"]
    assert fb["available"] is True
    assert [c["code"] for c in fb["countries"]] == ["IN", "GB", "other"]
    if shutil.which("pdftotext"):
        pdf = service.render_report_pdf(r)
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()  # noqa: S603,S607
        flat = " ".join(text.split())
        assert "India 60.0%" in flat
        assert "United Kingdom 30.0%" in flat
