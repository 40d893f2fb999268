"""Playing transcript scenarios: a flow through the engine, or keyword commands the way the host applies them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from bot.outbox.render import Renderer
from bot.settings import Settings
from conversations.commands import CommandResult, TenantFacts, command
from conversations.engine import resume, said_again, start, start_with_text
from conversations.model import (
    ButtonPressed,
    Channel,
    ConsentGiven,
    ConsentWithdrawn,
    Context,
    Event,
    FactReported,
    HandoffRequested,
    Input,
    LanguageChanged,
    MessageRequested,
    OptedIn,
    OptedOut,
    TextReceived,
    WaitExpired,
    WrongNumberReported,
)
from conversations.state import State
from tests.conversations.transcript_format import Note, Output, Played, Recorded, Scenario, Shown, Step, TenantInput

__all__ = ["play_commands", "play_flow"]

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]
RENDERER = Renderer(ROOT / "templates", SETTINGS, telegram_on=True)
STEP = timedelta(minutes=5)
COMMAND_OPTIONS = frozenset({"flow", "trigger", "status", "consented", "held", "waiting", "telegram"})


def _output(event: Event, language: str, channel: Channel, now: datetime) -> Output:
    if isinstance(event, MessageRequested):
        rendered = RENDERER.render(event.template, event.values, language, channel, event.choices, now=now)
        return Shown(event.template, rendered.text, rendered.buttons)
    # Fields left at None or empty (a consent's recipient fields for the organisation's own) are not shown.
    fields = tuple(
        (k, v.isoformat() if isinstance(v, date) else v) for k, v in asdict(event).items() if v is not None and v != ()
    )
    return Recorded(event.name, fields)


def _engine_input(given: TenantInput, channel: Channel) -> Input:
    match given.kind:
        case "text":
            return TextReceived(given.value, channel)
        case "button":
            return ButtonPressed(given.value, channel)
        case "fact":
            return FactReported(given.value)
        case "wait":
            return WaitExpired()


def _later(now: datetime, given: TenantInput, state: State | None) -> datetime:
    """Five minutes pass between inputs; a wait jumps to the moment the conversation waits until."""
    if given.kind != "wait":
        return now + STEP
    if state is None or state.waiting_until is None:
        raise ValueError("a [wait] with nothing waiting")
    return state.waiting_until


def _standing(state: State | None) -> str:
    if state is None:
        return "no conversation"
    return f"ended: {state.end_reason}" if state.ended else "still waiting"


# What the host gives the flows it starts with data: an adviser's request for a consent to share, and the consents
# a withdrawal chooses from (the organisation's own, a kommune unit's, a volunteer organisation's).
FLOW_DATA: dict[str, dict[str, str | int]] = {
    "share_consent": {
        "recipient_kind": "kommune",
        "recipient": "Aarhus Kommune, Ydelsescenter",
        "source": "Boligselskabet",
        "kinds": "rent_position,letters,household,contact",
        "purpose": "at søge hjælp til huslejen",
        "case_id": 7,
        "wording": "(the wording as the tenant was shown it)",
    },
    "withdraw_choice": {
        "c1": "organisation:",
        "c2": "kommune:Aarhus Kommune, Ydelsescenter",
        "c3": "volunteer_org:Dansk Folkehjælp",
        "recipients": "|Aarhus Kommune, Ydelsescenter|Dansk Folkehjælp",
        "recipient_kinds": "organisation|kommune|volunteer_org",
    },
}


def play_flow(flow: str, channel: Channel, language: str, now: datetime, scenario: Scenario) -> Played:
    """Start `flow` and resume it with each input; the state goes through JSON between turns."""
    unknown = set(scenario.options) - {"trigger", "deadline"}
    if unknown:
        raise ValueError(f"{scenario.name}: unknown options {sorted(unknown)}")
    deadline = scenario.options.get("deadline")
    context = Context(
        "",
        language,
        channel,
        scenario.options.get("trigger"),
        SETTINGS.flow_settings(),
        date.fromisoformat(deadline) if deadline else None,
    )
    state, events = start(flow, context, now, FLOW_DATA.get(flow))
    steps = [Step(None, tuple(_output(e, state.language, state.channel, now) for e in events))]
    for given in scenario.inputs:
        now = _later(now, given, state)
        state = State.load(json.dumps(state.to_dict()))
        state, events = resume(state, _engine_input(given, state.channel), now)
        steps.append(Step(given, tuple(_output(e, state.language, state.channel, now) for e in events)))
    return Played(scenario, tuple(steps), (_standing(state),))


@dataclass
class _Tenant:
    """What the host knows of one tenant, changed by the events it applies (a stand-in, not the host)."""

    channel: Channel
    language: str
    status: str = "active"
    consented: bool = False
    held: bool = False
    waiting: bool = False  # an urgent outreach case no person holds yet: it stays in the queue without consent
    handed_off: bool = False  # a case the tenant's own yes opened waits in the queue
    telegram_on: bool = True
    conversation: State | None = None
    told: set[str] = field(default_factory=set)  # the once-a-day lines said, by their keys
    said: str | None = None  # the words of the tenant's message before this one (None: a button, or nothing yet)

    def facts(self) -> TenantFacts:
        open_state = self.conversation if self.conversation is not None and not self.conversation.ended else None
        return TenantFacts(
            first_name="",
            language=self.language,
            channel=self.channel,
            status=self.status,
            consented=self.consented,
            held=self.held,
            case_waiting=self.waiting,
            queued=self.queued,
            conversation=open_state,
            languages=tuple(SETTINGS.language_list),
            telegram_on=self.telegram_on,
            settings=SETTINGS.flow_settings(),
        )

    @property
    def queued(self) -> bool:
        """Like the host: a case waits in the queue with the tenant's yes, whoever opened it, and no person holds it."""
        return self.consented and not self.held and (self.waiting or self.handed_off)

    def apply(self, events: Iterable[Event], now: datetime) -> list[Output]:
        """Render each event in the language of the moment and apply it, in order."""
        outputs: list[Output] = []
        for event in events:
            outputs.append(_output(event, self.language, self.channel, now))
            match event:
                case LanguageChanged(language=language):
                    self.language = language
                case OptedOut():
                    self._stop("stopped")
                case WrongNumberReported():
                    self._stop("wrong_number")
                case OptedIn():
                    self.status = "active"
                case ConsentGiven():
                    self.consented = True
                case HandoffRequested():
                    self.handed_off = not self.held and not self.waiting
                case ConsentWithdrawn():
                    # Like the host: a case the tenant's yes opened closes with it; an urgent outreach (`waiting`)
                    # or a held case stays open, without the consent.
                    self.consented = False
                    self.handed_off = False
        return outputs

    def _stop(self, status: str) -> None:
        # Like the host: nothing goes on with a tenant who is not to be written to.
        self.status = status
        if self.conversation is not None and not self.conversation.ended:
            self.conversation = replace(self.conversation, ended=True, end_reason=status, waiting_until=None)

    def closing(self) -> tuple[str, ...]:
        consented, held = ("yes" if flag else "no" for flag in (self.consented, self.held))
        line = f"tenant: status={self.status} language={self.language} consented={consented} held={held}"
        return line, _standing(self.conversation)


