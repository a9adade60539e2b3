"""The inbox's "unanswered" and "unread" counts follow the platform filter, in the client's inbox (page and
JSON) and in the coach's read-only view: with "Instagram" chosen, the counts are Instagram's and say so.

Why the platform and not the other filters: the platform picks the inbox being worked through (the
counts are what is left to do there); state, post, dates and search narrow the list within it, so the
counts stay put while they change."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from app.extensions import db
from app.models import Comment
from tests.support import history as h

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)


def _comments(client: Any) -> None:
    """Instagram: 2 unanswered (1 read), 1 answered and unread. YouTube: 3 unanswered, all unread."""
    ig = h.connection(client, "instagram")
    yt = h.connection(client, "youtube")
    rows = [
        (ig, "ig open read", None, T0),
        (ig, "ig open unread", None, None),
        (ig, "ig answered", T0 + timedelta(hours=1), None),
        (yt, "yt open 1", None, None),
        (yt, "yt open 2", None, None),
        (yt, "yt open 3", None, None),
    ]
    for n, (conn, text, answered, read) in enumerate(rows):
        db.session.add(
            Comment(
                connection_id=conn.id,
                client_id=client.id,
                platform=conn.platform,
                platform_id=f"c{n}",
                post_platform_id="p1",
                text=text,
                published_at=T0 - timedelta(minutes=n),
                answered_at=answered,
                read_at=read,
            )
        )
    db.session.commit()


def _badges(html: str) -> tuple[str, str, str]:
    """(the label before the badges, the unanswered badge, the unread badge) of the list's count line."""
    line = re.search(
        r'<p class="inbox-counts">(.*?)<span class="badge">(.*?)</span> <span class="badge">(.*?)</span>', html
    )
    assert line, html
    return line.group(1), line.group(2), line.group(3)


def test_client_inbox_counts_follow_the_platform_filter(client: Any, factory: Any) -> None:
    creator = factory.client(coach=None, email="c@example.com", name="C")
    _comments(creator)
    client.login("c@example.com")
    api = "/api/portal/social/comments"
    assert client.get(api).get_json()["counts"] == {"unanswered": 5, "unread": 5}
    assert client.get(api + "?platform=instagram").get_json()["counts"] == {"unanswered": 2, "unread": 2}
    assert client.get(api + "?platform=youtube").get_json()["counts"] == {"unanswered": 3, "unread": 3}
    assert client.get(api + "?platform=tiktok").get_json()["counts"] == {"unanswered": 0, "unread": 0}
    # the other filters narrow the list, not the counts
    answered = client.get(api + "?platform=instagram&state=answered&q=answered").get_json()
    assert [c["text"] for c in answered["comments"]] == ["ig answered"]
    assert answered["counts"] == {"unanswered": 2, "unread": 2}

    assert _badges(client.get("/portal/inbox").get_data(as_text=True)) == ("", "5 unanswered", "5 unread")
    page = client.get("/portal/inbox?platform=instagram").get_data(as_text=True)
    assert _badges(page) == ("Instagram: ", "2 unanswered", "2 unread")
    htmx = client.get("/portal/inbox?platform=youtube", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert _badges(htmx) == ("YouTube: ", "3 unanswered", "3 unread")


def test_coach_view_counts_follow_the_platform_filter(client: Any, factory: Any) -> None:
    coach = factory.coach(email="coach@example.com")
    creator = factory.client(coach=coach, name="Ann")
    _comments(creator)
    client.login("coach@example.com")
    url = f"/admin/clients/{creator.id}/comments"
    assert _badges(client.get(url).get_data(as_text=True)) == ("", "5 unanswered", "5 unread by the client")
    page = client.get(url + "?platform=youtube").get_data(as_text=True)
    assert _badges(page) == ("YouTube: ", "3 unanswered", "3 unread by the client")
    api = client.get(f"/api/admin/social/clients/{creator.id}/comments?platform=instagram").get_json()
    assert api["counts"] == {"unanswered": 2, "unread": 2}
