"""Roles, HTMX-aware redirects and IDOR on every client-scoped route (A1, A2)."""

from __future__ import annotations

import pytest

from tests.web.routes import fill, rules


def test_anonymous_full_request_redirects_to_login_with_next(client):
    resp = client.get("/admin/clients?q=a")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?next=/admin/clients")


def test_anonymous_htmx_request_gets_hx_redirect(client):
    resp = client.get(
        "/admin/clients", headers={"HX-Request": "true", "HX-Current-URL": "https://localhost/admin/clients"}
    )
    assert resp.status_code == 401
    assert resp.headers["HX-Redirect"].startswith("/login")
    assert resp.get_data(as_text=True) == ""


def test_client_user_cannot_open_the_crm(client, factory):
    factory.client(email="c@example.com")
    client.login("c@example.com")
    for url in ("/admin/clients", "/admin/clients/new"):
        assert client.get(url).status_code == 403
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 403


def test_every_crm_rule_is_staff_only(app, client, factory):
    c = factory.client(email="c@example.com")
    client.login("c@example.com")
    checked = 0
    for endpoint, rule, methods in rules(app):
        if not endpoint.startswith("admin."):
            continue
        url = fill(
            rule,
            {
                "client_id": c.id,
                "deliverable_id": 1,
                "link_id": 1,
                "report_id": 1,
                "alert_id": 1,
                "user_id": c.user_id,
                "connection_id": 1,
                "content_id": 1,
            },
        )
        for method in methods:
            assert client.open(url, method=method).status_code == 403, (method, url)
            checked += 1
    assert checked >= 8


@pytest.mark.parametrize("role", ["coach", "client"])
def test_no_idor_on_client_scoped_rules(app, client, factory, role):
    """Logged in as another tenant, every rule with a client id answers 404 for A's client."""
    coach_a = factory.coach(email="a@example.com")
    victim = factory.client(coach=coach_a)
    d = factory.deliverable(victim)
    if role == "coach":
        factory.coach(email="b@example.com")
    else:
        factory.client(coach=coach_a, email="b@example.com")
    client.login("b@example.com")
    checked = 0
    for endpoint, rule, methods in rules(app):
        if "<int:client_id>" not in rule:
            continue
        url = fill(
            rule,
            {"client_id": victim.id, "deliverable_id": d.id, "link_id": 1, "connection_id": 1, "content_id": 1},
        )
        for method in methods:
            for headers in ({}, {"HX-Request": "true"}):
                resp = client.open(url, method=method, headers=headers)
                expected = {404} if role == "coach" else {403}
                assert resp.status_code in expected, (method, url, headers, resp.status_code)
                checked += 1
    assert checked >= 10


def test_coach_sees_only_their_clients_admin_sees_all(client, factory):
    a = factory.coach(email="a@example.com")
    b = factory.coach(email="b@example.com")
    factory.client(coach=a, name="Alice Anders")
    factory.client(coach=b, name="Bob Brown")
    factory.admin(email="admin@example.com")
    client.login("a@example.com")
    page = client.get("/admin/clients").get_data(as_text=True)
    assert "Alice Anders" in page
    assert "Bob Brown" not in page
    client.logout()
    client.login("admin@example.com")
    page = client.get("/admin/clients").get_data(as_text=True)
    assert "Alice Anders" in page
    assert "Bob Brown" in page


def test_unknown_client_id_is_404_with_a_page_not_a_trace(client, factory):
    factory.coach(email="a@example.com")
    client.login("a@example.com")
    resp = client.get("/admin/clients/999999")
    assert resp.status_code == 404
    text = resp.get_data(as_text=True)
    assert "No such client" in text
    assert "Traceback" not in text


def test_unexpected_error_shows_generic_page(make_app):
    app = make_app()

    @app.get("/boom-test")
    def boom():  # pragma: no cover - body raises
        raise RuntimeError("secret internals")

    resp = app.test_client().get("/boom-test")
    assert resp.status_code == 500
    text = resp.get_data(as_text=True)
    assert "secret internals" not in text
    assert "Traceback" not in text
    assert "Reference:" in text


def test_dotfiles_are_not_served(client):
    assert client.get("/.git/HEAD").status_code == 404
    assert client.get("/static/../.git/HEAD").status_code == 404


@pytest.mark.parametrize(
    ("url", "staff_lands_on"),
    [
        ("/portal", "/admin/clients"),
        ("/portal/analytics", "/admin/clients"),
        ("/portal/analytics/instagram", "/admin/clients"),
        ("/portal/notifications", "/admin/alerts"),
        ("/reports", "/admin/clients"),
    ],
)
def test_client_pages_send_staff_to_their_counterpart(client, factory, url, staff_lands_on):
    factory.coach(email="coach@example.com")
    client.login("coach@example.com")
    resp = client.get(url)
    assert resp.status_code == 302
    assert resp.headers["Location"] == staff_lands_on
    client.logout()
    assert client.get(url).headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(
    "url", ["/api/portal/social/overview", "/api/portal/social/instagram/metrics", "/api/portal/social/export"]
)
def test_client_api_answers_staff_404_json(client, factory, url):
    factory.admin(email="admin@example.com")
    client.login("admin@example.com")
    resp = client.get(url)
    assert resp.status_code == 404
    assert resp.get_json() == {"error": {"code": "not_found", "message": "No client profile for this user."}}
    client.logout()
    assert client.get(url).status_code == 401
