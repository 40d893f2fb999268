"""Engine behaviour around the flows: state round-trips, waits, facts, changed flows, help word."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from conversations.engine import (
    accepts_help_word,
    consent_answer,
    current_question,
    resume,
    said_again,
    start,
    start_with_button,
    start_with_text,
    took,
)
from conversations.model import (
    AnswerRecorded,
    ButtonPressed,
    Channel,
    ClaimWithdrawn,
    ConsentGiven,
    ConsentWithdrawn,
    Context,
    ConversationEnded,
    Event,
    FactReported,
    FlowSettings,
    HandoffRequested,
    Input,
    MessageRequested,
    PaidClaimed,
    PromiseRecorded,
    TextReceived,
    WaitExpired,
)
from conversations.state import State
from conversations.values import Value
from tests.conversations.transcript_play import RENDERER

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
SETTINGS = FlowSettings(paid_pause_days=5, nudge_after_hours=24, give_up_after_hours=48)


def _start(channel: str = "sms", trigger: str | None = "missed") -> State:
    context = Context("", "da", "sms" if channel == "sms" else "telegram", trigger, SETTINGS)
    state, _events = start("payment_check", context, NOW)
    return state


def test_state_round_trips_through_json() -> None:
    state = _start()
    state, _ = resume(state, TextReceived("2", "sms"), NOW)
    assert State.load(json.dumps(state.to_dict())) == state  # as the host stores it and reads it back
    assert state.waiting_until == NOW + timedelta(hours=24)
    assert state.expires_at == NOW + timedelta(hours=48)


def test_waiting_question_exposes_when_the_host_should_deliver_wait_expired() -> None:
    state = _start()
    assert state.waiting_until == NOW + timedelta(hours=24)
    early, events = resume(state, WaitExpired(), NOW + timedelta(hours=1))
    assert events == [] and early == state
    nudged, events = resume(state, WaitExpired(), NOW + timedelta(hours=24))
    assert [e.template for e in events if isinstance(e, MessageRequested)] == ["common.nudge"]
    assert nudged.waiting_until == NOW + timedelta(hours=48)
    ended, events = resume(nudged, WaitExpired(), NOW + timedelta(hours=48))
    assert ended.ended and events == [ConversationEnded("no_response")]


def test_a_nudge_found_only_after_the_give_up_time_is_not_sent() -> None:
    # The service was down (or the demo's clock jumped) past both times: no "you can still answer" that the
    # conversation's end would contradict a minute later.
    state = _start()
    ended, events = resume(state, WaitExpired(), NOW + timedelta(hours=60))
    assert ended.ended and events == [ConversationEnded("no_response")]
    _, events = resume(state, WaitExpired(), NOW + timedelta(hours=47, minutes=59))
    assert [e.template for e in events if isinstance(e, MessageRequested)] == ["common.nudge"]


def test_paid_claim_pauses_reminders_from_the_local_date() -> None:
    late_evening_utc = datetime(2026, 12, 3, 23, 30, tzinfo=ZoneInfo("UTC"))
    state = _start()
    _, events = resume(state, TextReceived("1", "sms"), late_evening_utc)
    paid = [e for e in events if isinstance(e, PaidClaimed)]
    assert paid and paid[0].pause_until.isoformat() == "2026-12-09"


def test_a_conversation_waiting_when_its_flow_changed_ends_and_offers_a_person() -> None:
    state = replace(_start(), flow_version=0)
    ended, events = resume(state, TextReceived("1", "sms"), NOW)
    assert ended.ended and ended.end_reason == "flow_changed"
    assert [e.template for e in events if isinstance(e, MessageRequested)] == ["common.flow_changed"]
    gone = replace(_start(), step="a step that no longer exists")
    assert resume(gone, TextReceived("1", "sms"), NOW)[0].end_reason == "flow_changed"


def test_payment_fact_ends_only_a_reminder_conversation() -> None:
    _, events = resume(_start(trigger=None), FactReported("balance_cleared"), NOW)
    assert events == []
    ended, events = resume(_start(), FactReported("balance_cleared"), NOW)
    assert ended.end_reason == "paid" and isinstance(events[0], MessageRequested)


@pytest.mark.parametrize("fact", ["case_taken", "case_closed"])
def test_adviser_facts_end_without_a_message(fact: str) -> None:
    ended, events = resume(_start(), FactReported(fact), NOW)
    assert ended.end_reason == "handed_off" and events == [ConversationEnded("handed_off")]


def test_unknown_fact_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown fact"):
        resume(_start(), FactReported("rent_raised"), NOW)


@pytest.mark.parametrize("digit", ["1", "2", "3", "4", "5", "1 og 3"])
def test_a_typed_number_picks_by_sms_and_asks_which_one_on_telegram(digit: str) -> None:
    """The SMS lists 1 to 4, so a number picks there. Telegram's text numbers nothing (its answers are buttons): a
    number typed there picks no button by its place ("1" would claim a payment), as with nothing open; which answer
    is meant is asked, the buttons again, no try used."""
    on_sms = resume(_start("sms"), TextReceived(digit, "sms"), NOW)[0]
    assert on_sms.step != "question" or digit in ("5", "1 og 3")
    asked = _start("telegram")
    on_telegram, events = resume(asked, TextReceived(digit, "telegram"), NOW)
    assert (on_telegram.step, on_telegram.retries, on_telegram.data) == ("question", 0, {})
    said = [e for e in events if isinstance(e, MessageRequested)]
    assert [e.template for e in said] == ["common.which_option"]
    assert [c.key for c in said[0].choices] == ["paid", "will_pay", "adviser", "info", "part"]
    assert not any(isinstance(e, PaidClaimed) for e in events)


# The opening question's answers in the order the SMS numbers them (and Telegram shows its buttons).
_MENU = {"1": "paid", "2": "will_pay", "3": "adviser", "4": "info", "5": "part"}


def _menu(digit: str, channel: Channel) -> Input:
    """The opening question answered as the channel answers it: its number by SMS, its button on Telegram."""
    return TextReceived(digit, "sms") if channel == "sms" else ButtonPressed(_MENU[digit], "telegram")


@pytest.mark.parametrize("language", ["da", "en", "ar", "tr"])
def test_the_sms_menus_own_words_typed_back_pick_their_option(language: str) -> None:
    """ "Beni arayın", "سأدفع": a tenant who types an option's words as the SMS lists them, not its number, means that
    option, in Arabic and Turkish too (their menus' words were "not understood")."""
    asked, events = start("payment_check", Context("", language, "sms", "missed", SETTINGS), NOW)
    question = next(e for e in events if isinstance(e, MessageRequested))
    text = RENDERER.render(question.template, question.values, language, "sms", question.choices, now=NOW).text
    listed = dict(re.findall(r"^([1-4]) (.+?)$", text, re.MULTILINE))
    assert sorted(listed) == ["1", "2", "3", "4"], text
    # 4 too: its words ask "what help?" ("4 Hvilken hjælp?", "4 أي مساعدة؟", "4 Hangi yardım?"), the information,
    # never a person as a bare "help?" would.
    for digit, words in listed.items():
        _state, answered = resume(asked, TextReceived(words, "sms"), NOW)
        said = [e.value for e in answered if isinstance(e, AnswerRecorded)]
        assert said[:1] == [_MENU[digit]], (words, said)


def _opening_answered(language: str, text: str) -> tuple[State, list[Event]]:
    asked, _events = start("payment_check", Context("", language, "sms", "missed", SETTINGS), NOW)
    return resume(asked, TextReceived(text, "sms"), NOW)


@pytest.mark.parametrize("text", ["دفعت نصف الإيجار", "دفعت جزء فقط", "دفعت 3000 والباقي الشهر القادم", "هل دفعت؟"])
def test_an_arabic_part_or_question_with_the_menus_paid_word_claims_no_payment(text: str) -> None:
    """ "دفعت" (paid) typed back alone is the menu's "paid"; with a part said ("paid half the rent") or asked ("did I
    pay?") it pauses no reminder, as "jeg har betalt halvdelen" and "har jeg betalt?" claim no full payment."""
    _state, events = _opening_answered("ar", text)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)][:1] != ["paid"]
    assert not any(isinstance(e, PaidClaimed) for e in events)
    _state, events = _opening_answered("ar", "دفعت")
    assert any(isinstance(e, PaidClaimed) for e in events)


@pytest.mark.parametrize("text", ["دفعت اليوم", "دفعت الإيجار اليوم", "دفعت الإيجار", "دفعت أمس"])
def test_the_arabic_paid_word_with_the_rent_or_a_day_is_paid(text: str) -> None:
    """ "دفعت الإيجار اليوم" (I paid the rent today) is paid, as "jeg har betalt i dag" is: never a promise for today,
    nor "not understood"."""
    state, events = _opening_answered("ar", text)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)][:1] == ["paid"]
    assert any(isinstance(e, PaidClaimed) for e in events)
    assert "pay_on" not in state.data


@pytest.mark.parametrize(
    ("text", "hour"),
    [("yarın saat 15'te öderim", "15"), ("cuma günü saat 14'te öderim", "14"), ("saat 10'da öderim", "10")],
)
def test_a_turkish_time_of_day_is_no_day_of_the_month(text: str, hour: str) -> None:
    """ "saat 15'te" is at three o'clock, as "kl. 15" is: never a promise for the 15th."""
    state, events = _opening_answered("tr", text)
    assert not any(isinstance(e, AnswerRecorded) and str(e.value).endswith(f"-{hour}") for e in events), events
    assert not str(state.data.get("pay_on", "")).endswith(f"-{hour}")


@pytest.mark.parametrize(
    ("language", "text"),
    [("tr", "danışman istemiyorum"), ("tr", "danışman yok"), ("ar", "لا أريد مستشار"), ("ar", "مستشار لا")],
)
def test_an_adviser_turned_down_in_arabic_or_turkish_is_a_no_thanks(language: str, text: str) -> None:
    """ "I don't want an adviser" is a no thanks, as "jeg vil ikke have en rådgiver" is, never a call asked for."""
    _state, events = _opening_answered(language, text)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)][:1] == ["no_thanks"]


@pytest.mark.parametrize(
    ("language", "text"),
    [("ar", "لا، أريد مستشار"), ("tr", "danışman yok mu"), ("tr", "hiç danışman yok mu"), ("tr", "danışman yok mı?")],
)
def test_a_plain_no_or_a_question_beside_the_adviser_word_asks_for_the_adviser(language: str, text: str) -> None:
    """ "لا، أريد مستشار" (no, I want an adviser) and "danışman yok mu?" (isn't there an adviser?) ask for one, as
    "nej, jeg vil gerne have en rådgiver" does: never a no thanks."""
    _state, events = _opening_answered(language, text)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)][:1] == ["adviser"]


@pytest.mark.parametrize(
    ("language", "text", "day"),
    [
        ("tr", "cuma", date(2026, 12, 4)),
        ("tr", "cumartesi günü", date(2026, 12, 5)),
        ("tr", "çarşamba", date(2026, 12, 9)),
        ("tr", "yarın", date(2026, 12, 4)),
        ("ar", "الجمعة", date(2026, 12, 4)),
        ("ar", "يوم الأربعاء", date(2026, 12, 9)),
        ("ar", "غداً", date(2026, 12, 4)),
    ],
)
def test_an_arabic_or_turkish_weekday_or_tomorrow_answers_when(language: str, text: str, day: date) -> None:
    """ "cuma", "الجمعة" (Friday), "yarın", "غداً" (tomorrow) asked when they can pay are that day, as "fredag" and
    "i morgen" are; they were "not understood" and the day of the month asked again."""
    asked, _events = start("payment_check", Context("", language, "sms", "missed", SETTINGS), NOW)
    when, _events = resume(asked, TextReceived("2", "sms"), NOW)
    promised, events = resume(when, TextReceived(text, "sms"), NOW)
    assert str(promised.data.get("pay_on")) == day.isoformat(), events


@pytest.mark.parametrize(("language", "text"), [("tr", "maaştan sonra"), ("ar", "بعد الراتب")])
def test_after_payday_in_arabic_or_turkish_asks_which_day_the_money_comes(language: str, text: str) -> None:
    """ "After payday" asked when: which day the money comes, as "efter lønningsdag" asks, not "not understood"."""
    asked, _events = start("payment_check", Context("", language, "sms", "missed", SETTINGS), NOW)
    when, _events = resume(asked, TextReceived("2", "sms"), NOW)
    _state, events = resume(when, TextReceived(text, "sms"), NOW)
    assert [e.template for e in events if isinstance(e, MessageRequested)] == ["common.which_payday"]


@pytest.mark.parametrize(("language", "word"), [("ar", "مستشار"), ("tr", "DANIŞMAN")])
def test_arabic_and_turkish_texts_name_an_adviser_word_their_keyboards_type(language: str, word: str) -> None:
    """The Arabic and Turkish texts named RÅDGIVER, whose "Å" those keyboards hardly type: they name their own word,
    and that word typed back at a question reaches the adviser's consent question, as RÅDGIVER does."""
    folder = Path(__file__).parents[2] / "templates" / language
    assert [p.name for p in sorted(folder.glob("*.txt")) if "RÅDGIVER" in p.read_text(encoding="utf-8")] == []
    told = RENDERER.render("payment_check.help_open", {}, language, "sms", (), now=NOW).text
    assert word in told, told
    asked, _events = start("payment_check", Context("", language, "sms", "missed", SETTINGS), NOW)
    when, _events = resume(asked, TextReceived("2", "sms"), NOW)
    _state, events = resume(when, TextReceived(word, "sms"), NOW)
    assert [e.template for e in events if isinstance(e, MessageRequested)] == ["consent.ask"]


def test_ended_conversation_ignores_input() -> None:
    ended, _ = resume(_start(), TextReceived("4", "sms"), NOW)
    assert ended.ended
    assert resume(ended, TextReceived("1", "sms"), NOW) == (ended, [])


def test_help_word_is_an_answer_only_where_the_question_offers_help() -> None:
    state = _start()
    assert accepts_help_word(state)
    when, _ = resume(state, TextReceived("2", "sms"), NOW)
    assert not accepts_help_word(when)


def test_sms_never_offers_part_payment_and_telegram_does() -> None:
    def offered(state: State) -> list[str]:
        return [c.key for e in current_question(state) if isinstance(e, MessageRequested) for c in e.choices]

    assert "part" not in offered(_start("sms"))
    assert "part" in offered(_start("telegram"))
    # Written in own words, a part payment offered over SMS is heard and help is offered; no amount is asked for.
    _state, events = resume(_start("sms"), TextReceived("kan betale en del", "sms"), NOW)
    assert _templates(events) == ["payment_check.heard", "consent.ask"]
    _state, events = resume(_start("telegram"), TextReceived("kan betale en del", "telegram"), NOW)
    assert _templates(events) == ["payment_check.how_much"]
    # A part already paid is thanked for and the rest asked about, on both channels: never "how much can you pay?",
    # never the paid pause.
    for channel in ("sms", "telegram"):
        _state, events = resume(_start(channel), TextReceived("har betalt en del", channel), NOW)
        assert _templates(events) == ["payment_check.rest_when"]
        assert not [e for e in events if isinstance(e, PaidClaimed)]


def _templates(events: list[Event]) -> list[str]:
    return [e.template for e in events if isinstance(e, MessageRequested)]


def _values_of(events: list[Event], template: str) -> dict[str, Value]:
    """The values the first message of `template` among the events was asked with."""
    return next(e.values for e in events if isinstance(e, MessageRequested) and e.template == template)


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(
    "text",
    ["jeg kan ikke betale", "har ikke betalt", "jeg har mistet mit job", "ingen penge", "syg",
     "min søn plejer at ordne den slags"],
)  # fmt: skip
def test_hardship_or_four_unplaceable_words_are_heard_and_offered_an_adviser(text: str, channel: str) -> None:
    state, events = resume(_start(channel), TextReceived(text, "sms" if channel == "sms" else "telegram"), NOW)
    assert _templates(events) == ["payment_check.heard", "consent.ask"]
    assert state.step == "consent"


def test_three_unplaceable_words_are_asked_again_with_a_way_to_a_person() -> None:
    _state, events = resume(_start(), TextReceived("det er mærkeligt", "sms"), NOW)
    assert _templates(events) == ["common.not_understood", "payment_check.question"]


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(
    ("step", "text"),
    [("question", "hvornår skal jeg betale"), ("question", "Hvornår skal jeg betale?"), ("question", "hvad mener du"),
     ("question", "hvad er et påkrav"), ("question", "what does this mean"), ("question", "how do I pay"),
     ("question", "when do I have to pay"), ("when", "hvornår er fristen"), ("when", "what happens now"),
     ("consent", "hvad sker der så"), ("consent", "what does that mean")],
)  # fmt: skip
def test_a_question_in_words_without_its_question_mark_is_asked_not_answered(
    step: str, text: str, channel: Channel
) -> None:
    """A basic phone's "hvornår skal jeg betale" is a question of the tenant's own: where a person answers it, and the
    question waits, no try used; never a promise to pay, a miss, or own words taken as what happened."""
    state = _start(channel)
    if step != "question":
        state, _ = resume(state, ButtonPressed("will_pay" if step == "when" else "adviser", channel), NOW)
    assert state.step == step
    after, events = resume(state, TextReceived(text, channel), NOW)
    assert _templates(events) == ["common.question_asked"]
    assert after == state


