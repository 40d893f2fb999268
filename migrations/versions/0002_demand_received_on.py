"""the legal clock: when a påkrav reached the tenant

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rent_positions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("demand_received_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rent_positions", schema=None) as batch_op:
        batch_op.drop_column("demand_received_on")
