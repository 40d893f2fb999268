"""The console's API keys page (bot/console/api_keys.py): admins make a key (shown once), see and revoke keys."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select

from bot.api.keys import add_key
from bot.runtime import Runtime
from bot.store.schema import api_keys, audit_log
from tests.support.console import add_person, login, post_form

PAGE = "/console/admin/api-keys"


async def test_an_admin_makes_a_key_that_works_once_shown_and_revokes_it(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    await add_person(runtime, "admin@example.org", "admin")
    await login(client, "admin@example.org")
    admin_page = await client.get("/console/admin")
    assert 'href="/console/admin/api-keys"' in admin_page.text
    made = await post_form(client, PAGE, PAGE, {"name": "Ledger  sync", "scope": "write"})
    assert made.status_code == 200
    key = re.search(r'value="(kh_[A-Za-z0-9_-]+)" id="new-key"', made.text)
    assert key is not None and "shown only this once" in made.text
    # The list shows name, scope, created and last use; the key itself only on the answer that made it.
    listed = await client.get(PAGE)
    assert "Ledger sync" in listed.text and "write" in listed.text and "never" in listed.text
    assert key.group(1) not in listed.text
    headers = {"Authorization": f"Bearer {key.group(1)}"}
    assert (await client.get("/api/v1/cases", headers=headers)).status_code == 200
    assert "never" not in (await client.get(PAGE)).text
    async with runtime.db.read() as conn:
        key_id = (await conn.execute(select(api_keys.c.id))).scalar_one()
    revoked = await post_form(client, PAGE, f"{PAGE}/{key_id}/revoke", {})
    assert revoked.status_code == 303
    assert (await client.get("/api/v1/cases", headers=headers)).status_code == 401
    assert "revoked" in (await client.get(PAGE)).text
    again = await post_form(client, PAGE, f"{PAGE}/{key_id}/revoke", {})
    assert again.status_code == 404
    async with runtime.db.read() as conn:
        actions = [
            a
            for (a,) in await conn.execute(
                select(audit_log.c.action).where(audit_log.c.action.startswith("apikey")).order_by(audit_log.c.id)
            )
        ]
    assert actions == ["apikey.add", "apikey.revoke"]


async def test_bad_input_is_422_and_only_admins_see_the_page(runtime: Runtime, client: httpx.AsyncClient) -> None:
    await add_person(runtime, "admin@example.org", "admin")
    await add_person(runtime, "adviser@example.org", "adviser")
    await login(client, "admin@example.org")
    assert (await post_form(client, PAGE, PAGE, {"name": "x", "scope": "root"})).status_code == 422
    assert (await post_form(client, PAGE, PAGE, {"name": "", "scope": "read"})).status_code == 422
    async with runtime.db.read() as conn:
        assert (await conn.execute(select(api_keys.c.id))).first() is None
    await client.post("/console/logout", data={})
    client.cookies.clear()
    await login(client, "adviser@example.org")
    assert (await client.get(PAGE)).status_code == 403


async def test_two_live_keys_never_share_a_name(runtime: Runtime, client: httpx.AsyncClient) -> None:
    await add_person(runtime, "admin@example.org", "admin")
    await login(client, "admin@example.org")
    assert (await post_form(client, PAGE, PAGE, {"name": "Ledger sync", "scope": "write"})).status_code == 200
    again = await post_form(client, PAGE, PAGE, {"name": " ledger  SYNC ", "scope": "read"})
    assert again.status_code == 422
    assert "A live key is already called “Ledger sync”: choose another name, or revoke that key first" in again.text
    async with runtime.db.read() as conn:
        assert len((await conn.execute(select(api_keys.c.id))).all()) == 1
        key_id = (await conn.execute(select(api_keys.c.id))).scalar_one()
    # Once that key is revoked, its name may go to the key that replaces it.
    assert (await post_form(client, PAGE, f"{PAGE}/{key_id}/revoke", {})).status_code == 303
    assert (await post_form(client, PAGE, PAGE, {"name": "Ledger sync", "scope": "write"})).status_code == 200


def _key_row(page: str, name: str) -> str:
    """The keys page's row of the key called `name`."""
    rows = [row for row in page.split("<tr data-key=")[1:] if f"<td>{name}</td>" in row]
    assert len(rows) == 1, f"{len(rows)} rows for {name}"
    return rows[0].split("</tr>")[0]


