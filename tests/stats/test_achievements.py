"""Achievements of the programme report, by hand (docs/metrics.md, "Achievements")."""

from __future__ import annotations

from datetime import date, timedelta

from app.alerts.rules import MILESTONES
from app.reports import build
from app.stats import achievements as ach
from tests.reports.test_contents import TODAY, program  # noqa: F401 - the fixture


def test_thresholds_are_the_milestone_alerts():
    assert ach.THRESHOLDS == MILESTONES


def test_program_month():
    assert ach.program_month(date(2026, 1, 15), date(2026, 1, 15)) == 1
    assert ach.program_month(date(2026, 1, 15), date(2026, 3, 20)) == 3
    assert ach.program_month(date(2026, 1, 15), date(2026, 3, 10)) == 2
    assert ach.program_month(date(2026, 1, 31), date(2026, 2, 28)) == 1
    assert ach.program_month(date(2026, 1, 31), date(2026, 3, 1)) == 2


def _series(known: dict[date, int], first: date, last: date) -> list[tuple[date, int | None]]:
    return [(first + timedelta(days=i), known.get(first + timedelta(days=i))) for i in range((last - first).days + 1)]


def test_from_totals_by_hand():
    known = {
        date(2026, 1, 14): 900,  # the baseline (day before the start)
        date(2026, 1, 15): 950,
        date(2026, 1, 16): 1000,  # 1K, month 1
        date(2026, 2, 14): 1200,  # still month 1
        date(2026, 2, 15): 1300,  # month 2
        date(2026, 3, 14): 4000,
        date(2026, 3, 15): 5100,  # 5K, month 3; +1,100 in a day; the peak
        date(2026, 3, 16): 5000,
    }
    a = ach.from_totals(_series(known, date(2026, 1, 14), date(2026, 3, 16)), date(2026, 1, 15))
    assert [(c.threshold, c.day, c.month) for c in a.crossed] == [
        (1000, date(2026, 1, 16), 1),
        (5000, date(2026, 3, 15), 3),
    ]
    # month 1: 1,200 - 900 = 300; month 2: 4,000 - 1,200 = 2,800; month 3: 5,000 - 4,000 = 1,000
    assert a.best_month == ach.BestMonth(2, date(2026, 2, 15), date(2026, 3, 14), 2800)
    assert a.biggest_day == ach.Record(date(2026, 3, 15), 1100)  # only gains between consecutive days
    assert a.peak == ach.Record(date(2026, 3, 15), 5100)
    assert a.best_post is None


def test_no_data_no_growth_and_a_start_above_every_threshold():
    empty = ach.from_totals([(date(2026, 1, 1), None)], date(2026, 1, 1))
    assert not empty.any
    flat = ach.from_totals(
        _series({date(2026, 1, 1): 2_000_000, date(2026, 1, 2): 2_000_000}, date(2026, 1, 1), date(2026, 1, 2)),
        date(2026, 1, 2),
    )
    assert flat.crossed == []
    assert flat.best_month is None
    assert flat.biggest_day is None
    assert flat.peak == ach.Record(date(2026, 1, 1), 2_000_000)


def test_programme_report_achievements(app, program):  # noqa: F811
    r = build.program(program, TODAY, charts=False)
    a = r["achievements"]
    # total = 1,200 + 11 a day from Aug 31: no threshold between 1,200 and 2,036
    assert a["crossed"] == []
    assert a["best_month"] == {"month": 2, "first": "2026-10-01", "last": "2026-10-31", "gain": 341}
    assert a["biggest_day"] == {"day": "2026-09-01", "gain": 11}
    assert a["peak"] == {"day": "2026-11-15", "followers": 2036}
    assert a["best_post"]["caption"] == "reel day 6"  # 10 %, the earliest of three
