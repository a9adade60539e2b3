"""portfolio daily totals: per day and platform, the sum and count of live connections' snapshots,
kept by triggers on daily_snapshots and connections (PostgreSQL and SQLite)

Revision ID: 0009_portfolio_totals
Revises: 0008_perf
Create Date: 2026-11-21 22:40:00.000000

The triggers keep ``portfolio_daily_totals`` equal to

    SELECT s.day, c.platform, s.connection_id % 8 AS slot, sum(s.followers), count(*)
    FROM daily_snapshots s JOIN connections c ON c.id = s.connection_id
    WHERE c.disconnected_at IS NULL GROUP BY 1, 2, 3

(``app.stats.totals`` holds the same statement to check and rebuild it). Snapshots add or remove
themselves when their connection is live (PostgreSQL: once per statement, from its transition tables,
grouped; SQLite: per row); a connection that stops or starts being live (disconnected,
reconnected, deleted, or its platform changed) removes or adds all of its snapshots at once. A
connection's delete subtracts its snapshots *before* the row goes; the snapshots' own delete triggers,
fired by the cascade afterwards, no longer find a live connection and add nothing.

Concurrency (PostgreSQL): a change locks the totals rows it adds to until its transaction ends. The
``slot`` (``connection_id % 8``) spreads concurrent syncs of one platform and day over eight rows, and
every writer takes its rows newest day first (a sync writes today, then its backfill downwards; a
connection's whole history is added ``ORDER BY day DESC``), so two writers cannot wait on each other
in a cycle.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_portfolio_totals'
down_revision = '0008_perf'
branch_labels = None
depends_on = None

SLOTS = 8
UPSERT = ("ON CONFLICT (day, platform, slot) DO UPDATE SET "
          "followers = portfolio_daily_totals.followers + excluded.followers, "
          "snapshots = portfolio_daily_totals.snapshots + excluded.snapshots")
COLS = "INSERT INTO portfolio_daily_totals (day, platform, slot, followers, snapshots)"


def _snapshot_sql(row: str, sign: str) -> str:
    """Add (sign '') or remove (sign '-') one snapshot row (NEW or OLD) when its connection is live."""
    return (f"{COLS} SELECT {row}.day, c.platform, {row}.connection_id % {SLOTS}, {sign}{row}.followers, {sign}1 "
            f"FROM connections c WHERE c.id = {row}.connection_id AND c.disconnected_at IS NULL {UPSERT}")


def _connection_sql(row: str, sign: str) -> str:
    """Add or remove every snapshot of connection ``row`` (NEW or OLD) when that row is live."""
    return (f"{COLS} SELECT s.day, {row}.platform, {row}.id % {SLOTS}, {sign}sum(s.followers), {sign}count(*) "
            f"FROM daily_snapshots s WHERE s.connection_id = {row}.id AND {row}.disconnected_at IS NULL "
            f"GROUP BY s.day ORDER BY s.day DESC {UPSERT}")


SNAPSHOT_CHANGED = ("OLD.followers IS DISTINCT FROM NEW.followers OR OLD.day IS DISTINCT FROM NEW.day "
                    "OR OLD.connection_id IS DISTINCT FROM NEW.connection_id")
CONNECTION_CHANGED = ("(OLD.disconnected_at IS NULL) IS DISTINCT FROM (NEW.disconnected_at IS NULL) "
                      "OR OLD.platform IS DISTINCT FROM NEW.platform")



def _statement_sql(rows: str) -> str:
    """PostgreSQL, once per statement: add the net change of the (day, connection, followers, n) rows
    of ``rows`` grouped by key; keys whose net change is zero are left alone (not even locked)."""
    return (f"{COLS} SELECT d.day, c.platform, d.connection_id % {SLOTS}, sum(d.followers), sum(d.n) "
            f"FROM ({rows}) d JOIN connections c ON c.id = d.connection_id WHERE c.disconnected_at IS NULL "
            f"GROUP BY d.day, c.platform, d.connection_id % {SLOTS} "
            f"HAVING sum(d.followers) <> 0 OR sum(d.n) <> 0 ORDER BY d.day DESC {UPSERT}")


ADDED = "SELECT day, connection_id, followers, 1 AS n FROM added"
REMOVED = "SELECT day, connection_id, -followers AS followers, -1 AS n FROM removed"

# PostgreSQL: statement-level triggers with transition tables for the snapshots (a backfill's upsert
# of hundreds of days is one grouped statement, not hundreds of trigger calls); row-level ones for the
# rare connection changes.
POSTGRESQL = [
    f"""CREATE FUNCTION portfolio_totals_snapshots_added() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_statement_sql(ADDED)}; RETURN NULL; END $$""",
    f"""CREATE FUNCTION portfolio_totals_snapshots_removed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_statement_sql(REMOVED)}; RETURN NULL; END $$""",
    f"""CREATE FUNCTION portfolio_totals_snapshots_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_statement_sql(ADDED + " UNION ALL " + REMOVED)}; RETURN NULL; END $$""",
    """CREATE TRIGGER portfolio_totals_snapshot_insert AFTER INSERT ON daily_snapshots
       REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION portfolio_totals_snapshots_added()""",
    """CREATE TRIGGER portfolio_totals_snapshot_delete AFTER DELETE ON daily_snapshots
       REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION portfolio_totals_snapshots_removed()""",
    """CREATE TRIGGER portfolio_totals_snapshot_update AFTER UPDATE ON daily_snapshots
       REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT
       EXECUTE FUNCTION portfolio_totals_snapshots_changed()""",
    f"""CREATE FUNCTION portfolio_totals_connection() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      {_connection_sql('OLD', '-')};
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      {_connection_sql('NEW', '')};
      RETURN NEW;
    END $$""",
    f"""CREATE TRIGGER portfolio_totals_connection_update AFTER UPDATE OF disconnected_at, platform
       ON connections FOR EACH ROW WHEN ({CONNECTION_CHANGED}) EXECUTE FUNCTION portfolio_totals_connection()""",
    """CREATE TRIGGER portfolio_totals_connection_delete BEFORE DELETE ON connections
       FOR EACH ROW EXECUTE FUNCTION portfolio_totals_connection()""",
]

# SQLite: an upsert's SELECT needs its WHERE clause (it has one) to parse; IS NOT is IS DISTINCT FROM.
SQLITE = [
    f"""CREATE TRIGGER portfolio_totals_snapshot_insert AFTER INSERT ON daily_snapshots
        BEGIN {_snapshot_sql('NEW', '')}; END""",
    f"""CREATE TRIGGER portfolio_totals_snapshot_delete AFTER DELETE ON daily_snapshots
        BEGIN {_snapshot_sql('OLD', '-')}; END""",
    f"""CREATE TRIGGER portfolio_totals_snapshot_update AFTER UPDATE OF followers, day, connection_id
        ON daily_snapshots WHEN {SNAPSHOT_CHANGED.replace('IS DISTINCT FROM', 'IS NOT')}
        BEGIN {_snapshot_sql('OLD', '-')}; {_snapshot_sql('NEW', '')}; END""",
    f"""CREATE TRIGGER portfolio_totals_connection_update AFTER UPDATE OF disconnected_at, platform ON connections
        WHEN {CONNECTION_CHANGED.replace('IS DISTINCT FROM', 'IS NOT')}
        BEGIN {_connection_sql('OLD', '-')}; {_connection_sql('NEW', '')}; END""",
    f"""CREATE TRIGGER portfolio_totals_connection_delete BEFORE DELETE ON connections
        BEGIN {_connection_sql('OLD', '-')}; END""",
]

DROP_POSTGRESQL = [
    "DROP TRIGGER IF EXISTS portfolio_totals_connection_delete ON connections",
    "DROP TRIGGER IF EXISTS portfolio_totals_connection_update ON connections",
    "DROP TRIGGER IF EXISTS portfolio_totals_snapshot_update ON daily_snapshots",
    "DROP TRIGGER IF EXISTS portfolio_totals_snapshot_delete ON daily_snapshots",
    "DROP TRIGGER IF EXISTS portfolio_totals_snapshot_insert ON daily_snapshots",
    "DROP FUNCTION IF EXISTS portfolio_totals_connection()",
    "DROP FUNCTION IF EXISTS portfolio_totals_snapshots_changed()",
    "DROP FUNCTION IF EXISTS portfolio_totals_snapshots_removed()",
    "DROP FUNCTION IF EXISTS portfolio_totals_snapshots_added()",
]
DROP_SQLITE = [f"DROP TRIGGER IF EXISTS {name}" for name in (
    "portfolio_totals_connection_delete", "portfolio_totals_connection_update", "portfolio_totals_snapshot_update",
    "portfolio_totals_snapshot_delete", "portfolio_totals_snapshot_insert")]


def upgrade():
    op.create_table('portfolio_daily_totals',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('slot', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('followers', sa.BigInteger(), nullable=False),
    sa.Column('snapshots', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'platform', 'slot', name=op.f('pk_portfolio_daily_totals'))
    )
    op.execute(f"{COLS} SELECT s.day, c.platform, s.connection_id % {SLOTS}, sum(s.followers), count(*) "
               "FROM daily_snapshots s JOIN connections c ON c.id = s.connection_id "
               "WHERE c.disconnected_at IS NULL GROUP BY s.day, c.platform, s.connection_id % " + str(SLOTS))
    for stmt in (POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE):
        op.execute(stmt)


def downgrade():
    for stmt in (DROP_POSTGRESQL if op.get_bind().dialect.name == "postgresql" else DROP_SQLITE):
        op.execute(stmt)
    op.drop_table('portfolio_daily_totals')
