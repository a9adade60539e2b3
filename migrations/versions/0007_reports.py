"""reports, report links (hashed capabilities), report settings (weekly schedule, recipients, share)

Revision ID: 0007_reports
Revises: 0006_alerts
Create Date: 2026-11-22 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_reports'
down_revision = '0006_alerts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('cohort', sa.String(length=16), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('week_key', sa.String(length=8), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.Column('job_id', sa.String(length=80), nullable=True),
    sa.Column('fingerprint', sa.String(length=64), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('file_name', sa.String(length=120), nullable=True),
    sa.Column('size_bytes', sa.Integer(), nullable=True),
    sa.Column('coach_comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_reports_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_reports_owner_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    sa.UniqueConstraint('client_id', 'kind', 'week_key', name='uq_reports_client_kind_week')
    )
    op.create_index('ix_reports_client_kind', 'reports', ['client_id', 'kind'], unique=False)
    op.create_index('ix_reports_fingerprint', 'reports', ['fingerprint'], unique=False)
    op.create_table('report_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('recipient_email', sa.String(length=254), nullable=False),
    sa.Column('recipient_user_id', sa.Integer(), nullable=True),
    sa.Column('email_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('open_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['email_id'], ['outbox_emails.id'], name=op.f('fk_report_links_email_id_outbox_emails'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recipient_user_id'], ['users.id'], name=op.f('fk_report_links_recipient_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_links_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_report_links_token_hash'))
    )
    op.create_index('ix_report_links_report_id', 'report_links', ['report_id'], unique=False)
    op.create_table('report_settings',
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('weekly_enabled', sa.Boolean(), nullable=False),
    sa.Column('send_to_client', sa.Boolean(), nullable=False),
    sa.Column('send_to_coach', sa.Boolean(), nullable=False),
    sa.Column('share_nonce', sa.String(length=64), nullable=True),
    sa.Column('share_token_hash', sa.String(length=64), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_report_settings_client_id_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_report_settings')),
    sa.UniqueConstraint('share_token_hash', name=op.f('uq_report_settings_share_token_hash'))
    )


def downgrade():
    op.drop_table('report_settings')
    op.drop_index('ix_report_links_report_id', table_name='report_links')
    op.drop_table('report_links')
    op.drop_index('ix_reports_fingerprint', table_name='reports')
    op.drop_index('ix_reports_client_kind', table_name='reports')
    op.drop_table('reports')
