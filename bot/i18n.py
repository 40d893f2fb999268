"""The staff-facing pages in the reader's language: the console and the demo's simulator.

English is the source (the msgids in the code and the templates); every other language is a gettext
catalogue kept as text in `templates/console/locale/<language>.po` and read with Babel when first needed, so
nothing compiled is kept in the repository. The language is chosen per request — the staff member's own
choice, else `KEEPHOME_CONSOLE_LANGUAGE` — and held in a context variable, so a page's Python and its
template translate alike: `_("Court case")` in Python, `{{ _("Court case") }}` or
`{{ _("Filed on %(day)s", day=…) }}` in a template (jinja2's i18n extension, new style: values are
escaped, never formatted into the msgid).

Tenant messages are not here: they are whole files per language in `templates/<language>/`.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from io import BytesIO

from babel.dates import format_skeleton, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.paths import TEMPLATES_DIR
from scheduler.stage import TimelineStage

__all__ = [
    "CONSOLE_LANGUAGES",
    "LANGUAGE_NAMES",
    "LOCALE_DIR",
    "N_",
    "TENANT_LANGUAGES",
    "Explained",
    "Label",
    "Labels",
    "clock",
    "console_templates",
    "current_language",
    "day_in",
    "format_locale",
    "gettext",
    "install",
    "language_of",
    "language_words",
    "local_day",
    "local_moment",
    "money",
    "ngettext",
    "number",
    "percent",
    "reason_words",
    "shown",
    "speaking",
    "stage_words",
    "translations",
    "use_language",
    "why_words",
]

LOCALE_DIR = TEMPLATES_DIR / "console" / "locale"
# The console's languages: English is the source; Danish is the default (settings.console_language).
CONSOLE_LANGUAGES = ("da", "en")
# How "Me" offers each language: in that language's own words, so anyone can find theirs.
LANGUAGE_NAMES = {"da": "Dansk", "en": "English"}
_SOURCE = "en"

_language: ContextVar[str] = ContextVar("console_language", default="da")


@cache
def translations(language: str) -> _gettext.NullTranslations:
    """The catalogue of one language, read from its .po file once; English (the source) translates nothing."""
    if language == _SOURCE:
        return _gettext.NullTranslations()
    path = LOCALE_DIR / f"{language}.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    buffer = BytesIO()
    # Fuzzy entries are left out, as gettext would: a guess is not a translation.
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def language_of(choice: str | None, default: str) -> str:
    """The language a page is shown in: a person's own choice when it is one of the console's, else the
    deployment's default."""
    if choice in CONSOLE_LANGUAGES:
        return str(choice)
    return default if default in CONSOLE_LANGUAGES else "da"


def current_language() -> str:
    """The language of the request being answered."""
    return _language.get()


