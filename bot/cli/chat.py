"""`keephome chat`: step through a flow in a terminal as the tenant, seeing what the channel shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.outbox.render import Renderer
from bot.paths import TEMPLATES_DIR
from bot.settings import Settings, load_settings
from conversations.engine import accepts_help_word, current_question, resume, start
from conversations.flows import FLOWS
from conversations.keywords import classify, looks_like_stop_wish
from conversations.model import (
    TRIGGERS,
    ButtonPressed,
    Channel,
    Context,
    Event,
    FactReported,
    Input,
    MessageRequested,
    TelegramLinkRequested,
    TextReceived,
    WaitExpired,
)
from conversations.state import State

__all__ = ["HELP", "play_chat", "run_chat"]

SAMPLE_CODE = "123456"
HELP = "Type an answer, a number for a button, /wait, /clock 2026-12-03T10:00, /fact NAME or /quit."
_KEYWORD_REPLIES = {
    "opt_out": "keyword.opted_out",
    "opt_in": "keyword.opted_in",
    "wrong_number": "keyword.wrong_number",
    "help": "keyword.help",
}


class _Session:
    """One terminal conversation: the state, the clock and the last buttons shown."""

    def __init__(self, renderer: Renderer, state: State, now: datetime, out: Callable[[str], None]) -> None:
        self.renderer, self.state, self.now, self.out = renderer, state, now, out
        self.buttons: tuple[tuple[str, str], ...] = ()

    def show(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, MessageRequested):
                self.say(event.template, event)
            else:
                fields = " ".join(f"{k}={v}" for k, v in asdict(event).items())
                self.out(f"# {event.name} {fields}".rstrip())
            if isinstance(event, TelegramLinkRequested):
                # The service sends a fresh one-time code by SMS; the terminal shows a sample one.
                self.say("link.code", MessageRequested("link.code", {"code": SAMPLE_CODE}))

    def say(self, template: str, event: MessageRequested | None = None) -> None:
        values = dict(event.values) if event else {}
        choices = event.choices if event else ()
        rendered = self.renderer.render(template, values, self.state.language, self.state.channel, choices)
        self.out(f"[{self.state.channel}] {rendered.text}")
        if rendered.buttons:
            self.buttons = rendered.buttons
            for number, (label, _key) in enumerate(rendered.buttons, start=1):
                self.out(f"  ({number}) {label}")

    def step(self, given: Input) -> None:
        self.state, events = resume(self.state, given, self.now)
        self.show(events)


def _parse_clock(text: str, timezone: str) -> datetime:
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))


def _command(session: _Session, line: str, timezone: str) -> bool:
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
            session.now = _parse_clock(arg, timezone)
            session.out(f"# clock {session.now.isoformat()}")
        case "/fact":
            session.step(FactReported(arg.strip()))
        case _:
            session.out(HELP)
    return True


def _tenant_text(session: _Session, text: str, languages: list[str]) -> bool:
    """What the host does with a message; False when the tenant opted out."""
    channel = session.state.channel
    keyword = classify(text, languages)
    if keyword is not None and keyword.kind == "telegram" and channel != "sms":
        keyword = None  # on Telegram already: an ordinary answer
    if keyword is not None and not (keyword.kind == "help" and accepts_help_word(session.state)):
        session.out(f"# keyword {keyword.kind}")
        match keyword.kind:
            case "withdraw_consent" | "telegram":
                flow = "withdraw_consent" if keyword.kind == "withdraw_consent" else "telegram_offer"
                context = Context("", session.state.language, channel, settings=session.state.settings)
                side, events = start(flow, context, session.now)
                if keyword.kind == "telegram":
                    # The tenant's own word answers the offer, as the service does.
                    side, events = resume(side, TextReceived(text, channel), session.now)
                session.show(events)
            case "language":
                session.state = replace(session.state, language=keyword.language or session.state.language)
                session.say("keyword.language_changed")
                session.show(current_question(session.state))
            case _:
                session.say(_KEYWORD_REPLIES[keyword.kind])
        return keyword.kind != "opt_out"
    if looks_like_stop_wish(text):
        session.say("keyword.stop_hint")
        return True
    if channel == "telegram" and text.strip().isdigit() and 1 <= int(text) <= len(session.buttons):
        session.step(ButtonPressed(session.buttons[int(text) - 1][1], channel))
    else:
        session.step(TextReceived(text, channel))
    return True


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
    """Play the tenant in a flow until it ends, `/quit` or end of input; returns the last state."""
    renderer = Renderer(templates_dir or TEMPLATES_DIR, settings, telegram_on=True)  # both channels are played
    if now.tzinfo is None:
        now = now.replace(tzinfo=ZoneInfo(settings.timezone))
    context = Context(first_name, language, channel, trigger, settings.flow_settings())
    state, events = start(flow, context, now)
    session = _Session(renderer, state, now, output_fn)
    output_fn(f"# {flow} on {channel} in {language} at {now.isoformat()}. {HELP}")
    session.show(events)
    while not session.state.ended:
        try:
            line = input_fn("> ")
        except EOFError:
            break
        keep_going = (
            _command(session, line.strip(), settings.timezone)
            if line.startswith("/")
            else _tenant_text(session, line, settings.language_list)
        )
        if not keep_going:
            break
    if session.state.ended:
        output_fn(f"# ended: {session.state.end_reason}")
    return session.state


def run_chat(
    flow: str,
    channel: Channel,
    language: str,
    now: datetime | None = None,
    input_fn: Callable[[str], str] = input,
    output_fn: Callable[[str], None] = print,
    settings: Settings | None = None,
    *,
    trigger: str | None = None,
    first_name: str = "",
    templates_dir: Path | None = None,
) -> int:
    """`keephome chat`: play a flow in the terminal; the clock is the real one unless `now` is given."""
    settings = settings or load_settings()
    if flow not in FLOWS:
        output_fn(f"unknown flow {flow!r}; flows: {', '.join(sorted(FLOWS))}")
        return 2
    if trigger is not None and trigger not in TRIGGERS:
        output_fn(f"unknown trigger {trigger!r}; triggers: {', '.join(TRIGGERS)}")
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
