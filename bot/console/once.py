"""A console form that does its work once.

Its one-time value (`web.form_nonce`) goes on the case event its work makes. The same form sent again (a double click,
the browser's back and resubmit, a phone's retry) does nothing, and the page says it was done already instead of
refusing what now looks like a change to a case that has moved on (taken, closed, its task finished). A refused form
made no event: sent again, it is refused again with its reason.

The steps, in this order: `done_before` as the form arrives (before it is checked against the case as it is now),
`done_inside` in the work's write (the case row locked first, so a second submit that waited for the first's write
finds it done), the work, then `mark` in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response

from bot.console.case_page import recorded_already
from bot.console.web import runtime
from bot.host.cases import form_done, form_event, mark_form
from bot.store.schema import cases

__all__ = ["Once", "case_form", "lock_case"]


async def lock_case(conn: AsyncConnection, case_id: int) -> Any:
    """The case's status and holder as they are now, the row locked (on PostgreSQL) until the write ends."""
    return (
        await conn.execute(select(cases.c.status, cases.c.assignee_id).where(cases.c.id == case_id).with_for_update())
    ).first()


@dataclass(frozen=True)
class Once:
    """One form's work on a case: the case event of `kind` it makes carries `nonce`; `already` is the answer to the
    same form sent again (the page it came from, saying it was done already)."""

    case_id: int
    kind: str
    nonce: str
    already: Callable[[], Response]

    async def done(self, conn: AsyncConnection) -> bool:
        """Whether this form did its work already."""
        return await conn.run_sync(form_done, self.case_id, self.kind, self.nonce)

    async def done_before(self, request: Request) -> bool:
        """The same, read before the form is checked against the case as it is now."""
        async with runtime(request).db.read() as conn:
            return await self.done(conn)

    async def done_inside(self, conn: AsyncConnection) -> bool:
        """The same inside the work's write, the case row locked first."""
        await lock_case(conn, self.case_id)
        return await self.done(conn)

    async def mark(self, conn: AsyncConnection) -> None:
        """Mark the event the work has just made, in the work's transaction."""
        await conn.run_sync(mark_form, self.case_id, self.kind, self.nonce)

    async def record(self, conn: AsyncConnection, staff_id: int, at: datetime) -> None:
        """Make the case event of `kind` with the form's one-time value, in the work's transaction: for work that makes
        no case event of its own (a referral, its decision, a step beside it)."""
        await conn.run_sync(form_event, self.case_id, staff_id, self.kind, None, at, self.nonce)


def case_form(case_id: int, kind: str, what: str, nonce: str) -> Once:
    """A case-page form that does its work once: sent again, the case page says it was done already (`what`, a key of
    `case_page.ALREADY`)."""
    return Once(case_id, kind, nonce, partial(recorded_already, case_id, what))
