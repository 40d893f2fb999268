"""A row's id in a console address written with leading zeros (`/console/tasks/007/send`, typed, or from a link a
ledger or ticket system padded) is that row: its page, its form refused and back at itself, its work done on it. Every
route reads its ids one way (`bot.console.ids.ROW_ID`); before, a refused row's form looked for `send-007` on a page
that has `send-7` and answered the refusal page instead."""

from __future__ import annotations

import html
import re

import httpx
from sqlalchemy import func, select
from starlette.routing import Match, Route

from bot.console import routes as console_routes
from bot.console.ids import NOT_IDS
from bot.runtime import Runtime
from bot.store.schema import audit_log, outbox, staff
from tests.bot.console.test_volunteer import with_task
from tests.support.console import add_case, add_person, add_tenant, csrf_of, form_nonce_of, login
from tests.support.drive import daytime


def test_every_id_in_a_console_address_reads_as_its_row_without_leading_zeros() -> None:
    checked = 0
    for route in console_routes():
        assert isinstance(route, Route), route
        names = re.findall(r"{(\w+)}", route.path)
        ids = [name for name in names if name not in NOT_IDS]
        if not ids:
            continue
        path = route.path
        for name in names:
            path = path.replace("{" + name + "}", "007" if name in ids else "x")
        method = sorted(route.methods or {"GET"})[0]
        match, scope = route.matches({"type": "http", "path": path, "method": method})
        assert match is Match.FULL, path
        assert {name: scope["path_params"][name] for name in ids} == dict.fromkeys(ids, "7"), route.path
        # Anything else is left as written, for the route to say there is no such row.
        _, kept = route.matches({"type": "http", "path": path.replace("007", "7x"), "method": method})
        assert kept["path_params"][ids[0]] == "7x", route.path
        checked += 1
    assert checked > 30  # every row's page and form, not a few


async def _refused(
    client: httpx.AsyncClient, page: str, action: str, padded: str, form_id: str, data: dict[str, str]
) -> tuple[httpx.Response, str]:
    """The form of `action` posted from its page as shown, but to the `padded` address: the answer and its form."""
    shown = (await client.get(page)).text
    nonce = form_nonce_of(shown, action)
    answer = await client.post(
        padded, data={**({"nonce": nonce} if nonce is not None else {}), **data, "csrf_token": csrf_of(shown)}
    )
    assert answer.status_code == 422, answer.text
    assert 'id="back-to-form"' not in answer.text, "the refusal page, not the form back at itself"
    found = re.search(r'<form[^>]*\bid="' + re.escape(form_id) + r'"[^>]*>(.*?)</form>', answer.text, re.S)
    assert found is not None, answer.text
    return answer, html.unescape(found.group(1))


async def test_a_refused_task_text_at_a_padded_address_comes_back_at_its_row_and_goes_once_corrected(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    daytime(runtime)
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    _, case_id = await with_task(runtime, me)
    await login(client, "volunteer@example.org")
    action, padded = f"/console/tasks/{case_id}/send", f"/console/tasks/00{case_id}/send"
    answer, form = await _refused(
        client, "/console/tasks", action, padded, f"send-{case_id}", {"template": "volunteer.appointment_reminder"}
    )
    assert 'id="send-' + str(case_id) + '-error"' in form
    assert "This tenant has no appointment with you to come" in form
    nonce = form_nonce_of(answer.text, action)
    sent = await client.post(
        padded,
        data={
            "template": "volunteer.call_tomorrow",
            "csrf_token": csrf_of(answer.text),
            **({"nonce": nonce} if nonce else {}),
        },
    )
    assert sent.status_code == 303
    async with runtime.db.read() as conn:
        targets = (await conn.execute(select(audit_log.c.target).where(audit_log.c.action == "message.send"))).all()
        assert (await conn.execute(select(func.count()).select_from(outbox))).scalar_one() == 1
    assert [tuple(row) for row in targets] == [(f"case:{case_id}",)]


async def test_a_refused_role_change_at_a_padded_address_comes_back_at_its_row(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    admin = await add_person(runtime, "admin@example.org", "admin")
    assert (await login(client, "admin@example.org")).status_code == 303
    _, form = await _refused(
        client,
        "/console/staff",
        f"/console/staff/{admin}/role",
        f"/console/staff/000{admin}/role",
        f"role-{admin}",
        {"role": "adviser"},
    )
    assert "You cannot take your own admin role away" in form
    async with runtime.db.read() as conn:
        assert (await conn.execute(select(staff.c.role).where(staff.c.id == admin))).scalar_one() == "admin"


async def test_a_case_page_at_a_padded_address_is_that_case(runtime: Runtime, client: httpx.AsyncClient) -> None:
    tenant = await add_tenant(runtime, "R-7", name="Amira Hansen", phone="+4520000001")
    case_id = await add_case(runtime, tenant)
    await add_person(runtime, "adviser@example.org", "adviser")
    assert (await login(client, "adviser@example.org")).status_code == 303
    page = await client.get(f"/console/cases/00{case_id}")
    assert page.status_code == 200 and "Amira" in page.text
