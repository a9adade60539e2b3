"""Sandbox tests: the sandbox served over real HTTP (see tests/support/sandbox.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.sandbox import SandboxControl, sandbox, sandbox_app, sandbox_url  # noqa: F401


@pytest.fixture
def ig_account(sandbox: SandboxControl) -> dict[str, Any]:  # noqa: F811
    return sandbox.create_account("instagram", "ig.creator", 15_234, seed=7, account_type="MEDIA_CREATOR")


@pytest.fixture
def tt_account(sandbox: SandboxControl) -> dict[str, Any]:  # noqa: F811
    return sandbox.create_account("tiktok", "tt.creator", 10_234, seed=8)


@pytest.fixture
def yt_account(sandbox: SandboxControl) -> dict[str, Any]:  # noqa: F811
    return sandbox.create_account("youtube", "yt.creator", 15_432, seed=9)
