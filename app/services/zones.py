"""IANA time zone names: the check every form that takes one uses, and the list the pickers offer."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from app.errors import ValidationFailed


def parse_time_zone(raw: str | None) -> str:
    """:raises ValidationFailed: for names outside the IANA database."""
    name = (raw or "UTC").strip() or "UTC"
    if name not in available_timezones() and name != "UTC":
        raise ValidationFailed("Pick a time zone from the list (e.g. Europe/Berlin).", field="time_zone")
    ZoneInfo(name)
    return name


@cache
def time_zone_choices() -> tuple[str, ...]:
    """Region/City names (no legacy aliases such as ``US/Pacific``), sorted, UTC first."""
    regions = (
        "Africa/",
        "America/",
        "Antarctica/",
        "Asia/",
        "Atlantic/",
        "Australia/",
        "Europe/",
        "Indian/",
        "Pacific/",
    )
    return ("UTC", *sorted(z for z in available_timezones() if z.startswith(regions)))
