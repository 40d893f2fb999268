"""The console in a real headless Chromium against the real app served by uvicorn on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest_asyncio
from playwright.async_api import Browser
from sqlalchemy import insert, select, update

from bot.api.keys import add_key
from bot.console.accounts import ensure_demo_staff
from bot.host.cases import take_case
from bot.i18n import local_day, speaking
from bot.inbound.inbox import InboundMessage
from bot.runtime import Runtime
from bot.store.schema import cases, consents, conversations, inbound, messages, staff, staff_sessions
from tests.support.browser import (
    BROWSER,
    FINGER,
    ON_SCREEN,
    PHONE,
    TARGETS,
    Served,
    boxes,
    fits,
    polled,
    serve,
    sign_in,
    until,
)
from tests.support.console import PASSWORD, add_case, add_person, add_tenant, today
from tests.support.drive import sandbox
from tests.support.outcomes_world import FIRST, LAST, World, a_busy_month, build

pytestmark = BROWSER
# Screenshots go to a temporary folder; `./dev screenshots` points this at docs/screenshots for the README.
SCREENSHOT_DIR = "KEEPHOME_SCREENSHOT_DIR"
TENANT_PHONE = "+4520000001"


@pytest_asyncio.fixture(loop_scope="session")
async def served(tmp_path: Path, chromium: Browser) -> AsyncIterator[Served]:
    async with serve(tmp_path, browser=chromium) as running:
        yield running


async def _tenant_consents(rt: Runtime, tenant_id: int) -> int:
    """The tenant answers the bot by SMS: talk to an adviser (3), then yes to sharing their answers."""
    for n, text in enumerate(["Hej", "3", "JA"]):
        await rt.inbox.submit(InboundMessage("sms", f"SM-browser-{n}", TENANT_PHONE, text))
        count = n + 1
        await until(lambda count=count: asyncio.sleep(0, len(sandbox(rt)["sms"].to(TENANT_PHONE)) >= count))

    query = select(cases.c.id).where(cases.c.tenant_id == tenant_id, cases.c.consented.is_(True))

    async def opened() -> bool:
        async with rt.db.read() as conn:
            return (await conn.execute(query)).first() is not None

    await until(opened)
    async with rt.db.read() as conn:
        return int((await conn.execute(query)).scalar_one())


async def _a_busy_queue(rt: Runtime, colleague_id: int) -> None:
    """Fictional tenants at other stages of the rent timeline, so the inbox looks like a working day."""
    day = today(rt)
    ended = await add_tenant(
        rt,
        "4711-2-03",
        name="Frida Påhit",
        phone="+4520000003",
        balance_ore=2070000,
        monthly_rent_ore=690000,
        demand_sent_on=day - timedelta(days=40),
        termination_on=day - timedelta(days=5),
    )
    await add_case(rt, ended, origin="outreach", consent=False, reason="urgent outreach: termination known")
    demand = await add_tenant(
        rt,
        "4711-1-14",
        name="Layla Demo",
        phone="+4520000004",
        chat_id=7770004,
        language="ar",
        balance_ore=665000,
        monthly_rent_ore=665000,
        demand_sent_on=day - timedelta(days=6),
    )
    held = await add_case(rt, demand)
    async with rt.db.write() as conn:
        await take_case(conn, held, colleague_id, rt.clock())
    behind = await add_tenant(
        rt, "4712-5-21", name="Carl Testesen", phone="+4520000005", balance_ore=1480000, monthly_rent_ore=740000
    )
    await add_case(rt, behind, origin="manual", reason="Called the office about a payment plan")
    await add_case(rt, await add_tenant(rt, "4712-3-02", name="Sigma Tenant", phone="+4520000002", balance_ore=30000))


async def test_adviser_takes_a_consented_case_and_the_tenant_gets_the_reply(served: Served, tmp_path: Path) -> None:
    rt = served.rt
    day = today(rt)
    tenant_id = await add_tenant(
        rt,
        "4711-3-12",
        name="Omega Tenant",
        phone=TENANT_PHONE,
        balance_ore=1380000,
        monthly_rent_ore=690000,
        demand_sent_on=day - timedelta(days=70),
        termination_on=day - timedelta(days=30),
        court_date=day + timedelta(days=12),
    )
    case_id = await _tenant_consents(rt, tenant_id)
    adviser_id = await add_person(rt, "adviser@example.org", "adviser")
    colleague_id = await add_person(rt, "colleague@example.org", "adviser")
    await add_person(rt, "volunteer@example.org", "volunteer")
    await add_person(rt, "admin@example.org", "admin")
    await _a_busy_queue(rt, colleague_id)
    shots = Path(os.environ.get(SCREENSHOT_DIR) or tmp_path)
    await asyncio.to_thread(shots.mkdir, parents=True, exist_ok=True)

    adviser, page = await sign_in(served, "adviser@example.org")
    await adviser.clock.install()  # the case page's poll is moved on to (`polled`), not waited for
    await page.wait_for_selector("#cases")
    assert await page.get_attribute("#cases tbody tr:first-child", "data-case") == str(case_id)
    first = await page.inner_text("#cases tbody tr:first-child")
    assert "Omega" in first and "court date" in first and "in 12 days" in first
    names = [name.strip() for name in await page.locator("#cases tbody tr a.who").all_inner_texts()]
    assert names == ["Omega", "Frida", "Layla", "Carl", "Sigma"]
    await page.screenshot(path=str(shots / "inbox.png"), full_page=True)

    # On a phone the queue is one column: nothing sticks out sideways.
    phone = await adviser.new_page()
    await phone.set_viewport_size({"width": 390, "height": 844})
    await phone.goto(f"{served.url}/console/")
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert await phone.is_visible("#cases tbody tr:first-child .urgency")
    await phone.close()

    await page.click("#cases tbody tr:first-child a")
    await page.click("#take")
    await until(lambda: asyncio.sleep(0, len(sandbox(rt)["sms"].to(TENANT_PHONE)) >= 4))  # told a person reads
    await page.fill("#note", "Ringer i morgen om en betalingsaftale før retsmødet.")
    # A form is sent once (static/forms.js): a second submit while the first is on its way is stopped.
    stopped = await page.evaluate(
        """() => {
            const form = document.querySelector("form[action$='/note']");
            return [1, 2].map(() => {
                const submit = new SubmitEvent("submit", {cancelable: true, bubbles: true});
                form.dispatchEvent(submit);
                return submit.defaultPrevented;
            });
        }"""
    )
    assert stopped == [False, True]
    await page.evaluate("() => window.dispatchEvent(new PageTransitionEvent('pageshow'))")  # as coming back does
    await page.click("form[action$='/note'] button")
    await page.fill("#reply", "Hej Omega, jeg ringer dig op i morgen formiddag.")
    await page.click("form[action$='/reply'] button")
    await until(
        lambda: asyncio.sleep(
            0,
            "Hej Omega, jeg ringer dig op i morgen formiddag." in [m.text for m in sandbox(rt)["sms"].to(TENANT_PHONE)],
        )
    )
    # The tenant answers; the open case page shows it without a reload.
    await rt.inbox.submit(InboundMessage("sms", "SM-browser-answer", TENANT_PHONE, "Tak, det passer fint"))
    await polled(page, page.locator("#thread li:has-text('Tak, det passer fint')").first.is_visible)
    await page.screenshot(path=str(shots / "case.png"), full_page=True)

    # A POST without the CSRF token is refused, even with the session cookie.
    forged = await adviser.request.post(f"{served.url}/console/cases/{case_id}/close", form={"outcome": "paid"})
    assert forged.status == 403

    volunteer, vpage = await sign_in(served, "volunteer@example.org")
    response = await vpage.goto(f"{served.url}/console/cases/{case_id}")
    assert response is not None and response.status == 403
    assert "6.400" not in await vpage.content()
    await volunteer.close()

    admin, apage = await sign_in(served, "admin@example.org")
    await apage.goto(f"{served.url}/console/staff")
    # The admin names the adviser on their row: the case they hold names them so from then on, not by their e-mail.
    name_form = f"tr[data-staff='{adviser_id}'] form[action$='/name']"
    await apage.fill(f"{name_form} input[name='name']", "Mette Holm")
    await apage.click(f"{name_form} button")
    await apage.wait_for_url(f"{served.url}/console/staff")
    assert await apage.input_value(f"{name_form} input[name='name']") == "Mette Holm"
    await apage.goto(f"{served.url}/console/cases/{case_id}")
    held = await apage.inner_text("body")
    assert "Mette Holm" in held and "adviser@example.org" not in held
    await apage.goto(f"{served.url}/console/staff")
    # Closing an account asks first, on a page of its own: cancelled, nothing happens; confirmed, it is closed.
    deactivate = f"tr[data-staff='{adviser_id}'] form[action$='/deactivate'] button"
    await apage.click(deactivate)
    assert "adviser@example.org" in await apage.inner_text("#confirm-deactivate")
    await apage.click("#confirm-deactivate a")
    assert await apage.locator(deactivate).count() == 1  # still active
    await apage.click(deactivate)
    await apage.click("#confirm-deactivate button")
    await apage.wait_for_selector(f"tr[data-staff='{adviser_id}'] form[action$='/reactivate']")
    # The deactivated row offers reactivation: a role chosen, and a new one-time link to set a password.
    row = f"tr[data-staff='{adviser_id}'] form[action$='/reactivate']"
    await apage.select_option(f"{row} select", "adviser")
    await apage.click(f"{row} button")
    assert "/console/setup/" in await apage.input_value("#setup-link")
    await admin.close()
    await page.goto(f"{served.url}/console/cases/{case_id}")
    assert page.url.endswith(f"/console/login?next=%2Fconsole%2Fcases%2F{case_id}")
    await adviser.close()
    # Every page ran with the Content-Security-Policy on (no inline script or style): nothing was refused.
    assert served.csp_violations == []


async def test_the_outcome_page_draws_its_charts(served: Served, tmp_path: Path) -> None:
    rt = served.rt
    await build(rt)
    await a_busy_month(rt)
    shots = Path(os.environ.get(SCREENSHOT_DIR) or tmp_path)
    await asyncio.to_thread(shots.mkdir, parents=True, exist_ok=True)
    context, page = await sign_in(served, "adviser@example.org")
    await page.click("header a[href='/console/outcomes']")
    await page.fill("#from", FIRST.isoformat())
    await page.fill("#to", LAST.isoformat())
    await page.click("form.period button[type=submit]")
    await page.wait_for_selector("#funnel")
    assert page.url.endswith(f"from={FIRST.isoformat()}&to={LAST.isoformat()}&stage=")
    # Every chart is drawn, the funnel narrows from the first bar, and the stylesheet lays the charts out.
    for chart in ("#funnel", "#contact", "#closed", "#failures", "#balance-1"):
        box = await page.locator(chart).bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 40, chart
    widths = [
        float(w or 0)
        for w in await page.locator("#funnel rect.bar").evaluate_all("bars => bars.map(b => b.getAttribute('width'))")
    ]
    assert len(widths) == 6 and widths[0] == max(widths) > 0 and widths == sorted(widths, reverse=True)[:1] + widths[1:]
    assert await page.locator("#closed rect.segment").count() > 4
    assert await page.evaluate("getComputedStyle(document.querySelector('.chart')).display") == "block"
    await page.screenshot(path=str(shots / "outcomes.png"), full_page=True)
    # The CSV beside a chart downloads.
    async with page.expect_download() as download:
        await page.click("#failures-card a.download")
    assert (await download.value).suggested_filename.startswith("keephome-failures-")
    # On a phone the page fits the screen, and a chart's words stay readable (they shrank to 5 px with the chart): the
    # chart slides sideways in its own box.
    await page.set_viewport_size({"width": 390, "height": 844})
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    smallest = await page.evaluate(
        """() => Math.min(...[...document.querySelectorAll("svg.chart text")].map(
            t => parseFloat(t.getAttribute("font-size")) * t.ownerSVGElement.getScreenCTM().a))"""
    )
    assert smallest >= 10.5
    await context.close()
    assert served.csp_violations == []


async def test_on_a_phone_the_report_for_the_organisation_prints_with_a_button(served: Served) -> None:
    """The report (as the referral and the caretaker's postcard) said "print this page from the browser (Ctrl+P)": a
    phone has no Ctrl+P, and its browser hides printing in a menu. A button prints it, on a phone as on a desktop."""
    await add_person(served.rt, "adviser@example.org", "adviser")
    context, page = await sign_in(served, "adviser@example.org", **{**PHONE, "viewport": {"width": 360, "height": 740}})
    await page.wait_for_url("**/console/")
    await page.add_init_script("window.print = function () { window.printCalls = (window.printCalls || 0) + 1; };")
    await page.goto(f"{served.url}/console/report")
    assert "Ctrl+P" not in await page.inner_text("main")
    button = page.locator("#print")
    assert await button.is_visible() and await button.inner_text() == "Print this page"
    await button.focus()
    await page.keyboard.press("Enter")
    assert await page.evaluate("window.printCalls") == 1
    await context.close()
    assert served.csp_violations == []


async def test_repeated_wrong_passwords_are_slowed_down_in_the_browser(served: Served) -> None:
    await add_person(served.rt, "adviser@example.org", "adviser")
    context = await served.new_context()
    page = await context.new_page()
    await page.goto(f"{served.url}/console/login")
    for _ in range(3):
        await page.fill("#email", "adviser@example.org")
        await page.fill("#password", "not the password")
        await page.click("button[type=submit]")
        await page.wait_for_selector(".error")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    assert "Too many wrong attempts" in await page.inner_text(".error")
    assert page.url.endswith("/console/login")
    await context.close()
    assert served.csp_violations == []


async def test_after_a_wrong_password_the_keyboard_is_at_the_password_again(served: Served) -> None:
    """By keyboard on a phone: a wrong password brought the sign-in page back with the keyboard's place at the top of
    the page; the password is typed again at once now, and Enter signs in."""
    await add_person(served.rt, "adviser@example.org", "adviser")
    context = await served.new_context(**{**PHONE, "viewport": {"width": 360, "height": 740}})
    page = await context.new_page()
    await page.goto(f"{served.url}/console/login")
    await page.fill("#email", "adviser@example.org")
    await page.fill("#password", "not the password")
    await page.keyboard.press("Enter")
    await page.wait_for_selector(".error")
    # The browser moves the keyboard to an autofocus field when it next draws the page, a moment after the page's
    # HTML (and its error) is read: wait for it, as a person's next key would.
    await page.wait_for_function("document.activeElement && document.activeElement.id === 'password'", timeout=5000)
    assert await page.input_value("#email") == "adviser@example.org"
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/console/")
    await context.close()
    assert served.csp_violations == []


async def test_a_new_case_appears_in_an_open_inbox_without_a_reload(served: Served) -> None:
    rt = served.rt
    await add_person(rt, "adviser@example.org", "adviser")
    await add_case(rt, await add_tenant(rt, "4712-3-02", name="Sigma Tenant", phone="+4520000002", balance_ore=30000))
    _, page = await sign_in(served, "adviser@example.org")
    await page.wait_for_selector("#cases")
    await page.evaluate("window.stillTheSamePage = true")
    urgent = await add_tenant(
        rt, "4711-2-03", name="Frida Påhit", phone="+4520000003", balance_ore=2070000, court_date=today(rt)
    )
    await add_case(rt, urgent, origin="outreach", consent=False, reason="urgent outreach: court date known")
    await page.evaluate("refreshCases()")  # what the page's 20-second timer calls
    await page.wait_for_selector("#cases tbody tr:nth-child(2)")
    names = [name.strip() for name in await page.locator("#cases tbody tr a.who").all_inner_texts()]
    assert names == ["Frida", "Sigma"]
    assert await page.evaluate("window.stillTheSamePage") is True
    assert served.csp_violations == []


async def test_the_inbox_keeps_the_keyboard_s_place_in_its_list(served: Served) -> None:
    """The inbox's list is fetched again every 20 seconds and put in place of the old one: a keyboard on a case's
    link lost it (the focus fell back to the page), and the next Tab started again at the top. While the keyboard's
    place is in the list the list stays; once it has left, the next refresh brings the new case."""
    rt = served.rt
    await add_person(rt, "adviser@example.org", "adviser")
    await add_case(rt, await add_tenant(rt, "4712-3-02", name="Sigma Tenant", phone="+4520000002", balance_ore=30000))
    _, page = await sign_in(served, "adviser@example.org")
    await page.wait_for_selector("#cases")
    await page.focus("#cases a.who")
    urgent = await add_tenant(
        rt, "4711-2-03", name="Frida Påhit", phone="+4520000003", balance_ore=2070000, court_date=today(rt)
    )
    await add_case(rt, urgent, origin="outreach", consent=False, reason="urgent outreach: court date known")
    await page.evaluate("refreshCases()")  # what the page's 20-second timer calls
    assert await page.evaluate("document.activeElement.textContent") == "Sigma"
    assert await page.evaluate("document.getElementById('case-list').contains(document.activeElement)") is True
    await page.evaluate("document.activeElement.blur()")
    await page.evaluate("refreshCases()")
    await page.wait_for_selector("#cases tbody tr:nth-child(2)")
    names = [name.strip() for name in await page.locator("#cases tbody tr a.who").all_inner_texts()]
    assert names == ["Frida", "Sigma"]
    assert served.csp_violations == []


async def test_the_policy_is_enforced_so_an_inline_script_would_be_refused(served: Served) -> None:
    """The check above can fail: a script written into the page itself is refused and reported."""
    context = await served.new_context()
    page = await context.new_page()
    await page.goto(f"{served.url}/console/login")
    await page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = true';"
        " document.body.appendChild(s); }"
    )
    assert await page.evaluate("window.ran === undefined") is True
    await until(lambda: asyncio.sleep(0, bool(served.csp_violations)))
    await context.close()


async def test_the_demo_front_page_and_the_phone_simulator_run_under_the_policy(
    tmp_path: Path, chromium: Browser
) -> None:
    async with serve(tmp_path, demo=True, browser=chromium) as demo:
        context = await demo.new_context(viewport={"width": 1300, "height": 900})
        page = await context.new_page()
        await page.goto(f"{demo.url}/")
        assert (
            await page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor")
            == "rgb(31, 78, 121)"
        )
        await page.click("a[href='/simulator']")
        await page.wait_for_selector("#tenants button")  # the script ran: the tenants were loaded
        # The stylesheet applies: the phone is drawn as a phone.
        assert await page.evaluate("getComputedStyle(document.querySelector('.phone')).borderTopWidth") == "10px"
        await page.fill("#text", "hej")
        await page.click("#compose button[type=submit]")
        await page.wait_for_selector("#thread .msg.in:has-text('hej')", timeout=10_000)
        await page.click("#tab-telegram")
        await page.wait_for_selector("#contact")
        # The day chosen in the clock panel is the day previewed, and the clock goes there.
        chosen = today(demo.rt) + timedelta(days=4)
        await page.fill("#day", chosen.isoformat())
        await page.click("#preview")
        # The plan's heading writes the day as the page writes one ("9. dec. 2026"), not as an ISO stamp.
        await page.wait_for_selector(f"#plan:has-text('{local_day(chosen)}')", timeout=10_000)
        assert chosen.isoformat() not in await page.inner_text("#plan")
        assert today(demo.rt) == chosen
        await context.close()
        assert demo.csp_violations == []


async def test_the_console_speaks_danish_and_a_person_can_choose_english(tmp_path: Path, chromium: Browser) -> None:
    """A deployment's console is Danish by default; "Me" switches one person's pages to English."""
    async with serve(tmp_path, console_language="da", browser=chromium) as served:
        await add_person(served.rt, "raadgiver@example.org", "adviser")
        context, page = await sign_in(served, "raadgiver@example.org")
        await page.wait_for_url("**/console/")
        assert await page.get_attribute("html", "lang") == "da"
        header = await page.inner_text("header")
        assert "Indbakke" in header and "Log ud" in header and "Inbox" not in header
        await page.click("header >> text=Mig")
        await page.select_option("#language", "en")
        await page.click("#save-language")
        await page.wait_for_url("**/console/me?saved=1")
        assert await page.get_attribute("html", "lang") == "en"
        assert "Saved." in await page.inner_text(".notice")
        await page.click("header >> text=Inbox")
        assert "Inbox" in await page.inner_text("h1")
        # Another person's pages stay in the deployment's language.
        await add_person(served.rt, "kollega@example.org", "adviser")
        other_context, other = await sign_in(served, "kollega@example.org")
        await other.wait_for_url("**/console/")
        assert "Indbakke" in await other.inner_text("h1")
        await other_context.close()
        await context.close()
        assert served.csp_violations == []


async def test_a_case_page_whose_poller_is_refused_says_so_in_danish(tmp_path: Path, chromium: Browser) -> None:
    """The session ends while the case page is open: the page no longer takes in new messages, and says so with the
    refusal's reason, in the reader's language."""
    async with serve(tmp_path, console_language="da", browser=chromium) as served:
        rt = served.rt
        case_id = await add_case(rt, await add_tenant(rt, "4711-3-12", name="Omega Tenant", phone=TENANT_PHONE))
        await add_person(rt, "raadgiver@example.org", "adviser")
        context, page = await sign_in(served, "raadgiver@example.org")
        await page.wait_for_url("**/console/")
        await context.clock.install()  # the case page's poll is moved on to (`polled`), not waited for
        await page.goto(f"{served.url}/console/cases/{case_id}")
        stale = page.locator("#thread-stale")
        assert await stale.is_hidden()
        async with rt.db.write() as conn:
            await conn.execute(update(staff_sessions).values(revoked=True))

        async def said() -> bool:
            return await stale.is_visible()

        await polled(page, said)
        assert await stale.inner_text() == "Samtalen holdes ikke længere opdateret her. Log ind først."
        await context.close()
        assert served.csp_violations == []


async def test_a_consent_given_or_withdrawn_while_the_case_page_is_open_is_said_at_once(
    tmp_path: Path, chromium: Browser
) -> None:
    """An adviser holds an urgent outreach case while the tenant's conversation waits at the consent question; the
    tenant's JA is recorded quietly. The open page says so at once, in Danish, with a link that reloads it; and so
    for TILBAGEKALD afterwards."""
    async with serve(tmp_path, console_language="da", browser=chromium) as served:
        rt = served.rt
        tenant_id = await add_tenant(rt, "4711-3-12", name="Omega Tenant", phone=TENANT_PHONE, balance_ore=690000)
        case_id = await add_case(rt, tenant_id, origin="outreach", consent=False, reason="urgent outreach")
        for n, text in enumerate(["Hej", "3"]):  # "3": talk to an adviser, and the consent question
            await rt.inbox.submit(InboundMessage("sms", f"SM-open-{n}", TENANT_PHONE, text))
            count = n + 1
            await until(lambda count=count: asyncio.sleep(0, len(sandbox(rt)["sms"].to(TENANT_PHONE)) >= count))
        await add_person(rt, "raadgiver@example.org", "adviser")
        context, page = await sign_in(served, "raadgiver@example.org")
        await page.wait_for_url("**/console/")
        await context.clock.install()  # the case page's poll is moved on to (`polled`), not waited for
        await page.goto(f"{served.url}/console/cases/{case_id}")
        await page.click("#take")
        await until(lambda: asyncio.sleep(0, len(sandbox(rt)["sms"].to(TENANT_PHONE)) >= 3))  # told a person reads
        await page.goto(f"{served.url}/console/cases/{case_id}")
        changed = page.locator("#consent-changed")
        assert await changed.is_hidden() and await page.locator("#no-consent").is_visible()

        await rt.inbox.submit(InboundMessage("sms", "SM-open-yes", TENANT_PHONE, "JA"))
        await polled(page, page.locator("#thread li:has-text('JA')").first.is_visible)
        await polled(page, changed.is_visible)
        words = await changed.inner_text()
        assert words.startswith("Lejeren har givet sit samtykke, mens siden var åben.") and "Genindlæs siden" in words
        assert await page.locator("#no-consent").is_hidden()  # no longer true
        assert await changed.locator("a").get_attribute("href") == f"/console/cases/{case_id}"

        await rt.inbox.submit(InboundMessage("sms", "SM-open-no", TENANT_PHONE, "TILBAGEKALD"))

        async def withdrawn() -> bool:
            return "trukket sit samtykke tilbage" in await changed.inner_text()

        await polled(page, withdrawn)
        await changed.locator("a").click()
        await page.wait_for_selector("#no-consent")
        assert await page.locator("#consent-changed").is_hidden()
        await context.close()
        assert served.csp_violations == []


async def test_a_message_keephome_cannot_answer_while_the_case_page_is_open_appears_and_the_reply_deals_with_it(
    served: Served,
) -> None:
    """The tenant's conversation was stored in a form keephome cannot read, so their message fails while the adviser
    holds the open page: it appears marked without a reload, and the reply sent from that page deals with it."""
    rt = served.rt
    tenant_id = await add_tenant(rt, "4711-3-13", name="Amira Hansen", phone=TENANT_PHONE)
    case_id = await add_case(rt, tenant_id)  # with the tenant's consent to an adviser reading along
    adviser_id = await add_person(rt, "adviser@example.org", "adviser")
    async with rt.db.write() as conn:
        await take_case(conn, case_id, adviser_id, rt.clock())
        await conn.execute(
            conversations.insert().values(
                tenant_id=tenant_id,
                flow="payment_check",
                state={"channel": "fax"},
                active=True,
                version=1,
                started_at=rt.clock(),
                updated_at=rt.clock(),
            )
        )
    context, page = await sign_in(served, "adviser@example.org")
    await page.wait_for_url("**/console/")
    await context.clock.install()  # the case page's poll is moved on to (`polled`), not waited for
    await page.goto(f"{served.url}/console/cases/{case_id}")
    assert await page.locator("#reply-deals-with").is_hidden()

    await rt.inbox.submit(InboundMessage("sms", "SM-unanswered", TENANT_PHONE, "Jeg kan ikke betale før den 15."))
    item = page.locator("#thread li.unanswered")
    await polled(page, item.is_visible)
    assert "keephome could not answer this message — answer it yourself" in await item.inner_text()
    assert "Jeg kan ikke betale før den 15." in await item.inner_text()
    assert await page.locator("#reply-deals-with").is_visible()
    await page.fill("#reply", "Jeg ringer til dig i morgen.")
    await page.click("#reply-form button[type=submit]")

    async def dealt_with() -> bool:
        async with rt.db.read() as conn:
            found = await conn.execute(select(inbound.c.dealt_with_at).where(inbound.c.provider_id == "SM-unanswered"))
            return found.scalar_one() is not None

    await until(dealt_with)
    await context.close()
    assert served.csp_violations == []


async def test_a_message_keephome_cannot_answer_dealt_with_elsewhere_is_no_longer_asked_for_on_an_open_case_page(
    tmp_path: Path, chromium: Browser
) -> None:
    """The adviser's open case page marks a message keephome could not answer; an admin marks it dealt with (or a reply
    from another tab answers it). The page kept asking, in red, for it to be answered, and its reply form still said
    it would deal with it, until reloaded: now the mark says, in Danish, that someone dealt with it."""
    async with serve(tmp_path, console_language="da", browser=chromium) as served:
        rt = served.rt
        tenant_id = await add_tenant(rt, "4711-3-14", name="Amira Hansen", phone=TENANT_PHONE)
        case_id = await add_case(rt, tenant_id)  # with the tenant's consent to an adviser reading along
        adviser_id = await add_person(rt, "raadgiver@example.org", "adviser")
        async with rt.db.write() as conn:
            await take_case(conn, case_id, adviser_id, rt.clock())
            await conn.execute(
                conversations.insert().values(
                    tenant_id=tenant_id,
                    flow="payment_check",
                    state={"channel": "fax"},
                    active=True,
                    version=1,
                    started_at=rt.clock(),
                    updated_at=rt.clock(),
                )
            )
        await rt.inbox.submit(InboundMessage("sms", "SM-elsewhere", TENANT_PHONE, "Jeg kan ikke betale før den 15."))

        async def failed() -> bool:
            async with rt.db.read() as conn:
                found = await conn.execute(select(inbound.c.failed_at).where(inbound.c.provider_id == "SM-elsewhere"))
                return found.scalar_one_or_none() is not None

        await until(failed)
        context, page = await sign_in(served, "raadgiver@example.org")
        await page.wait_for_url("**/console/")
        await context.clock.install()  # the case page's poll is moved on to (`polled`), not waited for
        await page.goto(f"{served.url}/console/cases/{case_id}")
        item = page.locator("#thread li[data-inbound]")
        assert await item.locator(".flag-failed").is_visible()
        assert await page.locator("#reply-deals-with").is_visible()

        async with rt.db.write() as conn:  # as the admin's list of them marks it
            await conn.execute(
                update(inbound).where(inbound.c.provider_id == "SM-elsewhere").values(dealt_with_at=rt.clock())
            )
        await polled(page, page.locator("#thread li.dealt-with").is_visible)
        said = await item.inner_text()
        assert "Nogen har taget sig af denne besked, mens siden var åben." in said
        assert "Jeg kan ikke betale før den 15." in said and await item.locator(".flag-failed").count() == 0
        assert await page.locator("#reply-deals-with").is_hidden()
        assert await page.locator("#reply-form input[name=unanswered]").count() == 0
        await context.close()
        assert served.csp_violations == []


async def test_a_case_a_colleague_takes_while_its_page_is_open_says_its_actions_are_of_before(
    tmp_path: Path, chromium: Browser
) -> None:
    """Two advisers have the same waiting case open; one takes it. The other's page changed its badge's words, kept its
    colour and its "Tag sagen" button, and said nothing: pressed, the button was refused. The page now says, in
    Danish, that someone changed the case, with a link that reloads it. The holder's own page, whose case waits for the
    tenant after the reply and is taken again by the tenant's answer, says nothing: its actions are the same."""
    async with serve(tmp_path, console_language="da", browser=chromium) as served:
        rt = served.rt
        tenant_id = await add_tenant(rt, "4711-3-12", name="Omega Tenant", phone=TENANT_PHONE, balance_ore=690000)
        case_id = await add_case(rt, tenant_id)
        await add_person(rt, "raadgiver@example.org", "adviser")
        await add_person(rt, "kollega@example.org", "adviser")
        context, page = await sign_in(served, "raadgiver@example.org")
        await context.clock.install()  # the case pages' polls are moved on to (`polled`), not waited for
        await page.goto(f"{served.url}/console/cases/{case_id}")
        changed = page.locator("#status-changed")
        assert await changed.is_hidden()

        other, theirs = await sign_in(served, "kollega@example.org")
        await other.clock.install()
        await theirs.goto(f"{served.url}/console/cases/{case_id}")
        await theirs.click("#take")
        await theirs.wait_for_selector("#reply")
        await polled(page, changed.is_visible)
        words = await changed.inner_text()
        assert words.startswith("Nogen har ændret sagen, mens siden var åben") and "Genindlæs siden" in words
        assert await page.locator("#case-status.taken").inner_text() == "under behandling"
        assert await changed.locator("a").get_attribute("href") == f"/console/cases/{case_id}"

        await theirs.fill("#reply", "Hej, jeg ringer i morgen.")
        await theirs.click("form[action$='/reply'] button[type=submit]")
        await theirs.wait_for_selector("#case-status.waiting_tenant")
        await rt.inbox.submit(InboundMessage("sms", "SM-answer", TENANT_PHONE, "Det er fint"))
        await polled(theirs, theirs.locator("#thread li:has-text('Det er fint')").first.is_visible)
        await polled(theirs, theirs.locator("#case-status.taken").first.is_visible)
        assert await theirs.locator("#status-changed").is_hidden()
        await other.close()
        await context.close()
        assert served.csp_violations == []


