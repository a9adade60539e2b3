"""portfolio connection state: per connection, followers at the portfolio's anchor days and the 30-day
engagement inputs, prepared; triggers mark a row stale on every write of its history

Revision ID: 0030_portfolio
Revises: 0030_fansweek (re-chained after main landed 0030_smalls and 0030_fansweek; the brief asked for 0029_fan_summary)
Create Date: 2026-12-02 03:00:00.000000

``portfolio_connection_state`` has one row per connection (created by a trigger on ``connections``,
removed with it). Its values (``f0`` ... ``f366``, ``eng_sum``, ``eng_posts``) are written by
``app.stats.portfolio_state.refresh``, never by a trigger; the triggers here only bump ``version`` in
the writer's transaction whenever the connection's snapshots or posts are inserted, updated or deleted
(PostgreSQL: once per statement, from its transition tables; SQLite: per row), or its platform changes
(the interactions counted depend on it). A row is fresh when ``fresh_version = version`` and ``as_of``
is the day asked for; readers compute stale rows from the history (docs/metrics.md, "Portfolio").

No foreign key: a connection's delete removes its row from a trigger, and the cascade deleting its
snapshots afterwards then bumps nothing.
"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0030_portfolio"
down_revision = "0030_fansweek"
branch_labels = None
depends_on = None

TABLE = "portfolio_connection_state"
BUMP = f"UPDATE {TABLE} SET version = version + 1 WHERE connection_id"


POSTGRESQL = [
    f"""CREATE FUNCTION portfolio_state_bump_added() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {BUMP} IN (SELECT DISTINCT connection_id FROM added); RETURN NULL; END $$""",
    f"""CREATE FUNCTION portfolio_state_bump_removed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {BUMP} IN (SELECT DISTINCT connection_id FROM removed); RETURN NULL; END $$""",
    f"""CREATE FUNCTION portfolio_state_bump_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {BUMP} IN (SELECT connection_id FROM added UNION SELECT connection_id FROM removed);
    RETURN NULL; END $$""",
    f"""CREATE FUNCTION portfolio_state_connection() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO {TABLE} (connection_id, version, eng_posts) VALUES (NEW.id, 0, 0)
        ON CONFLICT (connection_id) DO UPDATE SET version = {TABLE}.version + 1;
        RETURN NEW;
      ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM {TABLE} WHERE connection_id = OLD.id;
        RETURN OLD;
      END IF;
      {BUMP} = NEW.id;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER portfolio_state_connection_insert AFTER INSERT ON connections
       FOR EACH ROW EXECUTE FUNCTION portfolio_state_connection()""",
    """CREATE TRIGGER portfolio_state_connection_delete AFTER DELETE ON connections
       FOR EACH ROW EXECUTE FUNCTION portfolio_state_connection()""",
    """CREATE TRIGGER portfolio_state_connection_update AFTER UPDATE OF platform ON connections
       FOR EACH ROW WHEN (OLD.platform IS DISTINCT FROM NEW.platform) EXECUTE FUNCTION portfolio_state_connection()""",
]
for _table in ("daily_snapshots", "content_items"):
    _short = "snapshot" if _table == "daily_snapshots" else "post"
    POSTGRESQL += [
        f"""CREATE TRIGGER portfolio_state_{_short}_insert AFTER INSERT ON {_table}
           REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION portfolio_state_bump_added()""",
        f"""CREATE TRIGGER portfolio_state_{_short}_delete AFTER DELETE ON {_table}
           REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION portfolio_state_bump_removed()""",
        f"""CREATE TRIGGER portfolio_state_{_short}_update AFTER UPDATE ON {_table}
           REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT
           EXECUTE FUNCTION portfolio_state_bump_changed()""",
    ]

SQLITE = [
    f"""CREATE TRIGGER portfolio_state_connection_insert AFTER INSERT ON connections BEGIN
        INSERT INTO {TABLE} (connection_id, version, eng_posts) VALUES (NEW.id, 0, 0)
        ON CONFLICT (connection_id) DO UPDATE SET version = version + 1; END""",
    f"""CREATE TRIGGER portfolio_state_connection_delete AFTER DELETE ON connections BEGIN
        DELETE FROM {TABLE} WHERE connection_id = OLD.id; END""",
    f"""CREATE TRIGGER portfolio_state_connection_update AFTER UPDATE OF platform ON connections
        WHEN OLD.platform IS NOT NEW.platform BEGIN {BUMP} = NEW.id; END""",
]
for _table in ("daily_snapshots", "content_items"):
    _short = "snapshot" if _table == "daily_snapshots" else "post"
    SQLITE += [
        f"""CREATE TRIGGER portfolio_state_{_short}_insert AFTER INSERT ON {_table}
            BEGIN {BUMP} = NEW.connection_id; END""",
        f"""CREATE TRIGGER portfolio_state_{_short}_delete AFTER DELETE ON {_table}
            BEGIN {BUMP} = OLD.connection_id; END""",
        f"""CREATE TRIGGER portfolio_state_{_short}_update AFTER UPDATE ON {_table}
            BEGIN {BUMP} = OLD.connection_id; {BUMP} = NEW.connection_id AND NEW.connection_id <> OLD.connection_id;
            END""",
    ]

TRIGGERS = [
    ("portfolio_state_connection_insert", "connections"),
    ("portfolio_state_connection_delete", "connections"),
    ("portfolio_state_connection_update", "connections"),
    *[
        (f"portfolio_state_{s}_{op_}", t)
        for s, t in (("snapshot", "daily_snapshots"), ("post", "content_items"))
        for op_ in ("insert", "delete", "update")
    ],
]
FUNCTIONS = [
    "portfolio_state_bump_added",
    "portfolio_state_bump_removed",
    "portfolio_state_bump_changed",
    "portfolio_state_connection",
]


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("connection_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("fresh_version", sa.BigInteger(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("f0", sa.BigInteger(), nullable=True),
        sa.Column("f7", sa.BigInteger(), nullable=True),
        sa.Column("f14", sa.BigInteger(), nullable=True),
        sa.Column("f30", sa.BigInteger(), nullable=True),
        sa.Column("f35", sa.BigInteger(), nullable=True),
        sa.Column("f90", sa.BigInteger(), nullable=True),
        sa.Column("f366", sa.BigInteger(), nullable=True),
        sa.Column("eng_sum", sa.Float(), nullable=True),
        sa.Column("eng_posts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("connection_id", name=op.f("pk_portfolio_connection_state")),
    )
    # every existing connection gets its (stale) row; the first refresh fills it
    op.execute(f"INSERT INTO {TABLE} (connection_id, version, eng_posts) SELECT id, 0, 0 FROM connections")
    for stmt in POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(stmt)


def downgrade():
    for name, table in TRIGGERS:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    if op.get_bind().dialect.name == "postgresql":
        for fn in FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {fn}()")
    op.drop_table(TABLE)
