"""Goals: on-track / off-track and a forecast date from recent growth."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from app.models import Goal
from app.stats.growth import mean_daily_gain
from app.stats.series import History

FORECAST_DAYS = 28  # "recent growth" = the mean daily gain of the last 28 days


@dataclass(frozen=True)
class GoalStatus:
    id: int
    platform: str | None
    target: int
    target_date: date
    current: int | None
    daily_gain: float | None
    forecast: date | None  # the day the target is reached at the recent pace; None if never
    state: str  # achieved | on_track | off_track | no_data

    @property
    def remaining(self) -> int | None:
        return None if self.current is None else max(self.target - self.current, 0)


def goal_status(goal: Goal, history: History, today: date) -> GoalStatus:
    """Achieved when the current value (its lower bound, for rounded counts) reaches the target;
    otherwise on track when the forecast (today + remaining / recent daily gain) is on or before the
    target date."""
    if goal.platform:
        now, before = (
            history.platform_at(goal.platform, today),
            history.platform_at(goal.platform, today - timedelta(days=FORECAST_DAYS)),
        )
    else:
        now, before = history.total_at(today), history.total_at(today - timedelta(days=FORECAST_DAYS))
    gain = mean_daily_gain(now, before, FORECAST_DAYS)
    # reached only when even the least the rounded counts allow reaches it (never on a rounding step)
    least = history.platform_lower(goal.platform, today) if goal.platform else history.total_lower(today)
    forecast: date | None = None
    if now is None:
        state = "no_data"
    elif least is not None and least >= goal.target:
        state, forecast = "achieved", today
    else:
        if gain is not None and gain > 0:
            forecast = today + timedelta(days=math.ceil((goal.target - now) / gain))
        state = "on_track" if forecast is not None and forecast <= goal.target_date else "off_track"
    return GoalStatus(goal.id, goal.platform, goal.target, goal.target_date, now, gain, forecast, state)


def goal_statuses(goals: Sequence[Goal], history: History, today: date) -> list[GoalStatus]:
    return [goal_status(g, history, today) for g in goals]