@pytest.mark.parametrize(
    ("text", "reading"),
    [("hvad kan I hjælpe med", "info"), ("hvornår kan I ringe", "adviser"), ("hvad med fredag", "will_pay"),
     ("how about friday", "will_pay"), ("when I get paid", "will_pay"), ("Hvorfor skriver I? Jeg har betalt", "paid"),
     ("hvorfor skriver I, jeg har betalt", "paid"), ("hvad hvis jeg betaler på fredag", "will_pay")],
)  # fmt: skip
def test_a_question_word_that_answers_is_still_the_answer(text: str, reading: str) -> None:
    _state, events = resume(_start(), TextReceived(text, "sms"), NOW)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)][:1] == [reading]


def test_a_promise_in_the_first_answer_is_recorded_at_once() -> None:
    state, events = resume(_start(), TextReceived("betaler på fredag", "sms"), NOW)
    assert [e for e in events if isinstance(e, PromiseRecorded)] == [PromiseRecorded(date(2026, 12, 4))]
    assert state.end_reason == "promised" and state.data["pay_on"] == "2026-12-04"


def test_an_amount_in_the_first_answer_on_telegram_is_a_part_payment() -> None:
    state, events = resume(_start("telegram"), TextReceived("kan betale 2000", "telegram"), NOW)
    assert state.step == "reason"
    assert state.data == {"question": "part", "question_text": "kan betale 2000", "amount": 200000}
    assert _templates(events) == ["payment_check.reason"]


@pytest.mark.parametrize("text", ["0", "ingenting"])
def test_nothing_is_an_amount_that_leads_on_to_help(text: str) -> None:
    state, _events = resume(_start("telegram"), ButtonPressed("part", "telegram"), NOW)
    state, _events = resume(state, TextReceived(text, "telegram"), NOW)
    assert state.step == "reason" and state.data["amount"] == 0


def test_i_cannot_pay_answers_when_too() -> None:
    state, _ = resume(_start(), TextReceived("2", "sms"), NOW)
    state, events = resume(state, TextReceived("jeg har ingen penge", "sms"), NOW)
    assert _templates(events) == ["payment_check.heard", "consent.ask"]


@pytest.mark.parametrize("text", ["jeg har betalt", "har allerede betalt i går"])
def test_i_have_paid_answers_when_too(text: str) -> None:
    """Asked when they will pay, a tenant remembers they already did: heard as paid (the claim recorded), not a
    date not understood twice and the conversation ended."""
    state, _ = resume(_start(), TextReceived("2", "sms"), NOW)
    state, events = resume(state, TextReceived(text, "sms"), NOW)
    assert _templates(events) == ["payment_check.paid"]
    assert any(isinstance(e, PaidClaimed) for e in events) and state.end_reason == "paid_claimed"


def _with_deadline(deadline: date | None, trigger: str = "demand") -> State:
    state, _events = start("payment_check", Context("", "da", "sms", trigger, SETTINGS, deadline), NOW)
    return state


@pytest.mark.parametrize(
    ("deadline", "pay_on", "template", "after"),
    [
        (date(2026, 12, 10), "den 8.", "payment_check.promised", False),
        (date(2026, 12, 10), "den 10.", "payment_check.promised", False),
        (date(2026, 12, 10), "den 15.", "payment_check.promised_late", True),
        (date(2026, 12, 1), "den 15.", "payment_check.promised", True),  # passed: no letter deadline to keep
        (None, "den 15.", "payment_check.promised", False),
    ],
)
def test_a_promise_after_the_deadline_is_flagged_and_asks_to_pay_within_it(
    deadline: date | None, pay_on: str, template: str, after: bool
) -> None:
    state, _events = resume(_with_deadline(deadline), TextReceived("2", "sms"), NOW)
    state, events = resume(state, TextReceived(pay_on, "sms"), NOW)
    assert [e.after_deadline for e in events if isinstance(e, PromiseRecorded)] == [after]
    assert _templates(events) == [template]
    assert state.end_reason == "promised"


def test_the_deadline_survives_json_and_an_older_state_without_it_loads() -> None:
    state = _with_deadline(date(2026, 12, 10))
    assert State.load(json.dumps(state.to_dict())).deadline == date(2026, 12, 10)
    data = state.to_dict()
    del data["deadline"]
    assert State.from_dict(data).deadline is None


def test_two_unplaceable_answers_in_the_last_question_end_with_a_phone_number() -> None:
    state, _ = resume(_start(), TextReceived("3", "sms"), NOW)
    state, _ = resume(state, TextReceived("blå", "sms"), NOW)
    state, events = resume(state, TextReceived("grøn", "sms"), NOW)  # not "ved ikke": no answer yet, heard as one
    assert state.end_reason == "not_understood"
    assert "common.call_adviser" in [e.template for e in events if isinstance(e, MessageRequested)]


@pytest.mark.parametrize("asked", ["Hvad betyder det?", "hvad?", "What does that mean ?", "ماذا يعني هذا؟"])
def test_a_question_of_the_tenants_own_is_no_wrong_answer(asked: str) -> None:
    # At the consent question above all: someone who asks what it means is told where a person explains it, and
    # the question waits; two such questions do not end the conversation.
    state, _ = resume(_start(), TextReceived("3", "sms"), NOW)
    for _ in range(2):
        state, events = resume(state, TextReceived(asked, "sms"), NOW)
        assert _templates(events) == ["common.question_asked"]
    assert (state.step, state.retries, state.ended) == ("consent", 0, False)
    state, _ = resume(state, TextReceived("ja", "sms"), NOW)
    assert state.end_reason == "handed_off"


def test_all_is_well_asked_at_the_opening_question_is_a_question_not_a_no() -> None:
    """ "Alt i orden?" asks whether all is well: told where a person answers it, the question waits, no decline."""
    state, events = resume(_start(), TextReceived("alt i orden?", "sms"), NOW)
    assert _templates(events) == ["common.question_asked"]
    assert (state.step, state.ended) == ("question", False)


def test_a_second_miss_at_the_opening_question_offers_help_and_a_person_not_the_consent_question() -> None:
    state, _ = resume(_start(), TextReceived("æh", "sms"), NOW)
    state, events = resume(state, TextReceived("hmm", "sms"), NOW)
    assert _templates(events) == ["common.call_adviser"]
    assert state.end_reason == "not_understood"


@pytest.mark.parametrize("text", ["Tak", "tak for beskeden!", "Mange tak", "thanks a lot"])
def test_thanks_at_a_question_gets_a_kind_word_and_the_question_waits_as_it_was(text: str) -> None:
    asked = _start()
    state, events = resume(asked, TextReceived(text, "sms"), NOW)
    assert _templates(events) == ["common.thanks_question"]
    assert [type(e) for e in events] == [MessageRequested]  # nothing recorded as an answer
    assert (state.step, state.retries, state.waiting_until, state.ended) == (
        asked.step,
        asked.retries,
        asked.waiting_until,
        False,
    )
    _state, events = resume(state, TextReceived("hmm", "sms"), NOW)  # the first miss is still the first
    assert _templates(events) == ["common.not_understood", "payment_check.question"]


@pytest.mark.parametrize("text", ["næste fredag", "Next Friday", "i næste uge"])
def test_a_day_that_cannot_be_placed_is_asked_about_and_uses_no_try(text: str) -> None:
    # "næste fredag" is a real answer to "when can you pay?": the coming Friday or the one after. It is neither
    # guessed nor "not understood": the tenant is asked which day, and the question stays open as it was.
    asked, _ = resume(_start(), TextReceived("2", "sms"), NOW)
    assert asked.step == "when"
    state, events = resume(asked, TextReceived(text, "sms"), NOW)
    assert _templates(events) == ["common.which_day"]
    assert [type(e) for e in events] == [MessageRequested]  # nothing recorded, no promise
    assert (state.step, state.retries, state.ended) == (asked.step, asked.retries, False)
    state, events = resume(state, TextReceived("hmm", "sms"), NOW)  # a miss after it is still the first
    assert _templates(events) == ["common.not_understood", "payment_check.when"]
    _state, events = resume(state, TextReceived("den 11.", "sms"), NOW)
    assert [e.pay_on for e in events if isinstance(e, PromiseRecorded)] == [date(2026, 12, 11)]


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("jeg betaler næste fredag", "common.which_day"),
        ("kan betale når jeg får løn", "common.which_payday"),  # the day the money comes
        ("betaler når jeg får penge", "common.which_payday"),
        ("I will pay when I get paid", "common.which_payday"),
    ],
)
def test_a_promise_with_a_day_not_placed_is_asked_which_day_not_when(text: str, asked: str) -> None:
    # They said when, only not which day: "when can you pay?" would not have listened.
    state, events = resume(_start(), TextReceived(text, "sms"), NOW)
    assert state.step == "when"
    assert _templates(events) == [asked]
    _state, events = resume(state, TextReceived("den 11.", "sms"), NOW)
    assert [e.pay_on for e in events if isinstance(e, PromiseRecorded)] == [date(2026, 12, 11)]


@pytest.mark.parametrize(
    "text", ["når jeg får løn", "når jeg får penge", "nar jeg far pengene", "efter lønnen", "when I get paid",
             "when my benefits come", "on payday"]
)  # fmt: skip
@pytest.mark.parametrize("channel", ["sms", "telegram"])
def test_pay_when_the_money_comes_is_asked_which_day_it_comes_and_uses_no_try(text: str, channel: Channel) -> None:
    # Asked when they can pay, "when I get paid" is no date keephome can place, but the tenant knows the day: they are
    # asked for it, kindly, never told they were not understood; no try is used and the question stays open.
    asked, _ = resume(_start(channel), ButtonPressed("will_pay", channel), NOW)
    assert asked.step == "when"
    state, events = resume(asked, TextReceived(text, channel), NOW)
    assert _templates(events) == ["common.which_payday"]
    assert not any(isinstance(e, PromiseRecorded) for e in events)
    assert (state.step, state.retries, state.ended) == (asked.step, asked.retries, False)
    rendered = RENDERER.render("common.which_payday", {}, "da", channel, (), now=NOW).text
    assert rendered == "Godt at vide. Hvilken dag får du pengene? Skriv datoen, fx den 15."
    state, events = resume(state, TextReceived("hmm", channel), NOW)  # a miss after it is still the first
    assert _templates(events) == ["common.not_understood", "payment_check.when"]
    _state, events = resume(state, TextReceived("den 15.", channel), NOW)
    assert [e.pay_on for e in events if isinstance(e, PromiseRecorded)] == [date(2026, 12, 15)]


@pytest.mark.parametrize("text", ["ved ikke, når jeg får løn", "jeg får ingen penge"])
def test_not_knowing_or_no_money_is_heard_not_asked_for_a_payday(text: str) -> None:
    asked, _ = resume(_start(), TextReceived("2", "sms"), NOW)
    _state, events = resume(asked, TextReceived(text, "sms"), NOW)
    assert "common.which_payday" not in _templates(events)
    assert "payment_check.heard" in _templates(events)


@pytest.mark.parametrize("text", ["when is the money due?", "hvad nu når jeg ikke har penge"])
def test_a_question_about_the_money_or_no_money_is_not_asked_for_a_payday(text: str) -> None:
    asked, _ = resume(_start(), TextReceived("2", "sms"), NOW)
    _state, events = resume(asked, TextReceived(text, "sms"), NOW)
    assert "common.which_payday" not in _templates(events)


def test_ja_tak_at_the_consent_question_is_a_yes_not_a_thank_you() -> None:
    state, _ = resume(_start(), TextReceived("3", "sms"), NOW)
    assert state.step == "consent"
    state, events = resume(state, TextReceived("ja tak", "sms"), NOW)
    assert "common.thanks_question" not in _templates(events)
    assert any(isinstance(e, ConsentGiven) for e in events)


def test_now_must_be_timezone_aware_and_flow_must_exist() -> None:
    context = Context("", "da", "sms", None, SETTINGS)
    with pytest.raises(ValueError, match="timezone"):
        start("payment_check", context, datetime(2026, 12, 3, 10, 0))
    with pytest.raises(ValueError, match="unknown flow"):
        start("nope", context, NOW)


def test_a_wait_on_a_changed_flow_ends_quietly_instead_of_nudging_an_unanswerable_question() -> None:
    state = replace(_start(), flow_version=0)
    assert state.waiting_until is not None
    ended, events = resume(state, WaitExpired(), state.waiting_until)
    assert ended.end_reason == "flow_changed"
    assert events == [ConversationEnded("flow_changed")]


def test_a_state_saved_with_a_setting_since_removed_still_loads() -> None:
    data = _start().to_dict()
    data["settings"]["a_setting_since_removed"] = 3
    assert State.from_dict(data).settings == SETTINGS


def test_answers_are_kept_by_question_for_the_adviser() -> None:
    context = Context("", "da", "telegram", None, SETTINGS)
    state, _events = start("payment_check", context, NOW)
    for given in (ButtonPressed("part", "telegram"), TextReceived("2.500 kr", "telegram")):
        state, _events = resume(state, given, NOW)
    state, _events = resume(state, TextReceived("  Min bil gik i stykker ", "telegram"), NOW)
    assert state.data == {"question": "part", "amount": 250000, "reason": "Min bil gik i stykker"}
    state = State.load(json.dumps(state.to_dict()))
    state, _events = resume(state, ButtonPressed("other_reason", "telegram"), NOW)  # an earlier question's button
    assert state.data["reason"] == "Min bil gik i stykker"


def test_a_button_of_an_earlier_message_is_no_answer_and_no_miss() -> None:
    asked = _start("telegram")
    for pressed in (ButtonPressed("paid", "telegram", earlier=True), ButtonPressed("yes", "telegram")):
        state, events = resume(asked, pressed, NOW)
        said = [e.template for e in events if isinstance(e, MessageRequested)]
        assert said == ["common.old_button", "payment_check.question"]
        assert (state.step, state.retries, state.data, state.ended) == ("question", 0, {}, False)
    state, _ = resume(asked, ButtonPressed("paid", "telegram"), NOW)  # the same key under the open question
    assert state.data == {"question": "paid"}


def test_a_button_pressed_again_is_a_double_tap_only_while_nothing_was_answered_since() -> None:
    asked = _start("telegram")
    part, _ = resume(asked, ButtonPressed("part", "telegram"), NOW)
    assert part.step == "how_much"
    _, events = resume(part, ButtonPressed("part", "telegram"), NOW)
    assert events == []  # a double tap: the same answer again, nothing more
    amounted, _ = resume(part, TextReceived("3000 kr", "telegram"), NOW)
    assert amounted.step == "reason"
    # The amount answered since: the button belongs to an earlier message, and the open question comes again.
    state, events = resume(amounted, ButtonPressed("part", "telegram"), NOW)
    said = [e.template for e in events if isinstance(e, MessageRequested)]
    assert said == ["common.old_button", "payment_check.reason"]
    assert (state.step, state.retries, state.data) == ("reason", 0, amounted.data)


def test_the_same_words_again_with_nothing_open_are_the_same_answer_only_when_they_would_do_the_same() -> None:
    context = Context("", "da", "sms", "missed", SETTINGS)
    asked, _ = start("payment_check", context, NOW)
    paid, _ = resume(asked, TextReceived("1", "sms"), NOW)  # "Tak for besked …": the conversation ends
    assert paid.ended
    assert said_again("payment_check", paid, "1", NOW)  # a resend: nothing more
    assert not said_again("payment_check", paid, "3", NOW)  # another answer: answered
    assert not said_again("payment_check", paid, "hej", NOW)  # the opening question: something new asked
    promised, _ = resume(resume(asked, TextReceived("2", "sms"), NOW)[0], TextReceived("fredag", "sms"), NOW)
    assert promised.ended and said_again("payment_check", promised, "fredag", NOW)
    assert not said_again("payment_check", promised, "2", NOW)  # "when?" would be asked again
    assert not said_again("payment_check", asked, "1", NOW)  # a question open: it is answered there
    assert not said_again("payment_check", None, "1", NOW)


@pytest.mark.parametrize("channel", ["sms", "telegram"])
def test_a_number_alone_with_nothing_open_claims_no_payment_when_no_numbered_menu_was_the_last_message(
    channel: Channel,
) -> None:
    """ "Hvor meget skylder jeg?" answered, then "1": the tenant was recorded as having paid, which put aside their
    promise. No numbered menu was the message it answers (on Telegram none ever is: the answers are buttons), so it
    picks nothing: the opening question is asked, no try used, nothing claimed."""
    context = Context("Hans", "da", channel, None, SETTINGS)
    owed, _ = start_with_text("payment_check", context, NOW, "hvor meget skylder jeg?")
    asked, _ = start("payment_check", context, NOW)
    promised, _ = resume(
        resume(asked, TextReceived("betaler snart", channel), NOW)[0], TextReceived("20.", channel), NOW
    )
    assert (owed.end_reason, promised.ended) == ("help_given", True)
    for last in (owed, promised):
        state, events = start_with_text("payment_check", context, NOW, "1", last)
        assert not any(isinstance(e, (AnswerRecorded, PaidClaimed)) for e in events), last.end_reason
        assert _templates(events) == ["payment_check.question"] and (state.step, state.retries) == ("question", 0)
    # Words still say it: "jeg har betalt" is the payment claimed, whatever came before.
    _, events = start_with_text("payment_check", context, NOW, "jeg har betalt", promised)
    assert sum(isinstance(e, PaidClaimed) for e in events) == 1


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(
    ("language", "text"),
    [("da", "bliver jeg smidt ud??"), ("da", "mister jeg min lejlighed"), ("en", "will I be evicted"),
     ("en", "will I lose my home")],
)  # fmt: skip
def test_a_worried_question_about_losing_the_home_gets_the_way_to_a_person_not_thanks(
    channel: Channel, language: str, text: str
) -> None:
    """ "Bliver jeg smidt ud??" was thanked for as something told ("Tak, fordi du fortæller det"). It is a worried
    question: that we want to help, the number and its hours; the open question waits, no try used. With nothing
    open, the same words and no question said to wait."""
    asked = _start(channel)
    for path, template in (((), "common.upset_question"), (("3",), "common.upset_question")):
        waiting = _asked(channel, language, path)
        state, events = resume(waiting, TextReceived(text, channel), NOW)
        assert _templates(events) == [template] and state == waiting, path
        said = next(e for e in events if isinstance(e, MessageRequested))
        rendered = RENDERER.render(said.template, said.values, language, channel, (), now=NOW).text
        assert "70 00 00 00" in rendered and ("9" in rendered)
    state, events = start_with_text("payment_check", Context("Hans", language, channel), NOW, text)
    assert _templates(events) == ["common.upset"] and state.ended
    assert asked.step == "question"


