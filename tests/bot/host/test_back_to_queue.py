"""A held case back in the queue, on SQLite and PostgreSQL: whichever way it goes back (released, its adviser's
account closed, a volunteer's task ended with nobody holding it), its tenant is told once that nobody reads along."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.host.cases import cases_back_from, finish_task, release_case, take_case
from bot.runtime import Runtime
from bot.store.schema import cases, messages, outbox
from tests.bot.host.conftest import START
from tests.support.console import add_case, add_person, add_tenant
from tests.support.drive import drain, sandbox


async def _told(rt: Runtime) -> list[tuple[int, str, str]]:
    """(case, template, idempotency key) of every text queued, oldest first."""
    async with rt.db.read() as conn:
        found = await conn.execute(
            select(messages.c.case_id, messages.c.template, outbox.c.idempotency_key)
            .join(outbox, outbox.c.message_id == messages.c.id)
            .order_by(messages.c.id)
        )
        return [(int(r.case_id), str(r.template), str(r.idempotency_key)) for r in found]


async def test_every_way_back_to_the_queue_tells_the_tenant_once(rt: Runtime) -> None:
    adviser = await add_person(rt, "adviser@example.org", "adviser")
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    released, left, tasked = [
        await add_case(rt, await add_tenant(rt, f"R-{i}", phone=f"+452000000{i}")) for i in (1, 2, 3)
    ]
    async with rt.db.write() as conn:
        for case_id in (released, left, tasked):
            await take_case(conn, case_id, adviser, START)
        await release_case(conn, released, adviser, START, rt.settings)
        await take_case(conn, released, adviser, START)  # taken again: held, like the others
        await conn.execute(update(cases).where(cases.c.id == tasked).values(status="volunteer", volunteer_id=volunteer))
        assert sorted(await cases_back_from(conn, adviser, START, rt.settings)) == sorted([released, left, tasked])
        await finish_task(conn, tasked, volunteer, False, START, rt.settings)
    told = [(case_id, template) for case_id, template, _ in await _told(rt)]
    assert sorted(t for t in told if t[1] == "case.released") == sorted(
        [
            (released, "case.released"),
            (released, "case.released"),
            (left, "case.released"),
            (tasked, "case.released"),
        ]
    )
    keys = [key for _, _, key in await _told(rt)]
    assert len(set(keys)) == len(keys)


async def test_at_night_each_way_back_to_the_queue_tells_the_tenant_when_quiet_hours_end(rt: Runtime) -> None:
    """The adviser's account closed at 23:30, and a volunteer's task on a case of theirs ended then: keephome wrote
    those notices itself, and they wait for the morning like a release by hand."""
    adviser = await add_person(rt, "adviser@example.org", "adviser")
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    phones = {"left": "+4520000011", "tasked": "+4520000012"}
    left, tasked = [await add_case(rt, await add_tenant(rt, f"N-{n}", phone=phones[n])) for n in ("left", "tasked")]
    night = START.replace(hour=22, minute=30)  # 23:30 in Copenhagen
    rt.clock.offset = night - START
    async with rt.db.write() as conn:
        for case_id in (left, tasked):
            await take_case(conn, case_id, adviser, night)
        await conn.execute(update(cases).where(cases.c.id == tasked).values(status="volunteer", volunteer_id=volunteer))
        await cases_back_from(conn, adviser, night, rt.settings)
        # The task ends with nobody holding the case.
        await finish_task(conn, tasked, volunteer, False, night, rt.settings)
    await drain(rt.sender)
    assert sandbox(rt)["sms"].sent == []
    rt.clock.offset = START.replace(day=3, hour=8) - START  # 09:00 in Copenhagen
    await drain(rt.sender)
    released = rt.renderer.render("case.released", {}, "da", "sms").text
    assert [[m.text for m in sandbox(rt)["sms"].to(phone)] for phone in phones.values()] == [[released], [released]]