async def test_keys_outlive_their_maker_and_the_admins_left_are_told_which(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Keys are the organisation's integrations: deactivating the admin who made one does not stop it (rent data keeps
    flowing), but the deactivating admin is told how many live keys the person made, with the way to the keys page,
    and the page names each key's maker and marks the keys whose maker left."""
    leaving = await add_person(runtime, "leaving@example.org", "admin")
    await add_person(runtime, "staying@example.org", "admin")
    await login(client, "leaving@example.org")
    made = [await post_form(client, PAGE, PAGE, {"name": name, "scope": "write"}) for name in ("Ledger", "ERP")]
    keys = [re.search(r'value="(kh_[A-Za-z0-9_-]+)" id="new-key"', answer.text) for answer in made]
    ledger = keys[0].group(1) if keys[0] is not None else ""
    async with runtime.db.read() as conn:
        erp = (await conn.execute(select(api_keys.c.id).where(api_keys.c.name == "ERP"))).scalar_one()
    assert (await post_form(client, PAGE, f"{PAGE}/{erp}/revoke", {})).status_code == 303
    async with runtime.db.write() as conn:
        await add_key(conn, "Nightly import", "write", runtime.clock(), "cli")
    listed = (await client.get(PAGE)).text
    assert "leaving@example.org" in _key_row(listed, "Ledger") and 'id="makers-left"' not in listed
    assert "the command line (keephome apikey add)" in _key_row(listed, "Nightly import")
    client.cookies.clear()
    await login(client, "staying@example.org")
    done = await post_form(client, "/console/staff", f"/console/staff/{leaving}/deactivate", {"confirmed": "yes"})
    assert done.status_code == 303
    told = (await client.get(done.headers["location"])).text
    # One live key: the revoked one and the command line's are not the person's to count.
    assert 'id="keys-left"' in told and "The person made 1 API key that still works" in told
    assert 'href="/console/admin/api-keys"' in told.split('id="keys-left"')[1].split("</div>")[0]
    page = (await client.get(PAGE)).text
    assert "leaving@example.org" in _key_row(page, "Ledger") and "(deactivated)" in _key_row(page, "Ledger")
    assert "maker-left" not in _key_row(page, "ERP") and "maker-left" not in _key_row(page, "Nightly import")
    assert 'id="makers-left"' in page and "1 live key was made by an admin who is deactivated" in page
    headers = {"Authorization": f"Bearer {ledger}"}
    assert (await client.get("/api/v1/cases", headers=headers)).status_code == 200


async def test_an_admin_made_an_adviser_is_said_to_leave_their_keys(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """An admin who becomes an adviser can no longer see or revoke the keys they made: the same word as for a
    deactivation, and the keys page marks the maker as no longer an admin."""
    moving = await add_person(runtime, "moving@example.org", "admin")
    await add_person(runtime, "staying@example.org", "admin")
    await login(client, "moving@example.org")
    assert (await post_form(client, PAGE, PAGE, {"name": "Ledger", "scope": "read"})).status_code == 200
    client.cookies.clear()
    await login(client, "staying@example.org")
    done = await post_form(client, "/console/staff", f"/console/staff/{moving}/role", {"role": "adviser"})
    assert "The person made 1 API key that still works" in (await client.get(done.headers["location"])).text
    page = (await client.get(PAGE)).text
    assert "(no longer an admin)" in _key_row(page, "Ledger") and 'id="makers-left"' in page


async def test_the_keys_page_names_a_keys_maker_by_name(runtime: Runtime, client: httpx.AsyncClient) -> None:
    await add_person(runtime, "anna@example.org", "admin", name="Anna Admin")
    await login(client, "anna@example.org")
    assert (await post_form(client, PAGE, PAGE, {"name": "Ledger", "scope": "read"})).status_code == 200
    row = _key_row((await client.get(PAGE)).text, "Ledger")
    assert "Anna Admin" in row and "anna@example.org" not in row