def _command_outputs(tenant: _Tenant, result: CommandResult, now: datetime) -> list[Output]:
    key = result.daily_key("tenant", now.date())
    if key is not None:
        # Like the host: a line said at most once a day.
        if key in tenant.told:
            return [Note(f"keyword {result.kind}, said today already")]
        tenant.told.add(key)
    outputs: list[Output] = [Note(f"keyword {result.kind}"), *tenant.apply(result.events, now)]
    if result.started is not None:
        outputs.append(Note(f"started {result.started.flow}, {_standing(result.started)}"))
    if result.resumed is not None:
        tenant.conversation = result.resumed
        outputs.append(Note(f"resumed {result.resumed.flow} at {result.resumed.step} in {result.resumed.language}"))
    return outputs


def _to_conversation(tenant: _Tenant, given: Input, now: datetime) -> list[Output]:
    """A message no command took: the host's order is inactive, held, then the open conversation."""
    if tenant.status != "active":
        return [Note(f"ignored: the tenant is {tenant.status}")]
    if tenant.held:
        return [Note("to the adviser")]
    nothing_open = tenant.conversation is None or tenant.conversation.ended
    if tenant.queued and nothing_open:
        # Like the host: kept on the case for the adviser, with a receipt at most once a day.
        return [Note("to the waiting case (the day's receipt)")]
    if tenant.conversation is None or tenant.conversation.ended:
        # Like the host: with nothing open, payment_check starts, and the words answer its opening question if they can.
        context = Context("", tenant.language, tenant.channel, None, SETTINGS.flow_settings())
        if isinstance(given, TextReceived):
            # Like the host: the same words right after they were answered are the same answer again, said nothing.
            repeated = tenant.conversation if tenant.said == given.text.strip().casefold() else None
            if said_again("payment_check", repeated, given.text, now):
                return [Note("the same words again: nothing said")]
            last = tenant.conversation
            tenant.conversation, events = start_with_text("payment_check", context, now, given.text, last)
        else:
            tenant.conversation, events = start("payment_check", context, now)
        return [Note("started payment_check"), *tenant.apply(events, now)]
    # Like the host: the conversation goes on in the tenant's language of the moment.
    state = replace(tenant.conversation, language=tenant.language)
    tenant.conversation, events = resume(state, given, now)
    return tenant.apply(events, now)


