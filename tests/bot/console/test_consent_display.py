"""A consent on the case page: a signed form's consent shows the day it was signed and no time nobody entered,
and the button beside a standing consent reads as what the adviser does, not as its state."""

from __future__ import annotations

import re

import httpx

from bot.runtime import Runtime
from tests.bot.console.test_referrals import adviser, held_case, rt, signed_form  # noqa: F401


def _consent(page: str) -> str:
    found = re.search(r'<li class="consent active" data-consent="\d+">(.*?)</li>', page, re.S)
    assert found is not None
    return " ".join(found.group(1).split())


async def test_a_signed_forms_consent_shows_its_day_without_a_time_and_a_withdrawal_reads_as_an_action(
    rt: Runtime,  # noqa: F811
    adviser: httpx.AsyncClient,  # noqa: F811
) -> None:
    _, case_id = await held_case(rt, adviser)
    assert (await signed_form(adviser, case_id)).status_code == 303  # signed on 2026-03-01
    shown = _consent((await adviser.get(f"/console/cases/{case_id}")).text)
    assert "given 1. mar. 2026 ·" in shown, shown
    assert "a form signed 1. mar. 2026" in shown
    assert not re.search(r"\d\d:\d\d", shown), shown  # no time of day was entered
    assert ">Record that the tenant withdrew it</button>" in shown
