"""After words of crisis: how long the rent reminders to the tenant are held, as pure functions of days.

A tenant who wrote that they want to die got the crisis line (Livslinien, 112) and the way to a person; "remember
the rent" the next morning would be the worst next message. So for `hold_days` days after the day of those words
(`crisis_on`, local) the reminder policy holds their rent reminders (`scheduler.policy._hold`, counted as
`held_by_crisis`), and a case of theirs that an adviser may read comes first in the queue
(`scheduler.urgency.case_priority`). 0 days turns both off.
"""

from __future__ import annotations

from datetime import date, timedelta

__all__ = ["crisis_hold_until", "in_crisis_hold"]


def crisis_hold_until(crisis_on: date | None, hold_days: int) -> date | None:
    """The last day reminders are held after words of crisis on `crisis_on`, or None when nothing is held."""
    if crisis_on is None or hold_days <= 0:
        return None
    return crisis_on + timedelta(days=hold_days)


def in_crisis_hold(crisis_on: date | None, day: date, hold_days: int) -> bool:
    """Whether `day` falls from the day of the words of crisis to the last day of the hold, both included."""
    until = crisis_hold_until(crisis_on, hold_days)
    return until is not None and crisis_on is not None and crisis_on <= day <= until
