"""tactics and fans: a coach's own tactics, tactic tags on posts, fans' self-made links (page, consent, identities); an index for the fans of a client

Revision ID: 0022_fans
Revises: 0018_comments
Create Date: 2026-12-01 20:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0022_fans'
down_revision = '0018_comments'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'tactics',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('coach_id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('keywords', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['coach_id'], ['users.id'],
                                name=op.f('fk_tactics_coach_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tactics')),
        sa.UniqueConstraint('coach_id', 'slug', name='uq_tactics_coach_slug'),
    )
    op.create_table(
        'content_tactics',
        sa.Column('content_item_id', sa.Integer(), nullable=False),
        sa.Column('tactic', sa.String(length=40), nullable=False),
        sa.Column('tagged_by', sa.Integer(), nullable=True),
        sa.Column('tagged_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['content_item_id'], ['content_items.id'],
                                name=op.f('fk_content_tactics_content_item_id_content_items'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tagged_by'], ['users.id'],
                                name=op.f('fk_content_tactics_tagged_by_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('content_item_id', 'tactic', name=op.f('pk_content_tactics')),
    )
    op.create_index('ix_content_tactics_tactic', 'content_tactics', ['tactic'])
    op.create_table(
        'fan_link_pages',
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'],
                                name=op.f('fk_fan_link_pages_client_id_clients'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('client_id', name=op.f('pk_fan_link_pages')),
        sa.UniqueConstraint('token', name=op.f('uq_fan_link_pages_token')),
    )
    op.create_table(
        'fan_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('manage_hash', sa.String(length=64), nullable=False),
        sa.Column('consent_text', sa.Text(), nullable=False),
        sa.Column('consented_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'],
                                name=op.f('fk_fan_links_client_id_clients'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_fan_links')),
        sa.UniqueConstraint('manage_hash', name=op.f('uq_fan_links_manage_hash')),
    )
    op.create_index('ix_fan_links_client', 'fan_links', ['client_id'])
    op.create_table(
        'fan_link_identities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('fan_link_id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('handle', sa.String(length=64), nullable=False),
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('code_issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('connection_id', sa.Integer(), nullable=True),
        sa.Column('author_platform_id', sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(['fan_link_id'], ['fan_links.id'],
                                name=op.f('fk_fan_link_identities_fan_link_id_fan_links'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'],
                                name=op.f('fk_fan_link_identities_client_id_clients'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['connection_id'], ['connections.id'],
                                name=op.f('fk_fan_link_identities_connection_id_connections'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_fan_link_identities')),
        sa.UniqueConstraint('code', name=op.f('uq_fan_link_identities_code')),
        sa.UniqueConstraint('connection_id', 'author_platform_id', name='uq_fan_link_identities_author'),
    )
    op.create_index('ix_fan_link_identities_link', 'fan_link_identities', ['fan_link_id'])
    op.create_index('ix_fan_link_identities_client', 'fan_link_identities', ['client_id'])
    # the fans of a client (bench/fans.py): index-only reads of the audience's comments by time and by author
    fans = 'NOT from_owner AND deleted_at_platform IS NULL AND author_platform_id IS NOT NULL'
    op.create_index('ix_comments_fans_time', 'comments', ['client_id', 'published_at'],
                    postgresql_include=['connection_id', 'author_platform_id', 'platform', 'content_item_id'],
                    postgresql_where=sa.text(fans), sqlite_where=sa.text(fans))
    op.create_index('ix_comments_fans_author', 'comments',
                    ['client_id', 'author_platform_id', 'connection_id', 'published_at'],
                    postgresql_include=['platform'], postgresql_where=sa.text(fans), sqlite_where=sa.text(fans))


def downgrade():
    op.drop_index('ix_fan_link_identities_client', table_name='fan_link_identities')
    op.drop_index('ix_fan_link_identities_link', table_name='fan_link_identities')
    op.drop_table('fan_link_identities')
    op.drop_index('ix_fan_links_client', table_name='fan_links')
    op.drop_table('fan_links')
    op.drop_table('fan_link_pages')
    op.drop_index('ix_comments_fans_author', table_name='comments')
    op.drop_index('ix_comments_fans_time', table_name='comments')
    op.drop_index('ix_content_tactics_tactic', table_name='content_tactics')
    op.drop_table('content_tactics')
    op.drop_table('tactics')
