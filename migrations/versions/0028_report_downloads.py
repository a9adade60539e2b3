"""reports by need: how often each report's PDF was downloaded (reports.pdf_downloads), so weekly PDFs are
rendered ahead only for clients who usually download them

Revision ID: 0028_report_downloads
Revises: 0027_brandfans
Create Date: 2026-12-01 23:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0028_report_downloads'
down_revision = '0027_brandfans'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pdf_downloads', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_column('pdf_downloads')
