"""The flow engine: `start` and `resume` return the new state and the events that happened."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

from conversations.answers import (
    asks_after_but,
    asks_for_person,
    cannot_pay_that_day,
    emoji_reading,
    fears_losing_home,
    find_amount,
    find_date,
    leading_option,
    names_several_days,
    names_unplaced_day,
    offers_nothing,
    option_numbers,
    parse_amount,
    parse_date,
    parse_number,
    pick_tag,
    plans_with_someone_else,
    promises_day,
    rest_day,
    says_cannot_pay,
    says_never,
    says_no_day,
    says_only,
    says_yes_it_did,
    sounds_upset,
    tells_hardship,
    waits_for_pay,
    word_count,
)
from conversations.effects import effect_event, local_today
from conversations.flow import (
    PAID_PART,
    Ask,
    AskAmount,
    AskDate,
    AskText,
    ClaimPaid,
    End,
    Flow,
    GiveConsent,
    GiveShareConsent,
    Option,
    Say,
    Step,
)
from conversations.flows import FLOWS
from conversations.keywords import (
    asks_about_cost,
    asks_about_my_data,
    asks_how_much_it_is,
    asks_in_words,
    asks_something,
    asks_what_adviser_is,
    asks_what_is_owed,
    asks_what_the_app_costs,
    asks_whether_paid,
    asks_who_sees,
    is_greeting,
    looks_like_noted,
    looks_like_thanks,
)
from conversations.model import (
    FACTS,
    AnswerRecorded,
    ButtonPressed,
    Choice,
    ClaimWithdrawn,
    ConsentGiven,
    Context,
    ConversationEnded,
    Event,
    FactReported,
    Input,
    MessageRequested,
    PaidClaimed,
    PromiseRecorded,
    TextReceived,
    WaitExpired,
)
from conversations.state import State, replace
from conversations.text import tokens
from conversations.values import Money, Value

__all__ = [
    "accepts_help_word",
    "answer_keys",
    "answers_while_held",
    "bare_yes",
    "consent_answer",
    "current_question",
    "ended",
    "reads_last",
    "resume",
    "said_again",
    "start",
    "start_with_button",
    "start_with_text",
    "took",
]

Result = tuple[State, list[Event]]
UNRECOGNISED = "unrecognised"
# Why a consent question ended on a sign ("👍", "🙏") sent again instead of a yes in words: no consent, no misreading.
NOT_IN_WORDS = "not_in_words"
# Why a conversation started by a bare "ja" with nothing left unanswered ended: it said the last answer was read.
NOTED = "noted"
# A question of the tenant's own that the open question cannot read: where a person answers it.
_QUESTION_ASKED = "common.question_asked"
# Questions of the tenant's own with answers of their own: how much is owed (never the amount), and what help costs.
_OWED_ASKED = "common.owed_asked"
_COST_ASKED = "common.cost_asked"
# Answers to a question of the tenant's own that leave the open question waiting: with nothing open, each is all that
# is said (`start_with_text`).
_OWN_QUESTION_ANSWERS = frozenset({_QUESTION_ASKED, _OWED_ASKED, _COST_ASKED})
# A worried question about losing the home, answered inside a question (which waits); with nothing open, as "😢" is.
_HOME_FEARED = "common.upset_question"
# Readings of a payment made or promised: a question about paying ("hvornår skal jeg betale") is neither.
_PAYING = frozenset({"paid", "will_pay", "part", "paid_part"})
# The day a part payment was said for before its amount ("men noget på fredag"), kept while the amount is asked.
_PART_ON = "part_on"


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")


def _values(state: State) -> dict[str, Value]:
    values: dict[str, Value] = {"first_name": state.first_name, "trigger": state.trigger or ""}
    if state.deadline is not None:
        # A påkrav runs, whatever brought the conversation (a reminder for the month's rent, the tenant's own
        # message): a confirmation says the whole sum in the letter is due by its deadline, never "we will wait".
        values["deadline_running"] = 1
    pay_on, amount, part_on = state.data.get("pay_on"), state.data.get("amount"), state.data.get(_PART_ON)
    if isinstance(pay_on, str):
        values["pay_on"] = date.fromisoformat(pay_on)
    if isinstance(part_on, str):
        values[_PART_ON] = date.fromisoformat(part_on)
    if isinstance(amount, int):
        values["amount"] = Money(amount)
    flow = FLOWS.get(state.flow)
    if flow is not None and flow.shows:
        # What whoever started the conversation gave its texts to show (a recipient, the consents to choose from).
        values.update((key, state.data[key]) for key in flow.shows if key in state.data)
    return values


def _options(step: Ask, state: State) -> tuple[Option, ...]:
    return tuple(
        option
        for option in step.options
        if state.channel in option.channels and (option.needs is None or option.needs in state.data)
    )


def _listed(step: Ask, state: State) -> tuple[Option, ...]:
    return tuple(option for option in _options(step, state) if option.listed)


def _choices(step: Step, state: State) -> tuple[Choice, ...]:
    if not isinstance(step, Ask):
        return ()
    return tuple(Choice(option.key, option.label) for option in _listed(step, state))


def _end(state: State, reason: str) -> State:
    return replace(state, ended=True, end_reason=reason, waiting_until=None, expires_at=None)


def _turn_values(flow: Flow, state: State, events: list[Event]) -> dict[str, Value]:
    """A message's values, with `thanked` when a message before it in the same turn thanked the tenant already ("Tak.
    Vi har skrevet ned …"): "500 kr den 15., jeg har mistet mit arbejde" is thanked once, not twice."""
    values = _values(state)
    thanking = flow.thanking
    if thanking and any(isinstance(event, MessageRequested) and event.template in thanking for event in events):
        values["thanked"] = 1
    return values


def _enter(flow: Flow, state: State, name: str, now: datetime, events: list[Event], retries: int = 0) -> Result:
    """Run steps from `name` until one waits for the tenant or the conversation ends. `events` are the turn's so
    far (what its messages follow)."""
    while True:
        step = flow.step(name)
        match step:
            case Say(template=template, goto=goto, effects=effects):
                events.extend(effect_event(effect, state, now) for effect in effects)
                events.append(MessageRequested(template, _turn_values(flow, state, events)))
                name = goto
            case End(reason=reason, template=template, effects=effects):
                events.extend(effect_event(effect, state, now) for effect in effects)
                if template is not None:
                    events.append(MessageRequested(template, _turn_values(flow, state, events)))
                events.append(ConversationEnded(reason))
                return _end(replace(state, step=name), reason), events
            case Ask(options=options, free_text=free_text) if free_text and options and not _options(step, state):
                # A question none of whose answers this channel may carry (Telegram's follow-ups, reached by a
                # Telegram question answered by SMS) is not asked here: the flow goes on as after a free answer.
                name = free_text
            case Ask() | AskDate() | AskAmount() | AskText():
                values = _turn_values(flow, state, events)
                events.append(MessageRequested(step.template, values, _choices(step, state)))
                hours = state.settings
                waiting = replace(
                    state,
                    step=name,
                    retries=retries,
                    nudged=False,
                    waiting_until=now + timedelta(hours=hours.nudge_after_hours),
                    expires_at=now + timedelta(hours=hours.give_up_after_hours),
                )
                return waiting, events


def start(flow: str, context: Context, now: datetime, data: Mapping[str, str | int] | None = None) -> Result:
    """Start `flow` for the tenant in `context`; the first question is among the events. `data` is what the
    starter knows that the flow needs (the recipient a consent is asked for, the consents to choose from)."""
    _require_aware(now)
    definition = FLOWS.get(flow)
    if definition is None:
        raise ValueError(f"unknown flow: {flow!r}")
    state = State(
        flow=flow,
        flow_version=definition.version,
        step=definition.start,
        language=context.language,
        channel=context.channel,
        first_name=context.first_name,
        trigger=context.trigger,
        settings=context.settings,
        deadline=context.deadline,
        data=dict(data) if data else {},
    )
    return _enter(definition, state, definition.start, now, [])


