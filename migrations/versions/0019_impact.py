"""coaching impact: attention notes (snooze / resolve), portal usage days, case study consent

Revision ID: 0019_impact
Revises: 0017_ops_console
Create Date: 2026-12-01 19:10:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019_impact'
down_revision = '0017_ops_console'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'attention_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=48), nullable=False),
        sa.Column('reason_text', sa.String(length=300), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('until', sa.Date(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_attention_notes_client_id_clients'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_attention_notes_user_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attention_notes')),
    )
    with op.batch_alter_table('attention_notes', schema=None) as batch_op:
        batch_op.create_index('ix_attention_notes_client_reason', ['client_id', 'reason'], unique=False)
    op.create_table(
        'usage_days',
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_usage_days_client_id_clients'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('client_id', 'kind', 'day', name=op.f('pk_usage_days')),
    )
    with op.batch_alter_table('usage_days', schema=None) as batch_op:
        batch_op.create_index('ix_usage_days_kind_day', ['kind', 'day'], unique=False)
    op.create_table(
        'case_study_consents',
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('named', sa.Boolean(), nullable=False),
        sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_case_study_consents_client_id_clients'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('client_id', name=op.f('pk_case_study_consents')),
    )


def downgrade():
    op.drop_table('case_study_consents')
    with op.batch_alter_table('usage_days', schema=None) as batch_op:
        batch_op.drop_index('ix_usage_days_kind_day')
    op.drop_table('usage_days')
    with op.batch_alter_table('attention_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_attention_notes_client_reason')
    op.drop_table('attention_notes')
