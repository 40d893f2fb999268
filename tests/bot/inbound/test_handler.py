"""The inbound handler: keyword commands as events, one writer of tenant status, consent evidence, links."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text, update

from bot.channels.base import button_data
from bot.channels.sandbox import SentMessage
from bot.console.transcript import answers
from bot.inbound.handler import RESENT_WITHIN
from bot.inbound.inbox import InboundMessage
from bot.reminders.timers import expire_waiting
from bot.runtime import Runtime
from bot.store.db import utcnow
from bot.store.schema import (
    case_events,
    cases,
    consents,
    conversations,
    court_cases,
    link_codes,
    messages,
    outbox,
    rent_positions,
    tenants,
)
from tests.conftest import make_settings, started_runtime
from tests.support.console import add_case, volunteers_may_see
from tests.support.drive import drain, process_all, sandbox
from tests.support.helpers import add_tenant

PHONE = "+4520123456"


async def _say(rt: Runtime, text: str, sid: str, sender: str = PHONE, channel: str = "sms") -> list[str]:
    """Send one message through inbox, processor and sender; returns the texts that reached the phone."""
    before = len(sandbox(rt)[channel].to(sender))
    await rt.inbox.submit(InboundMessage(channel=channel, provider_id=sid, sender=sender, text=text))
    await process_all(rt.processor)
    await drain(rt.sender)
    return [m.text for m in sandbox(rt)[channel].to(sender)[before:]]


async def _one(rt: Runtime, query: object) -> object:
    async with rt.db.read() as conn:
        return (await conn.execute(query)).scalar_one()  # type: ignore[call-overload]


async def _rows(rt: Runtime, query: object) -> list[Any]:
    async with rt.db.read() as conn:
        return list((await conn.execute(query)).all())  # type: ignore[call-overload]


async def test_withdrawal_without_a_consent_says_there_is_nothing_to_withdraw(runtime: Runtime) -> None:
    await add_tenant(runtime.db)
    [reply] = await _say(runtime, "TILBAGEKALD", "SM1")
    assert "ikke" in reply.lower() and "trukket dit ja tilbage" not in reply
    assert await _one(runtime, select(func.count()).select_from(consents)) == 0


async def test_consent_keeps_the_tenants_yes_as_evidence_and_withdrawal_ends_it(runtime: Runtime) -> None:
    tenant_id = await add_tenant(runtime.db)
    await _say(runtime, "hej", "SM1")
    await _say(runtime, "3", "SM2")  # talk to an adviser
    await _say(runtime, "ja", "SM3")
    async with runtime.db.read() as conn:
        consent = (await conn.execute(select(consents))).one()
        said = (await conn.execute(select(messages).where(messages.c.id == consent.evidence_message_id))).one()
    assert (said.tenant_id, said.direction, said.text, said.provider_id) == (tenant_id, "in", "ja", "SM3")
    assert consent.withdrawn_at is None
    [reply] = await _say(runtime, "tilbagekald", "SM4")
    assert "trukket dit ja tilbage" in reply
    assert await _one(runtime, select(consents.c.withdrawn_at.is_not(None))) is True


async def test_thanks_at_the_open_question_is_answered_kindly_and_the_question_waits(runtime: Runtime) -> None:
    tenant_id = await add_tenant(runtime.db)
    [question] = await _say(runtime, "hej", "SM1")
    assert "Svar:\n1 Betalt" in question
    [reply] = await _say(runtime, "Mange tak", "SM2")
    assert reply == "Selv tak. Svar gerne på vores spørgsmål, når det passer dig."
    async with runtime.db.read() as conn:
        row = (await conn.execute(select(conversations).where(conversations.c.tenant_id == tenant_id))).one()
    assert (row.active, row.state["step"], row.state["retries"]) == (True, "question", 0)
    [paid] = await _say(runtime, "1", "SM3")  # the question still takes its answer
    assert "Tak for besked" in paid


@pytest.mark.parametrize(
    ("position", "asked", "heard"),
    [
        # A påkrav reached them two days ago: its deadline runs.
        (
            {"demand_received_on": -2},
            "Husk fristen i brevet. Hjælp?",
            "hele beløbet i brevet skal være betalt inden fristen.",
        ),
        # A court date is known: call (on the day the adviser answers, which depends on the wall clock), whatever
        # they say.
        ({"court_date": 10}, "Måske kan vi stadig finde en løsning.", "Ring alligevel til os"),
        ({}, "Brug for hjælp", "Så venter vi lidt med at skrive om huslejen."),
    ],
    ids=["demand", "court", "overdue"],
)
async def test_a_tenant_who_writes_first_is_answered_at_the_stage_their_rent_is_at(
    runtime: Runtime, position: dict[str, int], asked: str, heard: str
) -> None:
    today = runtime.clock().date()
    dates = {name: today + timedelta(days=days) for name, days in position.items()}
    await add_tenant(runtime.db, balance_ore=750_000, today=today, **dates)
    [question] = await _say(runtime, "hej", "SM1")
    assert asked in question
    [paid] = await _say(runtime, "jeg har betalt", "SM2")
    # Never "we will wait a while" while a deadline in a letter or a court date stands.
    assert heard in paid
    assert ("venter vi lidt" in paid) is (not position)


async def test_a_termination_behind_an_eviction_called_off_is_not_the_court_stage_for_a_tenant_who_writes(
    runtime: Runtime,
) -> None:
    today = runtime.clock().date()
    tenant_id = await add_tenant(runtime.db, balance_ore=0, today=today, termination_on=today - timedelta(days=20))
    now = runtime.clock()
    async with runtime.db.write() as conn:
        await conn.execute(
            court_cases.insert().values(
                tenant_id=tenant_id,
                status="closed",
                outcome="called_off",
                outcome_on=today - timedelta(days=3),
                opened_at=now,
                updated_at=now,
                closed_at=now,
            )
        )
    [question] = await _say(runtime, "hej", "SM1")
    assert "Måske kan vi stadig finde en løsning" not in question  # the opening of the court stage
    [paid] = await _say(runtime, "jeg har betalt", "SM2")
    assert "Ring alligevel til os" not in paid


async def test_help_outside_a_question_runs_the_help_flow(runtime: Runtime) -> None:
    tenant_id = await add_tenant(runtime.db)
    [reply] = await _say(runtime, "HJÆLP", "SM1")
    assert "Boligselskabet" in reply and "STOP" in reply
    async with runtime.db.read() as conn:
        row = (await conn.execute(select(conversations).where(conversations.c.tenant_id == tenant_id))).one()
    assert (row.flow, row.active, row.ended_reason) == ("help_info", False, "help_given")


async def test_stop_ends_the_waiting_conversation_and_holds_what_was_queued(runtime: Runtime) -> None:
    tenant_id = await add_tenant(runtime.db)
    await _say(runtime, "hej", "SM1")
    async with runtime.db.write() as conn:
        await conn.execute(
            outbox.insert().values(
                message_id=(await conn.execute(select(func.min(messages.c.id)))).scalar_one(),
                tenant_id=tenant_id,
                channel="sms",
                template="common.nudge",
                values={},
                language="da",
                proactive=True,
                not_before=runtime.clock() + timedelta(hours=3),
                attempts=0,
                next_attempt_at=runtime.clock() + timedelta(hours=3),
                idempotency_key="later",
                state="pending",
                created_at=runtime.clock(),
            )
        )
    [reply] = await _say(runtime, "stop", "SM2")
    assert "afmeldt" in reply
    async with runtime.db.read() as conn:
        active = (await conn.execute(select(func.count()).where(conversations.c.active.is_(True)))).scalar_one()
        later = (await conn.execute(select(outbox.c.state).where(outbox.c.idempotency_key == "later"))).scalar_one()
        status = (await conn.execute(select(tenants.c.status).where(tenants.c.id == tenant_id))).scalar_one()
    assert (active, later, status) == (0, "held", "stopped")


async def test_a_tenant_who_opted_out_and_writes_by_sms_hears_how_to_come_back_once_a_day(runtime: Runtime) -> None:
    """AFMELD is keephome's word, not the carrier's: Twilio does not block the number, so a tenant who later asks
    for help by SMS hears how START works and whom to call (once a day), not silence."""
    await add_tenant(runtime.db)
    assert "afmeldt" in (await _say(runtime, "AFMELD", "SM1"))[0]
    [word] = await _say(runtime, "jeg kan ikke betale huslejen, kan I hjælpe mig?", "SM2")
    assert "START" in word and "ringe" in word
    assert await _say(runtime, "hallo?", "SM3") == []
    runtime.clock.offset += timedelta(days=1)
    assert len(await _say(runtime, "ring til mig", "SM4")) == 1


async def test_a_tenant_who_opted_out_with_afmeld_in_a_phrase_hears_how_to_come_back(database_url: str) -> None:
    """ "afmeld mig tak" opts out as AFMELD does, and is keephome's word as much: the carrier blocks nothing, so a
    later message hears how START works and whom to call, as after a bare AFMELD. "STOP" alone is the carrier's."""
    async with started_runtime(make_settings(database_url)) as runtime:
        await _afmeld_in_a_phrase(runtime)


