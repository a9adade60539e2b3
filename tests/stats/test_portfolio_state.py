"""The portfolio's prepared per-connection rows (``app.stats.portfolio_state``): the triggers mark a row
stale on every write of its history, a refresh makes it equal to the definition again, and the
portfolio read from fresh rows, from stale ones (computed from the history) and from the detailed
Python rows (``client_rows``) are the same numbers. Real database (SQLite, or PostgreSQL via
TEST_DATABASE_URL), hand-computed values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, text, update

from app.extensions import db
from app.models import Client, Connection, DailySnapshot, PortfolioConnectionState
from app.models.base import utcnow
from app.services import page_prep
from app.services.clients import visible_clients
from app.stats import portfolio, portfolio_rows, portfolio_state
from app.stats.query import parse, today
from tests.stats.test_portfolio_cache import TODAY, _same
from tests.support import history as h

D = TODAY


def _q(now=TODAY, **args):
    return parse(args, now=now, extra=("size", "coach"))


def _row(conn):
    cid = conn if isinstance(conn, int) else conn.id
    db.session.expire_all()
    return db.session.get(PortfolioConnectionState, cid)


def _stale_all():
    db.session.execute(update(PortfolioConnectionState).values(as_of=None))
    db.session.commit()


def _reference(visible, q):
    """The portfolio's per-client numbers from the detailed Python rows (``client_rows``)."""
    rows = portfolio.client_rows(visible, q, (q.today - q.period.resolved(q.today - timedelta(days=365)).start).days)
    lb = portfolio.leaderboard(rows, portfolio.LEADERBOARD_DAYS, q.filter("size"))
    att = [portfolio.Attention(r.client_id, r.name, rs) for r in rows if (rs := portfolio.attention_reasons(r))]
    return rows, lb, att


def _fixture(factory):
    coach = factory.coach()
    a = factory.client(coach=coach, name="Ann")
    b = factory.client(coach=coach, name="Bob")
    c = factory.client(coach=coach, name="Cid")
    factory.client(coach=coach, name="Dee")  # no connection at all
    ig, tt = h.connection(a, "instagram"), h.connection(a, "tiktok")
    yt = h.connection(b, "youtube", status="revoked")
    cx = h.connection(c, "instagram")
    h.snapshots(ig, {D - timedelta(days=400): 500, D - timedelta(days=35): 1100, D - timedelta(days=14): 1300})
    h.snapshots(ig, {D - timedelta(days=7): 1400, D: 1500})
    h.snapshots(tt, {D - timedelta(days=100): 80, D - timedelta(days=40): 100, D - timedelta(days=10): 300})
    h.snapshots(yt, {D - timedelta(days=90): 2000, D - timedelta(days=30): 2200, D: 2100})
    h.snapshots(cx, {D - timedelta(days=30): 900, D - timedelta(days=7): 950, D - timedelta(days=1): 940})
    h.post(yt, D - timedelta(days=3), likes=10, followers=2000)  # 0.5 %
    h.post(ig, D - timedelta(days=2), likes=30, comments=15, followers=1500)  # 3 %
    h.post(ig, D - timedelta(days=40), likes=900, followers=1500)  # outside the 30 days
    return coach, {"ig": ig, "tt": tt, "yt": yt, "cx": cx}, (a, b, c)


def _check_all_paths(coach, range_="30d", **kw):
    """Stale rows (computed from the history), fresh rows and the Python rows give the same portfolio;
    the rows are left fresh."""
    visible = visible_clients(coach)
    q = _q(range=range_, **kw)
    _stale_all()
    stale = portfolio.compute_portfolio(visible, q)
    portfolio_state.refresh_stale(q.today)
    assert portfolio_state.stale_ids(q.today) == []
    assert portfolio_state.differences(q.today) == []
    fresh = portfolio.compute_portfolio(visible, q)
    _same(fresh, stale)
    for parts in (2, 3):  # the per-client statement in runs of clients, as PostgreSQL reads every client
        split = portfolio.compute_portfolio(visible, q, parts=parts)
        _same(split, fresh)
        assert list(split.platform_totals) == list(fresh.platform_totals)
    _, lb, att = _reference(visible, q)
    assert fresh.leaderboard == lb
    assert fresh.attention == att
    return fresh


