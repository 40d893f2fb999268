"""Keyword commands: each kind against the tenant's facts, with the exact events and conversations they make."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from conversations import engine
from conversations.commands import ALWAYS_ON, CommandResult, TenantFacts, command, pressed_earlier
from conversations.model import (
    AnswerRecorded,
    ButtonPressed,
    Choice,
    ConsentWithdrawn,
    Context,
    ConversationEnded,
    FlowSettings,
    LanguageChanged,
    MessageRequested,
    OptedIn,
    OptedOut,
    TelegramLinkRequested,
    TextReceived,
    WrongNumberReported,
)
from conversations.state import State

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
VALUES: dict[str, Any] = {"first_name": "Amina", "trigger": ""}


def _open(step_inputs: tuple[str, ...] = (), channel: str = "sms") -> State:
    """A payment_check waiting on its first question, or further on after `step_inputs`."""
    context = Context("Amina", "da", "sms" if channel == "sms" else "telegram", "missed")
    state, _ = engine.start("payment_check", context, NOW)
    for text in step_inputs:
        state, _ = engine.resume(state, TextReceived(text, state.channel), NOW)
    assert not state.ended
    return state


def _facts(**changes: Any) -> TenantFacts:
    facts = TenantFacts(
        first_name="Amina",
        language="da",
        channel="sms",
        status="active",
        consented=False,
        held=False,
        conversation=None,
        languages=("da", "en"),
        telegram_on=True,
        settings=FlowSettings(),
    )
    return replace(facts, **changes)


OPTED_OUT = CommandResult("opt_out", (OptedOut(), MessageRequested("keyword.opted_out")))
OPTED_IN = CommandResult("opt_in", (OptedIn(), MessageRequested("keyword.opted_in", {"already": 0})))
# START from a tenant who gets messages already: they hear so.
ALREADY_IN = CommandResult("opt_in", (OptedIn(), MessageRequested("keyword.opted_in", {"already": 1})))
WRONG_NUMBER = CommandResult("wrong_number", (MessageRequested("keyword.wrong_number"), WrongNumberReported()))
STOP_HINT = CommandResult("stop_hint", (MessageRequested("keyword.stop_hint"),))
NOTED = CommandResult("noted", (MessageRequested("common.noted"),))
THANKS = CommandResult("thanks", (MessageRequested("common.thanks", {"queued": 0}),))
THANKS_QUEUED = CommandResult("thanks", (MessageRequested("common.thanks", {"queued": 1}),))
UPSET = CommandResult("upset", (MessageRequested("common.upset", {"queued": 0}),))
# While their case waits in the queue with their yes: an adviser reads what they write (the adviser word does nothing).
# Signs the bot cannot read with nothing open: a short line, at most once a day, never the opening question again.
SIGNS = CommandResult("signs", (MessageRequested("common.signs_heard"),), daily=True)
UPSET_QUEUED = CommandResult("upset", (MessageRequested("common.upset", {"queued": 1}),))


def _crisis(**values: int) -> CommandResult:
    return CommandResult("crisis", (MessageRequested("common.crisis", values),))


# Words of crisis: Livslinien and 112 in any state; the way to a person where one may be offered.
CRISIS = _crisis(offer=1)
NOTHING_TO_WITHDRAW = CommandResult("withdraw_consent", (MessageRequested("consent.nothing_to_withdraw"),))
TO_ENGLISH = CommandResult("language", (LanguageChanged("en"), MessageRequested("keyword.language_changed")))


@pytest.mark.parametrize(
    ("text", "changes", "expected"),
    [
        # STOP: always wins, confirmed once.
        ("STOP", {}, OPTED_OUT),
        ("afmeld", {"conversation": _open()}, OPTED_OUT),
        ("Stop!", {"held": True}, OPTED_OUT),
        # From a number reported wrong: told nothing comes any more; it stays a wrong number (START would not
        # bring messages to the stranger, and the admins' list keeps the tenant).
        ("STOP", {"status": "wrong_number"}, CommandResult("opt_out", (MessageRequested("keyword.wrong_number"),))),
        ("STOP", {"status": "stopped"}, CommandResult("opt_out", ())),
        # START: back in, unless the number is not the tenant's: then whoever holds it hears that nothing is written
        # to it, and whom to call if it is theirs after all.
        ("START", {"status": "stopped"}, OPTED_IN),
        ("start", {}, ALREADY_IN),
        ("START", {"status": "stopped", "held": True}, OPTED_IN),
        (
            "START",
            {"status": "wrong_number"},
            CommandResult("opt_in", (MessageRequested("keyword.number_reported_wrong"),)),
        ),
        # WRONG NUMBER: reply first, then the fact; not while an adviser holds the case.
        ("FORKERT NUMMER", {}, WRONG_NUMBER),
        ("wrong number", {"status": "stopped"}, WRONG_NUMBER),
        ("FORKERT NUMMER", {"held": True}, None),
        # ... said in a sentence, as people do; a negation is no report.
        ("Forkert nummer, jeg hedder Peter", {"conversation": _open()}, WRONG_NUMBER),
        ("wrong number, sorry", {}, WRONG_NUMBER),
        ("Du har fat i den forkerte person", {}, WRONG_NUMBER),
        ("Wrong person", {}, WRONG_NUMBER),
        ("det er ikke forkert nummer", {}, None),
        ("forkert nummer, undskyld", {"held": True}, None),
        # Someone else naming the tenant as not them; one writing for the tenant is no report.
        ("Undskyld, det er ikke Amina", {"conversation": _open()}, WRONG_NUMBER),
        ("Her bor ingen Amina", {}, WRONG_NUMBER),
        ("This is not Amina", {}, WRONG_NUMBER),
        ("Det er ikke mig", {"conversation": _open()}, WRONG_NUMBER),
        ("nej det er ikke mig", {}, WRONG_NUMBER),
        ("Amina bor her ikke længere", {}, WRONG_NUMBER),
        ("Amina er flyttet", {}, WRONG_NUMBER),
        ("Jeg kender ingen Amina", {}, WRONG_NUMBER),
        ("Jeg fortryder mit ja", {}, NOTHING_TO_WITHDRAW),
        ("hold nu op", {}, STOP_HINT),
        ("jeg vil gerne afmeldes", {}, STOP_HINT),
        ("Jeg hedder ikke Amina", {}, WRONG_NUMBER),
        ("Amina bor her ikke mere", {}, WRONG_NUMBER),
        ("Hej, du har fat i den forkerte", {}, WRONG_NUMBER),
        ("It's not me, sorry", {}, WRONG_NUMBER),
        ("Det er ikke Amina der skriver, det er hendes mor", {}, None),
        ("Amina er ikke hjemme", {}, None),
        ("Det er ikke Amina", {"first_name": ""}, None),
        # Words that only work when no person holds the case.
        ("HJÆLP", {"held": True}, None),
        # An opted-out tenant asking for help hears how START brings messages back (the help text's TELEGRAM and
        # STOP do nothing for them).
        ("HJÆLP", {"status": "stopped"}, CommandResult("help", (MessageRequested("keyword.still_stopped"),))),
        ("TELEGRAM", {"held": True}, None),
        # Withdrawal without a standing consent: nothing to withdraw, also while held.
        ("TILBAGEKALD", {}, NOTHING_TO_WITHDRAW),
        ("withdraw", {"held": True}, NOTHING_TO_WITHDRAW),
        # Language: only a live language; no open conversation means no question to ask again.
        ("ENGLISH", {}, TO_ENGLISH),
        # ... with words around it that only ask for it.
        ("English please", {}, TO_ENGLISH),
        # ... or said as not reading the language the messages came in, in English.
        ("I don't speak Danish", {}, TO_ENGLISH),
        ("sorry i cant understand danish", {"held": True}, TO_ENGLISH),
        ("I speak Danish", {}, None),
        ("kan du skrive på engelsk", {}, TO_ENGLISH),
        ("Tilbagekald mit ja", {}, NOTHING_TO_WITHDRAW),
        ("withdraw my consent", {"held": True}, NOTHING_TO_WITHDRAW),
        # A stop word with only politeness around it, or said twice, is a plain wish to stop: honoured.
        ("stop tak", {}, OPTED_OUT),
        ("Afmeld mig", {"conversation": _open()}, OPTED_OUT),
        ("STOP STOP", {"held": True}, OPTED_OUT),
        ("please stop", {}, OPTED_OUT),
        # ... anything more is no keyword: the hint says the word.
        ("stop med at skrive til mig", {}, STOP_HINT),
        ("nej stop", {}, STOP_HINT),
        # Taking back a yes in one's own words is the withdrawal word, also while held; a negation is none.
        ("Træk mit ja tilbage", {}, NOTHING_TO_WITHDRAW),
        ("I take back my yes", {"held": True}, NOTHING_TO_WITHDRAW),
        ("jeg vil tilbagekalde mit samtykke", {"conversation": _open()}, NOTHING_TO_WITHDRAW),
        ("jeg vil ikke trække mit ja tilbage", {}, None),
        ("I need to withdraw money first", {}, None),
        ("engelsk", {"held": True}, TO_ENGLISH),
        ("türkçe", {"conversation": _open()}, None),
        ("arabisk", {}, None),
        # A wish to stop gets the hint, only from an active tenant nobody holds.
        ("skriv ikke til mig", {}, STOP_HINT),
        ("please stop texting me", {"conversation": _open()}, STOP_HINT),
        ("skriv ikke til mig", {"held": True}, None),
        ("skriv ikke til mig", {"status": "stopped"}, None),
        ("jeg vil ikke stoppe", {}, None),
        ("ingen flere sms tak", {}, STOP_HINT),
        ("no more texts please", {}, STOP_HINT),
        ("Hold op med at skrive til mig", {"conversation": _open()}, STOP_HINT),
        ("slet mit nummer", {}, STOP_HINT),
        # "Ok" with nothing open is no answer to a question the tenant has not just seen: a short kind word.
        ("ok", {}, NOTED),
        ("Fint 👍", {}, NOTED),
        ("👍", {}, NOTED),
        ("got it", {}, NOTED),
        ("ok", {"conversation": _open()}, None),
        ("ok", {"held": True}, None),
        ("ja", {}, None),
        # Emoji only with nothing open: a thank-you, an "ok" or sadness, never the opening question again; inside a
        # question the flow reads them, and while a person holds the case they are theirs.
        ("🙏", {}, THANKS),
        ("❤️", {}, THANKS),
        ("🙏", {"queued": True}, THANKS_QUEUED),
        ("👌", {}, NOTED),
        ("😢", {}, UPSET),
        ("😡😡", {}, UPSET),
        ("😢", {"conversation": _open()}, None),
        ("🙏", {"conversation": _open()}, None),
        ("😢", {"queued": True}, UPSET_QUEUED),
        ("😢", {"held": True}, None),
        ("😢", {"held": True, "consented": True}, None),
        ("❤️", {"held": True}, None),
        ("😢", {"status": "stopped"}, None),
        # Words of crisis, in any state and before the flow: the crisis line, and the adviser word (it leads to the
        # consent question) where a person may be offered.
        ("jeg vil tage mit liv", {}, CRISIS),
        ("I want to die", {"language": "en"}, CRISIS),
        ("selvmord", {"queued": True, "consented": True}, _crisis(offer=1, queued=1)),
        # While a person holds the case: only the crisis line, no offer that would talk over that person.
        ("selvmord", {"held": True, "consented": True}, _crisis(offer=0)),
        ("I'm going to kill myself", {"held": True, "conversation": _open()}, _crisis(offer=0)),
        ("jeg vil tage mit liv", {"status": "stopped", "reached": True}, _crisis(offer=0)),
        ("jeg vil tage mit liv", {"status": "wrong_number"}, _crisis(offer=0)),
        # An opted-out tenant no reply may reach hears nothing.
        ("jeg vil tage mit liv", {"status": "stopped", "reached": False}, CommandResult("crisis", ())),
        # Figures of speech are no crisis.
        ("jeg dør af grin", {}, None),
        ("I'd die for a coffee", {"held": True}, None),
        ("🤔", {}, SIGNS),
        ("?", {}, SIGNS),
        ("👍😢", {}, SIGNS),
        ("🤔", {"conversation": _open()}, None),
        ("🤔", {"held": True}, None),
        ("🤔", {"queued": True}, None),
        ("🤔", {"status": "stopped"}, None),
        # Ordinary messages.
        ("1", {"conversation": _open()}, None),
        ("Jeg har betalt", {}, None),
        ("", {}, None),
        (None, {}, None),
    ],
)
def test_simple_commands(text: str | None, changes: dict[str, Any], expected: CommandResult | None) -> None:
    assert command(text, _facts(**changes), NOW) == expected


@pytest.mark.parametrize("open_state", [_open(), _open(("3",)), _open(channel="telegram")])
def test_words_of_crisis_end_the_open_conversation_so_no_question_or_nudge_of_it_follows(open_state: State) -> None:
    """At the rent question or the consent question: the crisis line and the adviser word, and the conversation ends
    without a word (its nudge about the rent never comes); RÅDGIVER then begins the way to a person anew."""
    result = command("jeg orker ikke at leve mere", _facts(conversation=open_state), NOW)
    assert result is not None and result.events == (*CRISIS.events, ConversationEnded("crisis"))
    assert result.resumed is not None and (result.resumed.ended, result.resumed.end_reason) == (True, "crisis")
    assert engine.resume(result.resumed, TextReceived("hej", "sms"), NOW) == (result.resumed, [])


def test_words_of_crisis_leave_the_conversation_a_person_holds_the_case_with() -> None:
    """While a person holds the case, the conversation they asked a question in stays theirs: the line alone."""
    result = command("selvmord", _facts(held=True, consented=True, conversation=_open(("3",))), NOW)
    assert result == _crisis(offer=0)


def test_always_on_kinds() -> None:
    assert ALWAYS_ON == ("opt_out", "opt_in", "language", "withdraw_consent")


HELP_GIVEN = (MessageRequested("help_info.about", {**VALUES, "consented": 0}), ConversationEnded("help_given"))


@pytest.mark.parametrize(
    ("conversation", "channel"),
    [
        (None, "sms"),
        (None, "telegram"),
        (_open(("2",)), "sms"),  # asks for a date: HJÆLP is no answer to it
        (_open(("3",)), "sms"),  # asks for consent: yes or no only
    ],
    ids=["no conversation", "on telegram", "date question", "consent question"],
)
def test_help_outside_a_question_that_takes_it_starts_help_info(conversation: State | None, channel: str) -> None:
    facts = _facts(conversation=conversation, channel=channel)
    result = command("HJÆLP", facts, NOW)
    assert result is not None and result.kind == "help"
    assert result.events == HELP_GIVEN
    assert result.resumed is None
    started = result.started
    assert started is not None
    assert (started.flow, started.step, started.ended, started.end_reason) == ("help_info", "about", True, "help_given")
    assert (started.language, started.channel, started.first_name, started.trigger) == ("da", channel, "Amina", None)


@pytest.mark.parametrize(
    "conversation", [None, _open(), _open(("2",)), _open(("3",))], ids=["none", "question", "date", "consent"]
)
@pytest.mark.parametrize("text", ["er det her svindel?", "hvem er I? er det fup", "er det ægte?"])
def test_a_scam_question_gets_who_writes_and_what_is_never_asked_in_every_state(
    conversation: State | None, text: str
) -> None:
    """ "Er det her svindel?" got "Ring…" or "we have your message": it gets the help text (who writes), told that a
    scam is feared, and an open question waits on untouched."""
    result = command(text, _facts(conversation=conversation), NOW)
    assert result is not None and result.kind == "who" and result.resumed is None
    assert result.events == (
        MessageRequested("help_info.about", {**VALUES, "consented": 0, "scam": 1}),
        ConversationEnded("help_given"),
    )


def test_a_scam_question_while_a_person_holds_the_case_is_theirs_to_answer() -> None:
    assert command("er det svindel?", _facts(held=True, consented=True, conversation=_open(("3",))), NOW) is None


@pytest.mark.parametrize("word", ["HJÆLP", "help", "info"])
def test_help_word_is_the_answer_when_the_open_question_takes_it(word: str) -> None:
    assert command(word, _facts(conversation=_open()), NOW) is None


def test_help_is_in_english_too() -> None:
    result = command("HELP", _facts(language="en", languages=("da", "en")), NOW)
    assert result is not None and result.events == HELP_GIVEN
    assert result.started is not None and result.started.language == "en"


QUESTION_CHOICES = (
    Choice("paid", "choice.paid"),
    Choice("will_pay", "choice.will_pay"),
    Choice("adviser", "choice.adviser"),
    Choice("info", "choice.info"),
    Choice("part", "choice.part"),
)


@pytest.mark.parametrize("channel", ["sms", "telegram"])
def test_language_switch_asks_the_open_question_again_in_the_new_language(channel: str) -> None:
    conversation = _open(channel=channel)
    result = command("ENGLISH", _facts(conversation=conversation, channel=channel), NOW)
    resumed = replace(conversation, language="en")
    # SMS lists the same choices as numbers, without the Telegram-only "part".
    choices = QUESTION_CHOICES if channel == "telegram" else tuple(c for c in QUESTION_CHOICES if c.key != "part")
    question = MessageRequested("payment_check.question", {"first_name": "Amina", "trigger": "missed"}, choices)
    assert result == CommandResult(
        "language",
        (LanguageChanged("en"), MessageRequested("keyword.language_changed"), question),
        resumed=resumed,
    )


@pytest.mark.parametrize("changes", [{"held": True}, {"status": "stopped"}], ids=["held", "stopped"])
def test_language_switch_without_asking_again(changes: dict[str, Any]) -> None:
    assert command("ENGLISH", _facts(conversation=_open(), **changes), NOW) == TO_ENGLISH


def test_language_becomes_live_when_listed() -> None:
    result = command("Türkçe", _facts(languages=("da", "en", "tr")), NOW)
    assert result == CommandResult("language", (LanguageChanged("tr"), MessageRequested("keyword.language_changed")))


def test_telegram_over_sms_answers_the_offer_with_the_tenants_own_word() -> None:
    result = command("Telegram", _facts(conversation=_open()), NOW)
    assert result is not None
    assert result.events == (
        AnswerRecorded("offer", "yes", "Telegram"),
        MessageRequested("telegram_offer.requested", VALUES),
        TelegramLinkRequested(),
        ConversationEnded("link_requested"),
    )
    assert result.kind == "telegram" and result.resumed is None
    started = result.started
    assert started is not None
    assert (started.flow, started.channel, started.ended, started.end_reason) == (
        "telegram_offer",
        "sms",
        True,
        "link_requested",
    )


@pytest.mark.parametrize(
    "changes",
    [{"channel": "telegram"}, {"status": "stopped"}, {"telegram_on": False}],
    ids=["on telegram", "stopped", "telegram off"],
)
def test_telegram_is_an_ordinary_message_otherwise(changes: dict[str, Any]) -> None:
    assert command("TELEGRAM", _facts(**changes), NOW) is None


REPORTED_WRONG = CommandResult("reported_wrong", (MessageRequested("keyword.number_reported_wrong"),), daily=True)


@pytest.mark.parametrize("text", ["hej", "Hello?", "TELEGRAM", "1", "ja", "kan betale fredag"])
@pytest.mark.parametrize("held", [False, True])
def test_whoever_holds_a_number_reported_wrong_gets_an_answer_once_a_day(text: str, held: bool) -> None:
    """ "Hej" from a number reported wrong: whoever holds it now is answered (that nothing is written here, whom to call
    if it is theirs), once a day, never silence, and nothing of the former tenant's conversation answers it."""
    facts = _facts(status="wrong_number", held=held, conversation=_open())
    assert command(text, facts, NOW) == REPORTED_WRONG
    assert command(text, _facts(), NOW) != REPORTED_WRONG


