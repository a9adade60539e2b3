"""The one HTTP layer for platform calls: timeouts always on, hosts from config, sandbox rewriting.

* :class:`TimeoutSession` is a ``requests.Session`` that injects the configured ``(connect, read)``
  timeout into every request that does not pass one (J6); :func:`make_session` builds it.
* :class:`PlatformHosts` turns a real platform URL (``https://graph.instagram.com/v25.0/me``) into the
  URL actually called. With ``PLATFORM_SANDBOX_URL`` set, every host is mounted under the sandbox:
  ``<sandbox>/graph.instagram.com/v25.0/me``. Nothing else in the adapters differs.
* :class:`PlatformHttp` sends one request through both, and converts transport failures into
  :class:`~app.platforms.errors.PlatformUnavailable` with a scrubbed URL (``requests`` puts the full
  URL, query string included, into its exception messages).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from requests.sessions import merge_setting as _merge_setting
from requests.utils import get_environ_proxies

from app.platforms.errors import BadResponse, PlatformUnavailable
from app.platforms.prepare import prepare_plain
from app.security.scrub import scrub_url

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_READ_TIMEOUT",
    "PlatformHosts",
    "PlatformHttp",
    "TimeoutSession",
    "make_session",
    "parse_retry_after",
    "shared_session",
]

log = logging.getLogger(__name__)

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0
USER_AGENT = "creator-portal/0.1 (+platform sync)"


class TimeoutSession(requests.Session):
    """A session whose requests always carry a connect/read timeout (never ``None``)."""

    def __init__(
        self,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
    ) -> None:
        if connect_timeout <= 0 or read_timeout <= 0:
            raise ValueError("platform HTTP timeouts must be positive")
        super().__init__()
        self.timeout: tuple[float, float] = (float(connect_timeout), float(read_timeout))
        self.headers["User-Agent"] = USER_AGENT
        adapter = HTTPAdapter(pool_connections=8, pool_maxsize=16, max_retries=0)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        """Send a request, with this session's timeout unless the call passed a non-``None`` one."""
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        """The platform calls' plain requests without ``requests``' generic per-call work
        (``app.platforms.prepare``); anything else as ``requests`` prepares it."""
        return prepare_plain(self, request) or super().prepare_request(request)

    def merge_environment_settings(
        self, url: str | bytes | None, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        """``requests``' own merge, with what the environment says read once per process and origin.

        Why: ``requests`` reads the proxy variables (a scan of the whole environment, twice) and the CA
        bundle variables on every request: ~1 ms of CPU per platform call, about a tenth of an initial
        sync's (bench/README.md, "Sync CPU"). What they say depends only on the URL's scheme, host and
        port (``should_bypass_proxies``), and a process's environment does not change while it syncs."""
        if not self.trust_env or not url:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        text = url.decode() if isinstance(url, bytes) else url
        no_proxy = proxies.get("no_proxy") if proxies is not None else None
        parts = urlsplit(text)
        key = (parts.scheme, parts.netloc, no_proxy)
        env = _ENVIRONMENT.get(key)
        if env is None:
            # the CA bundle variables as requests reads them: a plain session's verify is True without them
            verify_env = requests.Session().merge_environment_settings(text, {}, None, None, None)["verify"]
            bundle = verify_env if isinstance(verify_env, str) else None
            env = _ENVIRONMENT[key] = (dict(get_environ_proxies(text, no_proxy=no_proxy)), bundle)
        env_proxies, bundle = env
        proxies = dict(proxies) if proxies is not None else {}
        for name, value in env_proxies.items():
            proxies.setdefault(name, value)
        if verify is True or verify is None:
            verify = bundle or verify
        return {
            "proxies": merge_setting(proxies, self.proxies),
            "stream": merge_setting(stream, self.stream),
            "verify": merge_setting(verify, self.verify),
            "cert": merge_setting(cert, self.cert),
        }


#: requests' setting merge (untyped in its stubs)
merge_setting: Callable[..., Any] = _merge_setting  # type: ignore[no-untyped-call,unused-ignore]

#: (scheme, host:port, no_proxy) -> (the environment's proxies for it, the CA bundle variable); per process
_ENVIRONMENT: dict[tuple[str, str, Any], tuple[dict[str, str], str | None]] = {}


def make_session(
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT, read_timeout: float = DEFAULT_READ_TIMEOUT
) -> TimeoutSession:
    """A new :class:`TimeoutSession`."""
    return TimeoutSession(connect_timeout, read_timeout)


_shared_lock = threading.Lock()
_shared: dict[tuple[int, float, float], TimeoutSession] = {}


def shared_session(
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT, read_timeout: float = DEFAULT_READ_TIMEOUT
) -> TimeoutSession:
    """The process-wide session for these timeouts (one per process: pools are not shared over fork)."""
    key = (os.getpid(), float(connect_timeout), float(read_timeout))
    with _shared_lock:
        session = _shared.get(key)
        if session is None:
            session = _shared[key] = make_session(connect_timeout, read_timeout)
        return session


class PlatformHosts:
    """Maps real platform URLs to the URLs actually called.

    ``overrides`` maps a real host to another host (e.g. a regional mirror); ``sandbox_url`` mounts every
    host under the sandbox, ``https://<host>/<path>?<q>`` -> ``<sandbox>/<host>/<path>?<q>``.
    """

    def __init__(self, sandbox_url: str | None = None, overrides: Mapping[str, str] | None = None) -> None:
        self.sandbox_url = sandbox_url.rstrip("/") if sandbox_url else None
        if self.sandbox_url and urlsplit(self.sandbox_url).scheme not in {"http", "https"}:
            raise ValueError("PLATFORM_SANDBOX_URL must be an http(s) URL")
        self.overrides = dict(overrides or {})

    def url(self, real_url: str) -> str:
        """The URL to call for ``real_url`` (an absolute ``https://`` platform URL)."""
        parts = urlsplit(real_url)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"not an absolute https platform URL: {scrub_url(real_url)}")
        host = self.overrides.get(parts.netloc, parts.netloc)
        if self.sandbox_url is None:
            return urlunsplit(("https", host, parts.path, parts.query, parts.fragment))
        path = parts.path if parts.path.startswith("/") else f"/{parts.path}"
        out = f"{self.sandbox_url}/{host}{path}"
        if parts.query:
            out += f"?{parts.query}"
        return out

    def __repr__(self) -> str:
        return f"PlatformHosts(sandbox_url={self.sandbox_url!r}, overrides={self.overrides!r})"


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).

    Returns ``None`` when absent or unparseable, ``0.0`` for a date in the past.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN guard
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


