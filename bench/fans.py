"""Fans of a client on PostgreSQL: 200,000 comments from 50,000 commenters (and 50 other clients).

Reuses ``bench/inbox.py``'s generator (one client with 200,000 comments over 90 days on Instagram and
YouTube), then spreads the big client's authors over 25,000 ids per platform (50,000 commenters). Times
``GET /api/portal/social/fans`` (top fans and the community weeks) through the real app: warm (the answer
cached for the client's data version), cold (the version bumped before each request, as a sync does), and
the views the pages open with after a sync whose warm-up job (``app/jobs/fans.py``) has run (the job's own
time printed apart: it is worker time, not a reader's).

    .venv/bin/python bench/fans.py [--url postgresql://postgres@127.0.0.1:5432/postgres] [--runs 30]

Creates the database ``bench_fans`` next to the given server URL and drops it at the end (``--keep`` keeps
it for ``--reuse``); its embedded redis-server and temporary folder go too, also on failure or Ctrl-C.
``--comments`` and ``--others`` make a smaller world (the test of that clean-up runs it tiny).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cleanup import stop_on_signals  # noqa: E402
from bench.inbox import BIG, OTHERS, generate  # noqa: E402
from bench.pages import PASSWORD, admin_url, clean_up, create_database, make_app  # noqa: E402

AUTHORS_PER_PLATFORM = 25_000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--url", default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    ap.add_argument("--name", default="bench_fans")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--comments", type=int, default=BIG, help="comments of the big client")
    ap.add_argument("--others", type=int, default=OTHERS, help="other clients (2,000 comments each)")
    args = ap.parse_args()
    stop_on_signals()
    from app.config import normalise_database_url
    from app.redis_conn import start_embedded

    server = normalise_database_url(args.url) or args.url
    instance = tempfile.mkdtemp(prefix="bench-fans-")
    app = None
    try:
        db_url = admin_url(server, args.name) if args.reuse else create_database(server, args.name)
        # started here, not lazily by the app's first Redis use (live.bump): stopped in ``finally``
        app = make_app(db_url, instance, REDIS_URL=start_embedded(instance))
        from app.extensions import db

        if not args.reuse:
            from flask_migrate import upgrade

            with app.app_context():
                upgrade()
            t = time.perf_counter()
            generate(app, big=args.comments, others=args.others)
            with app.app_context():
                db.session.execute(
                    text(
                        f"""UPDATE comments SET author_platform_id = 'u' || (id % {AUTHORS_PER_PLATFORM}),
                                author_handle = 'fan_' || (id % {AUTHORS_PER_PLATFORM})
                            WHERE client_id = (SELECT min(id) FROM clients)"""
                    )
                )
                db.session.commit()
                # the per-fan summaries the comment sync keeps (app/models/fan_summary.py): the generator
                # and the author spread above write comments in bulk SQL, so they are rebuilt here
                from app.models.fan_summary import rebuild

                r = time.perf_counter()
                for cid in db.session.scalars(text("SELECT id FROM clients ORDER BY id")).all():
                    rebuild(db.session.connection(), cid)
                db.session.commit()
                print(f"fan summaries rebuilt in {time.perf_counter() - r:.1f}s")
                db.session.remove()
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text("VACUUM ANALYZE comments, fan_summaries, fan_days"))
            print(f"generated in {time.perf_counter() - t:.1f}s")
        with app.app_context():
            n, authors = db.session.execute(
                text(
                    """SELECT count(*), count(DISTINCT (connection_id, author_platform_id)) FROM comments
                       WHERE client_id = (SELECT min(id) FROM clients)"""
                )
            ).one()
            print(f"the big client has {n:,} comments from {authors:,} commenters")
        client = app.test_client()
        client.post("/login", data={"email": "client0@bench.local", "password": PASSWORD})
        statements: list[str] = []
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        cases = [
            ("fans 30d, all platforms", "/api/portal/social/fans?range=30d"),
            ("fans 30d, Instagram", "/api/portal/social/fans?range=30d&platform=instagram"),
            ("fans 90d, all platforms (every comment)", "/api/portal/social/fans?range=90d"),
            ("fans 7d, YouTube", "/api/portal/social/fans?range=7d&platform=youtube"),
        ]
        print("\n| case | p50 ms | p95 ms | max ms | queries |\n|---|---|---|---|---|")
        from app.services import live

        with app.app_context():
            big = db.session.execute(text("SELECT min(id) FROM clients")).scalar_one()
        cases = [(name, url, "") for name, url in cases] + [
            (f"{name}, cold (after a sync)", url, "cold") for name, url in cases
        ]
        # the views the pages open with, after a sync whose warm-up job (app/jobs/fans.py) has run
        cases += [
            ("opening view (every platform), after a sync + warm-up", "/api/portal/social/fans", "warmup"),
            (
                "opening view (Instagram), after a sync + warm-up",
                "/api/portal/social/fans?platform=instagram",
                "warmup",
            ),  # noqa: E501
        ]
        from app.models import Client
        from app.services import fans as fans_service

        warmups: list[float] = []
        for name, url, mode in cases:
            times = []
            queries = 0
            for _ in range(args.runs):
                if mode:
                    with app.app_context():
                        live.bump([big])  # what a finished sync does: the cached answer no longer applies
                if mode == "warmup":
                    with app.app_context():
                        t = time.perf_counter()
                        fans_service.warm(db.session.get(Client, big))  # the worker's job after the sync
                        warmups.append((time.perf_counter() - t) * 1000)
                        db.session.remove()
                before = len(statements)
                t = time.perf_counter()
                resp = client.get(url)
                times.append((time.perf_counter() - t) * 1000)
                queries += len(statements) - before
                assert resp.status_code == 200, (url, resp.status_code)
            q = queries / args.runs
            ordered = sorted(times)
            p95 = ordered[max(0, int(round(0.95 * len(ordered))) - 1)]
            print(f"| {name} | {statistics.median(times):.1f} | {p95:.1f} | {max(times):.1f} | {q:.0f} |")
        if warmups:
            ordered = sorted(warmups)
            p95 = ordered[max(0, int(round(0.95 * len(ordered))) - 1)]
            print(f"\nwarm-up job (worker, 5 views): p50 {statistics.median(warmups):.0f} ms, p95 {p95:.0f} ms")
    finally:
        clean_up(app, instance, server, None if args.keep else args.name)


if __name__ == "__main__":
    main()
