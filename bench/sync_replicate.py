"""Many connections a day after their initial sync, made from a few that were connected and synced for real.

``bench/sync.py --replicate-from K`` connects K connections through the product's OAuth round trip and runs
their initial syncs (as a plain run does), then calls :func:`replicate` to make the other N - K. Which K
(:func:`plan`): a plain run's client ``i`` is on entry ``i % P`` of the mix with ``1000 + 37 i`` followers,
and what a daily sync does grows with the followers (more comments to read on bigger accounts), so the
templates are the clients of a plain run of N spread evenly over each entry's rows, and replica ``j``
copies the template of its entry nearest in rank (the followers of N connections, in K steps):

- in the sandbox, ``POST /_sandbox/replicas`` copies the template's account (follower history, posts and
  their numbers, tokens in force) under its own ids and answers the renamed post ids and token values;
- in PostgreSQL, in the same batch, the app's rows about the template are copied onto a new user, client
  and connection, renamed with those maps: the connection (its tokens decrypted and encrypted again for the
  new row, as the keyring binds a ciphertext to its row), its sync runs, daily snapshots, account insights,
  audience snapshots, posts with their metric snapshots and video analytics, and the portfolio state.

Not copied: raw platform answers (written by a sync, never read by one; purged after 30 days), and
anything the bench's connections do not have (comments, fans, stories, alerts, reports): :func:`replicate`
stops with the tables if a template has rows in a table it does not copy, rather than make replicas
that would do less work than real connections. Redis holds nothing per connection that a daily sync reads
before it writes it (locks, budgets per platform app).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import requests

#: tables the copy writes (in order); keyed by connection, by client, or by post (``content_item_id``)
COPIED = (
    "users",
    "clients",
    "connections",
    "sync_runs",
    "daily_snapshots",
    "account_insights",
    "audience_snapshots",
    "content_items",
    "content_metric_snapshots",
    "video_analytics",
    "portfolio_connection_state",
)
#: written by syncs, read by none (``app/jobs/sync.py`` purges them); or filled by triggers on the copies
NOT_NEEDED = ("raw_responses", "portfolio_daily_totals")
BATCH = 1000


def _columns(cur: Any, table: str) -> list[str]:
    cur.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s "
        "ORDER BY ordinal_position",
        (table,),
    )
    return [r[0] for r in cur.fetchall()]


#: seconds and rows per table over the whole replication (printed at the end)
SPENT: dict[str, list[float]] = {}


def _copy(cur: Any, table: str, source: str, alias: str, overrides: dict[str, str]) -> int:
    """``INSERT INTO table (every column but a serial id) SELECT`` the template row's values, or the
    ``overrides`` expressions, ``FROM source``; returns the rows written."""
    cols = [c for c in _columns(cur, table) if c != "id" or "id" in overrides]
    values = ", ".join(overrides.get(c, f"{alias}.{c}") for c in cols)
    quoted = ", ".join(f'"{c}"' for c in cols)
    t0 = time.monotonic()
    cur.execute(f"INSERT INTO {table} ({quoted}) SELECT {values} FROM {source}")  # noqa: S608 - our own names
    spent = SPENT.setdefault(table, [0.0, 0.0])
    spent[0] += time.monotonic() - t0
    spent[1] += cur.rowcount
    return int(cur.rowcount)


def check_tables(cur: Any, templates: list[int]) -> None:
    """Stop if a template has rows in a table that is not copied (the replicas would do less work)."""
    cur.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
        "AND column_name IN ('connection_id', 'client_id', 'content_item_id')"
    )
    missing = []
    for table, column in cur.fetchall():
        if table in COPIED or table in NOT_NEEDED:
            continue
        if column == "connection_id":
            where = "connection_id = ANY(%s)"
        elif column == "client_id":
            where = "client_id IN (SELECT client_id FROM connections WHERE id = ANY(%s))"
        else:
            where = "content_item_id IN (SELECT id FROM content_items WHERE connection_id = ANY(%s))"
        cur.execute(f'SELECT count(*) FROM "{table}" WHERE {where}', (templates,))  # noqa: S608
        n = cur.fetchone()[0]
        if n:
            missing.append(f"{table} ({n} rows)")
    if missing:
        raise SystemExit(f"--replicate-from: the templates have rows the copy does not make: {', '.join(missing)}")


def plan(n: int, k: int, entries: int) -> tuple[list[int], dict[int, int]]:
    """(the K clients of a plain run of ``n`` to connect, in order; ``{client j: the client it copies}``
    for the others). ``k`` is a multiple of ``entries``, below ``n``."""
    per_entry = k // entries
    rows = -(-n // entries)  # rows of the plain run; the last may be short
    chosen = []
    for m in range(per_entry):
        row = round(m * (rows - 1) / max(per_entry - 1, 1))
        for e in range(entries):
            i = row * entries + e
            while i >= n:  # the last row is short: the one above
                i -= entries
            chosen.append(i)
    if len(set(chosen)) != k:
        raise SystemExit(f"--replicate-from {k}: too many templates for {n} connections; give fewer")
    picked = set(chosen)
    template_of = {}
    for j in range(n):
        if j in picked:
            continue
        m = round((j // entries) * (per_entry - 1) / max(rows - 1, 1))
        template_of[j] = chosen[m * entries + j % entries]
    return chosen, template_of


def _batches(items: list[int]) -> Iterator[list[int]]:
    for first in range(0, len(items), BATCH):
        yield items[first : first + BATCH]


def replicate(
    sandbox: str, conn_of: dict[int, int], accounts: dict[int, str], template_of: dict[int, int]
) -> dict[str, float]:
    """Make client ``j``'s connection for each ``j`` of ``template_of`` (``plan``), a copy of that of client
    ``template_of[j]`` (``conn_of``: the templates' connection ids by client; ``accounts``: their sandbox
    account ids by connection). Needs an app context (the keyring). Returns timings and row counts."""
    from app.extensions import db
    from app.security.crypto import aad_for
    from app.services.tokens import TABLE, keyring

    templates = list(conn_of.values())
    ring = keyring()
    http = requests.Session()
    raw = db.engine.raw_connection()
    stats: dict[str, float] = {"sandbox_s": 0.0, "db_s": 0.0}
    try:
        pg = raw.driver_connection
        with pg.cursor() as cur:
            check_tables(cur, templates)
            cur.execute(
                "SELECT c.id, c.client_id, c.access_token_enc, c.refresh_token_enc FROM connections c "
                "WHERE c.id = ANY(%s)",
                (templates,),
            )
            plain: dict[int, tuple[int, str | None, str | None]] = {}
            for cid, client_id, acc_enc, ref_enc in cur.fetchall():
                plain[cid] = (
                    client_id,
                    ring.decrypt(acc_enc, aad_for(TABLE, cid, "access_token_enc")) if acc_enc else None,
                    ring.decrypt(ref_enc, aad_for(TABLE, cid, "refresh_token_enc")) if ref_enc else None,
                )
        pg.commit()
        started = time.monotonic()
        done = 0
        for batch in _batches(sorted(template_of)):
            t0 = time.monotonic()
            answer = http.post(
                f"{sandbox}/_sandbox/replicas",
                json={"replicas": [{"of": accounts[conn_of[template_of[j]]], "username": f"bench{j}"} for j in batch]},
                timeout=600,
            )
            if answer.status_code != 201:
                raise SystemExit(f"POST /_sandbox/replicas -> {answer.status_code}: {answer.text[:500]}")
            reps = answer.json()["replicas"]
            t1 = time.monotonic()
            _copy_batch(pg, ring, [(j, template_of[j], conn_of[template_of[j]]) for j in batch], plain, reps, stats)
            stats["sandbox_s"] += t1 - t0
            stats["db_s"] += time.monotonic() - t1
            done += len(batch)
            print(f"  replicated {done}/{len(template_of)} ({time.monotonic() - started:.0f} s)", flush=True)
        t0 = time.monotonic()
        with pg.cursor() as cur:
            for table in COPIED:
                cur.execute(f"ANALYZE {table}")
        pg.commit()
        SPENT["(analyze)"] = [time.monotonic() - t0, 0]
        print(
            "  where the time went: "
            + ", ".join(f"{t} {s:.1f} s ({int(n)} rows)" for t, (s, n) in sorted(SPENT.items(), key=lambda x: -x[1][0]))
        )
    finally:
        raw.close()
    return stats


def _copy_batch(
    pg: Any,
    ring: Any,
    batch: list[tuple[int, int, int]],
    plain: dict[int, tuple[int, str | None, str | None]],
    reps: list[dict[str, Any]],
    stats: dict[str, float],
) -> None:
    from app.security.crypto import aad_for
    from app.services.tokens import TABLE

    m = len(batch)
    with pg.cursor() as cur:

        def ids(seq: str) -> list[int]:
            cur.execute(f"SELECT nextval('{seq}') FROM generate_series(1, %s)", (m,))
            return [r[0] for r in cur.fetchall()]

        users, clients, conns = ids("users_id_seq"), ids("clients_id_seq"), ids("connections_id_seq")
        cur.execute(
            "CREATE TEMP TABLE rep (j int, ti int, tconn int, tclient int, nconn int, nclient int, nuser int, "
            "username text, puid text, scoped text, access_enc text, refresh_enc text) ON COMMIT DROP"
        )
        cur.execute("CREATE TEMP TABLE rep_posts (tconn int, nconn int, old text, new text) ON COMMIT DROP")
        with cur.copy("COPY rep FROM STDIN") as cp:
            for i, ((j, ti, tconn), rep) in enumerate(zip(batch, reps, strict=True)):
                tclient, access, refresh = plain[tconn]
                cid = conns[i]
                acc_enc = (
                    ring.encrypt(rep["tokens"][access], aad_for(TABLE, cid, "access_token_enc")) if access else None
                )
                ref_enc = (
                    ring.encrypt(rep["tokens"][refresh], aad_for(TABLE, cid, "refresh_token_enc")) if refresh else None
                )
                row = (j, ti, tconn, tclient, cid, clients[i], users[i], rep["username"], rep["platform_user_id"],
                       rep["scoped_id"], acc_enc, ref_enc)  # fmt: skip
                cp.write_row(row)
        with cur.copy("COPY rep_posts FROM STDIN") as cp:
            for i, ((_, _, tconn), rep) in enumerate(zip(batch, reps, strict=True)):
                for old, new in rep["posts"].items():
                    cp.write_row((tconn, conns[i], old, new))
        cur.execute("CREATE INDEX ON rep_posts (tconn, old)")
        cur.execute("ANALYZE rep")
        cur.execute("ANALYZE rep_posts")
        # the template's user, client and connection, renamed: ``bench<i>`` -> ``bench<j>`` and its ids
        _copy(
            cur,
            "users",
            "rep r JOIN clients tc ON tc.id = r.tclient JOIN users u ON u.id = tc.user_id",
            "u",
            {"id": "r.nuser", "email": "'client' || r.j || '@bench.example.com'", "name": "'Client ' || r.j"},
        )
        _copy(
            cur,
            "clients",
            "rep r JOIN clients c ON c.id = r.tclient",
            "c",
            {"id": "r.nclient", "user_id": "r.nuser", "display_name": "'Client ' || r.j"},
        )
        _copy(
            cur,
            "connections",
            "rep r JOIN connections c ON c.id = r.tconn",
            "c",
            {
                "id": "r.nconn",
                "client_id": "r.nclient",
                "platform_user_id": "CASE WHEN c.account_type = 'organization' "
                "THEN 'urn:li:organization:' || r.scoped ELSE r.puid END",
                "username": "CASE WHEN c.username IS NULL THEN NULL ELSE r.username END",
                "display_name": "regexp_replace(c.display_name, '^Bench' || r.ti || '\\M', 'Bench' || r.j)",
                "avatar_url": "replace(c.avatar_url, c.platform_user_id, r.puid)",
                "grantor_id": "CASE WHEN c.grantor_id IS NULL THEN NULL WHEN c.platform = 'facebook' THEN r.scoped "
                "ELSE c.grantor_id END",
                "access_token_enc": "r.access_enc",
                "refresh_token_enc": "r.refresh_enc",
            },
        )
        for table in ("sync_runs", "daily_snapshots", "account_insights", "audience_snapshots"):
            _copy(cur, table, f"rep r JOIN {table} x ON x.connection_id = r.tconn", "x", {"connection_id": "r.nconn"})
        posts = _copy(
            cur,
            "content_items",
            "rep_posts p JOIN content_items x ON x.connection_id = p.tconn AND x.platform_id = p.old",
            "x",
            {
                "connection_id": "p.nconn",
                "platform_id": "p.new",
                "permalink": "replace(x.permalink, p.old, p.new)",
                "thumbnail_url": "replace(x.thumbnail_url, p.old, p.new)",
            },
        )
        cur.execute(
            "SELECT count(*) FROM rep r JOIN content_items x ON x.connection_id = r.tconn "
            "WHERE NOT EXISTS (SELECT 1 FROM rep_posts p WHERE p.tconn = x.connection_id AND p.old = x.platform_id "
            "AND p.nconn = r.nconn)"
        )
        unmapped = cur.fetchone()[0]
        if unmapped:
            raise SystemExit(f"--replicate-from: {unmapped} stored posts have no renamed id in the sandbox's answer")
        by_post = (
            "rep_posts p JOIN content_items ti ON ti.connection_id = p.tconn AND ti.platform_id = p.old "
            "JOIN {table} x ON x.content_item_id = ti.id "
            "JOIN content_items ni ON ni.connection_id = p.nconn AND ni.platform_id = p.new"
        )
        for table in ("content_metric_snapshots", "video_analytics"):
            _copy(cur, table, by_post.format(table=table), "x", {"content_item_id": "ni.id"})
        state_cols = [c for c in _columns(cur, "portfolio_connection_state") if c != "connection_id"]
        cur.execute(
            f"UPDATE portfolio_connection_state s SET ({', '.join(state_cols)}) = "  # noqa: S608
            f"(SELECT {', '.join('t.' + c for c in state_cols)} FROM portfolio_connection_state t "
            "WHERE t.connection_id = r.tconn) FROM rep r WHERE s.connection_id = r.nconn"
        )
        stats["posts"] = stats.get("posts", 0) + posts
    pg.commit()