@pytest.mark.parametrize(
    "changes",
    [{}, {"held": True}, {"case_waiting": True}, {"channel": "telegram"}],
    ids=["free", "held", "waiting", "telegram"],
)
def test_withdrawal_of_a_standing_consent_starts_withdraw_consent(changes: dict[str, Any]) -> None:
    facts = _facts(consented=True, **changes)
    result = command("TILBAGEKALD", facts, NOW)
    assert result is not None and result.kind == "withdraw_consent"
    assert result.events == (
        ConsentWithdrawn("adviser"),
        # Whether a person holds the case: the text then says that adviser still reads along. Whether it waits in the
        # queue: it stays there without the consent, and the text says an adviser may still call.
        MessageRequested("consent.withdrawn", {**VALUES, "held": int(facts.held), "waiting": int(facts.case_waiting)}),
        ConversationEnded("consent_withdrawn"),
    )
    started = result.started
    assert started is not None and result.resumed is None
    assert (started.flow, started.channel, started.end_reason) == (
        "withdraw_consent",
        facts.channel,
        "consent_withdrawn",
    )


def test_a_naive_clock_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        command("STOP", _facts(), NOW.replace(tzinfo=None))


def test_a_wish_to_stop_in_a_sentence_keeps_what_else_it_says() -> None:
    """ "Jeg har betalt, stop med at skrive": the payment is claimed (reminders pause) and the hint says the word
    that stops; before, only the hint came and the payment was lost."""
    facts = _facts(conversation=_open())
    result = command("jeg har betalt, stop med at skrive", facts, NOW)
    assert result is not None and result.kind == "stop_hint"
    kinds = [type(e).__name__ for e in result.events]
    assert "PaidClaimed" in kinds and kinds[-1] == "MessageRequested"
    assert result.events[-1] == MessageRequested("keyword.stop_hint")
    assert result.resumed is not None and result.resumed.ended
    # A wish to stop alone is only the hint, no miss counted at the open question.
    alone = command("stop med at skrive til mig", facts, NOW)
    assert alone is not None and alone.events == (MessageRequested("keyword.stop_hint"),) and alone.resumed is None


