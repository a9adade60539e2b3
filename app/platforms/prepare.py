"""A platform call's ``PreparedRequest``, built without ``requests``' generic per-call work.

Why: ``requests.Session.prepare_request`` was about a third of a platform call's client CPU under cProfile
(bench/README.md, sync, "Sync CPU, fifth pass"; the saving measured without it: -3.3 % of the Python calls
of an initial sync, ~10 % of a call's client CPU): it builds and merges two cookie jars although platform
calls carry a bearer token and no cookie, looks for a ``~/.netrc`` on every call (two ``stat``), and
merges headers and parameters through ``to_key_val_list``, whose ``isinstance`` check against the
runtime-checkable ``SupportsItems`` protocol walks the protocol's attributes each time (about 8 such
checks a call). :func:`prepare_plain` builds the same ``PreparedRequest`` through ``requests``' own
``prepare_*`` steps for the calls the platform clients make (no cookies, no session auth or parameters,
no files, plain parameter values) and returns ``None`` for anything else, which then goes through
``requests`` unchanged. ``tests/platforms/test_http_prepare.py`` checks the result against
``requests``' own preparation, field by field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from requests.cookies import RequestsCookieJar
from requests.hooks import default_hooks
from requests.structures import CaseInsensitiveDict
from requests.utils import get_netrc_auth

__all__ = ["prepare_plain"]

_SCALARS = (str, bytes, int, float)

#: (scheme, host:port) -> what ``~/.netrc`` says for it; read once per process, as the environment is
_NETRC: dict[tuple[str, str], tuple[str, str] | None] = {}


def prepare_plain(session: requests.Session, request: requests.Request) -> requests.PreparedRequest | None:
    """``request`` prepared as ``session.prepare_request`` would, or ``None`` when it is not a plain call."""
    if (
        request.cookies
        or session.cookies
        or request.auth
        or session.auth
        or request.files
        or session.params
        or any(session.hooks.values())
        or not isinstance(request.url, str)
        or not isinstance(request.method, str)
    ):
        return None
    query = _encode_params(request.params)
    if query is None:
        return None
    p = requests.PreparedRequest()
    p.prepare_method(request.method.upper())
    p.prepare_url(request.url, query)
    p.prepare_headers(_merge_headers(request.headers, session.headers))
    # an empty jar, as requests leaves on a request without cookies (a redirect extracts into it)
    p._cookies = RequestsCookieJar()  # type: ignore[attr-defined,unused-ignore]
    p.prepare_body(request.data, None, request.json)
    p.prepare_auth(_netrc_auth(request.url) if session.trust_env else None, request.url)
    p.prepare_hooks(request.hooks or default_hooks())
    return p


def _encode_params(params: Any) -> str | None:
    """The query string ``requests`` makes of ``params`` (a ``None`` value is left out), or ``None`` when
    they are not a mapping of plain values (then ``requests`` encodes them itself)."""
    if not params:
        return ""
    if not isinstance(params, Mapping):
        return None
    pairs: list[tuple[Any, Any]] = []
    for key, values in params.items():
        if values is None:
            continue
        if not isinstance(key, (str, bytes)):
            return None
        if isinstance(values, _SCALARS):
            values = (values,)
        elif not isinstance(values, (list, tuple)):
            return None
        for value in values:
            if value is None:
                continue
            if not isinstance(value, _SCALARS):
                return None
            pairs.append(
                (
                    key.encode("utf-8") if isinstance(key, str) else key,
                    value.encode("utf-8") if isinstance(value, str) else value,
                )
            )
    return urlencode(pairs, doseq=True)


def _merge_headers(request_headers: Any, session_headers: Any) -> CaseInsensitiveDict[Any]:
    """``requests``' ``merge_setting`` for headers: the session's, the request's over them, ``None`` removes."""
    merged: CaseInsensitiveDict[Any] = CaseInsensitiveDict(session_headers)
    if request_headers:
        merged.update(request_headers)
    for name in [name for name, value in merged.items() if value is None]:
        del merged[name]
    return merged


def _netrc_auth(url: str) -> tuple[str, str] | None:
    parts = urlsplit(url)
    key = (parts.scheme, parts.netloc)
    if key not in _NETRC:
        _NETRC[key] = get_netrc_auth(url)
    return _NETRC[key]
