"""A case taken or released at night. A take is told at once, as the adviser's own reply goes: a person is at work
on the case now, and a tenant who writes at night must know a person reads it. A release nobody wrote waits for quiet
hours to end, on SMS and Telegram alike, and the case page says until when; what the tenant writes meanwhile is read
as they were last told. A take while the release still waits undoes it: the morning brings the tenant no message that
takes back what they were told."""

from __future__ import annotations

import html
from datetime import datetime

import httpx
import pytest

from bot.app import create_app
from bot.inbound.inbox import InboundMessage
from bot.runtime import Runtime
from tests.conftest import make_settings, started_runtime
from tests.support.console import add_case, add_person, add_tenant, login, post_form
from tests.support.drive import at_local, daytime, drain, process_all, sandbox

# A Tuesday night in Copenhagen (quiet hours 20:00-09:00), and the next morning.
NIGHT = datetime(2026, 3, 3, 23, 30)
LATER_THAT_NIGHT = datetime(2026, 3, 3, 23, 45)
BEFORE_MORNING = datetime(2026, 3, 4, 8, 59)
MORNING = datetime(2026, 3, 4, 9, 0)


def received(rt: Runtime, channel: str, address: str) -> list[str]:
    """What the tenant's phone (or Telegram chat) got, oldest first."""
    return [m.text for m in sandbox(rt)[channel].to(address)]


async def writes(rt: Runtime, channel: str, address: str, text: str, provider_id: str) -> None:
    await rt.inbox.submit(InboundMessage(channel, provider_id, address, text))
    await process_all(rt.processor)
    await drain(rt.sender)


async def adviser(rt: Runtime, client: httpx.AsyncClient, email: str = "adviser@example.org") -> None:
    await add_person(rt, email, "adviser")
    assert (await login(client, email)).status_code == 303


async def back_at_work(rt: Runtime, client: httpx.AsyncClient, local: datetime, email: str) -> None:
    """The clock moves on to `local`, and the adviser signs in again (a session does not last the night)."""
    at_local(rt, local)
    assert (await login(client, email)).status_code == 303


async def taken_by_day_released_at_night(rt: Runtime, client: httpx.AsyncClient, channel: str) -> str:
    """A tenant without consent (the adviser reads only what they wrote while told a person reads along) whose case
    an adviser takes by day (the tenant is told at once) and releases at night; returns the case page."""
    daytime(rt)
    chat = 777001 if channel == "telegram" else None
    tenant = await add_tenant(rt, "R-1", phone="+4520000001", chat_id=chat, balance_ore=900000)
    case_id = await add_case(rt, tenant, origin="outreach", consent=False)
    await adviser(rt, client)
    page = f"/console/cases/{case_id}"
    assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    await drain(rt.sender)
    await back_at_work(rt, client, NIGHT, "adviser@example.org")
    assert (await post_form(client, page, f"{page}/release", {})).status_code == 303
    await drain(rt.sender)
    return page


@pytest.mark.parametrize(("channel", "address"), [("sms", "+4520000001"), ("telegram", "777001")])
async def test_a_release_at_night_reaches_the_tenant_when_quiet_hours_end(
    runtime: Runtime, client: httpx.AsyncClient, channel: str, address: str
) -> None:
    page = await taken_by_day_released_at_night(runtime, client, channel)
    taken, released = (runtime.renderer.render(key, {}, "da", channel).text for key in ("case.taken", "case.released"))
    assert received(runtime, channel, address) == [taken]  # the take by day at once, the release not yet
    shown = (await client.get(page)).text
    assert html.escape(released, quote=False) in shown
    assert "<strong>queued until 4 Mar 09:00</strong>" in shown

    at_local(runtime, BEFORE_MORNING)
    await drain(runtime.sender)
    assert released not in received(runtime, channel, address)
    await back_at_work(runtime, client, MORNING, "adviser@example.org")
    await drain(runtime.sender)
    assert received(runtime, channel, address).count(released) == 1
    assert received(runtime, channel, address)[-1] == released
    # Told now that nobody reads along: what they write after it is theirs.
    await writes(runtime, channel, address, "min private historie", "in-morning")
    shown = (await client.get(page)).text
    assert "min private historie" not in shown
    assert "queued 3 Mar 23:30 · sent 4 Mar 09:00" in shown


