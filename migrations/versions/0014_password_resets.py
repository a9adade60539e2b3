"""password_resets: "forgot your password" requests (throttled per email and per IP) and their
single-use, short-lived links (stored hashed)

Revision ID: 0014_password_resets
Revises: 0013_rounded_counts
Create Date: 2026-12-01 16:20:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014_password_resets'
down_revision = '0013_rounded_counts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'password_resets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('ip', sa.String(length=64), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('token_hash', sa.String(length=64), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_password_resets_user_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_password_resets')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_password_resets_token_hash')),
    )
    op.create_index('ix_password_resets_email_requested_at', 'password_resets', ['email', 'requested_at'])
    op.create_index('ix_password_resets_ip_requested_at', 'password_resets', ['ip', 'requested_at'])
    op.create_index('ix_password_resets_user_id', 'password_resets', ['user_id'])


def downgrade():
    op.drop_index('ix_password_resets_user_id', table_name='password_resets')
    op.drop_index('ix_password_resets_ip_requested_at', table_name='password_resets')
    op.drop_index('ix_password_resets_email_requested_at', table_name='password_resets')
    op.drop_table('password_resets')
