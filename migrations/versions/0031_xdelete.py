"""X batch compliance jobs: one row per job asked of X's ``/2/compliance/jobs`` (issue 14)

Revision ID: 0031_xdelete
Revises: 0030_portfolio
Create Date: 2026-12-02 06:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0031_xdelete"
down_revision = "0030_portfolio"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "x_compliance_jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_day", sa.Date(), nullable=False),
        sa.Column("job_type", sa.String(8), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("x_job_id", sa.String(32)),
        sa.Column("step", sa.String(16), nullable=False, server_default="created"),
        sa.Column("after_item_id", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_item_id", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("ids_sent", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("outcome", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("run_day", "job_type", "batch", name="uq_x_compliance_jobs_day"),
    )
    op.create_index("ix_x_compliance_jobs_step", "x_compliance_jobs", ["step"])


def downgrade() -> None:
    op.drop_index("ix_x_compliance_jobs_step", table_name="x_compliance_jobs")
    op.drop_table("x_compliance_jobs")
