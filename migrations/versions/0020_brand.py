"""brand settings, share cards, what the public share page shows

Revision ID: 0020_brand
Revises: 0016_content_thumbnails
Create Date: 2026-12-01 19:20:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0020_brand'
down_revision = '0016_content_thumbnails'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'brand_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('business_name', sa.String(length=80), nullable=True),
        sa.Column('primary_colour', sa.String(length=7), nullable=True),
        sa.Column('sender_name', sa.String(length=80), nullable=True),
        sa.Column('reply_to', sa.String(length=254), nullable=True),
        sa.Column('footer', sa.String(length=200), nullable=True),
        sa.Column('locale', sa.String(length=16), nullable=True),
        sa.Column('logo_png', sa.LargeBinary(), nullable=True),
        sa.Column('logo_width', sa.Integer(), nullable=True),
        sa.Column('logo_height', sa.Integer(), nullable=True),
        sa.Column('logo_sha256', sa.String(length=64), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_brand_settings')),
    )
    op.create_table(
        'share_cards',
        sa.Column('client_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('png', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_share_cards_client_id_clients'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('client_id', name=op.f('pk_share_cards')),
    )
    with op.batch_alter_table('report_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('share_detail', sa.String(length=16), server_default='totals', nullable=False))


def downgrade():
    with op.batch_alter_table('report_settings', schema=None) as batch_op:
        batch_op.drop_column('share_detail')
    op.drop_table('share_cards')
    op.drop_table('brand_settings')
