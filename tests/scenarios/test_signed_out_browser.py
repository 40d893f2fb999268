"""A reply typed while the session ended, in a real headless Chromium: the page that says so carries the text through
signing in again, and the case page opens at its own address with the text back in the reply box, nothing sent."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from playwright.async_api import Browser
from sqlalchemy import func, select, update

from bot.store.schema import outbox, staff_sessions
from tests.support.browser import BROWSER, PHONE, serve, sign_in
from tests.support.console import PASSWORD, add_case, add_person, add_tenant

pytestmark = BROWSER

# Two lines, the first of them blank at its start, and what a page must not take for its own markup.
_TYPED = "\nHej Robin </textarea><b>&amp;</b>\nRing mig i morgen"


async def test_signing_in_again_puts_the_reply_back_in_its_box(tmp_path: Path, chromium: Browser) -> None:
    async with serve(tmp_path, browser=chromium, console_language="da") as served:
        rt = served.rt
        case_id = await add_case(rt, await add_tenant(rt, "R-1", phone="+4520000001"))
        await add_person(rt, "adviser@example.org", "adviser")
        context, page = await sign_in(served, "adviser@example.org", **PHONE)
        await page.goto(f"{served.url}/console/cases/{case_id}")
        await page.click("#take")
        await page.fill("#reply", _TYPED)
        async with rt.db.write() as conn:  # the session's hours over while the reply was typed
            await conn.execute(update(staff_sessions).values(expires_at=rt.clock() - timedelta(seconds=1)))
        await page.click("#reply-form button[type=submit]")
        await page.wait_for_selector("#sign-in-again")
        assert await page.input_value("#typed") == _TYPED
        await page.fill("#sign-in-again #email", "adviser@example.org")
        await page.fill("#sign-in-again #password", PASSWORD)
        await page.click("#sign-in-again button[type=submit]")
        await page.wait_for_selector("#reply-form-error")
        # The case page at its own address (a reload opens it), the reply as typed in its box, said so at the form.
        # forms.js puts the address in the bar when it runs, at the end of the page: after the error is on the page
        # (CI on a busy machine saw the sign-in form's address still).
        await page.wait_for_url(f"{served.url}/console/cases/{case_id}", timeout=10_000)
        assert await page.input_value("#reply") == _TYPED
        assert "Din tekst er tilbage i feltet" in await page.inner_text("#reply-form-error")
        async with rt.db.read() as conn:
            sent = select(func.count()).select_from(outbox).where(outbox.c.template == "case.reply")
            assert (await conn.execute(sent)).scalar_one() == 0
        await page.reload()
        assert await page.input_value("#reply") == ""
        await context.close()
        assert served.csp_violations == []
