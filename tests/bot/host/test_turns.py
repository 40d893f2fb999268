"""Guided conversations through the running service: inbox → processor → outbox → sandbox channel."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bot.console.data_rights import EXPORT_WORDS
from bot.i18n import speaking
from bot.inbound.inbox import InboundMessage
from bot.runtime import Runtime
from bot.store.schema import cases, consents, conversations, rent_positions, tenants
from bot.tenants.export import export_tenant, render_html, staff_roles
from tests.support.drive import drain, process_all
from tests.support.helpers import add_tenant

PHONE = "+4520123456"


async def _say(rt: Runtime, text: str, sid: str, sender: str = PHONE, channel: str = "sms") -> None:
    await rt.inbox.submit(InboundMessage(channel=channel, provider_id=sid, sender=sender, text=text))
    await process_all(rt.processor)
    await drain(rt.sender)


def _sms(rt: Runtime) -> list[str]:
    return [m.text for m in rt.channels["sms"].to(PHONE)]  # type: ignore[attr-defined]


async def _conversation(rt: Runtime) -> tuple[bool, str | None, dict[str, object]]:
    async with rt.db.read() as conn:
        row = (
            await conn.execute(
                select(conversations.c.active, conversations.c.ended_reason, conversations.c.state)
                .where(conversations.c.flow == "payment_check")
                .order_by(conversations.c.id.desc())
                .limit(1)
            )
        ).one()
    return bool(row.active), row.ended_reason, dict(row.state)


async def test_a_language_word_switches_and_asks_the_open_question_again_in_that_language(runtime: Runtime) -> None:
    tenant_id = await add_tenant(runtime.db)
    await _say(runtime, "hej", "SM1")
    await _say(runtime, "English", "SM2")
    sent = _sms(runtime)
    assert sent[1] == "We will now write to you in English."
    assert sent[2].startswith("Hi Amira, this is") and "1 I have paid" in sent[2]
    await _say(runtime, "1", "SM3")
    assert _sms(runtime)[-1].startswith("Thank you. We will wait a while")
    async with runtime.db.read() as conn:
        language = (await conn.execute(select(tenants.c.language).where(tenants.c.id == tenant_id))).scalar_one()
    assert language == "en"
    await _say(runtime, "dansk", "SM4")
    assert _sms(runtime)[-1] == "Vi skriver nu til dig på dansk."  # nothing open any more: nothing asked again


async def test_help_word_inside_a_question_that_offers_help_is_that_answer(runtime: Runtime) -> None:
    await add_tenant(runtime.db)
    await _say(runtime, "hej", "SM1")
    await _say(runtime, "HJÆLP", "SM2")
    assert _sms(runtime)[-1].startswith("En rådgiver fra")  # the consent question, not the help text
    await _say(runtime, "hjælp", "SM3")
    # The consent question offers no help: the help text.
    assert _sms(runtime)[-1].startswith("Det er Boligselskabet. Beskederne her sendes automatisk.")


async def test_an_unplaceable_answer_gets_the_options_again_once_then_the_offer_of_a_person(runtime: Runtime) -> None:
    await add_tenant(runtime.db)
    await _say(runtime, "hej", "SM1")
    await _say(runtime, "det er mærkeligt", "SM2")
    sorry = "Undskyld, det forstod vi ikke. Prøv igen, eller ring til Boligselskabet på 70 00 00 00."
    assert _sms(runtime)[-2:] == [sorry, _sms(runtime)[0]]
    # A second miss: the help there is and a person to call, never the consent question out of the blue.
    await _say(runtime, "æh", "SM3")
    assert "Ring til en økonomisk rådgiver på 70 00 00 00" in _sms(runtime)[-1]
    assert "JA" not in _sms(runtime)[-1]
    active, reason, _state = await _conversation(runtime)
    assert (active, reason) == (False, "not_understood")


async def test_a_conversation_whose_flow_changed_ends_and_offers_a_person(runtime: Runtime) -> None:
    await add_tenant(runtime.db)
    await _say(runtime, "hej", "SM1")
    _active, _reason, state = await _conversation(runtime)
    old = {**state, "flow_version": 0, "settings": {**state["settings"], "a_setting_since_removed": 1}}  # type: ignore[dict-item]
    async with runtime.db.write() as conn:
        await conn.execute(update(conversations).values(state=old))
    await _say(runtime, "1", "SM2")
    assert "ændret vores spørgsmål" in _sms(runtime)[-1] and "70 00 00 00" in _sms(runtime)[-1]
    active, reason, _state = await _conversation(runtime)
    assert (active, reason) == (False, "flow_changed")


async def test_the_word_telegram_over_sms_sends_a_code_that_links_the_chat(runtime: Runtime) -> None:
    tenant_id = await add_tenant(runtime.db)
    await _say(runtime, "hej", "SM1")
    await _say(runtime, "Telegram", "SM2")
    announced, code_sms = _sms(runtime)[-2:]
    assert announced.startswith("Fint. Du får en kode i næste besked")
    found = re.search(r"\b(\d{8})\b", code_sms)
    assert found is not None and "http" not in code_sms
    await _say(runtime, found.group(1), "TG1", sender="777", channel="telegram")
    linked = runtime.channels["telegram"].to("777")  # type: ignore[attr-defined]
    # The question waiting by SMS is asked in the chat too, after the word that it is connected.
    assert [m.text.split(".")[0] for m in linked] == ["Du er nu forbundet", "Hej Amira, det er Boligselskabet"]
    async with runtime.db.read() as conn:
        chat = (await conn.execute(select(tenants.c.telegram_chat_id).where(tenants.c.id == tenant_id))).scalar_one()
    assert chat == 777
    # The payment question asked over SMS too still waits for its answer there.
    await _say(runtime, "1", "SM3")
    assert _sms(runtime)[-1].startswith("Tak for besked")


async def test_the_word_telegram_from_an_opted_out_tenant_sends_nothing(runtime: Runtime) -> None:
    await add_tenant(runtime.db, status="stopped")
    await _say(runtime, "TELEGRAM", "SM1")
    assert _sms(runtime) == []


async def test_free_text_is_kept_for_the_adviser_in_the_conversation(runtime: Runtime) -> None:
    await add_tenant(runtime.db, chat_id=555)
    for i, text in enumerate(["hej", "jeg kan betale en del", "1.500 kr", "min datter var syg", "ja"]):
        await _say(runtime, text, f"TG{i}", sender="555", channel="telegram")
    active, reason, state = await _conversation(runtime)
    assert (active, reason) == (False, "handed_off")
    # Their own words are kept next to what they were understood as: the adviser reads both, with consent.
    assert state["data"] == {
        "question": "part",
        "question_text": "jeg kan betale en del",
        "amount": 150000,
        "reason": "illness",
        "reason_text": "min datter var syg",
        "consent": "yes",
    }


async def test_a_thumbs_up_twice_at_the_consent_question_ends_as_no_yes_in_words_not_as_not_understood(
    runtime: Runtime,
) -> None:
    """The tenant was understood: they answered with a sign and gave no consent. The conversation ends with a reason
    of its own, and the adviser reads it in words in both languages, never "the answers were not understood" nor a
    raw code."""
    await add_tenant(runtime.db)
    await _say(runtime, "hej", "SM1")
    await _say(runtime, "3", "SM2")  # an adviser, please: the consent question
    await _say(runtime, "👍", "SM3")
    await _say(runtime, "👍", "SM4")
    assert _sms(runtime)[-1].startswith("Tak. Du har ikke skrevet JA, så ingen rådgiver ser dine svar.")
    active, reason, _state = await _conversation(runtime)
    assert (active, reason) == (False, "not_in_words")
    data = await export_tenant(runtime.db, "T-1", runtime.clock(), "cli")
    zone, roles = ZoneInfo("Europe/Copenhagen"), await staff_roles(runtime.db)
    for language, heading, words in (
        ("da", "Samtaler", "lejeren svarede med et tegn, ikke et ja i ord"),
        ("en", "Conversations", "the tenant answered with a sign, not a yes in words"),
    ):
        with speaking(language):
            page = render_html(data, EXPORT_WORDS, zone=zone, staff=roles)
        talks = page.split(f"<h2>{heading}</h2>")[1].split("<h2>")[0]
        assert f"<td>{words}</td>" in talks, (language, talks)
        assert "svarene blev ikke forstået" not in talks and "the answers were not understood" not in talks
        assert "not_in_words" not in talks and "not in words" not in talks


async def test_a_day_said_with_a_wish_to_be_called_is_kept_and_the_yes_after_it_opens_a_case(runtime: Runtime) -> None:
    """ "Jeg kan først betale den 20, kan en rådgiver ringe til mig?": the day stands on the rent position as the
    promise, and the wish for a call is not dropped: the consent question comes, and its yes opens a case."""
    await add_tenant(runtime.db)
    await _say(runtime, "hej", "SM1")
    await _say(runtime, "jeg kan først betale den 20, kan en rådgiver ringe til mig?", "SM2")
    said = _sms(runtime)
    assert said[-3].startswith("Tak. Vi har skrevet ned, at du betaler den 20. december 2026.")
    assert said[-2].startswith("Godt, at du skriver til os.")
    assert "Svar JA eller NEJ." in said[-1]
    await _say(runtime, "ja", "SM3")
    active, reason, _state = await _conversation(runtime)
    assert (active, reason) == (False, "handed_off")
    async with runtime.db.read() as conn:
        promise_on = (await conn.execute(select(rent_positions.c.promise_on))).scalar_one()
        opened = (await conn.execute(select(cases.c.status))).scalars().all()
        consented = (await conn.execute(select(consents.c.scope))).scalars().all()
    assert str(promise_on) == "2026-12-20"
    assert len(opened) == 1 and consented == ["adviser"]
