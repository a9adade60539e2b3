"""Analytics JSON API: numbers identical to the pages, error envelopes, IDOR and roles."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.stats.query import today
from tests.support import history as h


@pytest.fixture
def world(factory):
    coach = factory.coach(email="coach@example.com")
    other_coach = factory.coach(email="other@example.com")
    c = factory.client(coach=coach, email="c@example.com", name="Cora", program_start=today() - timedelta(days=40))
    ig = h.connection(c, "instagram")
    h.daily(ig, today() - timedelta(days=60), [1000 + 3 * i for i in range(61)])
    for i in range(5):
        h.post(ig, today() - timedelta(days=i + 1), likes=20 + i, comments=2, followers=1150, caption=f"p{i}")
    stranger = factory.client(coach=other_coach, email="s@example.com")
    return c, stranger


def test_portal_endpoints_match_the_pages(client, world):
    client.login("c@example.com")
    ov = client.get("/api/portal/social/overview?range=30d").get_json()
    assert ov["total_followers"] == {
        "start": 1090,
        "end": 1180,
        "net": 90,
        "growth_rate": pytest.approx(90 / 1090 * 100),
    }
    page = client.get("/portal/analytics?range=30d").get_data(as_text=True)
    assert "1,180" in page
    assert f"{ov['engagement']['rate']:.2f}%" in page
    m = client.get("/api/portal/social/instagram/metrics?range=7d").get_json()
    assert m["followers"]["net"] == 21
    assert m["engagement"]["posts"] == 5
    g = client.get("/api/portal/social/instagram/growth?range=7d").get_json()
    assert len(g["series"][0]["points"]) == 8
    assert g["series"][0]["points"][-1]["provenance"] == "measured"
    top = client.get("/api/portal/social/top-content?range=7d").get_json()
    assert [i["caption"] for i in top["items"]][:1] == ["p4"]


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/api/portal/social/overview?range=14d", 400, "bad_query"),
        ("/api/portal/social/overview?start=2026-02-30&end=2026-03-01", 400, "bad_query"),
        ("/api/portal/social/myspace/metrics", 400, "bad_query"),
        ("/api/portal/social/instagram/growth?start=2026-01-02&end=2026-01-01", 400, "bad_query"),
    ],
)
def test_errors_are_json_envelopes(client, world, url, status, code):
    client.login("c@example.com")
    resp = client.get(url)
    assert resp.status_code == status
    assert resp.get_json()["error"]["code"] == code
    assert resp.get_json()["error"]["message"]


def test_admin_endpoints_roles_and_idor(client, world):
    c, stranger = world
    client.login("coach@example.com")
    data = client.get(f"/api/admin/social/clients/{c.id}").get_json()
    assert data["total_followers"]["end"] == 1180
    assert data["series"]
    nf = client.get(f"/api/admin/social/clients/{stranger.id}")
    assert nf.status_code == 404
    assert nf.get_json()["error"]["code"] == "not_found"
    pf = client.get("/api/admin/social/portfolio").get_json()
    assert pf["total_followers"] == 1180
    assert pf["clients"] == 1
    lb = client.get("/api/admin/social/leaderboard?platform=instagram").get_json()
    assert [r["client_id"] for r in lb["items"]] == [c.id]
    assert client.get("/api/admin/social/portfolio?coach=1").status_code == 400
    client.logout()
    client.login("c@example.com")
    for url in (f"/api/admin/social/clients/{c.id}", "/api/admin/social/portfolio", "/api/admin/social/leaderboard"):
        assert client.get(url).status_code == 403
    client.logout()
    assert client.get("/api/portal/social/overview").status_code == 401


def test_platform_metrics_count_views_or_reach_per_post(client, factory):
    c = factory.client(email="r@example.com")
    tt = h.connection(c, "tiktok")
    h.daily(tt, today() - timedelta(days=10), [500] * 11)
    h.post(tt, today() - timedelta(days=1), views=300, reach=999, kind="video")  # views win
    h.post(tt, today() - timedelta(days=2), reach=120)  # no views: its reach counts
    h.post(tt, today() - timedelta(days=3))  # neither: nothing
    h.post(tt, today() - timedelta(days=20), views=5000, kind="video")  # outside the period
    client.login("r@example.com")
    m = client.get("/api/portal/social/tiktok/metrics?range=7d").get_json()
    assert m["views_or_reach"] == 420


def test_a_total_with_a_rounded_youtube_count_is_flagged_on_the_leaderboard(client, factory, world):
    c, _ = world
    yt_client = factory.client(coach=c.coach, email="y@example.com", name="Yuki")
    yt = h.connection(yt_client, "youtube")
    h.daily(yt, today() - timedelta(days=40), [302_000] * 41)
    small = factory.client(coach=c.coach, email="z@example.com", name="Zed")
    h.daily(h.connection(small, "youtube"), today() - timedelta(days=40), [950 + i for i in range(41)])  # exact < 1,000
    client.login("coach@example.com")
    items = {i["name"]: i for i in client.get("/api/admin/social/leaderboard").get_json()["items"]}
    assert items["Yuki"]["followers_rounded"] is True
    assert items["Zed"]["followers_rounded"] is False  # YouTube shows counts under 1,000 exactly
    assert items["Cora"]["followers_rounded"] is False
    page = client.get("/admin/portfolio").get_data(as_text=True)
    row = page.split(">Yuki</a>", 1)[1].split("</tr>", 1)[0]
    assert "about </span>302,000" in row
    total = page.split('data-testid="portfolio-total">', 1)[1].split("</article>", 1)[0]
    assert total.startswith('<span class="approx"')
    assert "YouTube about " in total  # its part, beside the total
    listing = client.get("/admin/clients").get_data(as_text=True)
    yuki = listing.split(">Yuki</a>", 1)[1].split("</tr>", 1)[0]
    assert "about </span>302,000" in yuki
    zed = listing.split(">Zed</a>", 1)[1].split("</tr>", 1)[0]
    assert "about" not in zed