def use_language(language: str) -> None:
    """Answer the rest of this request (this task's context) in `language`."""
    _language.set(language_of(language, "da"))


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Translate in `language` inside the block (a command line, a test), then as before."""
    token = _language.set(language_of(language, "da"))
    try:
        yield
    finally:
        _language.reset(token)


def gettext(message: str) -> str:
    """`message` (English) in the request's language."""
    return translations(_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural of `message` for `n`, in the request's language."""
    return translations(_language.get()).ngettext(singular, plural, n)


# How the console writes dates, times and numbers in each of its languages, as Babel has them for these locales:
# Danish the Danish way ("6. dec. 2026", "14.30", "3.000,00 kr."), English the British way ("6 Dec 2026", "14:30",
# "DKK 3,000.00"). Not en_DK: English in Denmark writes times and numbers the Danish way ("14.30", "3.000,00 kr.").
# A tenant language the console has not (a tenant text's `clock`) is its own code.
_FORMAT_LOCALES = {"da": "da_DK", "en": "en_GB"}
# English puts the currency code before the amount with a space, as the tenants' English texts write an amount
# (bot/outbox/render.py); Babel's own en_GB pattern runs them together ("DKK3,000.00").
_MONEY_PATTERNS = {"en": "¤\xa0#,##0.00"}


def format_locale(language: str | None = None) -> str:
    """The Babel locale `language` (by default the request's) writes dates, times and numbers in: the one home of
    the rule, for every date, time, amount and figure the console shows."""
    language = language or _language.get()
    return _FORMAT_LOCALES.get(language, language)


def day_in(value: date, skeleton: str) -> str:
    """A date in the request's language by a Babel skeleton: 'yMMMd' is '3. mar. 2026' in Danish, '3 Mar 2026' in
    English; 'MMMd' without the year; 'yMMM' a month."""
    return str(format_skeleton(skeleton, value, locale=format_locale()))


def local_day(value: date | None) -> str:
    """A date in the request's language, e.g. '3. mar. 2026' in Danish, '3 Mar 2026' in English (the console's and
    the simulator's dates)."""
    return "–" if value is None else day_in(value, "yMMMd")


def clock(value: time, language: str | None = None, *, seconds: bool = False) -> str:
    """A time of day as `language` (by default the request's) writes it: '14.30' in Danish, '14:30' in English. The
    one home of it, for the console's times and the tenant texts' `clock` filter."""
    locale = format_locale(language)
    return str(format_time(value, format="medium" if seconds else "short", locale=locale))


def local_moment(at: datetime, *, year: bool = True) -> str:
    """A local moment in the request's language: '3. mar. 2026 kl. 14.30' in Danish, '3 Mar 2026 14:30' in English;
    without its year when `year` is false."""
    day = day_in(at.date(), "yMMMd" if year else "MMMd")
    return gettext("%(day)s %(time)s") % {"day": day, "time": clock(at.time())}


def money(ore: int | None) -> str:
    """Øre as kroner in the request's language, e.g. '7.100,50 kr.' in Danish, 'DKK 7,100.50' in English (the
    console's amounts)."""
    if ore is None:
        return "–"
    language = _language.get()
    pattern = _MONEY_PATTERNS.get(language)
    return str(format_currency(Decimal(ore) / 100, "DKK", format=pattern, locale=format_locale(language)))


def number(value: float | Decimal, pattern: str | None = None) -> str:
    """A count, a median or a rate in the request's language: '1.234,5' in Danish, '1,234.5' in English; `pattern`
    a Babel number pattern ('#,##0.000')."""
    return str(format_decimal(value, format=pattern, locale=format_locale()))


def percent(share: Decimal) -> str:
    """A share (0.13 for 13 per cent) in whole per cent as the request's language writes it: '13 %' in Danish, '13%'
    in English. Round it first (Babel rounds a half to even, a reader rounds it up)."""
    return str(format_percent(share, locale=format_locale()))


def N_(message: str) -> str:
    """Marks `message` for the catalogue without translating it here: it is translated where it is shown
    (a label kept in a table, an error raised deep down and shown by the page)."""
    return message


# A tenant's language as the staff pages name it, in the reader's language (msgids: `gettext` them when shown).
TENANT_LANGUAGES = {
    "da": N_("Danish"),
    "en": N_("English"),
    "ar": N_("Arabic"),
    "tr": N_("Turkish"),
    "uk": N_("Ukrainian"),
    "pl": N_("Polish"),
}


def language_words(code: str) -> str:
    """A tenant's language in the reader's words ("dansk", "Turkish"); the code itself for one without a name."""
    return gettext(TENANT_LANGUAGES[code]) if code in TENANT_LANGUAGES else code


def install(env: Environment) -> None:
    """Give a jinja2 environment `_`, `gettext` and `ngettext` in the request's language (new style)."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]


def console_templates() -> Environment:
    """A jinja2 environment of templates/console/ in the reader's language: HTML escaped, an unknown name an error
    (the console's pages and a tenant's readable export share these templates and their rules)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR / "console")),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    install(env)
    return env


class Explained(Exception):
    """An error whose message is a msgid (English) with `%(name)s` values: `str()` is the English text (logs,
    the command line), `shown()` the text in the reader's language. Mark the msgid with `N_` so it is extracted:
    `raise FormError(N_("'%(name)s' is required"), name=name)`."""

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message % values if values else message)
        self.msgid = message
        self.values = values


class Label(str):
    """A value of an `Explained` error that is itself a msgid (a form field's label): English in `str()`,
    translated by `shown()`."""

    __slots__ = ()


class Labels(str):
    """A value of an `Explained` error that lists msgids (the choices a field offers): in `str()` the English
    joined by commas, in `shown()` each translated."""

    items: tuple[str, ...]

    def __new__(cls, items: Iterable[str]) -> Labels:
        listed = tuple(items)
        made = super().__new__(cls, ", ".join(listed))
        made.items = listed
        return made


def _shown_value(value: object) -> object:
    if isinstance(value, Labels):
        return ", ".join(gettext(item) for item in value.items)
    return gettext(value) if isinstance(value, Label) else value


def shown(error: BaseException) -> str:
    """An error's message in the request's language: an `Explained` error by its msgid and values (a `Label`
    value translated too, each of `Labels`), any other by its text (a msgid when it was raised with one)."""
    if isinstance(error, Explained):
        text = gettext(error.msgid)
        if not error.values:
            return text
        return text % {k: _shown_value(v) for k, v in error.values.items()}
    return gettext(str(error))


_STAGE_WORDS = {
    "court": N_("court date %(day)s"),
    "termination": N_("termination %(day)s"),
    "demand_passed": N_("påkrav, deadline passed"),
    "says_paid": N_("says already paid (until %(day)s)"),
    "promised": N_("promised to pay on %(day)s"),
    "owes": N_("owes rent"),
    "paid_at_risk": N_("paid up, at risk"),
    "paid_up": N_("paid up"),
}


