"""A tenant's export: everything held about them, as JSON and as a readable page, from the command line and from
an admin's console; every export is audited."""

from __future__ import annotations

import io
import json
import re
import stat
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import Connection, insert, select, update

from bot.app import create_app
from bot.cli.export import run_export
from bot.console.data_rights import EXPORT_WORDS
from bot.host.consents import record_consent, withdraw_consent
from bot.host.tasks import add_task, set_task_status
from bot.i18n import speaking
from bot.inbound.inbox import InboundMessage
from bot.reminders.ledger import import_tenants
from bot.runtime import Runtime
from bot.store.schema import audit_log, case_tasks, outbox, planned_reminders, staff
from bot.tenants.court import record_filing, record_outcome
from bot.tenants.csv_rows import known_languages, parse_csv
from bot.tenants.export import export_tenant, render_html, to_json
from bot.tenants.linking import shown_code
from tests.conftest import make_settings, started_runtime
from tests.support.console import add_person, add_tenant, login, post_form
from tests.support.drive import drain, process_all
from tests.support.history import NOTE, OUTCOME_NOTE, REPLY, TASK, TENANT_WORDS, History, a_tenant_with_a_history


async def exports(rt: Runtime) -> list[Any]:
    async with rt.db.read() as conn:
        return list(
            (
                await conn.execute(
                    select(audit_log).where(audit_log.c.action == "tenant.export").order_by(audit_log.c.id)
                )
            ).all()
        )


