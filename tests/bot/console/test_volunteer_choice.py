"""The case page's choice of a volunteer for a task or an appointment offers only those it may go to: one whose
organisation is not recorded, or whose organisation the tenant's consent does not name, is shown disabled with why,
and is never the one chosen (a form sent as it stands would be refused)."""

from __future__ import annotations

import html
import re

import httpx
from sqlalchemy import update

from bot.runtime import Runtime
from bot.store.schema import staff
from tests.support.console import add_case, add_person, add_tenant, login, post_form, volunteers_may_see


def options(page: str, select_id: str) -> list[tuple[str, bool, bool, str]]:
    """The options of one of the page's dropdowns, as a browser shows them: value, disabled, chosen, text."""
    found = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert found is not None, f"the page has no {select_id} dropdown"
    return [
        (value, " disabled" in attributes, " selected" in attributes, html.unescape(text))
        for value, attributes, text in re.findall(r'<option value="([^"]*)"([^>]*)>(.*?)</option>', found.group(1))
    ]


async def held_case(rt: Runtime, client: httpx.AsyncClient, *, consent: bool = True) -> int:
    """A case a signed-in adviser took, whose tenant (with `consent`) consented to share with Dansk Folkehjælp."""
    await add_person(rt, "adviser@example.org", "adviser")
    assert (await login(client, "adviser@example.org")).status_code == 303
    case_id = await add_case(rt, await add_tenant(rt, "R-1", name="Beta Tenant"))
    if consent:
        await volunteers_may_see(rt, case_id)
    page = f"/console/cases/{case_id}"
    assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    return case_id


async def test_a_volunteer_a_task_would_be_refused_to_is_shown_disabled_and_never_chosen(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    unrecorded = await add_person(runtime, "a-new@example.org", "volunteer", organisation=None)
    other = await add_person(runtime, "b-other@example.org", "volunteer", organisation="Røde Kors")
    may = await add_person(runtime, "c-folkehjaelp@example.org", "volunteer")
    case_id = await held_case(runtime, client)
    page = (await client.get(f"/console/cases/{case_id}")).text
    for select_id in ("volunteer", "appt-volunteer"):
        shown = {int(value): (disabled, chosen, text) for value, disabled, chosen, text in options(page, select_id)}
        assert shown[unrecorded] == (
            True,
            False,
            "a-new@example.org — organisation not recorded: an admin records it on the Staff page",
        )
        assert shown[other][:2] == (True, False) and "no consent from the tenant" in shown[other][2]
        assert shown[may] == (False, True, "c-folkehjaelp@example.org · Dansk Folkehjælp")
    # The task form sent with the volunteer the page chose goes through.
    given = await post_form(
        client,
        f"/console/cases/{case_id}",
        f"/console/cases/{case_id}/task",
        {"volunteer_id": str(may), "task": "Ring og hør hvordan det går", "due": "2026-12-31"},
    )
    assert given.status_code == 303


async def test_with_no_volunteer_a_task_may_go_to_the_forms_cannot_be_sent(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """In Danish: the volunteer without an organisation is disabled, saying so, and the buttons are off."""
    await add_person(runtime, "volunteer@example.org", "volunteer", organisation=None)
    case_id = await held_case(runtime, client, consent=False)
    async with runtime.db.write() as conn:
        await conn.execute(update(staff).where(staff.c.email == "adviser@example.org").values(language="da"))
    page = (await client.get(f"/console/cases/{case_id}")).text
    for select_id in ("volunteer", "appt-volunteer"):
        # The box says nobody can be chosen yet, rather than standing empty.
        [nobody, (_, disabled, chosen, text)] = options(page, select_id)
        assert nobody == ("", True, True, "Ingen endnu: se ovenfor")
        assert disabled and not chosen and "organisation ikke registreret" in text
    assert re.search(r'<button type="submit" class="secondary" disabled>Giv opgave</button>', page)
    assert re.search(r'<button type="submit" class="secondary" disabled>Book</button>', page)
