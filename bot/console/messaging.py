"""Sending to a tenant from the console: the channel they can be reached on, and the SMS rule check."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.host.cases import tell_tenant
from bot.i18n import gettext as _
from bot.i18n import local_day
from bot.outbox.enqueue import queued
from bot.outbox.route import asks_on_telegram
from bot.outbox.sms_rules import WESTERN_DIGITS, amount_like, forbidden_words_in
from conversations.answers import dates_named, fixed_dates_named
from conversations.text import normalize

__all__ = ["place_fits_sms", "send_to_tenant", "sms_warnings", "telegram_open"]


def telegram_open(tenant: Any) -> bool:
    """Whether the tenant can be asked something on Telegram now (`bot.outbox.route.asks_on_telegram`)."""
    return asks_on_telegram(tenant.status, tenant.telegram_chat_id, bool(tenant.telegram_blocked))


def sms_warnings(
    text: str, forbidden_words: Sequence[str], *, legal_dates: Collection[date] = (), today: date | None = None
) -> list[str]:
    """Why this text should not go out by SMS (an amount, debt words, one of the tenant's `legal_dates` from
    `scheduler.urgency.legal_dates`, read as on `today`), in the reader's language; empty when it may."""
    reasons: list[str] = []
    if amount_like(text, bare_numbers=True):
        reasons.append(_("it looks like it contains an amount"))
    words = forbidden_words_in(text, forbidden_words)
    if words:
        reasons.append(_("it contains words about debt or eviction: %(words)s") % {"words": ", ".join(words)})
    for day in sorted(legal_dates):
        named = _naming(text, day, today)
        if named is not None:
            reasons.append(
                _(
                    '"%(words)s" is %(day)s, a date of the tenant\'s rent case: '
                    "refer to the letter they received instead"
                )
                % {"words": named, "day": local_day(day)}
            )
    return reasons


# How far before a legal date a text is read from to find it: a day of the month alone ("den 21.", "d. 21", "mandag
# den 21.") names the 21st of whichever month the reader has in mind, so it is read in the weeks before each date.
# Both readings are well within a month, so a day of the month names the date from both, as a whole date ("21/12",
# "den 3. december" three days after a termination that day) does; a weekday, "i morgen" or "om en uge" counts
# from where it is read, so it names a different day from each and is no match here (as on `today` it is read).
_READ_BEFORE = (timedelta(days=20), timedelta(days=10))
# A number with a point after it is an ordinal as Danish writes it: "mandag 21.", "vi ses 21. kl 10" name a day of the
# month, though a longer text's reading leaves a number without "den" or "d." alone. Here it counts as "den 21." would.
_ORDINAL_POINT = re.compile(r"(?<![\w.,/-])(\d{1,2})\.(?![\w.,/-])")
# Words after which such a number is a time or a place, not a day: "kl 21.", "lokale 21.", "nr. 12.".
_NOT_A_DAY_AFTER = frozenset({
    "kl", "klokken", "lokale", "nr", "nummer", "sal", "rum", "værelse", "opgang", "side", "bus", "at", "room", "no",
    "floor",
})  # fmt: skip


def _as_day(text: str, found: re.Match[str]) -> str:
    """A number with a point after it as "den N.", unless the word before it makes it a time or a place."""
    before = text[: found.start()].rstrip().rstrip(".").rsplit(maxsplit=1)
    if before and before[-1].casefold() in _NOT_A_DAY_AFTER:
        return found.group(0)
    return f"den {found.group(1)}."


def _naming(text: str, day: date, today: date | None) -> str | None:
    """The words of `text` that name `day` as the tenant would read it, or None when it names no such date. A day of
    the month or a whole date names it however the text goes on; a day counted from today ("i morgen", "mandag",
    "om 3 dage") only beside a word of paying or of a deadline: "jeg ringer dig op i morgen" tells no legal date,
    "betal senest i morgen" does."""
    words = _read_as_days(text, day)
    early, late = _READ_BEFORE

    def fixed(reading: str) -> bool:
        return day in fixed_dates_named(reading, day - early, day - late)

    def counted(reading: str) -> bool:
        return today is not None and day in dates_named(reading, today)

    whole = " ".join(read for _word, read in words)
    if fixed(whole):
        return _words_naming(words, fixed)
    if counted(whole) and _TIED_TO_PAYING.search(_TIME_OF_DAY_LIMIT.sub(" ", text.casefold())):
        return _words_naming(words, counted)
    return None


