"""per-fan summaries of the comments (fans pages' cold reads; docs/fans.md, "Speed")

Revision ID: 0029_fan_summary
Revises: 0028_report_downloads
Create Date: 2026-12-02 00:00:00.000000

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0029_fan_summary"
down_revision = "0028_report_downloads"
branch_labels = None
depends_on = None

_FANS = "NOT from_owner AND deleted_at_platform IS NULL AND author_platform_id IS NOT NULL"
_DAY = {
    "postgresql": "date_trunc('day', published_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'",
    "sqlite": "date(published_at) || ' 00:00:00.000000'",
}


def upgrade():
    op.create_table(
        "fan_summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("author_platform_id", sa.String(length=128), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comments", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_fan_summaries_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_fan_summaries_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fan_summaries")),
        sa.UniqueConstraint("connection_id", "author_platform_id", name="uq_fan_summaries_author"),
    )
    op.create_index(
        "ix_fan_summaries_first", "fan_summaries", ["client_id", "first_seen"], postgresql_include=["platform"]
    )
    op.create_table(
        "fan_days",
        sa.Column("fan_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("comments", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_fan_days_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"], ["fan_summaries.id"], name=op.f("fk_fan_days_fan_id_fan_summaries"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("fan_id", "day", name=op.f("pk_fan_days")),
    )
    op.create_index(
        "ix_fan_days_client_day",
        "fan_days",
        ["client_id", "day"],
        postgresql_include=["fan_id", "platform", "comments", "last_at"],
    )
    # the comments already held: the same rows the comment sync writes (app/sync/fan_summary.py)
    cday = _DAY[op.get_bind().dialect.name].replace("published_at", "c.published_at")
    op.execute(
        f"""INSERT INTO fan_summaries (client_id, connection_id, platform, author_platform_id, first_seen, last_seen,
                                       comments)
            SELECT min(client_id), connection_id, min(platform), author_platform_id, min(published_at),
                   max(published_at), count(*)
            FROM comments WHERE {_FANS} GROUP BY connection_id, author_platform_id"""
    )
    op.execute(
        f"""INSERT INTO fan_days (fan_id, day, client_id, platform, comments, last_at)
            SELECT f.id, {cday}, min(c.client_id), min(c.platform), count(*), max(c.published_at)
            FROM comments c JOIN fan_summaries f
              ON f.connection_id = c.connection_id AND f.author_platform_id = c.author_platform_id
            WHERE {
            _FANS.replace("from_owner", "c.from_owner")
            .replace("deleted_at_platform", "c.deleted_at_platform")
            .replace("author_platform_id IS", "c.author_platform_id IS")
        }
            GROUP BY f.id, {cday}"""
    )


def downgrade():
    op.drop_index("ix_fan_days_client_day", table_name="fan_days")
    op.drop_table("fan_days")
    op.drop_index("ix_fan_summaries_first", table_name="fan_summaries")
    op.drop_table("fan_summaries")
