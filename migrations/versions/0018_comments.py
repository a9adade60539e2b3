"""comments and replies: the comment inbox, the reply outbox, the comment grant, the comment sync's schedule

Revision ID: 0018_comments
Revises: 0019_impact
Create Date: 2026-12-01 19:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018_comments'
down_revision = '0019_impact'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'comments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('connection_id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('content_item_id', sa.Integer(), nullable=True),
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('platform_id', sa.String(length=128), nullable=False),
        sa.Column('post_platform_id', sa.String(length=128), nullable=False),
        sa.Column('parent_id', sa.Integer(), nullable=True),
        sa.Column('author_handle', sa.String(length=255), nullable=True),
        sa.Column('author_name', sa.String(length=255), nullable=True),
        sa.Column('author_platform_id', sa.String(length=128), nullable=True),
        sa.Column('author_url', sa.String(length=2048), nullable=True),
        sa.Column('from_owner', sa.Boolean(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('is_question', sa.Boolean(), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at_platform', sa.DateTime(timezone=True), nullable=True),
        sa.Column('like_count', sa.BigInteger(), nullable=False),
        sa.Column('reply_count', sa.Integer(), nullable=False),
        sa.Column('hidden', sa.Boolean(), nullable=False),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('deleted_at_platform', sa.DateTime(timezone=True), nullable=True),
        sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['connection_id'], ['connections.id'],
                                name=op.f('fk_comments_connection_id_connections'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'],
                                name=op.f('fk_comments_client_id_clients'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['content_item_id'], ['content_items.id'],
                                name=op.f('fk_comments_content_item_id_content_items'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['parent_id'], ['comments.id'],
                                name=op.f('fk_comments_parent_id_comments'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_comments')),
        sa.UniqueConstraint('connection_id', 'platform_id', name='uq_comments_connection_platform_id'),
    )
    op.create_index('ix_comments_client_published', 'comments', ['client_id', 'published_at'])
    op.create_index('ix_comments_content_item', 'comments', ['content_item_id'])
    op.create_index('ix_comments_parent', 'comments', ['parent_id'])
    op.create_index('ix_comments_client_liked', 'comments', ['client_id', 'like_count', 'published_at'])
    top = 'parent_id IS NULL AND NOT from_owner AND archived_at IS NULL'
    unanswered = f'{top} AND answered_at IS NULL AND NOT hidden AND deleted_at_platform IS NULL'
    unread = f'{top} AND read_at IS NULL'
    op.create_index('ix_comments_unanswered', 'comments', ['client_id'],
                    postgresql_where=sa.text(unanswered), sqlite_where=sa.text(unanswered))
    op.create_index('ix_comments_unread', 'comments', ['client_id'],
                    postgresql_where=sa.text(unread), sqlite_where=sa.text(unread))
    op.create_table(
        'comment_replies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('comment_id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('requested_by', sa.Integer(), nullable=True),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('idempotency_key', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('platform_reply_id', sa.String(length=128), nullable=True),
        sa.Column('error', sa.String(length=500), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['comment_id'], ['comments.id'],
                                name=op.f('fk_comment_replies_comment_id_comments'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'],
                                name=op.f('fk_comment_replies_client_id_clients'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['requested_by'], ['users.id'],
                                name=op.f('fk_comment_replies_requested_by_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_comment_replies')),
        sa.UniqueConstraint('idempotency_key', name=op.f('uq_comment_replies_idempotency_key')),
    )
    op.create_index('ix_comment_replies_comment', 'comment_replies', ['comment_id'])
    op.add_column('connections', sa.Column('comments_grant_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('content_items', sa.Column('comments_synced_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('oauth_states', sa.Column('feature', sa.String(length=16), nullable=True))


def downgrade():
    # plain DROP COLUMN (SQLite >= 3.35): a batch copy of connections trips the portfolio triggers
    op.execute('ALTER TABLE oauth_states DROP COLUMN feature')
    op.execute('ALTER TABLE content_items DROP COLUMN comments_synced_at')
    op.execute('ALTER TABLE connections DROP COLUMN comments_grant_at')
    op.drop_index('ix_comment_replies_comment', table_name='comment_replies')
    op.drop_table('comment_replies')
    op.drop_index('ix_comments_unread', table_name='comments')
    op.drop_index('ix_comments_unanswered', table_name='comments')
    op.drop_index('ix_comments_client_liked', table_name='comments')
    op.drop_index('ix_comments_parent', table_name='comments')
    op.drop_index('ix_comments_content_item', table_name='comments')
    op.drop_index('ix_comments_client_published', table_name='comments')
    op.drop_table('comments')
