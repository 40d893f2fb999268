"""Keywords the host applies before anything else: opt out/in, wrong number, help, language, consent."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Literal

from conversations.text import normalize, one_edit, tokens

__all__ = [
    "KEYWORD_WORDS",
    "LANGUAGE_WORDS",
    "UNIVERSAL_WORDS",
    "Keyword",
    "KeywordKind",
    "asks_about_cost",
    "asks_about_my_data",
    "asks_how_much_it_is",
    "asks_if_scam",
    "asks_in_words",
    "asks_something",
    "asks_what_adviser_is",
    "asks_what_is_owed",
    "asks_what_the_app_costs",
    "asks_whether_paid",
    "carrier_stop",
    "classify",
    "is_greeting",
    "is_opt_out_word",
    "looks_like_noted",
    "looks_like_stop_wish",
    "looks_like_thanks",
    "looks_like_who_question",
    "names_someone_else",
    "negated_stops",
    "says_not_understood",
    "says_opt_out",
    "says_withdrawal",
    "says_wrong_number",
]

KeywordKind = Literal["opt_out", "opt_in", "wrong_number", "help", "language", "withdraw_consent", "telegram"]


@dataclass(frozen=True)
class Keyword:
    """A recognised keyword; `language` is the target language for kind "language"."""

    kind: KeywordKind
    language: str | None = None


# Carrier words (Twilio's standard opt-out and opt-in lists), active whatever the languages.
UNIVERSAL_WORDS: dict[KeywordKind, tuple[str, ...]] = {
    "opt_out": ("stop", "stopall", "stop all", "unsubscribe", "cancel", "end", "quit", "optout", "opt out"),
    "opt_in": ("start", "unstop"),
    "help": ("help", "info"),
    # An SMS tenant who would rather write on Telegram; the same word in every language.
    "telegram": ("telegram",),
    # Whoever got a tenant's messages by mistake may read neither language the deployment speaks: both words work.
    "wrong_number": ("wrong number", "forkert nummer", "wrong person", "forkert person"),
}

# The documented words per language (README lists them); written as people type them.
KEYWORD_WORDS: dict[str, dict[KeywordKind, tuple[str, ...]]] = {
    "da": {
        "opt_out": ("afmeld", "stop", "stopp"),
        "opt_in": ("start", "tilmeld"),
        "wrong_number": ("forkert nummer", "forkert nr", "forkert number", "forkert person"),
        "help": ("hjælp", "hjaelp", "hjelp", "info"),
        "withdraw_consent": ("tilbagekald",),
    },
    "en": {
        "opt_out": ("stop", "unsubscribe"),
        "opt_in": ("start",),
        "wrong_number": ("wrong number", "wrong nr", "wrong no", "wrong person"),
        "help": ("help", "info"),
        "withdraw_consent": ("withdraw",),
    },
    "ar": {
        "opt_out": ("توقف", "الغاء", "إلغاء"),
        "opt_in": ("ابدأ", "ابدا"),
        "wrong_number": ("رقم خاطئ", "رقم خطأ"),
        "help": ("مساعدة",),
        "withdraw_consent": ("سحب الموافقة", "سحب"),
    },
    "tr": {
        "opt_out": ("dur", "iptal"),
        "opt_in": ("basla", "başla"),
        "wrong_number": ("yanlis numara", "yanlış numara"),
        "help": ("yardim", "yardım"),
        "withdraw_consent": ("geri al", "onayi geri al", "onayı geri al"),
    },
}

# A word in a language switches to it (only when that language is enabled).
LANGUAGE_WORDS: dict[str, tuple[str, ...]] = {
    "da": ("dansk", "danish"),
    "en": ("english", "engelsk"),
    "ar": ("العربية", "عربي", "بالعربية", "بالعربي", "arabic", "arabisk"),
    "tr": ("türkçe", "turkce", "turkish", "tyrkisk"),
}


# Words around a language or withdrawal word that leave it the whole message: "English please", "kan du skrive på
# engelsk", "Tilbagekald mit ja", "withdraw my consent".
_AROUND = frozenset({
    "please", "pls", "plz", "tak", "venligst", "mit", "min", "my", "ja", "yes", "samtykke", "samtykket", "consent",
    "in", "paa", "pa", "on", "write", "skriv", "skrive", "kan", "du", "i", "can", "you", "to", "til", "me", "mig",
    "jeg", "vil", "gerne", "want", "would", "like", "sprog", "language", "hej", "hi",
})  # fmt: skip


def classify(text: str, languages: Iterable[str]) -> Keyword | None:
    """The keyword the WHOLE message is (case, accents, edge punctuation and emoji ignored), or None; a language or
    withdrawal word with only such words as "please" or "mit ja" around it counts too."""
    plain = normalize(text)
    if not plain:
        return None
    table = _keywords(tuple(languages))
    found = table.get(plain)
    if found is not None or " " not in plain:
        return found
    words = tokens(text)
    core = [word for word in words if word not in _AROUND]
    found = table.get(" ".join(core)) if len(core) in (1, 2) else None
    if found is not None and found.kind in ("language", "withdraw_consent"):
        return found
    return (
        _polite_stop(words, table)
        or _no_danish(words, table)
        or _asks_english(plain, words, table)
        or _asks_language(words, table)
    )


# "I don't speak Danish", "I can't read Danish": written in English, so English it is (when it is on).
_READ_WORDS = frozenset({"speak", "understand", "read", "talk", "write"})
_NOT_ABLE = frozenset({"dont", "not", "cant", "cannot", "doesnt"})
_QUANTITY = frozenset({"any", "much", "very", "well", "really", "good", "so"})


def _no_danish(words: Sequence[str], table: dict[str, Keyword]) -> Keyword | None:
    """In this order, a few words apart: not able, a word of reading or speaking, "danish" ("I don't speak Danish",
    "I can't really read danish"); never with "english" in it ("I can't read English, only Danish")."""
    plain = [word.replace("'", "") for word in words]
    if "danish" not in plain or "english" in plain:
        return None
    end = plain.index("danish")
    for at in range(max(0, end - 3), end):
        if plain[at] not in _READ_WORDS or not set(plain[at + 1 : end]) <= _QUANTITY:
            continue
        before = plain[max(0, at - 2) : at]  # "don't speak", "can't really read"
        if before[-1:] and (before[-1] in _NOT_ABLE or (before[0] in _NOT_ABLE and before[-1] in _QUANTITY)):
            return table.get("english")
    return None


# "Do you speak English?", "sorry, no Danish", "translate please": asked in English for English (when it is on); never
# with a negation of English ("I don't speak English").
_ASKING_ENGLISH = frozenset({"do", "does", "u", "speak", "understand", "talk", "sorry", "anyone", "only"})
_NO_DANISH = frozenset({"no", "not"})
_TRANSLATE = frozenset({"translate", "translation", "translated"})
_NO_THEN = re.compile(r"\bnot?\s*[,.!-]")  # "no, danish please": a no, then the language wished for


def _asks_english(text: str, words: Sequence[str], table: dict[str, Keyword]) -> Keyword | None:
    """A short message in English that asks for English: "do you speak english", "sorry no danish", "translate
    please"; not "no, danish please"."""
    plain = [word.replace("'", "") for word in words]
    if len(plain) > 6:
        return None
    rest = set(plain) - _AROUND - _ASKING_ENGLISH
    no_danish = any(plain[i] in _NO_DANISH and plain[i + 1] == "danish" for i in range(len(plain) - 1))
    if no_danish and rest <= _NO_DANISH | {"danish"} and not _NO_THEN.search(text):
        return table.get("english")
    if not _NOT_ABLE.isdisjoint(plain):
        return None
    asked = rest == {"english"} or (bool(rest) and rest <= _TRANSLATE)
    return table.get("english") if asked else None


