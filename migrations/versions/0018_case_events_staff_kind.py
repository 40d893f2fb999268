"""case_events: an index by staff member, kind and time

A volunteer's task list shows the tasks a case's closing ended (`task_ended`, whose staff member is the volunteer),
lately: without an index that read went through every case event of the organisation on each page view.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_case_events_staff_kind", "case_events", ["staff_id", "kind", "at"])


def downgrade() -> None:
    op.drop_index("ix_case_events_staff_kind", table_name="case_events")
