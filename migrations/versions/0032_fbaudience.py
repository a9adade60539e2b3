"""a Facebook Page's sync settings forget the "audience": false saved while Facebook offered no audience
kind (the form could only store "off" then), so the weekly read of its followers' countries starts at
its default, on; settings saved from now on hold only the kinds an account offers
(app/services/connection_settings.py). Data only, no schema change.

Revision ID: 0032_fbaudience
Revises: 0031_ttcomments
Create Date: 2026-12-02 10:00:00.000000

"""

import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0032_fbaudience"
down_revision = "0031_ttcomments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, sync_settings FROM connections WHERE platform = 'facebook' AND sync_settings IS NOT NULL")
    ).all()
    for conn_id, raw in rows:
        settings = json.loads(raw) if isinstance(raw, str) else raw
        sync = (settings or {}).get("sync") if isinstance(settings, dict) else None
        if isinstance(sync, dict) and sync.get("audience") is False:
            del sync["audience"]
            bind.execute(
                sa.text("UPDATE connections SET sync_settings = :s WHERE id = :id").bindparams(
                    sa.bindparam("s", type_=sa.JSON)
                ),
                {"s": settings, "id": conn_id},
            )


def downgrade() -> None:
    """Nothing to undo: a missing kind reads as its default on every version."""
