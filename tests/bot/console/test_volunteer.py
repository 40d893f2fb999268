"""Volunteers see only their own tasks, send only prepared texts, and cannot open cases or tenants."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import event, func, select, update

from bot.host.consents import withdraw_consent
from bot.host.tasks import add_task
from bot.inbound.inbox import InboundMessage
from bot.outbox.sms_rules import amount_like, forbidden_words_in
from bot.runtime import Runtime
from bot.store.schema import audit_log, case_events, case_tasks, cases, consents, outbox, staff, tenants
from tests.support.console import (
    add_case,
    add_person,
    add_tenant,
    case_row,
    csrf_of,
    form_nonce_of,
    login,
    post_form,
    posted_twice,
    today,
    volunteers_may_see,
    without_tokens,
)
from tests.support.drive import at_local, daytime, drain, process_all, sandbox


async def with_task(
    rt: Runtime, volunteer_id: int, ref: str = "R-1", phone: str | None = "+4520000001", chat_id: int | None = None
) -> tuple[int, int]:
    adviser = await add_person(rt, f"adviser-{ref}@example.org", "adviser")
    tenant = await add_tenant(rt, ref, name="Beta Tenant", phone=phone, chat_id=chat_id, balance_ore=1234500)
    case_id = await add_case(rt, tenant)
    async with rt.db.write() as conn:
        await conn.execute(
            update(cases)
            .where(cases.c.id == case_id)
            .values(
                status="volunteer",
                assignee_id=adviser,
                volunteer_id=volunteer_id,
                volunteer_task="Remind about Thursday",
                volunteer_due=today(rt) + timedelta(days=1),
            )
        )
    # The tenant's signed consent to share their contact with the volunteers' organisation, as a task needs.
    await volunteers_may_see(rt, case_id)
    return tenant, case_id


async def test_a_volunteer_sees_first_name_channel_phone_task_and_due_date_only(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    other = await add_person(runtime, "other@example.org", "volunteer")
    await with_task(runtime, me)
    await with_task(runtime, other, "R-2", "+4520000002")
    response = await login(client, "volunteer@example.org")
    assert response.headers["location"] == "/console/tasks"
    page = without_tokens((await client.get("/console/tasks")).text)
    assert "Beta" in page and "Remind about Thursday" in page and "by SMS" in page
    assert page.count('class="card task"') == 1
    for secret in ("Tenant", "12.345", "+4520000002", "20 00 00 02", "R-1", "wants to talk"):
        assert secret not in page


def card(page: str, case_id: int) -> str:
    """A task's card on the volunteer's list."""
    return page.split(f'data-task="{case_id}"', 1)[1].split('<div class="card', 1)[0]


async def test_the_card_has_the_number_to_tap_while_the_consent_to_share_the_contact_stands(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The consent to share the tenant's contact ("dit navn og dit telefonnummer") covers the number: the task and
    the appointment show it as it is dialled, a link a phone calls; the view is audited naming both. Withdrawn, both
    leave the list with the number."""
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    tenant, case_id = await with_task(runtime, me)
    async with runtime.db.write() as conn:
        appointment = await conn.run_sync(
            lambda c: add_task(
                c,
                case_id=case_id,
                tenant_id=tenant,
                kind="appointment",
                now=runtime.clock(),
                assignee_id=me,
                at=runtime.clock() + timedelta(days=2),
                place="Skolevej 12",
                advice_kind="budget",
            )
        )
    await login(client, "volunteer@example.org")
    page = (await client.get("/console/tasks")).text
    link = '<a href="tel:+4520000001">20 00 00 01</a>'
    assert link in card(page, case_id) and "No phone number" not in card(page, case_id)
    assert link in page.split(f'data-appointment="{appointment}"', 1)[1]
    async with runtime.db.read() as conn:
        viewed = (await conn.execute(select(audit_log.c.detail).where(audit_log.c.action == "tasks.view"))).scalars()
        assert list(viewed) == [f"case:{case_id},task:{appointment}"]
    async with runtime.db.write() as conn:
        consent = (await conn.execute(select(consents.c.id).where(consents.c.recipient_kind == "volunteer_org"))).one()
        assert await conn.run_sync(lambda sync: withdraw_consent(sync, consent.id, runtime.clock()))
    page = (await client.get("/console/tasks")).text
    assert 'id="withheld"' in page and 'class="card task"' not in page
    assert "tel:" not in page and "20 00 00 01" not in page


async def test_a_tenant_on_telegram_only_has_no_number_and_no_call_announced(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """No number to call: the card says to write with the prepared texts, and the text saying someone calls
    tomorrow is neither offered nor sent when its form is posted all the same."""
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    _, case_id = await with_task(runtime, me, phone=None, chat_id=7001)
    await login(client, "volunteer@example.org")
    page = (await client.get("/console/tasks")).text
    shown = card(page, case_id)
    assert "by Telegram" in shown and "tel:" not in shown
    assert "No phone number to call: write to them only with the prepared messages." in shown
    assert offered(page, case_id) == [] and "No prepared message fits this task now." in shown
    # As another card's form would post it (the page has none for this task), with a well-made one-time value.
    forged_form = {"template": "volunteer.call_tomorrow", "nonce": "AAAAAAAAAAAAAAAA-1"}
    forged = await post_form(client, "/console/tasks", f"/console/tasks/{case_id}/send", forged_form)
    assert forged.status_code == 422 and "no phone number to call this tenant on" in forged.text
    await drain(runtime.sender)
    assert sandbox(runtime)["telegram"].to("7001") == []
    async with runtime.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(outbox))).scalar_one() == 0