async def test_the_consent_form_whose_field_is_named_method_is_sent_once(tmp_path: Path, chromium: Browser) -> None:
    """The case page's "Registrér et samtykke" form has a field named "method", which the form's own `method` gives
    way to. A double click while the first answer is on its way records the consent once, and nothing on the page
    throws."""
    async with serve(tmp_path, console_language="da", browser=chromium) as served:
        rt = served.rt
        tenant_id = await add_tenant(rt, "4711-3-12", name="Omega Tenant", phone=TENANT_PHONE)
        case_id = await add_case(rt, tenant_id, consent=False)
        await add_person(rt, "raadgiver@example.org", "adviser")
        context, page = await sign_in(served, "raadgiver@example.org")
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.wait_for_url("**/console/")
        await page.goto(f"{served.url}/console/cases/{case_id}")
        form = page.locator("#record-consent")
        assert await form.locator("h3").inner_text() == "Registrér et samtykke"
        await form.locator("select[name=method]").select_option("oral")
        await form.locator("select[name=recipient_kind]").select_option("organisation")
        # The first answer is slow to come: the second click happens while it is on its way.
        held = asyncio.Event()
        posted: list[str] = []

        async def slow(route: Any) -> None:
            posted.append(route.request.url)
            await held.wait()
            await route.continue_()

        await page.route("**/consents/record", slow)
        # The second click comes from the page itself 200 ms after the first: Playwright's own click would wait for the
        # first answer before making it.
        await page.evaluate(
            """() => {
                const button = document.querySelector("#record-consent button[type=submit]");
                button.click();
                setTimeout(() => button.click(), 200);
            }"""
        )
        await until(lambda: asyncio.sleep(0, len(posted) >= 1))
        await asyncio.sleep(0.6)  # the second click made, and its request out, were it sent
        held.set()
        await page.wait_for_url(f"**/console/cases/{case_id}#consents")
        await page.wait_for_load_state()
        assert len(posted) == 1
        assert errors == []
        async with rt.db.read() as conn:
            recorded = (
                await conn.execute(
                    select(consents.c.id).where(consents.c.tenant_id == tenant_id, consents.c.method == "oral")
                )
            ).all()
        assert len(recorded) == 1
        await context.close()
        assert served.csp_violations == []