async def test_the_export_holds_everything_about_the_tenant(served: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, client = served
    history = await a_tenant_with_a_history(rt, client)
    data = await export_tenant(rt.db, history.ref, rt.clock(), "cli")
    json.dumps(data)  # plain JSON all through
    assert data["tenant"]["name"] == history.name and data["tenant"]["phone"] == history.phone
    assert (data["rent_position"]["balance"], data["rent_position"]["monthly_rent"]) == ("7100.50", "6900.00")
    written = [m["text"] for m in data["messages"] if m["direction"] == "in"]
    assert written[:2] == list(TENANT_WORDS) and written.count("JA") == 1
    assert REPLY in [m["text"] for m in data["messages"] if m["author"].startswith("staff:")]
    assert [r["text"] for r in data["inbound_receipts"]][:2] == list(TENANT_WORDS)
    consent, volunteers = data["consents"]  # the yes to an adviser, and the form signed for the volunteers
    assert consent["evidence"]["text"] == "JA" and consent["withdrawn_at"] is None
    assert (volunteers["recipient_kind"], volunteers["data_kinds"], volunteers["method"]) == (
        "volunteer_org",
        ["contact"],
        "signed_form",
    )
    (case,) = data["cases"]
    assert case["outcome"] == "payment_plan" and case["outcome_note"] == OUTCOME_NOTE
    assert [n["text"] for n in data["notes"]] == [NOTE]
    assert [t["text"] for t in data["tasks"]] == [TASK]
    assert any(c["state"]["data"] for c in data["conversations"])  # the answers they gave
    assert data["telegram_link_codes"] and "secret_hash" not in data["telegram_link_codes"][0]
    actions = [a["action"] for a in data["audit"]]
    assert "case.view" in actions and "case.note" in actions and "tenant.view" in actions
    entries = await exports(rt)
    assert [(e.actor, e.target, e.detail) for e in entries] == [("cli", f"tenant:{history.tenant_id}", "format=json")]


async def test_the_command_line_prints_json_or_writes_a_page(
    runtime: Runtime, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    history: History = await a_tenant_with_a_history(runtime, client)
    out, err = io.StringIO(), io.StringIO()
    assert await run_export(runtime.settings, history.ref, None, out, err) == 0
    assert json.loads(out.getvalue())["tenant"]["tenant_ref"] == history.ref

    page = tmp_path / "export.html"
    out, err = io.StringIO(), io.StringIO()
    assert await run_export(runtime.settings, history.ref, page, out, err) == 0
    assert out.getvalue() == "" and str(page) in err.getvalue()
    html = page.read_text(encoding="utf-8")
    # In the console's language (English in the tests' settings, `console_language="en"`).
    assert '<html lang="en">' in html and f"Data held about {history.name}" in html
    assert NOTE in html and "<script" not in html
    assert stat.S_IMODE(page.stat().st_mode) == 0o600  # it holds a person's data
    assert await run_export(runtime.settings, history.ref, page, out, err) == 2  # never written over
    assert "exists" in err.getvalue()
    assert await run_export(runtime.settings, "NO-SUCH", None, out, err) == 2
    assert [e.detail for e in await exports(runtime)] == ["format=json", "format=html"]


async def test_the_page_from_the_command_line_is_in_keephome_console_language(
    database_url: str, tmp_path: Path
) -> None:
    async with started_runtime(make_settings(database_url, console_language="da")) as rt:
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
            history = await a_tenant_with_a_history(rt, client)
        page = tmp_path / "eksport.html"
        out, err = io.StringIO(), io.StringIO()
        assert await run_export(rt.settings, history.ref, page, out, err) == 0
        out = io.StringIO()
        assert await run_export(rt.settings, history.ref, None, out, err) == 0
    html = page.read_text(encoding="utf-8")
    assert '<html lang="da">' in html and f"Oplysninger om {history.name}" in html
    # Headings, stored codes and yes/no in Danish; what people wrote as they wrote it.
    for words in ("Lejemål og kontakt", "Beskeder", "<dt>Telefon</dt>", "fra lejeren", "til lejeren", "aktiv"):
        assert words in html, words
    assert "<dt>Status</dt><dd>lukket</dd>" in html and "<dt>Udfald</dt><dd>afdragsordning</dd>" in html
    assert "<dd>ja</dd>" in html and NOTE in html and TENANT_WORDS[0] in html
    assert "Data held about" not in html and "<dd>payment_plan</dd>" not in html and "<dd>True</dd>" not in html
    # The JSON keeps the stored names and codes: its field names are a contract.
    data = json.loads(out.getvalue())
    assert data["cases"][0]["outcome"] == "payment_plan" and data["tenant"]["status"] == "active"


async def test_the_page_names_statuses_kinds_and_outcomes_in_words_and_the_json_keeps_the_codes(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    history = await a_tenant_with_a_history(rt, client)
    now = rt.clock()
    today = now.date()

    def more(conn: Connection) -> None:
        """A filing called off, a consent to share withdrawn, a referral's step applied for, a reminder planned."""
        record_filing(conn, history.tenant_id, today - timedelta(days=20), today + timedelta(days=10), now)
        record_outcome(conn, history.tenant_id, "called_off", today, now, today=today)
        consent = record_consent(
            conn,
            tenant_id=history.tenant_id,
            case_id=history.case_id,
            recipient_kind="volunteer_org",
            recipient="Dansk Folkehjælp",
            source="Boligselskabet Test",
            data_kinds=["contact"],
            purpose="Et budget",
            wording=None,
            method="signed_form",
            recorded_by=None,
            given_at=now,
            now=now,
        )
        withdraw_consent(conn, consent, now)
        step = add_task(conn, case_id=history.case_id, tenant_id=history.tenant_id, kind="boligstoette", now=now)
        set_task_status(conn, "applied", now, case_tasks.c.id == step, finished=False)
        row = {"trigger": "missed", "period": "2026-03", "offset_days": -1, "reason": "rent due", "created_at": now}
        conn.execute(insert(planned_reminders).values(tenant_id=history.tenant_id, planned_for=today, **row))

    await rt.db.run(more)
    data = await export_tenant(rt.db, history.ref, now, "cli")
    with speaking("en"):
        html = render_html(data, EXPORT_WORDS)
    codes = set(re.findall(r"<code>(.*?)</code>", html))
    stored = {
        data["tenant"]["channel_preference"],
        *(c["flow"] for c in data["conversations"]),
        *(c["ended_reason"] for c in data["conversations"] if c["ended_reason"]),
        *(c[k] for c in data["consents"] for k in ("scope", "ended_reason") if c[k]),
        *(t[k] for t in data["case_tasks"] for k in ("kind", "status")),
        *(e["source"] for e in data["rent_events"]),
        *(b["source"] for b in data["balance_history"]),
        *(m["status"] for m in data["messages"]),
        *(r["trigger"] for r in data["reminders"]),
        *(c["kind"] for c in data["telegram_link_codes"]),
    }
    # The JSON keeps the codes (its names are a contract); the page shows none of them as a code.
    assert {"auto", "payment_check", "adviser", "share", "withdrawn", "boligstoette", "applied", "missed"} <= stored
    assert {"console", "code", "sent"} <= stored
    assert not codes & stored, sorted(codes & stored)
    for words in (
        "whichever reaches the tenant",
        "the rent: a conversation the tenant began",  # they wrote first: no reminder started it
        "sharing with a named recipient",
        "Boligstøtte (Udbetaling Danmark)",
        "<td>Applied</td>",
        "<td>rent missed</td>",
        "a code sent by SMS",
        "<td>the console</td>",
    ):
        assert words in html, words


async def test_the_balance_history_has_each_change_an_import_made(runtime: Runtime) -> None:
    now = runtime.clock()

    async def load(balance: str, as_of: str) -> None:
        file = f"tenant_ref,name,phone,balance,balance_as_of\nA-1,Amira Zyxwvu,+4520987654,{balance},{as_of}\n"
        parsed = parse_csv(file.encode(), now.date(), known_languages(), ["da", "en"], "da")
        assert parsed.ok, parsed.errors
        await import_tenants(runtime.db, parsed.rows, now, runtime.settings)

    await load("7100.00", "2026-02-03")
    await load("7100.00", "2026-02-04")  # no change: nothing new
    await load("0", "2026-02-06")
    data = await export_tenant(runtime.db, "A-1", now, "cli")
    assert data["balance_history"] == [
        {"as_of": "2026-02-03", "balance": "7100.00", "source": "import"},
        {"as_of": "2026-02-06", "balance": "0.00", "source": "import"},
    ]


def test_the_page_escapes_what_it_shows() -> None:
    data: dict[str, Any] = {
        "exported_at": "2026-12-01T10:00:00+00:00",
        "tenant": {"name": "<b>Amira</b>"},
        "rent_position": None,
        **{
            key: []
            for key in (
                "balance_history",
                "messages",
                "inbound_receipts",
                "conversations",
                "consents",
                "cases",
                "court_cases",
                "rent_events",
                "notes",
                "tasks",
                "reminders",
                "telegram_link_codes",
                "audit",
            )
        },
    }
    data["notes"] = [{"at": "x", "case_id": 1, "staff_id": 2, "text": "<script>alert(1)</script>"}]
    html = render_html(data, {})
    assert "<b>Amira</b>" not in html and "&lt;b&gt;Amira&lt;/b&gt;" in html
    assert "<script>" not in html


async def test_an_admin_downloads_the_export_from_the_console(runtime: Runtime, client: httpx.AsyncClient) -> None:
    await add_tenant(runtime, "A-1", name="Amira Zyxwvu", phone="+4520987654", balance_ore=100)
    await add_person(runtime, "admin@example.org", "admin")
    assert (await login(client, "admin@example.org")).status_code == 303
    page = await client.get("/console/data")
    assert page.status_code == 200 and 'href="/console/data"' in page.text
    response = await post_form(client, "/console/data", "/console/data/export", {"ref": "A-1", "format": "json"})
    assert response.status_code == 200
    # Named by the reference the organisation knows the tenant by, not keephome's own number.
    assert response.headers["content-disposition"] == 'attachment; filename="keephome-tenant-A-1.json"'
    assert response.json()["tenant"]["name"] == "Amira Zyxwvu"
    readable = await post_form(client, "/console/data", "/console/data/export", {"ref": "A-1", "format": "html"})
    assert readable.headers["content-type"].startswith("text/html") and "Amira Zyxwvu" in readable.text
    assert '<html lang="en">' in readable.text and "Data held about Amira Zyxwvu" in readable.text
    # An admin who chose Danish under "Me" gets the page in Danish; the JSON stays as stored.
    async with runtime.db.write() as conn:
        await conn.execute(update(staff).where(staff.c.email == "admin@example.org").values(language="da"))
    danish = await post_form(client, "/console/data", "/console/data/export", {"ref": "A-1", "format": "html"})
    assert '<html lang="da">' in danish.text and "Oplysninger om Amira Zyxwvu" in danish.text
    assert "<dt>Status</dt><dd>aktiv</dd>" in danish.text
    missing = await post_form(client, "/console/data", "/console/data/export", {"ref": "B-2", "format": "json"})
    assert missing.status_code == 422  # a reference mistyped comes back at the form (test_sent_back_pages.py)
    wrong = await post_form(client, "/console/data", "/console/data/export", {"ref": "A-1", "format": "xml"})
    assert wrong.status_code == 422
    entries = await exports(runtime)
    assert [(e.actor.startswith("staff:"), e.detail) for e in entries] == [
        (True, "format=json"),
        (True, "format=html"),
        (True, "format=html"),
    ]


async def test_the_downloads_name_is_the_reference_made_safe_for_a_file(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """A reference with a "/", a quote and a Danish letter names one file, in the folder the browser saves to."""
    await add_tenant(runtime, 'Blok 7/Ø"12', name="Amira Zyxwvu", phone="+4520987654")
    await add_person(runtime, "admin@example.org", "admin")
    assert (await login(client, "admin@example.org")).status_code == 303
    form = {"ref": 'Blok 7/Ø"12', "format": "html"}
    response = await post_form(client, "/console/data", "/console/data/export", form)
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        'attachment; filename="keephome-tenant-Blok_7_12.html"; '
        "filename*=UTF-8''keephome-tenant-Blok_7_%C3%98_12.html"
    )


async def test_only_admins_export(runtime: Runtime, client: httpx.AsyncClient) -> None:
    await add_tenant(runtime, "A-1", name="Amira Zyxwvu", phone="+4520987654")
    await add_person(runtime, "adviser@example.org", "adviser")
    assert (await login(client, "adviser@example.org")).status_code == 303
    assert (await client.get("/console/data")).status_code == 403
    home = await client.get("/console/")
    assert 'href="/console/data"' not in home.text
    refused = await client.post("/console/data/export", data={"ref": "A-1", "format": "json"})
    assert refused.status_code == 403
    assert await exports(runtime) == []


async def test_the_data_page_finds_a_reference_typed_in_either_case_and_never_guesses_between_two(
    runtime: Runtime, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """A tenant asks for their data and gives their reference as "demo-03"; it is stored as DEMO-03. The admin gets
    the tenant's page, not "no tenant has that reference"; `keephome export` finds it too. Should another tenant's
    reference differ from it only in case, the page says so and names both, instead of picking one."""
    await add_tenant(runtime, "DEMO-03", name="Amira Zyxwvu", phone="+4520987654")
    await add_person(runtime, "admin@example.org", "admin")
    assert (await login(client, "admin@example.org")).status_code == 303
    async with runtime.db.write() as conn:
        await conn.execute(update(staff).where(staff.c.email == "admin@example.org").values(language="da"))

    async def export(ref: str) -> httpx.Response:
        return await post_form(client, "/console/data", "/console/data/export", {"ref": ref, "format": "html"})

    for typed in ("demo-03", "Demo-03", "DEMO-03"):
        found = await export(typed)
        assert found.status_code == 200 and "Oplysninger om Amira Zyxwvu" in found.text, typed
    out, err = io.StringIO(), io.StringIO()
    assert await run_export(runtime.settings, "demo-03", None, out, err) == 0
    assert json.loads(out.getvalue())["tenant"]["tenant_ref"] == "DEMO-03"

    await add_tenant(runtime, "Demo-03", name="Bent Qxyzw", phone="+4520987655")
    refused = await export("demo-03")
    assert refused.status_code == 422
    said = unescape(refused.text)
    assert "2 lejere har dette lejemålsnummer" in said and "(DEMO-03, Demo-03)" in said
    assert "Amira" not in said and "Bent" not in said
    out, err = io.StringIO(), io.StringIO()
    assert await run_export(runtime.settings, "demo-03", None, out, err) == 2
    assert "(DEMO-03, Demo-03)" in err.getvalue() and out.getvalue() == ""
    # Each exact spelling finds its own tenant.
    assert "Oplysninger om Amira Zyxwvu" in (await export("DEMO-03")).text
    assert "Oplysninger om Bent Qxyzw" in (await export("Demo-03")).text
    assert [e.detail for e in await exports(runtime)] == ["format=html"] * 3 + ["format=json"] + ["format=html"] * 2


async def test_a_link_code_not_yet_sent_is_exported_as_queued_never_its_code_or_token(sqlite_url: str) -> None:
    """The tenant asked for a Telegram code by SMS and the SMS waits in the outbox with the code and a deep link:
    the JSON and the page say a code was queued (and then sent), and when, and hold neither the code nor the token."""
    settings = make_settings(sqlite_url, sms_links=True, telegram_bot="keephome_bot")
    async with started_runtime(settings) as rt:
        await add_tenant(rt, "R-1", phone="+4520000001")
        await rt.inbox.submit(InboundMessage("sms", "SM-code-1", "+4520000001", "TELEGRAM"))
        await process_all(rt.processor)
        async with rt.db.read() as conn:
            stored = (await conn.execute(select(outbox.c["values"]).where(outbox.c.template == "link.code"))).scalar()
        code, link = str(stored["code"]), str(stored["link"])
        token = link.rsplit("=", 1)[1]
        secrets = (code, shown_code(code), token)

        async def exported() -> tuple[dict[str, Any], str, str]:
            data = await export_tenant(rt.db, "R-1", rt.clock(), "cli")
            with speaking("da"):
                page = render_html(data, EXPORT_WORDS, zone=ZoneInfo("Europe/Copenhagen"))
            (sms,) = [m for m in data["messages"] if m["template"] == "link.code"]
            return sms, to_json(data), page

        sms, data, page = await exported()
        assert sms["status"] == "queued" and sms["created_at"] and sms["template_values"] is None
        for secret in secrets:
            assert secret not in data and secret not in unescape(page), secret
        assert "Kode til Telegram" not in page and "Link til Telegram" not in page
        assert "[kode til Telegram ikke sendt]" in page
        await drain(rt.sender)
        sms, data, page = await exported()
        assert sms["status"] == "sent" and sms["sent_at"]
        assert "[kode til Telegram sendt]" in page and "[link code sent]" not in page
        for secret in secrets:
            assert secret not in data and secret not in unescape(page), secret
