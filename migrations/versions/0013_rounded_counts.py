"""daily snapshots keep what a platform reported beside the level the app derives from it: YouTube
rounds subscriber counts down to three significant figures, so the stored ``followers`` is the level
reconciled with the exact daily gains and losses (YouTube Analytics), ``reported_followers`` the rounded
count, ``followers_low``/``followers_high`` the bounds of the true level (NULL when it is exact) and
``linked_since`` the first day of the run of exactly known daily changes that ends on the row's day

Revision ID: 0013_rounded_counts
Revises: 0012_report_files
Create Date: 2026-12-01 16:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013_rounded_counts'
down_revision = '0012_report_files'
branch_labels = None
depends_on = None

COLUMNS = ('reported_followers', 'followers_low', 'followers_high')


def upgrade():
    # plain ADD COLUMNs (no batch copy): a recreated table would lose the portfolio-totals triggers
    for name in COLUMNS:
        op.add_column('daily_snapshots', sa.Column(name, sa.BigInteger(), nullable=True))
    op.add_column('daily_snapshots', sa.Column('linked_since', sa.Date(), nullable=True))


def downgrade():
    for name in (*COLUMNS, 'linked_since'):
        op.execute(f'ALTER TABLE daily_snapshots DROP COLUMN {name}')
