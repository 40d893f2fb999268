"""link codes and tenants after hardening

One phone number belongs to one tenant who is not erased (a partial unique index), and each typed link code
counts the wrong codes typed anywhere while it was live (`link_codes.misses`).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_LIVE = sa.text("status != 'erased'")


def _refuse_shared_numbers() -> None:
    """Stop, naming the tenant_refs, when two live tenants share a number: which one keeps it is a person's call."""
    shared = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT MIN(tenant_ref), MAX(tenant_ref), COUNT(*) FROM tenants "
                "WHERE phone IS NOT NULL AND status != 'erased' GROUP BY phone HAVING COUNT(*) > 1"
            )
        )
        .all()
    )
    if shared:
        pairs = "; ".join(f"{first} and {last}" + (f" (+{n - 2} more)" if n > 2 else "") for first, last, n in shared)
        raise RuntimeError(
            f"tenants share a phone number: {pairs}. One number belongs to one "
            "tenant: clear the number of all but one of them (UPDATE tenants SET phone = NULL WHERE tenant_ref = "
            "'…'), then upgrade again; the README says how to import one person with two tenancies."
        )


def upgrade() -> None:
    _refuse_shared_numbers()  # first, so that nothing is half-done when it stops
    with op.batch_alter_table("link_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("misses", sa.Integer(), nullable=False, server_default="0"))
    op.create_index(
        "uq_tenants_phone_live", "tenants", ["phone"], unique=True, sqlite_where=_LIVE, postgresql_where=_LIVE
    )


def downgrade() -> None:
    op.drop_index("uq_tenants_phone_live", table_name="tenants")
    with op.batch_alter_table("link_codes", schema=None) as batch_op:
        batch_op.drop_column("misses")
