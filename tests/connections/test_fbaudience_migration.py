"""Migration 0032_fbaudience: a Facebook Page's saved sync settings forget the "audience": false stored
while Facebook offered no audience kind (its weekly read then starts on), every other choice kept; other
platforms' settings untouched; on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from flask_migrate import upgrade
from sqlalchemy import insert, select

from app import create_app
from app.models import Client, Connection, User
from tests.conftest import app_config
from tests.test_migrations import empty_database

SAVED = {"sync": {"posts": True, "comments": False, "audience": False, "stories": False}, "cadence": "daily"}


def test_saved_facebook_settings_take_the_audience_default(tmp_path: Any, redis_url: str, instance_dir: Any) -> None:
    with empty_database(tmp_path) as url:
        app = create_app(app_config(url, redis_url, instance_dir))
        with app.app_context():
            from app.extensions import db
            from app.services import connection_settings

            upgrade(revision="0031_ttcomments")
            conn = db.session.connection()

            def account(platform: str, saved: bool) -> int:
                email = f"{platform}-{saved}@example.com"
                user = conn.execute(insert(User).values(email=email, name="C", role="client")).inserted_primary_key
                client = conn.execute(insert(Client).values(user_id=user[0], display_name="C")).inserted_primary_key
                values = {
                    "client_id": client[0],
                    "platform": platform,
                    "platform_user_id": f"{platform}-{saved}",
                    "username": platform,
                    "status": "connected",
                    "sync_settings": SAVED if saved else None,
                }
                return int(conn.execute(insert(Connection).values(**values)).inserted_primary_key[0])

            ids = {(p, saved): account(p, saved) for p in ("facebook", "instagram") for saved in (True, False)}
            db.session.commit()
            upgrade()
            db.session.expire_all()
            got = {k: db.session.get(Connection, v) for k, v in ids.items()}
            fb = got[("facebook", True)]
            assert fb.sync_settings == {
                "sync": {"posts": True, "comments": False, "stories": False},
                "cadence": "daily",
            }
            assert connection_settings.settings_of(fb).sync["audience"] is True  # the default, on
            assert connection_settings.settings_of(fb).sync["comments"] is False  # the client's choice kept
            assert got[("instagram", True)].sync_settings == SAVED  # a real "off" on Instagram stays
            assert got[("facebook", False)].sync_settings is None
            assert db.session.execute(select(Connection.id)).all()
            db.session.remove()
