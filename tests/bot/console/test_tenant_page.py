"""The adviser's tenant and case pages note a påkrav sent before the law allows (`scheduler.rent_day.early_demand`)."""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

import pytest

from bot.runtime import Runtime
from tests.bot.tenants.test_language_choice import say
from tests.conftest import make_settings, started_runtime
from tests.support.console import add_case, add_tenant, adviser_client, staff_client

EARLY_EN = (
    "sent before 6 Feb 2026, the earliest day a påkrav may be sent for rent due 1 Feb 2026: it may have no legal "
    "effect; check which rent it concerns"
)


def shown(page: str) -> str:
    return html.unescape(page)


async def test_a_påkrav_sent_too_early_is_noted_beside_it_on_the_tenant_and_case_pages(runtime: Runtime) -> None:
    """Rent due Sunday 1 February 2026: last on time Mon 2, the earliest påkrav day Fri 6. A påkrav on Tue 3 is noted
    on both pages; one on the earliest day itself, and none at all, is not."""
    early = await add_tenant(runtime, "R-1", balance_ore=90000, due_day=1, demand_sent_on=date(2026, 2, 3))
    on_time = await add_tenant(
        runtime, "R-2", phone="+4520000002", balance_ore=90000, due_day=1, demand_sent_on=date(2026, 2, 6)
    )
    none = await add_tenant(runtime, "R-3", phone="+4520000003", balance_ore=90000)
    case_id = await add_case(runtime, early)
    on_time_case = await add_case(runtime, on_time)
    async with adviser_client(runtime) as client:
        tenant_page = shown((await client.get(f"/console/tenants/{early}")).text)
        case_page = shown((await client.get(f"/console/cases/{case_id}")).text)
        assert tenant_page.count(EARLY_EN) == 1 and case_page.count(EARLY_EN) == 1
        for quiet in (f"/console/tenants/{on_time}", f"/console/cases/{on_time_case}", f"/console/tenants/{none}"):
            page = (await client.get(quiet)).text
            assert 'id="early-demand"' not in page and "the earliest day a påkrav" not in shown(page)


async def test_a_volunteer_never_sees_the_note(runtime: Runtime) -> None:
    early = await add_tenant(runtime, "R-1", balance_ore=90000, due_day=1, demand_sent_on=date(2026, 2, 3))
    case_id = await add_case(runtime, early)
    async with staff_client(runtime, "volunteer") as client:
        for path in ("/console/", f"/console/tenants/{early}", f"/console/cases/{case_id}"):
            page = shown((await client.get(path)).text)
            assert "the earliest day a påkrav" not in page


async def test_the_note_is_in_danish_for_a_danish_reader(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'keephome.db'}", console_language="da")
    async with started_runtime(settings) as rt:
        early = await add_tenant(rt, "R-1", balance_ore=90000, due_day=1, demand_sent_on=date(2026, 2, 3))
        async with adviser_client(rt) as client:
            page = shown((await client.get(f"/console/tenants/{early}")).text)
    danish = (
        "sendt før 6. feb. 2026, den første dag et påkrav må sendes for husleje med forfald 1. feb. 2026: det har "
        "måske ingen retsvirkning; tjek, hvilken husleje det gælder"
    )
    assert page.count(danish) == 1


async def test_the_tenant_page_names_the_tenants_language_in_the_readers_language(
    runtime: Runtime, tmp_path: Path
) -> None:
    """An adviser on the phone sees which language the tenant reads, as the case page shows it."""
    turkish = await add_tenant(runtime, "R-1", language="tr")
    danish = await add_tenant(runtime, "R-2", phone="+4520000002", language="da")
    async with adviser_client(runtime) as client:
        assert (await client.get(f"/console/tenants/{turkish}")).text.count("<dt>Language</dt><dd>Turkish</dd>") == 1
        assert (await client.get(f"/console/tenants/{danish}")).text.count("<dt>Language</dt><dd>Danish</dd>") == 1
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'danish.db'}", console_language="da")
    async with started_runtime(settings) as rt:
        tenant = await add_tenant(rt, "R-1", language="tr")
        async with adviser_client(rt) as client:
            page = (await client.get(f"/console/tenants/{tenant}")).text
    assert page.count("<dt>Sprog</dt><dd>tyrkisk</dd>") == 1


@pytest.mark.parametrize(
    ("console_language", "chosen", "set_by_file"),
    [
        ("en", "<dt>Language</dt><dd>English (chosen by the tenant)</dd>", "<dt>Language</dt><dd>English</dd>"),
        ("da", "<dt>Sprog</dt><dd>engelsk (valgt af lejeren)</dd>", "<dt>Sprog</dt><dd>engelsk</dd>"),
    ],
)
async def test_the_tenant_page_says_when_the_tenant_chose_their_language(
    tmp_path: Path, console_language: str, chosen: str, set_by_file: str
) -> None:
    """The adviser sees that an import will not change it: the tenant wrote ENGLISH themselves."""
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'keephome.db'}", console_language=console_language)
    async with started_runtime(settings) as rt:
        wrote = await add_tenant(rt, "R-1", phone="+4520000001", language="da")
        imported = await add_tenant(rt, "R-2", phone="+4520000002", language="en")
        await say(rt, "ENGLISH", "SM1", "+4520000001")
        async with adviser_client(rt) as client:
            assert (await client.get(f"/console/tenants/{wrote}")).text.count(chosen) == 1
            assert (await client.get(f"/console/tenants/{imported}")).text.count(set_by_file) == 1
