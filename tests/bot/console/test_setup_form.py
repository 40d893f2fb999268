"""The page a one-time link opens, where a new person chooses a password: a password it refuses is said next to the
field, not above the page's heading."""

from __future__ import annotations

import html
import re

import httpx

from bot.console.accounts import issue_setup_link
from bot.runtime import Runtime
from tests.support.console import add_person, csrf_of


async def test_a_refused_password_is_said_next_to_the_password_field(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    staff_id = await add_person(runtime, "new@example.org", "adviser")
    async with runtime.db.write() as conn:
        link = await issue_setup_link(conn, staff_id, runtime.clock(), runtime.settings.public_url)
    path = link.removeprefix(runtime.settings.public_url)
    shown = await client.get(path)
    refused = await client.post(
        path,
        data={"password": "kort", "repeat": "kort", "csrf_token": csrf_of(shown.text)},
        headers={"Accept-Language": "da"},
    )
    assert refused.status_code == 422
    page = html.unescape(refused.text)
    main = page[page.index('<main id="main"') :]
    # Said once, between the field it is about and the next field, and the field points at it.
    assert main.count("Use at least 12 characters.") == 1, main
    assert (
        main.index("<h1>")
        < main.index('<input id="password"')
        < main.index("Use at least 12 characters.")
        < main.index('<input id="repeat"')
    )
    assert re.search(r'<input id="password"[^>]*aria-describedby="password-error"', main)
