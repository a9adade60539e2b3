"""facebook pages: connections.grantor_id, the Facebook user who granted a Page connection

Revision ID: 0025_facebook
Revises: 0022_fans
Create Date: 2026-12-01 23:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0025_facebook'
down_revision = '0022_fans'
branch_labels = None
depends_on = None


def upgrade():
    # a plain ADD COLUMN: a batch rebuild of ``connections`` would break SQLite's portfolio triggers
    op.add_column('connections', sa.Column('grantor_id', sa.String(length=128), nullable=True))


def downgrade():
    op.execute('ALTER TABLE connections DROP COLUMN grantor_id')
