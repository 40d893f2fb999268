"""Admins: staff accounts, roles, whether messages go out, the pause switch, wrong numbers, the audit log and
urgent-case notices."""

from __future__ import annotations

import asyncio
import html
import re
from collections import Counter
from contextlib import AsyncExitStack
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from bot.app import create_app
from bot.channels.base import SendResult
from bot.console.accounts import StaffError, add_staff, create_staff, deactivate_staff, set_role
from bot.console.admin import WRONG_PAGE_SIZE
from bot.host.notices import notify_urgent_case
from bot.inbound.inbox import InboundMessage
from bot.outbox.enqueue import enqueue
from bot.runtime import Runtime
from bot.settings import Settings
from bot.store.db import Database, utcnow
from bot.store.scene import Scene
from bot.store.schema import api_keys, audit_log, outbox, settings_flags, staff, staff_sessions
from tests.conftest import make_settings, started_runtime
from tests.support.console import (
    add_case,
    add_person,
    add_tenant,
    csrf_of,
    form_nonce_of,
    login,
    post_form,
    staff_client,
)
from tests.support.drive import FailingSandbox, drain, process_all, sandbox
from tests.support.helpers import queue_question


async def signed_in_admin(rt: Runtime, client: httpx.AsyncClient) -> int:
    staff_id = await add_person(rt, "admin@example.org", "admin")
    assert (await login(client, "admin@example.org")).status_code == 303
    return staff_id


async def test_add_staff_checks_its_input(runtime: Runtime) -> None:
    with pytest.raises(StaffError, match="unknown role"):
        await add_staff(runtime.db, "a@example.org", "boss", runtime.clock(), runtime.settings.public_url)
    with pytest.raises(StaffError, match="e-mail"):
        await add_staff(runtime.db, "not-an-email", "adviser", runtime.clock(), runtime.settings.public_url)
    await add_staff(runtime.db, "a@example.org", "adviser", runtime.clock(), runtime.settings.public_url)
    with pytest.raises(StaffError, match="already exists"):
        await add_staff(runtime.db, "A@example.org", "adviser", runtime.clock(), runtime.settings.public_url)


async def test_an_admin_adds_a_person_and_gets_a_one_time_link(runtime: Runtime, client: httpx.AsyncClient) -> None:
    await signed_in_admin(runtime, client)
    page = await post_form(
        client, "/console/staff", "/console/staff", {"email": "new@example.org", "role": "volunteer"}
    )
    assert page.status_code == 200 and "https://keephome.example.org/console/setup/" in page.text
    bad = await post_form(client, "/console/staff", "/console/staff", {"email": "new@example.org", "role": "adviser"})
    assert bad.status_code == 422
    assert "exists already: a new password link for it is made on its row of the list." in bad.text
    assert (
        await post_form(client, "/console/staff", "/console/staff", {"email": "x@y.dk", "role": "x"})
    ).status_code == 422


async def test_the_staff_page_preselects_no_role_and_its_errors_read_as_sentences(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    await signed_in_admin(runtime, client)
    page = (await client.get("/console/staff")).text
    # The list stacks on a phone like the inbox and the audit log; the form to add a person makes one choose a role.
    assert '<table id="staff" class="stack">' in page
    add = page.split('id="new-role"')[1].split("</select>")[0]
    assert 'required><option value="" selected disabled>Choose a role</option>' in add
    assert add.count("selected") == 1
    unchosen = await post_form(client, "/console/staff", "/console/staff", {"email": "new@example.org", "role": ""})
    assert unchosen.status_code == 422 and "&#39;Role&#39; is required" in unchosen.text
    # An e-mail that is not one is quoted as typed, not as a program prints a string.
    bad = await post_form(client, "/console/staff", "/console/staff", {"email": "not-an-email", "role": "adviser"})
    assert bad.status_code == 422 and "Not a valid e-mail address: not-an-email<" in bad.text
    assert "&#39;not-an-email&#39;" not in bad.text
    role = await post_form(client, "/console/staff", "/console/staff", {"email": "x@y.dk", "role": "boss"})
    assert (
        role.status_code == 422 and "Unknown role boss: choose one of admin, adviser, volunteer, caretaker" in role.text
    )


async def test_api_key_scopes_are_named_in_the_readers_language(runtime: Runtime, client: httpx.AsyncClient) -> None:
    admin = await signed_in_admin(runtime, client)
    async with runtime.db.write() as conn:
        await conn.execute(update(staff).where(staff.c.id == admin).values(language="da"))
    made = await post_form(
        client, "/console/admin/api-keys", "/console/admin/api-keys", {"name": "Lejesystem", "scope": "erase"}
    )
    assert made.status_code == 200
    page = made.text
    options = page.split('id="key-scope"')[1].split("</select>")[0]
    assert re.findall(r'<option value="(\w+)">([^<]+)</option>', options) == [
        ("read", "kun læse"),
        ("write", "læse og skrive"),
        ("erase", "læse, skrive og slette"),
    ]
    listed = page.split('data-key="')[1].split("</tr>")[0]
    assert '<td data-label="Adgang">læse, skrive og slette</td>' in listed and ">erase<" not in listed


async def test_the_key_form_sent_again_makes_no_second_key(runtime: Runtime, client: httpx.AsyncClient) -> None:
    """A reload that repeats the POST (or the back button and a second click) made a second live key under the same
    name, and nothing said which one had been copied: the form's one-time value makes one key, and says so."""
    await signed_in_admin(runtime, client)
    page = (await client.get("/console/admin/api-keys")).text
    nonce = form_nonce_of(page, "/console/admin/api-keys")
    assert nonce is not None
    form = {"name": "Lejesystem", "scope": "read", "nonce": nonce, "csrf_token": csrf_of(page)}
    first = await client.post("/console/admin/api-keys", data=form)
    assert first.status_code == 200 and 'id="new-key"' in first.text
    again = await client.post("/console/admin/api-keys", data=form)
    assert again.status_code == 200 and 'id="new-key"' not in again.text
    assert "This form was sent before and made the key “Lejesystem” then" in html.unescape(again.text)
    async with runtime.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(api_keys))).scalar_one() == 1
    # The page opened anew is a new form: it makes the key it asks for.
    other = {"name": "Økonomisystem", "scope": "write"}
    assert 'id="new-key"' in (await post_form(client, "/console/admin/api-keys", "/console/admin/api-keys", other)).text