async def test_a_long_unbroken_word_wraps_on_a_phone(served: Served) -> None:
    rt = served.rt
    case_id = await add_case(rt, await add_tenant(rt, "4711-9-01", name="Omega Tenant", phone=TENANT_PHONE))
    await add_person(rt, "adviser@example.org", "adviser")
    adviser, page = await sign_in(served, "adviser@example.org")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(f"{served.url}/console/cases/{case_id}")
    await page.fill("#note", "x" * 3000)  # a key held down, a pasted link
    await page.click("form[action$='/note'] button")
    await page.wait_for_selector("text=xxxxxxxxxx")
    # The page after the note, whole: measured before its stylesheet applied, the word is as wide as it is long (a CI
    # run on a busy machine measured 24,048 px).
    await page.wait_for_load_state("load")
    await page.wait_for_function("document.styleSheets.length > 0")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await adviser.close()


# Where each line of a tenant's text under `selector` puts its list number and its first word, and how far its line
# ends from the right edge of the message's box; the block's direction and the page's.
LINES_DRAWN = """selector => {
  const block = document.querySelector(selector);
  const text = block.firstChild;
  const box = r => { const range = document.createRange(); range.setStart(text, r[0]); range.setEnd(text, r[1]);
                     return range.getBoundingClientRect(); };
  const lines = [];
  let at = 0;
  for (const line of text.data.split("\\n")) {
    const number = box([at, at + 2]);
    const word = box([at + 3, at + line.indexOf(" ", 3)]);
    const item = block.closest("li");
    const edge = item.getBoundingClientRect().right - parseFloat(getComputedStyle(item).paddingRight);
    lines.push({number_x: number.x, word_x: word.x, right_gap: edge - number.right});
    at += line.length + 1;
  }
  return {lines, block: getComputedStyle(block).direction, page: getComputedStyle(document.body).direction};
}"""