async def _afmeld_in_a_phrase(runtime: Runtime) -> None:
    await add_tenant(runtime.db)
    assert "afmeldt" in (await _say(runtime, "afmeld mig tak", "SM1"))[0]
    [word] = await _say(runtime, "jeg kan ikke betale huslejen", "SM2")
    assert "START" in word and "ringe" in word
    other = "+4520123457"
    await add_tenant(runtime.db, ref="T-2", phone=other)
    assert "afmeldt" in (await _say(runtime, "STOP", "SM3", sender=other))[0]
    assert await _say(runtime, "jeg kan ikke betale huslejen", "SM4", sender=other) == []


async def test_a_no_to_advisers_reading_along_ends_a_yes_given_before(runtime: Runtime) -> None:
    """A tenant who said yes on an earlier case, asked again, says no: "that is completely fine" is true only when
    the earlier yes ends with it (it would let advisers see every answer after)."""
    from bot.host.cases import close_case
    from tests.support.console import add_person

    adviser = await add_person(runtime, "adviser@example.org", "adviser")
    await add_tenant(runtime.db)
    for n, said in enumerate(["hej", "3", "ja"]):
        await _say(runtime, said, f"SM{n}")
    async with runtime.db.write() as conn:
        case_id = (await conn.execute(select(cases.c.id))).scalar_one()
        await close_case(conn, case_id, adviser, "paid", None, runtime.clock())
        standing = select(func.count()).where(consents.c.scope == "adviser", consents.c.withdrawn_at.is_(None))
        assert (await conn.execute(standing)).scalar_one() == 1
    runtime.clock.offset += timedelta(days=1)
    await _say(runtime, "3", "SM10")
    [declined] = await _say(runtime, "nej", "SM11")
    assert "i orden" in declined
    async with runtime.db.read() as conn:
        assert (await conn.execute(standing)).scalar_one() == 0


async def test_two_messages_of_one_tenant_in_one_batch_are_a_conversation(runtime: Runtime) -> None:
    await add_tenant(runtime.db)
    # Both are committed before the processor runs, so one transaction handles them in order.
    await runtime.inbox.submit(InboundMessage("sms", "SM1", PHONE, "hej"))
    await runtime.inbox.submit(InboundMessage("sms", "SM2", PHONE, "1"))
    assert await process_all(runtime.processor) == 2
    await drain(runtime.sender)
    texts = [m.text for m in sandbox(runtime)["sms"].to(PHONE)]
    assert len(texts) == 2
    assert "Svar:\n1 Betalt" in texts[0] and "Tak for besked" in texts[1]


async def test_a_stranger_hears_from_us_once_a_day(runtime: Runtime) -> None:
    stranger = "+4520999999"
    assert len(await _say(runtime, "hej", "SM1", sender=stranger)) == 1
    assert await _say(runtime, "hallo?", "SM2", sender=stranger) == []
    runtime.clock.offset += timedelta(days=1)
    assert len(await _say(runtime, "er der nogen", "SM3", sender=stranger)) == 1


@pytest.fixture
async def with_links(sqlite_url: str) -> AsyncIterator[Runtime]:
    settings = make_settings(sqlite_url, sms_links=True, telegram_bot="keephome_bot")
    async with started_runtime(settings) as rt:
        yield rt


async def test_the_telegram_code_sms_carries_a_deep_link_when_links_are_allowed(with_links: Runtime) -> None:
    tenant_id = await add_tenant(with_links.db)
    replies = await _say(with_links, "TELEGRAM", "SM1")
    code_sms = replies[-1]
    assert "https://t.me/keephome_bot?start=" in code_sms
    token = code_sms.split("?start=", 1)[1].split()[0]
    # Opening the link sends /start with the token (the Telegram update carries it as the start payload).
    await with_links.inbox.submit(InboundMessage("telegram", "777:1", "777", None, {"start": token}))
    await process_all(with_links.processor)
    assert await _one(with_links, select(tenants.c.telegram_chat_id).where(tenants.c.id == tenant_id)) == 777


async def test_without_sms_links_the_code_sms_has_no_link(runtime: Runtime) -> None:
    await add_tenant(runtime.db)
    replies = await _say(runtime, "TELEGRAM", "SM1")
    assert "t.me" not in " ".join(replies)
    assert any(ch.isdigit() for ch in replies[-1])
    assert await _one(runtime, select(func.count()).select_from(link_codes).where(link_codes.c.kind == "token")) == 0


def test_sms_links_need_the_bots_name() -> None:
    from bot.settings import ConfigError

    with pytest.raises(ConfigError, match="KEEPHOME_TELEGRAM_BOT"):
        make_settings("sqlite+aiosqlite:///x.db", sms_links=True)


