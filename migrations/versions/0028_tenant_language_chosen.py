"""tenants: when the tenant chose their language themselves

A tenant who writes ENGLISH (or DANSK, or another enabled language's word) reads that language from then on, but
every import of the organisation's file wrote the file's language over it: the next nightly import gave them Danish
again. `language_chosen_at` is set when the tenant chooses; an import keeps such a tenant's language and sets only
the language of a tenant who never chose. Tenants stored before this revision have chosen nothing known: none.

Revision ID: 0028
Revises: 0027
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language_chosen_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN, never a copy of the table (as 0017).
    with op.batch_alter_table("tenants", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("language_chosen_at")
