"""case_events: the console form that recorded a note or "contact made", so the same form sent again records nothing

A browser that sends a form again (a reload that repeats the POST, the back button) or a phone that retries
recorded the same note twice and counted the same call twice as contact made. The case page's one-time value is kept
with the event the form made: the same value again records nothing and the page says it was recorded already.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("form_nonce", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_case_events_form", ["kind", "form_nonce"])


def downgrade() -> None:
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_constraint("uq_case_events_form", type_="unique")
        batch_op.drop_column("form_nonce")
