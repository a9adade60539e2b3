"""Instagram webhook fields each connection is subscribed to (connections.webhook_fields, comma-separated
as Meta read them back from ``/me/subscribed_apps``; NULL: not subscribed yet)

Revision ID: 0030_smalls
Revises: 0029_fan_summary
Create Date: 2026-12-02 03:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0030_smalls'
down_revision = '0029_fan_summary'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('connections', sa.Column('webhook_fields', sa.String(length=200), nullable=True))


def downgrade():
    # plain DROP COLUMN (SQLite >= 3.35): a batch copy of connections trips the portfolio triggers
    op.execute('ALTER TABLE connections DROP COLUMN webhook_fields')
