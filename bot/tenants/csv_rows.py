"""Reading a tenant CSV: the header, the number format its separator implies, and every row's fields.

The per-row validation here (`check_row`, `RowRules`, `Duplicates`) is the one the REST API uses too
(`bot/api/tenants.py`): a JSON tenant is checked field by field exactly as a CSV row is.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.paths import TEMPLATES_DIR
from bot.tenants.phones import e164, refusal
from scheduler.rent_day import early_demand

__all__ = [
    "BALANCE_DAYS_AHEAD",
    "FIELDS",
    "FIRST_YEAR",
    "ISO_639_1",
    "LAST_YEAR",
    "MAX_AMOUNT",
    "MAX_ORE",
    "POINT_AMOUNT",
    "REQUIRED",
    "Duplicates",
    "FieldError",
    "FieldReader",
    "ImportRow",
    "ParseResult",
    "RowError",
    "RowNotice",
    "RowRules",
    "after_today",
    "check_row",
    "control_character",
    "early_demand_notice",
    "known_languages",
    "local_today",
    "parse_csv",
]

# The column names of DESIGN.md, in the order an export usually has them.
_COLUMNS = "tenant_ref name phone language due_day monthly_rent balance balance_as_of demand_sent_on"
FIELDS: tuple[str, ...] = (
    *_COLUMNS.split(),
    "demand_received_on",
    "termination_on",
    "court_date",
    "at_risk",
    "reactivate",
    # The court path (optional; an empty cell keeps what is stored).
    "address",
    "children",
    "court_filed_on",
    "kommune_notified_on",
)
REQUIRED = ("tenant_ref", "name", "phone")

_ISO_CODES = """
aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz
ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii
ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi
mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw
sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk
ur uz ve vi vo wa wo xh yi yo za zh zu
"""
ISO_639_1 = frozenset(_ISO_CODES.split())

T = TypeVar("T")

_PROGRESS_EVERY = 5000
# Ten billion kroner, owed or in credit: anything larger is a typing error, not a rent (a payment that would leave
# a larger credit is refused too, so every stored balance is one a row or a PUT can carry).
MAX_ORE = 10**12
# The largest amount either way, as the API writes it (its schema publishes it).
MAX_AMOUNT = f"{MAX_ORE // 100}.00"
# `;` files: decimal comma, optional `.` between thousands; `,` files: decimal point. A negative balance is a credit.
# re.ASCII: `\d` is 0-9 only, as the schema's pattern means it (Python's `\d` takes "٧١٠٠" too, and Decimal reads it).
_DANISH_AMOUNT = re.compile(r"-?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d{1,2})?", re.ASCII)
_POINT_AMOUNT = re.compile(r"-?\d+(?:\.\d{1,2})?", re.ASCII)
# An amount as the API writes it (a JSON string with a decimal point): the pattern its schema publishes.
POINT_AMOUNT = f"^{_POINT_AMOUNT.pattern}$"
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)
_STRICT_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_DK_DATE = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})", re.ASCII)
_LONG_TEXT = 300  # an address
# The years a date of a tenancy may fall in. Past them a date is a typo or a placeholder (9999-12-31 for "never",
# .NET's 0001-01-01 for "not set"), and the deadlines computed from it (a påkrav's 14 days, a court date's urgency)
# would run off the calendar: a 500 on every page that shows the tenant.
FIRST_YEAR, LAST_YEAR = 1900, 2099
_FLAGS = {"": False, "0": False, "nej": False, "no": False, "1": True, "ja": True, "yes": True}
# Control characters (Unicode category Cc: U+0000-U+001F, U+007F-U+009F) and the Unicode line and paragraph
# separators. A tab or line break inside a quoted cell is a slip in the ledger's export, and it would break a
# text message, a log line or a CSV someone opens later: refused with its line and column, never mended.
# Control characters, line breaks, and the controls of direction that reorder what follows them (an override, an
# embedding, an isolate: "Amira \u202enesnaH" shows as "Amira Hansen", a name that is not the one stored, on every
# page and export). A direction mark (U+200E, U+200F, U+061C) only tells a neutral character its side: a name
# keeps it.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_NAMES = {
    "\t": "a tab",
    **dict.fromkeys("\n\r\u2028\u2029", "a line break"),
    **{
        chr(code): f"the direction control U+{code:04X}, which shows the text in another order"
        for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
    },
}
# The days of a tenancy that are past by definition: a påkrav is sent and received, a tenancy terminated, a case filed
# and the kommune told before a file can say so. A later day is a typo (2062 for 2026, a day and month swapped) or a
# plan, and it would drive the reminders' timing silently: refused at its line, saying what to write instead. (The
# court_date, the hearing, is usually ahead: no such rule.)
_PAST_EVENTS = {
    "demand_sent_on": "write the day the påkrav was sent, or leave the cell empty until it is",
    "demand_received_on": (
        "write the day the påkrav reached the tenant, or leave the cell empty until it has "
        "(demand_sent_on plus KEEPHOME_DEMAND_DELIVERY_DAYS counts meanwhile)"
    ),
    "termination_on": "write the day the tenancy was terminated, or leave the cell empty until it is",
    "court_filed_on": "write the day the case was filed with the fogedret, or leave the cell empty until it is",
    "kommune_notified_on": "write the day the kommune was notified, or leave the cell empty until it is",
    # The API's payments route (bot/api/payments.py).
    "paid_on": "write the day the payment was made",
}
# A balance_as_of this many days after today is a ledger dated ahead (another time zone, a nightly export stamped
# with the next day): taken as of today, with a notice. Further ahead it is a typo, refused.
BALANCE_DAYS_AHEAD = 2
_SAVE = "save the file as CSV, with commas or semicolons between the columns"
_TABS = f"the columns are separated by tabs: {_SAVE}"
# The line Excel reads (and some exports write) before the header to say the separator.
_SEP_LINE = re.compile(r"sep=(.)", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One valid tenancy from the file; amounts in øre, the phone in E.164."""

    line: int
    tenant_ref: str
    name: str
    phone: str
    language: str
    due_day: int
    monthly_rent_ore: int | None
    balance_ore: int
    balance_as_of: date
    demand_sent_on: date | None
    termination_on: date | None
    court_date: date | None
    at_risk: bool
    # The day the påkrav reached the tenant, when the organisation knows it (a paper letter, say).
    demand_received_on: date | None = None
    # A tenant_ref that was erased is left out of an import unless its row says reactivate=1 (bot/tenants/erase.py).
    reactivate: bool = False
    # The court path. None: the cell was empty or the column absent, and the stored value stays.
    address: str | None = None
    children: bool | None = None  # children under 18 in the household
    court_filed_on: date | None = None  # filed with the fogedret
    kommune_notified_on: date | None = None  # the almenlejeloven § 92 stk. 2 notice
    # The columns the file does not have: a known tenant keeps its stored values of those (bot/tenants/upsert.py).
    # Empty for the API, whose item is the whole row (a field left out takes its default).
    absent: frozenset[str] = field(default=frozenset(), compare=False)
    # The file has a balance column and this row's cell is empty (an API item without a balance): read as 0, the
    # documented rule, and the import report names a known tenant whose stored debt it sets to 0 (bot/tenants/upsert).
    balance_empty: bool = field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem, at the line a person sees in an editor (the header is line 1), or the API's item index."""

    line: int
    reason: str
    # The field the problem is in, when it is in one field.
    column: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class RowNotice:
    """Something a person should know about a row that is imported all the same (its language is not enabled, so
    the tenant reads the fallback language), at its line."""

    line: int
    reason: str
    # The field the notice is about.
    column: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"line {self.line} (notice): {self.reason}"


