"""Renders tenant texts from `templates/<lang>/<key>.<channel>.txt` with jinja2 and Babel."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_currency
from jinja2 import BytecodeCache, Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, meta, pass_context
from jinja2.bccache import Bucket
from jinja2.runtime import Context as JinjaContext

from bot.i18n import clock
from bot.outbox.sms_rules import gsm_spelling, plain_punctuation
from bot.settings import Settings
from bot.tenants.phones import readable
from conversations.model import Channel, Choice
from conversations.values import Money, Value
from scheduler.opening import open_until, reachable

__all__ = ["CALL_DAY", "HOURS", "LOCALES", "Rendered", "Renderer", "TemplateMissing", "template_path"]

# Babel locale per language code; a language not listed uses its own code.
LOCALES = {"da": "da_DK", "en": "en_DK", "ar": "ar", "tr": "tr_TR", "uk": "uk_UA"}


class TemplateMissing(LookupError):
    """No template for a key, in the language nor in the fallback language."""


@dataclass(frozen=True)
class Rendered:
    """A rendered message: its text and, on Telegram, its buttons as (label, choice key)."""

    text: str
    buttons: tuple[tuple[str, str], ...] = ()


# The adviser's opening hours in a language's own words (`Settings.adviser_hours_spans`).
HOURS = "common.hours"
# When the tenant can next reach the adviser ("i dag", "i morgen", "mandag"), in a language's own words: the value
# `call_on` (`scheduler.opening.reachable`, worked out when the text is sent) becomes `call_day`, empty when unknown.
CALL_DAY = "common.call_day"


def template_path(key: str, language: str, channel: Channel) -> str:
    """The loader path of a template, relative to the templates folder."""
    return f"{language}/{key}.{channel}.txt"


def _locale(context: JinjaContext) -> str:
    language = str(context.get("language", "da"))
    return LOCALES.get(language, language)


# How a language writes an amount where its date locale's way would not read naturally: en_DK writes Danish numbers
# ("500,00 kr."), where an English reader expects a comma between thousands; English says "DKK 500.00".
_MONEY_STYLES = {"en": ("en_GB", "¤\xa0#,##0.00")}


@pass_context
def _money(context: JinjaContext, value: object) -> str:
    if not isinstance(value, Money):
        raise TypeError(f"the money filter needs a Money value, got {type(value).__name__}")
    amount = Decimal(value.ore) / 100
    locale, pattern = _MONEY_STYLES.get(str(context.get("language", "da")), (_locale(context), None))
    return str(format_currency(amount, "DKK", format=pattern, locale=locale)).replace("\xa0", " ")


@pass_context
def _date(context: JinjaContext, value: object) -> str:
    if not isinstance(value, date):
        raise TypeError(f"the date filter needs a date, got {type(value).__name__}")
    return str(format_date(value, format="long", locale=_locale(context)))


# Languages written right to left. There a space between two groups of digits takes the direction of the words around
# it, so a number in groups ("70 00 00 00", the crisis line's "70 201 201") may show its groups reversed
# ("00 00 00 70"); a no-break space keeps them one number in the order it is dialled (Unicode's bidirectional rule
# W4). A text in Arabic script is UCS-2 whatever its marks, so the no-break space costs nothing.
_RIGHT_TO_LEFT = frozenset({"ar", "fa", "he", "ur"})
_SPACE_IN_A_NUMBER = re.compile(r"(?<=\d) (?=\d)")


@pass_context
def _clock(context: JinjaContext, value: object) -> str:
    """A time of day as the language writes it ("14.30" in Danish). An appointment's values hold it as "HH:MM",
    the same for every language, so a row written before a text's language changed still reads right."""
    if not isinstance(value, str):
        raise TypeError(f"the clock filter needs a time as HH:MM, got {type(value).__name__}")
    return clock(time.fromisoformat(value), str(context.get("language", "da")))


