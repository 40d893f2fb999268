"""cases: an index by the time a case was opened

The organisation's report counts the cases opened in a period, and how soon an adviser reached each
(`case_contact_query` in bot/console/outcome_queries.py): without an index by `opened_at` every report read the
whole cases table, which keeps every case of every year until retention.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_opened_at", "cases", ["opened_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_cases_opened_at", table_name="cases")