async def test_an_admin_records_a_volunteers_organisation(runtime: Runtime, client: httpx.AsyncClient) -> None:
    """A volunteer is of a volunteer organisation (what a tenant's consent to share names): given when the person is
    added, or recorded later for one added without it; audited."""
    admin = await signed_in_admin(runtime, client)
    added = {"email": "new@example.org", "role": "volunteer", "organisation": "  Dansk   Folkehjælp "}
    assert (await post_form(client, "/console/staff", "/console/staff", added)).status_code == 200
    older = await add_person(runtime, "older@example.org", "volunteer", organisation=None)
    page = (await client.get("/console/staff")).text
    assert 'value="Dansk Folkehjælp"' in page and "Not recorded: no case can go to this volunteer." in page
    done = await post_form(client, "/console/staff", f"/console/staff/{older}/organisation", {"organisation": "KFUM"})
    assert done.status_code == 303
    async with runtime.db.read() as conn:
        kept = dict((await conn.execute(select(staff.c.email, staff.c.organisation))).all())
        entry = (await conn.execute(select(audit_log).where(audit_log.c.action == "staff.organisation"))).one()
    assert kept["new@example.org"] == "Dansk Folkehjælp" and kept["older@example.org"] == "KFUM"
    assert kept["admin@example.org"] is None
    assert (entry.actor, entry.target, entry.detail) == (f"staff:{admin}", f"staff:{older}", "organisation=KFUM")
    assert "Not recorded" not in (await client.get("/console/staff")).text


