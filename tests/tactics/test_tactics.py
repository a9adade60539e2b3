"""Tactics (docs/metrics.md, "Tactics"): hand-computed figures, suggestions, the JSON API and its limits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.extensions import db
from app.models import ContentTactic, Tactic
from app.stats.query import today
from app.stats.tactics import BUILTIN, suggest
from tests.support import history


def _tag(item: Any, *slugs: str) -> None:
    db.session.add_all(ContentTactic(content_item_id=item.id, tactic=s) for s in slugs)
    db.session.commit()


def _world(factory: Any) -> dict[str, Any]:
    coach = factory.coach(email="coach@example.com")
    creator = factory.client(coach=coach, email="creator@example.com", name="Cara")
    ig = history.connection(creator, "instagram")
    yt = history.connection(creator, "youtube")
    d = today() - timedelta(days=3)
    history.daily(ig, today() - timedelta(days=5), [1000] * 6)
    history.daily(yt, today() - timedelta(days=5), [1000] * 6)
    # Instagram reels tagged collab: rates 5, 6, 7 % (followers 1,000), views 1,000 / 2,000 / 3,000
    collab = [
        history.post(ig, d, likes=50, views=1000, kind="reel"),
        history.post(ig, d, likes=60, views=2000, kind="reel"),
        history.post(ig, d, likes=70, views=3000, kind="reel"),
    ]
    for p in collab:
        _tag(p, "collab")
    _tag(collab[0], "trend-audio")
    # the reels' baseline: rates 3, 4, 2, 1 %, views 500 / 1,000 / 1,500 / 2,000
    base = [
        history.post(ig, d, likes=30, views=500, kind="reel"),
        history.post(ig, d, likes=40, views=1000, kind="reel"),
        history.post(ig, d, likes=20, views=1500, kind="reel"),
        history.post(ig, d, likes=10, views=2000, kind="reel"),
    ]
    _tag(base[0], "trend-audio")
    # not in any baseline: an image (another format), a post outside the period
    history.post(ig, d, likes=900, kind="image")
    history.post(ig, today() - timedelta(days=60), likes=900, kind="reel")
    # YouTube: one collab video at 10 %, two others at 1 % (no view counts)
    yv = history.post(yt, d, likes=100, kind="video")
    _tag(yv, "collab")
    history.post(yt, d, likes=10, kind="video")
    history.post(yt, d, likes=10, kind="video")
    other = factory.client(coach=None, email="other@example.com", name="Otto")
    other_post = history.post(history.connection(other, "instagram"), d, likes=999, kind="reel")
    return {"coach": coach, "creator": creator, "collab": collab, "base": base, "other_post": other_post}


def test_tactic_figures_hand_computed(client: Any, factory: Any) -> None:
    _world(factory)
    client.login("creator@example.com")
    body = client.get("/api/portal/social/tactics?range=30d").get_json()
    rows = {r["slug"]: r for r in body["tactics"]}
    assert [r["slug"] for r in body["tactics"]] == ["collab", "trend-audio"]  # lift first, no lift last
    collab = rows["collab"]
    # tagged rates 5, 6, 7, 10 -> median 6.5; baseline: the 4 untagged reels (3, 4, 2, 1) and the 2 other
    # YouTube videos (1, 1) -> median 1.5; lift (6.5 - 1.5) / 1.5 = 333.3 %
    assert collab["name"] == "Collab"
    assert (collab["posts"], collab["baseline_posts"]) == (4, 6)
    assert (collab["median_engagement"], collab["baseline_engagement"], collab["lift_pct"]) == (6.5, 1.5, 333.3)
    # views: tagged 1,000 / 2,000 / 3,000 -> 2,000; baseline 500 / 1,000 / 1,500 / 2,000 -> 1,250; +60 %
    assert (collab["median_views"], collab["baseline_views"], collab["views_lift_pct"]) == (2000, 1250, 60.0)
    assert collab["note"] is None
    ig, yt = collab["by_platform"]["instagram"], collab["by_platform"]["youtube"]
    assert (ig["median_engagement"], ig["baseline_engagement"], ig["lift_pct"]) == (6.0, 2.5, 140.0)
    assert (yt["posts"], yt["baseline_posts"], yt["lift_pct"]) == (1, 2, None)
    assert yt["note"].startswith("Too few posts to compare: 1 tagged and 2 other posts")
    # trend audio: 2 tagged reels (5 %, 3 %) against the 5 other reels (6, 7, 4, 2, 1 %): too few to compare
    trend = rows["trend-audio"]
    assert (trend["posts"], trend["baseline_posts"], trend["median_engagement"]) == (2, 5, 4.0)
    assert trend["baseline_engagement"] == 4.0
    assert trend["lift_pct"] is None
    assert "Too few" in trend["note"]
    # the platform filter keeps Instagram's posts only
    only_ig = client.get("/api/portal/social/tactics?range=30d&platform=instagram").get_json()
    assert only_ig["tactics"][0]["lift_pct"] == 140.0
    assert client.get("/api/portal/social/tactics?range=9d").status_code == 400


def test_suggestions_from_caption_and_hashtags() -> None:
    defs = list(BUILTIN)
    assert suggest("Collab with @ana! How to style it, swipe", [], "carousel", defs) == ["collab", "carousel-tutorial"]
    assert suggest("Collab with @ana! How to style it, swipe", [], "reel", defs) == ["collab"]
    assert suggest("Studio day", ["#BTS"], "image", defs) == ["behind-the-scenes"]
    assert suggest("collaborative mood; collabs", [], "image", defs) == []  # whole words only


def test_tagging_bounds_tenancy_and_hostile_names(client: Any, factory: Any) -> None:
    w = _world(factory)
    post = w["base"][1]
    client.login("creator@example.com")
    url = f"/api/portal/social/content/{post.id}/tactics"
    resp = client.put(url, json={"tactics": ["Behind the scenes", "collab", "COLLAB"]})
    assert resp.status_code == 200
    assert resp.get_json()["tactics"] == ["behind-the-scenes", "collab"]
    too_many = client.put(url, json={"tactics": ["collab"] * 1000})
    assert too_many.status_code == 400
    assert too_many.get_json()["error"]["code"] == "bad_tactics"
    assert "at most 10 tactics (1000 sent)" in too_many.get_json()["error"]["message"]
    hostile = client.put(url, json={"tactics": ["<script>alert(1)</script>" * 50]})
    assert hostile.status_code == 400
    assert len(hostile.get_json()["error"]["message"]) < 120
    assert client.put(url, json={"tactics": "collab"}).status_code == 400
    assert client.put(url, json={"tactics": [{"x": 1}]}).status_code == 400
    # nothing changed by the refused requests
    assert client.get(url).get_json()["tactics"] == ["behind-the-scenes", "collab"]
    # another client's post looks missing, whatever the body
    other = f"/api/portal/social/content/{w['other_post'].id}/tactics"
    assert client.put(other, json={"tactics": ["collab"]}).status_code == 404
    assert client.put(other, json={"tactics": ["x"] * 1000}).status_code == 404
    assert client.get(other).status_code == 404
    # suggestions: a caption naming a collab on an untagged post
    fresh = history.post(history.connection(w["creator"], "tiktok"), today(), caption="Duet with @bo #trending")
    got = client.get(f"/api/portal/social/content/{fresh.id}/tactics").get_json()
    assert got == {"id": fresh.id, "tactics": [], "suggested": ["collab", "trend-audio"]}


def test_coach_extends_the_list_and_tags(client: Any, factory: Any) -> None:
    w = _world(factory)
    cid = w["creator"].id
    client.login("coach@example.com")
    add = client.post(
        f"/api/admin/social/clients/{cid}/tactics/list",
        json={"name": "<img src=x onerror=alert(1)>", "keywords": "#Unboxing, haul"},
    )
    assert add.status_code == 201
    assert add.get_json()["tactic"] == {
        "slug": "img-src-x-onerror-alert-1",
        "name": "<img src=x onerror=alert(1)>",
        "keywords": ["unboxing", "haul"],
        "builtin": False,
    }
    again = client.post(f"/api/admin/social/clients/{cid}/tactics/list", json={"name": "<IMG src=x onerror=alert(1)>"})
    assert again.status_code == 400  # the same name (case ignored)
    assert client.post(f"/api/admin/social/clients/{cid}/tactics/list", json={"name": "a\x00b"}).status_code == 400
    assert client.post(f"/api/admin/social/clients/{cid}/tactics/list", json={"name": "x" * 41}).status_code == 400
    put = client.put(
        f"/api/admin/social/clients/{cid}/content/{w['base'][2].id}/tactics",
        json={"tactics": ["<img src=x onerror=alert(1)>"]},
    )
    assert put.get_json()["tactics"] == ["img-src-x-onerror-alert-1"]
    assert db.session.query(Tactic).filter_by(coach_id=w["coach"].id).count() == 1
    # the coach sees their client's figures; another client of no coach of theirs is a 404
    figures = client.get(f"/api/admin/social/clients/{cid}/tactics?range=30d").get_json()
    assert {r["slug"] for r in figures["tactics"]} == {"collab", "trend-audio", "img-src-x-onerror-alert-1"}
    other_client = w["other_post"]
    assert client.get(f"/api/admin/social/clients/{cid + 1}/tactics").status_code == 404
    assert (
        client.put(
            f"/api/admin/social/clients/{cid}/content/{other_client.id}/tactics", json={"tactics": ["collab"]}
        ).status_code
        == 404
    )
