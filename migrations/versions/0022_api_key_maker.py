"""api_keys: the admin who made each key

Keys are the organisation's integrations and outlive the admin who made them; the admins left must see which keys
were made by someone who has gone, so the keys page names each key's maker (`made_by`, a staff id; empty for a key
made with `keephome apikey add`). A key made before this revision gets its maker from the audit log's `apikey.add`
entry, which has named the admin since keys could be made in the console.

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

# No foreign key: a staff row is never deleted, and SQLite drops no column that one names (the downgrade).
_FROM_AUDIT = sa.text(
    "UPDATE api_keys SET made_by = ("
    " SELECT CAST(SUBSTR(a.actor, 7) AS INTEGER) FROM audit_log a"
    " WHERE a.action = 'apikey.add' AND a.actor LIKE 'staff:%' AND a.target = 'apikey:' || CAST(api_keys.id AS TEXT)"
    " ORDER BY a.id LIMIT 1"
    ")"
)


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("made_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True))
    op.execute(_FROM_AUDIT)


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN, never a copy of the table: dropping the old `api_keys` in a copy would take every
    # idempotency row with it (ON DELETE CASCADE).
    with op.batch_alter_table("api_keys", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("made_by")
