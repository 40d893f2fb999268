"""A message keephome could not handle is not only a count on /metrics: the admin page lists it (whose it is, and its
words where the tenant allows it) until an admin marks it dealt with, and keephome_inbound_failed counts it."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from bot.console.unanswered import deal_with, unanswered
from bot.inbound.inbox import InboundMessage
from bot.outbox.depth import refresh_depth
from bot.runtime import Runtime
from bot.store.retention import purge
from bot.store.schema import audit_log, conversations, inbound
from bot.tenants.erase import erase
from tests.support.console import (
    add_case,
    add_person,
    add_tenant,
    csrf_of,
    form_nonce_of,
    login,
    post_form,
    staff_client,
)
from tests.support.drive import daytime, drain, process_all

PHONE = "+4520000001"


async def _tenant_whose_conversation_is_broken(rt: Runtime, ref: str = "T-1", phone: str = PHONE) -> int:
    """A tenant whose open conversation was stored in a form keephome cannot read: every message of theirs fails."""
    tenant_id = await add_tenant(rt, ref, name="Amira Hansen", phone=phone)
    await _break_conversation(rt, tenant_id)
    return tenant_id


async def _break_conversation(rt: Runtime, tenant_id: int) -> None:
    """An open conversation of the tenant's stored in a form keephome cannot read."""
    now = rt.clock()
    async with rt.db.write() as conn:
        await conn.execute(
            conversations.insert().values(
                tenant_id=tenant_id,
                flow="payment_check",
                state={"channel": "fax"},
                active=True,
                version=1,
                started_at=now,
                updated_at=now,
            )
        )


async def _write(rt: Runtime, text: str, provider_id: str = "SM1", sender: str = PHONE) -> None:
    await rt.inbox.submit(InboundMessage(channel="sms", provider_id=provider_id, sender=sender, text=text))
    await process_all(rt.processor)


async def _gauge(rt: Runtime) -> float | None:
    await refresh_depth(rt.db, rt.metrics, force=True)
    return rt.metrics.registry.get_sample_value("keephome_inbound_failed")


async def _audited(rt: Runtime, action: str) -> list[Any]:
    async with rt.db.read() as conn:
        found = await conn.execute(
            select(audit_log.c.actor, audit_log.c.at, audit_log.c.target, audit_log.c.detail)
            .where(audit_log.c.action == action)
            .order_by(audit_log.c.id)
        )
        return list(found.all())


def _section(page: str) -> str:
    return page.split('id="unanswered"')[1].split('<div class="card"')[0]


