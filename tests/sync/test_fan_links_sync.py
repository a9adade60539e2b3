"""A fan links Instagram and YouTube through the creator's link page, end to end: the sandbox holds the
comments carrying the codes, the comment sync (real worker) stores them and verifies the link."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import FanLinkIdentity
from app.models.history import ContentItem
from app.sync import engine
from tests.sync.conftest import drain
from tests.sync.test_comments_inbox import _grant


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def test_fan_links_instagram_and_youtube_through_the_sync(app: Any, client: Any, link: Any, world: Any) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    accounts = {}
    for platform, kind in (("instagram", "image"), ("youtube", "video")):
        posts = [{"published_at": _iso(now - timedelta(days=1)), "caption": "A post", "comment_count": 2, "kind": kind}]
        conn_id, account = link(platform, posts=posts)
        media = world.account(account["id"], posts=True)["posts"][0]["id"]
        accounts[platform] = (conn_id, account["id"], media)
    # Instagram gives commenters' handles only with the comment grant (docs/comments.md)
    assert _grant(client, world, "instagram", accounts["instagram"][1]).status_code in (302, 303)
    for platform, (_, account_id, media) in accounts.items():
        world.add_comment(
            account_id, "love this", "fan_ana", post_id=media, published_at=_iso(now - timedelta(hours=3))
        )
    drain(app)
    url = client.post("/api/portal/social/fans/link-page").get_json()["url"]
    path = "/" + url.split("/", 3)[3]
    client.logout()
    resp = client.post(path, data={"consent": "yes", "instagram": "fan_ana", "youtube": "@fan_ana"})
    assert resp.status_code == 303
    manage = resp.headers["Location"]
    codes = dict(re.findall(r'data-testid="code-(\w+)">(LINK-[A-Z0-9]{6})<', client.get(manage).get_data(as_text=True)))
    later = _iso(datetime.now(UTC) + timedelta(minutes=1))
    for platform, (_, account_id, media) in accounts.items():
        world.add_comment(account_id, f"linking {codes[platform]}", "fan_ana", post_id=media, published_at=later)
    # the next syncs read the comments (the posts are due again on the comment schedule)
    db.session.execute(ContentItem.__table__.update().values(comments_synced_at=now - timedelta(days=1)))
    db.session.commit()
    for conn_id, _, _ in accounts.values():
        assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    db.session.expire_all()
    verified = db.session.execute(select(FanLinkIdentity).where(FanLinkIdentity.verified_at.is_not(None))).scalars()
    assert sorted(v.platform for v in verified) == ["instagram", "youtube"]
    client.login("creator@example.com")
    fans = client.get("/api/portal/social/fans?range=7d").get_json()["fans"]
    assert len(fans) == 1
    assert fans[0]["linked"] is True
    assert fans[0]["platforms"] == ["instagram", "youtube"]
    assert fans[0]["comments"] == 4
