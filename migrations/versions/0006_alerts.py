"""alerts, per-user receipts (read state, email state) and cooldowns

Revision ID: 0006_alerts
Revises: 0005_notifications
Create Date: 2026-11-22 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_alerts'
down_revision = '0005_notifications'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=True),
    sa.Column('platform', sa.String(length=16), nullable=True),
    sa.Column('type', sa.String(length=24), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('dedup_key', sa.String(length=160), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_alerts_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], name=op.f('fk_alerts_connection_id_connections'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    sa.UniqueConstraint('dedup_key', name=op.f('uq_alerts_dedup_key'))
    )
    op.create_index('ix_alerts_client_created', 'alerts', ['client_id', 'created_at'], unique=False)
    op.create_index('ix_alerts_created', 'alerts', ['created_at'], unique=False)
    op.create_table('alert_receipts',
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=24), nullable=False),
    sa.Column('email_id', sa.Integer(), nullable=True),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_alert_receipts_alert_id_alerts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['email_id'], ['outbox_emails.id'], name=op.f('fk_alert_receipts_email_id_outbox_emails'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_alert_receipts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('alert_id', 'user_id', name=op.f('pk_alert_receipts'))
    )
    op.create_index('ix_alert_receipts_user_read', 'alert_receipts', ['user_id', 'read_at'], unique=False)
    op.create_table('alert_cooldowns',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('last_fired_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_alert_cooldowns'))
    )


def downgrade():
    op.drop_table('alert_cooldowns')
    op.drop_index('ix_alert_receipts_user_read', table_name='alert_receipts')
    op.drop_table('alert_receipts')
    op.drop_index('ix_alerts_created', table_name='alerts')
    op.drop_index('ix_alerts_client_created', table_name='alerts')
    op.drop_table('alerts')
