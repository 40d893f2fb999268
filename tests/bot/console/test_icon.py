"""Every page names the console's icon, so no browser asks for /favicon.ico (a 404 logged on every page load)."""

from __future__ import annotations

import re

import httpx

from bot.paths import TEMPLATES_DIR
from bot.runtime import Runtime
from tests.support.console import add_person, login

ICON = '<link rel="icon" href="/console/static/favicon.svg" type="image/svg+xml">'
# The tenant's data export is a file saved and opened on its own, away from the app that serves the icon.
_STANDS_ALONE = {"console/export.html"}


def test_every_page_with_a_head_names_the_icon() -> None:
    pages = [p for p in TEMPLATES_DIR.rglob("*.html") if "<head>" in p.read_text(encoding="utf-8")]
    assert len(pages) >= 6
    missing = [
        str(p.relative_to(TEMPLATES_DIR))
        for p in pages
        if str(p.relative_to(TEMPLATES_DIR)) not in _STANDS_ALONE and ICON not in p.read_text(encoding="utf-8")
    ]
    assert missing == []


async def test_the_icon_a_page_names_is_served(runtime: Runtime, client: httpx.AsyncClient) -> None:
    await add_person(runtime, "adviser@example.org", "adviser")
    await login(client, "adviser@example.org")
    page = (await client.get("/console/")).text
    named = re.findall(r'<link rel="icon" href="([^"]+)"', page)
    assert named == ["/console/static/favicon.svg"]
    icon = await client.get(named[0])
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.startswith("<svg") and "</svg>" in icon.text
