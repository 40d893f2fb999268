"""The SMS rules, in one place: what an SMS may not carry, and what it costs.

Datatilsynet: SMS is for reminders and short service messages; amounts, debt and eviction wording, CPR
numbers stay out of it. `keephome check` applies these rules to every rendered SMS text, and the console
warns an adviser before a reply that breaks them goes out by SMS.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable

__all__ = [
    "ALLOWED_WORDS",
    "FORBIDDEN_PHRASES",
    "FORBIDDEN_STEMS",
    "WESTERN_DIGITS",
    "amount_like",
    "costly_marks",
    "forbidden_words_in",
    "gsm_spelling",
    "plain_punctuation",
    "sms_overflow",
    "sms_segments",
]

# Stems of debt and eviction words, caught inside compounds and inflections ("huslejerestance", "fogedretten",
# "ophævet", "gælden"); the words of KEEPHOME_FORBIDDEN_SMS_WORDS are stems too. They always apply.
FORBIDDEN_STEMS = (
    "gæld", "restance", "restans", "rykker", "inkasso", "skyld", "foged", "fogd", "udsæt", "udsat", "ophæv", "opsig",
    "opsagt", "påkrav", "misligehold", "cpr", "personnummer", "udkastelse",
    "debt", "arrear", "evict", "bailiff", "court", "terminat", "collection agenc",
    # Turkish and Arabic (unreviewed, like those languages' texts): debt, in debt ("borçlu", "borcunuz"), overdue,
    # eviction, enforcement, seizure, court, debts (inside "مديون", "مديونية": indebted), arrears; "borc" and
    # "gecikmis" as GSM-7 spells them. Not the Arabic "دين" (a debt) as a stem: it is inside "مدينة" (a city) and
    # "لدينا" (we have); it is a phrase below.
    "borç", "borc", "gecikmiş", "gecikmis", "tahliye", "icra", "haciz", "mahkeme",
    "ديون", "إخلاء", "محكمة", "متأخرات",
)  # fmt: skip
# Phrases and short words that are forbidden only as they stand ("owe" is inside "power"); among them the everyday
# ways of saying the rent is behind, which name no debt word ("du er bagud med huslejen", "vi har ikke modtaget din
# husleje", "you are behind on rent"), and of the home at stake ("du kan miste din bolig").
FORBIDDEN_PHRASES = (
    "sat ud", "sætte ud", "sættes ud", "smidt ud", "smide ud", "owe", "owes", "owed", "owing",
    "bagud", "bagude", "ikke betalt", "mangler at betale", "mangler betaling", "mangler din husleje",
    "ikke modtaget din husleje", "ikke modtaget huslejen", "ikke fået din husleje", "ikke fået huslejen",
    "miste din bolig", "miste boligen", "miste din lejlighed", "miste lejligheden", "miste dit hjem",
    "behind on", "behind with", "fallen behind", "not paid", "unpaid", "overdue", "not received your rent",
    "lose your home", "lose your flat", "lose your apartment", "retsmøde", "retsmødet", "retssag", "retssagen",
    "venter på din betaling", "venter stadig på din betaling", "venter på din indbetaling",
    "venter stadig på din indbetaling", "venter på huslejen", "waiting for your payment", "waiting for your rent",
    "end the lease", "end your lease", "end the tenancy", "end your tenancy", "lose the lease", "lose your lease",
    # Arabic (unreviewed): a debt, your debt, the debt, a debtor ("عليك دين", "أنت مدين"; "مدينة" is a city).
    "دين", "دينك", "الدين", "مدين",
)  # fmt: skip
# Two words that say it together, wherever they stand in the text: the rent or a payment, and that it is missing or
# late ("huslejen for december mangler", "vi mangler stadig din indbetaling", "your rent is late"); the home, and that
# it is at risk ("din lejlighed er i fare", "your home is at risk").
_TOGETHER = (
    (("husleje", "indbetaling", "betaling", "rent", "payment"),
     ("mangler", "mangle", "manglende", "forsinket", "forsinkede", "missing", "late", "outstanding")),
    (("bolig", "lejlighed", "hjem", "home", "flat", "apartment", "tenancy"), ("fare", "risk", "danger")),
    # The lease and that it is ended ("vi hæver lejemålet"): "hæve" alone is taking out money.
    (("lejemål", "lejekontrakt", "lejeaftale"), ("hæve", "hæver", "hæves", "hævet", "hævede")),
)  # fmt: skip
# Danish letters as a keyboard without them writes them ("gaeld", "lejemaalet", "saette ud"): a text and every stem,
# phrase and word above are compared in this spelling, so "din huslejegaeld" is caught as "huslejegæld" is.
_DANISH_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})
# Arabic as it is typed with or without hamza and vowel marks ("متأخرات", "متاخرات", "دَين"): the marks and the
# stretching tatweel go (a mark is no word character, so "دَين" would be read as two words), and alef with a hamza
# or madda is a bare alef; the dot a lowered Turkish "İ" keeps ("İCRA" as "i̇cra") goes too.
_UNMARKED = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "\u0640": None, "\u0307": None}
    | dict.fromkeys(map(chr, [*range(0x064B, 0x0660), 0x0670]))
)


def _folded(text: str) -> str:
    return text.lower().translate(_DANISH_LETTERS).translate(_UNMARKED)


# Each phrase as it stands (no word character either side), compiled once: every SMS sent and every text a check
# renders is matched against all of them.
_PHRASES_FOLDED = tuple(
    (phrase, _folded(phrase), re.compile(rf"(?<!\w){re.escape(_folded(phrase))}(?!\w)")) for phrase in FORBIDDEN_PHRASES
)
# Folded once: every SMS sent is checked against them.
_STEMS_FOLDED = {_folded(stem): stem for stem in FORBIDDEN_STEMS}
_TOGETHER_FOLDED = tuple((tuple(map(_folded, subjects)), tuple(map(_folded, states))) for subjects, states in _TOGETHER)
# Words that contain a stem but say something else: "gælder" (applies), "undskyld" (sorry), "courtesy".
ALLOWED_WORDS = re.compile(
    r"g(?:æ|ae)lde|g(?:æ|ae)lder|g(?:æ|ae)ldende|g(?:æ|ae)ldt|gjaldt|undskyld\w*|skyldes|courtes\w*|courteous\w*",
)

# "2.500 kr", "kr. 300", "1 200,50 kr", "300,-", "7.100,50", "500 euro", "€500", "6k", "seks tusind kroner", "six
# thousand crowns": an amount of money however it is written.
_AMOUNT = re.compile(
    r"\d[\d.,\s]*\s*(?:kr\b|kr\.|dkk\b|kroner\b|krone\b|crowns?\b|eur\b|euros?\b|€|,-"
    # Kroner, euro and lira in Turkish and Arabic (unreviewed): "300 kron", "٣٠٠ كرونة".
    r"|kuron\b|kron\b|avro\b|lira\b|tl\b|كرون[ةهاتي]*|يورو|ليرة)"
    r"|(?:\bkr\.?|\bdkk|\beur|\beuro|€|\$)\s*\d"
    r"|\b\d{1,3}(?:[.\s]\d{3})+,\d{1,2}\b"
    r"|\b\d+(?:[.,]\d+)?k\b(?!-)"
    r"|\b(?:hundrede|hundred|tusind|tusinde|thousand|million|millioner|millions)\s+"
    r"(?:kr\b|kr\.|kroner\b|krone\b|crowns?\b|dkk\b|euros?\b)",
    re.IGNORECASE,
)
# What a person may type as an amount without any unit ("4500", "2.500"); the texts' own phone numbers and
# codes are not written like that, so only a person's reply is checked for it.
_BARE_AMOUNT = re.compile(r"(?<![+\d])\b\d{1,3}(?:\.\d{3})+\b|(?<![+\d])\b\d{4,5}\b(?!\d)")

_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = frozenset("^{}\\[~]|€\f")
# Each typographic mark as GSM-7 writes it: what a phone's keyboard or a word processor puts in a person's text.
_PLAIN = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-", "…": "..."})
_TYPOGRAPHIC = frozenset(map(chr, _PLAIN))


# The year of a date ("3. dec. 2026", "3/12 2026", "december 2026", "2026-12-14"): a year, not an amount without
# its unit.
_MONTH = r"(?:jan|feb|mar|apr|maj|may|jun|jul|aug|sep|okt|oct|nov|dec)[a-z]*"
_YEAR_OF_A_DATE = re.compile(
    rf"(?:\b\d{{1,2}}\s*[./-]\s*\d{{1,2}}\s*[./-]?\s*|\b{_MONTH}\.?\s+)20\d{{2}}\b"
    r"|\b20\d{2}(?=-\d{1,2}-\d{1,2}\b)",  # "2026-12-14", as a calendar writes it
    re.IGNORECASE,
)


# Arabic-Indic and Eastern Arabic-Indic digits ("٤٥٠٠", "۴۵۰۰") as the digits, and the Arabic thousands and decimal
# separators ("٤٬٥٠٠٫٥٠") as the Danish ones ("4.500,50"): an amount written so is an amount.
WESTERN_DIGITS = str.maketrans(
    {chr(0x0660 + n): str(n) for n in range(10)} | {chr(0x06F0 + n): str(n) for n in range(10)} | {"٬": ".", "٫": ","}
)


def amount_like(text: str, *, bare_numbers: bool = False) -> bool:
    """Whether the text carries an amount; with `bare_numbers`, also a number that may be one ("4500"), though not
    the year of a date ("inden 3. dec. 2026"). Arabic digits count as the digits (`WESTERN_DIGITS`)."""
    text = text.translate(WESTERN_DIGITS)
    if _AMOUNT.search(text):
        return True
    return bare_numbers and bool(_BARE_AMOUNT.search(_YEAR_OF_A_DATE.sub(" ", text)))


def forbidden_words_in(text: str, words: Iterable[str] = ()) -> list[str]:
    """The debt and eviction stems (FORBIDDEN_STEMS and `words`) found in the text's words, inside
    compounds and inflections too, and FORBIDDEN_PHRASES as they stand; sorted. ALLOWED_WORDS never count. Danish
    letters written without them ("gaeld", "lejemaal") count as the letters."""
    lowered = _folded(text)
    stems = {**_STEMS_FOLDED, **{_folded(w.strip()): w.strip().lower() for w in words if w.strip()}}
    found = {
        stems[stem]
        for word in re.findall(r"\w+", lowered)
        if not ALLOWED_WORDS.fullmatch(word)
        for stem in stems
        if stem in word and " " not in stem
    }
    spaced = " ".join(re.findall(r"\w+", lowered))
    found |= {stems[stem] for stem in stems if " " in stem and re.search(rf"(?<!\w){re.escape(stem)}(?!\w)", spaced)}
    found |= {phrase for phrase, folded, pattern in _PHRASES_FOLDED if folded in spaced and pattern.search(spaced)}
    # Named as the text spells them: the adviser reads their own words back.
    as_written = {_folded(word): word for word in re.findall(r"\w+", text.lower())}
    in_order = sorted(as_written)
    for subjects, states in _TOGETHER_FOLDED:
        subject = next((as_written[w] for w in in_order if w.startswith(subjects)), None)
        state = next((as_written[w] for w in states if w in as_written), None)
        if subject is not None and state is not None:
            found.add(f"{subject} … {state}")
    return sorted(found)


def plain_punctuation(text: str) -> str:
    """The text with typographic quotes, dashes and the ellipsis in plain GSM-7 characters: one "’" in an adviser's
    reply or an appointment's place would make the whole SMS UCS-2 (70 characters a segment instead of 160)."""
    return text.translate(_PLAIN) if not _TYPOGRAPHIC.isdisjoint(text) else text


