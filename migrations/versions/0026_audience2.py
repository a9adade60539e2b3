"""per-video YouTube Analytics (watch time, average view, retention curve) kept per video; YouTube tags and category on content items

Revision ID: 0026_audience2
Revises: 0025_facebook
Create Date: 2026-12-01 23:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0026_audience2'
down_revision = '0025_facebook'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'video_analytics',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('content_item_id', sa.Integer(), nullable=False),
        sa.Column('window_start', sa.Date(), nullable=False),
        sa.Column('window_end', sa.Date(), nullable=False),
        sa.Column('views', sa.Float(), nullable=True),
        sa.Column('watch_time_seconds', sa.Float(), nullable=True),
        sa.Column('avg_view_duration_s', sa.Float(), nullable=True),
        sa.Column('avg_view_pct', sa.Float(), nullable=True),
        sa.Column('retention', sa.JSON(), nullable=False),
        sa.Column('synced_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['content_item_id'], ['content_items.id'],
                                name=op.f('fk_video_analytics_content_item_id_content_items'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_video_analytics')),
        sa.UniqueConstraint('content_item_id', name=op.f('uq_video_analytics_content_item_id')),
    )

    op.add_column('content_items', sa.Column('tags', sa.JSON(), nullable=True))
    op.add_column('content_items', sa.Column('category_id', sa.String(length=8), nullable=True))


def downgrade():
    op.drop_column('content_items', 'category_id')
    op.drop_column('content_items', 'tags')
    op.drop_table('video_analytics')
