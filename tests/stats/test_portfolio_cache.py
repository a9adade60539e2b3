"""The portfolio result cache (Redis, real): a hit equals the computation, a sync or new history
invalidates it, and the anchor lookup's carried fallback gives followers(d) exactly."""

from __future__ import annotations

from datetime import date, timedelta

from app.extensions import db
from app.models.base import utcnow
from app.redis_conn import get_redis
from app.services.clients import visible_clients
from app.stats import portfolio
from app.stats.query import parse
from tests.support import history as h

TODAY = date(2026, 3, 31)


def _q(**args):
    return parse(args, now=TODAY, extra=("size", "coach"))


def _keys():
    return list(get_redis().scan_iter(portfolio.CACHE_PREFIX + "*"))


def _same(a, b):
    assert a.client_count == b.client_count
    assert a.leaderboard == b.leaderboard
    assert a.attention == b.attention
    assert a.series == b.series
    assert a.period_change == b.period_change
    assert (
        a.total_followers,
        a.avg_growth_90d,
        a.avg_growth_clients,
        a.top_platform,
        a.top_platform_share,
        a.platform_totals,
    ) == (
        b.total_followers,
        b.avg_growth_90d,
        b.avg_growth_clients,
        b.top_platform,
        b.top_platform_share,
        b.platform_totals,
    )


def _fixture(factory):
    coach = factory.coach()
    a = factory.client(coach=coach, name="Ann")
    b = factory.client(coach=coach, name="Bob")
    ig, tt = h.connection(a, "instagram"), h.connection(a, "tiktok")
    yt = h.connection(b, "youtube", status="revoked")
    d = TODAY
    # tiktok has no snapshot on most anchor days: carried from the last one before
    h.snapshots(
        ig,
        {
            d - timedelta(days=90): 1000,
            d - timedelta(days=35): 1100,
            d - timedelta(days=30): 1200,
            d - timedelta(days=14): 1300,
            d - timedelta(days=7): 1400,
            d: 1500,
        },
    )
    h.snapshots(tt, {d - timedelta(days=100): 80, d - timedelta(days=40): 100, d - timedelta(days=10): 300})
    h.snapshots(yt, {d - timedelta(days=90): 2000, d - timedelta(days=30): 2200, d: 2100})
    h.post(yt, d - timedelta(days=3), likes=10, followers=2000)
    return coach, a, ig, tt


def test_cached_portfolio_equals_computed_and_carried_anchors(factory):
    coach, a, ig, tt = _fixture(factory)
    visible = visible_clients(coach)
    fresh = portfolio.compute_portfolio(visible, _q(range="30d"))
    ann = next(r for r in portfolio.client_rows(visible, _q(range="30d"), 30) if r.client_id == a.id)
    # followers(d) = last snapshot on or before d (carried): tiktok at today is 300 (from d-10), at d-35 is 100
    assert ann.by_platform["tiktok"] == {0: 300, 7: 300, 14: 100, 30: 100, 35: 100, 90: 80}
    assert ann.followers == 1500 + 300
    first = portfolio.portfolio(visible, _q(range="30d"))
    assert len(_keys()) == 1
    hit = portfolio.portfolio(visible, _q(range="30d"))
    _same(first, fresh)
    _same(hit, fresh)
    # another query or another scope is another entry
    portfolio.portfolio(visible, _q(range="90d"))
    assert len(_keys()) == 2


def test_sync_or_new_history_invalidates(factory):
    coach, a, ig, tt = _fixture(factory)
    visible = visible_clients(coach)
    before = portfolio.portfolio(visible, _q(range="30d"))
    h.snapshots(tt, {TODAY: 900})  # new history row
    after = portfolio.portfolio(visible, _q(range="30d"))
    assert after.total_followers == before.total_followers + 600
    # a sync that overwrites today's value in place bumps last_sync_at: a new version
    snap = next(s for s in db.session.query(h.DailySnapshot).filter_by(connection_id=ig.id, day=TODAY))
    snap.followers = 1600
    ig.last_sync_at = utcnow()
    db.session.commit()
    synced = portfolio.portfolio(visible, _q(range="30d"))
    assert synced.total_followers == after.total_followers + 100
    _same(synced, portfolio.compute_portfolio(visible, _q(range="30d")))


def test_redis_stopped_still_computes(app, factory):
    coach, *_ = _fixture(factory)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    app.extensions.pop("portal_redis", None)
    pf = portfolio.portfolio(visible_clients(coach), _q(range="30d"))
    assert pf.total_followers == 1500 + 300 + 2100
