"""Authlib glue: an ``OAuth2Session`` per OAuth call that shares the platform session's pool and timeouts.

Why a session per call: authlib's ``OAuth2Session`` keeps the last token on itself, so one shared
instance would mix grants between threads. Each call builds a light session, mounts the shared
session's connection adapters (one pool per process) and uses its ``(connect, read)`` timeout.

Token endpoint answers are checked by a compliance hook *before* authlib parses them, so each platform
classifies its own error envelope (with status and headers at hand) into typed errors, and nothing from
``requests`` or authlib that embeds a URL or body ever escapes unscrubbed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from app.platforms.errors import BadResponse, PlatformError, PlatformUnavailable
from app.platforms.http import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, PlatformHttp
from app.security.scrub import scrub_text

__all__ = ["ResponseCheck", "build_oauth_session", "call_token_endpoint"]

#: raises a typed error for a failed token-endpoint response, returns ``None`` when it is a success
ResponseCheck = Callable[[requests.Response], PlatformError | None]


def build_oauth_session(
    http: PlatformHttp,
    client_id: str,
    client_secret: str | None = None,
    *,
    check: ResponseCheck | None = None,
    code_challenge_method: str | None = None,
    scope: str | None = None,
) -> OAuth2Session:
    """An authlib session for one OAuth call, on the shared pool and timeouts."""
    timeout = getattr(http.session, "timeout", (DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT))
    oauth = OAuth2Session(
        client_id=client_id,
        client_secret=client_secret,
        token_endpoint_auth_method="client_secret_post",  # noqa: S106 - a method name
        scope=scope,
        default_timeout=timeout,
        code_challenge_method=code_challenge_method,
    )
    for prefix, adapter in http.session.adapters.items():
        oauth.mount(prefix, adapter)
    oauth.headers.update({"User-Agent": str(http.session.headers.get("User-Agent", ""))})
    if check is not None:

        def hook(response: requests.Response) -> requests.Response:
            error = check(response)
            if error is not None:
                raise error
            return response

        oauth.register_compliance_hook("access_token_response", hook)
        oauth.register_compliance_hook("refresh_token_response", hook)
    return oauth


def call_token_endpoint(platform: str, call: Callable[[], Mapping[str, Any]]) -> dict[str, Any]:
    """Run an authlib token call, converting every non-typed failure into a scrubbed typed error."""
    try:
        return dict(call())
    except PlatformError:
        raise
    except requests.Timeout as exc:
        raise PlatformUnavailable(f"token endpoint timeout ({type(exc).__name__})", platform=platform) from None
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else None
        error_cls = PlatformUnavailable if status is None or status >= 500 else BadResponse
        raise error_cls(
            f"token endpoint HTTP error: {scrub_text(str(exc))}", platform=platform, status=status
        ) from None
    except requests.RequestException as exc:
        raise PlatformUnavailable(f"token endpoint unreachable ({type(exc).__name__})", platform=platform) from None
    except OAuthError as exc:
        raise BadResponse(f"token endpoint error: {scrub_text(str(exc))}", platform=platform) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise BadResponse(f"token endpoint answer unusable: {scrub_text(str(exc))}", platform=platform) from None
