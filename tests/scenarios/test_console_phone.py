"""The console and the demo's phone simulator on a phone 375 and 320 px wide, in a real headless Chromium: what a
thumb meets (the admin's menu, the inbox's search, the conversation, the tenant list) and nothing wider than the
screen; and a share written as the console's language writes it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import update

from bot.store.schema import staff
from tests.scenarios.test_browser import BROWSER, FINGER, PHONE, _serve, _sign_in
from tests.support.console import add_person, add_tenant
from tests.support.outcomes_world import FIRST, LAST, a_busy_month, build

pytestmark = BROWSER
# The narrowest phone still sold (an iPhone SE of the first generation, small Androids).
SMALLEST: dict[str, Any] = {**PHONE, "viewport": {"width": 320, "height": 568}}
TENANT_PHONE = "+4520000001"


async def test_a_share_is_written_as_the_console_s_language_writes_it(tmp_path: Path) -> None:
    """The English console wrote "50 %", the Danish way: English writes "50%", Danish "50 %" (a space that never
    breaks the number from its sign)."""
    async with _serve(tmp_path, console_language="en") as served:
        await build(served.rt)
        await a_busy_month(served.rt)
        await add_person(served.rt, "raadgiver@example.org", "adviser")
        async with served.rt.db.write() as conn:
            await conn.execute(update(staff).where(staff.c.email == "raadgiver@example.org").values(language="da"))
        for email, written, not_written in (
            ("adviser@example.org", r"\d%", r"\d\s%"),
            ("raadgiver@example.org", "\\d\xa0%", r"\d%"),
        ):
            context, page = await _sign_in(served, email)
            await page.goto(f"{served.url}/console/outcomes?from={FIRST.isoformat()}&to={LAST.isoformat()}&stage=")
            funnel = await page.inner_text("#funnel-card")
            assert re.search(written, funnel) and not re.search(not_written, funnel), (email, funnel)
            await context.close()
        assert served.csp_violations == []


async def test_on_a_phone_the_inbox_search_has_a_button(tmp_path: Path) -> None:
    """Only Enter sent the inbox's search for a tenant, and a phone's keyboard does not always show a key for it."""
    async with _serve(tmp_path, console_language="da") as served:
        await add_tenant(served.rt, "4711-3-12", name="Omega Tenant", phone=TENANT_PHONE)
        await add_person(served.rt, "adviser@example.org", "adviser")
        context, page = await _sign_in(served, "adviser@example.org", **PHONE)
        await page.wait_for_url("**/console/")
        search = page.locator("form[action='/console/tenants'] button[type=submit]")
        assert await search.inner_text() == "Søg"
        box = await search.bounding_box()
        assert box is not None and box["height"] >= FINGER and box["width"] >= FINGER
        await page.fill("#ref", "4711-3-12")
        await search.tap()
        await page.wait_for_url("**/console/tenants/**")
        assert "Omega" in await page.inner_text("main")
        await context.close()
        assert served.csp_violations == []
