"""`keephome check`: every text exists, renders, fits the SMS budget, keeps the SMS rules, shows no date
without a year, writes the words to answer one way (`keyword_spelling`), and reads easily (LIX) in Danish."""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

from babel.dates import format_date, get_month_names
from jinja2 import TemplateError, UndefinedError

from bot.cli.keyword_spelling import keyword_parity, keyword_spelling
from bot.console.labels import VOLUNTEER_TEMPLATES
from bot.host.appointments import TEXTS as APPOINTMENT_TEXTS
from bot.host.cases import CLOSED as CASE_CLOSED
from bot.host.cases import RELEASED as CASE_RELEASED
from bot.host.cases import TAKEN as CASE_TAKEN
from bot.inbound.presses import TOASTS
from bot.outbox.render import LOCALES, Renderer
from bot.outbox.sms_rules import amount_like, costly_marks, forbidden_words_in, sms_segments
from bot.paths import TEMPLATES_DIR, language_folders
from bot.settings import Settings
from conversations.flow import Ask
from conversations.flowcheck import BUTTON_TEMPLATES, ENGINE_TEMPLATES, check_flow, templates_used
from conversations.flows import FLOWS
from conversations.model import TRIGGERS, Channel
from conversations.values import Money, Value

__all__ = [
    "CHANNELS",
    "HOST_TEMPLATES",
    "PRINTED_TEMPLATES",
    "CheckReport",
    "LixStat",
    "SmsStat",
    "lix",
    "main",
    "print_report",
    "required_templates",
    "run_check",
]

CHANNELS: tuple[Channel, ...] = ("sms", "telegram")

# Keys the host sends itself, on both channels, in every enabled language.
# What the host sends only on Telegram: the label of the button that shares one's own number, the answers to a
# phone number typed or someone else's card instead of it, to a code in a forwarded message, and to another
# tenant's code in a chat linked already.
TELEGRAM_HOST_TEMPLATES = (
    "choice.share_phone",
    "link.share_own_number",
    "link.contact_not_own",
    "link.forwarded_code",
    "link.other_tenancy",
    # A pressed button's answer where the chat stays quiet (a toast, bot/inbound/presses.py).
    *TOASTS,
)
HOST_TEMPLATES = (
    "keyword.opted_out",
    "keyword.opted_in",
    "keyword.wrong_number",
    "keyword.number_reported_wrong",
    "keyword.stop_hint",
    "keyword.still_stopped",
    "keyword.language_changed",
    "unknown_number",
    "link.code",
    "link.linked",
    "link.bad_code",
    "link.contact_mismatch",
    "telegram.welcome",
    "case.waiting",
    "case.taken",
    "case.released",
    "case.closed",
    "case.reply",
    "consent.withdrawn",
    "consent.nothing_to_withdraw",
    # A volunteer's appointment: the confirmation, the reminder the day before and the word that it is cancelled
    # (bot/host/appointments.py).
    *APPOINTMENT_TEXTS,
)
# Texts keephome sends without the tenant having just written, besides the ones that open a conversation: each says
# how to stop on either channel (notes/domain-dk.md: "always how to stop"). The engine's nudge after a silence and its
# thanks for a payment the housing organisation registered (bot/reminders/timers.py); the word that a person took,
# let go of or closed the case (bot/host/cases.py); the text about the kommune's help an adviser sends on Telegram
# (bot/console/referrals.py); an appointment's texts; a volunteer's. An adviser's own words (case.reply) are left to
# the adviser: only the adviser who holds the case writes them, after the word that they took it, which says it.
UNPROMPTED_TEMPLATES = (
    "common.nudge",
    "payment_check.paid_registered",
    CASE_TAKEN,
    CASE_RELEASED,
    CASE_CLOSED,
    "help.kommune",
    *APPOINTMENT_TEXTS,
    *VOLUNTEER_TEMPLATES,
)
# Texts a person prints and hands over or posts: checked as SMS texts, since anyone may read a postcard too.
PRINTED_TEMPLATES = ("outreach.postcard",)

