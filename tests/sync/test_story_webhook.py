"""The Instagram ``story_insights`` webhook: numbers kept for a story we hold, a story that expired
before any story sync kept too, -1 (under 5) stored as no number, unknown accounts ignored."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import StoryItem
from app.sync.audience import sync_stories
from tests.sync.test_comment_webhooks import _signed

URL = "/api/platforms/instagram/webhook"


def _delivery(user_id: str, *values: dict[str, Any], stamp: int = 1796150000) -> bytes:
    changes = [{"field": "story_insights", "value": v} for v in values]
    return json.dumps({"object": "instagram", "entry": [{"id": user_id, "time": stamp, "changes": changes}]}).encode()


def test_story_insights_webhook(app: Any, client: Any, link: Any, world: Any) -> None:
    conn_id, account = link("instagram")
    world._call("POST", f"accounts/{account['id']}/stories", json={"views": 300, "replies": 4})
    assert sync_stories(conn_id) == "1 stories"
    [known] = db.session.execute(select(StoryItem)).scalars().all()
    body = _delivery(
        account["platform_user_id"],
        # the legacy shape: impressions for views; replies under 5 -> -1
        {"media_id": known.platform_id, "impressions": 410, "reach": 350, "replies": -1, "exits": 7},
        # a story no sync saw (expired first): kept with an estimated time
        {"media_id": "17999999999999999", "views": 42, "reach": 40, "taps_forward": 12},
        {"media_id": "<script>", "views": 1},  # not an id: skipped
    )
    got = client.post(URL, data=body, headers=_signed(body))
    assert got.get_json() == {"status": "ok", "stored": 0, "stories": 2}
    db.session.expire_all()
    rows = {s.platform_id: s for s in db.session.execute(select(StoryItem)).scalars()}
    assert set(rows) == {known.platform_id, "17999999999999999"}
    k = rows[known.platform_id]
    assert (k.views, k.reach, k.replies, k.exits) == (410, 350, 4, 7)  # -1 never erases the 4 read before
    assert k.note is None
    assert k.published_at == known.published_at  # the read time is kept
    new = rows["17999999999999999"]
    assert (new.views, new.reach, new.taps_forward, new.note) == (42, 40, 12, "webhook_only")
    delivered = datetime.fromtimestamp(1796150000, UTC)
    assert new.expires_at == delivered - timedelta(hours=1)
    assert new.published_at == delivered - timedelta(hours=25)
    # another account's delivery (not connected here) stores nothing
    other = _delivery("17841400000000999", {"media_id": "17999999999999998", "views": 9})
    assert client.post(URL, data=other, headers=_signed(other)).get_json() == {"status": "ok", "stored": 0}
