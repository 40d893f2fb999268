"""outbox: a partial index of the rows that may have reached a tenant twice

The admin page lists the messages of the last days whose try's outcome was unknown, or that were sent again after a
holder's lease lapsed (`maybe_sent`): an index of those rows alone, by when they were queued.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_maybe_sent",
        "outbox",
        ["created_at"],
        sqlite_where=sa.text("maybe_sent IS 1"),
        postgresql_where=sa.text("maybe_sent IS true"),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_maybe_sent", table_name="outbox")
