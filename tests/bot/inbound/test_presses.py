"""A pressed Telegram button is always answered (its spinner stops) once handled, and where the chat stays quiet the
answer's own text (a toast) says the press arrived and what happens now: through python-telegram-bot against the
stand-in Bot API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.host.cases import close_case, take_case
from bot.inbound import presses
from bot.inbound.presses import TOAST_LENGTH, TOASTS
from bot.outbox.render import Rendered
from bot.reminders.timers import expire_waiting
from bot.store.schema import cases, conversations, inbound
from tests.support.console import add_person
from tests.support.drive import drain
from tests.support.telegram_harness import CHAT, Harness, callback_update, harness, text_update

WAITING = "Tak, vi har fået det. Din sag ligger hos en rådgiver, som ringer eller skriver til dig."
WITH_ADVISER = "Tak, vi har fået det. Din rådgiver ser det og svarer dig her."
SAME_ANSWER = "Tak, vi har allerede fået dit svar."
STOPPED = "Du har afmeldt beskeder fra os. Skriv START, hvis du vil have dem igen."
OLD_BUTTON = "Den knap virker ikke længere. Skriv gerne til os her i chatten."
NOT_HANDLED = "Tak, vi har fået det. Vi kunne ikke svare på det automatisk, så en medarbejder ser på det."


@pytest.fixture
async def bot(sqlite_url: str) -> AsyncIterator[Harness]:
    async with harness(sqlite_url) as h:
        yield h


def _buttons(bot: Harness) -> dict[str, str]:
    """The last message's buttons: label -> callback data."""
    call = bot.api.calls_to("sendMessage")[-1]
    return {b["text"]: b["callback_data"] for row in call.params["reply_markup"]["inline_keyboard"] for b in row}


async def _press(bot: Harness, query: str, data: str) -> tuple[list[str], str | None]:
    """Press a button: the texts the chat received, and the press's toast (None: answered without one). Fails unless
    the press was answered exactly once."""
    said = await bot.send(callback_update, query, data)
    answers = [c.params for c in bot.api.calls_to("answerCallbackQuery") if str(c.params["callback_query_id"]) == query]
    assert len(answers) == 1, answers
    text: Any = answers[0].get("text")
    return said, text


async def _waiting_for_an_adviser(bot: Harness) -> dict[str, str]:
    """A tenant who said yes to an adviser on Telegram; returns the opening question's buttons."""
    await bot.tenant(chat_id=CHAT)
    await bot.send(text_update, "hej")
    opening = _buttons(bot)
    await bot.send(callback_update, "adviser", opening["Tal med en rådgiver"])
    [confirmed] = await bot.send(callback_update, "yes", _buttons(bot)["Ja"])
    assert confirmed.startswith("Tak for dit ja."), confirmed
    return opening


async def test_an_old_button_while_the_case_waits_gets_the_days_receipt_then_a_toast(bot: Harness) -> None:
    """Before, a press after the day's receipt met nothing but a spinner that stopped: no word at all."""
    opening = await _waiting_for_an_adviser(bot)
    [receipt], toast = await _press(bot, "q1", opening["Jeg har betalt"])
    assert receipt.startswith("Tak for din besked.") and toast is None
    # The receipt went today: no second message in the chat, the press's own answer says it arrived.
    said, toast = await _press(bot, "q2", opening["Jeg betaler snart"])
    assert said == [] and toast is not None and toast.startswith(WAITING), toast
    said, toast = await _press(bot, "q3", opening["Jeg har betalt"])
    assert said == [] and toast is not None and toast.startswith(WAITING), toast


async def test_a_press_while_an_adviser_holds_the_case_is_answered_with_a_toast(bot: Harness) -> None:
    opening = await _waiting_for_an_adviser(bot)
    adviser = await add_person(bot.rt, "adviser@example.org", "adviser")
    async with bot.rt.db.write() as conn:
        case_id = (await conn.execute(select(cases.c.id))).scalar_one()
        await take_case(conn, case_id, adviser, bot.clock())
    await bot.send(text_update, "hallo")  # the word that a person took the case has gone
    said, toast = await _press(bot, "q1", opening["Jeg har betalt"])
    assert (said, toast) == ([], WITH_ADVISER)


