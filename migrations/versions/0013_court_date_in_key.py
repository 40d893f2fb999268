"""planned_reminders: a court date's outreach has the day in its key

A court reminder's key was (tenant, court, the event's month, no offset) for the outreach of a termination and of a
court date alike, so a court date learned in the month of the termination, or moved within its month, met the key
already recorded and made no outreach and no urgent case. A court date's outreach now records COURT_DATE_OFFSET
(100) plus the court date's day of the month as its offset (`scheduler.policy`).

The outreaches recorded before keep their meaning: one computed from a court date (`computed_from`, kept since
0012), or one whose month is that of the tenant's court date now (older rows), takes the new offset, so the same
court date is not reached out to again after the upgrade.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

COURT_DATE_OFFSET = 100  # scheduler.model.COURT_DATE_OFFSET, written here as it was when this ran


def _court_day(computed_from: object, period: str, court_now: object) -> int | None:
    """The day of the month of the court date an outreach recorded with no offset was about, if it was one."""
    values = json.loads(computed_from) if isinstance(computed_from, str) else computed_from
    if isinstance(values, dict):
        if "court_date" not in values or "court_eve" in values:
            return None
        recorded = date.fromisoformat(str(values["court_date"]))
        return recorded.day if recorded.strftime("%Y-%m") == period else None
    if court_now is None:
        return None
    court = court_now if isinstance(court_now, date) else date.fromisoformat(str(court_now)[:10])
    return court.day if court.strftime("%Y-%m") == period else None


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT p.id, p.period, p.computed_from, r.court_date FROM planned_reminders p "
            "LEFT JOIN rent_positions r ON r.tenant_id = p.tenant_id "
            "WHERE p.trigger = 'court' AND p.offset_days = -1"
        )
    ).all()
    for row_id, period, computed_from, court_now in rows:
        day = _court_day(computed_from, period, court_now)
        if day is not None:
            bind.execute(
                sa.text("UPDATE planned_reminders SET offset_days = :offset WHERE id = :id"),
                {"offset": COURT_DATE_OFFSET + day, "id": row_id},
            )


def downgrade() -> None:
    # Back to one key a month: where a termination's outreach holds it already, the court date's goes.
    op.execute(
        sa.text(
            "DELETE FROM planned_reminders WHERE trigger = 'court' AND offset_days > :base AND EXISTS ("
            "SELECT 1 FROM planned_reminders o WHERE o.tenant_id = planned_reminders.tenant_id "
            "AND o.trigger = 'court' AND o.period = planned_reminders.period AND o.offset_days = -1)"
        ).bindparams(base=COURT_DATE_OFFSET)
    )
    op.execute(
        sa.text(
            "UPDATE planned_reminders SET offset_days = -1 WHERE trigger = 'court' AND offset_days > :base"
        ).bindparams(base=COURT_DATE_OFFSET)
    )
