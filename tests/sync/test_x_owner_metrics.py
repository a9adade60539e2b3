"""X downstream with a real sync: the connection card and the first numbers (followers, posts), and
the owner-only numbers X gives for the owner's posts under 30 days old (``organic_metrics`` /
``non_public_metrics``: impressions, engagements, link clicks, profile visits) stored with the post and
shown where post numbers are shown (the post page and the post API); none for an older post.

The sandbox's truths: a post's public and organic impressions are its view count; its ``engagements``
are likes + replies + reposts + quotes + profile visits (app/sandbox/x/api.py), so the stored profile
visits are exactly engagements minus the interactions the post shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import Connection
from app.models.history import ContentItem
from app.queueing.dispatch import enqueue_sync
from tests.sync.conftest import drain, runs

RECENT, OLD = 3, 45  # days ago: inside and outside X's 30-day window for owner metrics


def test_x_card_first_numbers_and_owner_metrics(app: Any, link: Any, world: Any, client: Any) -> None:
    now = datetime.now(UTC)
    posts = [
        {
            "published_at": (now - timedelta(days=d)).isoformat(),
            "caption": f"X post {d}",
            "like_count": 40,
            "comment_count": 4,
            "share_count": 3,
            "view_count": 6_000,
        }
        for d in (RECENT, OLD)
    ]
    conn_id, account = link("x", display_name="Xavi <b>X</b>", posts=posts)
    drain(app)
    conn = db.session.get(Connection, conn_id)
    truth = world.account(account["id"], posts=True)
    assert conn.profile_stats["followers"] == 5_321
    assert conn.profile_stats["media_count"] == truth["posts_count"]

    # the card and the first numbers
    cards = client.get("/portal/settings/connections").get_data(as_text=True)
    card = cards[cards.index('id="conn-x"') :]
    card = card[: card.index("</article>")]
    assert "Xavi &lt;b&gt;X&lt;/b&gt;" in card
    assert "@x.creator" in card
    assert "Last synced" in card
    assert "Reconnect" not in card
    first = client.get(f"/portal/settings/connections/{conn_id}/connected").get_data(as_text=True)
    assert "<dt>Followers</dt><dd>5,321</dd>" in first
    assert f"<dt>Posts</dt><dd>{truth['posts_count']:,}</dd>" in first
    overview = client.get("/api/portal/social/overview?range=30d").get_json()
    [row] = [p for p in overview["platforms"] if p["platform"] == "x"]
    assert row["followers"] == 5_321

    items = {
        i.caption: i
        for i in db.session.execute(select(ContentItem).where(ContentItem.connection_id == conn_id)).scalars()
    }
    recent, old = items[f"X post {RECENT}"], items[f"X post {OLD}"]
    by_caption = {p["caption"]: p for p in truth["posts"]}
    views = by_caption[f"X post {RECENT}"]["view_count"]
    assert recent.views == views  # public impression_count
    owner = recent.extra_metrics
    assert owner["organic_impressions"] == views  # organic_metrics.impression_count
    shown = recent.likes + recent.comments + recent.shares  # likes + replies + reposts and quotes
    assert owner["profile_visits"] == owner["engagements"] - shown > 0
    assert 0 <= owner["link_clicks"] <= owner["profile_visits"]  # the sandbox: 2-8 % of the profile visits
    assert "organic_impressions" not in old.extra_metrics  # 45 days old: X refuses the owner fields
    assert "engagements" not in old.extra_metrics

    # the post API and the post page
    api = client.get(f"/api/portal/social/content/{recent.id}").get_json()
    assert api["owner_metrics"] == {
        "organic_impressions": views,
        "engagements": int(owner["engagements"]),
        "link_clicks": int(owner["link_clicks"]),
        "profile_visits": int(owner["profile_visits"]),
    }
    assert client.get(f"/api/portal/social/content/{old.id}").get_json()["owner_metrics"] is None
    page = client.get(f"/portal/analytics/content/{recent.id}").get_data(as_text=True)
    assert "Only you can see these" in page
    for label, key in (("Impressions (organic)", "organic_impressions"), ("Profile visits", "profile_visits")):
        assert f'<h3>{label}</h3><p class="kpi-value">{int(owner[key]):,}</p>' in page, label
    assert "Only you can see these" not in client.get(f"/portal/analytics/content/{old.id}").get_data(as_text=True)


def test_owner_metrics_outlive_x_30_day_window(app: Any, link: Any, world: Any) -> None:
    """A post read at 25 days with its owner numbers, read again at 33 days (due weekly on the aging
    schedule) when X no longer gives them: the public numbers are refreshed, the owner ones kept."""
    now = datetime.now(UTC)
    post = {"published_at": (now - timedelta(days=25)).isoformat(), "caption": "late", "view_count": 6_000}
    conn_id, _ = link("x", posts=[post])
    drain(app)
    item = db.session.execute(select(ContentItem).where(ContentItem.connection_id == conn_id)).scalar_one()
    kept = {k: item.extra_metrics[k] for k in ("organic_impressions", "engagements", "link_clicks", "profile_visits")}
    assert kept["organic_impressions"] == item.views
    first_read = item.metrics_updated_at

    world.advance_days(8)
    later = now + timedelta(days=8)
    with time_machine.travel(later, tick=True):
        assert enqueue_sync(conn_id, "daily", job_id=f"sync-{conn_id}-day-8")
        drain(app)
    run = runs(conn_id)[-1]
    assert run.status == "succeeded", (run.status, run.error_message)
    db.session.expire_all()
    item = db.session.get(ContentItem, item.id)
    assert item.metrics_updated_at > first_read  # read again at 33 days
    assert {k: item.extra_metrics.get(k) for k in kept} == kept
