"""post thumbnails stored by the worker and served from our origin

Revision ID: 0016_content_thumbnails
Revises: 0015_user_time_zone
Create Date: 2026-12-01 16:40:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016_content_thumbnails'
down_revision = '0015_user_time_zone'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'content_thumbnails',
        sa.Column('content_item_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('mime', sa.String(length=32), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('source_url_hash', sa.String(length=64), nullable=False),
        sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['content_item_id'], ['content_items.id'],
                                name=op.f('fk_content_thumbnails_content_item_id_content_items'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('content_item_id', name=op.f('pk_content_thumbnails')),
    )


def downgrade():
    op.drop_table('content_thumbnails')
