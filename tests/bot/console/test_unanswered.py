"""A message keephome could not handle is not only a count on /metrics: the admin page lists it (whose it is, and its
words where the tenant allows it) until an admin marks it dealt with, and keephome_inbound_failed counts it."""

from __future__ import annotations

import html
from typing import Any

import httpx
from sqlalchemy import select

from bot.inbound.inbox import InboundMessage
from bot.outbox.depth import refresh_depth
from bot.runtime import Runtime
from bot.store.schema import audit_log, conversations, inbound
from tests.support.console import add_case, add_person, add_tenant, csrf_of, login, staff_client
from tests.support.drive import process_all

PHONE = "+4520000001"


async def _tenant_whose_conversation_is_broken(rt: Runtime, ref: str = "T-1", phone: str = PHONE) -> int:
    """A tenant whose open conversation was stored in a form keephome cannot read: every message of theirs fails."""
    tenant_id = await add_tenant(rt, ref, name="Amira Hansen", phone=phone)
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
    return tenant_id


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