def _fact(tenant: _Tenant, fact: str, now: datetime) -> list[Output]:
    if fact in ("case_taken", "case_closed"):
        tenant.held = fact == "case_taken"
        tenant.waiting = tenant.handed_off = False
    if tenant.conversation is None:
        return []
    tenant.conversation, events = resume(tenant.conversation, FactReported(fact), now)
    return tenant.apply(events, now)


def _turn(tenant: _Tenant, given: TenantInput, now: datetime) -> list[Output]:
    outputs = _turned(tenant, given, now)
    if given.kind in ("text", "button"):
        tenant.said = given.value.strip().casefold() if given.kind == "text" else None
    return outputs


def _turned(tenant: _Tenant, given: TenantInput, now: datetime) -> list[Output]:
    match given.kind:
        case "text":
            result = command(given.value, tenant.facts(), now)
            if result is not None:
                return _command_outputs(tenant, result, now)
            return _to_conversation(tenant, TextReceived(given.value, tenant.channel, queued=tenant.queued), now)
        case "button":
            return _to_conversation(tenant, ButtonPressed(given.value, tenant.channel), now)
        case "fact":
            return _fact(tenant, given.value, now)
        case "wait":
            if tenant.conversation is None:
                return []
            tenant.conversation, events = resume(tenant.conversation, WaitExpired(), now)
            return tenant.apply(events, now)


def _tenant(channel: Channel, language: str, scenario: Scenario) -> _Tenant:
    options = scenario.options
    unknown = set(options) - COMMAND_OPTIONS
    if unknown:
        raise ValueError(f"{scenario.name}: unknown options {sorted(unknown)}")
    return _Tenant(
        channel=channel,
        language=language,
        status=options.get("status", "active"),
        consented="consented" in options,
        held="held" in options,
        waiting="waiting" in options,
        telegram_on=options.get("telegram", "on") == "on",
    )


def play_commands(channel: Channel, language: str, now: datetime, scenario: Scenario) -> Played:
    """Every text goes through `commands.command` first; what it leaves goes to the open conversation."""
    tenant = _tenant(channel, language, scenario)
    first: list[Output] = []
    flow = scenario.options.get("flow")
    if flow is not None:
        context = Context("", language, channel, scenario.options.get("trigger"), SETTINGS.flow_settings())
        tenant.conversation, events = start(flow, context, now)
        first = tenant.apply(events, now)
    steps = [Step(None, tuple(first))]
    for given in scenario.inputs:
        now = _later(now, given, tenant.conversation)
        steps.append(Step(given, tuple(_turn(tenant, given, now))))
    return Played(scenario, tuple(steps), tenant.closing())
