"""The adviser's inbox and case page: priority, take, reply through the tenant's channel, close."""

from __future__ import annotations

import html
from datetime import timedelta

import httpx
from sqlalchemy import select, update

from bot.channels.sandbox import SandboxChannel
from bot.inbound.inbox import InboundMessage
from bot.outbox.enqueue import enqueue
from bot.runtime import Runtime
from bot.store.scene import Scene
from bot.store.schema import audit_log, case_events, cases, messages, outbox, rent_positions
from tests.support.console import add_case, add_person, add_tenant, case_row, csrf_of, login, post_form, today
from tests.support.drive import drain, process_all, sandbox


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


async def test_the_inbox_follows_the_legal_clock_and_says_why(runtime: Runtime, client: httpx.AsyncClient) -> None:
    day = today(runtime)
    month_ago = day - timedelta(days=30)
    tenants_by_stage = [
        ("Court", {"balance_ore": 50000, "court_date": day + timedelta(days=9)}),
        ("Later", {"balance_ore": 990000, "court_date": day + timedelta(days=30)}),
        ("Ended", {"balance_ore": 700000, "termination_on": day - timedelta(days=3)}),
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
    assert "rent unpaid since" in page and "owes 7.100,50\xa0kr." in page


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


async def test_taking_a_case_tells_the_tenant_and_the_bot_stays_quiet(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001")
    case_id = await add_case(runtime, tenant)
    await signed_in_adviser(runtime, client)
    taken = await post_form(client, f"/console/cases/{case_id}", f"/console/cases/{case_id}/take", {})
    assert taken.status_code == 303
    await drain(runtime.sender)
    assert [m.text for m in sms(runtime).to("+4520000001")] == [
        "En økonomisk rådgiver fra Boligselskabet læser nu med og svarer dig her."
    ]
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
    again = await post_form(client, f"/console/cases/{case_id}", f"/console/cases/{case_id}/take", {})
    assert again.status_code == 409


async def test_a_reply_goes_out_on_telegram_when_the_tenant_linked_it(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
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


async def test_an_amount_by_sms_needs_a_confirm_step(runtime: Runtime, client: httpx.AsyncClient) -> None:
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001")
    case_id = await add_case(runtime, tenant)
    await signed_in_adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    await post_form(client, page, f"{page}/take", {})
    text = "Du kan betale 1.200 kr nu"
    warned = await post_form(client, page, f"{page}/reply", {"text": text, "nonce": "nonce-0001"})
    assert warned.status_code == 200 and "Send this by SMS?" in warned.text and "amount" in warned.text
    async with runtime.db.read() as conn:
        assert (await conn.execute(select(outbox.c.id).where(outbox.c.template == "case.reply"))).first() is None
    confirmed = await client.post(
        f"{page}/reply", data={"text": text, "nonce": "nonce-0001", "confirm": "1", "csrf_token": csrf_of(warned.text)}
    )
    assert confirmed.status_code == 303
    await drain(runtime.sender)  # one batch sends concurrently: drain each to keep the order
    plain = await post_form(client, page, f"{page}/reply", {"text": "Ring til mig i morgen", "nonce": "nonce-0002"})
    assert plain.status_code == 303  # nothing to warn about
    await drain(runtime.sender)
    assert [m.text for m in sms(runtime).to("+4520000001")][-2:] == [text, "Ring til mig i morgen"]


async def test_without_consent_the_adviser_sees_only_bot_messages_until_the_tenant_is_told(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001", balance_ore=900000)
    await tenant_writes(runtime, "+4520000001", "min private historie", "SM-early")
    case_id = await add_case(runtime, tenant, origin="outreach", consent=False)
    await signed_in_adviser(runtime, client)
    page = (await client.get(f"/console/cases/{case_id}")).text
    assert "min private historie" not in page
    assert "1 of the tenant's replies are hidden" in page
    assert "9.000,00\xa0kr." in page  # the rent position is the organisation's own data
    await post_form(client, f"/console/cases/{case_id}", f"/console/cases/{case_id}/take", {})
    await drain(runtime.sender)
    await tenant_writes(runtime, "+4520000001", "ok, ring mig", "SM-late")
    polled = (await client.get(f"/console/cases/{case_id}/messages.json")).json()
    texts = [m["text"] for m in polled["messages"]]
    assert "ok, ring mig" in texts and "min private historie" not in texts
    assert polled["consent"] is False


async def test_notes_tasks_and_closing(runtime: Runtime, client: httpx.AsyncClient) -> None:
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001")
    case_id = await add_case(runtime, tenant)
    volunteer = await add_person(runtime, "volunteer@example.org", "volunteer")
    await signed_in_adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    await post_form(client, page, f"{page}/take", {})
    assert (await post_form(client, page, f"{page}/note", {"text": "Ringer fredag"})).status_code == 303
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
    vague = await post_form(client, page, f"{page}/close", {"outcome": "other"})
    assert vague.status_code == 409 and "needs a note" in vague.text
    assert (await post_form(client, page, f"{page}/close", {"outcome": "nonsense"})).status_code == 422
    closed = await post_form(client, page, f"{page}/close", {"outcome": "payment_plan"})
    assert closed.status_code == 303
    await drain(runtime.sender)
    assert sms(runtime).to("+4520000001")[-1].text.startswith("Rådgiveren har afsluttet samtalen")
    row = await case_row(runtime, case_id)
    assert (row.status, row.outcome) == ("closed", "payment_plan")
    async with runtime.db.read() as conn:
        kinds = (await conn.execute(select(case_events.c.kind).order_by(case_events.c.id))).scalars().all()
    assert kinds == ["opened", "taken", "note", "task", "closed"]
    # The bot takes over again: the tenant's next message gets the bot's answer.
    before = len(sms(runtime).sent)
    await tenant_writes(runtime, "+4520000001", "hej", "SM-after")
    assert len(sms(runtime).sent) > before


async def test_every_case_view_is_audited(runtime: Runtime, client: httpx.AsyncClient) -> None:
    case_id = await add_case(runtime, await add_tenant(runtime, "R-1"))
    staff_id = await signed_in_adviser(runtime, client)
    await client.get(f"/console/cases/{case_id}")
    async with runtime.db.read() as conn:
        views = (await conn.execute(select(audit_log).where(audit_log.c.action == "case.view"))).all()
    assert [(v.actor, v.target) for v in views] == [(f"staff:{staff_id}", f"case:{case_id}")]
    assert (await client.get("/console/cases/999")).status_code == 404
    assert (await client.get("/console/cases/abc")).status_code == 404


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
    case_page = await client.get(opened.headers["location"])
    assert "Phoned the office" in case_page.text and "opened by hand" in case_page.text
    async with runtime.db.read() as conn:
        actions = (await conn.execute(select(audit_log.c.action))).scalars().all()
    assert "tenant.view" in actions and "case.open" in actions


async def press(rt: Runtime, chat: str, key: str, provider_id: str) -> None:
    """The tenant presses the button for `key` under the bot's latest Telegram message."""
    shown = sandbox(rt)["telegram"].to(chat)[-1]
    index = [choice for _, choice in shown.buttons].index(key)
    await rt.inbox.submit(
        InboundMessage("telegram", provider_id, chat, None, {"callback": f"{shown.outbox_id}.{index}"})
    )
    await process_all(rt.processor)
    await drain(rt.sender)


async def test_the_case_page_names_pressed_buttons_and_shows_queued_texts(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    tenant = await add_tenant(runtime, "R-1", name="Kappa Tenant", phone="+4520000001", chat_id=777002)
    await tenant_writes(runtime, "777002", "hej", "777002:1", channel="telegram")
    await press(runtime, "777002", "adviser", "cb:1")
    await press(runtime, "777002", "yes", "cb:2")
    async with runtime.db.read() as conn:
        case_id = (await conn.execute(select(cases.c.id).where(cases.c.tenant_id == tenant))).scalar_one()
    # A message that waits for the end of quiet hours has no sent text yet.
    later = runtime.clock() + timedelta(hours=10)
    await runtime.db.run(
        lambda conn: enqueue(
            Scene.of(conn),
            now=runtime.clock(),
            channel="telegram",
            template="case.closed",
            values={},
            language="da",
            idempotency_key="queued-for-morning",
            tenant_id=tenant,
            not_before=later,
        )
    )
    await signed_in_adviser(runtime, client)
    page = (await client.get(f"/console/cases/{case_id}")).text
    labels = [runtime.renderer.render(f"choice.{key}", {}, "da", "telegram").text for key in ("adviser", "yes")]
    for label in labels:
        assert f"[pressed the button “{label}”]" in page
    assert "[None]" not in page and "[a message without text]" not in page
    closing = runtime.renderer.render("case.closed", {}, "da", "telegram").text
    assert html.escape(closing, quote=False) in page and "queued, goes out" in page
    assert "[case.closed]" not in page
    polled = (await client.get(f"/console/cases/{case_id}/messages.json")).json()
    texts = [m["text"] for m in polled["messages"]]
    assert f"[pressed the button “{labels[0]}”]" in texts and closing in texts
    assert {m["by"] for m in polled["messages"]} == {"Kappa", "bot"}