def test_a_number_alone_by_sms_still_answers_the_menu_its_last_conversation_left_unanswered() -> None:
    context = Context("", "da", "sms", "missed", SETTINGS)
    asked, _ = start("payment_check", context, NOW)
    expired = replace(asked, ended=True, end_reason="no_response")
    _, events = start_with_text("payment_check", context, NOW, "1", expired)
    assert sum(isinstance(e, PaidClaimed) for e in events) == 1


def test_a_button_of_an_earlier_message_with_nothing_open_is_said_to_be_old_before_the_opening_question() -> None:
    context = Context("", "da", "telegram", None, SETTINGS)
    _state, events = start_with_button("payment_check", context, NOW, "yes", "consent.ask")
    said = [e.template for e in events if isinstance(e, MessageRequested)]
    assert said == ["common.old_button", "payment_check.question"]
    # The opening question's own button means what it said: no word that it is old.
    state, events = start_with_button("payment_check", context, NOW, "paid", "payment_check.question")
    assert state.data == {"question": "paid"} and "common.old_button" not in [
        e.template for e in events if isinstance(e, MessageRequested)
    ]
    assert took(state, "payment_check.question", "paid")
    assert not took(state, "payment_check.question", "adviser") and not took(state, "consent.ask", "paid")


def test_an_option_read_from_own_words_keeps_the_words_for_the_adviser() -> None:
    state, _ = resume(_start("telegram"), ButtonPressed("part", "telegram"), NOW)
    state, _ = resume(state, TextReceived("1500", "telegram"), NOW)
    state, _ = resume(state, TextReceived("min datter var syg", "telegram"), NOW)
    assert state.data["reason"] == "illness" and state.data["reason_text"] == "min datter var syg"
    state, _ = resume(_start("telegram"), ButtonPressed("part", "telegram"), NOW)
    state, _ = resume(state, TextReceived("1500", "telegram"), NOW)
    state, _ = resume(state, ButtonPressed("illness", "telegram"), NOW)
    assert state.data["reason"] == "illness" and "reason_text" not in state.data  # a button has no words


def test_current_question_asks_the_open_question_again_in_the_state_language() -> None:
    state = replace(_start("telegram"), language="en")
    events = current_question(state)
    assert [(e.template, [c.key for c in e.choices]) for e in events if isinstance(e, MessageRequested)] == [
        ("payment_check.question", ["paid", "will_pay", "adviser", "info", "part"])
    ]
    assert current_question(replace(state, ended=True)) == []


@pytest.mark.parametrize(
    ("text", "first_template"),
    [
        ("hej", "payment_check.question"),
        # A number after the reminder's conversation ended answers the same menu: 3 is "talk to an adviser".
        ("3", "consent.ask"),
        ("1", "payment_check.paid"),
        ("9", "payment_check.question"),  # no such option
        ("", "payment_check.question"),
        ("jeg kan ikke betale", "payment_check.heard"),
        ("Jeg har betalt", "payment_check.paid"),
    ],
)
def test_a_tenant_who_writes_first_is_heard_when_the_opening_question_can_place_it(
    text: str, first_template: str
) -> None:
    from conversations.engine import start_with_text
    from conversations.model import Context, MessageRequested

    now = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
    _, events = start_with_text("payment_check", Context("Amira", "da", "sms"), now, text)
    messages = [e.template for e in events if isinstance(e, MessageRequested)]
    assert messages[0] == first_template


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(
    ("language", "text"),
    [("da", "Hvad betyder det?"), ("da", "hvad skal jeg gøre?"), ("da", "Hvad betyder det her for mig?"),
     ("en", "what does that mean?")],
)  # fmt: skip
def test_a_tenant_who_writes_first_with_a_question_hears_where_a_person_answers_it_not_the_menu(
    channel: Channel, language: str, text: str
) -> None:
    from conversations.engine import start_with_text

    state, events = start_with_text("payment_check", Context("Erik", language, channel), NOW, text)
    said = [(e.template, e.values.get("nothing_open")) for e in events if isinstance(e, MessageRequested)]
    assert said == [("common.question_asked", 1)]  # no "answer our question" when none is open
    assert state.ended  # no opening question waits, unseen, to be nudged about later


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(
    ("language", "text", "waits"),
    [("da", "hva skylder jeg", "venter"), ("da", "hvor meget skylder jeg?", "venter"),
     ("en", "how much do I owe", "waits")],
)  # fmt: skip
def test_a_tenant_who_writes_first_asking_what_is_owed_hears_where_to_get_it_and_nothing_waits(
    channel: Channel, language: str, text: str, waits: str
) -> None:
    """ "Hva skylder jeg" with nothing open got the general answer, "hvor meget skylder jeg" the opening question with
    its answer dropped: it is told where to hear the amount (never the amount), and no question is said to wait."""
    from conversations.engine import start_with_text

    state, events = start_with_text("payment_check", Context("Erik", language, channel), NOW, text)
    said = [e for e in events if isinstance(e, MessageRequested)]
    assert [(e.template, e.values.get("nothing_open")) for e in said] == [("common.owed_asked", 1)]
    assert state.ended
    rendered = RENDERER.render(said[0].template, said[0].values, language, channel, (), now=NOW).text
    assert waits not in rendered and "70 00 00 00" in rendered
    _, events = resume(_start(channel), TextReceived(text, channel), NOW)  # inside a question, it waits
    inside = next(e for e in events if isinstance(e, MessageRequested))
    assert inside.template == "common.owed_asked"


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(
    ("language", "text", "free"),
    [("da", "koster det noget", "gratis"), ("da", "er det gratis", "gratis"), ("en", "is it free", "free"),
     ("en", "does it cost anything", "free")],
)  # fmt: skip
def test_asked_whether_help_costs_anything_the_tenant_hears_it_is_free_and_the_question_waits(
    channel: Channel, language: str, text: str, free: str
) -> None:
    """ "Koster det noget" without its question mark was a miss at the opening question ("is it free" a promise for
    Friday), and with it only the general answer: talking to an adviser is free, the way to one, and the open question
    waits, no try used. At the consent question it is who the adviser is (free and confidential) and the question
    again; with nothing open, nothing is said to wait."""
    from conversations.engine import start_with_text

    for path, template in (((), "common.cost_asked"), (("2",), "common.cost_asked"), (("3",), "consent.about_adviser")):
        asked = _asked(channel, language, path)
        state, events = resume(asked, TextReceived(text, channel), NOW)
        assert _templates(events) == [template] and state == asked, path
        said = next(e for e in events if isinstance(e, MessageRequested))
        assert free in RENDERER.render(said.template, said.values, language, channel, (), now=NOW).text.lower()
    state, events = start_with_text("payment_check", Context("Erik", language, channel), NOW, text)
    said = next(e for e in events if isinstance(e, MessageRequested))
    assert (said.template, said.values.get("nothing_open"), state.ended) == ("common.cost_asked", 1, True)
    rendered = RENDERER.render(said.template, said.values, language, channel, (), now=NOW).text
    assert free in rendered.lower() and "70 00 00 00" in rendered
    assert "venter" not in rendered and "waits" not in rendered


def test_a_greeting_on_another_channel_gets_the_question_whole_not_a_pointer_to_it() -> None:
    # The reminder asked on Telegram; "Hej" by SMS has no question "above" it on the phone's SMS thread.
    asked = _start("telegram")
    for channel, said in (
        ("telegram", [("common.greeting_question", 5)]),  # right under the question: its buttons again
        ("sms", [("common.greeting", 0), ("payment_check.question", 4)]),  # its numbered answers
    ):
        _, events = resume(asked, TextReceived("Hej", channel), NOW)
        heard = [(e.template, len(e.choices)) for e in events if isinstance(e, MessageRequested)]
        assert heard == said, channel
    # And the other way round: asked by SMS, greeted on Telegram, asked there with its buttons.
    _, events = resume(_start("sms"), TextReceived("Hej", "telegram"), NOW)
    heard = [(e.template, len(e.choices)) for e in events if isinstance(e, MessageRequested)]
    assert heard == [("common.greeting", 0), ("payment_check.question", 5)]


def test_a_nudge_at_a_consent_question_asks_it_again_whole() -> None:
    # A consent is given to its full wording: the nudge has no buttons of its own, the question comes again with its.
    for channel in ("sms", "telegram"):
        adviser = TextReceived("3", "sms") if channel == "sms" else ButtonPressed("adviser", "telegram")
        asked, _ = resume(_start(channel), adviser, NOW)  # an adviser, please
        assert asked.step == "consent"
        _, events = resume(asked, WaitExpired(), NOW + timedelta(hours=24))
        said = [(e.template, [c.key for c in e.choices]) for e in events if isinstance(e, MessageRequested)]
        assert said == [("common.nudge", []), ("consent.ask", ["yes", "no"])], channel
    # Any other question is nudged with its buttons, as before.
    _, events = resume(_start("telegram"), WaitExpired(), NOW + timedelta(hours=24))
    counted = [(e.template, len(e.choices)) for e in events if isinstance(e, MessageRequested)]
    assert counted == [("common.nudge", 5)]


def test_an_amount_and_a_reason_in_one_message_are_both_heard() -> None:
    state, _ = resume(_start("telegram"), ButtonPressed("part", "telegram"), NOW)
    state, events = resume(state, TextReceived("2000 kr, jeg har mistet mit arbejde", "telegram"), NOW)
    # The reason is not asked again, and what happened is thanked before the consent question.
    assert state.step == "consent" and _templates(events) == ["payment_check.reason_heard", "consent.ask"]
    assert (state.data["amount"], state.data["reason"]) == (200000, "lost_job")
    # With a day too: the day is confirmed, and the reason still heard from the same words.
    state, _ = resume(_start("telegram"), ButtonPressed("part", "telegram"), NOW)
    state, events = resume(state, TextReceived("500 kr den 15., jeg har mistet mit arbejde", "telegram"), NOW)
    assert _templates(events) == ["payment_check.part_promised", "payment_check.reason_heard", "consent.ask"]
    assert (state.data["pay_on"], state.data["reason"]) == ("2026-12-15", "lost_job")
    # Words never answer a consent question ahead: its yes is given to its own wording.
    state, events = resume(_start("telegram"), TextReceived("ja, jeg vil gerne tale med en rådgiver", "telegram"), NOW)
    assert state.step == "consent" and not state.ended


def test_a_caption_the_question_cannot_read_is_answered_as_a_photo_and_uses_no_try() -> None:
    """A photo of a receipt with "kvittering" under it: the picture was the message. The tenant hears that pictures
    cannot be seen here, and a second such photo does not end the conversation."""
    state = _start("telegram")
    for _ in range(3):
        state, events = resume(state, TextReceived("kvittering", "telegram", attached=True), NOW)
        assert [e.template for e in events if isinstance(e, MessageRequested)] == ["common.no_words"]
        assert not any(isinstance(e, ConversationEnded) for e in events)
    assert state.retries == 0 and not state.ended
    # Typed words alone still use a try.
    _, events = resume(state, TextReceived("kvittering", "telegram"), NOW)
    assert next(e.template for e in events if isinstance(e, MessageRequested)) == "common.not_understood"
    # A caption that answers is an answer.
    _, events = resume(state, TextReceived("Jeg har betalt", "telegram", attached=True), NOW)
    assert "common.no_words" not in [e.template for e in events if isinstance(e, MessageRequested)]


@pytest.mark.parametrize("text", ["ok", "Ok 👍", "fint", "det er fint", "okay", "👍", "ok tak"])
def test_an_ok_at_the_opening_question_is_no_request_for_an_adviser(text: str) -> None:
    """The opening question's "yes" means "yes, I need help: an adviser" — an "ok" only says the reminder was read:
    a kind word, the question waits as it was, and no consent question follows (a second "ok" would have given
    consent to it)."""
    asked = _start()
    state, events = resume(asked, TextReceived(text, "sms"), NOW)
    assert _templates(events) in (["common.noted_question"], ["common.thanks_question"])
    assert not [e for e in events if isinstance(e, AnswerRecorded)]
    assert (state.step, state.retries, state.ended) == (asked.step, asked.retries, False)


def test_an_ok_at_the_consent_question_is_still_a_yes() -> None:
    """Where the option is the answer yes itself, "ok" says yes, as it always did."""
    asked, _ = resume(_start(), TextReceived("3", "sms"), NOW)
    assert asked.step == "consent"
    _state, events = resume(asked, TextReceived("ok", "sms"), NOW)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)] == ["yes"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # No request for help or a call said with a negation.
        ("nej tak, jeg har ikke brug for hjælp", ["no_thanks"]),
        ("No I don't need help", ["no_thanks"]),
        ("nej, du behøver ikke ringe", ["no_thanks"]),
        ("ingen hjælp tak", ["no_thanks"]),
        # A message that begins with "ok" says it was read: the question waits, no try used.
        ("ok jeg forstår", []),
        ("ok got it thanks", []),
        # ... unless it says more ("ok, ring til mig" is a request; "ok, I will pay friday" a promise).
        ("ok ring til mig", ["adviser"]),
        ("ok I will pay friday", ["will_pay", "2026-12-04"]),
    ],
)
def test_negated_and_ok_led_messages_at_the_opening_question(text: str, expected: list[str]) -> None:
    asked = _start()
    state, events = resume(asked, TextReceived(text, "sms"), NOW)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)] == expected
    if not expected:
        assert (state.step, state.retries) == (asked.step, asked.retries)


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize("emoji", ["👍", "👌", "✅"])
def test_a_thumbs_up_at_the_consent_question_is_no_consent(channel: Channel, emoji: str) -> None:
    """A consent is given in words: "👍" there is told so (JA or NEJ, or the button), and the question waits."""
    asked, _ = resume(_start(channel), _menu("3", channel), NOW)
    state, events = resume(asked, TextReceived(emoji, channel), NOW)
    assert _templates(events) == ["consent.in_words"]
    assert not any(isinstance(e, ConsentGiven) for e in events)
    assert (state.step, state.ended) == ("consent", False)
    state, events = resume(state, TextReceived("ja", channel), NOW)
    assert any(isinstance(e, ConsentGiven) for e in events)


def test_a_yes_on_another_channel_than_the_consent_question_was_asked_on_is_no_consent() -> None:
    """The consent question asked by SMS; "ja tak" typed in a Telegram chat, where it was never shown: no consent, the
    question is asked there (with its buttons), and a yes to it there is one."""
    asked, _ = resume(_start("sms"), TextReceived("3", "sms"), NOW)
    state, events = resume(asked, TextReceived("ja tak", "telegram"), NOW)
    assert not any(isinstance(e, ConsentGiven) for e in events)
    assert _templates(events) == ["consent.asked_again", "consent.ask"]
    question = events[-1]
    assert isinstance(question, MessageRequested) and question.choices
    assert (state.step, state.channel, state.ended) == ("consent", "telegram", False)
    _state, events = resume(state, TextReceived("ja tak", "telegram"), NOW)
    assert sum(isinstance(e, ConsentGiven) for e in events) == 1


def test_a_question_of_their_own_on_another_channel_leaves_the_consent_question_where_it_was_asked() -> None:
    """Asked by SMS; "hvad koster det?" on Telegram is answered, and a "ja" after it there is still no consent (the
    question was never shown in the chat): it is asked there first."""
    asked, _ = resume(_start("sms"), TextReceived("3", "sms"), NOW)
    state, events = resume(asked, TextReceived("hvad koster det?", "telegram"), NOW)
    assert events and state.channel == "sms"
    _state, events = resume(state, TextReceived("ja", "telegram"), NOW)
    assert not any(isinstance(e, ConsentGiven) for e in events)
    assert _templates(events)[-1] == "consent.ask"


def test_a_thumbs_up_to_a_question_answered_yes_or_no_is_its_yes() -> None:
    offer, _ = start("telegram_offer", Context("", "da", "sms", None, SETTINGS), NOW)
    state, events = resume(offer, TextReceived("👍", "sms"), NOW)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)] == ["yes"]
    assert state.end_reason == "link_requested"