# Realistic sample values: the rent timeline's dates and amounts must never reach an SMS.
TIMELINE_DATES = {
    "due_date": date(2026, 12, 1),
    "deadline": date(2026, 12, 17),
    "court_date": date(2027, 1, 12),
}
SAMPLE_VALUES: dict[str, Value] = {
    "first_name": "Testlejer",
    "trigger": "",
    "pay_on": date(2026, 12, 15),
    "amount": Money(250050),
    "balance": Money(712050),
    "monthly_rent": Money(710000),
    "days_left": 14,
    "code": "4829 1375",
    "link": "https://t.me/keephome_bot?start=" + "A" * 32,
    "text": "Hej, jeg ringer dig op i morgen.",
    # An appointment: a day agreed with the tenant, not one keephome computed.
    "day": date(2027, 2, 4),
    "time": "14:30",
    "old_day": date(2027, 2, 2),  # the time a moved appointment replaces
    "old_time": "10:00",
    "place": "Byvej 12, 1. th.",  # as people write an address: it ends with a full stop
    # A consent to share (share_consent) and the withdrawal's numbered list (withdraw_choice).
    "recipient_kind": "kommune",
    "recipient": "Aarhus Kommune, Borgerservice",
    "source": "Boligselskabet",
    "kinds": "rent_position,letters,household,contact",
    "purpose": "Ansøgning om hjælp til huslejen",
    "recipients": "|Aarhus Kommune, Borgerservice|Dansk Folkehjælp",
    "recipient_kinds": "organisation|kommune|volunteer_org",
    "choose": "2",
    "option": "2",  # the button a shared label is rendered for (withdraw_choice's `choice.consent`)
    # When the adviser answers (`scheduler.opening.reachable`); empty: unknown, the text gives the hours instead.
    "call_on": "",
    "call_until": "",  # for "today": when the adviser's line closes ("HH:MM")
    "options": 4,  # how many numbered answers a greeting right after a question points to
    **TIMELINE_DATES,
}
# Values a text may say differently for (rendered with and without them): a withdrawal while a person holds the case,
# START from a tenant who gets messages already, a confirmation while a påkrav runs, a question that takes the adviser
# word, a tenant whose case waits in the queue with their yes, one whose yes stands, a greeting's pointer to JA/NEJ, a
# text after one that thanked in the same turn; a call asked for tomorrow, or on the weekday with the longest name in
# any language (without either, the adviser's hours are shown instead); the crisis line with a person offered.
VARIANTS: tuple[dict[str, Value], ...] = (
    {},
    {
        "held": 1,
        "already": 1,
        "deadline_running": 1,
        "adviser_word": 1,
        "queued": 1,
        "consented": 1,
        "yes_no": 1,
        "thanked": 1,
        "call_on": "tomorrow",
    },
    {"call_on": "today", "call_until": "15:30"},
    # A withdrawal while the case waits in the queue (`held` above wins over it).
    {"waiting": 1},
    # The crisis line with the way to a person offered (the longest it is).
    {"offer": 1},
    # The hint to a tenant who does not understand: the other language's word, and the line in that language.
    {"words": "TÜRKÇE", "english": 1, "danish": 1},
    {"call_on": "sat"},
    {"call_on": "wed"},
    # "Har jeg betalt?" asked: where to see payments (common.question_asked), by SMS too.
    {"payments": 1},
    # A case a volunteer handed on to an adviser (case.released said so, not that an adviser let go).
    {"handed_on": 1},
    # "Er det her svindel?": who writes, and what keephome never asks for (help_info.about), by SMS too.
    {"scam": 1},
)
# A full stop doubled ("2. th.." where a value ends with one): not an ellipsis.
_DOUBLED_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")
_DAY_COUNT = re.compile(r"\b\d+\s*(hverdage|dage|dag|days|day|weekdays|gün|يوم|أيام)(?!\w)", re.IGNORECASE)
# Another promised day: a date that changes with it is the tenant's own date echoed back, which may go
# without a year; any other day and month without a year is ambiguous around the new year.
OTHER_PAY_ON = date(2027, 3, 9)
_ORG_SETTINGS = ("org_name", "adviser_name", "adviser_phone", "adviser_hours", "kommune_phone", "telegram_bot")
_NUMERIC_DAY = re.compile(r"(?<![\d.,/])(\d{1,2})[./](\d{1,2})(?![./]?\d)")


