"""Forms beside the case page's, refused for what was typed, come back at themselves too: their page again (422), the
reason at that form, said to a screen reader, and every field as typed, at the page's own address. Before, each refusal
was a page of its own with a link back, and the admin or volunteer typed the form again on a phone."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
from sqlalchemy import func, select, update

from bot.runtime import Runtime
from bot.store.schema import api_keys, audit_log, cases, court_cases, outbox, staff, tenants
from tests.bot.console.test_court import court_tenant
from tests.bot.console.test_volunteer import with_task
from tests.support.console import add_case, add_person, add_tenant, csrf_of, form_nonce_of, login, today
from tests.support.drive import daytime


def _form(page: str, form_id: str) -> str:
    """The form of the page whose id is `form_id`, as HTML."""
    found = re.search(r'<form[^>]*\bid="' + re.escape(form_id) + r'"[^>]*>(.*?)</form>', page, re.S)
    assert found is not None, page
    return html.unescape(found.group(1))


async def _refused(
    client: httpx.AsyncClient, page: str, action: str, form_id: str, data: dict[str, str], *, own: bool = True
) -> tuple[httpx.Response, str, str]:
    """Post the form from its page as shown; it comes back at itself on that page: the answer, why and the form. The
    page says its own address (`own`) unless the form posts to it."""
    shown = (await client.get(page)).text
    nonce = form_nonce_of(shown, action)
    answer = await client.post(
        action, data={**({"nonce": nonce} if nonce is not None else {}), **data, "csrf_token": csrf_of(shown)}
    )
    assert answer.status_code == 422, answer.text
    # The page, at its own address, not a page of its own; the keyboard's place (and a phone's view) at the reason.
    assert (f'<main id="main" tabindex="-1" data-address="{page}">' in answer.text) is own
    assert 'id="back-to-form"' not in answer.text and answer.text.count("autofocus") == 1
    form = _form(answer.text, form_id)
    said = re.search(
        r'<p class="error" role="alert" id="' + form_id + r'-error" tabindex="-1" autofocus>(.*?)</p>', form
    )
    assert said is not None, form
    return answer, said.group(1), form


async def _again(
    client: httpx.AsyncClient, refused: httpx.Response, action: str, data: dict[str, str]
) -> httpx.Response:
    """The form corrected on the page it came back on."""
    nonce = form_nonce_of(refused.text, action)
    filled = {**({"nonce": nonce} if nonce is not None else {}), **data, "csrf_token": csrf_of(refused.text)}
    return await client.post(action, data=filled)


async def _refused_elsewhere(
    client: httpx.AsyncClient, page: str, action: str, data: dict[str, str], meanwhile: Callable[[], Awaitable[object]]
) -> str:
    """Post the form from its page as shown, after `meanwhile` took the form off that page: the refusal page every
    form has, with why and its way back (there is no form to come back at), as text."""
    shown = (await client.get(page)).text
    await meanwhile()
    nonce = form_nonce_of(shown, action)
    answer = await client.post(
        action, data={**({"nonce": nonce} if nonce is not None else {}), **data, "csrf_token": csrf_of(shown)}
    )
    assert answer.status_code == 422 and 'id="back-to-form"' in answer.text and "data-address" not in answer.text
    return html.unescape(answer.text)


async def _audited(rt: Runtime, action: str) -> int:
    async with rt.db.read() as conn:
        found = await conn.execute(select(func.count()).select_from(audit_log).where(audit_log.c.action == action))
        return int(found.scalar_one())


async def _admin(rt: Runtime, client: httpx.AsyncClient) -> int:
    admin = await add_person(rt, "admin@example.org", "admin")
    assert (await login(client, "admin@example.org")).status_code == 303
    return admin


async def test_a_person_added_with_an_email_that_is_none_comes_back_as_typed(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    await _admin(runtime, client)
    await add_person(runtime, "taken@example.org", "adviser")
    before = await _audited(runtime, "staff.add")
    typed = {"email": "ny@frivillig", "role": "volunteer", "organisation": "Dansk Folkehjælp"}
    answer, why, form = await _refused(client, "/console/staff", "/console/staff", "add-person", typed)
    assert why == "Not a valid e-mail address: ny@frivillig"
    assert 'value="ny@frivillig"' in form and 'value="Dansk Folkehjælp"' in form
    assert '<option value="volunteer" selected>' in form and form.count("selected") == 1
    # An e-mail that has an account comes back too, to correct it rather than the role and organisation.
    answer, why, form = await _refused(
        client, "/console/staff", "/console/staff", "add-person", {**typed, "email": "taken@example.org"}
    )
    assert why.startswith("An account for taken@example.org exists already")
    assert 'value="taken@example.org"' in form and '<option value="volunteer" selected>' in form
    assert await _audited(runtime, "staff.add") == before
    done = await _again(client, answer, "/console/staff", {**typed, "email": "ny@frivillig.dk"})
    assert done.status_code == 200 and 'id="setup-link"' in done.text
    async with runtime.db.read() as conn:
        added = (await conn.execute(select(staff.c.role, staff.c.organisation).where(staff.c.email.like("ny@%")))).all()
    assert [tuple(row) for row in added] == [("volunteer", "Dansk Folkehjælp")]
    assert await _audited(runtime, "staff.add") == before + 1


async def test_a_role_change_refused_comes_back_at_its_row_with_the_role_as_chosen(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    admin = await _admin(runtime, client)
    action = f"/console/staff/{admin}/role"
    answer, why, form = await _refused(client, "/console/staff", action, f"role-{admin}", {"role": "adviser"})
    assert why == "You cannot take your own admin role away; ask another admin"
    assert '<option value="adviser" selected>' in form and form.count("selected") == 1
    # The other rows' role forms show each person's role as it is.
    assert '<option value="admin" selected>' not in form
    async with runtime.db.read() as conn:
        role = (await conn.execute(select(staff.c.role).where(staff.c.id == admin))).scalar_one()
    assert role == "admin" and await _audited(runtime, "staff.role_change") == 0
    volunteer = await add_person(runtime, "volunteer@example.org", "volunteer")
    moved = await _again(client, answer, f"/console/staff/{volunteer}/role", {"role": "caretaker"})
    assert moved.status_code == 303 and await _audited(runtime, "staff.role_change") == 1


async def test_an_organisation_too_long_comes_back_at_its_row_as_typed(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    await _admin(runtime, client)
    volunteer = await add_person(runtime, "volunteer@example.org", "volunteer", organisation=None)
    action = f"/console/staff/{volunteer}/organisation"
    pasted = "Dansk Folkehjælp, lokalafdeling " * 7
    answer, why, form = await _refused(
        client, "/console/staff", action, f"organisation-{volunteer}", {"organisation": pasted}
    )
    assert why == "'Volunteer organisation' is longer than 200 characters"
    assert f'value="{pasted}"' in form
    assert await _audited(runtime, "staff.organisation") == 0
    done = await _again(client, answer, action, {"organisation": "Dansk Folkehjælp"})
    assert done.status_code == 303
    async with runtime.db.read() as conn:
        kept = (await conn.execute(select(staff.c.organisation).where(staff.c.id == volunteer))).scalar_one()
    assert kept == "Dansk Folkehjælp" and await _audited(runtime, "staff.organisation") == 1


async def test_a_key_named_as_a_live_key_comes_back_with_its_name_and_scope_and_a_new_form(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    await _admin(runtime, client)
    page = "/console/admin/api-keys"
    made = await _again(client, await client.get(page), page, {"name": "Lejesystem", "scope": "read"})
    assert made.status_code == 200 and 'id="new-key"' in made.text
    first = form_nonce_of(made.text, page)
    answer, why, form = await _refused(client, page, page, "make-key", {"name": " lejesystem ", "scope": "write"})
    assert why.startswith("A live key is already called “Lejesystem”: choose another name")
    assert 'value=" lejesystem "' in form and '<option value="write" selected>' in form and form.count("selected") == 1
    # A fresh one-time value: the form corrected makes its key, not "sent before".
    assert form_nonce_of(answer.text, page) not in (None, first)
    assert await _audited(runtime, "apikey.add") == 1
    done = await _again(client, answer, page, {"name": "Lejesystem, test", "scope": "write"})
    assert done.status_code == 200 and 'id="new-key"' in done.text
    async with runtime.db.read() as conn:
        made_keys = (await conn.execute(select(api_keys.c.name, api_keys.c.scope).order_by(api_keys.c.id))).all()
    assert [tuple(row) for row in made_keys] == [("Lejesystem", "read"), ("Lejesystem, test", "write")]
    assert await _audited(runtime, "apikey.add") == 2


async def test_a_text_the_task_no_longer_offers_comes_back_at_its_form_on_the_tasks_page(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The volunteer's page was opened when an appointment was to come; it was cancelled meanwhile, and its reminder
    is refused: why, at that task's form, on the tasks page at its own address; the text about a call goes."""
    daytime(runtime)
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    _, case_id = await with_task(runtime, me)
    await login(client, "volunteer@example.org")
    action = f"/console/tasks/{case_id}/send"
    typed = {"template": "volunteer.appointment_reminder"}
    answer, why, form = await _refused(client, "/console/tasks", action, f"send-{case_id}", typed)
    assert why == "This tenant has no appointment with you to come: the reminder of one cannot go."
    # The form offers what can go now: the text about a call, not the reminder.
    assert re.findall(r'<option value="([a-z_.]+)"', form) == ["volunteer.call_tomorrow"]
    async with runtime.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(outbox))).scalar_one() == 0
    assert await _audited(runtime, "message.send") == 0
    done = await _again(client, answer, action, {"template": "volunteer.call_tomorrow"})
    assert done.status_code == 303 and await _audited(runtime, "message.send") == 1