@pytest.mark.parametrize(
    ("language", "text", "value", "end"),
    [
        ("da", "jeg har ikke telegram", "no", "declined"),
        ("da", "har ikke Telegram", "no", "declined"),
        ("en", "I don't have telegram", "no", "declined"),
        ("da", "ja tak", "yes", "link_requested"),
        ("da", "bruger ikke telegram", "no", "declined"),
        ("da", "har ingen telegram", "no", "declined"),
        # A negation asking for the app is no "no": a code is sent.
        ("da", "kan I ikke bare skrive på telegram", "yes", "link_requested"),
        ("en", "can't you just use telegram", "yes", "link_requested"),
        # The code asked for, by SMS as it comes: the app wanted, a yes ("send koden på sms" was not understood).
        ("da", "send koden på sms", "yes", "link_requested"),
        ("da", "send mig koden", "yes", "link_requested"),
        ("en", "send me the code by text", "yes", "link_requested"),
    ],
)
def test_no_telegram_to_the_telegram_offer_is_a_no_never_a_code(language: str, text: str, value: str, end: str) -> None:
    """ "Jeg har ikke Telegram" names the app, yet turns the offer down: no code is sent; the tenant stays on SMS."""
    offer, _ = start("telegram_offer", Context("", language, "sms", None, SETTINGS), NOW)
    state, events = resume(offer, TextReceived(text, "sms"), NOW)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)] == [value]
    assert state.end_reason == end


@pytest.mark.parametrize(("language", "text"), [("da", "hvad er telegram"), ("en", "what is telegram?")])
def test_a_question_about_telegram_is_no_yes_to_the_offer(language: str, text: str) -> None:
    offer, _ = start("telegram_offer", Context("", language, "sms", None, SETTINGS), NOW)
    state, events = resume(offer, TextReceived(text, "sms"), NOW)
    assert _templates(events) == ["common.question_asked"]
    assert not any(isinstance(e, AnswerRecorded) for e in events)
    assert (state.step, state.ended) == ("offer", False)


@pytest.mark.parametrize(
    ("first", "second"), [("🤔", "🤔"), ("🤔", "æh"), ("æh", "🤔")], ids=["sign", "then words", "words"]
)
def test_emoji_that_answer_nothing_use_the_try_a_miss_uses(first: str, second: str) -> None:
    """The same kind line is never the only answer over and over: the second message that answers nothing gets what a
    second miss gets (help and a person) and the conversation ends, as the engine's one retry count says."""
    state, events = resume(_start(), TextReceived(first, "sms"), NOW)
    assert state.retries == 1 and not state.ended
    assert "common.call_adviser" not in _templates(events)
    state, events = resume(state, TextReceived(second, "sms"), NOW)
    assert _templates(events) == ["common.call_adviser"]
    assert state.end_reason == "not_understood"


@pytest.mark.parametrize("sign", ["🤷", "🤷\u200d♀️", "🤦🏽\u200d♂️"])
def test_an_emoji_with_a_variation_selector_is_a_sign_not_a_word(sign: str) -> None:
    """ "🤷‍♀️" (a shrug with its gender, as phones send it) is the sign "🤷" is: the kind line that the question waits,
    never "we did not understand" as if it were a word nobody could read."""
    state, events = resume(_start(), TextReceived(sign, "sms"), NOW)
    assert _templates(events) == ["common.signs_only"]
    assert not state.ended


@pytest.mark.parametrize("before", ["😢", "æh", "🤔"])
def test_tears_or_anger_use_no_try_and_never_end_the_conversation(before: str) -> None:
    """A feeling is no wrong answer: after a miss or not, a sad or angry face gets the way to a person, and the
    question waits; it never gets "we did not understand" and the end."""
    state, _ = resume(_start(), TextReceived(before, "sms"), NOW)
    for face in ("😢", "😡", "😭"):
        tries = state.retries
        state, events = resume(state, TextReceived(face, "sms"), NOW)
        assert _templates(events) == ["common.upset_question"]
        assert (state.retries, state.ended) == (tries, False)


def test_a_sad_emoji_names_the_adviser_word_only_where_the_question_takes_it() -> None:
    _, events = resume(_start(), TextReceived("😢", "sms"), NOW)
    told = next(e for e in events if isinstance(e, MessageRequested))
    assert (told.template, told.values.get("adviser_word")) == ("common.upset_question", 1)
    offer, _ = start("telegram_offer", Context("", "da", "sms", None, SETTINGS), NOW)
    _, events = resume(offer, TextReceived("😢", "sms"), NOW)
    told = next(e for e in events if isinstance(e, MessageRequested))
    assert (told.template, told.values.get("adviser_word")) == ("common.upset_question", 0)


@pytest.mark.parametrize(
    ("said", "value"),
    [
        (TextReceived("JA", "sms"), "yes"),
        (TextReceived("nej tak", "sms"), "no"),
        (ButtonPressed("yes", "telegram"), "yes"),
        (ButtonPressed("no", "telegram"), "no"),
        (TextReceived("ja tak, men ring efter 16", "sms"), None),  # a yes and more: the adviser's to read
        (TextReceived("hvem kan se det?", "sms"), None),
        (TextReceived("ja jeg har betalt", "sms"), None),
        (TextReceived("betalt", "sms"), None),  # a payment claimed: no yes or no, the adviser's to read
        (ButtonPressed("yes", "telegram", earlier=True), None),  # a button under another message
    ],
)
def test_a_clear_yes_or_no_at_the_consent_question_is_what_resume_makes_of_it(
    said: TextReceived | ButtonPressed, value: str | None
) -> None:
    asked, _ = resume(_start(said.channel), _menu("3", said.channel), NOW)
    assert asked.step == "consent"
    answered = consent_answer(asked, said, NOW)
    if value is None:
        assert answered is None
        return
    assert answered is not None and answered == resume(asked, said, NOW)
    state, events = answered
    assert (state.ended, state.data["consent"]) == (True, value)
    assert any(isinstance(e, ConsentGiven) for e in events) is (value == "yes")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("jeg har betalt", "da"),
        ("har allerede betalt", "da"),
        ("ja jeg har betalt", "da"),
        ("nej, jeg har betalt", "da"),
        ("I did pay", "en"),
        ("I have paid", "en"),
    ],
)
def test_a_payment_claimed_at_the_consent_question_is_the_paid_answer(text: str, language: str) -> None:
    # As at the opening question and at "when can you pay?": reminders pause, nobody is handed over, no try is used.
    context = Context("", language, "sms", "missed", SETTINGS)
    asked, _ = resume(start("payment_check", context, NOW)[0], TextReceived("3", "sms"), NOW)
    assert asked.step == "consent"
    state, events = resume(asked, TextReceived(text, "sms"), NOW)
    assert (state.end_reason, state.data["consent"]) == ("paid_claimed", "paid")
    assert sum(isinstance(e, PaidClaimed) for e in events) == 1
    assert not any(isinstance(e, ConsentGiven | HandoffRequested | ConsentWithdrawn) for e in events)
    assert [e.template for e in events if isinstance(e, MessageRequested)] == ["payment_check.paid"]


@pytest.mark.parametrize("text", ["jeg har betalt en del", "jeg har betalt noget af det"])
def test_a_part_paid_at_the_consent_question_is_heard_never_claimed_as_paid(text: str) -> None:
    asked, _ = resume(_start(), TextReceived("3", "sms"), NOW)
    state, events = resume(asked, TextReceived(text, "sms"), NOW)
    assert (state.step, state.ended, state.retries) == ("consent", False, 0)
    assert not any(isinstance(e, PaidClaimed | ConsentGiven) for e in events)
    assert [e.template for e in events if isinstance(e, MessageRequested)] == ["consent.heard"]


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize("text", ["yes I did", "Yes i did!", "yeah we did", "yes I did thanks"])
def test_yes_i_did_to_do_you_need_help_asks_which_answer_is_meant(channel: Channel, text: str) -> None:
    # "Do you need help with the rent?" asks about the present; "yes I did" answers a question about the past that no
    # text asks (most likely "I did pay"). It was a wish for an adviser, and the consent question came: now which
    # answer is meant is asked, no try used, and nothing is guessed.
    asked = start("payment_check", Context("", "en", channel, "missed", SETTINGS), NOW)[0]
    state, events = resume(asked, TextReceived(text, channel), NOW)
    assert (state.step, state.retries, state.data) == ("question", 0, {})
    assert [e.template for e in events if isinstance(e, MessageRequested)] == ["common.which_option"]
    assert not any(isinstance(e, PaidClaimed | ConsentGiven) for e in events)


@pytest.mark.parametrize(("text", "language"), [("ja det har jeg", "da"), ("yes I do", "en")])
def test_yes_i_do_to_do_you_need_help_is_the_wish_for_an_adviser(text: str, language: str) -> None:
    # "Har du brug for hjælp?" "Ja, det har jeg.": the Danish yes echoes the question's own verb.
    asked = start("payment_check", Context("", language, "sms", "missed", SETTINGS), NOW)[0]
    state, _events = resume(asked, TextReceived(text, "sms"), NOW)
    assert (state.step, state.data["question"]) == ("consent", "adviser")


def test_only_a_consent_question_is_answered_so() -> None:
    assert consent_answer(_start(), TextReceived("ja", "sms"), NOW) is None  # the opening question: no consent there
    assert consent_answer(None, TextReceived("ja", "sms"), NOW) is None


@pytest.mark.parametrize(
    ("text", "amount", "day"),
    [
        ("500 kr den 15.", 50000, date(2026, 12, 15)),
        ("I can pay 800 on Friday", 80000, date(2026, 12, 4)),
        ("1500", 150000, None),
    ],
)
def test_a_day_said_with_the_amount_is_kept_as_a_promise(text: str, amount: int, day: date | None) -> None:
    asked, _ = resume(_start("telegram"), ButtonPressed("part", "telegram"), NOW)
    state, events = resume(asked, TextReceived(text, "telegram"), NOW)
    assert state.step == "reason" and state.data["amount"] == amount
    assert state.data.get("pay_on") == (day.isoformat() if day else None)
    assert [e.pay_on for e in events if isinstance(e, PromiseRecorded)] == ([day] if day else [])


@pytest.mark.parametrize(
    ("text", "confirmed"),
    [
        # Within the letter's deadline: the day, and the whole sum due; after it: the date question's note and a call.
        ("500 kr den 8.", "payment_check.part_promised"),
        ("500 kr den 15.", "payment_check.part_promised_late"),
        ("500 kr", None),  # no day: nothing to confirm, the reason is asked
    ],
)
def test_a_day_said_with_the_amount_is_confirmed_as_the_date_question_confirms_it(
    text: str, confirmed: str | None
) -> None:
    """The tenant is told the day was noted, with the letter's deadline as the date question tells it, and the
    reason and the way to a person still come after it."""
    context = Context("", "da", "telegram", "demand", SETTINGS, deadline=date(2026, 12, 10))
    opening, _ = start("payment_check", context, NOW)
    asked, _ = resume(opening, ButtonPressed("part", "telegram"), NOW)
    state, events = resume(asked, TextReceived(text, "telegram"), NOW)
    told = [e for e in events if isinstance(e, MessageRequested)]
    assert [e.template for e in told] == [*([confirmed] if confirmed else []), "payment_check.reason"]
    if confirmed:
        assert told[0].values["pay_on"] == date.fromisoformat(str(state.data["pay_on"]))
        assert told[0].values["deadline_running"] == 1
    assert (state.step, state.ended) == ("reason", False)


@pytest.mark.parametrize(
    ("language", "thanks", "closing", "days", "amount"),
    [
        ("da", "Tak", "Hvis noget ændrer sig", ("den 8.", "den 15."), "500,00 kr."),
        ("en", "Thank you", "If anything changes", ("on the 8th", "on the 15th"), "DKK 500.00"),
    ],
)
@pytest.mark.parametrize(("trigger", "deadline", "which"), [("missed", None, 1), ("demand", date(2026, 12, 10), 0),
                                                          ("demand", date(2026, 12, 10), 1)])  # fmt: skip
def test_a_part_with_a_day_reads_as_one_turn_thanked_once_and_not_closed_before_the_question(
    language: str,
    thanks: str,
    closing: str,
    days: tuple[str, str],
    amount: str,
    trigger: str,
    deadline: date | None,
    which: int,
) -> None:
    """ "500 kr den 15." on Telegram: the amount and the day confirmed, then why. The tenant reads one turn: thanked
    once (the question after the confirmation starts no second "Tak."), and no "write to us if anything changes",
    which reads as the end, right before a question."""
    context = Context("", language, "telegram", trigger, SETTINGS, deadline=deadline)
    opening, _ = start("payment_check", context, NOW)
    asked, _ = resume(opening, ButtonPressed("part", "telegram"), NOW)
    state, events = resume(asked, TextReceived(f"500 kr {days[which]}", "telegram"), NOW)
    told = [e for e in events if isinstance(e, MessageRequested)]
    confirmation, question = (RENDERER.render(e.template, e.values, language, "telegram").text for e in told)
    assert amount in confirmation and "2026" in confirmation
    assert confirmation.startswith(thanks) and not question.startswith(thanks), (confirmation, question)
    assert closing not in confirmation and closing not in question
    assert (told[-1].template, state.step) == ("payment_check.reason", "reason")
    # The reason question asked after an amount alone thanks for it, as before.
    _, events = resume(asked, TextReceived("500 kr", "telegram"), NOW)
    [alone] = [e for e in events if isinstance(e, MessageRequested)]
    assert RENDERER.render(alone.template, alone.values, language, "telegram").text.startswith(thanks)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("jeg kan betale 500 kr den 15.", date(2026, 12, 15)),
        ("I can pay 800 on Friday", date(2026, 12, 4)),
        ("kan betale 2.000 i morgen", date(2026, 12, 4)),
    ],
)
def test_an_amount_with_a_day_over_sms_is_a_part_for_the_day_and_help_is_offered(text: str, day: date) -> None:
    """Over SMS an amount is never kept nor said, but the day is a promise (the reminders wait for it), confirmed as a
    part's, and help is offered in the same turn: the conversation does not end as if the whole would be paid."""
    state, events = resume(_start(), TextReceived(text, "sms"), NOW)
    assert [e.pay_on for e in events if isinstance(e, PromiseRecorded)] == [day]
    assert _templates(events) == ["payment_check.part_promised", "payment_check.heard", "consent.ask"]
    assert (state.step, state.ended) == ("consent", False)
    assert "amount" not in state.data
    assert all("amount" not in e.values for e in events if isinstance(e, MessageRequested))
    confirmation = RENDERER.render(
        "payment_check.part_promised", _values_of(events, "payment_check.part_promised"), "da", "sms"
    ).text
    assert confirmation.startswith("Tak. Vi har skrevet ned, at du kan betale noget den "), confirmation


@pytest.mark.parametrize(
    ("text", "questions", "templates"),
    [
        # A part paid: the day is the rest's, as before.
        ("jeg har betalt 500, resten den 15.", ["question", "rest_when"], ["payment_check.promised"]),
        ("kan betale noget af det", ["question"], ["payment_check.heard", "consent.ask"]),  # no day: help offered
        ("jeg kan betale 500 næste fredag", ["question"], ["common.which_day"]),  # a day not placed: which one?
    ],
)
def test_a_part_over_sms_with_no_day_to_keep_goes_on_as_a_part(
    text: str, questions: list[str], templates: list[str]
) -> None:
    _, events = resume(_start(), TextReceived(text, "sms"), NOW)
    assert [e.question for e in events if isinstance(e, AnswerRecorded)] == questions
    assert _templates(events) == templates


@pytest.mark.parametrize(
    ("text", "which"),
    [
        ("500 kr næste fredag", "common.which_day"),
        ("800 kr når jeg får løn", "common.which_payday"),  # the day the money comes
        ("I can pay 800 next Friday", "common.which_day"),
    ],
)
def test_a_day_it_cannot_place_with_the_amount_gets_the_date_question(text: str, which: str) -> None:
    """The amount is kept and the day, said but not placed, is not dropped: "which day?" is asked, as the date
    question asks it, and the day given then is kept and confirmed before the reason."""
    asked, _ = resume(_start("telegram"), ButtonPressed("part", "telegram"), NOW)
    state, events = resume(asked, TextReceived(text, "telegram"), NOW)
    assert _templates(events) == [which]
    assert (state.step, "amount" in state.data, "pay_on" in state.data) == ("part_when", True, False)
    state, events = resume(state, TextReceived("den 11.", "telegram"), NOW)
    assert [e.pay_on for e in events if isinstance(e, PromiseRecorded)] == [date(2026, 12, 11)]
    assert _templates(events) == ["payment_check.part_promised", "payment_check.reason"]


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize("before", ["👍", "æh"])
def test_a_thumbs_up_again_at_the_consent_question_ends_kindly_with_no_consent(channel: Channel, before: str) -> None:
    """Someone sending 👍 again is trying to say yes: not "we did not understand", but that nothing was passed on
    without a yes in words, and the way to an adviser. Still no consent: that is given in words or by the button."""
    asked, _ = resume(_start(channel), _menu("3", channel), NOW)
    state, _ = resume(asked, TextReceived(before, channel), NOW)
    state, events = resume(state, TextReceived("👍", channel), NOW)
    assert _templates(events) == ["consent.not_in_words"]
    assert not any(isinstance(e, ConsentGiven) for e in events)
    # Understood, and no consent: an end of its own, never "not understood".
    assert state.ended and state.end_reason == "not_in_words"
    assert [e.reason for e in events if isinstance(e, ConversationEnded)] == ["not_in_words"]


