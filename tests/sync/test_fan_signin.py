"""A fan verifies their YouTube account by signing in with Google against the sandbox (real OAuth round
trip, real comment sync): the link is verified as the signed-in channel, nothing of the grant is kept,
and forged, replayed, foreign-browser, cancelled and already-taken sign-ins link nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import FanLinkIdentity
from app.services import fan_signin
from tests.support.connect import callback_path
from tests.sync.conftest import drain


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def _manage_page(client: Any) -> tuple[str, str]:
    """The creator turns the link page on; a fan claims Instagram and YouTube. Returns (manage path, token)."""
    url = client.post("/api/portal/social/fans/link-page").get_json()["url"]
    path = "/" + url.split("/", 3)[3]
    client.logout()
    resp = client.post(path, data={"consent": "yes", "instagram": "fan_ana", "youtube": "@fan_ana"})
    assert resp.status_code == 303
    return resp.headers["Location"], path.rsplit("/", 1)[1]


def _start(client: Any, manage: str) -> str:
    page = client.get(manage).get_data(as_text=True)
    assert 'data-testid="signin-youtube"' in page
    assert 'data-testid="signin-instagram"' not in page  # Instagram has no consumer sign-in: the code only
    resp = client.post(f"{manage}/signin/youtube")
    assert resp.status_code == 303
    assert "youtube.readonly" in resp.headers["Location"]
    return str(resp.headers["Location"])


def _youtube_identity() -> FanLinkIdentity:
    db.session.expire_all()
    return db.session.scalars(select(FanLinkIdentity).where(FanLinkIdentity.platform == "youtube")).one()


def test_a_fan_signs_in_with_google_and_their_channel_is_linked(app: Any, client: Any, link: Any, world: Any) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    posts = [{"published_at": _iso(now - timedelta(days=1)), "caption": "A video", "kind": "video"}]
    _yt_conn, creator_yt = link("youtube", posts=posts)
    link("instagram")
    fan = world.create_account("youtube", "ana.real", 12, seed=77)  # the fan's own Google/YouTube account
    video = world.account(creator_yt["id"], posts=True)["posts"][0]["id"]
    world.add_comment(
        creator_yt["id"],
        "love this",
        "ana.real",
        author_id=fan["platform_user_id"],
        post_id=video,
        published_at=_iso(now - timedelta(hours=3)),
    )
    drain(app)
    manage, _token = _manage_page(client)

    # another browser carrying the sign-in answer: refused, nothing linked, and the state is spent
    authorize = _start(client, manage)
    location = world.consent(authorize, fan["id"])
    cookie = client.get_cookie(fan_signin.COOKIE, path="/link/signin/")
    assert cookie is not None
    client.delete_cookie(fan_signin.COOKIE, path="/link/signin/")
    foreign = client.get(callback_path(location))
    assert foreign.status_code == 400
    assert "another browser" in foreign.get_data(as_text=True)
    assert _youtube_identity().verified_at is None

    # cancelled at Google
    denied = client.get(callback_path(world.consent(_start(client, manage), fan["id"], decision="deny")))
    assert denied.status_code == 303
    assert "cancelled" in client.get(denied.headers["Location"]).get_data(as_text=True)
    assert _youtube_identity().verified_at is None

    # the real thing
    location = world.consent(_start(client, manage), fan["id"])
    done = client.get(callback_path(location))
    assert done.status_code == 303
    assert done.headers["Location"].endswith(manage.split("/link/", 1)[1])
    assert done.headers["Cache-Control"] == "no-store"
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Signed in with Google: that account is linked." in page
    ident = _youtube_identity()
    assert ident.verified_at is not None
    assert ident.author_platform_id == fan["platform_user_id"]  # the signed-in channel, as on its comments
    assert ident.connection_id == _yt_conn
    assert ident.handle == "ana.real"  # the signed-in account's handle replaces the typed claim
    grants = [t for t in world.tokens(fan["id"]) if t["kind"] in ("access", "refresh")]
    assert grants
    assert {t["status"] for t in grants} == {"revoked"}  # nothing of the grant is kept
    assert {t["status"] for t in world.tokens(fan["id"]) if t["kind"] == "authorization_code"} == {"used", "unused"}
    # (the foreign browser's code was never exchanged)
    # the same answer again: a replay
    replay = client.get(callback_path(location))
    assert replay.status_code == 400
    assert "already used" in replay.get_data(as_text=True)
    # a forged state
    assert client.get("/link/signin/callback/youtube?state=forged&code=x").status_code == 400
    # the answer delivered to another platform's callback path: not a sign-in platform, nothing read
    assert client.get("/link/signin/callback/tiktok?state=x&code=y").status_code == 400

    # a second fan signing in with the same channel: taken, stays unlinked
    client.login("creator@example.com")
    manage2, _ = _manage_page(client)
    taken = client.get(callback_path(world.consent(_start(client, manage2), fan["id"])))
    assert "already linked by someone else" in client.get(taken.headers["Location"]).get_data(as_text=True)
    second = db.session.scalars(
        select(FanLinkIdentity).where(FanLinkIdentity.platform == "youtube", FanLinkIdentity.id != ident.id)
    ).one()
    assert second.verified_at is None


def test_the_combined_fan_shows_once_signed_in(app: Any, client: Any, link: Any, world: Any) -> None:
    """Signed in on YouTube, the code on Instagram: the creator sees one fan across both platforms."""
    from tests.sync.test_comments_inbox import _grant

    now = datetime.now(UTC).replace(microsecond=0)
    yt_conn, creator_yt = link(
        "youtube", posts=[{"published_at": _iso(now - timedelta(days=1)), "kind": "video", "comment_count": 2}]
    )
    ig_conn, creator_ig = link(
        "instagram", posts=[{"published_at": _iso(now - timedelta(days=1)), "kind": "image", "comment_count": 2}]
    )
    assert _grant(client, world, "instagram", creator_ig["id"]).status_code in (302, 303)
    fan = world.create_account("youtube", "fan_ana", 12, seed=78)
    video = world.account(creator_yt["id"], posts=True)["posts"][0]["id"]
    media = world.account(creator_ig["id"], posts=True)["posts"][0]["id"]
    world.add_comment(
        creator_yt["id"],
        "great",
        "fan_ana",
        author_id=fan["platform_user_id"],
        post_id=video,
        published_at=_iso(now - timedelta(hours=3)),
    )
    drain(app)
    manage, _ = _manage_page(client)
    client.get(callback_path(world.consent(_start(client, manage), fan["id"])))
    code = re.search(r'data-testid="code-instagram">(LINK-[A-Z0-9]{6})<', client.get(manage).get_data(as_text=True))[1]
    world.add_comment(
        creator_ig["id"],
        f"linking {code}",
        "fan_ana",
        post_id=media,
        published_at=_iso(datetime.now(UTC) + timedelta(minutes=1)),
    )
    from app.models.history import ContentItem
    from app.sync import engine

    db.session.execute(ContentItem.__table__.update().values(comments_synced_at=now - timedelta(days=1)))
    db.session.commit()
    assert engine.sync(ig_conn, "operator").status in ("succeeded", "partial")
    db.session.expire_all()
    assert {i.platform for i in db.session.scalars(select(FanLinkIdentity)) if i.verified_at} == {
        "instagram",
        "youtube",
    }
    client.login("creator@example.com")
    fans = client.get("/api/portal/social/fans?range=7d").get_json()["fans"]
    linked = [f for f in fans if f["linked"]]
    assert len(linked) == 1
    assert linked[0]["platforms"] == ["instagram", "youtube"]
    assert linked[0]["comments"] == 2
    del yt_conn
