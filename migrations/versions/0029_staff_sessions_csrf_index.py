"""staff_sessions: an index by CSRF token

A form posted after its session ended is answered with the typed text kept for the person who typed it, found by
the form's CSRF token (`author` in bot/console/kept_text.py): without an index by `csrf_token` every such post read
every session kept, and a session row stays until retention purges it.

Revision ID: 0029
Revises: 0028
"""

from __future__ import annotations

from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_staff_sessions_csrf_token", "staff_sessions", ["csrf_token"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_staff_sessions_csrf_token", table_name="staff_sessions")