async def test_a_press_after_the_case_closed_is_answered_in_the_chat(bot: Harness) -> None:
    opening = await _waiting_for_an_adviser(bot)
    adviser = await add_person(bot.rt, "adviser@example.org", "adviser")
    async with bot.rt.db.write() as conn:
        case_id = (await conn.execute(select(cases.c.id))).scalar_one()
        await take_case(conn, case_id, adviser, bot.clock())
        await close_case(conn, case_id, adviser, "paid", None, bot.clock())
    await bot.send(text_update, "tak")
    said, toast = await _press(bot, "q1", opening["Jeg har betalt"])
    assert said and toast is None  # the chat answers; the answer only stops the spinner


async def test_a_press_under_a_question_since_asked_anew_is_answered_in_the_chat(bot: Harness) -> None:
    await bot.tenant(chat_id=CHAT)
    await bot.send(text_update, "hej")
    opening = _buttons(bot)
    await bot.send(callback_update, "adviser", opening["Tal med en rådgiver"])
    consent = _buttons(bot)
    # The consent question is open now: the opening question's button is old.
    said, toast = await _press(bot, "q1", opening["Jeg har betalt"])
    assert said and toast is None, said
    # And the consent question's own button still answers it.
    said, toast = await _press(bot, "q2", consent["Nej"])
    assert said and toast is None


async def test_the_same_answer_pressed_twice_is_heard_once_and_then_toasted(bot: Harness) -> None:
    await bot.tenant(chat_id=CHAT)
    await bot.send(text_update, "hej")
    paid = _buttons(bot)["Jeg har betalt"]
    [thanks], toast = await _press(bot, "q1", paid)
    assert thanks.startswith("Tak for besked.") and toast is None
    said, toast = await _press(bot, "q2", paid)
    assert (said, toast) == ([], SAME_ANSWER)


async def test_a_press_that_could_not_be_handled_is_toasted_that_staff_will_see_it(bot: Harness) -> None:
    """A press whose handling fails is set aside for staff (the admin page lists it): the chat stays quiet, so the
    toast says it arrived and a person will look at it, instead of only stopping the spinner."""
    await bot.tenant(chat_id=CHAT)
    await bot.send(text_update, "hej")
    paid = _buttons(bot)["Jeg har betalt"]
    async with bot.rt.db.write() as conn:  # the open conversation, stored in a form keephome cannot read
        await conn.execute(
            conversations.update().where(conversations.c.active.is_(True)).values(state={"channel": "fax"})
        )
    said, toast = await _press(bot, "q1", paid)
    assert (said, toast) == ([], NOT_HANDLED)
    async with bot.rt.db.read() as conn:
        set_aside = (await conn.execute(select(inbound.c.provider_id).where(inbound.c.failed_at.is_not(None)))).all()
    assert [row.provider_id for row in set_aside] == ["cb:q1"]


async def test_a_press_that_could_not_be_handled_is_toasted_in_the_tenants_language(bot: Harness) -> None:
    """The tenant reads English in the chat; their Telegram app is set to Danish: the set-aside press's toast is in
    English, as the chat is."""
    await bot.tenant(chat_id=CHAT, language="en")
    await bot.send(text_update, "hello")
    paid = _buttons(bot)["I have paid"]
    async with bot.rt.db.write() as conn:  # the open conversation, stored in a form keephome cannot read
        await conn.execute(
            conversations.update().where(conversations.c.active.is_(True)).values(state={"channel": "fax"})
        )
    said, toast = await _press(bot, "q1", paid)
    english = "Thank you, we have it. We could not answer it automatically, so a member of staff will look at it."
    assert (said, toast) == ([], english)


async def test_an_opted_out_tenants_press_hears_start_once_a_day_then_a_toast(bot: Harness) -> None:
    await bot.tenant(chat_id=CHAT)
    await bot.send(text_update, "hej")
    opening = _buttons(bot)
    await bot.send(text_update, "STOP")
    [still], toast = await _press(bot, "q1", opening["Jeg har betalt"])
    assert still.startswith(STOPPED) and toast is None
    said, toast = await _press(bot, "q2", opening["Jeg har betalt"])
    assert (said, toast) == ([], STOPPED)


