"""The console's own words as a person meets them: documents for a Danish authority in Danish, the link code's
stand-in in the reader's language, a console 404, a tenant found by reference in either case, and more."""

from __future__ import annotations

import html
from datetime import timedelta

import httpx

from bot.outbox.record import SECRET_TEMPLATES
from bot.reminders.ledger import import_tenants
from bot.runtime import Runtime
from bot.store.schema import STATUS_RANK, messages, tenants
from bot.tenants.csv_rows import known_languages, parse_csv
from tests.support.console import add_case, add_tenant, signed_in, today


async def filed_tenant(rt: Runtime) -> int:
    filed = today(rt) - timedelta(days=3)
    rows = f"tenant_ref;name;phone;address;court_filed_on\nC-1;Amira Hansen;20123456;Eksempelvej 1;{filed}"
    parsed = parse_csv(rows.encode(), today(rt), known_languages(), ["da", "en"], "da")
    await import_tenants(rt.db, parsed.rows, rt.clock(), rt.settings)
    async with rt.db.read() as conn:
        return int((await conn.execute(tenants.select().where(tenants.c.tenant_ref == "C-1"))).one().id)


async def test_the_kommune_notice_is_in_danish_for_an_english_reader(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    tenant_id = await filed_tenant(runtime)
    await signed_in(runtime, client)  # the tests' console is English
    page = html.unescape((await client.get(f"/console/tenants/{tenant_id}/kommune-notice")).text)
    document = page[page.index('<article class="notice"') : page.index("</article>")]
    assert "Underretning til kommunen om en lejesag indgivet til fogedretten" in document
    assert "almenlejeloven § 92, stk. 2" in document and "Navn" in document and "Adresse" in document
    assert "Notice to the kommune" not in document and "Name" not in document
    # The page around it stays in the reader's language.
    assert "Record the notice as sent" in page


async def test_the_link_code_s_stand_in_is_in_the_reader_s_language(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    tenant_id = await add_tenant(runtime, "R-1")
    case_id = await add_case(runtime, tenant_id)
    at = runtime.clock()
    async with runtime.db.write() as conn:
        # What the sender leaves of a sent code: the stand-in, never the code.
        await conn.execute(
            messages.insert().values(
                tenant_id=tenant_id, direction="out", channel="sms", text=SECRET_TEMPLATES["link.code"],
                template="link.code", author="bot", status="sent", status_rank=STATUS_RANK["sent"], proactive=False,
                created_at=at, updated_at=at,
            )
        )  # fmt: skip
    await signed_in(runtime, client, danish=True)
    page = html.unescape((await client.get(f"/console/cases/{case_id}")).text)
    assert "[kode til Telegram sendt]" in page and "[link code sent]" not in page


async def test_a_tenant_is_found_by_reference_in_either_case(runtime: Runtime, client: httpx.AsyncClient) -> None:
    tenant_id = await add_tenant(runtime, "DEMO-07")
    await signed_in(runtime, client)
    for typed in ("demo-07", "DEMO-07", " Demo-07 "):
        found = await client.get("/console/tenants", params={"ref": typed})
        assert found.status_code == 303 and found.headers["location"] == f"/console/tenants/{tenant_id}"
    assert (await client.get("/console/tenants", params={"ref": "demo-7"})).status_code == 404
    # Danish letters fold too, on SQLite as on PostgreSQL.
    other_id = await add_tenant(runtime, "ØSTERGÅRD-7", phone="+4520987601")
    for typed in ("østergård-7", "Østergård-7"):
        found = await client.get("/console/tenants", params={"ref": typed})
        assert found.status_code == 303 and found.headers["location"] == f"/console/tenants/{other_id}", typed


async def test_an_unknown_console_address_is_a_page_in_the_reader_s_language(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    outside = await client.get("/console/no-such-page")
    assert outside.status_code == 404 and "Page not found" in outside.text and 'href="/console/"' in outside.text
    await signed_in(runtime, client, danish=True)
    for path in ("/console/no-such-page", "/console/cases/7/nothing-here", "/console/tenants/x/y/z"):
        answer = await client.get(path)
        assert answer.status_code == 404
        page = html.unescape(answer.text)
        assert "Siden findes ikke" in page and '<a href="/console/" id="to-inbox">Til indbakken</a>' in page
        assert "Not Found" not in page
    # Outside the console a missing address stays the plain 404 (webhooks, the API, the console's static files).
    for path in ("/nothing", "/console/static/nothing.css"):
        answer = await client.get(path)
        assert answer.status_code == 404 and answer.text == "Not Found"


async def test_an_address_a_form_posts_to_opened_as_a_page_is_a_page_in_the_reader_s_language(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """/console/logout typed: not Starlette's English "Method Not Allowed", but a page that leads on, with the methods
    the address takes. A reloaded error page's address (/console/cases/3/reply) leads to the page its form is on."""
    await signed_in(runtime, client, danish=True)
    answer = await client.get("/console/logout")
    assert answer.status_code == 405 and "POST" in answer.headers["allow"]
    page = html.unescape(answer.text)
    assert "Her er ingen side" in page and '<a href="/console/" id="to-inbox">Til indbakken</a>' in page
    assert "Method Not Allowed" not in page
    answer = await client.get("/console/cases/3/reply")
    assert answer.status_code == 303 and answer.headers["location"] == "/console/cases/3"
    # Outside the console it stays the plain 405 (the webhooks, the API).
    answer = await client.get("/webhooks/twilio/sms")
    assert answer.status_code == 405 and answer.text == "Method Not Allowed"


async def test_a_fault_in_the_console_is_a_page_in_the_console_s_language(runtime: Runtime) -> None:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from bot.app import create_app

    async def crash(request: Request) -> Response:
        raise RuntimeError("a bug")

    app = create_app(runtime)
    app.router.routes.extend([Route("/console/crash", crash), Route("/crash", crash)])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
        answer = await client.get("/console/crash")
        assert answer.status_code == 500
        page = html.unescape(answer.text)
        assert "Something went wrong" in page and "The error is in the service's log." in page
        assert "Internal Server Error" not in page
        outside = await client.get("/crash")
        assert outside.status_code == 500 and outside.text == "Internal Server Error"


async def test_two_tenants_whose_references_differ_only_in_case_are_not_guessed_between(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """ "demo-07" typed while DEMO-07 and Demo-07 are two tenants: the page says so and names both, instead of opening
    one of them; each exact spelling opens its own."""
    first = await add_tenant(runtime, "DEMO-07", name="Amira Zyxwvu")
    second = await add_tenant(runtime, "Demo-07", name="Bent Qxyzw", phone="+4520000002")
    await signed_in(runtime, client, danish=True)
    refused = await client.get("/console/tenants", params={"ref": "demo-07"})
    assert refused.status_code == 422
    assert "2 lejere har dette lejemålsnummer" in html.unescape(refused.text) and "(DEMO-07, Demo-07)" in refused.text
    for typed, tenant_id in (("DEMO-07", first), ("Demo-07", second)):
        found = await client.get("/console/tenants", params={"ref": typed})
        assert found.status_code == 303 and found.headers["location"] == f"/console/tenants/{tenant_id}"
