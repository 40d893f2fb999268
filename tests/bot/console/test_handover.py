"""A person who leaves a role leaves nothing waiting for them: an admin closes their account or changes their role,
and their cases, tasks and visits go where the others find them; the staff page says what went where."""

from __future__ import annotations

import html

import httpx
from sqlalchemy import select, update

from bot.runtime import Runtime
from bot.store.schema import audit_log, case_events, cases, staff
from tests.bot.console.test_caretaker import with_knock
from tests.bot.console.test_cases import told_about
from tests.bot.console.test_volunteer import with_task
from tests.support.console import add_case, add_person, add_tenant, case_row, login, post_form
from tests.support.drive import daytime, drain, sandbox


async def _as_admin(rt: Runtime, client: httpx.AsyncClient) -> None:
    await add_person(rt, "admin@example.org", "admin")
    await login(client, "admin@example.org")


async def _held_by(rt: Runtime, adviser: int, ref: str, phone: str, status: str = "taken") -> int:
    tenant = await add_tenant(rt, ref, phone=phone)
    case_id = await add_case(rt, tenant)
    async with rt.db.write() as conn:
        await conn.execute(update(cases).where(cases.c.id == case_id).values(status=status, assignee_id=adviser))
    return case_id


async def test_a_closed_caretakers_door_knocks_go_to_the_other_caretakers(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    leaving = await add_person(runtime, "leaving@example.org", "caretaker")
    await add_person(runtime, "staying@example.org", "caretaker")
    _, _, knock = await with_knock(runtime, assignee=leaving)
    await login(client, "staying@example.org")
    assert f'data-task="{knock}"' not in (await client.get("/console/visits")).text  # another caretaker's, so far
    await _as_admin(runtime, client)
    done = await post_form(client, "/console/staff", f"/console/staff/{leaving}/deactivate", {"confirmed": "yes"})
    assert done.status_code == 303
    page = (await client.get(done.headers["location"])).text
    assert "1 door knock or postcard now for any caretaker" in page
    await login(client, "staying@example.org")
    assert f'data-task="{knock}"' in (await client.get("/console/visits")).text
    async with runtime.db.read() as conn:
        details = (
            await conn.execute(select(audit_log.c.detail).where(audit_log.c.action == "staff.caretaker_left"))
        ).scalars()
        assert list(details) == ["cases_back=0 tasks_back=0 appointments_cancelled=0 visits_back=1"]


async def test_a_closed_advisers_cases_go_back_to_the_queue(runtime: Runtime, client: httpx.AsyncClient) -> None:
    """A case held by someone who will not come back: the bot stops answering only keywords, and every adviser sees
    it waiting. A case with a volunteer's task keeps the task and comes to the queue when the task is done."""
    daytime(runtime)  # the case's notices go now, not after quiet hours, whatever the hour the test runs at
    leaving = await add_person(runtime, "leaving@example.org", "adviser")
    other = await add_person(runtime, "other@example.org", "adviser")
    taken = await _held_by(runtime, leaving, "R-1", "+4520000011")
    waiting_tenant = await _held_by(runtime, leaving, "R-2", "+4520000012", status="waiting_tenant")
    kept = await _held_by(runtime, other, "R-3", "+4520000013")
    volunteer = await add_person(runtime, "volunteer@example.org", "volunteer")
    _, with_volunteer = await with_task(runtime, volunteer, "R-4", "+4520000014")
    async with runtime.db.write() as conn:
        await conn.execute(update(cases).where(cases.c.id == with_volunteer).values(assignee_id=leaving))
    await _as_admin(runtime, client)
    done = await post_form(client, "/console/staff", f"/console/staff/{leaving}/deactivate", {"confirmed": "yes"})
    page = (await client.get(done.headers["location"])).text
    assert "2 cases back in the queue, for another adviser to take" in page
    assert "1 case keeps its volunteer's task: it comes to the queue when the task is done" in page
    for case_id in (taken, waiting_tenant):
        row = await case_row(runtime, case_id)
        assert (row.status, row.assignee_id) == ("waiting", None)
    assert ((await case_row(runtime, kept)).status, (await case_row(runtime, kept)).assignee_id) == ("taken", other)
    row = await case_row(runtime, with_volunteer)
    assert (row.status, row.assignee_id, row.volunteer_id) == ("volunteer", None, volunteer)
    async with runtime.db.read() as conn:
        events = (await conn.execute(select(case_events.c.case_id).where(case_events.c.kind == "adviser_left"))).all()
    assert sorted(e.case_id for e in events) == sorted([taken, waiting_tenant, with_volunteer])
    # Each tenant whose case went back to the queue is told, once, that nobody reads along now; the others nothing.
    assert [await told_about(runtime, c) for c in (taken, waiting_tenant, kept, with_volunteer)] == [
        ["case.released"],
        ["case.released"],
        [],
        [],
    ]
    # Deactivated again (a form sent twice), nobody is told twice.
    again = await post_form(client, "/console/staff", f"/console/staff/{leaving}/deactivate", {"confirmed": "yes"})
    assert again.status_code == 200 and "was deactivated already: nothing changed." in again.text
    assert [await told_about(runtime, c) for c in (taken, waiting_tenant)] == [["case.released"]] * 2
    async with runtime.db.read() as conn:
        left = await conn.execute(select(audit_log.c.detail).where(audit_log.c.action == "staff.adviser_left"))
        assert list(left.scalars()) == ["cases_back=3 tasks_back=0 appointments_cancelled=0 visits_back=0"]
    await login(client, "other@example.org")
    shown = (await client.get(f"/console/cases/{taken}")).text
    assert "back to the queue: the adviser&#39;s account was closed or their role changed" in shown
    released = runtime.renderer.render("case.released", {}, "da", "sms").text
    assert html.escape(released, quote=False) in shown
    # Nobody wrote it: keephome did, for the closed account, and the page says so in words.
    assert '<span class="muted">keephome, automatically · SMS · ' in shown and '"muted">system · ' not in shown
    # The volunteer finishes the task: nobody holds the case, so it waits in the queue (not "taken" by nobody), and
    # its tenant hears that nobody reads along now.
    await login(client, "volunteer@example.org")
    finished = await post_form(client, "/console/tasks", f"/console/tasks/{with_volunteer}/done", {})
    assert finished.status_code == 303
    row = await case_row(runtime, with_volunteer)
    assert (row.status, row.assignee_id, row.volunteer_id) == ("waiting", None, None)
    assert await told_about(runtime, with_volunteer) == ["case.released"]
    await drain(runtime.sender)
    assert [m.text for m in sandbox(runtime)["sms"].to("+4520000011")] == [released]


async def test_an_adviser_taking_back_a_task_on_a_case_nobody_holds_holds_it(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    volunteer = await add_person(runtime, "volunteer@example.org", "volunteer")
    _, case_id = await with_task(runtime, volunteer)
    async with runtime.db.write() as conn:
        await conn.execute(update(cases).where(cases.c.id == case_id).values(assignee_id=None))
    taker = await add_person(runtime, "taker@example.org", "adviser")
    await login(client, "taker@example.org")
    page = f"/console/cases/{case_id}"
    assert 'id="take-back"' in (await client.get(page)).text  # anyone's, since nobody holds the case
    assert (await post_form(client, page, f"{page}/take-back", {})).status_code == 303
    row = await case_row(runtime, case_id)
    assert (row.status, row.assignee_id, row.volunteer_id) == ("taken", taker, None)
    assert await told_about(runtime, case_id) == []  # held all along (by the task, then by the taker): nothing new
    # Now it is theirs: another adviser is refused.
    await add_person(runtime, "second@example.org", "adviser")
    await login(client, "second@example.org")
    assert 'id="take-back"' not in (await client.get(page)).text


async def test_a_role_change_hands_back_only_what_the_new_role_does_not_do(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    moving = await add_person(runtime, "moving@example.org", "adviser")
    case_id = await _held_by(runtime, moving, "R-1", "+4520000011")
    await _as_admin(runtime, client)
    # An adviser made admin still holds cases.
    to_admin = await post_form(client, "/console/staff", f"/console/staff/{moving}/role", {"role": "admin"})
    assert to_admin.headers["location"] == "/console/staff"
    assert ((await case_row(runtime, case_id)).status, (await case_row(runtime, case_id)).assignee_id) == (
        "taken",
        moving,
    )
    # Made a volunteer, they can no longer open the case: it goes to the queue.
    to_volunteer = await post_form(client, "/console/staff", f"/console/staff/{moving}/role", {"role": "volunteer"})
    page = (await client.get(to_volunteer.headers["location"])).text
    assert "1 case back in the queue, for another adviser to take" in page
    row = await case_row(runtime, case_id)
    assert (row.status, row.assignee_id) == ("waiting", None)
    assert await told_about(runtime, case_id) == ["case.released"]  # not when made admin: still read along
    async with runtime.db.read() as conn:
        role = (await conn.execute(select(staff.c.role).where(staff.c.id == moving))).scalar_one()
        actions = (await conn.execute(select(audit_log.c.action).where(audit_log.c.target == f"staff:{moving}"))).all()
    assert role == "volunteer"
    assert [a.action for a in actions].count("staff.admin_left") == 1


async def test_the_staff_page_ignores_made_up_counts(runtime: Runtime, client: httpx.AsyncClient) -> None:
    await _as_admin(runtime, client)
    for query in ("cases=abc", "cases=99999999", "cases=-1", "steps="):
        page = await client.get(f"/console/staff?{query}")
        assert page.status_code == 200 and 'id="handed-back"' not in page.text
