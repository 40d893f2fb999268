"""unknown_senders: when a number nobody had said STOP

A number no tenant had that wrote STOP (or AFMELD, …) was sent nothing, and nothing was kept: an import that later
gave the number to a tenant made them active, and reminders went to the person who had said STOP. `stopped_at` keeps
that STOP on the row of the number's keyed hash (never the number) until the number says START, or an import or the
API stores the tenant who now has it stopped. Rows stored before this revision kept no STOP: none.

Revision ID: 0030
Revises: 0029
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("unknown_senders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN, never a copy of the table (as 0017).
    with op.batch_alter_table("unknown_senders", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("stopped_at")
