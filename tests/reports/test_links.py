"""The reports section is reachable: a client's nav has "Reports"; staff get there from the client page."""

from __future__ import annotations


def test_client_nav_links_to_reports_and_share(app, client, factory):
    factory.client(name="Zoë Fischer", email="zoe@example.com")
    client.login("zoe@example.com")
    home = client.get("/portal").get_data(as_text=True)
    assert 'href="/reports"' in home
    page = client.get("/reports")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'aria-current="page">Reports</a>' in body
    assert "Turn sharing on" in body


def test_staff_reach_reports_from_the_client_page(app, client, factory):
    coach = factory.coach(email="coach@example.com")
    c = factory.client(coach=coach, name="Zoë Fischer", email="zoe@example.com")
    client.login("coach@example.com")
    detail = client.get(f"/admin/clients/{c.id}").get_data(as_text=True)
    assert f'href="/admin/clients/{c.id}/reports"' in detail
    assert 'href="/admin/reports/portfolio"' in detail
    section = client.get(f"/admin/clients/{c.id}/reports").get_data(as_text=True)
    assert f'href="/admin/clients/{c.id}"' in section
    assert "Reports sent" in section
    assert 'href="/reports"' not in client.get("/admin/clients").get_data(as_text=True)  # no client nav for staff
