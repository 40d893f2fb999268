"""What a tenant who opted out writes reaches staff: a case to take when they ask for a person or write words of crisis,
set aside for staff otherwise, their open case hears it; and they hear once a day how to come back only where a reply
reaches them (keephome's own AFMELD, Telegram), never after the carrier's STOP or an import as opted out."""

from __future__ import annotations

import html

import httpx
from sqlalchemy import select

from bot.inbound.stopped import STOPPED_ASKED
from bot.runtime import Runtime
from bot.store.schema import cases, consents, inbound, outbox, staff, tenants
from tests.support.console import add_case, add_person, add_tenant, staff_client
from tests.support.drive import say

PHONE = "+4520000001"


async def _say(rt: Runtime, text: str, sid: str, sender: str = PHONE, channel: str = "sms") -> list[str]:
    """One message from the tenant of this module's number unless told otherwise (`say`)."""
    return await say(rt, text, sid, sender, channel)


async def _cases(rt: Runtime) -> list[tuple[int, str, str, bool]]:
    async with rt.db.read() as conn:
        found = await conn.execute(
            select(cases.c.tenant_id, cases.c.status, cases.c.reason, cases.c.consented).order_by(cases.c.id)
        )
        return [(int(t), s, r, bool(c)) for t, s, r, c in found.all()]


async def _set_aside(rt: Runtime) -> list[str]:
    async with rt.db.read() as conn:
        found = await conn.execute(select(inbound.c.provider_id).where(inbound.c.failed_at.is_not(None)))
        return sorted(found.scalars())


