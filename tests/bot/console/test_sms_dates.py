"""A day of the month alone ("den 21.", "d. 21", "mandag 21.") names a date of the rent case as surely as "21/12" does:
it never goes by SMS, in a reply or in a volunteer's task, whichever month the tenant reads it in."""

from __future__ import annotations

import html
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import select

from bot.console.messaging import sms_warnings
from bot.i18n import local_day
from bot.runtime import Runtime
from bot.store.schema import outbox
from scheduler.calendar import demand_deadline
from tests.support.console import (
    add_case,
    add_person,
    add_tenant,
    case_row,
    login,
    post_form,
    today,
    volunteers_may_see,
)
from tests.support.drive import drain, sandbox

_WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")

# Robin's case in the demo: the påkrav ran out on 28 September, the court sits on Monday 21 December.
_DEMAND_DEADLINE = date(2026, 9, 28)
_COURT = date(2026, 12, 21)
_TODAY = date(2026, 12, 7)


def _names_a_date(text: str, today: date = _TODAY) -> bool:
    return any(
        "date of the tenant" in reason
        for reason in sms_warnings(text, (), legal_dates=(_DEMAND_DEADLINE, _COURT), today=today)
    )


@pytest.mark.parametrize(
    "text",
    [
        "Ring før mandag den 21.",
        "Ring før den 21.",
        "Ring før d. 21",
        "Ring mandag 21.",
        "Vi ses 21. kl 10",
        "Ring før den 28.",  # the påkrav's day, whatever month it is read in
        "Ring før 21/12",
        "Ring før 21. december",
        # A day counted from today beside it does not hide it.
        "Vi ringer om 10 dage. Ring før den 21.",
    ],
)
def test_a_day_of_the_month_of_a_legal_date_is_refused(text: str) -> None:
    assert _names_a_date(text), text


@pytest.mark.parametrize(
    "text",
    [
        "Ring før den 22.",
        "Ring før 21/10",
        "Ring mandag",
        "Ring i morgen",
        "Ring om en uge",
        # A time or a place, not a day, though the court sits on a 21st.
        "Vi ses kl 21.",
        "Mød op i lokale 21.",
        "Vi bor i nr. 21.",
        # Two counts of days: read as from ten and twenty days before a date of the case, one of them lands on it
        # each time, but the tenant reads them today (17 and 27 December).
        "Vi ringer om 10 dage, og igen om 20 dage.",
        "Kontoret holder lukket i 10 dage. Ring igen om 20 dage.",
        "We will call in 10 days and again in 20 days.",
    ],
)
def test_other_days_and_days_counted_from_today_may_go(text: str) -> None:
    """A day no date of the case falls on, a whole date of another month, a weekday and a day counted from today
    (none of them the court's Monday as read today) name no date of the case."""
    assert not _names_a_date(text), text


def test_a_day_counted_from_today_that_is_a_legal_date_is_refused_as_a_day_to_pay_by() -> None:
    """A week before the court sits, "mandag" and "om en uge" are its day: told as a day to pay by, refused."""
    week_before = _COURT - timedelta(days=7)
    assert _names_a_date("Betal senest mandag", week_before) and _names_a_date("Husk huslejen om en uge", week_before)
    # The same Monday as a day to call on tells no date of the case.
    assert not _names_a_date("Jeg ringer dig mandag.", week_before)


def test_days_counted_from_today_name_a_legal_date_only_on_the_days_they_land_on_it() -> None:
    """Read on each of the sixty days before the court sits, the counts name its day only from 10 and 20 days before."""
    text = "Betal gerne om 10 dage, ellers om 20 dage."
    refused = [_COURT - timedelta(days=n) for n in range(1, 61) if _names_a_date(text, _COURT - timedelta(days=n))]
    assert refused == [_COURT - timedelta(days=10), _COURT - timedelta(days=20)]


# Erik's case in the demo: the påkrav runs out tomorrow, 8 December.
_ERIK_DEADLINE = date(2026, 12, 8)