def stage_words(stage: TimelineStage, local_day: Callable[[date], str]) -> str:
    """Where a tenant stands on the rent timeline (scheduler's code) in the request's language."""
    if stage.code == "demand":
        left = stage.days_left or 0
        plural = ngettext("påkrav, deadline in %(days)d day", "påkrav, deadline in %(days)d days", left)
        words = gettext("påkrav, deadline today") if left == 0 else plural % {"days": left}
    else:
        words = gettext(_STAGE_WORDS[stage.code])
        if stage.on is not None:
            words = words % {"day": local_day(stage.on)}
    if stage.says_paid:
        words = gettext("%(stage)s; says already paid") % {"stage": words}
    return words


# What the planner computed a reminder from (`PlannedReminder.computed_from`), said in words.
_OWED = {"yes": N_("balance owed"), "no": N_("nothing owed")}
_BEFORE_DUE_WHY = {
    "at_risk": N_("the tenant is marked at risk"),
    "arrears": N_("the tenant was behind with the rent in the last 12 months"),
}


def why_words(code: str) -> str | None:
    """Why a reminder before the due day is planned (`computed_from`'s `why`: "at_risk") in the request's language;
    None for a code without words."""
    found = _BEFORE_DUE_WHY.get(code)
    return None if found is None else gettext(found)


def reason_words(trigger: str, computed_from: Mapping[str, str], local_day: Callable[[date], str]) -> str:
    """Why a reminder is planned, in the request's language, from its trigger and the dates and values it was
    computed from (`PlannedReminder.computed_from`, stored with the planned reminder): the one home of these
    words, for the simulator's plan and the tenant's readable export. The policy's own `reason` stays English: it
    is the operators' audit text (stored, `keephome remind --dry-run`)."""
    values = dict(computed_from)

    def day(name: str) -> str:
        return local_day(date.fromisoformat(values[name]))

    try:
        return _reason(trigger, values, day)
    except (KeyError, ValueError):
        # Not a reminder the policy plans (or one it plans from other values): what it was computed from.
        return ", ".join(f"{name}={value}" for name, value in values.items())


def _days(n: int) -> str:
    return ngettext("%(num)d day", "%(num)d days", n) % {"num": n}


def _reason(trigger: str, values: dict[str, str], day: Callable[[str], str]) -> str:
    if trigger == "court":
        state, as_of = gettext(_OWED[values["balance_owed"]]), day("balance_as_of")
        if "court_eve" in values:
            ahead = (date.fromisoformat(values["court_date"]) - date.fromisoformat(values["court_eve"])).days
            return gettext(
                "court date %(day)s in %(days)s: the weekday before it, a second reminder; %(state)s as of %(as_of)s"
            ) % {"day": day("court_date"), "days": _days(ahead), "state": state, "as_of": as_of}
        if "court_date" in values:
            words = gettext("court date %(day)s known; %(state)s as of %(as_of)s")
            return words % {"day": day("court_date"), "state": state, "as_of": as_of}
        words = gettext("termination %(day)s known; %(state)s as of %(as_of)s")
        return words % {"day": day("termination_on"), "state": state, "as_of": as_of}
    if trigger == "demand":
        if "demand_received_on" in values:
            how = gettext("received %(day)s") % {"day": day("demand_received_on")}
        elif int(values["delivery_days"]) == 0:
            how = gettext("sent %(day)s, received the same day (Digital Post)") % {"day": day("demand_sent_on")}
        else:
            how = gettext("sent %(day)s, assumed received after %(days)s") % {
                "day": day("demand_sent_on"),
                "days": _days(int(values["delivery_days"])),
            }
        return gettext("påkrav %(how)s, for rent due %(due)s; computed deadline %(deadline)s, %(days)s left") % {
            "how": how,
            "due": day("due_date"),
            "deadline": day("deadline"),
            "days": _days(int(values.get("days_left", values["offset"]))),
        }
    if trigger == "promise_check":
        return gettext("promised to pay on %(day)s; balance still owed as of %(as_of)s") % {
            "day": day("promise_on"),
            "as_of": day("balance_as_of"),
        }
    if trigger == "missed":
        return gettext("rent due %(due)s, last on-time day %(last)s; balance owed as of %(as_of)s") % {
            "due": day("due_date"),
            "last": day("last_on_time_day"),
            "as_of": day("balance_as_of"),
        }
    if trigger == "before_due":
        return gettext("rent due %(day)s in %(days)s; %(why)s") % {
            "day": day("due_date"),
            "days": _days(int(values["before_due_days"])),
            "why": gettext(_BEFORE_DUE_WHY[values["why"]]),
        }
    raise KeyError(trigger)
