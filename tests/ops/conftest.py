"""Operations console tests: the sandbox over HTTP, real RQ workers, the real database and Redis (the
sync tests' fixtures, with no retries so that a failure is final at once)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.support.connect import portal_app
from tests.support.sandbox import SandboxControl, sandbox, sandbox_app, sandbox_url  # noqa: F401
from tests.sync.conftest import FAST, creator, link, world  # noqa: F401

OPS = {**FAST, "SYNC_RETRY_BUDGET": 0}


@pytest.fixture
def app(make_app: Any, sandbox_url: str, world: SandboxControl) -> Iterator[Flask]:  # noqa: F811
    app = portal_app(make_app, sandbox_url, **OPS)
    with app.app_context():
        yield app
