"""The word a tenant gets when an adviser takes their case: a tenant reached out to by an urgent outreach, who never
asked for an adviser (or said no to sharing), is told why a person now writes and what they can do, in one SMS that
names no debt and no date."""

from __future__ import annotations

import httpx
import pytest

from bot.outbox.sms_rules import forbidden_words_in, sms_segments
from bot.runtime import Runtime
from tests.support.console import add_case, add_person, add_tenant, login, post_form
from tests.support.drive import daytime, drain, sandbox

# (language, the reason given, what the tenant can do)
_TOLD = [
    ("da", "har bedt en økonomisk rådgiver om at hjælpe dig med huslejen", ("Skriv her", "Svar STOP")),
    ("en", "has asked an adviser to help you with the rent", ("Write here", "Reply STOP")),
]


@pytest.mark.parametrize(("language", "reason", "can_do"), _TOLD)
async def test_a_tenant_without_consent_is_told_why_a_person_now_writes(
    runtime: Runtime, client: httpx.AsyncClient, language: str, reason: str, can_do: tuple[str, ...]
) -> None:
    daytime(runtime)
    tenant = await add_tenant(
        runtime, "DEMO-08", name="Frida Tenant", phone="+4520000008", language=language, balance_ore=900000
    )
    case_id = await add_case(runtime, tenant, origin="outreach", consent=False, reason="termination")
    await add_person(runtime, "adviser@example.org", "adviser")
    assert (await login(client, "adviser@example.org")).status_code == 303
    page = f"/console/cases/{case_id}"
    assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    await drain(runtime.sender)
    [told] = [m.text for m in sandbox(runtime)["sms"].to("+4520000008")]
    assert reason in told and all(words in told for words in can_do), told
    assert not any(ch.isdigit() for ch in told.replace(runtime.settings.org_name, "")), told
    assert forbidden_words_in(told, runtime.settings.forbidden_words) == []
    assert sms_segments(told) == ("GSM-7", 1), told
