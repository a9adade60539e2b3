"""staff choose the time zone they read times in (clients read their client record's)

Revision ID: 0015_user_time_zone
Revises: 0014_password_resets
Create Date: 2026-12-01 16:30:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015_user_time_zone'
down_revision = '0014_password_resets'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('time_zone', sa.String(length=64), nullable=True))


def downgrade():
    op.execute('ALTER TABLE users DROP COLUMN time_zone')
