"""Adapter tests run against the platform sandbox over real HTTP (never mocked platforms)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from app.config import Config
from app.platforms import PlatformAdapter, TokenSet, get_adapter, make_pkce_pair
from app.platforms.http import make_session
from app.security.scrub import ScrubbingFilter
from tests.support.sandbox import (  # noqa: F401
    CLIENTS,
    REDIRECT_URI,
    SandboxControl,
    sandbox,
    sandbox_app,
    sandbox_url,
)


def adapter_settings(base_url: str, **extra: Any) -> dict[str, Any]:
    """Settings as the app will pass them (every declared default), pointed at the sandbox with the
    sandbox's OAuth clients."""
    return {
        **Config.defaults(),
        "PLATFORM_SANDBOX_URL": base_url,
        "PLATFORM_CONNECT_TIMEOUT_SECONDS": 2,
        "PLATFORM_READ_TIMEOUT_SECONDS": 5,
        "INSTAGRAM_CLIENT_ID": CLIENTS["instagram"][0],
        "INSTAGRAM_CLIENT_SECRET": CLIENTS["instagram"][1],
        "INSTAGRAM_API_VERSION": "v25.0",
        "TIKTOK_CLIENT_KEY": CLIENTS["tiktok"][0],
        "TIKTOK_CLIENT_SECRET": CLIENTS["tiktok"][1],
        "YOUTUBE_CLIENT_ID": CLIENTS["youtube"][0],
        "YOUTUBE_CLIENT_SECRET": CLIENTS["youtube"][1],
        "X_CLIENT_ID": CLIENTS["x"][0],
        "X_CLIENT_SECRET": CLIENTS["x"][1],
        "FACEBOOK_APP_ID": CLIENTS["facebook"][0],
        "FACEBOOK_APP_SECRET": CLIENTS["facebook"][1],
        "LINKEDIN_CLIENT_ID": CLIENTS["linkedin"][0],
        "LINKEDIN_CLIENT_SECRET": CLIENTS["linkedin"][1],
        **extra,
    }


@pytest.fixture
def http_session() -> Iterator[requests.Session]:
    session = make_session(2.0, 5.0)
    yield session
    session.close()


@pytest.fixture
def make_adapter(sandbox_url: str, http_session: requests.Session) -> Any:  # noqa: F811
    def build(platform: str, **extra: Any) -> PlatformAdapter:
        return get_adapter(platform, adapter_settings(sandbox_url, **extra), http_session)

    return build


def drive_consent(
    sandbox: SandboxControl,  # noqa: F811
    adapter: PlatformAdapter,
    account_id: str,
    *,
    scopes: list[str] | None = None,
    redirect_uri: str = REDIRECT_URI,
) -> tuple[str, str | None, str]:
    """Open the adapter's authorize URL, check the consent page, approve; return (code, verifier, state).

    The redirect to ``redirect_uri`` is not followed (nothing listens there): code and state come from
    its ``Location``.
    """
    state = secrets.token_urlsafe(24)
    verifier, challenge = make_pkce_pair()
    url = adapter.authorize_url(state, redirect_uri, challenge if adapter.uses_pkce else None)
    assert url.startswith(sandbox.base_url + "/")
    page = requests.get(url, timeout=10)
    assert page.status_code == 200, page.text
    assert f'value="{account_id}"' in page.text
    form: dict[str, Any] = {"account_id": account_id, "decision": "approve"}
    if scopes is not None:
        form.update({"granular": "1", "scope": scopes})
    answer = requests.post(url, data=form, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(redirect_uri)
    params = SandboxControl.redirect_params(location)
    assert params["state"] == state
    return params["code"], (verifier if adapter.uses_pkce else None), state


def connect(
    sandbox: SandboxControl,  # noqa: F811
    adapter: PlatformAdapter,
    account_id: str,
    **kwargs: Any,
) -> TokenSet:
    code, verifier, _ = drive_consent(sandbox, adapter, account_id, **kwargs)
    return adapter.exchange_code(code, kwargs.get("redirect_uri", REDIRECT_URI), verifier)


class CaptureAll(logging.Handler):
    """Every log record of the process (DEBUG and up, urllib3 included), formatted after scrubbing."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.addFilter(ScrubbingFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def all_logs() -> Iterator[CaptureAll]:
    root = logging.getLogger()
    handler = CaptureAll()
    old_level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def assert_no_secrets(texts: list[str], secrets_: list[str]) -> None:
    blob = "\n".join(texts)
    for value in secrets_:
        if value:
            assert value not in blob, "a token or code leaked"


def error_texts(exc: BaseException) -> list[str]:
    """Everything an error exposes: str, repr, args, and its whole cause/context chain."""
    out: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        out += [str(current), repr(current), repr(current.args)]
        current = current.__cause__ or current.__context__
    return out
