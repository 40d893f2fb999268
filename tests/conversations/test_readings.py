"""Ordinary tenant messages read as the question they answer says, and their near neighbours read as before."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.outbox.sms_rules import amount_like, forbidden_words_in
from conversations.engine import resume, start, start_with_text
from conversations.model import (
    AnswerRecorded,
    ButtonPressed,
    Channel,
    ConsentGiven,
    Context,
    Event,
    FlowSettings,
    Input,
    MessageRequested,
    PaidClaimed,
    PromiseRecorded,
    TelegramLinkRequested,
    TextReceived,
)
from conversations.state import State
from tests.conversations.transcript_play import RENDERER

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
SETTINGS = FlowSettings(paid_pause_days=5, nudge_after_hours=24, give_up_after_hours=48)
# How each question is reached from the opening question.
_PATHS: dict[str, tuple[Input, ...]] = {
    "question": (),
    "when": (ButtonPressed("will_pay", "sms"),),
    "consent": (ButtonPressed("adviser", "sms"),),
    "reason": (ButtonPressed("part", "telegram"), TextReceived("2000", "telegram")),
}


def _at(step: str, language: str, channel: Channel) -> State:
    state, _ = start("payment_check", Context("", language, channel, "missed", SETTINGS), NOW)
    for given in _PATHS[step]:
        if isinstance(given, ButtonPressed):
            given = ButtonPressed(given.choice, channel)
        elif isinstance(given, TextReceived):
            given = TextReceived(given.text, channel)
        state, _ = resume(state, given, NOW)
    assert state.step == step
    return state


def _templates(events: list[Event]) -> list[str]:
    return [e.template for e in events if isinstance(e, MessageRequested)]


def _answers(events: list[Event]) -> list[str | int]:
    return [e.value for e in events if isinstance(e, AnswerRecorded)]


def _rendered(events: list[Event], language: str, channel: Channel) -> str:
    said = next(e for e in events if isinstance(e, MessageRequested))
    return RENDERER.render(said.template, said.values, language, channel, (), now=NOW).text


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(
    ("language", "text", "free"),
    [("da", "hvor meget er det?", "gratis"), ("da", "Hvor meget er det", "gratis"), ("da", "hvor meget?", "gratis"),
     ("da", "hvor meget koster det?", "gratis"), ("da", "hej, hvor meget er det egentlig", "gratis"),
     ("en", "how much is it?", "free"), ("en", "how much?", "free"), ("en", "what's the price", "free")],
)  # fmt: skip
def test_how_much_is_it_asked_whether_an_adviser_may_see_the_answers_is_what_the_help_costs(
    channel: Channel, language: str, text: str, free: str
) -> None:
    """The consent question says an adviser can help: "hvor meget er det?" there asks what that costs, and gets the
    cost answer given there (free and confidential, and the question again, its yes given to its own words), never
    where to hear the amount owed. No try is used and nothing is recorded."""
    asked = _at("consent", language, channel)
    state, events = resume(asked, TextReceived(text, channel), NOW)
    assert _templates(events) == ["consent.about_adviser"] and state == asked
    assert free in _rendered(events, language, channel).lower()


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(
    ("language", "step", "text", "template"),
    [
        # At a question about the rent "it" is the rent: where to hear the amount, as before.
        ("da", "question", "hvor meget er det?", "common.owed_asked"),
        ("da", "when", "hvor meget er det", "common.owed_asked"),
        ("en", "question", "how much is it?", "common.owed_asked"),
        ("da", "consent", "hvor meget skylder jeg?", "common.owed_asked"),
        # What help costs is asked so anywhere ("hvor meget koster det" was a question for a person).
        ("da", "question", "hvor meget koster det?", "common.cost_asked"),
        ("da", "when", "hvor meget koster det at tale med en rådgiver", "common.cost_asked"),
    ],
)
def test_how_much_elsewhere_keeps_its_reading(
    channel: Channel, language: str, step: str, text: str, template: str
) -> None:
    asked = _at(step, language, channel)
    state, events = resume(asked, TextReceived(text, channel), NOW)
    assert _templates(events) == [template] and state == asked


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize("step", ["question", "when"])
@pytest.mark.parametrize(
    ("language", "text"),
    [("da", "har jeg betalt?"), ("da", "Har vi betalt?"), ("da", "har jeg betalt huslejen for december?"),
     ("da", "hej, har jeg ikke betalt?"), ("da", "er huslejen betalt?"), ("da", "er det betalt?"),
     ("da", "har I fået pengene?"), ("da", "har i modtaget min betaling"), ("da", "er pengene kommet"),
     ("da", "er pengene kommet?"),
     ("en", "have I paid?"), ("en", "have i paid"), ("en", "did I pay?"), ("en", "is the rent paid?"),
     ("en", "is it paid"), ("en", "did you get my payment?"), ("en", "has my payment come through"),
     # A day asked with "?" asks: the tenant is not sure the payment went. So does "not" without "already".
     ("da", "har jeg betalt i går?"), ("da", "har jeg overført i fredags?"), ("da", "har I fået pengene i går?"),
     ("en", "haven't I paid?"), ("en", "didn't I pay?"), ("en", "hasn't the rent been paid")],
)  # fmt: skip
def test_asking_whether_the_rent_is_paid_is_a_question_never_a_claim(
    channel: Channel, step: str, language: str, text: str
) -> None:
    """ "Har jeg betalt?" was read as "I have paid": reminders paused on a payment nobody claimed. It asks: where to see
    payments (the bank) and a person who can check whether the money came, and the question waits, no try used."""
    asked = _at(step, language, channel)
    state, events = resume(asked, TextReceived(text, channel), NOW)
    assert _templates(events) == ["common.question_asked"] and state == asked
    assert not any(isinstance(e, PaidClaimed | AnswerRecorded) for e in events)
    rendered = _rendered(events, language, channel)
    assert ("netbank" if language == "da" else "online bank") in rendered and "70 00 00 00" in rendered
    assert not forbidden_words_in(rendered) and not amount_like(rendered)


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(
    ("language", "text"),
    [("da", "jeg har betalt"), ("da", "har betalt"), ("da", "har betalt?"), ("da", "jeg har betalt?"),
     ("da", "har allerede betalt"), ("da", "har jo betalt"), ("da", "har jeg betalt? jeg har overført i går"),
     ("da", "jeg har betalt, har I ikke fået det?"), ("en", "I have paid"), ("en", "i paid"), ("en", "have paid"),
     # The verb first tells when no "?" asks, or a word tells: "jo", "allerede", a day.
     ("da", "har jeg jo betalt"), ("da", "har jeg allerede betalt"), ("da", "har jeg betalt allerede"),
     ("da", "har jeg overført i går"), ("da", "har jeg betalt i går"), ("da", "har jeg betalt den 1"),
     ("da", "har jeg indbetalt"), ("da", "blev den betalt"), ("da", "er den betalt i går"),
     ("da", "har jeg jo betalt?"), ("da", "har jeg allerede betalt?"), ("da", "Har jeg betalt"),
     # Asked for effect, with "not" and "already": claimed, never hardship nor a question.
     ("da", "har jeg ikke allerede betalt?"), ("da", "hej, har vi ikke allerede betalt huslejen"),
     ("en", "have i not already paid"), ("en", "haven't I already paid?"), ("en", "didn't I already pay"),
     ("en", "did I not already pay the rent?"),
     # "Already" after the pay word tells the same (they were questions): "har jeg ikke betalt?" alone still asks.
     ("en", "didn't I pay already?"), ("en", "haven't I paid the rent already"),
     ("da", "har jeg ikke betalt allerede?"), ("da", "har jeg ikke betalt huslejen allerede?"),
     # "Did" before the pay word tells of the past: a payment made, never a promise to pay.
     ("en", "i did pay"), ("en", "I did pay already"), ("en", "I did pay yesterday"), ("en", "I did transfer it")],
)  # fmt: skip
def test_saying_the_rent_is_paid_stays_a_claim(channel: Channel, language: str, text: str) -> None:
    state, events = resume(_at("question", language, channel), TextReceived(text, channel), NOW)
    assert _answers(events) == ["paid"] and any(isinstance(e, PaidClaimed) for e in events)
    assert state.end_reason == "paid_claimed"


def test_asking_whether_paid_with_nothing_open_is_answered_and_nothing_waits() -> None:
    state, events = start_with_text("payment_check", Context("", "da", "sms", None, SETTINGS), NOW, "har jeg betalt?")
    said = [
        (e.template, e.values.get("payments"), e.values.get("nothing_open"))
        for e in events
        if isinstance(e, MessageRequested)
    ]
    assert said == [("common.question_asked", 1, 1)]
    assert state.ended and not any(isinstance(e, PaidClaimed) for e in events)
    rendered = _rendered(events, "da", "sms")
    assert "netbank" in rendered and "venter" not in rendered and "svare på vores spørgsmål" not in rendered


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize("text", ["1", "2", "3", "4", "1.", "nr 1", "Hej 2"])
def test_a_menu_number_asked_when_they_can_pay_asks_which_day(channel: Channel, text: str) -> None:
    """ "Hvornår kan du betale?" lists no numbers; a bare "1" right after the numbered menu is as likely that menu's
    "1" sent again as the 1st (a month away): which day is asked, no try used, never a promise guessed."""
    asked = _at("when", "da", channel)
    state, events = resume(asked, TextReceived(text, channel), NOW)
    assert _templates(events) == ["common.which_day"] and state == asked
    assert not any(isinstance(e, PromiseRecorded | AnswerRecorded) for e in events)


@pytest.mark.parametrize(
    ("channel", "text", "day"),
    [("sms", "5", "2026-12-05"), ("telegram", "6", "2026-12-06"), ("sms", "15", "2026-12-15"),
     ("sms", "den 1", "2027-01-01"), ("sms", "den 1.", "2027-01-01"), ("telegram", "d. 2", "2027-01-02"),
     ("sms", "1/1", "2027-01-01")],
)  # fmt: skip
def test_a_day_past_the_menu_or_said_as_a_date_is_still_a_promise(channel: Channel, text: str, day: str) -> None:
    """Beyond the menu's numbers (four by SMS, five buttons on Telegram) a bare number is the day of the month, and a
    date said as one ("den 1.") is that date."""
    state, events = resume(_at("when", "da", channel), TextReceived(text, channel), NOW)
    assert _answers(events) == [day] and state.ended


@pytest.mark.parametrize("text", ["1", "2", "6", "nr 2", "2."])
def test_a_number_at_telegram_s_reason_question_asks_which_it_means(text: str) -> None:
    """The reason question shows buttons and own words, no numbers: "2" was read as the second button (illness) and
    passed to the adviser as the reason. Which one is asked, the buttons again, no try used."""
    asked = _at("reason", "da", "telegram")
    state, events = resume(asked, TextReceived(text, "telegram"), NOW)
    assert _answers(events) == ["unrecognised"] and _templates(events) == ["common.which_option"]
    asked_again = next(e for e in events if isinstance(e, MessageRequested))
    assert asked_again.values.get("buttons") == 1 and [c.key for c in asked_again.choices][:2] == [
        "lost_job",
        "illness",
    ]
    assert state == asked


@pytest.mark.parametrize(
    ("text", "reading"),
    [("syg", "illness"), ("noget andet", "other_reason"), ("min mor døde", "text"), ("2000", "text")],
)
def test_words_at_the_reason_question_keep_their_reading(text: str, reading: str) -> None:
    _state, events = resume(_at("reason", "da", "telegram"), TextReceived(text, "telegram"), NOW)
    assert _answers(events) == [reading]


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(
    ("language", "text"),
    [("da", "i morgen kan i ringe"), ("da", "mandag kan i ringe efter 12"), ("da", "den 20 kan i ringe"),
     ("da", "fredag kan du ringe"), ("da", "fredag kan I ringe"), ("en", "tomorrow you can call"),
     ("en", "on friday you can call me"), ("en", "friday you can call")],
)  # fmt: skip
def test_a_day_said_before_leave_to_call_is_when_to_call(channel: Channel, language: str, text: str) -> None:
    """ "I morgen kan I ringe": the day is when to call, not when they pay. A person is wished and no promise is
    recorded (a promise for that day was recorded while the day opening the message was read as said on its own)."""
    _state, events = resume(_at("question", language, channel), TextReceived(text, channel), NOW)
    assert _answers(events) == ["adviser"]
    assert not any(isinstance(e, PromiseRecorded) for e in events)


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize("text", ["den 20 og I må gerne ringe", "fredag, kan I ringe?"])
def test_a_day_set_apart_from_leave_to_call_is_still_the_promise(channel: Channel, text: str) -> None:
    """A comma or "og" sets the day apart from the call: it stays the promise, the call wished besides."""
    _state, events = resume(_at("question", "da", channel), TextReceived(text, channel), NOW)
    assert [e.pay_on.isoformat() for e in events if isinstance(e, PromiseRecorded)] != []


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(
    ("language", "text", "reading"),
    [("da", "ring fredag", ["adviser"]), ("da", "ring til mig på fredag", ["adviser"]),
     ("da", "I kan ringe fredag", ["adviser"]), ("da", "I må gerne ringe på fredag", ["adviser"]),
     ("da", "jeg kan ringe i morgen", ["adviser"]), ("da", "fredag kan jeg ringe til banken", ["text"]),
     # The tenant's own call: "friday I can call" is the tenant who calls (English "I"), as "fredag kan jeg ringe" is.
     ("da", "fredag kan jeg ringe", ["adviser"]), ("en", "friday i can call", ["adviser"]),
     ("en", "call me friday", ["adviser"]), ("en", "you can call me friday", ["adviser"]),
     ("en", "friday I can call my sister", ["text"])],
)  # fmt: skip
def test_a_day_after_the_call_words_or_for_a_call_elsewhere_is_still_when_to_call(
    channel: Channel, language: str, text: str, reading: list[str]
) -> None:
    """A day after a call asked for ("ring fredag", "call me friday") says when to call: no promise. Nor is a day before
    the tenant's own call ("fredag kan jeg ringe"), or one to someone else ("fredag kan jeg ringe til banken")."""
    _state, events = resume(_at("question", language, channel), TextReceived(text, channel), NOW)
    assert _answers(events) == reading
    assert not any(isinstance(e, PromiseRecorded) for e in events)


