"""A tenant with a history, made the way the service makes one: by SMS through the inbox, and by an adviser
and an admin through the console. The export and erasure tests read and remove it."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy import select

from bot.host.cases import finish_task
from bot.inbound.inbox import InboundMessage
from bot.runtime import Runtime
from bot.store.schema import cases
from bot.tenants.linking import create_code
from tests.support.console import add_person, add_tenant, login, post_form, volunteers_may_see
from tests.support.drive import drain, process_all

__all__ = ["History", "a_tenant_with_a_history"]

NAME = "Amira Zyxwvu"
PHONE = "+4520987654"
REF = "A-4711-7"
# What the tenant wrote and what staff wrote about them: none of it may survive an erasure.
TENANT_WORDS = ("Hej fra Amira", "Jeg har mistet mit arbejde og kan ikke betale huslejen")
NOTE = "Ringede til Amira om en betalingsaftale"
TASK = "Ring til Amira torsdag"
REPLY = "Hej Amira, jeg ringer dig op i morgen"
OUTCOME_NOTE = "Aftale med Amira om rater"


@dataclass(frozen=True)
class History:
    tenant_id: int
    case_id: int
    ref: str = REF
    name: str = NAME
    phone: str = PHONE

    @property
    def words(self) -> tuple[str, ...]:
        """Every text about the tenant the history wrote (their name is inside most of them)."""
        return (*TENANT_WORDS, NOTE, TASK, REPLY, OUTCOME_NOTE)


async def a_tenant_with_a_history(rt: Runtime, client: httpx.AsyncClient, *, close: bool = True) -> History:
    """The tenant writes, tells why, agrees to an adviser reading along; an adviser takes the case, replies, notes,
    gives a volunteer a task (the tenant signed a consent to share their contact with the volunteer's organisation)
    and closes it with an outcome (unless `close` is False); an admin looks them up."""
    tenant_id = await add_tenant(
        rt, REF, name=NAME, phone=PHONE, balance_ore=710_050, monthly_rent_ore=690_000, language="da"
    )
    for n, text in enumerate([*TENANT_WORDS, "JA"]):
        await rt.inbox.submit(InboundMessage("sms", f"SM-history-{n}", PHONE, text))
        await process_all(rt.processor)
        await drain(rt.sender)
    async with rt.db.read() as conn:
        case_id = int((await conn.execute(select(cases.c.id).where(cases.c.tenant_id == tenant_id))).scalar_one())
    async with rt.db.write() as conn:
        await conn.run_sync(create_code, tenant_id, rt.clock(), 60)
    await add_person(rt, "adviser@example.org", "adviser")
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    assert (await login(client, "adviser@example.org")).status_code == 303
    page = f"/console/cases/{case_id}"
    assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    assert (
        await post_form(client, page, f"{page}/reply", {"text": REPLY, "nonce": "history-reply-1"})
    ).status_code == 303
    assert (await post_form(client, page, f"{page}/note", {"text": NOTE})).status_code == 303
    await volunteers_may_see(rt, case_id)  # the volunteer's organisation may see the tenant's contact
    task = {"task": TASK, "due": "2099-01-01", "volunteer_id": str(volunteer)}
    assert (await post_form(client, page, f"{page}/task", task)).status_code == 303
    if close:
        async with rt.db.write() as conn:
            await finish_task(conn, case_id, volunteer, False, rt.clock(), rt.settings)
        closing = {"outcome": "payment_plan", "note": OUTCOME_NOTE}
        assert (await post_form(client, page, f"{page}/close", closing)).status_code == 303
    assert (await client.get(f"/console/tenants/{tenant_id}")).status_code == 200
    await drain(rt.sender)
    return History(tenant_id, case_id)
