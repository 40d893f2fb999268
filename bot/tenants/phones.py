"""E.164 phone numbers, in one place: what an import, Twilio and a shared Telegram contact give us."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import phonenumbers

__all__ = ["MAX_LENGTH", "NOT_A_NUMBER", "e164", "from_telegram_contact", "readable", "refusal"]

# Longer than any phone number written with spaces and dashes: not a number, not worth parsing. The API's schema
# publishes it as the phone field's maxLength.
MAX_LENGTH = 32


# Why a number is refused, in the words an import's report and the API's 422 write after the number itself.
NOT_A_NUMBER = "is not a valid phone number"
_TOO_LONG = f"is not a valid phone number: it is longer than {MAX_LENGTH} characters"
_LETTERS = "is not a valid phone number: it has letters in it (write the digits only)"
_FIGURE = (
    "is not a valid phone number: the spreadsheet turned the number into a figure (format the phone column as text "
    "and export again)"
)
_MORE_THAN_ONE = "is not a valid phone number: it holds more than one number (keep the one to text)"
_EXTENSION = "is not a valid phone number: it has an extension, which a text cannot reach"
_NO_COUNTRY = "is not a valid phone number: what follows + is no country's code (+45 for Denmark)"
_DENMARK = 45
_DANISH_LENGTH = "is not a valid phone number: a Danish number has 8 digits (not counting +45), this one has %(digits)d"
_DANISH_SERIES = (
    "is not a valid phone number: it has the 8 digits of a Danish number, but no Danish number is given out in that "
    "series (check the digits)"
)
_LENGTH = "is not a valid phone number: it has too %(many)s digits for a number of +%(code)d"
_SERIES = "is not a valid phone number: no number of +%(code)d is given out in that series (check the digits)"
_WRONG_LENGTH = (
    phonenumbers.ValidationResult.TOO_SHORT,
    phonenumbers.ValidationResult.TOO_LONG,
    phonenumbers.ValidationResult.INVALID_LENGTH,
)
# What may stand between two numbers in one cell ("20123456, 86123456", "20123456 / 86123456"); a part with fewer
# digits than any number has is no number of its own ("2012/3456" is one).
_BETWEEN = re.compile(r"[,;/&|]")
_FEWEST_DIGITS = 6
# A phone column Excel read as a figure and wrote in scientific notation ("4,52012E+09", "4.52012E+09"): its last
# digits are gone, so nothing can be mended; only the sheet can be fixed.
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+")


def _spaces(raw: str) -> str:
    """Every Unicode space (category Zs: a no-break space, the narrow one U+202F a locale's number format puts between
    groups of digits, an ideographic space) as the plain space phonenumbers reads between digits. Tabs and line breaks
    are no spaces here: an import refuses them in any cell."""
    return "".join(" " if unicodedata.category(ch) == "Zs" else ch for ch in raw)


def e164(raw: str, region: str | None = "DK") -> str | None:
    """The number in E.164 form, or None when it is not a valid number (`refusal` says why).

    `region` is how a number without a country code is read (a Danish ledger writes 20 12 34 56);
    with `region=None` only international numbers are accepted (Twilio always sends "+45…").
    """
    return _read(raw, region)[0]


def refusal(raw: str, region: str | None = "DK") -> str | None:
    """Why `e164` refuses `raw`, in words that follow the number ("is not a valid phone number: it holds more than
    one number …"); None when it is a number."""
    return _read(raw, region)[1]


@lru_cache(maxsize=65536)
def _read(raw: str, region: str | None) -> tuple[str | None, str | None]:
    raw = _spaces(raw).strip()
    if len(raw) > MAX_LENGTH:
        return None, _TOO_LONG
    if not raw or (region is None and not raw.startswith("+")):
        return None, NOT_A_NUMBER
    if _SCIENTIFIC.fullmatch(raw):
        return None, _FIGURE
    # Letters are a typo or an extension, never part of a number to text: phonenumbers reads "20 12 ABCD" as the
    # keypad's 20 12 22 23, someone else's number.
    if any(ch.isalpha() for ch in raw):
        return None, _LETTERS
    # parse() reads what follows a comma, a semicolon, "#" or "~" as an extension: "20123456, 86123456" (a cell with
    # two numbers) would be the first one, the second silently dropped. A text reaches no extension, so any is refused.
    if sum(sum(ch.isdigit() for ch in part) >= _FEWEST_DIGITS for part in _BETWEEN.split(raw)) > 1:
        return None, _MORE_THAN_ONE
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        unknown = exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE and raw.startswith("+")
        return None, _NO_COUNTRY if unknown else NOT_A_NUMBER
    if number.extension:
        return None, _EXTENSION
    # parse() does not validate: a number of the wrong length parses fine.
    if not phonenumbers.is_valid_number(number):
        return None, _invalid(number)
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)), None


def _invalid(number: phonenumbers.PhoneNumber) -> str:
    """Why a number that parses is none, in words that say what to fix: the digits its country's numbers have ("a
    Danish number has 8 digits (not counting +45), this one has 9"), or a series no number is given out in."""
    length = phonenumbers.is_possible_number_with_reason(number)
    danish = number.country_code == _DENMARK
    if length in _WRONG_LENGTH and danish:
        digits = len(phonenumbers.national_significant_number(number))
        return _DANISH_LENGTH % {"digits": digits}
    if length in _WRONG_LENGTH:
        few = length == phonenumbers.ValidationResult.TOO_SHORT
        return _LENGTH % {"many": "few" if few else "many", "code": number.country_code}
    return _DANISH_SERIES if danish else _SERIES % {"code": number.country_code}


def _parsed(raw: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(_spaces(raw), region)
    except phonenumbers.NumberParseException:
        return None


def from_telegram_contact(raw: str) -> str | None:
    """A number Telegram shares (usually international digits without '+') in E.164, or None."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    international = raw.strip().startswith("+") or len(digits) > 8
    return e164(f"+{digits}" if international else digits)


def readable(raw: str, home: str = "DK") -> str:
    """A number as a person dials it from paper: one of the home country in its national form ("70 10 20 30"),
    another in the international form ("+44 20 7946 0000"); what it cannot read, as written."""
    number = _parsed(raw, home)
    if number is None or not phonenumbers.is_possible_number(number):
        return raw
    national = number.country_code == phonenumbers.country_code_for_region(home)
    form = phonenumbers.PhoneNumberFormat.NATIONAL if national else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return str(phonenumbers.format_number(number, form))
