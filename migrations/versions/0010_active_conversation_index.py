"""conversations: a partial index of the active ones, by tenant

Every message a tenant sends looks up their active conversation (bot/inbound/handler.py). Through
ix_conversations_tenant_id that read every conversation the tenant ever had and kept the active one, so the look
grew with each reminder month; the partial index holds only the active conversations.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_conversations_active",
        "conversations",
        ["tenant_id", "id"],
        unique=False,
        sqlite_where=sa.text("active IS 1"),
        postgresql_where=sa.text("active IS true"),
    )


def downgrade() -> None:
    op.drop_index("ix_conversations_active", table_name="conversations")
