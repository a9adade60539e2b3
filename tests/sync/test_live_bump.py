"""A sync that finishes tells the open pages of its client (the live version in Redis moves)."""

from __future__ import annotations

from app.extensions import db
from app.models import Connection
from app.services import live
from tests.sync.conftest import drain


def test_a_finished_sync_bumps_its_clients_live_version(app, link):
    conn_id, _ = link("tiktok")
    client_id = db.session.get(Connection, conn_id).client_id
    before, everyone = live.version([client_id]), live.version(None)
    drain(app)  # the initial sync, run by a real RQ worker
    assert live.version([client_id]) != before
    assert live.version(None) != everyone  # the portfolio follows every client
