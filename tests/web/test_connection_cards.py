"""What a connection card says about syncing, from each connection's latest run: running with its
progress (and the cards poll), the last failure in plain words with the next try, or nothing once a
later sync succeeded. The states of the whole page come from one query (``sync_requests.states_of``)."""

from __future__ import annotations

import re
from datetime import timedelta

from app.extensions import db
from app.models.base import utcnow
from app.models.sync import SyncRun
from app.services import sync_requests
from tests.support import history


def _run(conn, status: str, **kw) -> SyncRun:
    run = SyncRun(connection_id=conn.id, trigger="daily", status=status, details={}, **kw)
    db.session.add(run)
    db.session.commit()
    return run


def _status_block(text: str, conn_id: int) -> str:
    match = re.search(rf'data-testid="sync-status-{conn_id}">(.*?)</div>', text, re.S)
    assert match, f"no sync status for connection {conn_id}"
    return match.group(1)


def test_cards_show_each_connections_latest_run(client, factory):
    c = factory.client(email="c@example.com")
    now = utcnow()
    ig = history.connection(c, "instagram", last_sync_at=now - timedelta(days=1))
    tt = history.connection(c, "tiktok", last_sync_at=now - timedelta(days=1), last_error="TikTok is busy.")
    yt = history.connection(c, "youtube", last_sync_at=now)
    _run(ig, "failed")
    _run(ig, "running", progress=40)
    _run(tt, "succeeded")
    _run(tt, "deferred", deferred_until=now + timedelta(hours=2))
    _run(yt, "failed")
    _run(yt, "succeeded")
    client.login("c@example.com")
    text = client.get("/portal/settings/connections").get_data(as_text=True)
    running = _status_block(text, ig.id)
    assert "Syncing" in running
    assert 'value="40"' in running
    failed = _status_block(text, tt.id)
    assert "TikTok is busy." in failed
    assert "Next try" in failed
    done = _status_block(text, yt.id)
    assert "Last synced" in done
    assert "conn-error" not in done
    assert 'hx-trigger="every 2s"' in text  # a sync runs: the cards keep polling


def test_cards_stop_polling_when_nothing_runs(client, factory):
    c = factory.client(email="c@example.com")
    conn = history.connection(c, "instagram", last_sync_at=utcnow())
    _run(conn, "succeeded")
    client.login("c@example.com")
    assert 'hx-trigger="every 2s"' not in client.get("/portal/settings/connections").get_data(as_text=True)


def test_states_of_reads_the_latest_run_of_each_connection(app, factory):
    c = factory.client()
    a = history.connection(c, "instagram")
    b = history.connection(c, "tiktok")
    fresh = history.connection(c, "youtube")
    _run(a, "running", progress=10)
    _run(a, "succeeded")
    _run(b, "succeeded")
    _run(b, "running", progress=55)
    states = sync_requests.states_of([a, b, fresh])
    assert (states[a.id].running, states[a.id].last_status) == (False, "succeeded")
    assert (states[b.id].running, states[b.id].progress) == (True, 55)
    assert states[fresh.id].last_status is None
    assert not states[fresh.id].running
    assert sync_requests.states_of([]) == {}


def test_an_unconnected_card_says_what_connecting_gives(app, client, factory):
    app.config.update(YOUTUBE_CLIENT_ID="yt-id", YOUTUBE_CLIENT_SECRET="yt-secret")  # YouTube can be offered
    c = factory.client(email="c@example.com")
    history.connection(c, "instagram", last_sync_at=utcnow())
    client.login("c@example.com")
    text = client.get("/portal/settings/connections").get_data(as_text=True)
    youtube = re.search(r'id="conn-youtube".*?</article>', text, re.S)
    assert youtube is not None
    assert "Subscribers, videos and Shorts, watch time and audience." in youtube.group(0)
    instagram = re.search(r'id="conn-instagram".*?</article>', text, re.S)
    assert instagram is not None
    assert "conn-offer" not in instagram.group(0)  # a connected card shows the account instead
