"""The worker's one Chromium, for every browser test here (tests/support/browser.py has the rest of their machinery)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from playwright.async_api import Browser, async_playwright

from tests.support.browser import WorkerChromium


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def _chromium_of_the_worker() -> AsyncIterator[WorkerChromium]:
    async with async_playwright() as pw:
        chromium = WorkerChromium(pw)
        try:
            yield chromium
        finally:
            if chromium.running is not None:
                await chromium.running.close()


@pytest_asyncio.fixture(loop_scope="session")
async def chromium(_chromium_of_the_worker: WorkerChromium) -> AsyncIterator[Browser]:
    """Chromium, launched once per worker process: each test opens its own contexts in it (cookies, storage, pages
    of its own), and `serve` closes them at the block's end; none is left for the next test."""
    browser = await _chromium_of_the_worker.browser()
    yield browser
    assert browser.contexts == [], "a context outlived its test"
