"""Reaching the unreachable: a case whose tenant went quiet (KEEPHOME_NO_ANSWER_DAYS) or whose last message
failed offers a phone call, once; a call that does not reach the tenant gives the caretaker a door knock or a
postcard; a step that reaches them is "contact made"; a round that reached nobody is counted. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import event, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.app import create_app
from bot.host.outreach import never_reached_query
from bot.reminders.jobs import JobServices, outreach_job
from bot.runtime import Clock, Runtime
from bot.store.schema import audit_log, case_events, case_tasks, messages, tenants
from bot.tenants.erase import erase
from tests.conftest import make_settings, started_runtime
from tests.support.console import add_case, add_person, add_tenant, login, post_form, posted_twice

# A Tuesday morning in Copenhagen, outside quiet hours.
START = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)


class SetClock(Clock):
    """A clock a test sets by hand."""

    def __init__(self, at: datetime) -> None:
        super().__init__()
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@asynccontextmanager
async def _serving(url: str) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    async with started_runtime(make_settings(url), SetClock(START)) as rt:
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
            yield rt, client


@pytest.fixture
async def served(database_url: str) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    async with _serving(database_url) as both:
        yield both


@pytest.fixture
async def served_on_sqlite(sqlite_url: str) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    """On SQLite, where the writer is an engine of its own (on PostgreSQL reads go through the same one)."""
    async with _serving(sqlite_url) as both:
        yield both


def clock(rt: Runtime) -> SetClock:
    assert isinstance(rt.clock, SetClock)
    return rt.clock


async def run_job(rt: Runtime, at: datetime) -> int:
    clock(rt).at = at
    return await outreach_job(JobServices(rt.db, rt.settings, rt.clock, rt.sender.wake))


async def tasks_of(rt: Runtime, case_id: int) -> list[tuple[str, str]]:
    async with rt.db.read() as conn:
        rows = await conn.execute(
            select(case_tasks.c.kind, case_tasks.c.status).where(case_tasks.c.case_id == case_id).order_by("id")
        )
        return [(r.kind, r.status) for r in rows]


async def contacts(rt: Runtime, case_id: int) -> int:
    async with rt.db.read() as conn:
        query = select(func.count()).where(case_events.c.case_id == case_id, case_events.c.kind == "contact")
        return int((await conn.execute(query)).scalar_one())


async def quiet_case(
    rt: Runtime, ref: str = "R-1", address: str | None = "Byvej 12, 1. th.", phone: str = "+4520000001"
) -> tuple[int, int]:
    tenant = await add_tenant(rt, ref, name="Beta Tenant", phone=phone, balance_ore=1234500)
    async with rt.db.write() as conn:
        await conn.execute(update(tenants).where(tenants.c.id == tenant).values(address=address))
    return tenant, await add_case(rt, tenant)


async def adviser_and_caretaker(rt: Runtime, client: httpx.AsyncClient) -> int:
    """A caretaker to give outreach steps to, and an adviser signed in; returns the caretaker's id."""
    caretaker = await add_person(rt, "caretaker@example.org", "caretaker")
    await add_person(rt, "adviser@example.org", "adviser")
    await login(client, "adviser@example.org")
    return caretaker