@pytest.mark.parametrize("data", ["999999.0", "not-ours"])
async def test_a_button_keephome_does_not_know_is_said_to_work_no_longer(bot: Harness, data: str) -> None:
    await bot.tenant(chat_id=CHAT)
    await bot.send(text_update, "hej")
    said, toast = await _press(bot, "q1", data)
    assert (said, toast) == ([], OLD_BUTTON)


async def test_a_press_in_a_chat_no_tenant_has_is_said_to_work_no_longer(bot: Harness) -> None:
    said, toast = await _press(bot, "q1", "1.0")
    assert (said, toast) == ([], OLD_BUTTON)


async def test_a_toast_is_in_the_tenants_language(bot: Harness) -> None:
    await bot.tenant(chat_id=CHAT, language="en")
    await bot.send(text_update, "hello")
    said, toast = await _press(bot, "q1", "999999.0")
    assert (said, toast) == ([], "That button no longer works. You are welcome to write to us here in the chat.")


async def test_a_press_in_a_group_is_answered_at_once_without_being_stored(bot: Harness) -> None:
    """Nothing handles a press keephome ignores: before, it was never answered and its spinner ran until the app gave
    up."""
    update = callback_update(1, CHAT, 1, "q1", "1.0")
    update["callback_query"]["message"]["chat"] = {"id": -100200, "type": "group", "title": "Opgang 4"}
    response = await bot.client.post(
        "/webhooks/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
    )
    assert response.json()["result"] == "ignored"
    [answer] = bot.api.calls_to("answerCallbackQuery")
    assert answer.params == {"callback_query_id": "q1"}


@pytest.mark.parametrize("language", ["da", "en", "tr", "ar"])
@pytest.mark.parametrize("toast", TOASTS)
async def test_every_toast_fits_an_answer(bot: Harness, toast: str, language: str) -> None:
    """Each language has each toast, and none is over the 200 characters the Bot API takes (a longer one fails the
    answer, and with it the stop of the spinner)."""
    assert bot.rt.renderer.exists(toast, language, "telegram")
    text = bot.rt.renderer.render(toast, {}, language, "telegram").text
    assert 0 < len(text) <= TOAST_LENGTH, text


