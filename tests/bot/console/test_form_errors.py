"""What a person reads when a console form is refused: the field named by the label the form shows (in their
language, its choices by their labels too), a message that starts as a sentence, and a way back to the form."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update

from bot.console.web import FIELD_LABELS
from bot.reminders.ledger import import_tenants
from bot.runtime import Runtime
from bot.store.schema import audit_log, cases, consents, staff, tenants
from bot.tenants.csv_rows import known_languages, parse_csv
from tests.support.console import add_case, add_tenant, csrf_of, form_nonce_of, signed_in, today

TEMPLATES = Path(__file__).resolve().parents[3] / "templates" / "console"
# What a form posts that a person never fills in: tokens, a form's own way back.
# Fields no person fills in: tokens, ways back, and a text shown read-only to be carried through signing in again.
NOT_FILLED_IN = {"csrf_token", "nonce", "back", "viewport", "kept_text"}


async def refused(client: httpx.AsyncClient, page: str, action: str, data: dict[str, str]) -> tuple[str, str]:
    """Post a form from its page; the message of the refusal and where its "Back to the form" leads."""
    shown = await client.get(page)
    assert shown.status_code == 200, shown.text
    answer = await client.post(action, data={**data, "csrf_token": csrf_of(shown.text)})
    return read_refusal(answer)


def read_refusal(answer: httpx.Response) -> tuple[str, str]:
    assert answer.status_code == 422, answer.text
    text = html.unescape(answer.text)
    message = re.search(r"</h1>\s*<p>(.*?)</p>", text, re.S)
    back = re.search(r'<a href="([^"]+)" data-back id="back-to-form">', text)
    assert message is not None and back is not None, text
    return message.group(1), back.group(1)


def test_every_field_a_console_form_posts_has_a_label_for_its_errors() -> None:
    named = set()
    for template in TEMPLATES.glob("*.html"):
        for tag in re.finditer(r"<(?:input|select|textarea|button)\b[^>]*>", template.read_text()):
            found = re.search(r'\bname="([a-z_]+)"', tag.group(0))
            if found and 'type="hidden"' not in tag.group(0):
                named.add(found.group(1))
    assert named - NOT_FILLED_IN - set(FIELD_LABELS) == set()


async def test_a_signed_form_without_its_day_comes_back_at_the_form_with_what_was_entered(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Before, the refusal was a page of its own: back on the case page, the adviser typed the whole form again."""
    case_id = await add_case(runtime, await add_tenant(runtime, "R-1"))
    await signed_in(runtime, client, danish=True)
    page = f"/console/cases/{case_id}"
    action = f"{page}/consents/record"

    async def sent(shown: str, signed_on: str) -> httpx.Response:
        """The consent form of the page `shown`, filled in as an adviser would, with this day."""
        data = {
            "csrf_token": csrf_of(shown),
            "nonce": form_nonce_of(shown, action) or "",
            "method": "signed_form",
            "recipient_kind": "kommune",
            "recipient": "Jobcenter Nord",
            "purpose": "Hjælp til huslejen",
            "signed_on": signed_on,
            "wording": "Erklæring <v3>",
            "kinds": ["contact", "letters"],
        }
        return await client.post(action, data=data)

    before = await _recorded(runtime)
    answer = await sent((await client.get(page)).text, "")
    assert answer.status_code == 422
    form = _form(answer.text, action)
    assert re.search(r'id="record-consent-error"[^>]*>Udfyld feltet “Underskrevet den”.</p>', html.unescape(form))
    assert '<option value="signed_form" selected>' in form and '<option value="kommune" selected>' in form
    assert 'value="Jobcenter Nord"' in form and 'value="Hjælp til huslejen"' in form
    assert ">Erklæring &lt;v3&gt;</textarea>" in form
    checked = re.findall(r'name="kinds" value="([a-z_]+)" checked', form)
    assert sorted(checked) == ["contact", "letters"]
    # The rest of the case page is there, as it was; nothing was recorded.
    assert 'id="thread"' in answer.text and await _recorded(runtime) == before
    mistyped = await sent(answer.text, "1. marts")
    assert mistyped.status_code == 422
    said = html.unescape(_form(mistyped.text, action))
    assert "Feltet “Underskrevet den” skal være en dato som 2026-03-01." in said
    # Corrected on the page it came back on, it is recorded.
    done = await sent(mistyped.text, today(runtime).isoformat())
    assert done.status_code == 303 and done.headers["location"] == f"{page}#consents"
    assert await _recorded(runtime) == (before[0] + 1, before[1] + 1)


