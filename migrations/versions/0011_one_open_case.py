"""cases: at most one open case per tenant

A handoff, an outreach and an adviser's manual opening each read whether the tenant has an open case and insert
one when not; on PostgreSQL two of them in concurrent transactions could both insert. A partial unique index now
holds one open case per tenant (`bot/host/cases.py` refreshes the case the other transaction opened).

Tenants who already have more than one open case keep the oldest: the later cases' events, tasks, referrals,
messages and consents move to it, it takes the highest priority and the consent if any had it, and the later cases
are closed; each side gets an event naming the other (`merged_into`, `merged_from`).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_OPEN = sa.text("status <> 'closed'")
# Every table whose rows name a case.
_NAMING_A_CASE = ("case_events", "case_tasks", "referrals", "messages", "consents")


def _merge_duplicates() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, tenant_id, priority, consented FROM cases WHERE status <> 'closed' AND tenant_id IN "
            "(SELECT tenant_id FROM cases WHERE status <> 'closed' GROUP BY tenant_id HAVING count(*) > 1) "
            "ORDER BY tenant_id, id"
        )
    ).all()
    kept: dict[int, tuple[int, int, bool]] = {}
    now = datetime.now(UTC)
    for case_id, tenant_id, priority, consented in rows:
        if tenant_id not in kept:
            kept[tenant_id] = (case_id, priority, bool(consented))
            continue
        into, best, any_consent = kept[tenant_id]
        kept[tenant_id] = (into, max(best, priority), any_consent or bool(consented))
        for table in _NAMING_A_CASE:
            bind.execute(
                sa.text(f"UPDATE {table} SET case_id = :into WHERE case_id = :dup"), {"into": into, "dup": case_id}
            )
        bind.execute(
            sa.text(
                "UPDATE cases SET status = 'closed', closed_at = :now, updated_at = :now, volunteer_id = NULL "
                "WHERE id = :dup"
            ),
            {"now": now, "dup": case_id},
        )
        # Each case says what became of the other, as codes the console words in the reader's language.
        event = sa.text("INSERT INTO case_events (case_id, kind, text, at) VALUES (:case, :kind, :other, :now)")
        bind.execute(event, {"case": case_id, "kind": "merged_into", "other": str(into), "now": now})
        bind.execute(event, {"case": into, "kind": "merged_from", "other": str(case_id), "now": now})
    for into, priority, consented in kept.values():
        bind.execute(
            sa.text(
                "UPDATE cases SET priority = :priority, consented = :consented, updated_at = :now WHERE id = :into"
            ),
            {"priority": priority, "consented": consented, "now": now, "into": into},
        )


def upgrade() -> None:
    _merge_duplicates()
    op.create_index(
        "ux_cases_open_tenant", "cases", ["tenant_id"], unique=True, sqlite_where=_OPEN, postgresql_where=_OPEN
    )


def downgrade() -> None:
    op.drop_index("ux_cases_open_tenant", table_name="cases")
