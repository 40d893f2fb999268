"""The audit page words each entry's action (`case.view` as "looked at a case"), in Danish and English, and keeps the
code beside it. Every action keephome writes has its words: found in the code where each is written, so a new one
without words fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import httpx
import pytest
from babel.messages.pofile import read_po
from sqlalchemy import update

from bot.console.audit import record
from bot.console.labels import AUDIT_ACTION_LABELS
from bot.host.handover import HandedBack
from bot.reminders.ledger import import_tenants
from bot.runtime import Runtime
from bot.store.schema import staff
from bot.tenants.csv_rows import ImportRow, known_languages, parse_csv
from tests.support.console import add_person, login

ROOT = Path(__file__).resolve().parents[3]
DA_PO = ROOT / "templates" / "console" / "locale" / "da.po"

# Where an action is made from parts or handed on in a variable: what it can be. A new such place fails the test
# below until it is listed here with its actions.
_MADE = {
    ("bot/api/app.py", "action"): {"api.tenant.view", "api.cases.list"},
    ("bot/api/tenants.py", "outcome.action"): {"api.tenant.put", "api.tenants.bulk"},
    ("bot/console/admin.py", "action"): {
        "tenants.wrong_numbers.view",
        "tenants.refused_numbers.view",
        "tenants.maybe_twice.view",
        "tenants.unanswered.view",
    },
    ("bot/console/audit.py", "action"): set(),  # `record` and `record_shown` themselves
    ("bot/store/audit.py", "action"): set(),  # `record_entry` handing on to `write_entry`
    ("bot/console/caretaker.py", "f'{kind}.{outcome}'"): {"knock.reached", "knock.not_reached", "postcard.sent"},
    ("bot/console/case_actions.py", "action"): {"case.release", "task.take_back"},
    ("bot/console/case_actions.py", "f'call.{outcome}'"): {"call.reached", "call.not_reached"},
    ("bot/console/report.py", "action"): {"report.print", "report.export"},
    ("bot/console/staff_admin.py", "f'staff.{role}_left'"): {
        "staff.admin_left",
        "staff.adviser_left",
        "staff.volunteer_left",
        "staff.caretaker_left",
    },
    ("bot/console/volunteer.py", "action"): {"task.done", "task.needs_adviser"},
    ("bot/console/volunteer.py", "f'appointment.{status}'"): {"appointment.held", "appointment.missed"},
}


def _actions_at(node: ast.AST) -> list[ast.expr]:
    """The action a node writes, if it writes one: `record(…, "case.view", …)`, `write_entry(…, "…")` (the audit
    log's writer, bot/store/audit.py), `.values(action="…")`, `{"action": "…"}`."""
    if isinstance(node, ast.Call):
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        if name in ("record", "record_shown", "write_entry", "record_entry") and len(node.args) >= 4:
            return [node.args[3]]
        return [
            k.value for k in node.keywords if k.arg == "action" and name in ("values", "write_entry", "record_entry")
        ]
    if isinstance(node, ast.Dict):
        return [
            v
            for k, v in zip(node.keys, node.values, strict=True)
            if isinstance(k, ast.Constant) and k.value == "action"
        ]
    return []


def _written() -> tuple[list[str], list[tuple[str, str]]]:
    """The actions written as they stand in the code, and the places that make one from parts, each as
    (file, source)."""
    plain: list[str] = []
    made: list[tuple[str, str]] = []
    for file in sorted((ROOT / "bot").rglob("*.py")):
        path = str(file.relative_to(ROOT))
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            todo = _actions_at(node)
            while todo:
                action = todo.pop()
                if isinstance(action, ast.Constant) and isinstance(action.value, str):
                    plain.append(action.value)
                elif isinstance(action, ast.IfExp):
                    todo += [action.body, action.orelse]
                elif not (isinstance(action, ast.Call) and getattr(action.func, "id", None) == "N_"):
                    made.append((path, ast.unparse(action)))  # not a column's heading (`N_("Action")`)
    return plain, made


def test_every_action_keephome_writes_has_words() -> None:
    plain, made = _written()
    assert len(plain) >= 60  # the scan finds the writers
    unlisted = sorted(set(made) - set(_MADE))
    assert unlisted == [], "an action made from parts: list what it can be in _MADE"
    everything = set(plain) | {action for place in made for action in _MADE[place]}
    assert sorted(everything - set(AUDIT_ACTION_LABELS)) == []
    # And no words for an action nobody writes any more.
    assert sorted(set(AUDIT_ACTION_LABELS) - everything) == []


def test_every_actions_words_are_in_danish() -> None:
    with DA_PO.open("rb") as po:
        catalogue = read_po(po)
    missing = [
        words for words in AUDIT_ACTION_LABELS.values() if not (catalogue.get(words) and catalogue[words].string)
    ]
    assert missing == []


@pytest.mark.parametrize(("language", "words"), [("en", "looked at a case"), ("da", "så en sag")])
async def test_the_audit_page_words_an_action_and_keeps_its_code(
    runtime: Runtime, client: httpx.AsyncClient, language: str, words: str
) -> None:
    await add_person(runtime, "admin@example.org", "admin")
    async with runtime.db.write() as conn:
        await conn.execute(update(staff).where(staff.c.email == "admin@example.org").values(language=language))
        await record(conn, runtime.clock(), "staff:1", "case.view", "case:7")
    await login(client, "admin@example.org")
    page = (await client.get("/console/audit?action=case.view")).text
    assert f'<td class="action">{words}<br><code class="muted"' in page
    assert ">case.view</code>" in page
    # The filter offers each action by its words, the code what it filters on.
    assert f'<option value="case.view">{words}</option>' in page


@pytest.mark.parametrize(
    ("language", "role", "consent", "day"),
    [
        (
            "en",
            "Role: caretaker",
            "tenant 4; consent 5; Given how: Signed form; Shared with: A volunteer organisation",
            "7 Dec 2026",
        ),
        (
            "da",
            "Rolle: vicevært",
            "Givet hvordan: Underskrevet blanket; Delt med: En frivillig organisation",
            "7. dec. 2026",
        ),
    ],
)
async def test_the_audit_page_words_a_detail_and_a_time_as_a_tenants_export_does(
    runtime: Runtime, client: httpx.AsyncClient, language: str, role: str, consent: str, day: str
) -> None:
    """A detail's `key=value`s in words (the export's `audit_words`), the stored detail kept beside them; words as
    written kept as they are; the time the way the reader's language writes a day and a time of day."""
    await add_person(runtime, "admin@example.org", "admin")
    at = runtime.clock().replace(year=2026, month=12, day=7, hour=8, minute=0, second=54)
    async with runtime.db.write() as conn:
        await conn.execute(update(staff).where(staff.c.email == "admin@example.org").values(language=language))
        await record(conn, at, "staff:1", "staff.add", "staff:2", "role=caretaker")
        detail = "tenant:4 consent:5 method=signed_form recipient_kind=volunteer_org"
        await record(conn, at, "staff:1", "consent.record", "case:7", detail)
        await record(conn, at, "system", "tenants.import", None, "2 tenants: 2 new, 0 changed")
    await login(client, "admin@example.org")
    page = (await client.get("/console/audit?actor=staff:1")).text
    assert f'<td class="detail">{role}<br><code class="muted"' in page and ">role=caretaker</code>" in page
    assert consent in page and f">{detail}</code>" in page
    clock = "09.00.54" if language == "da" else "09:00:54"  # in Copenhagen
    assert f">{day} {'kl. ' if language == 'da' else ''}{clock}</time>" in page, page
    assert "2026-12-07 09" not in page
    written = (await client.get("/console/audit?action=tenants.import")).text
    assert '<td class="detail"><code>2 tenants: 2 new, 0 changed</code></td>' in written


@pytest.mark.parametrize(("language", "typed"), [("da", "Så en sag"), ("en", "looked at a CASE"), ("da", "sag")])
async def test_the_audit_filter_takes_an_actions_words_as_typed(
    runtime: Runtime, client: httpx.AsyncClient, language: str, typed: str
) -> None:
    """The filter offers each action by its words; a person who types them (or a part of them) rather than choosing
    the suggestion gets the entries of those actions, not an empty page. A code's beginning still works."""
    await add_person(runtime, "admin@example.org", "admin")
    async with runtime.db.write() as conn:
        await conn.execute(update(staff).where(staff.c.email == "admin@example.org").values(language=language))
        await record(conn, runtime.clock(), "staff:1", "case.view", "case:7")
        await record(conn, runtime.clock(), "staff:1", "tenant.export", "tenant:3")
    await login(client, "admin@example.org")
    page = (await client.get("/console/audit", params={"action": typed})).text
    assert page.count(">case.view</code>") == 1
    assert ">tenant.export</code>" not in page
    coded = (await client.get("/console/audit", params={"action": "tenant."})).text
    assert coded.count(">tenant.export</code>") == 1 and ">case.view</code>" not in coded


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("da", ["Beskedtekst brugt: Vi ringer i morgen", "Beskedtekst brugt: Teksten om kommunens hjælp"]),
        (
            "en",
            ["Message text used: We will call tomorrow", "Message text used: The text about the kommune&#39;s help"],
        ),
    ],
)
async def test_the_audit_page_names_a_text_sent_from_a_case_by_its_words(
    runtime: Runtime, client: httpx.AsyncClient, language: str, said: list[str]
) -> None:
    """A volunteer's prepared text and the adviser's text about the kommune's help, by the words the pages offer them
    by; the stored name beside them only as the code."""
    await add_person(runtime, "admin@example.org", "admin")
    async with runtime.db.write() as conn:
        await conn.execute(update(staff).where(staff.c.email == "admin@example.org").values(language=language))
        await record(conn, runtime.clock(), "staff:2", "message.send", "case:7", "template=volunteer.call_tomorrow")
        await record(conn, runtime.clock(), "staff:2", "message.send", "case:7", "template=help.kommune")
    await login(client, "admin@example.org")
    page = (await client.get("/console/audit?action=message.send")).text
    for words in said:
        assert page.count(f'<td class="detail">{words}<br><code class="muted"') == 1, words


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("da", "Nye lejere: 1; Lejere ændret: 1; Lejere uændret: 1"),
        ("en", "New tenants: 1; Tenants changed: 1; Tenants unchanged: 1"),
    ],
)
async def test_the_audit_page_says_what_an_import_did_in_the_readers_words(
    runtime: Runtime, client: httpx.AsyncClient, language: str, said: str
) -> None:
    """An import of the tenant file: how many tenants were new, changed and unchanged, in the reader's language, not
    in keephome's English."""
    today = runtime.clock().date()

    def rows(text: str) -> tuple[ImportRow, ...]:
        parsed = parse_csv(text.encode(), today, known_languages(), ["da", "en"], "da")
        assert parsed.ok
        return parsed.rows

    first = "tenant_ref;name;phone;balance\nR-1;Et Navn;+4520123501;0\nR-2;To Navn;+4520123502;0\n"
    await import_tenants(runtime.db, rows(first), runtime.clock(), runtime.settings)
    second = first.replace("To Navn", "Andet Navn") + "R-3;Tre Navn;+4520123503;0\n"
    await import_tenants(runtime.db, rows(second), runtime.clock(), runtime.settings)
    await add_person(runtime, "admin@example.org", "admin")
    async with runtime.db.write() as conn:
        await conn.execute(update(staff).where(staff.c.email == "admin@example.org").values(language=language))
    await login(client, "admin@example.org")
    page = (await client.get("/console/audit?action=tenants.import")).text
    assert page.count(f'<td class="detail">{said}<br><code class="muted"') == 1, page
    assert page.count(">created=1 changed=1 unchanged=1</code>") == 1
    assert not re.search(r"\d tenants?: \d+ new", page)  # keephome's English of an import


async def test_the_audit_page_says_what_a_staff_member_leaving_handed_back_and_their_notices_in_danish(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    await add_person(runtime, "admin@example.org", "admin")
    back = HandedBack(cases=2, kept=1, tasks=1, appointments=0, steps=4).detail()
    async with runtime.db.write() as conn:
        await conn.execute(update(staff).where(staff.c.email == "admin@example.org").values(language="da"))
        await record(conn, runtime.clock(), "staff:1", "staff.adviser_left", "staff:2", back)
        await record(conn, runtime.clock(), "staff:1", "staff.notices", "staff:1", "notify=True")
    await login(client, "admin@example.org")
    page = (await client.get("/console/audit?actor=staff:1")).text
    said = (
        "Sager tilbage i køen: 3; Frivilligopgaver tilbage hos rådgiverne: 1; Aftaler aflyst: 0; "
        "Besøg tilbage til alle viceværter: 4"
    )
    assert page.count(f'<td class="detail">{said}<br><code class="muted"') == 1, page
    assert page.count('<td class="detail">Besked på Telegram: ja<br><code class="muted"') == 1