# "Danca bilmiyorum, Türkçe lütfen", "لا أتكلم الدنماركية، العربية من فضلك", "Türkçe yazar mısınız?": a language asked
# for in the tenant's own words, around its word: please, speak, write, not knowing Danish. A word of not knowing only
# beside a name of Danish ("jeg taler ikke engelsk" asks for no English), and one language named, no other.
_ASKING_AROUND = frozenset({
    "lutfen", "konus", "konusun", "konusur", "konusabilir", "yaz", "yazin", "yazar", "yazabilir", "misiniz",
    "musunuz", "mi", "sadece", "ben", "merhaba", "rica", "ederim", "anlamiyorum", "bilmiyorum", "konusmuyorum",
    "من", "فضلك", "لو", "سمحت", "ارجو", "أرجو", "اكتب", "اكتبوا", "تكلم", "تكلموا", "لا", "اتكلم", "أتكلم", "افهم",
    "أفهم", "اعرف", "أعرف", "فقط", "مرحبا",
})  # fmt: skip
_NOT_KNOWING = frozenset({"anlamiyorum", "bilmiyorum", "konusmuyorum", "لا"})
_DANISH_NAMED = frozenset({"danca", "danimarkaca", "الدنماركية", "الدانماركية", "دنماركي", "الدنماركي"})


def _asks_language(words: Sequence[str], table: dict[str, Keyword]) -> Keyword | None:
    """One language's word with only asking, polite or not-knowing-Danish words around it: that language."""
    named = {found.language for word in words if (found := table.get(word)) is not None and found.kind == "language"}
    if len(named) != 1 or len(words) > 8:
        return None
    rest = {word for word in words if table.get(word) is None}
    if not rest <= _ASKING_AROUND | _DANISH_NAMED | _AROUND:
        return None
    if not rest.isdisjoint(_NOT_KNOWING) and rest.isdisjoint(_DANISH_NAMED):
        return None  # not knowing the language named, not Danish
    return next(found for word in words if (found := table.get(word)) is not None and found.kind == "language")


# Words that may stand around an opt-out word and leave it a plain wish to stop: "Stop tak", "afmeld mig", "please
# stop", "STOP STOP", "stop nu". Anything else ("stop, jeg har betalt", "nej stop"; a negation above all) leaves the
# message to the stop hint (`looks_like_stop_wish`) or the conversation.
_AROUND_STOP = frozenset({
    "please", "pls", "plz", "tak", "venligst", "mig", "me", "nu", "now", "bare", "just", "it", "hej", "hi", "ja",
    "yes", "thanks", "thank", "you",
})  # fmt: skip


# Only these: "cancel it", "end it" or "quit it" answer an appointment or a question, and the carrier's CANCEL, END
# and QUIT count as the whole message alone.
_POLITE_STOP_WORDS = frozenset({"stop", "stopp", "afmeld", "unsubscribe"})


def _polite_stop(words: Sequence[str], table: dict[str, Keyword]) -> Keyword | None:
    """STOP, STOPP, AFMELD or UNSUBSCRIBE, once or repeated, with only politeness around it; None otherwise."""
    core = {word for word in words if word not in _AROUND_STOP}
    if len(core) != 1 or len(words) > 6 or not core <= _POLITE_STOP_WORDS:
        return None
    return table.get(next(iter(core)))


@lru_cache(maxsize=16)
def _keywords(languages: tuple[str, ...]) -> dict[str, Keyword]:
    """Every keyword word of these languages, folded, and what it is: built once per set of enabled languages.
    The first kind in this order wins a word two kinds share, as the order says; language words come last."""
    enabled = [lang for lang in languages if lang in KEYWORD_WORDS]
    order: tuple[KeywordKind, ...] = ("opt_out", "opt_in", "wrong_number", "withdraw_consent", "help", "telegram")
    table: dict[str, Keyword] = {}
    for kind in order:
        words = list(UNIVERSAL_WORDS.get(kind, ()))
        for lang in enabled:
            words.extend(KEYWORD_WORDS[lang].get(kind, ()))
        for word in words:
            table.setdefault(normalize(word), Keyword(kind=kind))
    for lang in enabled:
        for word in LANGUAGE_WORDS.get(lang, ()):
            table.setdefault(normalize(word), Keyword(kind="language", language=lang))
    table.pop("", None)  # a word that folds to nothing matches no message (classify returns None first)
    return table


_STOP_STEMS = frozenset({
    "stop", "stopp", "stoppe", "stopper", "afmeld", "afmelde", "afmeldes", "afmelding", "unsubscribe", "optout",
    "opt-out",
})  # fmt: skip
_STOP_PHRASES = (
    "skriv ikke",
    "ikke skrive til mig",
    "ikke skriv til mig",
    "lad vaere med at skrive",
    "lad mig vaere",
    "vil ikke have flere",
    "ingen flere beskeder",
    "ikke flere beskeder",
    "ingen flere sms",
    "ikke flere sms",
    "hold op med at skrive",
    "hold op",
    "hold nu op",
    "hold op med at sende",
    "slet mig",
    "slet mit nummer",
    "gider ikke flere",
    "don't text",
    "dont text",
    "do not text",
    "stop texting",
    "stop messaging",
    "leave me alone",
    "no more messages",
    "no more sms",
    "no more texts",
    "stop sending",
    "remove me",
    "delete me",
    "delete my number",
)
# "jeg vil ikke stoppe", "I don't want to stop getting these": a negation before a stop word, with at most a few
# of these words between, is a wish to keep hearing from us — no stop wish, and no "nej" to a question either.
_NEGATIONS = frozenset({"ikke", "ik", "aldrig", "not", "never", "dont", "don't"})
_BETWEEN = frozenset({
    "at", "to", "want", "wanna", "wish", "need", "vil", "ville", "gerne", "have", "really", "rigtig", "do", "onsker",
    "oensker", "med",
})  # fmt: skip


def negated_stops(words: Sequence[str]) -> set[int]:
    """Positions of the words that say "do not stop" (the negation, the words between, the stop word) in a list
    of folded words; the one home of that reading, for the stop hint here and the answers (`conversations.answers`)."""
    found: set[int] = set()
    for index, word in enumerate(words):
        if word not in _STOP_STEMS:
            continue
        start = index - 1
        while start >= 0 and words[start] in _BETWEEN:
            start -= 1
        if start >= 0 and words[start] in _NEGATIONS:
            found.update(range(start, index + 1))
    return found


@lru_cache(maxsize=1)
def _opt_out_words() -> frozenset[str]:
    """The opt-out words of every language, folded (built once)."""
    words = list(UNIVERSAL_WORDS["opt_out"])
    for table in KEYWORD_WORDS.values():
        words.extend(table.get("opt_out", ()))
    return frozenset(normalize(word) for word in words)


def carrier_stop(text: str) -> bool:
    """Whether a message is one of the carrier's own opt-out words (Twilio's list: STOP, UNSUBSCRIBE, …), after
    which the carrier refuses every SMS to the number; AFMELD or STOPP are keephome's words only."""
    return normalize(text) in _carrier_words()


@lru_cache(maxsize=1)
def _carrier_words() -> frozenset[str]:
    return frozenset(normalize(word) for word in UNIVERSAL_WORDS["opt_out"])


def _is_opt_out_word(plain: str) -> bool:
    return plain in _opt_out_words()


def is_opt_out_word(text: str) -> bool:
    """Whether a whole message is an opt-out word of some language (STOP, AFMELD, UNSUBSCRIBE, …)."""
    return _is_opt_out_word(normalize(text))


def says_opt_out(text: str, languages: Iterable[str]) -> bool:
    """Whether a whole message opts out: an opt-out word of any language, or one with politeness around it in an
    enabled language ("Stop tak", "afmeld mig tak", "stop please"), as the command parser reads it (`classify`)."""
    if is_opt_out_word(text):
        return True
    keyword = classify(text, languages)
    return keyword is not None and keyword.kind == "opt_out"


# "Forkert nummer, jeg hedder Peter", "wrong number, sorry", "du har fat i den forkerte person": the wrong-number
# words inside a longer message say the same as the keyword alone (never after a negation: "not the wrong number").
_WRONG_PHRASES = (
    "forkerte nummer",
    "forkerte person",
    "forkert nummer",
    "forkert person",
    "fat i den forkerte",
    "wrong number",
    "wrong person",
    "the wrong guy",
)


