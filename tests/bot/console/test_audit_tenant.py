"""The audit log filtered by a tenant answers "who looked at this tenant": the entries on the tenant and on what
belongs to them (their cases, court cases and tasks), on SQLite and PostgreSQL, and the page says it does."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime

import httpx
from sqlalchemy import insert, select

from bot.console.audit import PAGE_SIZE
from bot.runtime import Runtime
from bot.store.db import Database
from bot.store.schema import audit_log, case_tasks, cases, court_cases
from bot.tenants.audit_scope import about
from bot.tenants.court import record_filing
from tests.support import helpers
from tests.support.console import add_case, add_person, add_tenant, login, post_form

NOW = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


async def _case(db: Database, tenant_id: int, status: str = "open") -> int:
    async with db.write() as conn:
        values = {"tenant_id": tenant_id, "status": status, "origin": "manual", "reason": "test"}
        found = await conn.execute(
            insert(cases).values(**values, priority=0, consented=False, opened_at=NOW, updated_at=NOW)
        )
        return int(found.inserted_primary_key[0])


async def _court_case(db: Database, tenant_id: int) -> int:
    async with db.write() as conn:
        found = await conn.execute(
            insert(court_cases).values(
                tenant_id=tenant_id, filed_on=date(2026, 3, 1), status="open", opened_at=NOW, updated_at=NOW
            )
        )
        return int(found.inserted_primary_key[0])


async def _task(db: Database, tenant_id: int, case_id: int) -> int:
    async with db.write() as conn:
        found = await conn.execute(
            insert(case_tasks).values(
                case_id=case_id, tenant_id=tenant_id, kind="call", status="open", created_at=NOW, updated_at=NOW
            )
        )
        return int(found.inserted_primary_key[0])


async def _targets_about(db: Database, target: str) -> list[str]:
    async with db.read() as conn:
        query = select(audit_log.c.target).where(about(target)).order_by(audit_log.c.id)
        return [str(t) for t in (await conn.execute(query)).scalars()]


async def test_a_tenant_filter_takes_in_their_cases_court_cases_and_tasks(database: Database) -> None:
    # Tenant ids 1 and 12 (`tenant:1` is inside `tenant:12`, `case:1` inside `case:12`): nothing of the one is the
    # other's.
    first = await helpers.add_tenant(database, "T-1", phone="+4520000001", now=NOW)
    others = [await helpers.add_tenant(database, f"T-{n}", phone=f"+45200000{n:02d}", now=NOW) for n in range(2, 13)]
    twelfth = others[-1]
    closed, opened = await _case(database, first, "closed"), await _case(database, first)
    court = await _court_case(database, first)
    task = await _task(database, first, opened)
    foreign_cases = [await _case(database, tenant) for tenant in others]
    foreign_court = await _court_case(database, twelfth)
    foreign_task = await _task(database, twelfth, foreign_cases[-1])
    mine = [f"tenant:{first}", f"case:{closed}", f"case:{opened}", f"court_case:{court}", f"task:{task}"]
    theirs = [f"tenant:{twelfth}", *(f"case:{c}" for c in foreign_cases)]
    theirs += [f"court_case:{foreign_court}", f"task:{foreign_task}", "staff:1", None]
    async with database.write() as conn:
        await conn.execute(
            insert(audit_log),
            [{"at": NOW, "actor": "staff:1", "action": "case.view", "target": t} for t in [*mine, *theirs]],
        )
    assert await _targets_about(database, f"tenant:{first}") == mine
    assert sorted(await _targets_about(database, f"tenant:{twelfth}")) == sorted(
        [f"tenant:{twelfth}", f"case:{foreign_cases[-1]}", f"court_case:{foreign_court}", f"task:{foreign_task}"]
    )
    # Any other target is matched as it is written.
    assert await _targets_about(database, f"case:{opened}") == [f"case:{opened}"]
    assert await _targets_about(database, "tenant:999") == []


_ROW_TARGETS = re.compile(r'</code></td><td><code>([^<]*)</code></td><td class="detail">.*?</td></tr>')


async def test_the_audit_page_shows_who_looked_at_a_tenant_through_their_case_and_court_case(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    tenant = await add_tenant(runtime, "R-1", balance_ore=100_00)
    other = await add_tenant(runtime, "R-2", name="Beta Tenant", phone="+4520000002")
    case_id, other_case = await add_case(runtime, tenant), await add_case(runtime, other)
    async with runtime.db.write() as conn:
        await conn.run_sync(record_filing, tenant, date(2026, 1, 5), None, runtime.clock())
        court_id = (await conn.execute(select(court_cases.c.id))).scalar_one()
    await add_person(runtime, "admin@example.org", "admin")
    assert (await login(client, "admin@example.org")).status_code == 303
    await client.get(f"/console/cases/{case_id}")
    await client.get(f"/console/cases/{other_case}")
    page = f"/console/tenants/{tenant}"
    answer = await post_form(client, page, f"{page}/court/details", {"retskreds": "Retten i Glostrup", "back": page})
    assert answer.status_code == 303
    shown = (await client.get(f"/console/audit?target=tenant:{tenant}")).text
    targets = set(_ROW_TARGETS.findall(shown.split('id="audit"', 1)[1]))
    assert targets == {f"tenant:{tenant}", f"case:{case_id}", f"court_case:{court_id}"}
    assert 'id="tenant-scope"' in shown and "their cases, court cases and tasks" in shown
    # The field says it before anyone filters; a case is filtered as written.
    plain = (await client.get(f"/console/audit?target=case:{case_id}")).text
    assert 'id="target-hint"' in plain and 'id="tenant-scope"' not in plain
    assert set(_ROW_TARGETS.findall(plain.split('id="audit"', 1)[1])) == {f"case:{case_id}"}


async def test_the_audit_log_is_paged_as_the_other_lists_are_and_keeps_its_filters(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The count, page n of m and the way on and back, as on the admin page; a link to another page keeps the filter,
    so each entry it found is on one page, none it left out on any, and a page past the last shows the last."""
    at = runtime.clock()
    found = PAGE_SIZE + 5
    async with runtime.db.write() as conn:
        for n in range(found):
            await conn.execute(insert(audit_log).values(at=at, actor="staff:9", action="case.view", target=f"case:{n}"))
            await conn.execute(insert(audit_log).values(at=at, actor="staff:9", action="tenant.view", target=f"x:{n}"))
    await add_person(runtime, "admin@example.org", "admin")
    assert (await login(client, "admin@example.org")).status_code == 303
    first = (await client.get("/console/audit?action=case.view&actor=")).text
    assert f"{found} entries" in first and "page 1 of 2" in first
    assert 'href="?action=case.view&amp;page=2#audit" rel="next">Older →' in first and 'rel="prev"' not in first
    second = (await client.get("/console/audit?action=case.view&page=2")).text
    assert "page 2 of 2" in second and 'href="?action=case.view&amp;page=1#audit" rel="prev">← Newer' in second
    assert 'rel="next"' not in second
    shown = Counter(
        _ROW_TARGETS.findall(first.split('id="audit"', 1)[1]) + _ROW_TARGETS.findall(second.split('id="audit"', 1)[1])
    )
    assert shown == Counter(f"case:{n}" for n in range(found))
    assert (await client.get("/console/audit?action=case.view&page=7")).text.count("page 2 of 2") == 1