def test_no_more_sms_at_the_telegram_offer_is_its_yes_and_the_word_that_stops() -> None:
    """ "No more sms" to "would you rather write with us on Telegram?" turns SMS down: the code is sent (it was read
    as a no thanks, keeping the SMS it turns down), and the hint says the word that stops all messages, if meant."""
    offer, _ = engine.start("telegram_offer", Context("Amina", "en", "sms", None), NOW)
    result = command("no more sms", _facts(language="en", conversation=offer), NOW)
    assert result is not None and result.kind == "stop_hint"
    assert [type(e).__name__ for e in result.events].count("TelegramLinkRequested") == 1
    assert result.events[-1] == MessageRequested("keyword.stop_hint")


def test_a_no_under_an_ended_consent_question_tells_a_standing_yes_stands_and_withdraws_nothing() -> None:
    facts = _facts(consented=True, channel="telegram")
    said = pressed_earlier("no", "consent.ask", facts)
    assert said is not None and said.events == (MessageRequested("consent.still_stands"),)  # no ConsentWithdrawn
    assert pressed_earlier("yes", "consent.ask", facts) is None  # the flow's rule for an old button
    assert pressed_earlier("no", "share_consent.ask", facts) is None  # another question's no
    assert pressed_earlier("no", "consent.ask", replace(facts, consented=False)) is None  # no yes to stand
    assert pressed_earlier("no", "consent.ask", replace(facts, held=True)) is None  # the person's to read


