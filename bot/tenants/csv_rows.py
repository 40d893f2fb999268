"""Reading a tenant CSV: the header, the number format its separator implies, and every row's fields."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from bot.paths import TEMPLATES_DIR
from bot.tenants.phones import e164

__all__ = [
    "FIELDS",
    "ISO_639_1",
    "REQUIRED",
    "ImportRow",
    "ParseResult",
    "RowError",
    "known_languages",
    "parse_csv",
]

# The column names of DESIGN.md, in the order an export usually has them.
_COLUMNS = "tenant_ref name phone language due_day monthly_rent balance balance_as_of demand_sent_on"
FIELDS: tuple[str, ...] = (*_COLUMNS.split(), "termination_on", "court_date", "at_risk")
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
_MAX_ORE = 10**12  # ten billion kroner: anything larger is a typing error, not a rent
# `;` files: decimal comma, optional `.` between thousands; `,` files: decimal point. A negative balance is a credit.
_DANISH_AMOUNT = re.compile(r"-?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d{1,2})?")
_POINT_AMOUNT = re.compile(r"-?\d+(?:\.\d{1,2})?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DK_DATE = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})")
_FLAGS = {"": False, "0": False, "nej": False, "no": False, "1": True, "ja": True, "yes": True}


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


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem, at the line a person sees in an editor (the header is line 1)."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ParseResult:
    """The valid rows and every problem found; a file with any problem must import nothing."""

    rows: tuple[ImportRow, ...]
    errors: tuple[RowError, ...]

    @property
    def ok(self) -> bool:
        """True when the file has no problem at all."""
        return not self.errors


class _FieldError(ValueError):
    pass


def known_languages(templates_dir: Path = TEMPLATES_DIR) -> frozenset[str]:
    """ISO 639-1 codes plus any two-letter template folder (a translation may come before the list)."""
    folders: Iterable[Path] = templates_dir.iterdir() if templates_dir.is_dir() else ()
    extra = {p.name for p in folders if p.is_dir() and len(p.name) == 2 and p.name.isalpha()}
    return ISO_639_1 | extra


def _shown(raw: str) -> str:
    return f'"{raw[:40]}…"' if len(raw) > 40 else f'"{raw}"'


@dataclass(frozen=True, slots=True)
class _Fields:
    """Parses one field at a time; each method takes (column, raw text) and raises _FieldError."""

    danish: bool
    today: date
    languages: frozenset[str]
    enabled: frozenset[str]
    fallback: str

    def text(self, column: str, raw: str) -> str:
        raw = " ".join(raw.split())  # a line break or tab inside a quoted name would break the texts
        if not raw:
            raise _FieldError(f"{column} is empty")
        limit = 64 if column == "tenant_ref" else 200
        if len(raw) > limit:
            raise _FieldError(f"{column} is longer than {limit} characters")
        return raw

    def phone(self, column: str, raw: str) -> str:
        if not raw:
            raise _FieldError(f"{column} is empty")
        number = e164(raw)
        if number is None:
            raise _FieldError(f"{column} {_shown(raw)} is not a valid phone number")
        return number

    def language(self, column: str, raw: str) -> str:
        code = raw.lower() or "da"
        if code not in self.languages:
            raise _FieldError(f"{column} {_shown(raw)} is not a known ISO 639-1 code (e.g. da, en, ar)")
        return code if code in self.enabled else self.fallback

    def due_day(self, column: str, raw: str) -> int:
        if not raw:
            return 1
        if not raw.isdigit() or not 1 <= int(raw) <= 31:
            raise _FieldError(f"{column} {_shown(raw)} must be a whole number from 1 to 31")
        return int(raw)

    def amount(self, column: str, raw: str) -> int | None:
        if not raw:
            return None
        pattern, example = (_DANISH_AMOUNT, "7.100,50") if self.danish else (_POINT_AMOUNT, "7100.50")
        if not pattern.fullmatch(raw):
            raise _FieldError(f"{column} {_shown(raw)} is not an amount (write it like {example})")
        plain = raw.replace(".", "").replace(",", ".") if self.danish else raw
        ore = int(Decimal(plain) * 100)
        if abs(ore) > _MAX_ORE:
            raise _FieldError(f"{column} {_shown(raw)} is too large")
        if ore < 0 and column == "monthly_rent":
            raise _FieldError(f"{column} {_shown(raw)} is negative")
        return ore

    def day(self, column: str, raw: str) -> date | None:
        if not raw:
            return None
        iso, dk = _ISO_DATE.fullmatch(raw), _DK_DATE.fullmatch(raw)
        try:
            if iso:
                return date(int(iso[1]), int(iso[2]), int(iso[3]))
            if dk:
                return date(int(dk[3]), int(dk[2]), int(dk[1]))
        except ValueError:
            raise _FieldError(f"{column} {_shown(raw)} is not a date in the calendar") from None
        raise _FieldError(f"{column} {_shown(raw)} is not a date (write YYYY-MM-DD or DD-MM-YYYY)")

    def balance_date(self, column: str, raw: str) -> date:
        found = self.day(column, raw) or self.today
        if found > self.today:
            raise _FieldError(f"{column} {found.isoformat()} is in the future")
        return found

    def flag(self, column: str, raw: str) -> bool:
        found = _FLAGS.get(raw.lower())
        if found is None:
            raise _FieldError(f"{column} {_shown(raw)} must be 1/0, ja/nej or yes/no")
        return found


def _row(line: int, values: dict[str, str], fields: _Fields) -> ImportRow | list[RowError]:
    errors: list[RowError] = []

    def get(column: str, parse: Callable[[str, str], T], placeholder: T) -> T:
        try:
            return parse(column, values.get(column, "").strip())
        except _FieldError as exc:
            errors.append(RowError(line, str(exc)))
            return placeholder

    row = ImportRow(
        line=line,
        tenant_ref=get("tenant_ref", fields.text, ""),
        name=get("name", fields.text, ""),
        phone=get("phone", fields.phone, ""),
        language=get("language", fields.language, ""),
        due_day=get("due_day", fields.due_day, 1),
        monthly_rent_ore=get("monthly_rent", fields.amount, None),
        balance_ore=get("balance", fields.amount, None) or 0,
        balance_as_of=get("balance_as_of", fields.balance_date, fields.today),
        demand_sent_on=get("demand_sent_on", fields.day, None),
        termination_on=get("termination_on", fields.day, None),
        court_date=get("court_date", fields.day, None),
        at_risk=get("at_risk", fields.flag, False),
    )
    return errors or row


def _decode(data: bytes) -> str | RowError:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return RowError(line, "the file is not UTF-8 text (save it as CSV UTF-8)")


def _header(record: list[str], line: int) -> tuple[list[str], list[RowError]]:
    names = [field.strip().lower() for field in record]
    errors: list[RowError] = []
    for index, name in enumerate(names):
        if name not in FIELDS:
            errors.append(RowError(line, f'unknown column "{name}" (known columns: {", ".join(FIELDS)})'))
        elif name in names[:index]:
            errors.append(RowError(line, f'column "{name}" appears twice'))
    errors.extend(RowError(line, f'required column "{name}" is missing') for name in REQUIRED if name not in names)
    return names, errors


def parse_csv(
    data: bytes,
    today: date,
    languages: frozenset[str],
    enabled: list[str],
    fallback: str,
    progress: Callable[[int], None] | None = None,
) -> ParseResult:
    """Read a tenant file; `progress`, when given, hears how many rows were read every few thousand."""
    text = _decode(data)
    if isinstance(text, RowError):
        return ParseResult((), (text,))
    first_line = next((line for line in io.StringIO(text) if line.strip()), "")
    separator = ";" if first_line.count(";") > first_line.count(",") else ","
    fields = _Fields(separator == ";", today, languages, frozenset(enabled), fallback)
    records = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    rows: list[ImportRow] = []
    errors: list[RowError] = []
    first_seen: dict[str, int] = {}
    header: list[str] | None = None
    last_line = read = 0
    try:
        for record in records:
            # A quoted field may span lines: a row starts on the line after the previous row ended.
            line, last_line = last_line + 1, records.line_num
            if not any(field.strip() for field in record):
                continue
            if header is None:
                header, header_errors = _header(record, line)
                if header_errors:
                    return ParseResult((), tuple(header_errors))
                continue
            read += 1
            if progress is not None and read % _PROGRESS_EVERY == 0:
                progress(read)
            if len(record) != len(header):
                reason = f'has {len(record)} fields, the header has {len(header)} (separator "{separator}")'
                errors.append(RowError(line, reason))
                continue
            parsed = _row(line, dict(zip(header, record, strict=True)), fields)
            if isinstance(parsed, list):
                errors.extend(parsed)
                continue
            earlier = first_seen.setdefault(parsed.tenant_ref, line)
            if earlier != line:
                errors.append(RowError(line, f'tenant_ref "{parsed.tenant_ref}" already appears on line {earlier}'))
                continue
            rows.append(parsed)
    except csv.Error as exc:
        errors.append(RowError(last_line + 1, f"unreadable CSV: {exc}"))
    if header is None and not errors:
        errors.append(
            RowError(1, f"the file is empty: the first line must name the columns ({', '.join(REQUIRED)}, …)")
        )
    return ParseResult(tuple(rows), tuple(errors))
