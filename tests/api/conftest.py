"""Connection tests: the product against the sandbox over real HTTP, real DB and Redis."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.support.connect import accounts, portal_app  # noqa: F401
from tests.support.sandbox import sandbox, sandbox_app, sandbox_url  # noqa: F401


@pytest.fixture
def app(make_app: Any, sandbox_url: str) -> Iterator[Flask]:  # noqa: F811
    app = portal_app(make_app, sandbox_url)
    with app.app_context():
        yield app


@pytest.fixture
def creator(factory: Any) -> Any:
    coach = factory.coach(email="coach@example.com")
    return factory.client(coach=coach, email="creator@example.com", name="Cara Creator")
