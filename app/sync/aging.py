"""The aging schedule of per-post metric snapshots: often while a post is new, rarely later, never
after 90 days. Numbers of a post move fast in its first week and barely after a month; calls are
spent where the curve moves.

==============  ===========================
post age        a snapshot every
==============  ===========================
0-7 days        day
8-30 days       3 days
31-90 days      7 days
> 90 days       never (the last numbers stay on the content row)
==============  ===========================
"""

from __future__ import annotations

from datetime import date

MAX_AGE_DAYS = 90
SCHEDULE: tuple[tuple[int, int], ...] = ((7, 1), (30, 3), (MAX_AGE_DAYS, 7))


def interval_days(age_days: int) -> int | None:
    """Days between snapshots for a post ``age_days`` old; ``None`` once it is past the schedule."""
    if age_days < 0:
        return 1
    for max_age, every in SCHEDULE:
        if age_days <= max_age:
            return every
    return None


def is_due(published: date, last_snapshot: date | None, today: date) -> bool:
    """Whether a post published on ``published`` gets a metric snapshot on ``today``."""
    every = interval_days((today - published).days)
    if every is None:
        return False
    return last_snapshot is None or (today - last_snapshot).days >= every
