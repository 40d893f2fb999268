"""`keephome chat`: step through a flow in a terminal as the tenant, seeing what the channel shows."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.outbox.render import Renderer
from bot.paths import TEMPLATES_DIR
from bot.settings import Settings
from conversations import commands
from conversations.effects import local_today
from conversations.engine import resume, start
from conversations.flows import FLOWS
from conversations.model import (
    FACTS,
    TRIGGERS,
    ButtonPressed,
    Channel,
    ConsentGiven,
    ConsentWithdrawn,
    Context,
    Event,
    FactReported,
    Input,
    LanguageChanged,
    MessageRequested,
    OptedIn,
    OptedOut,
    TelegramLinkRequested,
    TextReceived,
    WaitExpired,
    WrongNumberReported,
)
from conversations.state import State

__all__ = ["EXAMPLE_DATA", "HELP", "clock_time", "play_chat", "run_chat"]

SAMPLE_CODE = "1234 5678"
HELP = "Type an answer, a number for a button, /wait, /clock 2026-12-03T10:00, /fact NAME or /quit."


class _Session:
    """One terminal conversation: the state, the clock, the last buttons shown and what the host knows."""

    def __init__(
        self,
        renderer: Renderer,
        state: State,
        now: datetime,
        out: Callable[[str], None],
        languages: tuple[str, ...],
    ) -> None:
        self.renderer, self.state, self.now, self.out = renderer, state, now, out
        self.languages = languages
        self.buttons: tuple[tuple[str, str], ...] = ()
        self.status = "active"
        self.consented = False
        # The consents to share the tenant holds: those the withdrawal's example list names (`_listed_consents`).
        self.consents: tuple[commands.ConsentRef, ...] = ()
        self.told: set[str] = set()  # the keys of the once-a-day lines said, as the service keeps them

    def facts(self) -> commands.TenantFacts:
        """The tenant as a keyword command sees them: the terminal plays no adviser, Telegram is on."""
        return commands.TenantFacts(
            first_name=self.state.first_name,
            language=self.state.language,
            channel=self.state.channel,
            status=self.status,
            consented=self.consented,
            held=False,
            conversation=None if self.state.ended else self.state,
            languages=self.languages,
            telegram_on=True,
            settings=self.state.settings,
            consents=self.consents,
        )

    def show(self, events: Iterable[Event]) -> None:
        for event in events:
            if isinstance(event, MessageRequested):
                self.say(event.template, event)
            else:
                # Fields left unset (a consent's recipient, for the organisation's own) are not printed.
                fields = " ".join(f"{k}={v}" for k, v in asdict(event).items() if v is not None and v != ())
                self.out(f"# {event.name} {fields}".rstrip())
            self._apply(event)

    def _apply(self, event: Event) -> None:
        """What the host remembers of an event; messages after a language change are in the new language."""
        match event:
            case TelegramLinkRequested():
                # The service sends a fresh one-time code by SMS; the terminal shows a sample one.
                self.say("link.code", MessageRequested("link.code", {"code": SAMPLE_CODE}))
            case LanguageChanged(language=language):
                self.state = replace(self.state, language=language)
            case ConsentGiven():
                self.consented = True
            case ConsentWithdrawn(recipient_kind=None):
                self.consented = False
            case ConsentWithdrawn(recipient_kind=kind, recipient=recipient):
                self.consents = tuple(c for c in self.consents if c != commands.ConsentRef(kind or "", recipient))
            case OptedOut():
                self.status = "stopped"
            case WrongNumberReported():
                self.status = "wrong_number"
            case OptedIn():
                self.status = "active"

    def say(self, template: str, event: MessageRequested | None = None) -> None:
        values = dict(event.values) if event else {}
        choices = event.choices if event else ()
        rendered = self.renderer.render(
            template, values, self.state.language, self.state.channel, choices, now=self.now
        )
        self.out(f"[{self.state.channel}] {rendered.text}")
        if rendered.buttons:
            self.buttons = rendered.buttons
            for number, (label, _key) in enumerate(rendered.buttons, start=1):
                self.out(f"  ({number}) {label}")

    def step(self, given: Input) -> None:
        self.state, events = resume(self.state, given, self.now)
        self.show(events)


def clock_time(text: str) -> datetime:
    """The time `--now` or `/clock` names (ISO; local unless it says otherwise); ValueError saying what to write."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a time: write YYYY-MM-DDTHH:MM, e.g. 2026-12-03T10:00") from None


def _parse_clock(text: str, timezone: str) -> datetime:
    moment = clock_time(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))


def _slash_command(session: _Session, line: str, timezone: str) -> bool:
    """Handle a /command; False means quit."""
    name, _, arg = line.partition(" ")
    match name:
        case "/quit":
            return False
        case "/wait":
            if session.state.waiting_until is None:
                session.out("# nothing is waiting")
            else:
                session.now = max(session.now, session.state.waiting_until)
                session.out(f"# clock {session.now.isoformat()}")
                session.step(WaitExpired())
        case "/clock":
            try:
                session.now = _parse_clock(arg, timezone)
            except ValueError as exc:
                session.out(f"# {exc}; the clock stays at {session.now.isoformat()}")
            else:
                session.out(f"# clock {session.now.isoformat()}")
        case "/fact":
            if (fact := arg.strip()) in FACTS:
                session.step(FactReported(fact))
            else:
                said = f"{fact!r} is not a fact" if fact else "name a fact"
                session.out(f"# {said}: write /fact and one of {', '.join(FACTS)}")
        case _:
            session.out(HELP)
    return True