def test_refreshed_rows_hold_hand_computed_values(factory):
    _, conns, _ = _fixture(factory)
    assert _row(conns["ig"]).fresh_version is None  # made by the trigger, stale until refreshed
    assert portfolio_state.refresh_stale(D) == 4
    ig, tt = _row(conns["ig"]), _row(conns["tt"])
    # followers(d): the snapshot on d, else the last one before it (366 days back: the one of day -400)
    assert (ig.f0, ig.f7, ig.f14, ig.f30, ig.f35, ig.f90, ig.f366) == (1500, 1400, 1300, 1100, 1100, 500, 500)
    assert (tt.f0, tt.f7, tt.f14, tt.f30, tt.f35, tt.f90, tt.f366) == (300, 300, 100, 100, 100, 80, None)
    assert ig.eng_sum == pytest.approx(3.0)
    assert ig.eng_posts == 1
    assert (tt.eng_sum, tt.eng_posts) == (None, 0)
    assert ig.as_of == D
    assert ig.fresh_version == ig.version
    assert portfolio_state.differences(D) == []
    assert portfolio_state.refresh_stale(D) == 0  # nothing stale any more


@pytest.mark.parametrize("range_", ["7d", "30d", "90d", "all"])
def test_fresh_stale_and_python_rows_agree(factory, range_):
    coach, _, _ = _fixture(factory)
    pf = _check_all_paths(coach, range_)
    # hand-computed: Ann 1500 + 300, Bob 2100 (revoked is still live), Cid 940, Dee nothing
    assert pf.total_followers == 1800 + 2100 + 940
    assert pf.client_count == 4
    assert [r.name for r in pf.leaderboard] == ["Ann", "Cid", "Bob", "Dee"]  # +50 %, +4.4 %, -4.5 %, none
    assert pf.platform_totals == {"instagram": 1500 + 940, "tiktok": 300, "youtube": 2100}
    assert pf.leaderboard[0].top_platform == "instagram"  # Ann: instagram +400 (1100 -> 1500), tiktok +200
    bob = next(a for a in pf.attention if a.name == "Bob")
    assert "YouTube connection revoked" in bob.reasons
    assert any("engagement 0.50%" in r for r in bob.reasons)


def test_writes_mark_rows_stale_and_refresh_makes_them_right(factory):
    coach, conns, (a, b, c) = _fixture(factory)
    ig = conns["ig"]
    portfolio_state.refresh_stale(D)
    v = _row(ig).version
    # a backfilled history row (an older day, the way a first sync's backfill writes it)
    h.snapshots(ig, {D - timedelta(days=95): 700}, provenance="backfilled")
    assert _row(ig).version > v
    assert portfolio_state.stale_ids(D) == [ig.id]
    pf = _check_all_paths(coach)  # the reader computes the stale row; then it is refreshed and equal
    assert _row(ig).f90 == 700
    assert pf.total_followers == 1800 + 2100 + 940
    # a snapshot edited in place (a sync overwriting today's value)
    db.session.execute(
        update(DailySnapshot).where(DailySnapshot.connection_id == ig.id, DailySnapshot.day == D).values(followers=1600)
    )
    db.session.commit()
    assert portfolio_state.stale_ids(D) == [ig.id]
    assert portfolio.compute_portfolio(visible_clients(coach), _q(range="30d")).total_followers == 1900 + 2100 + 940
    pf = _check_all_paths(coach)
    assert _row(ig).f0 == 1600
    # a post's numbers updated by a sync
    db.session.execute(text("UPDATE content_items SET likes = 60 WHERE connection_id = :c"), {"c": ig.id})
    db.session.commit()
    assert portfolio_state.stale_ids(D) == [ig.id]
    _check_all_paths(coach)
    assert _row(ig).eng_sum == pytest.approx(5.0)  # (60 + 15) / 1500
    # a deleted snapshot (retention or a deletion request)
    db.session.execute(delete(DailySnapshot).where(DailySnapshot.connection_id == ig.id, DailySnapshot.day == D))
    db.session.commit()
    _check_all_paths(coach)
    assert _row(ig).f0 == 1400


def test_revoked_disconnected_and_deleted(factory):
    coach, conns, (a, b, c) = _fixture(factory)
    ids = {k: v.id for k, v in conns.items()}
    portfolio_state.refresh_stale(D)
    # a disconnected connection (history kept) leaves the portfolio; its row stays but is not read
    db.session.execute(update(Connection).where(Connection.id == conns["cx"].id).values(disconnected_at=utcnow()))
    db.session.commit()
    pf = _check_all_paths(coach)
    assert pf.total_followers == 1800 + 2100
    # a deleted client: its connections, snapshots and posts go by cascade, and so do their rows
    db.session.execute(delete(Client).where(Client.id == a.id))
    db.session.commit()
    assert _row(ids["ig"]) is None
    assert _row(ids["tt"]) is None
    pf = _check_all_paths(coach)
    assert pf.total_followers == 2100
    assert pf.client_count == 3
    # a connection deleted with its history (disconnect, delete history)
    db.session.execute(delete(Connection).where(Connection.id == ids["yt"]))
    db.session.commit()
    assert _row(ids["yt"]) is None
    assert db.session.execute(select(PortfolioConnectionState.connection_id)).scalars().all() == [ids["cx"]]
    assert _check_all_paths(coach).total_followers == 0