async def test_a_reason_too_long_for_an_adviser_comes_back_as_typed_and_hands_on_once_corrected(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    _, case_id = await with_task(runtime, me)
    await login(client, "volunteer@example.org")
    action = f"/console/tasks/{case_id}/needs-adviser"
    pasted = "Hun vil tale om en afdragsordning og om huslejen. " * 11
    answer, why, form = await _refused(client, "/console/tasks", action, f"needs-adviser-{case_id}", {"why": pasted})
    assert why == "'Why an adviser is needed' is longer than 500 characters"
    assert f'value="{pasted}"' in form
    async with runtime.db.read() as conn:
        status = (await conn.execute(select(cases.c.status).where(cases.c.id == case_id))).scalar_one()
    assert status == "volunteer" and await _audited(runtime, "task.needs_adviser") == 0
    done = await _again(client, answer, action, {"why": "Hun vil tale om en afdragsordning"})
    assert done.status_code == 303 and done.headers["location"] == "/console/tasks?finished=needs_adviser"
    assert await _audited(runtime, "task.needs_adviser") == 1


async def test_a_case_opened_by_hand_without_a_reason_comes_back_at_its_form_on_the_tenant_page(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    tenant = await add_tenant(runtime, "R-77", phone="+4520000001")
    await add_person(runtime, "adviser@example.org", "adviser")
    assert (await login(client, "adviser@example.org")).status_code == 303
    page, action = f"/console/tenants/{tenant}", f"/console/tenants/{tenant}/cases"
    answer, why, form = await _refused(client, page, action, "open-case", {"reason": "   "})
    assert why == "'Reason' is required"
    pasted = "Ringede til kontoret om huslejen og en aftale. " * 5
    answer, why, form = await _refused(client, page, action, "open-case", {"reason": pasted})
    assert why.endswith("is longer than 200 characters") and f'value="{pasted}"' in form
    async with runtime.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(cases))).scalar_one() == 0
    assert await _audited(runtime, "case.open") == 0
    done = await _again(client, answer, action, {"reason": "Ringede til kontoret"})
    assert done.status_code == 303 and await _audited(runtime, "case.open") == 1
    assert "Ringede til kontoret" in (await client.get(done.headers["location"])).text