@lru_cache(maxsize=16)
def _wrong_number_phrases(languages: tuple[str, ...]) -> tuple[tuple[tuple[str, ...], ...], frozenset[str]]:
    """The wrong-number phrases of these languages as words, and their first words (a message without one of
    those is no report: the common case, decided at once)."""
    phrases = [*UNIVERSAL_WORDS["wrong_number"], *_WRONG_PHRASES]
    for lang in languages:
        phrases.extend(KEYWORD_WORDS.get(lang, {}).get("wrong_number", ()))
    # "Wrong no" and "forkert nr" only as the whole message: in a sentence, "wrong, no I paid" or "forkert, nr 1".
    found = tuple(sorted({tuple(tokens(p)) for p in phrases if len(tokens(p)) > 1 and tokens(p)[-1] not in _SHORT_NO}))
    return found, frozenset(phrase[0] for phrase in found)


_SHORT_NO = frozenset({"no", "nr"})
_MEANT = frozenset({"mente", "meant", "mener"})
# What may stand before a wrong-number phrase in its clause: the message reached the wrong person ("du har fat i den
# forkerte person", "you sent this to the wrong number", "jeg tror I har skrevet til det forkerte nummer"), not the
# tenant's own mistake ("jeg har overført til forkert nummer", "I paid to the wrong number", "I called the wrong
# number yesterday").
_BEFORE_WRONG = frozenset({
    "du", "i", "you", "have", "has", "har", "det", "er", "this", "is", "its", "it", "sorry", "undskyld", "hej", "hi",
    "hello", "fat", "the", "a", "et", "en", "den", "skrevet", "til", "written", "texted", "to", "got", "faaet",
    "sendt", "sent", "that", "dette", "denne", "me", "mig", "jeg", "tror", "think", "vist", "nok", "believe", "nej",
    "no", "beklager", "desvaerre", "men", "but", "ringet", "messaged", "skriver", "writing", "texting", "are",
    "reached",
})  # fmt: skip
# After "fat i den forkerte" only the end of the clause or "person": "I har fat i den forkerte ende" is an idiom.
_AFTER_WRONG_ONE = frozenset({"person"})


# "Det er ikke Amira", "Her bor ingen Amira", "This is not Amira": whoever writes names the tenant the message was
# for, as someone else. NAME stands for the tenant's first name.
_NOT_THE_TENANT = (
    ("det", "er", "ikke", "NAME"),
    ("det", "er", "ikke", "mig"),
    ("jeg", "hedder", "ikke", "NAME"),
    ("NAME", "bor", "her", "ikke"),
    ("NAME", "bor", "her", "ikke", "mere"),
    ("NAME", "bor", "her", "ikke", "laengere"),
    ("NAME", "bor", "ikke", "her", "laengere"),
    ("NAME", "er", "flyttet"),
    ("jeg", "kender", "ingen", "NAME"),
    ("i", "dont", "know", "any", "NAME"),
    ("NAME", "doesnt", "live", "here", "anymore"),
    ("NAME", "bor", "ikke", "her"),
    ("NAME", "bor", "ikke", "her", "mere"),
    ("its", "not", "me"),
    ("it", "is", "not", "me"),
    ("my", "name", "is", "not", "NAME"),
    ("NAME", "doesnt", "live", "here"),
    ("NAME", "does", "not", "live", "here"),
    ("NAME", "no", "longer", "lives", "here"),
    ("jeg", "er", "ikke", "NAME"),
    ("her", "bor", "ingen", "NAME"),
    ("her", "er", "ingen", "NAME"),
    ("ingen", "NAME", "her"),
    ("kender", "ingen", "NAME"),
    ("this", "is", "not", "NAME"),
    ("this", "isnt", "NAME"),
    ("i", "am", "not", "NAME"),
    ("im", "not", "NAME"),
    ("no", "NAME", "here"),
    ("dont", "know", "any", "NAME"),
)


_NOT_THE_TENANT_BY_SIZE: dict[int, tuple[tuple[str, ...], ...]] = {
    size: tuple(p for p in _NOT_THE_TENANT if len(p) == size) for size in {len(p) for p in _NOT_THE_TENANT}
}


# Only these words may stand around it: "Det er ikke Amira, det er hendes mor" is someone writing for the tenant.
_AROUND_NOT_THE_TENANT = frozenset({
    "hej", "hi", "hello", "undskyld", "sorry", "men", "but", "tak", "thanks", "mvh", "beklager", "desvaerre", "nej",
    "no",
})  # fmt: skip


def names_someone_else(text: str, first_name: str) -> bool:
    """A message that says the tenant (`first_name`) is not who reads it ("Det er ikke Amira", "Det er ikke mig"),
    with nothing but greetings or an apology around it."""
    words = tuple(word.replace("'", "") for word in tokens(text) if word.replace("'", "") not in _AROUND_NOT_THE_TENANT)
    patterns = _NOT_THE_TENANT_BY_SIZE.get(len(words))
    if not patterns:
        return False  # the common case: no pattern has as many words
    name = tokens(first_name)
    for pattern in patterns:
        if "NAME" in pattern and len(name) != 1:
            continue  # no first name to compare with ("Det er ikke mig" needs none)
        if words == tuple(name[0] if part == "NAME" else part for part in pattern):
            return True
    return False


def says_wrong_number(text: str, languages: Iterable[str]) -> bool:
    """A message that says, among other words, that it reached the wrong person (the keyword alone is `classify`'s):
    a wrong-number phrase in one clause, with only such words as "du har" or "you sent this to" before it and no
    negation ("det er ikke et forkert nummer"); never a question ("do I have the wrong number for the adviser?")."""
    phrases, firsts = _wrong_number_phrases(tuple(languages))
    words = tokens(text)
    if firsts.isdisjoint(words) or asks_something(text) or not _MEANT.isdisjoint(words):
        return False  # "forkert nummer, jeg mente 1": a menu number typed wrong, corrected
    for clause in re.split(r"[,.;:!?]+", text):
        words = [word.replace("'", "") for word in tokens(clause)]
        for phrase in phrases:
            size = len(phrase)
            for start in range(len(words) - size + 1):
                if tuple(words[start : start + size]) != phrase:
                    continue
                before, after = words[:start], words[start + size : start + size + 1]
                if not set(before) <= _BEFORE_WRONG or not _NEGATIONS.isdisjoint(before):
                    continue
                if phrase[-1] == "forkerte" and after and after[0] not in _AFTER_WRONG_ONE:
                    continue
                return True
    return False


# Taking back a consent in one's own words: "træk mit ja tilbage", "jeg vil tilbagekalde mit samtykke", "I take back
# my yes", "revoke my consent". A verb of taking back and what is taken back (the yes, the consent); never after a
# negation ("jeg vil ikke trække mit ja tilbage"). The keyword alone (TILBAGEKALD, WITHDRAW) is `classify`'s.
_REVOKE = frozenset({
    "tilbagekald", "tilbagekalde", "tilbagekalder", "withdraw", "withdraws", "withdrawing", "revoke", "revokes",
    "revoking", "fortryd", "fortryder", "cancel", "annuller", "annullere",
})  # fmt: skip
_TAKE = frozenset({"traek", "traekke", "traekker", "tag", "tage", "tager", "take", "takes", "taking"})
_BACK = frozenset({"tilbage", "back"})
_CONSENT_OBJECTS = frozenset({"ja", "jaet", "samtykke", "samtykket", "samtykker", "yes", "consent"})
_MINE = frozenset({"mit", "min", "my", "the", "det", "dit", "your"})
# "no longer" with the word consent itself (never a bare "ja": "jeg har ikke længere brug for hjælp, ja").
_NO_LONGER = frozenset({("no", "longer"), ("ikke", "laengere")})
_NOT_CONSENTING = frozenset({("dont", "consent"), ("not", "consent")})
_CONSENT_WORDS = frozenset({"samtykke", "samtykket", "samtykker", "consent", "consenting"})
# Words that say the yes is given, or that speak of the right to take it back, not of taking it back now.
_NOT_TAKING_BACK = frozenset({
    "giver", "give", "giving", "gives", "senere", "later", "altid", "always", "anytime", "ikk", "wont", "didnt",
    "won't", "didn't",
})  # fmt: skip