async def test_a_number_the_tenant_said_is_not_theirs_is_not_shown(runtime: Runtime, client: httpx.AsyncClient) -> None:
    """WRONG NUMBER: whoever has the number now would hear whom the organisation is looking for."""
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    tenant, case_id = await with_task(runtime, me)
    async with runtime.db.write() as conn:
        await conn.execute(update(tenants).where(tenants.c.id == tenant).values(status="wrong_number"))
    await login(client, "volunteer@example.org")
    page = (await client.get("/console/tasks")).text
    shown = card(page, case_id)
    assert "tel:" not in shown and "20 00 00 01" not in shown and "No phone number to call" in shown
    assert "volunteer.call_tomorrow" not in offered(page, case_id)


@pytest.mark.parametrize(
    "path",
    [
        "/console/cases/{case}",
        "/console/cases/{case}/messages.json",
        "/console/tenants/{tenant}",
        "/console/tenants?ref=R-1",
        "/console/audit",
        "/console/staff",
        "/console/admin",
    ],
)
async def test_a_volunteer_gets_403_for_case_and_tenant_urls(
    runtime: Runtime, client: httpx.AsyncClient, path: str
) -> None:
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    tenant, case_id = await with_task(runtime, me)
    await login(client, "volunteer@example.org")
    response = await client.get(path.format(case=case_id, tenant=tenant))
    assert response.status_code == 403
    assert "12.345" not in response.text and "+4520000001" not in response.text


async def test_a_volunteer_cannot_post_case_actions(runtime: Runtime, client: httpx.AsyncClient) -> None:
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    _, case_id = await with_task(runtime, me)
    await login(client, "volunteer@example.org")
    response = await post_form(client, "/console/tasks", f"/console/cases/{case_id}/close", {"outcome": "paid"})
    assert response.status_code == 403
    assert (await case_row(runtime, case_id)).status == "volunteer"


async def test_a_volunteer_sends_a_prepared_text_and_hands_back(runtime: Runtime, client: httpx.AsyncClient) -> None:
    daytime(runtime)
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    other = await add_person(runtime, "other@example.org", "volunteer")
    _, case_id = await with_task(runtime, me)
    _, not_mine = await with_task(runtime, other, "R-2", "+4520000002")
    await login(client, "volunteer@example.org")
    own = "/console/tasks"
    sent = await post_form(client, own, f"/console/tasks/{case_id}/send", {"template": "volunteer.call_tomorrow"})
    assert sent.status_code == 303
    await drain(runtime.sender)
    text = sandbox(runtime)["sms"].to("+4520000001")[-1].text
    assert text.startswith("Hej Beta.") and "i morgen" in text
    free = await post_form(client, own, f"/console/tasks/{case_id}/send", {"template": "case.reply"})
    assert free.status_code == 422
    theirs = await post_form(client, own, f"/console/tasks/{not_mine}/done", {})
    assert theirs.status_code == 404
    assert (await post_form(client, own, f"/console/tasks/{case_id}/done", {})).status_code == 303
    row = await case_row(runtime, case_id)
    assert (row.status, row.volunteer_id) == ("taken", None)


async def test_the_adviser_takes_back_a_task_whose_volunteer_left(runtime: Runtime, client: httpx.AsyncClient) -> None:
    """The volunteer is deactivated (or the consent the task needed ends): the page still names them, and the
    adviser who holds the case takes the task back instead of having to close the case."""
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    _, case_id = await with_task(runtime, me)
    async with runtime.db.write() as conn:
        await conn.execute(update(staff).where(staff.c.id == me).values(active=False))
    await login(client, "adviser-R-1@example.org")
    page = f"/console/cases/{case_id}"
    shown = (await client.get(page)).text
    assert "Task for volunteer@example.org" in shown and 'id="take-back"' in shown
    assert (await post_form(client, page, f"{page}/take-back", {})).status_code == 303
    row = await case_row(runtime, case_id)
    assert (row.status, row.volunteer_id, row.assignee_id) == ("taken", None, row.assignee_id)
    assert (await post_form(client, page, f"{page}/release", {})).status_code == 303  # the case moves again
    assert (await case_row(runtime, case_id)).status == "waiting"