async def test_an_arabic_message_reads_right_to_left_on_a_left_to_right_page(served: Served) -> None:
    """A tenant's numbered list in Arabic: each line starts at the right with its number, in the order written, while
    the Danish page around it stays left to right."""
    rt = served.rt
    tenant_id = await add_tenant(rt, "4711-9-03", name="Layla Demo", phone=TENANT_PHONE, language="ar")
    case_id = await add_case(rt, tenant_id)
    now = rt.clock()
    written = "1. لا أستطيع دفع الإيجار\n2. أحتاج إلى مساعدة"
    async with rt.db.write() as conn:
        await conn.execute(
            insert(messages).values(
                tenant_id=tenant_id,
                case_id=case_id,
                direction="in",
                channel="sms",
                provider_id="SM-arabic",
                text=written,
                author="tenant",
                status="received",
                created_at=now,
                updated_at=now,
            )
        )
    await add_person(rt, "adviser@example.org", "adviser")
    adviser, page = await sign_in(served, "adviser@example.org")
    await page.goto(f"{served.url}/console/cases/{case_id}")
    await page.wait_for_load_state("load")
    drawn = await page.evaluate(LINES_DRAWN, "#thread li.in .said")
    assert (drawn["block"], drawn["page"]) == ("rtl", "ltr")
    first, second = drawn["lines"]
    for line in (first, second):
        assert line["number_x"] > line["word_x"]  # the number on the right, the words to its left
        assert line["right_gap"] < 12  # against the right edge, not the left
    await adviser.close()
    assert served.csp_violations == []


async def test_on_a_phone_the_case_actions_follow_the_conversation(served: Served) -> None:
    rt = served.rt
    case_id = await add_case(rt, await add_tenant(rt, "4711-9-02", name="Phone Tenant", phone=TENANT_PHONE))
    await add_person(rt, "adviser@example.org", "adviser")
    adviser, page = await sign_in(served, "adviser@example.org")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(f"{served.url}/console/cases/{case_id}")
    take, thread, consents = await boxes(page, "#take", "#thread", "#consents")
    # Take the case right below the conversation, before the consents, referrals and notes (four screens down).
    assert thread["y"] < take["y"] < consents["y"]
    await page.set_viewport_size({"width": 1100, "height": 900})  # side by side again on a wide screen
    take, thread = await boxes(page, "#take", "#thread")
    assert take["x"] > thread["x"] + thread["width"]
    await adviser.close()


# Words a layout broke inside (a column header "Tilsta/nd", a button "Ski/ft", an e-mail in one-letter columns):
# each word of the text under `selector` (visible only) whose letters sit on more than one line.
_WORDS_BROKEN = """selector => {
  const broken = [];
  for (const element of document.querySelectorAll(selector)) {
    if (!element.getClientRects().length) continue;
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const word of node.data.matchAll(/[^\\s-]+/g)) {
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push(word[0]);
      }
    }
  }
  return broken;
}"""
NARROW = 360