def test_a_new_day_makes_every_row_stale_until_refreshed(factory):
    coach, conns, _ = _fixture(factory)
    portfolio_state.refresh_stale(D)
    # the sync of 23:59 was refreshed for D; at 00:01 the portfolio asks for D + 1
    tomorrow = D + timedelta(days=1)
    assert len(portfolio_state.stale_ids(tomorrow)) == 4
    visible = visible_clients(coach)
    computed = portfolio.compute_portfolio(visible, _q(now=tomorrow, range="30d"))
    _, lb, att = _reference(visible, _q(now=tomorrow, range="30d"))
    assert computed.leaderboard == lb
    assert computed.attention == att
    # D + 1 has no snapshot yet: followers are carried from D; 7 days back is now D - 6 (carried from D - 7)
    pf = _check_all_paths(coach, now=tomorrow)
    _same(pf, computed)
    assert _row(conns["ig"]).as_of == tomorrow
    assert _row(conns["ig"]).f7 == 1400
    assert portfolio_state.differences(tomorrow) == []


def test_the_preparation_after_a_sync_refreshes_the_connections_row(factory):
    coach = factory.coach()
    a = factory.client(coach=coach, name="Ann")
    ig = h.connection(a, "instagram")
    now = today()
    h.snapshots(ig, {now - timedelta(days=7): 100, now: 130})
    h.post(ig, datetime.combine(now, datetime.min.time(), tzinfo=UTC), likes=13, followers=130)  # 10 %
    assert portfolio_state.stale_ids(now) == [ig.id]
    page_prep.after_sync(ig.id)  # what the sync job runs after its commit: asks for the preparations
    assert portfolio_state.stale_ids(now) == [ig.id]
    assert page_prep.prepare_portfolio(coach.id)  # the coach's portfolio preparation (a worker job)
    row = _row(ig)
    assert (row.as_of, row.f0, row.f7, row.eng_posts) == (now, 130, 100, 1)
    assert row.eng_sum == pytest.approx(10.0)
    assert portfolio_state.stale_ids(now) == []
    assert portfolio_state.differences(now) == []


def test_cli_checks_the_rows_against_the_history(app, factory):
    _, conns, _ = _fixture(factory)
    runner = app.test_cli_runner()
    out = runner.invoke(args=["stats", "portfolio-rows", "--refresh"])
    assert out.exit_code == 0, out.output
    assert "Prepared 4 portfolio row(s)." in out.output
    assert "agree with the history" in out.output
    db.session.execute(
        update(PortfolioConnectionState).where(PortfolioConnectionState.connection_id == conns["ig"].id).values(f0=1)
    )
    db.session.commit()
    out = runner.invoke(args=["stats", "portfolio-rows"])
    assert out.exit_code == 1
    assert f"connection {conns['ig'].id}: stored (1," in out.output


def test_attention_page_builds_the_rows_it_shows_and_counts_the_rest(factory):
    from app.models import AttentionNote
    from app.stats import attention

    coach = factory.coach()
    ann, bob, cid, dee = (factory.client(coach=coach, name=n) for n in ("Ann", "Bob", "Cid", "Dee"))
    stalled = "growth stalled: last 7 days gained under half the weekly average of the 4 weeks before"
    rows = [
        portfolio.Attention(ann.id, "Ann", ("lost 5 followers in the last 14 days",)),
        portfolio.Attention(bob.id, "Bob", (stalled,)),  # snoozed: quiet
        portfolio.Attention(cid.id, "Cid", (stalled, "lost 1 followers in the last 14 days")),  # one of two snoozed
        portfolio.Attention(dee.id, "Dee", (stalled,)),
    ]
    for who in (bob, cid):
        db.session.add(
            AttentionNote(
                client_id=who.id, reason="stalled", reason_text=stalled, action="snooze", until=D + timedelta(1)
            )
        )
    db.session.commit()
    page = attention.for_page(rows, D, shown=1)
    assert [a.name for a in page.open] == ["Ann"]
    assert page.open_count == 3  # Ann, Cid (its decline is open), Dee
    assert [a.name for a in page.quiet] == ["Bob"]
    full = attention.with_notes(rows, D)
    assert [a.name for a in full if a.open] == ["Ann", "Cid", "Dee"]
    assert attention.for_page(rows, D).open == [a for a in full if a.open]


