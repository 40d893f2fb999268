"""The console in a real headless Chromium: every browser test's marks, the app served on a free port with the worker's
one Chromium, signing in, and what the tests measure on a page (its width, a finger's targets, what is on screen).

The Chromium itself is a fixture of tests/scenarios/conftest.py (`chromium`): launched once per worker process, in
the session's event loop, which is why every browser test runs in that loop too (`BROWSER`)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright

from bot.app import create_app
from bot.channels.sandbox import SandboxChannel
from bot.demo.data import seed_demo
from bot.runtime import Runtime, build_runtime
from tests.conftest import make_settings
from tests.support.console import PASSWORD, today
from tests.support.processes import free_port
from tests.support.schema import migrated

CHROMIUM = "/usr/bin/chromium"
# Every browser test's marks: `pytestmark = BROWSER` in each module of them.
BROWSER = [
    pytest.mark.browser,
    pytest.mark.slow,
    # On a developer's machine without Chromium these skip; in CI (CI=true) they run and fail instead.
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("CI"),
        reason="Debian's chromium is missing: apt-get install chromium",
    ),
    # The session's event loop, the one the worker's Chromium runs in (`chromium`, tests/scenarios/conftest.py).
    pytest.mark.asyncio(loop_scope="session"),
]
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Served:
    rt: Runtime
    url: str
    browser: Browser
    # What the browser reported against the Content-Security-Policy (an inline script or style, say).
    csp_violations: list[str] = field(default_factory=list)
    # Every context opened for the test: closed at its end, whatever the test closed itself.
    contexts: list[BrowserContext] = field(default_factory=list)

    async def new_context(self, **options: Any) -> BrowserContext:
        """A browser context whose pages report every CSP violation into `csp_violations`."""
        context = await self.browser.new_context(**options)
        self.contexts.append(context)

        def seen(message: ConsoleMessage) -> None:
            if "Content Security Policy" in message.text:
                self.csp_violations.append(message.text)

        context.on("console", seen)
        return context


async def until(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    for _ in range(int(within / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not true within {within} seconds")


async def polled(page: Page, check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Until `check` holds, with the page's clock moved on a second at a time: what the page's own timers (the case
    page polls every 4 s) show within `within` seconds of the page's time, real and moved on together, without
    waiting for them. The page's context has its clock installed (`context.clock.install()`) before the page loaded."""
    started = time.monotonic()
    moved = 0.0
    while not await check():
        if time.monotonic() - started + moved >= within:
            raise AssertionError(f"not true within {within} seconds of the page's time")
        await page.clock.fast_forward(1000)
        moved += 1.0
        await asyncio.sleep(0.1)  # a poll the timer started answers in real time


class WorkerChromium:
    """The one Chromium of a worker process; launched again only if it went away (a crash in an earlier test)."""

    def __init__(self, pw: Playwright) -> None:
        self.pw = pw
        self.running: Browser | None = None

    async def browser(self) -> Browser:
        if self.running is None or not self.running.is_connected():
            self.running = await self.pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        return self.running


@asynccontextmanager
async def serve(
    tmp_path: Path, *, browser: Browser, demo: bool = False, console_language: str = "en"
) -> AsyncIterator[Served]:
    """The app served on a free port, on a database of its own, with the worker's browser (`chromium`), which stays
    open afterwards: the contexts the block opened are closed at its end."""
    port = free_port()
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'keephome.db'}",
        public_url=f"http://127.0.0.1:{port}",
        console_language=console_language,
    )
    rt = build_runtime(
        settings, demo=demo, channels={"sms": SandboxChannel("sms"), "telegram": SandboxChannel("telegram")}
    )
    await migrated(rt.db)  # a copy of the worker's migrated SQLite file
    if demo:
        await seed_demo(rt.db, today(rt), rt.clock())
    config = uvicorn.Config(create_app(rt), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())

    async def stop() -> None:
        server.should_exit = True
        await task

    # Undone in the reverse order on the way out: the block's contexts, then the server.
    async with AsyncExitStack() as stack:
        stack.push_async_callback(stop)
        await until(lambda: asyncio.sleep(0, server.started))
        running = Served(rt, f"http://127.0.0.1:{port}", browser)
        stack.push_async_callback(_close_each, running.contexts)
        yield running


async def _close_each(contexts: list[BrowserContext]) -> None:
    for context in contexts:
        await context.close()


# A phone in the hand: a small screen, touched with a finger, in Danish.
PHONE: dict[str, Any] = {
    "viewport": {"width": 375, "height": 667},
    "is_mobile": True,
    "has_touch": True,
    "locale": "da-DK",
}


async def sign_in(served: Served, email: str, password: str = PASSWORD, **options: Any) -> tuple[BrowserContext, Page]:
    context = await served.new_context(**(options or {"viewport": {"width": 1100, "height": 900}}))
    page = await context.new_page()
    await page.goto(f"{served.url}/console/login")
    await page.fill("#email", email)
    await page.fill("#password", password)
    await page.click("button[type=submit]")
    return context, page


async def fits(page: Page) -> tuple[int, int]:
    """The page's width and the window's: nothing sticks out sideways when the first is at most the second."""
    width = int(await page.evaluate("document.documentElement.scrollWidth"))
    return width, int(await page.evaluate("window.innerWidth"))


async def boxes(page: Page, *selectors: str) -> list[dict[str, float]]:
    """The boxes of the first element under each selector, in the page's own coordinates and read at one moment.
    Playwright's `bounding_box` is measured against the window: a page that scrolls between two calls (to the anchor
    it was opened at, say, once it has loaded) moves the second box and not the first."""
    found: list[dict[str, float] | None] = await page.evaluate(
        """selectors => selectors.map(s => {
          const e = document.querySelector(s);
          if (!e) return null;
          const r = e.getBoundingClientRect();
          return {x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height};
        })""",
        list(selectors),
    )
    missing = [s for s, box in zip(selectors, found, strict=True) if box is None]
    assert not missing, f"not on the page: {missing}"
    return [box for box in found if box is not None]


# The boxes a finger must hit under `selector` (visible only): each one's height and width, how many boxes it is drawn
# in (a link whose words wrap onto two lines is two), and every pair of them that overlaps.
TARGETS = """selector => {
  const boxes = [...document.querySelectorAll(selector)].filter(e => e.getClientRects().length);
  const rects = boxes.map(e => e.getBoundingClientRect());
  const overlaps = [];
  rects.forEach((a, i) => rects.slice(i + 1).forEach((b, j) => {
    if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom)
      overlaps.push([boxes[i].textContent.trim(), boxes[i + 1 + j].textContent.trim()]);
  }));
  return {
    targets: boxes.map((e, i) => [e.textContent.trim(), rects[i].height, rects[i].width, e.getClientRects().length]),
    overlaps: overlaps,
  };
}"""
FINGER = 44  # px: the smallest target a finger hits without hitting its neighbour as well

# Whether the element under `selector` is wholly on the screen as the page stands, not scrolled past nor hidden in a
# scrolled list: it is inside the window, and what is drawn at its middle is it.
ON_SCREEN = """selector => {
  const element = document.querySelector(selector);
  const box = element.getBoundingClientRect();
  if (box.top < 0 || box.left < 0 || box.bottom > window.innerHeight || box.right > window.innerWidth) return false;
  return element.contains(document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2));
}"""