async def test_the_wide_pages_fit_a_360_px_phone(tmp_path: Path, chromium: Browser) -> None:
    """The staff list, the demo's front page and the phone simulator on the narrowest common phone, in Danish:
    no sideways scrolling, and no word broken letter by letter; the staff list's headers stay whole on a desktop."""
    async with serve(tmp_path, demo=True, console_language="da", browser=chromium) as demo:
        logins = {
            role: (email, password) for role, email, password in await ensure_demo_staff(demo.rt.db, demo.rt.clock())
        }
        await add_person(demo.rt, "ny.person@example.org", "adviser")
        context = await demo.new_context(viewport={"width": NARROW, "height": 800})
        page = await context.new_page()
        for path, waits_for in (("/", "table.accounts"), ("/simulator", "#tenants button")):
            await page.goto(f"{demo.url}{path}")
            await page.wait_for_selector(waits_for)
            width, window = await fits(page)
            assert width <= window, (path, width, window)
            assert await page.evaluate(_WORDS_BROKEN, "main") == [], path
        email, password = logins["admin"]
        await page.goto(f"{demo.url}/console/login")
        await page.fill("#email", email)
        await page.fill("#password", password)
        await page.click("button[type=submit]")
        await page.goto(f"{demo.url}/console/staff")
        width, window = await fits(page)
        assert width <= window, ("/console/staff", width, window)
        # Stacked as the inbox and the audit log are: each e-mail, button and state whole.
        assert await page.evaluate(_WORDS_BROKEN, "#staff td") == []
        assert "Deaktivér" in await page.inner_text("#staff")
        await page.screenshot(path=str(tmp_path / "staff-360.png"), full_page=True)
        # The API keys, a tenant's cases and the outcome table are stacked too: "Tilbagekald", a case's status whole;
        # the outcome table's cells say which step each number is, as its headers are hidden.
        async with demo.rt.db.write() as conn:
            await add_key(conn, "Økonomisystem med et langt navn", "write", demo.rt.clock(), "test")
        tenant_id = await add_tenant(demo.rt, "4711-9-02", name="Sigrid Tenant", phone="+4520000099")
        await add_case(demo.rt, tenant_id, reason="ønsker at tale med en rådgiver om huslejen")
        for path, cells in (
            ("/console/admin/api-keys", "table.stack td"),
            (f"/console/tenants/{tenant_id}", "main td"),
        ):
            await page.goto(f"{demo.url}{path}")
            width, window = await fits(page)
            assert width <= window, (path, width, window)
            assert await page.evaluate(_WORDS_BROKEN, cells) == [], path
        await page.goto(f"{demo.url}/console/outcomes")
        assert await page.evaluate("document.querySelectorAll('#funnel-card td:not([data-label])').length") == 0
        # On a desktop the list is a table again, and no column header breaks inside a word ("Tilsta/nd").
        await page.goto(f"{demo.url}/console/staff")
        await page.set_viewport_size({"width": 1280, "height": 900})
        assert await page.is_visible("#staff thead")
        assert await page.evaluate(_WORDS_BROKEN, "#staff th, #staff button") == []
        await context.close()
        assert demo.csp_violations == []


async def test_on_a_phone_the_header_and_the_inbox_filters_are_big_enough_for_a_finger(served: Served) -> None:
    """The header's links and the inbox's status filters were a line of text tall (19-23 px), and a filter's words
    wrapped onto the next line, right under the next filter: a thumb opened the wrong list."""
    rt = served.rt
    await add_case(rt, await add_tenant(rt, "4712-3-02", name="Sigma Tenant", phone="+4520000002", balance_ore=30000))
    await add_person(rt, "adviser@example.org", "adviser")
    context, page = await sign_in(served, "adviser@example.org", **PHONE)
    await page.wait_for_selector("#cases")
    found = await page.evaluate(TARGETS, "header a, header button, .filters a, .pager a")
    assert len(found["targets"]) >= 10
    for text, height, width, drawn in found["targets"]:
        assert height >= FINGER and width >= FINGER / 2 and drawn == 1, (text, height, width, drawn)
    assert found["overlaps"] == []
    assert await page.get_attribute(".filters a.on", "aria-current") == "page"
    # Against the screen's width: a phone's browser widens its window to a wider page, and the window alone agreed.
    width, window = await fits(page)
    assert width <= window == PHONE["viewport"]["width"]
    await context.close()
    assert served.csp_violations == []


async def test_on_a_phone_a_tap_anywhere_on_an_inbox_row_opens_its_case(served: Served) -> None:
    """Only the tenant's first name opened a case: a thumb on the row's reason, status or channel did nothing. So on
    the tenant page's list of their cases."""
    rt = served.rt
    tenant_id = await add_tenant(rt, "4712-3-02", name="Sigma Tenant", phone="+4520000002", balance_ore=30000)
    case_id = await add_case(rt, tenant_id)
    await add_person(rt, "adviser@example.org", "adviser")
    context, page = await sign_in(served, "adviser@example.org", **PHONE)
    await page.wait_for_selector("#cases")
    # The inbox's row: why now, and how it came. The tenant page's list of cases, whose link was the case's number
    # alone ("1", a target 7 px wide): its reason.
    for path, cell in (
        ("/console/", f"#cases tr[data-case='{case_id}'] td.urgency"),
        ("/console/", f"#cases tr[data-case='{case_id}'] td:last-child"),
        (f"/console/tenants/{tenant_id}", "table.stack td:nth-child(3)"),
    ):
        await page.goto(f"{served.url}{path}")
        where = page.locator(cell)
        await where.scroll_into_view_if_needed()
        box = await where.bounding_box()
        assert box is not None
        await page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        await page.wait_for_url(f"**/console/cases/{case_id}", timeout=5_000)
    await context.close()
    assert served.csp_violations == []


async def test_on_a_phone_a_button_that_cannot_be_pressed_looks_it(served: Served) -> None:
    """Before the tenant consents to a volunteer, "Give task" and "Book" cannot be pressed; they looked exactly like
    "Release to the queue" beside them, and a tap on them did nothing and said nothing."""
    rt = served.rt
    case_id = await add_case(rt, await add_tenant(rt, "4711-9-03", name="Phone Tenant", phone=TENANT_PHONE))
    await add_person(rt, "adviser@example.org", "adviser")
    await add_person(rt, "volunteer@example.org", "volunteer")
    context, page = await sign_in(served, "adviser@example.org", **PHONE)
    await page.goto(f"{served.url}/console/cases/{case_id}")
    await page.tap("#take")
    release = page.locator("form[action$='/release'] button")
    await release.wait_for()
    look = "b => [getComputedStyle(b).backgroundColor, getComputedStyle(b).color, getComputedStyle(b).cursor]"
    working = await release.evaluate(look)
    for dead in ("form[action$='/task'] button[type=submit]", "form[action$='/appointment'] button[type=submit]"):
        assert await page.locator(dead).is_disabled()
        background, colour, cursor = await page.locator(dead).evaluate(look)
        assert background != working[0] and colour != working[1] and cursor == "not-allowed", dead
    # The box to choose the volunteer in stood empty, as if broken: it says that nobody can be chosen yet.
    for choice in ("#volunteer", "#appt-volunteer"):
        shown = await page.locator(choice).evaluate("s => s.selectedIndex < 0 ? '' : s.options[s.selectedIndex].text")
        assert shown == "Nobody yet: see above", choice
        # and whole, not cut off at the box's edge on a phone ("No volunteer can be chosen yet (se").
        fits = await page.locator(choice).evaluate(
            """s => { const pen = document.createElement("canvas").getContext("2d");
                      pen.font = getComputedStyle(s).font;
                      return pen.measureText(s.options[s.selectedIndex].text).width <= s.clientWidth - 40; }"""
        )
        assert fits, choice
    await context.close()
    assert served.csp_violations == []


async def test_on_a_phone_the_adviser_calls_the_tenant_with_one_tap(served: Served) -> None:
    """The case and tenant pages wrote the number as plain text ("+4520000001"): an adviser on a phone copied it by hand
    into the dialler to make the call the case asks for. A volunteer's task had a link to tap all along."""
    rt = served.rt
    tenant_id = await add_tenant(rt, "4711-9-04", name="Phone Tenant", phone=TENANT_PHONE)
    case_id = await add_case(rt, tenant_id)
    elsewhere = await add_tenant(rt, "4711-9-05", name="Wrong Tenant", phone="+4520000009", status="wrong_number")
    await add_person(rt, "adviser@example.org", "adviser")
    context, page = await sign_in(served, "adviser@example.org", **PHONE)
    for path in (f"/console/cases/{case_id}", f"/console/tenants/{tenant_id}"):
        await page.goto(f"{served.url}{path}")
        call = page.locator("a.call")
        assert await call.get_attribute("href") == f"tel:{TENANT_PHONE}", path
        assert await call.inner_text() == "20 00 00 01"
        box = await call.bounding_box()
        assert box is not None and box["height"] >= FINGER
    # A number the tenant's household said is not theirs is shown, and not offered to call.
    await page.goto(f"{served.url}/console/tenants/{elsewhere}")
    assert "20 00 00 09" in await page.inner_text("main") and await page.locator("a[href^='tel:']").count() == 0
    await context.close()
    assert served.csp_violations == []


async def test_on_a_phone_a_note_or_a_reply_is_in_sight_once_sent(served: Served) -> None:
    """Sending a note or a reply brought the adviser back to the top of the case page: the note was four screens down,
    out of sight, and nothing said it was saved. Now the page opens where the note or the reply is."""
    rt = served.rt
    case_id = await add_case(rt, await add_tenant(rt, "4711-9-06", name="Phone Tenant", phone=TENANT_PHONE))
    await add_person(rt, "adviser@example.org", "adviser")
    context, page = await sign_in(served, "adviser@example.org", **PHONE)
    await page.goto(f"{served.url}/console/cases/{case_id}")
    await page.tap("#take")
    await page.locator("#reply").wait_for()
    await page.fill("#note", "Ringer fredag om en aftale.")
    # The page it lands on, not the old one: the case page looks for new messages every 4 s and adds them in place.
    async with page.expect_navigation():
        await page.tap("form[action$='/note'] button")
    await page.wait_for_selector("#notes li:last-child:has-text('Ringer fredag om en aftale.')")
    assert await page.evaluate(ON_SCREEN, "#notes li:last-child")
    await page.fill("#reply", "Hej, jeg ringer fredag.")
    async with page.expect_navigation():
        await page.tap("form[action$='/reply'] button")
    await page.wait_for_selector("#thread li:last-child:has-text('Hej, jeg ringer fredag.')")
    assert await page.evaluate(ON_SCREEN, "#thread li:last-child")
    await context.close()
    assert served.csp_violations == []