def _no_longer_consents(words: Sequence[str]) -> bool:
    """ "I no longer consent", "jeg giver ikke længere samtykke", "jeg samtykker ikke længere", "I don't consent
    anymore": the consent word right after "no longer" / "ikke længere" or right before it, or "(do)n't consent
    anymore"; never the words apart ("I consent, I no longer need to think")."""
    for index, pair in enumerate(pairwise(words)):
        near = [*words[index + 2 : index + 4], *words[max(0, index - 1) : index]]
        if pair in _NO_LONGER and not _CONSENT_WORDS.isdisjoint(near):
            return True
        if pair in _NOT_CONSENTING and "anymore" in words[index + 2 : index + 4]:
            return True
    return False


# What the yes allowed, forbidden in the tenant's own words: "jeg vil ikke have at I læser mine beskeder mere", "I må
# ikke se mine svar", "jeg vil ikke dele mine oplysninger alligevel", "please dont read my messages anymore", "I do not
# want you to see my answers". A verb of reading, seeing or sharing, "mine"/"my" and what the tenant wrote, after a
# wish or a ban said so that only others can be the readers (never "jeg kan ikke se mine beskeder", "I don't see my
# messages": the tenant's own trouble; never "læs mine beskeder": asking someone TO read). Folded words, also as typed
# without æøå ("laeser", "laser", "ma").
_DA_SEE = r"(?:laese|lase|laeser|laser|se|ser|kigge|kigger|kigge paa|kigge i|dele|deler|bruge|bruger|faa|fa|faar|far)"
_DA_WHAT = r"(?:mine|min|mit) (?:beskeder|beskederne|besked|svar|svarene|oplysninger|oplysningerne|data|sms|smser)"
_DA_OTHERS = r"(?:i|du|nogen|radgiveren|raadgiveren|radgiverne|raadgiverne|en radgiver|en raadgiver|jer)"
_EN_SEE = r"(?:read|see|look at|view|share|access|use|pass on)"
_EN_WHAT = r"my (?:messages|message|answers|answer|replies|texts|information|info|details|data|chats|conversation)"
_EN_OTHERS = r"(?:you|anyone|anybody|someone|somebody|an adviser|the adviser|advisers|the advisers|people)"
_EN_LEAD = r"(?:please|pls|plz|and|but|so|now|ok|okay|no|sorry|hi|hello)"
_EN_BANNED = r"(?:may not|must not|mustnt|should not|shouldnt)"
_LONGER = r"(?: (?:mere|laengere|langere|alligevel|nu))?"
_MY = frozenset({"mine", "min", "mit", "my"})  # none of these: no reading forbidden (the common case, decided at once)
_NOT_READ = re.compile(
    "|".join(
        (
            # "jeg vil ikke have at I læser mine beskeder", "I må ikke se mine svar", "du skal ikke læse mine svar mere"
            rf"\bvil ikke (?:have|ha)(?: at)? {_DA_OTHERS}(?: skal)?{_LONGER} {_DA_SEE}{_LONGER} {_DA_WHAT}\b",
            rf"\b{_DA_OTHERS} (?:maa|ma|skal) ikke{_LONGER} {_DA_SEE}{_LONGER} {_DA_WHAT}\b",
            # "jeg vil ikke dele mine oplysninger alligevel", "læs ikke mine beskeder", "stop med at læse mine svar"
            rf"\bvil ikke{_LONGER} dele {_DA_WHAT}\b",
            rf"^(?:(?:og|men|nej|tak|venligst|hej) )*(?:laes|las|del) ikke{_LONGER} {_DA_WHAT}\b",
            rf"\b(?:lad vaere|lad vare|stop|hold op) med at {_DA_SEE} {_DA_WHAT}\b",
            # "please dont read my messages", "do not share my details": an imperative, opening the message or after
            # "please" (never "I don't see my messages")
            rf"^(?:{_EN_LEAD} )*(?:dont|do not|never) {_EN_SEE} {_EN_WHAT}\b",
            rf"\b(?:dont|do not|no longer) want {_EN_OTHERS} to {_EN_SEE} {_EN_WHAT}\b",
            rf"\b(?:dont|do not|no longer) want to share {_EN_WHAT}\b",
            rf"\b(?:you|advisers|the adviser|nobody|no one) {_EN_BANNED} {_EN_SEE} {_EN_WHAT}\b",
            rf"\b(?:you are|youre|you re) not allowed to {_EN_SEE} {_EN_WHAT}\b",
            rf"\bstop (?:reading|looking at|sharing|seeing|using) {_EN_WHAT}\b",
        )
    )
)


def _forbids_reading(words: Sequence[str]) -> bool:
    """Whether folded words forbid others to read, see or share what the tenant wrote (`_NOT_READ`)."""
    return _NOT_READ.search(" ".join(words)) is not None


def says_withdrawal(text: str) -> bool:
    """A message that takes back a consent in the tenant's own words: the yes or the consent right after a verb of
    revoking ("tilbagekald mit samtykke"), or between a verb of taking and "tilbage"/"back" ("træk mit ja tilbage",
    "take my yes back"), or right after "take back" ("I take back my yes"); or what the yes allowed forbidden ("I må
    ikke se mine svar", "please don't read my messages anymore": `_forbids_reading`). Never with a negation anywhere
    but that one ("jeg trækker ikke mit ja tilbage"), as a question ("kan jeg trække mit ja tilbage senere?"), about
    the right itself ("I know I can withdraw my consent anytime") or beside a consent given ("jeg giver samtykke, ring
    tilbage")."""
    words = [word.replace("'", "") for word in tokens(text)]
    if asks_something(text):
        return False
    return (not _MY.isdisjoint(words) and _forbids_reading(words)) or _takes_back(words)


def _takes_back(words: Sequence[str]) -> bool:
    """`says_withdrawal`'s reading of a verb of revoking or of taking back, with the yes or the consent, in folded
    words."""
    if _CONSENT_OBJECTS.isdisjoint(words):
        return False
    if _no_longer_consents(words):
        return True
    if not _NOT_TAKING_BACK.isdisjoint(words) or not _NEGATIONS.isdisjoint(words):
        return False
    for index, word in enumerate(words):
        if word in _REVOKE:
            # The yes right after the verb, or after "mit"/"my": "tilbagekald mit samtykke", "cancel my consent";
            # never "cancel it, yes".
            nxt = words[index + 1 : index + 3]
            if nxt and (nxt[0] in _CONSENT_OBJECTS or (nxt[0] in _MINE and nxt[1:] and nxt[1] in _CONSENT_OBJECTS)):
                return True
        if word not in _TAKE:
            continue
        rest = words[index + 1 : index + 6]
        back = next((at for at, w in enumerate(rest) if w in _BACK), None)
        if back is None:
            continue
        between, after = rest[:back], rest[back + 1 : back + 3]
        # "træk mit ja tilbage": only the yes (and "mit") between; "take back my yes": the yes right after.
        if between and not _CONSENT_OBJECTS.isdisjoint(between) and set(between) <= _CONSENT_OBJECTS | _MINE:
            return True
        if (
            not between
            and after
            and (after[0] in _CONSENT_OBJECTS or (after[0] in _MINE and after[1:2] and after[1] in _CONSENT_OBJECTS))
        ):
            return True
    return False


def looks_like_stop_wish(text: str) -> bool:
    """A message that seems to ask us to stop writing but is not the STOP keyword itself."""
    plain = normalize(text)
    if not plain or _is_opt_out_word(plain):
        return False
    if " " not in plain and len(plain) >= 3 and any(one_edit(plain, word) for word in _POLITE_STOP_WORDS):
        # "Stpo", "afmled", "stopo" typed in a hurry: the word that stops, never "we did not understand" (and no opt-out
        # on a guess: the hint says the word, and the open question waits).
        return True
    words = tokens(text)
    kept = negated_stops(words)
    if any(phrase in plain for phrase in _STOP_PHRASES):
        return not kept
    return any(word in _STOP_STEMS for index, word in enumerate(words) if index not in kept)


