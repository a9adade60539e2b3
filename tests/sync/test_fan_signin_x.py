"""A fan verifies their X account by signing in with X against the sandbox (OAuth 2.0 + PKCE, ``users.read
tweet.read``, ``/2/users/me``): linked as the signed-in account, the token revoked and nothing kept;
forged, replayed and foreign-browser answers link nothing; X has no code method; the combined fan shows the
X identity; unlink and delete; no X on the page when the deployment has no X credentials."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from app.extensions import db
from app.models import FanLinkIdentity
from app.services import fan_signin
from tests.support.connect import callback_path
from tests.sync.conftest import drain


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def _manage_page(client: Any) -> str:
    """The creator turns the link page on; a fan claims YouTube and X. Returns the manage path."""
    url = client.post("/api/portal/social/fans/link-page").get_json()["url"]
    path = "/" + url.split("/", 3)[3]
    client.logout()
    page = client.get(path).get_data(as_text=True)
    assert 'name="x"' in page
    assert "verified by signing in with X" in page
    resp = client.post(path, data={"consent": "yes", "youtube": "@fan_ana", "x": "@fan_ana_x"})
    assert resp.status_code == 303
    return str(resp.headers["Location"])


def _start(client: Any, manage: str, platform: str = "x") -> str:
    resp = client.post(f"{manage}/signin/{platform}")
    assert resp.status_code == 303, resp.get_data(as_text=True)
    return str(resp.headers["Location"])


def _ident(platform: str) -> FanLinkIdentity:
    db.session.expire_all()
    return db.session.scalars(select(FanLinkIdentity).where(FanLinkIdentity.platform == platform)).one()


def test_a_fan_signs_in_with_x_and_is_one_fan_until_they_delete(app: Any, client: Any, link: Any, world: Any) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    yt_conn, creator_yt = link(
        "youtube", posts=[{"published_at": _iso(now - timedelta(days=1)), "kind": "video", "comment_count": 1}]
    )
    x_conn, _creator_x = link("x")
    fan_yt = world.create_account("youtube", "fan_ana", 12, seed=77)
    fan_x = world.create_account("x", "ana_on_x", 40, seed=79)  # the fan's own X account
    video = world.account(creator_yt["id"], posts=True)["posts"][0]["id"]
    world.add_comment(
        creator_yt["id"],
        "love this",
        "fan_ana",
        author_id=fan_yt["platform_user_id"],
        post_id=video,
        published_at=_iso(now - timedelta(hours=3)),
    )
    drain(app)
    manage = _manage_page(client)
    page = client.get(manage).get_data(as_text=True)
    assert 'data-testid="signin-x"' in page
    assert 'data-testid="code-x"' not in page  # no replies read on X: the sign-in is the only way
    assert 'data-testid="code-youtube"' in page
    # "check my comments" says what X needs
    checked = client.post(manage, data={"action": "check"})
    assert "Sign in with X below" in client.get(checked.headers["Location"]).get_data(as_text=True)

    authorize = _start(client, manage)
    q = parse_qs(urlsplit(authorize).query)
    assert q["scope"] == ["users.read tweet.read"]  # no offline.access: no refresh token to keep
    assert q["code_challenge_method"] == ["S256"]
    assert q["redirect_uri"][0].endswith("/link/signin/callback/x")

    # another browser carrying the answer: refused, the state spent
    location = world.consent(authorize, fan_x["id"])
    client.delete_cookie(fan_signin.COOKIE, path="/link/signin/")
    foreign = client.get(callback_path(location))
    assert foreign.status_code == 400
    assert "another browser" in foreign.get_data(as_text=True)
    assert _ident("x").verified_at is None

    # the real thing
    location = world.consent(_start(client, manage), fan_x["id"])
    done = client.get(callback_path(location))
    assert done.status_code == 303
    assert done.headers["Cache-Control"] == "no-store"
    assert "Signed in with X: that account is linked." in client.get(done.headers["Location"]).get_data(as_text=True)
    ident = _ident("x")
    assert ident.verified_at is not None
    assert ident.author_platform_id == fan_x["platform_user_id"]
    assert ident.handle == "ana_on_x"  # the signed-in account's handle replaces the typed claim
    assert ident.connection_id == x_conn
    issued = world.tokens(fan_x["id"])
    assert not [t for t in issued if t["kind"] == "refresh"]
    assert {t["status"] for t in issued if t["kind"] == "access"} == {"revoked"}  # nothing of the grant kept
    # replayed, forged
    replay = client.get(callback_path(location))
    assert replay.status_code == 400
    assert "already used" in replay.get_data(as_text=True)
    assert client.get("/link/signin/callback/x?state=forged&code=x").status_code == 400

    # YouTube through Google: the creator now sees one fan with both identities
    client.get(callback_path(world.consent(_start(client, manage, "youtube"), fan_yt["id"])))
    assert _ident("youtube").verified_at is not None
    client.login("creator@example.com")
    fans = client.get("/api/portal/social/fans?range=7d").get_json()["fans"]
    [linked] = [f for f in fans if f["linked"]]
    assert linked["platforms"] == ["x", "youtube"]
    assert linked["comments"] == 1  # X adds an identity, not comments
    assert {"platform": "x", "handle": "ana_on_x", "platform_user_id": fan_x["platform_user_id"]} in linked[
        "identities"
    ]
    # unlink and delete: the combined fan goes at once
    client.logout()
    gone = client.post(manage, data={"action": "delete"})
    assert gone.status_code == 200
    assert not db.session.scalars(select(FanLinkIdentity)).all()
    client.login("creator@example.com")
    fans = client.get("/api/portal/social/fans?range=7d").get_json()["fans"]
    assert not [f for f in fans if f["linked"]]
    assert [f["identities"] for f in fans] == [
        [{"platform": "youtube", "handle": "fan_ana", "platform_user_id": fan_yt["platform_user_id"]}]
    ]
    del yt_conn


def test_no_x_without_x_credentials(app: Any, client: Any, link: Any, world: Any) -> None:
    link("youtube")
    link("x")
    link("instagram")
    url = client.post("/api/portal/social/fans/link-page").get_json()["url"]
    path = "/" + url.split("/", 3)[3]
    client.logout()
    resp = client.post(path, data={"consent": "yes", "youtube": "fan_b", "x": "fan_b"})
    assert resp.status_code == 303
    manage = resp.headers["Location"]
    app.config["X_CLIENT_ID"] = ""  # the deployment drops its X app
    page = client.get(path).get_data(as_text=True)
    assert 'name="x"' not in page
    assert 'name="instagram"' in page
    refused = client.post(path, data={"consent": "yes", "youtube": "fan_c", "x": "fan_c"})
    assert refused.status_code == 400
    mine = client.get(manage).get_data(as_text=True)
    assert 'data-testid="signin-x"' not in mine
    assert "Signing in with X is not available here right now." in mine
    assert client.post(f"{manage}/signin/x").status_code == 400
