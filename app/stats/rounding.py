"""Counts a platform rounds, and the follower level reconciled with exactly known daily changes.

YouTube's Data API reports ``subscriberCount`` rounded *down* to three significant figures above
1,000 (302,999 is reported as 302,000), while YouTube Analytics gives the exact ``subscribersGained``
and ``subscribersLost`` of each day 48-72 hours later. Comparing two rounded counts invents changes of a
whole rounding step (a channel going from 303,001 to 302,999 "loses 1,000"), so the app stores, for
each day, a level that agrees with both (docs/metrics.md, "Rounded counts"):

* Days joined by known daily changes form a *run*; inside a run every level is the run's first level
  plus the summed changes, so any change measured inside a run is exact.
* Each rounded report on a day of the run says ``reported <= level <= reported + step - 1``; carried
  back to the run's first day and intersected, the reports narrow the true level (each time the channel
  crosses a rounding boundary the interval shrinks). A report that contradicts the later ones (YouTube
  revised its numbers) is left out, newest reports first.
* The level chosen inside that interval moves as little as the reports allow: the stored level when
  it is still possible (history does not churn), else the nearest bound; a run after days whose change
  is not known yet (the analytics lag) starts as close to the previous run's level as its reports allow,
  so a new rounded report shows the smallest change it proves, never a whole step.

Pure functions of the numbers: the sync (``app/sync/reconcile.py``) loads and writes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

#: platforms whose follower counts are rounded by the platform (the rule in :func:`rounding_step`)
ROUNDED_PLATFORMS = frozenset({"youtube"})
#: YouTube shows counts below this exactly
EXACT_BELOW = 1_000
DAY = timedelta(days=1)


def rounding_step(platform: str, reported: int) -> int:
    """How many true values a reported count stands for (1: exact).

    YouTube: three significant figures, rounded down, from 1,000 on: 1,234 -> step 10, 302,000 -> 1,000,
    1,230,000 -> 10,000.
    """
    if platform not in ROUNDED_PLATFORMS or reported < EXACT_BELOW:
        return 1
    return int(10 ** (len(str(int(reported))) - 3))


def reported_count(platform: str, true_count: int) -> int:
    """What the platform's API shows for a true count (YouTube: rounded down to three figures)."""
    return true_count - true_count % rounding_step(platform, true_count)


@dataclass(frozen=True)
class Observation:
    """A count known on a day: ``value <= level <= value + step - 1`` (``step`` 1: exact)."""

    day: date
    value: int
    step: int = 1


@dataclass(frozen=True)
class Level:
    """The reconciled level of one day, the bounds of the true level, and the first day of its run."""

    value: int
    low: int
    high: int
    linked_since: date

    @property
    def exact(self) -> bool:
        return self.low == self.high


@dataclass
class _Run:
    start: date
    offsets: dict[date, int]  # day -> summed known changes since the run's first day


def _runs(first: date, last: date, nets: Mapping[date, int]) -> list[_Run]:
    """Split ``first..last`` where a day's change from the day before is not known."""
    runs: list[_Run] = []
    day = first
    while day <= last:
        if not runs or day not in nets:
            runs.append(_Run(day, {day: 0}))
        else:
            run = runs[-1]
            run.offsets[day] = run.offsets[day - DAY] + nets[day]
        day += DAY
    return runs


def _interval(run: _Run, observations: Mapping[date, Observation]) -> tuple[int, int] | None:
    """The run's first level allowed by its reports (newest first; a contradicting one is skipped)."""
    low: int | None = None
    high: int | None = None
    for day in sorted((d for d in run.offsets if d in observations), reverse=True):
        obs = observations[day]
        lo = obs.value - run.offsets[day]
        hi = obs.value + obs.step - 1 - run.offsets[day]
        if low is None or high is None:
            low, high = lo, hi
        elif max(low, lo) <= min(high, hi):
            low, high = max(low, lo), min(high, hi)
    if low is None or high is None:
        return None
    return low, high


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def reconcile(
    days: Sequence[date],
    observations: Mapping[date, Observation],
    nets: Mapping[date, int],
    stored: Mapping[date, int],
) -> dict[date, Level]:
    """The reconciled level of each of ``days`` (sorted) that belongs to a run with a report.

    ``nets``: day -> exact change from the end of the day before (gained - lost); ``stored``: the levels
    stored now (kept where the reports still allow them). Days of a run without any report (history
    derived from an anchor whose own run is not joined yet) are left out: nothing proves their level.
    """
    if not days:
        return {}
    out: dict[date, Level] = {}
    previous: int | None = None  # the last reconciled level before the current run
    for run in _runs(days[0], days[-1], nets):
        bounds = _interval(run, observations)
        if bounds is None:
            previous = None
            continue
        low, high = bounds
        if previous is not None:
            start = _clamp(previous, low, high)
        else:
            kept = [stored[d] - off for d, off in run.offsets.items() if d in stored]
            start = _clamp(kept[0], low, high) if kept else low
        for day, offset in run.offsets.items():
            out[day] = Level(start + offset, low + offset, high + offset, run.start)
        previous = start + run.offsets[max(run.offsets)]
    wanted = set(days)
    return {d: level for d, level in out.items() if d in wanted}


def about(value: int, bounds: tuple[int, int]) -> str:
    """A level known only within ``bounds``, written to the precision they allow: "about 302,500"
    for a whole rounding step, "about 302,990" once crossings narrowed it to a few followers."""
    width = bounds[1] - bounds[0] + 1
    if width <= 1:
        return f"{value:,}"
    unit = 10 ** (len(str(width)) - 1)
    return f"about {round(value / unit) * unit:,}"


def rounding_note(bounds: tuple[int, int], platform: str | None = None) -> str:
    """Why a number is approximate (hover text and data tables)."""
    who = "YouTube rounds subscriber counts" if platform in (None, "youtube") else "The platform rounds its counts"
    return f"{who} down to three significant figures; the true count is between {bounds[0]:,} and {bounds[1]:,}."
