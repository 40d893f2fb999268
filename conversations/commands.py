"""Keyword commands: what a whole-message keyword (STOP, START, HJÆLP, ...) does, as events for the host."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

from conversations import engine
from conversations.answers import emoji_reading, sounds_in_crisis, sounds_upset, tells_hardship, word_count
from conversations.effects import SHARE_SCOPE
from conversations.flow import Ask, WithdrawConsent
from conversations.flows import FLOWS
from conversations.flows.withdraw_choice import MAX_CHOICES
from conversations.keywords import (
    LANGUAGE_WORDS,
    Keyword,
    KeywordKind,
    asks_if_scam,
    classify,
    looks_like_noted,
    looks_like_stop_wish,
    looks_like_thanks,
    looks_like_who_question,
    names_someone_else,
    says_not_understood,
    says_withdrawal,
    says_wrong_number,
)
from conversations.model import (
    AnswerRecorded,
    Channel,
    ConsentWithdrawn,
    Context,
    ConversationEnded,
    Event,
    FlowSettings,
    LanguageChanged,
    MessageRequested,
    OptedIn,
    OptedOut,
    TextReceived,
    WrongNumberReported,
)
from conversations.state import State
from conversations.text import tokens

__all__ = [
    "ALWAYS_ON",
    "CommandResult",
    "ConsentRef",
    "TenantFacts",
    "chat_linked",
    "command",
    "pressed_earlier",
    "pressed_start",
]

# These work even while an adviser holds the case: the bot answers nothing else then, but for words of crisis
# (`_crisis`), which get the crisis line alone.
ALWAYS_ON = ("opt_out", "opt_in", "language", "withdraw_consent")


@dataclass(frozen=True)
class ConsentRef:
    """One recipient the tenant has an active consent for: the organisation's own advisers ("organisation"), a
    kommune unit ("kommune") or a volunteer organisation ("volunteer_org"), by name."""

    recipient_kind: str
    recipient: str | None = None


@dataclass(frozen=True)
class TenantFacts:
    """What a command may know of the tenant who wrote; `consents` lists the recipients of their active consents
    to share beyond the organisation (the organisation's own consent is `consented`). `held`: a person holds their
    case; `case_waiting`: their case waits in the advisers' queue, no person holds it yet, and stays there if the
    adviser consent is withdrawn (not the case their own yes opened, which closes with it). `queued`: they said yes to
    an adviser and their case (of any origin) waits in the queue, no person holds it yet: what they write is kept on
    the case for the adviser, and RÅDGIVER asks for nothing more (the host answers it with the once-a-day receipt).
    `reached`: a reply on this channel may still reach an opted-out tenant (the host's rule: over SMS only when they
    opted out with keephome's own word and the carrier refused nothing since); always true for an active one."""

    first_name: str
    language: str
    channel: Channel
    status: str
    consented: bool
    held: bool
    conversation: State | None
    languages: tuple[str, ...]
    telegram_on: bool
    settings: FlowSettings
    consents: tuple[ConsentRef, ...] = ()
    case_waiting: bool = False
    queued: bool = False
    reached: bool = True


@dataclass(frozen=True)
class CommandResult:
    """A keyword's events; `started` is a new conversation to save, `resumed` replaces the open one. `daily`: its
    words are said at most once a day (the host keys them by the kind and the day), for a line a tenant may set off
    again and again without asking anything (such a result is words only)."""

    kind: str
    events: tuple[Event, ...]
    started: State | None = None
    resumed: State | None = None
    daily: bool = False

    def daily_key(self, tenant: int | str, today: date) -> str | None:
        """The key a `daily` result's words are said under for `tenant` on `today` (the local day): whoever plays the
        commands (the host, `keephome chat`, the transcripts) says them only when it has not said that key yet, so
        the rule is the same everywhere. None for words said every time."""
        return f"{self.kind}:{tenant}:{today.isoformat()}" if self.daily else None


def _start(
    flow: str, facts: TenantFacts, channel: Channel, now: datetime, data: dict[str, str | int] | None = None
) -> tuple[State, list[Event]]:
    context = Context(facts.first_name, facts.language, channel, None, facts.settings)
    return engine.start(flow, context, now, data)


def _started(
    kind: str, flow: str, facts: TenantFacts, now: datetime, data: dict[str, str | int] | None = None
) -> CommandResult:
    state, events = _start(flow, facts, facts.channel, now, data)
    return CommandResult(kind, tuple(events), started=state)


def _opt_out(kw: Keyword, text: str, facts: TenantFacts, now: datetime) -> CommandResult | None:
    if facts.status == "stopped":
        return CommandResult("opt_out", ())  # confirmed once already
    if facts.status == "wrong_number":
        # Whoever holds the number now: nothing goes to it already, and the tenant stays on the admins' list of
        # wrong numbers (a STOP would hide them there, and START then write to the stranger again).
        return CommandResult("opt_out", (MessageRequested("keyword.wrong_number"),))
    return CommandResult("opt_out", (OptedOut(), MessageRequested("keyword.opted_out")))


def _opt_in(kw: Keyword, text: str, facts: TenantFacts, now: datetime) -> CommandResult | None:
    if facts.status == "wrong_number":
        # A wrong number stays wrong until the organisation corrects it (START would write to a stranger again): whoever
        # holds it now hears that nothing is written here, and whom to call if the number is theirs after all.
        return CommandResult("opt_in", (MessageRequested(_REPORTED_WRONG),))
    if facts.status not in ("stopped", "active"):
        return CommandResult("opt_in", ())
    # A tenant who gets messages already hears so, not "you are back".
    told = MessageRequested("keyword.opted_in", {"already": int(facts.status == "active")})
    return CommandResult("opt_in", (OptedIn(), told))


def _wrong_number(kw: Keyword, text: str, facts: TenantFacts, now: datetime) -> CommandResult | None:
    return CommandResult("wrong_number", (MessageRequested("keyword.wrong_number"), WrongNumberReported()))


# What whoever holds a number reported wrong hears when they write to it (START, "hej"): nothing of the tenant.
_REPORTED_WRONG = "keyword.number_reported_wrong"


def _to_number_reported_wrong(facts: TenantFacts) -> CommandResult | None:
    """Anything else written from a number reported wrong ("hej", "hvad er det her?"): whoever holds it gets an answer,
    once a day, never silence and never the former tenant's reminders or questions (a person reads nothing of it)."""
    if facts.status != "wrong_number":
        return None
    return CommandResult("reported_wrong", (MessageRequested(_REPORTED_WRONG),), daily=True)


def _to_stranger(kind: str) -> CommandResult:
    """Whoever holds a number reported wrong asks who writes, or for help: the answer they had, nothing of the
    tenant (the help text would tell a stranger that the person at this number gets rent reminders)."""
    return CommandResult(kind, (MessageRequested("keyword.wrong_number"),))


def _help(kw: Keyword, text: str, facts: TenantFacts, now: datetime) -> CommandResult | None:
    if facts.status == "wrong_number":
        return _to_stranger("help")
    if facts.status == "stopped":
        # Opted out: how START brings messages back and how to reach a person, not the help text's TELEGRAM and
        # STOP, which do nothing for them.
        return CommandResult("help", (MessageRequested("keyword.still_stopped"),))
    if facts.conversation is not None and engine.accepts_help_word(facts.conversation):
        return None  # "I need help" answers the open question
    return _about("help", facts, now)


def _about(kind: str, facts: TenantFacts, now: datetime, *, scam: bool = False) -> CommandResult:
    """Who writes, that the messages are automatic and when a person reads along (`help_info`): an adviser once the
    tenant's yes stands, only after a yes otherwise (while a person holds the case, the message is theirs). `scam`: the
    tenant fears a fraud, and hears first what keephome never asks for and how to check it is the organisation."""
    data: dict[str, str | int] = {"consented": int(facts.consented)}
    if scam:
        data["scam"] = 1
    return _started(kind, "help_info", facts, now, data)


def _language(kw: Keyword, text: str, facts: TenantFacts, now: datetime) -> CommandResult | None:
    language = kw.language
    if language is None or language not in facts.languages:
        return None
    events: list[Event] = [LanguageChanged(language), MessageRequested("keyword.language_changed")]
    open_state = facts.conversation
    if open_state is None and facts.status == "active" and not facts.held and _asks_who_too(text):
        # "Sorry I don't speak Danish, what is this?" with nothing open: what was asked is answered too, in the
        # language just chosen (who writes, and how to reach a person), not the switch alone.
        about = _about("language", replace(facts, language=language), now, scam=asks_if_scam(text))
        return replace(about, events=(*events, *about.events))
    if open_state is None or facts.status != "active" or facts.held:
        return CommandResult("language", tuple(events))
    # The question again in the language the tenant reads: the tries it used up in the other one do not count (a
    # tenant who could not read the question would otherwise have one try left).
    resumed = replace(open_state, language=language, retries=0)
    events.extend(engine.current_question(resumed))
    return CommandResult("language", tuple(events), resumed=resumed)


def _asks_who_too(text: str) -> bool:
    """Whether a sentence of the message asks who writes or what this is ("…, what is this?"), or fears a scam."""
    parts = re.split(r"[,.;:!?\n\u061f]+", text)
    return any(looks_like_who_question(part) or asks_if_scam(part) for part in parts if part.strip())


def _telegram(kw: Keyword, text: str, facts: TenantFacts, now: datetime) -> CommandResult | None:
    if facts.channel != "sms" or facts.status != "active" or not facts.telegram_on:
        return None  # on Telegram already, no Telegram here, or not to be written to: an ordinary message
    offer, _question = _start("telegram_offer", facts, "sms", now)
    # The tenant's own word answers the offer "yes", so the code goes out at once.
    state, events = engine.resume(offer, TextReceived(text, "sms"), now)
    return CommandResult("telegram", tuple(events), started=state)


def _withdraw_consent(kw: Keyword, text: str, facts: TenantFacts, now: datetime) -> CommandResult | None:
    shared = [ref for ref in facts.consents if ref.recipient_kind != "organisation"]
    if not shared:
        if not facts.consented:
            return CommandResult("withdraw_consent", (MessageRequested("consent.nothing_to_withdraw"),))
        case: dict[str, str | int] = {"held": int(facts.held), "waiting": int(facts.case_waiting)}
        return _started("withdraw_consent", "withdraw_consent", facts, now, case)
    entries = ([ConsentRef("organisation")] if facts.consented else []) + shared
    if len(entries) == 1:
        # One consent: withdrawn at once, as the organisation's is.
        only = entries[0]
        told = MessageRequested(
            "consent.withdrawn_one",
            {"recipients": only.recipient or "", "recipient_kinds": only.recipient_kind, "choose": "1"},
        )
        return CommandResult(
            "withdraw_consent", (ConsentWithdrawn(SHARE_SCOPE, only.recipient_kind, only.recipient), told)
        )
    entries = entries[:MAX_CHOICES]
    data: dict[str, str | int] = {f"c{n}": f"{e.recipient_kind}:{e.recipient or ''}" for n, e in enumerate(entries, 1)}
    data["recipients"] = "|".join((e.recipient or "").replace("|", "/") for e in entries)
    # Their kinds in the same order: an SMS names no recipient, only its kind (whoever holds the phone reads it).
    data["recipient_kinds"] = "|".join(e.recipient_kind for e in entries)
    # For the organisation's own yes among them, what its withdrawal says of the case (as `withdraw_consent`'s).
    data.update(held=int(facts.held), waiting=int(facts.case_waiting))
    context = Context(facts.first_name, facts.language, facts.channel, None, facts.settings)
    state, events = engine.start("withdraw_choice", context, now, data)
    return CommandResult("withdraw_consent", tuple(events), started=state)


_Command = Callable[[Keyword, str, TenantFacts, datetime], CommandResult | None]

_COMMANDS: dict[KeywordKind, _Command] = {
    "opt_out": _opt_out,
    "opt_in": _opt_in,
    "wrong_number": _wrong_number,
    "help": _help,
    "language": _language,
    "telegram": _telegram,
    "withdraw_consent": _withdraw_consent,
}


def _stop_hint(text: str, facts: TenantFacts, now: datetime) -> CommandResult | None:
    """A wish to stop said in a sentence gets the word that does it; what else the message answers is read too
    ("jeg har betalt, stop med at skrive": the payment claimed, then the hint), so nothing the tenant said is lost."""
    if facts.status != "active" or facts.held or not looks_like_stop_wish(text):
        return None
    hint = MessageRequested("keyword.stop_hint")
    if facts.conversation is not None:
        state, events = engine.resume(facts.conversation, TextReceived(text, facts.channel), now)
        # An answer read in it (a payment, a day), not own words taken as told or a miss: the stop wish is no answer.
        if any(isinstance(e, AnswerRecorded) and e.value not in (engine.UNRECOGNISED, "text") for e in events):
            return CommandResult("stop_hint", (*events, hint), resumed=state)
    return CommandResult("stop_hint", (hint,))


def _who(text: str, facts: TenantFacts, now: datetime) -> CommandResult | None:
    """ "Hvem er du?", "er det en robot?" gets who writes and why, and when a person reads along (the help text); an
    open question waits on, untouched. "Er det her svindel?", "is this a scam?" (`asks_if_scam`) gets the same, with
    what keephome never asks for and how to check. While a person holds the case, that person reads it and answers."""
    if facts.held:
        return None
    scam = asks_if_scam(text)
    if not scam and not looks_like_who_question(text):
        return None
    if facts.status == "wrong_number":
        return _to_stranger("who")
    return _about("who", facts, now, scam=scam)


def _wrong_number_said(text: str, facts: TenantFacts, now: datetime) -> CommandResult | None:
    """ "Forkert nummer, jeg hedder Peter" is the keyword said in a sentence (`says_wrong_number`); "Det er ikke
    Amira" says it too (`names_someone_else`)."""
    if facts.held or not (says_wrong_number(text, facts.languages) or names_someone_else(text, facts.first_name)):
        return None
    return _wrong_number(Keyword("wrong_number"), text, facts, now)


def _withdrawn_before(text: str, facts: TenantFacts, now: datetime) -> CommandResult | None:
    """A consent chosen from the withdrawal's list that no longer stands (taken back since the list was sent): the
    choice ends the list as any does, with nothing taken back again, and the tenant hears it was taken back already,
    never "you have taken back your yes" as if just now."""
    state = facts.conversation
    if state is None or state.ended or state.flow != "withdraw_choice":
        return None
    resumed, events = engine.resume(state, TextReceived(text, facts.channel), now)
    withdrawn = next((e for e in events if isinstance(e, ConsentWithdrawn)), None)
    if withdrawn is None or _stands(withdrawn, facts):
        return None
    told = tuple(_already(event) for event in events if event is not withdrawn)
    return CommandResult("withdraw_consent", told, resumed=resumed)


def _already(event: Event) -> Event:
    """The list's confirmation said as "taken back already"; any other event as it is."""
    if isinstance(event, MessageRequested) and event.template == "consent.withdrawn_one":
        return MessageRequested("consent.withdrawn_already", event.values)
    return event


def _stands(withdrawn: ConsentWithdrawn, facts: TenantFacts) -> bool:
    """Whether the consent a withdrawal names is among the tenant's standing ones."""
    if withdrawn.recipient_kind is None:
        return facts.consented
    return ConsentRef(withdrawn.recipient_kind, withdrawn.recipient) in facts.consents


def _withdrawal_said(text: str, facts: TenantFacts, now: datetime) -> CommandResult | None:
    """ "Træk mit ja tilbage", "I take back my yes": the withdrawal word said in the tenant's own words
    (`says_withdrawal`), as easy to say as the yes was; heard even while a person holds the case."""
    if not says_withdrawal(text):
        return None
    return _withdraw_consent(Keyword("withdraw_consent"), text, facts, now)


_OWN_SENTENCE = ("en", "da")


def _not_understood(text: str, facts: TenantFacts) -> CommandResult | None:
    """ "Forstår ikke", "I don't understand": the tenant cannot read what we wrote, so the words that switch the
    language (each other language that is on, by its own word: ENGLISH, DANSK, …) and a person to call, not the open
    question's next message nor a miss: the question waits as it was, no try used. While a person holds the case it is
    theirs to read; with no other language on, the conversation reads it as before."""
    if facts.status != "active" or facts.held or not says_not_understood(text):
        return None
    others = [lang for lang in facts.languages if lang != facts.language and lang in LANGUAGE_WORDS]
    if not others:
        return None
    # English and Danish each have a sentence of their own in every language's hint ("Write ENGLISH to get our messages
    # in English."), in the words of those who read them: the list names only the others, so no word is said twice.
    words = " / ".join(LANGUAGE_WORDS[lang][0].upper() for lang in others if lang not in _OWN_SENTENCE)
    hint = MessageRequested(
        "common.language_hint", {"words": words, "english": int("en" in others), "danish": int("da" in others)}
    )
    return CommandResult("language_hint", (hint,))


def _noted(text: str, facts: TenantFacts) -> CommandResult | None:
    """ "Ok", "Fint 👍" with nothing open gets a short kind answer, not the whole opening question again (a bare
    "ok" is no answer to a question the tenant has not just seen); inside a question the flow reads it."""
    if facts.status != "active" or facts.held or facts.conversation is not None:
        return None
    if not looks_like_noted(text) and emoji_reading(text) not in ("yes", "noted"):
        return None
    return CommandResult("noted", (MessageRequested("common.noted"),))


def _thanks(text: str, facts: TenantFacts) -> CommandResult | None:
    """ "Tak for hjælpen!" with nothing open gets a short kind answer, not the opening question; inside a question
    the flow answers it (`engine._unanswered`: the question stays open), and while a person holds the case it is
    an ordinary message. "🙏" and "❤️" are a thank-you too. A tenant whose yes put their case in the queue (`queued`)
    is told an adviser will call or write, not to write again if they need help: they asked for it."""
    if facts.status != "active" or facts.held or facts.conversation is not None:
        return None
    if not looks_like_thanks(text) and emoji_reading(text) != "thanks":
        return None
    return CommandResult("thanks", (MessageRequested("common.thanks", {"queued": int(facts.queued)}),))


def _upset(text: str, facts: TenantFacts) -> CommandResult | None:
    """ "😢", "😡" (or "fuck jer", `_upset_in_few_words`) with nothing open: a kind line and the way to a person, not
    the opening question; inside a question the flow answers it, and while a person holds the case it is theirs to
    read. The adviser word is offered only where it does something: a tenant whose yes already put their case in the
    queue (`queued`) hears that an adviser reads what they write and will call, and the number for something urgent
    (RÅDGIVER would only get the day's receipt)."""
    if facts.status != "active" or facts.held or facts.conversation is not None:
        return None
    if emoji_reading(text) != "upset" and not _upset_in_few_words(text, facts.language):
        return None
    return CommandResult("upset", (MessageRequested("common.upset", {"queued": int(facts.queued)}),))


# Why a conversation ended when the tenant wrote words of crisis in it.
CRISIS = "crisis"


def _crisis(text: str, facts: TenantFacts) -> CommandResult | None:
    """Words of crisis ("jeg vil tage mit liv", "I want to die", `sounds_in_crisis`): the gravest distress, read before
    anything else and in any state. The tenant hears at once that they are not alone, Livslinien's number and 112, and
    nothing else: an open conversation ends without a word, so neither its question nor its nudge about the rent
    follows, and while a person holds the case not a word that would talk over them (the host shows that person the
    message). The way to a person follows as for the other distress (`_upset`): the adviser word, which leads to the
    consent question (nothing about the tenant goes to anyone without that yes), or that an adviser reads along when
    their yes already put the case in the queue; none to a tenant who is not active."""
    if not sounds_in_crisis(text):
        return None
    offer = facts.status == "active" and not facts.held
    told = MessageRequested("common.crisis", {"offer": int(offer), **({"queued": 1} if offer and facts.queued else {})})
    if not offer or facts.conversation is None:
        return CommandResult("crisis", (told,))
    ended = engine.ended(facts.conversation, CRISIS)
    return CommandResult("crisis", (told, ConversationEnded(CRISIS)), resumed=ended)


def _upset_in_few_words(text: str, language: str) -> bool:
    """ "Fuck jer", "mine børn sulter": anger or despair in fewer words than the opening question keeps as something
    told, and no reason it reads ("jeg er bange, har mistet mit job" starts the conversation with it)."""
    return word_count(text) < 4 and sounds_upset(text) and not tells_hardship(text, language)


def _signs(text: str, facts: TenantFacts) -> CommandResult | None:
    """ "🤔", "?" with nothing open: a short line that the message came and how to reach a person, never the whole
    opening question (several SMS parts; another sign then used its tries, ended it, and the next one began it again).
    At most once a day (`daily`): signs sent one after another get one answer, not a flood. A tenant whose case waits
    with their yes gets the case's receipt instead (the host keeps the message there for the adviser)."""
    if facts.status != "active" or facts.held or facts.conversation is not None or facts.queued:
        return None
    if not text.strip() or emoji_reading(text) is not None or tokens(text):
        return None  # words, or emoji that say something (a thank-you, an "ok", sadness): answered above
    return CommandResult("signs", (MessageRequested("common.signs_heard"),), daily=True)


def pressed_start(facts: TenantFacts, now: datetime) -> CommandResult:
    """Telegram's Start button (`/start`, or a link code's deep link opened again) from a chat already linked: an
    opted-out tenant is opted back in, as START does (the opt-out's answer told them to write START); an active one
    hears they are connected, and the open question again when one waits and no person holds the case."""
    if facts.status == "stopped":
        return _opt_in(Keyword("opt_in"), "START", facts, now) or CommandResult("start", ())
    if facts.status != "active":
        return CommandResult("start", ())
    asked = chat_linked(facts)
    return CommandResult("start", (MessageRequested("link.linked"), *asked.events), resumed=asked.resumed)


def chat_linked(facts: TenantFacts) -> CommandResult:
    """A Telegram chat linked just now (a code, a deep link, the tenant's own number) or its Start button pressed:
    the open question asked again in the chat, with its buttons, when one waits and no person holds the case. Its
    conversation waits on this channel from now on: an answer there answers a question shown there (the engine
    takes a consent only so: `engine.resume`)."""
    open_state = facts.conversation
    if open_state is None or facts.held or facts.status != "active":
        return CommandResult("linked", ())
    asked = replace(open_state, channel=facts.channel)
    events = engine.current_question(asked)
    return CommandResult("linked", tuple(events), resumed=asked if events else None)


# The scope of the tenant's yes to the organisation's advisers (`TenantFacts.consented`).
_ADVISER = "adviser"


def _ends_consent(question: str | None, choice: str) -> bool:
    """Whether `choice` under the question whose template is `question` is the no that ends the tenant's yes to the
    advisers (the consent question's "Nej")."""
    return any(
        isinstance(step, Ask)
        and step.template == question
        and any(option.key == choice and WithdrawConsent(_ADVISER) in option.effects for option in step.options)
        for flow in FLOWS.values()
        for step in flow.steps.values()
    )


def pressed_earlier(
    choice: str, question: str | None, facts: TenantFacts, *, again: bool = False, under: State | None = None
) -> CommandResult | None:
    """A button under a question that has ended (`question`: the template of the message it was under; `under`: the
    state of the conversation it was under). Pressed `again` (the tenant's message before this one was this same
    press: a double tap, a press repeated with nothing said between) after that choice was taken, there or by the
    conversation the first press began (`facts.conversation`), it is the same answer again: answered with nothing
    (`events` empty), not with the waiting tenant's receipt nor the opening question. The "Nej" under the consent
    question the tenant said yes to, while that yes stands, is a change of mind: they hear the yes still stands and
    the word that takes it back. The old button itself takes nothing back: a button under a question that has ended
    answers nothing, and the withdrawal word is the one way back (it also closes the case the yes opened). None for
    any other button (the flow's rule for an earlier message's button), and while a person holds the case (it is
    theirs to read)."""
    if facts.status != "active" or facts.held:
        return None
    if again and (engine.took(under, question, choice) or engine.took(facts.conversation, question, choice)):
        return CommandResult("same_answer", ())
    if not facts.consented or not _ends_consent(question, choice):
        return None
    return CommandResult("consent_stands", (MessageRequested("consent.still_stands"),))


def command(text: str | None, facts: TenantFacts, now: datetime) -> CommandResult | None:
    """What the whole message means as a command, or None when it is an ordinary message (an answer). To an opted-out
    tenant no reply may reach (`facts.reached`) a command says nothing but START's welcome back: what it records
    (a wrong number, a withdrawal, a language) it records all the same."""
    if now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")
    result = _command(text, facts, now)
    open_flow = None if facts.conversation is None else facts.conversation.flow
    if result is not None and result.started is not None and result.started.flow == open_flow:
        # The same word again while its own conversation still asks (the withdrawal's list): the new one takes its
        # place, so the answer to it ends the one list open rather than leaving the first waiting behind it.
        result = replace(result, started=None, resumed=result.started)
    if result is None or facts.reached or result.kind == "opt_in":
        return result
    return replace(result, events=tuple(e for e in result.events if not isinstance(e, MessageRequested)))


def _command(text: str | None, facts: TenantFacts, now: datetime) -> CommandResult | None:
    if text is None:
        return None  # a sticker, a photo, a button: never a keyword
    crisis = _crisis(text, facts)
    if crisis is not None:
        return crisis
    keyword = classify(text, facts.languages)
    if keyword is None:
        return (
            _withdrawn_before(text, facts, now)
            or _withdrawal_said(text, facts, now)
            or _wrong_number_said(text, facts, now)
            or _not_understood(text, facts)
            or _stop_hint(text, facts, now)
            or _who(text, facts, now)
            or _thanks(text, facts)
            or _noted(text, facts)
            or _upset(text, facts)
            or _signs(text, facts)
            or _to_number_reported_wrong(facts)
        )
    if facts.held and keyword.kind not in ALWAYS_ON and facts.status != "wrong_number":
        # A person holds the case: the message is theirs to answer (a stranger's at a number reported wrong is not).
        return None
    return _COMMANDS[keyword.kind](keyword, text, facts, now) or _to_number_reported_wrong(facts)
