"""The adapter interface and the normalised records every platform adapter returns.

Adapters are stateless apart from their configuration (client credentials, hosts, the shared HTTP
session): tokens are passed in and returned, never stored, and there is no database or Flask request
access here. The sync engine persists what they return and decides what their errors mean.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, runtime_checkable

from app.platforms.errors import BadResponse, ScopeMissing

if TYPE_CHECKING:
    from app.platforms.http import PlatformHttp

__all__ = [
    "ContentItem",
    "ContentKind",
    "DailyInsight",
    "PageGuard",
    "PlatformAdapter",
    "Profile",
    "TokenSet",
    "aware_utc",
    "extract_hashtags",
    "make_pkce_pair",
    "parse_scopes",
    "pkce_challenge",
]

ContentKind = Literal["image", "carousel", "reel", "video", "short", "story", "post"]
Metrics = Mapping[str, float]


def _mask(value: str | None) -> str:
    if value is None:
        return "None"
    return f"'***({len(value)} chars)'"


@dataclass(frozen=True, repr=False)
class TokenSet:
    """A normalised grant. ``repr()`` masks both tokens; ``extras`` never holds a token.

    ``issued_at`` is when this access token was obtained (Instagram allows a refresh only 24 h after).
    ``refresh_token`` is ``None`` where the platform has none (Instagram: the long-lived access token is
    itself the refresh credential).
    """

    access_token: str
    refresh_token: str | None = None
    expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    scopes: frozenset[str] = frozenset()
    platform_user_id: str | None = None
    token_type: str = "bearer"  # noqa: S105 - a token type name, not a secret
    issued_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    extras: Mapping[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"TokenSet(access_token={_mask(self.access_token)}, refresh_token={_mask(self.refresh_token)}, "
            f"expires_at={self.expires_at!r}, refresh_expires_at={self.refresh_expires_at!r}, "
            f"scopes={sorted(self.scopes)!r}, platform_user_id={self.platform_user_id!r})"
        )

    __str__ = __repr__

    def expires_within(self, delta: timedelta, now: datetime | None = None) -> bool:
        """Whether the access token expires within ``delta`` of ``now`` (unknown expiry: ``False``)."""
        if self.expires_at is None:
            return False
        return self.expires_at - delta <= (now or datetime.now(UTC))


@dataclass(frozen=True)
class Profile:
    """Account-level counts and identity; ``None`` where the platform does not give a number."""

    platform_user_id: str
    username: str | None = None
    display_name: str | None = None
    avatar_url: str | None = None
    followers: int | None = None
    following: int | None = None
    media_count: int | None = None
    total_likes: int | None = None
    total_views: int | None = None
    account_type: str | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ContentItem:
    """One post / video. ``metrics`` keys are the normalised names listed in ``docs/platforms.md``."""

    platform_id: str
    kind: ContentKind
    published_at: datetime
    caption: str | None = None
    title: str | None = None
    permalink: str | None = None
    thumbnail_url: str | None = None
    duration_seconds: float | None = None
    hashtags: tuple[str, ...] = ()
    metrics: Metrics = field(default_factory=dict)
    extras: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DailyInsight:
    """Account-level metrics for one day (the platform's own day boundary, as a date)."""

    day: date
    metrics: Metrics = field(default_factory=dict)


@runtime_checkable
class PlatformAdapter(Protocol):
    """What every platform adapter offers. Implementations: ``instagram``, ``tiktok``, ``youtube``, ``x``."""

    name: ClassVar[str]
    #: send a PKCE S256 challenge in the authorization request and the verifier in the exchange
    uses_pkce: bool
    #: each refresh returns a new refresh token and invalidates the old one (persist the newest)
    rotates_refresh_token: ClassVar[bool]
    #: the platform has an endpoint to revoke a grant
    supports_revoke: ClassVar[bool]
    required_scopes: frozenset[str]

    def authorize_url(self, state: str, redirect_uri: str, code_challenge: str | None = None) -> str:
        """The URL to send the browser to; ``code_challenge`` is the S256 challenge when ``uses_pkce``."""
        ...

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str | None = None) -> TokenSet:
        """Trade an authorization code for a grant (the same ``redirect_uri`` as the authorize URL)."""
        ...

    def can_refresh(self, token_set: TokenSet, now: datetime | None = None) -> bool:
        """Whether :meth:`refresh` would call the platform now."""
        ...

    def refresh(self, token_set: TokenSet) -> TokenSet:
        """A fresh grant; the returned refresh token always wins (kept from the input when none returned)."""
        ...

    def revoke(self, token_set: TokenSet) -> None:
        """Revoke the grant at the platform where an endpoint exists (no-op otherwise)."""
        ...

    def granted_scopes(self, raw: Any) -> frozenset[str]:
        """Parse the platform's granted-scope value (comma or space separated)."""
        ...

    def missing_scopes(self, token_set: TokenSet) -> frozenset[str]:
        """Required scopes the grant lacks."""
        ...

    def ensure_scopes(self, token_set: TokenSet) -> None:
        """:raises ScopeMissing: when a required scope was not granted."""
        ...

    def fetch_profile(self, access_token: str) -> Profile:
        """The account's identity and counts."""
        ...

    def fetch_content(
        self,
        access_token: str,
        since: datetime | None = None,
        *,
        max_items: int | None = None,
        profile: Profile | None = None,
    ) -> list[ContentItem]:
        """Content published at or after ``since`` (all when ``None``), newest first, deduplicated.

        ``profile`` (from :meth:`fetch_profile`) saves a call where the adapter needs account data
        (YouTube's uploads playlist).
        """
        ...

    def fetch_content_metrics(self, access_token: str, items: Sequence[ContentItem]) -> dict[str, Metrics]:
        """Current metrics of the given items by ``platform_id``; items gone at the platform are absent."""
        ...

    def fetch_account_insights(
        self, access_token: str, since: date, until: date, *, profile: Profile | None = None
    ) -> list[DailyInsight]:
        """Account-level daily metrics for ``since``..``until`` inclusive (empty where unsupported)."""
        ...


