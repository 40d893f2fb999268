"""Understanding answers per language: yes/no, option numbers and words, amounts, dates."""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, timedelta

from conversations.text import normalize, tokens

__all__ = [
    "TAG_WORDS",
    "parse_amount",
    "parse_date",
    "parse_number",
    "tag_strength",
]

# Words that pick an option tag, per language (normalised: æ→ae, ø→o, å→aa, no accents).
TAG_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "da": {
        "yes": (
            "ja",
            "jo",
            "jep",
            "jeps",
            "ja tak",
            "ok",
            "okay",
            "oki",
            "yes",
            "y",
            "j",
            "gerne",
            "ja gerne",
        ),
        "no": ("nej", "nej tak", "nope", "no", "n", "ikke nu", "nix"),
        "help": ("hjaelp", "hjelp", "help"),
        "paid": ("betalt", "allerede betalt", "har betalt", "jeg har betalt", "paid"),
        "will_pay": ("betaler", "jeg betaler", "vil betale", "betale"),
        "part": (
            "en del",
            "noget af det",
            "delvist",
            "lidt af det",
            "en del af det",
            # Longer than "betale" (will pay), so "jeg kan betale en del" means part.
            "betale en del",
            "betale noget",
            "betale lidt",
            "betale noget af det",
        ),
        "adviser": ("raadgiver", "radgiver", "person", "ring", "ring til mig", "tale"),
        "info": ("info", "hvilken hjaelp", "hvad findes", "muligheder", "hjaelp findes"),
        "telegram": ("telegram",),
    },
    "en": {
        "yes": ("yes", "y", "yeah", "yep", "yup", "ok", "okay", "sure", "ja"),
        "no": ("no", "n", "nope", "no thanks", "not now", "nej"),
        "help": ("help", "hjaelp"),
        "paid": ("paid", "already paid", "i paid", "i have paid", "betalt"),
        "will_pay": ("will pay", "i will pay", "pay"),
        "part": ("part", "some of it", "partly", "a part", "pay part", "pay some", "pay a part", "pay some of it"),
        "adviser": ("adviser", "advisor", "person", "call me", "talk"),
        "info": ("info", "what help", "options"),
        "telegram": ("telegram",),
    },
    "ar": {
        "yes": ("نعم", "ايوه", "أيوه", "اي", "ok", "okay", "yes", "ja"),
        "no": ("لا", "no", "nej"),
        "help": ("مساعدة", "help", "hjaelp"),
    },
    "tr": {
        "yes": ("evet", "tamam", "olur", "ok", "okay", "yes", "ja"),
        "no": ("hayir", "yok", "no", "nej"),
        "help": ("yardim", "help", "hjaelp"),
        "paid": ("odedim", "odendi"),
    },
}

_NEGATIONS = frozenset({"ikke", "not", "no", "nej", "aldrig", "never", "dont", "don't", "degil"})


def _words(language: str, tag: str) -> tuple[str, ...]:
    own = TAG_WORDS.get(language, {}).get(tag)
    return own if own is not None else TAG_WORDS["en"].get(tag, ())


def tag_strength(text: str, language: str, tag: str) -> int:
    """How strongly the message means `tag`: 0 not at all, more for a whole-message or longer match."""
    plain = normalize(text)
    words = _words(language, tag)
    if plain in words:
        return 1000 + len(plain)
    parts = tokens(text)
    if not parts or len(parts) > 5 or (tag not in ("yes", "no") and _NEGATIONS & set(parts)):
        return 0
    joined = f" {' '.join(parts)} "
    return max((len(word) for word in words if len(word) > 1 and f" {word} " in joined), default=0)


def parse_number(text: str, count: int) -> int | None:
    """An option number 1..count written alone ("2", "2.", "nr 2", "2️⃣"); None otherwise."""
    plain = normalize(text)
    match = re.fullmatch(r"(?:nr\.? ?|no\.? ?|#)?(\d{1,2})\.?", plain)
    if not match:
        return None
    number = int(match.group(1))
    return number if 1 <= number <= count else None