def start_with_text(flow: str, context: Context, now: datetime, text: str, last: State | None = None) -> Result:
    """Start `flow` for a tenant who wrote first: their own words answer its opening question when they can.

    "Jeg kan ikke betale" or "jeg har betalt" is heard at once, and so is a number of the opening question's
    options ("1", "3"): it is the one numbered menu a reminder shows, so a number sent after its conversation
    ended means the same. A question of their own ("hvad betyder det?") that it cannot read is asked, not told:
    it gets the answer it gets inside the question (where a person answers it), not a menu never asked for, and
    the conversation ends with it, leaving no question waiting that the tenant never saw. A greeting, another
    number or anything else the opening question cannot place gets the opening question itself.
    """
    state, opening = start(flow, context, now)
    words = text.strip()
    if state.ended or not words:
        return state, opening
    if parse_number(words, _MOST_NUMBERS) is not None and not _menu_last_read(context, last):
        # "1" after "hvor meget skylder jeg?" was answered, or on Telegram (its question's answers are buttons, its text
        # numbers none): no numbered menu is the message it answers, so it picks nothing ("1" claimed a payment and
        # put aside a promise). The opening question is asked, its answers shown as the channel shows them.
        return state, opening
    answered, events = resume(state, TextReceived(words, context.channel), now)
    first = events[0] if events else None
    if isinstance(first, MessageRequested) and first.template == _HOME_FEARED and len(events) == 1:
        # "Bliver jeg smidt ud?" with nothing open: the way to a person, and no question said to wait.
        feared = MessageRequested("common.upset", {key: v for key, v in first.values.items() if key != "adviser_word"})
        return _end(state, "help_given"), [feared, ConversationEnded("help_given")]
    if isinstance(first, MessageRequested) and first.template in _OWN_QUESTION_ANSWERS and len(events) == 1:
        # "Hvad betyder det?", "hvad skylder jeg", "koster det noget": its own answer, and nothing left waiting.
        asked = MessageRequested(first.template, {**first.values, "nothing_open": 1})
        return _end(state, "help_given"), [asked, ConversationEnded("help_given")]
    if not isinstance(first, AnswerRecorded) or first.value == UNRECOGNISED:
        return state, opening
    step = FLOWS[flow].step(answered.step)
    if isinstance(step, Ask) and _asks_consent(step) and says_only(words, context.language, ("yes",)):
        unanswered = _left_unanswered(last)
        if unanswered is None:
            # A "ja" after a conversation that ended answered ("Tak, vi har skrevet fredag ned") says it was read, as
            # "ok" does: no question follows that the tenant never asked for.
            return _end(state, NOTED), [MessageRequested("common.noted"), ConversationEnded(NOTED)]
        if _asks_consent(unanswered):
            # A yes to a consent question that expired unanswered (the only question that asks for JA) is no consent
            # to it: a consent is given to wording the tenant has just read, and a question that ended no longer
            # asks; days later a bare yes may answer anything. The question is asked again, and the tenant hears why
            # rather than meeting it as if their yes was lost.
            return answered, [first, MessageRequested("consent.asked_again", _values(answered)), *events[1:]]
    return answered, events


# How a conversation ends with a last message that numbers nothing, after which a number alone may undo what was said:
# the tenant's own question answered ("hvor meget skylder jeg?"), a promise confirmed ("1" would claim it paid).
_NO_MENU_AFTER = frozenset({"help_given", "promised"})


def _menu_last_read(context: Context, last: State | None) -> bool:
    """Whether a number alone, sent with nothing open, answers the opening question's numbered menu: by SMS, unless
    the tenant's last conversation (`last`, None when not known) ended where their own question was answered or a
    promise confirmed. On Telegram the menu's answers are buttons: its text numbers none."""
    if context.channel == "telegram":
        return False
    return last is None or last.end_reason not in _NO_MENU_AFTER


def bare_yes(text: str, language: str) -> bool:
    """Whether `text` says only yes ("ja", "JA tak", "yes"): with nothing open, what it answers depends on the tenant's
    last conversation (`start_with_text`'s `last`)."""
    return says_only(text.strip(), language, ("yes",))


def reads_last(text: str, language: str) -> bool:
    """Whether `start_with_text` reads the tenant's last conversation for `text`: a bare yes, or a number alone (what
    menu it answers, if any); the host reads that conversation only then."""
    return bare_yes(text, language) or parse_number(text.strip(), _MOST_NUMBERS) is not None


# How a conversation ends with its question unanswered: ended by the host (None in its state: a newer reminder, a person
# taking the case), expired, answered twice with words it could not read, or with a sign where a yes in words is asked.
_UNANSWERED_ENDS = (None, "no_response", "not_understood", NOT_IN_WORDS)


def _left_unanswered(last: State | None) -> Ask | None:
    """The question the tenant's last conversation ended on unanswered (it expired, or a newer reminder or a person
    ended it while it waited): None when there was none, or it ended on an answer of theirs."""
    if last is None or last.end_reason not in _UNANSWERED_ENDS:
        return None
    flow = FLOWS.get(last.flow)
    if flow is None or last.step not in flow.steps:
        return None
    step = flow.step(last.step)
    return step if isinstance(step, Ask) else None


def said_again(flow: str, state: State | None, text: str, now: datetime) -> bool:
    """Whether `text`, sent with nothing open right after the same words (`state`: the tenant's last conversation), is
    the same answer again: a basic phone resending, a double send. It is when those words, written first, would take
    the very answers that conversation took and end it as it ended, nothing new asked ("1" after "1" was thanked
    for). As a button pressed again (`took`), it is answered with nothing, never the same text twice."""
    if state is None or not state.ended or state.flow != flow:
        return False
    context = Context(state.first_name, state.language, state.channel, state.trigger, state.settings, state.deadline)
    # Their last conversation is the one these words may repeat: a number is read as those words were read then.
    again, _events = start_with_text(flow, context, now, text, state if bare_yes(text, state.language) else None)
    return again.ended and again.end_reason == state.end_reason and _taken(again) == _taken(state)


def _taken(state: State) -> dict[str, object]:
    """A conversation's answers, the own words they were said in aside ("fredag" answers as "2" then "fredag" do)."""
    return {key: value for key, value in state.data.items() if not key.endswith("_text")}


def start_with_button(flow: str, context: Context, now: datetime, choice: str, question: str | None) -> Result:
    """Start `flow` for a tenant who pressed a button under an earlier message while nothing is open: a button of
    the flow's opening question (`question`, the template it was under) means what it always meant, and is that
    answer ("Talk to an adviser" leads to the consent question, which still needs its own yes); any other button
    (the "Ja" under a consent question answered "Nej") answers nothing: the tenant hears it belongs to an earlier
    message, as under an open question, and gets the opening question itself (its "Talk to an adviser" is the way
    on to a yes)."""
    state, opening = start(flow, context, now)
    if state.ended:
        return state, opening
    step = FLOWS[flow].step(FLOWS[flow].start)
    if isinstance(step, Ask) and step.template == question and any(o.key == choice for o in _options(step, state)):
        return resume(state, ButtonPressed(choice, context.channel), now)
    return state, [MessageRequested("common.old_button"), *opening]


def took(state: State | None, question: str | None, choice: str) -> bool:
    """Whether `state`'s conversation took `choice` as the answer to its question whose template is `question`: a
    press of that button again is the same answer again."""
    flow = None if state is None else _current(state)
    if state is None or flow is None or question is None:
        return False
    return any(
        isinstance(step, Ask) and step.template == question and state.data.get(name) == choice
        for name, step in flow.steps.items()
    )


def _pick(step: Ask, state: State, text: str, today: date) -> tuple[Option, bool] | None:
    """The option a text picks, and whether by its words (a number picks the n-th listed option)."""
    if asks_something(text) and _asks_consent(step):
        return None  # "ok, hvem kan se mine svar?": a question asked, never a consent given
    listed = _listed(step, state)
    number = parse_number(text, len(listed)) if _numbered(step, state) else None
    if number is not None:
        return listed[number - 1], False
    options = _options(step, state)
    if emoji_reading(text) == "yes":
        # "👍" is an "ok" without the word: the yes of a question answered yes or no, never a consent (given in words).
        yes = next((option for option in options if option.key == "yes"), None)
        return None if yes is None or _asks_consent(step) else (yes, False)
    tag = pick_tag(text, state.language, (tag for option in options for tag in option.tags), today)
    if tag is None:
        return None
    option = next(option for option in options if tag in option.tags)
    return None if _not_meant(step, state, tag, option, text, today) else (option, True)