async def test_a_role_change_is_audited_and_ends_the_persons_sessions(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    admin = await signed_in_admin(runtime, client)
    adviser = await add_person(runtime, "adviser@example.org", "adviser")
    async with runtime.db.write() as conn:
        await conn.execute(
            staff_sessions.insert().values(
                id="x" * 64,
                staff_id=adviser,
                csrf_token="t",
                created_at=runtime.clock(),
                expires_at=runtime.clock().replace(year=2100),
                revoked=False,
            )
        )
    done = await post_form(client, "/console/staff", f"/console/staff/{adviser}/role", {"role": "volunteer"})
    assert done.status_code == 303
    async with runtime.db.read() as conn:
        role = (await conn.execute(select(staff.c.role).where(staff.c.id == adviser))).scalar_one()
        revoked = (await conn.execute(select(staff_sessions.c.revoked).where(staff_sessions.c.id == "x" * 64))).scalar()
        entry = (await conn.execute(select(audit_log).where(audit_log.c.action == "staff.role_change"))).one()
    assert role == "volunteer" and revoked is True
    assert (entry.actor, entry.target, entry.detail) == (f"staff:{admin}", f"staff:{adviser}", "adviser->volunteer")
    own = await post_form(client, "/console/staff", f"/console/staff/{admin}/role", {"role": "adviser"})
    assert own.status_code == 422


async def test_advisers_cannot_manage_staff(runtime: Runtime, client: httpx.AsyncClient) -> None:
    await add_person(runtime, "adviser@example.org", "adviser")
    await login(client, "adviser@example.org")
    for path in ("/console/staff", "/console/admin", "/console/audit"):
        assert (await client.get(path)).status_code == 403
    page = await client.get("/console/")
    denied = await client.post(
        "/console/staff", data={"email": "x@y.dk", "role": "admin", "csrf_token": csrf_of(page.text)}
    )
    assert denied.status_code == 403


async def test_the_pause_switch_is_stored_and_read_back(runtime: Runtime, client: httpx.AsyncClient) -> None:
    await signed_in_admin(runtime, client)
    assert (await post_form(client, "/console/admin", "/console/admin/pause", {"paused": "on"})).status_code == 303
    assert await runtime.paused() is True
    assert "Paused: no reminders are sent." in (await client.get("/console/")).text
    async with runtime.db.read() as conn:
        stored = (await conn.execute(select(settings_flags.c.value))).scalar_one()
    assert stored == "1"
    await post_form(client, "/console/admin", "/console/admin/pause", {"paused": "off"})
    assert await runtime.paused() is False
    assert "Paused: no reminders are sent." not in (await client.get("/console/")).text
    assert (await post_form(client, "/console/admin", "/console/admin/pause", {"paused": "maybe"})).status_code == 422


async def test_while_paused_the_admin_page_says_the_reminders_wait_not_that_messages_go_out(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    await signed_in_admin(runtime, client)
    assert (await post_form(client, "/console/admin", "/console/admin/pause", {"paused": "on"})).status_code == 303
    page = (await client.get("/console/admin")).text
    state = re.search(r'id="sending-state"[^>]*>(.*?)</p>', page, re.S)
    assert state is not None and "Reminders are paused" in state.group(1)
    assert "Messages go out" not in page
    await post_form(client, "/console/admin", "/console/admin/pause", {"paused": "off"})
    assert "Messages go out, and tenants who write get their answers." in (await client.get("/console/admin")).text


NOBODY_SENDS = "No keephome process is sending"


async def test_the_admin_page_says_when_no_process_sends_and_what_waits(database_url: str) -> None:
    # Every process of the deployment runs with KEEPHOME_RUN_SENDER=false: nothing goes out, nobody answers.
    async with started_runtime(make_settings(database_url, run_sender=False)) as rt, staff_client(rt, "admin") as c:
        tenant_id = await add_tenant(rt, "R-1")
        for n in range(2):
            assert await rt.inbox.submit(InboundMessage("sms", f"SM-wait-{n}", "+4520000001", "hjælp")) == "stored"
        await queue_question(rt.db, rt.clock(), tenant_id, "plan:1")
        page = (await c.get("/console/admin")).text
        # Every page says it to everyone signed in; a stranger at the sign-in page learns nothing.
        assert 'id="nobody-sends"' in (await c.get("/console/")).text
        c.cookies.clear()
        assert 'id="nobody-sends"' not in (await c.get("/console/login")).text
    state = re.search(r'id="sending-state"[^>]*>(.*?)</p>', page, re.S)
    assert state is not None and NOBODY_SENDS in state.group(1)
    words = " ".join(state.group(1).split())
    assert "2 messages from tenants wait to be answered" in words and "1 message to tenants waits to be sent" in words


async def test_the_admin_page_says_messages_go_out_while_this_sqlite_process_sends(sqlite_url: str) -> None:
    # KEEPHOME_RUN_SENDER defaults to true: the one SQLite process sends.
    async with started_runtime(make_settings(sqlite_url)) as rt, staff_client(rt, "admin") as c:
        page = (await c.get("/console/admin")).text
    assert "Messages go out, and tenants who write get their answers." in page and NOBODY_SENDS not in page
    assert 'id="nobody-sends"' not in page


@pytest.mark.postgres
async def test_on_postgresql_the_admin_page_reads_whether_any_process_holds_the_sender_role(pg_url: str) -> None:
    async with AsyncExitStack() as holder:
        await holder.enter_async_context(started_runtime(make_settings(pg_url), background=True))
        # The page is served by a process that never sends while another holds the role ...
        async with (
            started_runtime(make_settings(pg_url, run_sender=False), background=True) as rt,
            staff_client(rt, "admin") as c,
        ):
            page = (await c.get("/console/admin")).text
            assert "Messages go out" in page and NOBODY_SENDS not in page
            assert 'id="nobody-sends"' not in (await c.get("/console/")).text
            await holder.aclose()  # ... until that one stops: no process sends any more, and every page says so
            assert NOBODY_SENDS in (await c.get("/console/admin")).text
            assert 'id="nobody-sends"' in (await c.get("/console/")).text


async def test_wrong_numbers_are_listed_for_admins(runtime: Runtime, client: httpx.AsyncClient) -> None:
    await add_tenant(runtime, "R-WRONG", name="Gamma Tenant", status="wrong_number")
    await add_tenant(runtime, "R-FINE", name="Delta Tenant", phone="+4520000002")
    await signed_in_admin(runtime, client)
    page = (await client.get("/console/admin")).text
    assert "R-WRONG" in page and "R-FINE" not in page


async def test_a_long_wrong_numbers_list_is_shown_a_page_at_a_time(runtime: Runtime, client: httpx.AsyncClient) -> None:
    """The wrong numbers stay listed until the organisation corrects them: the admin page listed every one, and wrote
    each into the audit log, on every view. A page of them now, the newest first, with the count and the way on; each
    tenant on one page, and the audit log names the tenants a page showed."""
    wrong = [
        await add_tenant(runtime, f"R-{n:03d}", name="Gamma Tenant", phone=f"+45200001{n:02d}", status="wrong_number")
        for n in range(WRONG_PAGE_SIZE + 3)
    ]
    await signed_in_admin(runtime, client)
    first = (await client.get("/console/admin")).text
    second = (await client.get("/console/admin?wrong=2")).text
    listed = Counter(re.findall(r">(R-\d{3})</a>", first) + re.findall(r">(R-\d{3})</a>", second))
    assert len(re.findall(r">R-\d{3}</a>", first)) == WRONG_PAGE_SIZE
    assert listed == Counter(f"R-{n:03d}" for n in range(WRONG_PAGE_SIZE + 3)), listed
    # The newest first: the three added first are on the second page.
    assert sorted(re.findall(r">(R-\d{3})</a>", second)) == ["R-000", "R-001", "R-002"]
    assert f"{WRONG_PAGE_SIZE + 3} wrong numbers" in first and 'href="?wrong=2#wrong-numbers"' in first
    assert 'href="?wrong=1#wrong-numbers"' in second and "?wrong=3" not in second
    async with runtime.db.read() as conn:
        details = [
            str(row.detail)
            for row in await conn.execute(
                select(audit_log.c.detail).where(audit_log.c.action == "tenants.wrong_numbers.view")
            )
        ]
    shown = Counter(name for detail in details for name in detail.split(","))
    assert shown == Counter(f"tenant:{tenant_id}" for tenant_id in wrong), shown


async def _answer(rt: Runtime, tenant_id: int, key: str) -> int:
    async with rt.db.write() as conn:
        done = await conn.run_sync(
            lambda sync: enqueue(
                Scene.of(sync),
                now=rt.clock(),
                channel="sms",
                template="keyword.opted_in",
                values={},
                language="da",
                idempotency_key=key,
                tenant_id=tenant_id,
            )
        )
    return done.outbox_id


async def test_messages_that_may_have_reached_a_tenant_twice_are_listed_for_admins(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """A send whose answer never came goes again: the admin page lists it with its tenant (the tenant's page says
    so on the message), counts it, and leaves out the messages sent once and those of more than a week ago."""
    twice = await add_tenant(runtime, "R-TWICE", name="Epsilon Tenant", phone="+4520000003")
    once = await add_tenant(runtime, "R-ONCE", name="Zeta Tenant", phone="+4520000004")
    old = await add_tenant(runtime, "R-OLD", name="Eta Tenant", phone="+4520000005")
    await signed_in_admin(runtime, client)
    assert 'id="maybe-twice-count"' not in (await client.get("/console/admin")).text
    sms = runtime.channels["sms"]
    assert isinstance(sms, FailingSandbox)
    for tenant_id in (twice, old):
        sms.fail_next.append(SendResult("transient", detail="timeout", maybe_sent=True))
        await _answer(runtime, tenant_id, f"twice-{tenant_id}")
        await drain(runtime.sender)
    await _answer(runtime, once, "once")
    await drain(runtime.sender)
    async with runtime.db.write() as conn:  # the old tenant's message was queued eight days ago
        await conn.execute(
            update(outbox).where(outbox.c.tenant_id == old).values(created_at=runtime.clock() - timedelta(days=8))
        )
    page = html.unescape((await client.get("/console/admin")).text)
    listed = page.split('id="maybe-twice"', 1)[1].split("</div>", 1)[0]
    assert "R-TWICE" in listed and "Epsilon Tenant" in listed
    assert "R-ONCE" not in listed and "R-OLD" not in listed
    assert re.search(r'id="maybe-twice-count">1 message\b', listed)
    async with runtime.db.read() as conn:
        about = (
            await conn.execute(select(audit_log.c.detail).where(audit_log.c.action == "tenants.maybe_twice.view"))
        ).scalars()
        assert list(about) == [f"tenant:{twice}"]  # the view is audited with the tenant it showed
    # The audit page names that tenant as the admin page did, by their reference, not by keephome's own number.
    audit = html.unescape((await client.get("/console/audit", params={"action": "tenants.maybe_twice"})).text)
    said = re.findall(r'<td class="detail">(.*?)<br><code', audit)
    assert said == ["tenant R-TWICE"], said


async def test_admins_read_and_filter_the_audit_log_which_nobody_can_change(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    case_id = await add_case(runtime, await add_tenant(runtime, "R-1"))
    admin = await signed_in_admin(runtime, client)
    await client.get(f"/console/cases/{case_id}")
    page = (await client.get(f"/console/audit?action=case.&actor=staff:{admin}")).text
    assert "case.view" in page and f"case:{case_id}" in page and ">login<" not in page
    assert (await client.get("/console/audit?from=yesterday")).status_code == 422
    # A day is read by the console's one rule for days (2000–2099), as every other filter reads it: a mistyped
    # year is refused by name, not a crash; the widest days it allows are bounds.
    refused = await client.get("/console/audit?from=0001-01-01")
    assert refused.status_code == 422 and "must be a date like 2026-03-01" in refused.text
    assert (await client.get("/console/audit?from=2000-01-01&to=2099-12-31")).status_code == 200
    token = csrf_of(page)
    for method in ("POST", "PUT", "DELETE"):
        response = await client.request(method, "/console/audit", data={"csrf_token": token})
        assert response.status_code == 405


async def test_an_urgent_case_notice_goes_to_opted_in_staff_without_amounts(runtime: Runtime) -> None:
    adviser = await add_person(runtime, "adviser@example.org", "adviser")
    await add_person(runtime, "quiet@example.org", "adviser")
    volunteer = await add_person(runtime, "volunteer@example.org", "volunteer")
    async with runtime.db.write() as conn:
        await conn.execute(
            update(staff)
            .where(staff.c.id.in_([adviser, volunteer]))
            .values(notify_telegram=True, telegram_chat_id=5550)
        )
    tenant = await add_tenant(runtime, "R-1", name="Epsilon Tenant", balance_ore=880000)
    case_id = await add_case(runtime, tenant, origin="outreach", consent=False)
    async with runtime.db.write() as conn:
        notify = lambda sync: notify_urgent_case(Scene.of(sync), case_id, runtime.clock(), runtime.settings.public_url)  # noqa: E731
        assert await conn.run_sync(notify) == 1
        assert await conn.run_sync(notify) == 0  # told already, in this transaction
    async with runtime.db.write() as conn:
        assert await conn.run_sync(notify) == 0  # and after it
    await drain(runtime.sender)
    [notice] = sandbox(runtime)["telegram"].to("5550")
    assert "Epsilon" in notice.text and "Tenant" not in notice.text and "8.800" not in notice.text
    assert f"https://keephome.example.org/console/cases/{case_id}" in notice.text


async def test_the_console_works_on_both_databases(database_url: str) -> None:
    settings: Settings = make_settings(database_url)
    async with started_runtime(settings) as rt:
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
            case_id = await add_case(rt, await add_tenant(rt, "R-1", phone="+4520000001"))
            await add_person(rt, "adviser@example.org", "adviser")
            await login(client, "adviser@example.org")
            page = f"/console/cases/{case_id}"
            assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
            await post_form(client, page, f"{page}/reply", {"text": "Hej igen", "nonce": "nonce-pg-1"})
            await drain(rt.sender)
            assert sandbox(rt)["sms"].to("+4520000001")[-1].text == "Hej igen"
            assert "Hej igen" in (await client.get(page)).text


async def test_the_audit_log_names_people_and_filters_by_email(runtime: Runtime, client: httpx.AsyncClient) -> None:
    case_id = await add_case(runtime, await add_tenant(runtime, "R-1"))
    adviser = await add_person(runtime, "adviser@example.org", "adviser")
    await login(client, "adviser@example.org")
    await client.get(f"/console/cases/{case_id}")
    client.cookies.clear()
    await signed_in_admin(runtime, client)
    page = (await client.get("/console/audit?actor=Adviser@example.org")).text
    assert "case.view" in page and f"staff:{adviser}" in page and "adviser@example.org" in page
    assert "admin@example.org" not in page.split('id="audit"', 1)[1]


async def test_telegram_notices_are_offered_to_advisers_with_how_to_and_not_to_volunteers(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    await add_person(runtime, "volunteer@example.org", "volunteer")
    await login(client, "volunteer@example.org")
    page = (await client.get("/console/me")).text
    assert "urgent cases" not in page and "telegram-code" not in page
    refused = await post_form(client, "/console/me", "/console/me", {"notify_telegram": "1"})
    assert refused.status_code == 422
    client.cookies.clear()
    await add_person(runtime, "adviser@example.org", "adviser")
    await login(client, "adviser@example.org")
    page = (await client.get("/console/me")).text
    assert "Start" in page and "/console/me/telegram-code" in page


async def _chat_of(rt: Runtime, staff_id: int) -> tuple[int | None, bool]:
    async with rt.db.read() as conn:
        row = (
            await conn.execute(select(staff.c.telegram_chat_id, staff.c.notify_telegram).where(staff.c.id == staff_id))
        ).one()
    return row.telegram_chat_id, row.notify_telegram


async def test_a_chat_is_linked_only_by_the_one_time_code_and_notices_can_be_turned_off(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    adviser = await add_person(runtime, "adviser@example.org", "adviser")
    await login(client, "adviser@example.org")
    page = (await client.get("/console/me")).text
    assert 'name="telegram_chat_id"' not in page and "chat id" not in page
    # A chat id typed into a form names nobody's chat: nothing is linked, notices stay off.
    typed = await post_form(client, "/console/me", "/console/me", {"telegram_chat_id": "5552", "notify_telegram": "1"})
    assert typed.status_code == 422 and "one-time code" in typed.text
    assert await _chat_of(runtime, adviser) == (None, False)
    # Linked by the code (tests/bot/console/test_staff_telegram.py), notices go on and can be turned off.
    async with runtime.db.write() as conn:
        await conn.execute(
            update(staff).where(staff.c.id == adviser).values(telegram_chat_id=5553, notify_telegram=True)
        )
    page = (await client.get("/console/me")).text
    assert "Notices are on" in page
    off = await post_form(client, "/console/me", "/console/me", {"notify_telegram": "0", "telegram_chat_id": "1"})
    assert off.status_code == 303
    assert await _chat_of(runtime, adviser) == (5553, False)
    assert "Notices are off" in (await client.get("/console/me")).text
    on = await post_form(client, "/console/me", "/console/me", {"notify_telegram": "1"})
    assert on.status_code == 303
    assert await _chat_of(runtime, adviser) == (5553, True)


async def test_an_admin_cannot_deactivate_themselves(runtime: Runtime, client: httpx.AsyncClient) -> None:
    admin = await signed_in_admin(runtime, client)
    refused = await post_form(client, "/console/staff", f"/console/staff/{admin}/deactivate", {"confirmed": "yes"})
    assert refused.status_code == 422 and "cannot deactivate yourself" in refused.text
    async with runtime.db.read() as conn:
        active = (await conn.execute(select(staff.c.active).where(staff.c.id == admin))).scalar_one()
        entries = (await conn.execute(select(audit_log).where(audit_log.c.action == "staff.deactivate"))).all()
    assert active is True and entries == []
    assert (await client.get("/console/staff")).status_code == 200  # still signed in


async def test_deactivate_asks_on_a_page_of_its_own_before_it_acts(runtime: Runtime, client: httpx.AsyncClient) -> None:
    """Without JavaScript the list's "Deactivate" only asks: the account closes once the question's page is answered."""
    await signed_in_admin(runtime, client)
    person = await add_person(runtime, "leaving@example.org", "adviser")
    action = f"/console/staff/{person}/deactivate"

    async def is_active() -> bool:
        async with runtime.db.read() as conn:
            return bool((await conn.execute(select(staff.c.active).where(staff.c.id == person))).scalar_one())

    listed = (await client.get("/console/staff")).text
    assert (
        listed.count(f'<form method="get" action="{action}"') == 1 and f'method="post" action="{action}"' not in listed
    )
    asked = await client.get(action)
    said = html.unescape(asked.text)
    assert asked.status_code == 200 and "Deactivate leaving@example.org? They can no longer sign in" in said
    assert said.count(f'method="post" action="{action}"') == 1 and 'href="/console/staff"' in said
    assert await is_active()
    # A post that did not come from the question (a list loaded earlier, a form made elsewhere) is asked again.
    unasked = await post_form(client, "/console/staff", action, {})
    assert unasked.status_code == 200 and "Deactivate leaving@example.org?" in html.unescape(unasked.text)
    assert await is_active()
    done = await post_form(client, action, action, {"confirmed": "yes"})
    assert done.status_code == 303 and not await is_active()
    assert (await client.get("/console/staff/999999/deactivate")).status_code == 404


async def test_deactivating_a_deactivated_account_changes_nothing_and_says_so(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The form sent twice (a reload, a second tab, another admin first): the second writes no audit entry of a
    deactivation that did not happen, and the page says nothing changed."""
    await signed_in_admin(runtime, client)
    person = await add_person(runtime, "leaving@example.org", "adviser")
    first = await post_form(client, "/console/staff", f"/console/staff/{person}/deactivate", {"confirmed": "yes"})
    assert first.status_code == 303
    again = await post_form(client, "/console/staff", f"/console/staff/{person}/deactivate", {"confirmed": "yes"})
    assert again.status_code == 200 and 'id="already-deactivated"' in again.text
    assert "leaving@example.org was deactivated already: nothing changed." in again.text
    async with runtime.db.read() as conn:
        about = [
            str(row.action)
            for row in await conn.execute(select(audit_log.c.action).where(audit_log.c.target == f"staff:{person}"))
        ]
    assert Counter(about)["staff.deactivate"] == 1, about


async def test_two_deactivations_of_one_account_at_once_write_one_entry(database: Database) -> None:
    """Two admins press Deactivate on one row at once: one deactivates, the other finds it done (on PostgreSQL the
    second waits for the first and reads its row again), and the audit log has one entry."""
    at = utcnow()
    async with database.write() as conn:
        await create_staff(conn, "admin@example.org", "admin", at, "https://keephome.example.org")
        person, _ = await create_staff(conn, "leaving@example.org", "adviser", at, "https://keephome.example.org")

    async def deactivate(actor: str) -> bool:
        async with database.write() as conn:
            return await deactivate_staff(conn, person, at, actor)

    assert sorted(await asyncio.gather(deactivate("staff:1"), deactivate("staff:2"))) == [False, True]
    async with database.read() as conn:
        entries = (await conn.execute(select(audit_log).where(audit_log.c.action == "staff.deactivate"))).all()
        active = (await conn.execute(select(staff.c.active).where(staff.c.id == person))).scalar_one()
    assert len(entries) == 1 and active is False


async def test_the_staff_page_reads_a_count_in_its_address_that_is_no_number_as_none(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The counts a deactivation's redirect puts in the address ("?cases=2") are read back only as plain digits: a
    hand-typed "²" (a digit to `str.isdigit`, not to `int`) or a wide number says nothing went back, never a 500."""
    await signed_in_admin(runtime, client)
    for odd in ("²", "١٢", "9" * 40, "-1", "x"):
        page = await client.get("/console/staff", params={"cases": odd, "tasks": odd, "appointments": odd, "keys": odd})
        assert page.status_code == 200, odd
        assert 'id="handed-back"' not in page.text, odd
    said = await client.get("/console/staff", params={"cases": "2"})
    assert said.status_code == 200 and "2 cases back in the queue" in said.text


async def test_two_admins_closing_each_others_accounts_at_once_leave_one_admin(runtime: Runtime) -> None:
    """Each may close the other's account, but not both at once: the second change would leave nobody who can manage
    staff or keys in the console, and is refused with why. The same holds for a role change."""
    first = await add_person(runtime, "first@example.org", "admin")
    second = await add_person(runtime, "second@example.org", "admin")
    app = create_app(runtime)
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://keephome.example.org") as one,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://keephome.example.org") as other,
    ):
        for client, email in ((one, "first@example.org"), (other, "second@example.org")):
            assert (await login(client, email)).status_code == 303
        tokens = [csrf_of((await client.get("/console/staff")).text) for client in (one, other)]
        # Both pages were open before either form went: each request passes its session check first.
        answers = await asyncio.gather(
            one.post(f"/console/staff/{second}/deactivate", data={"csrf_token": tokens[0], "confirmed": "yes"}),
            other.post(f"/console/staff/{first}/deactivate", data={"csrf_token": tokens[1], "confirmed": "yes"}),
        )
    async with runtime.db.read() as conn:
        admins = (await conn.execute(select(staff.c.id).where(staff.c.role == "admin", staff.c.active))).all()
    assert len(admins) == 1
    assert sorted(a.status_code for a in answers)[0] == 303
    async with runtime.db.write() as conn:
        for change in (
            lambda: deactivate_staff(conn, admins[0].id, runtime.clock(), "staff:0"),
            lambda: set_role(conn, admins[0].id, "adviser", runtime.clock(), "staff:0"),
        ):
            with pytest.raises(StaffError, match="at least one active admin"):
                await change()


async def test_an_admin_resets_no_password_of_their_own(runtime: Runtime, client: httpx.AsyncClient) -> None:
    """The staff page offers no reset on the admin's own row; a form sent there anyway would sign them out with no
    password, so it is refused and says where their own password is changed."""
    admin = await signed_in_admin(runtime, client)
    assert f"/console/staff/{admin}/reset-password" not in (await client.get("/console/staff")).text
    refused = await post_form(client, "/console/staff", f"/console/staff/{admin}/reset-password", {})
    assert refused.status_code == 422 and "You change your own password under “Me”" in refused.text
    assert (await client.get("/console/staff")).status_code == 200  # still signed in, password kept
    assert (await login(client, "admin@example.org")).status_code == 303


def _link_in(page: str) -> str:
    found = re.search(r'value="([^"]+)" id="setup-link"', page)
    assert found is not None, "the page shows no link"
    return found.group(1)


async def test_a_new_password_link_from_the_console_replaces_the_old_one(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    await signed_in_admin(runtime, client)
    first = await post_form(client, "/console/staff", "/console/staff", {"email": "new@example.org", "role": "adviser"})
    old_link = _link_in(first.text)
    async with runtime.db.read() as conn:
        person = (await conn.execute(select(staff.c.id).where(staff.c.email == "new@example.org"))).scalar_one()
    row = first.text.split(f'data-staff="{person}"')[1].split("</tr>")[0]
    # Waiting for a first password: nothing to end, so the row offers a new link, not a reset.
    assert "New password link" in row and "Reset password" not in row
    again = await post_form(client, "/console/staff", f"/console/staff/{person}/reset-password", {})
    assert again.status_code == 200
    new_link = _link_in(again.text)
    assert new_link != old_link and new_link.startswith("https://keephome.example.org/console/setup/")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(runtime)), base_url="https://keephome.example.org"
    ) as newcomer:
        assert (await newcomer.get(old_link.removeprefix("https://keephome.example.org"))).status_code == 404
        path = new_link.removeprefix("https://keephome.example.org")
        page = await newcomer.get(path)
        assert page.status_code == 200 and "new@example.org" in page.text
        form = {
            "password": "a long new pass phrase",
            "repeat": "a long new pass phrase",
            "csrf_token": csrf_of(page.text),
        }
        assert (await newcomer.post(path, data=form)).status_code == 303
        assert (await login(newcomer, "new@example.org", "a long new pass phrase")).status_code == 303
    # Only active people get a link.
    assert (
        await post_form(client, "/console/staff", f"/console/staff/{person}/deactivate", {"confirmed": "yes"})
    ).status_code == 303
    gone = await post_form(client, "/console/staff", f"/console/staff/{person}/reset-password", {})
    assert gone.status_code == 404


async def test_an_admins_reset_ends_a_leaked_password_and_every_session_at_once(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """A password leaked or a phone lost: the admin's reset on the staff page, said there before it is pressed, ends
    the password and every session of the person at once (not when they use the new link), as `keephome staff
    reset-password` does, and the Telegram chat on the lost phone gets no more notices (a tenant's first name). Audited
    as the CLI's is, with the admin as the actor."""
    admin = await signed_in_admin(runtime, client)
    person = await add_person(runtime, "lost.phone@example.org", "adviser")
    async with runtime.db.write() as conn:
        await conn.execute(
            update(staff).where(staff.c.id == person).values(telegram_chat_id=5554, notify_telegram=True)
        )
    page = (await client.get("/console/staff")).text
    assert 'id="reset-explained"' in page and "stops working at once" in page
    row = page.split(f'data-staff="{person}"')[1].split("</tr>")[0]
    assert f'action="/console/staff/{person}/reset-password"' in row and "Reset password" in row
    assert "Their password stops working now, they are signed out everywhere and their Telegram notices stop" in row
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(runtime)), base_url="https://keephome.example.org"
    ) as phone:
        assert (await login(phone, "lost.phone@example.org")).status_code == 303
        assert (await phone.get("/console/")).status_code == 200
        reset = await post_form(client, "/console/staff", f"/console/staff/{person}/reset-password", {})
        assert reset.status_code == 200 and 'id="reset-done"' in reset.text
        link = _link_in(reset.text)
        # The phone's session and the old password open nothing, before anyone uses the link; nor does its chat
        # hear of an urgent case.
        assert (await phone.get("/console/")).headers["location"] == "/console/login"
        assert (await login(phone, "lost.phone@example.org")).status_code == 401
        case_id = await add_case(runtime, await add_tenant(runtime, "T-9", name="Nora Tenant"))
        async with runtime.db.write() as conn:
            chat = (await conn.execute(select(staff.c.telegram_chat_id).where(staff.c.id == person))).scalar()
            told = await conn.run_sync(
                lambda sync: notify_urgent_case(Scene.of(sync), case_id, runtime.clock(), runtime.settings.public_url)
            )
        assert (chat, told) == (None, 0)
        path = link.removeprefix("https://keephome.example.org")
        form = {"password": "a brand new pass phrase", "repeat": "a brand new pass phrase"}
        token = csrf_of((await phone.get(path)).text)
        assert (await phone.post(path, data={**form, "csrf_token": token})).status_code == 303
        assert (await login(phone, "lost.phone@example.org", "a brand new pass phrase")).status_code == 303
    async with runtime.db.read() as conn:
        entries = (
            await conn.execute(
                select(audit_log.c.actor, audit_log.c.target).where(audit_log.c.action == "staff.password_reset")
            )
        ).all()
    assert entries == [(f"staff:{admin}", f"staff:{person}")]


async def test_a_deactivated_person_is_reactivated_with_a_role_and_a_new_link_and_the_old_password_fails(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    admin = await signed_in_admin(runtime, client)
    person = await add_person(runtime, "back@example.org", "volunteer")
    async with runtime.db.write() as conn:  # a chat linked while they were an adviser before
        await conn.execute(
            update(staff).where(staff.c.id == person).values(telegram_chat_id=5555, notify_telegram=True)
        )
    assert (
        await post_form(client, "/console/staff", f"/console/staff/{person}/deactivate", {"confirmed": "yes"})
    ).status_code == 303
    row = (await client.get("/console/staff")).text.split(f'data-staff="{person}"')[1].split("</tr>")[0]
    assert "deactivated" in row and f'action="/console/staff/{person}/reactivate"' in row
    assert 'required aria-label="Role"><option value="" selected disabled>Choose a role</option>' in row
    # A role form from a page opened before the deactivation changes nothing: the role is chosen on reactivation.
    stale = await post_form(client, "/console/staff", f"/console/staff/{person}/role", {"role": "admin"})
    assert stale.status_code == 422 and "its role is chosen when it is reactivated" in stale.text
    # Adding the same e-mail again says where to go on: the row's reactivation, not a link the row does not have.
    again = await post_form(
        client, "/console/staff", "/console/staff", {"email": "back@example.org", "role": "adviser"}
    )
    assert again.status_code == 422 and "exists and is deactivated: reactivate it on its row of the list" in again.text
    assert (await post_form(client, "/console/staff", f"/console/staff/{person}/reactivate", {})).status_code == 422
    back = await post_form(client, "/console/staff", f"/console/staff/{person}/reactivate", {"role": "adviser"})
    assert back.status_code == 200 and "Send this one-time link to back@example.org" in back.text
    link = _link_in(back.text)
    async with runtime.db.read() as conn:
        row_now = (await conn.execute(select(staff).where(staff.c.id == person))).one()
        entry = (await conn.execute(select(audit_log).where(audit_log.c.action == "staff.reactivate"))).one()
    assert (row_now.active, row_now.role) == (True, "adviser")
    async with runtime.db.read() as conn:
        changes = (await conn.execute(select(audit_log.c.id).where(audit_log.c.action == "staff.role_change"))).all()
    assert changes == []
    # Notices go to a chat they connect again, not to the one they had before they left.
    assert (row_now.telegram_chat_id, row_now.notify_telegram) == (None, False)
    assert (entry.actor, entry.target, entry.detail) == (f"staff:{admin}", f"staff:{person}", "role=adviser")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(runtime)), base_url="https://keephome.example.org"
    ) as returner:
        # The password from before the deactivation no longer signs in; the new link sets one that does.
        assert (await login(returner, "back@example.org")).status_code != 303
        path = link.removeprefix("https://keephome.example.org")
        page = await returner.get(path)
        assert page.status_code == 200
        form = {
            "password": "a long new pass phrase",
            "repeat": "a long new pass phrase",
            "csrf_token": csrf_of(page.text),
        }
        assert (await returner.post(path, data=form)).status_code == 303
        signed = await login(returner, "back@example.org", "a long new pass phrase")
        assert signed.status_code == 303 and signed.headers["location"] == "/console/"
    # Sent again (a reload repeats the POST), the form makes no second link and says where an active person's is.
    twice = await post_form(client, "/console/staff", f"/console/staff/{person}/reactivate", {"role": "adviser"})
    assert twice.status_code == 422 and "exists already: a new password link for it is made on its row" in twice.text
    async with runtime.db.read() as conn:
        assert (await conn.execute(select(staff.c.password_hash).where(staff.c.id == person))).scalar() is not None


async def test_a_wrong_number_is_told_to_the_admins_who_asked_for_notices(runtime: Runtime) -> None:
    admin = await add_person(runtime, "admin-notices@example.org", "admin")
    adviser = await add_person(runtime, "adviser-notices@example.org", "adviser")
    async with runtime.db.write() as conn:
        await conn.execute(update(staff).where(staff.c.id == admin).values(notify_telegram=True, telegram_chat_id=5551))
        await conn.execute(
            update(staff).where(staff.c.id == adviser).values(notify_telegram=True, telegram_chat_id=5552)
        )
    await add_tenant(runtime, "R-1", name="Zeta Tenant", phone="+4520000009", balance_ore=880000)
    for n in (1, 2):  # said twice: told once
        await runtime.inbox.submit(InboundMessage("sms", f"SM-wrong-{n}", "+4520000009", "FORKERT NUMMER"))
        await process_all(runtime.processor)
    await drain(runtime.sender)
    [notice] = sandbox(runtime)["telegram"].to("5551")
    assert "Zeta" in notice.text and "Tenant" not in notice.text and "8.800" not in notice.text
    assert "https://keephome.example.org/console/admin" in notice.text and "forkert" in notice.text
    assert sandbox(runtime)["telegram"].to("5552") == []  # an adviser is not told: the admins correct numbers


async def test_the_header_marks_the_page_one_is_on(runtime: Runtime, client: httpx.AsyncClient) -> None:
    await signed_in_admin(runtime, client)
    for path, current in (
        ("/console/admin", "/console/admin"),
        ("/console/admin/api-keys", "/console/admin"),
        ("/console/", "/console/"),
        ("/console/me", "/console/me"),
    ):
        page = (await client.get(path)).text
        header = page.split("<header>", 1)[1].split("</header>", 1)[0]
        # An admin's header has its links twice, in the row and in the phone's menu (one is shown): both mark it.
        assert re.findall(r'<a href="([^"]+)" aria-current="page">', header) == [current, current], path