def _offer(language: str) -> State:
    offer, _ = start("telegram_offer", Context("", language, "sms", None, SETTINGS), NOW)
    return offer


@pytest.mark.parametrize(
    ("language", "text"),
    [("da", "helst sms"), ("da", "sms tak"), ("da", "Hellere SMS"), ("da", "bare sms"), ("da", "sms er fint"),
     ("da", "jeg vil helst have sms"), ("da", "gerne sms"), ("da", "sms"), ("en", "sms please"), ("en", "SMS"),
     ("en", "keep sms"), ("en", "text is fine"), ("en", "stay on sms"), ("en", "just text"), ("da", "kun sms"),
     ("da", "bliv på sms"), ("en", "i prefer sms"),
     # Go on writing to me here: "text me" alone (not "text me the code", not "yes text me").
     ("en", "text me"), ("en", "just text me"), ("en", "text me please"), ("da", "skriv til mig på sms"),
     # Send it here, by SMS, as before ("send mig en sms" was not understood, and used up a try).
     ("da", "send mig en sms"), ("da", "send en sms"), ("en", "send me a text")],
)  # fmt: skip
def test_sms_named_at_the_telegram_offer_is_no_thanks(language: str, text: str) -> None:
    """ "Helst sms" to "Vil du hellere skrive med os på Telegram?" was not understood (and is no keyword: the word
    check reads SMS in capitals as a name, not a word to write): it says stay on SMS, the offer's no."""
    state, events = resume(_offer(language), TextReceived(text, "sms"), NOW)
    assert _answers(events) == ["no"] and state.end_reason == "declined"
    assert not any(isinstance(e, TelegramLinkRequested) for e in events)


