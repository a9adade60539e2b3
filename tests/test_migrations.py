"""Alembic migrations build the schema from empty on SQLite and PostgreSQL, and match the models."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app import create_app
from app.models import Base
from tests.conftest import TEST_DATABASE_URL, app_config


@contextmanager
def empty_database(tmp_path) -> Iterator[str]:
    if TEST_DATABASE_URL:
        name = f"mig_{uuid.uuid4().hex[:10]}"
        admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"


def test_upgrade_from_empty_matches_models_and_downgrades(tmp_path, redis_url, instance_dir):
    with empty_database(tmp_path) as url:
        app = create_app(app_config(url, redis_url, instance_dir))
        with app.app_context():
            from app.extensions import db

            upgrade()
            tables = set(inspect(db.engine).get_table_names())
            assert {
                "users",
                "clients",
                "deliverables",
                "user_sessions",
                "invites",
                "password_resets",
                "login_attempts",
                "outbox_emails",
                "alembic_version",
            } <= tables
            with db.engine.connect() as conn:
                diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            assert diffs == [], f"models and migrations differ: {diffs}"
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            db.engine.dispose()


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL run only (TEST_DATABASE_URL)")
def test_suite_runs_on_postgresql(app):
    from app.extensions import db

    assert db.engine.dialect.name == "postgresql"
