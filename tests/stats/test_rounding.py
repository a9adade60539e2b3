"""The reconciled level of a rounded count (``app/stats/rounding.py``), against hand-computed truths."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.stats.rounding import Observation, reconcile, reported_count, rounding_step

D0 = date(2026, 11, 1)


def day(i: int) -> date:
    return D0 + timedelta(days=i)


def floor3(n: int) -> int:
    """YouTube's rounding, written independently of the code under test."""
    if n < 1000:
        return n
    keep = int(str(n)[:3])
    return keep * 10 ** (len(str(n)) - 3)


@pytest.mark.parametrize(
    ("reported", "step"),
    [(999, 1), (1_000, 10), (1_234, 10), (12_300, 100), (302_000, 1_000), (1_230_000, 10_000), (10_000_000, 100_000)],
)
def test_rounding_step_is_three_significant_figures_from_1000(reported, step):
    assert rounding_step("youtube", reported) == step
    assert rounding_step("tiktok", reported) == 1  # other platforms report exact counts
    assert reported_count("youtube", reported) == floor3(reported)  # floor3: the rule written independently


def observe(truth: list[int], nets_from: int = 1) -> tuple[dict, dict]:
    obs = {day(i): Observation(day(i), floor3(t), rounding_step("youtube", floor3(t))) for i, t in enumerate(truth)}
    nets = {day(i): truth[i] - truth[i - 1] for i in range(nets_from, len(truth))}
    return obs, nets


def test_known_changes_make_every_change_exact_and_crossings_narrow_the_level():
    truth = [302_990, 302_996, 303_004, 303_001, 302_999, 302_995, 303_010]
    obs, nets = observe(truth)
    days = [day(i) for i in range(len(truth))]
    levels = reconcile(days, obs, nets, {d: o.value for d, o in obs.items()})
    values = [levels[d].value for d in days]
    # every day-to-day change is the true one, whatever the rounding
    assert [b - a for a, b in zip(values, values[1:], strict=False)] == [
        b - a for a, b in zip(truth, truth[1:], strict=False)
    ]
    for i, d in enumerate(days):
        assert levels[d].low <= truth[i] <= levels[d].high
        assert levels[d].linked_since == day(0)
    # offsets from day 0: 0, 6, 14, 11, 9, 5, 20; the reports (302K, 302K, 303K, 303K, 302K, 302K, 303K)
    # put day 0 in
    # [302000,302999] & [301994,302993] & [302986,303985] & [302989,303988] & [301991,302990]
    # & [301995,302994] & [302980,303979] -> [302989, 302990]
    assert (levels[day(0)].low, levels[day(0)].high) == (302_989, 302_990)


def test_without_known_changes_a_new_report_moves_the_level_as_little_as_it_proves():
    """The analytics lag: the last days have no exact change yet. 303,001 (exact from the run before)
    then a report of 302,000: the level moves to 302,999 (a proven loss of 2), not by 1,000."""
    obs = {
        day(0): Observation(day(0), 303_001, 1),  # an exact count (an import)
        day(1): Observation(day(1), 302_000, 1_000),
        day(2): Observation(day(2), 302_000, 1_000),
    }
    levels = reconcile([day(0), day(1), day(2)], obs, {}, {d: o.value for d, o in obs.items()})
    assert [levels[day(i)].value for i in range(3)] == [303_001, 302_999, 302_999]
    assert levels[day(1)].linked_since == day(1)  # no run joins it to day 0: the change is not exact
    assert (levels[day(1)].low, levels[day(1)].high) == (302_000, 302_999)


def test_the_stored_level_is_kept_while_the_reports_allow_it():
    obs, nets = observe([302_500, 302_520, 302_540])
    days = [day(0), day(1), day(2)]
    stored = {day(0): 302_700, day(1): 302_720, day(2): 302_000}  # today's row was just overwritten
    levels = reconcile(days, obs, nets, stored)
    assert [levels[d].value for d in days] == [302_700, 302_720, 302_740]
    # a report that excludes it moves the whole run to the nearest allowed level
    stored = {day(0): 303_500, day(1): 303_520, day(2): 303_540}
    levels = reconcile(days, obs, nets, stored)
    assert levels[day(0)].value == 302_999 - 40  # the highest day 2 may be is 302,999


def test_a_contradicting_older_report_is_left_out_and_a_run_without_reports_is_not_touched():
    obs = {day(2): Observation(day(2), 302_000, 1_000), day(1): Observation(day(1), 305_000, 1_000)}
    nets = {day(1): 5, day(2): 5}
    levels = reconcile([day(0), day(1), day(2)], obs, nets, {day(2): 302_000})
    assert levels[day(2)].low == 302_000  # the newest report wins
    assert levels[day(1)].value == levels[day(2)].value - 5
    # day 5 starts a run of its own with no report: left out
    levels = reconcile([day(2), day(5)], {day(2): Observation(day(2), 302_000, 1_000)}, {}, {})
    assert day(5) not in levels


def test_exact_counts_pass_through_unchanged():
    obs = {day(i): Observation(day(i), 500 + i, 1) for i in range(3)}
    levels = reconcile([day(0), day(1), day(2)], obs, {day(1): 1, day(2): 1}, {})
    assert [(levels[day(i)].value, levels[day(i)].exact) for i in range(3)] == [(500, True), (501, True), (502, True)]