async def test_a_call_is_offered_after_three_silent_days_and_only_once(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    _, case_id = await quiet_case(rt)
    assert await run_job(rt, START + timedelta(days=2, hours=23)) == 0
    assert await tasks_of(rt, case_id) == []
    assert await run_job(rt, START + timedelta(days=3)) == 1
    assert await run_job(rt, START + timedelta(days=3, minutes=15)) == 0
    assert await run_job(rt, START + timedelta(days=9)) == 0
    assert await tasks_of(rt, case_id) == [("call", "open")]
    await add_person(rt, "adviser@example.org", "adviser")
    await login(client, "adviser@example.org")
    page = (await client.get(f"/console/cases/{case_id}")).text
    assert 'id="outreach-offer"' in page


async def test_the_case_page_offers_the_due_call_without_waiting_for_the_job(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    _, case_id = await quiet_case(rt)
    await add_person(rt, "adviser@example.org", "adviser")
    clock(rt).at = START + timedelta(days=2, hours=23)
    await login(client, "adviser@example.org")
    page = f"/console/cases/{case_id}"
    assert 'id="outreach-offer"' not in (await client.get(page)).text
    assert await tasks_of(rt, case_id) == []
    # Three silent days: the page shows the call at once, and the job's next run has nothing left to offer.
    clock(rt).at = START + timedelta(days=3)
    assert 'id="outreach-offer"' in (await client.get(page)).text
    assert 'id="outreach-offer"' in (await client.get(page)).text
    assert await tasks_of(rt, case_id) == [("call", "open")]
    assert await run_job(rt, START + timedelta(days=3, minutes=15)) == 0


async def test_showing_a_case_writes_its_audit_line_and_a_call_only_when_one_is_due(
    served_on_sqlite: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """A page shown takes the writer for the call only when it offers one (on SQLite the webhooks' commits wait
    for the writer); the view itself is always audited."""
    rt, client = served_on_sqlite
    _, case_id = await quiet_case(rt)
    await add_person(rt, "adviser@example.org", "adviser")
    clock(rt).at = START + timedelta(days=2, hours=23)
    await login(client, "adviser@example.org")
    writes: list[object] = []

    def began(conn: object) -> None:
        writes.append(conn)

    event.listen(rt.db.writer.sync_engine, "begin", began)
    try:
        assert 'id="outreach-offer"' not in (await client.get(f"/console/cases/{case_id}")).text
        assert len(writes) == 1  # the audit line of the view
        clock(rt).at = START + timedelta(days=3)  # three silent days: now the page offers the call, and writes it
        assert 'id="outreach-offer"' in (await client.get(f"/console/cases/{case_id}")).text
        assert len(writes) == 3
    finally:
        event.remove(rt.db.writer.sync_engine, "begin", began)
    async with rt.db.read() as conn:
        views = await conn.execute(select(func.count()).select_from(audit_log).where(audit_log.c.action == "case.view"))
        assert views.scalar_one() == 2


async def test_a_reply_starts_the_silence_again(served: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, _ = served
    tenant, case_id = await quiet_case(rt)
    async with rt.db.write() as conn:
        await conn.execute(
            insert(messages).values(
                tenant_id=tenant,
                case_id=case_id,
                direction="in",
                channel="sms",
                author="tenant",
                status="received",
                status_rank=0,
                proactive=False,
                text="hej",
                created_at=START + timedelta(days=2),
                updated_at=START,
            )
        )
    assert await run_job(rt, START + timedelta(days=3)) == 0
    assert await run_job(rt, START + timedelta(days=5)) == 1


async def test_a_failed_message_offers_a_call_at_once(served: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, _ = served
    tenant, case_id = await quiet_case(rt)
    async with rt.db.write() as conn:
        await conn.execute(
            insert(messages).values(
                tenant_id=tenant,
                case_id=case_id,
                direction="out",
                channel="sms",
                author="bot",
                status="undelivered",
                status_rank=0,
                proactive=False,
                error_code="30003",
                created_at=START + timedelta(hours=1),
                updated_at=START,
            )
        )
    assert await run_job(rt, START + timedelta(hours=2)) == 1
    assert await run_job(rt, START + timedelta(hours=3)) == 0
    assert await tasks_of(rt, case_id) == [("call", "open")]


async def test_a_closed_case_offers_nothing(served: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, _ = served
    _, case_id = await quiet_case(rt)
    async with rt.db.write() as conn:
        from bot.store.schema import cases

        await conn.execute(cases.update().where(cases.c.id == case_id).values(status="closed", closed_at=START))
    assert await run_job(rt, START + timedelta(days=4)) == 0


async def test_a_call_that_reaches_the_tenant_is_contact_made(served: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, client = served
    _, case_id = await quiet_case(rt)
    await run_job(rt, START + timedelta(days=3))
    [task_id] = await open_ids(rt, case_id)
    await add_person(rt, "adviser@example.org", "adviser")
    await login(client, "adviser@example.org")
    page = f"/console/cases/{case_id}"
    clock(rt).at = START + timedelta(days=3, hours=2)
    # The same form sent again (a double click, a phone's retry) records nothing; before, it was refused (409).
    response, again = await posted_twice(client, page, f"{page}/step", {"task_id": str(task_id), "outcome": "reached"})
    assert response.status_code == 303
    assert await tasks_of(rt, case_id) == [("call", "reached")]
    assert await contacts(rt, case_id) == 1
    assert again.status_code == 303 and again.headers["location"] == f"{page}?already=step"
    said = (await client.get(again.headers["location"])).text
    assert 'id="recorded-already"' in said and "This call was recorded already: the form was sent twice" in said
    assert await contacts(rt, case_id) == 1
    async with rt.db.read() as conn:
        audited = await conn.execute(select(audit_log.c.action).where(audit_log.c.target == f"case:{case_id}"))
    assert list(audited.scalars()).count("call.reached") == 1
    # Reached: silent again for three days from the call before the next offer.
    assert await run_job(rt, START + timedelta(days=6, hours=1)) == 0
    assert await run_job(rt, START + timedelta(days=6, hours=2)) == 1
    async with rt.db.read() as conn:
        assert (await conn.execute(never_reached_query(START, START + timedelta(days=30)))).scalar_one() == 0


async def open_ids(rt: Runtime, case_id: int) -> list[int]:
    async with rt.db.read() as conn:
        found = await conn.execute(
            select(case_tasks.c.id).where(case_tasks.c.case_id == case_id, case_tasks.c.status == "open")
        )
        return [int(i) for i in found.scalars()]


async def test_the_round_after_a_call_not_reached_and_the_tenant_never_reached(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    _, case_id = await quiet_case(rt)
    await run_job(rt, START + timedelta(days=3))
    [call] = await open_ids(rt, case_id)
    caretaker = await adviser_and_caretaker(rt, client)
    page = f"/console/cases/{case_id}"
    form = {"task_id": str(call), "outcome": "not_reached", "next": "knock", "caretaker_id": str(caretaker)}
    assert (await post_form(client, page, f"{page}/step", form)).status_code == 303
    assert await tasks_of(rt, case_id) == [("call", "not_reached"), ("knock", "open")]
    await client.post("/console/logout", data={})
    client.cookies.clear()
    await login(client, "caretaker@example.org")
    [knock] = await open_ids(rt, case_id)
    assert (await post_form(client, "/console/visits", f"/console/visits/{knock}/not-reached", {})).status_code == 303
    assert await tasks_of(rt, case_id) == [("call", "not_reached"), ("knock", "not_reached"), ("postcard", "open")]
    [card] = await open_ids(rt, case_id)
    assert (await post_form(client, "/console/visits", f"/console/visits/{card}/sent", {})).status_code == 303
    assert await open_ids(rt, case_id) == []
    assert await contacts(rt, case_id) == 0
    async with rt.db.read() as conn:
        assert (await conn.execute(never_reached_query(START, START + timedelta(days=30)))).scalar_one() == 1
        assert (
            await conn.execute(never_reached_query(START + timedelta(days=30), START + timedelta(days=60)))
        ).scalar_one() == 0
    # The round ran out: nothing more is offered until the tenant is heard from.
    assert await run_job(rt, START + timedelta(days=20)) == 0


async def test_without_an_address_no_knock_or_postcard_is_offered_or_given(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    _, case_id = await quiet_case(rt, address=None)
    await run_job(rt, START + timedelta(days=3))
    [call] = await open_ids(rt, case_id)
    await adviser_and_caretaker(rt, client)
    page = f"/console/cases/{case_id}"
    # The adviser is told before the call: no caretaker's step to choose, and where the address comes from.
    shown = (await client.get(page)).text
    assert 'id="outreach-offer"' in shown and 'id="no-address"' in shown and "import the tenants again" in shown
    assert 'name="next"' not in shown
    # A knock asked for all the same (an old form) is refused, and the call stays open.
    form = {"task_id": str(call), "outcome": "not_reached", "next": "knock"}
    refused = await post_form(client, page, f"{page}/step", form)
    assert refused.status_code == 409 and "No address is stored for this tenant" in refused.text
    assert await tasks_of(rt, case_id) == [("call", "open")]
    # Not reached: the call ends there, and the caretaker has nothing to knock on or print.
    ended = await post_form(client, page, f"{page}/step", {"task_id": str(call), "outcome": "not_reached"})
    assert ended.status_code == 303
    assert await tasks_of(rt, case_id) == [("call", "not_reached")]
    client.cookies.clear()
    await login(client, "caretaker@example.org")
    assert "No visits for you" in (await client.get("/console/visits")).text


async def test_a_knock_that_reaches_the_tenant_is_contact_made(served: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, client = served
    _, case_id = await quiet_case(rt)
    await run_job(rt, START + timedelta(days=3))
    [call] = await open_ids(rt, case_id)
    await adviser_and_caretaker(rt, client)
    page = f"/console/cases/{case_id}"
    await post_form(client, page, f"{page}/step", {"task_id": str(call), "outcome": "not_reached"})
    client.cookies.clear()
    await login(client, "caretaker@example.org")
    [knock] = await open_ids(rt, case_id)
    assert (await post_form(client, "/console/visits", f"/console/visits/{knock}/reached", {})).status_code == 303
    assert await contacts(rt, case_id) == 1
    assert await tasks_of(rt, case_id) == [("call", "not_reached"), ("knock", "reached")]
    async with rt.db.read() as conn:
        assert (await conn.execute(never_reached_query(START, START + timedelta(days=30)))).scalar_one() == 0


async def test_closing_the_case_cancels_its_open_steps(served: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, client = served
    _, case_id = await quiet_case(rt)
    await run_job(rt, START + timedelta(days=3))
    [call] = await open_ids(rt, case_id)
    await adviser_and_caretaker(rt, client)
    page = f"/console/cases/{case_id}"
    await post_form(client, page, f"{page}/step", {"task_id": str(call), "outcome": "not_reached"})
    await post_form(client, page, f"{page}/take", {})
    assert (await post_form(client, page, f"{page}/close", {"outcome": "no_contact"})).status_code == 303
    assert await tasks_of(rt, case_id) == [("call", "not_reached"), ("knock", "cancelled")]
    client.cookies.clear()
    await login(client, "caretaker@example.org")
    assert 'class="card visit"' not in (await client.get("/console/visits")).text


async def never_reached(rt: Runtime, days: tuple[int, int] = (0, 30)) -> int:
    async with rt.db.read() as conn:
        query = never_reached_query(START + timedelta(days=days[0]), START + timedelta(days=days[1]))
        return int((await conn.execute(query)).scalar_one())


async def test_a_call_nobody_made_is_no_attempt_to_reach_the_tenant(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """Closing the case or erasing the tenant cancels the offered call: outreach was never tried, so neither tenant
    is one "never reached"; a call made and not answered before the close counts."""
    rt, client = served
    _, closed = await quiet_case(rt, "R-1")
    _, erased_case = await quiet_case(rt, "R-2", phone="+4520000002")
    _, tried = await quiet_case(rt, "R-3", phone="+4520000003")
    await run_job(rt, START + timedelta(days=3))
    await adviser_and_caretaker(rt, client)
    for case_id in (closed, tried):
        page = f"/console/cases/{case_id}"
        if case_id == tried:
            [call] = await open_ids(rt, case_id)
            await post_form(client, page, f"{page}/step", {"task_id": str(call), "outcome": "not_reached"})
        await post_form(client, page, f"{page}/take", {})
        assert (await post_form(client, page, f"{page}/close", {"outcome": "no_contact"})).status_code == 303
    await erase(rt.db, "R-2", rt.clock(), "cli", rt.settings.secret_key)
    assert await tasks_of(rt, closed) == [("call", "cancelled")]
    assert await tasks_of(rt, erased_case) == [("call", "cancelled")]
    assert await tasks_of(rt, tried) == [("call", "not_reached"), ("knock", "cancelled")]
    assert await never_reached(rt) == 1


async def test_a_cancelled_call_does_not_date_the_attempt(served: tuple[Runtime, httpx.AsyncClient]) -> None:
    """A call offered and cancelled in one period, then a call made and not answered in the next (its knock
    cancelled with the case): the tenant counts in the period the call was made, not when the first was offered."""
    rt, client = served
    tenant, first_case = await quiet_case(rt)
    await run_job(rt, START + timedelta(days=3))
    await adviser_and_caretaker(rt, client)
    page = f"/console/cases/{first_case}"
    await post_form(client, page, f"{page}/take", {})
    assert (await post_form(client, page, f"{page}/close", {"outcome": "no_contact"})).status_code == 303
    clock(rt).at = START + timedelta(days=31)
    second_case = await add_case(rt, tenant)
    await run_job(rt, START + timedelta(days=35))
    [call] = await open_ids(rt, second_case)
    client.cookies.clear()  # a month later: the session of 12 hours has ended
    await login(client, "adviser@example.org")
    page = f"/console/cases/{second_case}"
    await post_form(client, page, f"{page}/step", {"task_id": str(call), "outcome": "not_reached"})
    await post_form(client, page, f"{page}/take", {})
    assert (await post_form(client, page, f"{page}/close", {"outcome": "no_contact"})).status_code == 303
    assert await tasks_of(rt, second_case) == [("call", "not_reached"), ("knock", "cancelled")]
    assert await never_reached(rt, (0, 30)) == 0
    assert await never_reached(rt, (30, 60)) == 1


async def test_the_database_holds_one_open_step_of_a_kind_but_not_for_the_referrals_steps(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, _ = served
    tenant, case_id = await quiet_case(rt)
    row = {"case_id": case_id, "tenant_id": tenant, "status": "open", "created_at": START, "updated_at": START}
    async with rt.db.write() as conn:
        await conn.execute(insert(case_tasks), [{**row, "kind": "boligstoette"}, {**row, "kind": "boligstoette"}])
        await conn.execute(insert(case_tasks).values(**row, kind="knock"))
    with pytest.raises(IntegrityError):
        async with rt.db.write() as conn:
            await conn.execute(insert(case_tasks).values(**row, kind="knock"))
    assert await tasks_of(rt, case_id) == [("boligstoette", "open"), ("boligstoette", "open"), ("knock", "open")]
