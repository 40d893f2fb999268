"""Static checks of flows: broken links, unreachable steps, dead ends, and the templates they use."""

from __future__ import annotations

from collections.abc import Iterator

from conversations.flow import Ask, AskAmount, AskDate, AskText, End, Flow, Option, Say, Step
from conversations.model import Channel

__all__ = ["BUTTON_TEMPLATES", "ENGINE_TEMPLATES", "check_flow", "reachable_steps", "templates_used"]

# Messages the engine itself sends, whatever the flow.
ENGINE_TEMPLATES = (
    "common.not_understood",
    "common.nudge",
    "common.call_adviser",
    "common.flow_changed",
    "payment_check.paid_registered",
    "common.greeting",  # a greeting at an open question after its nudge, before it is asked again
    "common.greeting_question",  # a greeting right after the question: a short line that points to its answers
    "common.thanks",  # the keyword commands' answer to a thank-you with nothing open
    "common.noted",  # their answer to an "ok" with nothing open
    "common.thanks_question",  # a thank-you where an answer is asked for: the question stays open
    "common.noted_question",  # an "ok" where an answer is asked for: the question stays open
    "consent.call_wish",  # "ring til mig" at a consent question: the yes is what lets an adviser call
    "common.signs_only",  # only emoji or signs ("🤔") at an open question: heard, the question stays open
    "common.upset_question",  # "😢", "😡" at an open question: the way to a person, the question stays open
    "common.upset",  # the keyword commands' answer to "😢" with nothing open
    "common.language_hint",  # their answer to "forstår ikke", "I don't understand": the words that switch language
    "common.crisis",  # their answer to words of crisis, in any state: Livslinien, 112, and the way to a person
    "common.signs_heard",  # their answer to "🤔" with nothing open, at most once a day: heard, and a person to call
    "consent.in_words",  # "👍" at a consent question: no consent; the tenant is told how to give one
    "consent.not_in_words",  # "👍" there again: still no consent; the end, with the way to an adviser
    "common.no_words",  # a photo, sticker or voice message at an open question: it cannot be read here
    "common.question_asked",  # a question of the tenant's own at an open question: a person answers it
    "common.owed_asked",  # "hvad skylder jeg?": where to hear the amount (never in an SMS), the question waits
    "common.cost_asked",  # "koster det noget?": talking to an adviser is free, the way to one, the question waits
    "common.which_day",  # a day named at a date question that cannot be placed ("næste fredag"): which one?
    "common.which_payday",  # "når jeg får løn" at a date question: which day the money comes
)
# What the engine sends only where there are buttons (Telegram).
BUTTON_TEMPLATES = (
    "common.old_button",  # a button of an earlier message, before the open question again
    "consent.still_stands",  # the "Nej" under a consent question that ended: the yes stands, and the word to end it
)


def _chosen(options: tuple[Option, ...], channel: Channel | None) -> Iterator[str]:
    """Where options lead on a channel (any when None): their goto, and the date question a day said with them
    answers."""
    for option in options:
        if channel is None or channel in option.channels:
            yield from (name for name in (option.goto, option.when) if name is not None)


def _next(step: Step, channel: Channel | None) -> Iterator[str]:
    match step:
        case Ask(options=options, free_text=free_text):
            yield from _chosen(options, channel)
            if free_text is not None:
                yield free_text
        case AskDate(goto=goto, late=late, hardship=hardship, paid=paid, paid_part=paid_part, adviser=adviser):
            named = (goto, late, step.rest, step.asked, step.asked_late, step.told, hardship, paid, paid_part, adviser)
            yield from (name for name in (*named, step.heard) if name is not None)
            yield from _chosen(step.part, channel)
        case AskAmount(goto=goto, hardship=hardship, adviser=adviser, when=when, rest=rest):
            yield from (name for name in (goto, hardship, step.heard, adviser, when, rest) if name is not None)
        case AskText(goto=goto) | Say(goto=goto):
            yield goto
        case End():
            return


def _passed_over(step: Step, channel: Channel | None) -> bool:
    """A question none of whose answers the channel may carry: the engine does not ask it there, and goes on as
    after a free answer (Telegram's reason question, reached by SMS after a part's day is confirmed)."""
    if channel is None or not isinstance(step, Ask) or step.free_text is None or not step.options:
        return False
    return not any(channel in option.channels for option in step.options)


def reachable_steps(flow: Flow, channel: Channel | None = None) -> list[str]:
    """Steps reachable from the start (on one channel, or any when None), in visiting order; on one channel, a
    question passed over there (`_passed_over`) is not among them, the steps after it are."""
    seen: list[str] = []
    passed: set[str] = set()
    todo = [flow.start]
    while todo:
        name = todo.pop(0)
        if name in seen or name in passed or name not in flow.steps:
            continue
        if _passed_over(flow.steps[name], channel):
            passed.add(name)
        else:
            seen.append(name)
        todo.extend(_next(flow.steps[name], channel))
    return seen


def _reaches_end(flow: Flow, name: str) -> bool:
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen or current not in flow.steps:
            continue
        if isinstance(flow.steps[current], End):
            return True
        seen.add(current)
        todo.extend(_next(flow.steps[current], None))
    return False


def _date_questions(name: str, step: Step) -> list[tuple[str, str]]:
    """The date questions a step or its options (a date question's `part` too) name (`when`: a day said with the answer
    is answered there; an amount's `rest`: a day said for the rest)."""
    if isinstance(step, AskAmount):
        return [(name, when) for when in (step.when, step.rest) if when is not None]
    options = step.options if isinstance(step, Ask) else step.part if isinstance(step, AskDate) else ()
    return [(f"{name}.{option.key}", option.when) for option in options if option.when is not None]


def check_flow(flow: Flow) -> list[str]:
    """Problems in a flow's shape; an empty list means it is sound."""
    problems: list[str] = []
    if flow.start not in flow.steps:
        problems.append(f"{flow.name}: step {flow.start!r} does not exist")
    for name, step in flow.steps.items():
        for goto in _next(step, None):
            if goto not in flow.steps:
                problems.append(f"{flow.name}.{name}: goes to missing step {goto!r}")
        for where, when in _date_questions(name, step):
            if not isinstance(flow.steps.get(when), AskDate):
                problems.append(f"{flow.name}.{where}: its date question {when!r} is no date question")
        if isinstance(step, Ask) and not any(o.listed for o in step.options):
            problems.append(f"{flow.name}.{name}: a question with no options to choose")
        if not _reaches_end(flow, name):
            problems.append(f"{flow.name}.{name}: dead end, no way to an end")
    reachable = set(reachable_steps(flow))
    problems.extend(f"{flow.name}.{name}: unreachable step" for name in flow.steps if name not in reachable)
    for channel in flow.channels:
        for name in reachable_steps(flow, channel):
            step = flow.steps[name]
            if isinstance(step, Ask) and not any(o.listed and channel in o.channels for o in step.options):
                problems.append(f"{flow.name}.{name}: no option on {channel}")
    return problems


def templates_used(flow: Flow, channel: Channel) -> set[str]:
    """Template keys (messages and button labels) a flow can send on a channel."""
    if channel not in flow.channels:
        return set()
    keys: set[str] = set()
    for name in reachable_steps(flow, channel):
        step = flow.steps[name]
        if step.template is not None:
            keys.add(step.template)
        if isinstance(step, Ask) and channel == "telegram":
            keys.update(o.label for o in step.options if o.listed and channel in o.channels)
    return keys
