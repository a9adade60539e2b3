"""operations console: admin alerts about the platform, actions on failed jobs, sync settings per connection

Revision ID: 0017_ops_console
Revises: 0020_brand
Create Date: 2026-12-01 19:10:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017_ops_console'
down_revision = '0020_brand'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'ops_alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('severity', sa.String(length=16), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.Column('dedup_key', sa.String(length=160), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ops_alerts')),
        sa.UniqueConstraint('dedup_key', name=op.f('uq_ops_alerts_dedup_key')),
    )
    with op.batch_alter_table('ops_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_ops_alerts_created', ['created_at'], unique=False)
    op.create_table(
        'ops_work_actions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('item_key', sa.String(length=200), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_ops_work_actions_actor_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ops_work_actions')),
        sa.UniqueConstraint('kind', 'item_key', name=op.f('uq_ops_work_actions_kind_item_key')),
    )
    # plain ADD / DROP COLUMN (no batch copy): a recreated connections table would lose the
    # portfolio-totals triggers that name it
    op.add_column('connections', sa.Column('sync_settings', sa.JSON(), nullable=True))
    op.add_column('connections', sa.Column('active_campaign', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    op.drop_column('connections', 'active_campaign')
    op.drop_column('connections', 'sync_settings')
    op.drop_table('ops_work_actions')
    with op.batch_alter_table('ops_alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_ops_alerts_created')
    op.drop_table('ops_alerts')
