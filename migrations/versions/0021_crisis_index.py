"""messages: a partial index of the bot's answers to words of crisis

For some days after a tenant wrote words of crisis their rent reminders are held and a case of theirs comes first in
the queue: the plan and the queue ask, for every tenant, when the bot last answered such words (`common.crisis`). An
index of those messages alone, by tenant and time, answers that without reading the whole messages table.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_CRISIS = sa.text("template = 'common.crisis'")


def upgrade() -> None:
    op.create_index(
        "ix_messages_crisis",
        "messages",
        ["tenant_id", "created_at"],
        unique=False,
        sqlite_where=_CRISIS,
        postgresql_where=_CRISIS,
    )


def downgrade() -> None:
    op.drop_index("ix_messages_crisis", table_name="messages")
