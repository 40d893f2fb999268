"""What a called-off or postponed court case leaves on the pages: the termination behind a called-off case no longer
ranks or reads as the court stage (the reminders' one rule), a court date that is no longer the court date says so
on the rent path, and a termination in effect is put in plain words."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from bot.i18n import local_day
from bot.reminders.ledger import import_tenants
from bot.runtime import Runtime
from bot.settings import Settings
from bot.store.schema import staff, tenants
from bot.tenants.csv_rows import known_languages, parse_csv
from tests.conftest import make_settings
from tests.support.console import add_case, add_person, add_tenant, csrf_of, login, today

HEADER = "tenant_ref;name;phone;balance;address;children;court_filed_on;court_date;kommune_notified_on;termination_on"


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return make_settings(sqlite_url, balance_max_age_days=90)


async def _import(rt: Runtime, line: str) -> int:
    parsed = parse_csv(f"{HEADER}\n{line}".encode(), today(rt), known_languages(), ["da", "en"], "da")
    assert parsed.ok, parsed.errors
    await import_tenants(rt.db, parsed.rows, rt.clock(), rt.settings)
    ref = line.split(";", 1)[0]
    async with rt.db.read() as conn:
        return int((await conn.execute(select(tenants.c.id).where(tenants.c.tenant_ref == ref))).scalar_one())


async def _adviser(rt: Runtime, client: httpx.AsyncClient, *, danish: bool = False) -> None:
    await add_person(rt, "adviser@example.org", "adviser")
    if danish:
        async with rt.db.write() as conn:
            await conn.execute(update(staff).where(staff.c.email == "adviser@example.org").values(language="da"))
    assert (await login(client, "adviser@example.org")).status_code == 303


async def _outcome(client: httpx.AsyncClient, tenant_id: int, data: dict[str, str]) -> None:
    page = f"/console/tenants/{tenant_id}"
    shown = await client.get(page)
    answer = await client.post(f"{page}/court/outcome", data={**data, "back": page, "csrf_token": csrf_of(shown.text)})
    assert answer.status_code == 303, answer.text


def _rent_path(page: str) -> list[str]:
    """The rent path's steps as the page lists them ("<day>: <step>")."""
    found = re.search(r'<ul id="rent-events">(.*?)</ul>', page, re.S)
    assert found is not None
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", found.group(1))]


def _urgency(page: str) -> str:
    found = re.search(r"<h2>[^<]*</h2>\s*<p><strong>([^<]*)</strong></p>", page)
    assert found is not None
    return html.unescape(found.group(1))