_THANKS = re.compile(r"\b(?:tak|thank)\b", re.IGNORECASE)
# A part, a day and why the tenant cannot pay all, in both orders of the words (the 21st of December).
_PART_DAY_REASON = {
    "da": ("500 kr den 21., jeg er syg", "jeg er syg, kan betale 500 den 21"),
    "en": ("I can only pay 500 on the 21st, I am ill", "I am ill, can pay 500 on the 21st"),
}
# The part's confirmation by SMS: the day, in words that fit a part (never the amount, never "you will pay").
_SMS_PART_SAID = {
    "da": "Tak. Vi har skrevet ned, at du kan betale noget den 21. december 2026.",
    "en": "Thank you. We have noted that you can pay some of the rent on 21 December 2026.",
}


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize("order", [0, 1], ids=["amount first", "reason first"])
@pytest.mark.parametrize("language", ["da", "en"])
def test_a_part_a_day_and_a_reason_at_the_opening_question_read_the_same_in_any_order(
    language: str, order: int, channel: Channel
) -> None:
    """ "500 kr den 21., jeg er syg" and "jeg er syg, kan betale 500 den 21" are one answer: the day kept as the part's
    promise, the reason heard, one thank-you, and the consent question. On Telegram the amount and the reason are
    kept too; by SMS the amount is neither kept nor said, and the reason is never asked (it is heard)."""
    context = Context("", language, channel, "missed", SETTINGS)
    opening, _ = start("payment_check", context, NOW)
    state, events = resume(opening, TextReceived(_PART_DAY_REASON[language][order], channel), NOW)
    assert [e.pay_on for e in events if isinstance(e, PromiseRecorded)] == [date(2026, 12, 21)]
    assert (state.step, state.ended, state.data["question"], state.data["pay_on"]) == (
        "consent",
        False,
        "part",
        "2026-12-21",
    )
    told = [e for e in events if isinstance(e, MessageRequested)]
    texts = [RENDERER.render(e.template, e.values, language, channel).text for e in told]
    assert len(_THANKS.findall(" ".join(texts))) == 1, texts
    if channel == "telegram":
        assert [e.template for e in told] == [
            "payment_check.part_promised",
            "payment_check.reason_heard",
            "consent.ask",
        ]
        assert (state.data["amount"], state.data["reason"]) == (50000, "illness")
    else:
        assert [e.template for e in told] == ["payment_check.part_promised", "payment_check.heard", "consent.ask"]
        assert "amount" not in state.data and "reason" not in state.data  # neither asked nor kept by SMS
        assert texts[0] == _SMS_PART_SAID[language]


# A part with a day and no reason ("kan betale 500 den 21"), then the same with a reason in both orders.
_PART_DAY = {
    "da": ("kan betale 500 den 21", *_PART_DAY_REASON["da"]),
    "en": ("I can pay 500 on the 21st", *_PART_DAY_REASON["en"]),
}
# How each date question is reached: "2" ("Betaler snart"), or a part already paid (the rest is asked about).
_TO_DATE_QUESTION = {
    "when": {"da": "jeg betaler snart", "en": "I will pay soon"},
    "rest_when": {"da": "har betalt en del", "en": "I paid some of it"},
}
_TELEGRAM_PART_SAID = {"da": "500,00 kr. den 21. december 2026", "en": "DKK 500.00 on 21 December 2026"}


def _at_date_question(
    question: str, language: str, channel: Channel, trigger: str = "missed", deadline: date | None = None
) -> State:
    context = Context("", language, channel, trigger, SETTINGS, deadline=deadline)
    opening, _ = start("payment_check", context, NOW)
    asked, _ = resume(opening, TextReceived(_TO_DATE_QUESTION[question][language], channel), NOW)
    assert asked.step == question
    return asked


@pytest.mark.parametrize("question", ["when", "rest_when"])
@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize("said", [0, 1, 2], ids=["no reason", "amount first", "reason first"])
@pytest.mark.parametrize("language", ["da", "en"])
def test_a_part_with_a_day_asked_when_is_read_as_at_the_opening_question(
    language: str, said: int, channel: Channel, question: str
) -> None:
    """Asked when they can pay (or pay the rest), "kan betale 500 den 21", "500 kr den 21., jeg er syg" and "jeg er syg,
    kan betale 500 den 21" are a part for that day, as at the opening question: the day kept as the part's promise and
    confirmed in a part's words, one thank-you, and help offered; never "you pay on the 21st" and the end, and never
    the day dropped. On Telegram the amount is kept too and the reason taken from the words or asked; by SMS the amount
    is neither kept nor said, and the reason is never asked."""
    asked = _at_date_question(question, language, channel)
    state, events = resume(asked, TextReceived(_PART_DAY[language][said], channel), NOW)
    assert [e.pay_on for e in events if isinstance(e, PromiseRecorded)] == [date(2026, 12, 21)]
    assert (state.data[question], state.data["pay_on"], state.ended) == ("part", "2026-12-21", False)
    told = [e for e in events if isinstance(e, MessageRequested)]
    texts = [RENDERER.render(e.template, e.values, language, channel).text for e in told]
    assert len(_THANKS.findall(" ".join(texts))) == 1, texts
    if channel == "sms":
        assert [e.template for e in told] == ["payment_check.part_promised", "payment_check.heard", "consent.ask"]
        assert texts[0] == _SMS_PART_SAID[language]
        assert "amount" not in state.data and "reason" not in state.data
        assert state.step == "consent"
    elif said == 0:
        # No reason in the words: it is asked, as after the part button and an amount with a day.
        assert [e.template for e in told] == ["payment_check.part_promised", "payment_check.reason"]
        assert (state.step, state.data["amount"]) == ("reason", 50000)
        assert _TELEGRAM_PART_SAID[language] in texts[0]
    else:
        assert [e.template for e in told] == [
            "payment_check.part_promised",
            "payment_check.reason_heard",
            "consent.ask",
        ]
        assert (state.step, state.data["amount"], state.data["reason"]) == ("consent", 50000, "illness")
        assert _TELEGRAM_PART_SAID[language] in texts[0]


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(
    ("trigger", "deadline", "template", "note"),
    [
        # Within the letter's deadline: the whole sum in the letter is still due by it.
        ("demand", date(2026, 12, 24), "payment_check.part_promised", "hele beløbet i brevet skal være betalt"),
        # After it: the day may be too late, and a call.
        ("demand", date(2026, 12, 10), "payment_check.part_promised_late", "Den dag kan være efter fristen i brevet."),
        ("court", None, "payment_check.part_promised", "Ring alligevel til os"),
    ],
)
def test_a_part_with_a_day_asked_when_is_told_the_letters_deadline_as_a_part(
    trigger: str, deadline: date | None, template: str, note: str, channel: Channel
) -> None:
    """The part's day at the date question gets the part's own confirmation for the stage the tenant is in: the
    letter's deadline, a day after it, or the court stage's call; help comes after it either way."""
    asked = _at_date_question("when", "da", channel, trigger, deadline)
    state, events = resume(asked, TextReceived("kan betale 500 den 21", channel), NOW)
    assert _templates(events)[0] == template
    assert note in RENDERER.render(template, _values_of(events, template), "da", channel).text
    assert not state.ended and state.step in ("consent", "reason")


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize("text", ["den 21.", "fredag", "500 kr den 21."])
def test_a_day_with_no_part_asked_when_is_a_promise_of_the_whole(text: str, channel: Channel) -> None:
    """A day alone (or an amount beside it with no pay word and no reason) stays what it was: the whole promised for
    that day, confirmed, and the conversation ends."""
    asked = _at_date_question("when", "da", channel)
    state, events = resume(asked, TextReceived(text, channel), NOW)
    assert _templates(events) == ["payment_check.promised"]
    assert state.ended and "amount" not in state.data and [e for e in events if isinstance(e, PromiseRecorded)]


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize("text", ["kan ikke betale 500 kr den 21.", "kan ikke betale 500 kr den 21., jeg er syg"])
def test_an_amount_they_cannot_pay_asked_when_is_heard_with_no_promise(text: str, channel: Channel) -> None:
    """An amount beside a pay word negated is what they cannot pay, not a part offered: heard, the way to a person,
    and no day kept."""
    asked = _at_date_question("when", "da", channel)
    state, events = resume(asked, TextReceived(text, channel), NOW)
    assert _templates(events) == ["payment_check.heard", "consent.ask"]
    assert not [e for e in events if isinstance(e, PromiseRecorded)] and "pay_on" not in state.data


@pytest.mark.parametrize(
    ("channel", "templates", "amount"),
    [("sms", ["payment_check.heard", "consent.ask"], None), ("telegram", ["payment_check.reason"], 50000)],
)
def test_a_part_with_no_day_asked_when_is_a_part_not_a_miss(
    channel: Channel, templates: list[str], amount: int | None
) -> None:
    """ "Kan betale 500" asked when is no answer it fails to read ("we did not understand"): a part, as at the opening
    question; help offered by SMS, the amount kept and why asked on Telegram. No day, so no promise."""
    asked = _at_date_question("when", "da", channel)
    state, events = resume(asked, TextReceived("kan betale 500", channel), NOW)
    assert _templates(events) == templates
    assert (state.data["when"], state.data.get("amount")) == ("part", amount)
    assert not [e for e in events if isinstance(e, PromiseRecorded)]


@pytest.mark.parametrize("question", ["when", "rest_when"])
@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize("text", ["2026-12-15", "jeg betaler 2026-12-15"])
def test_a_date_written_year_first_asked_when_is_a_promise_for_that_day(
    text: str, channel: Channel, question: str
) -> None:
    """ "2026-12-15", as a phone pastes a date, asked when: a promise for the 15th, never a part of 2026 kr."""
    state, events = resume(_at_date_question(question, "da", channel), TextReceived(text, channel), NOW)
    assert [e for e in events if isinstance(e, PromiseRecorded)] == [PromiseRecorded(date(2026, 12, 15))]
    assert (state.data["pay_on"], state.data.get("amount")) == ("2026-12-15", None)


_ASKED_WITH_A_DAY = [
    ("da", "jeg kan først betale den 20, kan en rådgiver ringe til mig?"),
    ("da", "Jeg er syg og kan først betale den 20. Ring til mig"),
    ("da", "Jeg er virkelig ked af det, min mand er gået fra mig og min løn kommer først den 20. Jeg ved ikke hvad jeg "
           "skal gøre. Kan nogen hjælpe mig? Jeg vil gerne betale men jeg kan ikke lige nu."),
    ("da", "jeg kan betale den 20. men ring til mig"),
    ("da", "jeg vil gerne betale, men jeg kan ikke lige nu. Først den 20."),
    ("en", "I can only pay on the 20th, please call me"),
    ("en", "My pay comes on the 20th. Can someone help me please?"),
    ("en", "I can't pay right now, only on the 20th"),
]  # fmt: skip


def _asked(channel: Channel, language: str, path: tuple[str, ...] = ()) -> State:
    state, _ = start("payment_check", Context("", language, channel, "missed", SETTINGS), NOW)
    for given in path:
        at_menu = state.step == "question" and given in _MENU
        state, _ = resume(state, _menu(given, channel) if at_menu else TextReceived(given, channel), NOW)
    return state


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(("language", "text"), _ASKED_WITH_A_DAY)
@pytest.mark.parametrize("path", [(), ("2",), ("har betalt en del",)], ids=["question", "when", "rest_when"])
def test_a_day_said_with_a_wish_for_a_person_is_kept_and_the_way_to_a_person_comes(
    channel: Channel, language: str, text: str, path: tuple[str, ...]
) -> None:
    """The day is the promise (recorded and confirmed), and what was asked for is not dropped by the end a promise
    would bring: help is offered and the consent question waits, at the opening question, asked when, and asked when
    the rest can come."""
    asked = _asked(channel, language, path)
    state, events = resume(asked, TextReceived(text, channel), NOW)
    assert [e for e in events if isinstance(e, PromiseRecorded)] == [PromiseRecorded(date(2026, 12, 20))]
    assert _templates(events) == ["payment_check.promised_asked", "payment_check.heard", "consent.ask"]
    assert (state.step, state.ended, state.data["pay_on"]) == ("consent", False, "2026-12-20")
    heard = next(e for e in events if isinstance(e, MessageRequested) and e.template == "payment_check.heard")
    assert heard.values.get("thanked") == 1  # one thank-you: the confirmation's


def test_a_day_said_with_a_wish_for_a_person_after_the_deadline_is_told_the_letter_s_deadline_too() -> None:
    state, events = resume(
        _with_deadline(date(2026, 12, 10)), TextReceived("betaler den 20., ring til mig", "sms"), NOW
    )
    assert [e.after_deadline for e in events if isinstance(e, PromiseRecorded)] == [True]
    assert _templates(events) == ["payment_check.promised_asked_late", "payment_check.heard", "consent.ask"]
    assert state.step == "consent"


@pytest.mark.parametrize(
    "text",
    [
        "jeg betaler den 20.",
        "kan ikke betale før d 20",  # a day, not "now"
        "har ikke betalt endnu, men betaler den 20.",
        "jeg betaler den 20., ring ikke til mig",
        "betaler den 20., jeg har ikke brug for hjælp",
        "betaler den 20., tak for hjælpen",
        "I'll pay on the 20th, thanks for the help",
        "I'll pay on the 20th, please don't call me",
        "jeg betaler den 20., I må ikke ringe",
        "jeg betaler den 20., jeg kan ringe til jer",
        "I'll pay on the 20th, I can call you",
    ],
)
def test_a_day_said_without_a_wish_for_a_person_is_a_promise_that_ends(text: str) -> None:
    state, events = resume(_start(), TextReceived(text, "sms"), NOW)
    assert _templates(events) == ["payment_check.promised"]
    assert state.end_reason == "promised" and state.data["pay_on"] == "2026-12-20"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("da", "nej, men ring til mig"),
        ("da", "nej tak men ring gerne til mig"),
        ("da", "Nej. Men ring til mig"),
        ("en", "no, but call me"),
        ("en", "no thanks, but please call me"),
    ],
)
@pytest.mark.parametrize("channel", ["sms", "telegram"])
def test_a_no_with_a_wish_to_be_called_gets_what_the_yes_is_for_and_the_question_waits(
    language: str, text: str, channel: Channel
) -> None:
    asked = _asked(channel, language, ("3",))
    assert asked.step == "consent"
    state, events = resume(asked, TextReceived(text, channel), NOW)
    assert _templates(events) == ["consent.call_wish"]
    assert state == asked  # no answer recorded, no try used, nothing withdrawn
    assert consent_answer(asked, TextReceived(text, channel), NOW) is None  # held: the adviser's to read


@pytest.mark.parametrize(
    ("language", "text"),
    [("da", "nej"), ("da", "nej tak"), ("da", "nej, men tak"), ("da", "nej men ring ikke"), ("en", "no"),
     ("en", "no, but thanks")],
)  # fmt: skip
def test_a_plain_no_at_the_consent_question_stays_a_no(language: str, text: str) -> None:
    state, events = resume(_asked("sms", language, ("3",)), TextReceived(text, "sms"), NOW)
    assert _templates(events) == ["consent.declined"]
    assert (state.ended, state.data["consent"]) == (True, "no")


# A part paid today, with the day the rest comes: the tenant said when all of it will be paid.
_PAID_TODAY_REST_ON_FRIDAY = (
    ("da", "jeg har betalt 3000 i dag og resten på fredag"),
    ("da", "har betalt en del i dag, resten på fredag"),
    ("da", "jeg har betalt en del, resten på fredag"),
    ("en", "I paid some today and the rest on friday"),
    ("en", "I have paid part of it today, the rest on Friday"),
)
_PROMISED_FRIDAY = {
    "da": "Tak. Vi har skrevet ned, at du betaler den 4. december 2026.",
    "en": "Thank you. We have noted that you will pay on 4 December 2026.",
}


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(("language", "text"), _PAID_TODAY_REST_ON_FRIDAY)
def test_a_part_paid_today_with_the_day_for_the_rest_is_a_promise_for_that_day(
    language: str, text: str, channel: Channel
) -> None:
    """ "Har betalt en del i dag, resten på fredag": two days, and the one said with "resten" is when the rest comes.
    Never "when can you pay the rest?" right after it was said."""
    state, events = resume(_asked(channel, language), TextReceived(text, channel), NOW)
    assert [e.question for e in events if isinstance(e, AnswerRecorded)] == ["question", "rest_when"]
    assert [e.pay_on for e in events if isinstance(e, PromiseRecorded)] == [date(2026, 12, 4)]
    assert _templates(events) == ["payment_check.promised"]
    # The answer recorded is a part; the one kept for the adviser says it is paid already.
    assert (state.ended, state.end_reason, state.data["question"]) == (True, "promised", "paid_part")
    assert not [e for e in events if isinstance(e, PaidClaimed)]  # a part paid stops no reminder
    said = RENDERER.render("payment_check.promised", _values_of(events, "payment_check.promised"), language, channel)
    assert said.text.startswith(_PROMISED_FRIDAY[language]), said.text


# A part now and the rest on a day: the rest's day is the promise.
_PART_NOW_REST_ON_THE_20TH = (
    ("da", "kan betale 3000 nu og resten den 20"),
    ("da", "kan betale 3000 i dag og resten den 20"),
    ("da", "jeg kan betale halvdelen nu og resten den 20."),
    ("en", "I can pay 3000 now and the rest on the 20th"),
    ("en", "I can pay half today and the rest on the 20th"),
)
_PROMISED_THE_20TH = {
    "da": "Tak. Vi har skrevet ned, at du betaler den 20. december 2026.",
    "en": "Thank you. We have noted that you will pay on 20 December 2026.",
}


