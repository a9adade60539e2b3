"""Chaos tests: the sync tests' fixtures (sandbox world, app pointed at it) plus many linked connections."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Connection
from tests.support.connect import connect
from tests.support.sandbox import sandbox, sandbox_app, sandbox_url  # noqa: F401
from tests.sync.conftest import ACCOUNT_SPECS, app, world  # noqa: F401

PLATFORMS = ("tiktok", "youtube", "instagram")


@pytest.fixture
def link_many(client: Any, factory: Any, world: Any) -> Any:  # noqa: F811
    """``link_many(n) -> [(connection id, platform, sandbox account)]``: ``n`` connections over the
    three platforms through the real OAuth round trip, one creator per three platforms."""
    coach = factory.coach(email="chaos-coach@example.com")

    def make(n: int) -> list[tuple[int, str, dict[str, Any]]]:
        out: list[tuple[int, str, dict[str, Any]]] = []
        for i in range(n):
            platform = PLATFORMS[i % len(PLATFORMS)]
            if i % len(PLATFORMS) == 0:
                email = f"chaos-creator{i // len(PLATFORMS)}@example.com"
                factory.client(coach=coach, email=email, name=f"Creator {i // len(PLATFORMS)}")
                client.login(email)
            spec = dict(ACCOUNT_SPECS[platform])
            spec["seed"] = int(spec["seed"]) + 10 * i
            username, followers = f"{spec.pop('username')}{i}", int(spec.pop("followers")) + i
            account = world.create_account(platform, username, followers, **spec)
            resp = connect(client, world, platform, account["id"])
            assert resp.status_code in (302, 303), resp.get_data(as_text=True)
            db.session.expire_all()
            conn_id = db.session.execute(
                select(Connection.id).where(
                    Connection.platform == platform, Connection.platform_user_id == str(account["platform_user_id"])
                )
            ).scalar_one_or_none()
            if conn_id is None:
                conn_id = max(db.session.execute(select(Connection.id)).scalars())
            out.append((conn_id, platform, account))
        return out

    return make