async def test_a_consent_form_for_a_case_closed_meanwhile_says_so_on_the_shared_page_not_at_the_form(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Only a form's own mistakes come back at the form; the case's state is the refusal page every form has."""
    case_id = await add_case(runtime, await add_tenant(runtime, "R-1"))
    await signed_in(runtime, client, danish=True)
    page = f"/console/cases/{case_id}"
    action = f"{page}/consents/record"
    shown = (await client.get(page)).text
    async with runtime.db.write() as conn:
        await conn.execute(update(cases).where(cases.c.id == case_id).values(status="closed"))
    before = await _recorded(runtime)
    data = {"csrf_token": csrf_of(shown), "nonce": form_nonce_of(shown, action) or "", "method": "oral"}
    answer = await client.post(action, data={**data, "recipient_kind": "organisation"})
    assert answer.status_code == 409
    said = html.unescape(answer.text)
    assert re.search(r"<h1>Ikke ændret</h1>\s*<p>Sagen er lukket.</p>", said), said
    assert f'<a href="{page}" data-back id="back-to-form">' in said and 'id="record-consent-error"' not in said
    assert await _recorded(runtime) == before


def _form(page: str, action: str) -> str:
    """The form of the page that posts to `action`."""
    found = re.search(r'<form[^>]*action="' + re.escape(action) + r'"[^>]*>(.*?)</form>', page, re.S)
    assert found is not None, page
    return found.group(1)


async def _recorded(runtime: Runtime) -> tuple[int, int]:
    """How many consents there are, and how many recordings of one were audited."""
    async with runtime.db.read() as conn:
        given = (await conn.execute(select(func.count()).select_from(consents))).scalar_one()
        audited = await conn.execute(
            select(func.count()).select_from(audit_log).where(audit_log.c.action == "consent.record")
        )
        return int(given), int(audited.scalar_one())


async def _sent_back(client: httpx.AsyncClient, page: str, form: str, data: dict[str, str]) -> str:
    """Post the form of a page that posts to the page's own address; it comes back at itself: why, at the form."""
    shown = await client.get(page)
    answer = await client.post(page, data={**data, "csrf_token": csrf_of(shown.text)})
    assert answer.status_code == 422, answer.text
    said = re.search(r'<p class="error" role="alert" id="' + form + r'-error"[^>]*>(.*?)</p>', answer.text, re.S)
    assert said is not None, answer.text
    return html.unescape(said.group(1))


async def test_court_and_kommune_dates_are_named_by_their_labels(runtime: Runtime, client: httpx.AsyncClient) -> None:
    day = today(runtime)
    filed = day - timedelta(days=3)
    rows = f"tenant_ref;name;phone;address;court_filed_on\nC-1;Amira Hansen;20123456;Eksempelvej 1;{filed}"
    parsed = parse_csv(rows.encode(), day, known_languages(), ["da", "en"], "da")
    await import_tenants(runtime.db, parsed.rows, runtime.clock(), runtime.settings)
    async with runtime.db.read() as conn:
        tenant_id = (await conn.execute(tenants.select().where(tenants.c.tenant_ref == "C-1"))).one().id
    await signed_in(runtime, client, danish=True)
    tomorrow = (day + timedelta(days=1)).isoformat()
    notice = f"/console/tenants/{tenant_id}/kommune-notice"
    # The notice's form comes back at itself on the notice (tests/bot/console/test_sent_back_pages.py), why at it.
    message = await _sent_back(client, notice, "notice-sent", {"sent_on": tomorrow})
    assert message == "Datoen i feltet “Sendt den” ligger i fremtiden."
    message = await _sent_back(client, notice, "notice-sent", {"sent_on": "i går"})
    assert message == "Feltet “Sendt den” skal være en dato som 2026-03-01."
    # A mistyped year is no date either (it was stored, and printed as "1. jan. 1" on the notice).
    message = await _sent_back(client, notice, "notice-sent", {"sent_on": "0001-01-01"})
    assert message == "Feltet “Sendt den” skal være en dato som 2026-03-01."
    tenant_page = f"/console/tenants/{tenant_id}"
    filing = {"filed_on": tomorrow}
    message, back = await refused(client, tenant_page, f"{tenant_page}/court/filing", filing)
    assert message == "Datoen i feltet “Indgivet til fogedretten den” ligger i fremtiden."
    assert back == tenant_page
    outcome = {"outcome": "called_off", "on": tomorrow}
    message, _ = await refused(client, tenant_page, f"{tenant_page}/court/outcome", outcome)
    assert message == "Datoen i feltet “Dato” ligger i fremtiden."


async def test_the_outcome_period_names_from_to_and_the_stages_by_their_labels(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    await signed_in(runtime, client, danish=True)
    message, back = read_refusal(await client.get("/console/outcomes?from=2026-03-02&to=2026-03-01"))
    assert message == "Datoen i feltet “Fra” ligger efter datoen i feltet “Til”."
    assert back == "/console/outcomes"
    message, _ = read_refusal(await client.get("/console/outcomes?stage=eviction"))
    assert message.startswith("Feltet “Påmindet på trinnet” skal være en af: før forfaldsdagen, ")
    assert "before_due" not in message and "promise_check" not in message
    message, _ = read_refusal(await client.get("/console/outcomes?from=2020-01-01&to=2026-03-01"))
    assert message == "En periode er højst 731 dage."


@pytest.mark.parametrize("danish", [True, False])
async def test_a_refusal_starts_with_a_capital_letter(
    runtime: Runtime, client: httpx.AsyncClient, danish: bool
) -> None:
    await signed_in(runtime, client, danish=danish, role="admin")
    async with runtime.db.read() as conn:
        me = (await conn.execute(staff.select().where(staff.c.email == "admin@example.org"))).one()
    # (A role refused comes back at its form: tests/bot/console/test_sent_back_pages.py; a deactivation has no fields.)
    # The deactivation's form is on its question's page, at the form's own address: "Back to the form" leads there.
    message, back = await refused(client, "/console/staff", f"/console/staff/{me.id}/deactivate", {})
    assert message[0].isupper(), message
    assert back == f"/console/staff/{me.id}/deactivate"


async def test_an_audit_filter_from_after_to_says_so(runtime: Runtime, client: httpx.AsyncClient) -> None:
    await signed_in(runtime, client, danish=True, role="admin")
    message, back = read_refusal(await client.get("/console/audit?from=2026-03-02&to=2026-03-01"))
    assert message == "Datoen i feltet “Fra” ligger efter datoen i feltet “Til”."
    assert back == "/console/audit"
    assert (await client.get("/console/audit?from=2026-03-01&to=2026-03-01")).status_code == 200
