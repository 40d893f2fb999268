"""The console and the demo's phone simulator on a phone 375 and 320 px wide, in a real headless Chromium: what a
thumb meets (the admin's menu, the inbox's search, the conversation, the tenant list) and nothing wider than the
screen; and a share written as the console's language writes it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.async_api import Browser
from sqlalchemy import update

from bot.console.accounts import ensure_demo_staff
from bot.store.schema import staff
from tests.support.browser import BROWSER, FINGER, ON_SCREEN, PHONE, TARGETS, fits, serve, sign_in
from tests.support.console import add_case, add_person, add_tenant
from tests.support.outcomes_world import FIRST, LAST, World, a_busy_month, build

pytestmark = BROWSER
# The narrowest phone still sold (an iPhone SE of the first generation, small Androids).
SMALLEST: dict[str, Any] = {**PHONE, "viewport": {"width": 320, "height": 568}}
TENANT_PHONE = "+4520000001"


async def test_a_share_is_written_as_the_console_s_language_writes_it(tmp_path: Path, chromium: Browser) -> None:
    """The English console wrote "50 %", the Danish way: English writes "50%", Danish "50 %" (a space that never
    breaks the number from its sign)."""
    async with serve(tmp_path, browser=chromium, console_language="en") as served:
        await build(served.rt)
        await a_busy_month(served.rt)
        await add_person(served.rt, "raadgiver@example.org", "adviser")
        async with served.rt.db.write() as conn:
            await conn.execute(update(staff).where(staff.c.email == "raadgiver@example.org").values(language="da"))
        for email, written, not_written in (
            ("adviser@example.org", r"\d%", r"\d\s%"),
            ("raadgiver@example.org", "\\d\xa0%", r"\d%"),
        ):
            context, page = await sign_in(served, email)
            await page.goto(f"{served.url}/console/outcomes?from={FIRST.isoformat()}&to={LAST.isoformat()}&stage=")
            funnel = await page.inner_text("#funnel-card")
            assert re.search(written, funnel) and not re.search(not_written, funnel), (email, funnel)
            await context.close()
        assert served.csp_violations == []


async def test_on_the_smallest_phone_the_admin_s_header_is_one_row_with_a_menu(
    tmp_path: Path, chromium: Browser
) -> None:
    """At 320 px the admin's header took four rows of links, a third of the screen, before anything of the page. Now
    it is one row, "keephome" and a menu; the menu opens to links a finger can hit, the page one is on marked; by
    keyboard too. On a desktop the links stand in the header as before."""
    async with serve(tmp_path, browser=chromium, console_language="da") as served:
        await add_person(served.rt, "admin@example.org", "admin")
        context, page = await sign_in(served, "admin@example.org", **SMALLEST)
        await page.goto(f"{served.url}/console/admin")
        header = await page.locator("header").bounding_box()
        assert header is not None and header["height"] <= FINGER + 16, header
        menu = page.locator("header summary")
        assert await menu.is_visible() and "Menu" in await menu.inner_text()
        assert await page.locator("header a[href='/console/audit']:visible").count() == 0
        await menu.tap()
        found = await page.evaluate(TARGETS, "header a, header button, header summary")
        assert len(found["targets"]) == 10  # the menu, eight pages and "Log ud"
        for text, height, width, drawn in found["targets"]:
            assert height >= FINGER and width >= FINGER and drawn == 1, (text, height, width, drawn)
        assert found["overlaps"] == []
        current = page.locator("header [aria-current=page]:visible")
        assert await current.count() == 1 and await current.get_attribute("href") == "/console/admin"
        assert await fits(page) == (320, 320)  # as wide as the screen, not wider
        await page.tap("header a[href='/console/audit']:visible")
        await page.wait_for_url("**/console/audit")
        # By keyboard: the first Tab is "skip to content" (tests/scenarios/test_browser.py), the next one the menu;
        # Enter opens it, Tab reaches its first page.
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.textContent") == "Gå til indhold"
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.tagName") == "SUMMARY"
        await page.keyboard.press("Enter")
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.getAttribute('href')") == "/console/"
        assert await page.locator("header a[href='/console/']:visible").count() == 1
        # On a desktop: no menu, every page's link in the header, the one open marked.
        await page.set_viewport_size({"width": 1100, "height": 900})
        assert not await menu.is_visible()
        for href in ("/console/", "/console/staff", "/console/admin", "/console/audit", "/console/me"):
            assert await page.locator(f"header a[href='{href}']:visible").count() == 1, href
        assert await page.locator("header [aria-current=page]:visible").get_attribute("href") == "/console/audit"
        header = await page.locator("header").bounding_box()
        assert header is not None and header["height"] <= FINGER + 16, header
        await context.close()
        assert served.csp_violations == []


async def test_on_a_phone_the_inbox_search_has_a_button(tmp_path: Path, chromium: Browser) -> None:
    """Only Enter sent the inbox's search for a tenant, and a phone's keyboard does not always show a key for it."""
    async with serve(tmp_path, browser=chromium, console_language="da") as served:
        await add_tenant(served.rt, "4711-3-12", name="Omega Tenant", phone=TENANT_PHONE)
        await add_person(served.rt, "adviser@example.org", "adviser")
        context, page = await sign_in(served, "adviser@example.org", **PHONE)
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


async def test_on_a_phone_the_conversation_scrolls_with_the_page(tmp_path: Path, chromium: Browser) -> None:
    """On a phone the conversation was a box scrolling inside the scrolling page: a thumb moved one or the other. Now it
    flows with the page; a reply sent still opens the page where the reply is. On a desktop it keeps its own box."""
    async with serve(tmp_path, browser=chromium, console_language="da") as served:
        rt = served.rt
        tenant_id = await add_tenant(rt, "4711-9-06", name="Phone Tenant", phone=TENANT_PHONE)
        world = World(rt)
        start = rt.clock() - timedelta(hours=30)
        for n in range(30):
            await world.writes(tenant_id, start + timedelta(minutes=n), "tenant" if n % 2 else "bot")
        case_id = await add_case(rt, tenant_id)
        await add_person(rt, "adviser@example.org", "adviser")
        context, page = await sign_in(served, "adviser@example.org", **PHONE)
        await page.goto(f"{served.url}/console/cases/{case_id}")
        own_scroll = "t => [getComputedStyle(t).overflowY, t.scrollHeight - t.clientHeight]"
        assert await page.locator("#thread li").count() >= 20
        overflow, hidden = await page.locator("#thread").evaluate(own_scroll)
        assert overflow == "visible" and hidden <= 1, (overflow, hidden)
        await page.tap("#take")
        await page.locator("#reply").wait_for()
        await page.fill("#reply", "Hej, jeg ringer fredag.")
        # The page it lands on, not the old one: the case page looks for new messages every 4 s and adds them in place.
        async with page.expect_navigation():
            await page.tap("form[action$='/reply'] button")
        await page.wait_for_selector("#thread li:last-child:has-text('Hej, jeg ringer fredag.')")
        assert page.url.endswith("#thread")
        await page.wait_for_load_state("load")
        assert await page.evaluate(ON_SCREEN, "#thread li:last-child")
        await page.set_viewport_size({"width": 1100, "height": 700})
        overflow, hidden = await page.locator("#thread").evaluate(own_scroll)
        assert overflow == "auto" and hidden > 100, (overflow, hidden)
        await context.close()
        assert served.csp_violations == []


async def test_on_a_phone_the_simulator_s_tenant_list_is_as_wide_as_the_screen(
    tmp_path: Path, chromium: Browser
) -> None:
    """At 375 px the simulator's list of tenants stood 260 px wide with an empty band beside it."""
    async with serve(tmp_path, browser=chromium, demo=True, console_language="da") as demo:
        context = await demo.new_context(**PHONE)
        page = await context.new_page()
        await page.goto(f"{demo.url}/simulator")
        await page.wait_for_selector("#tenants button")
        width, window = await fits(page)
        assert width <= window == 375  # a phone's browser widens its window to a page that is wider
        for part in ("#tenants", ".phone", "#side"):
            box = await page.locator(part).bounding_box()
            assert box is not None and box["x"] + box["width"] >= window - 20, (part, box, window)
        await context.close()
        assert demo.csp_violations == []


