"""daily snapshots keep the day's first measured follower count (opening_followers), so a threshold
crossed between two syncs of one day is seen even when the day before is backfilled

Revision ID: 0010_opening_followers
Revises: 0009_portfolio_totals
Create Date: 2026-12-01 13:20:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010_opening_followers'
down_revision = '0009_portfolio_totals'
branch_labels = None
depends_on = None


def upgrade():
    # a plain ADD COLUMN (no batch copy): a recreated table would lose the portfolio-totals triggers
    op.add_column('daily_snapshots', sa.Column('opening_followers', sa.BigInteger(), nullable=True))


def downgrade():
    # ALTER TABLE ... DROP COLUMN on both dialects (SQLite >= 3.35), again keeping the triggers
    op.execute('ALTER TABLE daily_snapshots DROP COLUMN opening_followers')
