"""audience snapshots (weekly, dated) and Instagram stories kept after they expire

Revision ID: 0021_audience
Revises: 0019_impact
Create Date: 2026-12-01 19:40:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0021_audience'
down_revision = '0019_impact'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'audience_snapshots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('connection_id', sa.Integer(), nullable=False),
        sa.Column('taken_on', sa.Date(), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('base', sa.BigInteger(), nullable=True),
        sa.Column('synced_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['connection_id'], ['connections.id'],
                                name=op.f('fk_audience_snapshots_connection_id_connections'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audience_snapshots')),
        sa.UniqueConstraint('connection_id', 'taken_on', name='uq_audience_snapshots_connection_day'),
    )
    op.create_table(
        'story_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('connection_id', sa.Integer(), nullable=False),
        sa.Column('platform_id', sa.String(length=128), nullable=False),
        sa.Column('media_type', sa.String(length=16), nullable=True),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('views', sa.BigInteger(), nullable=True),
        sa.Column('reach', sa.BigInteger(), nullable=True),
        sa.Column('replies', sa.BigInteger(), nullable=True),
        sa.Column('shares', sa.BigInteger(), nullable=True),
        sa.Column('follows', sa.BigInteger(), nullable=True),
        sa.Column('profile_visits', sa.BigInteger(), nullable=True),
        sa.Column('taps_forward', sa.BigInteger(), nullable=True),
        sa.Column('taps_back', sa.BigInteger(), nullable=True),
        sa.Column('exits', sa.BigInteger(), nullable=True),
        sa.Column('note', sa.String(length=64), nullable=True),
        sa.Column('metrics_updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['connection_id'], ['connections.id'],
                                name=op.f('fk_story_items_connection_id_connections'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_story_items')),
        sa.UniqueConstraint('connection_id', 'platform_id', name='uq_story_items_connection_platform_id'),
    )
    op.create_index('ix_story_items_connection_published', 'story_items', ['connection_id', 'published_at'])


def downgrade():
    op.drop_index('ix_story_items_connection_published', table_name='story_items')
    op.drop_table('story_items')
    op.drop_table('audience_snapshots')
