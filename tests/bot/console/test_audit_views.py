"""A list page that shows tenants' data is in the audit log with every tenant or case it showed, so the tenant's
export and the audit filter find each view of them, however long the list."""

from __future__ import annotations

import httpx
from sqlalchemy import insert

from bot.runtime import Runtime
from bot.store.schema import case_tasks
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