def test_a_cached_leaderboard_reads_like_the_computed_one(factory):
    coach, _, _ = _fixture(factory)
    visible = visible_clients(coach)
    computed = portfolio.compute_portfolio(visible, _q(range="30d"))
    cached = portfolio._load(portfolio._dump(computed).encode(), _q(range="30d"))
    assert isinstance(cached.leaderboard, portfolio.CachedLeaderboard)
    assert cached.leaderboard == computed.leaderboard
    assert computed.leaderboard == cached.leaderboard
    assert len(cached.leaderboard) == 4
    assert cached.leaderboard[:2] == computed.leaderboard[:2]
    assert cached.leaderboard[-1] == computed.leaderboard[-1]
    assert [r.name for r in cached.leaderboard] == ["Ann", "Cid", "Bob", "Dee"]


@pytest.mark.parametrize("who", ["coach", "admin"])
def test_platform_totals_in_the_order_of_their_first_connection(factory, who):
    """The platform totals (the last rows of the per-client statement) come in the order of each platform's
    first live connection in the portfolio's order: clients by display name, then connection id; not by
    connection id alone. Zed's YouTube is the oldest connection, but Amy comes first, and her TikTok before
    her Instagram; a tie for the top platform goes to the first of them. The admin's scope (every client)
    reads the statement on a connection of its own, the coach's inline."""
    coach = factory.coach()
    zed, amy, bob = (factory.client(coach=coach, name=n) for n in ("Zed", "Amy", "Bob"))
    yt = h.connection(zed, "youtube")
    gone = h.connection(amy, "facebook", disconnected_at=utcnow())  # not live: no platform row
    tt, ig = h.connection(amy, "tiktok"), h.connection(amy, "instagram")
    h.connection(bob, "linkedin")  # no snapshot at all: counted as 0 followers
    ig2 = h.connection(zed, "instagram")
    for conn, n in ((yt, 200), (gone, 900), (tt, 200), (ig, 150), (ig2, 50)):
        h.snapshots(conn, {D - timedelta(days=30): n // 2, D: n})
    visible = visible_clients(factory.admin() if who == "admin" else coach)
    for refresh in (False, True):  # stale rows (computed from the history), then fresh ones
        if refresh:
            portfolio_state.refresh_stale(D)
        # split in runs of clients: (Amy, Bob) and (Zed); then one client each. Zed's Instagram is summed
        # with Amy's, and YouTube, first seen in the last run, comes last
        for parts in (None, 1, 2, 3):
            pf = portfolio.compute_portfolio(visible, _q(range="30d"), parts=parts)
            order = [("tiktok", 200), ("instagram", 200), ("linkedin", 0), ("youtube", 200)]
            assert list(pf.platform_totals.items()) == order
            assert (pf.top_platform, pf.top_platform_share) == ("tiktok", pytest.approx(200 / 600 * 100))
            assert (pf.client_count, pf.total_followers) == (3, 600)
            assert [r.name for r in pf.leaderboard] == ["Amy", "Zed", "Bob"]  # +100 %, +100 % (name order), none
            pf = portfolio.compute_portfolio(visible, _q(range="30d", platform="youtube,linkedin"), parts=parts)
            assert list(pf.platform_totals.items()) == [("linkedin", 0), ("youtube", 200)]
            assert (pf.client_count, pf.total_followers, pf.top_platform) == (3, 200, "youtube")


def test_statements_are_kept_per_key_and_bounded(monkeypatch):
    """``portfolio_rows.kept``: one build per key, the oldest key dropped past the bound."""
    monkeypatch.setattr(portfolio_rows, "_KEPT", {})
    monkeypatch.setattr(portfolio_rows, "KEPT_STATEMENTS", 2)
    built = []

    def build(n):
        def make():
            built.append(n)
            return select(Client.id).where(Client.id == n)

        return make

    first = portfolio_rows.kept(("k", 1), build(1))
    assert portfolio_rows.kept(("k", 1), build(99)) is first
    assert portfolio_rows.kept(("k", 2), build(2)) is not first
    portfolio_rows.kept(("k", 3), build(3))  # drops ("k", 1), the oldest
    assert portfolio_rows.kept(("k", 1), build(1)) is not first
    assert built == [1, 2, 3, 1]
    assert len(portfolio_rows._KEPT) == 2