_AMOUNT = re.compile(r"(?<![\d.,])(\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?![\d])")
_MAX_ORE = 100_000_000


def _to_ore(number: str) -> int | None:
    separators = [i for i, c in enumerate(number) if c in ".,"]
    if not separators:
        return int(number) * 100
    last = separators[-1]
    decimals = number[last + 1 :]
    mixed = len({number[i] for i in separators}) > 1
    if len(decimals) in (1, 2) or (mixed and len(decimals) != 3):
        whole = re.sub(r"[.,]", "", number[:last])
        return int(whole or "0") * 100 + int(decimals.ljust(2, "0"))
    if all(len(group) == 3 for group in re.split(r"[.,]", number)[1:]):
        return int(re.sub(r"[.,]", "", number)) * 100
    return None


def parse_amount(text: str) -> int | None:
    """An amount of kroner in øre ("2500", "2.500", "2.500,50 kr", "kr. 2500"); None if unclear."""
    plain = re.sub(r"(?<=\d) (?=\d{3}(?!\d))", "", normalize(text))
    found = _AMOUNT.findall(plain)
    if len(found) != 1:
        return None
    ore = _to_ore(found[0])
    if ore is None or ore <= 0 or ore > _MAX_ORE:
        return None
    return ore


_MONTHS = {
    "jan": 1, "januar": 1, "january": 1, "feb": 2, "februar": 2, "february": 2, "mar": 3, "marts": 3,
    "march": 3, "apr": 4, "april": 4, "maj": 5, "may": 5, "jun": 6, "juni": 6, "june": 6, "jul": 7,
    "juli": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "okt": 10,
    "oct": 10, "oktober": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_RELATIVE = {"i dag": 0, "idag": 0, "today": 0, "i morgen": 1, "imorgen": 1, "tomorrow": 1}


def _next_day_of_month(day: int, today: date) -> date | None:
    year, month = today.year, today.month
    for _ in range(13):
        if day <= monthrange(year, month)[1]:
            candidate = date(year, month, day)
            if candidate >= today:
                return candidate
        month = month % 12 + 1
        year += 1 if month == 1 else 0
    return None


def _next_day_month(day: int, month: int, today: date) -> date | None:
    for year in (today.year, today.year + 1):
        if day <= monthrange(year, month)[1]:
            candidate = date(year, month, day)
            if candidate >= today:
                return candidate
    return None


def _full_date(day: int, month: int, year: int, today: date) -> date | None:
    year = year + 2000 if year < 100 else year
    if not 1 <= month <= 12 or not 1 <= day <= monthrange(year, month)[1]:
        return None
    candidate = date(year, month, day)
    return candidate if candidate >= today else None


def parse_date(text: str, today: date) -> date | None:
    """The next date on/after today the message names ("15", "den 15.", "15/12", "15-12-2026")."""
    plain = normalize(text)
    for word, offset in _RELATIVE.items():
        if re.search(rf"(?<!\w){word}(?!\w)", plain):
            return today + timedelta(days=offset)
    full = re.search(r"(?<!\d)(\d{1,2})[./-](\d{1,2})[./-](\d{2}|\d{4})(?!\d)", plain)
    if full:
        return _full_date(int(full.group(1)), int(full.group(2)), int(full.group(3)), today)
    short = re.search(r"(?<![\d.,])(\d{1,2})[./-](\d{1,2})(?![\d.,]?\d)", plain)
    if short:
        day, month = int(short.group(1)), int(short.group(2))
        return _next_day_month(day, month, today) if 1 <= month <= 12 and day >= 1 else None
    named = re.search(r"(?<!\d)(\d{1,2})\.? ?([a-z]+)", plain)
    if named and named.group(2) in _MONTHS:
        return _next_day_month(int(named.group(1)), _MONTHS[named.group(2)], today)
    days = re.findall(r"(?<![\d.,])(\d{1,2})(?![\d,]|\.\d)", plain)
    if len(days) == 1 and 1 <= int(days[0]) <= 31:
        return _next_day_of_month(int(days[0]), today)
    return None
