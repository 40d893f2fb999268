"""`GET /`: in the demo a page linking the simulator and the console; in `run` a redirect to the console."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from bot.app import create_app
from bot.console import accounts
from bot.console.accounts import DEMO_STAFF, DEMO_VOLUNTEER_ORGANISATION, deactivate_staff, ensure_demo_staff
from bot.demo.data import demo_tenants
from bot.demo.simulator import CLOCK_AHEAD, CLOCK_BACK
from bot.runtime import Runtime
from bot.settings import Settings
from bot.store.schema import staff
from tests.conftest import make_settings, started_runtime
from tests.support.console import add_person

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's passwords hashed with argon2id at its cheapest cost: each start hashes four, and these tests are about
    the accounts and the page, not the hash (tests/bot/console/test_login.py checks the production cost)."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def _client(rt: Runtime) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(rt)), base_url="http://127.0.0.1:8000")


@pytest.fixture
async def demo(runtime: Runtime) -> AsyncIterator[tuple[httpx.AsyncClient, list[tuple[str, str, str]]]]:
    """The demo's app, with the demo's staff accounts and the passwords printed at start-up."""
    runtime.demo = True
    logins = await ensure_demo_staff(runtime.db, datetime(2026, 3, 3, 7, 0, tzinfo=UTC))
    async with _client(runtime) as client:
        yield client, logins


async def test_the_demo_front_page_links_the_simulator_and_the_console(
    demo: tuple[httpx.AsyncClient, list[tuple[str, str, str]]],
) -> None:
    client, _ = demo
    page = await client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'href="/simulator"' in page.text
    assert 'href="/console/"' in page.text
    assert "<script" not in page.text
    # Its look comes from a stylesheet the app serves: the page policy allows no inline style.
    assert "<style" not in page.text and 'href="/demo/static/front.css"' in page.text
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    stylesheet = await client.get("/demo/static/front.css")
    assert stylesheet.status_code == 200 and stylesheet.headers["content-type"].startswith("text/css")


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "move the demo's clock up to 30 days back or 90 days ahead."),
        ("da", "flyt demoens ur op til 30 dage tilbage eller 90 dage frem."),
    ],
)
async def test_the_simulator_card_says_the_clock_moves_back_as_well_as_ahead(
    settings: Settings, language: str, said: str
) -> None:
    """The simulator's clock goes back to a day before today too (bot/demo/simulator.py): "forward" alone misleads."""
    assert (CLOCK_BACK.days, CLOCK_AHEAD.days) == (30, 90)
    async with started_runtime(make_settings(settings.database_url, console_language=language)) as rt:
        rt.demo = True
        await ensure_demo_staff(rt.db, datetime(2026, 3, 3, 7, 0, tzinfo=UTC))
        async with _client(rt) as client:
            text = html.unescape((await client.get("/")).text)
    assert said in text


async def test_the_front_page_walks_a_case_to_the_volunteer_with_the_demos_own_names(
    demo: tuple[httpx.AsyncClient, list[tuple[str, str, str]]],
) -> None:
    client, _ = demo
    text = html.unescape((await client.get("/")).text)
    # The consent must name the volunteer's organisation exactly as their account has it.
    assert f"share his contact with {DEMO_VOLUNTEER_ORGANISATION}" in text
    # Carl is a demo tenant who owes rent, so the reminder's question is his to answer.
    carl = [d for d in demo_tenants(date(2026, 3, 3)) if d.row.name.startswith("Carl ")]
    assert "as Carl, write hej" in text and len(carl) == 1 and carl[0].row.balance_ore > 0


async def test_the_front_pages_walk_names_the_answer_as_carls_sms_shows_it(
    demo: tuple[httpx.AsyncClient, list[tuple[str, str, str]]],
) -> None:
    """The walk says which number to answer and what it reads on the phone: a newcomer looks for those words."""
    client, _ = demo
    text = html.unescape((await client.get("/")).text)
    said = re.search(r"answer (\d) \(([^)]+)\)", text)
    assert said is not None
    question = (TEMPLATES / "en" / "payment_check.question.sms.txt").read_text(encoding="utf-8")
    assert f"\n{said[1]} {said[2]}\n" in question


async def test_the_demo_front_page_names_the_accounts_but_not_their_passwords(
    demo: tuple[httpx.AsyncClient, list[tuple[str, str, str]]],
) -> None:
    client, logins = demo
    text = (await client.get("/")).text
    for _role, email in DEMO_STAFF:
        assert email in text
    assert text.index(DEMO_STAFF[0][1]) < text.index(DEMO_STAFF[1][1]) < text.index(DEMO_STAFF[2][1])
    for _role, _email, password in logins:
        assert password not in text


async def test_the_front_page_lists_only_the_demos_own_accounts(
    runtime: Runtime, demo: tuple[httpx.AsyncClient, list[tuple[str, str, str]]]
) -> None:
    """A person added on the Staff page is not a demo account (the terminal prints no password for them): the page
    counts them, and names only the demo's own."""
    client, _ = demo
    await add_person(runtime, "added-in-the-console@example.org", "adviser")
    await add_person(runtime, "helper@example.org", "volunteer", organisation="Another organisation")
    text = html.unescape((await client.get("/")).text)
    accounts = text.split('class="accounts"')[1].split("</table>")[0]
    assert "added-in-the-console@example.org" not in text and "helper@example.org" not in text
    assert [email for _role, email in DEMO_STAFF] == re.findall(r"<td>([^<]+)</td>", accounts)
    assert "2 more accounts were added in the console; they are not demo accounts" in text
    # The walk-through names the demo volunteer's organisation, not another volunteer's.
    assert f"share his contact with {DEMO_VOLUNTEER_ORGANISATION}" in text and "Another organisation" not in text


async def test_the_front_page_escapes_what_it_shows(
    runtime: Runtime, demo: tuple[httpx.AsyncClient, list[tuple[str, str, str]]]
) -> None:
    client, _ = demo
    async with runtime.db.write() as conn:  # an admin may rename the demo volunteer's organisation on the Staff page
        await conn.execute(update(staff).where(staff.c.role == "volunteer").values(organisation="<b>x</b>"))
    text = (await client.get("/")).text
    assert "&lt;b&gt;x&lt;/b&gt;" in text and "<b>x</b>" not in text


async def test_run_sends_the_front_door_to_the_console_and_has_no_simulator(runtime: Runtime) -> None:
    assert runtime.demo is False
    async with _client(runtime) as client:
        answer = await client.get("/")
        assert answer.status_code in (302, 307)
        assert answer.headers["location"] == "/console/"
        assert (await client.get("/simulator")).status_code == 404
        assert (await client.get("/simulator/api/tenants")).status_code == 404


async def test_a_new_start_brings_back_a_demo_account_changed_in_the_console(runtime: Runtime) -> None:
    at = datetime(2026, 3, 3, 7, 0, tzinfo=UTC)
    await ensure_demo_staff(runtime.db, at)
    role, email = next((role, email) for role, email in DEMO_STAFF if role == "adviser")
    async with runtime.db.write() as conn:
        staff_id = (await conn.execute(select(staff.c.id).where(staff.c.email == email))).scalar_one()
        await deactivate_staff(conn, staff_id, at, "staff:1")
    await ensure_demo_staff(runtime.db, at)  # the demo started again: the logins it prints are the four roles
    async with runtime.db.read() as conn:
        row = (await conn.execute(select(staff.c.role, staff.c.active).where(staff.c.id == staff_id))).one()
    assert (row.role, row.active) == (role, True)
