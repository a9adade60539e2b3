"""The guarded fetcher of post thumbnails from the platforms' media hosts (the worker's only image download).

A thumbnail URL comes from a platform's API answer, so it is data from outside, and the fetch runs inside
our network: every URL it looks at, the stored one and each redirect ``Location``, is judged as a
real-world URL before anything is sent:

* ``https`` only, default port, no user info;
* the host on the platform's fixed list (:data:`MEDIA_HOSTS`, exact name or a ``.suffix``); an IP
  literal is never on it;
* without ``PLATFORM_SANDBOX_URL`` (production) the name is resolved and every address must be a global
  unicast one: no loopback, private, link-local (``169.254.169.254``), shared, reserved or multicast;
* redirects are followed by hand, at most :data:`MAX_REDIRECTS`, each ``Location`` judged again;
* the answer must be ``200`` with ``Content-Type`` ``image/jpeg``, ``image/png`` or ``image/webp`` and
  bytes that start with that type's magic; the body is streamed and abandoned past ``max_bytes``; the
  connect and read timeouts and a budget for the whole fetch (redirects included) bound the time.

The sandbox mapping: with ``PLATFORM_SANDBOX_URL`` set, a URL that passed these checks is *sent* to
``<sandbox>/<host>/<path>`` like every other platform call (:class:`~app.platforms.http.PlatformHosts`).
The sandbox address is operator configuration (it is on ``127.0.0.1`` in dev and test), so it is not put
through the address check; what the sandbox answers is judged exactly as in production, so a sandbox
redirect to ``http://127.0.0.1:<port>/`` or ``http://169.254.169.254/`` is refused like a real one. Only
the DNS step is skipped in that mode (the sandbox host names do not resolve to the sandbox); the DNS check
itself is tested with an injected resolver.

Known limit: the name is resolved for the check and again by the HTTP client when it connects, so a DNS
answer that changes in between (rebinding) is not caught; the host list (the platforms' own CDNs) is what
keeps that out of reach.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from app.platforms.http import PlatformHosts, make_session
from app.platforms.registry import hosts_from_settings

__all__ = [
    "MAX_REDIRECTS",
    "MEDIA_HOSTS",
    "FetchedImage",
    "MediaFetcher",
    "MediaRefused",
    "host_allowed",
    "media_fetcher_from_settings",
    "sniff_image",
]

#: the platforms' media hosts: an entry starting with "." matches that domain and every name under it
MEDIA_HOSTS: dict[str, tuple[str, ...]] = {
    "youtube": (".ytimg.com", ".ggpht.com"),
    "instagram": (".cdninstagram.com", ".fbcdn.net"),
    "tiktok": (".tiktokcdn.com", ".tiktokcdn-us.com", ".tiktokcdn-eu.com"),
    "facebook": (".fbcdn.net",),
}
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
MAX_REDIRECTS = 2
CONNECT_TIMEOUT = 3.0
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK = 16 * 1024

Resolver = Callable[[str], list[str]]


class MediaRefused(Exception):
    """The fetch was refused or failed; ``reason`` is one short word (logged and counted, never shown)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class FetchedImage:
    mime: str
    content: bytes


def host_allowed(platform: str, host: str) -> bool:
    """Whether ``host`` is one of ``platform``'s media hosts (exact name or under a listed domain)."""
    host = host.lower().rstrip(".")
    for entry in MEDIA_HOSTS.get(platform, ()):
        if entry.startswith("."):
            if host == entry[1:] or host.endswith(entry):
                return True
        elif host == entry:
            return True
    return False