async def test_nothing_is_wider_than_the_smallest_phone(tmp_path: Path, chromium: Browser) -> None:
    """Each page an adviser, a volunteer or an admin opens on a phone 320 px wide fits it: no sideways scrolling."""
    async with serve(tmp_path, browser=chromium, demo=True, console_language="da") as demo:
        logins = {
            role: (email, password) for role, email, password in await ensure_demo_staff(demo.rt.db, demo.rt.clock())
        }
        tenant_id = await add_tenant(demo.rt, "4711-9-02", name="Sigrid Tenant", phone="+4520000099")
        case_id = await add_case(demo.rt, tenant_id, reason="ønsker at tale med en rådgiver om huslejen")
        pages = {
            "adviser": ["/console/", f"/console/cases/{case_id}", f"/console/tenants/{tenant_id}", "/console/outcomes"],
            "volunteer": ["/console/tasks"],
            "admin": ["/console/admin", "/console/staff", "/console/audit", "/console/activity", "/console/data"],
        }
        for role, paths in pages.items():
            email, password = logins[role]
            context, page = await sign_in(demo, email, password, **SMALLEST)
            await page.wait_for_url("**/console/**")
            for path in paths:
                await page.goto(f"{demo.url}{path}")
                assert await page.locator("main").count() == 1 and "/login" not in page.url, path
                # Against the screen's width: a phone's browser widens its window to a page that is wider.
                width, window = await fits(page)
                assert width <= window == SMALLEST["viewport"]["width"], (role, path, width, window)
            await context.close()
        assert demo.csp_violations == []


