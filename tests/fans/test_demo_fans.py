"""``flask demo`` gives the fans and tactics sections something to show: tactic tags on the demo posts,
and one fan who links Instagram and YouTube through Sofia's link page; the comment sync (real, against
the sandbox) stores the comments with the codes and verifies the link."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.demo import fans as demo_fans
from app.extensions import db
from app.models import Client, Connection, ContentItem, ContentTactic, FanLink, FanLinkIdentity, User
from app.sync import engine
from tests.support.connect import portal_app
from tests.support.sandbox import SandboxControl, sandbox, sandbox_app, sandbox_url  # noqa: F401


@pytest.fixture
def app(make_app: Any, sandbox_url: str, sandbox: SandboxControl) -> Iterator[Flask]:  # noqa: F811
    sandbox.set_clock(now=datetime.now(UTC).replace(microsecond=0).isoformat())
    app = portal_app(make_app, sandbox_url, SYNC_META_SLOWDOWN_SECONDS=0)
    with app.app_context():
        yield app


def test_spread_is_fixed():
    assert demo_fans.spread(0, "reel") == {"hook-3s"}
    assert demo_fans.spread(1, "carousel") == {"carousel-tutorial", "behind-the-scenes"}
    assert demo_fans.spread(2, "image") == {"collab"}
    assert demo_fans.spread(3, "image") == set()


def test_demo_has_tactics_and_a_linked_fan(app: Flask, client: Any, sandbox: SandboxControl) -> None:  # noqa: F811
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "linked fan: 2 codes posted" in result.output, result.output
    # every connected demo client has tagged posts, none over the per-post bound
    tagged = dict(
        db.session.execute(
            select(Connection.client_id, func.count(ContentTactic.content_item_id))
            .join(ContentItem, ContentItem.connection_id == Connection.id)
            .join(ContentTactic, ContentTactic.content_item_id == ContentItem.id)
            .group_by(Connection.client_id)
        ).all()
    )
    assert set(tagged) == set(db.session.scalars(select(Connection.client_id).distinct()))
    counts = db.session.scalars(select(func.count()).select_from(ContentTactic).group_by(ContentTactic.content_item_id))
    assert max(counts) <= 10
    # the linked fan: consent stored word for word, two claimed identities, codes posted in the sandbox
    sofia = db.session.scalar(
        select(Client).join(User, User.id == Client.user_id).where(User.email == "sofia@example.com")
    )
    link = db.session.scalar(select(FanLink).where(FanLink.client_id == sofia.id))
    assert "as one person" in link.consent_text
    idents = db.session.scalars(select(FanLinkIdentity).where(FanLinkIdentity.fan_link_id == link.id)).all()
    assert sorted(i.platform for i in idents) == ["instagram", "youtube"]
    assert all(i.verified_at is None for i in idents)  # nothing verified before the sync reads the codes
    # the comment sync reads the codes and verifies the link
    for conn in db.session.scalars(select(Connection).where(Connection.client_id == sofia.id)):
        assert engine.sync(conn.id, "operator").status in ("succeeded", "partial")
    db.session.expire_all()
    idents = db.session.scalars(select(FanLinkIdentity).where(FanLinkIdentity.fan_link_id == link.id)).all()
    assert all(i.verified_at is not None for i in idents)
    client.login("sofia@example.com", "demo-portal-2026")
    fans = client.get("/api/portal/social/fans?range=30d").get_json()["fans"]
    linked = [f for f in fans if f.get("linked")]
    assert len(linked) == 1
    assert linked[0]["platforms"] == ["instagram", "youtube"]
    tactics = client.get("/api/portal/social/tactics?range=90d").get_json()
    assert any(t["lift_pct"] is not None for t in tactics["tactics"])  # enough tagged posts to compare
