"""What the case page says after an audit of the Danish console: no stored key or English code shows through (a
hand-over, an erasure, an erased message), the kommune's decision has nothing chosen for the adviser, and a step
under way or granted is not offered a second time."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from sqlalchemy import select

from bot.console.labels import CONVERSATION_END_LABELS
from bot.runtime import Runtime
from bot.store.schema import case_tasks, messages
from bot.tenants.erase import erase
from conversations.flow import End
from conversations.flows import FLOWS
from tests.bot.console.test_referrals import adviser, held_case, make_referral, rt, signed_form  # noqa: F401
from tests.support.console import add_case, add_person, add_tenant, login, post_form, signed_in
from tests.support.history import a_tenant_with_a_history


def _events(page: str) -> str:
    found = re.search(r"<h2>Notes and events</h2>(.*?)</ul>", page, re.S)
    assert found is not None
    return " ".join(found.group(1).split())


async def test_a_case_handed_to_another_adviser_names_them_after_the_events_words(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    case_id = await add_case(runtime, await add_tenant(runtime, "R-1", phone="+4520000001"))
    await signed_in(runtime, client)
    page = f"/console/cases/{case_id}"
    await post_form(client, page, f"{page}/take", {})
    stand_in = await add_person(runtime, "stand-in@example.org", "adviser")
    await add_person(runtime, "admin@example.org", "admin")
    await login(client, "admin@example.org")
    assert (await post_form(client, page, f"{page}/reassign", {"adviser_id": str(stand_in)})).status_code == 303
    events = _events((await client.get(page)).text)
    assert "handed to</span> stand-in@example.org" in events, events
    assert "to stand-in" not in events and "reassigned" not in events


async def test_an_erased_tenants_case_says_so_in_words_and_shows_no_keys_of_texts(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    history = await a_tenant_with_a_history(runtime, client, close=False)
    await erase(runtime.db, history.ref, runtime.clock(), "cli", runtime.settings.secret_key)
    async with runtime.db.read() as conn:
        keys = {
            str(t)
            for t in (
                await conn.execute(select(messages.c.template).where(messages.c.tenant_id == history.tenant_id))
            ).scalars()
            if t
        }
    assert keys  # the bot's texts had keys: none of them may show
    page = (await client.get(f"/console/cases/{history.case_id}")).text
    assert "closed: the tenant&#39;s data was erased" in _events(page)
    assert "(message deleted)" in page
    for key in keys:
        assert f"[{key}]" not in page, key
    assert "· erased</span>" not in page


async def test_the_kommunes_decision_has_nothing_chosen_and_is_required(
    rt: Runtime,  # noqa: F811
    adviser: httpx.AsyncClient,  # noqa: F811
) -> None:
    _, case_id = await held_case(rt, adviser)
    assert (await signed_form(adviser, case_id)).status_code == 303
    page = (await adviser.get(f"/console/cases/{case_id}")).text
    consent = re.search(r'<option value="(\d+)">Aarhus', page)
    assert consent is not None
    assert (await make_referral(adviser, case_id, int(consent.group(1)))).status_code == 303
    page = (await adviser.get(f"/console/cases/{case_id}")).text
    select_ = re.search(r'<select id="decision-(\d+)" name="decision"([^>]*)>(.*?)</select>', page, re.S)
    assert select_ is not None and "required" in select_.group(2)
    options = re.findall(r"<option([^>]*)>", select_.group(3))
    assert 'value=""' in options[0] and "selected" in options[0] and "disabled" in options[0]
    assert all("selected" not in o for o in options[1:]), options
    decision = f"/console/referrals/{select_.group(1)}/decision"
    refused = await post_form(
        adviser, f"/console/cases/{case_id}", decision, {"decision": "", "decided_on": "2026-03-01"}
    )
    assert refused.status_code == 422


async def test_a_step_under_way_or_granted_is_not_offered_again(
    rt: Runtime,  # noqa: F811
    adviser: httpx.AsyncClient,  # noqa: F811
) -> None:
    _, case_id = await held_case(rt, adviser)
    page = f"/console/cases/{case_id}"

    def offered(html: str) -> list[str]:
        form = re.search(
            r'<form method="post" action="/console/cases/\d+/steps" id="add-step">(.*?)</form>', html, re.S
        )
        return re.findall(r'<option value="([a-z_]+)">', form.group(1)) if form else []

    assert offered((await adviser.get(page)).text) == ["boligstoette", "debt_counselling"]
    assert (await post_form(adviser, page, f"{page}/steps", {"kind": "boligstoette"})).status_code == 303
    assert offered((await adviser.get(page)).text) == ["debt_counselling"]  # to apply for
    async with rt.db.read() as conn:
        step = (await conn.execute(select(case_tasks.c.id).where(case_tasks.c.kind == "boligstoette"))).scalar_one()
    for status, again in (("granted", False), ("refused", True)):
        assert (await post_form(adviser, page, f"{page}/steps/{step}", {"status": status})).status_code == 303
        assert ("boligstoette" in offered((await adviser.get(page)).text)) is again, status
    assert (await post_form(adviser, page, f"{page}/steps", {"kind": "debt_counselling"})).status_code == 303
    assert offered((await adviser.get(page)).text) == ["boligstoette"]
    # A page loaded before still posts it: the server refuses a second step under way too.
    again = await post_form(adviser, page, f"{page}/steps", {"kind": "debt_counselling"})
    assert again.status_code == 409 and "already under way" in again.text
    async with rt.db.read() as conn:
        kinds = (await conn.execute(select(case_tasks.c.kind).where(case_tasks.c.case_id == case_id))).scalars()
        assert list(kinds).count("debt_counselling") == 1


async def test_a_time_of_another_year_names_its_year(runtime: Runtime, client: httpx.AsyncClient) -> None:
    """A case closed in December last year, read this year: "20. dec. 2025 11:00", not "20. dec. 11:00", which
    reads as days ahead; this year's times stay short."""
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from bot.store.schema import case_events

    case_id = await add_case(runtime, await add_tenant(runtime, "R-1", phone="+4520000001"))
    now = runtime.clock()
    last_year = datetime(now.year - 1, 12, 20, 10, 0, tzinfo=UTC)
    this_year = datetime(now.year, 1, 2, 10, 0, tzinfo=UTC)
    async with runtime.db.write() as conn:
        for at, text in ((last_year, "old"), (this_year, "new")):
            await conn.execute(insert(case_events).values(case_id=case_id, kind="note", text=text, at=at))
    await signed_in(runtime, client)
    events = _events((await client.get(f"/console/cases/{case_id}")).text)
    assert f"20 Dec {now.year - 1} 11:00" in events and "2 Jan 11:00" in events, events


def test_every_way_a_conversation_ends_has_words() -> None:
    """Each end a flow names and each one the golden transcripts show (the engine's own: not understood, a sign sent
    again instead of a yes in words, no answer) reads in words wherever a conversation's end is shown, never as its
    stored code."""
    transcripts = Path(__file__).resolve().parents[2] / "conversations" / "transcripts"
    shown = {m for path in transcripts.glob("*.md") for m in re.findall(r"^ended: (\S+)$", path.read_text(), re.M)}
    named = {step.reason for flow in FLOWS.values() for step in flow.steps.values() if isinstance(step, End)}
    assert {"not_in_words", "not_understood"} <= shown
    assert shown | named <= set(CONVERSATION_END_LABELS), sorted((shown | named) - set(CONVERSATION_END_LABELS))