@pytest.mark.parametrize(
    ("language", "text"),
    [("da", "ikke sms"), ("da", "ikke på sms"), ("da", "ikke via sms"), ("da", "ingen sms"),
     ("da", "ingen flere sms'er"), ("da", "ikke mere sms tak"), ("en", "not by sms"), ("en", "not sms"),
     # Its negation is SMS's, no "vil ikke" or "no" to the offer (they were read as no thanks).
     ("da", "jeg vil ikke have sms"), ("da", "jeg vil ikke have flere sms"), ("en", "no more sms"),
     ("en", "i don't want sms"), ("en", "I do not want any sms")],
)  # fmt: skip
def test_sms_turned_down_at_the_telegram_offer_is_its_yes(language: str, text: str) -> None:
    """ "Ikke sms" to "Vil du hellere skrive med os på Telegram?" was not understood: SMS turned down is the other way
    to write wished, Telegram, and the code is sent."""
    state, events = resume(_offer(language), TextReceived(text, "sms"), NOW)
    assert _answers(events) == ["yes"] and state.end_reason == "link_requested"
    assert any(isinstance(e, TelegramLinkRequested) for e in events)


@pytest.mark.parametrize(("language", "text"), [("da", "1"), ("da", "2"), ("en", "1"), ("en", "2.")])
def test_a_number_at_the_telegram_offer_is_no_answer_and_it_is_asked_again(language: str, text: str) -> None:
    """The offer asks for JA or NEJ and lists no numbers: "1" (likely the reminder menu's, sent again) sent a code for
    an app a basic phone cannot run. It is asked again, its words naming the answers; no code, no no."""
    state, events = resume(_offer(language), TextReceived(text, "sms"), NOW)
    assert _answers(events) == ["unrecognised"] and not state.ended
    assert _templates(events) == ["common.not_understood", "telegram_offer.question"]
    assert not any(isinstance(e, TelegramLinkRequested) for e in events)


