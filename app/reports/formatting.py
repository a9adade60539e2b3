"""Numbers, dates and moments of a report as its reader reads them: Babel, in the report's locale and
the client's time zone. One place for the page, the PDF, the share card and the summary sentences, so
no report ever shows ``2026-12-01T10:44:49.152403+00:00`` or a Python ``strftime``.

Every function takes what a stored payload holds (ISO strings, numbers, ``None``) and returns text;
``None`` (an undefined number: no data, a division by zero) is an em dash.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_skeleton, format_timedelta
from babel.numbers import format_decimal

DEFAULT_LOCALE = "en"
DASH = "—"


def locale_or_default(name: str | None) -> str:
    """A locale Babel knows, else the default (a stored value from an older release never breaks a report)."""
    if not name:
        return DEFAULT_LOCALE
    try:
        Locale.parse(name)
    except (UnknownLocaleError, ValueError, TypeError):
        return DEFAULT_LOCALE
    return name


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _as_date(value: str | date | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value[:10])


def _as_moment(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def day(value: str | date | None, locale: str = DEFAULT_LOCALE) -> str:
    """``Nov 9, 2026`` (en), ``9 Nov 2026`` (en_GB)."""
    d = _as_date(value)
    return DASH if d is None else format_date(d, "medium", locale=locale)


def long_day(value: str | date | None, locale: str = DEFAULT_LOCALE) -> str:
    """``November 9, 2026``."""
    d = _as_date(value)
    return DASH if d is None else format_date(d, "long", locale=locale)


def period(start: str | date | None, end: str | date | None, locale: str = DEFAULT_LOCALE) -> str:
    """``Nov 9 – 15, 2026``: Babel's interval format, which drops what both ends share."""
    from babel.dates import format_interval

    a, b = _as_date(start), _as_date(end)
    if a is None or b is None:
        return DASH
    if a == b:
        return day(a, locale)
    return str(format_interval(a, b, "yMMMd", locale=locale))


def moment(value: str | datetime | None, tz: str | None, locale: str = DEFAULT_LOCALE) -> str:
    """``Nov 16, 2026, 09:02 +0100``: the moment in the client's zone, the zone named."""
    m = _as_moment(value)
    if m is None:
        return DASH
    local = m.astimezone(zone(tz))  # the locale's own date order and clock, not an English pattern
    clock = format_skeleton("Hm", local, tzinfo=local.tzinfo, locale=locale)
    return f"{format_date(local, 'medium', locale=locale)}, {clock} {format_datetime(local, 'zzz', locale=locale)}"


def data_as_of(as_of: str | datetime | None, generated: str | datetime | None, tz: str | None, locale: str) -> str:
    """The "data as of" line in words: ``Data as of Monday, November 16, 2026 at 09:02 Central European
    Standard Time, 3 hours before this report was made.`` (a sentence saying so without a sync)."""
    m, g = _as_moment(as_of), _as_moment(generated)
    if m is None:
        return "No account has synced yet: the numbers appear after the first sync."
    local = m.astimezone(zone(tz))
    when = (
        f"{format_date(local, 'full', locale=locale)} at {format_datetime(local, 'HH:mm', locale=locale)} "
        f"{format_datetime(local, 'zzzz', locale=locale)}"
    )
    if g is None or abs((g - m).total_seconds()) < 60:
        return f"Data as of {when}."
    gap = format_timedelta(g - m, threshold=1.0, locale=locale)
    side = "before" if g >= m else "after"
    return f"Data as of {when}, {gap} {side} this report was made."


def number(value: float | None, locale: str = DEFAULT_LOCALE) -> str:
    """``1,100``; ``None`` is an em dash."""
    return DASH if value is None else format_decimal(value, format="#,##0", locale=locale)


def signed(value: float | None, locale: str = DEFAULT_LOCALE) -> str:
    """``+100``, ``−12`` (a true minus sign), ``0``."""
    if value is None:
        return DASH
    text = format_decimal(abs(value), format="#,##0", locale=locale)
    return text if round(value) == 0 else ("+" if value > 0 else "−") + text


def percent(value: float | None, locale: str = DEFAULT_LOCALE, *, sign: bool = False, digits: int = 1) -> str:
    """``6.0%``; with ``sign`` ``+10.0%`` / ``−0.8%``."""
    if value is None:
        return DASH
    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    text = format_decimal(abs(value) if sign else value, format=pattern, locale=locale) + "%"
    if not sign:
        return text.replace("-", "−")
    return text if round(value, digits) == 0 else ("+" if value > 0 else "−") + text


def points(value: float | None, locale: str = DEFAULT_LOCALE) -> str:
    """``+5.0 pts``: a change of a percentage, in percentage points."""
    if value is None:
        return DASH
    text = format_decimal(abs(value), format="#,##0.0", locale=locale)
    return ("+" if value > 0 else "−" if value < 0 and round(value, 1) != 0 else "") + text + " pts"


def truncate(text: str | None, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (the full value is shown elsewhere)."""
    value = text or ""
    return value if len(value) <= limit else value[: max(1, limit - 1)].rstrip() + "…"


def month(value: str | date | None, locale: str = DEFAULT_LOCALE) -> str:
    """``October 2026``."""
    d = _as_date(value)
    return DASH if d is None else format_date(d, "LLLL y", locale=locale)