async def test_the_first_tab_skips_the_header_to_the_page(tmp_path: Path, chromium: Browser) -> None:
    """On a desktop a keyboard went through the admin's ten header links and buttons before anything of the page. The
    first Tab now reaches "Gå til indhold", out of sight until then; Enter gives the page the keyboard's place (no ring
    round all of it), and the next Tab is on the page's first link or field."""
    async with serve(tmp_path, console_language="da", browser=chromium) as served:
        await add_person(served.rt, "admin@example.org", "admin")
        context, page = await sign_in(served, "admin@example.org")
        await page.goto(f"{served.url}/console/admin")
        assert await page.locator("a.skip").count() == 1 and not await page.evaluate(ON_SCREEN, "a.skip")
        await page.keyboard.press("Tab")
        focused = """() => { const e = document.activeElement, s = getComputedStyle(e);
                       return [e.tagName, e.id, e.textContent.trim(), s.outlineStyle, s.boxShadow]; }"""
        tag, _, text, ring, _ = await page.evaluate(focused)
        assert (tag, text, ring) == ("A", "Gå til indhold", "solid")
        assert await page.evaluate(ON_SCREEN, "a.skip")
        await page.keyboard.press("Enter")
        tag, where, _, ring, shadow = await page.evaluate(focused)
        assert (tag, where, ring, shadow) == ("MAIN", "main", "none", "none")
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.parentElement.closest('main') !== null")
        assert not await page.evaluate(ON_SCREEN, "a.skip")
        await context.close()
        assert served.csp_violations == []


async def test_the_keyboard_s_place_is_plain_to_see(served: Served) -> None:
    """Moving with Tab, the browser's own focus ring was one thin line (1 px): lost on the dark header and on the blue
    buttons. Each link, button and field reached by Tab now has a 3 px yellow ring."""
    rt = served.rt
    await add_case(rt, await add_tenant(rt, "4712-3-02", name="Sigma Tenant", phone="+4520000002", balance_ore=30000))
    await add_person(rt, "adviser@example.org", "adviser")
    context, page = await sign_in(served, "adviser@example.org", **PHONE)
    await page.wait_for_selector("#cases")
    seen = []
    for _ in range(13):  # "skip to content", the header's links and button, the filters, the search field, a case
        await page.keyboard.press("Tab")
        seen.append(
            await page.evaluate(
                """() => { const e = document.activeElement, s = getComputedStyle(e);
                   return [e.tagName, e.textContent.trim() || e.id, s.outlineStyle, parseFloat(s.outlineWidth),
                           s.outlineColor]; }"""
            )
        )
    assert {tag for tag, *_ in seen} >= {"A", "BUTTON", "INPUT"}
    for tag, what, style, width, colour in seen:
        assert style == "solid" and width >= 3 and colour == "rgb(255, 191, 71)", (tag, what, style, width, colour)
    await context.close()
    assert served.csp_violations == []


async def test_on_a_phone_the_forms_of_a_card_are_set_apart(served: Served) -> None:
    """On a phone "Give task" ran straight into "Close with outcome" (8 px), and "Add note" into "Contact made": a field
    or a button seemed to belong to the form beside it. Each form after another in a card has a line and room above."""
    rt = served.rt
    case_id = await add_case(rt, await add_tenant(rt, "4711-9-07", name="Phone Tenant", phone=TENANT_PHONE))
    await add_person(rt, "adviser@example.org", "adviser")
    await add_person(rt, "volunteer@example.org", "volunteer")
    context, page = await sign_in(served, "adviser@example.org", **PHONE)
    await page.goto(f"{served.url}/console/cases/{case_id}")
    await page.tap("#take")
    await page.locator("#reply").wait_for()
    for above, below in (
        ("form[action$='/task'] button[type=submit]", "form[action$='/close']"),
        ("form[action$='/note'] button[type=submit]", "form[action$='/contact']"),
    ):
        end, start = await boxes(page, above, below)
        line = await page.locator(below).evaluate(
            "f => [getComputedStyle(f).borderTopStyle, parseFloat(getComputedStyle(f).borderTopWidth)]"
        )
        assert start["y"] - (end["y"] + end["height"]) >= 16 and line[0] == "solid" and line[1] >= 1, (below, line)
    await context.close()
    assert served.csp_violations == []


async def test_on_a_phone_the_admin_s_menu_closes_on_escape_and_when_left(served: Served) -> None:
    """The admin's menu on a phone stayed open over the page whatever came next: Escape did nothing, and a tap on the
    page or the keyboard moving on past its last link left it covering the page. Now it closes, as a menu does."""
    await add_person(served.rt, "admin@example.org", "admin")
    context, page = await sign_in(served, "admin@example.org", **PHONE)
    await page.goto(f"{served.url}/console/admin")
    menu, summary = page.locator("header details.menu"), page.locator("header summary")
    is_open = "d => d.open"
    # Escape: closed, and the keyboard is back on the menu's button (the second Tab's: the first is "skip to content").
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")
    assert await menu.evaluate(is_open)
    await page.keyboard.press("Escape")
    assert not await menu.evaluate(is_open)
    assert await page.evaluate("document.activeElement.tagName") == "SUMMARY"
    # Tab past the last link ("Log ud") to the page: closed.
    await page.keyboard.press("Enter")
    await page.locator("header details.menu button[type=submit]").focus()
    assert await menu.evaluate(is_open)
    await page.keyboard.press("Tab")
    assert not await page.evaluate("document.querySelector('header details.menu').contains(document.activeElement)")
    assert not await menu.evaluate(is_open)
    # A tap on the page below: closed; a tap inside the open menu's list keeps it open.
    await summary.tap()
    # Its links start under "keephome", not further in.
    lefts = await page.evaluate(
        """() => ["header .brand", "header details.menu nav a"]
                 .map(s => document.querySelector(s).getBoundingClientRect().left)"""
    )
    assert lefts[0] == lefts[1], lefts
    await page.locator("header details.menu nav").click(position={"x": 2, "y": 2})  # its edge, not a link
    assert await menu.evaluate(is_open)
    await page.touchscreen.tap(180, PHONE["viewport"]["height"] - 20)  # below the open menu's last link
    assert not await menu.evaluate(is_open)
    await context.close()
    assert served.csp_violations == []


async def test_on_the_smallest_phone_an_adviser_s_header_is_two_orderly_rows(tmp_path: Path, chromium: Browser) -> None:
    """At 320 px an adviser's header wrapped where it happened to: "keephome", "Indbakke" and "Udfald" in one row,
    "Mig" and "Log ud" alone under "keephome". Now the name stands above, and the pages and "Log ud" share one row,
    each as tall as a finger, none over another, none past the screen's edge; in Danish and in English."""
    async with serve(tmp_path, console_language="da", browser=chromium) as served:
        await add_person(served.rt, "adviser@example.org", "adviser")
        await add_person(served.rt, "adviser.en@example.org", "adviser")
        async with served.rt.db.write() as conn:
            await conn.execute(update(staff).where(staff.c.email == "adviser.en@example.org").values(language="en"))
        for email, words in (("adviser@example.org", "Log ud"), ("adviser.en@example.org", "Sign out")):
            context, page = await sign_in(served, email, **{**PHONE, "viewport": {"width": 320, "height": 568}})
            await page.wait_for_url("**/console/")
            found = await page.evaluate(TARGETS, "header a, header button")
            assert [text for text, *_ in found["targets"]][-1] == words
            for text, height, width, drawn in found["targets"]:
                assert height >= FINGER and drawn == 1, (text, height, width, drawn)
            assert found["overlaps"] == []
            rows = await page.evaluate(
                """() => [...document.querySelectorAll("header .brand, header a, header button")].map(e => {
                     const r = e.getBoundingClientRect(); return [e.textContent.trim(), r.top, r.bottom, r.right]; })"""
            )
            (brand, _, brand_bottom, _), *targets = rows
            assert brand == "keephome"
            assert len({round(top) for _, top, _, _ in targets}) == 1, rows  # one row
            assert all(top >= brand_bottom for _, top, _, _ in targets), rows  # under the name, not beside it
            assert all(right <= 320 for *_, right in rows), rows
            await context.close()
        assert served.csp_violations == []


async def test_a_reply_sent_by_keyboard_leaves_the_keyboard_on_it_without_a_ring_round_the_conversation(
    served: Served,
) -> None:
    """After a reply the page opens at the conversation; on a desktop, where it scrolls in its own box, the browser gave
    the whole box the focus and drew the keyboard's yellow ring round all of it. Now the keyboard is on the message
    just sent (a screen reader reads it), with no ring, and the next Tab goes on to the reply's field."""
    rt = served.rt
    tenant_id = await add_tenant(rt, "4711-9-06", name="Long Tenant", phone=TENANT_PHONE)
    world = World(rt)
    start = rt.clock() - timedelta(hours=30)
    for n in range(30):  # more than the box shows: it scrolls
        await world.writes(tenant_id, start + timedelta(minutes=n), "tenant" if n % 2 else "bot")
    case_id = await add_case(rt, tenant_id)
    await add_person(rt, "adviser@example.org", "adviser")
    context, page = await sign_in(served, "adviser@example.org")
    await page.goto(f"{served.url}/console/cases/{case_id}")
    await page.click("#take")
    # The page the take opens puts the keyboard on the conversation once loaded: wait for that before the focus is put
    # on the reply's button, else Enter went to the conversation and nothing was sent (CI, a busy machine).
    await page.locator("#reply").wait_for()
    await page.wait_for_load_state("load")
    await page.fill("#reply", "Hej, jeg ringer fredag.")
    await page.focus("form[action$='/reply'] button")
    await page.evaluate("window.before = true")
    await page.keyboard.press("Enter")
    # The page was at #thread already (after "Take the case"): wait for the one the reply opens.
    # A function, not an expression: Playwright polls an expression with eval, which the page's policy refuses.
    await page.wait_for_function("() => window.before === undefined")
    await page.wait_for_selector("#thread li:last-child:has-text('Hej, jeg ringer fredag.')")
    assert page.url.endswith("#thread")
    await page.wait_for_load_state("load")
    focused = await page.evaluate(
        """() => { const e = document.activeElement, ring = x => getComputedStyle(x).outlineStyle;
             return [e.id, e.textContent, ring(e), ring(document.getElementById("thread"))]; }"""
    )
    what, text, ring, thread_ring = focused
    assert what != "thread" and "Hej, jeg ringer fredag." in text, focused
    assert ring == "none" and thread_ring == "none", focused
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "reply"
    await context.close()
    assert served.csp_violations == []