def test_the_same_answer_pressed_again_right_after_is_answered_with_nothing() -> None:
    facts = _facts(consented=True, channel="telegram")
    said_yes, _ = engine.resume(_open(("ring til mig",), "telegram"), ButtonPressed("yes", "telegram"), NOW)
    assert said_yes.ended and said_yes.data["consent"] == "yes"
    again = pressed_earlier("yes", "consent.ask", facts, again=True, under=said_yes)
    assert again is not None and again.events == ()
    # Not right after (something was said between), or another choice: the rules for an old button.
    assert pressed_earlier("yes", "consent.ask", facts, under=said_yes) is None
    said = pressed_earlier("no", "consent.ask", facts, again=True, under=said_yes)
    assert said is not None and said.events == (MessageRequested("consent.still_stands"),)
    # The first press began the conversation now open ("Tal med en rådgiver" under an old reminder): the same.
    began = _facts(conversation=_open(("ring til mig",), "telegram"), channel="telegram")
    assert pressed_earlier("adviser", "payment_check.question", began, again=True) is not None
    assert pressed_earlier("paid", "payment_check.question", began, again=True) is None


@pytest.mark.parametrize(("reached", "told"), [(False, False), (True, True)])
def test_a_wrong_number_from_an_opted_out_tenant_is_told_only_where_a_reply_reaches(reached: bool, told: bool) -> None:
    result = command("FORKERT NUMMER", _facts(status="stopped", reached=reached), NOW)
    assert result is not None and result.kind == "wrong_number"
    said = (MessageRequested("keyword.wrong_number"),) if told else ()
    assert result.events == (*said, WrongNumberReported())