# A whole message of greetings ("hej", "hi there"): the tenant is saying hello, not answering.
_GREETINGS = frozenset({
    "hej", "hejsa", "hejhej", "hey", "heya", "hi", "hello", "hallo", "halloo", "goddag", "godmorgen", "god morgen",
    "davs", "dav", "hej med dig", "hi there", "hey there", "hej hej", "hej igen", "hi again", "hello again",
    "good morning",
    "salam", "salaam", "merhaba", "selam", "مرحبا", "السلام عليكم", "سلام",
})  # fmt: skip


def is_greeting(text: str) -> bool:
    """A message that only says hello ("Hej!", "hi there", "hej igen")."""
    return " ".join(tokens(text)) in _GREETINGS


# A whole message of thanks ("Tak for hjælpen!", "thank you so much"): words of thanks and what goes with them.
_THANKS = frozenset({"tak", "thanks", "thank", "thx", "ty", "takk", "tack", "شكرا", "tesekkurler"})
_WITH_THANKS = frozenset({
    "mange", "tusind", "for", "hjaelpen", "hjaelp", "det", "skal", "du", "i", "have", "jer", "dig", "igen", "alt",
    "snakken", "svaret", "beskeden", "you", "so", "very", "much", "a", "lot", "the", "help", "your", "again",
    "all", "hej", "hi", "mvh", "hilsen", "kh", "many", "ok", "okay", "fint", "great", "super", "dejligt",
})  # fmt: skip


# A whole message that only says "noted" ("ok", "Fint 👍", "modtaget", "got it"): words of that and what goes with
# them (a message of emoji only is read by `answers.emoji_reading`).
_NOTED = frozenset({
    "ok", "okay", "oki", "okej", "okey", "fint", "super", "modtaget", "perfekt", "godt", "forstaaet", "cool",
    "noted", "fine", "alright", "understood", "received", "got", "tamam",
})  # fmt: skip
_WITH_NOTED = frozenset({
    "it", "det", "er", "du", "jeg", "har", "so", "very", "all", "right", "good", "meget", "hej", "hi",
})  # fmt: skip


def looks_like_noted(text: str) -> bool:
    """A message that only says in words that it was read ("ok", "Fint 👍", "got it")."""
    words = tokens(text)
    return (
        bool(words)
        and any(word in _NOTED for word in words)
        and all(word in _NOTED or word in _WITH_NOTED for word in words)
    )


def asks_something(text: str) -> bool:
    """A message that is a question of the tenant's own ("Hvad betyder det?", "Hvornår skal jeg betale?"): it ends
    with a question mark (the Arabic one too), or its words alone ask it (`asks_in_words`: "hvad betyder det", typed on
    a basic phone without one)."""
    return text.rstrip(" \t\n!.").endswith(("?", "\u061f")) or asks_in_words(text)


# Words that open a question whatever follows ("hvad betyder det", "why do you write"). Not "when", which opens an
# answer as often ("when I get paid"): it asks only before a verb that asks ("when do I pay"). Nor "hvad med fredag",
# "what about friday", "how about the 15th": a day offered, not a question.
# "Hva" and "wat" as "hvad" and "what" are typed fast ("hva så", "hva betyder det", "wat now").
_QUESTION_WORDS = frozenset({
    "hvad", "hva", "hvorfor", "hvordan", "hvornaar", "hvornar", "hvem", "hvilken", "hvilket", "hvilke", "hvor",
    "what", "wat", "whats", "why", "how", "who", "whos", "which", "where",
})  # fmt: skip
_OFFERED = frozenset({"med", "about"})
_ASKING_VERBS = frozenset({
    "do", "does", "did", "is", "are", "am", "can", "could", "should", "must", "will", "would", "shall", "have", "has",
})  # fmt: skip


def asks_in_words(text: str) -> bool:
    """A message of one sentence that opens with a question word ("hvornår skal jeg betale", "hvad betyder det",
    "what happens now", "when do I pay"), greetings and fillers aside: a question without its question mark. A longer
    message ("Hvorfor skriver I? Jeg har mistet mit arbejde") tells something beside it, read as what it tells."""
    # "Hej, hvad betyder det": a greeting before it is no second sentence; "hvorfor skriver I, jeg har betalt" is one.
    parts = [part for part in re.split(r"[.!?;,:\n\u061f]+", text) if not set(tokens(part)) <= _WHO_FILLERS]
    if len(parts) != 1:
        return False
    words = [word.replace("'", "") for word in tokens(parts[0])]
    while words and words[0] in _WHO_FILLERS:
        words.pop(0)
    if len(words) < 2:
        return False  # "hvad", "hvornår": a word asked back is read elsewhere ("hvad?")
    first, second = words[0], words[1]
    if first == "when":
        return second in _ASKING_VERBS
    return first in _QUESTION_WORDS and second not in _OFFERED


def looks_like_thanks(text: str) -> bool:
    """A message that only says thank you ("Tak for hjælpen!", "Thanks a lot"), greetings and kind words aside."""
    words = tokens(text)
    return any(word in _THANKS for word in words) and all(word in _THANKS or word in _WITH_THANKS for word in words)


# "Hvem er du?": someone who does not know who writes, or why. Matched on the whole message once greetings
# and fillers at its ends are dropped, so a longer message that merely starts so is an ordinary answer.
_WHO_QUESTIONS = frozenset({
    "hvem er du", "hvem er i", "hvem er det", "hvem er dette", "hvem er det her", "hvem er det der skriver",
    "hvem er det som skriver", "hvem skriver", "hvem skriver du", "hvem skriver i", "hvem skriver det",
    "hvem skriver til mig", "hvem er afsender", "hvem er afsenderen", "hvem", "hvad er det her", "hvad er dette",
    "hvorfor skriver i", "hvorfor skriver i til mig", "hvorfor skriver du til mig", "hvem har sendt det",
    "who is this", "who's this", "whos this", "who is it", "who are you", "who r u", "who are u", "who is that",
    "who is writing", "who is texting me", "who sent this", "who", "what is this", "whats this", "what's this",
    "why are you texting me", "why are you writing to me",
    "hvad vil i", "hvad vil i mig", "hvad vil du", "hvad vil du mig", "hvad vil i have", "hvad drejer det sig om",
    "hvad er det for en besked", "hvad er det her for en besked", "er det fra boligselskabet", "hvem er i egentlig",
    "hvad er det her for noget", "hvad er det for noget", "hvad handler det om", "hvad handler det her om",
    "hvad drejer det her sig om", "hvad gaar det ud paa", "what is it about", "what is this for",
    "jeg kender jer ikke", "hvem er i jeg kender jer ikke", "kender jeg jer", "what do you want",
    "what do you want from me", "what is this about", "whats this about", "what's this about", "i dont know you",
    "do i know you",
    # Whether a person or a machine writes: answered with who writes, and when a person reads along.
    "hvem skriver jeg med", "hvem skriver jeg til", "hvem taler jeg med", "hvem snakker jeg med",
    "er det en robot", "er det en bot", "er det en chatbot", "er det en computer", "er det en maskine",
    "er du en robot", "er du en bot", "er i en robot", "er du et menneske", "er det et menneske",
    "er det en rigtig person", "er du en rigtig person", "er det en person", "er du en person", "er det automatisk",
    "er det en automatisk besked", "er det automatiske beskeder", "taler jeg med en robot", "skriver jeg med en robot",
    "snakker jeg med en robot", "taler jeg med et menneske", "skriver jeg med et menneske", "skriver jeg med en person",
    "er der et menneske der laeser det her", "er der et menneske der laser det her",
    "er der en person der laeser det her", "er der en person der laser det her", "er der nogen der laeser det her",
    "er der nogen der laser det her",
    "er der nogen der laeser med", "er der nogen der laser med", "laeser nogen det her", "laser nogen det her",
    "er der et menneske", "er der en person",
    "is this a real person", "is this a person", "is this a human", "is this a robot", "is this a bot",
    "is this automated", "is this automatic", "is it a robot", "is it a bot", "is it a person", "is it a real person",
    "are you a robot", "are you a bot", "are you human", "are you a human", "are you a person", "are you a real person",
    "am i talking to a robot", "am i talking to a bot", "am i talking to a person", "am i talking to a real person",
    "am i talking to a human", "am i writing to a robot", "am i writing to a person", "who am i talking to",
    "who am i writing to", "who am i texting", "is anyone reading this", "is someone reading this",
    "is a person reading this", "is there a person reading this", "is there a human reading this", "is there a person",
    "is there a human",
    # Arabic (unreviewed): "who are you", "who is this", "who is writing".
    "من انتم", "من انت", "مين انتم", "مين انت", "من هذا", "مين هذا", "من معي", "مين معي", "من يكتب",
})  # fmt: skip
_WHO_FILLERS = frozenset({
    "hej", "hey", "hi", "hello", "hallo", "halloo", "goddag", "undskyld", "sorry", "men", "but", "og", "and", "oh",
    "um", "lige", "egentlig", "please", "tak", "so", "altsaa",
})  # fmt: skip


