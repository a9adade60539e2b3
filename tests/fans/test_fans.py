"""Fans per platform (docs/metrics.md, "Fans"): hand-computed top fans and community weeks, tenancy."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from typing import Any

from app.extensions import db
from app.models import Comment
from app.stats.query import today
from tests.support import history

_n = itertools.count(1)


def _at(days_ago: int) -> datetime:
    return datetime.combine(today() - timedelta(days=days_ago), time(12), tzinfo=UTC)


def _c(conn: Any, author: str | None, days_ago: int, handle: str | None = None, **kw: Any) -> Comment:
    item = kw.pop("item", None)
    c = Comment(
        connection_id=conn.id,
        client_id=conn.client_id,
        platform=conn.platform,
        platform_id=f"c{next(_n)}",
        post_platform_id=item.platform_id if item else "p0",
        content_item_id=item.id if item else None,
        author_platform_id=author,
        author_handle=handle,
        text=kw.pop("text", "nice"),
        published_at=_at(days_ago),
        **kw,
    )
    db.session.add(c)
    return c


def _world(factory: Any) -> dict[str, Any]:
    coach = factory.coach(email="coach@example.com")
    creator = factory.client(coach=coach, email="creator@example.com", name="Cara")
    ig = history.connection(creator, "instagram")
    yt = history.connection(creator, "youtube")
    p1 = history.post(ig, today() - timedelta(days=40))
    p2 = history.post(ig, today() - timedelta(days=30))
    v1 = history.post(yt, today() - timedelta(days=30), kind="video")
    _c(ig, "a1", 60, "ana", item=p1)  # before the period: a1 is returning from the start
    _c(ig, "a1", 28, "ana", item=p1)
    _c(ig, "a1", 20, "ana", item=p1)
    _c(ig, "a1", 2, "ana_new", item=p1, text="<b>hi</b>")  # renamed: the newest handle is shown
    _c(ig, "b2", 28, "ben", item=p1)
    _c(ig, "b2", 27, "ben", item=p2)
    _c(ig, "c3", 10, "cy", item=p2)
    _c(ig, "c3", 9, "cy", item=p2, deleted_at_platform=_at(8))  # deleted at the platform: not counted
    _c(ig, "owner", 5, "cara", from_owner=True)  # the account's own reply
    _c(ig, None, 5, None)  # no author id (e.g. withheld): not a fan
    _c(yt, "UCx", 5, "ana", item=v1)  # the same handle on YouTube: another fan, never merged
    other = factory.client(coach=None, email="other@example.com", name="Otto")
    oc = history.connection(other, "instagram")
    _c(oc, "z9", 3, "zed")
    db.session.commit()
    return {"creator": creator, "ig": ig, "yt": yt, "p1": p1, "p2": p2, "other": oc}


def test_top_fans_and_community_hand_computed(client: Any, factory: Any) -> None:
    _world(factory)
    client.login("creator@example.com")
    body = client.get("/api/portal/social/fans?range=30d").get_json()
    fans = body["fans"]
    # a1 3 comments, b2 2, then one each: UCx (5 days ago) before c3 (10 days ago; its deleted one left out)
    assert [f["identities"][0]["platform_user_id"] for f in fans] == ["a1", "b2", "UCx", "c3"]
    a1 = fans[0]
    assert a1["name"] == "ana_new"
    assert a1["identities"] == [{"platform": "instagram", "handle": "ana_new", "platform_user_id": "a1"}]
    assert (a1["comments"], a1["posts"], a1["platforms"]) == (3, 1, ["instagram"])
    assert a1["first_seen"] == _at(60).isoformat()
    assert a1["last_seen"] == _at(2).isoformat()
    assert (fans[1]["comments"], fans[1]["posts"]) == (2, 2)
    assert fans[2]["identities"] == [{"platform": "youtube", "handle": "ana", "platform_user_id": "UCx"}]
    # weeks from the period's first day (29 days ago): active / new / returning / community at the week's end
    weeks = [(x["active"], x["new"], x["returning"], x["community"]) for x in body["community"]]
    assert weeks == [(2, 1, 1, 2), (1, 0, 1, 2), (1, 1, 0, 3), (2, 1, 1, 4), (0, 0, 0, 4)]
    assert body["community"][0]["week_start"] == (today() - timedelta(days=29)).isoformat()
    ig_only = client.get("/api/portal/social/fans?range=30d&platform=instagram").get_json()
    assert [f["identities"][0]["platform_user_id"] for f in ig_only["fans"]] == ["a1", "b2", "c3"]
    assert [x["community"] for x in ig_only["community"]] == [2, 2, 3, 3, 3]
    assert client.get("/api/portal/social/fans?platform=myspace").status_code == 400


def test_fan_detail_and_tenancy(client: Any, factory: Any) -> None:
    w = _world(factory)
    client.login("creator@example.com")
    a1 = f"{w['ig'].id}-a1"
    detail = client.get(f"/api/portal/social/fans/{a1}").get_json()
    assert [c["published_at"] for c in detail["comments"]] == [_at(d).isoformat() for d in (2, 20, 28, 60)]
    assert detail["comments"][0]["text"] == "<b>hi</b>"  # JSON carries the text as data
    assert detail["comments"][0]["post"]["id"] == w["p1"].id
    assert client.get(f"/api/portal/social/fans/{w['other'].id}-z9").status_code == 404
    assert client.get(f"/api/portal/social/fans/{w['ig'].id}-owner").status_code == 404
    assert client.get("/api/portal/social/fans/nonsense").status_code == 404
    client.logout()
    client.login("coach@example.com")
    staff = client.get(f"/api/admin/social/clients/{w['creator'].id}/fans?range=30d").get_json()
    assert len(staff["fans"]) == 4
    assert client.get(f"/api/admin/social/clients/{w['other'].client_id}/fans").status_code == 404
    assert client.get(f"/api/admin/social/clients/{w['creator'].id}/fans/{a1}").status_code == 200


def test_platform_page_shows_fans_escaped(client: Any, factory: Any) -> None:
    w = _world(factory)
    _c(w["ig"], "h1", 1, '<img src=x onerror="alert(1)">')
    db.session.commit()
    history.daily(w["ig"], today() - timedelta(days=3), [100, 100, 100, 100])
    client.login("creator@example.com")
    page = client.get("/portal/analytics/instagram?range=30d").get_data(as_text=True)
    assert 'data-testid="fans"' in page
    assert "ana_new" in page
    assert '<img src=x onerror="alert(1)">' not in page
    assert "&lt;img src=x" in page
    assert "UCx" not in page  # YouTube's commenter is not on the Instagram page


def test_a_period_of_one_week(client: Any, factory: Any) -> None:
    _world(factory)
    client.login("creator@example.com")
    body = client.get("/api/portal/social/fans?range=7d").get_json()
    # 7 days: one week; a1 (2 days ago, first seen 60 days ago) and UCx (5 days ago, first ever)
    assert [(w["active"], w["new"], w["returning"], w["community"]) for w in body["community"]] == [(2, 1, 1, 4)]


def test_the_answer_is_cached_until_the_clients_data_version_moves(client: Any, factory: Any) -> None:
    from app.services import live

    w = _world(factory)
    client.login("creator@example.com")
    first = client.get("/api/portal/social/fans?range=30d").get_json()
    _c(w["ig"], "n1", 1, "newbie")
    db.session.commit()
    assert client.get("/api/portal/social/fans?range=30d").get_json() == first  # same data version: cached
    live.bump([w["creator"].id])  # what a finished sync, a webhook or a fan link change does
    after = client.get("/api/portal/social/fans?range=30d").get_json()
    assert len(after["fans"]) == len(first["fans"]) + 1
