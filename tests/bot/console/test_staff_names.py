"""Staff are shown to each other by the name an admin gives them (`staff_name`), by their e-mail where none is set;
the admin's Staff page shows both."""

from __future__ import annotations

import html

import httpx
from sqlalchemy import select

from bot.app import create_app
from bot.runtime import Runtime
from bot.store.schema import audit_log, case_events, staff
from tests.support.console import add_case, add_person, add_tenant, login, post_form


def _browser(rt: Runtime) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(rt)), base_url="https://keephome.example.org")


async def test_an_admin_names_a_person_when_adding_them_and_changes_it_later(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    admin = await add_person(runtime, "admin@example.org", "admin", name="Anna Admin")
    assert (await login(client, "admin@example.org")).status_code == 303
    added = {"email": "mette@example.org", "name": " Mette  Holm ", "role": "adviser"}
    assert (await post_form(client, "/console/staff", "/console/staff", added)).status_code == 200
    page = (await client.get("/console/staff")).text
    assert '<label for="new-name">' in page
    row = page.split('<td class="name"')[2].split("</tr>")[0]  # the second row: ordered by e-mail
    assert 'value="Mette Holm"' in row and '<td class="email">mette@example.org</td>' in row
    async with runtime.db.read() as conn:
        mette = (await conn.execute(select(staff.c.id).where(staff.c.email == "mette@example.org"))).scalar_one()
    renamed = await post_form(client, "/console/staff", f"/console/staff/{mette}/name", {"name": "Mette Holm Berg"})
    assert renamed.status_code == 303
    assert 'value="Mette Holm Berg"' in (await client.get("/console/staff")).text
    asked = html.unescape((await client.get(f"/console/staff/{mette}/deactivate")).text)
    assert "Deactivate Mette Holm Berg (mette@example.org)?" in asked
    too_long = await post_form(client, "/console/staff", f"/console/staff/{mette}/name", {"name": "x" * 201})
    assert too_long.status_code == 422
    async with runtime.db.read() as conn:
        kept = (await conn.execute(select(staff.c.name).where(staff.c.id == mette))).scalar_one()
        entries = (await conn.execute(select(audit_log).where(audit_log.c.action == "staff.name"))).all()
    assert kept == "Mette Holm Berg"
    assert [(e.actor, e.target, e.detail) for e in entries] == [(f"staff:{admin}", f"staff:{mette}", None)]
    # The audit log names who did it, and finds them by the name as by the e-mail.
    for actor in ("anna admin", "admin@example.org"):
        audit = html.unescape((await client.get("/console/audit", params={"actor": actor})).text)
        assert "changed a person's name" in audit and '<span class="muted">Anna Admin</span>' in audit


async def test_a_case_names_its_advisers_by_name_and_by_e_mail_where_none_is_set(runtime: Runtime) -> None:
    """The case page's holder, history, messages and the list to hand a case to, and the inbox, name the staff."""
    tenant = await add_tenant(runtime, "R-1", phone="+4520000001")
    case_id = await add_case(runtime, tenant)
    page = f"/console/cases/{case_id}"
    await add_person(runtime, "mette@example.org", "adviser", name="Mette Holm")
    stand_in = await add_person(runtime, "jonas@example.org", "adviser", name="Jonas Berg")
    await add_person(runtime, "unnamed@example.org", "adviser")
    await add_person(runtime, "lise@example.org", "volunteer", name="Lise Frivillig")
    await add_person(runtime, "admin@example.org", "admin", name="Anna Admin")
    async with _browser(runtime) as mette:
        await login(mette, "mette@example.org")
        assert (await post_form(mette, page, f"{page}/take", {})).status_code == 303
        holding = html.unescape((await mette.get(page)).text)  # the lists to give a task or an appointment to
        assert ">Lise Frivillig · " in holding and "lise@example.org" not in holding
    async with _browser(runtime) as desk:
        await login(desk, "admin@example.org")
        shown = html.unescape((await desk.get(page)).text)
        assert "mette@example.org" not in shown and "Mette Holm" in shown
        handing = shown.split('id="reassign"')[1].split("</select>")[0]
        assert ">Jonas Berg</option>" in handing and ">unnamed@example.org</option>" in handing
    async with _browser(runtime) as colleague:
        await login(colleague, "unnamed@example.org")
        inbox = html.unescape((await colleague.get("/console/")).text)
        assert "Mette Holm" in inbox and "mette@example.org" not in inbox
    async with _browser(runtime) as desk:
        await login(desk, "admin@example.org")
        moved = await post_form(desk, page, f"{page}/reassign", {"adviser_id": str(stand_in)})
        assert moved.status_code == 303
        history = html.unescape((await desk.get(page)).text)
    async with runtime.db.read() as conn:
        event = (await conn.execute(select(case_events).where(case_events.c.kind == "reassigned"))).one()
    assert event.text == "to Jonas Berg"
    assert "Anna Admin · handed to</span> Jonas Berg" in history


async def test_the_audit_log_filtered_by_a_name_two_people_share_shows_both(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Two colleagues called the same: the filter by the name shows what each did, not one of them only."""
    await add_person(runtime, "admin@example.org", "admin", name="Anna Admin")
    first = await add_person(runtime, "anna.j@example.org", "adviser", name="Anna Jensen")
    second = await add_person(runtime, "anna.jensen@example.org", "adviser", name="Anna Jensen")
    async with runtime.db.write() as conn:
        for who, target in ((first, "case:1"), (second, "case:2")):
            await conn.execute(
                audit_log.insert().values(at=runtime.clock(), actor=f"staff:{who}", action="case.view", target=target)
            )
    assert (await login(client, "admin@example.org")).status_code == 303
    page = (await client.get("/console/audit", params={"actor": "anna jensen"})).text
    assert "<code>case:1</code>" in page and "<code>case:2</code>" in page
    only = (await client.get("/console/audit", params={"actor": "anna.j@example.org"})).text
    assert "<code>case:1</code>" in only and "<code>case:2</code>" not in only
