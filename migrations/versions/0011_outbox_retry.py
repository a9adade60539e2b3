"""outbox: when the last delivery attempt was and when to give up (a long SMTP outage loses nothing)

Revision ID: 0011_outbox_retry
Revises: 0010_opening_followers
Create Date: 2026-12-01 13:40:00.000000

"""
import sqlalchemy as sa
from alembic import op



# revision identifiers, used by Alembic.
revision = '0011_outbox_retry'
down_revision = '0010_opening_followers'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('give_up_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_column('give_up_at')
        batch_op.drop_column('last_attempt_at')