@dataclass(frozen=True)
class SmsStat:
    """Encoding and length of one rendered SMS text."""

    language: str
    key: str
    encoding: str
    segments: int
    characters: int


@dataclass(frozen=True)
class LixStat:
    """How easy a Danish text reads: LIX (words per sentence + the share of words over six letters, in %)."""

    key: str
    channel: str
    lix: float
    words: int


@dataclass
class CheckReport:
    """The outcome of `run_check`: problems fail the check, warnings do not."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sms: list[SmsStat] = field(default_factory=list)
    lix: list[LixStat] = field(default_factory=list)
    unreviewed: list[str] = field(default_factory=list)
    live: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.problems


@cache
def required_templates(channel: Channel) -> frozenset[str]:
    """Every key the flows, the engine and the host can send on a channel (the flows are fixed: worked out once,
    not for each of the thousands of texts a check renders)."""
    keys = set(ENGINE_TEMPLATES) | set(HOST_TEMPLATES) | set(VOLUNTEER_TEMPLATES)
    if channel == "sms":
        keys |= set(PRINTED_TEMPLATES)
    else:
        keys |= set(BUTTON_TEMPLATES) | set(TELEGRAM_HOST_TEMPLATES)
    for flow in FLOWS.values():
        keys |= templates_used(flow, channel)
    return frozenset(keys)


def _says_how_to_stop() -> set[str]:
    """The texts that must say how to stop, on either channel: the ones that open a conversation, and the other
    unprompted ones (`UNPROMPTED_TEMPLATES`)."""
    keys = set(UNPROMPTED_TEMPLATES)
    for flow in FLOWS.values():
        first = flow.steps.get(flow.start)
        if isinstance(first, Ask) and "sms" in flow.channels:
            keys.add(first.template)
    return keys


@cache
def _timeline_strings(language: str) -> tuple[str, ...]:
    """The rent timeline's sample dates as the language writes them, lower case (worked out once, not for each of the
    check's SMS texts: formatting them was a tenth of a check)."""
    locale = LOCALES.get(language, language)
    found: list[str] = []
    for day in TIMELINE_DATES.values():
        found += [
            str(format_date(day, format="long", locale=locale)),
            f"{day.day}/{day.month}",
            f"{day.day}.{day.month}.",
        ]
    return tuple(shown.lower() for shown in found)


def _sms_cost(text: str, where: str, settings: Settings) -> list[str]:
    """An SMS over the segment budget, or made UCS-2 by a mark alone (a "»", a non-breaking space, an emoji)."""
    problems: list[str] = []
    encoding, segments = sms_segments(text)
    if segments > settings.sms_segment_budget:
        problems.append(f"{where}: {segments} segments ({encoding}), budget {settings.sms_segment_budget}")
    marks = costly_marks(text)
    if marks:
        shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in marks)
        problems.append(f"{where}: {shown} alone make(s) this SMS UCS-2 (70 characters a segment, not 160)")
    return problems


def _sms_rules(text: str, where: str, language: str, settings: Settings) -> list[str]:
    problems: list[str] = []
    lowered = text.lower()
    if amount_like(text):
        problems.append(f"{where}: an SMS must not carry an amount")
    if any(shown in lowered for shown in _timeline_strings(language)) or _DAY_COUNT.search(text):
        problems.append(f"{where}: an SMS must not show a computed date or day count")
    problems.extend(
        f"{where}: forbidden word {word!r} in an SMS" for word in forbidden_words_in(text, settings.forbidden_words)
    )
    return problems