async def test_an_opted_out_tenant_who_asks_for_help_becomes_a_case_an_adviser_can_take(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """Gitte, imported as opted out, writes "hjælp, jeg bliver sat ud, hvad gør jeg??" and then "RÅDGIVER": no SMS
    goes to her (no opt-out word of hers is on record: the carrier may block the number), but the inbox has her
    case, which says why and to call her; her second message reaches the same case."""
    rt, _client = served
    gitte = await add_tenant(rt, "DEMO-10", name="Gitte Attrap", status="stopped", balance_ore=630_000)
    assert await _say(rt, "hjælp, jeg bliver sat ud, hvad gør jeg??", "SM1") == []
    assert await _cases(rt) == [(gitte, "waiting", STOPPED_ASKED, False)]
    assert await _say(rt, "RÅDGIVER", "SM2") == []
    assert await _cases(rt) == [(gitte, "waiting", STOPPED_ASKED, False)]
    assert await _set_aside(rt) == []  # the case is where staff see her words, not also the set-aside list
    async with staff_client(rt, "adviser") as adviser:
        inbox = (await adviser.get("/console/")).text
        [case_id] = await _ids(rt)
        assert f'<tr data-case="{case_id}">' in inbox and ">Gitte</a>" in inbox
        assert "keephome cannot write to the tenant: stopped (wrote STOP)" in inbox
        page = (await adviser.get(f"/console/cases/{case_id}")).text
        assert html.escape("wrote something that needs a person: call them") in page
    async with rt.db.read() as conn:
        status = (await conn.execute(select(tenants.c.status).where(tenants.c.id == gitte))).scalar_one()
    assert status == "stopped"  # asking for help does not opt her back in: only START does


async def _ids(rt: Runtime) -> list[int]:
    async with rt.db.read() as conn:
        return [int(i) for i in (await conn.execute(select(cases.c.id))).scalars()]


async def test_an_opted_out_tenants_other_words_are_set_aside_for_staff_and_answered_once_a_day(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """After keephome's own AFMELD a reply reaches the number: "jeg har betalt" gets, once a day, how START brings
    messages back and whom to call, and the message is set aside for staff (the admin page and the tenant's page list
    it; its words only with the tenant's consent). No case: nobody was asked for."""
    rt, _client = served
    tenant_id = await add_tenant(rt, "T-1", name="Bent Berg")
    assert "afmeldt" in (await _say(rt, "AFMELD", "SM1"))[0]
    [word] = await _say(rt, "jeg har betalt", "SM2")
    assert "START" in word and "ringe" in word
    assert await _say(rt, "jeg har betalt i går", "SM3") == []  # once a day
    assert await _set_aside(rt) == ["SM2", "SM3"]  # not the AFMELD, which did what it says
    assert await _cases(rt) == []
    async with staff_client(rt, "admin") as admin:
        listed = (await admin.get("/console/admin")).text.split('id="unanswered"')[1].split('<div class="card"')[0]
        assert f'<a href="/console/tenants/{tenant_id}">T-1</a> Bent Berg' in listed
        assert "jeg har betalt" not in listed  # no consent: the words stay the tenant's
        assert listed.count('<tr data-inbound="') == 2
        tenant_page = (await admin.get(f"/console/tenants/{tenant_id}")).text
        assert "Messages keephome could not handle" in tenant_page


async def test_words_of_crisis_from_a_tenant_who_wrote_the_carriers_stop_open_a_case_and_send_nothing(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """After the carrier's STOP nothing may go to the number, not even the crisis line; the words open a case to take
    (the reason says nothing of what was written), so a person can call."""
    rt, _client = served
    tenant_id = await add_tenant(rt, "T-1", name="Bent Berg")
    assert "afmeldt" in (await _say(rt, "STOP", "SM1"))[0]
    assert await _say(rt, "jeg vil ikke leve mere", "SM2") == []
    assert await _cases(rt) == [(tenant_id, "waiting", STOPPED_ASKED, False)]
    assert await _set_aside(rt) == []


async def test_an_opted_out_tenants_message_reaches_the_case_an_adviser_holds(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """Jamie wrote STOP on Telegram while an adviser held his case, then writes again: the case hears it (its time
    moves, a case that waited for him is the adviser's to answer again); the bot says only the day's word on START."""
    from bot.host.cases import take_case
    from tests.support.console import add_case, add_person

    rt, _client = served
    chat = 4242
    tenant_id = await add_tenant(rt, "T-1", name="Jamie Holm", chat_id=chat)
    case_id = await add_case(rt, tenant_id)
    adviser = await add_person(rt, "adviser@example.org", "adviser")
    async with rt.db.write() as conn:
        await take_case(conn, case_id, adviser, rt.clock())
        await conn.execute(cases.update().where(cases.c.id == case_id).values(status="waiting_tenant"))
    await _say(rt, "STOP", f"{chat}:1", sender=str(chat), channel="telegram")
    [word] = await _say(rt, "hvornår ringer du?", f"{chat}:2", sender=str(chat), channel="telegram")
    assert "START" in word
    async with rt.db.read() as conn:
        status = (await conn.execute(select(cases.c.status).where(cases.c.id == case_id))).scalar_one()
    assert status == "taken"
    assert await _set_aside(rt) == [] and len(await _cases(rt)) == 1


async def _adviser_told(rt: Runtime) -> None:
    """An adviser who asked to hear of urgent cases on Telegram."""
    person = await add_person(rt, "adviser@example.org", "adviser")
    async with rt.db.write() as conn:
        await conn.execute(
            staff.update().where(staff.c.id == person).values(telegram_chat_id=555, notify_telegram=True)
        )


async def _consented(rt: Runtime, tenant_id: int) -> None:
    async with rt.db.write() as conn:
        await conn.execute(
            consents.insert().values(
                tenant_id=tenant_id, scope="adviser", wording_version="consent-v1", given_at=rt.clock()
            )
        )


async def _notices(rt: Runtime) -> list[tuple[str, str]]:
    async with rt.db.read() as conn:
        rows = await conn.execute(select(outbox.c.address, outbox.c.template).where(outbox.c.tenant_id.is_(None)))
        return [(r.address, r.template) for r in rows]


async def test_words_of_crisis_after_the_carriers_stop_tell_staff_at_once_when_the_tenant_consented(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """Bent, who let an adviser read his answers, wrote the carrier's STOP and has no case; then he writes words of
    crisis. Not even the crisis line reaches him, so the adviser who asked to hear of such words hears at once (a
    first name and a link, never the words), as for a case a person holds; the case's reason does not say crisis."""
    rt, _client = served
    await _adviser_told(rt)
    tenant_id = await add_tenant(rt, "T-1", name="Bent Berg")
    await _consented(rt, tenant_id)
    await _say(rt, "STOP", "SM1")
    assert await _say(rt, "jeg vil ikke leve mere", "SM2") == []
    assert await _cases(rt) == [(tenant_id, "waiting", STOPPED_ASKED, True)]
    assert await _notices(rt) == [("555", "staff.crisis")]


async def test_words_of_crisis_from_an_opted_out_tenant_without_consent_tell_no_one(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """Without his consent the words are not his adviser's to be told of: a case to take, and no notice."""
    rt, _client = served
    await _adviser_told(rt)
    tenant_id = await add_tenant(rt, "T-1", name="Bent Berg")
    await _say(rt, "STOP", "SM1")
    await _say(rt, "jeg vil ikke leve mere", "SM2")
    assert await _cases(rt) == [(tenant_id, "waiting", STOPPED_ASKED, False)]
    assert await _notices(rt) == []


async def test_words_of_crisis_from_an_opted_out_tenant_to_the_case_waiting_with_his_yes_tell_staff(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """Bent's case waits in the queue with his yes when he opts out with AFMELD and writes words of crisis: the
    adviser hears at once, as with an open case of any tenant, and the words reach that case, not a second one."""
    rt, _client = served
    await _adviser_told(rt)
    tenant_id = await add_tenant(rt, "T-1", name="Bent Berg")
    await add_case(rt, tenant_id)
    await _say(rt, "AFMELD", "SM1")
    await _say(rt, "jeg vil ikke leve mere", "SM2")
    assert len(await _cases(rt)) == 1
    assert await _notices(rt) == [("555", "staff.crisis")]