@dataclass(frozen=True, slots=True)
class ParseResult:
    """The valid rows and every problem found; a file with any problem must import nothing. `notices` say what a
    person should know of rows that import as they are."""

    rows: tuple[ImportRow, ...]
    errors: tuple[RowError, ...]
    notices: tuple[RowNotice, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the file has no problem at all."""
        return not self.errors


class FieldError(ValueError):
    """One field that cannot be read; the message names the column and what is wrong."""


# The language of a row whose language cell is empty (DESIGN.md).
_DEFAULT_LANGUAGE = "da"


def known_languages(templates_dir: Path = TEMPLATES_DIR) -> frozenset[str]:
    """ISO 639-1 codes plus any two-letter template folder (a translation may come before the list)."""
    folders: Iterable[Path] = templates_dir.iterdir() if templates_dir.is_dir() else ()
    extra = {p.name for p in folders if p.is_dir() and len(p.name) == 2 and p.name.isalpha()}
    return ISO_639_1 | extra


def local_today(now: datetime, timezone: str) -> date:
    """The organisation's day at `now`: the date in KEEPHOME_TIMEZONE, which in Copenhagen begins an hour or two
    before UTC's. The "today" of every date rule here, of an import, the API and the console's court forms."""
    return now.astimezone(ZoneInfo(timezone)).date()


def after_today(day: date, today: date) -> bool:
    """The one rule for a day that is past by definition (a påkrav sent, a case filed, the kommune told, a payment
    made, an outcome recorded): a day after the organisation's `today` (`local_today`) is refused, by an import row
    (`RowRules.past_day`), the API and the console's court forms alike, each in its own words."""
    return day > today


def control_character(text: str) -> str | None:
    """The first control character or line break in `text` in words ("a tab", "the control character U+0000"), or
    None: no field of a tenant holds one."""
    control = _CONTROL.search(text)
    if control is None:
        return None
    found = control.group()
    return _CONTROL_NAMES.get(found, f"the control character U+{ord(found):04X}")


def _invisible(text: str) -> str | None:
    """The first character of `text` that prints as nothing: a Unicode format character (category Cf: a zero-width
    space, a BOM, a direction mark) or a control character (Cc: NUL, …); None when it has none."""
    return next((ch for ch in text if unicodedata.category(ch) in ("Cf", "Cc")), None)


def _shown(raw: str) -> str:
    return f'"{raw[:40]}…"' if len(raw) > 40 else f'"{raw}"'


@dataclass(frozen=True, slots=True)
class RowRules:
    """Parses one field at a time; each method takes (column, raw text) and raises FieldError.

    `danish`: amounts are written `7.100,50` (a `;` file), else `7100.50`. `iso_dates`: only `YYYY-MM-DD` (the
    API), else also `DD-MM-YYYY` (a CSV file).
    """

    danish: bool
    today: date
    languages: frozenset[str]
    enabled: frozenset[str]
    fallback: str
    iso_dates: bool = False

    def text(self, column: str, raw: str) -> str:
        raw = " ".join(raw.split())  # runs of spaces become one (control characters were refused before)
        if not raw:
            raise FieldError(f"{column} is empty")
        limit = 64 if column == "tenant_ref" else 200
        if len(raw) > limit:
            raise FieldError(f"{column} is longer than {limit} characters")
        return raw

    def ref(self, column: str, raw: str) -> str:
        """A tenant_ref: a text with nothing invisible in it (a name keeps its direction marks; a reference, none)."""
        text = self.text(column, raw)
        # "A" and "A\u200b" would be two tenants who look the same on every page, in every export and every URL.
        hidden = _invisible(text)
        if hidden is not None:
            raise FieldError(f"{column} contains the invisible character U+{ord(hidden):04X}: remove it")
        return text

    def phone(self, column: str, raw: str) -> str:
        if not raw:
            raise FieldError(f"{column} is empty")
        number = e164(raw)
        if number is None:
            raise FieldError(f"{column} {_shown(raw)} {refusal(raw)}")
        return number

    def language(self, column: str, raw: str) -> str:
        code = raw.lower() or _DEFAULT_LANGUAGE
        if code not in self.languages:
            raise FieldError(f"{column} {_shown(raw)} is not a known ISO 639-1 code (e.g. da, en, ar)")
        return code if code in self.enabled else self.fallback

    def language_notices(self, line: int, raw: str | None, language: str) -> tuple[RowNotice, ...]:
        """The notice for a row whose language (`raw` as written; empty: the default) is not enabled here, so the
        tenant reads `language`, the fallback, instead; none when they read the language the row asked for, or the
        file has no language column (`raw` None: a known tenant keeps the language they have)."""
        if raw is None:
            return ()
        asked = raw.strip().lower() or _DEFAULT_LANGUAGE
        if asked == language:
            return ()
        written = f"language {_shown(raw.strip())}" if raw.strip() else f"language (empty: {_DEFAULT_LANGUAGE})"
        enabled = ", ".join(sorted(self.enabled))
        reason = (
            f"{written} is not enabled here (KEEPHOME_LANGUAGES: {enabled}): this tenant will read {language}, "
            "the fallback language (KEEPHOME_FALLBACK_LANGUAGE)"
        )
        return (RowNotice(line, reason, "language"),)

    def notices(self, line: int, values: Mapping[str, str], row: ImportRow) -> tuple[RowNotice, ...]:
        """What a person should know of a valid row imported as it is: a language not enabled here, a balance dated
        ahead of today (taken as of today), a påkrav sent before the law allows (`early_demand`), a filing before the
        termination it follows."""
        found = list(self.language_notices(line, values.get("language"), row.language))
        written = self.day("balance_as_of", values.get("balance_as_of", "").strip())
        if written is not None and written > self.today:
            reason = (
                f"balance_as_of {written.isoformat()} is after today ({self.today.isoformat()}): the balance is taken "
                "as of today (a ledger dated ahead, or in another time zone)"
            )
            found.append(RowNotice(line, reason, "balance_as_of"))
        # A file without a due_day column leaves a known tenant's due day as stored: the import tells it then.
        early = None if "due_day" in row.absent else early_demand_notice(row)
        if early is not None:
            found.append(early)
        filed, terminated = row.court_filed_on, row.termination_on
        if filed is not None and terminated is not None and filed < terminated:
            reason = (
                f"court_filed_on {filed.isoformat()} is before termination_on {terminated.isoformat()}: a case is "
                "filed with the fogedret after the termination; if this filing belongs to an earlier termination "
                "nothing is wrong, else correct the dates"
            )
            found.append(RowNotice(line, reason, "court_filed_on"))
        return tuple(found)

    def due_day(self, column: str, raw: str) -> int:
        if not raw:
            return 1
        # ASCII digits only: str.isdigit() takes "²" too, which int() cannot read.
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 31:
            raise FieldError(f"{column} {_shown(raw)} must be a whole number from 1 to 31")
        return int(raw)

    def amount(self, column: str, raw: str) -> int | None:
        if not raw:
            return None
        pattern, example = (_DANISH_AMOUNT, "7.100,50") if self.danish else (_POINT_AMOUNT, "7100.50")
        if not pattern.fullmatch(raw):
            raise FieldError(f"{column} {_shown(raw)} is not an amount (write it like {example})")
        plain = raw.replace(".", "").replace(",", ".") if self.danish else raw
        ore = int(Decimal(plain) * 100)
        if abs(ore) > MAX_ORE:
            limit = f"{MAX_ORE // 100:,}".replace(",", ".") + ",00" if self.danish else MAX_AMOUNT
            raise FieldError(f"{column} {_shown(raw)} is too large: at most {limit}, owed or in credit")
        if ore < 0 and column == "monthly_rent":
            raise FieldError(f"{column} {_shown(raw)} is negative")
        return ore

    def day(self, column: str, raw: str) -> date | None:
        if not raw:
            return None
        iso = (_STRICT_ISO_DATE if self.iso_dates else _ISO_DATE).fullmatch(raw)
        dk = None if self.iso_dates else _DK_DATE.fullmatch(raw)
        try:
            found = date(int(iso[1]), int(iso[2]), int(iso[3])) if iso else None
            if dk:
                found = date(int(dk[3]), int(dk[2]), int(dk[1]))
        except ValueError:
            raise FieldError(f"{column} {_shown(raw)} is not a date in the calendar") from None
        if found is not None:
            if not FIRST_YEAR <= found.year <= LAST_YEAR:
                raise FieldError(f"{column} {_shown(raw)} is not in the years {FIRST_YEAR} to {LAST_YEAR}")
            return found
        forms = "YYYY-MM-DD" if self.iso_dates else "YYYY-MM-DD or DD-MM-YYYY"
        raise FieldError(f"{column} {_shown(raw)} is not a date (write {forms})")

    def past_day(self, column: str, raw: str) -> date | None:
        """A day that is past by definition (a påkrav sent, a case filed): one after today is refused."""
        found = self.day(column, raw)
        if found is not None and after_today(found, self.today):
            raise FieldError(
                f"{column} {found.isoformat()} is after today ({self.today.isoformat()}): {_PAST_EVENTS[column]}"
            )
        return found

    def balance_date(self, column: str, raw: str) -> date:
        """The balance's day: at most today (a day up to BALANCE_DAYS_AHEAD ahead is taken as today, see
        `notices`), so a balance never counts as newer than the day it came."""
        found = self.day(column, raw) or self.today
        if found > self.today + timedelta(days=BALANCE_DAYS_AHEAD):
            raise FieldError(
                f"{column} {found.isoformat()} is after today ({self.today.isoformat()}): write the day of the "
                "ledger's balance"
            )
        return min(found, self.today)

    def flag(self, column: str, raw: str) -> bool:
        found = _FLAGS.get(raw.lower())
        if found is None:
            raise FieldError(f"{column} {_shown(raw)} must be 1/0, ja/nej or yes/no")
        return found

    def maybe_flag(self, column: str, raw: str) -> bool | None:
        """A flag whose empty cell means "not known": None, so the stored value stays."""
        return None if not raw else self.flag(column, raw)

    def maybe_text(self, column: str, raw: str) -> str | None:
        """An optional text of at most 300 characters (an address); empty is None."""
        raw = " ".join(raw.split())
        if not raw:
            return None
        if len(raw) > _LONG_TEXT:
            raise FieldError(f"{column} is longer than {_LONG_TEXT} characters")
        return raw


class FieldReader:
    """Reads the fields of one record (a CSV row, an API item), keeping every problem with its column."""

    def __init__(self, at: int, values: Mapping[str, str]) -> None:
        self.at = at
        self.values = values
        self.errors: list[RowError] = []

    def get(self, column: str, parse: Callable[[str, str], T], placeholder: T) -> T:
        """The parsed field, or `placeholder` after recording why it cannot be read (control characters first)."""
        raw = self.values.get(column, "")
        what = control_character(raw)
        if what is not None:
            self.errors.append(RowError(self.at, f"{column} contains {what}: remove it", column))
            return placeholder
        try:
            return parse(column, raw.strip())
        except FieldError as exc:
            self.errors.append(RowError(self.at, str(exc), column))
            return placeholder


def early_demand_notice(row: ImportRow) -> RowNotice | None:
    """The notice for a row whose påkrav was sent before the law allows (`early_demand`), judged with the due day
    the tenant has once the row is written (the stored one when the file has no due_day column, bot/tenants/upsert.py)
    as the tenant and case pages judge it; None when it is in time or there is none."""
    early = early_demand(row.demand_sent_on, row.due_day)
    if early is None:
        return None
    reason = (
        f'demand_sent_on {early.sent_on.isoformat()} for tenant_ref "{row.tenant_ref}" is before '
        f"{early.earliest.isoformat()}, the earliest day a påkrav may be sent for rent due {early.due.isoformat()}: "
        "check which rent it concerns (a påkrav sent too early may have no legal effect)"
    )
    return RowNotice(row.line, reason, "demand_sent_on")


def check_row(
    at: int, values: Mapping[str, str], rules: RowRules, absent: frozenset[str] = frozenset()
) -> ImportRow | list[RowError]:
    """One tenancy's fields (raw text by column name) checked and read; `at` is its line, or the API's index;
    `absent`: the columns the file does not have."""
    read = FieldReader(at, values)
    get = read.get
    row = ImportRow(
        line=at,
        tenant_ref=get("tenant_ref", rules.ref, ""),
        name=get("name", rules.text, ""),
        phone=get("phone", rules.phone, ""),
        language=get("language", rules.language, ""),
        due_day=get("due_day", rules.due_day, 1),
        monthly_rent_ore=get("monthly_rent", rules.amount, None),
        balance_ore=get("balance", rules.amount, None) or 0,
        balance_as_of=get("balance_as_of", rules.balance_date, rules.today),
        demand_sent_on=get("demand_sent_on", rules.past_day, None),
        demand_received_on=get("demand_received_on", rules.past_day, None),
        termination_on=get("termination_on", rules.past_day, None),
        court_date=get("court_date", rules.day, None),
        at_risk=get("at_risk", rules.flag, False),
        reactivate=get("reactivate", rules.flag, False),
        address=get("address", rules.maybe_text, None),
        children=get("children", rules.maybe_flag, None),
        court_filed_on=get("court_filed_on", rules.past_day, None),
        kommune_notified_on=get("kommune_notified_on", rules.past_day, None),
        absent=absent,
        balance_empty="balance" not in absent and not values.get("balance", "").strip(),
    )
    sent, received = row.demand_sent_on, row.demand_received_on
    if sent is not None and received is not None and received < sent:
        reason = f"demand_received_on {received.isoformat()} is before demand_sent_on {sent.isoformat()}"
        read.errors.append(RowError(at, reason, "demand_received_on"))
    filed, court = row.court_filed_on, row.court_date
    if filed is not None and court is not None and court < filed:
        reason = f"court_date {court.isoformat()} is before court_filed_on {filed.isoformat()}"
        read.errors.append(RowError(at, reason, "court_date"))
    return read.errors or row


# What a file that is no CSV text at all begins with: a zip (.xlsx, .ods) or an OLE compound file (.xls).
_WORKBOOKS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _utf16(data: bytes) -> bool:
    """Whether the file is UTF-16: its byte order mark, or (without one) a NUL byte beside every letter of its first
    characters, as Latin letters are in UTF-16 and in no UTF-8 text."""
    if data.startswith(_UTF16_BOMS):
        return True
    head = data[:64]
    if len(head) < 4:
        return False
    even, odd = head[0::2], head[1::2]
    return (not odd.strip(b"\x00") and b"\x00" not in even) or (not even.strip(b"\x00") and b"\x00" not in odd)


# æ, ø and å (and Æ, Ø, Å) as UTF-8 writes them: in a file that is otherwise Windows-1252, a sign that two encodings
# are mixed (rows pasted in from another file), which no single reading gets right.
_UTF8_DANISH = (b"\xc3\xa6", b"\xc3\xb8", b"\xc3\xa5", b"\xc3\x86", b"\xc3\x98", b"\xc3\x85")


def _decode(data: bytes) -> tuple[str, RowNotice | None] | RowError:
    """The file's text, and a notice when it was read as Windows-1252: Danish Excel's "CSV (semikolonsepareret)"
    saves in it, and staff cannot be expected to know which CSV is which. A file that is neither (a byte Windows-1252
    has no letter for), or holds UTF-8's æøå beside it, is refused at the line of its first byte that is not UTF-8."""
    if data.startswith(_WORKBOOKS):
        return RowError(1, "the file is a spreadsheet workbook (.xlsx, .xls or .ods), not CSV: save it as CSV UTF-8")
    if _utf16(data):
        return RowError(
            1,
            'the file is UTF-16 text (Excel\'s "Unicode text"): save it as CSV UTF-8, with commas or semicolons '
            "between the columns",
        )
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        not_utf8 = RowError(line, "the file is not UTF-8 text (save it as CSV UTF-8)")
    if any(letter in data for letter in _UTF8_DANISH):
        return not_utf8
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return not_utf8
    reason = (
        'the file is not UTF-8: it was read as Windows-1252 (Excel\'s "CSV (semikolonsepareret)"); check that æ, ø '
        "and å look right in the names, or save it as CSV UTF-8"
    )
    return text, RowNotice(line, reason)


def _header(record: list[str], line: int) -> tuple[list[str], list[RowError]]:
    names = [field.strip().lower() for field in record]
    errors: list[RowError] = []
    for index, name in enumerate(names):
        if not name:
            continue  # a column without a name (Excel's trailing ";;"): only its cells must be empty (`_shape`)
        hidden = _invisible(name)
        if hidden is not None:
            # Printed, "tenant_ref\ufeff" reads as a known column said to be unknown, and missing: said once, as it is.
            seen = "".join(ch for ch in name if _invisible(ch) is None)
            reason = f'the column name "{seen}" holds the invisible character U+{ord(hidden):04X}: remove it'
            errors.append(RowError(line, f"{reason} (type the name anew)"))
            names[index] = seen
        elif name not in FIELDS:
            errors.append(RowError(line, f'unknown column "{name}" (known columns: {", ".join(FIELDS)})'))
        elif name in names[:index]:
            errors.append(RowError(line, f'column "{name}" appears twice'))
    errors.extend(RowError(line, f'required column "{name}" is missing') for name in REQUIRED if name not in names)
    return names, errors


def _shape(record: list[str], header: list[str], line: int, separator: str, last_line: int) -> RowError | None:
    """The problem of a row (on lines `line` to `last_line`) whose fields do not fit the header: the header line
    again, another number of fields, or a value under a column the header leaves without a name (a spreadsheet saves
    columns once touched as trailing empty ones: harmless while empty, a value nobody can place when not)."""
    if [name.strip().lower() for name in record] == header:
        return RowError(line, "repeats the header line (two files joined into one?): remove it")
    if len(record) != len(header):
        shape = RowError(line, f'has {len(record)} fields, the header has {len(header)} (separator "{separator}")')
        return shape if last_line == line else _open_quote(shape, last_line)
    for number, (name, value) in enumerate(zip(header, record, strict=True), 1):
        if not name and value.strip():
            return RowError(line, f"has a value in column {number}, which has no name in the header line")
    return None


def _open_quote(shape: RowError, last_line: int) -> RowError:
    """The shape problem of a row that spans lines: a quote left open took the lines after it into one cell (a line
    break inside a cell of a row that fits the header is that cell's problem, `FieldReader`)."""
    lines = f"lines {shape.line} to {last_line}"
    return RowError(
        shape.line,
        f'{shape.reason}: the quote (") before a cell on this line is not closed until line {last_line}, so {lines} '
        "were read as one row: close the quote, or remove it",
    )


@dataclass(frozen=True, slots=True)
class Duplicates:
    """The first line (or API item) of each tenant_ref and of each phone number in one file or bulk."""

    unit: str = "line"  # how a problem names the earlier record: "line 3", "item 3"
    refs: dict[str, int] = field(default_factory=dict)
    # One number, one tenant: a reply by SMS must lead to exactly one tenant (see the README).
    phones: dict[str, tuple[int, str]] = field(default_factory=dict)

    def clash(self, row: ImportRow) -> RowError | None:
        """The problem when an earlier record has the row's tenant_ref or phone number."""
        return self._clash(row.line, row.tenant_ref, row.phone)

    def clash_of_refused(self, at: int, values: Mapping[str, str], rules: RowRules) -> RowError | None:
        """The same for a record refused for another reason, by its tenant_ref and phone as far as they can be read:
        a repeat of a bad row is named with the bad row's own problem, not only once that one is mended."""
        ref, phone = (
            _readable(values, column, read) for column, read in (("tenant_ref", rules.ref), ("phone", rules.phone))
        )
        return self._clash(at, ref, phone)

    def _clash(self, at: int, ref: str | None, phone: str | None) -> RowError | None:
        if ref is None:
            return None
        earlier = self.refs.setdefault(ref, at)
        if earlier != at:
            return RowError(at, f'tenant_ref "{ref}" already appears on {self.unit} {earlier}', "tenant_ref")
        if phone is None:
            return None
        owner_line, owner_ref = self.phones.setdefault(phone, (at, ref))
        if owner_line != at:
            reason = f'phone {phone} is also on {self.unit} {owner_line} (tenant_ref "{owner_ref}")'
            return RowError(at, f"{reason}: one number belongs to one tenant", "phone")
        return None


def _readable(values: Mapping[str, str], column: str, read: Callable[[str, str], str]) -> str | None:
    """A field of a refused record as the rules read it, or None when it cannot be read."""
    try:
        return read(column, values.get(column, "").strip())
    except FieldError:
        return None


def _text_and_separator(data: bytes) -> tuple[str, str, RowNotice | None] | RowError:
    """The file's text, its separator, `;` or `,` (the one a first line "sep=;" declares, else whichever the header
    has more of) and a notice of how it was read (`_decode`); or the one problem of a file that is neither UTF-8 nor
    Windows-1252 or whose header is separated by tabs."""
    decoded = _decode(data)
    if isinstance(decoded, RowError):
        return decoded
    text, read_as = decoded
    at, first_line = next(((n, line) for n, line in enumerate(io.StringIO(text), 1) if line.strip()), (1, ""))
    declared = _SEP_LINE.fullmatch(first_line.rstrip("\r\n"))
    if declared is not None:
        # Excel's separator line ("sep=;") before the header: the separator said outright. The line is read past as
        # a blank one, so every line keeps its number.
        separator = declared.group(1)
        if separator not in ";,":
            return RowError(
                at, _TABS if separator == "\t" else f'the file declares "{separator}" as its separator: {_SAVE}'
            )
        return text.replace(declared.group(), "", 1), separator, read_as
    separator = ";" if first_line.count(";") > first_line.count(",") else ","
    if first_line.count("\t") > first_line.count(separator):
        # A spreadsheet's "Text (tab delimited)": read with commas, its header is one unknown column and three
        # missing ones. Refused, not taken: the separator tells the number format (7.100,50 or 7100.50), and a tab
        # tells neither.
        return RowError(at, _TABS)
    return text, separator, read_as


def parse_csv(
    data: bytes,
    today: date,
    languages: frozenset[str],
    enabled: list[str],
    fallback: str,
    progress: Callable[[int], None] | None = None,
) -> ParseResult:
    """Read a tenant file; `progress`, when given, hears how many rows were read every few thousand."""
    read_as = _text_and_separator(data)
    if isinstance(read_as, RowError):
        return ParseResult((), (read_as,))
    text, separator, encoding_notice = read_as
    rules = RowRules(separator == ";", today, languages, frozenset(enabled), fallback)
    records = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    rows: list[ImportRow] = []
    errors: list[RowError] = []
    notices: list[RowNotice] = [] if encoding_notice is None else [encoding_notice]
    seen = Duplicates()
    header: list[str] | None = None
    absent: frozenset[str] = frozenset()
    last_line = read = header_line = 0
    try:
        for record in records:
            # A quoted field may span lines: a row starts on the line after the previous row ended.
            line, last_line = last_line + 1, records.line_num
            if not any(field.strip() for field in record):
                continue
            if header is None:
                header, header_errors = _header(record, line)
                header_line = line
                if header_errors:
                    return ParseResult((), tuple(header_errors))
                absent = frozenset(FIELDS).difference(header)
                continue
            read += 1
            if progress is not None and read % _PROGRESS_EVERY == 0:
                progress(read)
            shape = _shape(record, header, line, separator, last_line)
            if shape is not None:
                errors.append(shape)
                continue
            values = dict(zip(header, record, strict=True))
            parsed = check_row(line, values, rules, absent)
            if isinstance(parsed, list):
                repeat = seen.clash_of_refused(line, values, rules)
                errors.extend(parsed if repeat is None else [*parsed, repeat])
                continue
            clash = seen.clash(parsed)
            if clash is not None:
                errors.append(clash)
                continue
            rows.append(parsed)
            notices.extend(rules.notices(line, values, parsed))
    except csv.Error as exc:
        errors.append(RowError(last_line + 1, f"unreadable CSV: {exc}"))
    if not errors and not read:
        errors.append(_no_tenants(header_line))
    return ParseResult(tuple(rows), tuple(errors), tuple(notices))


def _no_tenants(header_line: int) -> RowError:
    """The problem of a file that holds no row: no header at all, or a header (on `header_line`) and nothing else."""
    if not header_line:
        return RowError(1, f"the file is empty: the first line must name the columns ({', '.join(REQUIRED)}, …)")
    # A truncated export (the header and nothing else) must not look like an import of nobody. Named at the header
    # line, the last line with anything on it: a line after it is one the file does not have, or an empty one.
    return RowError(header_line, "the file has no tenants: there is no row below its header line (a truncated export?)")
