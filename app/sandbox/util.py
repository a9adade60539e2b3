"""Small deterministic helpers shared by the sandbox modules (hashing, ids, time formatting)."""

from __future__ import annotations

import base64
import hashlib
import json
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")
B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def h64(*parts: object) -> int:
    """A stable 64-bit hash of ``parts`` (never Python's randomised ``hash``)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def unit(*parts: object) -> float:
    """A deterministic float in [0, 1) derived from ``parts``."""
    return h64(*parts) / 2**64


def rng(*parts: object) -> random.Random:
    """A deterministic pseudo-random generator seeded from ``parts`` (simulation, not security)."""
    return random.Random(h64(*parts))  # noqa: S311


def digits(n: int, *parts: object) -> str:
    """``n`` deterministic decimal digits."""
    out = ""
    i = 0
    while len(out) < n:
        out += str(h64(*parts, i))
        i += 1
    return out[:n]


def b64chars(n: int, *parts: object) -> str:
    """``n`` deterministic base64url characters."""
    out: list[str] = []
    i = 0
    while len(out) < n:
        v = h64(*parts, i)
        for _ in range(10):
            out.append(B64_ALPHABET[v & 63])
            v >>= 6
        i += 1
    return "".join(out[:n])


def hexchars(n: int, *parts: object) -> str:
    out = ""
    i = 0
    while len(out) < n:
        out += hashlib.sha256("\x1f".join(str(p) for p in (*parts, i)).encode()).hexdigest()
        i += 1
    return out[:n]


def utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)


def day_start(d: date) -> datetime:
    """Start of the world day ``d`` (world days are UTC days)."""
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def day_end(d: date) -> datetime:
    return day_start(d) + timedelta(days=1)


def iso_z(dt: datetime) -> str:
    """``2026-10-01T12:34:56Z`` (Google style)."""
    return utc(dt).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_meta(dt: datetime) -> str:
    """``2026-10-01T12:34:56+0000`` (Meta style)."""
    return utc(dt).strftime("%Y-%m-%dT%H:%M:%S+0000")


def parse_datetime(value: str) -> datetime:
    """Parse an ISO date or datetime; naive values are UTC. Raises ValueError."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    if len(text) == 10:
        return day_start(date.fromisoformat(text))
    return utc(datetime.fromisoformat(text))


def pacific_date(dt: datetime) -> date:
    return utc(dt).astimezone(PACIFIC).date()


def encode_token(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(value: str) -> dict[str, Any] | None:
    """Decode a cursor / page token made by :func:`encode_token`; None when it is not one."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        data = json.loads(raw)
    except (ValueError, TypeError):
        return None
    return data if isinstance(data, dict) else None


def iso_duration(seconds: int) -> str:
    """ISO 8601 duration as YouTube writes it (``PT4M13S``)."""
    h, rem = divmod(int(seconds), 3600)
    m, s = divmod(rem, 60)
    out = "PT"
    if h:
        out += f"{h}H"
    if m:
        out += f"{m}M"
    if s or out == "PT":
        out += f"{s}S"
    return out
