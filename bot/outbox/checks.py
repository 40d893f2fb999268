"""The last look before a proactive send: is the pause on, and is the tenant still active?

A claimed row may wait a while for its turn under the rate limit; meanwhile someone may pause sending (in any
process: the switch is read from the database, never cached) or the tenant may send STOP. Right before such a
row goes, the sender asks here. Every send that asks while no read runs shares the next read — one query for
the whole slice of sends of that moment — and a read answers only the sends that asked before it started, so
nothing read before a STOP or a pause was committed lets a send through after it.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select

from bot.store.db import Database
from bot.store.flags import is_paused
from bot.store.schema import tenants

__all__ = ["PAUSED_NOW", "SendCheck"]

log = logging.getLogger(__name__)

# What `SendCheck.ask` answers while sending is paused (a tenant who is not active gets their status instead).
PAUSED_NOW = "paused"

_Ask = tuple[int | None, asyncio.Future[str | None]]


class SendCheck:
    """Reads the pause switch and tenants' statuses for the proactive sends that are about to go."""

    def __init__(self, db: Database, *, paused_setting: bool = False) -> None:
        self._db = db
        self._paused_setting = paused_setting
        self._asks: list[_Ask] = []
        self._reader: asyncio.Task[None] | None = None
        self.reads = 0  # how many reads answered asks (the tests count them)

    async def ask(self, tenant_id: int | None) -> str | None:
        """None when a proactive message to this tenant may go now; otherwise `PAUSED_NOW` or the tenant's status
        (`stopped`, `wrong_number`, `erased`). Raises when the database cannot be read (the row then waits)."""
        answer: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._asks.append((tenant_id, answer))
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read_all(), name="send-check")
        return await answer

    async def _read_all(self) -> None:
        while self._asks:
            asks, self._asks = self._asks, []
            try:
                paused, statuses = await self._read({t for t, _ in asks if t is not None})
            except Exception as exc:  # the database is unreachable: these sends wait
                for _, answer in asks:
                    if not answer.done():
                        answer.set_exception(exc)
                continue
            self.reads += 1
            for tenant_id, answer in asks:
                if answer.done():
                    continue
                if paused:
                    answer.set_result(PAUSED_NOW)
                elif tenant_id is None:
                    answer.set_result(None)
                else:
                    status = statuses.get(tenant_id, "erased")
                    answer.set_result(None if status == "active" else status)

    async def _read(self, tenant_ids: set[int]) -> tuple[bool, dict[int, str]]:
        async with self._db.read() as conn:
            paused = self._paused_setting or await conn.run_sync(is_paused)
            statuses: dict[int, str] = {}
            if tenant_ids:
                found = await conn.execute(select(tenants.c.id, tenants.c.status).where(tenants.c.id.in_(tenant_ids)))
                statuses = {int(tid): str(status) for tid, status in found}
        return paused, statuses
