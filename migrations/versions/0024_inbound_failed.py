"""inbound: when a message could not be handled, and when an admin marked that dealt with

A message whose handler raised was marked processed and counted on /metrics, and nothing else kept it: the tenant's
words went unanswered and no page said whose they were. `failed_at` is set when the processor sets such a message
aside; the admin page lists those without `dealt_with_at`, and `keephome_inbound_failed` counts them, along a
partial index of those rows alone.

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

_FAILED = sa.text("failed_at IS NOT NULL AND dealt_with_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("inbound", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("dealt_with_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_inbound_failed", "inbound", ["id"], unique=False, sqlite_where=_FAILED, postgresql_where=_FAILED
    )


def downgrade() -> None:
    op.drop_index("ix_inbound_failed", table_name="inbound")
    # ALTER TABLE … DROP COLUMN, never a copy of the table (as 0017).
    with op.batch_alter_table("inbound", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("dealt_with_at")
        batch_op.drop_column("failed_at")
