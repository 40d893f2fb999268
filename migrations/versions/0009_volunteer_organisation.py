"""staff: the volunteer organisation a volunteer belongs to

A volunteer sees a tenant's first name and contact (and an appointment's place): that goes to their organisation,
so a case is handed to a volunteer only with the tenant's consent to share with the organisation the staff row
names (bot/host/consents.py). Volunteers added before have none until an admin records it.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("organisation")
