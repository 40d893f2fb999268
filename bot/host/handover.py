"""A person's work when they leave a role: their account closed, or their role changed to one that does not do it.

Nothing waits for someone who will not come back to it. What each role holds goes where the others find it:
- an adviser's (or admin's) cases go back to the queue, held by nobody, as a released case does, and each tenant is
  told so, as on a release; a case with a volunteer's task keeps the task, and comes to the queue (its tenant told
  then) when the task is done or taken back (`bot/host/cases.py`, `cases_back_from`);
- a volunteer's appointments are cancelled (a tenant told of one hears it is off) and their tasks go back to the
  advisers holding the cases (`cancel_volunteers`, `tasks_back_from`);
- a caretaker's door knocks and postcards go to any caretaker (`steps_back_from`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.host.appointments import cancel_volunteers
from bot.host.cases import cases_back_from, tasks_back_from
from bot.host.outreach import steps_back_from
from bot.settings import Settings
from bot.store.schema import cases

__all__ = ["HandedBack", "hand_back_work"]

# The roles that hold cases: a change between them keeps the cases with the person.
_HOLDS_CASES = frozenset({"adviser", "admin"})


@dataclass(frozen=True)
class HandedBack:
    """What went back: cases to the queue, volunteer tasks to the advisers, appointments cancelled, caretaker steps
    to any caretaker."""

    cases: int = 0
    # cases nobody holds now that keep their volunteer's task: they come to the queue when the task ends
    kept: int = 0
    tasks: int = 0
    appointments: int = 0
    steps: int = 0

    def total(self) -> int:
        return self.cases + self.kept + self.tasks + self.appointments + self.steps

    def detail(self) -> str:
        """The audit entry's words."""
        return (
            f"cases_back={self.cases + self.kept} tasks_back={self.tasks} "
            f"appointments_cancelled={self.appointments} visits_back={self.steps}"
        )


async def hand_back_work(
    conn: AsyncConnection, staff_id: int, role: str, now: datetime, settings: Settings, new_role: str | None = None
) -> HandedBack:
    """Give back what `staff_id` holds in `role`, which they leave (for `new_role`; None: the account closed)."""
    if new_role == role or (role in _HOLDS_CASES and new_role in _HOLDS_CASES):
        return HandedBack()
    if role in _HOLDS_CASES:
        back = await cases_back_from(conn, staff_id, now, settings)
        with_task = select(func.count()).where(cases.c.id.in_(back), cases.c.status == "volunteer")
        kept = int((await conn.execute(with_task)).scalar_one()) if back else 0
        return HandedBack(cases=len(back) - kept, kept=kept)
    if role == "volunteer":
        # Nobody would come to their appointments, and nobody could do their tasks.
        cancelled = await conn.run_sync(cancel_volunteers, staff_id, now, settings)
        return HandedBack(tasks=len(await tasks_back_from(conn, staff_id, now, settings)), appointments=cancelled)
    if role == "caretaker":
        return HandedBack(steps=await conn.run_sync(steps_back_from, staff_id, now))
    return HandedBack()