async def test_a_case_taken_by_keyboard_leaves_the_keyboard_at_the_conversation_before_the_reply(
    served: Served,
) -> None:
    """A case taken ("Take the case") opened the page again at its top: a keyboard went through the header again to
    reach the reply. Now, as after a reply, the keyboard is on the conversation's last message (the tenant told that a
    person reads along), the reply's field and the conversation in sight, and the next Tab is the reply's field."""
    rt = served.rt
    case_id = await add_case(rt, await add_tenant(rt, "4711-9-06", name="Phone Tenant", phone=TENANT_PHONE))
    await add_person(rt, "adviser@example.org", "adviser")
    context, page = await sign_in(served, "adviser@example.org")
    await page.goto(f"{served.url}/console/cases/{case_id}")
    await page.focus("#take")
    await page.keyboard.press("Enter")
    await page.locator("#reply").wait_for()
    await page.wait_for_load_state("load")
    focused = await page.evaluate("() => [document.activeElement.tagName, document.activeElement.parentElement.id]")
    assert focused == ["LI", "thread"], focused
    assert await page.evaluate(ON_SCREEN, "#thread li:last-child") and await page.evaluate(ON_SCREEN, "#reply")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "reply"
    await context.close()
    assert served.csp_violations == []


async def test_the_simulator_s_date_field_says_the_chosen_day_in_the_page_s_words(
    tmp_path: Path, chromium: Browser
) -> None:
    """The simulator's "move the clock" field is drawn in the browser's language: an English browser showed 03/01/2026
    for the 1st of March, with nothing beside it in the page's Danish. It now says the day as the console's date
    fields do (the same static/dates.js)."""
    async with serve(tmp_path, demo=True, console_language="da", browser=chromium) as demo:
        context = await demo.new_context(**{**PHONE, "locale": "en-US"})
        page = await context.new_page()
        await page.goto(f"{demo.url}/simulator")
        await page.wait_for_selector("#tenants button")
        await page.fill("#day", "2026-03-01")
        assert await page.locator("#day-words").count() == 1
        assert await page.inner_text("#day-words") == "søndag den 1. marts 2026"
        assert await page.get_attribute("#day", "aria-describedby") == "day-words"
        width, window = await fits(page)
        assert width <= window
        await context.close()
        assert demo.csp_violations == []


async def test_the_simulator_s_move_clock_without_a_day_says_what_to_do(tmp_path: Path, chromium: Browser) -> None:
    """The simulator's "Move clock" pressed with no day in the field did nothing and said nothing. It now says, in the
    page's language, to choose a day first, where a screen reader hears it (the plan's live region), and moves no
    clock."""
    for language, said in (
        ("da", "Vælg først en dag i feltet, og tryk så på “Flyt uret”."),
        ("en", "Choose a day in the field first, then press “Move clock”."),
    ):
        (tmp_path / language).mkdir()
        async with serve(tmp_path / language, demo=True, console_language=language, browser=chromium) as demo:
            context = await demo.new_context(**PHONE)
            page = await context.new_page()
            await page.goto(f"{demo.url}/simulator")
            await page.wait_for_selector("#tenants button")
            offset = demo.rt.clock.offset
            await page.focus("#move")
            await page.keyboard.press("Enter")
            told = page.locator("#plan .error")
            await told.wait_for(timeout=10_000)  # said at once, with no request
            assert await told.inner_text() == said
            assert await page.get_attribute("#plan", "aria-live") == "polite"
            assert demo.rt.clock.offset == offset
            await context.close()
            assert demo.csp_violations == []


async def test_a_date_field_s_calendar_button_reached_by_tab_has_the_keyboard_s_ring(served: Served) -> None:
    """Tab goes through a date field's day, month and year, then to its calendar button inside the field: there the
    yellow ring vanished (the button had the browser's thin 1 px line). Now the field keeps the ring."""
    await add_person(served.rt, "adviser@example.org", "adviser")
    context, page = await sign_in(served, "adviser@example.org", **PHONE)
    await page.goto(f"{served.url}/console/outcomes?from=2026-02-02&to=2026-03-01&stage=")
    where = """() => { const e = document.activeElement, s = getComputedStyle(e);
                 return [e.id, e.matches(":focus"), s.outlineStyle, parseFloat(s.outlineWidth), s.outlineColor]; }"""
    stops = []
    for _ in range(20):  # from the top of the page, as the keyboard goes, until past the field
        await page.keyboard.press("Tab")
        stops.append(await page.evaluate(where))
        if stops[-1][0] == "to":
            break
    in_field = [stop for stop in stops if stop[0] == "from"]
    assert len(in_field) == 4 and not in_field[-1][1], stops  # day, month, year; then the calendar button inside
    for _, _, style, width, colour in in_field:
        assert (style, width, colour) == ("solid", 3, "rgb(255, 191, 71)"), in_field
    await context.close()
    assert served.csp_violations == []


async def test_on_a_phone_each_field_and_button_of_a_case_is_as_tall_as_a_finger(served: Served) -> None:
    """On a phone the case page's buttons, lists and fields were 39 to 43 px tall ("Send", "Luk sagen", the outcome's
    list), under the 44 px a finger hits without its neighbour; so were the outcome page's CSV links (16 px) and the
    lines of the consent's boxes to tick (23 px). The outcome page's links to whole months, quarters and years too."""
    rt = served.rt
    case_id = await add_case(rt, await add_tenant(rt, "4711-9-07", name="Phone Tenant", phone=TENANT_PHONE))
    await add_person(rt, "adviser@example.org", "adviser")
    await add_person(rt, "volunteer@example.org", "volunteer")
    context, page = await sign_in(served, "adviser@example.org", **PHONE)
    await page.goto(f"{served.url}/console/cases/{case_id}")
    await page.tap("#take")
    await page.locator("#reply").wait_for()
    controls = (
        "main button, main select, main input:not([type=hidden]):not([type=checkbox]):not([type=radio]),"
        " main label:has(> input[type=checkbox])"
    )
    for path in (f"/console/cases/{case_id}", "/console/outcomes"):
        await page.goto(f"{served.url}{path}")
        found = await page.evaluate(
            TARGETS, controls + (", main a.download, main .periods a" if "outcomes" in path else "")
        )
        assert len(found["targets"]) >= 5, path
        small = [(text[:30], height) for text, height, *_ in found["targets"] if height < FINGER]
        assert small == [], (path, small)
    await context.close()
    assert served.csp_violations == []


_LINES = """selector => [...document.querySelectorAll(selector)].map(e => {
  const range = document.createRange();
  range.selectNodeContents(e);
  return [e.textContent.trim(), new Set([...range.getClientRects()].map(r => Math.round(r.top))).size];
})"""


async def test_an_amount_a_phone_number_and_a_label_beside_the_conversation_stay_whole(
    tmp_path: Path, chromium: Browser
) -> None:
    """In the narrow column beside a desktop's conversation the amount owed broke before its full stop ("13.800,00 kr"
    then "."), the number to call inside itself ("20 00 00" then "01") and "Lejemålsnummer" inside the word. Each
    stays on one line now, on a desktop and on the smallest phone."""
    async with serve(tmp_path, console_language="da", browser=chromium) as served:
        rt = served.rt
        tenant_id = await add_tenant(
            rt, "4711-3-12", name="Omega Tenant", phone=TENANT_PHONE, balance_ore=1380000, monthly_rent_ore=690000
        )
        case_id = await add_case(rt, tenant_id)
        await add_person(rt, "adviser@example.org", "adviser")
        for viewport in ({"width": 1280, "height": 900}, {"width": 320, "height": 568}):
            context, page = await sign_in(served, "adviser@example.org", viewport=viewport)
            await page.goto(f"{served.url}/console/cases/{case_id}")
            lines = await page.evaluate(_LINES, "dd.amount, a.call, dt")
            assert ["13.800,00\xa0kr.", 1] in lines and ["20 00 00 01", 1] in lines, lines
            assert ["Lejemålsnummer", 1] in lines, lines
            width, window = await fits(page)
            assert width <= window, (viewport, width, window)
            await context.close()
        assert served.csp_violations == []


async def test_the_court_case_s_dates_stay_whole_beside_their_long_labels(tmp_path: Path, chromium: Browser) -> None:
    """The court case's list on a case page made its label column as wide as its longest label ("Fogedretten fik fat
    i lejeren på telefon") and left the values a column one letter wide: the filing day read down the card "2", "6",
    ".", … and "ikke underrettet" a letter a line, on a desktop and on a phone. A label takes at most half the card
    now: a date stays on one line, and no value breaks inside a word."""
    async with serve(tmp_path, console_language="da", browser=chromium) as served:
        rt = served.rt
        day = today(rt)
        tenant_id = await add_tenant(
            rt, "4711-3-12", name="Omega Tenant", phone=TENANT_PHONE, balance_ore=1380000, monthly_rent_ore=690000
        )
        case_id = await add_case(rt, tenant_id)
        await add_person(rt, "adviser@example.org", "adviser")
        context, page = await sign_in(served, "adviser@example.org")
        await page.goto(f"{served.url}/console/cases/{case_id}")
        await page.fill("#filed-on", (day - timedelta(days=10)).isoformat())
        await page.fill("#filing-court-date", (day + timedelta(days=14)).isoformat())
        await page.click("#court button[type=submit]")
        await page.wait_for_selector("#court-date")
        await context.close()
        with speaking("da"):
            filed = local_day(day - timedelta(days=10))
        for viewport in ({"width": 1280, "height": 900}, {"width": 375, "height": 667}):
            context, page = await sign_in(served, "adviser@example.org", viewport=viewport)
            await page.goto(f"{served.url}/console/cases/{case_id}")
            lines = await page.evaluate(_LINES, "#court dd")
            assert [filed, 1] in lines, (viewport, lines)
            # No value breaks inside a word ("ikke underrettet" may take two lines, never more).
            assert all(count <= len(text.split()) for text, count in lines), (viewport, lines)
            assert any(text == "ikke underrettet" for text, _ in lines), lines
            await context.close()
        assert served.csp_violations == []


