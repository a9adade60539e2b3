"""/portal is the client's analytics overview (the seed's layout), with the connection entry points."""

from __future__ import annotations

from tests.portal.test_analytics import creator  # noqa: F401  (fixture)


def test_portal_home_is_the_overview(client, creator):  # noqa: F811
    resp = client.login("c@example.com")
    assert resp.headers["Location"] == "/portal"
    resp = client.get("/portal?range=30d")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Hi Cora" in text
    # connected accounts with status, "+ Connect", manage link, Refresh now, last synced
    assert "@cora_ig" in text
    assert "@cora_tt" in text
    assert "Connected" in text
    assert "+ Connect" in text
    assert "/portal/settings/connections" in text
    assert "Refresh now" in text
    assert "Last synced" in text or "Not synced yet" in text
    # totals, growth chart (with the milestone/program markers' chart), breakdown, top content
    assert 'data-testid="total-followers"' in text
    assert "Total engagement" in text
    assert "<svg" in text
    assert "Platform breakdown" in text
    assert "Top performing content" in text
    assert "Goals" in text
    # the same numbers as /portal/analytics
    same = client.get("/portal/analytics?range=30d").get_data(as_text=True)
    pick = 'data-testid="total-followers">'
    assert text.split(pick)[1].split("<")[0] == same.split(pick)[1].split("<")[0]
    # selectors push /portal URLs (linkable home)
    assert 'hx-get="/portal" hx-target="#analytics-body"' in text
    assert 'action="/portal"' in text


def test_portal_home_partials_are_fragments(client, creator):  # noqa: F811
    client.login("c@example.com")
    for target, marker in (("analytics-body", 'id="analytics-body"'), ("growth-chart", 'id="growth-chart"')):
        resp = client.get("/portal?range=7d", headers={"HX-Request": "true", "HX-Target": target})
        text = resp.get_data(as_text=True)
        assert resp.status_code == 200
        assert "<html" not in text
        assert marker in text
        assert "HX-Request" in resp.headers["Vary"]


def test_portal_home_without_connections_invites_to_connect(client, factory):
    factory.client(email="new@example.com", name="Newbie")
    client.login("new@example.com")
    text = client.get("/portal").get_data(as_text=True)
    assert "Hi Newbie" in text
    assert "No accounts connected yet" in text
    assert "+ Connect an account" in text
    assert "/portal/settings/connections" in text


def test_portal_home_bad_range_is_a_clear_400(client, creator):  # noqa: F811
    client.login("c@example.com")
    resp = client.get("/portal?range=14d")
    assert resp.status_code == 400
    assert "Unknown range" in resp.get_data(as_text=True)


def test_staff_landing_on_portal_go_to_the_crm(client, factory):
    factory.coach(email="coach9@example.com")
    client.login("coach9@example.com")
    assert client.get("/portal").headers["Location"] == "/admin/clients"