def _not_meant(step: Ask, state: State, tag: str, option: Option, text: str, today: date) -> bool:
    """Whether the words that read as `tag` (picking `option`) mean something else: a question about paying, a yes to
    another question, a part paid where no answer is one."""
    if tag in _PAYING and asks_in_words(text) and find_date(text, today, strict=True) is None:
        # "Hvornår skal jeg betale", "how do I pay": a question about paying; nothing paid or promised ("hvad hvis jeg
        # betaler på fredag" names its day, and is the promise it offers).
        return True
    if tag == "paid" and pick_tag(text, state.language, ("paid_part", "paid"), today) == "paid_part":
        # "Har betalt en del" where no answer is a part paid (the consent question): some of the rent is still owed, so
        # it is never the payment claimed.
        return True
    if tag == "telegram" and asks_something(text):
        return True  # "hvad er Telegram?": a question about it, never a yes that sends a code
    if tag == "yes" and _asks_consent(step) and _puts_off(text, state.language, today):
        return True  # "ok, jeg tænker over det", "ok I'll ask my husband", "ja, men jeg skal snakke med min mand først"
    if tag == "yes" and _asks_consent(step) and _only_understood(text, state.language, today):
        return True  # "ok jeg forstår", "okay I understand": the question was read; a consent needs its own yes
    if tag == "yes" and _asks_consent(step) and _only_gladly_called(text, state.language, today):
        # "ring gerne til mig", "jeg vil gerne tale med et menneske": a call or a person wished, as "please call me"
        # is; no yes
        return True
    if tag == "yes" and _asks_consent(step) and pick_tag(text, state.language, ("paid", "paid_part"), today):
        return True  # "ja jeg har betalt": a yes to which question? A consent is given to its own question, clearly
    if tag == "no" and _asks_consent(step) and asks_after_but(text, state.language, ("adviser",), today):
        return True  # "nej, men ring til mig": no to the wording, yet a call is wished; the yes is what lets one come
    return _only_read(tag, option, text)


def _answered(state: State, value: str | int) -> State:
    """Keep the answer under its question's name: the adviser reads it once the tenant consents."""
    return replace(state, data={**state.data, state.step: value})


def _choose(
    flow: Flow,
    state: State,
    option: Option,
    raw: str,
    now: datetime,
    *,
    words: bool = False,
    before: list[Event] | None = None,
) -> Result:
    """`before`: the turn's events so far, when the same words answered an earlier question first."""
    events: list[Event] = [*(before or []), AnswerRecorded(state.step, option.key, raw)]
    step = flow.step(state.step)
    if words and isinstance(step, Ask) and step.free_text is not None:
        # A question that takes own words keeps them beside the option they were read as ("min datter var syg").
        state = replace(state, data={**state.data, f"{state.step}_text": raw.strip()})
    state = _answered(state, option.kept or option.key)
    events.extend(effect_event(effect, state, now) for effect in option.effects)
    if words:
        # "betaler fredag", "kan betale 2000": the same words may already answer the next question; a day said with
        # them ("kan betale 500 den 15.") answers the option's date question first.
        ahead = _answer_first(flow, state, (option.when, option.goto), raw, now, events)
        if ahead is not None:
            return ahead
    return _enter(flow, state, option.goto, now, events)


def _answer_first(
    flow: Flow, state: State, names: tuple[str | None, ...], raw: str, now: datetime, events: list[Event]
) -> Result | None:
    """What the first of these steps that the same words already answer makes of them; None when none does."""
    for name in names:
        ahead = None if name is None else _answer_ahead(flow, replace(state, step=name), raw, now, events)
        if ahead is not None:
            return ahead
    return None


def _answer_ahead(flow: Flow, state: State, raw: str, now: datetime, events: list[Event]) -> Result | None:
    step = flow.step(state.step)
    if isinstance(step, AskDate):
        today = local_today(state, now)
        pay_on = find_date(raw, today, strict=True)
        if pay_on is not None:
            return _dated(flow, state, step, pay_on, raw, now, events)
        if names_unplaced_day(raw, today, strict=True) or waits_for_pay(raw):
            # "Jeg betaler næste fredag": they said when, only not which day; "when can you pay?" would not listen.
            waiting, asked = _enter(flow, state, state.step, now, events)
            return waiting, [*asked[:-1], _which_day(waiting, raw)]
        return None
    if isinstance(step, AskAmount):
        ore = find_amount(raw, strict=True)
        if ore is not None:
            return _amounted(flow, state, step, ore, raw, now, events)
        day = None if step.when is None else find_date(raw, local_today(state, now), strict=True)
        if day is None:
            return None
        # "Kan ikke betale det hele, men noget på fredag": a day without an amount is kept while the amount is asked
        # (for that day), and answers the date question with the amount, so "when?" is never asked for it.
        kept = replace(state, data={**state.data, _PART_ON: day.isoformat()})
        return _enter(flow, kept, state.step, now, events)
    if isinstance(step, Ask) and not _asks_consent(step):
        # "2000, jeg har mistet mit arbejde": the reason in the same words (by its words only, never a number; and
        # never a consent, which is given to its own question's wording).
        options = _options(step, state)
        tag = pick_tag(raw, state.language, (t for o in options for t in o.tags), local_today(state, now))
        if tag is None:
            return None
        option = next(o for o in options if tag in o.tags)
        return _choose(flow, state, option, raw, now, words=True, before=events)
    return None


def _which_day(state: State, text: str) -> MessageRequested:
    """A day said that cannot be placed: which one they mean; the day the money comes when that is what they said
    ("når jeg får løn": "Hvilken dag får du pengene?")."""
    template = "common.which_payday" if waits_for_pay(text) else "common.which_day"
    return MessageRequested(template, _values(state))


def _which_day_asked(state: State, text: str, today: date) -> list[Event] | None:
    """What a date question says to a time it cannot place, with no try used and the question open; None for a text
    that names none."""
    if names_unplaced_day(text, today):
        # "næste fredag": a day was named, only not which one (the coming Friday or the one after?). No wrong answer:
        # they are asked which day they mean.
        return [_which_day(state, text)]
    if waits_for_pay(text) or names_several_days(text, today):
        # "Når jeg får penge", "when I get paid": no day, so no answer to keep, but no miss either: they are asked which
        # day the money comes (they know it, keephome does not). So are "fredag eller lørdag" and "tirsdag d. 7" (the
        # 7th a Monday): days said, none kept, and which one is asked, never "not understood".
        return [AnswerRecorded(state.step, UNRECOGNISED, text), _which_day(state, text)]
    return None


def _after_running_deadline(state: State, pay_on: date, today: date) -> bool:
    """The promised day is after a påkrav deadline that has not passed yet."""
    return state.deadline is not None and today <= state.deadline < pay_on


def _dated(
    flow: Flow, state: State, step: AskDate, pay_on: date, raw: str, now: datetime, events: list[Event]
) -> Result:
    state = replace(state, data={**state.data, "pay_on": pay_on.isoformat()})
    events.append(AnswerRecorded(state.step, pay_on.isoformat(), raw))
    events.extend(effect_event(effect, state, now) for effect in step.effects)
    today = local_today(state, now)
    late = _after_running_deadline(state, pay_on, today)
    goto, late_goto = step.goto, step.late
    if step.asked is not None and asks_for_person(raw, state.language, today):
        # "Kan først betale den 20, kan en rådgiver ringe til mig?": the day is kept and confirmed, and what they
        # asked for comes after it (help offered, the consent question), never the end that would drop it.
        goto, late_goto = step.asked, step.asked_late
    elif step.told is not None and tells_hardship(raw, state.language):
        # "Jeg er syg og kan først betale den 20.": the day confirmed, and how to ask for help if they want it.
        goto = step.told
    elif step.rest is not None and pick_tag(raw, state.language, ("part_rest",), today) is not None:
        # "Kan betale halvdelen nu og resten den 20.": the rest's day is kept, and confirmed as the rest's.
        goto = step.rest
    return _enter(flow, state, late_goto if late and late_goto else goto, now, events)


