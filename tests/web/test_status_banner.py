"""Redis down: pages still render from the database, with an honest banner (issue 5, J9)."""

from __future__ import annotations


def test_no_banner_when_the_queue_is_up(client, factory):
    factory.coach(email="coach@example.com")
    client.login("coach@example.com")
    assert "Background work is paused" not in client.get("/admin/clients").get_data(as_text=True)


def test_banner_and_working_pages_when_redis_is_down(make_app, factory):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    with app.app_context():
        from tests.factories import Factory

        Factory().coach(email="coach@example.com")
    c = app.test_client()
    assert c.login("coach@example.com").status_code == 303
    page = c.get("/admin/clients")
    assert page.status_code == 200
    assert "Background work is paused" in page.get_data(as_text=True)
