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
from bot.outbox.sms_rules import amount_like, forbidden_words_in
from conversations.answers import dates_named, fixed_dates_named

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
    words = _read_as_days(text)
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
    r"before|until|latest|rent\b)"
)
# "før kl 12", "inden frokost", "before 10:00": a time of the day a call or a meeting keeps to, not a deadline of the
# rent case: such words tie no day to paying ("jeg ringer i morgen, før kl 12" goes; "betal i morgen før kl 12" not).
_TIME_OF_DAY_LIMIT = re.compile(
    r"(?<!\w)(?:senest|inden|indtil|før|foer|before|until|by)\s+"
    r"(?:(?:kl\.?|klokken)\s*\d{1,2}(?:[.:]\d{2})?|\d{1,2}:\d{2}|\d{1,2}\s*(?:am|pm)\b|middag|frokost|"
    r"noon\b|lunch(?:time)?\b)"
)
# Short words that belong to the day they stand before ("i morgen", "om 3 dage", "på mandag", "den 21."): shown with it.
_BEFORE_A_DAY = frozenset({"i", "om", "på", "den", "d.", "næste", "on", "in", "next"})


def _read_as_days(text: str) -> list[tuple[str, str]]:
    """Each word of `text` as written and as read, a number with a point after it as "den N." (`_as_day`)."""
    words = []
    for word in re.finditer(r"\S+", text):
        read, at = [], word.start()
        for found in _ORDINAL_POINT.finditer(text, word.start(), word.end()):
            read += [text[at : found.start()], _as_day(text, found)]
            at = found.end()
        words.append((word.group(0), "".join([*read, text[at : word.end()]])))
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