# "Er det her svindel?", "is this a scam?", "who is this? is this legit?": a tenant who fears the message is a fraud.
# Told who writes (`commands._who`), with what keephome never asks for and how to check. A word of fraud says it in
# any sentence ("det er spam"); a word of being real only when asked ("er det ægte?", "is this real?"). Only such words
# and the few words a who-question or a scam question is made of may stand in the message: "jeg har betalt, er det
# her fup?" tells a payment, and the open question reads it.
_SCAM_WORDS = frozenset({
    "svindel", "svindler", "svindlere", "svindelforsog", "snyd", "fup", "fupnummer", "falsk", "falske", "spam",
    "scam", "scams", "scammer", "scammers", "scamming", "scammed", "fraud", "fraudulent", "fake", "phishing",
    "dolandiricilik", "dolandirici", "dolandiricilar", "sahte",
    "احتيال", "نصب", "مزيف", "مزيفة", "سبام",
})  # fmt: skip
_REAL_WORDS = frozenset({
    "legit", "legitimate", "real", "genuine", "rigtigt", "rigtig", "aegte", "gercek", "حقيقي", "حقيقية",
})  # fmt: skip
# "Er det ægte", "is it real", "هل هذا حقيقي", "gerçek mi": asked without a question mark.
_ASKED_REAL = frozenset({"er", "is", "are", "هل", "mi", "mu"})
_AROUND_SCAM = _WHO_FILLERS | frozenset({
    "er", "det", "her", "dette", "den", "denne", "der", "en", "et", "noget", "form", "for", "slags", "ikke", "eller",
    "hvem", "i", "du", "jer", "dig", "mig", "til", "fra", "virkelig", "seriost", "sandt", "nu", "saa", "jo", "vel",
    "mon", "besked", "beskeden", "beskeder", "beskederne", "sms", "smsen", "sms'en", "nummer", "nummeret", "hvad",
    "skriver", "sender", "jeg", "tror", "om", "ok", "okay", "helt",
    "is", "this", "a", "an", "it", "its", "that", "thats", "isnt", "not", "or", "who", "are", "you", "some", "kind",
    "of", "sort", "message", "messages", "text", "texts", "number", "from", "really", "seriously", "sure",
    "think", "me", "to", "what", "whats", "am", "being", "the", "just", "hey", "u", "r", "writing", "texting",
    "هل", "هذا", "هذه", "من", "انت", "انتم", "رسالة", "الرسالة", "ام", "أم", "او", "أو", "مرحبا",
    "bu", "mi", "mu", "bir", "mesaj", "mesaji", "ne", "kim", "kimsiniz", "siz", "sen", "merhaba", "yoksa",
    "gercekten", "numara",
})  # fmt: skip


def asks_if_scam(text: str) -> bool:
    """A short message that fears a scam: "er det her svindel?", "who is this? is this a scam?", "det er spam", "er det
    ægte?", "is this legit", "bu dolandırıcılık mı?", "هل هذا احتيال؟"; nothing else in it ("jeg har betalt, er det
    fup?" tells a payment)."""
    words = [word.replace("'", "") for word in tokens(text)]
    if not words or len(words) > 14:
        return False
    said = set(words)
    if not said <= _AROUND_SCAM | _SCAM_WORDS | _REAL_WORDS:
        return False
    if not said.isdisjoint(_SCAM_WORDS):
        return True
    asked = "?" in text or "\u061f" in text or not said.isdisjoint(_ASKED_REAL)
    return asked and not said.isdisjoint(_REAL_WORDS)


# "Hvem kan se det?", "who will read my answers?": a question of who sees what the tenant shares.
_WHO = frozenset({"hvem", "who"})
_SEES = frozenset({
    "se", "ser", "set", "laese", "laeser", "faa", "faar", "adgang", "see", "sees", "seen", "read", "reads", "access",
})  # fmt: skip


def asks_who_sees(text: str) -> bool:
    """A message that asks who sees or reads what the tenant shares ("hvem kan se det?", "who reads my answers"); one
    that begins with "hvem"/"who" asks it without a question mark too ("hvem kan se det", typed on a basic phone)."""
    listed = tokens(text)
    words = set(listed)
    asked = asks_something(text) or (bool(listed) and listed[0] in _WHO)
    return asked and not _WHO.isdisjoint(words) and not _SEES.isdisjoint(words)


# "Hvad gør I med mine oplysninger?", "what will you do with my info?": a question of what becomes of what the tenant
# shares. Asked at the consent question, it is that question's own matter: who sees what, and how to take it back.
_MY_DATA = frozenset({
    "oplysninger", "oplysningerne", "data", "info", "information", "informationer", "svar", "svarene", "beskeder",
    "beskederne", "navn", "nummer", "details", "answers", "messages", "name", "number",
})  # fmt: skip
_OF_MINE = frozenset({"mine", "min", "mit", "my"})


def asks_about_my_data(text: str) -> bool:
    """A question of what happens with the tenant's own information ("hvad gør I med mine oplysninger?", "hvad bruger I
    mine svar til", "what will you do with my info?", "what happens to my data"): a question, "mine"/"my" and what
    they share."""
    words = {word.replace("'", "") for word in tokens(text)}
    return asks_something(text) and not _OF_MINE.isdisjoint(words) and not _MY_DATA.isdisjoint(words)


# "Hvad er en rådgiver?", "who is the adviser?": a question of who the adviser is, before the tenant says yes to one.
_WHAT = frozenset({"hvad", "hvem", "what", "whats", "who", "whos"})
_ADVISER = frozenset({
    "raadgiver", "raadgiveren", "radgiver", "radgiveren", "okonomisk", "adviser", "advisor", "counselor", "counsellor",
})  # fmt: skip


def asks_what_adviser_is(text: str) -> bool:
    """A short message that asks who or what the adviser is ("hvad er en rådgiver?", "what is an adviser"): it begins
    with "hvad"/"hvem"/"what"/"who", greetings and fillers aside, and names the adviser."""
    words = [word.replace("'", "") for word in tokens(text) if word not in _WHO_FILLERS]
    return bool(words) and len(words) <= 7 and words[0] in _WHAT and not _ADVISER.isdisjoint(words)