def _tenant_text(session: _Session, text: str) -> bool:
    """What the host does with a message: a keyword command first, else an answer; False ends the chat."""
    result = commands.command(text, session.facts(), session.now)
    if result is not None:
        key = result.daily_key("chat", local_today(session.state, session.now))
        if key is not None and key in session.told:
            # As the service: a line said at most once a day gets no answer again that day.
            session.out(f"# keyword {result.kind}, said today already (the service sends it once a day)")
            return True
        if key is not None:
            session.told.add(key)
        session.out(f"# keyword {result.kind}")
        session.show(result.events)  # a started conversation (help, withdrawal, Telegram) only shows its events
        if result.resumed is not None:
            session.state = result.resumed
        return session.status == "active"  # STOP or WRONG NUMBER: nothing more is sent to this tenant
    if session.state.ended:
        session.out("# no open conversation (the service would start payment_check)")
        return True
    channel = session.state.channel
    # ASCII digits only: str.isdigit() takes "²" too, which int() cannot read; such a text is the tenant's words.
    pressed = text.strip()
    if channel == "telegram" and pressed.isascii() and pressed.isdigit() and 1 <= int(pressed) <= len(session.buttons):
        session.step(ButtonPressed(session.buttons[int(pressed) - 1][1], channel))
    else:
        session.step(TextReceived(text, channel))
    return True


# What the console gives the flows it starts with data, for playing them here: a consent to share the adviser asks
# for, and the consents the withdrawal word lists.
EXAMPLE_DATA: dict[str, dict[str, str | int]] = {
    "share_consent": {
        "recipient_kind": "kommune",
        "recipient": "Aarhus Kommune, Ydelsescenter",
        "source": "Boligselskabet",
        "kinds": "rent_position,letters,household,contact",
        "purpose": "at søge hjælp til huslejen",
        "case_id": 1,
        "wording": "(the wording as the tenant is shown it)",
    },
    "withdraw_choice": {
        "c1": "organisation:",
        "c2": "kommune:Aarhus Kommune, Ydelsescenter",
        "recipients": "|Aarhus Kommune, Ydelsescenter",
        "recipient_kinds": "organisation|kommune",
    },
}


def _listed_consents(data: dict[str, str | int]) -> tuple[bool, tuple[commands.ConsentRef, ...]]:
    """The consents the withdrawal's example list names (`c1`, `c2`, …), as the tenant holds them while it is played:
    whether the organisation's is among them, and the others."""
    entries = [str(value).partition(":") for key, value in data.items() if key[:1] == "c" and key[1:].isdigit()]
    shared = tuple(
        commands.ConsentRef(kind, recipient or None) for kind, _, recipient in entries if kind != "organisation"
    )
    return any(kind == "organisation" for kind, _, _ in entries), shared


def play_chat(
    flow: str,
    channel: Channel,
    language: str,
    now: datetime,
    input_fn: Callable[[str], str],
    output_fn: Callable[[str], None],
    settings: Settings,
    *,
    trigger: str | None = None,
    first_name: str = "",
    templates_dir: Path | None = None,
) -> State:
    """Play the tenant in a flow until `/quit`, STOP or end of input; returns the last state.

    Keywords still work once the conversation has ended (TILBAGEKALD after the consent that ended it).
    """
    renderer = Renderer(templates_dir or TEMPLATES_DIR, settings, telegram_on=True, sms_on=True)  # both are played
    if now.tzinfo is None:
        now = now.replace(tzinfo=ZoneInfo(settings.timezone))
    context = Context(first_name, language, channel, trigger, settings.flow_settings())
    state, events = start(flow, context, now, EXAMPLE_DATA.get(flow))
    session = _Session(renderer, state, now, output_fn, tuple(settings.language_list))
    session.consented, session.consents = _listed_consents(EXAMPLE_DATA.get(flow, {}))
    output_fn(f"# {flow} on {channel} in {language} at {now.isoformat()}. {HELP}")
    session.show(events)
    keep_going, announced = True, False
    while keep_going:
        if session.state.ended and not announced:
            output_fn(f"# ended: {session.state.end_reason}")
            output_fn("# keywords still work; /quit leaves")
            announced = True
        try:
            line = input_fn("> ")
        except EOFError:
            break
        if line.startswith("/"):
            keep_going = _slash_command(session, line.strip(), settings.timezone)
        else:
            keep_going = _tenant_text(session, line)
    return session.state


def run_chat(
    flow: str,
    channel: Channel,
    language: str,
    now: datetime | None,
    input_fn: Callable[[str], str],
    output_fn: Callable[[str], None],
    settings: Settings,
    *,
    trigger: str | None = None,
    first_name: str = "",
    templates_dir: Path | None = None,
    err: TextIO | None = None,
) -> int:
    """`keephome chat`: play a flow in the terminal; the clock is the real one unless `now` is given. A choice it
    cannot play is one line on `err` (stderr), as every command says a problem, and exit status 2."""
    problem = None
    if flow not in FLOWS:
        problem = f"unknown flow {flow!r}; flows: {', '.join(sorted(FLOWS))}"
    elif language not in settings.language_list:
        problem = f"language {language!r} is not on; KEEPHOME_LANGUAGES: {', '.join(settings.language_list)}"
    elif trigger is not None and trigger not in TRIGGERS:
        problem = f"unknown trigger {trigger!r}; triggers: {', '.join(TRIGGERS)}"
    if problem is not None:
        print(f"keephome: {problem}", file=err or sys.stderr)
        return 2
    clock = now or datetime.now(ZoneInfo(settings.timezone))
    play_chat(
        flow,
        channel,
        language,
        clock,
        input_fn,
        output_fn,
        settings,
        trigger=trigger,
        first_name=first_name,
        templates_dir=templates_dir,
    )
    return 0
