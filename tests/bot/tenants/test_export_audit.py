"""The audit entries in a tenant's export: what concerns the tenant only (GDPR art. 15 gives them their own data,
not others'), in the JSON and on the page; on the page in the reader's words, as the audit page says each action."""

from __future__ import annotations

import json
import re

import httpx
from sqlalchemy import Connection

from bot.console.data_rights import EXPORT_WORDS
from bot.i18n import speaking
from bot.runtime import Runtime
from bot.store.audit import names_in, write_entry
from bot.tenants.export import export_tenant, render_html, staff_roles, to_json
from tests.support.console import add_case, add_person, add_tenant, login


async def _a_tenant_seen_among_others(rt: Runtime, client: httpx.AsyncClient) -> tuple[int, int, list[str]]:
    """A tenant with a case, shown in the inbox with two other tenants' cases; a consent recorded on their case and
    a volunteer's text sent on it. Their id, their case's and the names of the others (`tenant:…`, `case:…`)."""
    tenant = await add_tenant(rt, "R-OWN", name="Own Tenant", phone="+4520000001")
    case_id = await add_case(rt, tenant)
    others: list[str] = []
    for n, ref in enumerate(("R-OTHER-1", "R-OTHER-2")):
        other = await add_tenant(rt, ref, name=f"Other Tenant {n}", phone=f"+452000001{n}")
        others += [f"tenant:{other}", f"case:{await add_case(rt, other)}"]
    await add_person(rt, "admin@example.org", "admin")
    assert (await login(client, "admin@example.org")).status_code == 303
    assert (await client.get("/console/")).status_code == 200
    at = rt.clock()

    def more(conn: Connection) -> None:
        detail = f"tenant:{tenant} consent:1 method=signed_form recipient_kind=volunteer_org"
        write_entry(conn, at, "staff:1", "consent.record", f"case:{case_id}", detail)
        write_entry(conn, at, "staff:1", "message.send", f"case:{case_id}", "template=volunteer.call_tomorrow")

    await rt.db.run(more)
    return tenant, case_id, others


async def test_a_list_of_tenants_and_an_entry_aimed_at_anothers_case_keep_only_the_tenants_own(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The inbox's lists of tenants to check name tenants (`tenant:9`); an entry aimed at another's case that names
    this tenant keeps its action and what names them, not the other's case."""
    tenant, case_id, others = await _a_tenant_seen_among_others(runtime, client)
    at = runtime.clock()
    listed = ",".join([others[0], f"tenant:{tenant}", others[2], f"case:{case_id}", others[1]])

    def more(conn: Connection) -> None:
        write_entry(conn, at, "staff:1", "inbox.view", None, listed)
        write_entry(conn, at, "staff:1", "appointment.move", others[1], f"new=task:0 tenant:{tenant}")

    await runtime.db.run(more)
    data = await export_tenant(runtime.db, "R-OWN", runtime.clock(), "cli")
    assert data["audit"][-2]["detail"] == f"tenant:{tenant},case:{case_id}"
    assert (data["audit"][-1]["target"], data["audit"][-1]["detail"]) == (None, f"tenant:{tenant}")


async def test_the_export_holds_no_other_tenants_reference_from_a_list_view(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    tenant, case_id, others = await _a_tenant_seen_among_others(runtime, client)
    data = await export_tenant(runtime.db, "R-OWN", runtime.clock(), "cli")
    views = [e for e in data["audit"] if e["action"] == "inbox.view"]
    assert [e["detail"] for e in views] == [f"case:{case_id}"], views
    # Anywhere in the JSON: none of the others' names, neither as a name nor in a list.
    text = to_json(data)
    named = {name for entry in data["audit"] for name in names_in(f"{entry['target']} {entry['detail']}")}
    assert named <= {f"tenant:{tenant}", f"case:{case_id}", "consent:1", "staff:1"}, named
    for name in others:
        assert not re.search(rf"{name}(?!\d)", text), name
    assert "R-OTHER" not in text and "Other Tenant" not in text
    # The page too, in both languages.
    for language in ("da", "en"):
        with speaking(language):
            html = render_html(data, EXPORT_WORDS, staff=await staff_roles(runtime.db))
        assert "R-OTHER" not in html and "Other Tenant" not in html
        for name in others:
            kind, number = name.split(":")
            assert not re.search(rf"{kind}:? ?{number}(?!\d)", html.split("<h2>", 100)[-1]), (language, name)
    # The JSON keeps the codes (it is for machines).
    assert json.loads(text)["audit"][-1]["detail"] == "template=volunteer.call_tomorrow"


def _audit_section(html: str) -> str:
    return html.split("<h2>")[-1]


async def test_the_audit_entries_read_in_the_readers_words_as_the_audit_page_says_them(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, case_id, _ = await _a_tenant_seen_among_others(runtime, client)
    await export_tenant(runtime.db, "R-OWN", runtime.clock(), "cli", "html")
    data = await export_tenant(runtime.db, "R-OWN", runtime.clock(), "cli")
    pages = {}
    for language in ("da", "en"):
        with speaking(language):
            pages[language] = _audit_section(render_html(data, EXPORT_WORDS, staff=await staff_roles(runtime.db)))
    da, en = pages["da"], pages["en"]
    assert "så indbakken" in da and "looked at the inbox" in en
    assert "noterede et samtykke" in da and "recorded a consent" in en
    assert f"sag {case_id}" in da and f"case {case_id}" in en
    assert "Givet hvordan: Underskrevet blanket" in da, da
    assert "Given how: Signed form" in en and "Shared with: A volunteer organisation" in en
    assert "Vi ringer i morgen" in da and "We will call tomorrow" in en
    # Who exported, when no staff member did: the command line, in words.
    assert "kommandolinjen på serveren" in da and "the command line on the server" in en
    for page in (da, en):
        # No code where words are due: no action's code, no `key=value`, no stored code of a value.
        for code in ("inbox.view", "consent.record", "message.send", "tenant.export", "template=", "recipient_kind="):
            assert code not in page, code
        for code in ("signed_form", "volunteer_org", "volunteer.call_tomorrow", "tenant:", "case:", "<code>cli</code>"):
            assert code not in page, code
