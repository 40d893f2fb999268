"""The adviser's inbox and case page: priority, take, reply through the tenant's channel, close."""

from __future__ import annotations

import html
import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select, update

from bot.app import create_app
from bot.channels.sandbox import SandboxChannel
from bot.console.tenant_page import SEARCH_SHOWN
from bot.console.transcript import MAX_MESSAGES
from bot.host.consents import withdraw_consent
from bot.i18n import local_day
from bot.inbound.inbox import InboundMessage
from bot.outbox.enqueue import enqueue
from bot.runtime import Runtime
from bot.store.scene import Scene
from bot.store.schema import (
    audit_log,
    case_events,
    cases,
    consents,
    messages,
    outbox,
    rent_positions,
    staff,
    tenants,
)
from scheduler.calendar import demand_deadline
from tests.conftest import make_settings, started_runtime
from tests.support.console import (
    add_case,
    add_person,
    add_tenant,
    adviser_client,
    case_row,
    csrf_of,
    form_nonce_of,
    login,
    post_form,
    posted_twice,
    today,
    volunteers_may_see,
)
from tests.support.drive import daytime, drain, process_all, sandbox


def sms(rt: Runtime) -> SandboxChannel:
    return sandbox(rt)["sms"]


async def tenant_writes(rt: Runtime, sender: str, text: str, provider_id: str, channel: str = "sms") -> None:
    await rt.inbox.submit(InboundMessage(channel, provider_id, sender, text))
    await process_all(rt.processor)
    await drain(rt.sender)


async def signed_in_adviser(rt: Runtime, client: httpx.AsyncClient, email: str = "adviser@example.org") -> int:
    staff_id = await add_person(rt, email, "adviser")
    assert (await login(client, email)).status_code == 303
    return staff_id


async def taken_for_a_volunteer(rt: Runtime, client: httpx.AsyncClient, tenant_id: int) -> tuple[int, str, int]:
    """A case of the tenant's that a signed-in adviser has taken and a volunteer (of Dansk Folkehjælp) may see:
    the case id, its page and the volunteer."""
    case_id = await add_case(rt, tenant_id)
    await volunteers_may_see(rt, case_id)
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    await signed_in_adviser(rt, client)
    page = f"/console/cases/{case_id}"
    await post_form(client, page, f"{page}/take", {})
    return case_id, page, volunteer


async def test_the_inbox_follows_the_legal_clock_and_says_why(runtime: Runtime, client: httpx.AsyncClient) -> None:
    day = today(runtime)
    month_ago = day - timedelta(days=30)
    tenants_by_stage = [
        ("Court", {"balance_ore": 50000, "court_date": day + timedelta(days=9)}),
        # in effect: ranked as a court date two weeks on (README, "How the inbox is ordered")
        ("Ended", {"balance_ore": 700000, "termination_on": day - timedelta(days=3)}),
        ("Later", {"balance_ore": 990000, "court_date": day + timedelta(days=30)}),
        ("Demand", {"balance_ore": 100000, "demand_sent_on": day - timedelta(days=5)}),
        ("Behind", {"balance_ore": 1500000, "monthly_rent_ore": 750000, "balance_as_of": day}),
        ("Owes", {"balance_ore": 710050, "monthly_rent_ore": 750000, "balance_as_of": day}),
        ("Paid", {"balance_ore": 0, "balance_as_of": month_ago}),
    ]
    # Opened in reverse order: the queue is not first come, first served.
    for n, (name, position) in enumerate(reversed(tenants_by_stage)):
        await add_case(runtime, await add_tenant(runtime, f"R-{n}", name=f"{name} Tenant", phone=None, **position))
    await signed_in_adviser(runtime, client)
    page = (await client.get("/console/")).text
    order = [page.index(f">{name}<") for name, _ in tenants_by_stage]
    shown = [name for _, name in sorted((at, name) for at, (name, _) in zip(order, tenants_by_stage, strict=True))]
    assert shown == [name for name, _ in tenants_by_stage]
    assert "court date" in page and "(in 9 days)" in page
    assert "terminated" in page and "(3 days ago)" in page
    assert "påkrav sent" in page and "deadline about" in page
    assert "rent unpaid since" in page and "owes DKK\xa07,100.50" in page