def _amounted(
    flow: Flow, state: State, step: AskAmount, ore: int, raw: str, now: datetime, events: list[Event]
) -> Result:
    part_on = state.data.get(_PART_ON)
    data = {key: value for key, value in state.data.items() if key != _PART_ON}
    state = replace(state, data={**data, "amount": ore})
    events.append(AnswerRecorded(state.step, ore, raw))
    # "500 kr den 15.", "800 on Friday": the day answers the date question as its own answer would (kept, and
    # confirmed with its day and the letter's deadline by the step it leads to); "500 kr næste fredag" gets that
    # question, as "which day?". The words may answer the amount's next question too ("2000, jeg er syg").
    # An amount of nothing ("0 kr den 15.") is no payment: its day is no promise, and it goes on as "0" does. A day said
    # for the rest ("3000 nu og resten den 20.") is when all of it is paid: it answers the whole's date question.
    answers = step.when
    if step.rest is not None and rest_day(raw, local_today(state, now)) is not None:
        answers = step.rest
    dated = None if answers is None or ore == 0 else _answer_ahead(flow, replace(state, step=answers), raw, now, events)
    if dated is None and step.when is not None and isinstance(part_on, str) and ore > 0:
        # The day said before the amount ("men noget på fredag", then "500"), while it is still to come.
        when, day = flow.step(step.when), date.fromisoformat(part_on)
        if isinstance(when, AskDate) and day >= local_today(state, now):
            dated = _dated(flow, replace(state, step=step.when), when, day, raw, now, events)
    if dated is not None:
        return _also_ahead(flow, dated, step.goto, raw, now)
    ahead = _answer_ahead(flow, replace(state, step=step.goto), raw, now, events)
    return ahead if ahead is not None else _enter(flow, state, step.goto, now, events)


def _also_ahead(flow: Flow, result: Result, name: str, raw: str, now: datetime) -> Result:
    """A result that came to wait at question `name` after what it said first (a day confirmed): the same words may
    answer that question too ("500 kr den 15., jeg har mistet mit arbejde"), and then it is not asked."""
    state, events = result
    if state.ended or state.step != name:
        return result
    more = _answer_ahead(flow, state, raw, now, events[:-1])  # the question itself, asked last, is left out
    return more if more is not None else result


def _date_answer(flow: Flow, state: State, step: AskDate, text: str, now: datetime, today: date) -> Result | None:
    """What a text answers to "when can you pay?": "I have paid", a date, "I have paid part of it", "I cannot pay";
    None for nothing of these. A part paid is no payment claimed ("har betalt en del" stops no reminder)."""
    if _menu_number(flow, state, text):
        # "1" asked when they can pay, a question that numbers nothing: the 1st, or the "1" of the menu before it sent
        # again? Which day is asked, no try used, never a promise guessed.
        return state, [_which_day(state, text)]
    said = pick_tag(text, state.language, ("paid_part", "paid"), today) if step.paid is not None else None
    if said == "paid":
        return _paid(flow, state, step.paid or "", text, now)
    if step.hardship is not None and offers_nothing(text, today):
        # "0 kr den 15.": nothing paid that day is no promise for it; heard as "I cannot pay" is.
        return _heard(flow, state, step.hardship, text, now)
    part = next((option for option in step.part if state.channel in option.channels), None)
    if part is not None and pick_tag(text, state.language, ("paid_part", "part"), today) == "part":
        # "kan betale 500 den 21.", "500 kr den 21., jeg er syg", "jeg er syg, kan betale 500 den 21": a part of what
        # is owed, never a promise of the whole for that day. Answered as the opening question answers it: the day
        # kept and confirmed as the part's, the reason read from the same words or asked (Telegram), help offered.
        return _choose(flow, state, part, text, now, words=True)
    if step.hardship is not None and (
        _part_and_hardship(text, state.language, today) or cannot_pay_that_day(text, state.language, today)
    ):
        # "kan ikke betale 500 kr den 21.": what they cannot pay, and why; heard, and the way to a person comes. "Kan
        # ikke betale i dag": the day named is when they cannot, never a promise for it; heard as "I cannot pay".
        return _heard(flow, state, step.hardship, text, now)
    # "Jeg flytter d. 1. januar", "jeg får løn d. 30 men det rækker ikke": a day said for something else, or beside
    # "cannot", is no promise; what else the words say is read below, and what is left is kept in their own words.
    promised = promises_day(text, state.language, today)
    pay_on = parse_date(text, today) if promised else None
    if pay_on is not None:
        return _dated(flow, state, step, pay_on, text, now, [])
    if said == "paid_part" and step.paid_part is not None:
        events: list[Event] = [AnswerRecorded(state.step, "part", text)]
        return _enter(flow, _answered(state, PAID_PART), step.paid_part, now, events)  # kept as paid, for the adviser
    heard = None if step.hardship is None else pick_tag(text, state.language, ("hardship", "unsure"), today)
    if heard == "unsure" and plans_with_someone_else(text):
        # "Jeg ringer til kommunen i morgen": heard as "ved ikke" is, but kept in the tenant's own words, as the opening
        # question keeps words it cannot place: the adviser reads their plan, never "cannot pay" as if a reason.
        return _heard(flow, state, _only_heard(step), text, now, in_words=True)
    if heard is not None:
        # "Kan ikke betale" takes back a promise or an "I have paid" given before; "ved ikke" takes nothing back.
        return _heard(flow, state, step.hardship or "" if heard == "hardship" else _only_heard(step), text, now)
    if step.adviser is not None and pick_tag(text, state.language, ("adviser", "help"), today):
        # "Ring til mig", "jeg har brug for hjælp" asked when they can pay: a person is wanted, and the consent question
        # comes (HJÆLP alone is the keyword: the help text, which says how to reach a person).
        events = [AnswerRecorded(state.step, "adviser", text)]
        return _enter(flow, _answered(state, "adviser"), step.adviser, now, events)
    if step.hardship is not None and says_no_day(text):
        # "Nej" asked when they can pay: they cannot say when, heard as "ved ikke" is; "aldrig", "never": they cannot
        # pay, which takes back a promise or an "I have paid" given before, as "kan ikke betale" does.
        return _heard(flow, state, step.hardship if says_never(text) else _only_heard(step), text, now)
    return _amount_alone(flow, state, step, part, text, now, promised=promised)


def _amount_alone(
    flow: Flow, state: State, step: AskDate, part: Option | None, text: str, now: datetime, *, promised: bool
) -> Result | None:
    """An amount without a day, asked when they can pay: "0 kr" is heard as "I cannot pay" is; "2000 kr" is what they
    can pay, a part as "kan betale 2000" is (help offered by SMS, the amount kept on Telegram). Never "not
    understood", nor is a day said for something else (not `promised`: "my hearing is on monday"), kept in their
    words."""
    if step.hardship is not None and find_amount(text) == 0:
        return _heard(flow, state, step.hardship, text, now)
    if part is not None and find_amount(text, strict=True) is not None:
        return _choose(flow, state, part, text, now, words=True)
    if not promised and step.hardship is not None:
        return _heard(flow, state, _only_heard(step), text, now, in_words=True)
    return None


def _only_heard(step: AskDate | AskAmount) -> str:
    """Where words go, asked when, that are heard but say no reason the tenant cannot pay ("ved ikke", "nej", "jeg
    ringer til kommunen", "my hearing is on monday"): the step's `heard`, which takes back no promise or "I have paid"
    given before ("jeg har ikke betalt endnu" does, by `hardship`); without one, `hardship`."""
    return step.heard or step.hardship or ""


def _part_and_hardship(text: str, language: str, today: date) -> bool:
    """An amount said with a reason the tenant cannot pay ("kan ikke betale 500 kr den 21.", or at a date question
    that takes no part, "500 kr den 21., jeg er syg"): not the whole for that day."""
    amount = find_amount(text)
    return bool(amount) and pick_tag(text, language, ("hardship",), today) == "hardship"


def _paid(flow: Flow, state: State, goto: str, raw: str, now: datetime) -> Result:
    """ "Jeg har betalt" asked when they will pay: heard as paid (the payment claimed), not as a date not understood."""
    paid = _answered(state, "paid")
    return _enter(
        flow, paid, goto, now, [AnswerRecorded(state.step, "paid", raw), effect_event(ClaimPaid(), paid, now)]
    )


def _heard(flow: Flow, state: State, goto: str, raw: str, now: datetime, *, in_words: bool = False) -> Result:
    """A tenant who says they cannot pay is heard, whatever the question was; `in_words`: what they said is kept as
    their answer, as written (a plan of their own is no reason given)."""
    if in_words:
        events: list[Event] = [AnswerRecorded(state.step, "text", raw)]
        return _enter(flow, _answered(state, raw.strip()), goto, now, events)
    events = [AnswerRecorded(state.step, "hardship", raw)]
    return _enter(flow, _answered(state, "hardship"), goto, now, events)