async def test_a_number_two_tenants_share_is_set_aside_not_given_to_either(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    """uq_tenants_phone_live forbids it; should two rows match anyway, the lookup fails loudly."""
    async with runtime.db.write() as conn:
        await conn.execute(text("DROP INDEX uq_tenants_phone_live"))
    await add_tenant(runtime.db, "T-1")
    await add_tenant(runtime.db, "T-2")
    assert await _say(runtime, "hej", "SM1") == []
    assert await _one(runtime, select(func.count()).select_from(messages)) == 0
    assert await _one(runtime, select(func.count()).select_from(conversations)) == 0
    assert "tenants 1 and 2 share one sms address" in caplog.text and PHONE not in caplog.text
    assert 'result="error"' in runtime.metrics.render().decode()


@pytest.mark.parametrize("data", ["99999999999999999999999.0", "1.99999", "-1.0", "1.0.0", "abc", "", "١.٠"])
async def test_a_forged_button_is_not_understood_and_harms_nothing(runtime: Runtime, data: str) -> None:
    await add_tenant(runtime.db, chat_id=5001)
    await runtime.inbox.submit(InboundMessage("telegram", f"cb:{data}", "5001", None, {"callback": data}))
    assert await process_all(runtime.processor) == 1
    async with runtime.db.read() as conn:
        recorded = (await conn.execute(select(func.count()).select_from(messages))).scalar_one()
    assert recorded == 1  # kept as the tenant's message; no answer to a button nobody was shown


async def test_a_button_of_another_tenants_message_answers_nothing(runtime: Runtime) -> None:
    """Callback data is the client's to forge: a press naming a message another tenant was sent is no answer of the
    presser's (it started a conversation of their own under the other tenant's question, and paused their
    reminders), and it leaves the other tenant's conversation as it was."""
    first = await add_tenant(runtime.db, "T-1", chat_id=5001)
    second = await add_tenant(runtime.db, "T-2", phone="+4520123457", chat_id=5002)
    await _say(runtime, "hej", "TG1", sender="5001", channel="telegram")
    opening = sandbox(runtime)["telegram"].to("5001")[-1]
    assert opening.buttons
    async with runtime.db.read() as conn:
        states = (await conn.execute(select(conversations.c.state).where(conversations.c.tenant_id == first))).all()
    for index in range(len(opening.buttons)):
        assert await _press(runtime, button_data(opening.outbox_id, index), f"TG-x{index}", chat="5002") == []
    async with runtime.db.read() as conn:
        theirs = await conn.execute(select(func.count()).where(conversations.c.tenant_id == second))
        assert theirs.scalar_one() == 0
        after = (await conn.execute(select(conversations.c.state).where(conversations.c.tenant_id == first))).all()
        assert after == states
        query = select(rent_positions.c.paid_claim_until, rent_positions.c.promise_on)
        assert (await conn.execute(query.where(rent_positions.c.tenant_id == second))).one() == (None, None)


async def _press(rt: Runtime, data: str, *sids: str, chat: str = "5001") -> list[tuple[str, tuple[str, ...]]]:
    """Press a Telegram button (once for each id, all arriving before any is handled: a double tap); the texts (and
    their buttons' labels) that reached the chat."""
    before = len(sandbox(rt)["telegram"].to(chat))
    for sid in sids:
        await rt.inbox.submit(InboundMessage("telegram", sid, chat, None, {"callback": data}))
    await process_all(rt.processor)
    await drain(rt.sender)
    return [(m.text, tuple(label for label, _ in m.buttons)) for m in sandbox(rt)["telegram"].to(chat)[before:]]


def _button(sent: SentMessage, label: str) -> str:
    """The callback data Telegram sends back for the button shown as `label` under `sent`."""
    index = [shown for shown, _key in sent.buttons].index(label)
    return button_data(sent.outbox_id, index)


async def test_a_button_of_an_earlier_message_answers_nothing_asked_now(database_url: str) -> None:
    async with started_runtime(make_settings(database_url)) as runtime:
        await _earlier_buttons(runtime)


async def _earlier_buttons(runtime: Runtime) -> None:
    """A "Ja" under yesterday's consent question is no consent to today's, and an old question's button is no
    wrong answer: the tenant hears it belongs to an earlier message and gets the open question again, no try used."""
    tenant_id = await add_tenant(runtime.db, chat_id=5001)
    chat = sandbox(runtime)["telegram"]
    await _say(runtime, "hej", "TG1", sender="5001", channel="telegram")
    opening = chat.to("5001")[-1]
    await _press(runtime, _button(opening, "Tal med en rådgiver"), "TG2")
    old_consent = chat.to("5001")[-1]
    assert [label for label, _ in old_consent.buttons] == ["Ja", "Nej"]
    await _press(runtime, _button(old_consent, "Nej"), "TG3")  # declined: that conversation ends
    await _say(runtime, "hej igen", "TG4", sender="5001", channel="telegram")
    await _press(runtime, _button(chat.to("5001")[-1], "Tal med en rådgiver"), "TG5")
    asked_now = chat.to("5001")[-1]
    assert [label for label, _ in asked_now.buttons] == ["Ja", "Nej"]

    said = await _press(runtime, _button(old_consent, "Ja"), "TG6")  # yesterday's "Ja"
    assert said[0] == ("Den knap hører til en tidligere besked. Her er vores spørgsmål nu:", ())
    assert said[1][1] == ("Ja", "Nej") and len(said) == 2  # the consent question again
    assert await _one(runtime, select(func.count()).select_from(consents)) == 0
    assert await _one(runtime, select(func.count()).select_from(cases)) == 0
    for n in range(3):  # an old question's button, again and again: never "not understood", never the end
        said = await _press(runtime, _button(opening, "Jeg har betalt"), f"TG7{n}")
        assert said[0][0].startswith("Den knap hører til en tidligere besked") and len(said) == 2
    async with runtime.db.read() as conn:
        row = (await conn.execute(select(conversations).where(conversations.c.active.is_(True)))).one()
    assert (row.state["step"], row.state["retries"]) == ("consent", 0)

    await _press(runtime, _button(chat.to("5001")[-1], "Ja"), "TG8")  # the "Ja" under the question asked now
    assert await _one(runtime, select(func.count()).select_from(consents).where(consents.c.tenant_id == tenant_id)) == 1


async def _case(rt: Runtime, tenant_id: int) -> object:
    async with rt.db.read() as conn:
        return (await conn.execute(select(cases).where(cases.c.tenant_id == tenant_id))).one()


async def test_a_tenant_waiting_for_an_adviser_hears_their_message_arrived_not_the_question_again(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with started_runtime(make_settings(database_url)) as runtime:
        await _waiting_tenant_writes_on(runtime, caplog)


async def _waiting_tenant_writes_on(runtime: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    tenant_id = await add_tenant(runtime.db)
    for i, said in enumerate(("hej", "3", "ja")):  # an adviser, please; yes, they may see my answers
        await _say(runtime, said, f"SM{i}")
    opened = await _case(runtime, tenant_id)
    runtime.clock.offset += timedelta(hours=1)
    [reply] = await _say(runtime, "Hvornår ringer I?", "SM10")
    assert "Tak for din besked. En økonomisk rådgiver" in reply
    assert "hjælp med huslejen?" not in reply and "JA eller NEJ" not in reply
    with caplog.at_level(logging.WARNING):
        assert await _say(runtime, "Hej igen", "SM11") == []  # heard once a day: no second receipt today
    assert not caplog.records  # quiet by design, not a row the database refused and the batch redone
    async with runtime.db.read() as conn:
        kept = (await conn.execute(select(messages.c.text).where(messages.c.case_id == opened.id))).scalars().all()
    assert kept.count("Hvornår ringer I?") == 1 and kept.count("Hej igen") == 1  # the adviser reads both
    later = await _case(runtime, tenant_id)
    assert (later.status, later.updated_at > opened.updated_at) == ("waiting", True)
    assert "Boligselskabet" in (await _say(runtime, "HJÆLP", "SM12"))[0]  # the keywords still work
    runtime.clock.offset += timedelta(days=1)
    [again] = await _say(runtime, "er der nogen?", "SM13")
    assert "Tak for din besked. En økonomisk rådgiver" in again


async def test_a_waiting_tenant_told_on_one_channel_hears_it_arrived_where_they_write_next(runtime: Runtime) -> None:
    """The day's receipt is once a day on each channel: a tenant told by SMS who then writes on Telegram met silence
    there."""
    await add_tenant(runtime.db, chat_id=5001)
    for i, said in enumerate(("hej", "3", "ja")):  # by SMS: an adviser, please; yes, they may see my answers
        await _say(runtime, said, f"SM{i}")
    [by_sms] = await _say(runtime, "Hvornår ringer I?", "SM10")
    assert "Tak for din besked. En økonomisk rådgiver" in by_sms
    [on_telegram] = await _say(runtime, "hello?", "TG1", sender="5001", channel="telegram")
    assert "Tak for din besked. En økonomisk rådgiver" in on_telegram
    assert await _say(runtime, "hallo?", "TG2", sender="5001", channel="telegram") == []  # once a day there too
    assert await _say(runtime, "Hej igen", "SM11") == []


async def test_signs_with_nothing_open_get_one_short_line_a_day_and_never_the_opening_question(
    runtime: Runtime,
) -> None:
    """ "🤔" with nothing open began the opening question (several parts), its tries ended it, and the next sign began
    it again: a loop every three messages. Now it is heard in one line, once a day, and starts no conversation."""
    tenant_id = await add_tenant(runtime.db)
    [line] = await _say(runtime, "🤔", "SM1")
    assert line.startswith("Tak for din besked.") and "ring til os på" in line and "Svar:" not in line
    for i in range(2, 5):
        assert await _say(runtime, "🤔", f"SM{i}") == []  # no flood, no loop
    assert await _one(runtime, select(func.count()).where(conversations.c.tenant_id == tenant_id)) == 0
    runtime.clock.offset += timedelta(days=1)
    assert await _say(runtime, "🤔", "SM5") == [line]


async def test_a_sad_face_while_the_case_waits_hears_an_adviser_reads_it_not_a_word_that_does_nothing(
    runtime: Runtime,
) -> None:
    """RÅDGIVER from a tenant whose yes already put the case in the queue only gets the day's receipt (sent once): the
    sad face's answer says an adviser reads it and gives the number, instead of offering that word."""
    tenant_id = await add_tenant(runtime.db)
    for i, said in enumerate(("hej", "3", "ja", "Hvornår ringer I?")):  # the last one gets the day's receipt
        await _say(runtime, said, f"SM{i}")
    [upset] = await _say(runtime, "😢", "SM10")
    assert "RÅDGIVER" not in upset
    assert "læser din besked" in upset and "ring til os på" in upset
    async with runtime.db.read() as conn:
        kept = (await conn.execute(select(messages.c.case_id).where(messages.c.text == "😢"))).scalar_one()
    assert kept == (await _case(runtime, tenant_id)).id  # the adviser reads it on the case


async def test_i_do_not_understand_while_an_adviser_is_waited_for_or_holds_the_case_is_kept_on_it(
    runtime: Runtime,
) -> None:
    """ "Forstår ikke" answered with only the language hint, while the case waits with the tenant's yes, is kept on the
    case for the adviser as the sad face is; while a person holds the case the bot gives no hint (it is theirs to
    answer), and the message reaches the case as any message to it does."""
    tenant_id = await add_tenant(runtime.db)
    for i, said in enumerate(("hej", "3", "ja", "Hvornår ringer I?")):
        await _say(runtime, said, f"SM{i}")
    case = await _case(runtime, tenant_id)
    [hint] = await _say(runtime, "forstår ikke", "SM10")
    assert hint.startswith("Er beskeden svær at læse?") and hint.count("ENGLISH") == 1
    assert "læser din besked" in (await _say(runtime, "😢", "SM11"))[0]
    async with runtime.db.read() as conn:
        kept = dict(
            (await conn.execute(select(messages.c.text, messages.c.case_id).where(messages.c.direction == "in"))).all()
        )
    assert kept["forstår ikke"] == kept["😢"] == case.id  # the adviser reads both on the case
    async with runtime.db.write() as conn:  # an adviser takes the case
        await conn.execute(update(cases).where(cases.c.id == case.id).values(status="taken"))
    runtime.clock.offset += timedelta(minutes=5)
    assert await _say(runtime, "I don't understand", "SM12") == []  # the adviser answers, not the bot
    async with runtime.db.read() as conn:
        held = (
            await conn.execute(select(messages.c.case_id).where(messages.c.text == "I don't understand"))
        ).scalar_one()
    assert held == case.id
    assert (await _case(runtime, tenant_id)).updated_at > case.updated_at  # the console shows they wrote


async def test_a_sad_face_inside_a_question_while_the_case_waits_hears_an_adviser_will_contact_them(
    runtime: Runtime,
) -> None:
    """A question open while the case waits with the tenant's yes (a reminder came, say): the sad face's answer says an
    adviser will contact them and that the question waits, not RÅDGIVER, which would ask for what they have."""
    tenant_id = await add_tenant(runtime.db)
    [question] = await _say(runtime, "hej", "SM1")
    assert "Svar:" in question
    await add_case(runtime, tenant_id, origin="outreach", reason="urgent outreach")  # their yes, a case in the queue
    [upset] = await _say(runtime, "😢", "SM2")
    assert "RÅDGIVER" not in upset
    assert "læser din besked" in upset and "ring til os på" in upset and "Vores spørgsmål venter" in upset


async def test_a_waiting_case_the_tenant_never_said_yes_to_leaves_the_conversation_as_it_was(
    runtime: Runtime,
) -> None:
    tenant_id = await add_tenant(runtime.db)
    now = runtime.clock()
    async with runtime.db.write() as conn:  # opened by staff (outreach): nobody asked the tenant yet
        await conn.execute(
            cases.insert().values(
                tenant_id=tenant_id, status="waiting", origin="outreach", reason="r", opened_at=now, updated_at=now
            )
        )
    [reply] = await _say(runtime, "hej", "SM1")
    assert "Svar:\n1 Betalt" in reply


async def test_waiting_tenants_writing_in_one_batch_each_hear_once_a_day(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The receipts' keys of a batch are looked up together: a tenant told earlier today hears nothing, another
    tenant writing twice in the batch hears it once, and every message reaches its case."""
    other = "+4520654321"
    async with started_runtime(make_settings(database_url)) as runtime:
        told = await add_tenant(runtime.db)
        untold = await add_tenant(runtime.db, "T-2", name="Bo Jensen", phone=other)
        for sender, tag in ((PHONE, "A"), (other, "B")):
            for i, said in enumerate(("hej", "3", "ja")):  # an adviser, please; yes, they may see my answers
                await _say(runtime, said, f"SM{tag}{i}", sender=sender)
        assert len(await _say(runtime, "Hvornår ringer I?", "SMA10")) == 1  # told today
        with caplog.at_level(logging.WARNING):
            await runtime.inbox.commit(
                [
                    InboundMessage(channel="sms", provider_id="SMA11", sender=PHONE, text="Er der nyt?"),
                    InboundMessage(channel="sms", provider_id="SMB10", sender=other, text="Hej igen"),
                    InboundMessage(channel="sms", provider_id="SMB11", sender=other, text="Er I der?"),
                ]
            )
            await process_all(runtime.processor)
            await drain(runtime.sender)
        assert not caplog.records  # no refused row, no batch redone
        async with runtime.db.read() as conn:
            receipts = (
                await conn.execute(
                    select(outbox.c.tenant_id, func.count())
                    .where(outbox.c.template == "case.waiting")
                    .group_by(outbox.c.tenant_id)
                )
            ).all()
            kept = (
                (
                    await conn.execute(
                        select(messages.c.text).where(messages.c.case_id.is_not(None), messages.c.direction == "in")
                    )
                )
                .scalars()
                .all()
            )
    assert sorted(tuple(row) for row in receipts) == [(told, 1), (untold, 1)]
    assert [kept.count(text) for text in ("Er der nyt?", "Hej igen", "Er I der?")] == [1, 1, 1]


async def test_a_tenants_answer_to_the_adviser_puts_the_case_back_in_the_advisers_hands(database_url: str) -> None:
    """The adviser wrote and waits for the tenant (`waiting_tenant`): the tenant's answer is kept on the case, the
    case is the adviser's to act on again (`taken`, its time moved), and the bot says nothing."""
    async with started_runtime(make_settings(database_url)) as runtime:
        tenant_id = await add_tenant(runtime.db)
        case_id = await add_case(runtime, tenant_id)
        now = runtime.clock()
        async with runtime.db.write() as conn:  # taken, and the adviser's message sent
            await conn.execute(update(cases).where(cases.c.id == case_id).values(status="waiting_tenant"))
        runtime.clock.offset += timedelta(minutes=5)
        assert await _say(runtime, "Ja, det passer mig", "SM1") == []
        later = await _case(runtime, tenant_id)
        async with runtime.db.read() as conn:
            kept = (await conn.execute(select(messages.c.text).where(messages.c.case_id == case_id))).scalars().all()
    assert (later.status, later.updated_at > now) == ("taken", True)
    assert kept == ["Ja, det passer mig"]


async def test_a_sad_face_or_a_sign_while_a_person_holds_the_case_goes_to_them_with_no_bot_line(
    runtime: Runtime,
) -> None:
    tenant_id = await add_tenant(runtime.db)
    case_id = await add_case(runtime, tenant_id)
    async with runtime.db.write() as conn:
        await conn.execute(update(cases).where(cases.c.id == case_id).values(status="taken"))
    assert await _say(runtime, "😢", "SM1") == []
    assert await _say(runtime, "🤔", "SM2") == []
    async with runtime.db.read() as conn:
        kept = (await conn.execute(select(messages.c.text).where(messages.c.case_id == case_id))).scalars().all()
    assert kept == ["😢", "🤔"]  # the adviser reads both


async def test_a_nudge_at_the_consent_question_sends_the_question_whole_the_same_morning(runtime: Runtime) -> None:
    def at(local: datetime) -> datetime:
        runtime.clock.offset = local - utcnow()
        return runtime.clock()

    at(datetime(2026, 3, 3, 10, 0, tzinfo=ZoneInfo("Europe/Copenhagen")))
    await add_tenant(runtime.db)
    await _say(runtime, "hej", "SM1")
    [asked] = await _say(runtime, "3", "SM2")  # an adviser, please: the consent question
    later = at(datetime(2026, 3, 4, 10, 30, tzinfo=ZoneInfo("Europe/Copenhagen")))
    assert await expire_waiting(runtime.db, later, runtime.settings) == 1
    await drain(runtime.sender)
    nudge, again = [m.text for m in sandbox(runtime)["sms"].to(PHONE)][-2:]
    assert nudge.startswith("Hej igen") and again == asked  # both go: the nudge and the whole wording


async def test_a_tenant_who_unblocked_the_bot_is_answered_on_telegram_again(database_url: str) -> None:
    async with started_runtime(make_settings(database_url)) as runtime:
        tenant_id = await add_tenant(runtime.db, chat_id=5001)
        async with runtime.db.write() as conn:  # Telegram refused a message earlier: the tenant had blocked the bot
            await conn.execute(update(tenants).where(tenants.c.id == tenant_id).values(telegram_blocked=True))
        replies = await _say(runtime, "hej", "TG1", sender="5001", channel="telegram")
        assert len(replies) == 1 and "Hej Amira" in replies[0]  # on Telegram, not by SMS
        assert sandbox(runtime)["sms"].to(PHONE) == []
        assert await _one(runtime, select(tenants.c.telegram_blocked)) is False


async def test_telegrams_start_button_from_a_linked_chat_is_answered(database_url: str) -> None:
    async with started_runtime(make_settings(database_url)) as runtime:
        await add_tenant(runtime.db, chat_id=5001)
        chat = sandbox(runtime)["telegram"]
        await _say(runtime, "hej", "TG1", sender="5001", channel="telegram")
        start = {"start": ""}
        # Active, a question open: they are told they are connected, and the question comes again.
        await runtime.inbox.submit(InboundMessage("telegram", "TG2", "5001", None, start))
        await process_all(runtime.processor)
        await drain(runtime.sender)
        connected, question = [m.text for m in chat.to("5001")][-2:]
        assert connected.startswith("Du er nu forbundet") and question.startswith("Hej Amira")
        # Opted out, the answer says to write START: Telegram's Start button does as START does.
        [stopped] = await _say(runtime, "STOP", "TG3", sender="5001", channel="telegram")
        assert "START" in stopped
        await runtime.inbox.submit(InboundMessage("telegram", "TG4", "5001", None, start))
        await process_all(runtime.processor)
        await drain(runtime.sender)
        assert await _one(runtime, select(tenants.c.status)) == "active"
        assert "tilmeldt" in chat.to("5001")[-1].text


async def test_withdrawing_while_an_adviser_holds_the_case_says_the_adviser_still_reads_along(runtime: Runtime) -> None:
    tenant_id = await add_tenant(runtime.db)
    await _say(runtime, "hej", "SM1")
    await _say(runtime, "3", "SM2")
    await _say(runtime, "ja", "SM3")  # a consent to an adviser
    async with runtime.db.write() as conn:  # an adviser takes the case
        await conn.execute(update(cases).where(cases.c.tenant_id == tenant_id).values(status="taken"))
    [held] = await _say(runtime, "TILBAGEKALD", "SM6")
    assert "det, du skriver her nu, læser rådgiveren stadig" in held
    assert "ser ikke flere" not in held and "ringe til dig" not in held


async def test_withdrawing_the_yes_that_opened_a_waiting_case_closes_it(runtime: Runtime) -> None:
    tenant_id = await add_tenant(runtime.db)
    await _say(runtime, "hej", "SM1")
    await _say(runtime, "3", "SM2")
    await _say(runtime, "ja", "SM3")  # a consent to an adviser: the case waits in the queue
    [told] = await _say(runtime, "TILBAGEKALD", "SM4")
    # The case existed only because of the yes: no adviser is to call a tenant who took it back.
    [case] = await _rows(runtime, select(cases.c.status, cases.c.outcome).where(cases.c.tenant_id == tenant_id))
    assert (case.status, case.outcome) == ("closed", None)
    kinds = await _rows(runtime, select(case_events.c.kind).order_by(case_events.c.id))
    assert [row.kind for row in kinds] == ["opened", "withdrawn"]
    assert "ringe til dig" not in told and "skriv RÅDGIVER" in told
    # Help after all: the word asks for the consent again, and the yes opens a case again.
    [asked] = await _say(runtime, "RÅDGIVER", "SM5")
    assert asked.startswith("En rådgiver fra")
    await _say(runtime, "ja", "SM6")
    again = await _rows(runtime, select(cases.c.status, cases.c.consented).where(cases.c.tenant_id == tenant_id))
    assert sorted((row.status, row.consented) for row in again) == [("closed", False), ("waiting", True)]
    # The withdrawal's own data (whether a person held the case) is no answer of the tenant's on the case page.
    async with runtime.db.read() as conn:
        shown = [answered.flow for answered in await answers(conn, tenant_id)]
    assert shown.count("payment_check") == 2 and "withdraw_consent" not in shown


async def test_withdrawing_while_an_urgent_case_waits_says_a_call_may_still_come(runtime: Runtime) -> None:
    tenant_id = await add_tenant(runtime.db)
    case_id = await add_case(runtime, tenant_id, origin="outreach", reason="urgent outreach")
    [told] = await _say(runtime, "TILBAGEKALD", "SM1")
    # An urgent outreach stays open in the queue without the consent (DESIGN.md): the adviser may still call.
    [case] = await _rows(
        runtime, select(cases.c.id, cases.c.status, cases.c.consented).where(cases.c.tenant_id == tenant_id)
    )
    assert (case.id, case.status, case.consented) == (case_id, "waiting", False)
    assert "kan stadig ringe til dig om din sag" in told
    kinds = await _rows(runtime, select(case_events.c.kind).where(case_events.c.case_id == case_id))
    assert [row.kind for row in kinds].count("consent_withdrawn") == 1  # the adviser sees when it happened


async def test_a_double_tap_is_answered_once(database_url: str) -> None:
    async with started_runtime(make_settings(database_url)) as runtime:
        await add_tenant(runtime.db, chat_id=5001)
        await _say(runtime, "hej", "TG1", sender="5001", channel="telegram")
        opening = sandbox(runtime)["telegram"].to("5001")[-1]
        first = await _press(runtime, _button(opening, "Jeg betaler snart"), "TG2")
        assert [text for text, _ in first] == ["Hvornår kan du betale? Skriv fx fredag, i morgen eller den 15."]
        assert await _press(runtime, _button(opening, "Jeg betaler snart"), "TG3") == []  # the same answer again


async def test_a_digit_sent_again_with_nothing_open_is_answered_once(database_url: str) -> None:
    """A basic phone resends "1", or the tenant sends it twice at once: one "Tak for besked", not one for each; another
    answer after it is answered."""
    async with started_runtime(make_settings(database_url)) as runtime:
        await add_tenant(runtime.db)
        await _say(runtime, "hej", "SM1")
        [thanks] = await _say(runtime, "1", "SM2")
        assert thanks.startswith("Tak for besked")
        assert await _say(runtime, "1", "SM3") == []
        assert await _say(runtime, "1", "SM4") == []
        [asked] = await _say(runtime, "3", "SM5")  # something else: answered
        assert "JA" in asked
        await _say(runtime, "nej", "SM6")
        await _say(runtime, "hej", "SM7")
        for sid in ("SM8", "SM9"):  # two at the same moment, handled in one batch
            await runtime.inbox.submit(InboundMessage(channel="sms", provider_id=sid, sender=PHONE, text="1"))
        await process_all(runtime.processor)
        await drain(runtime.sender)
        said = [m.text for m in sandbox(runtime)["sms"].to(PHONE)]
        assert sum(text.startswith("Tak for besked") for text in said) == 2  # once for each "1" that answered
        # The same words again long after (the tenant may think the answer never came): answered again.
        runtime.clock.offset += RESENT_WITHIN + timedelta(minutes=1)
        [again] = await _say(runtime, "1", "SM10")
        assert again.startswith("Tak for besked")


async def test_a_digit_after_a_promise_or_an_own_question_claims_no_payment(database_url: str) -> None:
    """ "1" after a promise for the 20th, or after "hvor meget skylder jeg?" was answered, recorded the rent as paid
    and put the promise aside: no numbered menu was the message it answered. The question is asked instead."""
    async with started_runtime(make_settings(database_url)) as runtime:
        await add_tenant(runtime.db)
        await _say(runtime, "hvor meget skylder jeg?", "SM1")
        [after_question] = await _say(runtime, "1", "SM2")  # the question asked: it waits, open
        await _say(runtime, "2", "SM3")
        [promised] = await _say(runtime, "den 20.", "SM4")
        [after_promise] = await _say(runtime, "1", "SM5")
        for said in (after_question, after_promise):
            assert "1 Betalt" in said and not said.startswith("Tak for besked")
        assert "20" in promised


async def test_the_same_words_again_are_answered_where_the_answer_did_not_reach_the_tenant(database_url: str) -> None:
    """Silence only where the answer is already there: "1" again after the thanks failed to reach the phone, or on
    Telegram after the SMS, is answered."""
    async with started_runtime(make_settings(database_url)) as runtime:
        await add_tenant(runtime.db, chat_id=5001)
        await _say(runtime, "hej", "SM1")
        [thanks] = await _say(runtime, "1", "SM2")
        async with runtime.db.write() as conn:  # the carrier said the thanks never arrived
            await conn.execute(update(messages).where(messages.c.text == thanks).values(status="undelivered"))
        [again] = await _say(runtime, "1", "SM3")
        assert again == thanks
        assert await _say(runtime, "1", "SM4") == []  # that one went: a resend of it gets nothing
        # On Telegram the menu's answers are buttons, its text numbers none: "1" there claims nothing, the question
        # is asked.
        on_telegram = await _say(runtime, "1", "TG1", sender="5001", channel="telegram")
        assert len(on_telegram) == 1 and "Vælg et svar herunder" in on_telegram[0]


async def test_a_no_pressed_under_the_consent_already_said_yes_to_is_told_the_yes_stands(database_url: str) -> None:
    """A tenant who said yes and presses "Nej" under the same question changes their mind: they are not met with
    silence (nor only the day's receipt) but told their yes stands and the word that takes it back; the old button
    itself withdraws nothing."""
    async with started_runtime(make_settings(database_url)) as runtime:
        tenant_id = await add_tenant(runtime.db, chat_id=5001)
        chat = sandbox(runtime)["telegram"]
        await _say(runtime, "hej", "TG1", sender="5001", channel="telegram")
        await _press(runtime, _button(chat.to("5001")[-1], "Tal med en rådgiver"), "TG2")
        asked = chat.to("5001")[-1]
        [(yes, _)] = await _press(runtime, _button(asked, "Ja"), "TG3")
        assert yes.startswith("Tak for dit ja")
        assert await _press(runtime, _button(asked, "Ja"), "TG4") == []  # the same yes again: no receipt
        for n in range(2):  # pressed again later: answered again, never silence
            said = await _press(runtime, _button(asked, "Nej"), f"TG5{n}")
            assert said == [
                (
                    "Den knap hører til en tidligere besked. Dit ja gælder stadig: rådgivere og nogle få andre"
                    " ansatte hos Boligselskabet må se dine svar. Vil du trække dit ja tilbage, så skriv TILBAGEKALD.",
                    (),
                )
            ]
        standing = select(func.count()).select_from(consents).where(consents.c.withdrawn_at.is_(None))
        assert await _one(runtime, standing) == 1
        assert (await _case(runtime, tenant_id)).status == "waiting"
        [withdrawn] = await _say(runtime, "TILBAGEKALD", "TG6", sender="5001", channel="telegram")
        assert "trukket dit ja tilbage" in withdrawn
        assert await _one(runtime, standing) == 0


async def test_an_earlier_reminders_button_with_nothing_open_means_what_it_said(database_url: str) -> None:
    async with started_runtime(make_settings(database_url)) as runtime:
        await add_tenant(runtime.db, chat_id=5001)
        await _say(runtime, "hej", "TG1", sender="5001", channel="telegram")
        opening = sandbox(runtime)["telegram"].to("5001")[-1]
        await _press(runtime, _button(opening, "Jeg har betalt"), "TG2")  # the conversation ends: paid
        # Days later the tenant scrolls up and presses "Talk to an adviser" under that reminder: the consent
        # question (which still needs its own yes), not the opening question again.
        said = await _press(runtime, _button(opening, "Tal med en rådgiver"), "TG3")
        assert len(said) == 1 and said[0][1] == ("Ja", "Nej")
        assert await _one(runtime, select(func.count()).select_from(consents)) == 0
        # Pressed twice in a row: the second is the same answer again, and nothing more is said.
        assert await _press(runtime, _button(opening, "Tal med en rådgiver"), "TG3b") == []
        # A consent button under an ended question never gives one: it is said to be old, and the opening question
        # follows (its "Tal med en rådgiver" is the way to a yes).
        said = await _press(runtime, _button(sandbox(runtime)["telegram"].to("5001")[-1], "Nej"), "TG4")
        old_yes = sandbox(runtime)["telegram"].to("5001")[-2]
        said = await _press(runtime, _button(old_yes, "Ja"), "TG5")
        assert await _one(runtime, select(func.count()).select_from(consents)) == 0
        assert said[0] == ("Den knap hører til en tidligere besked. Her er vores spørgsmål nu:", ())
        assert len(said) == 2 and said[1][0].startswith("Hej Amira") and "Tal med en rådgiver" in said[1][1]


async def test_a_double_tap_on_the_consent_yes_is_answered_once(database_url: str) -> None:
    """Two presses of "Ja" within a second: the thanks for the yes, and no receipt for a message never written."""
    async with started_runtime(make_settings(database_url)) as runtime:
        await add_tenant(runtime.db, chat_id=5001)
        chat = sandbox(runtime)["telegram"]
        await _say(runtime, "hej", "TG1", sender="5001", channel="telegram")
        await _press(runtime, _button(chat.to("5001")[-1], "Tal med en rådgiver"), "TG2")
        said = await _press(runtime, _button(chat.to("5001")[-1], "Ja"), "TG3", "TG4")
        assert len(said) == 1 and said[0][0].startswith("Tak for dit ja")
        assert await _one(runtime, select(func.count()).select_from(consents)) == 1


async def test_a_double_tap_on_an_answer_that_ends_the_conversation_is_answered_once(database_url: str) -> None:
    async with started_runtime(make_settings(database_url)) as runtime:
        await add_tenant(runtime.db, chat_id=5001)
        await _say(runtime, "hej", "TG1", sender="5001", channel="telegram")
        opening = sandbox(runtime)["telegram"].to("5001")[-1]
        said = await _press(runtime, _button(opening, "Jeg har betalt"), "TG2", "TG3")
        assert len(said) == 1 and said[0][0].startswith("Tak for besked")  # not the opening question again


@pytest.mark.parametrize("answer", ["Nej", "TILBAGEKALD"])
@pytest.mark.parametrize("pressed", ["Ja", "Nej"])
async def test_an_old_consent_button_with_nothing_open_is_said_to_be_old(
    database_url: str, answer: str, pressed: str
) -> None:
    """After a "Nej", or a yes taken back, a button under the consent question answered earlier is said to belong to
    an earlier message before the opening question; only the same "Nej" pressed right after the "Nej" is silent."""
    async with started_runtime(make_settings(database_url)) as runtime:
        await add_tenant(runtime.db, chat_id=5001)
        chat = sandbox(runtime)["telegram"]
        await _say(runtime, "hej", "TG1", sender="5001", channel="telegram")
        await _press(runtime, _button(chat.to("5001")[-1], "Tal med en rådgiver"), "TG2")
        asked = chat.to("5001")[-1]
        if answer == "Nej":
            await _press(runtime, _button(asked, "Nej"), "TG3")
        else:
            await _press(runtime, _button(asked, "Ja"), "TG3")
            await _say(runtime, "TILBAGEKALD", "TG4", sender="5001", channel="telegram")
        said = await _press(runtime, _button(asked, pressed), "TG5")
        if answer == pressed:  # "Nej" pressed again right after the "Nej": the same answer again
            assert said == []
            return
        assert said[0] == ("Den knap hører til en tidligere besked. Her er vores spørgsmål nu:", ())
        assert len(said) == 2 and said[1][0].startswith("Hej Amira") and "Tal med en rådgiver" in said[1][1]
        assert (
            await _one(runtime, select(func.count()).select_from(consents).where(consents.c.withdrawn_at.is_(None)))
            == 0
        )


async def test_a_sticker_or_voice_message_is_told_it_cannot_be_read_and_the_question_waits(database_url: str) -> None:
    async with started_runtime(make_settings(database_url)) as runtime:
        tenant_id = await add_tenant(runtime.db, chat_id=5001)
        await _say(runtime, "hej", "TG1", sender="5001", channel="telegram")
        chat = sandbox(runtime)["telegram"]
        for n, kind in enumerate(("sticker", "voice", "photo"), start=2):
            await runtime.inbox.submit(InboundMessage("telegram", f"TG{n}", "5001", None, {"kind": kind}))
            await process_all(runtime.processor)
            await drain(runtime.sender)
            assert chat.to("5001")[-1].text.startswith("Vi kan ikke se billeder eller høre lydbeskeder her")
        async with runtime.db.read() as conn:
            row = (await conn.execute(select(conversations).where(conversations.c.tenant_id == tenant_id))).one()
        assert (row.active, row.state["step"], row.state["retries"]) == (True, "question", 0)  # no try used up
        # Words answer as ever (a photo's caption arrives as words: tests/bot/webhooks/test_telegram.py).
        replies = await _say(runtime, "Jeg har betalt", "TG9", sender="5001", channel="telegram")
        assert replies and "Tak" in replies[0]


async def test_an_opted_out_tenant_writing_on_telegram_hears_how_to_come_back_once_a_day(database_url: str) -> None:
    async with started_runtime(make_settings(database_url)) as runtime:
        await add_tenant(runtime.db, chat_id=5001)
        await _say(runtime, "STOP", "TG1", sender="5001", channel="telegram")
        [hint] = await _say(runtime, "jeg kan ikke betale", "TG2", sender="5001", channel="telegram")
        assert "Skriv START" in hint and "ringe" in hint
        assert await _say(runtime, "hallo?", "TG3", sender="5001", channel="telegram") == []  # once a day
        assert await _one(runtime, select(tenants.c.status)) == "stopped"  # still opted out: nothing else comes
        runtime.clock.offset += timedelta(days=1)
        assert len(await _say(runtime, "hallo?", "TG4", sender="5001", channel="telegram")) == 1


async def test_writing_after_a_promise_as_its_answer_asks_reaches_the_offer_of_an_adviser(runtime: Runtime) -> None:
    await add_tenant(runtime.db)
    await _say(runtime, "hej", "SM1")
    await _say(runtime, "2", "SM2")  # I will pay soon
    [promised] = await _say(runtime, "fredag", "SM3")
    assert "skriv til os her" in promised
    replies = await _say(runtime, "Jeg kan alligevel ikke betale", "SM4")
    assert any("rådgiver" in reply for reply in replies), replies


_ASKED_DA = "Det vil vi gerne svare på. Ring til Boligselskabet på 70 00 00 00 (man-fre kl. 9-15), så taler vi om det."
_ASKED_EN = (
    "We would like to answer that. Call Boligselskabet on 70 00 00 00 (Mon-Fri 9:00-15:00) and we will talk it through."
)


@pytest.mark.parametrize(
    ("language", "question", "answer"),
    [
        ("da", "hvad betyder det?", _ASKED_DA),
        ("da", "hvad skal jeg gøre?", _ASKED_DA),
        ("en", "what does that mean?", _ASKED_EN),
    ],
)
async def test_a_question_after_the_conversation_ended_is_asked_not_met_with_the_opening_menu(
    runtime: Runtime, language: str, question: str, answer: str
) -> None:
    """A promise recorded ends the conversation; the tenant's question after it starts a new one, and gets where a
    person answers it, as it would inside a question, not the reminder's menu (nor "answer our question": none is
    open)."""
    tenant_id = await add_tenant(runtime.db, name="Erik Hansen", language=language)
    await _say(runtime, "2", "SM1")  # I will pay soon
    await _say(runtime, "i morgen" if language == "da" else "tomorrow", "SM2")  # a promise: the conversation ends
    assert await _say(runtime, question, "SM3") == [answer]
    waiting = select(func.count()).select_from(conversations).where(conversations.c.active.is_(True))
    assert await _one(runtime, waiting) == 0  # no question waits that the tenant never saw
    [who] = await _say(runtime, "hvem er du?" if language == "da" else "who are you?", "SM4")
    assert "Boligselskabet" in who and "1 " not in who  # who writes, as ever
    [menu] = await _say(runtime, "hej" if language == "da" else "hi", "SM5")  # a greeting gets the menu, as ever
    assert menu.startswith("Hej Erik" if language == "da" else "Hi Erik") and "\n1 " in menu
    assert await _one(runtime, select(func.count()).select_from(cases).where(cases.c.tenant_id == tenant_id)) == 0


async def test_a_question_written_first_at_the_court_stage_keeps_the_court_openings_urgency(runtime: Runtime) -> None:
    """A court date is known and the tenant's first words are a question: the answer says where a person answers it,
    as ever, and also what the court stage's opening says: call (on the day someone answers, not office hours), a
    solution may still be found."""
    today = runtime.clock().date()
    await add_tenant(runtime.db, balance_ore=750_000, today=today, court_date=today + timedelta(days=10))
    [asked] = await _say(runtime, "hvad betyder det?", "SM1")
    # The day before the number, as every Danish text says it ("Ring til Boligselskabet i morgen på ...").
    assert asked.startswith("Det vil vi gerne svare på. Ring til Boligselskabet ")
    assert asked.endswith(" på 70 00 00 00, så taler vi om det. Måske kan vi stadig finde en løsning.")
    assert "(man-fre kl. 9-15)" not in asked


async def test_an_opted_out_tenant_reporting_a_wrong_number_gets_no_sms_the_opt_out_rule_withholds(
    runtime: Runtime,
) -> None:
    """Opted out with no opt-out word on record (imported so): the number is marked wrong, and no SMS goes to it."""
    await add_tenant(runtime.db, status="stopped")
    assert await _say(runtime, "FORKERT NUMMER", "SM1") == []
    assert await _one(runtime, select(tenants.c.status)) == "wrong_number"  # nobody writes to it again


async def test_a_tenant_who_opted_out_with_afmeld_still_hears_a_wrong_number_report_was_taken(runtime: Runtime) -> None:
    """AFMELD is keephome's own word, not the carrier's: an SMS still reaches the number, as for any other message."""
    await add_tenant(runtime.db)
    await _say(runtime, "AFMELD", "SM1")
    [reply] = await _say(runtime, "FORKERT NUMMER", "SM2")
    assert reply == "Tak, og undskyld. Vi skriver ikke til dette nummer igen."
    assert await _one(runtime, select(tenants.c.status)) == "wrong_number"


async def test_whoever_holds_a_number_reported_wrong_is_answered_not_met_with_silence(runtime: Runtime) -> None:
    """After FORKERT NUMMER, "hej" and START from the number get what it is now and whom to call (words once a day);
    the number stays wrong, and nothing of the former tenant's conversation answers them."""
    await add_tenant(runtime.db)
    await _say(runtime, "FORKERT NUMMER", "SM1")
    told = "Vi har fået at vide, at det er et forkert nummer, så vi skriver ikke hertil. Er det en fejl, så ring til"
    [hello] = await _say(runtime, "hej", "SM2")
    assert hello.startswith(told), hello
    assert await _say(runtime, "hallo?", "SM3") == []
    [started] = await _say(runtime, "START", "SM4")
    assert started.startswith(told), started
    assert await _one(runtime, select(tenants.c.status)) == "wrong_number"


async def test_a_bare_yes_after_a_conversation_that_ended_answered_is_noted_not_the_consent_question(
    runtime: Runtime,
) -> None:
    """ "hej", "2", "fredag" (a day promised and thanked for), then "ja": it says the answer was read, as "ok" does.
    No consent question follows that was never asked, and no "we ask the question again"."""
    await add_tenant(runtime.db)
    await _say(runtime, "hej", "SM1")
    await _say(runtime, "2", "SM2")
    [promised] = await _say(runtime, "fredag", "SM3")
    assert "Vi har skrevet ned, at du betaler" in promised
    [reply] = await _say(runtime, "ja", "SM4")
    assert reply == "Godt. Skriv endelig her igen, hvis du får brug for hjælp."
    async with runtime.db.read() as conn:
        rows = (await conn.execute(select(conversations.c.active, conversations.c.state))).all()
    assert [row.active for row in rows].count(True) == 0
    assert rows[-1].state["end_reason"] == "noted"


async def test_the_withdrawal_word_said_twice_leaves_one_list_that_the_choice_ends(runtime: Runtime) -> None:
    tenant_id = await add_tenant(runtime.db)
    await volunteers_may_see(runtime, await add_case(runtime, tenant_id))  # two consents: the word lists them
    [listed] = await _say(runtime, "TILBAGEKALD", "SM1")
    assert "2: en frivillig forening" in listed
    [again] = await _say(runtime, "withdraw", "SM2")
    assert again == listed
    [chosen] = await _say(runtime, "2", "SM3")
    assert "trukket dit ja tilbage" in chosen
    # The choice ended the list: nothing asks the tenant any more, so a "ja" is not met with the list again.
    assert await _one(runtime, select(func.count()).select_from(conversations).where(conversations.c.active)) == 0
    after = await _say(runtime, "ja", "SM4")
    assert not any("frivillig forening" in said for said in after)
    assert await _one(runtime, select(func.count()).where(consents.c.withdrawn_at.is_not(None))) == 1