async def test_a_court_date_learned_after_the_case_opened_moves_it_to_the_top(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    day = today(runtime)
    demand = await add_tenant(
        runtime, "R-1", name="Demand Tenant", phone=None, balance_ore=90000, demand_sent_on=day - timedelta(days=2)
    )
    quiet = await add_tenant(runtime, "R-2", name="Quiet Tenant", phone=None, balance_ore=20000)
    await add_case(runtime, demand)
    await add_case(runtime, quiet)
    await signed_in_adviser(runtime, client)
    page = (await client.get("/console/")).text
    assert page.index(">Demand<") < page.index(">Quiet<")
    # An import learns of a court date after the case was opened (nothing reopens the case).
    async with runtime.db.write() as conn:
        await conn.execute(
            update(rent_positions)
            .where(rent_positions.c.tenant_id == quiet)
            .values(court_date=day + timedelta(days=20))
        )
    page = (await client.get("/console/")).text
    assert page.index(">Quiet<") < page.index(">Demand<")
    assert "(in 20 days)" in page


async def test_inbox_filters(runtime: Runtime, client: httpx.AsyncClient) -> None:
    first = await add_case(runtime, await add_tenant(runtime, "R-1", name="First Tenant", phone="+4520000001"))
    await add_case(runtime, await add_tenant(runtime, "R-2", name="Second Tenant", phone="+4520000002"))
    await signed_in_adviser(runtime, client)
    await post_form(client, f"/console/cases/{first}", f"/console/cases/{first}/take", {})
    mine = (await client.get("/console/?mine=1")).text
    assert "First" in mine and "Second" not in mine
    waiting = (await client.get("/console/?status=waiting")).text
    assert "Second" in waiting and "First" not in waiting
    assert (await client.get("/console/?status=nonsense")).status_code == 422


async def told_about(rt: Runtime, case_id: int) -> list[str]:
    """The texts queued to the tenant about their case, oldest first, by template (every row: a text sent twice
    shows twice)."""
    async with rt.db.read() as conn:
        found = await conn.execute(
            select(messages.c.template)
            .where(messages.c.case_id == case_id, messages.c.direction == "out")
            .order_by(messages.c.id)
        )
        return [str(template) for template in found.scalars()]


async def test_each_take_and_each_release_tells_the_tenant_who_reads_along(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Released, nobody reads along and the bot answers again: the tenant hears so. Taken again (by the same adviser
    or another), a person reads along again: the tenant hears that too, each time."""
    daytime(runtime)  # the case's notices go now, not after quiet hours, whatever the hour the test runs at
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001")
    case_id = await add_case(runtime, tenant)
    await signed_in_adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    for step in ("take", "release"):
        assert (await post_form(client, page, f"{page}/{step}", {})).status_code == 303
    await signed_in_adviser(runtime, client, "second@example.org")
    assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    assert await told_about(runtime, case_id) == ["case.taken", "case.released", "case.taken"]
    await drain(runtime.sender)
    taken, released = (runtime.renderer.render(key, {}, "da", "sms").text for key in ("case.taken", "case.released"))
    assert [m.text for m in sms(runtime).to("+4520000001")] == [taken, released, taken]
    assert (await case_row(runtime, case_id)).status == "taken"
    # The case page shows the notice in the conversation, as it went out.
    assert html.escape(released, quote=False) in (await client.get(page)).text


async def test_a_release_tells_a_tenant_on_their_channel_and_a_stopped_tenant_nothing(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    daytime(runtime)  # the case's notices go now, not after quiet hours, whatever the hour the test runs at
    linked = await add_tenant(runtime, "R-1", phone="+4520000001", chat_id=777001)
    stopped = await add_tenant(runtime, "R-2", phone="+4520000002", status="stopped")
    await signed_in_adviser(runtime, client)
    case_ids = [await add_case(runtime, tenant) for tenant in (linked, stopped)]
    for case_id in case_ids:
        page = f"/console/cases/{case_id}"
        for step in ("take", "release"):
            assert (await post_form(client, page, f"{page}/{step}", {})).status_code == 303
    assert [await told_about(runtime, case_id) for case_id in case_ids] == [["case.taken", "case.released"], []]
    await drain(runtime.sender)
    released = runtime.renderer.render("case.released", {}, "da", "telegram").text
    assert [m.text for m in sandbox(runtime)["telegram"].to("777001")][-1] == released


async def test_a_held_case_of_a_tenant_who_cannot_receive_messages_says_so_instead_of_offering_a_reply(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    stopped = await add_tenant(runtime, "R-1", name="Frida Holm", phone="+4520000001", status="stopped")
    active = await add_tenant(runtime, "R-2", phone="+4520000002")
    await signed_in_adviser(runtime, client)
    pages = [f"/console/cases/{await add_case(runtime, tenant)}" for tenant in (stopped, active)]
    for page in pages:
        assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    held = (await client.get(pages[0])).text
    assert 'id="reply-form"' not in held
    assert "Frida cannot receive messages from keephome: stopped (wrote STOP). Reach them another way." in held
    other = (await client.get(pages[1])).text
    assert other.count('id="reply-form"') == 1 and 'id="no-reply"' not in other
    # In Danish, as the staff read it.
    token = csrf_of(held)
    assert (await client.post("/console/me/language", data={"language": "da", "csrf_token": token})).status_code == 303
    assert "Frida kan ikke modtage beskeder fra keephome: afmeldt (skrev STOP)." in (await client.get(pages[0])).text


async def test_taking_a_case_tells_the_tenant_and_the_bot_stays_quiet(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    daytime(runtime)  # the case's notices go now, not after quiet hours, whatever the hour the test runs at
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001")
    case_id = await add_case(runtime, tenant)
    await signed_in_adviser(runtime, client)
    taken = await post_form(client, f"/console/cases/{case_id}", f"/console/cases/{case_id}/take", {})
    assert taken.status_code == 303
    await drain(runtime.sender)
    told = runtime.renderer.render("case.taken", {}, "da", "sms").text
    assert [m.text for m in sms(runtime).to("+4520000001")] == [told]
    assert (await case_row(runtime, case_id)).status == "taken"
    # The tenant answers: the bot does not, the adviser sees it appear.
    await tenant_writes(runtime, "+4520000001", "Tak, jeg er her", "SM-in-1")
    assert len(sms(runtime).sent) == 1
    polled = (await client.get(f"/console/cases/{case_id}/messages.json")).json()
    assert polled["messages"][-1]["text"] == "Tak, jeg er her"
    assert polled["messages"][-1]["direction"] == "in"
    after = polled["messages"][-1]["id"]
    assert (await client.get(f"/console/cases/{case_id}/messages.json?after={after}")).json()["messages"] == []
    # STOP still works while the adviser holds the case.
    await tenant_writes(runtime, "+4520000001", "STOP", "SM-in-2")
    assert len(sms(runtime).sent) == 2
    # A Take from a page opened before (its own one-time value): the case is held now.
    again = await post_form(
        client, f"/console/cases/{case_id}", f"/console/cases/{case_id}/take", {"nonce": "old-page-1"}
    )
    assert again.status_code == 409


async def test_a_reply_from_a_tab_opened_before_the_case_was_closed_says_it_is_closed(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001")
    case_id = await add_case(runtime, tenant)
    await signed_in_adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    await post_form(client, page, f"{page}/take", {})
    other_tab = (await client.get(page)).text
    assert (await post_form(client, page, f"{page}/close", {"outcome": "paid"})).status_code == 303
    form = {"text": "Hej", "nonce": form_nonce_of(other_tab, f"{page}/reply") or "", "csrf_token": csrf_of(other_tab)}
    refused = await client.post(f"{page}/reply", data=form)
    assert refused.status_code == 409
    assert "The case is closed: nothing was done or sent." in refused.text
    await drain(runtime.sender)
    assert "Hej" not in [m.text for m in sms(runtime).to("+4520000001")]  # taken and closed, no reply


async def test_a_long_conversation_says_what_it_does_not_show_and_shows_it_all_on_request(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The page shows the newest messages; the older ones (a consent, the first answers) are said to be there and
    one click shows them, never dropped in silence."""
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001")
    case_id = await add_case(runtime, tenant)
    at = runtime.clock()
    count = MAX_MESSAGES + 3
    rows = [
        {
            "tenant_id": tenant,
            "direction": "in",
            "channel": "sms",
            "provider_id": f"SM-old-{n}",
            "text": f"besked nummer {n:03d}",
            "author": "tenant",
            "status": "received",
            "created_at": at,
            "updated_at": at,
        }
        for n in range(count)
    ]
    async with runtime.db.write() as conn:
        await conn.execute(messages.insert(), rows)
    await signed_in_adviser(runtime, client)
    page = (await client.get(f"/console/cases/{case_id}")).text
    assert "3 earlier messages are not shown." in page
    assert "besked nummer 002" not in page and "besked nummer 003" in page
    whole = (await client.get(f"/console/cases/{case_id}?whole=1")).text
    assert "earlier messages are not shown" not in whole
    assert sum(f"besked nummer {n:03d}" in whole for n in range(count)) == count


async def test_a_reply_goes_out_on_telegram_when_the_tenant_linked_it(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    daytime(runtime)  # the case's notices go now, not after quiet hours, whatever the hour the test runs at
    tenant = await add_tenant(runtime, "R-1", chat_id=777001)
    case_id = await add_case(runtime, tenant)
    staff_id = await signed_in_adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    refused = await post_form(client, page, f"{page}/reply", {"text": "Hej", "nonce": "abcdefgh12"})
    assert refused.status_code == 409  # not taken yet: the bot still talks
    await post_form(client, page, f"{page}/take", {})
    text = "Hej, vi kan lave en aftale om 2.500 kr. om måneden."
    sent = await post_form(client, page, f"{page}/reply", {"text": text, "nonce": "abcdefgh12"})
    assert sent.status_code == 303
    await drain(runtime.sender)
    assert sandbox(runtime)["telegram"].to("777001")[-1].text == text
    assert sms(runtime).sent == []
    async with runtime.db.read() as conn:
        row = (await conn.execute(select(messages).where(messages.c.template == "case.reply"))).one()
        audit = (await conn.execute(select(audit_log).where(audit_log.c.action == "message.send"))).one()
    assert row.author == f"staff:{staff_id}" and row.case_id == case_id
    assert audit.actor == f"staff:{staff_id}" and audit.target == f"case:{case_id}"
    assert (await case_row(runtime, case_id)).status == "waiting_tenant"
    # A double submit of the same form sends nothing twice.
    await post_form(client, page, f"{page}/reply", {"text": text, "nonce": "abcdefgh12"})
    await drain(runtime.sender)
    assert len(sandbox(runtime)["telegram"].to("777001")) == 2  # case.taken and the reply


async def test_an_amount_or_a_debt_word_never_goes_by_sms(runtime: Runtime, client: httpx.AsyncClient) -> None:
    """The SMS rule holds for an adviser's reply too: it is refused, its text given back to change; no way round."""
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001")
    case_id = await add_case(runtime, tenant)
    await signed_in_adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    await post_form(client, page, f"{page}/take", {})
    for n, text in enumerate(("Du kan betale 1.200 kr nu", "Vi kan tale om din gæld"), start=1):
        refused = await post_form(client, page, f"{page}/reply", {"text": text, "nonce": f"nonce-000{n}"})
        assert refused.status_code == 422 and "This cannot go by SMS" in refused.text
        assert f">{text}</textarea>" in refused.text  # given back to change
        # An old form's "send anyway" changes nothing.
        again = await client.post(
            f"{page}/reply",
            data={"text": text, "nonce": f"nonce-000{n}", "confirm": "1", "csrf_token": csrf_of(refused.text)},
        )
        assert again.status_code == 422
    assert "amount" in refused.text or "debt" in refused.text
    async with runtime.db.read() as conn:
        assert (await conn.execute(select(outbox.c.id).where(outbox.c.template == "case.reply"))).first() is None
    plain = await post_form(client, page, f"{page}/reply", {"text": "Ring til mig i morgen", "nonce": "nonce-0003"})
    assert plain.status_code == 303  # nothing against it
    await drain(runtime.sender)
    assert [m.text for m in sms(runtime).to("+4520000001")][-1:] == ["Ring til mig i morgen"]


async def test_a_date_of_the_rent_case_never_goes_by_sms(runtime: Runtime, client: httpx.AsyncClient) -> None:
    day = today(runtime)
    court = day + timedelta(days=20)
    tenant = await add_tenant(
        runtime, "R-1", phone="+4520000001", balance_ore=900000, demand_sent_on=day - timedelta(days=2)
    )
    deadline = demand_deadline(day - timedelta(days=2))  # received the day it was sent (no delivery days set)
    case_id = await add_case(runtime, tenant)
    await signed_in_adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    await post_form(client, page, f"{page}/take", {})
    # The adviser copies the deadline keephome computed into an SMS: the letter's deadline is the one that counts.
    text = f"Husk fristen {deadline.day}/{deadline.month}, ring til mig"
    warned = await post_form(client, page, f"{page}/reply", {"text": text, "nonce": "nonce-0001"})
    assert warned.status_code == 422 and "This cannot go by SMS" in warned.text
    assert "a date of the tenant&#39;s rent case" in warned.text and local_day(deadline) in html.unescape(warned.text)
    # Written as a calendar writes it: the date, not "an amount", is why.
    iso = await post_form(client, page, f"{page}/reply", {"text": f"Ring senest {deadline.isoformat()}"})
    assert iso.status_code == 422 and local_day(deadline) in html.unescape(iso.text)
    assert "amount" not in iso.text
    async with runtime.db.read() as conn:
        assert (await conn.execute(select(outbox.c.id).where(outbox.c.template == "case.reply"))).first() is None
    # Another day, an appointment say, is no date of the case: it goes without a question.
    other = deadline + timedelta(days=1)
    plain = f"Vi ses {other.day}/{other.month} kl. 10"
    assert (await post_form(client, page, f"{page}/reply", {"text": plain, "nonce": "nonce-0002"})).status_code == 303
    # The court's date, once known, is one too (and the påkrav deadline no longer runs).
    async with runtime.db.write() as conn:
        await conn.execute(update(rent_positions).where(rent_positions.c.tenant_id == tenant).values(court_date=court))
    named = f"Vi ses {court.day}/{court.month}"
    warned = await post_form(client, page, f"{page}/reply", {"text": named, "nonce": "nonce-0003"})
    assert warned.status_code == 422 and local_day(court) in html.unescape(warned.text)
    await drain(runtime.sender)
    assert [m.text for m in sms(runtime).to("+4520000001")][-1] == plain


async def test_without_consent_the_adviser_sees_only_bot_messages_until_the_tenant_is_told(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    daytime(runtime)  # the case's notices go now, not after quiet hours, whatever the hour the test runs at
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001", balance_ore=900000)
    await tenant_writes(runtime, "+4520000001", "min private historie", "SM-early")
    case_id = await add_case(runtime, tenant, origin="outreach", consent=False)
    await signed_in_adviser(runtime, client)
    page = (await client.get(f"/console/cases/{case_id}")).text
    assert "min private historie" not in page
    assert "1 of the tenant's replies are hidden" in page
    assert "DKK\xa09,000.00" in page  # the rent position is the organisation's own data
    await post_form(client, f"/console/cases/{case_id}", f"/console/cases/{case_id}/take", {})
    await drain(runtime.sender)
    await tenant_writes(runtime, "+4520000001", "ok, ring mig", "SM-late")
    polled = (await client.get(f"/console/cases/{case_id}/messages.json")).json()
    texts = [m["text"] for m in polled["messages"]]
    assert "ok, ring mig" in texts and "min private historie" not in texts
    assert polled["consent"] is False


async def test_a_reply_written_before_the_tenant_was_told_stays_hidden_until_the_notice_has_gone(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """DESIGN's consent rule: without consent a reply shows only when the tenant wrote it after being told a person
    reads along. Taking the case queues that notice; while it waits (the sender is behind, stopped or failing) the
    tenant has not been told, and what they write then stays hidden, also once the notice has gone."""
    daytime(runtime)  # the case's notices go now, not after quiet hours, whatever the hour the test runs at
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001", balance_ore=900000)
    case_id = await add_case(runtime, tenant, origin="outreach", consent=False)
    await signed_in_adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    # The notice is queued, not sent: the tenant writes before they have been told.
    await runtime.inbox.submit(InboundMessage("sms", "SM-untold", "+4520000001", "min private historie"))
    await process_all(runtime.processor)
    polled = (await client.get(f"{page}/messages.json")).json()
    assert "min private historie" not in [m["text"] for m in polled["messages"]]
    assert polled["hidden"] == 1
    await drain(runtime.sender)  # now the tenant is told
    await tenant_writes(runtime, "+4520000001", "ok, ring mig", "SM-told")
    shown = (await client.get(page)).text
    assert "ok, ring mig" in shown and "min private historie" not in shown


async def read_along_then_released(runtime: Runtime, client: httpx.AsyncClient) -> str:
    """An outreach case without consent, by day: an adviser takes it (the tenant is told), the tenant writes "ring mig
    i morgen" while told a person reads along, and the adviser releases it (the tenant is told so). Its page."""
    daytime(runtime)  # the case's notices go now, not after quiet hours, whatever the hour the test runs at
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001", balance_ore=900000)
    case_id = await add_case(runtime, tenant, origin="outreach", consent=False)
    await signed_in_adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    await drain(runtime.sender)
    await tenant_writes(runtime, "+4520000001", "ring mig i morgen", "SM-read")
    assert (await post_form(client, page, f"{page}/release", {})).status_code == 303
    await drain(runtime.sender)
    return page


async def test_without_consent_what_the_tenant_wrote_while_nobody_read_along_stays_hidden(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Told that a person reads along, then that their adviser let go and the bot answers meanwhile: what the tenant
    writes until another adviser's notice has gone is written to the bot, and stays theirs."""
    page = await read_along_then_released(runtime, client)
    await tenant_writes(runtime, "+4520000001", "min private historie", "SM-unread")
    await signed_in_adviser(runtime, client, "second@example.org")
    assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    await drain(runtime.sender)
    await tenant_writes(runtime, "+4520000001", "ok, ring mig", "SM-read-again")
    polled = (await client.get(f"{page}/messages.json")).json()
    texts = [m["text"] for m in polled["messages"]]
    assert texts.count("ring mig i morgen") == 1 and texts.count("ok, ring mig") == 1
    assert "min private historie" not in texts and "min private historie" not in (await client.get(page)).text
    assert polled["hidden"] == 1


async def test_a_late_delivery_receipt_of_the_take_notice_shows_nothing_written_after_the_release(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The phone was off: the take notice's receipt comes after the release notice went out. Each notice counts from
    when it went out, and they pair in the order they were made: what the tenant wrote while told a person reads
    along stays in view, and what they write after being told nobody does stays theirs."""
    page = await read_along_then_released(runtime, client)
    async with runtime.db.write() as conn:  # the take notice's "delivered", late
        await conn.execute(
            update(messages).where(messages.c.template == "case.taken").values(updated_at=runtime.clock())
        )
    await tenant_writes(runtime, "+4520000001", "min private historie", "SM-after-release")
    polled = (await client.get(f"{page}/messages.json")).json()
    texts = [m["text"] for m in polled["messages"]]
    assert "min private historie" not in texts and texts.count("ring mig i morgen") == 1
    assert polled["hidden"] == 1


async def test_a_note_or_contact_made_sent_again_is_recorded_once_and_the_page_says_so(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001")
    case_id = await add_case(runtime, tenant)
    await signed_in_adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    shown = (await client.get(page)).text
    for action, data in (("note", {"text": "Ringer fredag"}), ("contact", {})):
        # The browser resubmits the same form (a reload repeating the POST, a phone's retry): same token, same value.
        form = {**data, "nonce": form_nonce_of(shown, f"{page}/{action}") or "", "csrf_token": csrf_of(shown)}
        first = await client.post(f"{page}/{action}", data=form)
        assert first.status_code == 303 and first.headers["location"] == f"{page}#notes"
        second = await client.post(f"{page}/{action}", data=form)
        assert second.status_code == 303 and second.headers["location"] == f"{page}?already={action}"
        said = (await client.get(second.headers["location"])).text
        assert 'id="recorded-already"' in said and "recorded already: the form was sent twice" in said
    assert 'id="recorded-already"' not in (await client.get(page)).text
    # A form without its one-time value is one keephome did not make.
    assert (await client.post(f"{page}/note", data={"text": "x", "csrf_token": csrf_of(shown)})).status_code == 422
    async with runtime.db.read() as conn:
        kinds = (await conn.execute(select(case_events.c.kind).where(case_events.c.case_id == case_id))).scalars().all()
        audited = await conn.execute(select(audit_log.c.action).where(audit_log.c.target == f"case:{case_id}"))
        actions = list(audited.scalars())
    assert (kinds.count("note"), kinds.count("contact")) == (1, 1)
    assert (actions.count("case.note"), actions.count("case.contact")) == (1, 1)
    # A new note from the page as shown again is a new note.
    assert (await post_form(client, page, f"{page}/note", {"text": "Ringer mandag"})).status_code == 303
    async with runtime.db.read() as conn:
        notes = (
            await conn.execute(
                select(case_events.c.text).where(case_events.c.case_id == case_id, case_events.c.kind == "note")
            )
        ).scalars()
        assert sorted(notes) == ["Ringer fredag", "Ringer mandag"]


async def test_a_consent_recorded_twice_by_the_same_form_is_recorded_once_and_the_page_says_so(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001")
    case_id = await add_case(runtime, tenant, consent=False)
    await signed_in_adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    action = f"{page}/consents/record"
    shown = (await client.get(page)).text
    form = {
        "method": "oral",
        "recipient_kind": "organisation",
        "nonce": form_nonce_of(shown, action) or "",
        "csrf_token": csrf_of(shown),
    }
    first = await client.post(action, data=form)
    assert first.status_code == 303 and first.headers["location"] == f"{page}#consents"
    # The phone retries the same form a minute later (an oral consent is dated when it is recorded).
    runtime.clock.offset += timedelta(minutes=1)
    second = await client.post(action, data=form)
    assert second.status_code == 303 and second.headers["location"] == f"{page}?already=consent"
    said = html.unescape((await client.get(second.headers["location"])).text)
    assert 'id="recorded-already"' in said and "This consent was recorded already: the form was sent twice" in said
    assert said.count('<li class="consent ') == 1
    # A form without its one-time value is one keephome did not make: it records nothing.
    bare = {k: v for k, v in form.items() if k != "nonce"}
    assert (await client.post(action, data=bare)).status_code == 422
    async with runtime.db.read() as conn:
        given = (await conn.execute(select(consents.c.id).where(consents.c.tenant_id == tenant))).scalars().all()
        audited = await conn.execute(select(audit_log.c.action).where(audit_log.c.target == f"case:{case_id}"))
        actions = list(audited.scalars())
    assert len(given) == 1 and actions.count("consent.record") == 1
    # The page shown again makes a new form: a consent to share with a kommune is a second consent.
    shared = {"method": "signed_form", "recipient_kind": "kommune", "recipient": "Jobcenter", "purpose": "Hjælp"}
    signed = {**shared, "kinds": "contact", "signed_on": today(runtime).isoformat()}
    assert (await post_form(client, page, action, signed)).headers["location"] == f"{page}#consents"
    assert (await client.get(page)).text.count('<li class="consent ') == 2


async def test_a_task_or_a_closing_sent_twice_is_done_once_and_the_page_says_so(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    daytime(runtime)
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001")
    case_id, page, volunteer = await taken_for_a_volunteer(runtime, client, tenant)
    due = (today(runtime) + timedelta(days=2)).isoformat()
    task = {"volunteer_id": str(volunteer), "task": "Mind om mødet", "due": due}
    # Before, the second submit found the case already given to the volunteer (or closed) and refused it (409).
    first, second = await posted_twice(client, page, f"{page}/task", task)
    assert first.status_code == 303 and first.headers["location"] == page
    assert second.status_code == 303 and second.headers["location"] == f"{page}?already=task"
    said = html.unescape((await client.get(second.headers["location"])).text)
    assert 'id="recorded-already"' in said and "This task was given already: the form was sent twice" in said
    first, second = await posted_twice(client, page, f"{page}/close", {"outcome": "payment_plan"})
    assert first.status_code == 303 and first.headers["location"] == f"/console/?closed={case_id}"
    assert second.status_code == 303 and second.headers["location"] == f"{page}?already=closed"
    said = html.unescape((await client.get(second.headers["location"])).text)
    assert "The case was closed already: the form was sent twice, and it is closed once." in said
    async with runtime.db.read() as conn:
        kinds = (await conn.execute(select(case_events.c.kind).where(case_events.c.case_id == case_id))).scalars().all()
        audited = await conn.execute(select(audit_log.c.action).where(audit_log.c.target == f"case:{case_id}"))
        actions = list(audited.scalars())
        closings = (await conn.execute(select(outbox.c.id).where(outbox.c.template == "case.closed"))).all()
    assert (kinds.count("task"), kinds.count("closed")) == (1, 1)
    assert (actions.count("case.task"), actions.count("case.close")) == (1, 1) and len(closings) == 1
    # A form without its one-time value is one keephome did not make.
    bare = {"outcome": "paid", "csrf_token": csrf_of(said)}
    assert (await client.post(f"{page}/close", data=bare)).status_code == 422


async def test_a_take_or_a_release_sent_twice_is_done_once_and_the_page_says_so(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Before, the second submit of Take (a double click, back and resubmit, a phone's retry) was refused because the
    case was held now, and a second Release likewise: the adviser read a refusal of what had just worked. The second
    tells the tenant nothing either."""
    daytime(runtime)
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001")
    case_id = await add_case(runtime, tenant)
    await signed_in_adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    for step, done, said, lands in (
        ("take", "taken", "You took this case", f"{page}#thread"),  # at the conversation, the reply's field next
        ("release", "released", "This case was released to the queue", page),
    ):
        first, second = await posted_twice(client, page, f"{page}/{step}", {})
        assert first.status_code == 303 and first.headers["location"] == lands
        assert second.status_code == 303 and second.headers["location"] == f"{page}?already={done}"
        shown = html.unescape((await client.get(second.headers["location"])).text)
        assert 'id="recorded-already"' in shown and f"{said} already: the form was sent twice" in shown
    async with runtime.db.read() as conn:
        kinds = (await conn.execute(select(case_events.c.kind).where(case_events.c.case_id == case_id))).scalars().all()
        audited = await conn.execute(select(audit_log.c.action).where(audit_log.c.target == f"case:{case_id}"))
        actions = list(audited.scalars())
    assert (kinds.count("taken"), kinds.count("released")) == (1, 1)
    assert (actions.count("case.take"), actions.count("case.release")) == (1, 1)
    # The tenant heard once that a person reads along, and once that nobody does any more.
    assert (await _outbox_templates(runtime)).count("case.taken") == 1
    assert (await _outbox_templates(runtime)).count("case.released") == 1
    assert (await case_row(runtime, case_id)).status == "waiting"


async def test_a_reply_that_cannot_go_as_the_case_is_now_keeps_the_text_to_copy(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The case released in another tab (or taken by a colleague, or the tenant opted out) before a reply was sent:
    the refusal was a page of its own and a long reply was gone but for the back button. Now it says why and shows
    the text as typed to copy; nothing is sent."""
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001")
    case_id = await add_case(runtime, tenant)
    await signed_in_adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    holder = (await case_row(runtime, case_id)).assignee_id
    shown = (await client.get(page)).text
    form = {"nonce": form_nonce_of(shown, f"{page}/reply") or "", "csrf_token": csrf_of(shown)}
    typed = "Hej, jeg har talt med kommunen om hjælp til huslejen. Ring til mig fredag, så finder vi en aftale."
    for change in ({"status": "waiting", "assignee_id": None}, {"status": "taken", "assignee_id": holder}):
        async with runtime.db.write() as conn:
            await conn.execute(update(cases).where(cases.c.id == case_id).values(**change))
        if change["status"] == "taken":  # held again, but the tenant opted out meanwhile
            async with runtime.db.write() as conn:
                await conn.execute(update(tenants).where(tenants.c.id == tenant).values(status="stopped"))
        before = await _outbox_templates(runtime)
        refused = await client.post(f"{page}/reply", data={**form, "text": typed})
        said = html.unescape(refused.text)
        assert refused.status_code == 409, said
        assert 'id="reply-not-sent"' in said and typed in said, said
        assert await _outbox_templates(runtime) == before


async def test_a_take_or_a_release_refused_is_refused_again_when_sent_again(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001")
    case_id = await add_case(runtime, tenant)
    await signed_in_adviser(runtime, client)
    colleague = await add_person(runtime, "colleague@example.org", "adviser")
    page = f"/console/cases/{case_id}"

    async def twice(step: str) -> list[str]:
        """The page's form for `step`, sent twice after a colleague took the case meanwhile: what each answer said."""
        shown = (await client.get(page)).text
        form = {"nonce": form_nonce_of(shown, f"{page}/{step}") or "", "csrf_token": csrf_of(shown)}
        async with runtime.db.write() as conn:
            await conn.execute(update(cases).where(cases.c.id == case_id).values(status="taken", assignee_id=colleague))
        answers = [await client.post(f"{page}/{step}", data=form) for _ in range(2)]
        assert [answer.status_code for answer in answers] == [409, 409]
        return [html.unescape(answer.text) for answer in answers]

    for said in await twice("take"):
        assert "the case has changed meanwhile: reload the page" in said.lower()
    async with runtime.db.write() as conn:
        await conn.execute(update(cases).where(cases.c.id == case_id).values(status="waiting", assignee_id=None))
    assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    for said in await twice("release"):
        assert "take the case first: only the adviser who holds it can do this" in said.lower()
    async with runtime.db.read() as conn:
        kinds = (await conn.execute(select(case_events.c.kind).where(case_events.c.case_id == case_id))).scalars().all()
    assert (kinds.count("taken"), kinds.count("released")) == (1, 0)


async def test_a_task_refused_for_want_of_consent_is_refused_again_when_sent_again(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001")
    case_id = await add_case(runtime, tenant)
    volunteer = await add_person(runtime, "volunteer@example.org", "volunteer")
    await signed_in_adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    await post_form(client, page, f"{page}/take", {})
    due = (today(runtime) + timedelta(days=2)).isoformat()
    task = {"volunteer_id": str(volunteer), "task": "Mind om mødet", "due": due}
    first, second = await posted_twice(client, page, f"{page}/task", task)
    for refused in (first, second):
        assert refused.status_code == 409 and "consent to share their contact" in html.unescape(refused.text)
    assert (await case_row(runtime, case_id)).status == "taken"


async def test_a_consent_withdrawn_again_records_nothing_and_says_when_and_by_whom(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001")
    case_id = await add_case(runtime, tenant)
    await volunteers_may_see(runtime, case_id)
    await signed_in_adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    async with runtime.db.read() as conn:
        own, shared = (await conn.execute(select(consents.c.id).order_by(consents.c.id))).scalars().all()
    action = f"{page}/consents/{own}/withdraw"
    # Before, the second submit said nothing: the page looked as if the withdrawal had just been recorded.
    first, second = await posted_twice(client, page, action, {})
    assert first.status_code == 303 and first.headers["location"] == f"{page}#consents"
    assert second.status_code == 303 and second.headers["location"] == f"{page}?withdrawn={own}#consents"
    said = html.unescape((await client.get(second.headers["location"])).text)
    when = said.split('id="withdrawn-already"><p>')[1].split("</p>")[0]
    assert when.startswith("This consent was withdrawn already, ") and when.endswith(
        ", recorded by adviser@example.org. Nothing was recorded again."
    )
    # A colleague withdraws it too from the page they had open, a minute later: the first withdrawal stands.
    runtime.clock.offset += timedelta(minutes=1)
    await add_person(runtime, "colleague@example.org", "adviser")
    async with another_browser(runtime) as other:
        await login(other, "colleague@example.org")
        again = await other.post(action, data={"csrf_token": csrf_of((await other.get(page)).text)})
        assert again.headers["location"] == f"{page}?withdrawn={own}#consents"
        assert html.unescape((await other.get(again.headers["location"])).text).count(when) == 1
    # A consent the tenant took back by their own word names nobody.
    async with runtime.db.write() as conn:
        assert await conn.run_sync(withdraw_consent, shared, runtime.clock())
    told = await post_form(client, page, f"{page}/consents/{shared}/withdraw", {})
    said = html.unescape((await client.get(told.headers["location"])).text)
    assert 'id="withdrawn-already"' in said and "recorded by" not in said.split('id="withdrawn-already"')[1][:200]
    assert 'id="withdrawn-already"' not in (await client.get(page)).text
    async with runtime.db.read() as conn:
        withdrawn = (await conn.execute(select(consents.c.withdrawn_at).where(consents.c.id == own))).scalar_one()
        audited = await conn.execute(select(audit_log.c.action).where(audit_log.c.target == f"case:{case_id}"))
        actions = list(audited.scalars())
    assert withdrawn is not None and actions.count("consent.withdraw") == 1


async def test_notes_tasks_and_closing(runtime: Runtime, client: httpx.AsyncClient) -> None:
    daytime(runtime)  # the closing notice goes at once by day (at night it waits: test_notices_at_night.py)
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001")
    case_id, page, volunteer = await taken_for_a_volunteer(runtime, client, tenant)
    # A NUL in pasted text is dropped, as every database can store the rest (PostgreSQL refused it: a 500).
    assert (await post_form(client, page, f"{page}/note", {"text": "Ringer\x00 fredag"})).status_code == 303
    assert "Ringer fredag" in (await client.get(page)).text
    due = (today(runtime) + timedelta(days=2)).isoformat()
    past = (today(runtime) - timedelta(days=1)).isoformat()
    bad = await post_form(client, page, f"{page}/task", {"volunteer_id": str(volunteer), "task": "Ring", "due": past})
    assert bad.status_code == 422 and "past" in bad.text
    given = await post_form(
        client, page, f"{page}/task", {"volunteer_id": str(volunteer), "task": "Mind om mødet", "due": due}
    )
    assert given.status_code == 303
    row = await case_row(runtime, case_id)
    assert (row.status, row.volunteer_id, row.volunteer_task) == ("volunteer", volunteer, "Mind om mødet")
    # "Other" without a note is a form left short (422, like a missing field), said with the outcome's own words.
    vague = await post_form(client, page, f"{page}/close", {"outcome": "other"})
    assert vague.status_code == 422 and "The outcome “other” needs a note" in html.unescape(vague.text)
    assert "'other'" not in html.unescape(vague.text)
    assert (await post_form(client, page, f"{page}/close", {"outcome": "nonsense"})).status_code == 422
    closed = await post_form(client, page, f"{page}/close", {"outcome": "payment_plan"})
    # Closing leads to the inbox, which says so.
    assert closed.status_code == 303 and closed.headers["location"] == f"/console/?closed={case_id}"
    inbox = await client.get(closed.headers["location"])
    assert 'id="closed-notice"' in inbox.text and "The case of" in inbox.text and "is closed." in inbox.text
    assert "appointment" not in inbox.text.split('id="closed-notice"')[1].split("</p>")[0]
    # Only a case that is closed is announced.
    assert 'id="closed-notice"' not in (await client.get("/console/?closed=999999")).text
    await drain(runtime.sender)
    assert sms(runtime).to("+4520000001")[-1].text.startswith("Rådgiveren har afsluttet samtalen")
    row = await case_row(runtime, case_id)
    assert (row.status, row.outcome) == ("closed", "payment_plan")
    async with runtime.db.read() as conn:
        kinds = (await conn.execute(select(case_events.c.kind).order_by(case_events.c.id))).scalars().all()
    assert kinds == ["opened", "taken", "note", "task", "task_ended", "closed"]
    # The bot takes over again: the tenant's next message gets the bot's answer.
    before = len(sms(runtime).sent)
    await tenant_writes(runtime, "+4520000001", "hej", "SM-after")
    assert len(sms(runtime).sent) > before


async def test_the_case_page_says_what_a_volunteer_sees(runtime: Runtime, client: httpx.AsyncClient) -> None:
    """Without the consent a volunteer needs, the page says what a volunteer would see: a first name, the channel, the
    phone number to call and the task (tasks.html)."""
    case_id = await add_case(runtime, await add_tenant(runtime, "R-1"))
    await add_person(runtime, "volunteer@example.org", "volunteer")
    await signed_in_adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    page = html.unescape((await client.get(page)).text)
    assert (
        "A volunteer sees the tenant's first name, their channel (SMS or Telegram), their phone number to call and "
        "the task or appointment, and writes to them only with prepared messages through keephome" in page
    )
    assert "first name and contact" not in page


async def test_every_case_view_is_audited(runtime: Runtime, client: httpx.AsyncClient) -> None:
    case_id = await add_case(runtime, await add_tenant(runtime, "R-1"))
    staff_id = await signed_in_adviser(runtime, client)
    await client.get(f"/console/cases/{case_id}")
    async with runtime.db.read() as conn:
        views = (await conn.execute(select(audit_log).where(audit_log.c.action == "case.view"))).all()
    assert [(v.actor, v.target) for v in views] == [(f"staff:{staff_id}", f"case:{case_id}")]
    assert (await client.get("/console/cases/999")).status_code == 404
    assert (await client.get("/console/cases/abc")).status_code == 404


def _found(page: str) -> list[str]:
    """The names a search's list shows, each as often as it shows it."""
    return re.findall(r'class="who">([^<]*)</a>', html.unescape(page.split('id="tenants-found"', 1)[1]))


async def test_an_adviser_finds_a_tenant_by_phone_number_or_a_part_of_the_name(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """A tenant who phones the office seldom knows their reference: "find a tenant" knew only that. It finds them by
    the number they call from, as a person writes it, and by a part of their name: one goes straight to their page,
    several are listed (audited with each tenant shown), an erased tenant never."""
    amira = await add_tenant(runtime, "R-1", name="Amira Hansen", phone="+4520123401")
    bo = await add_tenant(runtime, "R-2", name="Bo Hansen", phone="+4520123402")
    carl = await add_tenant(runtime, "R-3", name="Carl Jensen", phone="+4520123403")
    await add_tenant(runtime, "R-4", name="Dorte Hansen", phone="+4520123404", status="erased")
    await signed_in_adviser(runtime, client)
    for typed, tenant in (("20 12 34 03", carl), ("+45 20123401", amira), ("amira", amira), ("R-2", bo)):
        found = await client.get("/console/tenants", params={"ref": typed})
        assert found.status_code == 303 and found.headers["location"] == f"/console/tenants/{tenant}", typed
    listed = await client.get("/console/tenants", params={"ref": "hansen"})
    assert listed.status_code == 200
    assert Counter(_found(listed.text)) == Counter({"Amira Hansen": 1, "Bo Hansen": 1})
    assert "2 tenants match “hansen”" in html.unescape(listed.text) and 'value="hansen"' in listed.text
    async with runtime.db.read() as conn:
        details = (
            await conn.execute(select(audit_log.c.detail).where(audit_log.c.action == "tenants.search"))
        ).scalars()
        shown = Counter(name for detail in details for name in str(detail).split(","))
    assert shown == Counter({f"tenant:{amira}": 1, f"tenant:{bo}": 1})
    for typed in ("Zed", "h", "20 12 34 09"):
        missing = await client.get("/console/tenants", params={"ref": typed})
        assert missing.status_code == 404 and "No tenant has that reference, phone number or name." in missing.text


async def test_an_adviser_finds_a_tenant_typed_without_danish_letters_or_the_dash(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Staff type "provesen" for Prøvesen and "demo03" for DEMO-03: the search finds the tenant and opens their page."""
    carl = await add_tenant(runtime, "DEMO-03", name="Carl Prøvesen", phone="+4520123401")
    await signed_in_adviser(runtime, client)
    for typed in ("provesen", "proevesen", "demo03"):
        found = await client.get("/console/tenants", params={"ref": typed})
        assert found.status_code == 303 and found.headers["location"] == f"/console/tenants/{carl}", typed


async def test_an_adviser_finds_a_tenant_whose_name_an_export_wrote_with_its_marks_apart(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Some exports write "ü" as "u" and a combining mark: "Müller", "muller" and "MÜLLER" find that tenant, and a
    search typed so (as some keyboards send it) finds one stored composed."""
    anke = await add_tenant(runtime, "R-1", name="Anke Mu\u0308ller", phone="+4520123401")
    sara = await add_tenant(runtime, "R-2", name="Sara Gönül", phone="+4520123402")
    await signed_in_adviser(runtime, client)
    for typed, tenant in (("Müller", anke), ("muller", anke), ("MÜLLER", anke), ("Go\u0308nu\u0308l", sara)):
        found = await client.get("/console/tenants", params={"ref": typed})
        assert found.status_code == 303 and found.headers["location"] == f"/console/tenants/{tenant}", typed


async def test_an_adviser_finds_an_arabic_name_typed_without_its_short_vowels(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """An export writes the name fully vowelled, "مُحَمَّد أحمد"; the adviser types "محمد احمد", as most people write
    it: the search opens that tenant's page."""
    tenant = await add_tenant(runtime, "R-1", name="مُحَمَّد أحمد", phone="+4520123401")
    await signed_in_adviser(runtime, client)
    for typed in ("محمد", "محمد احمد"):
        found = await client.get("/console/tenants", params={"ref": typed})
        assert found.status_code == 303 and found.headers["location"] == f"/console/tenants/{tenant}", typed


async def test_a_search_that_finds_no_one_keeps_what_was_typed_in_the_box_to_correct(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """A name heard on the phone and spelled otherwise finds no one: the answer was a page with only a "Back" link, the
    search box gone. Now it is the search again, saying no tenant matched, with the text typed in its box."""
    await add_tenant(runtime, "R-1", name="Amira Hansen", phone="+4520123401")
    await signed_in_adviser(runtime, client)
    missing = await client.get("/console/tenants", params={"ref": "Hanssen Ø"})
    assert missing.status_code == 404
    said = html.unescape(missing.text)
    assert 'id="none-found"' in said and "No tenant has that reference, phone number or name." in said
    assert re.search(r'<input id="ref" name="ref"[^>]* value="Hanssen Ø"', said)
    assert "tenants-found" not in said


async def test_find_a_tenant_with_nothing_typed_is_the_search_page_not_an_error(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Opening "find a tenant" (or searching with an empty box) shows the search form, not a 422 refusal."""
    await add_tenant(runtime, "R-1", name="Amira Hansen", phone="+4520123401")
    await signed_in_adviser(runtime, client)
    for query in ({}, {"ref": ""}, {"ref": "   "}):
        page = await client.get("/console/tenants", params=query)
        assert page.status_code == 200, query
        said = html.unescape(page.text)
        assert said.count('action="/console/tenants"') == 1 and 'value=""' in page.text
        assert "Type the tenant's reference, phone number or name." in said
        assert "tenants-found" not in page.text and "match" not in said


async def test_a_search_that_matches_many_tenants_lists_the_first_and_says_so(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    for n in range(SEARCH_SHOWN + 2):
        await add_tenant(runtime, f"N-{n:03d}", name=f"Person {n:03d} Nielsen", phone=f"+45200001{n:02d}")
    await signed_in_adviser(runtime, client)
    listed = await client.get("/console/tenants", params={"ref": "nielsen"})
    names = _found(listed.text)
    assert len(names) == SEARCH_SHOWN and len(set(names)) == SEARCH_SHOWN
    assert names == sorted(names) and names[0] == "Person 000 Nielsen"
    said = html.unescape(listed.text)
    assert f"{SEARCH_SHOWN + 2} tenants match “nielsen”" in said
    assert f"the first {SEARCH_SHOWN} shown: type more of the name" in said


async def test_an_adviser_opens_a_case_by_hand_from_the_tenant_page(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    tenant = await add_tenant(runtime, "R-77", phone="+4520000001")
    await signed_in_adviser(runtime, client)
    found = await client.get("/console/tenants?ref=R-77")
    assert found.status_code == 303 and found.headers["location"] == f"/console/tenants/{tenant}"
    assert (await client.get("/console/tenants?ref=nope")).status_code == 404
    opened = await post_form(
        client, f"/console/tenants/{tenant}", f"/console/tenants/{tenant}/cases", {"reason": "Phoned the office"}
    )
    assert opened.status_code == 303
    case_url = opened.headers["location"]
    case_page = await client.get(case_url)
    assert "Phoned the office" in case_page.text and "opened by hand" in case_page.text
    async with runtime.db.read() as conn:
        actions = (await conn.execute(select(audit_log.c.action))).scalars().all()
    assert "tenant.view" in actions and "case.open" in actions

    # With the case open, the tenant's page leads to it and offers no second one.
    page = (await client.get(f"/console/tenants/{tenant}")).text
    assert f'href="{case_url}"' in page and f'action="/console/tenants/{tenant}/cases"' not in page
    # A page loaded before the case was opened still posts: the open case is brought up to date, not doubled.
    stale = {"reason": "Wrote a letter", "csrf_token": csrf_of(page)}
    again = await client.post(f"/console/tenants/{tenant}/cases", data=stale)
    assert again.status_code == 303 and again.headers["location"] == case_url
    async with runtime.db.read() as conn:
        assert len((await conn.execute(select(cases.c.id).where(cases.c.tenant_id == tenant))).all()) == 1


async def press(rt: Runtime, chat: str, key: str, provider_id: str) -> None:
    """The tenant presses the button for `key` under the bot's latest Telegram message."""
    shown = sandbox(rt)["telegram"].to(chat)[-1]
    index = [choice for _, choice in shown.buttons].index(key)
    await rt.inbox.submit(
        InboundMessage("telegram", provider_id, chat, None, {"callback": f"{shown.outbox_id}.{index}"})
    )
    await process_all(rt.processor)
    await drain(rt.sender)


async def _telegram_case(runtime: Runtime) -> tuple[int, int]:
    """A Telegram tenant who said hello, asked for an adviser and consented with the buttons: the tenant and the
    case."""
    tenant = await add_tenant(runtime, "R-1", name="Kappa Tenant", phone="+4520000001", chat_id=777002)
    await tenant_writes(runtime, "777002", "hej", "777002:1", channel="telegram")
    await press(runtime, "777002", "adviser", "cb:1")
    await press(runtime, "777002", "yes", "cb:2")
    async with runtime.db.read() as conn:
        return tenant, int((await conn.execute(select(cases.c.id).where(cases.c.tenant_id == tenant))).scalar_one())


async def _queue_telegram(
    runtime: Runtime, tenant: int, template: str, values: dict[str, Any], key: str, not_before: datetime
) -> None:
    """A Danish Telegram text queued to the tenant, to go from `not_before` (not sent: it has no text yet)."""
    await runtime.db.run(
        lambda conn: enqueue(
            Scene.of(conn),
            now=runtime.clock(),
            channel="telegram",
            template=template,
            values=values,
            language="da",
            idempotency_key=key,
            tenant_id=tenant,
            not_before=not_before,
        )
    )


async def test_a_queued_text_that_asks_for_a_call_shows_the_day_the_tenant_will_read(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """A court-stage thank-you waiting for a Saturday morning is shown as it will go (the day the adviser answers
    next), not with the hours a text without a moment gives."""
    tenant, case_id = await _telegram_case(runtime)
    local = runtime.clock().astimezone(ZoneInfo("Europe/Copenhagen"))
    saturday = (local + timedelta(days=7 + (5 - local.weekday()) % 7)).replace(hour=10, minute=0, second=0)
    values = {"trigger": "court"}
    await _queue_telegram(runtime, tenant, "payment_check.paid", values, "court-thanks-saturday", saturday)
    await signed_in_adviser(runtime, client)
    page = (await client.get(f"/console/cases/{case_id}")).text
    then = runtime.renderer.render("payment_check.paid", values, "da", "telegram", now=saturday).text
    timeless = runtime.renderer.render("payment_check.paid", values, "da", "telegram").text
    assert then != timeless
    assert html.escape(then, quote=False) in page and html.escape(timeless, quote=False) not in page


async def test_the_case_page_names_pressed_buttons_and_shows_queued_texts(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    tenant, case_id = await _telegram_case(runtime)
    # A message that waits for the end of quiet hours has no sent text yet.
    later = runtime.clock() + timedelta(hours=10)
    await _queue_telegram(runtime, tenant, "case.closed", {}, "queued-for-morning", later)
    await signed_in_adviser(runtime, client)
    page = (await client.get(f"/console/cases/{case_id}")).text
    labels = [runtime.renderer.render(f"choice.{key}", {}, "da", "telegram").text for key in ("adviser", "yes")]
    for label in labels:
        assert f"[pressed the button “{label}”]" in page
    assert "[None]" not in page and "[a message without text]" not in page
    closing = runtime.renderer.render("case.closed", {}, "da", "telegram").text
    assert html.escape(closing, quote=False) in page and "<strong>queued until " in page
    assert "[case.closed]" not in page
    polled = (await client.get(f"/console/cases/{case_id}/messages.json")).json()
    texts = [m["text"] for m in polled["messages"]]
    assert f"[pressed the button “{labels[0]}”]" in texts and closing in texts
    assert {m["by"] for m in polled["messages"]} == {"Kappa", "bot"}


async def test_a_press_of_another_tenants_button_is_no_named_button_on_the_case_page(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Callback data is the client's to write: one naming a message another tenant was sent shows as a button
    pressed, never as that tenant's button (the bot did not take it as an answer either)."""
    _tenant, case_id = await _telegram_case(runtime)
    await add_tenant(runtime, "R-2", name="Lambda Tenant", phone="+4520000002", chat_id=777003)
    await tenant_writes(runtime, "777003", "hej", "777003:1", channel="telegram")
    theirs = sandbox(runtime)["telegram"].to("777003")[-1]
    assert theirs.buttons
    forged = {"callback": f"{theirs.outbox_id}.0"}
    await runtime.inbox.submit(InboundMessage("telegram", "777002:forged", "777002", None, forged))
    await process_all(runtime.processor)
    await signed_in_adviser(runtime, client)
    page = (await client.get(f"/console/cases/{case_id}")).text
    label = theirs.buttons[0][0]
    assert f"[pressed the button “{label}”]" not in page
    assert page.count("[pressed a button]") == 1


def another_browser(rt: Runtime) -> httpx.AsyncClient:
    """A second person at their own browser, on the same service."""
    transport = httpx.ASGITransport(app=create_app(rt))
    return httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org")


async def _outbox_templates(rt: Runtime) -> list[str]:
    async with rt.db.read() as conn:
        return list((await conn.execute(select(outbox.c.template).order_by(outbox.c.id))).scalars().all())


async def test_only_the_holder_replies_releases_gives_a_task_or_closes(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001")
    case_id = await add_case(runtime, tenant)
    await volunteers_may_see(runtime, case_id)
    volunteer = await add_person(runtime, "volunteer@example.org", "volunteer")
    holder = await signed_in_adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    due = (today(runtime) + timedelta(days=2)).isoformat()
    actions = {
        "reply": {"text": "Hej", "nonce": "nonce-other-1"},
        "release": {"nonce": "nonce-other-4"},
        "task": {"volunteer_id": str(volunteer), "task": "Ring", "due": due, "nonce": "nonce-other-2"},
        "close": {"outcome": "paid", "nonce": "nonce-other-3"},
    }
    # Nobody holds a waiting case: it is taken first, also before it is closed.
    for action, data in actions.items():
        assert (await post_form(client, page, f"{page}/{action}", data)).status_code == 409, action
    await post_form(client, page, f"{page}/take", {})
    before = await _outbox_templates(runtime)
    for email, role in (("colleague@example.org", "adviser"), ("admin@example.org", "admin")):
        await add_person(runtime, email, role)
        async with another_browser(runtime) as other:
            await login(other, email)
            shown = (await other.get(page)).text
            assert 'action="/console/cases/' + str(case_id) + '/close"' not in shown and "held-by-other" in shown
            for action, data in actions.items():
                refused = await post_form(other, page, f"{page}/{action}", data)
                assert refused.status_code == 409 and "Take the case first" in refused.text, (role, action)
    row = await case_row(runtime, case_id)
    assert (row.status, row.assignee_id, row.volunteer_id, row.outcome) == ("taken", holder, None, None)
    assert await _outbox_templates(runtime) == before
    # The holder may do each of them.
    assert (await post_form(client, page, f"{page}/reply", actions["reply"])).status_code == 303
    assert (await post_form(client, page, f"{page}/task", actions["task"])).status_code == 303
    assert (await post_form(client, page, f"{page}/close", actions["close"])).status_code == 303
    assert (await case_row(runtime, case_id)).status == "closed"


async def test_releasing_gives_the_case_back_to_the_queue_and_the_bot(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    daytime(runtime)  # the case's notices go now, not after quiet hours, whatever the hour the test runs at
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001")
    case_id = await add_case(runtime, tenant)
    staff_id = await signed_in_adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    await post_form(client, page, f"{page}/take", {})
    await drain(runtime.sender)
    await tenant_writes(runtime, "+4520000001", "hallo?", "SM-held")
    assert len(sms(runtime).sent) == 1  # held: the bot stays quiet
    assert (await post_form(client, page, f"{page}/release", {})).status_code == 303
    row = await case_row(runtime, case_id)
    assert (row.status, row.assignee_id) == ("waiting", None)
    async with runtime.db.read() as conn:
        audit = (await conn.execute(select(audit_log).where(audit_log.c.action == "case.release"))).one()
        kinds = (await conn.execute(select(case_events.c.kind).order_by(case_events.c.id))).scalars().all()
    assert (audit.actor, audit.target) == (f"staff:{staff_id}", f"case:{case_id}")
    assert kinds[-1] == "released"
    await tenant_writes(runtime, "+4520000001", "hej", "SM-released")
    assert len(sms(runtime).sent) > 1  # the bot answers again
    stale = {"nonce": "old-page-1"}  # a Release from a page opened before
    assert (await post_form(client, page, f"{page}/release", stale)).status_code == 409  # no longer held


async def test_an_admin_reassigns_a_case_held_by_an_absent_adviser(runtime: Runtime, client: httpx.AsyncClient) -> None:
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001")
    case_id = await add_case(runtime, tenant)
    away = await signed_in_adviser(runtime, client, "away@example.org")
    page = f"/console/cases/{case_id}"
    await post_form(client, page, f"{page}/take", {})
    stand_in = await add_person(runtime, "stand-in@example.org", "adviser")
    volunteer = await add_person(runtime, "volunteer@example.org", "volunteer")
    # An adviser cannot move a colleague's case.
    async with another_browser(runtime) as colleague:
        await login(colleague, "stand-in@example.org")
        refused = await post_form(colleague, page, f"{page}/reassign", {"adviser_id": str(stand_in)})
        assert refused.status_code == 403
    admin = await add_person(runtime, "admin@example.org", "admin")
    async with another_browser(runtime) as desk:
        await login(desk, "admin@example.org")
        shown = (await desk.get(page)).text
        assert f'action="{page}/reassign"' in shown and "stand-in@example.org" in shown
        assert (await post_form(desk, page, f"{page}/reassign", {"adviser_id": str(volunteer)})).status_code == 422
        assert (await post_form(desk, page, f"{page}/reassign", {"adviser_id": str(away)})).status_code == 409
        moved = await post_form(desk, page, f"{page}/reassign", {"adviser_id": str(stand_in)})
        assert moved.status_code == 303
    row = await case_row(runtime, case_id)
    assert (row.status, row.assignee_id) == ("taken", stand_in)
    async with runtime.db.read() as conn:
        entry = (await conn.execute(select(audit_log).where(audit_log.c.action == "case.reassign"))).one()
        event = (await conn.execute(select(case_events).where(case_events.c.kind == "reassigned"))).one()
    assert (entry.actor, entry.target) == (f"staff:{admin}", f"case:{case_id}")
    assert entry.detail == f"from=staff:{away} to=staff:{stand_in}"
    assert event.staff_id == admin and event.text == "to stand-in@example.org"
    # The absent adviser's open page no longer acts; the stand-in does.
    late = await post_form(client, page, f"{page}/reply", {"text": "Hej", "nonce": "nonce-away-1"})
    assert late.status_code == 409
    async with another_browser(runtime) as colleague:
        await login(colleague, "stand-in@example.org")
        sent = await post_form(colleague, page, f"{page}/reply", {"text": "Hej, jeg tager over", "nonce": "nonce-in-1"})
        assert sent.status_code == 303
    # A waiting case is not reassigned: anyone may take it.
    waiting = await add_case(runtime, await add_tenant(runtime, "R-2", phone="+4520000002"))
    async with another_browser(runtime) as desk:
        await login(desk, "admin@example.org")
        other = f"/console/cases/{waiting}"
        assert (await post_form(desk, other, f"{other}/reassign", {"adviser_id": str(stand_in)})).status_code == 409


@pytest.mark.parametrize(
    ("task", "why"),
    [
        ("Mind om de 2.500 kr", "amount"),
        ("Spørg til 4500", "amount"),
        ("Tal om udsættelse", "udsættelse"),
        ("Ask about the arrears", "arrears"),
    ],
)
async def test_a_volunteer_task_follows_the_sms_rule(
    runtime: Runtime, client: httpx.AsyncClient, task: str, why: str
) -> None:
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001")
    case_id, page, volunteer = await taken_for_a_volunteer(runtime, client, tenant)
    due = (today(runtime) + timedelta(days=1)).isoformat()
    refused = await post_form(client, page, f"{page}/task", {"volunteer_id": str(volunteer), "task": task, "due": due})
    assert refused.status_code == 422 and "SMS rule" in refused.text and why in refused.text
    row = await case_row(runtime, case_id)
    assert (row.status, row.volunteer_task) == ("taken", None)
    fine = await post_form(
        client, page, f"{page}/task", {"volunteer_id": str(volunteer), "task": "Mind om mødet torsdag", "due": due}
    )
    assert fine.status_code == 303


async def test_a_termination_day_gone_by_and_everyday_debt_words_never_go_by_sms(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The lease ended four days ago: "ring inden den 3. december" names that day (not next year's 3 December), and
    "du er bagud med huslejen" says what a debt word would; neither goes, and the reason given is the right one."""
    day = today(runtime)
    ended = day - timedelta(days=4)
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001", balance_ore=900000, termination_on=ended)
    case_id = await add_case(runtime, tenant)
    await signed_in_adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    await post_form(client, page, f"{page}/take", {})
    written = (f"{ended.day}/{ended.month}", f"{ended.day}.{ended.month}.{ended.year}")
    for n, text in enumerate((f"Ring til mig inden {written[0]}", f"Ring inden {written[1]}")):
        warned = await post_form(client, page, f"{page}/reply", {"text": text, "nonce": f"nonce-date-{n}"})
        shown = html.unescape(warned.text)
        assert warned.status_code == 422 and local_day(ended) in shown, text
        assert "an amount" not in shown, text  # the year is no sum
    debt = await post_form(client, page, f"{page}/reply", {"text": "Du er bagud med huslejen", "nonce": "nonce-debt"})
    assert debt.status_code == 422 and "bagud" in debt.text
    await drain(runtime.sender)
    sent = [m.text for m in sms(runtime).to("+4520000001")]  # the notice that an adviser took the case, only
    assert not [text for text in sent if "bagud" in text or "inden" in text], sent


async def test_a_volunteer_task_names_no_date_of_the_rent_case(runtime: Runtime, client: httpx.AsyncClient) -> None:
    court = today(runtime) + timedelta(days=20)
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001", balance_ore=900000, court_date=court)
    case_id, page, volunteer = await taken_for_a_volunteer(runtime, client, tenant)
    due = (today(runtime) + timedelta(days=1)).isoformat()
    task = {"volunteer_id": str(volunteer), "task": f"Følg op før {court.day}/{court.month}", "due": due}
    refused = await post_form(client, page, f"{page}/task", task)
    assert refused.status_code == 422 and "a date of the tenant&#39;s rent case" in refused.text
    assert (await case_row(runtime, case_id)).volunteer_task is None
    other = court - timedelta(days=1)
    task["task"] = f"Følg op før {other.day}/{other.month}"
    assert (await post_form(client, page, f"{page}/task", task)).status_code == 303


async def test_a_case_goes_to_a_volunteer_only_with_consent_to_share_with_their_organisation(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """A volunteer sees the tenant's first name and contact, and is of a volunteer organisation: the task is refused,
    saying which consent is needed and how to ask for it, until the tenant's consent names that organisation, the
    tenant's contact and this case."""
    case_id = await add_case(runtime, await add_tenant(runtime, "R-1", phone="+4520000001"))
    volunteer = await add_person(runtime, "volunteer@example.org", "volunteer")  # of Dansk Folkehjælp
    unknown = await add_person(runtime, "new-volunteer@example.org", "volunteer", organisation=None)
    await signed_in_adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    await post_form(client, page, f"{page}/take", {})
    shown = (await client.get(page)).text
    assert "first the tenant must consent to sharing their contact" in shown and "· Dansk Folkehjælp" in shown
    due = (today(runtime) + timedelta(days=1)).isoformat()

    async def give(to: int) -> httpx.Response:
        return await post_form(client, page, f"{page}/task", {"volunteer_id": str(to), "task": "Ring", "due": due})

    refused = await give(volunteer)
    assert refused.status_code == 409
    assert "consent to share their contact with Dansk Folkehjælp for this case" in refused.text
    assert "Ask for it under Consents on this page (on Telegram), or record the form the tenant signed" in refused.text
    await volunteers_may_see(runtime, case_id, organisation="KFUM")  # another organisation
    await volunteers_may_see(runtime, case_id, kinds=("rent_position",))  # not the contact
    assert (await give(volunteer)).status_code == 409
    no_organisation = await give(unknown)
    assert no_organisation.status_code == 409 and "organisation is not recorded" in no_organisation.text
    row = await case_row(runtime, case_id)
    assert (row.status, row.volunteer_id, row.volunteer_task) == ("taken", None, None)
    async with runtime.db.read() as conn:
        tasks = (await conn.execute(select(case_events.c.kind).where(case_events.c.kind == "task"))).all()
    assert tasks == []

    await volunteers_may_see(runtime, case_id)
    assert "lets their contact go to Dansk Folkehjælp for this case" in (await client.get(page)).text
    assert (await give(volunteer)).status_code == 303
    assert (await case_row(runtime, case_id)).volunteer_id == volunteer


async def test_a_withdrawn_consent_takes_the_task_off_the_volunteers_list(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Withdrawing the consent stops the sharing at the next view: the volunteer's list no longer names the tenant,
    it says that a task left it, and the task's prepared texts are refused."""
    case_id = await add_case(runtime, await add_tenant(runtime, "R-1", name="Beta Tenant", phone="+4520000001"))
    consent = await volunteers_may_see(runtime, case_id)
    volunteer = await add_person(runtime, "volunteer@example.org", "volunteer")
    await signed_in_adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    await post_form(client, page, f"{page}/take", {})
    due = (today(runtime) + timedelta(days=1)).isoformat()
    form = {"volunteer_id": str(volunteer), "task": "Ring i morgen", "due": due}
    assert (await post_form(client, page, f"{page}/task", form)).status_code == 303
    client.cookies.clear()
    assert (await login(client, "volunteer@example.org")).status_code == 303
    listed = (await client.get("/console/tasks")).text
    assert "Beta" in listed and "Ring i morgen" in listed and 'id="withheld"' not in listed

    async with runtime.db.write() as conn:
        assert await conn.run_sync(lambda sync: withdraw_consent(sync, consent, runtime.clock()))
    listed = (await client.get("/console/tasks")).text
    assert "Beta" not in listed and "Ring i morgen" not in listed
    assert "1 task or appointment has left your list" in html.unescape(listed)
    await drain(runtime.sender)
    before = len(sms(runtime).sent)
    text = {"template": "volunteer.call_tomorrow"}
    refused = await post_form(client, "/console/tasks", f"/console/tasks/{case_id}/send", text)
    assert refused.status_code == 409 and "no longer consents to share this" in html.unescape(refused.text)
    await drain(runtime.sender)
    assert len(sms(runtime).sent) == before


async def test_the_tenant_taking_back_the_volunteers_consent_gives_the_task_back_to_the_adviser(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The tenant consented to the volunteer organisation, the adviser gave a volunteer a call to make; then the tenant
    writes TILBAGEKALD and picks that organisation. Nobody would make the call: the task comes back to the adviser, the
    inbox and the case page say the adviser has it, the case's events say why, and so does the audit log."""
    tenant_id = await add_tenant(runtime, "R-1", name="Carl Prøvesen", phone="+4520000001")
    case_id, page, volunteer = await taken_for_a_volunteer(runtime, client, tenant_id)
    due = (today(runtime) + timedelta(days=1)).isoformat()
    form = {"volunteer_id": str(volunteer), "task": "Ring til Carl", "due": due}
    assert (await post_form(client, page, f"{page}/task", form)).status_code == 303
    assert '<span class="status volunteer">with a volunteer</span>' in (await client.get("/console/")).text
    assert 'id="take-back-task"' in (await client.get(page)).text

    await tenant_writes(runtime, "+4520000001", "TILBAGEKALD", "SM-1")
    assert "2: en frivillig forening" in sms(runtime).to("+4520000001")[-1].text  # by SMS: its kind, no name
    await tenant_writes(runtime, "+4520000001", "2", "SM-2")

    row = await case_row(runtime, case_id)
    assert (row.status, row.volunteer_id, row.volunteer_task) == ("taken", None, None)
    shown = html.unescape((await client.get(page)).text)
    assert 'id="take-back-task"' not in shown
    assert "the tenant took back the consent the volunteer needed: the task is the adviser's again" in shown
    assert '<span class="status taken">taken</span>' in (await client.get("/console/")).text
    async with runtime.db.read() as conn:
        taken_back = select(audit_log.c.actor, audit_log.c.detail).where(audit_log.c.action == "task.take_back")
        entries = (await conn.execute(taken_back)).all()
    assert [(e.actor, e.detail) for e in entries] == [
        ("system", f"tenant:{tenant_id} volunteer=staff:{volunteer} because=consent_ended")
    ]
    client.cookies.clear()
    assert (await login(client, "volunteer@example.org")).status_code == 303
    listed = html.unescape((await client.get("/console/tasks")).text)
    assert "Ring til Carl" not in listed and "1 task or appointment has left your list" in listed


async def test_a_consent_the_adviser_withdraws_gives_the_volunteers_task_back_too(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The tenant told the adviser to withdraw the consent the volunteer's task needed: the Withdraw on the case page
    gives the task back to the adviser as the tenant's own word does."""
    tenant_id = await add_tenant(runtime, "R-1", phone="+4520000001")
    case_id, page, volunteer = await taken_for_a_volunteer(runtime, client, tenant_id)
    due = (today(runtime) + timedelta(days=1)).isoformat()
    form = {"volunteer_id": str(volunteer), "task": "Ring til Carl", "due": due}
    assert (await post_form(client, page, f"{page}/task", form)).status_code == 303
    async with runtime.db.read() as conn:
        shared = (
            await conn.execute(select(consents.c.id).where(consents.c.recipient_kind == "volunteer_org"))
        ).scalar_one()
    assert (await post_form(client, page, f"{page}/consents/{shared}/withdraw", {})).status_code == 303
    row = await case_row(runtime, case_id)
    assert (row.status, row.volunteer_id) == ("taken", None)
    assert 'id="take-back-task"' not in (await client.get(page)).text


HUGE = "99999999999999999999"


async def test_ids_out_of_range_answer_404_or_422_never_500(database_url: str) -> None:
    async with started_runtime(make_settings(database_url)) as rt:
        case_id = await add_case(rt, await add_tenant(rt, "R-1", phone="+4520000001"))
        await add_person(rt, "adviser@example.org", "adviser")
        await add_person(rt, "admin@example.org", "admin")
        await add_person(rt, "volunteer@example.org", "volunteer")
        async with another_browser(rt) as adviser, another_browser(rt) as admin, another_browser(rt) as volunteer:
            await login(adviser, "adviser@example.org")
            await login(admin, "admin@example.org")
            await login(volunteer, "volunteer@example.org")
            token = {
                c: csrf_of((await c.get(start)).text)
                for c, start in ((adviser, "/console/"), (admin, "/console/staff"), (volunteer, "/console/tasks"))
            }
            for bad in (HUGE, "9223372036854775808", "-1", "0", "1_0", "٣", "1e3"):
                gets = [
                    (adviser, f"/console/cases/{bad}"),
                    (adviser, f"/console/cases/{bad}/messages.json"),
                    (adviser, f"/console/tenants/{bad}"),
                ]
                for c, path in gets:
                    assert (await c.get(path)).status_code == 404, path
                posts = [
                    (adviser, f"/console/cases/{bad}/take"),
                    (adviser, f"/console/cases/{bad}/close"),
                    (adviser, f"/console/tenants/{bad}/cases"),
                    (admin, f"/console/cases/{bad}/reassign"),
                    (admin, f"/console/staff/{bad}/role"),
                    (admin, f"/console/staff/{bad}/deactivate"),
                    (admin, f"/console/staff/{bad}/link"),
                    (volunteer, f"/console/tasks/{bad}/send"),
                    (volunteer, f"/console/tasks/{bad}/done"),
                ]
                for c, path in posts:
                    response = await c.post(path, data={"csrf_token": token[c], "reason": "x", "role": "adviser"})
                    assert response.status_code == 404, path
            page = f"/console/cases/{case_id}"
            for after in (HUGE, "-1", "x"):
                assert (await adviser.get(f"{page}/messages.json?after={after}")).status_code == 422
            for number in (HUGE, "0", "x"):
                assert (await admin.get(f"/console/audit?page={number}")).status_code == 422
            await post_form(adviser, page, f"{page}/take", {})
            due = (today(rt) + timedelta(days=1)).isoformat()
            task = await post_form(adviser, page, f"{page}/task", {"volunteer_id": HUGE, "task": "Ring", "due": due})
            assert task.status_code == 422
            reassign = await post_form(admin, page, f"{page}/reassign", {"adviser_id": HUGE})
            assert reassign.status_code == 422


async def _transcript_reads(rt: Runtime) -> list[str | None]:
    async with rt.db.read() as conn:
        query = select(audit_log.c.detail).where(audit_log.c.action == "case.messages").order_by(audit_log.c.id)
        return list((await conn.execute(query)).scalars().all())


async def test_reading_the_transcript_through_the_poller_is_audited_when_it_shows_something_new(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001")
    await tenant_writes(runtime, "+4520000001", "hej", "SM-1")
    case_id = await add_case(runtime, tenant)
    await signed_in_adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    shown = await client.get(page)  # the view itself is audited as case.view
    last = int(shown.text.split('data-after="', 1)[1].split('"', 1)[0])
    polls = [await client.get(f"{page}/messages.json?after={last}") for _ in range(3)]
    assert all(p.json()["messages"] == [] for p in polls)
    again = (await client.get(f"{page}/messages.json?after=0")).json()["messages"]
    assert again and await _transcript_reads(runtime) == []  # nothing this session had not seen
    await tenant_writes(runtime, "+4520000001", "er der nogen?", "SM-2")
    fresh = (await client.get(f"{page}/messages.json?after={last}")).json()["messages"]
    assert fresh[0]["text"] == "er der nogen?"  # and the bot's answer to it
    assert (await client.get(f"{page}/messages.json?after={last}")).json()["messages"] == fresh
    reads = await _transcript_reads(runtime)
    assert reads == [f"tenant:{tenant} messages={len(fresh)} through={fresh[-1]['id']}"]
    # Another session that never opened the page reads the whole transcript: audited.
    await add_person(runtime, "colleague@example.org", "adviser")
    async with another_browser(runtime) as other:
        await login(other, "colleague@example.org")
        everything = (await other.get(f"{page}/messages.json?after=0")).json()["messages"]
    reads = await _transcript_reads(runtime)
    assert len(reads) == 2 and reads[1] == f"tenant:{tenant} messages={len(everything)} through={everything[-1]['id']}"


async def test_what_a_tenant_said_during_a_påkrav_is_listed_to_check(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    day = today(runtime)
    pakrav = {"balance_ore": 90000, "demand_sent_on": day - timedelta(days=5)}  # deadline in 9 to 11 days
    said_paid = await add_tenant(
        runtime, "R-1", name="Paid Tenant", phone="+4520000011", paid_claim_until=day + timedelta(days=3), **pakrav
    )
    late = await add_tenant(
        runtime, "R-2", name="Late Tenant", phone="+4520000012", promise_on=day + timedelta(days=20), **pakrav
    )
    await add_tenant(
        runtime, "R-3", name="Soon Tenant", phone="+4520000013", promise_on=day + timedelta(days=2), **pakrav
    )
    await add_tenant(
        runtime,
        "R-4",
        name="Nopakrav Tenant",
        phone="+4520000014",
        balance_ore=90000,
        paid_claim_until=day + timedelta(days=3),
    )
    await add_tenant(
        runtime,
        "R-5",
        name="Settled Tenant",
        phone="+4520000015",
        balance_ore=0,
        demand_sent_on=day - timedelta(days=5),
        paid_claim_until=day + timedelta(days=3),
    )
    # A paper letter received three days ago: the case list counts from that day.
    paper = await add_tenant(
        runtime,
        "R-6",
        name="Paper Tenant",
        phone="+4520000016",
        balance_ore=90000,
        demand_sent_on=day - timedelta(days=6),
        demand_received_on=day - timedelta(days=3),
    )
    await add_case(runtime, paper)
    # The same word from a tenant who has not let an adviser read their answers: not listed.
    await add_tenant(
        runtime, "R-7", name="Quiet Tenant", phone="+4520000017", paid_claim_until=day + timedelta(days=3), **pakrav
    )
    # What they said is shown while their adviser consent stands (as on a case and the tenant's page).
    async with runtime.db.write() as conn:
        for tenant in (said_paid, late):
            await conn.execute(
                consents.insert().values(
                    tenant_id=tenant, scope="adviser", wording_version="consent-v1", given_at=runtime.clock()
                )
            )
    await signed_in_adviser(runtime, client)
    page = (await client.get("/console/")).text
    assert "påkrav received" in page[page.index('id="case-list"') : page.index('id="to-check"')]
    to_check = page[page.index('id="to-check"') :]
    assert [
        name for name in ("Paid", "Late", "Soon", "Nopakrav", "Settled", "Paper", "Quiet") if f">{name}<" in to_check
    ] == [
        "Paid",
        "Late",
    ]
    assert to_check.count("says paid — check") == 1 and to_check.count("after the påkrav deadline") == 1
    assert "kr." not in to_check  # no amounts in the list; the tenant page has them, and its view is audited
    shown = (await client.get(f"/console/tenants/{said_paid}")).text
    assert "says paid — check" in shown
    shown = (await client.get(f"/console/tenants/{late}")).text
    assert "after the påkrav deadline" in shown and "Promised to pay" in shown
    async with runtime.db.read() as conn:
        views = (await conn.execute(select(audit_log.c.action, audit_log.c.target))).all()
    assert [tuple(v) for v in views if v.action == "tenant.view"] == [
        ("tenant.view", f"tenant:{said_paid}"),
        ("tenant.view", f"tenant:{late}"),
    ]


async def test_a_promise_dated_on_or_after_the_court_date_is_flagged_on_the_case(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """At the court stage the bot thanks for a promise and asks for a call; a day on or after the fogedret's meeting
    may be too late to save the home, and the adviser must see that in the case list and on the tenant page."""
    day = today(runtime)
    court = day + timedelta(days=10)
    dated = {"balance_ore": 900000, "termination_on": day - timedelta(days=20), "court_date": court}
    late = await add_tenant(runtime, "R-1", name="Late Tenant", phone="+4520000021", promise_on=court, **dated)
    soon = await add_tenant(
        runtime, "R-2", name="Soon Tenant", phone="+4520000022", promise_on=court - timedelta(days=1), **dated
    )
    for tenant in (late, soon):
        await add_case(runtime, tenant)
    await signed_in_adviser(runtime, client)
    listed = (await client.get("/console/")).text
    listed = listed[listed.index('id="case-list"') :]
    flag = "not before the court date"
    assert listed.count(flag) == 1  # Late's, not Soon's (the tenant pages tell which)
    assert flag in (await client.get(f"/console/tenants/{late}")).text
    assert flag not in (await client.get(f"/console/tenants/{soon}")).text


async def test_the_case_page_shows_that_a_photo_or_a_voice_message_came_and_cannot_be_seen(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The tenant sends the letter as a photo with a few words, then a voice message: the bot stays quiet (a person
    holds the case), so the page is the only place the adviser learns that something came which nobody can see."""
    _tenant, case_id = await _telegram_case(runtime)
    for provider_id, caption, kind in (("777002:2", "her er brevet", "photo"), ("777002:3", None, "voice")):
        await runtime.inbox.submit(InboundMessage("telegram", provider_id, "777002", caption, {"kind": kind}))
    await process_all(runtime.processor)
    await signed_in_adviser(runtime, client)
    polled = (await client.get(f"/console/cases/{case_id}/messages.json")).json()
    texts = [m["text"] for m in polled["messages"]]
    assert "[a photo: it cannot be seen here] her er brevet" in texts, texts
    assert "[a voice message: it cannot be heard here]" in texts, texts
    assert "hej" in texts  # words alone stay as they are


async def test_without_consent_a_case_shows_nothing_the_tenant_told_the_bot(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    # An urgent outreach (a court date known) for a tenant who told the bot they paid and when: without their
    # consent the case shows what the organisation holds and the bot's own messages, not the tenant's answers.
    day = today(runtime)
    said = {"paid_claim_until": day + timedelta(days=3), "promise_on": day + timedelta(days=20)}
    urgent = {"balance_ore": 90000, "demand_sent_on": day - timedelta(days=30), "court_date": day + timedelta(days=9)}
    tenant = await add_tenant(runtime, "R-1", name="Court Tenant", phone="+4520000011", **urgent, **said)
    case = await add_case(runtime, tenant, origin="urgent", consent=False)
    await signed_in_adviser(runtime, client)
    listed = (await client.get("/console/")).text
    row = listed[listed.index('id="case-list"') : listed.index("</table>", listed.index('id="case-list"'))]
    assert ">Court<" in row and "says paid — check" not in row
    page = (await client.get(f"/console/cases/{case}")).text
    assert "Court date" in page and "Promised" not in page
    # Once the tenant consents, the adviser sees what they said.
    async with runtime.db.write() as conn:
        await conn.execute(
            consents.insert().values(
                tenant_id=tenant, scope="adviser", wording_version="consent-v1", given_at=runtime.clock()
            )
        )
    listed = (await client.get("/console/")).text
    row = listed[listed.index('id="case-list"') : listed.index("</table>", listed.index('id="case-list"'))]
    assert row.count("says paid — check") == 1
    page = (await client.get(f"/console/cases/{case}")).text
    assert page.count("Promised") == 1


async def test_without_consent_the_tenant_page_shows_nothing_the_tenant_told_the_bot(database_url: str) -> None:
    """The tenant page shows what a case without consent hides (a "says paid", a promised day) no more than the case
    does: one click from the case must not show the adviser what the tenant has not let them read."""
    async with started_runtime(make_settings(database_url)) as rt:
        day = today(rt)
        said = {"paid_claim_until": day + timedelta(days=3), "promise_on": day + timedelta(days=20)}
        pakrav = {"balance_ore": 90000, "demand_sent_on": day - timedelta(days=5)}
        tenant = await add_tenant(rt, "R-1", name="Quiet Tenant", phone="+4520000011", **pakrav, **said)
        case = await add_case(rt, tenant, origin="manual", consent=False)
        async with adviser_client(rt) as client:
            page = (await client.get(f"/console/cases/{case}")).text
            assert "Promised" not in page and "says paid — check" not in page
            page = (await client.get(f"/console/tenants/{tenant}")).text
            assert "Påkrav sent" in page  # what the organisation holds is there
            for said_by_the_tenant in ("says paid — check", "Promised to pay", "after the påkrav deadline"):
                assert said_by_the_tenant not in page
            async with rt.db.write() as conn:
                await conn.execute(
                    consents.insert().values(
                        tenant_id=tenant, scope="adviser", wording_version="consent-v1", given_at=rt.clock()
                    )
                )
            page = (await client.get(f"/console/tenants/{tenant}")).text
            assert page.count("says paid — check") == 1 and page.count("Promised to pay") == 1
            assert "after the påkrav deadline" in page


async def test_the_case_pages_poller_is_refused_in_the_readers_language(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The page's script shows a refusal's words to the person (templates/console/static/case.js): in Danish to a
    Danish reader, as the pages are."""
    case_id = await add_case(runtime, await add_tenant(runtime, "R-1", phone="+4520000001"))
    await signed_in_adviser(runtime, client)
    async with runtime.db.write() as conn:
        await conn.execute(update(staff).values(language="da"))
    page = html.unescape((await client.get(f"/console/cases/{case_id}")).text)
    assert 'data-words="Samtalen holdes ikke længere opdateret her."' in page
    refused = {
        f"/console/cases/{case_id + 1}/messages.json": (404, "Sagen findes ikke."),
        "/console/cases/x/messages.json": (404, "Sagen findes ikke."),
        f"/console/cases/{case_id}/messages.json?after=x": (422, "Feltet “after” skal være et helt tal fra 0 til"),
    }
    for url, (status, words) in refused.items():
        answer = await client.get(url)
        assert answer.status_code == status and answer.json()["error"].startswith(words), (url, answer.text)
    await add_person(runtime, "volunteer@example.org", "volunteer")
    async with runtime.db.write() as conn:
        await conn.execute(update(staff).values(language="da"))
    assert (await login(client, "volunteer@example.org")).status_code == 303
    role = await client.get(f"/console/cases/{case_id}/messages.json")
    assert (role.status_code, role.json()) == (403, {"error": "Din rolle kan ikke åbne denne side."})
    client.cookies.clear()
    # Without a session the console's own language (English in these tests) speaks.
    signed_out = await client.get(f"/console/cases/{case_id}/messages.json")
    assert (signed_out.status_code, signed_out.json()) == (401, {"error": "Sign in first."})
