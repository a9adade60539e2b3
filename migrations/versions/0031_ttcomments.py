"""comments carry the platform's "hearted by the creator" and "pinned" flags (TikTok's ``liked`` / ``pinned``,
read through the API for Business; docs/comments.md)

Revision ID: 0031_ttcomments
Revises: 0031_xdelete (written against 0030_portfolio; chained after main's 0031_xdelete at merge)
Create Date: 2026-12-02 06:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0031_ttcomments"
down_revision = "0031_xdelete"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("liked_by_owner", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("pinned", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("pinned")
        batch.drop_column("liked_by_owner")