def _not_understood(flow: Flow, state: State, raw: str, now: datetime) -> Result:
    """The first miss says so (with a way to a person) and asks again; the second offers help and a person."""
    events: list[Event] = [AnswerRecorded(state.step, UNRECOGNISED, raw)]
    if state.retries == 0:
        events.append(MessageRequested("common.not_understood", _values(state)))
        return _enter(flow, state, state.step, now, events, retries=1)
    events.append(MessageRequested("common.call_adviser", _values(state)))
    events.append(ConversationEnded("not_understood"))
    return _end(state, "not_understood"), events


def _greeted(flow: Flow, state: State, now: datetime, moved: bool) -> Result:
    """ "Hej" is no wrong answer, and no try is used up. Right after the question (it waits, unanswered, and no nudge
    came since: what followed it only pointed back to it) a short line points to its answers, not the whole question
    again (the reminder's is three SMS parts, and the message just before). After a nudge, which on SMS shows no
    question, it is asked again whole, kindly; so it is when the greeting comes on another channel than the one the
    question went to (`moved`): no question stands "above" it there."""
    if not state.nudged and not moved:
        return state, [_pointed(flow.step(state.step), state)]
    events: list[Event] = [MessageRequested("common.greeting", _values(state))]
    return _enter(flow, state, state.step, now, events, state.retries)


def _pointed(step: Step, state: State) -> MessageRequested:
    """ "Hej" answered with the way to answer the open question: its buttons again on Telegram (never under a consent
    question, whose yes is given to its own wording), JA or NEJ, the numbers its text lists, or just "answer it"."""
    values = _values(state)
    if not isinstance(step, Ask):
        return MessageRequested("common.greeting_question", values)
    listed = _listed(step, state)
    if state.channel == "telegram" and listed and not _asks_consent(step):
        return MessageRequested("common.greeting_question", {**values, "buttons": 1}, _choices(step, state))
    if {option.key for option in listed} == {"yes", "no"}:
        return MessageRequested("common.greeting_question", {**values, "yes_no": 1})
    if _numbered(step, state) and listed:
        return MessageRequested("common.greeting_question", {**values, "options": len(listed)})
    return MessageRequested("common.greeting_question", values)


def _unanswered(flow: Flow, state: State, text: str, now: datetime, attached: bool, queued: bool) -> Result:
    """A text the open question cannot read. "Tak!" is no wrong answer either: a kind word, and the question stays
    open as it was (no try used up, its wait unchanged; not asked again: often it is the message just before); nor
    is a question of the tenant's own, nor the caption of a photo. Only what no answer reads comes here, so "ja
    tak" stays a yes."""
    emoji = emoji_reading(text)
    step = flow.step(state.step)
    if emoji in ("yes", "thanks") and isinstance(step, Ask) and _asks_consent(step):
        # "👍" to the consent question: no consent (it is given in words), and the tenant is told how to give it. So
        # is "🙏" (or "❤️") there: to "may an adviser see your answers?" it says "yes, please" more often than thanks,
        # and "you're welcome" would answer a plea with a shrug.
        if state.retries:
            # Again, or after a miss: someone trying to say yes, never told "we did not understand". The end is
            # said as it is (nothing passed on without a yes in words) with the way to an adviser still open. It ends
            # as what it is, no consent in words, never "not understood": the tenant was understood.
            events: list[Event] = [AnswerRecorded(state.step, UNRECOGNISED, text)]
            events += [MessageRequested("consent.not_in_words", _values(state)), ConversationEnded(NOT_IN_WORDS)]
            return _end(state, NOT_IN_WORDS), events
        return _told_once(flow, state, text, now, "consent.in_words")
    if looks_like_thanks(text) or emoji == "thanks":
        return state, [MessageRequested("common.thanks_question", _values(state))]
    at_consent = isinstance(step, Ask) and _asks_consent(step)
    if looks_like_noted(text) or _ok_led(text) or emoji in ("yes", "noted"):
        # "Ok", "fint 👍", "ok jeg forstår": the message was read; the question stays open as a thank-you leaves it.
        # What follows an "ok" at the consent question is answered as itself ("ok, jeg skal lige snakke med min mand
        # først": put off, and heard).
        said = _at_consent(state, text, local_today(state, now)) if at_consent and _ok_led(text) else []
        return state, said or [MessageRequested("common.noted_question", _values(state))]
    if at_consent:
        said = _at_consent(state, text, local_today(state, now))
        if said:
            return state, said
    if asks_something(text):
        # A question of their own ("Hvad betyder det?", at a consent question too): no wrong answer; where a person
        # answers it, and the question waits.
        return state, [MessageRequested(_QUESTION_ASKED, _values(state))]
    if attached:
        # A photo of a receipt with "kvittering" under it: the picture was the message. Answered as a photo without
        # words is, and no try is used (a second photo must not end the conversation).
        return state, [MessageRequested("common.no_words", _values(state))]
    if emoji == "upset" or sounds_upset(text):
        # "😢", "😡", "fuck jer", "mine børn sulter": a tenant who is sad or angry hears the way to a person (the
        # adviser word where this question takes it), and that the question waits. A feeling is no wrong answer: no
        # try is used, so tears sent again get the way to a person again, never "we did not understand" and the end of
        # the conversation. A tenant whose case already waits for an adviser with their yes (`queued`) hears that one
        # will contact them, not a word that would ask for what they have.
        way = {"queued": 1} if queued else {"adviser_word": int(_hears_adviser(step, state))}
        told = MessageRequested("common.upset_question", {**_values(state), **way})
        return state, [AnswerRecorded(state.step, UNRECOGNISED, text), told]
    if not tokens(text):
        # Only emoji or signs ("🤔"): a short word that we read it, that the question waits, and a person to call.
        return _told_once(flow, state, text, now, "common.signs_only")
    return _not_understood(flow, state, text, now)


def _told_once(flow: Flow, state: State, text: str, now: datetime, template: str, **values: Value) -> Result:
    """Emoji the open question takes no answer from: the first gets a kind line of its own, not the question again
    (three segments, and often the message just before), and uses the try a miss uses; another finds it used and gets
    what a second miss gets (help and a person, and the end), so nobody keeps sending a sign and reading one line."""
    if state.retries:
        return _not_understood(flow, state, text, now)
    told = MessageRequested(template, {**_values(state), **values})
    return replace(state, retries=1), [AnswerRecorded(state.step, UNRECOGNISED, text), told]


def _hears_adviser(step: Step, state: State) -> bool:
    """Whether the open question takes the adviser word (RÅDGIVER) as a wish to talk to a person."""
    if isinstance(step, AskDate | AskAmount):
        return step.adviser is not None
    if isinstance(step, Ask):
        return not _asks_consent(step) and any("adviser" in option.tags for option in _options(step, state))
    return False


def ended(state: State, reason: str) -> State:
    """A waiting conversation ended from outside its flow (words of crisis: no question of it may follow, nor its
    nudge); `reason` is kept as the flow's own ends are."""
    return _end(state, reason)


def _at_consent(state: State, text: str, today: date) -> list[Event]:
    """What the consent question answers, besides a yes or a no, without a try used and without a consent read into
    it (a consent is given to the question's own words only); the question waits. Nothing for any other text."""
    if asks_what_adviser_is(text):
        # "Hvad er en rådgiver?": who they are, and the question again (its yes is given to its own words).
        return [MessageRequested("consent.about_adviser", _values(state))]
    if pick_tag(text, state.language, ("adviser",), today) is not None:
        # "Ring til mig": the yes is what lets an adviser call, and the question says so.
        return [MessageRequested("consent.call_wish", _values(state))]
    heard: list[Event] = [
        AnswerRecorded(state.step, UNRECOGNISED, text),
        MessageRequested("consent.heard", _values(state)),
    ]
    if pick_tag(text, state.language, _TOLD, today) is not None:
        # "My benefits were late": what happened, told, is thanked.
        return heard
    if asks_who_sees(text) or asks_about_my_data(text):
        # "Hvem kan se det?", "what will you do with my info?": its own answer (who, no one else without a yes, and the
        # word that takes the yes back), never "call us", which may come after the office has closed.
        return [MessageRequested("consent.who_sees", _values(state))]
    if not asks_something(text) and _puts_off(text, state.language, today):
        # "Jeg skal lige snakke med min mand først", "ved ikke", "maybe": no yes and no no yet. Thanked as what is told
        # is, with the way to answer when they are ready; a question of their own is answered as one.
        return heard
    return []


