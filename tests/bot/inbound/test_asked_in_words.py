"""What a tenant asks in their own words, end to end: whether the message is a scam, what happens with their data, a
person wished at the consent question, a language asked for."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.inbound.inbox import InboundMessage
from bot.runtime import Runtime
from bot.store.schema import consents, conversations, tenants
from tests.conftest import make_settings, started_runtime
from tests.support.drive import drain, process_all, sandbox
from tests.support.helpers import add_tenant

PHONE = "+4520123456"


async def _say(rt: Runtime, text: str, sid: str) -> list[str]:
    """Send one SMS through inbox, processor and sender; returns the texts that reached the phone."""
    before = len(sandbox(rt)["sms"].to(PHONE))
    await rt.inbox.submit(InboundMessage(channel="sms", provider_id=sid, sender=PHONE, text=text))
    await process_all(rt.processor)
    await drain(rt.sender)
    return [m.text for m in sandbox(rt)["sms"].to(PHONE)[before:]]


async def _waiting(rt: Runtime) -> int:
    async with rt.db.read() as conn:
        query = select(func.count()).select_from(conversations).where(conversations.c.active.is_(True))
        return int((await conn.execute(query)).scalar_one())


@pytest.mark.parametrize(
    ("language", "asked", "never", "paid"),
    [
        ("en", "who is this? is this a scam?", "We never ask for bank or card details or MitID", "Thank you"),
        ("da", "er det her svindel?", "Vi beder aldrig om bank- eller kortoplysninger eller MitID", "Tak for besked"),
        ("da", "Er det ægte", "Vi beder aldrig om bank- eller kortoplysninger eller MitID", "Tak for besked"),
    ],
)
async def test_a_tenant_who_fears_a_scam_is_told_who_writes_and_the_question_waits(
    runtime: Runtime, language: str, asked: str, never: str, paid: str
) -> None:
    """Asked while the opening question waits: who writes, what keephome never asks for, the organisation's number to
    check it; never "call us" alone nor "we have your message". The question still takes its answer."""
    await add_tenant(runtime.db, language=language)
    await _say(runtime, "hej" if language == "da" else "hi", "SM1")
    [told] = await _say(runtime, asked, "SM2")
    assert told.startswith("Det er Boligselskabet." if language == "da" else "This is Boligselskabet.")
    assert never in told and "70 00 00 00" in told
    assert await _waiting(runtime) == 1
    [answered] = await _say(runtime, "1", "SM3")
    assert paid in answered


async def test_a_scam_question_with_nothing_open_is_told_who_writes(runtime: Runtime) -> None:
    await add_tenant(runtime.db)
    [told] = await _say(runtime, "Er det her fup?", "SM1")
    assert told.startswith("Det er Boligselskabet.") and "aldrig om bank" in told and "70 00 00 00" in told


async def test_a_question_about_their_data_at_the_consent_question_gets_who_sees_and_how_to_withdraw(
    runtime: Runtime,
) -> None:
    """ "What will you do with my info?" got "call us (Mon-Fri 9-15)", even at 17:00: the consent question's own
    explanation answers it, whatever the hour, and the question still takes its yes."""
    await add_tenant(runtime.db, language="en")
    await _say(runtime, "3", "SM1")  # talk to an adviser: the consent question
    [told] = await _say(runtime, "what will you do with my info?", "SM2")
    assert told.startswith("Only advisers and a few other staff at Boligselskabet can see your name")
    assert "write WITHDRAW" in told and "Call" not in told
    assert await _waiting(runtime) == 1


async def test_a_wish_for_a_person_at_the_consent_question_is_told_the_yes_it_needs_and_records_no_consent(
    runtime: Runtime,
) -> None:
    """ "Jeg vil gerne tale med et menneske" to "Må rådgivere … se dit navn…?" was recorded as JA: no consent now, the
    tenant hears that a person calls once they answer JA and the office's number; their JA then is the consent."""
    await add_tenant(runtime.db)
    await _say(runtime, "3", "SM1")  # talk to an adviser: the consent question
    [told] = await _say(runtime, "jeg vil gerne tale med et menneske", "SM2")
    assert "svare JA" in told and "ringe til Boligselskabet på 70 00 00 00" in told
    assert await _consents(runtime) == 0 and await _waiting(runtime) == 1
    await _say(runtime, "ja", "SM3")
    assert await _consents(runtime) == 1


async def _consents(rt: Runtime) -> int:
    async with rt.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(consents))).scalar_one())


@pytest.mark.parametrize(
    ("asked", "language"),
    [("Danca bilmiyorum, Türkçe lütfen", "tr"), ("لا أتكلم الدنماركية، العربية من فضلك", "ar")],
)
async def test_a_language_asked_for_in_words_switches_and_asks_the_open_question_again_in_it(
    sqlite_url: str, asked: str, language: str
) -> None:
    """ "Danca bilmiyorum, Türkçe lütfen" got a Danish reply (only the word TÜRKÇE worked): where Turkish is on, it
    switches, and the menu comes again in Turkish; where it is off, nothing switches."""
    async with started_runtime(make_settings(sqlite_url, languages=f"da,en,{language}")) as rt:
        await add_tenant(rt.db)
        await _say(rt, "hej", "SM1")
        changed, menu = await _say(rt, asked, "SM2")
        async with rt.db.read() as conn:
            assert (await conn.execute(select(tenants.c.language))).scalar_one() == language
        assert changed == _rendered(rt, "keyword.language_changed", language)
        assert "\n1 " in menu and "Svar" not in menu
    async with started_runtime(make_settings(sqlite_url + "-off", languages="da,en")) as rt:
        await add_tenant(rt.db)
        await _say(rt, "hej", "SM1")
        await _say(rt, asked, "SM2")
        async with rt.db.read() as conn:
            assert (await conn.execute(select(tenants.c.language))).scalar_one() == "da"


def _rendered(rt: Runtime, template: str, language: str) -> str:
    return rt.renderer.render(template, {}, language, "sms").text


async def test_not_reading_danish_and_asking_what_this_is_with_nothing_open_gets_the_answer_in_english(
    runtime: Runtime,
) -> None:
    """ "Sorry I dont speak danish, what is this?" with nothing open switched to English and said no more: what was
    asked is answered too, in English (who writes, how to reach a person)."""
    await add_tenant(runtime.db)
    changed, about = await _say(runtime, "sorry I dont speak danish, what is this?", "SM1")
    assert changed == "We will now write to you in English."
    assert about.startswith("This is Boligselskabet.") and "70 00 00 00" in about
    assert await _say(runtime, "do you speak english?", "SM2") == ["We will now write to you in English."]