def sniff_image(data: bytes) -> str | None:
    """The image type the bytes' magic says (JPEG, PNG, WebP), else ``None``."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def system_resolve(host: str) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6, port 443)."""
    try:
        infos = socket.getaddrinfo(host, 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise MediaRefused("dns", host) from None
    return [str(info[4][0]) for info in infos]


def public_address(address: str) -> bool:
    """A global unicast address (not loopback, private, link-local, shared, reserved or multicast)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class MediaFetcher:
    """Fetches one thumbnail under the guards above; :meth:`fetch` returns the image or raises
    :class:`MediaRefused`."""

    def __init__(
        self,
        hosts: PlatformHosts,
        session: requests.Session | None = None,
        *,
        max_bytes: int = 512 * 1024,
        timeout: float = 10.0,
        connect_timeout: float = CONNECT_TIMEOUT,
        resolve: Resolver = system_resolve,
    ) -> None:
        self.hosts = hosts
        self.session = session or make_session(connect_timeout, timeout)
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.connect_timeout = min(connect_timeout, timeout)
        self.resolve = resolve

    def check_url(self, platform: str, url: str) -> None:
        """Refuse ``url`` unless it is an https URL of one of ``platform``'s media hosts at public addresses."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise MediaRefused("url") from None
        host = (parts.hostname or "").lower()
        if parts.scheme != "https" or not host or parts.username or parts.password or port not in (None, 443):
            literal_private = host and _is_ip(host) and not public_address(host)
            raise MediaRefused("address" if literal_private else "scheme", f"{parts.scheme}://{host}")
        if _is_ip(host):
            raise MediaRefused("address" if not public_address(host) else "host", host)
        if not host_allowed(platform, host):
            raise MediaRefused("host", host)
        if self.hosts.sandbox_url is None:
            addresses = self.resolve(host)
            if not addresses or not all(public_address(a) for a in addresses):
                raise MediaRefused("address", host)

    def fetch(self, platform: str, url: str) -> FetchedImage:
        """The image at ``url`` (a thumbnail URL ``platform``'s API gave), following at most two redirects."""
        deadline = time.monotonic() + self.timeout
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            self.check_url(platform, current)
            location = self._get(current, deadline)
            if isinstance(location, FetchedImage):
                return location
            current = urljoin(current, location)
        raise MediaRefused("redirects", f"more than {MAX_REDIRECTS}")

    def _get(self, url: str, deadline: float) -> FetchedImage | str:
        left = deadline - time.monotonic()
        if left <= 0:
            raise MediaRefused("timeout")
        try:
            response = self.session.get(
                self.hosts.url(url),
                headers={"Accept": ", ".join(IMAGE_TYPES)},
                timeout=(min(self.connect_timeout, left), left),
                allow_redirects=False,
                stream=True,
            )
        except requests.Timeout:
            raise MediaRefused("timeout") from None
        except requests.RequestException as exc:
            raise MediaRefused("unreachable", type(exc).__name__) from None
        with response:
            if response.status_code in REDIRECT_STATUSES:
                location = response.headers.get("Location")
                if not location:
                    raise MediaRefused("status", f"{response.status_code} without Location")
                return location
            if response.status_code != 200:
                raise MediaRefused("status", str(response.status_code))
            mime = (response.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
            if mime not in IMAGE_TYPES:
                raise MediaRefused("type", mime or "none")
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                raise MediaRefused("size", declared)
            content = self._read(response, deadline)
        if sniff_image(content) != mime:
            raise MediaRefused("magic", mime)
        return FetchedImage(mime=mime, content=content)

    def _read(self, response: requests.Response, deadline: float) -> bytes:
        body = bytearray()
        try:
            for chunk in response.iter_content(CHUNK):
                body.extend(chunk)
                if len(body) > self.max_bytes:
                    raise MediaRefused("size", f"> {self.max_bytes}")
                if time.monotonic() > deadline:
                    raise MediaRefused("timeout")
        except requests.RequestException as exc:
            if isinstance(exc, requests.ConnectionError) and "timed out" in str(exc).lower():
                raise MediaRefused("timeout") from None
            raise MediaRefused("unreachable", type(exc).__name__) from None
        return bytes(body)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def media_fetcher_from_settings(settings: Mapping[str, Any], resolve: Resolver = system_resolve) -> MediaFetcher:
    """A fetcher with the configured host mapping, ``THUMBNAIL_MAX_BYTES`` and ``THUMBNAIL_TIMEOUT_SECONDS``."""
    return MediaFetcher(
        hosts_from_settings(settings),
        max_bytes=int(settings["THUMBNAIL_MAX_BYTES"]),
        timeout=float(settings["THUMBNAIL_TIMEOUT_SECONDS"]),
        connect_timeout=min(CONNECT_TIMEOUT, float(settings["PLATFORM_CONNECT_TIMEOUT_SECONDS"])),
        resolve=resolve,
    )
