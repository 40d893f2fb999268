"""A case-page form refused for what was typed comes back at itself: the case page (422) with the reason at that form,
said to a screen reader, and every field as it was typed; corrected on that page, it is done once. Before, each
refusal was a page of its own with a link back, and the adviser typed the form again."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import httpx
from sqlalchemy import func, select, update

from bot.host import cases as case_ops
from bot.runtime import Runtime
from bot.store.schema import audit_log, case_tasks, cases, consents, court_cases, outbox, referrals, staff, tenants
from tests.support.console import (
    add_case,
    add_person,
    add_tenant,
    csrf_of,
    form_nonce_of,
    post_form,
    signed_in,
    today,
    volunteers_may_see,
)


def _form(page: str, form_id: str) -> str:
    """The form of the page whose id is `form_id`, as HTML."""
    found = re.search(r'<form[^>]*\bid="' + re.escape(form_id) + r'"[^>]*>(.*?)</form>', page, re.S)
    assert found is not None, page
    return html.unescape(found.group(1))


async def _refused(
    client: httpx.AsyncClient, page: str, action: str, form_id: str, data: dict[str, str | list[str]]
) -> tuple[httpx.Response, str, str]:
    """Post the form from the case page as shown; it comes back at itself: the answer, why and the form."""
    shown = (await client.get(page)).text
    nonce = form_nonce_of(shown, action)
    filled = {**({"nonce": nonce} if nonce is not None else {}), **data, "csrf_token": csrf_of(shown)}
    answer = await client.post(action, data=filled)
    assert answer.status_code == 422, answer.text
    # The case page, not a page of its own; the keyboard's place (and a phone's view) at the reason, once.
    assert 'id="thread"' in answer.text and 'id="back-to-form"' not in answer.text
    assert answer.text.count("autofocus") == 1
    form = _form(answer.text, form_id)
    said = re.search(
        r'<p class="error" role="alert" id="' + form_id + r'-error" tabindex="-1" autofocus>(.*?)</p>', form
    )
    assert said is not None, form
    return answer, said.group(1), form


async def _corrected(
    client: httpx.AsyncClient, refused: httpx.Response, action: str, data: dict[str, str | list[str]]
) -> tuple[httpx.Response, httpx.Response]:
    """The form corrected on the page it came back on, sent twice as a double click sends it."""
    nonce = form_nonce_of(refused.text, action)
    filled = {**({"nonce": nonce} if nonce is not None else {}), **data, "csrf_token": csrf_of(refused.text)}
    return await client.post(action, data=filled), await client.post(action, data=filled)


async def _audited(rt: Runtime, action: str) -> int:
    async with rt.db.read() as conn:
        found = await conn.execute(select(func.count()).select_from(audit_log).where(audit_log.c.action == action))
        return int(found.scalar_one())


async def _held(rt: Runtime, client: httpx.AsyncClient, **tenant: object) -> tuple[int, str]:
    """A case the signed-in adviser (Danish console) took; its page."""
    tenant_id = await add_tenant(rt, "R-1", **tenant)  # type: ignore[arg-type]
    async with rt.db.write() as conn:
        await conn.execute(update(tenants).where(tenants.c.id == tenant_id).values(address="Byvej 12, 1. th."))
    case_id = await add_case(rt, tenant_id)
    await signed_in(rt, client, danish=True)
    page = f"/console/cases/{case_id}"
    assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    return case_id, page


async def test_an_empty_note_comes_back_at_the_note_form_and_the_corrected_note_is_kept_once(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, page = await _held(runtime, client)
    action = f"{page}/note"
    answer, why, _ = await _refused(client, page, action, "add-note", {"text": " " * 3})
    assert why == "Udfyld feltet “Intern note”."
    # A note pasted too long comes back whole, to shorten.
    pasted = "Lejeren ringede. " * 240
    answer, why, form = await _refused(client, page, action, "add-note", {"text": pasted})
    assert why == "Feltet “Intern note” er længere end 4000 tegn."
    assert f'name="text" maxlength="4000" required>\n{pasted}</textarea>' in form
    done, again = await _corrected(client, answer, action, {"text": "Ringede, aftalt møde"})
    assert done.status_code == 303 and done.headers["location"] == f"{page}#notes"
    assert again.headers["location"] == f"{page}?already=note"
    assert await _audited(runtime, "case.note") == 1


async def test_a_contact_form_damaged_comes_back_at_itself_with_a_fresh_form(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, page = await _held(runtime, client)
    action = f"{page}/contact"
    answer, why, _ = await _refused(client, page, action, "record-contact", {"nonce": "x"})
    assert why == "Formularen er beskadiget: genindlæs siden."
    done, again = await _corrected(client, answer, action, {})
    assert done.status_code == 303 and again.headers["location"] == f"{page}?already=contact"
    assert await _audited(runtime, "case.contact") == 1


async def test_a_call_without_its_outcome_comes_back_with_the_caretakers_step_as_chosen(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    case_id, page = await _held(runtime, client)
    caretaker = await add_person(runtime, "caretaker@example.org", "caretaker")
    at = runtime.clock()
    async with runtime.db.write() as conn:
        tenant_id = (await conn.execute(select(cases.c.tenant_id).where(cases.c.id == case_id))).scalar_one()
        call = await conn.execute(
            case_tasks.insert().values(
                case_id=case_id, tenant_id=tenant_id, kind="call", status="open", created_at=at, updated_at=at
            )
        )
        task_id = str(call.inserted_primary_key[0])
    action = f"{page}/step"
    typed: dict[str, str | list[str]] = {"task_id": task_id, "next": "postcard", "caretaker_id": str(caretaker)}
    answer, why, form = await _refused(client, page, action, "call-step", typed)
    assert why == "Udfyld feltet “Udfald”."
    assert '<option value="postcard" selected>' in form
    assert f'<option value="{caretaker}" selected>caretaker@example.org</option>' in form
    done, again = await _corrected(client, answer, action, {**typed, "outcome": "not_reached"})
    assert done.status_code == 303 and again.headers["location"] == f"{page}?already=step"
    assert await _audited(runtime, "call.not_reached") == 1


async def test_an_appointment_at_a_debt_advice_service_comes_back_with_day_time_place_and_kind(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    case_id, page = await _held(runtime, client)
    # The volunteer learns the address: a consent to share the household's, not only the contact.
    await volunteers_may_see(runtime, case_id, kinds=("contact", "household"))
    volunteer = await add_person(runtime, "volunteer@example.org", "volunteer")
    await add_person(runtime, "another@example.org", "volunteer")
    day = (today(runtime) + timedelta(days=3)).isoformat()
    action = f"{page}/appointment"
    typed: dict[str, str | list[str]] = {
        "volunteer_id": str(volunteer),
        "day": day,
        "time": "14:30",
        "place": "Gældsrådgivningen, Byvej 2",
        "advice_kind": "budget",
    }
    answer, why, form = await _refused(client, page, action, "book-appointment", typed)
    assert why.startswith("Stedet sendes til lejeren på sms")
    assert f'value="{day}"' in form and 'value="14:30"' in form and 'value="Gældsrådgivningen, Byvej 2"' in form
    assert '<option value="budget" selected>' in form
    assert re.search(f'<option value="{volunteer}"[^>]* selected>volunteer@example.org', form), form
    done, again = await _corrected(client, answer, action, {**typed, "place": "Byvej 12, 1. th."})
    assert done.status_code == 303, done.text
    assert done.status_code == 303 and again.headers["location"] == f"{page}?already=appointment"
    assert await _audited(runtime, "appointment.book") == 1
    # Cancelling it without naming it (a damaged form) says so above the appointments; named, it is cancelled once.
    cancel = f"{page}/cancel-appointment"
    async with runtime.db.read() as conn:
        booked = (await conn.execute(select(case_tasks.c.id).where(case_tasks.c.kind == "appointment"))).scalar_one()
    refused = await _refused_above_appointments(client, page, cancel)
    done, again = await _corrected(client, refused, cancel, {"task_id": str(booked)})
    assert done.status_code == 303 and again.headers["location"] == f"{page}?already=cancelled"
    assert await _audited(runtime, "appointment.cancel") == 1


async def _refused_above_appointments(client: httpx.AsyncClient, page: str, action: str) -> httpx.Response:
    shown = (await client.get(page)).text
    data = {"nonce": form_nonce_of(shown, action) or "", "task_id": "", "csrf_token": csrf_of(shown)}
    answer = await client.post(action, data=data)
    assert answer.status_code == 422, answer.text
    said = html.unescape(answer.text)
    assert re.search(
        r'id="case-tasks">.*<p class="error" role="alert" id="cancel-appointment-error" tabindex="-1" autofocus>'
        r"Udfyld feltet “Opgave”.</p>\s*<ul class=\"tasks\">",
        said,
        re.S,
    ), said
    return answer


async def test_a_task_due_in_the_past_comes_back_with_the_task_its_day_and_its_volunteer(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    case_id, page = await _held(runtime, client)
    await volunteers_may_see(runtime, case_id)
    await add_person(runtime, "first@example.org", "volunteer")
    chosen = await add_person(runtime, "second@example.org", "volunteer")
    yesterday = (today(runtime) - timedelta(days=1)).isoformat()
    action = f"{page}/task"
    typed: dict[str, str | list[str]] = {
        "volunteer_id": str(chosen),
        "task": "Ring og aftal et besøg",
        "due": yesterday,
    }
    answer, why, form = await _refused(client, page, action, "give-task", typed)
    assert why == "Datoen i feltet “Senest” er overstået."
    assert 'value="Ring og aftal et besøg"' in form and f'value="{yesterday}"' in form
    assert re.search(f'<option value="{chosen}"[^>]* selected>second@example.org', form), form
    assert not re.search(r'<option value="\d+" selected>first@example.org', form), form
    done, again = await _corrected(client, answer, action, {**typed, "due": today(runtime).isoformat()})
    assert done.status_code == 303 and again.headers["location"] == f"{page}?already=task"
    assert await _audited(runtime, "case.task") == 1


async def test_closing_as_other_without_a_note_comes_back_with_the_outcome_chosen(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, page = await _held(runtime, client)
    action = f"{page}/close"
    answer, why, form = await _refused(client, page, action, "close-case", {"outcome": "other", "note": ""})
    assert why.startswith("Udfaldet “andet” kræver en note")
    assert '<option value="other" selected>' in form and '<option value="" disabled>' in form
    # Without an outcome the note typed is kept, and the form asks for the outcome again.
    answer, why, form = await _refused(client, page, action, "close-case", {"note": "Flyttet til sin søster"})
    assert why == "Udfyld feltet “Udfald”."
    assert 'value="Flyttet til sin søster"' in form and '<option value="" selected disabled>' in form
    done, again = await _corrected(client, answer, action, {"outcome": "other", "note": "Flyttet til sin søster"})
    assert done.status_code == 303 and done.headers["location"].startswith("/console/?closed=")
    assert again.headers["location"] == f"{page}?already=closed"
    assert await _audited(runtime, "case.close") == 1


async def test_a_reassignment_to_someone_no_longer_active_comes_back_at_the_form(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    tenant_id = await add_tenant(runtime, "R-1")
    case_id = await add_case(runtime, tenant_id)
    away = await add_person(runtime, "away@example.org", "adviser")
    gone = await add_person(runtime, "gone@example.org", "adviser")
    stand_in = await add_person(runtime, "stand-in@example.org", "adviser")
    async with runtime.db.write() as conn:
        await case_ops.take_case(conn, case_id, away, runtime.clock())
    await signed_in(runtime, client, role="admin", danish=True)
    page = f"/console/cases/{case_id}"
    action = f"{page}/reassign"
    shown = (await client.get(page)).text
    async with runtime.db.write() as conn:
        await conn.execute(update(staff).where(staff.c.id == gone).values(active=False))
    answer = await client.post(action, data={"adviser_id": str(gone), "csrf_token": csrf_of(shown)})
    assert answer.status_code == 422
    form = _form(answer.text, "reassign-case")
    assert 'id="reassign-case-error"' in form and "Vælg en aktiv rådgiver eller administrator<" in form
    done, again = await _corrected(client, answer, action, {"adviser_id": str(stand_in)})
    assert done.status_code == 303 and again.status_code == 409
    assert await _audited(runtime, "case.reassign") == 1


async def test_asking_on_telegram_without_kinds_of_data_comes_back_with_recipient_and_purpose(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, page = await _held(runtime, client, chat_id=4242)
    action = f"{page}/consents/ask"
    typed: dict[str, str | list[str]] = {
        "recipient_kind": "volunteer_org",
        "recipient": "Dansk Folkehjælp",
        "purpose": "Et budget med en frivillig",
    }
    answer, why, form = await _refused(client, page, action, "ask-consent", typed)
    assert why == "Vælg mindst én slags oplysninger."
    assert '<option value="volunteer_org" selected>' in form
    assert 'value="Dansk Folkehjælp"' in form and 'value="Et budget med en frivillig"' in form
    done, again = await _corrected(client, answer, action, {**typed, "kinds": ["contact"]})
    assert done.status_code == 303 and again.status_code == 303
    async with runtime.db.read() as conn:
        asked = await conn.execute(select(func.count()).select_from(outbox).where(outbox.c.template.like("share%")))
    assert asked.scalar_one() == 1


async def test_a_form_no_longer_on_the_page_is_refused_on_the_page_every_form_has(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The call was dealt with in another tab meanwhile: the case page has no call form to come back at, so the reason
    is not lost on it, it is said on a page of its own with the way back (and no view of the case is audited)."""
    _, page = await _held(runtime, client)
    shown = (await client.get(page)).text
    data = {"nonce": form_nonce_of(shown, f"{page}/note") or "", "task_id": "7", "csrf_token": csrf_of(shown)}
    viewed = await _audited(runtime, "case.view")
    answer = await client.post(f"{page}/step", data=data)
    assert answer.status_code == 422
    said = html.unescape(answer.text)
    assert "Udfyld feltet “Udfald”." in said and f'<a href="{page}" data-back id="back-to-form">' in said
    assert 'id="thread"' not in said and await _audited(runtime, "case.view") == viewed