# What one part holds alone, and each part of a longer text (the rest carries the header that joins them): GSM-7
# septets, UCS-2 code units.
_PART = {"GSM-7": (160, 153), "UCS-2": (70, 67)}


def _encoded(text: str) -> tuple[str, int]:
    """The encoding Twilio would use for a text and its length in that encoding's units."""
    if all(c in _GSM_BASIC or c in _GSM_EXTENSION for c in text):
        return "GSM-7", sum(2 if c in _GSM_EXTENSION else 1 for c in text)
    return "UCS-2", len(text.encode("utf-16-le")) // 2


def sms_segments(text: str) -> tuple[str, int]:
    """The encoding (GSM-7 or UCS-2) and segment count Twilio would use for a text."""
    encoding, units = _encoded(text)
    alone, each = _PART[encoding]
    return encoding, 1 if units <= alone else math.ceil(units / each)


def sms_overflow(text: str, segments: int) -> int:
    """How many characters the text is longer than `segments` parts hold (GSM-7 septets or UCS-2 units, in the
    encoding the text takes); 0 when it fits."""
    encoding, units = _encoded(text)
    alone, each = _PART[encoding]
    return max(0, units - (alone if segments == 1 else each * segments))


def costly_marks(text: str) -> list[str]:
    """The marks outside GSM-7 that alone make a text UCS-2 (a "»", a non-breaking space, an emoji): empty when the text
    is GSM-7, or when a letter of it is not (a text in Arabic script is UCS-2 whatever its marks)."""
    outside = [c for c in dict.fromkeys(text) if c not in _GSM_BASIC and c not in _GSM_EXTENSION]
    if any(unicodedata.category(c)[0] in "LM" for c in outside):
        return []
    return outside


# Letters without a decomposition to a base letter that GSM-7 has.
_BASE_LETTERS = {"ı": "i", "İ": "I", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ħ": "h", "ŋ": "n", "œ": "oe", "Œ": "OE"}


def gsm_spelling(name: str) -> str:
    """A name as GSM-7 carries it: a letter outside it by its base letter ("Ayşe" as "Ayse", "Zoë" as "Zoe"), so one
    letter does not turn the whole SMS into UCS-2 (70 characters a segment, the reminder three parts instead of one);
    the name as written when a letter has no such base (a name in Arabic script: that SMS is UCS-2 anyway)."""
    if all(c in _GSM_BASIC for c in name):
        return name
    spelled = []
    for c in name:
        if c in _GSM_BASIC:
            spelled.append(c)
            continue
        base = _BASE_LETTERS.get(c) or "".join(
            b for b in unicodedata.normalize("NFKD", c) if not unicodedata.combining(b)
        )
        if not base or not all(b in _GSM_BASIC for b in base):
            return name
        spelled.append(base)
    return "".join(spelled)
