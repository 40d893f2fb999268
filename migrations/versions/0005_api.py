"""api keys with scopes, idempotency keys

API keys get a scope (read < write < erase), the time they were last used and a per-minute request count
(the rate limit, shared by every process); `api_idempotency` keeps what an API write answered under its
`Idempotency-Key` for a day.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        # A key made before scopes existed could only read (there was no API): it stays a read key.
        batch_op.add_column(sa.Column("scope", sa.String(length=8), nullable=False, server_default="read"))
        batch_op.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("window_count", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "api_idempotency",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("key_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_id"], ["api_keys.id"], name=op.f("fk_api_idempotency_key_id_api_keys"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_idempotency")),
        sa.UniqueConstraint("key_id", "idempotency_key", name="uq_api_idempotency_key"),
    )
    with op.batch_alter_table("api_idempotency", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_idempotency_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("api_idempotency", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_idempotency_created_at"))
    op.drop_table("api_idempotency")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("window_count")
        batch_op.drop_column("window_started_at")
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("scope")
