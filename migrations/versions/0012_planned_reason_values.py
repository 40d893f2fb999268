"""planned_reminders: what a reminder was computed from, kept beside its reason

The planner's reason is English text (the operators' audit text). The values it was computed from (dates, the
days left, whether a balance was owed) are kept as JSON, so the tenant's readable export says the reason in the
reader's language from them (`bot.i18n.reason_words`) instead of reading the English back. Reminders planned
before have none: the export shows their reason as stored.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("planned_reminders") as batch:
        batch.add_column(sa.Column("computed_from", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("planned_reminders") as batch:
        batch.drop_column("computed_from")
