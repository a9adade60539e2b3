"""A programme's achievements (docs/metrics.md, "Achievements"): follower thresholds crossed with the
programme month, the best month, the best post and records (biggest day, peak).

Works on the client's daily total followers over the programme (``History.total_at``), so the numbers
are the same as the report's table. Programme month n covers [start + (n-1) months, start + n months):
a programme starting Jan 15 has March 20 in month 3 and March 10 in month 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from app.stats.content import Post
from app.stats.series import History

#: the follower counts that are worth a line (the same as the MILESTONE alert's, a test keeps them equal)
THRESHOLDS: tuple[int, ...] = (1_000, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000)


def program_month(start: date, d: date) -> int:
    """1-based programme month of ``d`` (``d`` >= ``start``)."""
    n = (d.year - start.year) * 12 + (d.month - start.month)
    if d.day < start.day:
        n -= 1
    return n + 1


def threshold_label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}K"
    return f"{n:,}"


@dataclass(frozen=True)
class Crossed:
    threshold: int
    day: date
    month: int  # programme month


@dataclass(frozen=True)
class BestMonth:
    month: int
    first: date
    last: date
    gain: int


@dataclass(frozen=True)
class Record:
    day: date
    value: int


@dataclass(frozen=True)
class Achievements:
    crossed: list[Crossed]
    best_month: BestMonth | None
    biggest_day: Record | None  # the largest day-over-day gain of the total
    peak: Record | None  # the highest total (first day it was reached)
    best_post: Post | None  # the highest engagement rate among the programme's posts

    @property
    def any(self) -> bool:
        return bool(self.crossed or self.best_month or self.biggest_day or self.best_post)


def from_totals(totals: Sequence[tuple[date, int | None]], start: date, posts: Sequence[Post] = ()) -> Achievements:
    """``totals``: (day, total followers or None) for consecutive days, the first being the day the
    programme starts from (its baseline)."""
    known = [(d, v) for d, v in totals if v is not None]
    if not known:
        return Achievements([], None, None, None, _best_post(posts))
    baseline = known[0][1]
    crossed = []
    for t in THRESHOLDS:
        if baseline >= t:
            continue
        hit = next((d for d, v in known if v >= t), None)
        if hit is None:
            break
        crossed.append(Crossed(t, hit, program_month(start, max(hit, start))))
    best_month = _best_month(known, start)
    gains = [(b[0], b[1] - a[1]) for a, b in zip(known, known[1:], strict=False) if (b[0] - a[0]).days == 1]
    top_gain = max(gains, key=lambda g: (g[1], -g[0].toordinal()), default=None)
    peak_value = max(v for _, v in known)
    peak_day = next(d for d, v in known if v == peak_value)
    return Achievements(
        crossed=crossed,
        best_month=best_month,
        biggest_day=Record(*top_gain) if top_gain and top_gain[1] > 0 else None,
        peak=Record(peak_day, peak_value),
        best_post=_best_post(posts),
    )


def _best_month(known: Sequence[tuple[date, int]], start: date) -> BestMonth | None:
    """Gain per programme month: its last known total minus the last known total before it (the
    baseline day for month 1; the month's own first known total when nothing is known before it). The
    best is the largest positive gain, the earliest on a tie."""
    months: dict[int, list[tuple[date, int]]] = {}
    for d, v in known:
        months.setdefault(program_month(start, d) if d >= start else 0, []).append((d, v))
    best: BestMonth | None = None
    before: int | None = None
    for m in sorted(months):
        pts = months[m]
        if m > 0:
            gain = pts[-1][1] - (before if before is not None else pts[0][1])
            if gain > 0 and (best is None or gain > best.gain):
                best = BestMonth(m, pts[0][0], pts[-1][0], gain)
        before = pts[-1][1]
    return best


def _best_post(posts: Sequence[Post]) -> Post | None:
    rated = [p for p in posts if p.rate is not None]
    return max(rated, key=lambda p: (p.rate or 0.0, -p.published_at.timestamp()), default=None)  # earliest on a tie


def achievements(history: History, first: date, end: date, posts: Sequence[Post]) -> Achievements:
    """The programme (days ``first`` .. ``end``) against the day before ``first``."""
    days = [first - timedelta(days=1) + timedelta(days=i) for i in range((end - first).days + 2)]
    return from_totals([(d, history.total_at(d)) for d in days], first, posts)
