"""CRM client list: total followers and 30-day growth from app.stats, sorts on them, platform filter,
with the search/status filters, the HTMX table swap and the pushed URL kept; bounded queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from app.extensions import db
from app.models.base import utcnow
from app.stats.query import today
from tests.support import history as h


@pytest.fixture
def roster(factory):
    coach = factory.coach(email="coach@example.com")
    d = today()
    ann = factory.client(coach=coach, name="Ann Able")
    ig, tt = h.connection(ann, "instagram"), h.connection(ann, "tiktok")
    h.snapshots(ig, {d - timedelta(days=30): 1000, d: 1200})
    h.snapshots(tt, {d - timedelta(days=40): 100})  # carried to both ends: 100
    bob = factory.client(coach=coach, name="Bob Baker")
    yt = h.connection(bob, "youtube")
    h.snapshots(yt, {d - timedelta(days=30): 5000, d: 4500})
    cid = factory.client(coach=coach, name="Cid Cole")  # no connections: no numbers
    dee = factory.client(coach=coach, name="Dee Dunn")
    gone = h.connection(dee, "instagram", disconnected_at=utcnow())  # not live
    h.snapshots(gone, {d: 999_999})
    new = factory.client(coach=coach, name="Eve Early")  # data only today: growth undefined
    h.snapshots(h.connection(new, "youtube"), {d: 50})
    factory.client(coach=factory.coach(), name="Zed Other")  # another coach's client
    return {"ann": ann, "bob": bob, "cid": cid, "dee": dee, "eve": new}


def _names(page: str) -> list[str]:
    order = ["Ann Able", "Bob Baker", "Cid Cole", "Dee Dunn", "Eve Early", "Zed Other"]
    return sorted((n for n in order if n in page), key=page.index)


def test_columns_show_totals_and_growth_from_stats(client, roster):
    client.login("coach@example.com")
    resp = client.get("/admin/clients")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Followers" in page
    assert "Growth (30 days)" in page
    assert "1,300" in page
    assert "+18.2%" in page
    assert "(+200)" in page
    assert "4,500" in page
    assert "-10.0%" in page
    assert "(-500)" in page
    assert "999,999" not in page  # disconnected account
    assert "Zed Other" not in page
    # the same numbers as the portfolio leaderboard (one definition)
    from app.services.clients import visible_clients
    from app.stats import portfolio
    from app.stats.query import parse

    coach = roster["ann"].coach
    pf = portfolio.compute_portfolio(visible_clients(coach), parse({}, scope="portfolio"))
    lb = {r.client_id: r for r in pf.leaderboard}
    growth = portfolio.client_growth([c.id for c in roster.values()], parse({}, scope="portfolio"))
    for key in ("ann", "bob", "eve"):
        cid = roster[key].id
        assert growth[cid] == lb[cid].change
        assert growth[cid].end == lb[cid].followers
    assert roster["cid"].id not in growth


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-followers", ["Bob Baker", "Ann Able", "Eve Early", "Cid Cole", "Dee Dunn"]),
        ("followers", ["Eve Early", "Ann Able", "Bob Baker", "Cid Cole", "Dee Dunn"]),
        ("-growth", ["Ann Able", "Bob Baker", "Cid Cole", "Dee Dunn", "Eve Early"]),
        ("growth", ["Bob Baker", "Ann Able", "Cid Cole", "Dee Dunn", "Eve Early"]),
    ],
)
def test_sort_by_followers_and_growth_unknown_last(client, roster, sort, expected):
    client.login("coach@example.com")
    page = client.hx("GET", f"/admin/clients?sort={sort}").get_data(as_text=True)
    assert _names(page) == expected


def test_platform_filter_keeps_live_connections_only(client, roster):
    client.login("coach@example.com")
    assert _names(client.hx("GET", "/admin/clients?platform=instagram").get_data(as_text=True)) == ["Ann Able"]
    assert _names(client.hx("GET", "/admin/clients?platform=youtube").get_data(as_text=True)) == [
        "Bob Baker",
        "Eve Early",
    ]
    # combined with search, status and a stats sort; numbers stay the client's totals
    url = "/admin/clients?platform=youtube&q=bob&status=onboarding&sort=-growth"
    page = client.hx("GET", url).get_data(as_text=True)
    assert _names(page) == ["Bob Baker"]
    assert "4,500" in page
    none = client.hx("GET", "/admin/clients?platform=x").get_data(as_text=True)
    assert "No clients match" in none
    bad = client.hx("GET", "/admin/clients?platform=myspace")
    assert bad.status_code == 400
    assert "Unknown platform" in bad.get_data(as_text=True)


def test_table_swap_is_a_fragment_and_the_form_pushes_the_url(client, roster):
    client.login("coach@example.com")
    full = client.get("/admin/clients?platform=tiktok&sort=-followers").get_data(as_text=True)
    assert 'hx-target="#client-table"' in full
    assert 'hx-push-url="true"' in full
    assert '<option value="tiktok" selected>' in full
    assert '<option value="-followers" selected>' in full
    frag = client.hx("GET", "/admin/clients?platform=tiktok")
    text = frag.get_data(as_text=True)
    assert frag.status_code == 200
    assert text.lstrip().startswith('<div id="client-table"')
    assert "<html" not in text
    assert "HX-Request" in frag.headers["Vary"]


def test_query_count_does_not_grow_with_clients(app, client, factory, roster):
    client.login("coach@example.com")

    def count(url: str) -> int:
        n = {"q": 0}

        def hit(*_a):
            n["q"] += 1

        event.listen(db.engine, "before_cursor_execute", hit)
        try:
            assert client.hx("GET", url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", hit)
        return n["q"]

    before = count("/admin/clients?sort=-growth")
    coach = roster["ann"].coach
    for i in range(8):
        c = factory.client(coach=coach, name=f"More {i}")
        h.snapshots(h.connection(c, "instagram"), {today() - timedelta(days=30): 10, today(): 20 + i})
    assert count("/admin/clients?sort=-growth") == before
