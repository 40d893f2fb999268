"""A planned reminder's stored reason in the reader's words, for the readable export.

The planner stores why it planned a reminder as English text (`scheduler/policy.py`: the operators' audit text,
`keephome remind --dry-run`), and the JSON export keeps it so. The page reads each of the planner's forms back
into its dates and numbers and says it again through the catalogue, dates the Danish way; a reason in no form
known here is shown as it is stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from bot.i18n import N_, gettext, local_day, ngettext

__all__ = ["reminder_reason_words"]

_DAY = r"\d{4}-\d{2}-\d{2}"
_STATE = r"(?P<state>balance owed|nothing owed)"
# The planner's states of the balance, in words.
_STATES = {"balance owed": N_("balance owed"), "nothing owed": N_("nothing owed")}
# Why a tenant gets a reminder before the due day.
_BEFORE_DUE_WHY = {
    "at risk": N_("the tenant is marked at risk"),
    "arrears in the last 12 months": N_("the tenant was behind with the rent in the last 12 months"),
}


def _days(n: str) -> str:
    return ngettext("%(num)d day", "%(num)d days", int(n)) % {"num": int(n)}


def _court_eve(m: re.Match[str], day: Callable[[str], str]) -> str:
    return gettext(
        "court date %(day)s in %(days)s: the weekday before it, a second reminder; %(state)s as of %(as_of)s"
    ) % {
        "day": day(m["day"]),
        "days": _days(m["n"]),
        "state": gettext(_STATES[m["state"]]),
        "as_of": day(m["as_of"]),
    }


def _court(m: re.Match[str], day: Callable[[str], str]) -> str:
    if m["label"] == "court date":
        words = gettext("court date %(day)s known; %(state)s as of %(as_of)s")
    else:
        words = gettext("termination %(day)s known; %(state)s as of %(as_of)s")
    return words % {"day": day(m["day"]), "state": gettext(_STATES[m["state"]]), "as_of": day(m["as_of"])}


def _demand(m: re.Match[str], day: Callable[[str], str]) -> str:
    if m["received"]:
        how = gettext("received %(day)s") % {"day": day(m["received"])}
    elif m["same_day"]:
        how = gettext("sent %(day)s, received the same day (Digital Post)") % {"day": day(m["sent"])}
    else:
        how = gettext("sent %(day)s, assumed received after %(days)s") % {
            "day": day(m["sent"]),
            "days": _days(m["delivery"]),
        }
    return gettext("påkrav %(how)s, for rent due %(due)s; computed deadline %(deadline)s, %(days)s left") % {
        "how": how,
        "due": day(m["due"]),
        "deadline": day(m["deadline"]),
        "days": _days(m["n"]),
    }


def _promise(m: re.Match[str], day: Callable[[str], str]) -> str:
    return gettext("promised to pay on %(day)s; balance still owed as of %(as_of)s") % {
        "day": day(m["day"]),
        "as_of": day(m["as_of"]),
    }


def _missed(m: re.Match[str], day: Callable[[str], str]) -> str:
    return gettext("rent due %(due)s, last on-time day %(last)s; balance owed as of %(as_of)s") % {
        "due": day(m["due"]),
        "last": day(m["last"]),
        "as_of": day(m["as_of"]),
    }


def _before_due(m: re.Match[str], day: Callable[[str], str]) -> str:
    return gettext("rent due %(day)s in %(days)s; %(why)s") % {
        "day": day(m["day"]),
        "days": _days(m["n"]),
        "why": gettext(_BEFORE_DUE_WHY[m["why"]]),
    }


# Each of the planner's forms (scheduler/policy.py), whole, and how to say it.
_FORMS: list[tuple[re.Pattern[str], Callable[[re.Match[str], Callable[[str], str]], str]]] = [
    (
        re.compile(
            rf"court date (?P<day>{_DAY}) in (?P<n>\d+) days?: the weekday before it, a second reminder; "
            rf"{_STATE} as of (?P<as_of>{_DAY})"
        ),
        _court_eve,
    ),
    (re.compile(rf"(?P<label>court date|termination) (?P<day>{_DAY}) known; {_STATE} as of (?P<as_of>{_DAY})"), _court),
    (
        re.compile(
            rf"påkrav (?:received (?P<received>{_DAY})|sent (?P<sent>{_DAY}), (?:(?P<same_day>received the same day "
            rf"\(Digital Post\))|assumed received after (?P<delivery>\d+) days?)), for rent due (?P<due>{_DAY}); "
            rf"computed deadline (?P<deadline>{_DAY}), (?P<n>-?\d+) days? left"
        ),
        _demand,
    ),
    (re.compile(rf"promised to pay on (?P<day>{_DAY}); balance still owed as of (?P<as_of>{_DAY})"), _promise),
    (
        re.compile(
            rf"rent due (?P<due>{_DAY}), last on-time day (?P<last>{_DAY}); balance owed as of (?P<as_of>{_DAY})"
        ),
        _missed,
    ),
    (
        re.compile(
            rf"rent due (?P<day>{_DAY}) in (?P<n>\d+) days?; tenant (?P<why>at risk|arrears in the last 12 months)"
        ),
        _before_due,
    ),
]


def _day(value: str) -> str:
    return local_day(date.fromisoformat(value))


def reminder_reason_words(reason: str) -> str:
    """The planner's reason in the reader's language; a reason in no known form as it is stored."""
    for pattern, words in _FORMS:
        found = pattern.fullmatch(reason)
        if found is not None:
            try:
                return words(found, _day)
            except ValueError:
                break  # a date that is none: as stored
    return reason
