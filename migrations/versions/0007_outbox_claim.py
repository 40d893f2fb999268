"""outbox: replies are claimed first, and proactive rows that waited are checked again

The claim takes answers to a tenant's own message before proactive rows, per channel, due first: one index
serves it on both databases (`ix_outbox_claim`, in place of `ix_outbox_due`). A proactive row that cannot go
now waits in state `waiting` (no channel, the pause); `recheck` marks a row that waited, so the reminder policy
checks it again before it is sent.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recheck", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.create_index("ix_outbox_claim", "outbox", ["state", "proactive", "channel", "next_attempt_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_claim", table_name="outbox")
    op.create_index("ix_outbox_due", "outbox", ["state", "next_attempt_at"], unique=False)
    # Rows waiting for a channel or the pause are pending again; dropped ones stay as they are.
    op.execute("UPDATE outbox SET state = 'pending' WHERE state = 'waiting'")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("recheck")
