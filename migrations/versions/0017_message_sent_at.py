"""messages: when the sender handed a message to its provider, in a column of its own

A case page dated each message by when it was made: a reminder made at 20:33 on a Saturday that waited for the
morning and went on Monday at 10:00 read as a text sent at night. `updated_at` cannot say when it went: a delivery
receipt, a failure or a hold moves it. `sent_at` is set once, when the sender records the message sent, and never
moved; a message sent before this revision has none (the page then shows when it was made, as before).

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35 and later), never a copy of the table: dropping the old `messages` in a
    # copy would take every outbox row with it (ON DELETE CASCADE).
    with op.batch_alter_table("messages", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("sent_at")