@pytest.mark.parametrize(
    ("text", "reading", "template"),
    [("nej ikke sms", ["no"], "telegram_offer.declined"), ("hvorfor ikke sms?", [], "common.question_asked"),
     ("nej sms", ["no"], "telegram_offer.declined")],
)  # fmt: skip
def test_sms_after_a_no_or_asked_about_at_the_telegram_offer_sends_no_code(
    text: str, reading: list[str], template: str
) -> None:
    """A no before SMS is the no it says; a question about SMS asks. No code is sent for either."""
    _state, events = resume(_offer("da"), TextReceived(text, "sms"), NOW)
    assert _answers(events) == reading and _templates(events)[0] == template
    assert not any(isinstance(e, TelegramLinkRequested) for e in events)


@pytest.mark.parametrize(
    ("language", "text"),
    [("da", "hvor meget koster det"), ("da", "koster det noget?"), ("da", "er det gratis?"),
     ("da", "hvad koster telegram"), ("da", "er telegram gratis"), ("da", "koster appen noget?"),
     ("da", "hvor meget er det?"),
     ("en", "how much does it cost?"), ("en", "is it free"), ("en", "does telegram cost money"),
     ("en", "is telegram free?"), ("en", "how much is it")],
)  # fmt: skip
def test_what_telegram_costs_asked_at_the_offer_is_that_it_is_free(language: str, text: str) -> None:
    """ "Hvor meget koster det?" asked whether to move to Telegram was told the adviser's help is free, and "er telegram
    gratis" sent a code as a yes: "it" is the app. It is free, the offer's answers come with it, and the offer waits, no
    try used."""
    offer = _offer(language)
    state, events = resume(offer, TextReceived(text, "sms"), NOW)
    assert _templates(events) == ["telegram_offer.free"] and state == offer
    assert not any(isinstance(e, AnswerRecorded | TelegramLinkRequested) for e in events)
    rendered = _rendered(events, language, "sms")
    assert ("gratis" if language == "da" else "free") in rendered and ("JA" if language == "da" else "YES") in rendered
    assert "70 00 00 00" not in rendered and not forbidden_words_in(rendered) and not amount_like(rendered)