async def test_a_called_off_court_case_no_longer_ranks_or_reads_as_the_court_stage(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    day = today(runtime)
    filed, court, terminated = day - timedelta(days=5), day + timedelta(days=10), day - timedelta(days=40)
    line = f"C-1;Amira Hansen;20123456;100,00;Eksempelvej 1;;{filed};{court};;{terminated}"
    called_off = await _import(runtime, line)
    case_id = await add_case(runtime, called_off, origin="outreach", consent=False)
    # On the court path too, with a court date two months away: a termination in effect ranks before it.
    later = await add_tenant(
        runtime, "C-2", name="Bo Berg", phone="+4520000002", balance_ore=100_00, court_date=day + timedelta(days=60)
    )
    await add_case(runtime, later, origin="outreach", consent=False)
    await _adviser(runtime, client)
    inbox = (await client.get("/console/")).text
    assert inbox.index(">Amira<") < inbox.index(">Bo<")
    await _outcome(client, called_off, {"outcome": "called_off"})
    # The next import still carries the termination, the filing and the court date.
    await _import(runtime, line)
    inbox = html.unescape((await client.get("/console/")).text)
    assert inbox.index(">Bo<") < inbox.index(">Amira<")
    assert "terminated" not in inbox
    clock = _urgency((await client.get(f"/console/tenants/{called_off}")).text)
    assert "terminated" not in clock and "owes" in clock
    case_page = (await client.get(f"/console/cases/{case_id}")).text
    why = re.search(r'id="why"><strong>([^<]*)</strong>', case_page)
    assert why is not None and "terminated" not in html.unescape(why.group(1))
    # The rent table shows the ledger as it stands: the termination it still carries.
    assert f"<dt>Termination</dt><dd>{local_day(terminated)}</dd>" in case_page
    # A termination after the day the case was called off (today) is a new one: it counts again. The next day's
    # import carries it (an import refuses a termination after its own today); the adviser signs in again that day.
    runtime.clock.offset += timedelta(days=1)
    assert (await login(client, "adviser@example.org")).status_code == 303
    await _import(runtime, f"C-1;Amira Hansen;20123456;100,00;Eksempelvej 1;;{filed};{court};;{day + timedelta(1)}")
    assert "terminated" in _urgency((await client.get(f"/console/tenants/{called_off}")).text)


async def test_a_court_date_no_longer_the_court_date_reads_as_moved_or_called_off(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    day = today(runtime)
    old, new = day + timedelta(days=20), day + timedelta(days=41)
    tenant = await _import(runtime, f"C-1;Amira Hansen;20123456;100,00;Eksempelvej 1;;{day};{old};;")
    await _adviser(runtime, client)
    page = f"/console/tenants/{tenant}"
    steps = _rent_path((await client.get(page)).text)
    assert [s.split(": ", 1)[1] for s in steps] == ["filed with the fogedret", "court date"]
    await _outcome(client, tenant, {"outcome": "postponed", "court_date": new.isoformat()})
    steps = _rent_path((await client.get(page)).text)
    assert [s.split(": ", 1)[1] for s in steps] == [
        "filed with the fogedret",
        "court date postponed",
        "court date (moved)",
        "court date",
    ]
    await _outcome(client, tenant, {"outcome": "called_off"})
    steps = _rent_path((await client.get(page)).text)
    assert [s.split(": ", 1)[1] for s in steps] == [
        "filed with the fogedret",
        "court date postponed",
        "eviction called off",
        "court date (moved)",
        "court date (called off)",
    ]
    client.cookies.clear()
    await add_person(runtime, "dansk@example.org", "adviser")
    async with runtime.db.write() as conn:
        await conn.execute(update(staff).where(staff.c.email == "dansk@example.org").values(language="da"))
    assert (await login(client, "dansk@example.org")).status_code == 303
    steps = _rent_path((await client.get(page)).text)
    assert [s.split(": ", 1)[1] for s in steps][-2:] == ["dato i fogedretten (flyttet)", "dato i fogedretten (aflyst)"]


@pytest.mark.parametrize(
    ("danish", "said", "not_said"),
    [
        (False, "in effect: the landlord may ask the fogedret to evict at any time", "any day"),
        (
            True,
            "i kraft: udlejer kan nu når som helst bede fogedretten om at sætte lejeren ud (en udsættelsesforretning)",
            "hver dag",
        ),
    ],
)
async def test_a_termination_in_effect_says_plainly_that_the_landlord_may_ask_for_an_eviction(
    runtime: Runtime, client: httpx.AsyncClient, danish: bool, said: str, not_said: str
) -> None:
    day = today(runtime)
    tenant = await add_tenant(runtime, "C-1", balance_ore=100_00, termination_on=day - timedelta(days=3))
    await _adviser(runtime, client, danish=danish)
    clock = _urgency((await client.get(f"/console/tenants/{tenant}")).text)
    assert said in clock and not_said not in clock


def test_the_rent_path_labels_cover_every_step_a_page_shows() -> None:
    from bot.console.labels import COURT_STEP_LABELS as STEP_LABELS
    from bot.tenants.court import EVENT_KINDS

    assert set(STEP_LABELS) == {*EVENT_KINDS, "court_date_moved", "court_date_called_off"}