# Words that make a day a day to pay by ("betal", "fristen", "senest", "inden", "huslejen", "pay", "due", "before").
# A day counted from today beside one of them is a deadline told to the tenant; beside none, a call or a meeting.
_TIED_TO_PAYING = re.compile(
    r"(?<!\w)(?:betal|indbetal|overfør|overfoer|frist|deadline|senest|inden|indtil|før|foer|husleje|pay|paid|due\b|"
    r"before|until|latest|rent\b"
    # Turkish (unreviewed): pay ("öde", "ödeyin", "ödeme"; "odeyin" typed without "ö"), until, before, the last day,
    # the rent as it is inflected ("kiranızı", "kirayı"; "Kira" alone is a name too).
    r"|öde|ode(?:yin|yiniz|me|yebil|rsen|rsiniz)|kadar\b|önce\b|son\s+g[üu]n|son\s+tarih|kira[nysl]"
    # Arabic (unreviewed): before, until ("وقبل", "حتى"), the last date, the rent. Not "موعد" alone: that is an
    # appointment ("موعدنا غدا", see you tomorrow), as "vi ses i morgen" is.
    r"|[وف]?قبل(?!\w)|[وف]?حت[ىي](?!\w)|(?:[اآ]خر\s+)?موعد\s+(?:نهائي|الدفع)|ال?موعد\s+النهائي|[اآ]خر\s+موعد)"
    # Arabic: to pay or settle, with whatever is joined before it ("ادفعي", "تدفع", "بالدفع", "تسديد"), the rent.
    r"|دفع|سدد|سداد|تسديد|[اإ]يجار"
)
# "før kl 12", "inden frokost", "before 10:00": a time of the day a call or a meeting keeps to, not a deadline of the
# rent case: such words tie no day to paying ("jeg ringer i morgen, før kl 12" goes; "betal i morgen før kl 12" not).
_TIME_OF_DAY_LIMIT = re.compile(
    r"(?<!\w)(?:senest|inden|indtil|før|foer|before|until|by)\s+"
    r"(?:(?:kl\.?|klokken)\s*\d{1,2}(?:[.:]\d{2})?|\d{1,2}:\d{2}|\d{1,2}\s*(?:am|pm)\b|middag|frokost|"
    r"noon\b|lunch(?:time)?\b)"
    # Turkish and Arabic (unreviewed): "saat 12'ye kadar", "öğlene kadar", "قبل الساعة ١٢".
    r"|(?<!\w)(?:saat\s*\d{1,2}(?:[.:]\d{2})?|öğle\w*|ogle\w*)(?:['’]?\w+)?\s+(?:kadar|önce)\b"
    r"|(?:قبل|حت[ىي])\s+(?:ال)?سا?عة\s*\d{1,2}"
)
# Short words that belong to the day they stand before ("i morgen", "om 3 dage", "på mandag", "den 21."): shown with it.
_BEFORE_A_DAY = frozenset({"i", "om", "på", "den", "d.", "næste", "on", "in", "next", "يوم", "في"})

# Months, weekdays and "tomorrow" in Arabic and Turkish (unreviewed, like those languages' texts) as the Danish words
# the date reading knows, so "١٠ ديسمبر" and "10 Aralık'a" name a date as "10. december" does. Keys as `normalize`
# writes them: no hamza or vowel marks, "ı" and "ş" as "i" and "s".
_FOREIGN_DAY_WORDS = {
    normalize(word): danish
    for danish, words in {
        "januar": ("يناير", "ocak", "ocağ"),
        "februar": ("فبراير", "شباط", "şubat"),
        "marts": ("مارس", "آذار", "mart"),
        "april": ("أبريل", "إبريل", "نيسان", "nisan"),
        "maj": ("مايو", "أيار", "mayıs"),
        "juni": ("يونيو", "يونيه", "حزيران", "haziran"),
        "juli": ("يوليو", "يوليه", "تموز", "temmuz"),
        "august": ("أغسطس", "ağustos"),
        "september": ("سبتمبر", "أيلول", "eylül"),
        "oktober": ("أكتوبر", "ekim"),
        "november": ("نوفمبر", "kasım"),
        "december": ("ديسمبر", "aralık", "aralığ"),
        "i morgen": ("غدا", "بكرة", "بكره", "بكرا", "yarın"),
        "mandag": ("الإثنين", "الاثنين", "pazartesi"),
        "tirsdag": ("الثلاثاء", "salı"),
        "onsdag": ("الأربعاء", "çarşamba"),
        "torsdag": ("الخميس", "perşembe"),
        "fredag": ("الجمعة", "الجمعه", "cuma"),
        "lørdag": ("السبت", "cumartesi"),
        "søndag": ("الأحد", "pazar"),
    }.items()
    for word in words
}  # fmt: skip
# The Levantine months that are two words, "كانون الأول" (December) and "كانون الثاني" (January), "تشرين الأول"
# (October) and "تشرين الثاني" (November): by the word after; alone, either of the two.
_LEVANTINE_PAIRS = {normalize("كانون"): ("december", "januar"), normalize("تشرين"): ("oktober", "november")}
_FIRST, _SECOND = frozenset({normalize("الأول"), "اول"}), frozenset({normalize("الثاني"), "الثانى", "ثاني"})
_MONTH_NUMBER = {"januar": 1, "oktober": 10, "november": 11, "december": 12}
# "آب" (August) only with its madda: without it, "أب" is a father.
_AUGUST = "آب"
# Turkish endings on a month or a weekday written without an apostrophe ("Aralıkta", "Ekimden", "cumaya", "Aralığa",
# "yarına"). Not a bare vowel or "-in" after any month: "Marta" and "Martin" are names.
_TURKISH_ENDING = re.compile(r"(\w+?)(?:[dt][ae]n?|y[ae])|(ocag|aralig|yarin)[ae]")
# A word's punctuation before and after it ("ديسمبر،", "(Aralık'a)"), kept around the word as read.
_EDGES = re.compile(r"(\W*)(.*?)(\W*)")
# A day of the month with a Turkish ending after an apostrophe ("10'una", "10'a"): the day.
_TURKISH_DAY = re.compile(r"(\d{1,2})['’]\w+")