async def test_a_case_opened_by_hand_while_a_colleague_opened_one_is_refused_and_shows_nothing_more(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The tenant's page was opened with its form; a colleague opened a case meanwhile, so the page has no form to
    come back at: the refusal page says why, and no view of the tenant's page is audited for a page not shown."""
    tenant = await add_tenant(runtime, "R-77", phone="+4520000001")
    await add_person(runtime, "adviser@example.org", "adviser")
    assert (await login(client, "adviser@example.org")).status_code == 303
    page, action = f"/console/tenants/{tenant}", f"/console/tenants/{tenant}/cases"
    answer = await _refused_elsewhere(client, page, action, {"reason": "   "}, lambda: add_case(runtime, tenant))
    assert "'Reason' is required" in answer
    assert await _audited(runtime, "tenant.view") == 1  # the page as it was opened, not the refusal
    assert await _audited(runtime, "case.open") == 0


async def test_a_text_refused_for_a_task_that_offers_none_now_is_refused_and_audits_no_view(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The tasks page was opened with the text about a call; the tenant said meanwhile that the number is not theirs,
    so the task offers no text and has no form to come back at: the refusal page says why, and no view of the list is
    audited for a list not shown."""
    daytime(runtime)
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    tenant, case_id = await with_task(runtime, me)
    await login(client, "volunteer@example.org")

    async def wrong_number() -> None:
        async with runtime.db.write() as conn:
            await conn.execute(update(tenants).where(tenants.c.id == tenant).values(status="wrong_number"))

    action = f"/console/tasks/{case_id}/send"
    answer = await _refused_elsewhere(
        client, "/console/tasks", action, {"template": "volunteer.call_tomorrow"}, wrong_number
    )
    assert "There is no phone number to call this tenant on" in answer
    assert await _audited(runtime, "tasks.view") == 1  # the list as it was opened, not the refusal
    assert await _audited(runtime, "message.send") == 0


async def test_a_kommune_notice_recorded_as_sent_on_a_day_ahead_comes_back_at_its_form_as_typed(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    day = today(runtime)
    tenant = await court_tenant(runtime, filed=day - timedelta(days=3), court=None)
    await add_person(runtime, "adviser@example.org", "adviser")
    assert (await login(client, "adviser@example.org")).status_code == 303
    page = f"/console/tenants/{tenant}/kommune-notice"
    ahead = (day + timedelta(days=1)).isoformat()
    answer, why, form = await _refused(client, page, page, "notice-sent", {"sent_on": ahead}, own=False)
    assert why == "'Sent on' is in the future" and f'value="{ahead}"' in form
    # The notice itself is on the answer, to print.
    assert 'id="notice-name">Amira Hansen<' in answer.text
    async with runtime.db.read() as conn:
        assert (await conn.execute(select(court_cases.c.kommune_notified_on))).scalar_one() is None
    assert await _audited(runtime, "kommune_notice.sent") == 0
    done = await _again(client, answer, page, {"sent_on": (day - timedelta(days=1)).isoformat()})
    assert done.status_code == 303 and await _audited(runtime, "kommune_notice.sent") == 1
    async with runtime.db.read() as conn:
        notified = (await conn.execute(select(court_cases.c.kommune_notified_on))).scalar_one()
    assert notified == day - timedelta(days=1)


async def test_a_reference_no_tenant_has_comes_back_at_the_export_form_as_typed(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """A tenant asks for their data; the admin mistypes the reference ("A-l" for "A-1"): the form comes back with why
    and the reference as typed, to correct one character, and nothing is exported."""
    await add_tenant(runtime, "A-1", name="Amira Zyxwvu", phone="+4520987654")
    await _admin(runtime, client)
    action = "/console/data/export"
    answer, why, form = await _refused(client, "/console/data", action, "export-data", {"ref": "A-l", "format": "html"})
    assert why == "No tenant has that reference (an erased tenant has nothing left to export)."
    assert 'value="A-l"' in form and "Amira" not in answer.text
    assert await _audited(runtime, "tenant.export") == 0
    done = await _again(client, answer, action, {"ref": "A-1", "format": "html"})
    assert done.status_code == 200 and "Data held about Amira Zyxwvu" in done.text
    assert await _audited(runtime, "tenant.export") == 1
