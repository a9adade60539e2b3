"""Migration 0030_fansweek fills the fans' day rows (previous day, comments from that day on, latest comment)
and the fans per (day, previous day) from the comments already held: the same rows the comment sync writes
(``app/models/fan_summary.py``), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask_migrate import downgrade, upgrade
from sqlalchemy import insert, select

from app import create_app
from app.models import Client, Comment, Connection, FanDay, FanDayCount, FanSummary, User
from app.models.fan_summary import rebuild
from tests.conftest import app_config
from tests.test_migrations import empty_database


def _rows() -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    from app.extensions import db

    days = {
        (s.connection_id, s.author_platform_id, d.day, d.comments, d.last_at, d.prev_day, d.onward, d.fan_last_at)
        for d, s in db.session.execute(select(FanDay, FanSummary).join(FanSummary, FanSummary.id == FanDay.fan_id))
    }
    counts = {
        (r.client_id, r.day, r.connection_id, r.prev_day, r.onward, r.platform, r.fans)
        for r in db.session.scalars(select(FanDayCount))
    }
    return days, counts


def test_the_migration_fills_what_the_sync_writes(tmp_path: Any, redis_url: str, instance_dir: Any) -> None:
    with empty_database(tmp_path) as url:
        app = create_app(app_config(url, redis_url, instance_dir))
        with app.app_context():
            from app.extensions import db

            upgrade(revision="0028_report_downloads")
            # written with Core (the ORM hook would write fan rows of the newest schema)
            conn = db.session.connection()
            user = conn.execute(
                insert(User).values(email="c@example.com", name="C", role="client")
            ).inserted_primary_key
            client = conn.execute(insert(Client).values(user_id=user[0], display_name="C")).inserted_primary_key[0]
            accounts = [
                conn.execute(
                    insert(Connection).values(client_id=client, platform=p, platform_user_id=f"{p}-1", username=p)
                ).inserted_primary_key[0]
                for p in ("instagram", "youtube")
            ]
            base = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
            # (account, author, day offset, hour): a fan with two comments on one day, gaps, a deleted comment
            spec = [(0, "a", 0, 1), (0, "a", 0, 5), (0, "a", 3, 1), (0, "a", 9, 15), (0, "b", 3, 2), (0, "b", 4, 0)]
            spec += [(1, "a", 3, 4), (1, "c", 9, 1), (1, "c", 20, 1)]
            rows = [
                {
                    "connection_id": accounts[i],
                    "client_id": client,
                    "platform": ("instagram", "youtube")[i],
                    "platform_id": f"c{n}",
                    "post_platform_id": "p",
                    "author_platform_id": author,
                    "text": "hi",
                    "published_at": base + timedelta(days=d, hours=h),
                    "deleted_at_platform": None,
                }
                for n, (i, author, d, h) in enumerate(spec)
            ]
            rows.append({**rows[0], "platform_id": "gone", "deleted_at_platform": base})
            conn.execute(insert(Comment), rows)
            db.session.commit()
            upgrade()
            migrated = _rows()
            days = {(c, a, d.date(), n, prev.date(), onward) for c, a, d, n, _, prev, onward, _ in migrated[0]}
            ig, yt, first = accounts[0], accounts[1], datetime(1970, 1, 1).date()
            day = [(base + timedelta(days=k)).date() for k in range(21)]
            assert days == {
                (ig, "a", day[0], 2, first, 4),
                (ig, "a", day[3], 1, day[0], 2),
                (ig, "a", day[9], 1, day[3], 1),
                (ig, "b", day[3], 1, first, 2),
                (ig, "b", day[4], 1, day[3], 1),
                (yt, "a", day[3], 1, first, 1),
                (yt, "c", day[9], 1, first, 2),
                (yt, "c", day[20], 1, day[9], 1),
            }
            # the same rows as the sync's own rebuild
            rebuild(db.session.connection(), client)
            db.session.commit()
            assert _rows() == migrated
            db.session.rollback()  # the reads' locks go before the migration's DDL (PostgreSQL)
            downgrade(revision="-1")  # this migration only
            upgrade()
            assert _rows() == migrated
            db.session.rollback()
            db.session.remove()
            db.engine.dispose()
