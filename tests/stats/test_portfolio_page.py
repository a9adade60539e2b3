"""The portfolio page's result (``portfolio(..., page=True)``): the leaderboard's first rows and the first
clients needing attention, the others needing attention as ids; the page reads the few of those a note
makes it show. Real database (SQLite, or PostgreSQL via TEST_DATABASE_URL), hand-computed values; the
page's limits are lowered to 2 so five clients exercise them."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import update

from app.extensions import db
from app.models import AttentionNote, Connection, PortfolioConnectionState
from app.services.clients import visible_clients
from app.stats import attention, portfolio, portfolio_state
from tests.stats.test_portfolio_cache import TODAY
from tests.stats.test_portfolio_state import _q
from tests.support import history as h

D = TODAY
REVOKED = "Instagram connection revoked"
NAMES = ("Ann", "Bob", "Cid", "Dee", "Eve")


@pytest.fixture
def five(factory, monkeypatch):
    """Five clients of one coach, each with one revoked Instagram account (one reason each: the
    connection) that grew from 100 followers 30 days ago by 10 x (1, 5, 3, 4, 2): 10 %, 50 %, 30 %, 40 %,
    20 %, so the leaderboard is Bob, Dee, Cid, Eve, Ann; needs attention lists all five by name."""
    monkeypatch.setattr(portfolio, "LEADERBOARD_SHOWN", 2)
    monkeypatch.setattr(portfolio, "ATTENTION_SHOWN", 2)
    coach = factory.coach()
    clients, conns = {}, {}
    for name, k in zip(NAMES, (1, 5, 3, 4, 2), strict=True):
        clients[name] = factory.client(coach=coach, name=name)
        conns[name] = h.connection(clients[name], "instagram", status="revoked")
        h.snapshots(conns[name], {D - timedelta(days=30): 100, D: 100 + 10 * k})
    return coach, clients, conns


def _note(client, reason="connection:instagram"):
    db.session.add(
        AttentionNote(client_id=client.id, reason=reason, reason_text=REVOKED, action="snoozed", until=D + timedelta(1))
    )
    db.session.commit()


def _page(pf, visible, calls):
    """The page's needs-attention rows of a page result, recording what it read on demand."""

    def more(ids):
        calls.append(list(ids))
        return attention.attention_of(visible, pf.query, ids)

    return attention.for_page(pf.attention, D, shown=2, rest=pf.attention_rest, more=more)


def test_page_result_keeps_the_rows_shown_and_the_rest_as_ids(five):
    coach, clients, _ = five
    visible = visible_clients(coach)
    full = portfolio.compute_portfolio(visible, _q(range="30d"))
    page = portfolio.compute_portfolio(visible, _q(range="30d"), page=True)
    assert [r.name for r in full.leaderboard] == ["Bob", "Dee", "Cid", "Eve", "Ann"]
    assert [(r.rank, r.name, r.followers, r.change.start) for r in page.leaderboard] == [
        (1, "Bob", 150, 100),
        (2, "Dee", 140, 100),
    ]
    assert list(page.leaderboard) == list(full.leaderboard[:2])
    assert [(a.name, a.reasons) for a in full.attention] == [(n, (REVOKED,)) for n in NAMES]
    assert full.attention_rest == []
    assert [a.name for a in page.attention] == ["Ann", "Bob"]
    assert page.attention_rest == [clients[n].id for n in ("Cid", "Dee", "Eve")]
    # the headline numbers are the whole portfolio's either way: 110+150+130+140+120 = 650 followers
    assert (page.client_count, page.total_followers, page.platform_totals) == (5, 650, {"instagram": 650})
    assert page.period_change == full.period_change
    # no note: the page lists the first two and counts five, reading nothing more
    calls: list[list[int]] = []
    shown = _page(page, visible, calls)
    assert [a.name for a in shown.open] == ["Ann", "Bob"]
    assert (shown.open_count, shown.quiet, calls) == (5, [], [])


def test_notes_make_the_page_read_the_clients_it_must_show(five):
    coach, clients, _ = five
    visible = visible_clients(coach)
    page = portfolio.compute_portfolio(visible, _q(range="30d"), page=True)
    _note(clients["Bob"])  # among the two kept: quiet, so a third client moves up
    _note(clients["Eve"])  # past them: read to show it among the quiet
    calls: list[list[int]] = []
    shown = _page(page, visible, calls)
    # Eve (noted) and Cid (the first of the rest without a note) are read, Dee is only counted
    assert calls == [[clients["Eve"].id, clients["Cid"].id]]
    assert [a.name for a in shown.open] == ["Ann", "Cid"]
    assert shown.open_count == 3  # Ann, Cid, Dee
    assert [a.name for a in shown.quiet] == ["Bob", "Eve"]
    # the same page as from the whole list
    full = portfolio.compute_portfolio(visible, _q(range="30d"))
    whole = attention.for_page(full.attention, D, shown=2)
    assert (shown.open, shown.open_count, shown.quiet) == (whole.open, whole.open_count, whole.quiet)


def test_a_client_of_the_rest_no_longer_needing_attention_is_not_counted(five):
    coach, clients, conns = five
    visible = visible_clients(coach)
    page = portfolio.compute_portfolio(visible, _q(range="30d"), page=True)
    _note(clients["Bob"])
    _note(clients["Eve"])
    # Eve reconnected after the result was computed: no reason any more when the page reads her
    db.session.execute(
        update(Connection).where(Connection.id == conns["Eve"].id).values(status="connected", last_sync_at=None)
    )
    db.session.commit()
    shown = _page(page, visible, [])
    assert [a.name for a in shown.open] == ["Ann", "Cid"]
    assert shown.open_count == 3  # Ann, Cid, Dee; not Eve
    assert [a.name for a in shown.quiet] == ["Bob"]