@pytest.mark.parametrize("text", ["HJÆLP", "SPROG ENGELSK", "TILBAGEKALD", "hvem er du?", "FORKERT NUMMER", "STOP"])
def test_an_opted_out_tenant_no_reply_reaches_hears_nothing_from_a_command_but_start(text: str) -> None:
    """Opted out where no reply may reach them (imported so, or by the carrier's STOP): a keyword records what it
    records, and sends no word; START alone is answered (it is what brings the messages back)."""
    result = command(text, _facts(status="stopped", reached=False), NOW)
    said = [] if result is None else [e for e in result.events if isinstance(e, MessageRequested)]
    assert said == []
    welcomed = command("START", _facts(status="stopped", reached=False), NOW)
    assert welcomed is not None and any(isinstance(e, MessageRequested) for e in welcomed.events)
    reached = command(text, _facts(status="stopped", reached=True), NOW)
    assert reached is None or text == "STOP" or any(isinstance(e, MessageRequested) for e in reached.events)


@pytest.mark.parametrize(
    "text",
    ["forstår ikke", "Forstår ikke?", "jeg forstår det ikke", "forstar ik", "I don't understand", "I dont understand"],
)
def test_not_understanding_in_a_danish_conversation_gets_the_language_words_and_the_question_waits(text: str) -> None:
    # A tenant who cannot read the question hears how to switch language (and a person to call), not the flow's next
    # question nor "we did not understand": nothing is answered, no try is used, the conversation is left as it was.
    state = _open(("2",))
    result = command(text, _facts(conversation=state), NOW)
    # English has a sentence of its own in the hint ("Write ENGLISH to …"): the list of other words leaves it out.
    hint = MessageRequested("common.language_hint", {"words": "", "english": 1, "danish": 0})
    assert result == CommandResult("language_hint", (hint,))
    four = _facts(conversation=state, languages=("da", "en", "ar", "tr"))
    assert command(text, four, NOW) == CommandResult(
        "language_hint",
        (MessageRequested("common.language_hint", {"words": "العربية / TÜRKÇE", "english": 1, "danish": 0}),),
    )
    # In English it is the Danish word that is offered.
    english = command(text, _facts(language="en", conversation=replace(state, language="en")), NOW)
    assert english is not None and english.events[0] == MessageRequested(
        "common.language_hint", {"words": "", "english": 0, "danish": 1}
    )


@pytest.mark.parametrize(
    ("text", "facts"),
    [
        ("jeg forstår ikke hvad I mener med det", {}),  # a question of their own, told: the conversation reads it
        ("ok jeg forstår", {}),
        ("I understand Danish, just not this letter", {}),
        ("forstår ikke", {"held": True}),  # a person holds the case: theirs to read
        ("forstår ikke", {"languages": ("da",)}),  # no other language to offer
        ("forstår ikke", {"status": "stopped"}),
    ],
)
def test_not_understanding_is_only_the_hint_when_it_says_only_that_and_a_language_can_be_offered(
    text: str, facts: dict[str, Any]
) -> None:
    result = command(text, _facts(conversation=_open(("2",)), **facts), NOW)
    assert result is None or result.kind != "language_hint"


def test_i_do_not_understand_danish_switches_to_english_where_english_is_on() -> None:
    result = command("I do not understand Danish", _facts(conversation=_open(("2",))), NOW)
    assert result is not None and result.kind == "language"