class _Compiled(BytecodeCache):
    """Templates compiled once per process, shared by every Renderer (`keephome check` makes two, each test one):
    compiling is most of the cost of a text's first rendering (about 0.6 ms a text, 1.1 s for all of them).
    Keyed by the template's name and its source's checksum, so the same text from another folder is found and
    a changed text is compiled anew. Every Renderer's environment has the same options, so the code is the same."""

    def __init__(self) -> None:
        self._code: dict[tuple[str, str], bytes] = {}

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return name

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get((bucket.key, bucket.checksum))
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        if len(self._code) >= 8192:
            self._code.clear()
        self._code[(bucket.key, bucket.checksum)] = bucket.bytecode_to_string()


_COMPILED = _Compiled()
# `Renderer.reads` by template source: parsing is most of a check's time, and the texts are the same in every check.
_READS: dict[str, frozenset[str]] = {}


class Renderer:
    """Renders message keys for a language and channel; org values come from settings."""

    def __init__(
        self, templates_dir: Path, settings: Settings, *, telegram_on: bool | None = None, sms_on: bool | None = None
    ) -> None:
        self._settings = settings
        # Texts offer Telegram only where a tenant can reach the bot (a configured token, or the demo's sandbox),
        # and point to an SMS (TELEGRAM for a new code) only where keephome answers one.
        self._telegram_on = settings.telegram_enabled if telegram_on is None else telegram_on
        self._sms_on = settings.sms_enabled if sms_on is None else sms_on
        self._env = Environment(
            loader=FileSystemLoader(str(templates_dir)),
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            # Texts are part of a release: no stat() of the file on every render.
            auto_reload=False,
            bytecode_cache=_COMPILED,
        )
        self._env.filters["money"] = _money
        self._env.filters["date"] = _date
        self._env.filters["clock"] = _clock
        self._org = self.org_values()
        self._spans = settings.adviser_hours_spans or ()
        self._tz = ZoneInfo(settings.timezone)
        self._cache: dict[tuple[Any, ...], str] = {}
        self._call_day_in: dict[tuple[str, Channel], bool] = {}
        # `reachable` for the minute it was last asked in (it changes at a span's edge or a new day, on the minute):
        # worked out once a minute, not for every send (tens of microseconds each, with the holiday calendar).
        self._reach: tuple[int, tuple[str, str]] = (-1, ("", ""))

    def org_values(self) -> dict[str, Any]:
        """The housing organisation's values every template can use; `opening_hours` are the adviser's hours as
        days and times, which each language's `common.hours` words as `adviser_hours` (empty: shown as set)."""
        s = self._settings
        spans = s.adviser_hours_spans or ()
        return {
            "org_name": s.org_name,
            "adviser_name": s.adviser_name,
            # The numbers a tenant is told to call, in groups as they are read and dialled: 70 10 20 30, however set.
            "adviser_phone": readable(s.adviser_phone),
            "adviser_hours": s.adviser_hours,
            "opening_hours": [
                {"first": h.first_day, "last": h.last_day, "opens": h.opens, "closes": h.closes} for h in spans
            ],
            "kommune_phone": readable(s.kommune_phone),
            "telegram_bot": s.telegram_bot.lstrip("@"),
            "telegram_on": "yes" if self._telegram_on else "",
            "sms_on": "yes" if self._sms_on and self._telegram_on else "",
        }

    def exists(self, key: str, language: str, channel: Channel) -> bool:
        """True when the template file exists for exactly this language and channel."""
        loader = self._env.loader
        if loader is None:
            return False
        try:
            loader.get_source(self._env, template_path(key, language, channel))
        except TemplateNotFound:
            return False
        return True

    def reads(self, key: str, language: str, channel: Channel) -> frozenset[str]:
        """The values this language's template of `key` reads: what it names, and `call_on` and `call_until` where it
        names the `call_day` worked out from them. A text depends on nothing else (its filters read the language)."""
        loader = self._env.loader
        if loader is None:
            return frozenset()
        source, _, _ = loader.get_source(self._env, template_path(key, language, channel))
        names = _READS.get(source)
        if names is None:
            found = meta.find_undeclared_variables(self._env.parse(source))
            if "call_day" in found:
                found |= {"call_on", "call_until"}
            names = _READS[source] = frozenset(found)
        return names

    def _text(self, key: str, values: Mapping[str, Any], language: str, channel: Channel) -> str:
        # The same reminder goes to many tenants: remember recent renderings (values are hashable).
        cache_key = (key, language, channel, *sorted(values.items()))
        text = self._cache.get(cache_key)
        if text is None:
            text = self._render_text(key, values, language, channel)
            if len(self._cache) >= 4096:
                self._cache.clear()
            self._cache[cache_key] = text
        return text

    def _hours(self, language: str, channel: Channel) -> str:
        """The adviser's hours in the language's words (`common.hours`), or as set where no such text exists."""
        try:
            return self._text(HOURS, {}, language, channel)
        except TemplateMissing:
            return self._settings.adviser_hours

    def _reachable(self, now: datetime) -> tuple[str, str]:
        """`call_on` and, for "today", `call_until` (when the line closes, "HH:MM"; else empty)."""
        minute = int(now.timestamp() // 60)
        if self._reach[0] != minute:
            on = reachable(now, self._tz, self._spans)
            until = open_until(now, self._tz, self._spans) if on == "today" else None
            self._reach = (minute, (on, until.strftime("%H:%M") if until is not None else ""))
        return self._reach[1]

    def _call_day(self, call_on: str, call_until: str, language: str, channel: Channel) -> str:
        """`call_on` in the language's words (`common.call_day`); empty when unknown or the language has no such text,
        so a text then says how to call without a day rather than a day in another language."""
        if not call_on:
            return ""
        known = self._call_day_in.get((language, channel))
        if known is None:
            known = self._call_day_in[(language, channel)] = self.exists(CALL_DAY, language, channel)
        return self._text(CALL_DAY, {"call_on": call_on, "call_until": call_until}, language, channel) if known else ""

    def _render_text(self, key: str, values: Mapping[str, Any], language: str, channel: Channel) -> str:
        for lang in (language, self._settings.fallback_language):
            try:
                template = self._env.get_template(template_path(key, lang, channel))
            except TemplateNotFound:
                continue
            data = {**self._org, **values, "language": lang}
            if key not in (HOURS, CALL_DAY):
                if self._org["opening_hours"]:
                    data["adviser_hours"] = self._hours(lang, channel)
                data["call_day"] = self._call_day(
                    str(values.get("call_on", "")), str(values.get("call_until", "")), lang, channel
                )
            text = template.render(data).strip()
            return _SPACE_IN_A_NUMBER.sub("\xa0", text) if lang in _RIGHT_TO_LEFT else text
        raise TemplateMissing(f"no template {key!r} for {language}/{channel}")

    def render(
        self,
        key: str,
        values: Mapping[str, Value],
        language: str,
        channel: Channel,
        choices: Sequence[Choice] = (),
        *,
        now: datetime | None = None,
    ) -> Rendered:
        """Render a message; Telegram choices become buttons with rendered labels. Over SMS the tenant's first name
        is spelled as GSM-7 carries it (`gsm_spelling`), and a person's typographic quotes and dashes (an adviser's
        reply, an appointment's place) as plain ones (`plain_punctuation`). With `now`, the moment it goes, a text
        asking for a call says when someone answers (`call_day`); without it, the adviser's hours instead of a day."""
        if now is not None:
            # Part of the values, so a text remembered from before closing time is not sent after it.
            call_on, call_until = self._reachable(now)
            values = {**values, "call_on": call_on, "call_until": call_until}
        name = values.get("first_name")
        if channel == "sms" and isinstance(name, str):
            values = {**values, "first_name": gsm_spelling(name)}
        text = self._text(key, values, language, channel)
        if channel != "telegram":
            return Rendered(plain_punctuation(text))
        # A label shared by several options (`Option.button`) tells them apart by the option's key. A choice without
        # a label is the channel's own (bot/channels/base.py's DROP_KEYBOARD): nothing to show.
        buttons = tuple(
            (self._text(c.label, {**values, "option": c.key}, language, channel) if c.label else "", c.key)
            for c in choices
        )
        return Rendered(text, buttons)
