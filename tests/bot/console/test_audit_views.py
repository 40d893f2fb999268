"""A list page that shows tenants' data is in the audit log with every tenant or case it showed, so the tenant's
export and the audit filter find each view of them, however long the list."""

from __future__ import annotations

import httpx
from sqlalchemy import insert

from bot.runtime import Runtime
from bot.store.schema import audit_log, case_tasks
from bot.tenants.audit_scope import entries_about
from tests.support.console import add_case, add_person, add_tenant, login


async def _about(rt: Runtime, tenant_id: int) -> list[str]:
    async with rt.db.read() as conn:
        return [str(row.action) for row in await conn.run_sync(entries_about, tenant_id)]


async def test_the_wrong_numbers_list_is_audited_with_each_tenant_it_showed(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    wrong = await add_tenant(runtime, "R-WRONG", name="Gamma Tenant", status="wrong_number")
    await add_person(runtime, "admin@example.org", "admin")
    assert (await login(client, "admin@example.org")).status_code == 303
    assert "R-WRONG" in (await client.get("/console/admin")).text
    assert "tenants.wrong_numbers.view" in await _about(runtime, wrong)


async def test_a_long_visits_list_is_audited_with_every_visit_it_showed(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    at = runtime.clock()
    tenants: list[int] = []
    for n in range(80):
        tenant = await add_tenant(runtime, f"R-{n}", phone=f"+45200001{n:02d}")
        case_id = await add_case(runtime, tenant)
        async with runtime.db.write() as conn:
            await conn.execute(
                insert(case_tasks).values(
                    case_id=case_id, tenant_id=tenant, kind="knock", status="open", created_at=at, updated_at=at
                )
            )
        tenants.append(tenant)
    await add_person(runtime, "caretaker@example.org", "caretaker")
    assert (await login(client, "caretaker@example.org")).status_code == 303
    assert (await client.get("/console/visits")).status_code == 200
    unaudited = [tenant for tenant in tenants if "visits.view" not in await _about(runtime, tenant)]
    assert unaudited == []


async def test_the_audit_filter_on_a_tenant_finds_the_list_views_that_showed_them(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Who looked at this tenant: the inbox, the volunteers' and the caretakers' lists name the cases and tasks they
    showed in the detail, and the filter finds those entries as the tenant's export does (`case:1` is not `case:12`)."""
    tenant = await add_tenant(runtime, "R-1")
    case_id = await add_case(runtime, tenant)
    at = runtime.clock()
    async with runtime.db.write() as conn:
        await conn.execute(
            insert(audit_log),
            [
                {"at": at, "actor": "staff:9", "action": "tasks.view", "detail": f"case:{case_id}1,task:{case_id}"},
                {"at": at, "actor": "staff:9", "action": "visits.view", "detail": f"case:{case_id}0"},
            ],
        )
    await add_person(runtime, "admin@example.org", "admin")
    assert (await login(client, "admin@example.org")).status_code == 303
    assert (await client.get("/console/")).status_code == 200  # the inbox shows the case: audited
    shown = (await client.get(f"/console/audit?target=tenant:{tenant}")).text.split('id="audit"', 1)[1]
    assert "inbox.view" in shown
    assert "tasks.view" not in shown and "visits.view" not in shown
    async with runtime.db.read() as conn:
        exported = {row.action for row in await conn.run_sync(entries_about, tenant)}
    assert "inbox.view" in exported and "tasks.view" not in exported
