"""What a Danish adviser reads on the case page, said as Danish says it: the day rent falls due is a day of the
month ("den 5. i måneden"), not a bare number, and the notes on the conversation speak of one tenant as one."""

from __future__ import annotations

import html
import re

import httpx

from bot.runtime import Runtime
from tests.support.console import add_case, add_tenant, signed_in


def _dd_after(page: str, term: str) -> str:
    found = re.search(rf"<dt>{re.escape(term)}</dt><dd>(.*?)</dd>", html.unescape(page), re.S)
    assert found is not None, page
    return " ".join(found.group(1).split())


async def test_the_due_day_reads_as_a_day_of_the_month_in_danish(runtime: Runtime, client: httpx.AsyncClient) -> None:
    case_id = await add_case(runtime, await add_tenant(runtime, "R-1", balance_ore=500_000, due_day=5))
    await signed_in(runtime, client, danish=True)
    page = (await client.get(f"/console/cases/{case_id}")).text
    assert _dd_after(page, "Forfaldsdag") == "den 5. i måneden"