def _promised_the_20th(state: State, events: list[Event], language: str, channel: Channel) -> None:
    """The rest's day kept and confirmed as a promise, and the conversation ended as after one: no part's words, no
    help pushed, no amount kept or said."""
    assert [e.pay_on for e in events if isinstance(e, PromiseRecorded)] == [date(2026, 12, 20)]
    assert _templates(events) == ["payment_check.promised"]
    assert (state.ended, state.end_reason) == (True, "promised")
    assert "amount" not in state.data and all(
        "amount" not in e.values for e in events if isinstance(e, MessageRequested)
    )
    said = RENDERER.render("payment_check.promised", _values_of(events, "payment_check.promised"), language, channel)
    assert said.text.startswith(_PROMISED_THE_20TH[language]), said.text


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(("language", "text"), _PART_NOW_REST_ON_THE_20TH)
def test_a_part_now_and_the_rest_on_a_day_is_a_promise_for_that_day(language: str, text: str, channel: Channel) -> None:
    """ "Kan betale 3000 nu og resten den 20": a part now, and the promise is the rest's day, confirmed as that. Never
    "you pay on the 20th" as if all of it came then, nor "you can pay some on the 20th" and help nobody asked for; no
    amount kept or said at the opening question."""
    state, events = resume(_asked(channel, language, ("hej",)), TextReceived(text, channel), NOW)
    assert state.data["question"] == "part"
    assert [e.pay_on for e in events if isinstance(e, PromiseRecorded)] == [date(2026, 12, 20)]
    assert _templates(events) == ["payment_check.rest_promised"]
    assert (state.ended, state.end_reason) == (True, "promised")
    assert "amount" not in state.data
    said = RENDERER.render(
        "payment_check.rest_promised", _values_of(events, "payment_check.rest_promised"), language, channel
    )
    assert said.text.startswith(_PART_NOW_REST_THE_20TH[language]), said.text


_PART_NOW_REST_THE_20TH = {
    "da": "Tak. Vi har skrevet ned, at du betaler en del nu og resten den 20. december 2026.",
    "en": "Thank you. We have noted that you will pay part now and the rest on 20 December 2026.",
}


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize("question", ["rest_when", "when"])
@pytest.mark.parametrize(
    ("language", "text"),
    [("da", "resten den 20."), ("da", "resten betaler jeg den 20."), ("en", "the rest on the 20th")],
)
def test_the_rest_on_a_day_asked_when_is_a_promise_for_that_day(
    language: str, text: str, question: str, channel: Channel
) -> None:
    """Asked when the rest can come, "resten den 20." names the very thing asked about: the promise for the 20th, not
    a part of it."""
    state, events = resume(_at_date_question(question, language, channel), TextReceived(text, channel), NOW)
    assert [e.question for e in events if isinstance(e, AnswerRecorded)] == [question]
    _promised_the_20th(state, events, language, channel)


def test_a_part_of_the_rest_on_a_day_is_still_a_part() -> None:
    state, events = resume(_asked("sms", "da"), TextReceived("kan betale noget af resten den 20", "sms"), NOW)
    assert _templates(events) == ["payment_check.part_promised", "payment_check.heard", "consent.ask"]
    assert state.data["question"] == "part"


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "I'll talk to my husband, pay Friday"),
        ("da", "jeg ringer til banken og betaler fredag"),
        ("da", "jeg skal lige snakke med min mand, betaler fredag"),
        ("en", "I will call the bank and pay on Friday"),
    ],
)
def test_a_day_with_a_call_or_talk_to_someone_else_is_a_plain_promise(
    language: str, text: str, channel: Channel
) -> None:
    """ "Jeg ringer til banken og betaler fredag" asks for nobody of ours: the promise for Friday, confirmed and ended,
    never help and a consent question nobody asked for."""
    state, events = resume(_asked(channel, language), TextReceived(text, channel), NOW)
    assert [e.pay_on for e in events if isinstance(e, PromiseRecorded)] == [date(2026, 12, 4)]
    assert _templates(events) == ["payment_check.promised"]
    assert (state.ended, state.end_reason) == (True, "promised")
    said = RENDERER.render("payment_check.promised", _values_of(events, "payment_check.promised"), language, channel)
    assert said.text.startswith(_PROMISED_FRIDAY[language]), said.text


# A call or a talk with someone else, with the day of the call or without one: a plan to ask someone else for help,
# never a day to pay.
_CALLS_TO_SOMEONE_ELSE_ON_A_DAY = (
    ("da", "ringer til kommunen i morgen"),
    ("da", "jeg ringer til jobcentret på mandag"),
    ("da", "jeg skal snakke med min mand i morgen"),
    ("en", "I'll call the council tomorrow"),
    ("en", "I will phone my caseworker on Monday"),
)
_CALLS_TO_SOMEONE_ELSE = (
    ("da", "jeg ringer til banken"),
    ("en", "I will talk to my husband"),
    *_CALLS_TO_SOMEONE_ELSE_ON_A_DAY,
)


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize("question", ["when", "rest_when"])
@pytest.mark.parametrize(("language", "text"), _CALLS_TO_SOMEONE_ELSE)
def test_a_call_or_talk_with_someone_else_asked_when_is_heard_and_help_offered(
    language: str, text: str, question: str, channel: Channel
) -> None:
    """ "Jeg ringer til kommunen i morgen" asked when they can pay: tomorrow is when they call, not when they pay, so
    nothing is noted as promised; they do not know the day yet, and are heard as "ved ikke" is (help offered, the
    consent question), never told "we did not understand" nor asked the day again as if unheard."""
    state, events = resume(_at_date_question(question, language, channel), TextReceived(text, channel), NOW)
    assert not [e for e in events if isinstance(e, PromiseRecorded)]
    assert _templates(events) == ["payment_check.heard", "consent.ask"]
    assert (state.step, state.ended, "pay_on" in state.data) == ("consent", False, False)


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(("language", "text"), [("da", "jeg ringer til banken"), ("en", "I'll call the bank")])
def test_a_call_to_someone_else_at_the_opening_question_is_heard_not_an_adviser_asked_for(
    language: str, text: str, channel: Channel
) -> None:
    state, events = resume(_asked(channel, language), TextReceived(text, channel), NOW)
    assert state.data["question"] != "adviser"
    assert _templates(events) == ["payment_check.heard", "consent.ask"]


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(("language", "text"), _CALLS_TO_SOMEONE_ELSE_ON_A_DAY)
def test_a_call_to_someone_else_with_its_day_at_the_opening_question_is_no_promise(
    language: str, text: str, channel: Channel
) -> None:
    """The day of a call is no answer to "when can you pay?" at the opening question either: heard as the same call
    without a day is, nothing noted as promised."""
    state, events = resume(_asked(channel, language), TextReceived(text, channel), NOW)
    assert not [e for e in events if isinstance(e, PromiseRecorded)]
    assert state.data["question"] not in ("will_pay", "adviser")
    assert _templates(events) == ["payment_check.heard", "consent.ask"]


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize("path", [(), ("2",), ("har betalt en del",)], ids=["question", "when", "rest_when"])
@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("da", "ring til min mobil i morgen"),
        ("da", "ring til mig på fredag"),
        ("da", "kan I ringe til min datter i morgen?"),
        ("en", "call my mobile on Friday"),
        ("en", "please call me tomorrow"),
    ],
)
def test_a_wish_to_be_called_on_a_day_is_a_wish_for_a_person_not_a_promise(
    language: str, text: str, path: tuple[str, ...], channel: Channel
) -> None:
    """ "Ring til min mobil i morgen": tomorrow is when to call, by a person of ours; no payment is noted for it, and
    the consent question (whose yes lets an adviser call) comes, as for the same wish without a day."""
    state, events = resume(_asked(channel, language, path), TextReceived(text, channel), NOW)
    assert not [e for e in events if isinstance(e, PromiseRecorded)]
    assert _templates(events) == ["consent.ask"]
    assert (state.step, "pay_on" in state.data) == ("consent", False)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)] == ["adviser"]


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("da", "jeg får hjælp af min bror, betaler fredag"),
        ("da", "min bror vil hjælpe mig, jeg betaler fredag"),
        ("en", "I get help from my brother, will pay Friday"),
    ],
)
def test_a_day_with_help_from_family_is_a_plain_promise(language: str, text: str, channel: Channel) -> None:
    """ "Jeg får hjælp af min bror, betaler fredag": help they have, from someone else, and a day. The promise is
    confirmed and ended as any promise, no help of ours pushed after it."""
    state, events = resume(_asked(channel, language), TextReceived(text, channel), NOW)
    assert [e.pay_on for e in events if isinstance(e, PromiseRecorded)] == [date(2026, 12, 4)]
    assert _templates(events) == ["payment_check.promised"]
    assert (state.ended, state.end_reason) == (True, "promised")


# Telegram's confirmation of a part now and the rest on a day says both, as said (Telegram may carry amounts).
_PART_NOW_REST_THE_20TH_CONFIRMED = {
    "da": "Tak. Vi har skrevet ned, at du betaler 3.000,00 kr. nu og resten den 20. december 2026.",
    "en": "Thank you. We have noted that you will pay DKK 3,000.00 now and the rest on 20 December 2026.",
}
# Confirmed before the way to a person (a call wished for): the same words without "now".
_PART_NOW_REST_THE_20TH_ASKED = {
    "da": "Tak. Vi har skrevet ned, at du betaler 3.000,00 kr. og resten den 20. december 2026.",
    "en": "Thank you. We have noted that you will pay DKK 3,000.00 and the rest on 20 December 2026.",
}
_PART_NOW_REST_THE_20TH_LATE = {
    "da": "Tak. Vi har skrevet ned, at du vil betale 3.000,00 kr. og resten den 20. december 2026.",
    "en": "Thank you. We have noted that you will pay DKK 3,000.00 and the rest on 20 December 2026.",
}


@pytest.mark.parametrize(
    ("language", "text", "deadline", "template"),
    [
        ("da", "3000 nu og resten den 20", None, "payment_check.rest_promised"),
        ("en", "3000 now and the rest on the 20th", None, "payment_check.rest_promised"),
        ("da", "3000 nu og resten den 20, ring til mig", None, "payment_check.promised_asked"),
        ("en", "3000 now and the rest on the 20th, please call me", None, "payment_check.promised_asked"),
        ("da", "3000 nu og resten den 20", date(2026, 12, 10), "payment_check.promised_late"),
        ("en", "3000 now and the rest on the 20th", date(2026, 12, 10), "payment_check.promised_late"),
        ("da", "3000 nu og resten den 20, ring til mig", date(2026, 12, 10), "payment_check.promised_asked_late"),
    ],
)
def test_a_part_now_and_the_rest_on_a_day_asked_how_much_is_a_promise_for_the_rests_day(
    language: str, text: str, deadline: date | None, template: str
) -> None:
    """Telegram's "I can pay part" pressed, then "3000 nu og resten den 20": 3000 now, and all of it paid by the 20th.
    The amount is kept as the answer to "how much now?", the 20th is the promise, confirmed as the rest's, saying
    both: "3.000 kr. nu og resten den 20."; never "3.000 kr. den 20.", nor the why a part
    gets. By SMS (a fallback re-renders it) the same confirmation names no amount."""
    context = Context("", language, "telegram", "missed", SETTINGS, deadline=deadline)
    asked, _ = resume(start("payment_check", context, NOW)[0], ButtonPressed("part", "telegram"), NOW)
    state, events = resume(asked, TextReceived(text, "telegram"), NOW)
    assert [e.pay_on for e in events if isinstance(e, PromiseRecorded)] == [date(2026, 12, 20)]
    assert _templates(events)[0] == template
    assert (state.data["amount"], state.data["pay_on"]) == (300000, "2026-12-20")
    said = RENDERER.render(template, _values_of(events, template), language, "telegram")
    late = template.endswith("_late")
    confirmed = (
        _PART_NOW_REST_THE_20TH_CONFIRMED if template.endswith("rest_promised") else _PART_NOW_REST_THE_20TH_ASKED
    )
    expected = (_PART_NOW_REST_THE_20TH_LATE if late else confirmed)[language]
    assert said.text.startswith(expected), said.text
    by_sms = RENDERER.render(template, _values_of(events, template), language, "sms")
    assert all(money not in by_sms.text for money in ("3.000", "3,000", "DKK", " kr.")), by_sms.text


def test_a_part_of_the_rest_on_a_day_asked_how_much_stays_a_part() -> None:
    asked, _ = resume(_asked("telegram", "da"), ButtonPressed("part", "telegram"), NOW)
    state, events = resume(asked, TextReceived("3000 nu og noget af resten den 20", "telegram"), NOW)
    assert _templates(events) == ["payment_check.part_promised", "payment_check.reason"]
    assert (state.step, state.data["pay_on"]) == ("reason", "2026-12-20")


_TOLD_WITH_A_DAY = [
    ("da", "Jeg er syg og kan først betale den 20."),
    ("da", "jeg har mistet mit job, betaler den 20."),
    ("en", "I'm sick and can only pay on the 20th."),
    ("en", "I lost my job, I will pay on the 20th"),
]


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(("language", "text"), _TOLD_WITH_A_DAY)
@pytest.mark.parametrize("path", [(), ("2",), ("har betalt en del",)], ids=["question", "when", "rest_when"])
def test_a_day_said_with_why_paying_is_hard_is_kept_and_says_how_to_ask_for_help(
    channel: Channel, language: str, text: str, path: tuple[str, ...]
) -> None:
    """ "Jeg er syg og kan først betale den 20.": a reason, no request. The promise is kept and confirmed, then one kind
    line says how to ask for help (RÅDGIVER), and the conversation ends as a promise: no consent question pushed."""
    state, events = resume(_asked(channel, language, path), TextReceived(text, channel), NOW)
    assert [e.pay_on for e in events if isinstance(e, PromiseRecorded)] == [date(2026, 12, 20)]
    assert _templates(events) == ["payment_check.promised_asked", "payment_check.help_open"]
    assert (state.ended, state.end_reason) == (True, "promised")
    said = RENDERER.render("payment_check.help_open", _values_of(events, "payment_check.help_open"), language, channel)
    word = {"da": "RÅDGIVER", "en": "ADVISER"}[language]
    assert word in said.text
    # The word it names is the way to a person: written after the end, it leads to the consent question.
    asked, more = start_with_text("payment_check", Context("", language, channel, None, SETTINGS), NOW, word)
    assert (asked.step, _templates(more)) == ("consent", ["consent.ask"])


@pytest.mark.parametrize(
    "text", ["jeg betaler den 20.", "kan ikke betale før den 20.", "jeg får hjælp af min bror, betaler den 20."]
)
def test_a_day_without_a_reason_why_is_a_plain_promise(text: str) -> None:
    state, events = resume(_asked("sms", "da"), TextReceived(text, "sms"), NOW)
    assert _templates(events) == ["payment_check.promised"]
    assert (state.ended, state.end_reason) == (True, "promised")


def test_a_reason_why_with_a_day_after_the_deadline_gets_the_late_promise_which_offers_help_already() -> None:
    state, events = resume(_with_deadline(date(2026, 12, 10)), TextReceived("jeg er syg, betaler den 20.", "sms"), NOW)
    assert _templates(events) == ["payment_check.promised_late"]
    assert (state.ended, state.end_reason) == (True, "promised")


# A consent put off: asking someone first, thinking it over, maybe, not knowing. No yes and no no.
_PUT_OFF = (
    ("da", "jeg skal lige snakke med min mand først"),
    ("en", "I'll talk to my husband first"),
    ("da", "ved ikke"),
    ("en", "I don't know"),
    ("en", "idk"),
    ("en", "dunno"),
    ("da", "måske"),
    ("en", "maybe"),
    ("da", "jeg skal tænke over det"),
    ("en", "I need to think about it"),
    # After an "ok", read on: not only "the message was read" (a consent needs its own yes either way).
    ("da", "ok, jeg skal lige snakke med min mand først"),
    ("en", "okay, I'll ask my husband first"),
)
_HEARD_AT_CONSENT = {"da": "Tak, fordi du fortæller det. Du kan svare JA eller NEJ", "en": "Thank you for telling us."}
_YES_NO = {"da": ("ja", "nej"), "en": ("yes", "no")}


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(("language", "text"), _PUT_OFF)
def test_a_consent_put_off_after_a_plan_is_heard_and_the_question_waits(
    language: str, text: str, channel: Channel
) -> None:
    """ "Jeg ringer til kommunen i morgen" asked when leads to the consent question; "jeg skal lige snakke med min mand
    først" or "ved ikke" there is no wrong answer ("Undskyld, det forstod vi ikke") and no yes or no: the tenant is
    thanked and told they can answer JA or NEJ when ready, no try is used, and a later JA or NEJ is what it always
    was."""
    plan = {"da": "jeg ringer til kommunen i morgen", "en": "I'll call the council tomorrow"}[language]
    asked, _ = resume(_at_date_question("when", language, channel), TextReceived(plan, channel), NOW)
    assert asked.step == "consent"
    waiting, events = resume(asked, TextReceived(text, channel), NOW)
    assert _templates(events) == ["consent.heard"]
    assert (waiting.step, waiting.ended, waiting.retries) == ("consent", False, asked.retries)
    assert not [e for e in events if isinstance(e, ConsentGiven)]
    said = RENDERER.render("consent.heard", _values_of(events, "consent.heard"), language, channel)
    assert said.text.startswith(_HEARD_AT_CONSENT[language]), said.text
    yes, no = _YES_NO[language]
    given, events = resume(waiting, TextReceived(yes, channel), NOW)
    assert given.end_reason == "handed_off" and [e for e in events if isinstance(e, ConsentGiven)]
    declined, events = resume(waiting, TextReceived(no, channel), NOW)
    assert declined.end_reason == "declined" and not [e for e in events if isinstance(e, ConsentGiven)]


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize("question", ["when", "rest_when"])
@pytest.mark.parametrize(
    ("language", "text", "kept"),
    [
        *((language, text, text) for language, text in _CALLS_TO_SOMEONE_ELSE),
        ("da", "jeg ringer til a-kassen i morgen", "jeg ringer til a-kassen i morgen"),
        # Not knowing, or a reason given, is kept as before: heard as "cannot pay".
        ("da", "ved ikke", "hardship"),
        ("da", "ingen anelse", "hardship"),
        ("da", "ingen anelse hvornår", "hardship"),
        ("da", "ingen anelse om hvornår", "hardship"),
        ("en", "I don't know", "hardship"),
        ("en", "idk", "hardship"),  # as people text it
        ("da", "jeg er syg, jeg ringer til kommunen", "hardship"),
    ],
)
def test_a_plan_with_someone_else_asked_when_is_kept_in_the_tenants_words(
    language: str, text: str, kept: str, question: str, channel: Channel
) -> None:
    """The adviser reads what the tenant said ("jeg ringer til kommunen i morgen") as the answer to "when can you pay?",
    never "cannot pay", which reads as a reason given; the tenant is heard as before."""
    state, events = resume(_at_date_question(question, language, channel), TextReceived(text, channel), NOW)
    assert _templates(events) == ["payment_check.heard", "consent.ask"]
    assert state.data[question] == kept


