"""The golden transcripts' text format: read the inputs of a file, print a whole file from what was played.

A file is `<subject>.<channel>.<language>.md`, where the subject is a flow or `commands`:

    # payment_check on sms in da
    now: 2026-12-03T10:00:00+01:00
    (a legend line)

    ## already paid (trigger: missed)

    < payment_check.question
    <   Hej, det er Boligselskabet. ...
    < [button: paid] Jeg har betalt

    > 1
    = answer_recorded question=question value=paid raw="1"
    < payment_check.paid
    <   Tak for besked. ...

    ended: paid_claimed

`> ` lines are the tenant's inputs, written by a person and kept as they are: a text (JSON-quoted when it
would be ambiguous), `[button: KEY]`, `[wait]` or `[fact: NAME]`. Everything else is the expected part,
printed from what the engine produced: `< KEY` starts a message the tenant saw (`<   ` its text lines,
`< [button: KEY] LABEL` its buttons), `= ` an event the host applies, `! ` a keyword command or what the
host did with a message no conversation took, and the scenario's last line says how it stands.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

__all__ = [
    "LEGEND",
    "Note",
    "Output",
    "Played",
    "Recorded",
    "Scenario",
    "Shown",
    "Step",
    "TenantInput",
    "Transcript",
    "format_input",
    "format_output",
    "parse",
    "print_transcript",
]

LEGEND = "Legend: `>` the tenant, `<` what the tenant sees, `=` an event, `!` a keyword or what the host did."

_HEADING = re.compile(r"^## (?P<name>.+?)(?: \((?P<options>[^()]*)\))?$")
_BRACKETED = re.compile(r"^\[(?P<kind>button|wait|fact)(?:: (?P<value>[^\]]+))?\]$")
_BARE = re.compile(r"^[\w.:+-]+$")


@dataclass(frozen=True)
class TenantInput:
    """One thing the tenant does: writes a text, presses a button, lets time pass, or a fact arrives."""

    kind: Literal["text", "button", "wait", "fact"]
    value: str = ""


@dataclass(frozen=True)
class Scenario:
    """A heading's name and options (`trigger: missed`, `held`, ...) and the inputs under it."""

    name: str
    options: dict[str, str] = field(default_factory=dict)
    inputs: tuple[TenantInput, ...] = ()


@dataclass(frozen=True)
class Transcript:
    """The inputs of one file: when it happens and its scenarios."""

    title: str
    now: datetime
    scenarios: tuple[Scenario, ...]


@dataclass(frozen=True)
class Shown:
    """A message the tenant saw: its template key, the rendered text and any buttons (label, key)."""

    template: str
    text: str
    buttons: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Recorded:
    """An event other than a message, with its fields as plain values."""

    name: str
    fields: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class Note:
    """A line about what the host did (a keyword command, a message sent to the adviser)."""

    text: str


Output = Shown | Recorded | Note


@dataclass(frozen=True)
class Step:
    """An input (None for the scenario's start) and what followed it."""

    input: TenantInput | None
    outputs: tuple[Output, ...]


@dataclass(frozen=True)
class Played:
    """A scenario as played: its steps and the closing lines (how it stands at the end)."""

    scenario: Scenario
    steps: tuple[Step, ...]
    closing: tuple[str, ...]


def _options(raw: str | None) -> dict[str, str]:
    options: dict[str, str] = {}
    for part in (raw or "").split(","):
        key, _, value = part.strip().partition(": ")
        if key:
            options[key] = value
    return options


def _tenant_input(raw: str) -> TenantInput:
    bracketed = _BRACKETED.match(raw)
    if bracketed is not None:
        value = bracketed.group("value") or ""
        match bracketed.group("kind"), value:
            case "wait", "":
                return TenantInput("wait")
            case "button", str() if value:
                return TenantInput("button", value)
            case "fact", str() if value:
                return TenantInput("fact", value)
        raise ValueError(f"bad input: {raw!r}")
    if raw.startswith('"'):
        text = json.loads(raw)
        if not isinstance(text, str):
            raise ValueError(f"bad quoted text: {raw!r}")
        return TenantInput("text", text)
    return TenantInput("text", raw)


def parse(source: str) -> Transcript:
    """The header and each scenario's inputs of a transcript file; expected lines are skipped."""
    lines = source.splitlines()
    if not lines or not lines[0].startswith("# "):
        raise ValueError("a transcript starts with a '# ' title line")
    now: datetime | None = None
    scenarios: list[Scenario] = []
    for line in lines[1:]:
        heading = _HEADING.match(line)
        if heading is not None:
            scenarios.append(Scenario(heading.group("name"), _options(heading.group("options"))))
        elif line.startswith("now: ") and not scenarios:
            now = datetime.fromisoformat(line.removeprefix("now: "))
        elif line.startswith("> "):
            if not scenarios:
                raise ValueError(f"an input before the first scenario: {line!r}")
            last = scenarios[-1]
            scenarios[-1] = Scenario(last.name, last.options, (*last.inputs, _tenant_input(line[2:])))
    if now is None or now.tzinfo is None:
        raise ValueError("a transcript needs a 'now: ' line with a time zone before its scenarios")
    return Transcript(lines[0][2:], now, tuple(scenarios))


def _text_input(text: str) -> str:
    ambiguous = not text or text != text.strip() or "\n" in text or text.startswith(('"', "["))
    return json.dumps(text, ensure_ascii=False) if ambiguous else text


def format_input(given: TenantInput) -> str:
    """An input as its `> ` line."""
    match given.kind:
        case "text":
            return f"> {_text_input(given.value)}"
        case "wait":
            return "> [wait]"
        case _:
            return f"> [{given.kind}: {given.value}]"


def _value(key: str, value: object) -> str:
    if isinstance(value, str) and key != "raw" and _BARE.match(value):
        return value
    return json.dumps(value, ensure_ascii=False)


def format_output(output: Output) -> list[str]:
    """The expected lines of one output."""
    match output:
        case Shown(template=template, text=text, buttons=buttons):
            lines = [f"< {template}"]
            lines += [f"<   {line}" if line else "<" for line in text.split("\n")]
            lines += [f"< [button: {key}] {label}" for label, key in buttons]
            return lines
        case Recorded(name=name, fields=fields):
            return [" ".join([f"= {name}", *(f"{key}={_value(key, value)}" for key, value in fields)])]
        case Note(text=text):
            return [f"! {text}"]


def _heading(scenario: Scenario) -> str:
    options = ", ".join(f"{key}: {value}" if value else key for key, value in scenario.options.items())
    return f"## {scenario.name} ({options})" if options else f"## {scenario.name}"


def _scenario_lines(played: Played) -> list[str]:
    lines = ["", _heading(played.scenario)]
    for step in played.steps:
        block = [format_input(step.input)] if step.input is not None else []
        for output in step.outputs:
            block += format_output(output)
        if block:
            lines += ["", *block]
    return [*lines, "", *played.closing]


def print_transcript(title: str, now: datetime, played: list[Played]) -> str:
    """A whole transcript file."""
    lines = [f"# {title}", f"now: {now.isoformat()}", LEGEND]
    for scenario in played:
        lines += _scenario_lines(scenario)
    return "\n".join(lines) + "\n"
