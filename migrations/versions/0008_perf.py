"""portfolio speed: covering (day, connection_id) INCLUDE followers index on daily snapshots (replaces the
day-only index), published_at index on content items

Revision ID: 0008_perf
Revises: 0007_reports
Create Date: 2026-11-21 20:20:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008_perf'
down_revision = '0007_reports'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('daily_snapshots', schema=None) as batch_op:
        batch_op.create_index('ix_daily_snapshots_day_connection', ['day', 'connection_id'], unique=False,
                              postgresql_include=['followers'])
        batch_op.drop_index('ix_daily_snapshots_day')
    with op.batch_alter_table('content_items', schema=None) as batch_op:
        batch_op.create_index('ix_content_items_published', ['published_at'], unique=False)


def downgrade():
    with op.batch_alter_table('content_items', schema=None) as batch_op:
        batch_op.drop_index('ix_content_items_published')
    with op.batch_alter_table('daily_snapshots', schema=None) as batch_op:
        batch_op.create_index('ix_daily_snapshots_day', ['day'], unique=False)
        batch_op.drop_index('ix_daily_snapshots_day_connection')