class PlatformHttp:
    """Sends platform requests through the shared session and the host mapping.

    Transport failures (timeouts, refused connections, TLS errors) become
    :class:`PlatformUnavailable`; HTTP status handling is the adapter's, because each platform
    signals errors differently.
    """

    def __init__(self, platform: str, session: requests.Session, hosts: PlatformHosts) -> None:
        self.platform = platform
        self.session = session
        self.hosts = hosts

    def request(
        self,
        method: str,
        real_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        access_token: str | None = None,
        content: bytes | None = None,
    ) -> requests.Response:
        """Send one request; ``access_token`` goes in the ``Authorization: Bearer`` header; ``content`` is
        a raw body (an upload to a signed storage URL) instead of a form or JSON.

        :raises PlatformUnavailable: on any transport failure (message scrubbed).
        """
        url = self.hosts.url(real_url)
        all_headers = {"Accept": "application/json"}
        if headers:
            all_headers.update(headers)
        if access_token is not None:
            all_headers["Authorization"] = f"Bearer {access_token}"
        try:
            response = self.session.request(
                method,
                url,
                params=dict(params) if params is not None else None,
                data=content if content is not None else (dict(data) if data is not None else None),
                json=json_body,
                headers=all_headers,
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            raise PlatformUnavailable(
                f"timeout calling {method} {scrub_url(url)} ({type(exc).__name__})", platform=self.platform
            ) from None
        except requests.RequestException as exc:
            raise PlatformUnavailable(
                f"could not reach {method} {scrub_url(url)} ({type(exc).__name__})", platform=self.platform
            ) from None
        log.debug("%s %s %s -> %s", self.platform, method, scrub_url(response.url or url), response.status_code)
        return response


def json_body(response: requests.Response, platform: str) -> Any:
    """The decoded JSON body, or :class:`BadResponse` (5xx answers become :class:`PlatformUnavailable`)."""
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError):
        where = scrub_url(response.request.url or "") if response.request is not None else ""
        if response.status_code >= 500:
            raise PlatformUnavailable(
                f"HTTP {response.status_code} with a non-JSON body from {where}",
                platform=platform,
                status=response.status_code,
            ) from None
        raise BadResponse(
            f"HTTP {response.status_code}: response is not JSON ({where})",
            platform=platform,
            status=response.status_code,
        ) from None