def lix(text: str) -> tuple[float, int]:
    """LIX of a text and its number of words: words per sentence plus the percentage of words longer than
    six letters. Numbers are not words; a sentence ends at . ! ? or : before a space, or at a line's end."""
    words = re.findall(r"[^\W\d_]+", text)
    if not words:
        return 0.0, 0
    ends = len(re.findall(r"[.!?:]+(?=\s|$)", text))
    ends += sum(1 for line in text.splitlines() if line.strip() and not re.search(r"[.!?:]$", line.strip()))
    long = sum(1 for word in words if len(word) > 6)
    return round(len(words) / max(ends, 1) + 100 * long / len(words), 1), len(words)


def _undated(text: str, other: str, language: str) -> list[str]:
    """Days and months shown without a year, except the tenant's own promised day (it changes in `other`)."""
    found: list[str] = []
    for pattern in _date_patterns(language):
        for match in pattern.finditer(text):
            if pattern is _NUMERIC_DAY and not (1 <= int(match.group(1)) <= 31 and 1 <= int(match.group(2)) <= 12):
                continue
            if match.group(0) in other:
                found.append(match.group(0).strip())
    return found


@cache
def _date_patterns(language: str) -> tuple[re.Pattern[str], ...]:
    """A day and a month without a year, in numbers or with the language's month names."""
    locale = LOCALES.get(language, language)
    names = {str(n).lower() for kind in ("wide", "abbreviated") for n in get_month_names(kind, locale=locale).values()}
    names |= {"januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
              "november", "december", "january", "february", "march", "may", "june", "july", "october"}  # fmt: skip
    months = "|".join(sorted((re.escape(n.rstrip(".")) for n in names), key=len, reverse=True))
    year = r"(?!,? ?\d{4})"
    return (
        _NUMERIC_DAY,
        re.compile(rf"\b\d{{1,2}}\.? (?:{months})\b\.?{year}", re.IGNORECASE),
        re.compile(rf"\b(?:{months}) \d{{1,2}}\b{year}", re.IGNORECASE),
    )


def _languages(templates_dir: Path) -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    for folder in language_folders(templates_dir):
        found[folder.name] = tomllib.loads((folder / "meta.toml").read_text(encoding="utf-8"))
    return found


def _render_once(renderer: Renderer, key: str, values: dict[str, Value], language: str, channel: Channel) -> str:
    """Render; a key keephome itself never sends (e.g. a staff notice) gets placeholders for its values."""
    known = key in required_templates(channel)
    for _ in range(20):
        try:
            return renderer.render(key, values, language, channel).text
        except UndefinedError as exc:
            name = re.match(r"'(\w+)' is undefined", str(exc.message))
            if known or name is None:
                raise
            values = {**values, name.group(1): f"<{name.group(1)}>"}
    raise TemplateError(f"too many unknown values in {key}")


def _render_all(
    renderer: Renderer, path: Path, language: str, values: dict[str, Value] | None = None
) -> tuple[list[str], list[str]]:
    """Render one template file with each trigger (with SAMPLE_VALUES unless given); returns texts and problems."""
    values = SAMPLE_VALUES if values is None else values
    key, channel = path.name.removesuffix(".txt").rsplit(".", 1)
    if channel not in CHANNELS:
        return [], [f"{language}/{path.name}: channel must be sms or telegram"]
    texts: list[str] = []
    # A combination that differs from one rendered already only in values the text does not read is the same text:
    # most texts read neither the trigger nor the variants' values (the check rendered 21,000 texts, now a tenth).
    try:
        reads = renderer.reads(key, language, channel)
    except TemplateError as exc:
        return [], [f"{language}/{path.name}: does not render: {exc}"]
    rendered: set[tuple[tuple[str, str], ...]] = set()
    for trigger in ("", *TRIGGERS):
        for variant in VARIANTS:
            combination = {**values, **variant, "trigger": trigger}
            read = tuple(sorted((name, repr(combination[name])) for name in reads & combination.keys()))
            if read in rendered:
                continue
            rendered.add(read)
            try:
                text = _render_once(renderer, key, combination, language, channel)
            except (TemplateError, TypeError, ValueError) as exc:
                return [], [f"{language}/{path.name}: does not render: {exc}"]
            if text not in texts:
                texts.append(text)
    return texts, []