def _foreign_day_word(word: str, following: str, day: date) -> str | None:
    """An Arabic or Turkish month, weekday, "tomorrow" or suffixed day of the month as the Danish words that say it,
    with the punctuation around it; None for any other word. A Levantine month alone reads as whichever of its two
    months `day` is in."""
    edges = _EDGES.fullmatch(word)
    lead, core, trail = edges.groups() if edges else ("", word, "")
    suffixed = _TURKISH_DAY.fullmatch(core)
    if suffixed:
        return f"{lead}{suffixed.group(1)}{trail}"
    if core.replace("\u0640", "") == _AUGUST:
        return f"{lead}august{trail}"
    plain = re.split(r"['’]", normalize(core))[0]
    if plain in _LEVANTINE_PAIRS:
        first, second = _LEVANTINE_PAIRS[plain]
        after = normalize(following)
        either = second if after in _SECOND or (after not in _FIRST and day.month == _MONTH_NUMBER[second]) else first
        return f"{lead}{either}{trail}"
    ending = _TURKISH_ENDING.fullmatch(plain)
    read = _FOREIGN_DAY_WORDS.get(plain) or (ending and _FOREIGN_DAY_WORDS.get(ending.group(1) or ending.group(2)))
    return f"{lead}{read}{trail}" if read else None


def _read_as_days(text: str, day: date) -> list[tuple[str, str]]:
    """Each word of `text` as written and as read: a number with a point after it as "den N." (`_as_day`), Arabic
    digits as the digits, an Arabic or Turkish month or weekday as the Danish one (`_foreign_day_word`)."""
    plain = text.translate(WESTERN_DIGITS)  # one character for one: the words stand where they stood
    found_words = list(re.finditer(r"\S+", plain))
    words = []
    for n, word in enumerate(found_words):
        following = found_words[n + 1].group(0) if n + 1 < len(found_words) else ""
        foreign = _foreign_day_word(word.group(0), following, day)
        if foreign is not None:
            words.append((text[word.start() : word.end()], foreign))
            continue
        read, at = [], word.start()
        for found in _ORDINAL_POINT.finditer(plain, word.start(), word.end()):
            read += [plain[at : found.start()], _as_day(plain, found)]
            at = found.end()
        words.append((text[word.start() : word.end()], "".join([*read, plain[at : word.end()]])))
    return words


def _words_naming(words: Sequence[tuple[str, str]], names: Callable[[str], bool]) -> str:
    """The first few words that `names` a date alone, with the short words before them that belong to the day."""
    reading = [read for _word, read in words]
    end = next(n for n in range(1, len(words) + 1) if names(" ".join(reading[:n])))
    start = next(n for n in range(end - 1, -1, -1) if names(" ".join(reading[n:end])))
    while start > 0 and words[start - 1][0].casefold() in _BEFORE_A_DAY:
        start -= 1
    shown = " ".join(word for word, _read in words[start:end]).rstrip(",;:!?")
    # A sentence's full stop goes; an ordinal's point ("den 21.") stays.
    return shown[:-1] if shown.endswith(".") and not shown[-2:-1].isdigit() else shown


def place_fits_sms(place: str, forbidden_words: Sequence[str]) -> bool:
    """Whether an appointment's place may go to the tenant by SMS: no amount and no debt words. An address's
    numbers (a house number, a postcode such as 8000) are not amounts, so only a written amount counts here."""
    return not amount_like(place) and not forbidden_words_in(place, forbidden_words)


async def send_to_tenant(
    conn: AsyncConnection,
    tenant: Any,
    *,
    case_id: int,
    template: str,
    values: Mapping[str, Any],
    now: datetime,
    key: str,
    author: str,
    text: str | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Queue a message on the tenant's channel (from `not_before`, when given); False when this key was already
    queued (a double submit)."""
    if await conn.run_sync(queued, key):
        return False
    await conn.run_sync(
        lambda sync: tell_tenant(
            sync,
            tenant,
            case_id=case_id,
            template=template,
            values=values,
            now=now,
            key=key,
            author=author,
            text=text,
            not_before=not_before,
        )
    )
    return True
