"""tenants: no control of direction in a stored tenant_ref, name or address

An import and the API refuse a cell holding a control of direction that reorders what follows it (the embeddings
U+202A and U+202B, their pop U+202C, the overrides U+202D and U+202E, the isolates U+2066 to U+2068, their pop
U+2069): "Amira ", U+202E and "nesnaH" showed as "Amira Hansen" on every page and export, a name that is not the
one stored. That rule came after revision 0026 without a migration, so a tenant stored before it may still hold one
in its name or address, or in its tenant_ref if stored before a tenant_ref refused every invisible character.

This removes them there, in place: the spaces around a removed one become one space, as an import writes a text,
and an address left empty becomes none. A direction mark (U+200E, U+200F, U+061C) stays, as an import keeps it in a
name. A tenant_ref whose cleaned form another tenant already has (the two looked the same), or that would be empty,
stays as it is: the unique index keeps the two tenants apart, and a person decides which one the ledger means.
Nothing else changes (not updated_at). The downgrade puts nothing back.

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

_BATCH = 5000
# The controls of direction bot/tenants/csv_rows.py refuses as this migration was written, copied rather than
# imported: a later change to that rule would otherwise change what this migration does to a database upgraded
# after it.
_DIRECTION_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _cleaned(text: str) -> str:
    return " ".join(_DIRECTION_CONTROLS.sub("", text).split())


def upgrade() -> None:
    conn = op.get_bind()
    t = sa.table(
        "tenants",
        sa.column("id", sa.Integer()),
        sa.column("tenant_ref", sa.String()),
        sa.column("name", sa.String()),
        sa.column("address", sa.String()),
    )
    last = 0
    while True:
        query = sa.select(t.c.id, t.c.tenant_ref, t.c.name, t.c.address).where(t.c.id > last).order_by(t.c.id)
        rows = conn.execute(query.limit(_BATCH)).all()
        if not rows:
            return
        for row in rows:
            changes: dict[str, str | None] = {}
            if _DIRECTION_CONTROLS.search(row.name):
                changes["name"] = _cleaned(row.name)
            if row.address is not None and _DIRECTION_CONTROLS.search(row.address):
                changes["address"] = _cleaned(row.address) or None
            if _DIRECTION_CONTROLS.search(row.tenant_ref):
                ref = _cleaned(row.tenant_ref)
                taken = conn.execute(sa.select(t.c.id).where(t.c.tenant_ref == ref)).first()
                if ref and taken is None:
                    changes["tenant_ref"] = ref
            if changes:
                conn.execute(t.update().where(t.c.id == row.id).values(changes))
        last = int(rows[-1].id)


def downgrade() -> None:
    pass