async def test_a_date_field_says_the_chosen_date_in_the_console_s_words(tmp_path: Path, chromium: Browser) -> None:
    """A date field is drawn in the browser's language: in an English browser the Danish console's field read 04/03/2026
    for the 3rd of April, the month first. Under the field the console now says the date in its own words."""
    async with serve(tmp_path, browser=chromium, console_language="da") as served:
        await add_person(served.rt, "adviser@example.org", "adviser")
        context, page = await sign_in(served, "adviser@example.org", **{**PHONE, "locale": "en-US"})
        await page.goto(f"{served.url}/console/outcomes?from=2026-02-02&to=2026-03-01&stage=")
        assert await page.inner_text("#from-words") == "mandag den 2. februar 2026"
        await page.fill("#to", "2026-04-03")
        assert await page.inner_text("#to-words") == "fredag den 3. april 2026"
        assert await page.get_attribute("#to", "aria-describedby") == "to-words"
        # An English reader's console says it in English, the British way.
        async with served.rt.db.write() as conn:
            await conn.execute(update(staff).where(staff.c.email == "adviser@example.org").values(language="en"))
        await page.reload()
        await page.fill("#to", "2026-04-03")
        assert await page.inner_text("#to-words") == "Friday, 3 April 2026"
        await context.close()
        assert served.csp_violations == []


# Each chart's box on the page, what its bars (a bar chart's bars, the columns' segments) and words reach to the right,
# and its words' smallest size on screen.
_CHARTS = """() => [...document.querySelectorAll(".chart-box")].map(box => {
  const svg = box.querySelector("svg"), edge = box.getBoundingClientRect();
  const right = sel => Math.max(...[...svg.querySelectorAll(sel)].map(e => e.getBoundingClientRect().right));
  return {id: svg.id, left: edge.left, right: edge.right, client: box.clientWidth, scroll: box.scrollWidth,
    bars: right("rect.bar, rect.segment"), words: right("text"),
    smallest: Math.min(...[...svg.querySelectorAll("text")].map(
      t => parseFloat(t.getAttribute("font-size")) * svg.getScreenCTM().a)),
    cue: getComputedStyle(box).backgroundAttachment};
})"""


async def test_on_a_phone_the_outcome_charts_longest_bars_are_seen_whole(tmp_path: Path, chromium: Browser) -> None:
    """At 360 px a bar chart was 560 px wide in a box of 309, its longest bars cut at the box's edge: a phone hides a
    still scroll bar, so nothing said there was more. Now each bar chart fits the screen with its words readable; the
    chart of columns, whose words need its width, slides in its box with a shadow at the edge more of it is behind,
    and slid to its end it shows its last column whole."""
    async with serve(tmp_path, browser=chromium, console_language="da") as served:
        await build(served.rt)
        await a_busy_month(served.rt)
        context, page = await sign_in(
            served, "adviser@example.org", **{**PHONE, "viewport": {"width": 360, "height": 740}}
        )
        await page.goto(f"{served.url}/console/outcomes?from={FIRST.isoformat()}&to={LAST.isoformat()}&stage=")
        charts = await page.evaluate(_CHARTS)
        assert [c["id"] for c in charts].count("funnel") == 1 and len(charts) >= 5, charts
        for chart in charts:
            assert chart["smallest"] >= 10.5, chart
            if chart["id"] == "closed":
                continue
            assert chart["scroll"] == chart["client"], chart
            assert chart["bars"] <= chart["right"] + 0.5 and chart["words"] <= chart["right"] + 0.5, chart
        (closed,) = [c for c in charts if c["id"] == "closed"]
        # Sliding, and said so: the shadow stays at the box's edge ("scroll") while the white covering it moves with
        # the chart ("local").
        assert closed["scroll"] > closed["client"] and "local" in closed["cue"] and "scroll" in closed["cue"], closed
        await page.locator(".chart-box:has(#closed)").evaluate("box => { box.scrollLeft = box.scrollWidth; }")
        (slid,) = [c for c in await page.evaluate(_CHARTS) if c["id"] == "closed"]
        assert slid["bars"] <= slid["right"] + 0.5, slid
        assert await fits(page) == (360, 360)
        await context.close()
        assert served.csp_violations == []
