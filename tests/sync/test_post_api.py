"""``GET /api/portal/social/content/<id>`` (contract 6.4): one post's numbers as the post page shows them,
synced from the sandbox; another client's post is a 404 for the client and for other coaches' staff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import ContentItem, VideoAnalytics
from app.sync import engine
from tests.support import history as h


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def test_an_instagram_reel_answers_reach_saves_shares_and_watch_time(
    app: Any, client: Any, link: Any, world: Any
) -> None:
    conn_id, account = link("instagram")
    published = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    world.patch_account(
        account["id"],
        posts=[
            {
                "published_at": _iso(published),
                "kind": "reel",
                "caption": "reel for the api",
                "view_count": 1000,
                "like_count": 50,
                "comment_count": 5,
                "share_count": 12,
                "save_count": 30,
                "reach": 800,
                "duration": 25,
            }
        ],
    )
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    truth = next(p for p in world.account(account["id"], posts=True)["posts"] if p["caption"] == "reel for the api")
    item = db.session.execute(
        select(ContentItem).where(ContentItem.connection_id == conn_id, ContentItem.platform_id == truth["id"])
    ).scalar_one()
    resp = client.get(f"/api/portal/social/content/{item.id}")
    assert resp.status_code == 200
    body = resp.get_json()
    pct = truth["avg_view_pct"]
    assert body["platform"] == "instagram"
    assert body["kind"] == "reel"
    m = body["metrics"]
    assert (m["views"], m["reach"], m["likes"], m["comments"], m["shares"], m["saves"]) == (1000, 800, 50, 5, 12, 30)
    # Instagram's interactions are likes + comments + saves + shares (docs/metrics.md)
    assert m["interactions"] == 50 + 5 + 30 + 12
    # ig_reels_avg_watch_time = 25 s x the share watched (ms, read as seconds); the total is 1,000 views of it
    assert m["average_view_duration_s"] == round(round(25_000 * pct) / 1000, 1)
    assert m["watch_time_minutes"] == round(1000 * 25 * pct / 60, 1)
    assert body["engagement_rate"] == round(97 / body["followers_at_measure"] * 100, 2)
    assert body["video_analytics"] is None
    assert body["tags"] == []
    assert body["category"] is None


def test_a_youtube_video_answers_watch_time_and_the_retention_curve(
    app: Any, client: Any, link: Any, world: Any
) -> None:
    conn_id, account = link("youtube")
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    db.session.expire_all()
    rows = db.session.execute(select(VideoAnalytics, ContentItem).join(ContentItem)).tuples().all()
    curved = [(va, item) for va, item in rows if va.retention]
    assert curved
    truth = {p["id"]: p for p in world.account(account["id"], posts=True)["posts"]}
    va, item = curved[0]
    body = client.get(f"/api/portal/social/content/{item.id}").get_json()
    got = body["video_analytics"]
    p = truth[item.platform_id]["avg_view_pct"] / 100
    # the sandbox's curve falls linearly from 1.5 p at the start to 0.5 p at the end (see the sync test)
    assert got["retention"] == {
        "25": round(100 * round(p * 1.25, 4), 1),
        "50": round(100 * round(p, 4), 1),
        "75": round(100 * round(p * 0.75, 4), 1),
        "100": round(100 * round(p * 0.5, 4), 1),
    }
    assert len(got["retention_curve"]) == 100
    assert got["retention_curve"][-1] == {"elapsed": 1.0, "ratio": round(p * 0.5, 4)}
    assert got["watch_time_minutes"] == va.watch_time_seconds / 60
    assert (got["window_end"], got["source"]) == (va.window_end.isoformat(), "youtube_analytics")
    assert body["tags"][0] == "sandbox"
    assert body["category"] == "People & Blogs"
    # a video outside the weekly read answers null, not an error
    other = next((i for va2, i in rows if not va2.retention), None)
    plain = (
        db.session.execute(
            select(ContentItem).where(
                ContentItem.connection_id == conn_id, ContentItem.id.not_in([i.id for _, i in rows])
            )
        )
        .scalars()
        .first()
    )
    if plain is not None:
        assert client.get(f"/api/portal/social/content/{plain.id}").get_json()["video_analytics"] is None
    if other is not None:
        assert client.get(f"/api/portal/social/content/{other.id}").get_json()["video_analytics"]["retention"] == {}


def test_another_clients_post_is_a_404_for_the_client_and_other_coaches(
    app: Any, client: Any, link: Any, factory: Any, creator: Any
) -> None:
    conn_id, _ = link("youtube")
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    mine = db.session.execute(select(ContentItem.id).where(ContentItem.connection_id == conn_id)).scalars().first()
    other_coach = factory.coach(email="other-coach@example.com")
    stranger = factory.client(coach=other_coach, email="stranger@example.com")
    theirs = h.post(h.connection(stranger, "instagram"), datetime.now(UTC) - timedelta(days=1), likes=3)
    assert client.get(f"/api/portal/social/content/{theirs.id}").status_code == 404
    assert client.get("/api/portal/social/content/999999").status_code == 404
    # the client's own coach sees it; another coach does not, even through a client they do see
    client.logout()
    client.login("coach@example.com")
    assert client.get(f"/api/admin/social/clients/{creator.id}/content/{mine}").status_code == 200
    assert client.get(f"/api/admin/social/clients/{creator.id}/content/{theirs.id}").status_code == 404
    assert client.get(f"/api/admin/social/clients/{stranger.id}/content/{theirs.id}").status_code == 404
    assert client.get(f"/api/portal/social/content/{mine}").status_code == 404  # staff have no own posts
    client.logout()
    client.login("other-coach@example.com")
    assert client.get(f"/api/admin/social/clients/{creator.id}/content/{mine}").status_code == 404
    assert client.get(f"/api/admin/social/clients/{stranger.id}/content/{theirs.id}").status_code == 200
    assert client.get(f"/api/admin/social/clients/{stranger.id}/content/{mine}").status_code == 404
    client.logout()
    client.login("stranger@example.com")
    assert client.get(f"/api/portal/social/content/{mine}").status_code == 404
    body = client.get(f"/api/portal/social/content/{theirs.id}").get_json()
    assert body["metrics"]["likes"] == 3
    assert body["video_analytics"] is None
