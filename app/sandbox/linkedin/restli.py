"""Rest.li 2.0 query syntax, read from the raw query string (``(k:v,k2:(..))``, ``List(a,b)``).

The values must be decoded before percent-decoding: ``urn%3Ali%3Ashare%3A1`` is one leaf, while a bare
``:`` separates a key from its value. Flask's ``request.args`` has already percent-decoded, so the
raw ``request.query_string`` is parsed here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote


class RestliSyntaxError(ValueError):
    """The value is not valid Rest.li 2.0 syntax."""


def raw_params(query_string: bytes) -> dict[str, str]:
    """Query parameters with their values still percent-encoded (keys decoded); the last one wins."""
    out: dict[str, str] = {}
    for part in query_string.decode("latin-1").split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        out[unquote(key.replace("+", " "))] = value
    return out


def decode(value: str) -> Any:
    """A Rest.li 2.0 encoded value: a dict, a list or a (percent-decoded) string."""
    parsed, pos = _value(value, 0)
    if pos != len(value):
        raise RestliSyntaxError(f"unexpected {value[pos : pos + 10]!r}")
    return parsed


def _value(text: str, pos: int) -> tuple[Any, int]:
    if text.startswith("List(", pos):
        return _list(text, pos + 5)
    if text.startswith("(", pos):
        return _object(text, pos + 1)
    end = pos
    while end < len(text) and text[end] not in ",:()":
        end += 1
    return unquote(text[pos:end]), end


def _list(text: str, pos: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    if text.startswith(")", pos):
        return items, pos + 1
    while True:
        item, pos = _value(text, pos)
        items.append(item)
        if text.startswith(",", pos):
            pos += 1
            continue
        if text.startswith(")", pos):
            return items, pos + 1
        raise RestliSyntaxError("unterminated List(")


def _object(text: str, pos: int) -> tuple[dict[str, Any], int]:
    obj: dict[str, Any] = {}
    if text.startswith(")", pos):
        return obj, pos + 1
    while True:
        key, pos = _value(text, pos)
        if not isinstance(key, str) or not text.startswith(":", pos):
            raise RestliSyntaxError("expected key:value")
        obj[key], pos = _value(text, pos + 1)
        if text.startswith(",", pos):
            pos += 1
            continue
        if text.startswith(")", pos):
            return obj, pos + 1
        raise RestliSyntaxError("unterminated object")
