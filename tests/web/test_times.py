"""Times as people read them (issue "Pages people enjoy"): relative where recency matters, with the exact
moment in the viewer's own time zone on hover; a client reads their zone, staff read UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from app.extensions import db
from app.web.times import ago
from tests.support import history as h


def test_relative_words():
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert ">2 hours ago<" in ago(now - timedelta(hours=2, minutes=5), now=now)
    assert ">just now<" in ago(now - timedelta(seconds=10), now=now)
    assert ">in 5 minutes<" in ago(now + timedelta(minutes=5), now=now)
    assert ">3 days ago<" in ago(now - timedelta(days=3), now=now)
    assert 'datetime="2026-12-01T10:00:00+00:00"' in ago(now - timedelta(hours=2), now=now)
    assert str(ago(None)) == "—"


def test_a_client_reads_times_in_their_zone_and_staff_in_utc(client, factory):
    coach = factory.coach(email="coach@example.com")
    c = factory.client(coach=coach, email="paris@example.com", name="Paule")
    c.time_zone = "Europe/Paris"
    conn = h.connection(c, "instagram", username="paule_ig")
    conn.last_sync_at = datetime.now(UTC) - timedelta(hours=2, minutes=10)
    db.session.commit()
    h.daily(conn, datetime.now(UTC).date() - timedelta(days=3), [1000, 1010, 1020, 1030])
    synced = conn.last_sync_at
    client.login("paris@example.com")
    page = client.get("/portal/analytics").get_data(as_text=True)
    stamp = re.search(r'Last synced <time datetime="([^"]+)" title="([^"]+)">([^<]+)</time>', page)
    assert stamp, page[:2000]
    assert stamp.group(3) == "2 hours ago"
    local = synced.astimezone(ZoneInfo("Europe/Paris"))
    assert stamp.group(2) == local.strftime("%b %-d, %Y, %H:%M ") + "+0100"  # Paris in winter
    assert " UTC" not in page.split("Last synced", 1)[1][:200]
    client.logout()
    client.login("coach@example.com")
    crm = client.get(f"/admin/clients/{c.id}").get_data(as_text=True)
    staff = re.search(r'last synced <time datetime="[^"]+" title="([^"]+)">2 hours ago</time>', crm)
    assert staff, crm[:2000]
    assert staff.group(1).endswith("UTC")


def test_staff_choose_the_zone_they_read_times_in(client, factory):
    coach = factory.coach(email="coach@example.com")
    c = factory.client(coach=coach, email="c@example.com", name="Cleo")
    conn = h.connection(c, "instagram", username="cleo_ig")
    conn.last_sync_at = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    db.session.commit()
    h.daily(conn, datetime.now(UTC).date() - timedelta(days=2), [10, 11, 12])
    client.login("coach@example.com")
    assert client.get("/settings/time-zone").status_code == 200
    bad = client.post("/settings/time-zone", data={"time_zone": "Mars/Olympus"})
    assert bad.status_code == 422
    assert "Pick a time zone from the list" in bad.get_data(as_text=True)
    ok = client.post("/settings/time-zone", data={"time_zone": "Asia/Tokyo"})
    assert ok.status_code == 200
    crm = client.get(f"/admin/clients/{c.id}").get_data(as_text=True)
    assert 'title="Dec 1, 2026, 08:30 GMT+9"' in crm or 'title="Dec 1, 2026, 08:30 +0900"' in crm
    client.logout()
    # a client's zone is their client record's: they cannot set a personal one
    client.login("c@example.com")
    page = client.post("/settings/time-zone", data={"time_zone": "Asia/Tokyo"})
    assert page.status_code == 422
    assert "your coach can change it" in page.get_data(as_text=True)
