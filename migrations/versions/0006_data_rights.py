"""outcomes and data rights: balance events, erasure tombstones

`balance_events` records each change of a tenant's balance as the ledger dates it (the outcome page asks
whether a reminded tenant's balance reached 0 within days); every stored rent position becomes its first
event. `erased_refs` keeps a keyed hash of an erased tenant's tenant_ref, so a re-import does not bring them
back. Indexes for the outcome page: partial ones on failed messages, tenants' replies, staff messages and
reminders' outbox rows (the busy paths that write every other row never touch them), and one that holds a
period's reminded tenants.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_FAILED = sa.text("status IN ('failed', 'undelivered')")
_REPLIES = sa.text("direction = 'in'")
_BY_STAFF = sa.text("author LIKE 'staff:%'")
_REMINDER_ROWS = sa.text("idempotency_key LIKE 'rem:%'")


def upgrade() -> None:
    op.create_table(
        "balance_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("balance_ore", sa.BigInteger(), nullable=True),
        sa.Column("settled", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_balance_events_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_balance_events")),
    )
    op.create_index("ix_balance_events_settled", "balance_events", ["tenant_id", "settled", "as_of"], unique=False)
    op.execute(
        "INSERT INTO balance_events (tenant_id, as_of, balance_ore, settled, source, recorded_at) "
        "SELECT tenant_id, balance_as_of, balance_ore, balance_ore <= 0, 'import', updated_at FROM rent_positions"
    )
    op.create_table(
        "erased_refs",
        sa.Column("ref_hash", sa.String(length=64), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ref_hash", name=op.f("pk_erased_refs")),
    )
    op.create_index(
        "ix_messages_failed_at",
        "messages",
        ["created_at"],
        unique=False,
        sqlite_where=_FAILED,
        postgresql_where=_FAILED,
    )
    op.create_index(
        "ix_messages_replies",
        "messages",
        ["tenant_id", "created_at", "direction"],
        unique=False,
        sqlite_where=_REPLIES,
        postgresql_where=_REPLIES,
    )
    op.create_index(
        "ix_messages_by_staff",
        "messages",
        ["tenant_id", "created_at", "author", "template"],
        unique=False,
        sqlite_where=_BY_STAFF,
        postgresql_where=_BY_STAFF,
    )
    op.create_index(
        "ix_outbox_reminders",
        "outbox",
        ["idempotency_key", "channel", "message_id"],
        unique=False,
        sqlite_where=_REMINDER_ROWS,
        postgresql_where=_REMINDER_ROWS,
    )
    op.create_index(
        "ix_planned_reminders_cohort",
        "planned_reminders",
        ["planned_for", "tenant_id", "trigger", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_planned_reminders_cohort", table_name="planned_reminders")
    op.drop_index("ix_outbox_reminders", table_name="outbox")
    op.drop_index("ix_messages_by_staff", table_name="messages")
    op.drop_index("ix_messages_replies", table_name="messages")
    op.drop_index("ix_messages_failed_at", table_name="messages")
    op.drop_table("erased_refs")
    op.drop_index("ix_balance_events_settled", table_name="balance_events")
    op.drop_table("balance_events")
