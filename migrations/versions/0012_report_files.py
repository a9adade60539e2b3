"""report PDFs stored in the database (report_files), readable by every process on every host; the
reports.file_name column (a file under INSTANCE_PATH/reports) goes

Revision ID: 0012_report_files
Revises: 0011_outbox_retry
Create Date: 2026-12-01 14:10:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012_report_files'
down_revision = '0011_outbox_retry'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'report_files',
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('pdf', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_files_report_id_reports'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('report_id', name=op.f('pk_report_files')),
    )
    # PDFs rendered before this revision are files on one host's disk: they are rendered again, by a
    # worker, the first time they are asked for
    # a plain DROP COLUMN (SQLite >= 3.35): a batch copy of reports would cascade-delete its links
    op.execute('ALTER TABLE reports DROP COLUMN file_name')


def downgrade():
    op.add_column('reports', sa.Column('file_name', sa.String(length=120), nullable=True))
    op.drop_table('report_files')
