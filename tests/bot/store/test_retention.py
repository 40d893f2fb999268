"""Purging by retention removes old receipts and spent codes, and nothing a person still needs; message texts,
answers and case notes are blanked when their time is up, except while a case is open or a consent they prove
stands; a withdrawn consent stops advisers reading the tenant's answers at once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from bot.console import throttle
from bot.console.inbox import REASONS
from bot.inbound.inbox import InboundMessage
from bot.outbox.status import record_delivery
from bot.runtime import Runtime
from bot.store.db import Database
from bot.store.retention import KEPT_REASONS, purge
from bot.store.schema import (
    case_events,
    cases,
    consents,
    conversations,
    early_statuses,
    inbound,
    link_codes,
    login_attempts,
    messages,
    outbox,
    planned_reminders,
)
from bot.tenants.case_closing import close_cases
from bot.tenants.linking import create_code
from tests.support import console
from tests.support.drive import drain, process_all
from tests.support.helpers import add_tenant
from tests.support.history import NOTE, OUTCOME_NOTE, TASK, TENANT_WORDS, a_tenant_with_a_history


async def test_old_receipts_and_codes_go_but_messages_stay(runtime: Runtime) -> None:
    tenant_id = await add_tenant(runtime.db)
    await runtime.inbox.submit(InboundMessage("sms", "SM-old", "+4520123456", "hej"))
    await process_all(runtime.processor)
    async with runtime.db.write() as conn:
        await conn.run_sync(create_code, tenant_id, runtime.clock(), 60)
    await runtime.inbox.submit(InboundMessage("sms", "SM-unprocessed", "+4520123456", "hej igen"))
    later = runtime.clock() + timedelta(days=31)
    removed = await purge(runtime.db, later, 30)
    assert removed["inbound"] == 1
    assert removed["link_codes"] == 1
    async with runtime.db.read() as conn:
        left = (await conn.execute(select(inbound.c.provider_id))).scalars().all()
        assert left == ["SM-unprocessed"]  # not handled yet: never purged
        assert (await conn.execute(select(func.count()).select_from(link_codes))).scalar_one() == 0
        kept = select(func.count()).select_from(messages).where(messages.c.direction == "in")
        assert (await conn.execute(kept)).scalar_one() == 1


async def test_recent_rows_are_kept(runtime: Runtime) -> None:
    await add_tenant(runtime.db)
    await runtime.inbox.submit(InboundMessage("sms", "SM1", "+4520123456", "hej"))
    await process_all(runtime.processor)
    removed = await purge(runtime.db, runtime.clock() + timedelta(days=29), 30)
    assert set(removed) >= {"inbound", "link_codes", "unknown_senders", "login_attempts", "message_texts"}
    assert sum(removed.values()) == 0


async def test_sign_in_counts_are_forgotten_after_a_quiet_day(runtime: Runtime) -> None:
    at = runtime.clock()
    counted = throttle.slots(runtime.settings.secret_key or "", "someone@example.org", "203.0.113.9")
    assert await runtime.db.run(throttle.reserve, counted, at) is None
    await runtime.db.run(throttle.settle, counted, at, False)
    later = at + timedelta(hours=23)
    other = throttle.slots(runtime.settings.secret_key or "", "else@example.org", "203.0.113.10")
    await runtime.db.run(throttle.reserve, other, later)
    await runtime.db.run(throttle.settle, other, later, False)
    assert (await purge(runtime.db, later, 30))["login_attempts"] == 0
    removed = await purge(runtime.db, at + timedelta(days=1, seconds=1), 30)
    assert removed["login_attempts"] == 2  # the e-mail's row and the address's row of the first attempt
    async with runtime.db.read() as conn:
        left = (await conn.execute(select(login_attempts.c.key))).scalars().all()
    assert sorted(left) == sorted(slot.key for slot in other)


async def texts_of(rt: Runtime, tenant_id: int) -> list[str]:
    async with rt.db.read() as conn:
        found = await conn.execute(
            select(messages.c.text).where(messages.c.tenant_id == tenant_id, messages.c.text.is_not(None))
        )
        return list(found.scalars())


async def held_about(rt: Runtime, tenant_id: int) -> str:
    """What the tables hold that was written about the tenant: outbox values, conversation state, case texts."""
    async with rt.db.read() as conn:
        values = (await conn.execute(select(outbox.c["values"]).where(outbox.c.tenant_id == tenant_id))).scalars()
        states = (
            await conn.execute(select(conversations.c.state).where(conversations.c.tenant_id == tenant_id))
        ).scalars()
        case_rows = (await conn.execute(select(cases).where(cases.c.tenant_id == tenant_id))).all()
        events = (
            await conn.execute(
                select(case_events.c.text)
                .join(cases, cases.c.id == case_events.c.case_id)
                .where(cases.c.tenant_id == tenant_id)
            )
        ).scalars()
        reasons = (
            await conn.execute(
                select(planned_reminders.c.reason, planned_reminders.c.computed_from).where(
                    planned_reminders.c.tenant_id == tenant_id
                )
            )
        ).all()
        return json.dumps(
            [list(values), list(states), [list(r) for r in case_rows], list(events), [list(r) for r in reasons]],
            default=str,
        )


async def remind(rt: Runtime, tenant_id: int, at: datetime) -> None:
    async with rt.db.write() as conn:
        await conn.execute(
            planned_reminders.insert().values(
                tenant_id=tenant_id,
                trigger="missed",
                period="2026-12",
                offset_days=-1,
                planned_for=at.date(),
                reason="missed: rent due 2026-12-01 unpaid as of 2026-12-02",
                computed_from={"due_date": "2026-12-01", "balance_as_of": "2026-12-02"},
                created_at=at,
            )
        )


async def test_a_status_callback_kept_for_a_sid_never_recorded_goes_after_a_day(database: Database) -> None:
    # Twilio reported on a sid no send of ours recorded (the send's outcome was lost, or not our message): kept for
    # the sender a while, then gone, on SQLite and PostgreSQL alike.
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert await database.run(record_delivery, "SM-never", "failed", "30003", at) == "status_kept_early"
    assert await database.run(record_delivery, "SM-later", "undelivered", None, at + timedelta(hours=20)) == (
        "status_kept_early"
    )
    assert (await purge(database, at + timedelta(hours=23), 30))["early_statuses"] == 0
    assert (await purge(database, at + timedelta(days=1, seconds=1), 30))["early_statuses"] == 1
    async with database.read() as conn:
        left = (await conn.execute(select(early_statuses.c.sid))).scalars().all()
    assert left == ["SM-later"]


async def test_texts_are_blanked_a_year_on_but_an_open_case_and_a_standing_consent_keep_theirs(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    start = rt.clock()
    history = await a_tenant_with_a_history(rt, client)  # closed with an outcome, consent stands
    await remind(rt, history.tenant_id, start)
    # Another tenant, whose case is still open: an adviser reads their history, however old.
    other = await console.add_tenant(rt, "B-2", name="Bo Qwertyson", phone="+4520111222")
    await rt.inbox.submit(InboundMessage("sms", "SM-other-1", "+4520111222", "Hej, jeg kan ikke betale i denne måned"))
    await process_all(rt.processor)
    await drain(rt.sender)
    await console.add_case(rt, other)
    await remind(rt, other, start)
    other_before = (await texts_of(rt, other), await held_about(rt, other))

    # A day short of a year: nothing yet.
    early = await purge(rt.db, start + timedelta(days=364), 30, message_days=365, case_days=365)
    assert early["message_texts"] == early["case_texts"] == early["conversations"] == 0
    assert TENANT_WORDS[1] in await texts_of(rt, history.tenant_id)

    done = await purge(rt.db, start + timedelta(days=366), 30, message_days=365, case_days=365)
    assert done["message_texts"] > 0 and done["outbox_values"] > 0 and done["conversations"] > 0
    assert done["case_texts"] > 0 and done["reminder_reasons"] == 1
    # The proof of the consent that still stands is kept; every other text of theirs is gone.
    assert await texts_of(rt, history.tenant_id) == ["JA"]
    about = await held_about(rt, history.tenant_id)
    for written in (NOTE, TASK, OUTCOME_NOTE, history.name.split()[0], "rent due", "balance_as_of"):
        assert written not in about, written
    async with rt.db.read() as conn:
        case = (await conn.execute(select(cases).where(cases.c.id == history.case_id))).one()
    assert case.outcome == "payment_plan"  # the figures keep what happened
    assert (await texts_of(rt, other), await held_about(rt, other)) == other_before

    # Once the consent is withdrawn, its proof goes too when its time is up.
    async with rt.db.write() as conn:
        await conn.execute(consents.update().values(withdrawn_at=start + timedelta(days=366)))
    later = await purge(rt.db, start + timedelta(days=367), 30, message_days=365, case_days=365)
    assert later["message_texts"] == 1
    assert await texts_of(rt, history.tenant_id) == []
    again = await purge(rt.db, start + timedelta(days=368), 30, message_days=365, case_days=365)
    assert sum(again.values()) == 0  # nothing is blanked twice


async def test_a_closed_case_loses_its_notes_after_the_case_retention(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    start = rt.clock()
    history = await a_tenant_with_a_history(rt, client)
    done = await purge(rt.db, start + timedelta(days=31), 30, message_days=365, case_days=30)
    assert done["case_texts"] > 0
    about = await held_about(rt, history.tenant_id)
    for written in (NOTE, TASK, OUTCOME_NOTE):
        assert written not in about
    # The case's own messages go with it (the consent's proof stays); the tenant's earlier words wait a year.
    left = await texts_of(rt, history.tenant_id)
    assert "JA" in left and TENANT_WORDS[0] in left
    assert not any("jeg ringer dig op" in text for text in left)


async def test_a_closed_case_keeps_the_reason_that_says_it_was_the_tenant_s_own_request(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """A case an opted-out tenant's words opened (`stopped_asked`) was their own request, as one they asked for with
    their yes: when a closed case's texts go, that code stays (the console still says why it opened); a reason someone
    wrote goes."""
    rt, _client = served
    start = rt.clock()
    opened = {}
    for ref, phone, reason in (("T-1", "+4520000001", "stopped_asked"), ("T-2", "+4520000002", "wants to talk")):
        tenant_id = await console.add_tenant(rt, ref, phone=phone)
        opened[reason] = await console.add_case(rt, tenant_id, reason=reason, consent=False)
    async with rt.db.write() as conn:
        await conn.run_sync(close_cases, list(opened.values()), start)
    await purge(rt.db, start + timedelta(days=31), 30, message_days=365, case_days=30)
    async with rt.db.read() as conn:
        kept = {int(i): r for i, r in (await conn.execute(select(cases.c.id, cases.c.reason))).all()}
    assert kept == {opened["stopped_asked"]: "stopped_asked", opened["wants to talk"]: ""}


def test_every_reason_code_the_console_words_is_kept_by_retention() -> None:
    """The codes a case opens with (the console's `REASONS` says each in words) are kept when a case's texts are
    blanked: storage names them apart from the layers that write them, so a new code must be named in both."""
    assert set(KEPT_REASONS) == set(REASONS)


async def test_withdrawing_consent_hides_the_answers_from_the_adviser_at_once(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    history = await a_tenant_with_a_history(runtime, client, close=False)
    page = f"/console/cases/{history.case_id}"
    shown = (await client.get(page)).text
    assert "<h2>Answers</h2>" in shown and TENANT_WORDS[1] in shown
    # Two consents (the adviser's and the volunteers' organisation's): the tenant picks the first, the adviser's.
    await runtime.inbox.submit(InboundMessage("sms", "SM-withdraw", history.phone, "TILBAGEKALD"))
    await process_all(runtime.processor)
    await runtime.inbox.submit(InboundMessage("sms", "SM-withdraw-1", history.phone, "1"))
    await process_all(runtime.processor)
    hidden = (await client.get(page)).text
    assert "<h2>Answers</h2>" not in hidden
    assert TENANT_WORDS[1] not in hidden and "No consent" in hidden
    polled: dict[str, Any] = (await client.get(f"{page}/messages.json")).json()
    assert polled["consent"] is False
    assert all(TENANT_WORDS[1] != m["text"] for m in polled["messages"])