# "Hvad skylder jeg?", "how much do I owe": the tenant asks for the amount, which keephome never writes in an SMS and
# holds no live figure of. Matched on the whole message, greetings and fillers at its ends aside.
_OWED_QUESTIONS = frozenset({
    "hvad skylder jeg", "hvor meget skylder jeg", "hvad skylder jeg jer", "hvor meget skylder jeg jer",
    "hvad skylder jeg i husleje", "hvor meget skylder jeg i husleje", "hvor meget mangler jeg", "hvad mangler jeg",
    "hvor meget mangler jeg at betale", "hvor meget skal jeg betale", "hvad skal jeg betale", "hvor stor er min gaeld",
    "hvad er min gaeld", "hvad er min saldo",
    "how much do i owe", "how much do i owe you", "what do i owe", "what do i owe you", "how much do i have to pay",
    "how much is my debt", "what is my debt", "what is my balance", "whats my balance", "how much is owed",
    # Asked in other words: the sum behind, what is left, whether anything is owed at all.
    "hvor meget er det jeg skylder", "hvad er det jeg skylder", "hvor meget er det", "hvor meget er restancen",
    "hvor meget er min restance", "hvad er min restance", "hvor stor er min restance", "hvor meget har jeg i restance",
    "hvor meget er jeg bagud", "hvor meget mangler der", "hvad mangler der", "hvor meget mangler der at betale",
    "skylder jeg noget", "skylder jeg jer noget", "skylder jeg penge", "hvad er beloebet", "hvad er belobet",
    "hvor stort er beloebet", "hvor stort er belobet",
    "how much is it", "how much is left", "how much is left to pay", "how much am i behind", "what is the amount",
    "what is the amount owed", "how much is outstanding", "what are my arrears", "how much are my arrears",
    "how much do i need to pay", "do i owe anything", "do i owe you anything", "do i owe money",
    # Turkish and Arabic (unreviewed, as those languages' texts are), folded as `normalize` folds them.
    "borcum ne kadar", "ne kadar borcum var", "ne kadar borcluyum", "borcum var mi", "kac para borcum var",
    "ne kadar odemem gerekiyor", "ne kadar odemeliyim", "كم علي", "كم علي من الايجار", "كم المبلغ", "كم يجب ان ادفع",
    "كم دين علي", "كم المبلغ المطلوب",
})  # fmt: skip


def _between_fillers(text: str) -> list[str]:
    """The message's words with greetings and fillers cut from both ends ("hej, hvem er du?" -> "hvem er du")."""
    words = [w for w in re.split(r"[\s,;.!?]+", normalize(text)) if w]
    while words and words[0] in _WHO_FILLERS:
        words.pop(0)
    while words and words[-1] in _WHO_FILLERS:
        words.pop()
    return words


# Words that add nothing to the question asked ("hvor meget skylder jeg egentlig", "how much do I still owe").
_ASKED_IN_PASSING = frozenset({
    "egentlig", "praecis", "stadig", "nu", "saa", "still", "exactly", "actually", "really", "now",
})  # fmt: skip
# Said at the end of it ("hvor meget skylder jeg i alt", "how much do I owe in total").
_ASKED_IN_ALL = (("i", "alt"), ("in", "total"), ("altogether",), ("total",), ("lige", "nu"), ("right", "now"))
# Typed fast: "hva" for "hvad", "skyldr" for "skylder".
_ASKED_AS_TYPED = {"hva": "hvad", "wat": "what", "whats": "what is", "u": "you"}


def _question_words(text: str) -> str:
    """A short question's words as meant, greetings, fillers and words said in passing aside ("hej, hva skylder jeg
    egentlig i alt?" -> "hvad skylder jeg")."""
    words = [w.replace("'", "") for w in _between_fillers(text)]
    words = " ".join(_ASKED_AS_TYPED.get(w, w) for w in words).split()
    words = [w for w in words if w not in _ASKED_IN_PASSING]
    for ending in _ASKED_IN_ALL:
        if len(words) > len(ending) and tuple(words[-len(ending) :]) == ending:
            words = words[: -len(ending)]
            break
    return " ".join("skylder" if w != "skyldes" and len(w) >= 5 and one_edit(w, "skylder") else w for w in words)


def asks_what_is_owed(text: str) -> bool:
    """A message that only asks how much the tenant owes ("hvad skylder jeg?", "hva skylder jeg", "how much do I owe
    in total"), greetings, fillers and words said in passing aside."""
    return _question_words(text) in _OWED_QUESTIONS


# "Koster det noget?", "er det gratis", "is it free", "does it cost anything": the tenant asks whether the help costs
# money. Matched on the whole message as `asks_what_is_owed` reads it; "det koster for meget" tells, and asks nothing.
_WHAT_COSTS = (
    r"(?:det|det her|den|dette|hjaelpen|raadgivningen|radgivningen|raadgiveren|radgiveren|det at \w+(?: \w+)?)"
)
_WHAT_COSTS_EN = r"(?:it|this|that|the (?:help|advice|adviser|advisor|service|call))"
_TO_DO = r"(?: (?:at|to) \w+(?: \w+){0,3})?"  # "… at tale med en rådgiver", "… to call"


def _cost_questions(what: str, what_en: str, paid_for: str) -> re.Pattern[str]:
    """Whether `what` costs anything, asked in Danish and English ("koster det noget", "is it free"); `paid_for`: what
    "skal jeg betale for" asks about ("den" there may be the rent)."""
    return re.compile(
        "|".join((
            rf"(?:(?:hvad|hvor meget) )?koster {what}(?: mig)?(?: noget| penge| ekstra)?{_TO_DO}",
            rf"er {what}(?: ikke)?(?: helt| ogsaa)? gratis{_TO_DO}",
            rf"skal jeg betale for {paid_for}",
            rf"(?:is|will) {what_en}(?: be)?(?: really| completely| totally)? free(?: of charge)?{_TO_DO}",
            rf"(?:does|will|would) {what_en} cost(?: me)?(?: anything| something| money| extra)?{_TO_DO}",
            rf"(?:how much|what) (?:does|will|would) {what_en} cost(?: me)?",
            rf"do i (?:have|need) to pay for (?:{what_en}|help|advice)",
            r"is there (?:a|any) (?:charge|fee|cost)",
        ))
    )  # fmt: skip


_COST_QUESTIONS = _cost_questions(
    _WHAT_COSTS,
    _WHAT_COSTS_EN,
    r"(?:det|hjaelpen|raadgivningen|radgivningen|raadgiveren|radgiveren|at \w+(?: \w+){0,3})",
)
# "Koster Telegram noget?", "er appen gratis", "is telegram free" and, where Telegram is offered, "koster det noget?":
# what the app costs. Not when help or an adviser is named ("koster det at tale med en rådgiver?").
_APP = r"(?:telegram|appen|det|det her|den|dette|det at \w+(?: \w+)?)"
_APP_EN = r"(?:telegram|it|this|that|the app|that app|this app)"
_APP_COST_QUESTIONS = _cost_questions(_APP, _APP_EN, r"(?:telegram|appen|det|at \w+(?: \w+){0,3})")
_HELP_NAMED = _ADVISER | frozenset({
    "hjaelp", "hjaelpen", "raadgivning", "raadgivningen", "radgivning", "radgivningen", "help", "advice", "service",
    "call", "ringe", "ring", "tale", "snakke", "talk", "speak",
})  # fmt: skip


def asks_about_cost(text: str) -> bool:
    """A message that only asks whether the help costs anything ("koster det noget", "er det gratis?", "is it free",
    "does it cost anything"), with or without its question mark, greetings and fillers aside."""
    return _COST_QUESTIONS.fullmatch(_question_words(text)) is not None


def asks_what_the_app_costs(text: str) -> bool:
    """A message that only asks whether Telegram costs anything, asked where it is offered ("koster telegram noget",
    "er det gratis?", "is it free", "how much does it cost"), greetings and fillers aside; not the adviser's help."""
    asked = _question_words(text)
    return _APP_COST_QUESTIONS.fullmatch(asked) is not None and _HELP_NAMED.isdisjoint(asked.split())


# "Hvor meget er det?", "how much is it?": how much "it" is, which the open question says. Asked whether an adviser may
# see the answers ("an adviser can help you"), it is what that help costs; at a question about the rent, it is the
# amount owed (`asks_what_is_owed` reads the same words so).
_HOW_MUCH_IS_IT = frozenset({
    "hvor meget er det", "hvor meget", "hvad er prisen", "hvor meget er prisen", "how much is it", "how much",
    "how much is that", "what is the price",
})  # fmt: skip