@dataclass(frozen=True)
class _TextCheck:
    """What checking one text file found: `problems` fail in any language (it does not render), `findings` fail in an
    enabled language and warn in another."""

    problems: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()
    sms: tuple[SmsStat, ...] = ()
    lix: tuple[LixStat, ...] = ()


def _readability(readable: Renderer, path: Path, settings: Settings, texts: list[str] | None) -> _TextCheck:
    """The LIX of a Danish text of ten words or more, at its hardest trigger; a problem above the maximum."""
    key, channel = path.name.removesuffix(".txt").rsplit(".", 1)
    if texts is None:
        texts, _problems = _render_all(readable, path, "da")
    scored = [lix(text) for text in texts]
    scored = [score for score in scored if score[1] >= 10]
    if not scored:
        return _TextCheck()
    worst, words = max(scored)
    stat = (LixStat(key, channel, worst, words),)
    if worst > settings.lix_max:
        return _TextCheck(
            findings=(
                f"da/{path.name}: LIX {worst:g} is above KEEPHOME_LIX_MAX {settings.lix_max}: shorter words and "
                "sentences",
            ),
            lix=stat,
        )
    return _TextCheck(lix=stat)


# A check run again in the same process (the tests check a copy of the texts with one text changed, about a hundred
# times) finds the same about each text whose source is unchanged: the outcome of each, by `_text_key`.
_CHECKED: dict[tuple[str, ...], _TextCheck] = {}
# A text that pulls in another template reads more than its own source: checked anew each time.
_PULLS_IN = re.compile(r"{%-?\s*(?:include|import|from|extends)\b")
# The texts the renderer puts into others: the adviser's hours (`common.hours`) and the day someone answers
# (`common.call_day`).
_SHARED_TEXTS = ("common.hours", "common.call_day")


def _shared_texts(folder: Path, fallback: Path) -> dict[str, tuple[str, ...]]:
    """The shared texts a text of `folder` may show, in its language and the fallback one (`fallback`, its folder),
    by channel: read once a language."""
    shared: dict[str, tuple[str, ...]] = {}
    for channel in CHANNELS:
        files = [where / f"{name}.{channel}.txt" for where in (folder, fallback) for name in _SHARED_TEXTS]
        shared[channel] = tuple(f.read_text(encoding="utf-8") if f.is_file() else "" for f in files)
    return shared


def _text_key(path: Path, source: str, settings_key: str, shared: dict[str, tuple[str, ...]]) -> tuple[str, ...] | None:
    """What a text's outcome depends on: its language, name and source, the shared texts it may show (`shared`, by
    channel), and the settings; None where it pulls in another template."""
    if _PULLS_IN.search(source):
        return None
    _key, channel = path.name.removesuffix(".txt").rsplit(".", 1)
    return (path.parent.name, path.name, source, settings_key, *shared.get(channel, ()))


