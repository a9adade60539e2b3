"""Meta Graph API common layer: error-envelope classification and usage headers (Instagram, later FB Pages).

Meta signals errors in the body, ``{"error": {"code": 190, "error_subcode": 463, ...}}``, mostly with
HTTP 400 and never with 429, so classification is by ``error.code`` (and subcode), not HTTP status.
See ``shared/reference/platforms.md`` §1.2-1.3.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

import requests

from app.platforms.base import ScopeCheckMixin
from app.platforms.errors import (
    AccessRevoked,
    BadResponse,
    InvalidMetric,
    InvalidRequest,
    PlatformError,
    PlatformUnavailable,
    RateLimited,
    ScopeMissing,
    TokenExpired,
)
from app.platforms.http import PlatformHttp, json_body, parse_retry_after

__all__ = [
    "RATE_LIMIT_CODES",
    "MetaGraphAdapter",
    "classify_meta_error",
    "meta_retry_after",
    "usage_parts",
    "usage_percent",
]

RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 341, 80001, 80002})
TRANSIENT_CODES = frozenset({1, 2})
EXPIRED_SUBCODES = frozenset({463})
# 458 app removed, 459 checkpointed, 460 password changed, 464 unconfirmed user, 467 invalid token,
# 492 invalid session. A 190 with no or an unknown subcode is treated as revoked as well: the token
# is unusable and only a reconnect helps.
REVOKED_SUBCODES = frozenset({458, 459, 460, 464, 467, 492})


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _header_json(response: requests.Response, name: str) -> Any:
    raw = response.headers.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def meta_retry_after(response: requests.Response) -> float | None:
    """Seconds to wait: ``Retry-After`` if present, else BUC ``estimated_time_to_regain_access`` (minutes)."""
    seconds = parse_retry_after(response.headers.get("Retry-After"))
    if seconds is not None:
        return seconds
    buc = _header_json(response, "X-Business-Use-Case-Usage")
    minutes: list[float] = []
    if isinstance(buc, Mapping):
        for entries in buc.values():
            if isinstance(entries, list):
                for entry in entries:
                    if isinstance(entry, Mapping):
                        value = entry.get("estimated_time_to_regain_access")
                        if isinstance(value, int | float) and not isinstance(value, bool):
                            minutes.append(float(value))
    if minutes and max(minutes) > 0:
        return max(minutes) * 60.0
    return None


def _peak(entry: Any) -> float | None:
    if not isinstance(entry, Mapping):
        return None
    values = [
        float(v)
        for v in (entry.get(k) for k in ("call_count", "total_cputime", "total_time"))
        if isinstance(v, int | float) and not isinstance(v, bool)
    ]
    return max(values) if values else None


def usage_parts(response: requests.Response) -> tuple[float | None, dict[str, float]]:
    """The app's usage (``X-App-Usage``, rolling hour) and each account's (``X-Business-Use-Case-Usage``,
    24 h), as the highest of call count, CPU time and total time, in percent of the limit."""
    app_usage = _peak(_header_json(response, "X-App-Usage"))
    accounts: dict[str, float] = {}
    buc = _header_json(response, "X-Business-Use-Case-Usage")
    if isinstance(buc, Mapping):
        for account, entries in buc.items():
            peaks = [p for p in (_peak(e) for e in entries) if p is not None] if isinstance(entries, list) else []
            if peaks:
                accounts[str(account)] = max(peaks)
    return app_usage, accounts


def usage_percent(response: requests.Response) -> float | None:
    """The highest usage percentage in ``X-App-Usage`` / ``X-Business-Use-Case-Usage`` (slow down >80)."""
    app_usage, accounts = usage_parts(response)
    values = [v for v in (app_usage, *accounts.values()) if v is not None]
    return max(values) if values else None


_METRIC_INDEX_RE = re.compile(r"metric\[(\d+)\]")


def _metrics_named(message: str, requested: tuple[str, ...]) -> frozenset[str]:
    """The requested metrics a code-100 message blames.

    ``metric[2] must be one of ...`` names the position (the list that follows names *valid* metrics, so
    names are not searched then); otherwise a metric is blamed only when it is the single requested
    metric the message mentions. An empty answer means "unknown": the caller then asks one by one.
    """
    index = _METRIC_INDEX_RE.search(message)
    if index is not None:
        i = int(index.group(1))
        return frozenset({requested[i]}) if i < len(requested) else frozenset()
    found = {m for m in requested if re.search(rf"(?<![\w]){re.escape(m)}(?![\w])", message)}
    return frozenset(found) if len(found) == 1 else frozenset()


def _without_envelope(response: requests.Response, platform: str) -> PlatformError | None:
    status = response.status_code
    if status < 400:
        return None
    if status == 429:
        return RateLimited("HTTP 429", retry_after=meta_retry_after(response), platform=platform, status=status)
    if status >= 500:
        return PlatformUnavailable(f"HTTP {status}", platform=platform, status=status)
    return BadResponse(f"HTTP {status} without a Graph error envelope", platform=platform, status=status)


def classify_meta_error(
    response: requests.Response,
    body: Any,
    *,
    platform: str,
    requested_metrics: Iterable[str] = (),
) -> PlatformError | None:
    """The typed error for a Graph response, or ``None`` when it is a success.

    ``requested_metrics`` lets a code-100 error that names (or concerns) insight metrics come back as
    :class:`InvalidMetric`, so the caller can retry without them.
    """
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        return _without_envelope(response, platform)

    status = response.status_code
    code = _as_int(error.get("code"))
    subcode = _as_int(error.get("error_subcode"))
    message = str(error.get("message") or "")
    text = f"Graph error code {code}" + (f"/{subcode}" if subcode is not None else "") + f": {message}"
    kwargs: dict[str, Any] = {"platform": platform, "status": status, "code": code}

    if code == 190:
        if subcode in EXPIRED_SUBCODES or (subcode is None and "expired" in message.lower()):
            return TokenExpired(text, **kwargs)
        return AccessRevoked(text, **kwargs)
    if code in RATE_LIMIT_CODES:
        return RateLimited(text, retry_after=meta_retry_after(response), **kwargs)
    if code == 10 or (code is not None and 200 <= code <= 299):
        return ScopeMissing(text, **kwargs)
    if code in TRANSIENT_CODES:
        return PlatformUnavailable(text, **kwargs)
    if code == 100:
        requested = tuple(requested_metrics)
        named = _metrics_named(message, requested)
        if requested and (named or "metric" in message.lower()):
            return InvalidMetric(text, metrics=named, **kwargs)
        return InvalidRequest(text, **kwargs)
    if status >= 500:
        return PlatformUnavailable(text, **kwargs)
    if status >= 400:
        return InvalidRequest(text, **kwargs)
    return BadResponse(text, **kwargs)


class MetaGraphAdapter(ScopeCheckMixin):
    """What the Instagram and Facebook Pages adapters share as clients of Meta's Graph API.

    Both are registered Meta apps (an id and a secret, a pinned Graph version), neither rotates refresh
    tokens nor can revoke a grant from our side (Meta calls our deauthorize callback instead), and both
    read Meta's one error envelope, so the set-up and the answer check live here once.
    """

    #: what is missing when the app's credentials are not set, in the ValueError
    credentials_label: ClassVar[str]
    #: the scopes asked for when the caller names none (each platform's own)
    default_scopes: ClassVar[tuple[str, ...]]
    rotates_refresh_token: ClassVar[bool] = False
    supports_revoke: ClassVar[bool] = False

    def __init__(
        self,
        http: PlatformHttp,
        *,
        client_id: str,
        client_secret: str,
        api_version: str = "v25.0",
        scopes: Sequence[str] | None = None,
    ) -> None:
        chosen = self.default_scopes if scopes is None else scopes
        self._set_up(http, chosen, (client_id, client_secret), self.credentials_label)
        self.client_id = client_id
        self.client_secret = client_secret
        self.api_version = api_version
        self.uses_pkce = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(client_id={self.client_id!r}, api_version={self.api_version!r})"

    def _check(self, response: requests.Response, requested_metrics: Sequence[str] = ()) -> Any:
        body = json_body(response, self.name)
        error = classify_meta_error(response, body, platform=self.name, requested_metrics=requested_metrics)
        if error is not None:
            raise error
        return body
