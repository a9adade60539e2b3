"""Workers prepare what pages need: after a real sync on a real worker, the client's overview, their
platform page, the coach's client page and the coach's and admin's portfolio open from the caches (no chart rendered, no
portfolio computed in the request); preparations of one window are one scheduled job."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Client
from app.queueing import dispatch
from app.queueing.queues import DEFAULT, get_queue
from app.redis_conn import get_redis
from app.services import page_prep
from tests.support.connect import portal_app
from tests.support.sandbox import SandboxControl
from tests.sync.conftest import FAST, drain, runs


@pytest.fixture
def app(make_app: Any, sandbox_url: str, world: SandboxControl) -> Iterator[Flask]:
    app = portal_app(make_app, sandbox_url, PAGE_PREP_DELAY_SECONDS=0, PAGE_PREP_PORTFOLIO_DELAY_SECONDS=0, **FAST)
    with app.app_context():
        yield app


def cached_keys() -> set[str]:
    r = get_redis()
    return {k.decode() for pattern in ("chart:*", "portfolio:*") for k in r.scan_iter(pattern)}


def flush_caches() -> None:
    r = get_redis()
    for key in cached_keys():
        r.delete(key)


def test_after_a_sync_the_first_views_are_cached_ones(app: Any, client: Any, link: Any, factory: Any) -> None:
    admin = factory.admin(email="admin@example.com")
    conn_id, _ = link("instagram")
    cid = db.session.execute(select(Client.id)).scalar_one()
    flush_caches()
    assert dispatch.enqueue_sync(conn_id, "manual", job_id="sync-page-prep")
    drain(app)  # the sync, then the preparations it queued (client pages, coach's and admin's portfolio)
    assert runs(conn_id)[-1].status in ("succeeded", "partial")
    prepared = cached_keys()
    assert any(k.startswith("chart:") for k in prepared)
    assert any(k.startswith("portfolio:") for k in prepared)

    # the client's overview: every chart it shows was in the cache (nothing new stored)
    page = client.get("/portal/analytics")
    assert page.status_code == 200
    assert "growth-svg" in page.get_data(as_text=True)
    assert cached_keys() == prepared
    # the Instagram page as it opens: its followers, engagement, reach and insights charts too
    page = client.get("/portal/analytics/instagram")
    assert page.status_code == 200
    assert "Instagram followers" in page.get_data(as_text=True)
    assert cached_keys() == prepared
    # the coach: client page (90 days) and portfolio, both from the caches
    client.logout()
    client.login("coach@example.com")
    crm = client.get(f"/admin/clients/{cid}")
    assert crm.status_code == 200
    assert "insights-instagram-svg" in crm.get_data(as_text=True)  # the platform's insights chart, prepared too
    assert client.get("/admin/portfolio").status_code == 200
    assert cached_keys() == prepared
    # the admin's portfolio too
    client.logout()
    client.login(admin.email)
    assert client.get("/admin/portfolio").status_code == 200
    assert cached_keys() == prepared

    # the check means something: without the preparation the same views store what they render
    flush_caches()
    client.get("/admin/portfolio")
    client.logout()
    client.login("creator@example.com")
    client.get("/portal/analytics")
    overview_keys = cached_keys()
    client.get("/portal/analytics/instagram")
    after_views = cached_keys()
    assert len(after_views - overview_keys) == 4  # the platform page's four charts were rendered and stored
    assert after_views <= prepared


def test_preparations_of_one_window_are_one_scheduled_job(app: Any, link: Any) -> None:
    conn_id, _ = link("tiktok")
    get_queue(DEFAULT).empty()
    app.config["PAGE_PREP_DELAY_SECONDS"] = 60
    app.config["PAGE_PREP_PORTFOLIO_DELAY_SECONDS"] = 300
    for _ in range(3):  # three syncs of the client's accounts finishing within the window
        assert page_prep.after_sync(conn_id) == 2  # the client's pages and the coach's portfolio
    scheduled = [j for j in get_queue(DEFAULT).scheduled_job_registry.get_job_ids() if j.startswith("pages-")]
    assert len(scheduled) == 2, scheduled
    assert sorted(j.rsplit("-", 1)[0] for j in scheduled) == sorted(
        ["pages-client-" + str(db.session.execute(select(Client.id)).scalar_one()), f"pages-portfolio-{coach_id()}"]
    )


def test_a_preparation_for_a_connection_or_user_that_is_gone_does_nothing(app: Any) -> None:
    assert page_prep.after_sync(999_999) == 0
    assert page_prep.prepare_client(999_999) == 0
    assert page_prep.prepare_portfolio(999_999) is False


def coach_id() -> int:
    return int(db.session.execute(select(Client.coach_id)).scalar_one())