def _check_text(
    renderer: Renderer, readable: Renderer, path: Path, settings: Settings, unprompted: set[str]
) -> _TextCheck:
    """Render one text file in every combination and find what is wrong with it."""
    language = path.parent.name
    texts, problems = _render_all(renderer, path, language)
    if problems:
        return _TextCheck(problems=tuple(problems))
    findings: list[str] = []
    if any(_undated(text, text, language) for text in texts):
        others, _ = _render_all(renderer, path, language, {**SAMPLE_VALUES, "pay_on": OTHER_PAY_ON})
        findings.extend(
            f"{language}/{path.name}: {shown!r} is a date without a year"
            for text in texts
            for shown in _undated(text, "\n".join(others), language)
        )
    lix_stats: tuple[LixStat, ...] = ()
    if language == "da":
        same = readable is renderer
        readability = _readability(readable, path, settings, texts if same else None)
        findings.extend(readability.findings)
        lix_stats = readability.lix
    key, kind = path.name.removesuffix(".txt").rsplit(".", 1)
    where = f"{language}/{path.name}"
    if any(_DOUBLED_STOP.search(text) for text in texts):
        findings.append(f"{where}: a full stop doubled ('..'): a value that ends with one needs none after it")
    if key in unprompted and any("STOP" not in text for text in texts):
        findings.append(f"{where}: a text keephome sends unprompted must say how to stop (STOP)")
    sms: list[SmsStat] = []
    if kind == "sms":
        for text in texts:
            encoding, segments = sms_segments(text)
            sms.append(SmsStat(language, key, encoding, segments, len(text)))
            findings.extend(_sms_cost(text, where, settings))
            findings.extend(_sms_rules(text, where, language, settings))
    return _TextCheck(findings=tuple(dict.fromkeys(findings)), sms=tuple(sms), lix=lix_stats)


def _check_language(
    report: CheckReport, renderer: Renderer, readable: Renderer, folder: Path, settings: Settings, settings_key: str
) -> None:
    language = folder.name
    enabled = language in settings.language_list
    for channel in CHANNELS:
        missing = sorted(k for k in required_templates(channel) if not renderer.exists(k, language, channel))
        if missing:
            target = report.problems if enabled else report.warnings
            target.extend(f"{language}: missing {channel} text {key!r}" for key in missing)
    (report.problems if enabled else report.warnings).extend(keyword_spelling(folder))
    unprompted = _says_how_to_stop()
    shared = _shared_texts(folder, folder.parent / settings.fallback_language)
    for path in sorted(folder.glob("*.txt")):
        cache_key = _text_key(path, path.read_text(encoding="utf-8"), settings_key, shared)
        checked = _CHECKED.get(cache_key) if cache_key is not None else None
        if checked is None:
            checked = _check_text(renderer, readable, path, settings, unprompted)
            if cache_key is not None:
                if len(_CHECKED) >= 8192:
                    _CHECKED.clear()
                _CHECKED[cache_key] = checked
        report.problems.extend(checked.problems)
        report.sms.extend(checked.sms)
        report.lix.extend(checked.lix)
        (report.problems if enabled else report.warnings).extend(checked.findings)


def run_check(settings: Settings, templates_dir: Path) -> CheckReport:
    """Check flows and texts; `report.ok` is False when anything must be fixed."""
    report = CheckReport()
    for flow in FLOWS.values():
        report.problems.extend(check_flow(flow))
    languages = _languages(templates_dir)
    report.live = list(settings.language_list)
    report.present = sorted(languages)
    for language in settings.language_list:
        if language not in languages:
            report.problems.append(f"{language}: enabled but templates/{language}/meta.toml is missing")
    renderer = Renderer(templates_dir, settings, telegram_on=True, sms_on=True)  # the longest: every offer
    # Readability is measured with the default organisation values, so a deployment's long name does not fail it.
    defaults = Settings.model_construct()
    readable = renderer
    if any(getattr(settings, name) != getattr(defaults, name) for name in _ORG_SETTINGS):
        readable = Renderer(templates_dir, defaults, telegram_on=True, sms_on=True)
    # Secrets change no text, but are kept out of the process's memory of checked texts all the same.
    settings_key = hashlib.sha256(repr(settings.model_dump()).encode()).hexdigest()
    for language, meta in languages.items():
        if meta.get("reviewed") is not True:
            report.unreviewed.append(language)
            if language in settings.language_list:
                report.warnings.append(f"{language}: enabled but not reviewed by a native speaker")
        _check_language(report, renderer, readable, templates_dir / language, settings, settings_key)
    reference = settings.fallback_language
    for language in languages if reference in languages else ():
        if language != reference:
            target = report.problems if language in settings.language_list else report.warnings
            target.extend(keyword_parity(templates_dir / reference, templates_dir / language))
    return report


