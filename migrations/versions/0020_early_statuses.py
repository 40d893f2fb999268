"""early_statuses: a Twilio status callback that came before its message's sid was recorded

Twilio may report a failure (an unreachable number) before the sender has written the sid its send returned: the
callback is kept here and applied when the sender records that sid; the retention purge deletes one never matched.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "early_statuses",
        sa.Column("sid", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_rank", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(length=16), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_early_statuses")),
    )
    with op.batch_alter_table("early_statuses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_early_statuses_received_at"), ["received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("early_statuses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_early_statuses_received_at"))
    op.drop_table("early_statuses")
