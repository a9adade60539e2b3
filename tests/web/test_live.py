"""Live pages (issue "Pages people enjoy"): the version check an open page polls costs no database query,
answers 204 while nothing changed and tells the page when its numbers moved."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import event

from app.extensions import db
from app.services import live
from app.stats.query import today
from tests.support import history as h


def _poller(page: str) -> str:
    found = re.search(r'id="live-poller" hidden hx-get="([^"]+)"', page)
    assert found, page[:3000]
    return found.group(1).replace("&amp;", "&")


def test_an_unchanged_check_is_a_204_without_any_sql_and_a_change_is_announced(app, client, factory):
    c = factory.client(email="c@example.com", name="Cora")
    ig = h.connection(c, "instagram")
    h.daily(ig, today() - timedelta(days=3), [100, 101, 102, 103])
    client.login("c@example.com")
    url = _poller(client.get("/portal/analytics").get_data(as_text=True))
    cid = c.id  # read before counting: the test's own objects are expired after the request's commit
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # noqa: ANN001, ARG001
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for _ in range(5):
            resp = client.get(url, headers={"HX-Request": "true"})
            assert resp.status_code == 204
        assert statements == []  # no session lookup, no user load, nothing
        live.bump([cid])  # a sync of this client finished
        changed = client.get(url, headers={"HX-Request": "true"})
        assert changed.status_code == 200
        assert changed.headers["HX-Trigger"] == "live-changed"
        assert statements == []
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    new_url = _poller(changed.get_data(as_text=True))
    assert new_url != url
    assert client.get(new_url, headers={"HX-Request": "true"}).status_code == 204
    # another client's sync does not disturb this page
    other = factory.client(email="o@example.com", name="Otto")
    live.bump([other.id])
    assert client.get(new_url, headers={"HX-Request": "true"}).status_code == 204


def test_a_forged_or_expired_token_stops_the_polling(client):
    resp = client.get("/live/not-a-token?v=0", headers={"HX-Request": "true"})
    assert resp.status_code == 286  # htmx stops polling on 286
    token = live.token_for([1])
    assert client.get(f"/live/{token[:-2]}xx?v=0").status_code == 286


def test_the_portfolio_follows_every_client(app, client, factory):
    factory.admin(email="admin@example.com")
    c = factory.client(email="c@example.com", name="Cora")
    client.login("admin@example.com")
    url = _poller(client.get("/admin/portfolio").get_data(as_text=True))
    assert client.get(url).status_code == 204
    live.bump([c.id])
    assert client.get(url).status_code == 200
    detail = client.get(f"/admin/clients/{c.id}").get_data(as_text=True)
    assert 'id="social-card"' in detail
    assert "data-live-refresh" in detail
    _poller(detail)