async def test_a_consent_form_s_error_has_the_keyboard_s_place_without_a_ring(served: Served) -> None:
    """A consent recorded without its date opens the page again at the form's error, given the focus so a screen reader
    says it; the keyboard's yellow ring was drawn round the error as if it were something to press. No ring now."""
    rt = served.rt
    case_id = await _tenant_consents(rt, await add_tenant(rt, "4711-3-12", name="Omega Tenant", phone=TENANT_PHONE))
    await add_person(rt, "adviser@example.org", "adviser")
    context, page = await sign_in(served, "adviser@example.org")
    await page.goto(f"{served.url}/console/cases/{case_id}")
    await page.click("#take")
    await page.click("#record-consent button[type=submit]")
    await page.wait_for_selector("#record-consent-error")
    focused = await page.evaluate(
        """() => { const e = document.activeElement, s = getComputedStyle(e);
             return [e.id, s.outlineStyle, s.boxShadow]; }"""
    )
    assert focused == ["record-consent-error", "none", "none"], focused
    await context.close()
    assert served.csp_violations == []


async def test_on_a_phone_a_refused_close_comes_back_at_its_form_as_typed_and_closes_once_corrected(
    served: Served,
) -> None:
    """Closing as "other" without a note was a page of its own with a link back: on a phone the way back could reload
    the case page and lose what was chosen. The case page comes back at the close form, the reason in view with the
    keyboard's place, the outcome still chosen; the note added, the case closes."""
    rt = served.rt
    case_id = await add_case(rt, await add_tenant(rt, "4711-3-13", name="Omega Tenant", phone=TENANT_PHONE))
    await add_person(rt, "adviser@example.org", "adviser")
    context, page = await sign_in(served, "adviser@example.org", **PHONE)
    await page.goto(f"{served.url}/console/cases/{case_id}")
    await page.click("#take")
    await page.wait_for_selector("#close-case")
    await page.select_option("#outcome", "other")
    await page.click("#close-case button[type=submit]")
    await page.wait_for_selector("#close-case-error")
    focused = await page.evaluate("() => document.activeElement.id")
    assert focused == "close-case-error" and await page.evaluate(ON_SCREEN, "#close-case-error")
    assert "needs a note" in await page.inner_text("#close-case-error")
    assert await page.input_value("#outcome") == "other"
    await page.fill("#outcome-note", "Moved in with family")
    await page.click("#close-case button[type=submit]")
    await page.wait_for_url(re.compile(r"/console/\?closed="))
    async with rt.db.read() as conn:
        closed = (await conn.execute(select(cases.c.status, cases.c.outcome_note).where(cases.c.id == case_id))).one()
    assert tuple(closed) == ("closed", "Moved in with family")
    await context.close()
    assert served.csp_violations == []


async def test_a_refused_form_s_page_has_the_case_page_s_address_so_a_reload_opens_the_case_page(
    served: Served,
) -> None:
    """A refused form came back at itself with the address it was posted to in the address bar: a reload sent the form
    again, a bookmark of it opened no page. The address bar says the case page's address: a reload opens the case page
    (the form not sent again), and the form's address opened as a page leads there too."""
    rt = served.rt
    case_id = await add_case(rt, await add_tenant(rt, "4711-3-14", name="Omega Tenant", phone=TENANT_PHONE))
    await add_person(rt, "adviser@example.org", "adviser")
    context, page = await sign_in(served, "adviser@example.org")
    case_page = f"{served.url}/console/cases/{case_id}"
    await page.goto(case_page)
    await page.click("#take")
    await page.wait_for_selector("#close-case")
    await page.select_option("#outcome", "other")
    await page.click("#close-case button[type=submit]")
    await page.wait_for_selector("#close-case-error")
    # The error is on the page as soon as its HTML is read; forms.js puts the case page's address in the bar when it
    # runs, at the end of the page (read at once, CI on a busy machine saw the form's address still).
    await page.wait_for_url(case_page, timeout=10_000)
    reloaded = await page.reload()
    assert reloaded is not None and (reloaded.request.method, reloaded.status) == ("GET", 200)
    assert page.url == case_page and await page.query_selector("#close-case-error") is None
    bookmarked = await page.goto(f"{case_page}/close")
    assert bookmarked is not None and bookmarked.status == 200 and page.url == case_page
    async with rt.db.read() as conn:
        assert (await conn.execute(select(cases.c.status).where(cases.c.id == case_id))).scalar_one() == "taken"
    await context.close()
    assert served.csp_violations == []


async def test_on_a_phone_the_simulator_s_buttons_are_as_tall_as_a_finger(tmp_path: Path, chromium: Browser) -> None:
    """On a phone the simulator's clock field and its three buttons were 21 px tall and touched one another; the
    SMS/Telegram tabs were 31 px. Each is as tall as a finger, none over another."""
    async with serve(tmp_path, demo=True, console_language="da", browser=chromium) as demo:
        context = await demo.new_context(**PHONE)
        page = await context.new_page()
        await page.goto(f"{demo.url}/simulator")
        await page.wait_for_selector("#tenants button")
        found = await page.evaluate(TARGETS, ".tabs button, #compose input, #compose button, #side button, #day")
        assert len(found["targets"]) == 8
        small = [(text, height) for text, height, *_ in found["targets"] if height < FINGER]
        assert small == [] and found["overlaps"] == [], (small, found["overlaps"])
        await context.close()
        assert demo.csp_violations == []


async def test_the_english_simulator_says_its_clock_in_english_with_the_chosen_day_under_the_field(
    tmp_path: Path,
    chromium: Browser,
) -> None:
    """The English simulator said the demo's clock the Danish way ("6.12.2026, 14.27.42"), and on a 320 px phone the
    chosen day's words stood split around the "Move clock" button. The clock is said in the page's language, and the
    words stand under the field and its button."""
    async with serve(tmp_path, demo=True, console_language="en", browser=chromium) as demo:
        context = await demo.new_context(**{**PHONE, "viewport": {"width": 320, "height": 568}})
        page = await context.new_page()
        await page.goto(f"{demo.url}/simulator")
        await page.click("#tenants button")
        await page.wait_for_function("() => document.getElementById('now').textContent !== ''")
        now = await page.inner_text("#now")
        assert re.fullmatch(r"(Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, \d{1,2} [A-Z][a-z]+ \d{4} at \d\d:\d\d", now), (
            now
        )
        await page.fill("#day", "2026-03-01")
        assert await page.inner_text("#day-words") == "Sunday, 1 March 2026"
        lines = await page.evaluate(_LINES, "#day-words")
        field, button, words = await boxes(page, "#day", "#move", "#day-words")
        assert lines == [["Sunday, 1 March 2026", 1]]
        assert words["y"] >= max(field["y"] + field["height"], button["y"] + button["height"]), (field, button, words)
        await context.close()
        assert demo.csp_violations == []


async def test_on_a_phone_the_way_back_to_a_refused_form_is_a_button_and_keeps_what_was_chosen(served: Served) -> None:
    """A form refused for the case's state opens a page that says so (a colleague took the case over while the adviser
    chose how to close it); its way back to the form was a link a line of text tall (16 px) on a phone. It is a button
    as tall as a finger. A form refused for what was entered comes back at itself as it was left: a court filing dated
    in the future on the tenant's page, which opened that page of its own too."""
    rt = served.rt
    tenant_id = await add_tenant(rt, "4711-9-08", name="Phone Tenant", phone=TENANT_PHONE)
    case_id = await add_case(rt, tenant_id)
    await add_person(rt, "adviser@example.org", "adviser")
    colleague = await add_person(rt, "colleague@example.org", "adviser")
    context, page = await sign_in(served, "adviser@example.org", **PHONE)
    await page.goto(f"{served.url}/console/cases/{case_id}")
    async with page.expect_navigation():
        await page.tap("#take")
    await page.select_option("#outcome", "paid")
    async with rt.db.write() as conn:
        await conn.execute(update(cases).where(cases.c.id == case_id).values(assignee_id=colleague))
    async with page.expect_navigation():
        await page.tap("#close-case button[type=submit]")
    found = await page.evaluate(TARGETS, "#back-to-form, #start-page")
    assert len(found["targets"]) == 2 and found["overlaps"] == [], found
    for text, height, width, _ in found["targets"]:
        assert height >= FINGER and width >= FINGER, (text, height, width)
    async with page.expect_navigation():
        await page.tap("#back-to-form")
    assert page.url.startswith(f"{served.url}/console/cases/{case_id}")
    await page.goto(f"{served.url}/console/tenants/{tenant_id}")
    tomorrow = (today(rt) + timedelta(days=1)).isoformat()
    await page.fill("#filed-on", tomorrow)
    async with page.expect_navigation():
        await page.tap("#court-filing button[type=submit]")
    await page.wait_for_selector("#court-filing-error")
    await page.wait_for_url(f"{served.url}/console/tenants/{tenant_id}", timeout=10_000)  # forms.js, when it runs
    assert await page.input_value("#filed-on") == tomorrow
    assert await page.evaluate(ON_SCREEN, "#court-filing-error")
    await context.close()
    assert served.csp_violations == []
