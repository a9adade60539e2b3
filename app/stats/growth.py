"""Net change and growth rate of a window (docs/metrics.md, "Growth")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


def growth_rate(now: int | None, before: int | None) -> float | None:
    """(now - before) / before x 100; None (an em dash, JSON null) when ``before`` is 0 or unknown."""
    if now is None or before is None or before == 0:
        return None
    return (now - before) / before * 100.0


@dataclass(frozen=True)
class Change:
    """A value at the end of a window compared with its start."""

    start: int | None
    end: int | None

    @property
    def net(self) -> int | None:
        return None if self.start is None or self.end is None else self.end - self.start

    @property
    def rate(self) -> float | None:
        return growth_rate(self.end, self.start)


def mean_daily_gain(now: int | None, before: int | None, days: int) -> float | None:
    """Average gain per day over ``days`` (the basis of forecasts)."""
    if now is None or before is None or days <= 0:
        return None
    return (now - before) / days


def stalled(f_now: int | None, f_7: int | None, f_35: int | None) -> bool:
    """A stall: the last 7 days gained less than half the mean weekly gain of the 4 weeks before.

    Only meaningful when the 4 weeks before gained something (a flat account has nothing to stall).
    """
    if f_now is None or f_7 is None or f_35 is None:
        return False
    mean_weekly = (f_7 - f_35) / 4
    return mean_weekly > 0 and (f_now - f_7) < mean_weekly / 2


SURGE_MIN_GAIN = 100


def surge(f_now: int | None, f_7: int | None, f_35: int | None, min_gain: int = SURGE_MIN_GAIN) -> bool:
    """A surge: the last 7 days gained more than twice the mean weekly gain of the 4 weeks before, and at
    least ``min_gain`` (docs/metrics.md, "Alerts": GROWTH_SURGE)."""
    if f_now is None or f_7 is None or f_35 is None:
        return False
    gain = f_now - f_7
    mean_weekly = (f_7 - f_35) / 4
    return gain >= min_gain and gain > 2 * mean_weekly


def window_start(end: date, days: int) -> date:
    from datetime import timedelta

    return end - timedelta(days=days)
