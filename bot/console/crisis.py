"""After words of crisis, as the console shows it: the rent reminders held and the case first in the queue.

The rule is `scheduler.crisis` (the days of the hold) and `scheduler.urgency.case_priority` (rule 0); the day of the
words is the bot's answer to them (`bot.host.crisis`). That the tenant wrote words of crisis is what they wrote: as
the case page's transcript shows the crisis line only where the tenant's words are (bot/console/transcript.py), the
reason is told, and the case raised, only while the tenant's consent to the advisers stands; without it a page says
only until when rent reminders are held (an adviser who wonders why none went needs that much).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from bot.host.crisis import crisis_days
from bot.i18n import N_, local_day
from bot.i18n import gettext as _
from scheduler.crisis import crisis_hold_until, in_crisis_hold

__all__ = ["CrisisHold", "crisis_holds", "hold_words"]

_TOLD = N_(
    "Wrote words of crisis %(day)s and was given Livslinien's number: first in the queue, rent reminders held up to "
    "and including %(until)s"
)
_HELD = N_("Rent reminders held up to and including %(until)s")
# Up to this many tenants are asked about by id.
_FEW = 100


@dataclass(frozen=True, slots=True)
class CrisisHold:
    """The day of a tenant's latest words of crisis and the last day their rent reminders are held."""

    crisis_on: date
    until: date


def crisis_holds(
    conn: Connection, tz: ZoneInfo, tenant_ids: Collection[int], day: date, hold_days: int
) -> dict[int, CrisisHold]:
    """Tenant id -> their hold, for those among `tenant_ids` whose rent reminders are held on `day`."""
    found: dict[int, CrisisHold] = {}
    if not tenant_ids:
        return found
    # Few tenants ever wrote such words: for a whole queue, all of them in one read beat an IN list per 500 cases.
    wanted = set(tenant_ids)
    for tenant_id, crisis_on in crisis_days(conn, tz, wanted if len(wanted) <= _FEW else None).items():
        if tenant_id not in wanted:
            continue
        until = crisis_hold_until(crisis_on, hold_days)
        if until is not None and in_crisis_hold(crisis_on, day, hold_days):
            found[tenant_id] = CrisisHold(crisis_on, until)
    return found


def hold_words(hold: CrisisHold | None, consented: bool) -> str | None:
    """The hold in the reader's words: with the tenant's consent why, without it only until when; None: no hold."""
    if hold is None:
        return None
    if consented:
        return _(_TOLD) % {"day": local_day(hold.crisis_on), "until": local_day(hold.until)}
    return _(_HELD) % {"until": local_day(hold.until)}