class ScopeCheckMixin:
    """Scope helpers shared by the adapters, and the set-up every OAuth adapter's constructor shares."""

    name: ClassVar[str]
    http: PlatformHttp
    scopes: tuple[str, ...]
    required_scopes: frozenset[str]

    def _set_up(self, http: PlatformHttp, scopes: Sequence[str], credentials: Sequence[str], what: str) -> None:
        """Check the app's credentials are set (``what`` names them in the error) and keep the HTTP
        client and the scopes; every scope asked for is required of the grant."""
        if not all(credentials):
            raise ValueError(f"{what} are required")
        self.http = http
        self.scopes = tuple(scopes)
        self.required_scopes = frozenset(self.scopes)

    def granted_scopes(self, raw: Any) -> frozenset[str]:
        """Parse the platform's granted-scope value (comma or space separated)."""
        return parse_scopes(raw)

    def missing_scopes(self, token_set: TokenSet) -> frozenset[str]:
        """Required scopes the grant lacks."""
        return frozenset(self.required_scopes - token_set.scopes)

    def ensure_scopes(self, token_set: TokenSet) -> None:
        """:raises ScopeMissing: when a required scope was not granted."""
        missing = self.missing_scopes(token_set)
        if missing:
            raise ScopeMissing(
                f"required scopes not granted: {', '.join(sorted(missing))}",
                missing=missing,
                platform=self.name,
            )


_SCOPE_SPLIT = re.compile(r"[\s,]+")


def parse_scopes(raw: Any) -> frozenset[str]:
    """Scopes from ``"a,b"``, ``"a b"``, ``["a", "b"]`` or ``None``."""
    if raw is None:
        return frozenset()
    if isinstance(raw, str):
        return frozenset(s for s in _SCOPE_SPLIT.split(raw) if s)
    if isinstance(raw, Iterable):
        out: set[str] = set()
        for item in raw:
            if isinstance(item, str):
                out |= parse_scopes(item)
        return frozenset(out)
    return frozenset()


def pkce_challenge(verifier: str) -> str:
    """The S256 challenge of ``verifier`` (RFC 7636): ``b64url(sha256(verifier))`` without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def make_pkce_pair() -> tuple[str, str]:
    """A fresh ``(verifier, challenge)``: a 64-character CSPRNG verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)  # 64 chars of [A-Za-z0-9_-], within RFC 7636's 43-128
    return verifier, pkce_challenge(verifier)


def aware_utc(value: Any, platform: str, what: str = "timestamp") -> datetime:
    """Parse a platform timestamp into an aware UTC datetime.

    Accepts epoch seconds (int/float or digit strings), ISO 8601 with ``Z``, ``+00:00`` or Meta's
    ``+0000``.

    :raises BadResponse: when the value is missing or unparseable.
    """
    if isinstance(value, bool) or value is None:
        raise BadResponse(f"missing {what}", platform=platform)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return datetime.fromtimestamp(int(text), UTC)
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        match = re.match(r"^(.*[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)([+-]\d{2})(\d{2})$", text)
        if match:
            text = f"{match.group(1)}{match.group(2)}:{match.group(3)}"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise BadResponse(f"unparseable {what}", platform=platform) from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    raise BadResponse(f"unparseable {what}", platform=platform)


_HASHTAG_RE = re.compile(r"(?<![\w#&])#(\w{1,100})", re.UNICODE)


def extract_hashtags(*texts: str | None) -> tuple[str, ...]:
    """Lower-cased hashtags in order of first appearance, without ``#``."""
    seen: dict[str, None] = {}
    for text in texts:
        if text:
            for tag in _HASHTAG_RE.findall(text):
                seen.setdefault(tag.lower(), None)
    return tuple(seen)


def as_mapping(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a JSON object, else an empty mapping (tolerates missing/garbled nesting)."""
    return value if isinstance(value, Mapping) else {}


def to_int(value: Any) -> int | None:
    """An int from a platform number (YouTube sends counts as strings); ``None`` when absent/garbled."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            try:
                return int(float(value))
            except ValueError:
                return None
    return None


class PageGuard:
    """Loop-safe paging: stops on a repeated cursor, and raises past ``max_pages``.

    A platform that hands back the same cursor twice (or a cycle of cursors) would otherwise make a
    sync loop forever and burn its quota.
    """

    def __init__(self, platform: str, max_pages: int = 500) -> None:
        self.platform = platform
        self.max_pages = max_pages
        self.pages = 0
        self._seen: set[str] = set()

    def next_allowed(self, cursor: str | int | None) -> bool:
        """Record a page fetch; ``False`` when ``cursor`` is empty or was already used."""
        if cursor is None or cursor == "":
            return False
        key = str(cursor)
        if key in self._seen:
            return False
        self._seen.add(key)
        self.pages += 1
        if self.pages > self.max_pages:
            raise BadResponse(f"paging did not end after {self.max_pages} pages", platform=self.platform)
        return True


def dedupe(items: Iterable[ContentItem]) -> list[ContentItem]:
    """Keep the first occurrence of each ``platform_id`` (pages may overlap while posts arrive)."""
    seen: set[str] = set()
    out: list[ContentItem] = []
    for item in items:
        if item.platform_id not in seen:
            seen.add(item.platform_id)
            out.append(item)
    return out
