"""X data downstream: cards, overview, the X page, content, goals, API, exports, reports, portfolio,
leaderboard, alerts filter and the inbox's plain statement, with hostile names and post text; and a
platform this deployment has no credentials for hidden from filters and the connect page."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app.stats.query import today
from tests.support import history as h

XSS = '<script>alert(1)</script>"><svg onload=alert(2)>'


@pytest.fixture
def x_creator(factory):
    coach = factory.coach(email="coach@example.com")
    c = factory.client(coach=coach, email="c@example.com", name="Xavi", program_start=today() - timedelta(days=60))
    xc = h.connection(c, "x", username="xavi_posts", display_name=XSS)
    start = today() - timedelta(days=40)
    h.daily(xc, start, [2000 + 10 * i for i in range(41)])
    for i in range(8):
        h.post(
            xc,
            today() - timedelta(days=3 * i + 1),
            likes=40 + i,
            comments=4,
            shares=6,
            saves=2,
            views=3000 + i,
            followers=2300,
            kind="post",
            caption=f"thread {i} #buildinpublic {XSS if i == 0 else ''}",
            hashtags=["buildinpublic"],
        )
    return c, xc


def _safe(text: str) -> None:
    assert "<script>alert" not in text
    assert "<svg onload" not in text


def test_x_pages_and_api(client, x_creator):
    c, xc = x_creator
    client.login("c@example.com")
    home = client.get("/portal/analytics?range=30d")
    assert home.status_code == 200
    text = home.get_data(as_text=True)
    _safe(text)
    assert "2,400" in text  # today's followers
    assert '<option value="x"' in text  # the platform filter offers X (data held)
    page = client.get("/portal/analytics/x?range=30d")
    assert page.status_code == 200
    _safe(page.get_data(as_text=True))
    assert "thread 0" in page.get_data(as_text=True)
    for headers in ({}, {"HX-Request": "true"}):
        assert client.get("/portal/analytics/x?range=all", headers=headers).status_code == 200
    metrics = client.get("/api/portal/social/x/metrics?range=30d").get_json()
    assert metrics["views_or_reach"] > 0
    overview = client.get("/api/portal/social/overview?range=30d").get_json()
    assert "x" in json.dumps(overview)
    # a goal on X
    resp = client.post(
        "/portal/analytics/goals",
        data={"target": "5000", "platform": "x", "target_date": (today() + timedelta(days=90)).isoformat()},
    )
    assert resp.status_code == 303
    assert "5,000" in client.get("/portal/analytics").get_data(as_text=True)
    # exports carry the X rows, hostile text as data
    csv = client.get("/api/portal/social/export?format=csv&dataset=content&range=all&platform=x")
    assert csv.status_code == 200
    body = csv.get_data(as_text=True)
    assert "thread 0" in body
    assert "\n=" not in body  # no formula injection
    snaps = client.get("/api/portal/social/export?format=json&dataset=snapshots&range=30d&platform=x")
    assert snaps.status_code == 200
    # the weekly and monthly reports carry X
    for kind in ("weekly", "monthly"):
        report = client.get(f"/api/portal/social/report/{kind}")
        assert report.status_code == 200
        assert "x" in [p.get("platform") for p in report.get_json().get("platforms", [])], kind
    # the inbox says plainly that X replies are not there
    inbox = client.get("/portal/inbox").get_data(as_text=True)
    assert 'data-testid="no-comments-x"' in inbox
    assert "X comments are not shown here" in inbox


def test_x_in_portfolio_leaderboard_and_alerts(client, x_creator):
    c, _ = x_creator
    client.login("coach@example.com")
    pf = client.get("/api/admin/social/portfolio?platform=x").get_json()
    assert pf["total_followers"] == 2400
    lb = client.get("/api/admin/social/leaderboard?platform=x").get_json()
    assert [r["client_id"] for r in lb["items"]] == [c.id]
    for url in (
        "/admin/portfolio?platform=x",
        f"/admin/clients/{c.id}?platform=x",
        "/admin/alerts?platform=x",
        "/admin/clients?platform=x",
    ):
        resp = client.get(url)
        assert resp.status_code == 200, url
        _safe(resp.get_data(as_text=True))


def test_platforms_without_credentials_are_hidden(client, factory):
    """No client id/secret set and no data held: not on the connect page, not in the filters (generic)."""
    coach = factory.coach(email="coach@example.com")
    factory.client(coach=coach, email="n@example.com", name="Nia")
    client.login("n@example.com")
    cards = client.get("/portal/settings/connections").get_data(as_text=True)
    assert cards.count('class="conn-card"') == 0  # this test app configures no platform app at all
    for platform in ("instagram", "tiktok", "youtube", "x"):
        assert client.get(f"/portal/settings/connections/{platform}/permissions").status_code == 404
    analytics = client.get("/portal/analytics").get_data(as_text=True)
    assert '<option value="x"' not in analytics
    assert '<option value="linkedin"' not in analytics


def test_only_configured_platforms_are_offered(make_app):
    from tests.factories import Factory

    app = make_app(X_CLIENT_ID="real-x-client", X_CLIENT_SECRET="real-x-secret")
    with app.app_context():
        factory = Factory()
        coach = factory.coach(email="coach@example.com")
        factory.client(coach=coach, email="o@example.com", name="Omar")
        client = app.test_client()
        client.login("o@example.com")
        cards = client.get("/portal/settings/connections").get_data(as_text=True)
        assert cards.count('class="conn-card"') == 1
        assert "Connect X" in client.get("/portal/settings/connections/x/permissions").get_data(as_text=True)
        assert client.get("/portal/settings/connections/tiktok/permissions").status_code == 404
        perm = client.get("/portal/settings/connections/x/permissions").get_data(as_text=True)
        assert "tweet.read" in perm
        assert "offline.access" in perm
        assert "replies to your posts" in perm
        analytics = client.get("/portal/analytics").get_data(as_text=True)
        assert '<option value="x"' in analytics
        assert '<option value="tiktok"' not in analytics
        start = client.post("/api/portal/social/connect/x")
        assert start.status_code == 303
        assert start.headers["Location"].startswith("https://x.com/i/oauth2/authorize?")
        assert "code_challenge_method=S256" in start.headers["Location"]
        assert "client_id=real-x-client" in start.headers["Location"]
        assert client.post("/api/portal/social/connect/x?feature=comments").status_code == 404