def _refusals(text: str) -> list[str]:
    return [
        reason
        for reason in sms_warnings(text, (), legal_dates=(_ERIK_DEADLINE,), today=_TODAY)
        if "date of the tenant" in reason
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Jeg ringer dig op i morgen.",
        "Jeg ringer dig op i morgen ved 10-tiden, så kan vi tale om brevet.",
        "Kontoret har lukket i dag. Vi ses i morgen kl 13.",
        "Du kan ringe til mig i morgen, hvis det passer bedre.",
        "I will call you tomorrow.",
        # A time of the day with "før", "inden", "before" is when to expect the call, not a deadline.
        "Jeg ringer dig op i morgen, før kl 12.",
        "Jeg ringer i morgen inden frokost.",
        "I will call you tomorrow before 10:00.",
    ],
)
def test_a_call_or_a_meeting_on_a_day_counted_from_today_may_go(text: str) -> None:
    """A promise to call tomorrow, the day the påkrav runs out, tells the tenant no legal date: it goes."""
    assert _refusals(text) == [], text


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Husk at betale i morgen.", "i morgen"),
        ("Fristen er i morgen, så ring til mig i dag.", "i morgen"),
        ("Du skal have overført pengene senest om 1 dag.", "om 1 dag"),
        ("Ring før i morgen, så finder vi en løsning.", "i morgen"),
        ("Please pay tomorrow.", "tomorrow"),
        # A time of the day does not hide a word of paying.
        ("Betal i morgen før kl 12.", "i morgen"),
        ("Fristen er i morgen inden kl. 12.", "i morgen"),
        # A day of the month is the date whatever the text says around it.
        ("Jeg ringer dig den 8.", "den 8."),
        ("Vi ses 8. kl 10", "8."),
        ("Jeg ringer 8/12", "8/12"),
    ],
)
def test_a_refusal_quotes_the_words_that_named_the_date(text: str, words: str) -> None:
    """A day counted from today beside a word of paying or of a deadline, or a day of the month, is refused, once,
    and the refusal shows the adviser the words that named the date and the date they named."""
    assert _refusals(text) == [
        f'"{words}" is {local_day(_ERIK_DEADLINE)}, a date of the tenant\'s rent case: '
        "refer to the letter they received instead"
    ], text


async def _taken_case(rt: Runtime, client: httpx.AsyncClient, court: date) -> tuple[int, str]:
    """A case taken by a signed-in adviser, of a tenant whose påkrav ran out months before the court sits."""
    tenant = await add_tenant(
        rt, "R-1", phone="+4520000001", balance_ore=900000, demand_sent_on=court - timedelta(days=90), court_date=court
    )
    case_id = await add_case(rt, tenant)
    await volunteers_may_see(rt, case_id)
    await add_person(rt, "adviser@example.org", "adviser")
    assert (await login(client, "adviser@example.org")).status_code == 303
    page = f"/console/cases/{case_id}"
    await post_form(client, page, f"{page}/take", {})
    return case_id, page


async def test_a_reply_naming_the_court_day_alone_is_not_sent(runtime: Runtime, client: httpx.AsyncClient) -> None:
    court = today(runtime) + timedelta(days=14)
    deadline = demand_deadline(court - timedelta(days=90))
    _case_id, page = await _taken_case(runtime, client, court)
    weekday = _WEEKDAYS[court.weekday()]
    texts = (f"Ring før {weekday} den {court.day}.", f"Ring før den {court.day}.", f"Ring før d. {court.day}")
    for n, text in enumerate(texts):
        refused = await post_form(client, page, f"{page}/reply", {"text": text, "nonce": f"nonce-day-{n}"})
        shown = html.unescape(refused.text)
        assert refused.status_code == 422 and "a date of the tenant's rent case" in shown, text
        assert local_day(court) in shown, text
    async with runtime.db.read() as conn:
        assert (await conn.execute(select(outbox.c.id).where(outbox.c.template == "case.reply"))).first() is None
    # A day that is no date of the case goes.
    other = next(d for d in range(1, 29) if d not in (court.day, deadline.day))
    sent = await post_form(client, page, f"{page}/reply", {"text": f"Ring før den {other}.", "nonce": "nonce-other"})
    assert sent.status_code == 303
    await drain(runtime.sender)
    assert [m.text for m in sandbox(runtime)["sms"].to("+4520000001")][-1:] == [f"Ring før den {other}."]


async def test_a_volunteer_task_naming_the_court_day_alone_is_refused(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    court = today(runtime) + timedelta(days=14)
    case_id, page = await _taken_case(runtime, client, court)
    volunteer = await add_person(runtime, "volunteer@example.org", "volunteer")
    due = (today(runtime) + timedelta(days=1)).isoformat()
    task = {"volunteer_id": str(volunteer), "task": f"Følg op før den {court.day}.", "due": due}
    refused = await post_form(client, page, f"{page}/task", task)
    assert refused.status_code == 422 and "a date of the tenant&#39;s rent case" in refused.text
    assert (await case_row(runtime, case_id)).volunteer_task is None
