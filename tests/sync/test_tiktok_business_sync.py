"""TikTok business accounts through the API for Business, end to end against the sandbox: the connect
option, the initial sync on a real RQ worker (audience snapshot, daily insights, per-video numbers), the
pages, and bad answers (non-zero ``code``, a small account, a personal account, hostile countries)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import AccountInsight, AudienceSnapshot, Connection
from app.models.history import ContentItem
from app.models.sync import SyncRun
from app.platforms.registry import business_configured
from app.stats.audience_reads import NO_AUDIENCE_TIKTOK, TIKTOK_TOO_SMALL
from app.sync import engine
from tests.support.connect import callback_path
from tests.sync.conftest import drain

TRUTH = {
    "gender": {"female": 70, "male": 29, "other": 1},
    "countries": [{"code": "BR", "share": 75}, {"code": "US", "share": 25}],
    "online_hours": {"20": 10, "21": 2.5},
}
FLAT = [0] * 40  # no follower changes over 40 days: 10,000 followers every day


def connect_business(client: Any, world: Any, account_id: str) -> Any:
    resp = client.post("/api/portal/social/connect/tiktok?feature=business")
    assert resp.status_code == 303, resp.get_data(as_text=True)
    location = world.consent(resp.headers["Location"], account_id)
    return client.get(callback_path(location))


def business_conn(client: Any, creator: Any, world: Any, followers: int = 10_000, **spec: Any) -> tuple[int, Any]:
    client.login("creator@example.com")
    account = world.create_account(
        "tiktok", "tt.biz", followers, seed=31, account_type="BUSINESS", daily_changes=FLAT, **spec
    )
    world.patch_account(account["id"], audience=TRUTH)
    resp = connect_business(client, world, account["id"])
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)
    db.session.expire_all()
    conn = db.session.execute(select(Connection).where(Connection.platform == "tiktok")).scalar_one()
    return conn.id, account


def snapshots(conn_id: int) -> list[AudienceSnapshot]:
    db.session.expire_all()
    return list(db.session.execute(select(AudienceSnapshot).where(AudienceSnapshot.connection_id == conn_id)).scalars())


def test_business_account_connects_and_syncs_audience_insights_and_video_numbers(
    app: Any, client: Any, creator: Any, world: Any
) -> None:
    conn_id, account = business_conn(client, creator, world)
    conn = db.session.get(Connection, conn_id)
    assert conn is not None
    assert conn.account_type == "business"
    assert conn.platform_user_id == account["platform_user_id"]
    # 24 h access token, 1 year refresh token
    assert conn.access_expires_at is not None
    assert conn.refresh_expires_at is not None
    assert round((conn.refresh_expires_at - conn.access_expires_at).total_seconds() / 86400) == 364

    world.clear_calls()
    drain(app)  # the initial sync, queued by the callback, on a real RQ worker
    run = db.session.execute(select(SyncRun).where(SyncRun.connection_id == conn_id)).scalars().all()[-1]
    assert run.status in ("succeeded", "partial"), run.error
    calls = world.calls("tiktok")
    assert calls
    assert all(c["path"].startswith("/business-api.tiktok.com/") for c in calls)
    assert run.calls == len(calls)

    [snap] = snapshots(conn_id)
    payload = snap.payload
    assert payload["gender"] == {"female": 70.0, "male": 29.0, "other": 1.0}
    assert payload["countries"] == [{"code": "BR", "share": 75.0}, {"code": "US", "share": 25.0}]
    # 10 % and 2.5 % of 10,000 followers active at 20:00 and 21:00 UTC on each of the 7 days
    assert payload["online_hours"]["20"] == 1000.0
    assert payload["online_hours"]["21"] == 250.0
    assert payload["online_hours"]["3"] == 0.0

    # daily metrics: business/get answers them by day; the stored rows are the same numbers
    rows = db.session.execute(
        select(AccountInsight.day, AccountInsight.metric, AccountInsight.value).where(
            AccountInsight.connection_id == conn_id
        )
    ).all()
    assert {m for _, m, _ in rows} == {"views", "profile_views", "likes", "comments", "shares"}
    day = max(d for d, _, _ in rows)
    answer = world.http.get(
        world.url("business-api.tiktok.com/open_api/v1.3/business/get/"),
        params={
            "business_id": account["platform_user_id"],
            "fields": '["metrics"]',
            "start_date": day.isoformat(),
            "end_date": day.isoformat(),
        },
        headers={"Access-Token": _token(world, account["id"])},
        timeout=10,
    ).json()
    [truth] = answer["data"]["metrics"]
    stored = {m: v for d, m, v in rows if d == day}
    assert stored == {
        "views": truth["video_views"],
        "profile_views": truth["profile_views"],
        "likes": truth["likes"],
        "comments": truth["comments"],
        "shares": truth["shares"],
    }

    # per-video numbers: business/video/list gives fractions and seconds; stored as percent and seconds
    items = db.session.execute(select(ContentItem).where(ContentItem.connection_id == conn_id)).scalars().all()
    assert items
    item = items[0]
    [video] = world.http.get(
        world.url("business-api.tiktok.com/open_api/v1.3/business/video/list/"),
        params={
            "business_id": account["platform_user_id"],
            "fields": '["item_id","full_video_watched_rate","average_time_watched","impression_sources"]',
            "filters": f'{{"video_ids":["{item.platform_id}"]}}',
        },
        headers={"Access-Token": _token(world, account["id"])},
        timeout=10,
    ).json()["data"]["videos"]
    assert 0 < video["full_video_watched_rate"] < 1
    assert item.extra_metrics["full_watch_pct"] == round(video["full_video_watched_rate"] * 100, 2)
    assert item.extra_metrics["avg_watch_s"] == video["average_time_watched"]
    for_you = next(s["percentage"] for s in video["impression_sources"] if s["impression_source"] == "For You")
    assert item.extra_metrics["source_for_you"] == round(for_you * 100, 1)
    # the video's viewers by country: the sandbox splits them as the account's audience, 75 / 25
    assert {k: v for k, v in item.extra_metrics.items() if k.startswith("country_")} == {
        "country_BR": 75.0,
        "country_US": 25.0,
    }
    sources = [v for k, v in item.extra_metrics.items() if k.startswith("source_")]
    assert len(sources) == 6
    assert abs(sum(sources) - 100) < 0.5

    # a second sync the same day (audience not due, every video measured today so none due on the aging
    # schedule): business/get for the profile and for the daily metrics, one page of new videos, and the
    # comment step's one business/comment/list/ call for each of the 12 newest videos just read (the
    # page's videos all have comments; 12 is the step's cap; no comment in the world, so no second page)
    world.clear_calls()
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    paths = sorted(c["path"].split("/open_api/v1.3/")[1] for c in world.calls("tiktok"))
    assert paths == ["business/comment/list/"] * 12 + ["business/get/", "business/get/", "business/video/list/"]

    # the pages: the Audience section with gender and country tables and the online hours; the post
    # page with how much was watched and where viewers came from
    text = client.get("/portal/analytics/tiktok?range=30d").get_data(as_text=True)
    assert "Share of the audience by gender" in text
    assert 'title="BR">Brazil</th>' in text
    assert "When followers are online" in text
    assert NO_AUDIENCE_TIKTOK not in text
    assert "<h3>Profile views</h3>" in text
    cards = client.get("/portal/settings/connections").get_data(as_text=True)
    assert '<span class="muted">Business account</span>' in cards
    page = client.get(f"/portal/analytics/content/{item.id}").get_data(as_text=True)
    assert "Watched to the end" in page
    assert "Where viewers found the video" in page
    assert 'title="BR">Brazil</th><td>75.0%</td>' in page


def _token(world: Any, account_id: str) -> str:
    live = [t for t in world.tokens(account_id) if t["kind"] == "access" and t.get("status", "ok") == "ok"]
    return str(live[-1]["value"])


def test_non_zero_code_expired_token_refreshes_rotates_and_retries(
    app: Any, client: Any, creator: Any, world: Any
) -> None:
    conn_id, _ = business_conn(client, creator, world)
    drain(app)
    conn = db.session.get(Connection, conn_id)
    assert conn is not None
    version = conn.token_version
    # HTTP 200 with code 40100 on the next business/get: the sync refreshes (rotating) and goes on
    world.add_fault("tiktok", "token_expired", times=1, path_contains="business/get")
    world.clear_calls()
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    paths = [c["path"] for c in world.calls("tiktok")]
    assert any(p.endswith("tt_user/oauth2/refresh_token/") for p in paths)
    db.session.expire_all()
    conn = db.session.get(Connection, conn_id)
    assert conn is not None
    assert conn.token_version > version
    assert conn.status == "connected"


def test_quota_code_is_a_rate_limit_not_a_dead_grant(app: Any, client: Any, creator: Any, world: Any) -> None:
    conn_id, _ = business_conn(client, creator, world)
    drain(app)
    world.add_fault("tiktok", "quota_exceeded", times=5, path_contains="business/")
    result = engine.sync(conn_id, "operator")
    assert result.status not in ("succeeded",)
    db.session.expire_all()
    conn = db.session.get(Connection, conn_id)
    assert conn is not None
    assert conn.status not in ("revoked", "expired", "insufficient_scope")


def test_small_business_account_has_no_audience_and_the_page_says_why(
    app: Any, client: Any, creator: Any, world: Any
) -> None:
    conn_id, _ = business_conn(client, creator, world, followers=80)
    drain(app)
    [snap] = snapshots(conn_id)
    assert snap.payload == {}
    text = client.get("/portal/analytics/tiktok?range=30d").get_data(as_text=True)
    assert TIKTOK_TOO_SMALL in text


def test_hostile_country_names_are_dropped_and_never_rendered(app: Any, client: Any, creator: Any, world: Any) -> None:
    conn_id, account = business_conn(client, creator, world)
    world.patch_account(
        account["id"],
        audience={"countries": [{"code": "<script>x</script>", "share": 40}, {"code": "DE", "share": 60}]},
    )
    drain(app)
    [snap] = snapshots(conn_id)
    assert snap.payload["countries"] == [{"code": "DE", "share": 100.0}]
    text = client.get("/portal/analytics/tiktok?range=30d").get_data(as_text=True)
    assert "<script>x" not in text


def test_personal_account_through_the_business_option_is_refused(
    app: Any, client: Any, creator: Any, world: Any
) -> None:
    client.login("creator@example.com")
    account = world.create_account("tiktok", "tt.personal", 5_000, seed=32)
    resp = connect_business(client, world, account["id"])
    assert resp.status_code in (302, 303)
    assert "wrong_account_type" in resp.headers["Location"]
    assert db.session.execute(select(Connection)).scalars().all() == []
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "not a business account" in page


def test_personal_tiktok_keeps_saying_there_is_no_audience(app: Any, link: Any, client: Any) -> None:
    conn_id, _ = link("tiktok")
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    assert snapshots(conn_id) == []
    text = client.get("/portal/analytics/tiktok?range=30d").get_data(as_text=True)
    assert NO_AUDIENCE_TIKTOK in text


def test_business_option_is_offered_only_with_the_business_app(app: Any, client: Any, creator: Any) -> None:
    client.login("creator@example.com")
    text = client.get("/portal/settings/connections/tiktok/permissions").get_data(as_text=True)
    assert "Connect a TikTok business account" in text
    assert client.post("/api/portal/social/connect/youtube?feature=business").status_code == 404
    personal = {"TIKTOK_CLIENT_KEY": "k", "TIKTOK_CLIENT_SECRET": "s"}
    assert not business_configured(personal)
    assert not business_configured({**personal, "TIKTOK_BUSINESS_APP_ID": "a", "TIKTOK_BUSINESS_SECRET": " "})
    assert business_configured({**personal, "TIKTOK_BUSINESS_APP_ID": "a", "TIKTOK_BUSINESS_SECRET": "b"})
    assert not business_configured({"TIKTOK_BUSINESS_APP_ID": "a", "TIKTOK_BUSINESS_SECRET": "b"})  # no TikTok app


def test_without_the_business_app_only_personal_tiktok_is_offered(make_app: Any) -> None:
    from tests.factories import Factory

    real = make_app(TIKTOK_CLIENT_KEY="real-key", TIKTOK_CLIENT_SECRET="real-secret")
    with real.app_context():
        factory = Factory()
        coach = factory.coach(email="coach2@example.com")
        factory.client(coach=coach, email="o@example.com", name="Omar")
        client = real.test_client()
        client.login("o@example.com")
        perm = client.get("/portal/settings/connections/tiktok/permissions").get_data(as_text=True)
        assert "Continue to TikTok" in perm
        assert "business account" not in perm
        assert client.post("/api/portal/social/connect/tiktok?feature=business").status_code == 404
        start = client.post("/api/portal/social/connect/tiktok")
        assert start.status_code == 303
        assert "client_key=real-key" in start.headers["Location"]


def test_disconnect_revokes_with_the_business_app_and_reconnecting_as_personal_keeps_the_row(
    app: Any, client: Any, creator: Any, world: Any
) -> None:
    conn_id, account = business_conn(client, creator, world)
    world.clear_calls()
    resp = client.hx("POST", f"/portal/settings/connections/{conn_id}/disconnect", data={"history": "keep"})
    assert resp.status_code == 200
    revokes = [c["path"] for c in world.calls() if "revoke" in c["path"]]
    assert revokes == ["/business-api.tiktok.com/open_api/v1.3/tt_user/oauth2/revoke/"]
    assert all(t["status"] == "revoked" for t in world.tokens(account["id"]) if t["kind"] in ("access", "refresh"))
    # the same account connected the personal way: the same row, read through the Display API again
    location = world.consent(client.post("/api/portal/social/connect/tiktok").headers["Location"], account["id"])
    assert client.get(callback_path(location)).status_code in (302, 303)
    db.session.expire_all()
    [conn] = db.session.execute(select(Connection)).scalars().all()
    assert conn.id == conn_id
    assert conn.account_type != "business"
    assert conn.disconnected_at is None
