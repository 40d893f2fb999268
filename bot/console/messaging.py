"""Sending to a tenant from the console: the channel they can be reached on, and the SMS rule check."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
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
    as_days = _ORDINAL_POINT.sub(lambda found: _as_day(text, found), text)
    named = sorted(d for d in legal_dates if _names(as_days, d, today))
    if named:
        days = ", ".join(local_day(d) for d in named)
        reasons.append(
            _("it names %(days)s, a date of the tenant's rent case: refer to the letter they received instead")
            % {"days": days}
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


def _names(text: str, day: date, today: date | None) -> bool:
    """Whether `text` may name `day`: read as on `today`, or by a day of the month or a whole date as in the weeks
    before it, whatever its month. A day counted from when it is read ("om 20 dage") is read from today only: from
    the weeks before, "om 10 dage" and "om 20 dage" would each land on the day, and the tenant reads neither there."""
    if today is not None and day in dates_named(text, today):
        return True
    early, late = _READ_BEFORE
    return day in fixed_dates_named(text, day - early, day - late)


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
