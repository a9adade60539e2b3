"""Each metric of docs/metrics.md on small fixtures computed by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Client, Goal
from app.models.base import utcnow
from app.stats import cohorts, content, engagement, goals, milestones, overview, portfolio, series
from app.stats.growth import Change, growth_rate, stalled
from app.stats.query import parse
from tests.support import history as h

TODAY = date(2026, 3, 31)


def q(**args):
    return parse(args, now=TODAY)


def test_growth_rate_is_undefined_from_zero_or_unknown():
    assert growth_rate(1100, 1000) == pytest.approx(10.0)
    assert growth_rate(5, 0) is None
    assert growth_rate(5, None) is None
    assert Change(1000, 900).net == -100
    assert Change(None, 5).net is None


def test_followers_carry_forward_with_provenance_and_gaps(factory):
    c = factory.client()
    ig = h.connection(c, "instagram")
    tt = h.connection(c, "tiktok")
    # instagram: 1000 on the 27th, nothing on 28th-29th (carried), 1030 on the 30th (backfilled), 1040 on the 31st
    h.snapshots(ig, {date(2026, 3, 27): 1000, date(2026, 3, 31): 1040})
    h.snapshots(ig, {date(2026, 3, 30): 1030}, provenance="backfilled")
    # tiktok connected later: no data before the 29th (a gap, not a zero)
    h.daily(tt, date(2026, 3, 29), [200, 210, 250])
    hist = series.load_histories([ig, tt])[c.id]
    period = q(range="7d").period
    lines = {s.key: s for s in series.follower_series(hist, period)}
    ig_pts = {p.day: (p.value, p.provenance) for p in lines["instagram"].points}
    assert ig_pts[date(2026, 3, 24)] == (None, "gap")
    assert ig_pts[date(2026, 3, 28)] == (1000, "carried")
    assert ig_pts[date(2026, 3, 30)] == (1030, "backfilled")
    total = {p.day: (p.value, p.provenance) for p in lines["total"].points}
    assert total[date(2026, 3, 28)] == (1000, "carried")
    assert total[date(2026, 3, 29)] == (1200, "carried")
    assert total[date(2026, 3, 31)] == (1290, "measured")
    assert lines["total"].gap_days == 3  # 24th, 25th, 26th


def test_interactions_per_platform_and_post_rate():
    item = SimpleNamespace(likes=10, comments=5, shares=3, saves=2, followers_at_measure=400)
    assert engagement.interactions(item, "instagram") == 20
    assert engagement.interactions(item, "tiktok") == 18
    assert engagement.interactions(item, "youtube") == 15
    assert engagement.post_rate(item, "instagram") == pytest.approx(5.0)
    zero = SimpleNamespace(likes=10, comments=None, shares=None, saves=None, followers_at_measure=0)
    assert engagement.interactions(zero, "instagram") == 10
    assert engagement.post_rate(zero, "instagram") is None
    assert engagement.mean_rate([None]) is None
    assert engagement.points_change(3.0, 4.5) == pytest.approx(-1.5)


def test_client_overview_totals_shares_engagement_and_change(factory):
    c = factory.client()
    ig = h.connection(c, "instagram")
    yt = h.connection(c, "youtube")
    h.snapshots(ig, {date(2026, 3, 24): 1000, date(2026, 3, 31): 1100})
    h.snapshots(yt, {date(2026, 3, 24): 300, date(2026, 3, 31): 400})
    # this period (Mar 25-31): ER 5% (ig: 40+10 of 1000... incl saves/shares) and 2% (yt)
    h.post(ig, date(2026, 3, 26), likes=40, comments=5, saves=3, shares=2, followers=1000)  # 5.0%
    h.post(yt, date(2026, 3, 30), likes=5, comments=1, shares=99, followers=300, kind="video", views=900)  # 2.0%
    # previous period (Mar 18-24): 1%
    h.post(ig, date(2026, 3, 20), likes=10, followers=1000)
    ov = overview.client_overview(db.session.get(Client, c.id), q(range="7d"))
    assert ov.total.start == 1300
    assert ov.total.end == 1500
    assert ov.total.net == 200
    assert ov.total.rate == pytest.approx(200 / 1300 * 100)
    shares = {r.platform: r.share for r in ov.platforms}
    assert shares["instagram"] == pytest.approx(1100 / 1500 * 100)
    assert ov.engagement.rate == pytest.approx(3.5)
    assert ov.engagement.previous == pytest.approx(1.0)
    assert ov.engagement.change_points == pytest.approx(2.5)
    assert [p.headline for p in ov.top] == [40, 900]  # likes for images, views for videos


def test_empty_client_and_one_day_of_data(factory):
    c = factory.client()
    ov = overview.client_overview(db.session.get(Client, c.id), q(range="30d"))
    assert not ov.has_connections
    assert not ov.has_data
    assert ov.total.rate is None
    assert ov.engagement.rate is None
    ig = h.connection(c, "instagram")
    h.snapshots(ig, {TODAY: 500})
    ov = overview.client_overview(db.session.get(Client, c.id), q(range="all"))
    assert ov.total.end == 500
    assert ov.total.start is None
    assert ov.total.rate is None
    assert ov.period.start == TODAY - timedelta(days=1)


def test_best_posting_time_uses_the_client_time_zone_and_needs_three_posts():
    def p(when, rate):
        return SimpleNamespace(published_at=when, rate=rate)

    # Mondays 23:30 UTC = Tuesdays 00:30 in Berlin (winter): block 0 of Tuesday
    mon = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)
    posts = [p(mon + timedelta(weeks=i), r) for i, r in enumerate([1.0, 5.0, 3.0])]
    posts += [p(datetime(2026, 1, 7, 10, tzinfo=UTC), 50.0), p(datetime(2026, 1, 14, 10, tzinfo=UTC), 50.0)]
    bt = content.best_posting_time(posts, "Europe/Berlin")
    assert bt.best is not None
    assert (bt.best.weekday, bt.best.block) == (1, 0)
    assert bt.best.median_rate == 3.0
    assert bt.cells[2][5].posts == 2
    assert bt.cells[2][5].median_rate is None
    utc = content.best_posting_time(posts, "UTC")
    assert (utc.best.weekday, utc.best.block) == (0, 11)


def test_heat_levels_are_relative_to_the_best_block():
    def p(when, rate):
        return SimpleNamespace(published_at=when, rate=rate)

    base = datetime(2026, 1, 5, 10, tzinfo=UTC)  # Mondays 10:00 UTC, block 5
    posts = [p(base + timedelta(weeks=i), 4.0) for i in range(3)]
    posts += [p(base + timedelta(days=1, weeks=i), 1.0) for i in range(3)]  # Tuesdays: a quarter of the best
    posts += [p(base + timedelta(days=2, weeks=i), 0.0) for i in range(3)]  # Wednesdays: 0%, still rated
    bt = content.best_posting_time(posts, "UTC")
    assert bt.level(bt.cells[0][5]) == 4
    assert bt.level(bt.cells[1][5]) == 1
    assert bt.level(bt.cells[2][5]) == 1
    assert bt.level(bt.cells[3][5]) is None  # no posts: not rated


def test_best_hashtags_need_two_posts():
    def p(rate, tags):
        return SimpleNamespace(rate=rate, hashtags=tags)

    stats = content.best_hashtags([p(4.0, ["#Fit"]), p(2.0, ["fit", "gym"]), p(9.0, ["solo"]), p(None, ["gym"])])
    assert [(s.tag, s.posts, s.median_rate) for s in stats] == [("fit", 2, 3.0)]


def test_gain_per_deliverable_so_far_and_impact(factory):
    c = factory.client(program_start=date(2026, 1, 1))
    ig = h.connection(c)
    start = date(2026, 1, 1)
    h.daily(ig, start - timedelta(days=30), [1000 + 10 * i for i in range(31 + 89)])  # +10/day to Mar 30
    factory.deliverable(c, "M1", completed_at=datetime(2026, 1, 31, 12, tzinfo=UTC))
    factory.deliverable(c, "M2")
    client = db.session.get(Client, c.id)
    hist = series.load_histories([ig])[c.id]
    ms = milestones.milestones(hist, client.deliverables, client.program_start, TODAY)
    assert ms[0].code == "M1"
    assert ms[0].gain == 300
    assert not ms[0].so_far
    # before: Jan 3 (1320) -> Jan 31 (1600); after: Jan 31 -> Feb 28 (1880)
    assert ms[0].before_rate == pytest.approx((1600 - 1320) / 1320 * 100)
    assert ms[0].after_rate == pytest.approx(280 / 1600 * 100)
    # M2 in progress: Jan 31 -> today (carried from Mar 30 = 1000 + 10*119 = 2190)
    assert ms[1].so_far
    assert ms[1].gain == 2190 - 1600


def test_goal_forecast_on_and_off_track(factory):
    c = factory.client()
    ig = h.connection(c, "instagram")
    h.snapshots(ig, {TODAY - timedelta(days=28): 1000, TODAY: 1280})  # +10/day
    hist = series.load_histories([ig])[c.id]
    on = goals.goal_status(
        Goal(id=1, platform="instagram", target=1380, target_date=TODAY + timedelta(days=10)), hist, TODAY
    )
    assert on.state == "on_track"
    assert on.forecast == TODAY + timedelta(days=10)
    off = goals.goal_status(Goal(id=2, platform=None, target=2000, target_date=TODAY + timedelta(days=30)), hist, TODAY)
    assert off.state == "off_track"
    assert off.forecast == TODAY + timedelta(days=72)
    done = goals.goal_status(Goal(id=3, platform=None, target=1000, target_date=TODAY), hist, TODAY)
    assert done.state == "achieved"


def test_stall_rule():
    assert stalled(1040, 1000, 600)  # 40 < half of 100/week
    assert not stalled(1060, 1000, 600)
    assert not stalled(1000, 1000, 1000)  # flat account: nothing to stall


def test_portfolio_numbers_leaderboard_and_attention(factory):
    coach = factory.coach()
    a = factory.client(coach=coach, name="Ann")
    b = factory.client(coach=coach, name="Bob")
    e = factory.client(coach=coach, name="Empty")
    a_ig, a_tt = h.connection(a, "instagram"), h.connection(a, "tiktok")
    b_yt = h.connection(b, "youtube", status="revoked")
    d = TODAY
    h.snapshots(
        a_ig,
        {
            d - timedelta(days=90): 1000,
            d - timedelta(days=35): 1100,
            d - timedelta(days=30): 1200,
            d - timedelta(days=14): 1300,
            d - timedelta(days=7): 1400,
            d: 1500,
        },
    )
    h.snapshots(a_tt, {d - timedelta(days=90): 100, d - timedelta(days=30): 100, d: 500})
    h.snapshots(
        b_yt, {d - timedelta(days=90): 2000, d - timedelta(days=30): 2200, d - timedelta(days=14): 2300, d: 2100}
    )
    h.post(b_yt, d - timedelta(days=3), likes=10, followers=2000)  # 0.5%
    from app.services.clients import visible_clients

    pf = portfolio.portfolio(visible_clients(coach), q(range="30d"))
    assert pf.total_followers == 2000 + 2100
    # 90d: Ann (2000-1100)/1100, Bob (2100-2000)/2000; Empty has no data: not averaged
    assert pf.avg_growth_clients == 2
    assert pf.avg_growth_90d == pytest.approx(((900 / 1100) + (100 / 2000)) / 2 * 100)
    assert pf.top_platform == "youtube"
    assert pf.top_platform_share == pytest.approx(2100 / 4100 * 100)
    lb = pf.leaderboard
    assert [r.name for r in lb] == ["Ann", "Bob", "Empty"]
    assert lb[0].change.rate == pytest.approx((2000 - 1300) / 1300 * 100)
    assert lb[0].top_platform == "tiktok"
    reasons = {x.name: x.reasons for x in pf.attention}
    assert "Ann" not in reasons
    assert "Empty" not in reasons
    assert any("lost 200" in r for r in reasons["Bob"])
    assert any("engagement 0.50%" in r for r in reasons["Bob"])
    assert any("revoked" in r for r in reasons["Bob"])
    band = portfolio.portfolio(
        visible_clients(coach), parse({"size": "nano", "platform": "tiktok"}, now=TODAY, extra=("size",))
    )
    assert [r.name for r in band.leaderboard] == ["Ann"]
    assert band.total_followers == 500
    assert e.id not in {r.client_id for r in band.leaderboard}


def test_portfolio_stall_and_failing_connection(factory):
    coach = factory.coach()
    c = factory.client(coach=coach, name="Stally")
    ig = h.connection(c, "instagram", status="error")
    d = TODAY
    h.snapshots(ig, {d - timedelta(days=35): 1000, d - timedelta(days=7): 1400, d: 1420})
    ig.last_sync_at = utcnow() - timedelta(hours=30)
    db.session.commit()
    from app.services.clients import visible_clients

    reasons = portfolio.portfolio(visible_clients(coach), q()).attention[0].reasons
    assert any("stalled" in r for r in reasons)
    assert any("failing for over 24 hours" in r for r in reasons)


def test_portfolio_flags_a_connected_account_whose_data_is_stale(factory):
    """A sync failing with a 5xx keeps the status ``connected``; only the age of the data shows it (D1)."""
    from app.services.clients import visible_clients

    coach = factory.coach()
    stale, fresh = factory.client(coach=coach, name="Stale"), factory.client(coach=coach, name="Fresh")
    for c, hours in ((stale, 30), (fresh, 2)):
        ig = h.connection(c, "instagram")
        h.snapshots(ig, {TODAY - timedelta(days=1): 1000, TODAY: 1000})
        ig.last_sync_at = utcnow() - timedelta(hours=hours)
    db.session.commit()
    reasons = {x.name: x.reasons for x in portfolio.portfolio(visible_clients(coach), q()).attention}
    assert reasons.get("Stale") == ("Instagram no new data for over 26 hours",)
    assert "Fresh" not in reasons


def test_cohorts_align_clients_by_program_week(factory):
    coach = factory.coach()
    for start, gain in ((date(2026, 1, 5), 10), (date(2026, 1, 19), 30)):
        c = factory.client(coach=coach, program_start=start)
        ig = h.connection(c)
        h.daily(ig, start, [1000 + gain * i for i in range(30)])
    from app.services.clients import visible_clients

    rows = cohorts.cohorts(visible_clients(coach), q(), weeks=2)
    assert len(rows) == 1
    assert rows[0].cohort == "2026-01"
    assert rows[0].clients == 2
    assert rows[0].growth_by_week[0] == 0
    assert rows[0].growth_by_week[1] == pytest.approx((7.0 + 21.0) / 2)
    assert db.session.execute(select(Client)).first() is not None