def asks_how_much_it_is(text: str) -> bool:
    """A message that only asks how much "it" is ("hvor meget er det?", "how much is it"), greetings, fillers and words
    said in passing aside: the open question says what "it" is."""
    return _question_words(text) in _HOW_MUCH_IS_IT


# "Har jeg betalt?", "er huslejen betalt", "have I paid?", "did you get my payment": whether a payment was made or has
# come, asked with the verb before who (a question with or without its mark, as Danish and English ask it), never a
# claim to have paid ("har betalt", "jeg har betalt?"). Read on one sentence, greetings and fillers aside.
_PAID = r"(?:betalt|indbetalt|overfort|paid|payed|transferred)"
_PAID_FOR = (
    r"(?:(?:mine|min|de|den|det|jeres|my|the|your) )?(?:penge|pengene|betaling|betalingen|betalinger|husleje|huslejen"
    r"|lejen|indbetaling|indbetalingen|overforsel|overforslen|beloeb|beloebet|belob|belobet|money|payment|payments"
    r"|rent|transfer)"
)
_IN_BETWEEN = r"(?:(?:ikke|allerede|egentlig|nu|saa|stadig|jo|not|already|actually|really|now|still|yet) ){0,2}"
# Danish asks whether it paid with "?": without it the verb first is a claim ("har jeg jo betalt", "har jeg indbetalt",
# "blev den betalt", "har jeg overført i går"), as it is with a word that tells ("har jeg jo betalt?", "har jeg betalt
# allerede?"). A day asked with "?" asks ("har jeg betalt i går?": the tenant is not sure it went).
_PAID_MADE_DA = "|".join((
    # "Har jeg betalt (huslejen)?", "er huslejen betalt?".
    rf"(?:har|havde) (?:jeg|vi) {_IN_BETWEEN}{_PAID}",
    rf"(?:er|blev) (?:det|den|{_PAID_FOR}) {_IN_BETWEEN}(?:blevet )?{_PAID}",
))  # fmt: skip
# Whether it came, asked of the landlord: "har I fået pengene", "er betalingen kommet?".
_PAID_COME_DA = "|".join((
    rf"(?:har|havde) (?:i|du) {_IN_BETWEEN}(?:faaet|modtaget|set) {_PAID_FOR}",
    rf"(?:er|blev) {_PAID_FOR} {_IN_BETWEEN}(?:kommet|modtaget|gaaet igennem|registreret)",
))  # fmt: skip
_PAID_ASKED_EN = "|".join((
    # Made: "have I paid", "did I pay", "is the rent paid".
    rf"(?:have|has|had)(?:nt)? (?:i|we|it|{_PAID_FOR}) {_IN_BETWEEN}(?:been )?{_PAID}",
    rf"did(?:nt)? (?:i|we) {_IN_BETWEEN}pay",
    rf"(?:is|was) (?:it|{_PAID_FOR}) {_IN_BETWEEN}{_PAID}",
    # Come: "did you get my payment", "has the money arrived".
    rf"(?:did|have|has) (?:you|u) {_IN_BETWEEN}(?:get|got|gotten|receive|received|see|seen) {_PAID_FOR}",
    rf"(?:has|have|is|did) {_PAID_FOR} {_IN_BETWEEN}(?:arrived|arrive|come|came|gone|go|been received|received)"
    r"(?: (?:in|through))?",
))  # fmt: skip
_PAID_MADE_QUESTIONS_DA = re.compile(rf"(?:{_PAID_MADE_DA})(?!\w)")
_PAID_COME_QUESTIONS_DA = re.compile(rf"(?:{_PAID_COME_DA})(?!\w)")
_PAID_QUESTIONS_EN = re.compile(rf"(?:{_PAID_ASKED_EN})(?!\w)")
# Words that tell rather than ask, in a Danish sentence with the verb first, with or without "?": "har jeg jo betalt",
# "har jeg allerede betalt", "har jeg da betalt".
_TOLD = re.compile(r"\b(?:jo|allerede|da|altsaa)\b")
# A day, which tells only without "?": "har jeg betalt i går", "har jeg betalt den 1", "er den betalt i fredags".
_TOLD_DAY = re.compile(
    r"\b(?:igaar|idag|iforgaars|i (?:gaar|dag|forgaars|morges|fredags|torsdags|onsdags|tirsdags|mandags|lordags"
    r"|sondags|sidste uge)|den \d+|d \d+)\b"
)
# English asks with the verb first, "not" or no "not" ("have I paid", "haven't I paid?"); with "not" and "already" it
# tells, asked only for effect: "have I not already paid", "haven't I already paid?", "didn't I already pay", "didn't I
# pay the rent already".
_TOLD_EN = re.compile(
    r"^(?:(?:have|has|had|did)nt \w+|(?:have|has|had|did) \w+ not|(?:have|has|had|did) not \w+)"
    r"(?: \w+){0,3} already\b"
)
# What may follow such a question in its sentence: what or when it was for ("har jeg betalt huslejen for december?",
# "have I paid this month"), never a second clause ("har jeg betalt? jeg har overført i går" tells it).
_PAID_ASKED_AFTER = re.compile(r"(?: \w+){0,4}")


def asks_whether_paid(text: str) -> bool:
    """A message of one sentence that asks whether the tenant has paid or the money has come ("har jeg betalt?", "er
    huslejen betalt?", "have I paid?", "har jeg betalt i går?"): a question, never a claim ("har jeg jo betalt", "har
    jeg betalt i går", "har jeg indbetalt", "haven't I already paid?")."""
    parts = [part for part in re.split(r"[.!?;\n\u061f]+", text) if tokens(part)]
    if len(parts) != 1:
        return False
    words = _between_fillers(parts[0])
    plain = " ".join(words).replace("'", "")
    found = None if _TOLD_EN.match(plain) else _PAID_QUESTIONS_EN.match(plain)
    if found is None and _TOLD.search(plain) is None and ("?" in text or _TOLD_DAY.search(plain) is None):
        found = _PAID_COME_QUESTIONS_DA.match(plain)
        if found is None and "?" in text:
            found = _PAID_MADE_QUESTIONS_DA.match(plain)
    return found is not None and _PAID_ASKED_AFTER.fullmatch(plain[found.end() :]) is not None


def looks_like_who_question(text: str) -> bool:
    """A message that asks who is writing ("hvem er du?", "who is this?"), greetings and fillers aside."""
    words = _between_fillers(text)
    return bool(words) and " ".join(words) in _WHO_QUESTIONS


# "Forstår ikke", "jeg forstår det ikke", "I don't understand": the tenant cannot read what we wrote. Only these words
# around the verb, so that "jeg forstår ikke hvad I mener med det" (a question of their own, told) stays theirs.
_UNDERSTAND = frozenset({"forstaar", "forstar", "forstod", "fatter", "understand", "understood", "get"})
_NOT_UNDERSTOOD = frozenset({"ikke", "ik", "ikk", "not", "dont", "cant", "cannot", "doesnt", "didnt", "no"})
_NOT_UNDERSTOOD_AROUND = frozenset({
    "jeg", "det", "du", "hvad", "i", "you", "it", "this", "that", "what", "sorry", "undskyld", "beklager", "helt",
    "slet", "rigtig", "rigtigt", "really", "at", "all", "do", "does", "did", "can", "kan", "dansk", "danish", "english",
    "engelsk", "sproget", "language", "beskeden", "beskederne", "besked", "message", "messages", "the", "hej", "hi",
    "hello", "please", "venligst",
})  # fmt: skip


def says_not_understood(text: str) -> bool:
    """A short message that says only that the tenant does not understand ("forstår ikke", "jeg forstår ikke dansk",
    "I don't understand", "I do not understand the message"), nothing else."""
    words = [re.sub(r"['’`´]", "", word) for word in tokens(text)]
    if not words or len(words) > 8 or _UNDERSTAND.isdisjoint(words) or _NOT_UNDERSTOOD.isdisjoint(words):
        return False
    if "get" in words and not {"dont", "not"} & set(words):
        return False
    return set(words) <= _UNDERSTAND | _NOT_UNDERSTOOD | _NOT_UNDERSTOOD_AROUND