def test_page_result_is_cached_apart_and_follows_deletions(five):
    from app.redis_conn import get_redis

    coach, clients, _ = five
    visible = visible_clients(coach)
    q = _q(range="30d")
    page = portfolio.portfolio(visible, q, page=True)
    full = portfolio.portfolio(visible, q)
    r = get_redis()
    assert len(list(r.scan_iter(portfolio.PAGE_CACHE_PREFIX + "*"))) == 1
    assert len(list(r.scan_iter(portfolio.CACHE_PREFIX + "*"))) == 1
    again = portfolio.portfolio(visible, q, page=True)  # from the cache
    assert list(again.leaderboard) == list(page.leaderboard)
    assert (again.attention, list(again.attention_rest)) == (page.attention, list(page.attention_rest))
    assert len(full.leaderboard) == 5  # the API's result keeps every row
    # a deleted client leaves the page result with the next data version
    db.session.delete(clients["Dee"])
    db.session.commit()
    after = portfolio.portfolio(visible, q, page=True)
    assert [r.name for r in after.leaderboard] == ["Bob", "Cid"]
    assert after.attention_rest == [clients["Cid"].id, clients["Eve"].id]
    assert after.total_followers == 510


def test_page_result_from_stale_rows_and_across_the_day_boundary(five):
    coach, _, conns = five
    visible = visible_clients(coach)
    q = _q(range="30d")
    portfolio_state.refresh_stale(q.today)
    fresh = portfolio.compute_portfolio(visible, q, page=True)
    # every row stale (a missed refresh): computed from the history, same page
    db.session.execute(update(PortfolioConnectionState).values(as_of=None))
    db.session.commit()
    stale = portfolio.compute_portfolio(visible, q, page=True)
    assert list(stale.leaderboard) == list(fresh.leaderboard)
    assert (stale.attention, stale.attention_rest, stale.total_followers) == (
        fresh.attention,
        fresh.attention_rest,
        fresh.total_followers,
    )
    # the next day, rows refreshed yesterday are stale: Bob's today's snapshot (150) carries forward
    portfolio_state.refresh_stale(q.today)
    nxt = _q(now=D + timedelta(days=1), range="30d")
    assert portfolio_state.stale_ids(nxt.today) == sorted(c.id for c in conns.values())
    tomorrow = portfolio.compute_portfolio(visible, nxt, page=True)
    # 30 days before tomorrow is D-29: carried from D-30 (100); so the same ranks and totals
    assert [(r.name, r.followers, r.change.start) for r in tomorrow.leaderboard] == [
        ("Bob", 150, 100),
        ("Dee", 140, 100),
    ]
    assert tomorrow.total_followers == 650


def test_data_version_of_every_client_and_of_a_scope(factory, five):
    """The admin's version (every client: no filter) equals the filtered one of the same clients, and
    each write the cache must see changes it; another coach's client changes only the admin's."""
    from app.models import Client
    from app.models.base import utcnow

    coach, clients, conns = five
    admin = factory.admin()
    every, mine = visible_clients(admin), visible_clients(coach)
    same = every.where(Client.id > 0)  # the same clients through the filtered path

    def versions():
        db.session.expire_all()
        return portfolio.data_version(every), portfolio.data_version(same), portfolio.data_version(mine)

    v = versions()
    assert v[0] == v[1]
    assert v[0].split("|")[0] == "5"  # 5 clients
    assert v[0].split("|")[2] == "5"  # 5 connections
    other = factory.client(coach=factory.coach(), name="Zed")  # another coach's client
    w = versions()
    assert w[0] == w[1]
    assert w[0] != v[0]
    assert w[2] == v[2]
    db.session.execute(update(Connection).where(Connection.id == conns["Ann"].id).values(last_sync_at=utcnow()))
    db.session.commit()
    x = versions()
    assert x[0] == x[1]
    assert x[0] != w[0]
    assert x[2] != w[2]
    h.snapshots(conns["Bob"], {D - timedelta(days=1): 149})  # a new history row: every scope
    y = versions()
    assert y[0] != x[0]
    assert y[2] != x[2]
    h.connection(other, "tiktok")
    z = versions()
    assert z[0] == z[1]
    assert z[0] != y[0]
    assert z[2] == y[2]


def test_needs_attention_agrees_with_the_reasons():
    """The page counts the clients beyond the first 50 with ``needs_attention`` (no reasons written): it must
    say yes exactly when ``reasons`` (without connection problems, checked apart) gives any."""
    low = portfolio.LOW_ENGAGEMENT_PCT
    assert portfolio.needs_attention(100, None, 120, None, None)  # lost 20 over 14 days
    assert portfolio.needs_attention(None, None, None, None, low - 0.01)  # low engagement, no followers known
    assert portfolio.needs_attention(104, 100, 100, 60, None)  # +4 in 7 days against +10 a week before: stalled
    assert not portfolio.needs_attention(110, 100, 100, 60, low)  # +10 in 7 days: not stalled; engagement at the bar
    assert not portfolio.needs_attention(100, 100, 100, 100, None)  # flat: nothing to stall
    values = (None, 0, 100, 104, 110, 120)
    for f, f7, f14, f35 in itertools.product(values, repeat=4):
        for eng in (None, 0.0, low - 0.01, low, 5.0):
            want = bool(portfolio.reasons(f, f7, f14, f35, eng, ()))
            assert portfolio.needs_attention(f, f7, f14, f35, eng) is want, (f, f7, f14, f35, eng)
