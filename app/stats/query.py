"""The one parsed query of every analytics page and API call (scope, platforms, period, metric, tz).

Request args are parsed once, here; a bad value raises ``BadQuery`` (400) with a message a person can
act on, never a 500 further down.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Literal

from app.errors import ServiceError
from app.models.base import utcnow
from app.models.platforms import PLATFORMS

RANGES: dict[str, int | None] = {"7d": 7, "30d": 30, "90d": 90, "all": None}
METRICS: dict[str, str] = {
    "followers": "Followers",
    "engagement": "Engagement rate",
    "reach": "Reach / views",
    "posts": "Posts",
    "views": "Views (platform insights)",
    "watch_time": "Watch time (hours)",
}
MAX_CUSTOM_DAYS = 366 * 5
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Scope = Literal["client", "portfolio"]


class BadQuery(ServiceError):
    """A query parameter that cannot be understood; the message says which and how to fix it."""

    status = 400
    code = "bad_query"


def today() -> date:
    """The UTC date: snapshot days are UTC dates (docs/metrics.md)."""
    return utcnow().date()


@dataclass(frozen=True)
class Period:
    """Days ``(start, end]`` compared as ``end`` vs ``start`` (a window of N days ending on ``end``).

    ``start`` is None for "all time" until resolved against the first day with data.
    """

    key: str
    end: date
    start: date | None

    @property
    def days(self) -> int | None:
        return None if self.start is None else (self.end - self.start).days

    def resolved(self, first_day: date | None) -> Period:
        """All time starts the day before the first data (so the first day is inside the window)."""
        if self.start is not None:
            return self
        first = first_day or self.end
        return replace(self, start=min(first - timedelta(days=1), self.end - timedelta(days=1)))

    def previous(self) -> Period | None:
        """The period of equal length just before (for changes); None for all time."""
        if self.start is None:
            return None
        n = self.end - self.start
        return Period(key="previous", end=self.start, start=self.start - n)

    def contains(self, day: date) -> bool:
        return (self.start is None or day > self.start) and day <= self.end

    @property
    def label(self) -> str:
        if self.key == "custom" and self.start:
            return f"{(self.start + timedelta(days=1)).isoformat()} – {self.end.isoformat()}"
        return {"7d": "Last 7 days", "30d": "Last 30 days", "90d": "Last 90 days", "all": "All time"}[self.key]


@dataclass(frozen=True)
class StatsQuery:
    """Everything a metric needs to know about what was asked."""

    scope: Scope
    period: Period
    platforms: tuple[str, ...] = ()  # empty = every platform
    metric: str = "followers"
    tz: str = "UTC"
    today: date = field(default_factory=today)
    filters: tuple[tuple[str, str], ...] = ()  # page-specific extras (size band, coach, content filters)

    def filter(self, name: str, default: str = "") -> str:
        return dict(self.filters).get(name, default)

    @property
    def platform(self) -> str | None:
        return self.platforms[0] if len(self.platforms) == 1 else None

    def with_period(self, period: Period) -> StatsQuery:
        return replace(self, period=period)

    def args(self, **override: str | None) -> dict[str, str]:
        """The query as URL arguments (for links, selectors and pushed URLs); ``override`` replaces."""
        out: dict[str, str] = {}
        if self.period.key == "custom" and self.period.start:
            first = self.period.start + timedelta(days=1)
            out["start"], out["end"] = first.isoformat(), self.period.end.isoformat()
        else:
            out["range"] = self.period.key
        if self.platform:
            out["platform"] = self.platform
        if self.metric != "followers":
            out["metric"] = self.metric
        out.update(dict(self.filters))
        for k, v in override.items():
            if v is None or v == "":
                out.pop(k, None)
            else:
                out[k] = v
        if "start" in override or "end" in override:
            out.pop("range", None)
        if "range" in override:
            out.pop("start", None)
            out.pop("end", None)
        return out

    @property
    def cacheable(self) -> bool:
        """Whether results for this query may be cached. A custom range is not: any user can ask for
        endless distinct ranges, and each would be a key kept in the Redis that must never evict."""
        return self.period.key != "custom"

    def cache_key(self) -> str:
        p = self.period
        return "|".join(
            [
                self.scope,
                p.key,
                str(p.start),
                str(p.end),
                ",".join(self.platforms),
                self.metric,
                self.tz,
                repr(sorted(self.filters)),
            ]
        )


def _parse_day(raw: str, name: str) -> date:
    raw = raw.strip()
    if not _DATE_RE.match(raw):
        raise BadQuery(f"The {name} date must look like YYYY-MM-DD (got {raw[:20]!r}).")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadQuery(f"The {name} date {raw!r} does not exist.") from None


def parse_period(args: Mapping[str, str], now: date, default: str = "30d") -> Period:
    """``?range=7d|30d|90d|all`` or ``?start=YYYY-MM-DD&end=YYYY-MM-DD``.

    :raises BadQuery: unknown range, malformed or impossible dates, end before start, a future end,
        a span over five years.
    """
    start_raw, end_raw = args.get("start", ""), args.get("end", "")
    # An explicit preset wins over dates (a selector changed while custom dates were in the URL).
    if (start_raw or end_raw) and not (args.get("range") or "").strip():
        if not (start_raw and end_raw):
            raise BadQuery("A custom range needs both start and end (YYYY-MM-DD).")
        start, end = _parse_day(start_raw, "start"), _parse_day(end_raw, "end")
        if end < start:
            raise BadQuery("The end date is before the start date.")
        if end > now:
            raise BadQuery(f"The end date is in the future; the latest day with data is {now.isoformat()}.")
        if start < date(2000, 1, 1) or (end - start).days > MAX_CUSTOM_DAYS:
            raise BadQuery("Pick a range of at most five years.")
        # (start, end]: the custom range's first day is inside the window, so compare with the day before.
        return Period(key="custom", end=end, start=start - timedelta(days=1))
    key = (args.get("range") or default).strip()
    if key not in RANGES:
        raise BadQuery("Unknown range: use 7d, 30d, 90d, all, or start and end dates.")
    n = RANGES[key]
    return Period(key=key, end=now, start=None if n is None else now - timedelta(days=n))


def parse_platforms(args: Mapping[str, str]) -> tuple[str, ...]:
    """:raises BadQuery: for a platform the product does not know."""
    raw = (args.get("platform") or "").strip().lower()
    if not raw or raw == "all":
        return ()
    names = tuple(dict.fromkeys(p.strip() for p in raw.split(",") if p.strip()))
    unknown = [p for p in names if p not in PLATFORMS]
    if unknown:
        raise BadQuery(f"Unknown platform {unknown[0][:30]!r}: use one of {', '.join(PLATFORMS)}.")
    return names


def parse(
    args: Mapping[str, str],
    *,
    scope: Scope = "client",
    tz: str = "UTC",
    now: date | None = None,
    default_range: str = "30d",
    extra: tuple[str, ...] = (),
) -> StatsQuery:
    """Build the one ``StatsQuery`` of a request; ``extra`` names page-specific filter args to keep.

    :raises BadQuery: with a message naming the parameter at fault.
    """
    now = now or today()
    metric = (args.get("metric") or "followers").strip()
    if metric not in METRICS:
        raise BadQuery(f"Unknown metric: use one of {', '.join(METRICS)}.")
    filters = tuple((k, str(args.get(k, "")).strip()[:100]) for k in extra if str(args.get(k, "")).strip())
    return StatsQuery(
        scope=scope,
        period=parse_period(args, now, default_range),
        platforms=parse_platforms(args),
        metric=metric,
        tz=tz,
        today=now,
        filters=filters,
    )


def day_start(d: date) -> datetime:
    """Midnight UTC starting ``d`` (period membership of posts is by UTC day, like snapshots)."""
    from datetime import UTC, time

    return datetime.combine(d, time(0, 0), tzinfo=UTC)
