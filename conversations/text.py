"""Normalising what people type: case, accents, punctuation, emoji."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["normalize", "one_edit", "strip_edges", "tokens"]

_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "aa", "ß": "ss", "ı": "i"})
_KEYCAPS = {f"{d}\ufe0f\u20e3": d for d in "0123456789"} | {f"{d}\u20e3": d for d in "0123456789"}
# Variation selectors: no letter, yet no combining mark either, so they outlived the accents' removal and made a word of
# their own in "🤷‍♀️" or "❤️" (an emoji read as a word is a miss, not a sign).
_SELECTORS = dict.fromkeys(range(0xFE00, 0xFE10))


def _is_edge(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in "PSZC"


def strip_edges(text: str) -> str:
    """Drop punctuation, symbols (emoji), spaces and control characters from both ends."""
    start, end = 0, len(text)
    while start < end and _is_edge(text[start]):
        start += 1
    while end > start and _is_edge(text[end - 1]):
        end -= 1
    return text[start:end]


@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """Case- and accent-folded text with edges stripped and inner spaces collapsed."""
    for cap, digit in _KEYCAPS.items():
        text = text.replace(cap, digit)
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)
    decomposed = unicodedata.normalize("NFKD", folded)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = unicodedata.normalize("NFC", plain).translate(_SELECTORS)
    return re.sub(r"\s+", " ", strip_edges(plain))


def tokens(text: str) -> list[str]:
    """Words of normalised text; punctuation and emoji between words are dropped."""
    return list(_tokens(text))


@lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[str, ...]:
    # Cached as `normalize` is: the keyword commands read one message's words several times.
    return tuple(t for t in (strip_edges(part) for part in re.split(r"[\s,;.!?/]+", normalize(text))) if t)


def one_edit(a: str, b: str) -> bool:
    """True when b is a with one letter replaced, inserted, removed, or two neighbours swapped."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        i = diff[0]
        return len(diff) == 2 and diff[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]
