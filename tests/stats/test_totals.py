"""The portfolio's daily totals, kept by database triggers (migration 0009), on SQLite and PostgreSQL:
every way a snapshot or a connection changes leaves the table equal to its definition, and the
all-clients portfolio chart read from it equals the sum of the snapshots."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import delete, select, update

from app.extensions import db
from app.models import Client, Connection, DailySnapshot, PortfolioDailyTotal, User
from app.models.base import utcnow
from app.platforms.base import Profile
from app.stats import portfolio, totals
from app.stats.query import parse
from app.sync.storage import upsert, write_snapshot
from tests.support import history as h

DAY = date(2026, 3, 1)


def _stored() -> dict[tuple[date, str], tuple[int, int]]:
    """Per (day, platform), slots summed, zero rows left out."""
    out: dict[tuple[date, str], tuple[int, int]] = {}
    for r in db.session.execute(select(PortfolioDailyTotal)).scalars():
        f, n = out.get((r.day, r.platform), (0, 0))
        out[(r.day, r.platform)] = (f + r.followers, n + r.snapshots)
    return {k: v for k, v in out.items() if v != (0, 0)}


def _agrees() -> None:
    db.session.expire_all()
    assert totals.differences() == []


def test_insert_update_delete_of_snapshots(factory):
    c = factory.client()
    ig, tt = h.connection(c, "instagram"), h.connection(c, "tiktok")
    h.daily(ig, DAY, [100, 110])
    h.daily(tt, DAY, [5])
    assert _stored() == {
        (DAY, "instagram"): (100, 1),
        (DAY + timedelta(days=1), "instagram"): (110, 1),
        (DAY, "tiktok"): (5, 1),
    }
    _agrees()

    snap = db.session.execute(
        select(DailySnapshot).where(DailySnapshot.connection_id == ig.id, DailySnapshot.day == DAY)
    ).scalar_one()
    snap.followers = 130  # an update of followers
    db.session.commit()
    assert _stored()[(DAY, "instagram")] == (130, 1)
    snap.day = DAY - timedelta(days=1)  # an update of the day moves it
    db.session.commit()
    assert (DAY, "instagram") not in _stored()
    assert _stored()[(DAY - timedelta(days=1), "instagram")] == (130, 1)
    db.session.delete(snap)
    db.session.commit()
    assert (DAY - timedelta(days=1), "instagram") not in _stored()
    _agrees()


def test_sync_upserts_write_through(factory):
    """The sync's own writers: today's snapshot (insert, then the same day overwritten, then unchanged)
    and the backfill's conditional upsert."""
    c = factory.client()
    yt = h.connection(c, "youtube")
    assert write_snapshot(yt.id, DAY, Profile("yt-1", followers=1000))
    db.session.commit()
    assert write_snapshot(yt.id, DAY, Profile("yt-1", followers=1040))
    db.session.commit()
    assert _stored() == {(DAY, "youtube"): (1040, 1)}
    assert write_snapshot(yt.id, DAY, Profile("yt-1", followers=1040, following=3))  # followers unchanged
    db.session.commit()
    rows = [
        {
            "connection_id": yt.id,
            "day": DAY - timedelta(days=i),
            "followers": 1000 - i,
            "provenance": "backfilled",
            "synced_at": utcnow(),
        }
        for i in range(0, 4)
    ]
    upsert(
        DailySnapshot,
        rows,
        ("connection_id", "day"),
        update_cols=("followers", "provenance"),
        where=DailySnapshot.provenance.in_(["backfilled", "carried"]),
    )  # skips the measured day
    db.session.commit()
    assert _stored()[(DAY, "youtube")] == (1040, 1)
    assert _stored()[(DAY - timedelta(days=3), "youtube")] == (997, 1)
    _agrees()


def test_disconnect_reconnect_and_deletes(factory):
    coach = factory.coach()
    a, b = factory.client(coach=coach), factory.client(coach=coach)
    ig_a, ig_b, tt_b = h.connection(a, "instagram"), h.connection(b, "instagram"), h.connection(b, "tiktok")
    for conn, base in ((ig_a, 100), (ig_b, 1000), (tt_b, 50)):
        h.daily(conn, DAY, [base, base + 1, base + 2])
    assert _stored()[(DAY, "instagram")] == (1100, 2)

    ig_b.disconnected_at = utcnow()  # disconnected, history kept: leaves the totals
    db.session.commit()
    assert _stored()[(DAY, "instagram")] == (100, 1)
    ig_b.disconnected_at = utcnow()  # still disconnected: nothing moves
    db.session.commit()
    assert _stored()[(DAY, "instagram")] == (100, 1)
    h.snapshots(ig_b, {DAY + timedelta(days=5): 7})  # a disconnected connection's new row counts nowhere
    assert (DAY + timedelta(days=5), "instagram") not in _stored()
    db.session.execute(update(Connection).where(Connection.id == ig_b.id).values(disconnected_at=None))
    db.session.commit()  # reconnected: all of its history comes back
    assert _stored()[(DAY, "instagram")] == (1100, 2)
    assert _stored()[(DAY + timedelta(days=5), "instagram")] == (7, 1)
    _agrees()

    db.session.execute(delete(Connection).where(Connection.id == tt_b.id))  # cascade deletes its snapshots
    db.session.commit()
    assert not any(p == "tiktok" for _, p in _stored())
    _agrees()

    db.session.delete(db.session.get(User, coach.id))  # the coach goes: clients.coach_id SET NULL
    db.session.commit()
    assert _stored()[(DAY, "instagram")] == (1100, 2)
    db.session.execute(delete(Client).where(Client.id == b.id))  # client -> connections -> snapshots
    db.session.commit()
    assert _stored()[(DAY, "instagram")] == (100, 1)
    db.session.execute(delete(User).where(User.id == a.user_id))  # user -> client -> connections -> snapshots
    db.session.commit()
    assert _stored() == {}
    _agrees()