def test_the_adviser_s_cost_asked_at_the_telegram_offer_is_the_adviser_s() -> None:
    _state, events = resume(_offer("da"), TextReceived("koster det noget at tale med en rådgiver?", "sms"), NOW)
    assert _templates(events) == ["common.cost_asked"]


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(
    "text", ["jeg har jo ingen penge", "det ved jeg jo ikke", "I har jo mine oplysninger", "det har jeg jo sagt"]
)
def test_jo_inside_a_sentence_gives_no_consent(channel: Channel, text: str) -> None:
    """ "Jeg har jo ingen penge" asked whether an adviser may see the answers gave the consent: "jo" was read as the yes
    it is only first ("jo tak"). Inside a sentence it is "as you know", and no consent is given."""
    state, events = resume(_at("consent", "da", channel), TextReceived(text, channel), NOW)
    assert not any(isinstance(e, ConsentGiven) for e in events) and not state.ended


@pytest.mark.parametrize("text", ["jo", "jo tak", "jo, det må I gerne"])
def test_jo_first_is_a_yes(text: str) -> None:
    _state, events = resume(_at("consent", "da", "sms"), TextReceived(text, "sms"), NOW)
    assert any(isinstance(e, ConsentGiven) for e in events)
    state, events = resume(_offer("da"), TextReceived(text, "sms"), NOW)
    assert _answers(events) == ["yes"] and state.end_reason == "link_requested"


