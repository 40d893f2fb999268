"""outbox: whether a try may have reached the tenant, in a column of its own

A try whose outcome was unknown (no answer in time, a connection lost once the request went) may have reached the
tenant, so the message may reach them twice. That was a "maybe sent: " at the start of `last_error`, but the claim
reads a waiting row's reason there (it reopens rows by it), and a pause, a put-off to the end of quiet hours or a
hold wrote their own reason over it: the row then went again without saying so. `maybe_sent` is set once and never
cleared; `last_error` keeps only the latest reason.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

PREFIX = "maybe sent: "  # as bot/outbox/record.py wrote it before this revision


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("maybe_sent", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(
        sa.text(
            "UPDATE outbox SET maybe_sent = true, last_error = substr(last_error, :start) "
            "WHERE substr(last_error, 1, :length) = :prefix"
        ).bindparams(start=len(PREFIX) + 1, length=len(PREFIX), prefix=PREFIX)
    )


def downgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE outbox SET last_error = substr(:prefix || coalesce(last_error, ''), 1, 200) WHERE maybe_sent"
        ).bindparams(prefix=PREFIX)
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("maybe_sent")
