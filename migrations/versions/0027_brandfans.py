"""a client's report locale (dates and numbers of their reports and report emails)

Revision ID: 0027_brandfans
Revises: 0026_audience2
Create Date: 2026-12-01 23:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0027_brandfans'
down_revision = '0026_audience2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clients') as batch:
        batch.add_column(sa.Column('locale', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('clients') as batch:
        batch.drop_column('locale')