def _puts_off(text: str, language: str, today: date) -> bool:
    """Whether a message puts the consent off: thinking it over, asking someone first ("jeg skal lige snakke med min
    mand først", "I'll ask my husband"), maybe, or not knowing ("ved ikke", "I don't know")."""
    return not _NOT_YET.isdisjoint(tokens(text)) or pick_tag(text, language, ("unsure",), today) is not None


_OK_WORDS = frozenset({"ok", "okay", "oki", "okej"})
# Readings that tell what happened (not an answer to a consent question): a part paid already among them.
_TOLD = ("paid_part", "hardship", "lost_job", "illness", "benefits_delayed", "unexpected_expense")
# Words that put a consent off: thinking it over, asking someone first, maybe ("ja, ring senere" is a yes).
_NOT_YET = frozenset({
    "taenker", "taenke", "overveje", "overvejer", "sporger", "sporge", "maaske", "think", "thinking", "ask",
    "consider", "maybe", "perhaps",
})  # fmt: skip


def _only_read(tag: str, option: Option, text: str) -> bool:
    """ "Ok", "fint", "ok tak", "ok jeg forstår" read as the yes of an option that is no yes ("yes, I need help: an
    adviser"): they say the message was read, no more, and neither a request for an adviser nor, after it, a consent
    may rest on them. Where the option is the answer yes itself (a consent, the Telegram offer), "ok" stays a yes."""
    if tag != "yes" or option.key == "yes":
        return False
    return looks_like_noted(text) or looks_like_thanks(text) or _ok_led(text)


# Words that say a message was understood, no more: beside "ok" they make no yes of it ("ok jeg forstår").
_UNDERSTOOD = frozenset({"forstaar", "forstaaet", "forstod", "understand", "understood", "see", "got"})


def _only_understood(text: str, language: str, today: date) -> bool:
    """ "Ok jeg forstår", "ok forstået", "okay I understand", "ok got it": read as a yes by their "ok", but they say
    the question was understood, not that the tenant agrees. Only a yes of its own beside them ("ok jeg forstår, ja")
    is a consent."""
    words = tokens(text)
    if _UNDERSTOOD.isdisjoint(words):
        return False
    rest = " ".join(word for word in words if word not in _UNDERSTOOD and word not in _OK_WORDS)
    return pick_tag(rest, language, ("yes",), today) is None


_CALL_VERBS = frozenset({"ring", "ringe", "ringer"})
_MAY_CALL = frozenset({"maa", "ma", "kan"})


def _only_gladly_called(text: str, language: str, today: date) -> bool:
    """ "Ring gerne (til mig)", "I må gerne ringe", "jeg vil gerne tale med et menneske": read as a yes by their
    "gerne", which only says how welcome the call is, or how much a person is wished. Without it no yes is left: a call
    or a person is wished, and the consent question says its yes is what lets one come (a consent is an unambiguous
    yes). "Gerne, ring til mig" and "ja, ring gerne", "ja, jeg vil gerne tale med en rådgiver" say yes besides."""
    words = tokens(text)
    person = "gerne" in words and pick_tag(text, language, ("adviser",), today) is not None
    kept = [
        word
        for index, word in enumerate(words)
        if not (
            word == "gerne"
            and index
            and (
                person
                or words[index - 1] in _CALL_VERBS
                or (index + 1 < len(words) and words[index + 1] in _CALL_VERBS and words[index - 1] in _MAY_CALL)
            )
        )
    ]
    return len(kept) < len(words) and pick_tag(" ".join(kept), language, ("yes",), today) is None


def _ok_led(text: str) -> bool:
    """A message that begins with "ok" ("ok jeg forstår", "okay I see", "ok got it thanks")."""
    words = tokens(text)
    return bool(words) and words[0] in _OK_WORDS


def _text(flow: Flow, state: State, text: str, now: datetime, attached: bool, queued: bool) -> Result:
    step = flow.step(state.step)
    today = local_today(state, now)
    events: list[Event]
    match step:
        case Ask():
            several = _several_options(flow, state, step, text, now, today)
            if several is not None:
                return several
            picked = _pick(step, state, text, today)
            if picked is not None:
                option, words = picked
                return _choose(flow, state, option, text, now, words=words)
            # Own words are something told; a question of the tenant's own ("hvad betyder det for mig?") is asked.
            told = not asks_something(text) and not _ok_led(text) and not _unlisted_number(step, state, text)
            if step.free_text is not None and word_count(text) >= step.free_text_words and told:
                events = [AnswerRecorded(state.step, "text", text)]
                return _enter(flow, _answered(state, text.strip()), step.free_text, now, events)
        case AskDate():
            dated = _date_answer(flow, state, step, text, now, today)
            if dated is not None:
                return dated
            which = _which_day_asked(state, text, today)
            if which is not None:
                return state, which
        case AskAmount():
            amounted = _amount_answer(flow, state, step, text, now, today)
            if amounted is not None:
                return amounted
        case AskText():
            if word_count(text) > 0:
                events = [AnswerRecorded(state.step, "text", text)]
                return _enter(flow, _answered(state, text.strip()), step.goto, now, events)
    return _unanswered(flow, state, text, now, attached, queued)


def _several_options(flow: Flow, state: State, step: Ask, text: str, now: datetime, today: date) -> Result | None:
    """A menu answered with two of its options: "1 og 3" names two numbers, "1 men ring til mig" a number and words that
    pick another option. Which one they mean is asked, as two days at "when?" are (no try used), never the first
    taken silently. A number whose words answer what it leads to ("2, fredag, og ring til mig": pays on Friday, and a
    person wished) is that answer, as "betaler fredag og ring til mig" is. So is "yes I did", a yes that fits none of
    the menu's answers. None for a menu answered once."""
    if not _numbered(step, state):
        numbers = _unlisted_number(step, state, text) or bool(option_numbers(text, len(_listed(step, state))))
        if numbers and state.channel == "telegram" and not _asks_consent(step):
            # "2" under a question that numbers nothing, its buttons only (Telegram's opening and reason questions):
            # which one they mean is asked, the buttons again, no try used; never the second button guessed (a "1"
            # would claim a payment), nor "2" kept as what happened; nor is "1 og 3". (Under a consent question a
            # number answers nothing: its yes is given in words.)
            return state, _which_option(step, state, text)
        if not step.numbered:
            return None
    if says_yes_it_did(text, state.language) and not _answers_yes(step, state):
        # "Yes I did" to "do you need help?": a yes to a question about the past that no text asks, likely "I did pay",
        # never a wish for an adviser. Which answer is meant is asked, no try used; nothing guessed.
        return state, _which_option(step, state, text)
    if not _numbered(step, state):
        return None  # numbered by SMS only: its words are read as there, its numbers were asked about above
    listed = _listed(step, state)
    if not option_numbers(text, len(listed)):
        led = leading_option(text, len(listed))
        if led is None:
            return None
        numbered = listed[led[0] - 1]
        options = _options(step, state)
        tag = pick_tag(led[1], state.language, (t for option in options for t in option.tags), today)
        if tag is None or tag in numbered.tags:
            return None
        chosen, events = _choose(flow, state, numbered, text, now, words=True)
        if sum(isinstance(event, AnswerRecorded) for event in events) > 1:
            return chosen, events
    return state, _which_option(step, state, text)


def _answers_yes(step: Ask, state: State) -> bool:
    """Whether the question is answered yes or no (one of its answers is the yes itself)."""
    return any(option.key == "yes" for option in _options(step, state))


def _which_option(step: Ask, state: State, text: str) -> list[Event]:
    """Which of the question's answers the tenant means: its numbers by SMS, its buttons again on Telegram."""
    values: dict[str, Value] = {**_values(state), "options": len(_listed(step, state))}
    buttons = state.channel == "telegram"
    if buttons:
        values["buttons"] = 1
    asked = MessageRequested("common.which_option", values, _choices(step, state) if buttons else ())
    return [AnswerRecorded(state.step, UNRECOGNISED, text), asked]