async def test_a_slow_bot_api_holds_the_processing_of_messages_only_briefly(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answers go after the batch's commit, in the background: a Bot API that does not answer (here for as long
    as PTB's own timeout, 58 s) holds no tenant's next message, and its answers are given up after `ANSWER_SECONDS`
    (a stop waits no longer for them)."""
    monkeypatch.setattr(presses, "ANSWER_SECONDS", 0.2)
    async with harness(sqlite_url, send_timeout_seconds=60.0, lease_seconds=90) as bot:
        await bot.tenant(chat_id=CHAT)
        bot.api.answers_go.clear()
        update = callback_update(1, CHAT, 1, "q1", "999999.0")
        headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
        assert (await bot.client.post("/webhooks/telegram", json=update, headers=headers)).status_code == 200
        assert await bot.rt.processor.process_pending() == 1
        # The batch is done while its press's answer still waits on the Bot API.
        assert bot.rt.processor._answering
        async with asyncio.timeout(20):
            await bot.rt.processor.answered()
        [asked] = bot.api.calls_to("answerCallbackQuery")
        assert asked.params["text"] == OLD_BUTTON
        bot.api.answers_go.set()


async def test_a_toast_too_long_for_the_bot_api_is_cut_rather_than_the_answer_lost(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A text over 200 characters would fail the whole answer (and the stop of the spinner with it)."""
    render = bot.rt.renderer.render

    def long_toasts(key: str, *args: Any, **kwargs: Any) -> Rendered:
        found = render(key, *args, **kwargs)
        return Rendered(found.text * 10) if key in TOASTS else found

    monkeypatch.setattr(bot.rt.renderer, "render", long_toasts)
    await bot.tenant(chat_id=CHAT)
    said, toast = await _press(bot, "q1", "999999.0")
    assert said == [] and toast is not None
    assert len(toast) == TOAST_LENGTH and toast.startswith(OLD_BUTTON) and toast.endswith("…"), toast


async def _asked_when(bot: Harness, language: str = "da") -> tuple[dict[str, str], list[str]]:
    """A tenant who pressed "pay soon" under the opening question: the conversation is open at "when?". Returns the
    opening question's buttons and the texts the chat received for the press."""
    await bot.tenant(chat_id=CHAT, language=language)
    await bot.send(text_update, "hej")
    opening = _buttons(bot)
    said, toast = await _press(bot, "dq1", opening["Jeg betaler snart" if language == "da" else "I will pay soon"])
    assert said and toast is None, (said, toast)
    return opening, said


async def test_the_same_answer_pressed_twice_while_the_conversation_asks_on_is_toasted(database_url: str) -> None:
    """Before, the second press of "Jeg betaler snart" under the opening question, once "when?" was asked, was answered
    with no text and nothing in the chat: the tenant saw nothing at all. The conversation stays where it was: the
    question asked now still takes its answer."""
    async with harness(database_url) as bot:
        opening, [when] = await _asked_when(bot)
        assert when.startswith("Hvornår kan du betale?"), when
        bot.clock.offset += timedelta(seconds=3)
        said, toast = await _press(bot, "dq2", opening["Jeg betaler snart"])
        assert (said, toast) == ([], SAME_ANSWER)
        [promised] = await bot.send(text_update, "fredag")
        assert not promised.startswith("Hvornår"), promised


async def test_the_same_answer_pressed_again_after_other_words_is_toasted(bot: Harness) -> None:
    """Words between the two presses make the second no less the answer already given."""
    opening, _ = await _asked_when(bot)
    await bot.send(text_update, "øh")
    said, toast = await _press(bot, "dq2", opening["Jeg betaler snart"])
    assert (said, toast) == ([], SAME_ANSWER)


async def test_the_same_answer_pressed_twice_is_toasted_in_the_tenants_language(bot: Harness) -> None:
    opening, _ = await _asked_when(bot, "en")
    said, toast = await _press(bot, "dq2", opening["I will pay soon"])
    assert (said, toast) == ([], "Thank you, we already have your answer.")


async def test_another_answer_to_a_question_answered_already_is_answered_in_the_chat(bot: Harness) -> None:
    """Not the answer given: the chat says the button belongs to an earlier message and asks the open question again."""
    opening, _ = await _asked_when(bot)
    said, toast = await _press(bot, "dq2", opening["Jeg har betalt"])
    assert said and toast is None, said


async def test_the_same_answer_pressed_twice_under_the_nudge_is_toasted(database_url: str) -> None:
    """The nudge carries the open question's buttons: one of them pressed twice is the same answer again too."""
    async with harness(database_url) as bot:
        await bot.tenant(chat_id=CHAT)
        await bot.send(text_update, "hej")
        bot.clock.offset += timedelta(hours=bot.rt.settings.nudge_after_hours + 1)
        assert await expire_waiting(bot.rt.db, bot.clock(), bot.rt.settings) == 1
        await drain(bot.rt.sender)
        nudge = _buttons(bot)
        [when], toast = await _press(bot, "dq1", nudge["Jeg betaler snart"])
        assert when.startswith("Hvornår kan du betale?") and toast is None, when
        said, toast = await _press(bot, "dq2", nudge["Jeg betaler snart"])
        assert (said, toast) == ([], SAME_ANSWER)


async def test_a_nudges_button_after_its_conversation_ended_means_what_it_always_meant(bot: Harness) -> None:
    """As the opening question's own button does: before, the nudge's "Jeg har betalt" was told it belonged to an
    earlier message and got the opening question again."""
    await bot.tenant(chat_id=CHAT)
    await bot.send(text_update, "hej")
    bot.clock.offset += timedelta(hours=bot.rt.settings.nudge_after_hours + 1)
    await expire_waiting(bot.rt.db, bot.clock(), bot.rt.settings)
    await drain(bot.rt.sender)
    nudge = _buttons(bot)
    bot.clock.offset += timedelta(days=3)
    assert await expire_waiting(bot.rt.db, bot.clock(), bot.rt.settings) == 1  # no answer: the conversation ends
    [thanks], toast = await _press(bot, "q1", nudge["Jeg har betalt"])
    assert thanks.startswith("Tak for besked.") and toast is None, thanks
