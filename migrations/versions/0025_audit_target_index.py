"""audit_log: an index by target

The audit page filters by target (`case:7`, `tenant:4`) and counts the matching entries on every view
(`_audit_page` in bot/console/audit.py): without an index by `target` each such view read the whole log, which
grows with every audited view.

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_log_target", "audit_log", ["target"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_log_target", table_name="audit_log")
