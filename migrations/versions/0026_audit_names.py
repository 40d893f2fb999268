"""audit_names: the names each audit entry's detail carries, by name

The audit filter on a tenant and a tenant's export found the entries whose detail names the tenant's cases, court
cases or tasks (`case:5,task:7`, written by every list view) with a LIKE over every detail: the whole log, seconds
at a million entries. The writer (bot/store/audit.py) now records a detail's `kind:id` words here with the entry;
this fills the table for the entries written before, a batch of entries at a time, by the same rule.

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

_BATCH = 5000
# The rule of bot/store/audit.py's `names_in` as it was when this migration was written, copied rather than
# imported: a later change to the writer's rule would otherwise change what this migration does to a database
# upgraded after it, with no migration saying so. A new rule for the stored names is a new migration.
_NAME = re.compile(r"[a-z][a-z_]{0,39}:[0-9]{1,19}")


def _names_in(detail: str) -> set[str]:
    return {word for word in detail.replace(",", " ").replace("=", " ").split(" ") if _NAME.fullmatch(word)}


def upgrade() -> None:
    names = op.create_table(
        "audit_names",
        sa.Column("audit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"], ["audit_log.id"], name=op.f("fk_audit_names_audit_id_audit_log"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("audit_id", "name", name=op.f("pk_audit_names")),
    )
    op.create_index("ix_audit_names_name", "audit_names", ["name"], unique=False)
    conn = op.get_bind()
    log = sa.table("audit_log", sa.column("id", sa.Integer()), sa.column("detail", sa.Text()))
    last = 0
    while True:
        query = (
            sa.select(log.c.id, log.c.detail)
            .where(log.c.id > last, log.c.detail.is_not(None))
            .order_by(log.c.id)
            .limit(_BATCH)
        )
        rows = conn.execute(query).all()
        if not rows:
            return
        found = [{"audit_id": row.id, "name": name} for row in rows for name in sorted(_names_in(row.detail))]
        if found:
            conn.execute(names.insert(), found)
        last = int(rows[-1].id)


def downgrade() -> None:
    op.drop_index("ix_audit_names_name", table_name="audit_names")
    op.drop_table("audit_names")