@pytest.mark.parametrize("question", ["when", "rest_when", "consent"])
@pytest.mark.parametrize(
    "text", ["ingen anelse hvad I mener", "ingen anelse hvem I er", "ingen anelse hvad I snakker om"]
)
def test_no_idea_what_or_who_is_not_heard_as_not_knowing_when(text: str, question: str) -> None:
    """ "Ingen anelse" is not knowing alone or of when; "ingen anelse hvad I mener" is the tenant not knowing what we
    mean: never "cannot pay" and help offered, nor "thank you for telling us" at the consent question."""
    asked = _asked("sms", "da", ("3",)) if question == "consent" else _at_date_question(question, "da", "sms")
    state, events = resume(asked, TextReceived(text, "sms"), NOW)
    assert not {"payment_check.heard", "consent.heard"} & set(_templates(events))
    assert [e.value for e in events if isinstance(e, AnswerRecorded) and e.value == "hardship"] == []
    assert state.step == question


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize("question", ["when", "rest_when"])
@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("da", "nej"),
        ("da", "Nej."),
        ("da", "aldrig"),
        ("da", "nej desværre"),
        ("da", "nej det kan jeg ikke"),
        ("da", "det kan jeg desværre ikke"),
        ("da", "det kan jeg ikke sige"),
        ("da", "nej 😢"),
        ("en", "no"),
        ("en", "never"),
        ("en", "no I can't"),
        ("en", "sorry, I can't"),
        ("en", "not possible"),
    ],
)
def test_a_no_asked_when_they_can_pay_is_heard_as_cannot_say_when(
    language: str, text: str, question: str, channel: Channel
) -> None:
    """ "Hvornår kan du betale?" "Nej" / "aldrig" / "never": they cannot say when, or cannot pay. Heard as "ved ikke"
    is, and help is offered; never "we did not understand" with a try used."""
    state, events = resume(_at_date_question(question, language, channel), TextReceived(text, channel), NOW)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)] == ["hardship"]
    assert _templates(events) == ["payment_check.heard", "consent.ask"]
    assert not [e for e in events if isinstance(e, PromiseRecorded)]
    assert state.step == "consent"


@pytest.mark.parametrize("question", ["question", "when", "rest_when"])
@pytest.mark.parametrize(
    ("language", "text", "value"),
    [
        # The rest paid is all of it paid: the payment claimed, never "a part paid, when does the rest come?".
        ("da", "jeg har betalt resten", "paid"),
        ("da", "resten er betalt", "paid"),
        ("da", "har betalt resten i dag", "paid"),
        ("en", "I paid the rest", "paid"),
        ("en", "I paid the rest last week", "paid"),
        ("da", "jeg har betalt resten af huslejen", "paid"),
        # A part of the rest, or a part paid and the rest to come, is no payment of all of it.
        ("da", "har betalt noget af resten", None),
        ("da", "har betalt en del, resten på fredag", None),
        # The rest of something else, beside money trouble, asked, or with a day to come is no payment of the rent.
        ("en", "I paid the rest of my bills so I have no money for rent", None),
        ("da", "jeg har betalt resten af mine regninger, så jeg har ingen penge til huslejen", None),
        ("da", "har jeg betalt resten?", None),
        ("da", "jeg har betalt resten af regningerne", None),
        ("en", "I paid the rest of the deposit", None),
        ("da", "jeg har betalt resten i morgen", None),
        ("da", "jeg har betalt resten, men har ingen penge til huslejen", None),
    ],
)
def test_the_rest_paid_is_a_payment_claimed(language: str, text: str, value: str | None, question: str) -> None:
    asked = _asked("sms", language) if question == "question" else _at_date_question(question, language, "sms")
    state, events = resume(asked, TextReceived(text, "sms"), NOW)
    claimed = [e for e in events if isinstance(e, PaidClaimed)]
    if value == "paid":
        assert [e.value for e in events if isinstance(e, AnswerRecorded)] == ["paid"]
        assert len(claimed) == 1 and state.end_reason == "paid_claimed"
    else:
        assert claimed == [] and state.end_reason != "paid_claimed"


@pytest.mark.parametrize(
    ("text", "which_day"),
    [
        ("snarest", True),
        ("hurtigst", True),
        ("hurtigst muligt", True),
        ("så hurtigt som muligt", True),
        # "Hurtigt" alone says no time: never "which day do you mean?".
        ("det går ikke så hurtigt", False),
        ("så hurtigt jeg kan", False),
    ],
)
def test_as_soon_as_may_be_asked_when_gets_which_day_no_try_used(text: str, which_day: bool) -> None:
    asked = _at_date_question("when", "da", "sms")
    state, events = resume(asked, TextReceived(text, "sms"), NOW)
    if which_day:
        assert _templates(events) == ["common.which_day"] and state == asked
    else:
        assert "common.which_day" not in _templates(events)


@pytest.mark.parametrize(("text", "value"), [("3 tak", "adviser"), ("2, mange tak", "will_pay"), ("1 please", "paid")])
def test_an_option_number_with_thanks_after_it_is_that_option(text: str, value: str) -> None:
    _state, events = resume(_start(), TextReceived(text, "sms"), NOW)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)] == [value]


@pytest.mark.parametrize(
    ("text", "value", "templates"),
    [
        # A no with more in it is what the more says: a day, a call wished, a payment made.
        ("nej, den 20.", "2026-12-20", ["payment_check.promised"]),
        ("nej, ring til mig", "adviser", ["consent.ask"]),
        ("nej jeg har betalt", "paid", ["payment_check.paid"]),
    ],
)
def test_a_no_with_more_asked_when_is_read_as_the_more(text: str, value: str, templates: list[str]) -> None:
    _state, events = resume(_at_date_question("when", "da", "sms"), TextReceived(text, "sms"), NOW)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)] == [value]
    assert _templates(events) == templates


@pytest.mark.parametrize(
    ("language", "text", "value", "templates"),
    [
        # "Nej, jeg kan ikke" asked whether they need help: they cannot pay, never "no thanks" and the end.
        ("da", "nej jeg kan ikke", "hardship", ["payment_check.heard", "consent.ask"]),
        ("da", "nej, det kan jeg ikke", "hardship", ["payment_check.heard", "consent.ask"]),
        ("en", "no I can't", "hardship", ["payment_check.heard", "consent.ask"]),
        # "Aldrig", "never": a no said strongly.
        ("da", "aldrig", "no_thanks", ["payment_check.no_help"]),
        ("en", "never", "no_thanks", ["payment_check.no_help"]),
        ("da", "nej", "no_thanks", ["payment_check.no_help"]),
        ("da", "nej tak", "no_thanks", ["payment_check.no_help"]),
    ],
)
def test_a_no_at_the_opening_question_is_told_from_i_cannot(
    language: str, text: str, value: str, templates: list[str]
) -> None:
    _state, events = resume(_asked("sms", language), TextReceived(text, "sms"), NOW)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)] == [value]
    assert _templates(events) == templates


@pytest.mark.parametrize(("language", "text"), [("da", "aldrig"), ("en", "never"), ("da", "nej det kan jeg ikke")])
def test_never_at_the_consent_question_is_a_no(language: str, text: str) -> None:
    asked = _asked("sms", language, ("3",))
    state, events = resume(asked, TextReceived(text, "sms"), NOW)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)] == ["no"]
    assert state.end_reason == "declined"


@pytest.mark.parametrize(
    ("language", "text"),
    [("da", "nej"), ("da", "aldrig"), ("en", "never"), ("en", "no I can't"), ("da", "ved ikke"),
     ("en", "I don't know")],
)  # fmt: skip
def test_a_no_asked_how_much_is_heard_as_nothing_they_can_pay(language: str, text: str) -> None:
    opening, _ = start("payment_check", Context("", language, "telegram", "missed", SETTINGS), NOW)
    asked, _ = resume(opening, ButtonPressed("part", "telegram"), NOW)
    assert asked.step == "how_much"
    _state, events = resume(asked, TextReceived(text, "telegram"), NOW)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)] == ["hardship"]
    assert _templates(events) == ["payment_check.heard", "consent.ask"]
    # A "nej" or "ved ikke" to how much names no amount; only "never" or "I can't" says no payment comes, and takes a
    # promise back.
    taken_back = [e for e in events if isinstance(e, ClaimWithdrawn)]
    assert taken_back == ([] if text in ("nej", "ved ikke", "I don't know") else [ClaimWithdrawn()])


@pytest.mark.parametrize("text", ["1 og 3", "1, 3", "2 eller 4", "1 men ring til mig", "3, jeg har betalt"])
def test_a_menu_answered_with_two_of_its_options_asks_which_one(text: str) -> None:
    """ "1 og 3", or a number and words that pick another option: which one is asked (no try used, the question open),
    never the first taken silently."""
    state = _start()
    after, events = resume(state, TextReceived(text, "sms"), NOW)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)] == ["unrecognised"]
    assert _templates(events) == ["common.which_option"]
    assert after == state
    asked = next(e for e in events if isinstance(e, MessageRequested))
    rendered = RENDERER.render(asked.template, asked.values, "da", "sms", (), now=NOW).text
    assert rendered == "Hvilket svar mener du? Svar med ét tal: 1, 2, 3 eller 4."


def test_two_options_on_telegram_are_asked_with_the_buttons_again() -> None:
    state = _start("telegram")
    _after, events = resume(state, TextReceived("1 and 3", "telegram"), NOW)
    asked = next(e for e in events if isinstance(e, MessageRequested))
    assert asked.template == "common.which_option"
    assert [choice.key for choice in asked.choices] == ["paid", "will_pay", "adviser", "info", "part"]
    assert RENDERER.render(asked.template, asked.values, "en", "telegram", (), now=NOW).text == (
        "Which answer do you mean? Choose one below."
    )


def test_a_number_whose_words_answer_what_it_leads_to_is_that_answer() -> None:
    """ "2, fredag, og ring til mig": pays on Friday (option 2's day), and a person is wished: the promise is kept and
    the consent question comes, as for "betaler fredag og ring til mig"; never the call alone with the day dropped."""
    _after, events = resume(_start(), TextReceived("2, fredag, og ring til mig", "sms"), NOW)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)] == ["will_pay", "2026-12-04"]
    assert any(isinstance(e, PromiseRecorded) for e in events)
    assert _templates(events)[-1] == "consent.ask"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        # "Gerne" beside the call only says the call is welcome: a call wished, as "please call me" is, no consent.
        ("ring gerne", "consent.call_wish"),
        ("ring gerne til mig", "consent.call_wish"),
        ("I må gerne ringe", "consent.call_wish"),
        ("du må gerne ringe til mig", "consent.call_wish"),
        # A yes said besides is a yes.
        ("ja, ring gerne", "consent.confirmed"),
        ("gerne, ring til mig", "consent.confirmed"),
        ("ja gerne", "consent.confirmed"),
        ("gerne", "consent.confirmed"),
    ],
)
def test_a_call_made_welcome_at_the_consent_question_is_no_consent_without_a_yes(text: str, said: str) -> None:
    asked = _asked("sms", "da", ("3",))
    state, events = resume(asked, TextReceived(text, "sms"), NOW)
    assert _templates(events) == [said]
    assert bool([e for e in events if isinstance(e, ConsentGiven)]) is (said == "consent.confirmed")
    if said == "consent.call_wish":
        assert state == asked  # no answer recorded, no try used


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize("path", [("2",), ("har betalt en del",)], ids=["when", "rest_when"])
@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("da", "fredag og ring til mig"),
        ("da", "på fredag, men ring gerne"),
        ("da", "fredag og I må gerne ringe til mig"),
        ("da", "fredag og ring gerne"),
        ("da", "på fredag og ring"),
        ("da", "fredag og I må gerne ringe"),
        ("da", "fredag, du må gerne ringe"),
        ("da", "fredag, ring gerne til mig"),
        ("en", "friday and call me"),
        ("en", "on Friday and please call me"),
        ("en", "friday, you can call me"),
        ("en", "friday and feel free to call"),
    ],
)
def test_a_day_and_a_call_wish_asked_when_keep_the_day_as_the_promise(
    language: str, text: str, path: tuple[str, ...], channel: Channel
) -> None:
    """ "Fredag og ring til mig" asked when they can pay: Friday answers the question (the call is wished besides, not
    on Friday), so the day is kept and confirmed as the promise and the consent question comes, as after "2, fredag,
    og ring til mig"; never the call alone with the day dropped."""
    state, events = resume(_asked(channel, language, path), TextReceived(text, channel), NOW)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)] == ["2026-12-04"]
    assert [e for e in events if isinstance(e, PromiseRecorded)] == [PromiseRecorded(date(2026, 12, 4))]
    assert _templates(events) == ["payment_check.promised_asked", "payment_check.heard", "consent.ask"]
    assert (state.step, state.data["pay_on"]) == ("consent", "2026-12-04")


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("da", "fredag og ring til mig"),
        ("da", "fredag, ring til mig"),
        ("da", "fredag og jeg har brug for hjælp"),
        ("da", "fredag og jeg vil gerne snakke med en rådgiver"),
        ("en", "friday and call me"),
        ("en", "friday and i need help"),
    ],
)
def test_a_day_and_a_call_wish_at_the_opening_question_keep_the_day_as_the_promise(
    language: str, text: str, channel: Channel
) -> None:
    """ "Fredag og ring til mig" before "when?" is asked: no pay word, yet Friday is the day they pay, and the call is
    wished besides. The promise is kept and confirmed, then the consent question comes, as at "when?"; never the call
    alone with the day dropped."""
    state, events = resume(_asked(channel, language), TextReceived(text, channel), NOW)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)] == ["will_pay", "2026-12-04"]
    assert [e for e in events if isinstance(e, PromiseRecorded)] == [PromiseRecorded(date(2026, 12, 4))]
    assert _templates(events) == ["payment_check.promised_asked", "payment_check.heard", "consent.ask"]
    assert (state.step, state.data["pay_on"]) == ("consent", "2026-12-04")


@pytest.mark.parametrize("text", ["fredag og ring til banken", "fredag, og jeg ringer til kommunen"])
def test_a_day_and_a_call_to_someone_else_asked_when_is_the_promise_alone(text: str) -> None:
    """ "Fredag og ring til banken": a call of the tenant's own to someone else asks nothing of us; Friday is promised
    and confirmed, no consent question."""
    _state, events = resume(_asked("sms", "da", ("2",)), TextReceived(text, "sms"), NOW)
    assert [e for e in events if isinstance(e, PromiseRecorded)] == [PromiseRecorded(date(2026, 12, 4))]
    assert _templates(events) == ["payment_check.promised"]


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("da", "jeg vil gerne have hjælp på mandag"),
        ("da", "kan I hjælpe mig på fredag"),
        ("en", "I need help on monday"),
    ],
)
def test_help_wished_for_on_a_day_at_the_opening_question_is_no_promise(language: str, text: str) -> None:
    """ "Kan I hjælpe mig på fredag": Friday is when they want help, not when they pay. No promise is recorded; the
    wish for help leads to the consent question, as "hjælp" alone does."""
    state, events = resume(_asked("sms", language), TextReceived(text, "sms"), NOW)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)] == ["adviser"]
    assert not [e for e in events if isinstance(e, PromiseRecorded)]
    assert (state.step, "pay_on" in state.data) == ("consent", False)


@pytest.mark.parametrize(
    ("language", "text"), [("da", "sidst på måneden"), ("da", "til januar"), ("en", "end of month")]
)
def test_a_time_without_a_day_at_the_opening_question_is_asked_which_day(language: str, text: str) -> None:
    """ "Sidst på måneden" before "when?" is asked says when they will pay, only not which day: asked which day, as at
    "when?", never "we did not understand"."""
    state, events = resume(_asked("sms", language), TextReceived(text, "sms"), NOW)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)] == ["will_pay"]
    assert _templates(events) == ["common.which_day"]
    assert (state.step, state.retries) == ("when", 0)