async def test_a_message_keephome_could_not_handle_is_listed_counted_and_dealt_with(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    tenant_id = await _tenant_whose_conversation_is_broken(rt)
    case_id = await add_case(rt, tenant_id)  # with the tenant's consent to an adviser reading along
    await _write(rt, "Jeg kan ikke betale før den 15.")
    errors = rt.metrics.registry.get_sample_value(
        "keephome_inbound_messages_total", {"channel": "sms", "result": "error"}
    )
    assert errors == 1
    assert await _gauge(rt) == 1

    admin_id = await add_person(rt, "admin@example.org", "admin")
    assert (await login(client, "admin@example.org")).status_code == 303
    page = await client.get("/console/admin")
    assert page.status_code == 200
    shown = _section(page.text)
    assert f'<a href="/console/tenants/{tenant_id}">T-1</a> Amira Hansen' in shown
    assert f'<a href="/console/cases/{case_id}">their case</a>' in shown
    assert "SMS" in shown
    assert html.escape("Jeg kan ikke betale før den 15.") in shown
    # In a direction of their own: an Arabic message reads right to left inside the Danish page.
    assert '<span dir="auto">' + html.escape("Jeg kan ikke betale før den 15.") + "</span>" in shown
    # Naming the tenant is a view of their data: audited with them, as the page's other lists are.
    views = await _audited(rt, "tenants.unanswered.view")
    assert [v.detail for v in views] == [f"tenant:{tenant_id}"]
    assert views[0].actor == f"staff:{admin_id}"

    async with rt.db.read() as conn:
        inbound_id = (await conn.execute(select(inbound.c.id).where(inbound.c.provider_id == "SM1"))).scalar_one()
    action = f"/console/admin/unanswered/{inbound_id}/dealt-with"
    assert f'action="{action}"' in shown
    form = {"csrf_token": csrf_of(page.text)}
    assert (await client.post(action, data=form)).status_code == 303
    assert (await client.post(action, data=form)).status_code == 303  # a second click changes nothing
    marked = await _audited(rt, "inbound.dealt_with")
    async with rt.db.read() as conn:
        dealt_with_at = (
            await conn.execute(select(inbound.c.dealt_with_at).where(inbound.c.id == inbound_id))
        ).scalar_one()
    # Who marked it, and when: the audit entry's time is the row's.
    assert [(m.actor, m.target, m.at) for m in marked] == [
        (f"staff:{admin_id}", f"inbound:{inbound_id}", dealt_with_at)
    ]
    assert await _gauge(rt) == 0
    after = _section((await client.get("/console/admin")).text)
    assert "Amira Hansen" not in after and "None." in after
    assert (await client.post("/console/admin/unanswered/999999/dealt-with", data=form)).status_code == 404


async def test_without_consent_the_list_names_the_tenant_but_not_their_words(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    tenant_id = await _tenant_whose_conversation_is_broken(runtime)
    await _write(runtime, "Min søn er syg")
    await add_person(runtime, "admin@example.org", "admin")
    await login(client, "admin@example.org")
    shown = _section((await client.get("/console/admin")).text)
    assert f'href="/console/tenants/{tenant_id}"' in shown
    assert "Min søn er syg" not in shown
    assert "Not shown: the tenant has not agreed that an adviser reads their messages." in shown


async def test_a_message_that_was_handled_is_not_listed(runtime: Runtime, client: httpx.AsyncClient) -> None:
    await add_tenant(runtime, "T-1", name="Amira Hansen", phone=PHONE)
    await _write(runtime, "hej")
    assert await _gauge(runtime) == 0
    await add_person(runtime, "admin@example.org", "admin")
    await login(client, "admin@example.org")
    shown = _section((await client.get("/console/admin")).text)
    assert "Amira Hansen" not in shown and "None." in shown


async def test_the_list_is_paged_and_each_page_audits_only_its_tenants(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    from bot.console.admin import UNANSWERED_PAGE_SIZE

    ids = []
    for n in range(UNANSWERED_PAGE_SIZE + 1):
        phone = f"+452100{n:04d}"
        ids.append(await _tenant_whose_conversation_is_broken(runtime, f"T-{n}", phone))
        await runtime.inbox.submit(InboundMessage(channel="sms", provider_id=f"SM{n}", sender=phone, text="hej"))
    await process_all(runtime.processor)
    assert await _gauge(runtime) == UNANSWERED_PAGE_SIZE + 1
    await add_person(runtime, "admin@example.org", "admin")
    await login(client, "admin@example.org")
    first = _section((await client.get("/console/admin")).text)
    assert first.count("<tr data-inbound=") == UNANSWERED_PAGE_SIZE
    assert f'href="/console/tenants/{ids[0]}"' not in first  # the oldest is on the second page
    assert "?unanswered=2#unanswered" in first
    second = _section((await client.get("/console/admin?unanswered=2")).text)
    assert second.count("<tr data-inbound=") == 1 and f'href="/console/tenants/{ids[0]}"' in second
    views = [v.detail for v in await _audited(runtime, "tenants.unanswered.view")]
    named = [part for detail in views for part in detail.split(",")]
    assert named.count(f"tenant:{ids[0]}") == 1
    assert len(named) == UNANSWERED_PAGE_SIZE + 1


async def test_a_volunteer_or_an_adviser_can_neither_see_nor_mark_them(runtime: Runtime) -> None:
    await _tenant_whose_conversation_is_broken(runtime)
    await _write(runtime, "hej")
    async with runtime.db.read() as conn:
        inbound_id = (await conn.execute(select(inbound.c.id))).scalar_one()
    for role in ("volunteer", "adviser"):
        async with staff_client(runtime, role) as client:
            page = await client.get("/console/admin")
            assert page.status_code == 403 and "Amira" not in page.text
            token = csrf_of((await client.get("/console/me")).text)
            marked = await client.post(f"/console/admin/unanswered/{inbound_id}/dealt-with", data={"csrf_token": token})
            assert marked.status_code == 403
    assert await _gauge(runtime) == 1
    assert await _audited(runtime, "inbound.dealt_with") == []


# How the case page's conversation and the tenant's page mark a message of theirs keephome could not answer.
MARK = html.escape("keephome could not answer this message — answer it yourself")


def _marked(page: str) -> list[str]:
    """The messages a page marks as keephome could not answer, each as the page shows it."""
    return [item.split("</li>")[0] for item in page.split('data-inbound="')[1:]]


async def _inbound_id(rt: Runtime, provider_id: str) -> int:
    async with rt.db.read() as conn:
        found = await conn.execute(select(inbound.c.id).where(inbound.c.provider_id == provider_id))
        return int(found.scalar_one())


async def test_the_adviser_sees_the_message_marked_and_their_reply_deals_with_those_the_page_showed(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    tenant_id = await _tenant_whose_conversation_is_broken(runtime)
    case_id = await add_case(runtime, tenant_id)  # with the tenant's consent to an adviser reading along
    other = await _tenant_whose_conversation_is_broken(runtime, "T-2", "+4520000002")
    await _write(runtime, "Har du fået mit brev?", "SM-other", "+4520000002")
    adviser_id = await add_person(runtime, "adviser@example.org", "adviser")
    assert (await login(client, "adviser@example.org")).status_code == 303
    page = f"/console/cases/{case_id}"
    assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    await _break_conversation(runtime, tenant_id)  # taking the case ended the one before
    await _write(runtime, "Jeg kan ikke betale før den 15.")

    shown = (await client.get(page)).text
    thread = shown.split('id="thread"')[1].split("</ul>")[0]
    [item] = _marked(thread)
    assert MARK in item and html.escape("Jeg kan ikke betale før den 15.") in item
    assert "Har du fået mit brev?" not in shown  # another tenant's
    [on_tenant_page] = _marked((await client.get(f"/console/tenants/{tenant_id}")).text)
    assert MARK in on_tenant_page and html.escape("Jeg kan ikke betale før den 15.") in on_tenant_page
    assert len(_marked((await client.get(f"/console/tenants/{other}")).text)) == 1  # theirs, on their page
    assert '<p class="muted" id="reply-deals-with">Your reply marks the messages keephome could not answer' in shown

    # The tenant writes again while the adviser types: the reply answers what the page showed, not that one; and a
    # message of another tenant's slipped into the form is not this reply's to deal with.
    await _write(runtime, "Hallo?", "SM2")
    answered = re.findall(r'name="unanswered" value="(\d+)"', shown)
    assert answered == [str(await _inbound_id(runtime, "SM1"))]
    form = {
        "text": "Du skylder 500 kr.",
        "nonce": form_nonce_of(shown, f"{page}/reply") or "",
        "csrf_token": csrf_of(shown),
        "unanswered": [*answered, str(await _inbound_id(runtime, "SM-other"))],
    }
    # An SMS refused for its amount is sent back to change: the changed one still answers those messages.
    refused = await client.post(f"{page}/reply", data=form)
    assert refused.status_code == 422 and await _audited(runtime, "inbound.dealt_with") == []
    form["unanswered"] = re.findall(r'name="unanswered" value="(\d+)"', refused.text)
    form["text"] = "Jeg ringer til dig i morgen."
    assert (await client.post(f"{page}/reply", data=form)).status_code == 303
    marked = await _audited(runtime, "inbound.dealt_with")
    assert [(m.actor, m.target, m.detail) for m in marked] == [
        (f"staff:{adviser_id}", f"inbound:{answered[0]}", f"case:{case_id}")
    ]
    assert await _gauge(runtime) == 2  # the tenant's "Hallo?" and the other tenant's
    [left] = _marked((await client.get(page)).text)
    assert "Hallo?" in left and MARK in left
    assert (await client.post(f"{page}/reply", data=form)).status_code == 303  # sent twice: nothing more
    assert len(await _audited(runtime, "inbound.dealt_with")) == 1


async def test_without_consent_the_words_show_only_where_the_case_page_shows_the_tenants_words(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The case page shows what the tenant wrote while told that a person reads along; the tenant's page, with no
    case to tell that by, only with their consent. Either marks every message keephome could not answer."""
    daytime(runtime)  # the case's notice goes now, not after quiet hours
    tenant_id = await _tenant_whose_conversation_is_broken(runtime)
    case_id = await add_case(runtime, tenant_id, origin="outreach", consent=False)
    await _write(runtime, "Min søn er syg")
    await add_person(runtime, "adviser@example.org", "adviser")
    assert (await login(client, "adviser@example.org")).status_code == 303
    page, tenant_page = f"/console/cases/{case_id}", f"/console/tenants/{tenant_id}"
    hidden = "Not shown: the tenant has not agreed that an adviser reads their messages."
    for shown in ((await client.get(page)).text, (await client.get(tenant_page)).text):
        [item] = _marked(shown)
        assert MARK in item and hidden in item and "Min søn er syg" not in shown

    assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    await drain(runtime.sender)  # the tenant is told that a person reads along
    await _break_conversation(runtime, tenant_id)  # taking the case ended the one before
    await _write(runtime, "Ring mig i morgen", "SM2")
    on_case = _marked((await client.get(page)).text)
    assert len(on_case) == 2 and all(MARK in item for item in on_case)
    assert hidden in on_case[0] and "Ring mig i morgen" in on_case[1]
    on_tenant = _marked((await client.get(tenant_page)).text)
    assert len(on_tenant) == 2 and all(hidden in item for item in on_tenant)


async def test_a_message_that_fails_while_the_case_page_is_open_comes_in_with_the_poller_marked(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The page's live refresh brings in a message keephome could not answer as a fresh page marks it, its words by
    the page's rule, and the reply then deals with it; reading it so is audited once, as the poller's messages are."""
    tenant_id = await _tenant_whose_conversation_is_broken(runtime)
    case_id = await add_case(runtime, tenant_id)  # with the tenant's consent to an adviser reading along
    await add_person(runtime, "adviser@example.org", "adviser")
    assert (await login(client, "adviser@example.org")).status_code == 303
    page = f"/console/cases/{case_id}"
    assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    await _break_conversation(runtime, tenant_id)  # taking the case ended the one before
    shown = (await client.get(page)).text
    assert _marked(shown) == [] and 'name="unanswered"' not in shown and 'id="reply-deals-with" hidden>' in shown
    last = shown.split('data-after="', 1)[1].split('"', 1)[0]
    before = (await client.get(f"{page}/messages.json?after={last}")).json()
    assert before["unanswered"] == []

    await _write(runtime, "Jeg kan ikke betale før den 15.")
    polled = (await client.get(f"{page}/messages.json?after={last}")).json()
    inbound_id = await _inbound_id(runtime, "SM1")
    [item] = polled["unanswered"]
    assert item["id"] == inbound_id
    assert item["mark"] == "keephome could not answer this message — answer it yourself"
    assert item["shown"] and item["text"] == "Jeg kan ikke betale før den 15." and item["note"] is None
    assert item["by"] == "Amira" and item["channel"] == "SMS"
    # Polled again it comes again (the page adds only what it lacks), audited once.
    assert [u["id"] for u in (await client.get(f"{page}/messages.json?after={last}")).json()["unanswered"]] == [
        inbound_id
    ]
    reads = [r.detail for r in await _audited(runtime, "case.messages")]
    assert reads == [f"tenant:{tenant_id} unanswered=1 through=inbound:{inbound_id}"]

    # The page's script adds its id to the reply's form, as a fresh page's form carries it: the reply deals with it.
    form = {
        "text": "Jeg ringer til dig i morgen.",
        "nonce": form_nonce_of(shown, f"{page}/reply") or "",
        "csrf_token": csrf_of(shown),
        "unanswered": [str(item["id"])],
    }
    assert (await client.post(f"{page}/reply", data=form)).status_code == 303
    assert [m.target for m in await _audited(runtime, "inbound.dealt_with")] == [f"inbound:{inbound_id}"]
    assert (await client.get(f"{page}/messages.json?after={last}")).json()["unanswered"] == []
    # A page that still marks it (opened before the reply, in another tab) is told it is dealt with; an id that is no
    # dealt-with message of this tenant's is not.
    marked = (await client.get(f"{page}/messages.json?after={last}&open={inbound_id}&open=999999")).json()
    assert marked["dealt_with"] == [inbound_id]
    assert (await client.get(f"{page}/messages.json?after={last}&open=x")).status_code == 422


async def test_without_consent_the_poller_brings_in_the_words_only_where_the_case_page_shows_them(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    daytime(runtime)  # the case's notice goes now, not after quiet hours
    tenant_id = await _tenant_whose_conversation_is_broken(runtime)
    case_id = await add_case(runtime, tenant_id, origin="outreach", consent=False)
    await add_person(runtime, "adviser@example.org", "adviser")
    assert (await login(client, "adviser@example.org")).status_code == 303
    page = f"/console/cases/{case_id}"
    shown = (await client.get(page)).text
    last = shown.split('data-after="', 1)[1].split('"', 1)[0]
    await _write(runtime, "Min søn er syg")
    polled = await client.get(f"{page}/messages.json?after={last}")
    [item] = polled.json()["unanswered"]
    assert item["mark"] == "keephome could not answer this message — answer it yourself"
    assert not item["shown"] and item["text"] is None and "syg" not in polled.text
    assert item["note"] == "Not shown: the tenant has not agreed that an adviser reads their messages."

    # Once the tenant is told that a person reads along, what they write then is read on the page, so in the poller.
    assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    await drain(runtime.sender)
    await _break_conversation(runtime, tenant_id)  # taking the case ended the one before
    await _write(runtime, "Ring mig i morgen", "SM2")
    earlier, later = (await client.get(f"{page}/messages.json?after={last}")).json()["unanswered"]
    assert earlier == item
    assert later["shown"] and later["text"] == "Ring mig i morgen" and later["note"] is None


async def _failed_rows(rt: Runtime) -> list[Any]:
    async with rt.db.read() as conn:
        found = await conn.execute(
            select(inbound.c.id, inbound.c.sender, inbound.c.text, inbound.c.dealt_with_at).where(
                inbound.c.failed_at.is_not(None)
            )
        )
        return list(found.all())


async def test_retention_keeps_a_message_nobody_has_dealt_with_and_then_lets_it_go(runtime: Runtime) -> None:
    """A message keephome could not answer lives only in its receipt: a month on, retention purged it with the
    receipts, unread, and the admin page and the gauge forgot it. It stays until someone has dealt with it."""
    await _tenant_whose_conversation_is_broken(runtime)
    await _write(runtime, "Hjælp, jeg kan ikke betale")
    later = runtime.clock() + timedelta(days=runtime.settings.retention_days + 1)
    assert (await purge(runtime.db, later, runtime.settings.retention_days))["inbound"] == 0
    [row] = await _failed_rows(runtime)
    assert row.text == "Hjælp, jeg kan ikke betale"
    assert await _gauge(runtime) == 1
    async with runtime.db.write() as conn:
        assert await conn.run_sync(deal_with, row.id, runtime.clock())
    assert (await purge(runtime.db, later, runtime.settings.retention_days))["inbound"] == 1
    assert await _failed_rows(runtime) == []


async def test_erasing_the_tenant_deals_with_their_messages_keephome_could_not_answer(runtime: Runtime) -> None:
    """An erased tenant's unanswered message was left listed, blanked, as "an unknown sender", and counted by the
    gauge until an admin marked it: there is no one left to answer. The erasure deals with it."""
    await _tenant_whose_conversation_is_broken(runtime)
    await _write(runtime, "Hjælp, jeg kan ikke betale")
    assert await _gauge(runtime) == 1
    when = runtime.clock()
    await erase(runtime.db, "T-1", when, "test", runtime.settings.secret_key)
    [row] = await _failed_rows(runtime)
    assert (row.sender, row.text, row.dealt_with_at) == ("", None, when)
    assert await _gauge(runtime) == 0
    async with runtime.db.read() as conn:
        assert await conn.run_sync(unanswered, 0, 10) == []
