"""Fans who link themselves (docs/fans.md): consent stored, code verification (forged, replayed, taken),
one fan across platforms only once linked, unlink and delete at once."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from app.extensions import db
from app.models import FanLink, FanLinkIdentity
from app.models.base import utcnow
from tests.fans.test_fans import _c, _world


def _link(client: Any, url: str, **handles: str) -> tuple[str, dict[str, str]]:
    resp = client.post(url, data={"consent": "yes", **handles})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    manage = resp.headers["Location"]
    page = client.get(manage).get_data(as_text=True)
    codes = dict(re.findall(r'data-testid="code-(\w+)">(LINK-[A-Z0-9]{6})<', page))
    return manage, codes


def _ids(body: dict[str, Any]) -> list[list[str]]:
    return [[i["platform_user_id"] for i in f["identities"]] for f in body["fans"]]


def test_fan_links_instagram_and_youtube_then_unlinks(client: Any, factory: Any, app: Any) -> None:
    w = _world(factory)
    client.login("creator@example.com")
    url = client.post("/api/portal/social/fans/link-page").get_json()["url"]
    path = url.split("localhost", 1)[-1] if "localhost" in url else "/" + url.split("/", 3)[3]
    client.logout()
    # the public page: consent is required, two platforms, real handles
    page = client.get(path)
    assert page.status_code == 200
    assert "Referrer-Policy" in page.headers
    assert client.post(path, data={"instagram": "ana_new", "youtube": "ana"}).status_code == 400  # no consent
    assert client.post(path, data={"consent": "yes", "instagram": "ana_new"}).status_code == 400  # one platform
    bad = client.post(path, data={"consent": "yes", "instagram": "<script>", "youtube": "ana"})
    assert bad.status_code == 400
    assert "<script>" not in bad.get_data(as_text=True).split("</form>")[0].split("<form")[0]
    manage, codes = _link(client, path, instagram="@ana_new", youtube="ana")
    assert set(codes) == {"instagram", "youtube"}
    stored = db.session.query(FanLink).one()
    assert "as one person" in stored.consent_text
    assert "unlink and delete" in stored.consent_text
    # a replay: the YouTube code in a comment dated before the code was issued; a forgery: the Instagram
    # code posted by another account (handle "ben")
    _c(w["yt"], "UCx", 3, "ana", text=f"old {codes['youtube']}")
    forged = _c(w["ig"], "b2", 0, "ben", text=codes["instagram"])
    forged.published_at = utcnow() + timedelta(seconds=2)  # after the code, before the fan's own comment
    db.session.commit()
    client.post(manage, data={"action": "check"})
    assert db.session.query(FanLinkIdentity).filter(FanLinkIdentity.verified_at.is_not(None)).count() == 0
    # the real ones, as the comment sync stores them
    for conn, author, handle, platform in ((w["ig"], "a1", "ana_new", "instagram"), (w["yt"], "UCx", "ana", "youtube")):
        c = _c(conn, author, 0, handle, text=f"linking {codes[platform]} thanks!")
        c.published_at = utcnow() + timedelta(seconds=5)
    db.session.commit()
    client.post(manage, data={"action": "check"})
    db.session.expire_all()
    assert db.session.query(FanLinkIdentity).filter(FanLinkIdentity.verified_at.is_not(None)).count() == 2
    # the creator now sees one fan with both identities (and never on a one-platform list)
    client.login("creator@example.com")
    body = client.get("/api/portal/social/fans?range=30d").get_json()
    linked = [f for f in body["fans"] if f["linked"]]
    assert len(linked) == 1
    assert sorted(i["platform_user_id"] for i in linked[0]["identities"]) == ["UCx", "a1"]
    # in the period: a1's 3 earlier + 1 linking comment; UCx's 1 + the replayed one + the linking one
    assert linked[0]["comments"] == 4 + 3
    assert linked[0]["platforms"] == ["instagram", "youtube"]
    assert not any(
        f["linked"] for f in client.get("/api/portal/social/fans?range=30d&platform=youtube").get_json()["fans"]
    )
    client.logout()
    # unlink and delete: gone at once
    assert client.post(manage, data={"action": "delete"}).status_code == 200
    assert db.session.query(FanLink).count() == 0
    assert db.session.query(FanLinkIdentity).count() == 0
    assert client.get(manage).status_code == 404
    client.login("creator@example.com")
    after = client.get("/api/portal/social/fans?range=30d").get_json()
    assert not any(f["linked"] for f in after["fans"])
    assert ["UCx"] in _ids(after)
    assert ["a1"] in _ids(after)
    # the page turned off: its address answers 404
    client.delete("/api/portal/social/fans/link-page")
    client.logout()
    assert client.get(path).status_code == 404


def test_an_account_already_linked_stays_with_its_first_link(client: Any, factory: Any) -> None:
    w = _world(factory)
    client.login("creator@example.com")
    url = client.post("/api/portal/social/fans/link-page").get_json()["url"]
    path = "/" + url.split("/", 3)[3]
    client.logout()
    first, c1 = _link(client, path, instagram="ana_new", youtube="ana")
    second, c2 = _link(client, path, instagram="ana_new", youtube="someone")
    for code in (c1["instagram"], c2["instagram"]):
        c = _c(w["ig"], "a1", 0, "ana_new", text=code)
        c.published_at = utcnow() + timedelta(seconds=5)
    db.session.commit()
    client.post(first, data={"action": "check"})
    client.post(second, data={"action": "check"})
    db.session.expire_all()
    verified = db.session.query(FanLinkIdentity).filter(FanLinkIdentity.verified_at.is_not(None)).all()
    assert [(v.platform, v.author_platform_id) for v in verified] == [("instagram", "a1")]
    assert client.get(path.replace("/link/", "/link/x")).status_code == 404


def test_the_client_turns_the_link_page_on_and_off_from_the_platform_page(client: Any, factory: Any) -> None:
    w = _world(factory)
    from app.stats.query import today
    from tests.support import history

    history.daily(w["ig"], today() - timedelta(days=3), [100, 100, 100, 100])
    client.login("creator@example.com")
    assert "Turn the link page on" in client.get("/portal/analytics/instagram").get_data(as_text=True)
    assert client.post("/portal/fans/link-page", data={"action": "on", "platform": "instagram"}).status_code == 303
    page = client.get("/portal/analytics/instagram").get_data(as_text=True)
    match = re.search(r'value="(https?://[^"]+/link/[^"]+)"', page)
    assert match is not None
    path = "/" + match.group(1).split("/", 3)[3]
    client.logout()
    assert "Link your accounts" in client.get(path).get_data(as_text=True)
    client.login("creator@example.com")
    client.post("/portal/fans/link-page", data={"action": "off", "platform": "youtube"})
    client.logout()
    assert client.get(path).status_code == 404
