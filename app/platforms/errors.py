"""Typed platform errors: adapters classify every failure; the sync engine alone decides what it means.

Every message is scrubbed (``app.security.scrub``) when the error is built, so an error can be logged,
raised through RQ or stored on a connection row without leaking a token, code or client secret.

How the sync engine is expected to react (J8):

=====================  ==========================================================================
error                  reaction
=====================  ==========================================================================
TokenExpired           from a data call: refresh the token, retry once. From ``refresh()``: the
                       grant itself has expired; the connection needs a reconnect (``expired``).
AccessRevoked          the user removed the app / the grant is dead: mark ``revoked``, stop retrying.
ScopeMissing           a required permission is missing or was removed: mark, ask to reconnect.
RateLimited            retry after ``retry_after`` seconds (or jittered backoff when ``None``).
QuotaExceeded          defer until ``resets_at`` (YouTube: next midnight Pacific).
PlatformUnavailable    5xx, timeouts, connection errors, Meta codes 1/2: retry with backoff.
BadResponse            the answer was unusable (malformed JSON, unexpected shape): do not loop.
InvalidRequest         the platform rejected our request (bad parameter, bad client credentials,
                       a used authorization code): a bug or misconfiguration, do not retry.
=====================  ==========================================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import ClassVar

from app.security.scrub import scrub_text

__all__ = [
    "AccessRevoked",
    "AccountSuspended",
    "BadResponse",
    "InvalidMetric",
    "InvalidRequest",
    "PlatformError",
    "PlatformUnavailable",
    "QuotaExceeded",
    "RateLimited",
    "ScopeMissing",
    "TokenExpired",
]


class PlatformError(Exception):
    """Base of every error an adapter raises. ``str(error)`` is always scrubbed of secrets."""

    #: whether retrying the same call later can succeed without any change of state
    retryable: ClassVar[bool] = False
    #: short machine name, stored on the connection / sync run
    kind: ClassVar[str] = "platform_error"

    def __init__(
        self,
        message: str,
        *,
        platform: str | None = None,
        status: int | None = None,
        code: str | int | None = None,
    ) -> None:
        self.message = scrub_text(message)
        self.platform = platform
        self.status = status
        self.code = code
        prefix = f"{platform}: " if platform else ""
        super().__init__(f"{prefix}{self.message}")

    def __reduce__(self) -> tuple[object, ...]:
        # Keep pickling (RQ stores exceptions) working for subclasses with extra constructor args.
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(cls: type[PlatformError], state: dict[str, object]) -> PlatformError:
    error = cls.__new__(cls)
    Exception.__init__(error, f"{state.get('platform')}: {state.get('message')}")
    error.__dict__.update(state)
    return error


class TokenExpired(PlatformError):
    """The access token expired (refresh and retry once); raised by ``refresh()``: the grant expired."""

    kind = "token_expired"


class AccessRevoked(PlatformError):
    """The user revoked access, the app was removed, or the refresh grant is invalid (``invalid_grant``)."""

    kind = "access_revoked"


class AccountSuspended(AccessRevoked):
    """The platform suspended the account (X): nothing can be read; handled like a revoked grant."""

    kind = "account_suspended"


class ScopeMissing(PlatformError):
    """A permission the sync needs was not granted or was removed."""

    kind = "scope_missing"

    def __init__(
        self,
        message: str,
        *,
        missing: Iterable[str] = (),
        platform: str | None = None,
        status: int | None = None,
        code: str | int | None = None,
    ) -> None:
        self.missing: frozenset[str] = frozenset(missing)
        super().__init__(message, platform=platform, status=status, code=code)


class RateLimited(PlatformError):
    """Throttled by the platform; ``retry_after`` seconds when the platform said, else ``None``."""

    retryable = True
    kind = "rate_limited"

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        platform: str | None = None,
        status: int | None = None,
        code: str | int | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, platform=platform, status=status, code=code)


class QuotaExceeded(PlatformError):
    """A daily quota is spent; retrying before ``resets_at`` (aware UTC) only wastes quota."""

    kind = "quota_exceeded"

    def __init__(
        self,
        message: str,
        *,
        resets_at: datetime,
        platform: str | None = None,
        status: int | None = None,
        code: str | int | None = None,
    ) -> None:
        self.resets_at = resets_at
        super().__init__(message, platform=platform, status=status, code=code)


class PlatformUnavailable(PlatformError):
    """A transient failure: 5xx, timeout, connection error, or a platform "try again" code."""

    retryable = True
    kind = "unavailable"


class BadResponse(PlatformError):
    """The platform answered something unusable: not JSON, or not the documented shape."""

    kind = "bad_response"


class InvalidRequest(BadResponse):
    """The platform rejected the request itself (bad parameter, client credentials, used code)."""

    kind = "invalid_request"


class InvalidMetric(InvalidRequest):
    """An insights metric is invalid or deprecated (Meta code 100); the adapter retries without it."""

    kind = "invalid_metric"

    def __init__(
        self,
        message: str,
        *,
        metrics: Iterable[str] = (),
        platform: str | None = None,
        status: int | None = None,
        code: str | int | None = None,
    ) -> None:
        self.metrics: frozenset[str] = frozenset(metrics)
        super().__init__(message, platform=platform, status=status, code=code)
