"""One scrubber for secrets in logs, exception messages, stored errors and raw platform responses (P1).

Why it exists: ``requests``' ``raise_for_status()`` message carries the full URL *with its query
string*; Instagram's refresh call and Meta paging URLs carry ``access_token`` in the query, and RQ keeps
exception text for ``failure_ttl``. Every text that leaves a platform call therefore passes through
:func:`scrub_text` (or :func:`scrub_mapping` for JSON kept as a raw response) before it is logged,
raised or stored.

Redacted: the values of the parameters / keys in :data:`SENSITIVE_KEYS` in query strings, form bodies,
URL-encoded inner query strings, JSON and Python-repr dictionaries; ``Authorization``,
``Proxy-Authorization``, ``Cookie`` and ``Set-Cookie`` header values; any ``Bearer <token>``; and URL
userinfo (``https://user:pass@host``). The regexes are compiled once at import.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "REDACTED",
    "SENSITIVE_KEYS",
    "ScrubbingFilter",
    "install_log_scrubbing",
    "is_sensitive_key",
    "scrub_exception",
    "scrub_mapping",
    "scrub_text",
    "scrub_url",
]

REDACTED = "[REDACTED]"

SENSITIVE_KEYS: frozenset[str] = frozenset(
    {
        "access_token",
        "refresh_token",
        "client_secret",
        "code",
        "state",
        "signed_request",
        "fb_exchange_token",
        "token",
        "code_verifier",
        "id_token",
        "password",
        # also secret, seen in Meta / OAuth traffic
        "input_token",
        "appsecret_proof",
        "client_assertion",
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
    }
)
# Header names are redacted as headers; as query/form keys they are unusual, but harmless to include.
_KEY_ALT = "|".join(sorted((re.escape(k) for k in SENSITIVE_KEYS), key=len, reverse=True))

# key=value in query strings, form bodies and "k=v" log text. The key must not be preceded by a
# word character, so ``error_code=`` or ``grant_type=`` are left alone.
_PARAM_RE = re.compile(rf"(?i)(?<![\w.-])({_KEY_ALT})(=)([^&\s#\"',;<>)]*)")
# The same inside a URL-encoded value (e.g. ``redirect=%2Fcb%3Fcode%3Dabc%26x%3D1``).
_ENCODED_PARAM_RE = re.compile(rf"(?i)(%3F|%26|%23|(?<![\w.%-]))({_KEY_ALT})%3D((?:(?!%26)[^&\s\"'#])*)")
# "key": "value" (JSON) and 'key': 'value' (Python repr). Only string values: numeric error codes such
# as Meta's ``"code": 190`` carry no secret and are kept for diagnosis.
_JSON_RE = re.compile(rf"(?i)([\"'])({_KEY_ALT})\1(\s*:\s*)(?:(\")(?:[^\"\\]|\\.)*\"|(')(?:[^'\\]|\\.)*')")
# Header lines: "Authorization: Bearer x", "Cookie: a=b; c=d" up to the end of the line.
_HEADER_RE = re.compile(r"(?im)(?<![\w-])(authorization|proxy-authorization|cookie|set-cookie)(\s*:[ \t]*)([^\r\n]*)")
# Any bearer token left over (e.g. inside a sentence).
_BEARER_RE = re.compile(r"(?i)\b(bearer)(\s+)(?!\[REDACTED\])[A-Za-z0-9._~+/=-]+")
# userinfo in URLs.
_USERINFO_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")


# Every pattern above needs one of the keys, "bearer" or a userinfo "://...@": a text with none of them
# is returned as it is after one scan instead of six (most raw platform answers).
_ANY_RE = re.compile(rf"(?i){_KEY_ALT}|bearer|://[^/\s@]+@")


def _json_repl(m: re.Match[str]) -> str:
    quote = m.group(4) or m.group(5) or '"'
    return f"{m.group(1)}{m.group(2)}{m.group(1)}{m.group(3)}{quote}{REDACTED}{quote}"


def scrub_text(text: str) -> str:
    """Return ``text`` with every secret value replaced by ``[REDACTED]``."""
    if not text or _ANY_RE.search(text) is None:
        return text
    text = _HEADER_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _JSON_RE.sub(_json_repl, text)
    text = _PARAM_RE.sub(lambda m: f"{m.group(1)}={REDACTED}" if m.group(3) else m.group(0), text)
    text = _ENCODED_PARAM_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}%3D{REDACTED}" if m.group(3) else m.group(0), text)
    text = _BEARER_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return _USERINFO_RE.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)


def scrub_url(url: str) -> str:
    """Return ``url`` with secret query/fragment parameters and userinfo redacted (format preserved)."""
    return scrub_text(url)


def is_sensitive_key(key: object) -> bool:
    """Whether a mapping key names a secret (case-insensitive)."""
    return isinstance(key, str) and key.lower() in SENSITIVE_KEYS


def scrub_mapping(obj: Any) -> Any:
    """Return a deep copy of a JSON-like structure with secrets redacted.

    Values under sensitive keys are replaced, except numbers and booleans (Meta's numeric error
    ``code`` is diagnostic, not secret); every other string is passed through :func:`scrub_text`,
    which catches tokens inside URLs such as Meta ``paging.next`` links.
    """
    if isinstance(obj, Mapping):
        out: dict[Any, Any] = {}
        for key, value in obj.items():
            if is_sensitive_key(key) and value is not None and not isinstance(value, bool | int | float):
                out[key] = REDACTED
            else:
                out[key] = scrub_mapping(value)
        return out
    if isinstance(obj, list | tuple):
        items = [scrub_mapping(v) for v in obj]
        return items if isinstance(obj, list) else tuple(items)
    if isinstance(obj, str):
        return scrub_text(obj)
    if isinstance(obj, bytes):
        return scrub_text(obj.decode("utf-8", "replace"))
    return obj


def scrub_exception(exc: BaseException) -> str:
    """``"<ExceptionType>: <message>"`` with secrets redacted, for stored errors and job results."""
    return scrub_text(f"{type(exc).__name__}: {exc}")


class ScrubbingFilter(logging.Filter):
    """A logging filter that scrubs the formatted message, its args and any exception/stack text.

    Attach it to **handlers** (a filter on a logger does not see records propagated from child
    loggers); :func:`install_log_scrubbing` does that for a logger's handlers. The record is rewritten
    in place: ``msg`` becomes the scrubbed final message, ``args`` is cleared, and exception text is
    pre-rendered, scrubbed, into ``exc_text`` with ``exc_info`` dropped so no later formatter or
    handler re-renders the raw exception.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not crash logging, nor leak unkeyed raw args
            message = f"{record.msg!s} [log arguments dropped: they did not match the format]"
        record.msg = scrub_text(message)
        record.args = None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = scrub_text(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub_text(record.stack_info)
        return True


def install_log_scrubbing(logger: logging.Logger | None = None) -> ScrubbingFilter:
    """Add one :class:`ScrubbingFilter` to every handler of ``logger`` (default: the root logger)."""
    target = logger if logger is not None else logging.getLogger()
    flt = ScrubbingFilter()
    for handler in target.handlers:
        if not any(isinstance(f, ScrubbingFilter) for f in handler.filters):
            handler.addFilter(flt)
    return flt