def print_report(report: CheckReport, out: Callable[[str], None] = print, *, verbose: bool = False) -> None:
    """Print the report for a person: a summary of the SMS sizes and LIX scores (with `verbose`, every text's),
    unreviewed languages, warnings, problems."""
    _print_sizes(report, out, verbose)
    off = [language for language in report.present if language not in report.live]
    if report.live:
        out("Live languages (KEEPHOME_LANGUAGES): " + ", ".join(report.live))
    if off:
        out("Present but off: " + ", ".join(off) + " (their findings are warnings until enabled)")
    if report.unreviewed:
        out("Unreviewed translations: " + ", ".join(report.unreviewed) + " (enable only after a native speaker review)")
    for warning in report.warnings:
        out(f"warning: {warning}")
    for problem in report.problems:
        out(f"PROBLEM: {problem}")
    if report.warnings:
        out(f"{len(report.warnings)} warning(s): they do not fail the check")
    out("check passed" if report.ok else f"check failed: {len(report.problems)} problem(s)")


def _print_sizes(report: CheckReport, out: Callable[[str], None], verbose: bool) -> None:
    """The SMS texts' sizes and the Danish texts' LIX: a line a language and one for LIX; with `verbose`, a line a
    text."""
    sms = sorted(_unique(report.sms), key=lambda stat: (stat.language, stat.key))
    if verbose:
        out("SMS texts (language key: encoding, segments, characters; the longest rendering of each):")
        for stat in sms:
            out(f"  {stat.language} {stat.key}: {stat.encoding}, {stat.segments}, {stat.characters}")
    elif sms:
        out("SMS texts (the longest rendering of each; --verbose lists them):")
        for language in dict.fromkeys(stat.language for stat in sms):
            out(f"  {language}: {_sms_summary([stat for stat in sms if stat.language == language])}")
    if not report.lix:
        return
    out("LIX of Danish texts of ten words or more (default settings; the hardest trigger of each):")
    if verbose:
        for score in report.lix:
            out(f"  {score.key}.{score.channel}: {score.lix:g} ({score.words} words)")
        return
    hardest = max(report.lix, key=lambda score: score.lix)
    worst = f"{hardest.key}.{hardest.channel} at {hardest.lix:g}"
    out(f"  {len(report.lix)} texts, the hardest {worst} (--verbose lists them)")


def _sms_summary(stats: list[SmsStat]) -> str:
    """One language's SMS texts in a line: how many take how many segments, in which encoding, and the longest."""
    segments = Counter(stat.segments for stat in stats)
    encodings = Counter(stat.encoding for stat in stats)
    longest = max(stats, key=lambda stat: (stat.segments, stat.characters))
    parts = ", ".join(f"{segments[n]} in {n} segment{'' if n == 1 else 's'}" for n in sorted(segments))
    coded = ", ".join(f"{count} {encoding}" for encoding, count in sorted(encodings.items()))
    return (
        f"{len(stats)} texts: {parts}; {coded}; the longest {longest.key} "
        f"({longest.segments} segment{'' if longest.segments == 1 else 's'}, {longest.characters} characters)"
    )


def _unique(stats: Iterable[SmsStat]) -> list[SmsStat]:
    best: dict[tuple[str, str], SmsStat] = {}
    for stat in stats:
        seen = best.get((stat.language, stat.key))
        if seen is None or (stat.segments, stat.characters) > (seen.segments, seen.characters):
            best[(stat.language, stat.key)] = stat
    return list(best.values())


def main(
    settings: Settings,
    templates_dir: Path | None = None,
    out: Callable[[str], None] = print,
    *,
    verbose: bool = False,
) -> int:
    """`keephome check`: print the report (every text's size and LIX with `verbose`); exit status 1 when a problem
    must be fixed."""
    report = run_check(settings, templates_dir or TEMPLATES_DIR)
    print_report(report, out, verbose=verbose)
    return 0 if report.ok else 1