def test_jo_inside_a_sentence_at_the_telegram_offer_sends_no_code() -> None:
    state, events = resume(_offer("da"), TextReceived("jeg har jo betalt", "sms"), NOW)
    assert not any(isinstance(e, TelegramLinkRequested) for e in events) and not state.ended


@pytest.mark.parametrize(
    ("language", "text", "reading", "end"),
    [("da", "hellere telegram end sms", ["yes"], "link_requested"), ("da", "ja tak", ["yes"], "link_requested"),
     ("en", "telegram instead of sms", ["yes"], "link_requested"), ("da", "nej tak", ["no"], "declined"),
     # The code asked for by SMS is the app wished: no no read from it; "send koden" is its yes, the code sent.
     ("da", "send koden på sms", ["yes"], "link_requested"), ("en", "text me the code", ["unrecognised"], None)],
)  # fmt: skip
def test_telegram_or_its_code_asked_for_beside_sms_is_no_no(
    language: str, text: str, reading: list[str], end: str | None
) -> None:
    state, events = resume(_offer(language), TextReceived(text, "sms"), NOW)
    assert _answers(events) == reading and state.end_reason == end


@pytest.mark.parametrize(
    ("language", "text"),
    [("da", "ja sms"), ("da", "ja tak sms"), ("da", "ja send en sms"), ("da", "ja send på sms"),
     ("da", "ja send linket på sms"), ("da", "ja gerne via sms"), ("da", "ja tekstbesked"), ("en", "yes text me"),
     ("en", "yes text me the link"), ("en", "yes please text it to me"), ("en", "ok text me"), ("en", "yes by text"),
     ("da", "ja tak, har fået jeres sms"), ("en", "yes i got your text")],
)  # fmt: skip
def test_a_yes_at_the_telegram_offer_that_names_sms_is_a_yes(language: str, text: str) -> None:
    """ "Ja send en sms" to "Svar JA, så sender vi en kode" was read as no: the code comes by SMS, so SMS named beside
    the yes is the way it asks for the code, and the link is sent."""
    state, events = resume(_offer(language), TextReceived(text, "sms"), NOW)
    assert _answers(events) == ["yes"] and state.end_reason == "link_requested"
    assert any(isinstance(e, TelegramLinkRequested) for e in events)


@pytest.mark.parametrize(
    ("language", "text", "template"),
    [("da", "hvad er det for en sms", "common.question_asked"),
     ("da", "hvorfor får jeg denne sms", "common.question_asked"),
     ("en", "what is this text about", "common.question_asked"), ("en", "who sent this text", "common.question_asked"),
     ("da", "tak for sms", "common.not_understood"), ("da", "jeg forstår ikke jeres sms", "common.not_understood"),
     ("en", "i got your text", "common.not_understood"),
     ("en", "i got your text, will pay friday", "common.not_understood"),
     ("en", "friday you can text me", "common.not_understood")],
)  # fmt: skip
def test_an_sms_mentioned_at_the_telegram_offer_declines_nothing(language: str, text: str, template: str) -> None:
    """ "Hvad er det for en sms", "i got your text" ended the offer as declined: they name an SMS, they wish none. A
    question is answered, the rest not understood, and the offer stays open."""
    state, events = resume(_offer(language), TextReceived(text, "sms"), NOW)
    assert "no" not in _answers(events) and not state.ended
    assert _templates(events)[0] == template


@pytest.mark.parametrize("text", ["sms", "fredag, skriv en sms", "har betalt, fik jeres sms"])
def test_sms_named_at_the_opening_question_changes_nothing(text: str) -> None:
    """SMS as a way to write is read only where Telegram is offered: elsewhere it adds nothing to what is said."""
    expected = {"sms": ["unrecognised"], "fredag, skriv en sms": ["will_pay", "2026-12-04"]}
    _state, events = resume(_at("question", "da", "sms"), TextReceived(text, "sms"), NOW)
    assert _answers(events) == expected.get(text, ["paid"])