def test_random_operations_keep_the_definition(factory):
    """A seeded walk of inserts, updates, deletes, disconnects, reconnects and connection deletes."""
    rng = random.Random(20261121)
    clients = [factory.client() for _ in range(3)]
    conns = [h.connection(c, p) for c in clients for p in ("instagram", "tiktok", "youtube")]
    for step in range(120):
        live = [c for c in conns if db.session.get(Connection, c.id) is not None]
        conn = rng.choice(live)
        op = rng.random()
        day = DAY + timedelta(days=rng.randrange(10))
        if op < 0.45:
            upsert(
                DailySnapshot,
                [
                    {
                        "connection_id": conn.id,
                        "day": day,
                        "followers": rng.randrange(10_000),
                        "provenance": "measured",
                        "synced_at": utcnow(),
                    }
                ],
                ("connection_id", "day"),
                update_cols=("followers",),
            )
        elif op < 0.6:
            db.session.execute(
                delete(DailySnapshot).where(DailySnapshot.connection_id == conn.id, DailySnapshot.day == day)
            )
        elif op < 0.8:
            gone = db.session.get(Connection, conn.id).disconnected_at is not None
            db.session.execute(
                update(Connection).where(Connection.id == conn.id).values(disconnected_at=None if gone else utcnow())
            )
        elif op < 0.85 and len(live) > 3:
            db.session.execute(delete(Connection).where(Connection.id == conn.id))
        else:
            db.session.execute(
                update(DailySnapshot)
                .where(DailySnapshot.connection_id == conn.id)
                .values(followers=DailySnapshot.followers + rng.randrange(-50, 50))
            )
        db.session.commit()
        if step % 10 == 9:
            _agrees()
    _agrees()


def test_rebuild_restores_a_drifted_table(factory):
    c = factory.client()
    h.daily(h.connection(c, "instagram"), DAY, [10, 20, 30])
    db.session.execute(update(PortfolioDailyTotal).values(followers=PortfolioDailyTotal.followers + 1))
    db.session.commit()
    assert len(totals.differences()) == 3
    assert totals.rebuild() == 3
    db.session.commit()
    _agrees()


def test_all_clients_chart_reads_the_totals_and_equals_the_snapshot_sums(factory):
    """The admin's whole portfolio takes its chart from the totals; a coach's from the snapshots. Both
    give the same series for the same clients: sums, the carried day (one connection missing), the gap."""
    coach = factory.coach()
    a, b = factory.client(coach=coach), factory.client(coach=coach)
    ig, tt, yt = h.connection(a, "instagram"), h.connection(a, "tiktok"), h.connection(b, "youtube")
    today = DAY + timedelta(days=9)
    h.snapshots(ig, {DAY + timedelta(days=i): 100 + i for i in range(10) if i != 4})
    h.snapshots(tt, {DAY + timedelta(days=i): 10 for i in range(10) if i not in (3, 4)})
    h.snapshots(yt, {DAY + timedelta(days=i): 1000 for i in range(10) if i != 4})
    gone = h.connection(b, "instagram", disconnected_at=utcnow())
    h.daily(gone, DAY, [555] * 10)
    for args in ({"range": "7d"}, {"range": "30d"}, {"range": "7d", "platform": "instagram"}):
        q = parse(args, scope="portfolio", now=today, extra=("size", "coach"))
        everyone = portfolio.compute_portfolio(select(Client), q).series
        scoped = portfolio.compute_portfolio(select(Client).where(Client.coach_id == coach.id), q).series
        assert everyone == scoped
    q = parse({"range": "30d"}, scope="portfolio", now=today)
    pts = {p.day: p for p in portfolio.compute_portfolio(select(Client), q).series.points}
    assert pts[DAY + timedelta(days=3)].value == 1103
    assert pts[DAY + timedelta(days=3)].provenance == "carried"
    assert pts[DAY + timedelta(days=4)].value is None  # nobody reported: a gap
    assert pts[DAY + timedelta(days=5)].value == 1115
    assert pts[DAY + timedelta(days=5)].provenance == "measured"


def test_demo_reset_leaves_no_residue(factory):
    """``flask demo --reset`` deletes every table; the totals must not keep the negatives of the
    snapshots deleted after them."""
    from app.demo import people as demo

    c = factory.client()
    h.daily(h.connection(c, "instagram"), DAY, [10, 20])
    demo.reset()
    assert db.session.execute(select(PortfolioDailyTotal)).first() is None
    _agrees()


def test_cli_reports_drift_and_rebuilds(app, factory):
    c = factory.client()
    h.daily(h.connection(c, "tiktok"), DAY, [10, 20])
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["stats", "totals"])
    assert ok.exit_code == 0
    assert "agree" in ok.output
    db.session.execute(delete(PortfolioDailyTotal).where(PortfolioDailyTotal.day == DAY))
    db.session.commit()
    drift = runner.invoke(args=["stats", "totals"])
    assert drift.exit_code == 1
    assert "1 total(s) differ" in drift.output
    assert "--rebuild" in drift.output
    fixed = runner.invoke(args=["stats", "totals", "--rebuild"])
    assert fixed.exit_code == 0
    assert "2 row(s)" in fixed.output
    assert runner.invoke(args=["stats", "totals"]).exit_code == 0
