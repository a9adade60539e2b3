"""One environment variable as the app declares it (:class:`Setting`) and the parsers of its types.

A value the declared type does not accept raises :class:`SettingError`, naming the variable, so a typo in
the environment stops the process at start instead of surfacing as a strange default later.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from app.errors import ConfigurationError


class SettingError(ConfigurationError, ValueError):
    """One or more environment variables hold a value the declared type does not accept."""


Kind = Literal["str", "url", "int", "float", "bool", "choice", "list", "map"]
Reader = Literal["app", "run", "gunicorn", "sandbox"]


@dataclass(frozen=True)
class Setting:
    """One environment variable: its type, its one default (``None``: unset) and what it means."""

    name: str
    kind: Kind
    default: Any
    help: str
    group: str = ""
    key: str = ""  # the app.config key when it differs from the variable (DATABASE_URL)
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    reader: Reader = "app"

    @property
    def config_key(self) -> str:
        return self.key or self.name

    def read(self, environ: Mapping[str, str]) -> Any:
        """The value in ``environ``; unset or blank gives the default."""
        raw = environ.get(self.name)
        if raw is None or raw.strip() == "":
            return self.default
        return self.parse(raw)

    def parse(self, raw: str) -> Any:
        """Text from the environment -> the typed value; :class:`SettingError` names the variable."""
        text = raw.strip()
        try:
            value = _PARSERS[self.kind](text, self.choices)
            if isinstance(value, int | float) and not isinstance(value, bool):
                if self.minimum is not None and value < self.minimum:
                    raise ValueError(f"must be at least {self.minimum:g}")
                if self.maximum is not None and value > self.maximum:
                    raise ValueError(f"must be at most {self.maximum:g}")
        except ValueError as exc:
            raise SettingError(f"{self.name}={text!r}: {exc}") from None
        return value


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _str(text: str, choices: tuple[str, ...]) -> str:
    return text


def _url(text: str, choices: tuple[str, ...]) -> str:
    if not re.match(r"^https?://[^/\s]+", text):
        raise ValueError("expected an http:// or https:// URL")
    return text.rstrip("/")


def _int(text: str, choices: tuple[str, ...]) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError("expected a whole number") from None


def _float(text: str, choices: tuple[str, ...]) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("expected a number") from None
    if not math.isfinite(value):
        raise ValueError("expected a finite number")
    return value


def _bool(text: str, choices: tuple[str, ...]) -> bool:
    if text.lower() not in _TRUE | _FALSE:
        raise ValueError("expected true or false (or 1/0, yes/no, on/off)")
    return text.lower() in _TRUE


def _choice(text: str, choices: tuple[str, ...]) -> str:
    for choice in choices:
        if text.lower() == choice.lower():
            return choice
    raise ValueError(f"expected one of {', '.join(choices)}")


def _list(text: str, choices: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(part for part in re.split(r"[\s,]+", text) if part)


def _map(text: str, choices: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in text.split(","):
        if entry.strip():
            left, sep, right = entry.partition("=")
            if not sep or not left.strip() or not right.strip():
                raise ValueError("expected key=value pairs separated by commas")
            out[left.strip()] = right.strip()
    return out


_PARSERS: dict[str, Callable[[str, tuple[str, ...]], Any]] = {
    "str": _str,
    "url": _url,
    "int": _int,
    "float": _float,
    "bool": _bool,
    "choice": _choice,
    "list": _list,
    "map": _map,
}
