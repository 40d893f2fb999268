"""Erasing a tenant: no personal data or text about them is left in any table or in the SQLite file, the rows
the outcome figures count stay, a tombstone keeps a re-import out unless it says reactivate=1, and it is audited
without naming the person."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from bot.cli.erase import run_erase
from bot.cli.import_csv import run_import
from bot.console.outcome_figures import load_outcomes
from bot.console.outcome_period import Period
from bot.host.outreach import offer_outreach
from bot.reminders.ledger import import_tenants
from bot.runtime import Runtime
from bot.store.schema import (
    audit_log,
    case_events,
    case_tasks,
    cases,
    consents,
    erased_refs,
    messages,
    metadata,
    outbox,
    rent_positions,
    staff,
    tenants,
)
from bot.tenants.csv_rows import known_languages, parse_csv
from bot.tenants.erase import NotErasable, erase, ref_hash
from bot.tenants.upsert import ErasedUnchecked, preview_import
from tests.conftest import make_settings, started_runtime
from tests.support.console import add_person, login
from tests.support.drive import drain, sandbox
from tests.support.history import History, a_tenant_with_a_history


async def everything(rt: Runtime) -> str:
    """Every row of every table as text: what a person with the database in hand could read."""
    found: list[str] = []
    async with rt.db.read() as conn:
        for table in metadata.sorted_tables:
            for row in (await conn.execute(select(table))).all():
                found.append(json.dumps([str(v) if not isinstance(v, dict | list) else v for v in row], default=str))
    return "\n".join(found)


def traces(history: History) -> list[str]:
    return [history.name, history.name.split()[0], history.phone, history.phone.removeprefix("+45"), history.ref]


async def counted(rt: Runtime, table: Any, *where: Any) -> int:
    async with rt.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one())


async def test_erasure_leaves_nothing_that_names_the_tenant_and_keeps_the_counts(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    history = await a_tenant_with_a_history(rt, client)
    before = await everything(rt)
    for trace in [*traces(history), *history.words]:
        assert trace in before  # the test can see each of them
    rows_before = {t.name: await counted(rt, t) for t in (messages, outbox, consents, cases)}

    done = await erase(rt.db, history.ref, rt.clock(), "cli", rt.settings.secret_key)
    assert done.tenant_id == history.tenant_id

    after = await everything(rt)
    for trace in [*traces(history), *history.words]:
        assert trace not in after, trace
    # The rows stay, so the outcome page still counts the tenant: messages, consent, the closed case's outcome.
    assert {t.name: await counted(rt, t) for t in (messages, outbox, consents, cases)} == rows_before
    async with rt.db.read() as conn:
        tenant = (await conn.execute(select(tenants).where(tenants.c.id == history.tenant_id))).one()
        case = (await conn.execute(select(cases).where(cases.c.id == history.case_id))).one()
        texts = (await conn.execute(select(messages.c.text).where(messages.c.text.is_not(None)))).scalars().all()
    assert tenant.status == "erased" and tenant.name == "" and tenant.phone is None
    assert tenant.tenant_ref.startswith("erased:")
    assert case.outcome == "payment_plan" and case.outcome_note is None and case.volunteer_task is None
    assert texts == []
    assert await counted(rt, rent_positions, rent_positions.c.tenant_id == history.tenant_id) == 0
    assert (
        await counted(rt, erased_refs, erased_refs.c.ref_hash == ref_hash(rt.settings.secret_key or "", history.ref))
        == 1
    )


async def test_the_erasure_is_audited_by_id_and_counts_only(served: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, client = served
    history = await a_tenant_with_a_history(rt, client)
    await erase(rt.db, history.ref, rt.clock(), "cli", rt.settings.secret_key)
    async with rt.db.read() as conn:
        entries = (await conn.execute(select(audit_log).where(audit_log.c.action == "tenant.erase"))).all()
        about = (
            await conn.execute(select(audit_log.c.detail).where(audit_log.c.target == f"case:{history.case_id}"))
        ).scalars()
        details = list(about)
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.actor, entry.target) == ("cli", f"tenant:{history.tenant_id}")
    assert "messages=" in entry.detail and "cases=1" in entry.detail
    assert history.ref not in entry.detail and history.name not in entry.detail
    # Entries about their case stay (who looked, when) without their details.
    assert details and all(detail is None for detail in details)


async def test_the_audit_page_says_what_an_erasure_blanked_in_the_readers_words(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """Each count of an erasure under its own heading in Danish ("Beskeder tømt"), not the stored `messages=`."""
    rt, client = served
    history = await a_tenant_with_a_history(rt, client)
    await erase(rt.db, history.ref, rt.clock(), "cli", rt.settings.secret_key)
    async with rt.db.read() as conn:
        detail = (await conn.execute(select(audit_log.c.detail).where(audit_log.c.action == "tenant.erase"))).scalar()
    assert isinstance(detail, str)
    counts = dict(item.split("=") for item in detail.split(" "))
    admin = await add_person(rt, "admin@example.org", "admin")
    async with rt.db.write() as conn:
        await conn.execute(update(staff).where(staff.c.id == admin).values(language="da"))
    assert (await login(client, "admin@example.org")).status_code == 303
    page = (await client.get("/console/audit?action=tenant.erase")).text
    said = (
        f"Beskeder tømt: {counts['messages']}; Sager tømt: 1; Modtagne beskeder tømt: {counts['inbound']}; "
        f"Samtaler tømt: {counts['conversations']}; Detaljer i loggen tømt: {counts['audit_details']}; "
        f"Gemte svar til API&#39;et tømt: {counts['api_answers']}"
    )
    assert page.count(f'<td class="detail">{said}<br><code class="muted"') == 1, page
    # The stored detail only as the code beside the words.
    assert page.count("messages=") == 1 and "Læste beskeder" not in page


async def test_the_sqlite_file_holds_no_copy_after_an_erasure(
    runtime: Runtime, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    history = await a_tenant_with_a_history(runtime, client)
    files = [tmp_path / "keephome.db", tmp_path / "keephome.db-wal"]

    def on_disk() -> bytes:
        return b"".join(f.read_bytes() for f in files if f.exists())

    assert history.name.encode() in on_disk() or history.words[1].encode() in on_disk()
    done = await erase(runtime.db, history.ref, runtime.clock(), "cli", runtime.settings.secret_key)
    assert done.file_scrubbed
    data = on_disk()
    for trace in [*traces(history), *history.words]:
        assert trace.encode() not in data, trace
    assert not files[1].exists() or files[1].stat().st_size == 0  # the WAL was emptied


async def test_an_open_case_is_closed_and_nothing_queued_for_the_tenant_leaves(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    history = await a_tenant_with_a_history(rt, client, close=False)
    page = f"/console/cases/{history.case_id}"
    from tests.support.console import post_form

    queued = {"text": "Vi ses i morgen", "nonce": "history-reply-2"}
    assert (await post_form(client, page, f"{page}/reply", queued)).status_code == 303  # not sent yet
    await erase(rt.db, history.ref, rt.clock(), "cli", rt.settings.secret_key)
    sent_before = len(sandbox(rt)["sms"].sent)
    await drain(rt.sender)
    assert len(sandbox(rt)["sms"].sent) == sent_before
    async with rt.db.read() as conn:
        case = (await conn.execute(select(cases).where(cases.c.id == history.case_id))).one()
        pending = await conn.execute(select(func.count()).where(outbox.c.state == "pending"))
    assert case.status == "closed" and case.outcome is None
    assert pending.scalar_one() == 0
    shown = await client.get(page)
    assert shown.status_code == 200  # the case page shows an anonymous, closed case
    # with no court path to record or print: its forms and the kommune notice could only answer "no such tenant"
    assert 'id="court"' not in shown.text and "/court/" not in shown.text and "kommune-notice" not in shown.text


async def test_a_case_with_a_volunteer_closes_as_any_case_closes(served: tuple[Runtime, httpx.AsyncClient]) -> None:
    """Erasure closes an open case through the one writer of a case's closing: the volunteer lets go (their list
    no longer shows the task), the case is closed with no outcome, and its last event says it was erased."""
    rt, client = served
    history = await a_tenant_with_a_history(rt, client, close=False)  # a volunteer has the case's task
    from tests.support.console import login

    client.cookies.clear()
    assert (await login(client, "volunteer@example.org")).status_code == 303
    assert (await client.get("/console/tasks")).text.count('class="card task"') == 1
    at = rt.clock()
    await erase(rt.db, history.ref, at, "cli", rt.settings.secret_key)
    listed = (await client.get("/console/tasks")).text
    assert listed.count('class="card task"') == 0
    # The list says a task ended with its case, and nothing of it: erasure blanked its words.
    assert 'id="ended"' in listed and "Due " not in listed.split('id="ended"')[1].split("</div>")[0]
    async with rt.db.read() as conn:
        case = (await conn.execute(select(cases).where(cases.c.id == history.case_id))).one()
        events = (
            await conn.execute(
                select(case_events.c.kind, case_events.c.text, case_events.c.staff_id)
                .where(case_events.c.case_id == history.case_id)
                .order_by(case_events.c.id)
            )
        ).all()
        volunteer = (await conn.execute(select(staff.c.id).where(staff.c.email == "volunteer@example.org"))).scalar()
    assert (case.status, case.outcome, case.volunteer_id, case.closed_at) == ("closed", None, None, at)
    assert [tuple(e) for e in events[-2:]] == [("task_ended", None, volunteer), ("erased", None, None)]


async def test_an_erased_tenant_leaves_no_open_step_for_a_caretaker_or_volunteer(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, _client = served
    history = await a_tenant_with_a_history(rt, _client, close=False)
    later = rt.clock() + timedelta(days=4)  # the tenant has been quiet past KEEPHOME_NO_ANSWER_DAYS: a call is offered
    async with rt.db.write() as conn:
        assert await conn.run_sync(lambda c: offer_outreach(c, later, 3)) == 1
    open_steps = select(func.count()).select_from(case_tasks).where(case_tasks.c.status == "open")
    async with rt.db.read() as conn:
        assert (await conn.execute(open_steps)).scalar_one() == 1
    await erase(rt.db, history.ref, rt.clock(), "cli", rt.settings.secret_key)
    async with rt.db.read() as conn:
        assert (await conn.execute(open_steps)).scalar_one() == 0


def rows_of(text: str, day: date) -> Any:
    parsed = parse_csv(text.encode(), day, known_languages(), ["da", "en"], "da")
    assert parsed.ok, parsed.errors
    return parsed.rows


async def test_a_reimport_leaves_an_erased_tenant_out_unless_the_row_says_reactivate(
    database_url: str, tmp_path: Path
) -> None:
    async with started_runtime(make_settings(database_url)) as rt:
        now = rt.clock()
        day = now.date()
        file = "tenant_ref,name,phone,balance\nA-1,Amira Zyxwvu,+4520987654,7100.00\nB-2,Bo Andersen,+4520111222,0\n"
        await import_tenants(rt.db, rows_of(file, day), now, rt.settings)
        await erase(rt.db, "A-1", now, "cli", rt.settings.secret_key)
        again = await import_tenants(rt.db, rows_of(file, day), now, rt.settings)
        assert (again.created, again.updated, again.erased_skipped) == (0, 1, 1)
        assert "1 erased tenant left out" in str(again)
        assert "Zyxwvu" not in await everything(rt)
        preview = await preview_import(rt.db, rows_of(file, day), secret_key=rt.settings.secret_key)
        assert preview.erased_skipped == 1
        # The operator's dry run of the same file says so too (it checks with the service's key).
        path = tmp_path / "tenants.csv"
        path.write_text(file, encoding="utf-8")
        out = io.StringIO()
        assert await run_import(rt.settings, path, True, out, io.StringIO()) == 0
        assert "1 erased tenant left out" in out.getvalue() and "nothing written" in out.getvalue()

        back = file.replace("balance\n", "balance,reactivate\n").replace("7100.00\n", "7100.00,1\n")
        back = back.replace(",0\n", ",0,\n")
        returned = await import_tenants(rt.db, rows_of(back, day), now, rt.settings)
        assert (returned.created, returned.updated, returned.erased_skipped) == (1, 1, 0)
        async with rt.db.read() as conn:
            live = (
                await conn.execute(select(tenants.c.id, tenants.c.status).where(tenants.c.tenant_ref == "A-1"))
            ).all()
        assert len(live) == 1 and live[0].status == "active"
        assert await counted(rt, erased_refs) == 0
        # Back for good: a later import without the flag updates the tenant as any other.
        later = await import_tenants(rt.db, rows_of(file, day), now, rt.settings)
        assert (later.created, later.updated, later.erased_skipped) == (0, 2, 0)


async def test_without_the_secret_key_an_import_cannot_tell_and_imports_nothing(runtime: Runtime) -> None:
    now = runtime.clock()
    file = "tenant_ref,name,phone\nA-1,Amira Zyxwvu,+4520987654\n"
    await import_tenants(runtime.db, rows_of(file, now.date()), now, runtime.settings)
    await erase(runtime.db, "A-1", now, "cli", runtime.settings.secret_key)
    keyless = make_settings(runtime.settings.database_url, secret_key=None)
    with pytest.raises(ErasedUnchecked, match="KEEPHOME_SECRET_KEY"):
        await import_tenants(runtime.db, rows_of(file, now.date()), now, keyless)
    assert await counted(runtime, tenants) == 1


async def test_erase_on_the_command_line(runtime: Runtime) -> None:
    now = runtime.clock()
    file = "tenant_ref,name,phone\nA-1,Amira Zyxwvu,+4520987654\n"
    await import_tenants(runtime.db, rows_of(file, now.date()), now, runtime.settings)
    out, err = io.StringIO(), io.StringIO()
    # Exactly as written: an erasure is not undone, so "a-1" (the console finds A-1 by it) erases nothing.
    assert await run_erase(runtime.settings, "a-1", out, err) == 2
    assert 'no tenant with tenant_ref "a-1"' in err.getvalue()
    assert await run_erase(runtime.settings, "A-1", out, err, yes=True) == 0
    assert out.getvalue().startswith("erased tenant 'A-1' ") and "add the column reactivate" in out.getvalue()
    out, err = io.StringIO(), io.StringIO()
    assert await run_erase(runtime.settings, "A-1", out, err) == 2
    assert "was erased on" in err.getvalue()
    assert await run_erase(runtime.settings, "NO-SUCH", out, err) == 2
    assert 'no tenant with tenant_ref "NO-SUCH"' in err.getvalue()
    keyless = make_settings(runtime.settings.database_url, secret_key=None)
    assert await run_erase(keyless, "A-1", out, err) == 2
    assert "KEEPHOME_SECRET_KEY" in err.getvalue()
    with pytest.raises(NotErasable):
        await erase(runtime.db, "A-1", now, "cli", None)


async def test_the_outcome_figures_still_count_an_erased_tenant(served: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, client = served
    history = await a_tenant_with_a_history(rt, client)
    from zoneinfo import ZoneInfo

    from bot.store.schema import planned_reminders
    from tests.support.outcomes_world import World

    # A reminder whose message went out (the figures count no other), planned with its reason and values.
    planned = await World(rt).remind(history.tenant_id, "missed", date(2026, 1, 5))
    async with rt.db.write() as conn:
        await conn.execute(
            planned_reminders.update()
            .where(planned_reminders.c.id == planned)
            .values(
                reason="missed: rent due 2026-01-01 unpaid",
                computed_from={"due_date": "2026-01-01", "balance_as_of": "2026-01-05"},
            )
        )
    period = Period(date(2026, 1, 1), date(2026, 1, 31), None, ZoneInfo("Europe/Copenhagen"), date(2026, 2, 1))

    async def figures() -> list[int]:
        async with rt.db.read() as conn:
            found = await load_outcomes(conn, period)
        return [found.total.counts[k] for k in ("reminded", "replied", "consented", "reached", "outcome")]

    counted_before = await figures()
    assert counted_before == [1, 1, 1, 1, 1]
    await erase(rt.db, history.ref, rt.clock(), "cli", rt.settings.secret_key)
    assert await figures() == counted_before
    async with rt.db.read() as conn:  # the reminder counts; why it was planned is gone with the rest
        kept = (await conn.execute(select(planned_reminders.c.reason, planned_reminders.c.computed_from))).one()
    assert tuple(kept) == ("", None)
