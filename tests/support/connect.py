"""Helpers to run the product's OAuth flow against the sandbox from a test client."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from tests.support.sandbox import SandboxControl

REDIRECT_BASE = "http://127.0.0.1:5000"
TOKEN_PATHS = (
    "oauth/access_token",
    "oauth/token",
    "/access_token",
    "oauth2.googleapis.com/token",
    "/2/oauth2/token",
    "oauth/v2/accessToken",
)


def portal_app(make_app: Any, sandbox_url: str, **overrides: Any) -> Flask:
    """An app pointed at the sandbox, with a redirect base the sandbox accepts (127.0.0.1)."""
    return make_app(PLATFORM_SANDBOX_URL=sandbox_url, OAUTH_REDIRECT_BASE=REDIRECT_BASE, **overrides)


def start(client: Any, platform: str) -> str:
    """POST connect; returns the authorize URL from the 303."""
    resp = client.post(f"/api/portal/social/connect/{platform}")
    assert resp.status_code == 303, resp.get_data(as_text=True)
    return str(resp.headers["Location"])


def callback_path(location: str) -> str:
    """The platform's redirect (to REDIRECT_BASE) as a path + query for the test client."""
    parts = urlsplit(location.split("#", 1)[0])
    return f"{parts.path}?{parts.query}"


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def connect(
    client: Any,
    sandbox: SandboxControl,
    platform: str,
    account_id: str,
    decision: str = "approve",
    scopes: list[str] | None = None,
) -> Any:
    """The whole round trip: connect -> consent at the sandbox -> callback. Returns the callback response."""
    location = sandbox.consent(start(client, platform), account_id, decision, scopes)
    return client.get(callback_path(location))


def token_calls(sandbox: SandboxControl) -> list[dict[str, Any]]:
    return [c for c in sandbox.calls() if any(p in c["path"] for p in TOKEN_PATHS)]


@pytest.fixture
def accounts(sandbox: SandboxControl) -> dict[str, dict[str, Any]]:
    return {
        "instagram": sandbox.create_account("instagram", "ig.creator", 15_234, seed=7, account_type="MEDIA_CREATOR"),
        "tiktok": sandbox.create_account("tiktok", "tt.creator", 10_234, seed=8),
        "youtube": sandbox.create_account("youtube", "yt.creator", 15_432, seed=9),
        "x": sandbox.create_account("x", "x.creator", 5_321, seed=11),
        "linkedin": sandbox.create_account("linkedin", "li.creator", 4_200, seed=21),
    }