@pytest.mark.parametrize(("channel", "address"), [("sms", "+4520000001"), ("telegram", "777001")])
async def test_a_tenant_who_writes_at_night_reads_of_the_waiting_release_before_the_bot_answers(
    runtime: Runtime, client: httpx.AsyncClient, channel: str, address: str
) -> None:
    page = await taken_by_day_released_at_night(runtime, client, channel)
    before = len(received(runtime, channel, address))
    released = runtime.renderer.render("case.released", {}, "da", channel).text

    # Awake and writing: the release is told now, first, and then the bot answers; the morning brings nothing more.
    at_local(runtime, LATER_THAT_NIGHT)
    await writes(runtime, channel, address, "er du der stadig?", "in-night")
    night = received(runtime, channel, address)[before:]
    assert night[0] == released and len(night) >= 2
    assert released not in night[1:]
    await back_at_work(runtime, client, MORNING, "adviser@example.org")
    await drain(runtime.sender)
    assert received(runtime, channel, address).count(released) == 1
    # Written before they were told nobody reads along: the next adviser reads it.
    shown = (await client.get(page)).text
    assert "er du der stadig?" in shown
    assert "queued until" not in shown


async def test_at_night_the_take_and_the_advisers_own_reply_go_at_once(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    at_local(runtime, NIGHT)
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001", balance_ore=900000)
    # No consent: the adviser reads only what the tenant wrote while told a person reads along.
    case_id = await add_case(runtime, tenant, origin="outreach", consent=False)
    await adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    await drain(runtime.sender)
    # Told at once, the tenant who writes that night writes to a person, and the adviser reads it.
    at_local(runtime, LATER_THAT_NIGHT)
    await writes(runtime, "sms", "+4520000001", "er der nogen?", "in-night")
    assert (await login(client, "adviser@example.org")).status_code == 303
    assert "er der nogen?" in (await client.get(page)).text
    text = "Hej, jeg ringer til dig i morgen formiddag."
    assert (await post_form(client, page, f"{page}/reply", {"text": text, "nonce": "night-reply1"})).status_code == 303
    await drain(runtime.sender)
    reply = runtime.renderer.render("case.reply", {"text": text}, "da", "sms").text
    taken = runtime.renderer.render("case.taken", {}, "da", "sms").text
    assert received(runtime, "sms", "+4520000001") == [taken, reply]
    at_local(runtime, MORNING)
    await drain(runtime.sender)
    assert received(runtime, "sms", "+4520000001") == [taken, reply]


async def test_a_release_and_a_take_again_in_one_night_tell_the_tenant_nothing_in_the_morning(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    daytime(runtime)
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001", balance_ore=900000)
    case_id = await add_case(runtime, tenant, origin="outreach", consent=False)
    await adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    taken = runtime.renderer.render("case.taken", {}, "da", "sms").text
    assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    await drain(runtime.sender)
    assert received(runtime, "sms", "+4520000001") == [taken]

    await back_at_work(runtime, client, NIGHT, "adviser@example.org")
    assert (await post_form(client, page, f"{page}/release", {})).status_code == 303
    await adviser(runtime, client, "second@example.org")
    at_local(runtime, LATER_THAT_NIGHT)
    assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    # Told a person reads along, and never otherwise: what the tenant writes is in view.
    await writes(runtime, "sms", "+4520000001", "ring mig i morgen", "in-night")
    await back_at_work(runtime, client, MORNING, "second@example.org")
    await drain(runtime.sender)
    assert received(runtime, "sms", "+4520000001") == [taken]
    shown = (await client.get(page)).text
    assert "ring mig i morgen" in shown
    assert "the tenant was told neither" in shown


async def test_a_take_at_night_goes_at_once_and_the_release_after_it_waits_for_the_morning(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    at_local(runtime, NIGHT)
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001")
    case_id = await add_case(runtime, tenant)
    await adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    taken, released = (runtime.renderer.render(key, {}, "da", "sms").text for key in ("case.taken", "case.released"))
    for step in ("take", "release"):
        assert (await post_form(client, page, f"{page}/{step}", {})).status_code == 303
    await drain(runtime.sender)
    assert received(runtime, "sms", "+4520000001") == [taken]
    at_local(runtime, MORNING)
    await drain(runtime.sender)
    assert received(runtime, "sms", "+4520000001") == [taken, released]


@pytest.mark.parametrize("writes_first", [False, True])
async def test_a_case_closed_at_night_is_told_when_quiet_hours_end_or_when_the_tenant_writes(
    runtime: Runtime, client: httpx.AsyncClient, writes_first: bool
) -> None:
    """Closing is news nobody asked for, as a release is: closed at 23:30, "Rådgiveren har afsluttet samtalen" does not
    wake the tenant; it goes at 09:00, once, or first thing when the tenant writes before then."""
    daytime(runtime)
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001", balance_ore=900000)
    case_id = await add_case(runtime, tenant, origin="outreach", consent=False)
    await adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    await drain(runtime.sender)
    await back_at_work(runtime, client, NIGHT, "adviser@example.org")
    form = html.unescape((await client.get(page)).text).split('id="close-tells">')[1].split("</p>")[0]
    assert form == (
        "Closing tells the tenant that the adviser has closed the conversation and that they can write here for more "
        "help; at night, when quiet hours end."
    )
    assert (await post_form(client, page, f"{page}/close", {"outcome": "paid"})).status_code == 303
    await drain(runtime.sender)
    closed = runtime.renderer.render("case.closed", {}, "da", "sms").text
    assert closed not in received(runtime, "sms", "+4520000001")
    if writes_first:
        at_local(runtime, LATER_THAT_NIGHT)
        before = len(received(runtime, "sms", "+4520000001"))
        await writes(runtime, "sms", "+4520000001", "hej igen", "in-night")
        night = received(runtime, "sms", "+4520000001")[before:]
        assert night[0] == closed and len(night) >= 2  # told first, then the bot answers
    else:
        at_local(runtime, BEFORE_MORNING)
        await drain(runtime.sender)
        assert closed not in received(runtime, "sms", "+4520000001")
    at_local(runtime, MORNING)
    await drain(runtime.sender)
    assert received(runtime, "sms", "+4520000001").count(closed) == 1


async def test_a_tenant_told_after_a_release_that_we_answer_here_is_answered_the_same_day(database_url: str) -> None:
    """A consenting tenant waiting for an adviser hears once a day that their message arrived. Taken and released the
    same day, they were told "indtil da svarer vi dig her": what they write next gets the receipt again, once, not
    the silence of a receipt used up before the take. SQLite and PostgreSQL."""
    async with started_runtime(make_settings(database_url)) as rt:
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
            await _answered_after_a_release(rt, client)


async def _answered_after_a_release(runtime: Runtime, client: httpx.AsyncClient) -> None:
    daytime(runtime)
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001", balance_ore=900000)
    case_id = await add_case(runtime, tenant)
    receipt = runtime.renderer.render("case.waiting", {}, "da", "sms").text.split(" (")[0]
    await writes(runtime, "sms", "+4520000001", "hvornår ringer I?", "in-1")
    await writes(runtime, "sms", "+4520000001", "hallo", "in-2")
    assert [t for t in received(runtime, "sms", "+4520000001") if t.startswith(receipt)] != []
    assert len([t for t in received(runtime, "sms", "+4520000001") if t.startswith(receipt)]) == 1
    await adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    assert (await post_form(client, page, f"{page}/release", {})).status_code == 303
    await drain(runtime.sender)
    await writes(runtime, "sms", "+4520000001", "hallo? er der nogen?", "in-3")
    await writes(runtime, "sms", "+4520000001", "hallo igen", "in-4")
    got = received(runtime, "sms", "+4520000001")
    assert len([t for t in got if t.startswith(receipt)]) == 2
    assert got[-1].startswith(receipt)  # the answer to "er der nogen?", and nothing more to "hallo igen"
