"""The console and the demo's phone simulator on a phone 375 and 320 px wide, in a real headless Chromium: what a
thumb meets (the admin's menu, the inbox's search, the conversation, the tenant list) and nothing wider than the
screen; and a share written as the console's language writes it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import update

from bot.store.schema import staff
from tests.scenarios.test_browser import BROWSER, PHONE, _serve, _sign_in
from tests.support.console import add_person
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
