"""api_keys: the console form that made a key, so the same form sent again makes no second key

A key is shown once, on the answer to the form that made it. Sent again (a reload that repeats the POST, the back
button and a second click), the form made a second live key under the same name, and nothing said which one had
been copied. The form's one-time value is kept with the key it made: the same value again makes nothing and says so.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("form_nonce", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_api_keys_form_nonce"), ["form_nonce"])


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_api_keys_form_nonce"), type_="unique")
        batch_op.drop_column("form_nonce")
