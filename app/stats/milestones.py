"""Gain per deliverable and the impact read-out around each completion (docs/metrics.md, "Milestones")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from app.models import Deliverable
from app.stats.growth import growth_rate
from app.stats.series import History

IMPACT_DAYS = 28


@dataclass(frozen=True)
class Milestone:
    code: str
    title: str
    completed_on: date | None
    gain: int | None  # followers gained from the previous completion (or program start)
    so_far: bool  # the deliverable in progress: gain since the last completion
    before_rate: float | None  # growth rate (%) in the 28 days before the completion
    after_rate: float | None  # ... and in the 28 days after (None until 28 days have passed)

    @property
    def impact_points(self) -> float | None:
        if self.before_rate is None or self.after_rate is None:
            return None
        return self.after_rate - self.before_rate


def milestones(
    history: History, deliverables: Sequence[Deliverable], program_start: date | None, today: date
) -> list[Milestone]:
    """Completed deliverables in completion order, then the first open one "(so far)"."""
    done = sorted((d for d in deliverables if d.completed_at is not None), key=lambda d: (d.completed_at, d.position))
    prev_day = program_start or history.first_day
    out: list[Milestone] = []
    for d in done:
        assert d.completed_at is not None
        day = d.completed_at.date()
        base = history.total_at(prev_day) if prev_day else None
        now = history.total_at(day)
        gain = None if base is None or now is None else now - base
        before = growth_rate(now, history.total_at(day - timedelta(days=IMPACT_DAYS)))
        after_day = day + timedelta(days=IMPACT_DAYS)
        after = growth_rate(history.total_at(after_day), now) if after_day <= today else None
        out.append(Milestone(d.code, d.title, day, gain, False, before, after))
        prev_day = day
    open_items = sorted((d for d in deliverables if d.completed_at is None), key=lambda d: d.position)
    if open_items:
        d = open_items[0]
        base = history.total_at(prev_day) if prev_day else None
        now = history.total_at(today)
        gain = None if base is None or now is None else now - base
        out.append(Milestone(d.code, d.title, None, gain, True, None, None))
    return out


PROGRESS_DAYS = 7


def progress(history: History, d: date, program_start: date | None, platform: str | None = None) -> dict[str, Any]:
    """The lines a milestone email adds (docs/metrics.md "Milestones"): the gain over the 7 days up to
    ``d`` ("+234 in the last 7 days") and the growth rate since the programme start ("+104% since
    starting"), for one platform or the total; None where an end is unknown (or no programme start, or a
    start after ``d``)."""

    def at(day: date) -> int | None:
        return history.platform_at(platform, day) if platform else history.total_at(day)

    now, week = at(d), at(d - timedelta(days=PROGRESS_DAYS))
    start = at(program_start) if program_start is not None and program_start <= d else None
    return {
        "gain_7d": None if now is None or week is None else now - week,
        "since_start_pct": growth_rate(now, start),
        "program_start": program_start.isoformat() if program_start and start is not None else None,
    }
