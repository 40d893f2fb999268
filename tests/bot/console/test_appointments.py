"""A volunteer's appointment: booked by the adviser who holds the case, confirmed to the tenant at once and reminded
the day before (day, time and place only), even while the case is held; moved means a new confirmation and the old
reminder never goes; held appointments counted by month and kind of advice. SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select, update

from bot.app import create_app
from bot.host.appointments import activity, reminder_time
from bot.host.consents import withdraw_consent
from bot.inbound.inbox import InboundMessage
from bot.outbox.sms_rules import amount_like, forbidden_words_in, sms_segments
from bot.reminders.jobs import JobServices, plan_today
from bot.reminders.plan import plan_reminders
from bot.runtime import Runtime
from bot.store.retention import purge
from bot.store.schema import (
    audit_log,
    case_events,
    case_tasks,
    cases,
    consents,
    outbox,
    planned_reminders,
    rent_positions,
    staff,
    tenants,
)
from bot.tenants.erase import erase
from bot.tenants.export import export_tenant
from tests.bot.console.test_outreach import SetClock, clock
from tests.conftest import make_settings, started_runtime
from tests.support.console import (
    VOLUNTEER_ORG,
    add_case,
    add_person,
    add_tenant,
    case_row,
    csrf_of,
    login,
    post_form,
    posted_twice,
    volunteers_may_see,
)
from tests.support.drive import drain, process_all, sandbox

# Tuesday 3 March 2026, 10:30 in Copenhagen.
START = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
PHONE = "+4520000001"
CPH = ZoneInfo("Europe/Copenhagen")


@pytest.fixture
async def served(database_url: str) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    async with started_runtime(make_settings(database_url), SetClock(START)) as rt:
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
            yield rt, client


async def held_case(rt: Runtime, client: httpx.AsyncClient, ref: str = "R-1", phone: str = PHONE) -> tuple[int, int]:
    """A case the signed-in adviser took (the bot stays quiet on it), whose tenant consented to volunteers."""
    tenant = await add_tenant(rt, ref, name="Beta Tenant", phone=phone, balance_ore=1234500)
    async with rt.db.write() as conn:
        await conn.execute(update(tenants).where(tenants.c.id == tenant).values(address="Byvej 12, 1. th."))
    case_id = await add_case(rt, tenant)
    # The tenant signed a consent to share their contact and address with the volunteers' organisation.
    await volunteers_may_see(rt, case_id, kinds=("contact", "household"))
    page = f"/console/cases/{case_id}"
    assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    return tenant, case_id


async def signed_in(rt: Runtime, client: httpx.AsyncClient, email: str, role: str) -> int:
    client.cookies.clear()
    staff_id = await add_person(rt, email, role) if role else 0
    assert (await login(client, email)).status_code == 303
    return staff_id


async def book(
    client: httpx.AsyncClient, case_id: int, volunteer: int, day: str = "2026-03-05", at: str = "14:30", **extra: str
) -> httpx.Response:
    page = f"/console/cases/{case_id}"
    form = {
        "volunteer_id": str(volunteer),
        "day": day,
        "time": at,
        "place": "Byvej 12, 1. th.",
        "advice_kind": "budget",
    }
    return await post_form(client, page, f"{page}/appointment", {**form, **extra})


def texts(rt: Runtime, phone: str = PHONE) -> list[str]:
    return [m.text for m in sandbox(rt)["sms"].to(phone) if "aftale" in m.text]


async def rows(rt: Runtime, template: str) -> list[tuple[str, str | None]]:
    async with rt.db.read() as conn:
        found = await conn.execute(
            select(outbox.c.state, outbox.c.last_error).where(outbox.c.template == template).order_by(outbox.c.id)
        )
        return [(r.state, r.last_error) for r in found]


async def at_time(rt: Runtime, when: datetime) -> None:
    clock(rt).at = when
    await drain(rt.sender)


async def test_the_tenant_gets_a_confirmation_and_one_reminder_the_day_before_while_the_case_is_held(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    await signed_in(rt, client, "adviser@example.org", "adviser")
    _, case_id = await held_case(rt, client)
    assert (await book(client, case_id, volunteer)).status_code == 303
    assert (await book(client, case_id, volunteer)).status_code == 409  # one open appointment per case
    await drain(rt.sender)
    [confirmation] = texts(rt)
    assert confirmation == (
        "Hej Beta. Du har en aftale med en frivillig rådgiver den 5. marts 2026 kl. 14.30. Sted: Byvej 12, 1. th. "
        f"Ring til os på 70 00 00 00, hvis tiden ikke passer. Hilsen {rt.settings.org_name}\n"
        "Svar STOP for at afmelde."
    )
    await at_time(rt, datetime(2026, 3, 4, 7, 59, tzinfo=UTC))  # 08:59 on the eve: not yet
    assert len(texts(rt)) == 1
    await at_time(rt, datetime(2026, 3, 4, 8, 0, tzinfo=UTC))
    await at_time(rt, datetime(2026, 3, 4, 9, 0, tzinfo=UTC))  # the sender looks again: nothing twice
    sent = texts(rt)
    assert len(sent) == 2 and sent[1].startswith(
        "Hej Beta. Husk din aftale den 5. marts 2026 kl. 14.30. Sted: Byvej 12"
    )
    assert await rows(rt, "appointment.reminder") == [("sent", None)]
    assert await rows(rt, "appointment.booked") == [("sent", None)]


@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize("key", ["appointment.booked", "appointment.reminder", "appointment.cancelled"])
@pytest.mark.parametrize("channel", ["sms", "telegram"])
async def test_the_texts_carry_day_time_and_place_only(
    served: tuple[Runtime, httpx.AsyncClient], language: str, key: str, channel: str
) -> None:
    rt, _ = served
    values = {"first_name": "Beta", "day": START.date(), "time": "14:30", "place": "Byvej 12"}
    text = rt.renderer.render(key, values, language, channel).text  # type: ignore[arg-type]
    assert {"da": "kl. 14.30", "en": "at 14:30"}[language] in text  # the time as each language writes it
    assert "2026" in text
    assert ("Byvej 12" in text) == (key != "appointment.cancelled")  # the cancellation needs no place
    # The rule keephome check holds every SMS text to (a phone number is no amount).
    assert not amount_like(text) and forbidden_words_in(text, rt.settings.forbidden_words) == []
    for service in ("Forbrugerrådet", "Tænk", "Folkehjælp", "På Fode", "KFUM", "gæld", "debt", "budget"):
        assert service.lower() not in text.lower()


async def test_a_moved_appointment_is_confirmed_again_and_only_the_new_reminder_goes(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    await signed_in(rt, client, "adviser@example.org", "adviser")
    _, case_id = await held_case(rt, client)
    await book(client, case_id, volunteer)
    await drain(rt.sender)
    await signed_in(rt, client, "volunteer@example.org", "")
    async with rt.db.read() as conn:
        [task] = (await conn.execute(select(case_tasks.c.id).where(case_tasks.c.kind == "appointment"))).scalars().all()
    form = {"day": "2026-03-10", "time": "10:00", "place": "Beboerhuset, Byvej 2"}
    moved = await post_form(client, "/console/tasks", f"/console/appointments/{task}/move", form)
    assert moved.status_code == 303  # and the volunteer sees that it worked
    assert "The appointment is moved to the new time." in (await client.get(moved.headers["location"])).text
    await drain(rt.sender)
    # The tenant was told of the first time: the new confirmation says it moved, from when to when.
    assert texts(rt)[-1].startswith(
        "Hej Beta. Din aftale den 5. marts 2026 kl. 14.30 er flyttet til den 10. marts 2026 kl. 10.00. "
        "Sted: Beboerhuset, Byvej 2."
    )
    assert await rows(rt, "appointment.reminder") == [("held", "appointment moved"), ("pending", None)]
    await at_time(rt, datetime(2026, 3, 4, 8, 30, tzinfo=UTC))  # the old eve: nothing
    assert len(texts(rt)) == 2
    await at_time(rt, datetime(2026, 3, 9, 8, 30, tzinfo=UTC))
    sent = texts(rt)
    assert len(sent) == 3 and sent[-1].startswith("Hej Beta. Husk din aftale den 10. marts 2026 kl. 10.00.")
    assert not any("5. marts" in text for text in sent[2:])  # the reminder names the new time only
    async with rt.db.read() as conn:
        statuses = (await conn.execute(select(case_tasks.c.status).order_by(case_tasks.c.id))).scalars().all()
    assert list(statuses) == ["moved", "open"]


async def test_a_move_refused_for_its_place_comes_back_at_its_form_as_typed(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """A volunteer on a phone moves an appointment to a place with an amount in it: the refusal was a page of its own,
    and the day, time and place were typed again. The tasks page comes back at that appointment's form with why (given
    the keyboard's place) and all three as typed, at the tasks page's address; corrected there, it moves once."""
    rt, client = served
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    await signed_in(rt, client, "adviser@example.org", "adviser")
    _, case_id = await held_case(rt, client)
    await book(client, case_id, volunteer)
    await drain(rt.sender)
    await signed_in(rt, client, "volunteer@example.org", "")
    async with rt.db.read() as conn:
        [task] = (await conn.execute(select(case_tasks.c.id).where(case_tasks.c.kind == "appointment"))).scalars().all()
    move = f"/console/appointments/{task}/move"
    typed = {"day": "2026-03-10", "time": "10:00", "place": "Byvej 2, bring 500 kr"}
    refused = await post_form(client, "/console/tasks", move, typed)
    assert refused.status_code == 422
    page = html.unescape(refused.text)
    form = page[page.index(f'id="move-{task}"') : page.index("</form>", page.index(f'id="move-{task}"'))]
    assert f'id="move-{task}-error" tabindex="-1" autofocus>The place goes to the tenant by SMS' in form
    assert 'value="2026-03-10"' in form and 'value="10:00"' in form and 'value="Byvej 2, bring 500 kr"' in form
    assert page.count("autofocus") == 1 and '<main id="main" tabindex="-1" data-address="/console/tasks">' in page
    again = await client.post(move, data={**typed, "place": "Beboerhuset, Byvej 2", "csrf_token": csrf_of(page)})
    assert again.status_code == 303
    async with rt.db.read() as conn:
        statuses = (await conn.execute(select(case_tasks.c.status).order_by(case_tasks.c.id))).scalars().all()
    assert list(statuses) == ["moved", "open"]


async def test_an_appointment_moved_before_its_confirmation_went_is_confirmed_as_new(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """Booked in the evening (the confirmation waits for the morning) and moved before it went: the tenant never heard
    of the first time, so the one confirmation they get names the new time only, as a booking."""
    rt, client = served
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    await signed_in(rt, client, "adviser@example.org", "adviser")
    _, case_id = await held_case(rt, client)
    clock(rt).at = datetime(2026, 3, 3, 20, 30, tzinfo=UTC)  # 21:30 in Copenhagen: quiet hours
    assert (await book(client, case_id, volunteer)).status_code == 303
    await drain(rt.sender)
    assert texts(rt) == []
    await signed_in(rt, client, "volunteer@example.org", "")
    async with rt.db.read() as conn:
        [task] = (await conn.execute(select(case_tasks.c.id).where(case_tasks.c.kind == "appointment"))).scalars().all()
    form = {"day": "2026-03-10", "time": "10:00", "place": "Beboerhuset, Byvej 2"}
    assert (await post_form(client, "/console/tasks", f"/console/appointments/{task}/move", form)).status_code == 303
    await at_time(rt, datetime(2026, 3, 4, 8, 30, tzinfo=UTC))
    only = "Hej Beta. Du har en aftale med en frivillig rådgiver den 10. marts 2026 kl. 10.00. Sted:"
    assert [text[: len(only)] for text in texts(rt)] == [only]


async def test_quiet_hours_and_opt_out_are_kept(served: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, client = served
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    await signed_in(rt, client, "adviser@example.org", "adviser")
    _, late = await held_case(rt, client)
    stopped, quiet = await held_case(rt, client, "R-2", "+4520000002")
    async with rt.db.write() as conn:
        await conn.execute(update(tenants).where(tenants.c.id == stopped).values(status="stopped"))
    clock(rt).at = datetime(2026, 3, 3, 20, 30, tzinfo=UTC)  # 21:30 in Copenhagen
    assert (await book(client, late, volunteer)).status_code == 303
    assert (await book(client, quiet, volunteer)).status_code == 303
    async with rt.db.read() as conn:
        query = select(outbox.c.template, outbox.c.not_before).where(outbox.c.template.like("appointment.%"))
        found = (await conn.execute(query.order_by(outbox.c.id))).all()
    # 09:00 the next morning, which is the eve: the confirmation is the reminder too (one a day).
    assert [tuple(r) for r in found] == [("appointment.booked", datetime(2026, 3, 4, 8, 0, tzinfo=UTC))]
    async with rt.db.read() as conn:
        booked = (await conn.execute(select(func.count()).where(case_tasks.c.kind == "appointment"))).scalar_one()
    assert booked == 2  # the opted-out tenant's booking stands; they get nothing proactive


def test_the_reminder_goes_on_the_last_day_before_that_is_not_quiet(runtime: Runtime) -> None:
    monday = datetime(2026, 3, 9, 10, 0, tzinfo=CPH)
    saturday_nine = datetime(2026, 3, 7, 9, 0, tzinfo=CPH)
    assert reminder_time(monday, START, runtime.settings) == saturday_nine
    assert reminder_time(monday, datetime(2026, 3, 8, 12, 0, tzinfo=UTC), runtime.settings) is None


async def test_an_address_with_a_postcode_is_a_place_not_an_amount(served: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, client = served
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    await signed_in(rt, client, "adviser@example.org", "adviser")
    _, case_id = await held_case(rt, client)
    assert (await book(client, case_id, volunteer, place="Skolevej 12, 2. th., 8000 Aarhus C")).status_code == 303


async def taken_without_consent(rt: Runtime, client: httpx.AsyncClient) -> int:
    """A case of a tenant living at Byvej 12, taken by a signed-in adviser; no consent to share with anyone yet."""
    await signed_in(rt, client, "adviser@example.org", "adviser")
    tenant = await add_tenant(rt, "R-1", name="Beta Tenant", phone=PHONE)
    async with rt.db.write() as conn:
        await conn.execute(update(tenants).where(tenants.c.id == tenant).values(address="Byvej 12, 1. th."))
    case_id = await add_case(rt, tenant)
    page = f"/console/cases/{case_id}"
    assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    return case_id


async def test_an_appointment_is_booked_only_with_consent_to_share_with_the_volunteers_organisation(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """The volunteer sees the tenant's first name and the place: without the tenant's consent to share their contact
    with the volunteer's organisation nothing is booked or sent; at the tenant's own address the consent must name
    their address (household) too."""
    rt, client = served
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    case_id = await taken_without_consent(rt, client)
    refused = await book(client, case_id, volunteer, place="Beboerhuset, Byvej 2")
    assert refused.status_code == 409 and "consent to share their contact with Dansk Folkehjælp" in refused.text
    await volunteers_may_see(rt, case_id)  # the contact, not the address
    at_home = await book(client, case_id, volunteer, place="byvej 12  1. th.")  # the tenant's address, as typed
    assert at_home.status_code == 409 and "their contact and household (address)" in at_home.text
    async with rt.db.read() as conn:
        booked = (await conn.execute(select(func.count()).where(case_tasks.c.kind == "appointment"))).scalar_one()
    assert booked == 0 and await rows(rt, "appointment.booked") == []
    assert (await book(client, case_id, volunteer, place="Beboerhuset, Byvej 2")).status_code == 303


async def test_a_move_asks_the_consent_again_and_a_withdrawal_takes_the_appointment_off_the_list(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """Moving an appointment to the tenant's home needs their consent to share the address too; once the tenant
    withdraws the consent, the volunteer's list no longer shows the appointment and it cannot be moved (no text
    goes to the tenant)."""
    rt, client = served
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    case_id = await taken_without_consent(rt, client)
    consent = await volunteers_may_see(rt, case_id)  # the contact, not the address
    assert (await book(client, case_id, volunteer, place="Beboerhuset, Byvej 2")).status_code == 303
    await drain(rt.sender)
    await signed_in(rt, client, "volunteer@example.org", "")
    async with rt.db.read() as conn:
        [task] = (await conn.execute(select(case_tasks.c.id).where(case_tasks.c.kind == "appointment"))).scalars().all()
    move = f"/console/appointments/{task}/move"
    home = {"day": "2026-03-10", "time": "10:00", "place": "Byvej 12, 1. th."}
    refused = await post_form(client, "/console/tasks", move, home)
    assert refused.status_code == 409 and "their contact and household (address)" in refused.text
    assert "Beboerhuset" in (await client.get("/console/tasks")).text

    async with rt.db.write() as conn:
        assert await conn.run_sync(lambda sync: withdraw_consent(sync, consent, rt.clock()))
    listed = (await client.get("/console/tasks")).text
    assert "Beboerhuset" not in listed and "Beta" not in listed and 'id="withheld"' in listed
    elsewhere = {"day": "2026-03-10", "time": "10:00", "place": "Beboerhuset, Byvej 2"}
    assert (await post_form(client, "/console/tasks", move, elsewhere)).status_code == 409
    await drain(rt.sender)
    assert len(texts(rt)) == 1  # the first confirmation only


async def reminded_appointment(rt: Runtime, client: httpx.AsyncClient) -> tuple[int, int]:
    """A booked appointment on a held case (confirmed, its reminder waiting for the eve); the adviser is signed in.
    Returns the case and the consent that lets the volunteer see it."""
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    case_id = await taken_without_consent(rt, client)
    consent = await volunteers_may_see(rt, case_id)
    assert (await book(client, case_id, volunteer, place="Beboerhuset, Byvej 2")).status_code == 303
    await drain(rt.sender)
    assert len(texts(rt)) == 1 and await rows(rt, "appointment.reminder") == [("pending", None)]
    return case_id, consent


async def assert_cancelled(
    rt: Runtime, client: httpx.AsyncClient, case_id: int, why: str, *, volunteer_stays: bool = True
) -> None:
    """The appointment ended as cancelled, the tenant is told so once, its reminder never goes, the volunteer's list
    says it is off (unless the volunteer left), and the case page says why."""
    async with rt.db.read() as conn:
        statuses = (await conn.execute(select(case_tasks.c.status).order_by(case_tasks.c.id))).scalars().all()
    assert list(statuses) == ["cancelled"]
    assert await rows(rt, "appointment.reminder") == [("held", "appointment cancelled")]
    await drain(rt.sender)
    told = [m.text for m in sandbox(rt)["sms"].to(PHONE) if "aflyst" in m.text]
    assert told == [
        "Hej Beta. Din aftale den 5. marts 2026 kl. 14.30 er aflyst. "
        f"Ring til os på 70 00 00 00, hvis du vil have en ny tid. Hilsen {rt.settings.org_name}\n"
        "Svar STOP for at afmelde."
    ]
    await at_time(rt, datetime(2026, 3, 4, 8, 30, tzinfo=UTC))  # the eve: no reminder of a meeting nobody attends
    assert len(texts(rt)) == 2  # the confirmation and the cancellation
    if volunteer_stays:  # their list says the meeting is off: its day and time, nothing else of the tenant
        await signed_in(rt, client, "volunteer@example.org", "")
        listed = (await client.get("/console/tasks")).text
        notice = listed.split('id="cancelled"')[1].split("</div>")[0]
        assert "14:30" in notice and "Beta" not in notice and "Beboerhuset" not in listed
    await signed_in(rt, client, "adviser@example.org", "")
    assert why in (await client.get(f"/console/cases/{case_id}")).text


async def test_the_adviser_withdrawing_the_consent_cancels_the_appointment_and_its_reminder(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """The tenant told the adviser to take back the consent the volunteer needed: the volunteer can no longer see
    the appointment, so it is cancelled and the tenant is not reminded of it."""
    rt, client = served
    case_id, consent = await reminded_appointment(rt, client)
    page = f"/console/cases/{case_id}"
    assert (await post_form(client, page, f"{page}/consents/{consent}/withdraw", {})).status_code == 303
    await assert_cancelled(rt, client, case_id, "cancelled: the tenant took back the consent the volunteer needed")


async def test_the_adviser_cancels_an_appointment_and_the_tenant_is_told(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """The tenant cannot come, or the volunteer cannot: the adviser holding the case cancels the appointment, without
    closing the case (before, only closing it could). The same form sent again (a double click, back and resubmit, a
    phone's retry) cancels nothing more and the page says it was cancelled already; before, it was refused (409). A
    cancelling refused is refused again, with its reason."""
    rt, client = served
    case_id, _ = await reminded_appointment(rt, client)
    page = f"/console/cases/{case_id}"
    action = f"{page}/cancel-appointment"
    async with rt.db.read() as conn:
        [task] = (await conn.execute(select(case_tasks.c.id).where(case_tasks.c.kind == "appointment"))).scalars().all()
    for refused in await posted_twice(client, page, action, {"task_id": str(task + 1)}):
        assert refused.status_code == 409 and "This case has no such open appointment." in refused.text
    first, second = await posted_twice(client, page, action, {"task_id": str(task)})
    assert first.status_code == 303 and first.headers["location"] == f"{page}#case-tasks"
    assert second.status_code == 303 and second.headers["location"] == f"{page}?already=cancelled"
    said = html.unescape((await client.get(second.headers["location"])).text)
    assert 'id="recorded-already"' in said and "This appointment was cancelled already" in said
    async with rt.db.read() as conn:
        events = await conn.execute(select(case_events.c.text).where(case_events.c.kind == "appointment"))
        audited = await conn.execute(select(audit_log.c.action).where(audit_log.c.target == f"case:{case_id}"))
    assert list(events.scalars()).count("adviser_cancelled") == 1
    assert list(audited.scalars()).count("appointment.cancel") == 1
    # A form from another page (its own one-time value): nothing open to cancel any more.
    other = {"task_id": str(task), "nonce": "another-page-1", "csrf_token": csrf_of(said)}
    again = await client.post(action, data=other)
    assert again.status_code == 409 and "This case has no such open appointment." in again.text
    await assert_cancelled(rt, client, case_id, "cancelled by the adviser")


async def test_closing_a_volunteers_account_cancels_their_appointments_and_returns_their_tasks(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """A volunteer who leaves: nobody would come to the appointment, and the adviser could neither move nor book
    another (the case had one already). Their appointments are cancelled, the tenant is told, and a task of theirs
    is the adviser's again."""
    rt, client = served
    case_id, _ = await reminded_appointment(rt, client)
    async with rt.db.read() as conn:
        volunteer = (await conn.execute(select(staff.c.id).where(staff.c.role == "volunteer"))).scalar_one()
    page = f"/console/cases/{case_id}"
    task = {"volunteer_id": str(volunteer), "task": "Ring og aftal et møde", "due": "2026-03-20"}
    assert (await post_form(client, page, f"{page}/task", task)).status_code == 303
    assert (await case_row(rt, case_id)).status == "volunteer"
    await signed_in(rt, client, "admin@example.org", "admin")
    done = await post_form(client, "/console/staff", f"/console/staff/{volunteer}/deactivate", {"confirmed": "yes"})
    assert done.status_code == 303
    case = await case_row(rt, case_id)
    assert (case.status, case.volunteer_id) == ("taken", None)
    await assert_cancelled(
        rt,
        client,
        case_id,
        "cancelled: the volunteer&#39;s account was closed or their role changed",
        volunteer_stays=False,
    )


async def test_the_tenant_withdrawing_by_keyword_cancels_the_appointment_and_its_reminder(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    case_id, _ = await reminded_appointment(rt, client)
    await rt.inbox.submit(InboundMessage("sms", "SM-withdraw", PHONE, "TILBAGEKALD"))
    await process_all(rt.processor)
    await drain(rt.sender)
    # The tenant consented to the advisers and to the volunteers' organisation: the bot asks which yes.
    listed = sandbox(rt)["sms"].to(PHONE)[-1].text
    # By SMS each is named by its kind only (never the organisation's name, which would say too much).
    assert VOLUNTEER_ORG not in listed
    [choice] = [line.split(":")[0] for line in listed.splitlines() if "en frivillig forening" in line]
    await rt.inbox.submit(InboundMessage("sms", "SM-choice", PHONE, choice))
    await process_all(rt.processor)
    async with rt.db.read() as conn:
        ended = (await conn.execute(select(consents.c.recipient_kind, consents.c.withdrawn_at))).all()
    assert sorted((kind, at is not None) for kind, at in ended) == [("organisation", False), ("volunteer_org", True)]
    await assert_cancelled(rt, client, case_id, "cancelled: the tenant took back the consent the volunteer needed")


async def test_an_appointment_cancelled_before_its_confirmation_went_sends_nothing(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """Booked in quiet hours and cancelled before the morning: the tenant never heard of it, so nothing goes."""
    rt, client = served
    clock(rt).at = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)  # 22:00 in Copenhagen: quiet hours
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    case_id = await taken_without_consent(rt, client)
    consent = await volunteers_may_see(rt, case_id)
    assert (await book(client, case_id, volunteer, place="Beboerhuset, Byvej 2")).status_code == 303
    page = f"/console/cases/{case_id}"
    assert (await post_form(client, page, f"{page}/consents/{consent}/withdraw", {})).status_code == 303
    await at_time(rt, datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    assert texts(rt) == [] and not any("aflyst" in m.text for m in sandbox(rt)["sms"].to(PHONE))
    assert await rows(rt, "appointment.booked") == [("held", "appointment cancelled")]
    assert await rows(rt, "appointment.cancelled") == []


async def test_closing_the_case_cancels_its_appointment_and_its_reminder(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    case_id, _ = await reminded_appointment(rt, client)
    page = f"/console/cases/{case_id}"
    # The close form says so before: the tenant had the confirmation, so they will be told it is cancelled.
    form = html.unescape((await client.get(page)).text)
    assert (
        "This case has an appointment with a volunteer on 5 Mar 14:30 at Beboerhuset, Byvej 2: closing the case "
        "cancels it, and the tenant is told it is cancelled." in form
    )
    closed = await post_form(client, page, f"{page}/close", {"outcome": "paid"})
    assert closed.status_code == 303 and closed.headers["location"] == f"/console/?closed={case_id}&cancelled=1"
    notice = (await client.get(closed.headers["location"])).text.split('id="closed-notice"')[1].split("</p>")[0]
    assert "The case of Beta is closed. Its appointment with a volunteer was cancelled." in notice
    assert "closing the case cancels it" not in (await client.get(page)).text
    await assert_cancelled(rt, client, case_id, "cancelled: the case closed")


async def test_the_close_form_says_an_appointment_the_tenant_never_heard_of_is_cancelled_quietly(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """Booked in quiet hours: the confirmation has not gone, so closing cancels it and the tenant is not told."""
    rt, client = served
    clock(rt).at = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)  # 22:00 in Copenhagen: quiet hours
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    case_id = await taken_without_consent(rt, client)
    page = f"/console/cases/{case_id}"
    assert "closing the case cancels it" not in (await client.get(page)).text  # no appointment yet
    await volunteers_may_see(rt, case_id)
    assert (await book(client, case_id, volunteer, place="Beboerhuset, Byvej 2")).status_code == 303
    form = html.unescape((await client.get(page)).text)
    assert "at Beboerhuset, Byvej 2: closing the case cancels it.</p>" in form and "the tenant is told" not in form


async def test_only_the_holder_books_and_the_place_keeps_the_sms_rule(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    await signed_in(rt, client, "adviser@example.org", "adviser")
    _, case_id = await held_case(rt, client)
    assert (await book(client, case_id, volunteer, place="Dansk Folkehjælp gældsrådgivning")).status_code == 422
    assert (await book(client, case_id, volunteer, place="Dansk Folkehjælp, Byvej 2")).status_code == 422
    assert (await book(client, case_id, volunteer, place="Byvej 2, 500 kr. i kontanter")).status_code == 422
    assert (await book(client, case_id, volunteer, day="2026-03-02")).status_code == 422  # in the past: what was typed
    await signed_in(rt, client, "other@example.org", "adviser")
    # The page offers them no form: a form kept from before they lost the case (its one-time value) is refused.
    assert (await book(client, case_id, volunteer, nonce="nonce-other-1")).status_code == 409
    async with rt.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(outbox))).scalar_one() == 1  # case.taken only


async def test_a_place_that_would_make_the_sms_longer_than_its_parts_is_refused_with_how_long_it_may_be(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """The place is free text of up to 300 characters, and the confirmation and the reminders carry it by SMS: one that
    would make them take a third part is refused, booked or moved, with the most the place may be; that many goes."""
    rt, client = served
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    await signed_in(rt, client, "adviser@example.org", "adviser")
    _, case_id = await held_case(rt, client)
    long_place = "Beboerhuset i gården bag opgang B, ved siden af vaskeriet og cykelskuret, " * 3
    refused = await book(client, case_id, volunteer, place=long_place)
    assert refused.status_code == 422
    page = html.unescape(refused.text)
    said = re.search(r"too long for the tenant's SMS: write it in (\d+) characters at most\.", page)
    assert said is not None, page
    most = int(said.group(1))
    async with rt.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(case_tasks))).scalar_one() == 0
    assert (await book(client, case_id, volunteer, place=long_place[: most + 1].strip())).status_code == 422
    assert (await book(client, case_id, volunteer, place=long_place[:most])).status_code == 303
    await drain(rt.sender)
    [confirmation] = texts(rt)
    assert long_place[:most].rstrip(". ") in confirmation and sms_segments(confirmation) == ("GSM-7", 2)
    # Moved by the volunteer: the new confirmation also names the old time, so the same place no longer fits.
    await signed_in(rt, client, "volunteer@example.org", "")
    async with rt.db.read() as conn:
        [task] = (await conn.execute(select(case_tasks.c.id).where(case_tasks.c.kind == "appointment"))).scalars().all()
    move = f"/console/appointments/{task}/move"
    typed = {"day": "2026-03-10", "time": "10:00", "place": long_place[:most]}
    moved = await post_form(client, "/console/tasks", move, typed)
    assert moved.status_code == 422 and "The place is too long for the tenant's SMS" in html.unescape(moved.text)
    assert (await post_form(client, "/console/tasks", move, {**typed, "place": "Byvej 2"})).status_code == 303


async def test_held_and_missed_are_counted_by_month_and_kind_of_advice(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    other = await add_person(rt, "other@example.org", "volunteer")
    await signed_in(rt, client, "adviser@example.org", "adviser")
    cases = [(await held_case(rt, client, f"R-{i}", f"+452000000{i}"))[1] for i in range(1, 5)]
    await book(client, cases[0], volunteer)
    await book(client, cases[1], volunteer, advice_kind="debt_overview")
    await book(client, cases[2], volunteer, day="2026-04-07")
    await book(client, cases[3], other)
    async with rt.db.read() as conn:
        ids = (await conn.execute(select(case_tasks.c.id).order_by(case_tasks.c.id))).scalars().all()
    clock(rt).at = datetime(2026, 4, 7, 15, 0, tzinfo=UTC)  # the last of them is over
    await signed_in(rt, client, "volunteer@example.org", "")
    page = "/console/tasks"
    shown = (await client.get(page)).text
    assert shown.count('class="card appointment"') == 3 and "12.345" not in shown and "Beta Tenant" not in shown
    for task, mark in zip(ids[:3], ("held", "missed", "held"), strict=True):
        assert (await post_form(client, page, f"/console/appointments/{task}/{mark}", {})).status_code == 303
    theirs = await post_form(client, page, f"/console/appointments/{ids[3]}/held", {})
    assert theirs.status_code == 409
    async with rt.db.read() as conn:
        mine = await conn.run_sync(activity, CPH, volunteer)
        everyone = await conn.run_sync(activity, CPH)
    assert mine == [("2026-04", "budget", 1), ("2026-03", "budget", 1)]
    assert everyone == mine
    shown = (await client.get(page)).text
    assert "2026-04" in shown and "No appointments booked for you." in shown


async def test_an_appointment_is_marked_held_or_missed_from_its_day_on_and_not_before(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """Marked a day early by a slip of the hand, it would leave the volunteer's list while the tenant, reminded the
    day before, still comes."""
    rt, client = served
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    await signed_in(rt, client, "adviser@example.org", "adviser")
    _, case_id = await held_case(rt, client)
    assert (await book(client, case_id, volunteer)).status_code == 303  # Thursday 5 March, 14:30
    await drain(rt.sender)
    assert len(texts(rt)) == 1  # the confirmation
    async with rt.db.read() as conn:
        task = (await conn.execute(select(case_tasks.c.id))).scalar_one()
    await signed_in(rt, client, "volunteer@example.org", "")
    page = "/console/tasks"
    # The card offers no Held or Missed before the day; it says from which day they are offered.
    card = (await client.get(page)).text.split(f'data-appointment="{task}"', 1)[1]
    assert f"/console/appointments/{task}/held" not in card and f"/console/appointments/{task}/missed" not in card
    assert "You can mark it held or missed from 5 Mar 2026, the day of the appointment." in card
    for mark in ("held", "missed"):  # a form sent all the same is refused
        early = await post_form(client, page, f"/console/appointments/{task}/{mark}", {})
        assert early.status_code == 409
        assert "The appointment is on 5 Mar 2026 at 14:30: mark it held or missed on that day" in early.text
    await at_time(rt, datetime(2026, 3, 4, 17, 0, tzinfo=UTC))  # the eve: its reminder goes
    assert len(texts(rt)) == 2 and "Husk din aftale" in texts(rt)[1]
    clock(rt).at = datetime(2026, 3, 4, 22, 59, tzinfo=UTC)  # 23:59 in Copenhagen, still the eve
    await signed_in(rt, client, "volunteer@example.org", "")  # the session of yesterday has lapsed
    assert f"/console/appointments/{task}/held" not in (await client.get(page)).text
    clock(rt).at = datetime(2026, 3, 4, 23, 0, tzinfo=UTC)  # midnight in Copenhagen: the day of the appointment
    card = (await client.get(page)).text.split(f'data-appointment="{task}"', 1)[1]
    assert f"/console/appointments/{task}/held" in card and f"/console/appointments/{task}/missed" in card
    assert "You can mark it held" not in card
    assert (await post_form(client, page, f"/console/appointments/{task}/held", {})).status_code == 303
    async with rt.db.read() as conn:
        assert (await conn.execute(select(case_tasks.c.status))).scalar_one() == "held"


async def test_a_danish_reader_sees_times_of_day_the_danish_way(served: tuple[Runtime, httpx.AsyncClient]) -> None:
    """Times of day as the tenant's own texts write them ("kl. 14.30") on every page that shows one; English "14:30"."""
    rt, client = served
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    await signed_in(rt, client, "adviser@example.org", "adviser")
    _, case_id = await held_case(rt, client)
    assert (await book(client, case_id, volunteer)).status_code == 303  # Thursday 5 March, 14:30
    page = f"/console/cases/{case_id}"
    english = html.unescape((await client.get(page)).text)
    assert "5 Mar 14:30 · Byvej 12" in english and "· 3 Mar 10:30</span>" in english
    await add_person(rt, "admin@example.org", "admin")
    async with rt.db.write() as conn:
        await conn.execute(update(staff).values(language="da"))  # every one of them reads Danish from here on
    danish = html.unescape((await client.get(page)).text)
    # The appointment on the case, the warning on the close form and the conversation (taken at 10:30).
    assert "5. mar. kl. 14.30 · Byvej 12" in danish and "aftale med en frivillig den 5. mar. kl. 14.30" in danish
    assert "· 3. mar. kl. 10.30</span>" in danish and "i kø til 4. mar. kl. 09.00" in danish
    assert "14:30" not in danish and "10:30" not in danish
    polled = (await client.get(f"{page}/messages.json")).json()
    assert polled["messages"] and {m["when"] for m in polled["messages"]} == {"3. mar. kl. 10.30"}
    await signed_in(rt, client, "volunteer@example.org", "")
    tasks = html.unescape((await client.get("/console/tasks")).text)
    assert "<strong>5. mar. kl. 14.30</strong>" in tasks
    async with rt.db.read() as conn:
        task = (await conn.execute(select(case_tasks.c.id))).scalar_one()
    early = await post_form(client, "/console/tasks", f"/console/appointments/{task}/held", {})
    assert early.status_code == 409
    assert "Aftalen er 5. mar. 2026 kl. 14.30: markér den som holdt" in html.unescape(early.text)
    await signed_in(rt, client, "admin@example.org", "")
    audit = html.unescape((await client.get("/console/audit?action=case.take")).text)
    assert ">3. mar. 2026 kl. 10.30.00</time></td>" in audit


async def test_an_english_reader_sees_english_dates_times_and_amounts_and_a_danish_one_danish(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """Before, the English console wrote days, amounts and times in places the Danish way ('5. mar.', '12.345,00 kr.',
    '2026-03-03 10.30.00'); now as Babel's British English writes them, and the Danish console as before."""
    rt, client = served
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    await signed_in(rt, client, "adviser@example.org", "adviser")
    _, case_id = await held_case(rt, client)  # owes 12,345 kroner
    async with rt.db.write() as conn:
        await conn.execute(update(rent_positions).values(court_date=datetime(2026, 12, 6).date()))
    assert (await book(client, case_id, volunteer)).status_code == 303  # Thursday 5 March, 14:30
    page = f"/console/cases/{case_id}"
    english = html.unescape((await client.get(page)).text)
    assert "DKK\xa012,345.00" in english and "6 Dec 2026" in english and "5 Mar 14:30 · Byvej 12" in english
    assert "kr." not in english and "dec." not in english and "mar." not in english
    await add_person(rt, "admin@example.org", "admin")
    await signed_in(rt, client, "admin@example.org", "")
    audit = html.unescape((await client.get("/console/audit?action=case.take")).text)
    assert ">3 Mar 2026 10:30:00</time></td>" in audit
    async with rt.db.write() as conn:
        await conn.execute(update(staff).values(language="da"))
    danish = html.unescape((await client.get(page)).text)
    assert "12.345,00\xa0kr." in danish and "6. dec. 2026" in danish and "5. mar. kl. 14.30 · Byvej 12" in danish
    assert "DKK" not in danish and "14:30" not in danish


async def test_export_holds_the_appointment_and_erase_blanks_its_place(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    await signed_in(rt, client, "adviser@example.org", "adviser")
    await held_case(rt, client)
    case_id = (await held_case(rt, client, "R-2", "+4520000002"))[1]
    await book(client, case_id, volunteer)
    data = await export_tenant(rt.db, "R-2", rt.clock(), "cli")
    assert [(t["kind"], t["place"], t["advice_kind"]) for t in data["case_tasks"]] == [
        ("appointment", "Byvej 12, 1. th.", "budget")
    ]
    assert (await export_tenant(rt.db, "R-1", rt.clock(), "cli"))["case_tasks"] == []
    await erase(rt.db, "R-2", rt.clock(), "cli", rt.settings.secret_key)
    async with rt.db.read() as conn:
        places = (await conn.execute(select(case_tasks.c.place))).scalars().all()
    assert list(places) == [None]


async def test_retention_blanks_the_place_a_year_after_the_case_closed(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    await signed_in(rt, client, "adviser@example.org", "adviser")
    _, case_id = await held_case(rt, client)
    await book(client, case_id, volunteer)
    closed = START + timedelta(days=2)
    async with rt.db.write() as conn:
        await conn.execute(update(cases).where(cases.c.id == case_id).values(status="closed", closed_at=closed))
    await purge(rt.db, closed + timedelta(days=364), 30)
    async with rt.db.read() as conn:
        assert (await conn.execute(select(case_tasks.c.place))).scalars().all() == ["Byvej 12, 1. th."]
    await purge(rt.db, closed + timedelta(days=366), 30)
    async with rt.db.read() as conn:
        assert (await conn.execute(select(case_tasks.c.place))).scalars().all() == [None]


async def test_admins_see_every_volunteers_held_appointments_and_download_them(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    await signed_in(rt, client, "adviser@example.org", "adviser")
    _, case_id = await held_case(rt, client)
    await book(client, case_id, volunteer, advice_kind="repayment_plan")
    async with rt.db.write() as conn:
        await conn.execute(update(case_tasks).values(status="held"))
    assert (await client.get("/console/activity")).status_code == 403
    await signed_in(rt, client, "volunteer@example.org", "")
    assert (await client.get("/console/activity.csv")).status_code == 403
    await signed_in(rt, client, "admin@example.org", "admin")
    page = (await client.get("/console/activity")).text
    assert "repayment plan" in page and "volunteer@example.org" in page and "Byvej" not in page
    download = await client.get("/console/activity.csv")
    assert download.headers["content-type"].startswith("text/csv")
    # A UTF-8 byte order mark first, so a spreadsheet reads æøå.
    assert download.content.startswith(b"\xef\xbb\xbf")
    assert download.content.decode("utf-8-sig").splitlines() == [
        "Volunteer,Month,Kind of advice,Held",
        "All volunteers,2026-03,repayment plan,1",
        "volunteer@example.org,2026-03,repayment plan,1",
    ]
    # A Danish admin's download: Danish words, separated by semicolons as a Danish spreadsheet opens it.
    async with rt.db.write() as conn:
        await conn.execute(update(staff).where(staff.c.email == "admin@example.org").values(language="da"))
    danish = (await client.get("/console/activity.csv")).content.decode("utf-8-sig").splitlines()
    # The page's own words, as the admin reads them there.
    danish_page = html.unescape((await client.get("/console/activity")).text)
    assert all(f"<th>{word}</th>" in danish_page for word in ("Måned", "Slags rådgivning", "Holdt"))
    assert ">Alle frivillige</h2>" in danish_page
    assert danish == [
        "Frivillig;Måned;Slags rådgivning;Holdt",
        "Alle frivillige;2026-03;afdragsordning;1",
        "volunteer@example.org;2026-03;afdragsordning;1",
    ]
    async with rt.db.read() as conn:
        actions = (await conn.execute(select(audit_log.c.action).where(audit_log.c.action == "activity.export"))).all()
    assert len(actions) == 2  # each download
    # A volunteer with a name is listed by it, on the page and in the download.
    async with rt.db.write() as conn:
        await conn.execute(update(staff).where(staff.c.id == volunteer).values(name="Lise Holm"))
    assert ">Lise Holm</h2>" in (await client.get("/console/activity")).text
    assert "Lise Holm;2026-03;afdragsordning;1" in (await client.get("/console/activity.csv")).text


async def eve_plan(rt: Runtime, when: datetime) -> None:
    """The morning's rent planning as the scheduler runs it, then the sender empties its queue."""
    clock(rt).at = when
    await plan_today(JobServices(rt.db, rt.settings, rt.clock, rt.sender.wake))
    await drain(rt.sender)


async def test_the_appointment_reminder_wins_the_day_and_the_rent_reminder_comes_the_next_day(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """One proactive message a tenant a day: on the eve of an appointment it is the appointment's reminder (the
    tenant meets a person the next day), and the rent planning leaves the tenant out as already contacted that
    day; a tenant with no appointment is reminded as before."""
    rt, client = served
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    await signed_in(rt, client, "adviser@example.org", "adviser")
    _, case_id = await held_case(rt, client)
    assert (await book(client, case_id, volunteer)).status_code == 303  # Thursday 5 March, 14:30
    page = f"/console/cases/{case_id}"
    assert (await post_form(client, page, f"{page}/release", {})).status_code == 303  # back in the queue
    other = "+4520000002"
    # Both owe rent on a known termination: the court stage's reminder is due for both from the eve.
    termination = {"balance_ore": 1234500, "termination_on": datetime(2026, 2, 27).date()}
    async with rt.db.write() as conn:
        await conn.execute(update(rent_positions).values(**termination))
    await add_tenant(rt, "R-2", name="Gamma Tenant", phone=other, **termination)
    await drain(rt.sender)
    before = {phone: len(sandbox(rt)["sms"].to(phone)) for phone in (PHONE, other)}

    eve = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)  # 09:00 on Wednesday, the plan hour
    preview = await plan_reminders(rt.db, rt.settings, eve, dry_run=True)
    assert [row.tenant_ref for row in preview.rows] == ["R-2"]
    assert preview.already_contacted == 1  # shown as "already contacted that day or reminded of the same before"
    await eve_plan(rt, eve)
    await at_time(rt, datetime(2026, 3, 4, 12, 0, tzinfo=UTC))  # the sender looks again later that day
    sent = sandbox(rt)["sms"].to(PHONE)[before[PHONE] :]
    assert len(sent) == 1 and sent[0].text.startswith("Hej Beta. Husk din aftale den 5. marts 2026 kl. 14.30.")
    assert await rows(rt, "appointment.reminder") == [("sent", None)]
    assert len(sandbox(rt)["sms"].to(other)) == before[other] + 1  # reminded as before
    async with rt.db.read() as conn:
        dropped = (await conn.execute(select(func.count()).where(outbox.c.state == "dropped"))).scalar_one()
        planned = (await conn.execute(select(planned_reminders.c.tenant_id))).scalars().all()
    assert dropped == 0
    assert len(planned) == 1  # R-2's only

    await eve_plan(rt, datetime(2026, 3, 5, 8, 0, tzinfo=UTC))  # the policy's next chance
    after = sandbox(rt)["sms"].to(PHONE)[before[PHONE] :]
    assert len(after) == 2 and "aftale" not in after[1].text  # the rent reminder, a day later
    assert len(sandbox(rt)["sms"].to(other)) == before[other] + 1  # nothing twice


async def test_the_court_eve_goes_beside_the_appointment_reminder_and_nothing_is_dropped(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """The court meets on the day of the appointment: on the eve the tenant gets both the court eve's reminder (it has
    no next chance) and the appointment's reminder, the one day with two proactive messages; nothing is dropped."""
    rt, client = served
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    await signed_in(rt, client, "adviser@example.org", "adviser")
    _, case_id = await held_case(rt, client)
    assert (await book(client, case_id, volunteer)).status_code == 303  # Thursday 5 March, 14:30
    page = f"/console/cases/{case_id}"
    assert (await post_form(client, page, f"{page}/release", {})).status_code == 303  # no person holds it now
    court = datetime(2026, 3, 5).date()
    async with rt.db.write() as conn:
        await conn.execute(update(rent_positions).values(balance_ore=1234500, court_date=court))
    await drain(rt.sender)
    before = len(sandbox(rt)["sms"].to(PHONE))

    eve = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)  # 09:00 on Wednesday, the plan hour
    preview = await plan_reminders(rt.db, rt.settings, eve, dry_run=True)
    assert [(row.tenant_ref, row.trigger, "court_eve" in row.computed_from) for row in preview.rows] == [
        ("R-1", "court", True)
    ]
    await eve_plan(rt, eve)
    await at_time(rt, datetime(2026, 3, 4, 12, 0, tzinfo=UTC))  # the sender looks again later that day
    sent = [m.text for m in sandbox(rt)["sms"].to(PHONE)[before:]]
    assert len(sent) == 2
    assert sum(text.startswith("Hej Beta. Husk din aftale den 5. marts 2026 kl. 14.30.") for text in sent) == 1
    assert await rows(rt, "appointment.reminder") == [("sent", None)]
    async with rt.db.read() as conn:
        planned = (await conn.execute(select(planned_reminders.c.trigger, planned_reminders.c.offset_days))).all()
        dropped = (await conn.execute(select(func.count()).where(outbox.c.state == "dropped"))).scalar_one()
    assert [tuple(p) for p in planned] == [("court", 5)]  # the court eve's key: the day of the court date
    assert dropped == 0


@pytest.mark.parametrize("change", ["move", "cancel"])
async def test_a_volunteers_reminder_waiting_for_the_morning_never_gives_the_old_time(
    served: tuple[Runtime, httpx.AsyncClient], change: str
) -> None:
    """The volunteer pressed Send under "Reminder of the appointment" at night (it waits for quiet hours to end), then
    the appointment moved or was cancelled: the text with the old day and time never goes, and after a move the
    reminder of the new time can be sent that same morning."""
    rt, client = served
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    await signed_in(rt, client, "adviser@example.org", "adviser")
    _, case_id = await held_case(rt, client)
    assert (await book(client, case_id, volunteer)).status_code == 303  # 5 March at 14:30
    page = f"/console/cases/{case_id}"
    task = {"volunteer_id": str(volunteer), "task": "Husk aftalen", "due": "2026-03-05"}
    assert (await post_form(client, page, f"{page}/task", task)).status_code == 303
    await drain(rt.sender)
    async with rt.db.read() as conn:
        [appt] = (await conn.execute(select(case_tasks.c.id).where(case_tasks.c.kind == "appointment"))).scalars().all()
    clock(rt).at = datetime(2026, 3, 3, 21, 30, tzinfo=UTC)  # 22:30 in Copenhagen: quiet hours
    await signed_in(rt, client, "volunteer@example.org", "")
    send = {"template": "volunteer.appointment_reminder"}
    assert (await post_form(client, "/console/tasks", f"/console/tasks/{case_id}/send", send)).status_code == 303
    if change == "move":
        form = {"day": "2026-03-10", "time": "10:00", "place": "Beboerhuset, Byvej 2"}
        changed = await post_form(client, "/console/tasks", f"/console/appointments/{appt}/move", form)
    else:
        await signed_in(rt, client, "adviser@example.org", "")
        changed = await post_form(client, page, f"{page}/cancel-appointment", {"task_id": str(appt)})
    assert changed.status_code == 303
    await at_time(rt, datetime(2026, 3, 4, 8, 30, tzinfo=UTC))  # 09:30: quiet hours are over
    reminders = [m.text for m in sandbox(rt)["sms"].to(PHONE) if m.text.startswith("Hej Beta. Vi ses den")]
    assert reminders == []
    reason = "appointment moved" if change == "move" else "appointment cancelled"
    assert await rows(rt, "volunteer.appointment_reminder") == [("held", reason)]
    if change == "move":
        await signed_in(rt, client, "volunteer@example.org", "")
        assert (await post_form(client, "/console/tasks", f"/console/tasks/{case_id}/send", send)).status_code == 303
        await drain(rt.sender)
        reminders = [m.text for m in sandbox(rt)["sms"].to(PHONE) if m.text.startswith("Hej Beta. Vi ses den")]
        assert len(reminders) == 1 and reminders[0].startswith("Hej Beta. Vi ses den 10. marts 2026 kl. 10.00.")


async def test_an_appointment_at_night_is_refused_as_a_slip_for_a_daytime_hour(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """03:00 typed for 15:00 would tell the tenant to come at three in the night: booking and moving refuse a time
    outside 07:00-21:00, say why, and change nothing; 21:00 itself is a time. The refusal is a form to check: the
    booking comes back at itself on the case page with the day, time and place as typed (it was a page of its own,
    409, and what was typed was gone)."""
    rt, client = served
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    await signed_in(rt, client, "adviser@example.org", "adviser")
    _, case_id = await held_case(rt, client)
    refused = await book(client, case_id, volunteer, day="2026-03-06", at="22:15", place="Beboerhuset, Byvej 2")
    assert refused.status_code == 422
    shown = html.unescape(refused.text)
    assert "An appointment begins between 07:00 and 21:00: check the time (22:15)." in shown
    for typed in ('name="day" type="date" value="2026-03-06"', 'value="22:15"', 'value="Beboerhuset, Byvej 2"'):
        assert typed in shown, typed
    assert 'id="book-appointment"' in shown
    assert (await book(client, case_id, volunteer, at="21:00")).status_code == 303
    await signed_in(rt, client, "volunteer@example.org", "")
    async with rt.db.read() as conn:
        [task] = (await conn.execute(select(case_tasks.c.id).where(case_tasks.c.kind == "appointment"))).scalars().all()
    form = {"day": "2026-03-10", "time": "03:00", "place": "Beboerhuset, Byvej 2"}
    moved = await post_form(client, "/console/tasks", f"/console/appointments/{task}/move", form)
    assert moved.status_code == 422 and "check the time (03:00)" in html.unescape(moved.text)
    assert 'value="03:00"' in moved.text and "Beboerhuset, Byvej 2" in html.unescape(moved.text)
    async with rt.db.read() as conn:
        statuses = (await conn.execute(select(case_tasks.c.status).order_by(case_tasks.c.id))).scalars().all()
    assert list(statuses) == ["open"]


async def test_a_booking_sent_twice_books_once_and_a_refused_one_is_refused_again(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """The same booking form sent again (a double click, back and resubmit, a phone's retry) books nothing more and
    the page says it was booked already; before, it was refused as a second appointment (409). A booking refused
    for its time is refused again, with its reason."""
    rt, client = served
    volunteer = await add_person(rt, "volunteer@example.org", "volunteer")
    await signed_in(rt, client, "adviser@example.org", "adviser")
    _, case_id = await held_case(rt, client)
    page = f"/console/cases/{case_id}"
    form = {"volunteer_id": str(volunteer), "place": "Byvej 12, 1. th.", "advice_kind": "budget", "day": "2026-03-05"}
    for refused in await posted_twice(client, page, f"{page}/appointment", {**form, "time": "03:00"}):
        assert refused.status_code == 422 and "check the time (03:00)" in html.unescape(refused.text)
    first, second = await posted_twice(client, page, f"{page}/appointment", {**form, "time": "14:30"})
    assert first.status_code == 303 and first.headers["location"] == f"{page}#case-tasks"
    assert second.status_code == 303 and second.headers["location"] == f"{page}?already=appointment"
    said = html.unescape((await client.get(second.headers["location"])).text)
    assert 'id="recorded-already"' in said and "This appointment was booked already" in said
    await drain(rt.sender)
    assert len(texts(rt)) == 1 and await rows(rt, "appointment.booked") == [("sent", None)]
    async with rt.db.read() as conn:
        booked = (await conn.execute(select(func.count()).where(case_tasks.c.kind == "appointment"))).scalar_one()
        audited = await conn.execute(select(audit_log.c.action).where(audit_log.c.target == f"case:{case_id}"))
    assert booked == 1 and list(audited.scalars()).count("appointment.book") == 1