@pytest.mark.parametrize("path", [(), ("2",)], ids=["question", "when"])
@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("da", "kan ikke betale før januar"),
        ("da", "jeg kan ikke betale huslejen indtil februar"),
        ("da", "kan ikke betale før efter januar"),
        ("en", "I can't pay until January"),
    ],
)
def test_cannot_pay_before_a_month_is_asked_which_day(language: str, text: str, path: tuple[str, ...]) -> None:
    """ "Kan ikke betale før januar" says when they can pay, only not which day: asked which day, as "til januar" is,
    never heard as hardship with the time dropped."""
    state, events = resume(_asked("sms", language, path), TextReceived(text, "sms"), NOW)
    assert _templates(events) == ["common.which_day"]
    assert (state.step, state.retries) == ("when", 0)


@pytest.mark.parametrize(
    "text",
    [
        "kan ikke betale huslejen for januar",  # January's rent, not "før"
        "kan ikke betale i januar",
        "jeg er syg og kan ikke betale før januar",  # why, told: heard
        "kan ikke betale",
    ],
)
def test_cannot_pay_a_month_s_rent_or_with_a_reason_is_still_heard(text: str) -> None:
    """A month's rent that cannot be paid, or a reason told beside the month, is hardship as before: heard, and help
    offered."""
    state, events = resume(_asked("sms", "da"), TextReceived(text, "sms"), NOW)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)] == ["hardship"]
    assert state.step == "consent"


@pytest.mark.parametrize("text", ["ja, fredag", "ja men først på fredag", "ja tak fredag"])
def test_a_yes_with_a_day_at_the_opening_question_is_a_promise_for_that_day(text: str) -> None:
    """ "Ja, fredag" to "Brug for hjælp med huslejen?": the day is what they say they will do, kept and confirmed; a
    bare "ja" still leads to the consent question."""
    state, events = resume(_start(), TextReceived(text, "sms"), NOW)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)] == ["will_pay", "2026-12-04"]
    assert _templates(events) == ["payment_check.promised"]
    assert state.ended and state.data["pay_on"] == "2026-12-04"
    _state, events = resume(_start(), TextReceived("ja", "sms"), NOW)
    assert _templates(events) == ["consent.ask"]


@pytest.mark.parametrize(("language", "text"), [("da", "ja"), ("da", "JA tak"), ("en", "yes")])
@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize("ended", ["no_response", "not_understood", "not_in_words"])
def test_a_late_yes_with_nothing_open_hears_why_the_consent_question_comes_again(
    language: str, text: str, channel: Channel, ended: str
) -> None:
    """A "ja" after the consent question expired unanswered is no consent (given to wording just read, to a question
    still asked); the question comes again, and a line before it says why, never as if the yes was lost."""
    expired = replace(_asked(channel, language, ("3",)), ended=True, end_reason=ended)
    assert expired.step == "consent"
    context = Context("", language, channel, None, SETTINGS)
    state, events = start_with_text("payment_check", context, NOW, text, expired)
    assert _templates(events) == ["consent.asked_again", "consent.ask"]
    assert not any(isinstance(e, ConsentGiven) for e in events)
    assert state.step == "consent" and not state.ended
    said = RENDERER.render("consent.asked_again", {}, language, channel, (), now=NOW).text
    assert said.startswith("Tak for dit ja." if language == "da" else "Thank you for your yes.")


@pytest.mark.parametrize("text", ["ja tak, ring efter kl 16", "3", "ring til mig"])
def test_a_wish_for_a_person_with_nothing_open_gets_the_consent_question_alone(text: str) -> None:
    _state, events = start_with_text("payment_check", Context("", "da", "sms", None, SETTINGS), NOW, text)
    assert _templates(events)[-1] == "consent.ask"
    assert "consent.asked_again" not in _templates(events)


@pytest.mark.parametrize("last_step", [None, "question"])
def test_a_bare_yes_asks_for_consent_without_saying_it_asks_again_unless_a_consent_question_expired(
    last_step: str | None,
) -> None:
    """A "ja" after a reminder's question that ended unanswered is a yes to it: the consent question comes, with no
    "we ask again" for a question never asked. After a conversation that ended on the tenant's answer, or with none
    before, it says the last words were read ("ok")."""
    context = Context("", "da", "sms", None, SETTINGS)
    last = None if last_step is None else _asked("sms", "da")
    state, events = start_with_text("payment_check", context, NOW, "ja", last)
    if last is None:
        assert _templates(events) == ["common.noted"] and state.ended and state.end_reason == "noted"
    else:
        assert _templates(events) == ["consent.ask"] and state.step == "consent"
    promised = _asked("sms", "da", ("2", "fredag"))
    assert promised.ended
    _state, events = start_with_text("payment_check", context, NOW, "ja", promised)
    assert _templates(events) == ["common.noted"]


@pytest.mark.parametrize("channel", ["sms", "telegram"])
def test_a_yes_after_the_consent_question_ran_out_is_no_consent_even_before_its_timer_ended_it(
    channel: Channel,
) -> None:
    """The consent question gives up after its hours; a "ja" that comes later, while the timer that ends it has not
    run yet (the service was down), is no consent to it: the question is asked again, with why. Within its time the
    same "ja" is the consent."""
    asked = _asked(channel, "da", ("3",))
    assert asked.step == "consent" and asked.expires_at is not None
    late = asked.expires_at + timedelta(minutes=1)
    state, events = resume(asked, TextReceived("ja", channel), late)
    assert not any(isinstance(e, ConsentGiven) for e in events)
    assert _templates(events) == ["consent.asked_again", "consent.ask"]
    assert state.step == "consent" and not state.ended and state.expires_at is not None and state.expires_at > late
    _state, events = resume(asked, TextReceived("ja", channel), asked.expires_at - timedelta(minutes=1))
    assert any(isinstance(e, ConsentGiven) for e in events)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("what will you do with my info?", "en"),
        ("what happens to my data", "en"),
        ("hvad gør I med mine oplysninger?", "da"),
        ("hvad bruger I mine svar til", "da"),
    ],
)
def test_a_question_about_their_data_at_the_consent_question_gets_its_own_explanation(text: str, language: str) -> None:
    """ "What will you do with my info?" got "call us (Mon-Fri 9-15)", sent at 17:00: what becomes of their data is the
    consent question's own matter. Who sees what, and how to take the yes back; no try used, no consent, it waits."""
    context = Context("", language, "sms", "missed", SETTINGS)
    asked, _ = resume(start("payment_check", context, NOW)[0], TextReceived("3", "sms"), NOW)
    state, events = resume(asked, TextReceived(text, "sms"), NOW)
    assert [e.template for e in events if isinstance(e, MessageRequested)] == ["consent.who_sees"]
    assert (state.step, state.ended, state.retries) == ("consent", False, 0)
    assert not any(isinstance(e, ConsentGiven | HandoffRequested) for e in events)


# The word that takes a yes back, as each language's texts write it.
_WITHDRAW_WORD = {"da": "TILBAGEKALD", "en": "WITHDRAW", "ar": "سحب", "tr": "GERİ AL"}


@pytest.mark.parametrize("language", ["da", "en", "ar", "tr"])
@pytest.mark.parametrize("channel", ["sms", "telegram"])
def test_who_sees_and_a_call_wished_say_how_to_withdraw_and_the_number_on_both_channels(
    language: str, channel: Channel
) -> None:
    """Asked who sees their answers, a tenant is told the word that takes the yes back; wishing a call, the number they
    can call themselves: by SMS as on Telegram, in Arabic and Turkish too (their SMS left both out)."""
    asked = _asked(channel, language, ("3",))
    assert asked.step == "consent"
    said: dict[str, str] = {}
    for text in ("hvem kan se det?", "ring til mig"):
        _state, events = resume(asked, TextReceived(text, channel), NOW)
        for event in events:
            if isinstance(event, MessageRequested):
                said[event.template] = RENDERER.render(event.template, event.values, language, channel).text
    assert set(said) == {"consent.who_sees", "consent.call_wish"}
    assert _WITHDRAW_WORD[language] in said["consent.who_sees"]
    assert re.search(r"\d\d\s\d\d\s\d\d\s\d\d", said["consent.call_wish"]), said["consent.call_wish"]


@pytest.mark.parametrize(
    "text",
    ["jeg vil gerne tale med et menneske", "jeg vil gerne snakke med en rådgiver", "jeg vil gerne tale med en person"],
)
def test_a_wish_for_a_person_at_the_consent_question_is_no_consent(text: str) -> None:
    """ "Jeg vil gerne tale med et menneske" was taken as JA by its "gerne": a consent must be an unambiguous yes. The
    tenant hears that a person calls once they say JA, and that they can call the office themselves; the question
    waits, no try used."""
    asked, _ = resume(_start(), TextReceived("3", "sms"), NOW)
    state, events = resume(asked, TextReceived(text, "sms"), NOW)
    assert [e.template for e in events if isinstance(e, MessageRequested)] == ["consent.call_wish"]
    assert (state.step, state.ended, state.retries) == ("consent", False, 0)
    assert not any(isinstance(e, ConsentGiven | HandoffRequested) for e in events)


@pytest.mark.parametrize("text", ["ja", "ja tak", "ok ja", "ja gerne", "ja, jeg vil gerne tale med et menneske"])
def test_a_yes_beside_a_wish_for_a_person_stays_a_consent(text: str) -> None:
    asked, _ = resume(_start(), TextReceived("3", "sms"), NOW)
    state, events = resume(asked, TextReceived(text, "sms"), NOW)
    assert (state.ended, state.data["consent"]) == (True, "yes")
    assert any(isinstance(e, ConsentGiven) for e in events)


@pytest.mark.parametrize(
    ("step", "text"),
    [("question", "I got the letter on the 24th"), ("question", "I have court on the 21st, what do I do"),
     ("question", "jeg får løn d. 30 men det rækker ikke"),
     ("question", "jeg er på hospitalet til d. 15 og kan ikke betale"), ("question", "jeg flytter d. 1. januar"),
     ("question", "jeg har et møde med kommunen på torsdag"), ("question", "my hearing is on monday"),
     ("when", "jeg flytter d. 1. januar"), ("when", "jeg får løn d. 30 men det rækker ikke"),
     ("when", "my hearing is on monday"), ("when", "jeg kan alligevel ikke betale d. 9"),
     ("question", "jeg fik brevet om huslejen d. 24")],
)  # fmt: skip
def test_a_day_said_for_something_else_is_no_promise_and_is_heard(step: str, text: str) -> None:
    state = _start()
    if step == "when":
        state, _ = resume(state, ButtonPressed("will_pay", "sms"), NOW)
    state, events = resume(state, TextReceived(text, "sms"), NOW)
    assert [e for e in events if isinstance(e, PromiseRecorded)] == []
    said = [e.template for e in events if isinstance(e, MessageRequested)]
    # Heard, and a person offered: never "we have noted that you will pay on …", never "not understood".
    assert said == ["payment_check.heard", "consent.ask"], said
    assert state.step == "consent"


@pytest.mark.parametrize(
    ("step", "text", "day"),
    [("question", "kan betale fredag", date(2026, 12, 4)), ("when", "fredag", date(2026, 12, 4)),
     ("when", "nej, den 20.", date(2026, 12, 20)), ("question", "kan ikke betale før d 15, jeg er på hospitalet",
     date(2026, 12, 15)), ("question", "jeg kan betale når jeg er ude af hospitalet d. 15", date(2026, 12, 15)),
     ("question", "jeg flytter pengene fredag", date(2026, 12, 4)), ("question", "jeg kan ret sikkert fredag",
     date(2026, 12, 4)), ("question", "jeg fik brevet d. 24, jeg betaler d. 28", date(2026, 12, 28)),
     ("when", "I got the letter on the 24th, I will pay on the 28th", date(2026, 12, 28))],
)  # fmt: skip
def test_a_day_said_as_a_day_to_pay_is_still_a_promise(step: str, text: str, day: date) -> None:
    state = _start()
    if step == "when":
        state, _ = resume(state, ButtonPressed("will_pay", "sms"), NOW)
    _state, events = resume(state, TextReceived(text, "sms"), NOW)
    assert [e.pay_on for e in events if isinstance(e, PromiseRecorded)] == [day]


@pytest.mark.parametrize(
    "text",
    ["kan ikke betale", "jeg kan alligevel ikke betale d. 9", "nej jeg har ikke betalt endnu, trykkede forkert",
     "ikke endnu"],
)  # fmt: skip
def test_cannot_pay_or_not_paid_yet_takes_back_a_promise_or_a_paid_answer(text: str) -> None:
    context = Context("", "da", "sms", None, SETTINGS)
    _state, events = start_with_text("payment_check", context, NOW, text)
    assert [e for e in events if isinstance(e, ClaimWithdrawn)] == [ClaimWithdrawn()]
    assert not any(isinstance(e, PromiseRecorded | PaidClaimed) for e in events)


@pytest.mark.parametrize("text", ["betaler på fredag", "1", "jeg har betalt", "ring til mig"])
def test_a_promise_a_payment_or_a_wish_for_a_person_takes_nothing_back(text: str) -> None:
    context = Context("", "da", "sms", None, SETTINGS)
    _state, events = start_with_text("payment_check", context, NOW, text)
    assert not any(isinstance(e, ClaimWithdrawn) for e in events)


def _asked_when() -> State:
    """ "When can you pay?" asked (a promise may stand from before: ClaimWithdrawn is what ends it, in the host)."""
    state, _ = resume(_start(), ButtonPressed("will_pay", "sms"), NOW)
    return state


@pytest.mark.parametrize(
    "text",
    ["jeg ringer til kommunen", "I will talk to my husband", "ved ikke", "nej", "my hearing is on monday"],
)
def test_words_that_give_no_reason_asked_when_leave_a_standing_promise(text: str) -> None:
    _state, events = resume(_asked_when(), TextReceived(text, "sms"), NOW)
    assert not any(isinstance(e, ClaimWithdrawn) for e in events)
    # Heard as before: the same text, and a person offered.
    assert _templates(events) == ["payment_check.heard", "consent.ask"]


@pytest.mark.parametrize(
    "text",
    [
        "kan ikke betale",
        "har ikke betalt endnu",
        "rækker ikke",
        "I can't pay",
        "jeg kan alligevel ikke betale d. 9",
        # A no that says never: they cannot pay, not only cannot say when.
        "aldrig",
        "nej aldrig",
        "never",
    ],
)
def test_cannot_pay_asked_when_takes_back_a_standing_promise(text: str) -> None:
    _state, events = resume(_asked_when(), TextReceived(text, "sms"), NOW)
    assert [e for e in events if isinstance(e, ClaimWithdrawn)] == [ClaimWithdrawn()]
    assert _templates(events) == ["payment_check.heard", "consent.ask"]


@pytest.mark.parametrize(
    ("channel", "language", "path", "text"),
    [
        ("sms", "da", ("3",), "kan ikke betale"),
        ("sms", "en", ("3",), "I can't pay"),
        ("sms", "da", ("3",), "nej, jeg kan ikke betale"),
        ("telegram", "da", ("3",), "jeg har ikke råd"),
        ("telegram", "tr", ("3",), "ödeyemiyorum"),
        # The reason question (Telegram, after a part's amount): own words, heard, and the promise taken back.
        ("telegram", "en", ("5", "500"), "I can't pay"),
    ],
)  # fmt: skip
def test_cannot_pay_at_any_question_takes_back_a_standing_promise(
    channel: Channel, language: str, path: tuple[str, ...], text: str
) -> None:
    """A promise made before holds the reminders; "kan ikke betale" ends it wherever it is said, as at "when?"."""
    asked = _asked(channel, language, path)
    assert asked.step == ("reason" if "500" in path else "consent")
    _state, events = resume(asked, TextReceived(text, channel), NOW)
    assert [e for e in events if isinstance(e, ClaimWithdrawn)] == [ClaimWithdrawn()]
    assert not any(isinstance(e, PromiseRecorded | PaidClaimed) for e in events)


@pytest.mark.parametrize(
    "text", ["nej det kan jeg ikke", "jeg er syg", "hvad hvis jeg ikke kan betale?", "ja", "ikke endnu"]
)
def test_a_no_a_reason_or_a_question_at_the_consent_question_takes_nothing_back(text: str) -> None:
    _state, events = resume(_asked("sms", "da", ("3",)), TextReceived(text, "sms"), NOW)
    assert not any(isinstance(e, ClaimWithdrawn) for e in events)


@pytest.mark.parametrize(
    ("language", "text"), [("da", "kan jeg betale i rater?"), ("en", "can I pay in installments?")]
)
def test_asking_to_pay_in_instalments_offers_help_not_when(language: str, text: str) -> None:
    """Instalments are a plan to make with a person: by SMS help is offered and the consent question comes, never
    "when can you pay?" as if the whole were promised."""
    _state, events = resume(_asked("sms", language), TextReceived(text, "sms"), NOW)
    assert _templates(events) == ["payment_check.heard", "consent.ask"]
    assert not any(isinstance(e, PromiseRecorded) for e in events)


@pytest.mark.parametrize("step", ["question", "when"])
@pytest.mark.parametrize("text", ["jeg har betalt men ikke nok", "I paid but not all of it", "I paid but not enough"])
def test_paid_but_not_enough_is_a_part_paid_not_everything_taken_back(step: str, text: str) -> None:
    state = _start()
    if step == "when":
        state, _ = resume(state, ButtonPressed("will_pay", "sms"), NOW)
    state, events = resume(state, TextReceived(text, "sms"), NOW)
    assert not any(isinstance(e, ClaimWithdrawn | PaidClaimed) for e in events)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)] == ["part"]
    assert state.step == "rest_when"
