"""fan day rows carry the fan's previous day, comments from that day on and latest comment (a period's fans
without summing); fans per client, day, platform and previous day (the community line without counting every
fan; docs/fans.md, "Speed")

Revision ID: 0030_fansweek
Revises: 0030_smalls (chained after main's 0030_smalls at merge; written against 0029_fan_summary)
Create Date: 2026-12-02 03:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0030_fansweek"
down_revision = "0030_smalls"
branch_labels = None
depends_on = None

_FANS = "NOT c.from_owner AND c.deleted_at_platform IS NULL AND c.author_platform_id IS NOT NULL"
_DAY = {
    "postgresql": "date_trunc('day', c.published_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'",
    "sqlite": "date(c.published_at) || ' 00:00:00.000000'",
}
#: ``prev_day`` of a fan's first day (app/models/fan_summary.py, ``NO_PREVIOUS``)
_NO_PREVIOUS = {"postgresql": "TIMESTAMPTZ '1970-01-01 00:00:00+00'", "sqlite": "'1970-01-01 00:00:00.000000'"}
_BASE = ["fan_id", "day", "client_id", "platform", "comments", "last_at"]
_ADDED = ["prev_day", "onward", "fan_last_at"]


def _create(added: bool) -> None:
    extra = (
        [
            sa.Column("prev_day", sa.DateTime(timezone=True), nullable=False),
            sa.Column("onward", sa.Integer(), nullable=False),
            sa.Column("fan_last_at", sa.DateTime(timezone=True), nullable=False),
        ]
        if added
        else []
    )
    op.create_table(
        "fan_days",
        sa.Column("fan_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("comments", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        *extra,
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_fan_days_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"], ["fan_summaries.id"], name=op.f("fk_fan_days_fan_id_fan_summaries"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("fan_id", "day", name=op.f("pk_fan_days")),
    )
    # the comments already held, grouped per fan per UTC day as the comment sync writes them
    dialect = op.get_bind().dialect.name
    days = f"""SELECT f.id AS fan_id, {_DAY[dialect]} AS day, min(c.client_id) AS client_id,
                      min(c.platform) AS platform, count(*) AS comments, max(c.published_at) AS last_at
               FROM comments c JOIN fan_summaries f
                 ON f.connection_id = c.connection_id AND f.author_platform_id = c.author_platform_id
               WHERE {_FANS}
               GROUP BY f.id, {_DAY[dialect]}"""
    if added:
        op.execute(
            f"""INSERT INTO fan_days ({", ".join(_BASE + _ADDED)})
                SELECT {", ".join(_BASE)},
                       coalesce(lag(day) OVER (PARTITION BY fan_id ORDER BY day), {_NO_PREVIOUS[dialect]}),
                       sum(comments) OVER (PARTITION BY fan_id ORDER BY day DESC
                                           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
                       max(last_at) OVER (PARTITION BY fan_id)
                FROM ({days}) d"""
        )
    else:
        op.execute(f"INSERT INTO fan_days ({', '.join(_BASE)}) {days}")
    if not added:  # as 0029 made it
        op.create_index(
            "ix_fan_days_client_day",
            "fan_days",
            ["client_id", "day"],
            postgresql_include=["fan_id", "platform", "comments", "last_at"],
        )
        return
    op.create_index(
        "ix_fan_days_client_day",
        "fan_days",
        ["client_id", "platform", "day"],
        postgresql_include=["fan_id", "comments", "last_at", *_ADDED],
    )
    op.create_index(
        "ix_fan_days_client_rank",
        "fan_days",
        ["client_id", "platform", "onward", "fan_last_at", "fan_id"],
        postgresql_include=["day", "prev_day"],
    )


def _drop(added: bool) -> None:
    if added:
        op.drop_index("ix_fan_days_client_rank", table_name="fan_days")
    op.drop_index("ix_fan_days_client_day", table_name="fan_days")
    op.drop_table("fan_days")


def upgrade():
    # fan_days restates the comments: written again whole with the new columns
    _drop(added=False)
    _create(added=True)
    op.create_table(
        "fan_day_counts",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.DateTime(timezone=True), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("prev_day", sa.DateTime(timezone=True), nullable=False),
        sa.Column("onward", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("fans", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_fan_day_counts_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_fan_day_counts_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "client_id", "day", "connection_id", "prev_day", "onward", name=op.f("pk_fan_day_counts")
        ),
    )
    op.execute(
        """INSERT INTO fan_day_counts (client_id, day, connection_id, prev_day, onward, platform, fans)
           SELECT d.client_id, d.day, f.connection_id, d.prev_day, d.onward, min(d.platform), count(*)
           FROM fan_days d JOIN fan_summaries f ON f.id = d.fan_id
           GROUP BY d.client_id, d.day, f.connection_id, d.prev_day, d.onward"""
    )
    op.create_index(
        "ix_fan_day_counts_prev",
        "fan_day_counts",
        ["client_id", "prev_day", "day"],
        postgresql_include=["platform", "fans"],
    )


def downgrade():
    op.drop_index("ix_fan_day_counts_prev", table_name="fan_day_counts")
    op.drop_table("fan_day_counts")
    _drop(added=True)
    _create(added=False)