async def test_take_back_sent_twice_takes_the_task_back_once_and_the_page_says_so(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Before, a second "Take the task back" (a double click, back and resubmit, a phone's retry) was refused: the
    task was back already, and the adviser read a refusal of what had just worked."""
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    _, case_id = await with_task(runtime, me)
    await login(client, "adviser-R-1@example.org")
    page = f"/console/cases/{case_id}"
    first, second = await posted_twice(client, page, f"{page}/take-back", {})
    assert first.status_code == 303 and first.headers["location"] == page
    assert second.status_code == 303 and second.headers["location"] == f"{page}?already=task_taken_back"
    shown = html.unescape((await client.get(second.headers["location"])).text)
    assert 'id="recorded-already"' in shown and "This task was taken back already: the form was sent twice" in shown
    async with runtime.db.read() as conn:
        kinds = (await conn.execute(select(case_events.c.kind).where(case_events.c.case_id == case_id))).scalars().all()
        audited = await conn.execute(select(audit_log.c.action).where(audit_log.c.target == f"case:{case_id}"))
        actions = list(audited.scalars())
    assert kinds.count("task_taken_back") == 1 and actions.count("task.take_back") == 1
    row = await case_row(runtime, case_id)
    assert (row.status, row.volunteer_id) == ("taken", None)


async def test_a_double_click_on_send_sends_the_text_once(runtime: Runtime, client: httpx.AsyncClient) -> None:
    daytime(runtime)
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    _, case_id = await with_task(runtime, me)
    await login(client, "volunteer@example.org")
    page = (await client.get("/console/tasks")).text
    action = f"/console/tasks/{case_id}/send"
    form = {"template": "volunteer.call_tomorrow", "csrf_token": csrf_of(page)}
    for _ in range(2):  # the same form posted twice, as a double click does
        assert (await client.post(action, data=form)).status_code == 303
    await drain(runtime.sender)
    assert len(sandbox(runtime)["sms"].to("+4520000001")) == 1


async def test_a_sent_notice_whose_task_is_no_number_is_the_plain_notice(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The notice after a Send reads its task from the address: "²" (a digit to `isdigit`, not to `int`) or a number
    past any id answered with a 500. It is no task then, and the page says the message is on its way."""
    daytime(runtime)
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    _, case_id = await with_task(runtime, me)
    await login(client, "volunteer@example.org")
    await press_send(client, case_id)
    for task in ("%C2%B2", "٣", "99999999999999999999", str(case_id)):
        page = await client.get(f"/console/tasks?sent=already&task={task}&text=volunteer.call_tomorrow")
        assert page.status_code == 200, (task, page.status_code)
        said = notice(html.unescape(page.text))
        if task == str(case_id):
            assert said.startswith("This message went to the tenant for this task today already"), said
        else:
            assert said == "The message is on its way.", (task, said)


# Sunday 6 December, 04:33 in Copenhagen (quiet hours 20:00-09:00), and that morning; a Tuesday at 10:00 and the
# Wednesday after.
NIGHT = datetime(2026, 12, 6, 4, 33)
BEFORE_MORNING = datetime(2026, 12, 6, 8, 59)
MORNING = datetime(2026, 12, 6, 9, 0)
LATER_THAT_MORNING = datetime(2026, 12, 6, 10, 15)
TUESDAY = datetime(2026, 3, 3, 10, 0)
WEDNESDAY = datetime(2026, 3, 4, 10, 0)


async def press_send(client: httpx.AsyncClient, case_id: int, template: str = "volunteer.call_tomorrow") -> str:
    """Open the task list, press Send under a prepared text, and read the page it comes back to."""
    pressed = await post_form(client, "/console/tasks", f"/console/tasks/{case_id}/send", {"template": template})
    assert pressed.status_code == 303
    return html.unescape((await client.get(pressed.headers["location"])).text)


def notice(page: str) -> str:
    """What the page says of the Send just pressed."""
    return page.split('id="sent">', 1)[1].split("</p>", 1)[0]


def last_sent(page: str, case_id: int) -> list[str]:
    """What a task card says of its prepared texts sent before."""
    return re.findall(r'class="muted last-sent">([^<]*)</p>', html.unescape(card(page, case_id)))


async def test_a_call_notice_sent_at_night_waits_for_the_morning_and_goes_once(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Send pressed at 04:33 on a Sunday: the tenant's phone stays silent until quiet hours end at 09:00 (that
    morning, a quiet day or not: "we call tomorrow" still means Monday), the page says when it goes, and Send
    pressed again after the page reloaded, that night or after it went, brings the tenant nothing more."""
    at_local(runtime, NIGHT)
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    _, case_id = await with_task(runtime, me)
    await login(client, "volunteer@example.org")
    page = await press_send(client, case_id)
    assert notice(page) == "The message goes 6 Dec 09:00, after quiet hours."
    assert last_sent(page, case_id) == ["“We will call tomorrow”: queued until 6 Dec 09:00"]
    await drain(runtime.sender)
    assert sandbox(runtime)["sms"].to("+4520000001") == []

    again = await press_send(client, case_id)
    assert notice(again) == (
        "This message went to the tenant for this task today already (queued until 6 Dec 09:00): it is not sent again."
    )
    at_local(runtime, BEFORE_MORNING)
    await drain(runtime.sender)
    assert sandbox(runtime)["sms"].to("+4520000001") == []
    at_local(runtime, MORNING)
    await drain(runtime.sender)
    got = [m.text for m in sandbox(runtime)["sms"].to("+4520000001")]
    assert len(got) == 1 and got[0].startswith("Hej Beta.") and "i morgen" in got[0]

    at_local(runtime, LATER_THAT_MORNING)
    await login(client, "volunteer@example.org")
    page = await press_send(client, case_id)
    assert notice(page).startswith("This message went to the tenant for this task today already (sent 6 Dec 09:0")
    assert last_sent(page, case_id)[0].startswith("“We will call tomorrow”: sent 6 Dec 09:0")
    await drain(runtime.sender)
    assert len(sandbox(runtime)["sms"].to("+4520000001")) == 1


async def test_a_volunteer_reading_danish_is_told_when_the_night_text_goes(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    at_local(runtime, NIGHT)
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    async with runtime.db.write() as conn:
        await conn.execute(update(staff).where(staff.c.id == me).values(language="da"))
    _, case_id = await with_task(runtime, me)
    await login(client, "volunteer@example.org")
    page = await press_send(client, case_id)
    assert notice(page) == "Beskeden sendes 6. dec. kl. 09.00, efter stilletiden."
    assert notice(await press_send(client, case_id)) == (
        "Beskeden er allerede sendt til lejeren for denne opgave i dag (i kø til 6. dec. kl. 09.00): "
        "den sendes ikke igen."
    )


async def test_a_call_notice_by_day_goes_at_once_and_once_that_day(runtime: Runtime, client: httpx.AsyncClient) -> None:
    """By day the text goes at once and the card says when; a reload and Send again that day sends nothing more, the
    next day it goes again."""
    at_local(runtime, TUESDAY)
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    _, case_id = await with_task(runtime, me)
    await login(client, "volunteer@example.org")
    assert last_sent((await client.get("/console/tasks")).text, case_id) == []
    assert notice(await press_send(client, case_id)) == "The message is on its way."
    await drain(runtime.sender)
    assert len(sandbox(runtime)["sms"].to("+4520000001")) == 1
    page = await press_send(client, case_id)
    assert notice(page).startswith("This message went to the tenant for this task today already (sent 3 Mar 10:0")
    assert last_sent(page, case_id)[0].startswith("“We will call tomorrow”: sent 3 Mar 10:0")
    await drain(runtime.sender)
    assert len(sandbox(runtime)["sms"].to("+4520000001")) == 1

    at_local(runtime, WEDNESDAY)
    await login(client, "volunteer@example.org")
    assert notice(await press_send(client, case_id)) == "The message is on its way."
    await drain(runtime.sender)
    assert len(sandbox(runtime)["sms"].to("+4520000001")) == 2
    page = html.unescape((await client.get("/console/tasks")).text)
    assert last_sent(page, case_id)[0].startswith("“We will call tomorrow”: sent 4 Mar 10:0")


@pytest.mark.parametrize("ending", ["done", "needs-adviser", "take-back", "close"])
async def test_a_text_waiting_for_the_morning_goes_only_if_the_volunteer_still_stands_behind_it(
    runtime: Runtime, client: httpx.AsyncClient, ending: str
) -> None:
    """Send pressed at night, then the task leaves the volunteer before quiet hours end (they ask for an adviser, the
    adviser takes it back or closes the case): in the morning the tenant does not read "we call you tomorrow" from a
    task nobody has any more, and the case page says why it did not go. Marked done by the volunteer, it goes (a
    reminder sent at night, then the task done)."""
    at_local(runtime, NIGHT)
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    _, case_id = await with_task(runtime, me)
    await login(client, "volunteer@example.org")
    await press_send(client, case_id)
    page = f"/console/cases/{case_id}"
    if ending in ("done", "needs-adviser"):
        ended = await post_form(client, "/console/tasks", f"/console/tasks/{case_id}/{ending}", {})
    else:
        await login(client, "adviser-R-1@example.org")
        ended = await post_form(client, page, f"{page}/{ending}", {"outcome": "paid"} if ending == "close" else {})
    assert ended.status_code == 303
    at_local(runtime, MORNING)
    await drain(runtime.sender)
    texts = [m.text for m in sandbox(runtime)["sms"].to("+4520000001")]
    async with runtime.db.read() as conn:
        rows = (await conn.execute(select(outbox.c.state).where(outbox.c.template.like("volunteer.%")))).scalars()
        states = list(rows)
    await login(client, "adviser-R-1@example.org")
    shown = html.unescape((await client.get(page)).text)
    why = "the volunteer's task ended before it went out (handed on, taken back or the case closed)"
    if ending == "done":
        assert len([t for t in texts if "i morgen" in t]) == 1 and states == ["sent"] and why not in shown
    else:
        assert [t for t in texts if "i morgen" in t] == [] and states == ["held"] and why in shown


def offered(page: str, case_id: int) -> list[str]:
    """The prepared texts a task's form offers (none, without the form)."""
    return re.findall(r'<option value="([^"]+)"', card(page, case_id))


async def test_the_appointment_reminder_is_offered_and_sent_only_for_an_appointment_to_come(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    daytime(runtime)
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    tenant, case_id = await with_task(runtime, me)
    await login(client, "volunteer@example.org")
    # No appointment: only the call, and a reminder posted all the same is refused and sends nothing.
    assert offered((await client.get("/console/tasks")).text, case_id) == ["volunteer.call_tomorrow"]
    refused = await post_form(
        client, "/console/tasks", f"/console/tasks/{case_id}/send", {"template": "volunteer.appointment_reminder"}
    )
    assert refused.status_code == 422
    assert "no appointment with you" in refused.text
    await drain(runtime.sender)
    assert sandbox(runtime)["sms"].to("+4520000001") == []
    # An appointment that has passed is no better; one to come brings the reminder.
    for days, reminder in ((-1, False), (2, True)):
        async with runtime.db.write() as conn:
            await conn.execute(update(case_tasks).where(case_tasks.c.case_id == case_id).values(status="held"))
            await conn.run_sync(
                lambda c, d=days: add_task(
                    c,
                    case_id=case_id,
                    tenant_id=tenant,
                    kind="appointment",
                    now=runtime.clock(),
                    assignee_id=me,
                    at=runtime.clock() + timedelta(days=d),
                    place="Skolevej 12",
                    advice_kind="budget",
                )
            )
        shown = offered((await client.get("/console/tasks")).text, case_id)
        assert ("volunteer.appointment_reminder" in shown) is reminder
    sent = await post_form(
        client, "/console/tasks", f"/console/tasks/{case_id}/send", {"template": "volunteer.appointment_reminder"}
    )
    assert sent.status_code == 303
    await drain(runtime.sender)
    # It says when and where: the appointment to come, not the one that passed.
    local = (runtime.clock() + timedelta(days=2)).astimezone(ZoneInfo(runtime.settings.timezone))
    text = sandbox(runtime)["sms"].to("+4520000001")[-1].text
    assert text.startswith("Hej Beta.") and f"den {local.day}. " in text and f"kl. {local:%H.%M}" in text
    assert "Sted: Skolevej 12." in text


async def test_closing_a_case_ends_its_volunteers_task_on_the_record(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The close form says the volunteer's task ends with the case; once closed, the volunteer's list says the task
    ended because the case closed (its words and due day, nothing of the tenant), and the case's events say so."""
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    _, case_id = await with_task(runtime, me)
    async with runtime.db.write() as conn:  # the event giving the task says when it was given
        given = {"case_id": case_id, "kind": "task", "text": "Remind about Thursday", "at": runtime.clock()}
        await conn.execute(case_events.insert().values(**given))
    await login(client, "adviser-R-1@example.org")
    page = f"/console/cases/{case_id}"
    form = html.unescape((await client.get(page)).text).split(f'action="{page}/close"')[1].split("</form>")[0]
    assert (
        "volunteer@example.org has an open task on this case, due " in form
        and "closing the case ends the task, and their task list says it ended because the case closed." in form
    )
    assert (await post_form(client, page, f"{page}/close", {"outcome": "paid"})).status_code == 303
    assert 'id="close-ends-task"' not in (await client.get(page)).text
    async with runtime.db.read() as conn:
        ended = (await conn.execute(select(case_events.c.staff_id).where(case_events.c.kind == "task_ended"))).scalars()
        assert list(ended) == [me]
    await login(client, "volunteer@example.org")
    tasks = (await client.get("/console/tasks")).text
    notice = tasks.split('id="ended"')[1].split("</div>")[0]
    assert "Ended: the adviser closed the case, so this task is no longer to be done." in notice
    # When it was given, was due and ended: not its words, nothing of the tenant (a closed case shares nothing).
    assert notice.count("<li>") == 1 and "given " in notice and "Due " in notice and "ended " in notice
    assert "Remind about Thursday" not in notice and "Beta" not in notice
    assert 'class="card task"' not in tasks and "No tasks for you" in tasks
    # Ended more than a fortnight ago, it has left the list.
    async with runtime.db.write() as conn:
        fortnight_ago = runtime.clock() - timedelta(days=15)
        await conn.execute(update(case_events).where(case_events.c.kind == "task_ended").values(at=fortnight_ago))
    assert 'id="ended"' not in (await client.get("/console/tasks")).text


async def test_needs_an_adviser_puts_the_case_back_in_the_queue(runtime: Runtime, client: httpx.AsyncClient) -> None:
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    _, case_id = await with_task(runtime, me)
    await login(client, "volunteer@example.org")
    why = {"why": "Hun vil tale om en afdragsordning"}
    response = await post_form(client, "/console/tasks", f"/console/tasks/{case_id}/needs-adviser", why)
    assert response.status_code == 303
    case = await case_row(runtime, case_id)
    # Back in the queue, held by nobody (the case page said "venter" and "hos" the adviser of before).
    assert (case.status, case.assignee_id, case.volunteer_id) == ("waiting", None, None)
    assert "No tasks for you" in (await client.get("/console/tasks")).text
    async with runtime.db.read() as conn:
        said = (await conn.execute(select(case_events.c.text).where(case_events.c.kind == "needs_adviser"))).all()
    assert [tuple(row) for row in said] == [("Hun vil tale om en afdragsordning",)]


@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize("key", ["volunteer.appointment_reminder", "volunteer.call_tomorrow"])
@pytest.mark.parametrize("channel", ["sms", "telegram"])
def test_prepared_texts_follow_the_sms_rule(runtime: Runtime, language: str, key: str, channel: str) -> None:
    values: dict[str, object] = {"first_name": "Beta"}
    if key == "volunteer.appointment_reminder":
        values |= {"day": date(2027, 2, 24), "time": "14:30", "place": "Skolevej 12, 2. th."}
    text = runtime.renderer.render(key, values, language, channel).text  # type: ignore[arg-type]
    assert "Beta" in text and len(text) <= 160
    # The rule every template keeps (`keephome check`): the appointment's day and time are numbers, not amounts.
    assert not amount_like(text) and forbidden_words_in(text, runtime.settings.forbidden_words) == []


# Words that would tell the tenant the call was agreed with them: the volunteer's text cannot know it was.
_AGREED = {"da": "aftalt", "en": "agreed", "ar": "اتفقنا", "tr": "Konuştuğumuz"}
# How each language offers another time instead.
_ANOTHER_TIME = {
    "da": ("anden tid", "andet tidspunkt"),
    "en": ("another time",),
    "ar": ("وقت آخر",),
    "tr": ("Başka bir saat", "Başka saat"),
}


@pytest.mark.parametrize("language", sorted(_AGREED))
@pytest.mark.parametrize("channel", ["sms", "telegram"])
def test_the_call_text_claims_no_agreement_and_offers_another_time(
    runtime: Runtime, language: str, channel: str
) -> None:
    values = {"first_name": "Beta", "org_name": "Boligforeningen"}
    text = runtime.renderer.render("volunteer.call_tomorrow", values, language, channel).text  # type: ignore[arg-type]
    assert _AGREED[language].casefold() not in text.casefold()
    assert any(words in text for words in _ANOTHER_TIME[language])


@pytest.mark.parametrize(
    ("action", "kind", "said", "first_said"),
    [
        ("done", "task_done", "marked done already", "Marked done: the task has left your list"),
        ("needs-adviser", "needs_adviser", "handed to an adviser already", "Handed on: the task has left your list"),
    ],
)
async def test_done_or_needs_an_adviser_sent_twice_acts_once_and_the_list_says_so(
    runtime: Runtime, client: httpx.AsyncClient, action: str, kind: str, said: str, first_said: str
) -> None:
    """Before, the second submit (a double click, back and resubmit, a phone's retry) found the task gone from the
    volunteer and showed a refusal (404 "This task is not yours, or it is finished")."""
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    _, case_id = await with_task(runtime, me)
    await login(client, "volunteer@example.org")
    first, second = await posted_twice(client, "/console/tasks", f"/console/tasks/{case_id}/{action}", {"why": "x"})
    assert first.status_code == 303 and first.headers["location"] == f"/console/tasks?finished={kind}"
    # The first says what it did (the task left the list: before, the list just lost it without a word).
    done = (await client.get(first.headers["location"])).text
    assert 'id="finished"' in done and first_said in done and 'id="recorded-already"' not in done
    assert second.status_code == 303 and second.headers["location"] == f"/console/tasks?already={kind}"
    shown = (await client.get(second.headers["location"])).text
    assert 'id="recorded-already"' in shown and f"This task was {said}: the form was sent twice" in shown
    async with runtime.db.read() as conn:
        kinds = (await conn.execute(select(case_events.c.kind).where(case_events.c.case_id == case_id))).scalars().all()
        audited = await conn.execute(select(audit_log.c.action).where(audit_log.c.target == f"case:{case_id}"))
    assert list(kinds).count(kind) == 1 and list(audited.scalars()).count(f"task.{kind.removeprefix('task_')}") == 1
    # A form from another page (its own one-time value) on a task no longer theirs is still refused.
    again = await client.post(
        f"/console/tasks/{case_id}/{action}", data={"nonce": "nonce-other-1", "csrf_token": csrf_of(shown)}
    )
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (
            "da",
            "Tak. En økonomisk rådgiver ser snart på din sag. Indtil da svarer vi dig her. Svar STOP for at afmelde.",
        ),
        (
            "en",
            "Thank you. An adviser will look at your case soon. Until then, we will answer you here. "
            "Reply STOP to unsubscribe.",
        ),
    ],
)
async def test_a_task_handed_to_an_adviser_tells_the_tenant_an_adviser_will_look_not_that_one_let_go(
    runtime: Runtime, client: httpx.AsyncClient, language: str, said: str
) -> None:
    """No adviser let go of the tenant, and what they were told (an appointment booked) still stands: the word they
    get says an adviser will look at their case, and nothing that sounds like the end of it."""
    daytime(runtime)
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    tenant, case_id = await with_task(runtime, me)
    async with runtime.db.write() as conn:
        await conn.execute(update(tenants).where(tenants.c.id == tenant).values(language=language))
    await login(client, "volunteer@example.org")
    handed = await post_form(client, "/console/tasks", f"/console/tasks/{case_id}/needs-adviser", {"why": ""})
    assert handed.status_code == 303
    await drain(runtime.sender)
    got = [m.text for m in sandbox(runtime)["sms"].to("+4520000001")]
    assert got == [said]


async def tenant_writes(rt: Runtime, text: str, provider_id: str) -> None:
    await rt.inbox.submit(InboundMessage("sms", provider_id, "+4520000001", text))
    await process_all(rt.processor)


def answers(page: str, case_id: int) -> list[str]:
    """What a task card shows of the tenant's answers, one line each, as read."""
    found = re.findall(r'<li class="answer[^"]*">(.*?)</li>', card(page, case_id), re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", "", f)).split()) for f in found]


async def test_a_volunteer_sees_that_the_tenant_answered_their_text_and_when_not_the_words_without_consent(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """ "We call tomorrow" asks the tenant to write if another time suits them: what they write back shows on the
    task, unanswered, until the volunteer says they answered. Their consent covers their contact only: the card says
    that they answered and when, not their words; what they wrote before the text is not the task's."""
    daytime(runtime)
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    _, case_id = await with_task(runtime, me)
    await tenant_writes(runtime, "før teksten", "SM-before")
    await login(client, "volunteer@example.org")
    await press_send(client, case_id)
    await drain(runtime.sender)
    page = without_tokens((await client.get("/console/tasks")).text)
    assert answers(page, case_id) == [] and 'id="answered-' not in page
    runtime.clock.offset += timedelta(minutes=5)
    await tenant_writes(runtime, "kan i ringe efter kl 14?", "SM-after")
    page = html.unescape((await client.get("/console/tasks")).text)
    shown = answers(page, case_id)
    assert len(shown) == 1
    assert shown[0].endswith(
        "Their words are not shared with your organisation: call them, or hand it on to an adviser. · Not answered yet"
    )
    assert "kl 14" not in page and "før teksten" not in page and "Beta wrote back" in page

    answered = await post_form(client, "/console/tasks", f"/console/tasks/{case_id}/answered", {})
    assert answered.status_code == 303
    page = html.unescape((await client.get("/console/tasks")).text)
    assert answers(page, case_id)[0].endswith("· answered") and f'id="answered-{case_id}"' not in page
    async with runtime.db.read() as conn:
        kinds = (await conn.execute(select(case_events.c.kind).where(case_events.c.case_id == case_id))).scalars()
        assert list(kinds).count("answered") == 1
    # They write again: that one waits for an answer.
    runtime.clock.offset += timedelta(minutes=5)
    await tenant_writes(runtime, "eller i morgen tidlig", "SM-again")
    page = html.unescape((await client.get("/console/tasks")).text)
    assert [line.rsplit(" · ", 1)[1] for line in answers(page, case_id)] == ["answered", "Not answered yet"]


async def test_with_consent_to_share_the_conversation_the_volunteer_reads_the_answer_but_never_about_money(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    daytime(runtime)
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    _, case_id = await with_task(runtime, me)
    await volunteers_may_see(runtime, case_id, kinds=("contact", "conversation"))
    await login(client, "volunteer@example.org")
    await press_send(client, case_id)
    await drain(runtime.sender)
    runtime.clock.offset += timedelta(minutes=5)
    await tenant_writes(runtime, "kan i ringe efter kl 14?", "SM-time")
    runtime.clock.offset += timedelta(minutes=5)
    await tenant_writes(runtime, "jeg kan betale 2000 kr fredag", "SM-money")
    page = html.unescape((await client.get("/console/tasks")).text)
    shown = [line.split(" · ", 1)[1] for line in answers(page, case_id)]
    assert shown == [
        "kan i ringe efter kl 14? · Not answered yet",
        "They wrote about money, which is for the adviser: hand it on to an adviser. · Not answered yet",
    ]
    assert "2000 kr" not in page and "betale" not in page
    # The tenant's own words keep their direction (Arabic reads right to left inside the Danish page).
    assert '<q dir="auto">kan i ringe efter kl 14?</q>' in page


async def test_the_advisers_reply_answers_what_the_tenant_wrote_back_on_the_volunteers_task(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    daytime(runtime)
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    _, case_id = await with_task(runtime, me)
    await login(client, "volunteer@example.org")
    await press_send(client, case_id)
    await drain(runtime.sender)
    runtime.clock.offset += timedelta(minutes=5)
    await tenant_writes(runtime, "kan i ringe efter kl 14?", "SM-after")
    await login(client, "adviser-R-1@example.org")
    page = f"/console/cases/{case_id}"
    replied = await post_form(client, page, f"{page}/reply", {"text": "Ja, vi ringer efter kl. 14."})
    assert replied.status_code == 303
    await drain(runtime.sender)
    assert sandbox(runtime)["sms"].to("+4520000001")[-1].text.startswith("Ja, vi ringer efter kl. 14.")
    await login(client, "volunteer@example.org")
    tasks = html.unescape((await client.get("/console/tasks")).text)
    assert answers(tasks, case_id)[0].endswith("· answered") and f'id="answered-{case_id}"' not in tasks


async def tasks_written_back(rt: Runtime, client: httpx.AsyncClient, first: int = 1, count: int = 2) -> list[int]:
    """Tasks of one volunteer, one tenant each, each of whom wrote back after the volunteer's text: all unanswered."""
    daytime(rt)
    async with rt.db.read() as conn:
        me = (await conn.execute(select(staff.c.id).where(staff.c.email == "volunteer@example.org"))).scalar()
    me = me or await add_person(rt, "volunteer@example.org", "volunteer")
    phones = [f"+452000000{n}" for n in range(first, first + count)]
    tasks = [(await with_task(rt, me, f"R-{phone}", phone))[1] for phone in phones]
    await login(client, "volunteer@example.org")
    for case_id in tasks:
        await press_send(client, case_id)
    await drain(rt.sender)
    rt.clock.offset += timedelta(minutes=5)
    for phone in phones:
        await rt.inbox.submit(InboundMessage("sms", f"SM-back-{phone}", phone, "kan i ringe efter kl 14?"))
    await process_all(rt.processor)
    return tasks


async def test_each_cards_i_have_answered_them_pressed_from_one_page_records_once(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Before, every card carried the page's one nonce: the second card's press, from a page not reloaded after the
    first's, found that nonce used (by the first card's event) and recorded nothing, and its answer stayed open."""
    tasks = await tasks_written_back(runtime, client)
    page = (await client.get("/console/tasks")).text
    for case_id in tasks:
        action = f"/console/tasks/{case_id}/answered"
        form = {"nonce": form_nonce_of(page, action) or "", "csrf_token": csrf_of(page)}
        # Pressed twice (a double click): recorded once.
        assert (await client.post(action, data=form)).status_code == 303
        assert (await client.post(action, data=form)).status_code == 303
    shown = html.unescape((await client.get("/console/tasks")).text)
    for case_id in tasks:
        assert [line.rsplit(" · ", 1)[1] for line in answers(shown, case_id)] == ["answered"]
    async with runtime.db.read() as conn:
        recorded = (await conn.execute(select(case_events.c.case_id).where(case_events.c.kind == "answered"))).scalars()
    assert sorted(recorded) == sorted(tasks)


async def test_each_cards_done_pressed_from_one_page_does_its_task(runtime: Runtime, client: httpx.AsyncClient) -> None:
    """The same for "Done": the second card's press from the page as it was first shown finishes its own task."""
    tasks = await tasks_written_back(runtime, client)
    page = (await client.get("/console/tasks")).text
    for case_id in tasks:
        action = f"/console/tasks/{case_id}/done"
        form = {"nonce": form_nonce_of(page, action) or "", "csrf_token": csrf_of(page)}
        done = await client.post(action, data=form)
        assert done.status_code == 303 and done.headers["location"].startswith("/console/tasks?finished=task_done")
    async with runtime.db.read() as conn:
        finished = await conn.execute(select(case_events.c.case_id).where(case_events.c.kind == "task_done"))
    assert sorted(finished.scalars()) == sorted(tasks)
    assert 'class="card task"' not in (await client.get("/console/tasks")).text


async def test_the_task_list_reads_the_messages_of_many_tasks_as_of_one(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """What each card shows of the texts sent and the answers is read for all cards at once: before, each card read
    its answers with four queries of its own, so a volunteer with 30 tasks waited for 120 of them. On SQLite and on
    PostgreSQL."""
    runtime, client = served
    read: list[str] = []

    def counted(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if "FROM messages" in statement:
            read.append(statement)

    async def reads_of_the_list() -> int:
        read.clear()
        event.listen(runtime.db.reader.sync_engine, "before_cursor_execute", counted)
        try:
            page = html.unescape((await client.get("/console/tasks")).text)
        finally:
            event.remove(runtime.db.reader.sync_engine, "before_cursor_execute", counted)
        assert page.count("Not answered yet</strong>") == len(every)
        return len(read)

    every = await tasks_written_back(runtime, client, first=1, count=1)
    one = await reads_of_the_list()
    every += await tasks_written_back(runtime, client, first=2, count=3)
    assert await reads_of_the_list() == one


def row_of(inbox: str, case_id: int) -> str:
    """A case's row in the advisers' inbox, as read."""
    row = inbox.split(f'<tr data-case="{case_id}"', 1)[1].split("</tr>", 1)[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split())


async def test_done_with_the_tenants_answer_not_answered_leaves_it_marked_for_the_adviser(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Before, "Done" on a task whose tenant's answer was still "Not answered yet" said only that the task was done,
    and the adviser had no sign that the tenant's message went unanswered: now the volunteer is told it goes to the
    adviser unanswered, and the case page and the inbox mark it until the adviser replies."""
    [case_id] = await tasks_written_back(runtime, client, count=1)
    done = await post_form(client, "/console/tasks", f"/console/tasks/{case_id}/done", {})
    assert done.headers["location"] == "/console/tasks?finished=task_done_unanswered"
    said = html.unescape((await client.get(done.headers["location"])).text)
    assert "What the tenant wrote back was not answered: the adviser sees it on the case" in said

    await login(client, "adviser-R-+4520000001@example.org")
    page = f"/console/cases/{case_id}"
    case = html.unescape((await client.get(page)).text)
    assert "Beta wrote back to the volunteer's task, last" in case and 'id="left-unanswered"' in case
    # In the conversation, at the message itself (the tenant consented to an adviser reading along).
    marked = re.findall(r'<li class="in"[^>]*>(.*?)</li>', case, re.S)
    assert [("not answered — answer it yourself" in m, "kan i ringe efter kl 14?" in m) for m in marked] == [
        (True, True)
    ]
    assert "1 message written back to the volunteer not answered" in row_of(
        (await client.get("/console/")).text, case_id
    )

    replied = await post_form(client, page, f"{page}/reply", {"text": "Ja, vi ringer efter kl. 14."})
    assert replied.status_code == 303
    case = (await client.get(page)).text
    assert 'id="left-unanswered"' not in case and "left-unanswered" not in case
    assert "written back to the volunteer" not in row_of((await client.get("/console/")).text, case_id)


async def test_a_message_after_the_task_left_the_volunteer_is_not_marked_as_written_back_to_it(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Handed on to an adviser, the task has left the volunteer: the tenant's next message (an answer to the bot, a
    word to the adviser) was not written back to the task, and the case page and the inbox do not say it was."""
    [case_id] = await tasks_written_back(runtime, client, count=1)
    page = (await client.get("/console/tasks")).text
    action = f"/console/tasks/{case_id}/answered"
    form = {"nonce": form_nonce_of(page, action) or "", "csrf_token": csrf_of(page)}
    assert (await client.post(action, data=form)).status_code == 303
    handed = await post_form(client, "/console/tasks", f"/console/tasks/{case_id}/needs-adviser", {"why": ""})
    assert handed.status_code == 303
    runtime.clock.offset += timedelta(minutes=5)
    await runtime.inbox.submit(InboundMessage("sms", "SM-after", "+4520000001", "hvornår ringer I?"))
    await process_all(runtime.processor)
    await login(client, "adviser-R-+4520000001@example.org")
    assert "left-unanswered" not in (await client.get(f"/console/cases/{case_id}")).text
    assert "written back to the volunteer" not in row_of((await client.get("/console/")).text, case_id)


async def test_the_inbox_counts_no_answer_while_the_task_is_still_the_volunteers(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The answer on a task the volunteer still has is theirs to answer: the adviser's lists do not mark it yet."""
    [case_id] = await tasks_written_back(runtime, client, count=1)
    await login(client, "adviser-R-+4520000001@example.org")
    assert "written back to the volunteer" not in row_of((await client.get("/console/")).text, case_id)
    assert "left-unanswered" not in (await client.get(f"/console/cases/{case_id}")).text
