"""The console's Data page in a real headless Chromium, in the demo: one export after another, and its way to erase."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, Page

from tests.support.browser import BROWSER, serve, sign_in
from tests.support.console import add_person

pytestmark = BROWSER

# A second submit of a form, as a double click sends it: whether forms.js stopped it.
SECOND_SUBMIT = """selector => {
    const submit = new SubmitEvent("submit", {cancelable: true, bubbles: true});
    document.querySelector(selector).dispatchEvent(submit);
    return submit.defaultPrevented;
}"""


async def _download(page: Page, button: str) -> str:
    """The name of the file a click on `button` downloads (a form whose answer is held never sends: this times
    out)."""
    async with page.expect_download(timeout=15_000) as download:
        await page.click(button)
    return (await download.value).suggested_filename


async def test_the_data_page_exports_again_after_a_download(tmp_path: Path, chromium: Browser) -> None:
    """forms.js held a form once sent until the page was shown again, which a download never does: after the HTML
    export, "Download the data (JSON)" and another tenant's export did nothing. The export is held a moment against a
    double click, then sends again; an ordinary form stays held, however long its answer takes."""
    async with serve(tmp_path, demo=True, browser=chromium) as demo:
        await add_person(demo.rt, "admin@example.org", "admin")
        context, page = await sign_in(demo, "admin@example.org")
        await page.wait_for_selector("header a[href='/console/data']")
        await context.clock.install()  # the page's timers are moved on (`run_for`), not waited for
        await page.goto(f"{demo.url}/console/data")
        # Time stands still but for `run_for`: on a busy machine a download may take longer than the 2 s hold.
        await context.clock.pause_at(await page.evaluate("Date.now() + 1000"))
        # In the demo the page names the demo's own way to erase: plain `keephome erase` has neither its database
        # nor its key.
        assert "keephome erase --demo TENANT_REF" in await page.inner_text("main")

        await page.fill("#ref", "DEMO-03")
        page_of_03 = await _download(page, "#export-html")
        await context.clock.run_for(300)  # a double click's second press
        assert await page.evaluate(SECOND_SUBMIT, "#export-data") is True  # a double click sends one export
        await context.clock.run_for(2_500)
        data_of_03 = await _download(page, "#export-json")
        await context.clock.run_for(2_500)
        await page.fill("#ref", "DEMO-04")
        page_of_04 = await _download(page, "#export-html")
        assert page_of_03.endswith(".html") and data_of_03 == page_of_03.removesuffix(".html") + ".json"
        assert page_of_04.endswith(".html") and page_of_04 != page_of_03

        # The sign-out form (an ordinary form, whose answer is a page) is held until that page comes, however long.
        logout = "form[action='/console/logout']"
        assert await page.evaluate(SECOND_SUBMIT, logout) is False
        await context.clock.run_for(60_000)
        assert await page.evaluate(SECOND_SUBMIT, logout) is True
        await context.close()
        assert demo.csp_violations == []