# A number of at most two digits (`parse_number`) is a number alone, whatever a question lists.
_MOST_NUMBERS = 99


def _numbered(step: Ask, state: State) -> bool:
    """Whether the question's text numbers its answers on the conversation's channel, so "2" picks the second listed:
    by SMS the opening question lists 1 to 4; on Telegram its answers are buttons, numbered nowhere."""
    return state.channel in step.numbered


def _unlisted_number(step: Ask, state: State, text: str) -> bool:
    """A number alone ("2", "nr 2") at a question whose text numbers nothing: no answer of its, nor own words."""
    return not _numbered(step, state) and parse_number(text, _MOST_NUMBERS) is not None


def _menu_number(flow: Flow, state: State, text: str) -> int | None:
    """A number alone ("1", "2.", "nr 3") that a numbered question this conversation answered lists: said where no
    numbers are asked for, it may be that menu's answer sent again as well as what the open question asks (on Telegram
    too, where the same answers are buttons in the same order: a tenant used to the SMS may type them)."""
    most = max(
        (
            len(_listed(step, state))
            for name, step in flow.steps.items()
            if isinstance(step, Ask) and step.numbered and name in state.data
        ),
        default=0,
    )
    return parse_number(text, most) if most else None


def _amount_answer(flow: Flow, state: State, step: AskAmount, text: str, now: datetime, today: date) -> Result | None:
    """What a text answers to "how much can you pay?": an amount, "I cannot pay", a wish for a person; None for
    nothing of these."""
    ore = parse_amount(text)
    if ore is not None:
        return _amounted(flow, state, step, ore, text, now, [])
    heard = None if step.hardship is None else pick_tag(text, state.language, ("hardship", "unsure"), today)
    if heard is not None:
        # "Ved ikke" asked how much: heard as at "when?", and it takes nothing back; "kan ikke betale" does.
        return _heard(flow, state, step.hardship or "" if heard == "hardship" else _only_heard(step), text, now)
    if step.adviser is not None and pick_tag(text, state.language, ("adviser", "help"), today):
        # "Ring til mig" asked how much: a person is wanted, and the consent question comes, as at "when?".
        events: list[Event] = [AnswerRecorded(state.step, "adviser", text)]
        return _enter(flow, _answered(state, "adviser"), step.adviser, now, events)
    if step.hardship is not None and says_no_day(text):
        # "Nej" asked how much: no amount they can name, heard as at "when?", and a promise given before stands;
        # "aldrig", "never": nothing they can pay, which takes it back.
        return _heard(flow, state, step.hardship if says_never(text) else _only_heard(step), text, now)
    return None


def _button(flow: Flow, state: State, choice: str, earlier: bool, now: datetime) -> Result:
    step = flow.step(state.step)
    if isinstance(step, Ask) and not earlier:
        for option in _options(step, state):
            if option.key == choice:
                return _choose(flow, state, option, choice, now)
    last = _just_answered(state)
    if not earlier and last is not None and last != state.step and state.data[last] == choice:
        # The answer this conversation took last, pressed again while nothing was asked since (a double tap on a slow
        # phone): nothing more. Pressed after a later answer, it is an earlier message's button, as below.
        return state, []
    # A button is never a mistyped answer: one the open question does not offer belongs to an earlier message. It
    # answers nothing (a "yes" under another question is no consent to this one), uses up no try, and the open
    # question is asked again.
    return _enter(flow, state, state.step, now, [MessageRequested("common.old_button")], state.retries)


def _just_answered(state: State) -> str | None:
    """The name under which the conversation keeps the answer it took last (a question's, a day's, an amount's)."""
    names = [name for name in answer_keys(state.flow, state.data) if not name.endswith("_text")]
    return names[-1] if names else None


def _wait_expired(flow: Flow | None, state: State, now: datetime) -> Result:
    if state.waiting_until is None or now < state.waiting_until:
        return state, []
    if flow is None:
        # The question it waits on no longer exists: nudging would ask for an answer nobody can give.
        return _end(state, "flow_changed"), [ConversationEnded("flow_changed")]
    # A nudge is due between waiting_until and the give-up time; one found only after that (the service was down,
    # the demo's clock jumped) would ask again and end the conversation a minute later: it ends without it.
    if not state.nudged and (state.expires_at is None or now < state.expires_at):
        step = flow.step(state.step)
        nudged = replace(state, nudged=True, waiting_until=state.expires_at)
        if isinstance(step, Ask) and _asks_consent(step):
            # A consent is given to its full wording only: the nudge carries no buttons, and the question comes
            # again whole, with its own.
            return nudged, [MessageRequested("common.nudge", _values(state)), *current_question(nudged)]
        return nudged, [MessageRequested("common.nudge", _values(state), _choices(step, state))]
    return _end(state, "no_response"), [ConversationEnded("no_response")]


def _asks_consent(step: Ask) -> bool:
    """A question one of whose answers gives a consent (to the adviser, or to share with a recipient)."""
    return any(
        isinstance(effect, GiveConsent | GiveShareConsent) for option in step.options for effect in option.effects
    )


def _fact(flow: Flow | None, state: State, fact: str) -> Result:
    if fact not in FACTS:
        raise ValueError(f"unknown fact: {fact!r}")
    if fact in ("case_taken", "case_closed"):
        return _end(state, "handed_off"), [ConversationEnded("handed_off")]
    if flow is not None and flow.reminder and state.trigger is not None:
        thanks = MessageRequested("payment_check.paid_registered", _values(state))
        return _end(state, "paid"), [thanks, ConversationEnded("paid")]
    return state, []


def _flow_changed(state: State, raw: str) -> Result:
    events: list[Event] = [
        AnswerRecorded(state.step, UNRECOGNISED, raw),
        MessageRequested("common.flow_changed", _values(state)),
        ConversationEnded("flow_changed"),
    ]
    return _end(state, "flow_changed"), events


def _current(state: State) -> Flow | None:
    flow = FLOWS.get(state.flow)
    if flow is None or flow.version != state.flow_version or state.step not in flow.steps:
        return None
    return flow


def resume(state: State, input: Input, now: datetime) -> Result:
    """Apply one input to a waiting conversation; an ended one ignores everything."""
    _require_aware(now)
    if state.ended:
        return state, []
    flow = _current(state)
    match input:
        case WaitExpired():
            return _wait_expired(flow, state, now)
        case FactReported(fact=fact):
            return _fact(flow, state, fact)
        case TextReceived(text=text, channel=channel):
            if flow is None:
                return _flow_changed(replace(state, channel=channel), text)
            return _kept_where_asked(flow, state, _read_words(flow, state, input, now))
        case ButtonPressed(choice=choice, channel=channel, earlier=earlier):
            state = replace(state, channel=channel)
            return _flow_changed(state, choice) if flow is None else _pressed(flow, state, choice, earlier, now)


def _kept_where_asked(flow: Flow, before: State, result: Result) -> Result:
    """A consent question stays on the channel it was asked on until it is asked on another: words from elsewhere
    that leave it waiting unasked there ("hvad koster det?" in a Telegram chat, the question sent by SMS) do not
    make a later "ja" there an answer to wording never shown there (`_consent_to_question_asked`)."""
    state, events = result
    step = flow.step(before.step)
    if state.channel == before.channel or state.ended or state.step != before.step:
        return result
    if not isinstance(step, Ask) or not _asks_consent(step):
        return result
    if any(isinstance(e, MessageRequested) and e.template == step.template for e in events):
        return result
    return replace(state, channel=before.channel), events


def _read_words(flow: Flow, state: State, input: TextReceived, now: datetime) -> Result:
    """Words for the open question, on the channel they came on."""
    text, channel, attached, queued = input.text, input.channel, input.attached, input.queued
    moved = channel != state.channel
    state = replace(state, channel=channel)
    if not text.strip():
        # A photo, a sticker or a voice message (they arrive without words): no wrong answer, no try used;
        # the tenant hears it cannot be read here, and the question stays open as it was.
        return state, [MessageRequested("common.no_words", _values(state))]
    if is_greeting(text):
        return _greeted(flow, state, now, moved)
    step = flow.step(state.step)
    cost = _cost_asked(step, state, text) or _home_feared(step, state, text, queued)
    if cost is not None:
        return state, [cost]
    if asks_what_is_owed(text):
        # "Hvad skylder jeg?": no amount is written here (never by SMS, and no live figure is held); where to
        # get it, and the question waits, no try used.
        told = {**_values(state), "adviser_word": int(_hears_adviser(step, state))}
        return state, [MessageRequested(_OWED_ASKED, told)]
    if asks_whether_paid(text):
        # "Har jeg betalt?", "did you get my payment": asked, never a payment claimed. No live ledger is held
        # here: where to see payments, a person who can check, and the question waits, no try used.
        return state, [MessageRequested(_QUESTION_ASKED, {**_values(state), "payments": 1})]
    result = _taken_back(state, text, now, _text(flow, state, text, now, attached, queued))
    return _consent_to_question_asked(flow, state, now, result, moved=moved)


