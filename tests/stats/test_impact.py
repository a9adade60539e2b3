"""Coaching impact numbers by hand (docs/metrics.md, "Coaching impact")."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest

from app.extensions import db
from app.models import UsageDay
from app.services.clients import visible_clients
from app.stats import impact as im
from app.stats.query import today
from tests.support import history as h

XSS = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def test_t_critical_and_mean_ci_by_hand():
    assert im.t_critical(1) == 12.706
    assert im.t_critical(4) == 2.776
    assert im.t_critical(29) == 2.045
    assert im.t_critical(200) == 1.96
    assert im.mean_ci([]) == (None, None)
    assert im.mean_ci([3.0]) == (3.0, None)  # one client: a mean, no interval
    # 2, 4, 6, 8: mean 5, sample sd sqrt(20/3) = 2.58199, se = 1.29099, t(3) = 3.182 -> +-4.10794
    mean, ci = im.mean_ci([2.0, 4.0, 6.0, 8.0])
    assert mean == 5.0
    assert ci == pytest.approx((5 - 3.182 * math.sqrt(20 / 3) / 2, 5 + 3.182 * math.sqrt(20 / 3) / 2))
    assert ci[0] == pytest.approx(0.89206, abs=1e-5)


def test_deliverable_effects_by_hand():
    d = date(2026, 5, 1)
    rows = [
        im.Completion(1, "M1", d, 10.0, 20.0),  # lift 10
        im.Completion(2, "M1", d, 10.0, 10.0),  # lift 0
        im.Completion(2, "M1", d + timedelta(days=40), 0.0, 90.0),  # completed again: the first counts
        im.Completion(3, "M1", d, 5.0, None),  # waiting for the 28 days after
        im.Completion(1, "M2", d, None, 4.0),  # no data before: not counted, not waiting for time
    ]
    m1, m2 = im.deliverable_effects(rows)
    assert (m1.code, m1.n, m1.waiting, m1.small_sample) == ("M1", 2, 1, True)
    assert m1.growth_28d_before == 10.0
    assert m1.growth_28d_after == 15.0
    assert m1.lift_pts == 5.0
    # lifts 10, 0: sd = sqrt(50) = 7.0711, se = 5, t(1) = 12.706 -> 5 +- 63.53
    assert m1.ci95 == pytest.approx((5 - 63.53, 5 + 63.53))
    assert (m2.code, m2.n, m2.lift_pts, m2.ci95, m2.growth_28d_before) == ("M2", 0, None, None, None)


def test_cohort_growth_and_a_cohort_of_one():
    row = im.ProgramGrowth
    rows = [
        row(1, "a", "2026-01", date(2026, 1, 5), date(2026, 4, 1), 100, 250, 150.0),
        row(2, "b", "2026-01", date(2026, 1, 9), date(2026, 4, 1), 100, 110, 10.0),
        row(3, "c", "2026-03", date(2026, 3, 1), date(2026, 4, 1), 100, 130, 30.0),
    ]
    assert im.cohort_growth(rows) == [im.Cohort("2026-01", 2, 80.0), im.Cohort("2026-03", 1, 30.0)]


@pytest.fixture
def book(factory):
    t = today()
    a = factory.client(name=XSS, email="a@example.com", program_start=t - timedelta(days=100))
    ig = h.connection(a, "instagram")
    h.snapshots(
        ig,
        {
            t - timedelta(days=101): 1000,  # the day before the programme start: its baseline
            t - timedelta(days=88): 1000,
            t - timedelta(days=60): 1100,
            t - timedelta(days=32): 1320,
            t: 2200,
        },
    )
    h.snapshots(h.connection(a, "tiktok"), {t - timedelta(days=101): 0})
    b = factory.client(name="Bea", email="b@example.com", program_start=t - timedelta(days=60))
    yt = h.connection(b, "youtube", status="revoked")
    h.snapshots(yt, {t - timedelta(days=78): 500, t - timedelta(days=50): 550, t - timedelta(days=22): 605})
    c = factory.client(name="Cy", email="c@example.com", program_start=t - timedelta(days=30))
    d = factory.client(name="Di", email="d@example.com")
    h.snapshots(h.connection(d, "instagram"), {t - timedelta(days=5): 300, t: 330})

    def at(days: int) -> datetime:
        return datetime.combine(t + timedelta(days=days), datetime.min.time(), tzinfo=UTC)

    factory.deliverable(a, "M1", completed_at=at(-60))
    factory.deliverable(b, "m1 ", completed_at=at(-50))  # codes are compared trimmed, upper case
    factory.deliverable(b, "M2", completed_at=at(-10))  # the 28 days after have not passed
    factory.deliverable(d, "M1", completed_at=at(5))  # dated in the future: left out
    factory.deliverable(d, "M3")  # reopened (or never completed): no completion
    db.session.add_all(
        [
            UsageDay(client_id=a.id, kind="analytics", day=t),
            UsageDay(client_id=a.id, kind="report", day=t - timedelta(days=40)),
            UsageDay(client_id=b.id, kind="analytics", day=t - timedelta(days=7)),  # outside the 7 days
            UsageDay(client_id=c.id, kind="export", day=t - timedelta(days=90)),
        ]
    )
    db.session.commit()
    return a, b, c, d


def test_impact_by_hand(app, factory, book):
    a, b, c, d = book
    admin = factory.admin(email="boss@example.com")
    imp = im.impact(visible_clients(admin), today())
    assert imp.clients == 4
    assert imp.connected_1plus_pct == 75.0  # a, b, d
    assert imp.connected_2plus_pct == 25.0  # a
    assert (imp.connections, imp.active_connections_pct) == (4, 75.0)  # b's YouTube is revoked
    assert imp.weekly_active_clients_pct == 25.0  # a (b's visit was 7 days ago: days t-6 .. t count)
    assert imp.report_exporters_pct == 50.0  # a opened a report, c exported
    # a: 1,000 -> 2,200 = +120 %; b: 500 (carried to the day before its start) -> 605 = +21 %;
    # c has no data; d no start
    assert imp.program_clients == 2
    assert imp.average_program_growth_pct == pytest.approx(70.5)
    assert sum(co.n for co in imp.cohorts) == 2
    [m1, m2] = imp.effects
    # a: before (1,100 - 1,000) / 1,000 = 10 %, after (1,320 - 1,100) / 1,100 = 20 %
    # b: before (550 - 500) / 500 = 10 %, after (605 - 550) / 550 = 10 %
    assert (m1.code, m1.n, m1.waiting) == ("M1", 2, 0)
    assert m1.growth_28d_before == pytest.approx(10.0)
    assert m1.growth_28d_after == pytest.approx(15.0)
    assert m1.lift_pts == pytest.approx(5.0)
    assert m1.ci95 == pytest.approx((5 - 63.53, 5 + 63.53))
    assert (m2.code, m2.n, m2.waiting) == ("M2", 0, 1)
    assert [g.client_id for g in imp.case_studies] == [a.id]
    js = im.as_json(imp)
    assert js["value"]["case_studies"] == [
        {
            "client_id": a.id,
            "growth_pct": 120.0,
            "program_start": (today() - timedelta(days=100)).isoformat(),  # the start; the baseline is the day before
            "through": today().isoformat(),
            "consent": "none",
        }
    ]
    assert js["value"]["deliverables"][0]["ci95"] == [-58.53, 68.53]


def test_impact_of_nobody(app, factory):
    coach = factory.coach(email="c@example.com")
    imp = im.impact(visible_clients(coach), today())
    assert imp.clients == 0
    assert imp.connected_1plus_pct is None
    assert imp.average_program_growth_pct is None
    assert imp.effects == []
