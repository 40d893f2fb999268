"""The phone simulator in a real headless Chromium: a Danish tenant links Telegram with the code the SMS brought."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Browser
from sqlalchemy import select

from bot.runtime import Runtime
from bot.store.schema import messages, tenants
from tests.support.browser import BROWSER, boxes, serve

pytestmark = BROWSER
CODE = re.compile(r"\b(\d{8})\b")


async def _stored(rt: Runtime, tenant_id: int) -> tuple[list[str], int | None]:
    """The texts the database keeps of the tenant's messages, and the tenant's linked chat."""
    async with rt.db.read() as conn:
        texts = (await conn.execute(select(messages.c.text).where(messages.c.tenant_id == tenant_id))).scalars()
        chat = (await conn.execute(select(tenants.c.telegram_chat_id).where(tenants.c.id == tenant_id))).scalar()
        return [str(text) for text in texts if text], chat


async def test_a_danish_sms_tenant_links_telegram_with_the_code_the_sms_phone_shows(
    tmp_path: Path, chromium: Browser
) -> None:
    async with serve(tmp_path, browser=chromium, demo=True, console_language="da") as demo:
        async with demo.rt.db.read() as conn:
            anna = (await conn.execute(select(tenants.c.id).where(tenants.c.name == "Anna Eksempel"))).scalar_one()
        context = await demo.new_context(viewport={"width": 1300, "height": 900})
        page = await context.new_page()
        await page.goto(f"{demo.url}/simulator")
        await page.click("#tenants button:has-text('Anna Eksempel')")
        await page.fill("#text", "TELEGRAM")
        await page.click("#compose button[type=submit]")
        # The SMS phone shows the code it received, in Danish; no placeholder in its place.
        sent = page.locator("#thread .msg.out", has_text=CODE)
        await sent.wait_for(timeout=15_000)
        code_text = await sent.inner_text()
        assert code_text.startswith("Din kode til Telegram er"), code_text
        found = CODE.search(code_text)
        assert found is not None
        code = found[1]
        thread = await page.inner_text("#thread")
        assert "[" not in thread and "sent]" not in thread, thread
        # The database keeps no usable copy of the code.
        stored, chat = await _stored(demo.rt, anna)
        assert chat is None and stored and not any(code in text for text in stored), stored
        # The same tenant's Telegram phone: type the code, and the chat is linked.
        await page.click("#tab-telegram")
        await page.wait_for_selector("#contact")
        await page.fill("#text", code)
        await page.click("#compose button[type=submit]")
        await page.wait_for_selector(f"#thread .msg.in:has-text('{code}')", timeout=10_000)
        await page.wait_for_selector("#thread .msg.out:has-text('Du er nu forbundet')", timeout=15_000)
        stored, chat = await _stored(demo.rt, anna)
        assert chat is not None and not any(code in text for text in stored), stored
        # The tenant list says the chat is linked, and the linked phone no longer offers ways to link it.
        await page.wait_for_selector("#tenants button.active:has-text('Telegram')", timeout=10_000)
        await page.wait_for_selector("#contact", state="detached", timeout=10_000)
        assert await page.inner_text("#extra") == ""
        # Another tenant's Telegram phone, not linked, still does; back on Anna's, it does not.
        await page.click("#tenants button:has-text('Bent Prøvesen')")
        await page.wait_for_selector("#contact")
        await page.click("#tenants button:has-text('Anna Eksempel')")
        await page.wait_for_selector("#contact", state="detached", timeout=10_000)
        await context.close()
        assert demo.csp_violations == []


async def test_a_double_tap_shows_telegram_s_toast_over_the_chat_once(tmp_path: Path, chromium: Browser) -> None:
    async with serve(tmp_path, browser=chromium, demo=True) as demo:
        context = await demo.new_context(viewport={"width": 1300, "height": 900})
        page = await context.new_page()
        await page.goto(f"{demo.url}/simulator")
        await page.click("#tenants button:has-text('Jamie Sample')")
        await page.click("#tab-telegram")
        await page.click("#contact")
        await page.wait_for_selector("#thread .msg.out:has-text('You are now connected')", timeout=15_000)
        await page.fill("#text", "hi")
        await page.click("#compose button[type=submit]")
        paid = page.locator("#thread .msg.out .buttons button", has_text="I have paid")
        await paid.wait_for(timeout=15_000)
        await paid.click()
        await page.wait_for_selector("#thread .msg.out:has-text('Thank you. We will wait')", timeout=15_000)
        assert not await page.is_visible("#toast")  # answered in the chat: no toast
        # The same button again: the chat stays quiet, and the phone shows what the bot answered the press with.
        await paid.click()
        toast = page.locator("#toast")
        await toast.wait_for(state="visible", timeout=15_000)
        assert await toast.inner_text() == "Thank you, we already have your answer."
        assert await page.locator("#thread .msg.in", has_text="[I have paid]").count() == 2
        chat, over = await boxes(page, "#thread", "#toast")
        assert chat["y"] <= over["y"] and over["y"] + over["height"] <= chat["y"] + chat["height"], (chat, over)
        assert chat["x"] <= over["x"] and over["x"] + over["width"] <= chat["x"] + chat["width"], (chat, over)
        # It fades, as Telegram's does; the phone opened again later does not show it a second time.
        await toast.wait_for(state="hidden", timeout=10_000)
        later = await context.new_page()
        await later.goto(f"{demo.url}/simulator")
        await later.click("#tenants button:has-text('Jamie Sample')")
        await later.click("#tab-telegram")
        await later.wait_for_selector("#thread .msg.in:has-text('[I have paid]')")  # drawn after its toasts were seen
        assert not await later.is_visible("#toast")
        await context.close()
        assert demo.csp_violations == []
