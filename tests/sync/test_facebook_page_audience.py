"""A Facebook Page's followers by country end to end: real RQ workers sync against the sandbox, the
weekly read (``page_follows_country`` + ``page_follows_city``) stored as a dated snapshot with shares
and follower counts, its calls counted like every Page call; the page and the API show it; not read
again within the week; a city the platform garbles is noted (the sync partial) and the countries kept; garbled countries
keep the stored snapshot; a Page under the threshold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from app.extensions import db
from app.models import AudienceSnapshot, Connection, RawResponse
from app.queueing import dispatch
from app.redis_conn import get_redis
from app.services.quota_counters import META_ACCOUNT_USAGE
from tests.support.sandbox import SandboxControl
from tests.sync.conftest import drain, runs

PLACES = {
    "countries": [{"code": "IN", "share": 80}, {"code": "GB", "share": 15}, {"code": "BD", "share": 5}],
    "cities": [{"name": "Mumbai, Maharashtra", "share": 60}, {"name": "London, England", "share": 40}],
}
#: 12,345 followers x the shares, as the sandbox counts them: IN 9,876, GB 1,851, BD 617
COUNTRIES = [
    {"code": "IN", "share": 80.0, "followers": 9_876},
    {"code": "GB", "share": 15.0, "followers": 1_851},
    {"code": "BD", "share": 5.0, "followers": 617},
]


def _page(app: Any, link: Any, world: SandboxControl, followers: int = 12_345) -> int:
    conn_id, account = link("facebook", followers=followers)
    world.patch_account(account["id"], audience=PLACES)
    drain(app)
    return int(conn_id)


def _snapshots(conn_id: int) -> list[AudienceSnapshot]:
    db.session.expire_all()
    stmt = select(AudienceSnapshot).where(AudienceSnapshot.connection_id == conn_id).order_by(AudienceSnapshot.taken_on)
    return list(db.session.execute(stmt).scalars())


def _place_calls(world: SandboxControl) -> list[dict[str, Any]]:
    return [c for c in world.calls("facebook") if c["path"].endswith("/insights")]


def test_the_pages_countries_sync_weekly_and_show(
    app: Any, link: Any, client: Any, creator: Any, world: SandboxControl
) -> None:
    conn_id = _page(app, link, world)
    run = runs(conn_id)[-1]
    assert run.status == "succeeded", (run.status, run.error_message, run.details)
    [snap] = _snapshots(conn_id)
    assert snap.taken_on == datetime.now(UTC).date()
    assert snap.base == 12_345
    assert snap.payload["countries"] == COUNTRIES
    assert snap.payload["cities"] == [
        {"name": "Mumbai, Maharashtra", "share": 60.0, "followers": 7_407},
        {"name": "London, England", "share": 40.0, "followers": 4_938},
    ]
    # the two reads went through the sync's recorder like every Page call: counted in the run's calls,
    # kept in the raw-response log, and the Page's usage (X-Business-Use-Case-Usage) remembered
    urls = [u for (u,) in db.session.execute(select(RawResponse.url).where(RawResponse.sync_run_id == run.id))]
    assert run.calls == len(urls)
    assert sum("page_follows_country" in u for u in urls) == 1
    assert sum("page_follows_city" in u for u in urls) == 1
    assert get_redis().hgetall(META_ACCOUNT_USAGE)

    text = client.get("/portal/analytics/facebook?range=30d").get_data(as_text=True)
    for words in (">India<", ">United Kingdom<", ">Bangladesh<", ">9,876<", ">Mumbai, Maharashtra<", "in 2024"):
        assert words in text, words
    assert '<meter min="0" max="100" value="80.0">' in text
    answer = client.get("/api/portal/social/facebook/audience").get_json()
    assert (answer["available"], answer["countries"]) == (True, COUNTRIES)

    # within the week the daily sync does not read the places again
    world.clear_calls()
    dispatch.enqueue_sync(conn_id, "manual")
    drain(app)
    assert runs(conn_id)[-1].status == "succeeded"
    assert len(_snapshots(conn_id)) == 1
    queries = [u for (u,) in db.session.execute(select(RawResponse.url).where(RawResponse.connection_id == conn_id))]
    assert sum("page_follows" in u for u in queries) == 2  # still the first sync's two


def _age(conn_id: int, days: int) -> AudienceSnapshot:
    [first] = _snapshots(conn_id)
    week_ago = first.taken_on - timedelta(days=days)
    db.session.execute(update(AudienceSnapshot).where(AudienceSnapshot.id == first.id).values(taken_on=week_ago))
    db.session.commit()
    return first


def test_a_garbled_city_is_noted_and_the_countries_kept(
    app: Any, link: Any, creator: Any, world: SandboxControl
) -> None:
    conn_id = _page(app, link, world)
    _age(conn_id, 8)
    world.add_fault("facebook", "malformed", query_contains="page_follows_city")
    dispatch.enqueue_sync(conn_id, "manual")
    drain(app)
    run = runs(conn_id)[-1]
    assert run.status == "partial", (run.status, run.error_message)  # as a refused Instagram breakdown
    assert "audience: the platform refused cities" in run.details["notes"]
    old, new = _snapshots(conn_id)
    assert new.taken_on == datetime.now(UTC).date()
    assert new.payload == {"countries": COUNTRIES}


def test_garbled_countries_keep_the_stored_snapshot(
    app: Any, link: Any, client: Any, creator: Any, world: SandboxControl
) -> None:
    conn_id = _page(app, link, world)
    first = _age(conn_id, 8)
    world.add_fault("facebook", "malformed", query_contains="page_follows_country")
    dispatch.enqueue_sync(conn_id, "manual")
    drain(app)
    run = runs(conn_id)[-1]
    assert run.status == "partial", (run.status, run.error_message)
    assert any("audience" in n for n in run.details["notes"])
    [kept] = _snapshots(conn_id)
    assert (kept.taken_on, kept.payload["countries"]) == (first.taken_on, COUNTRIES)
    answer = client.get("/api/portal/social/facebook/audience").get_json()
    assert (answer["available"], answer["as_of"]) == (True, first.taken_on.isoformat())


def test_a_page_below_the_threshold_is_told_so(
    app: Any, link: Any, client: Any, creator: Any, world: SandboxControl
) -> None:
    conn_id = _page(app, link, world, followers=80)
    run = runs(conn_id)[-1]
    assert run.status == "succeeded", (run.status, run.error_message)
    [snap] = _snapshots(conn_id)
    assert snap.payload == {}  # read, stored empty: "none", not "not read yet"
    answer = client.get("/api/portal/social/facebook/audience").get_json()
    assert answer["available"] is False
    assert answer["reason"].startswith("Shown once the account has enough followers")
    text = client.get("/portal/analytics/facebook?range=30d").get_data(as_text=True)
    assert "Shown once the account has enough followers" in text


def test_the_audience_setting_is_offered_with_its_cost_and_turns_the_read_off(
    app: Any, link: Any, client: Any, creator: Any, world: SandboxControl
) -> None:
    conn_id, _ = link("facebook")
    url = f"/api/portal/social/connections/{conn_id}/settings"
    got = client.get(url).get_json()
    assert got["sync"] == {"posts": True, "comments": True, "audience": True, "stories": False}
    assert got["choice_costs"]["audience"] == "about 1 call a day"  # 2 calls a week, rounded up
    page = client.get(f"/portal/settings/connections/{conn_id}/sync").get_data(as_text=True)
    assert "Audience (the followers&#39; countries and cities)" in page
    assert client.patch(url, json={"sync": {"audience": False}}).status_code == 200
    db.session.expire_all()
    # only the kinds a Page offers are stored (a kind offered later starts at its default, not "off")
    assert db.session.get(Connection, conn_id).sync_settings == {
        "sync": {"posts": True, "comments": True, "audience": False},
        "cadence": "daily",
    }
    drain(app)
    assert runs(conn_id)[-1].status == "succeeded"
    assert _snapshots(conn_id) == []
    urls = [u for (u,) in db.session.execute(select(RawResponse.url).where(RawResponse.connection_id == conn_id))]
    assert urls
    assert not [u for u in urls if "page_follows" in u]
