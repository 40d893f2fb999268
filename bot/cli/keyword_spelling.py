"""Part of `keephome check`: a word the tenant is told to write is one keephome understands, spelled one way.

A text that says "Svar JA" where another says "Svar ja", or "Skriv TILBAGEKALDE" where the word is TILBAGEKALD, leaves
a stressed reader unsure what to type, or makes them type a word nothing answers; an English text without the ADVISER
its Danish text offers leaves out the way to a person (`keyword_parity`). Read from each text's own words (its values
and template code left out), so an organisation's name in capitals is no finding.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from conversations.answers import TAG_WORDS
from conversations.keywords import KEYWORD_WORDS, LANGUAGE_WORDS, UNIVERSAL_WORDS
from conversations.text import normalize

__all__ = ["keyword_parity", "keyword_spelling", "keywords_said", "own_kinds", "understood_words"]

# The answers a text may tell the tenant to write in capitals, besides the keywords.
_ANSWER_TAGS = ("yes", "no", "adviser", "help", "info", "telegram")
_OWN_ANSWERS_ONLY = ("da", "en")
_WAY_TO_A_PERSON = "adviser"
# Names written in capitals that are no word to write back. Danish writes "sms" in lower case (Retskrivningsordbogen).
_NAMES = frozenset({"KFUM", "SMS"})
_NOT_NAMES_IN = {"da": frozenset({"SMS"})}
# Words in capitals that are a word to write back, but no instruction to write it ("OK, thank you").
_NOT_ANSWERS = frozenset({"OK"})
# The words that tell the tenant what to write, per language (where a language is missing, only capitals are read).
_TELLING = {"da": ("svar", "skriv", "send"), "en": ("reply", "write", "send", "answer", "type")}
_TEMPLATE_CODE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_WORD = re.compile(r"[^\W\d_]+")


@cache
def understood_words(language: str) -> dict[str, str]:
    """Every word (normalised) of the language's keywords, language words and answer words keephome reads, with what
    it says: the keyword's kind ("opt_out", "withdraw_consent", ...) or the answer's ("yes", "adviser", ...)."""
    said: list[tuple[str, str]] = [(kind, phrase) for kind, words in UNIVERSAL_WORDS.items() for phrase in words]
    said += [(kind, phrase) for kind, words in KEYWORD_WORDS.get(language, {}).items() for phrase in words]
    said += [("language", phrase) for words in LANGUAGE_WORDS.values() for phrase in words]
    # Every language reads the Danish and English answers too (tenants mix them); Danish and English use their own.
    for reader in dict.fromkeys((language, *(() if language in _OWN_ANSWERS_ONLY else _OWN_ANSWERS_ONLY))):
        tags = TAG_WORDS.get(reader, {})
        said += [(tag, phrase) for tag in _ANSWER_TAGS for phrase in tags.get(tag, ())]
    # A word alone says its own kind; a word of a phrase only where no word alone says one ("no" is an answer, though
    # "wrong no" is a wrong number).
    words = {normalize(phrase): kind for kind, phrase in reversed(said) if " " not in phrase}
    for kind, phrase in said:
        for word in phrase.split():
            words.setdefault(normalize(word), kind)
    return words


def _own_words(path: Path) -> str:
    """A template's own text: its values and template code left out."""
    return _TEMPLATE_CODE.sub(" ", path.read_text(encoding="utf-8"))


def _in_capitals(word: str) -> bool:
    return len(word) > 1 and word.isupper()


def keyword_spelling(folder: Path) -> list[str]:
    """Findings for a language's texts: a word in capitals keephome does not understand, and a word the texts write in
    capitals elsewhere written otherwise where a text tells the tenant to write it."""
    language = folder.name
    known = understood_words(language)
    names = _NAMES - _NOT_NAMES_IN.get(language, frozenset())
    texts = {path.name: _own_words(path) for path in sorted(folder.glob("*.txt"))}
    findings: list[str] = []
    capitals: set[str] = set()
    for name, text in texts.items():
        for word in _WORD.findall(text):
            if not _in_capitals(word) or word in names:
                continue
            if normalize(word) in known:
                capitals.add(normalize(word))
            else:
                findings.append(f"{language}/{name}: {word!r} in capitals is no word keephome understands")
    telling = _TELLING.get(language)
    if telling:
        after = re.compile(rf"\b(?:{'|'.join(telling)})\s+([^\W\d_]+)", re.IGNORECASE)
        for name, text in texts.items():
            for match in after.finditer(text):
                word = match.group(1)
                if normalize(word) in capitals and not _in_capitals(word):
                    findings.append(
                        f"{language}/{name}: {match.group(0)!r}: a word to write is in capitals, as in the other "
                        f"texts ({word.upper()})"
                    )
    return list(dict.fromkeys(findings))


def keyword_parity(reference: Path, other: Path) -> list[str]:
    """Findings for a translation (`other`, a language folder) whose text tells the tenant to write other keywords or
    answers than the reference language's text of the same key ("Skriv RÅDGIVER" with no ADVISER in English).
    Between languages that write such words in capitals (`_TELLING`) every word counts; a language that writes its own
    words in its own script (Arabic, Turkish) is held to the words it borrows in capitals, those it has no word of its
    own for (TELEGRAM), and to the way to a person its Danish text gives, in its own word ("مستشار", DANIŞMAN)."""
    if reference.name not in _TELLING:
        return []
    # The way to a person is kept in every script: a language with an adviser word of its own ("مستشار") is held to
    # naming it, in its own letters or in capitals.
    own = frozenset() if other.name in _TELLING else own_kinds(other.name) - {_WAY_TO_A_PERSON}
    findings: list[str] = []
    for path in sorted(reference.glob("*.txt")):
        translated = other / path.name
        if not translated.exists():
            continue
        said, there = keywords_said(path, reference.name) - own, keywords_said(translated, other.name) - own
        if other.name not in _TELLING and _WAY_TO_A_PERSON in said - there:
            # Where the Danish text tells the tenant to write it: the word in the other's letters (in its prose it is
            # only the word for an adviser).
            there |= {_WAY_TO_A_PERSON} if _names_own_word(translated, other.name, _WAY_TO_A_PERSON) else set()
        if said != there:
            findings.append(
                f"{other.name}/{path.name}: tells the tenant to write {', '.join(sorted(there)) or 'nothing'}, where "
                f"{reference.name} tells {', '.join(sorted(said)) or 'nothing'}"
            )
    return findings


def _names_own_word(path: Path, language: str, kind: str) -> bool:
    """Whether a text names one of its language's own answer words of `kind` ("مستشار" for the adviser), however
    written."""
    text = f" {' '.join(normalize(word) for word in _WORD.findall(_own_words(path)))} "
    return any(f" {normalize(word)} " in text for word in TAG_WORDS.get(language, {}).get(kind, ()))


@cache
def own_kinds(language: str) -> frozenset[str]:
    """The kinds of keyword and answer a language has words of its own for (its STOP, its yes); the others it can only
    say with a Danish or English word."""
    return frozenset(KEYWORD_WORDS.get(language, {})) | frozenset(TAG_WORDS.get(language, {}))


def keywords_said(path: Path, language: str) -> frozenset[str]:
    """What the words in capitals of a text tell the tenant they can write: kinds of keyword and answer ("opt_out",
    "yes", "adviser", ...), the same in every language, so a translation that leaves one out can be found."""
    known = understood_words(language)
    return frozenset(
        known[normalize(word)]
        for word in _WORD.findall(_own_words(path))
        if _in_capitals(word) and word not in _NOT_ANSWERS and normalize(word) in known
    )
