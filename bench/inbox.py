"""The comment inbox on PostgreSQL: one client with 200,000 comments (and 50 other clients with 2,000 each).

Comments are generated server-side (``INSERT ... SELECT generate_series``): 80 % top-level, 20 % replies, a
quarter of the top-level ones answered, one in six a question, texts from a small vocabulary (some
emoji and right-to-left). Times through the real app (test client, real PostgreSQL, embedded Redis):
the JSON list (newest, unanswered, one platform, most liked, a search in text and author, a second page)
and the HTMX inbox list; every answer includes the unanswered and unread counts. SQL statements per
request are counted.

    .venv/bin/python bench/inbox.py [--url postgresql://postgres@127.0.0.1:5432/postgres] [--runs 30]

Creates the database ``bench_inbox`` next to the given server URL and drops it at the end (``--keep``);
its embedded redis-server and temporary folder go too, also on failure or Ctrl-C. ``--comments`` and
``--others`` make a smaller world (the test of that clean-up runs it tiny).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cleanup import stop_on_signals  # noqa: E402
from bench.pages import PASSWORD, admin_url, clean_up, create_database, make_app  # noqa: E402

BIG, OTHERS, OTHER_EACH = 200_000, 50, 2_000


def generate(app: Any, big: int = BIG, others: int = OTHERS) -> None:
    from werkzeug.security import generate_password_hash

    from app.extensions import db

    pw = generate_password_hash(PASSWORD)
    steps = [
        f"""INSERT INTO users (email, name, role, password_hash, is_active, created_at, updated_at)
            SELECT 'client' || g || '@bench.local', 'Client ' || g, 'client', :pw, true, now(), now()
            FROM generate_series(0, {others}) g""",
        """INSERT INTO clients (user_id, display_name, program_start, status, time_zone, created_at, updated_at)
            SELECT id, name, current_date - 60, 'active', 'UTC', now(), now() FROM users""",
        """INSERT INTO connections (client_id, platform, platform_user_id, username, status, scopes, token_version,
                                    connected_at, created_at, updated_at)
            SELECT c.id, p.name, p.name || '-' || c.id, p.name || '_' || c.id, 'connected', '', 0, now(), now(), now()
            FROM clients c, (VALUES ('instagram'), ('youtube')) p(name)""",
        """INSERT INTO content_items (connection_id, platform_id, kind, caption, published_at, hashtags, extra_metrics,
                                     first_seen_at)
            SELECT cn.id, 'post-' || cn.id || '-' || k, 'image', 'Post ' || k, now() - k * interval '1 day', '[]', '{}',
                   now()
            FROM connections cn, generate_series(1, 90) k""",
        f"""INSERT INTO comments (connection_id, client_id, content_item_id, platform, platform_id, post_platform_id,
                                  author_handle, author_name, author_platform_id, from_owner, text, is_question,
                                  published_at, like_count, reply_count, hidden, answered_at, read_at, first_seen_at,
                                  last_seen_at)
            SELECT cn.id, cn.client_id, ci.id, cn.platform, 'c-' || cn.id || '-' || g, ci.platform_id,
                   'fan_' || (g % 5000), 'Fan ' || (g % 5000), 'u' || (g % 5000), false,
                   (ARRAY['Love this! 😍', 'Where did you get that jacket?', 'How long did this take?',
                          'ما شاء الله، رائع جدًا', 'Best one yet 🔥', 'Saving this for later', 'Is there a part 2?',
                          'תודה רבה! זה עזר לי מאוד', 'Haha the ending 😂', 'Which app do you use?'])[1 + g % 10]
                     || ' #' || g,
                   g % 10 IN (1, 2, 6, 9), now() - (g % 86400) * interval '90 seconds',
                   (g * 7) % 300, 0, g % 97 = 0,
                   CASE WHEN g % 4 = 0 THEN now() - (g % 86400) * interval '90 seconds' + interval '3 hours' END,
                   CASE WHEN g % 3 = 0 THEN now() END, now(), now()
            FROM connections cn
            JOIN LATERAL (SELECT CASE WHEN cn.client_id = (SELECT min(id) FROM clients) THEN {big // 2}
                                      ELSE {OTHER_EACH // 2} END AS n) sizes ON true
            JOIN LATERAL generate_series(1, sizes.n) g ON true
            JOIN content_items ci
              ON ci.connection_id = cn.id AND ci.platform_id = 'post-' || cn.id || '-' || (1 + g % 90)
            """,
        # a fifth of them become replies of an earlier comment on the same post
        """UPDATE comments r SET parent_id = p.id
            FROM comments p
            WHERE r.id % 5 = 0 AND p.id = r.id - 1 AND p.content_item_id = r.content_item_id AND p.id % 5 <> 0""",
    ]
    with app.app_context():
        for sql in steps:
            t = time.perf_counter()
            db.session.execute(text(sql), {"pw": pw} if ":pw" in sql else {})
            db.session.commit()
            print(f"  {sql.split()[0]} {sql.split()[2]}: {time.perf_counter() - t:.1f}s")
        db.session.remove()
        # what autovacuum does on a live database: statistics and the visibility map (index-only counts)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE comments"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--url", default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    ap.add_argument("--name", default="bench_inbox")
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
    instance = tempfile.mkdtemp(prefix="bench-inbox-")
    app = None
    try:
        db_url = admin_url(server, args.name) if args.reuse else create_database(server, args.name)
        # started here, not lazily by the app's first Redis use: stopped in ``finally``
        app = make_app(db_url, instance, REDIS_URL=start_embedded(instance))
        if not args.reuse:
            from flask_migrate import upgrade

            with app.app_context():
                upgrade()
            t = time.perf_counter()
            generate(app, big=args.comments, others=args.others)
            print(f"generated in {time.perf_counter() - t:.1f}s")
        with app.app_context():
            from app.extensions import db

            big = db.session.execute(
                text("SELECT count(*) FROM comments WHERE client_id = (SELECT min(id) FROM clients)")
            ).scalar()
            print(f"the big client has {big:,} comments")
        client = app.test_client()
        client.post("/login", data={"email": "client0@bench.local", "password": PASSWORD})
        statements: list[str] = []
        with app.app_context():
            from app.extensions import db

            event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        first = client.get("/api/portal/social/comments?limit=50").get_json()
        cases = [
            ("list newest (50)", "/api/portal/social/comments"),
            ("unanswered", "/api/portal/social/comments?state=unanswered"),
            ("one platform, oldest", "/api/portal/social/comments?platform=youtube&sort=oldest"),
            ("most liked", "/api/portal/social/comments?sort=most_liked"),
            ("unanswered first", "/api/portal/social/comments?sort=unanswered"),
            ("search text ('jacket')", "/api/portal/social/comments?q=jacket"),
            ("search author ('fan_42')", "/api/portal/social/comments?q=fan_42"),
            (
                "date range (one day)",
                "/api/portal/social/comments?from=" + time.strftime("%Y-%m-%d") + "&to=" + time.strftime("%Y-%m-%d"),
            ),
            ("page 2", f"/api/portal/social/comments?cursor={first['next_cursor']}"),
            ("HTMX inbox list", "/portal/inbox"),
        ]
        print("\n| case | p50 ms | p95 ms | max ms | queries |\n|---|---|---|---|---|")
        for name, url in cases:
            times = []
            headers = {"HX-Request": "true"} if url.startswith("/portal") else {}
            before = len(statements)
            for _ in range(args.runs):
                t = time.perf_counter()
                resp = client.get(url, headers=headers)
                times.append((time.perf_counter() - t) * 1000)
                assert resp.status_code == 200, (url, resp.status_code)
            q = (len(statements) - before) / args.runs
            ordered = sorted(times)
            p95 = ordered[max(0, int(round(0.95 * len(ordered))) - 1)]
            print(f"| {name} | {statistics.median(times):.1f} | {p95:.1f} | {max(times):.1f} | {q:.0f} |")
    finally:
        clean_up(app, instance, server, None if args.keep else args.name)


if __name__ == "__main__":
    main()