async def test_taking_and_releasing_with_a_damaged_form_come_back_at_their_buttons(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    case_id = await add_case(runtime, await add_tenant(runtime, "R-1"))
    await signed_in(runtime, client, danish=True)
    page = f"/console/cases/{case_id}"
    for action, form_id, what in (
        (f"{page}/take", "take-case", "taken"),
        (f"{page}/release", "release-case", "released"),
    ):
        answer, why, _ = await _refused(client, page, action, form_id, {"nonce": "x"})
        assert why == "Formularen er beskadiget: genindlæs siden."
        done, again = await _corrected(client, answer, action, {})
        assert done.status_code == 303 and again.headers["location"] == f"{page}?already={what}"
    assert await _audited(runtime, "case.take") == 1 and await _audited(runtime, "case.release") == 1


async def _kommune_consent(rt: Runtime, client: httpx.AsyncClient, page: str) -> int:
    """The tenant's signed consent to share everything with a kommune unit for the case, recorded on its page."""
    shown = (await client.get(page)).text
    data: dict[str, str | list[str]] = {
        "csrf_token": csrf_of(shown),
        "nonce": form_nonce_of(shown, f"{page}/consents/record") or "",
        "method": "signed_form",
        "recipient_kind": "kommune",
        "recipient": "Aarhus Kommune, Ydelsescenter",
        "purpose": "Ansøgning om hjælp til huslejen",
        "signed_on": today(rt).isoformat(),
        "wording": "Samtykkeerklæring, version 3",
        "kinds": ["rent_position", "letters", "household", "contact"],
    }
    assert (await client.post(f"{page}/consents/record", data=data)).status_code == 303
    async with rt.db.read() as conn:
        return int(
            (await conn.execute(select(consents.c.id).where(consents.c.recipient_kind == "kommune"))).scalar_one()
        )


async def test_the_referral_forms_come_back_at_themselves_with_what_was_chosen(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, page = await _held(runtime, client, chat_id=4242)
    consent = str(await _kommune_consent(runtime, client, page))
    # A referral with a kind of help the form does not offer: the help ticked stays ticked, the consent chosen.
    action = f"{page}/referrals"
    typed: dict[str, str | list[str]] = {"consent_id": consent, "help": ["one_off_grant", "lottery"]}
    answer, why, form = await _refused(client, page, action, "make-referral", typed)
    assert why == "Vælg den hjælp, lejeren søger."
    assert f'<option value="{consent}" selected>' in form
    assert 'value="one_off_grant" checked>' in form and 'value="money_management">' in form
    done, again = await _corrected(client, answer, action, {"consent_id": consent, "help": ["one_off_grant"]})
    assert done.status_code == 303 and again.headers["location"] == f"{page}?already=referral"
    async with runtime.db.read() as conn:
        (referral,) = (await conn.execute(select(referrals.c.id))).scalars().all()
    # The kommune's decision dated tomorrow: the decision chosen and the day typed come back at that referral's form.
    action = f"/console/referrals/{referral}/decision"
    tomorrow = (today(runtime) + timedelta(days=1)).isoformat()
    typed = {"decision": "refused", "decided_on": tomorrow}
    answer, why, form = await _refused(client, page, action, f"decide-referral-{referral}", typed)
    assert why == "Afgørelsen kan ikke være dateret i fremtiden."
    assert '<option value="refused" selected>' in form and f'value="{tomorrow}"' in form
    done, _ = await _corrected(client, answer, action, {**typed, "decided_on": today(runtime).isoformat()})
    assert done.status_code == 303 and done.headers["location"] == f"{page}#referrals"
    async with runtime.db.read() as conn:
        decided = (await conn.execute(select(referrals.c.decision, referrals.c.decided_on))).one()
    assert decided == ("refused", today(runtime))
    # A step the form does not offer, then one it does: tracked once.
    action = f"{page}/steps"
    answer, why, _ = await _refused(client, page, action, "add-step", {"kind": "lottery"})
    assert why == "Vælg et skridt."
    done, again = await _corrected(client, answer, action, {"kind": "boligstoette"})
    assert done.status_code == 303 and again.headers["location"] == f"{page}?already=step_added"
    async with runtime.db.read() as conn:
        (step,) = (await conn.execute(select(case_tasks.c.id).where(case_tasks.c.kind == "boligstoette"))).all()
    action = f"{page}/steps/{step.id}"
    answer, why, _ = await _refused(client, page, action, f"move-step-{step.id}", {"status": "lottery"})
    assert why == "Vælg en status fra listen."
    done, _ = await _corrected(client, answer, action, {"status": "applied"})
    assert done.status_code == 303
    async with runtime.db.read() as conn:
        assert (
            await conn.execute(select(case_tasks.c.status).where(case_tasks.c.id == step.id))
        ).scalar_one() == "applied"
    # The text about the kommune's help, its form damaged: sent once when sent from the page it came back on.
    action = f"{page}/help-text"
    answer, why, _ = await _refused(client, page, action, "help-text", {"nonce": "x"})
    assert why == "Formularen er beskadiget: genindlæs siden."
    done, again = await _corrected(client, answer, action, {})
    assert done.status_code == 303 and again.status_code == 303
    async with runtime.db.read() as conn:
        sent = await conn.execute(select(func.count()).select_from(outbox).where(outbox.c.template == "help.kommune"))
    assert sent.scalar_one() == 1


async def test_the_court_forms_come_back_at_themselves_on_the_case_page_and_on_the_tenants(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    case_id, page = await _held(runtime, client)
    async with runtime.db.read() as conn:
        tenant_id = (await conn.execute(select(cases.c.tenant_id).where(cases.c.id == case_id))).scalar_one()
    court = f"/console/tenants/{tenant_id}/court"
    # A filing whose court date has passed, not said to be meant: both days come back, to tick the box and send again.
    filed, passed = (today(runtime) - timedelta(days=30)).isoformat(), (today(runtime) - timedelta(days=2)).isoformat()
    typed: dict[str, str | list[str]] = {"back": page, "filed_on": filed, "court_date": passed}
    answer, why, form = await _refused(client, page, f"{court}/filing", "court-filing", typed)
    assert why.startswith("Datoen i fogedretten") and "sæt kryds ved" in why
    assert f'value="{filed}"' in form and f'value="{passed}"' in form and 'value="yes">' in form
    # From the tenant's page the same refusal comes back at the form there, with why and both days (it opened a page of
    # its own, and the adviser typed the form again).
    tenant_page = f"/console/tenants/{tenant_id}"
    shown = (await client.get(tenant_page)).text
    there = await client.post(f"{court}/filing", data={**typed, "back": tenant_page, "csrf_token": csrf_of(shown)})
    assert there.status_code == 422 and 'id="back-to-form"' not in there.text and 'id="thread"' not in there.text
    assert f'<main id="main" tabindex="-1" data-address="{tenant_page}">' in there.text
    assert there.text.count("autofocus") == 1
    form = _form(there.text, "court-filing")
    said = re.search(r'<p class="error" role="alert" id="court-filing-error" tabindex="-1" autofocus>(.*?)</p>', form)
    assert said is not None and said.group(1) == why, form
    assert f'value="{filed}"' in form and f'value="{passed}"' in form
    assert f'<input type="hidden" name="back" value="{tenant_page}">' in form
    # Another tenant's court form naming this case page as its way back is not sent back at this case's form.
    other = await add_tenant(runtime, "R-2", phone="+4520000002")
    shown = (await client.get(page)).text
    astray = await client.post(f"/console/tenants/{other}/court/filing", data={**typed, "csrf_token": csrf_of(shown)})
    assert astray.status_code == 422 and 'id="back-to-form"' in astray.text and 'id="thread"' not in astray.text
    done, _ = await _corrected(client, answer, f"{court}/filing", {**typed, "court_date_passed": "yes"})
    assert done.status_code == 303 and done.headers["location"] == page
    async with runtime.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(court_cases))).scalar_one() == 1
    # The details with a meeting place the form does not offer: the district and the phone answer come back.
    typed = {"back": page, "retskreds": "Retten i Aarhus", "meeting_kind": "moon", "reached_by_phone": "no"}
    answer, why, form = await _refused(client, page, f"{court}/details", "court-details", typed)
    assert why == "Vælg, hvor fogedretten holder mødet."
    assert 'value="Retten i Aarhus"' in form and '<option value="no" selected>' in form
    done, _ = await _corrected(client, answer, f"{court}/details", {**typed, "meeting_kind": "court"})
    assert done.status_code == 303
    # A postponement without the new court date: the outcome and its day come back.
    typed = {"back": page, "outcome": "postponed", "on": today(runtime).isoformat()}
    answer, why, form = await _refused(client, page, f"{court}/outcome", "court-outcome-form", typed)
    assert why == "En udsættelse kræver den nye dato i fogedretten."
    assert '<option value="postponed" selected>' in form and f'value="{today(runtime).isoformat()}"' in form
    assert '<option value="" disabled>' in form
    later = (today(runtime) + timedelta(days=20)).isoformat()
    done, _ = await _corrected(client, answer, f"{court}/outcome", {**typed, "court_date": later})
    assert done.status_code == 303 and done.headers["location"] == page
    async with runtime.db.read() as conn:
        (kept,) = (
            await conn.execute(select(court_cases.c.retskreds, court_cases.c.meeting_kind, court_cases.c.court_date))
        ).all()
    assert tuple(kept) == ("Retten i Aarhus", "court", today(runtime) + timedelta(days=20))


async def test_a_refused_form_s_page_gives_the_case_page_s_address_and_each_form_s_address_leads_to_its_page(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """A refused form comes back at itself at the address it was posted to, which is no page: reloaded, bookmarked or
    copied, it was "This is no page". The page gives the case page's address (forms.js puts it in the address bar), and
    every address a form of the case page posts to, opened as a page, leads to the page the form is on."""
    case_id, page = await _held(runtime, client, chat_id=4242)
    async with runtime.db.read() as conn:
        tenant_id = (await conn.execute(select(cases.c.tenant_id).where(cases.c.id == case_id))).scalar_one()
    consent = str(await _kommune_consent(runtime, client, page))
    made = await post_form(client, page, f"{page}/referrals", {"consent_id": consent, "help": "one_off_grant"})
    assert made.status_code == 303
    assert (await post_form(client, page, f"{page}/steps", {"kind": "boligstoette"})).status_code == 303
    answer, _, _ = await _refused(client, page, f"{page}/note", "add-note", {"text": " "})
    assert f'<main id="main" tabindex="-1" data-address="{page}">' in answer.text
    assert "data-address" not in (await client.get(page)).text  # shown at its own address, it has nothing to say

    def leads_to(action: str) -> str:
        if action.startswith("/console/referrals/"):  # a referral's decision: its case's page, at the referrals
            return f"{page}#referrals"
        if action.startswith(f"/console/tenants/{tenant_id}/"):  # the court forms are on the tenant's page too
            return f"/console/tenants/{tenant_id}"
        return page

    actions = re.findall(r'<form method="post" action="([^"]+)"', answer.text)
    opened = {action: await client.get(action) for action in actions if action != "/console/logout"}
    assert {action: (r.status_code, r.headers.get("location")) for action, r in opened.items()} == {
        action: (303, leads_to(action)) for action in opened
    }
    for form in ("note", "release", "referrals", "steps", "consents/record"):
        assert f"{page}/{form}" in opened, form
    assert any(action.endswith("/decision") for action in opened) and any("/court/" in action for action in opened)
    # An address no page is above (signing out, typed): the page that says it is no page, and leads on.
    signed_out = await client.get("/console/logout")
    assert signed_out.status_code == 405 and "location" not in signed_out.headers