def _taken_back(state: State, text: str, now: datetime, result: Result) -> Result:
    """ "Kan ikke betale", "I can't pay" take back a promise or an "I have paid" given before at whatever question they
    are said (the consent question, the reason, a consent to share), not only where the flow hears them as its
    answer (`cannot_pay`): `result` with the claim withdrawn when its words say so and nothing in it withdrew, promised
    or claimed a payment already. A question of their own ("hvad hvis jeg ikke kan betale?") takes nothing back."""
    after, events = result
    if any(isinstance(e, ClaimWithdrawn | PromiseRecorded | PaidClaimed) for e in events) or asks_something(text):
        return result
    if not says_cannot_pay(text, state.language, local_today(state, now)):
        return result
    at = next((i + 1 for i, e in enumerate(events) if isinstance(e, AnswerRecorded)), 0)
    return after, [*events[:at], ClaimWithdrawn(), *events[at:]]


def _pressed(flow: Flow, state: State, choice: str, earlier: bool, now: datetime) -> Result:
    """A button pressed under the open question (`_button`), never a consent once its time ran out."""
    # A button is under a message the tenant was shown where they pressed it.
    return _consent_to_question_asked(flow, state, now, _button(flow, state, choice, earlier, now), moved=False)


def _consent_to_question_asked(flow: Flow, state: State, now: datetime, result: Result, *, moved: bool) -> Result:
    """`result`, unless it gives a consent to a question not asked where the tenant answers: one whose time ran out
    before its timer ended it (the service was down, a clock jumped), or one asked on another channel than the words
    came on (`moved`: asked by SMS, "ja tak" typed in a Telegram chat linked since, where no question stands). A
    consent is given to wording the tenant has just read, where they give it: the question is asked again there,
    with why, as a "ja" after it ended is (`start_with_text`)."""
    expired = state.expires_at is not None and now >= state.expires_at
    if not (expired or moved) or not any(isinstance(e, ConsentGiven) for e in result[1]):
        return result
    return _enter(flow, state, state.step, now, [MessageRequested("consent.asked_again", _values(state))])


def _home_feared(step: Step, state: State, text: str, queued: bool) -> MessageRequested | None:
    """ "Bliver jeg smidt ud??", "will I be evicted": a worried question, never thanked for as something told. That we
    want to help and the way to a person (the number, its hours), and the question waits, no try used; a tenant whose
    case waits for an adviser hears that one will contact them. None for a text that asks no such thing."""
    if not fears_losing_home(text):
        return None
    way = {"queued": 1} if queued else {"adviser_word": int(_hears_adviser(step, state))}
    return MessageRequested(_HOME_FEARED, {**_values(state), **way})


def _cost_asked(step: Step, state: State, text: str) -> MessageRequested | None:
    """What a question about what something costs is told, no try used; None for a text that asks none."""
    if _offers_telegram(step) and (asks_what_the_app_costs(text) or asks_how_much_it_is(text)):
        # "Hvor meget koster det?" asked whether to move to Telegram: "it" is the app, free; never the adviser's help,
        # nor what is owed. The offer's answers come with it.
        return MessageRequested("telegram_offer.free", _values(state))
    if asks_about_cost(text) or (asks_how_much_it_is(text) and _asks_adviser_consent(step)):
        # "Koster det noget?"; and "hvor meget er det?" asked whether an adviser may see the answers, where "it" is the
        # adviser's help, never the rent.
        return _cost_told(step, state)
    return None


def _cost_told(step: Step, state: State) -> MessageRequested:
    """ "Koster det noget?", "is it free": talking to an adviser is free. Asked whether an adviser may see the answers,
    it is who the adviser is (free and confidential) and the question again, its yes given to its own words; anywhere
    else, that it is free, the way to one, and the question waits, no try used."""
    if _asks_adviser_consent(step):
        return MessageRequested("consent.about_adviser", _values(state))
    return MessageRequested(_COST_ASKED, {**_values(state), "adviser_word": int(_hears_adviser(step, state))})


def _offers_telegram(step: Step) -> bool:
    """Whether the open question offers to move the conversation to Telegram (a yes to it names the app)."""
    return isinstance(step, Ask) and any("telegram" in option.tags for option in step.options)


def _asks_adviser_consent(step: Step) -> bool:
    """Whether the open question asks whether an adviser may see the answers (its text: an adviser can help you)."""
    return isinstance(step, Ask) and any(
        isinstance(effect, GiveConsent) and effect.scope == "adviser" for o in step.options for effect in o.effects
    )


def current_question(state: State) -> list[Event]:
    """The open question asked again (after a language switch, say); empty when nothing waits."""
    flow = _current(state)
    if flow is None or state.ended:
        return []
    step = flow.step(state.step)
    if isinstance(step, Ask | AskDate | AskAmount | AskText):
        return [MessageRequested(step.template, _values(state), _choices(step, state))]
    return []


def consent_answer(state: State | None, input: Input, now: datetime) -> Result | None:
    """A clear yes or no to the open consent question, as `resume` takes it (the consent given or refused, the
    conversation moved on), for a tenant whose case a person holds: the host applies it without the bot's words.
    Clear: the question's own button, or a message that says the yes or the no and nothing more ("JA", "nej tak").
    None for anything else ("ja tak, men ring efter 16", a question, a button under another message): what the person
    reads and answers."""
    if state is None or state.ended:
        return None
    flow = _current(state)
    step = flow.step(state.step) if flow is not None else None
    if not isinstance(step, Ask) or not _asks_consent(step) or not isinstance(input, TextReceived | ButtonPressed):
        return None
    answered, events = resume(state, input, now)
    said = next((e.value for e in events if isinstance(e, AnswerRecorded) and e.question == state.step), None)
    option = next((option for option in _listed(step, state) if option.key == said), None)
    if option is None:
        return None  # an answer the question does not list ("jeg har betalt"): the person reads it
    if isinstance(input, TextReceived) and (input.attached or not says_only(input.text, state.language, option.tags)):
        return None
    return answered, events


def accepts_help_word(state: State) -> bool:
    """True when the open question takes HJÆLP/HELP as an answer; the host then resumes with it."""
    flow = _current(state)
    if flow is None or state.ended:
        return False
    step = flow.step(state.step)
    return isinstance(step, Ask) and any("help" in option.tags for option in _options(step, state))


# Where the engine keeps an answer besides under its question's name (`_answered`): a promised day, an amount.
_ANSWERED_AS = ("pay_on", "amount")


def answer_keys(flow: str, data: Mapping[str, object]) -> list[str]:
    """The names of the tenant's answers in a conversation's data, in the order given, each answer's own words right
    after it: the flow's questions (a step's name), the words kept beside them (`<step>_text`), a promised day and an
    amount. Anything else there is what the conversation was started with (a recipient, whether a person held the
    case), no answer of the tenant's."""
    found = FLOWS.get(flow)
    steps = set(found.steps) if found is not None else set(data)
    names = [k for k in data if k in steps or k.removesuffix("_text") in steps or k in _ANSWERED_AS]
    ordered: list[str] = []
    for name in names:
        base = name.removesuffix("_text")
        if base != name and base in names:
            continue
        ordered.append(name)
        if f"{name}_text" in names:
            ordered.append(f"{name}_text")
    return ordered


def answers_while_held(state: State | None, *, active: bool = True) -> bool:
    """True when the tenant's answers reach this waiting conversation while a person holds the case (a question
    the adviser asked, the choice after a withdrawal word); with `active=False`, also while the tenant is not
    active (only the withdrawal's choice)."""
    if state is None or state.ended:
        return False
    flow = _current(state)
    if flow is None:
        return False
    return flow.always_on if not active else flow.while_held or flow.always_on
