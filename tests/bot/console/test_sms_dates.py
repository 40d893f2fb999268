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


# Layla's case in the demo: she reads Arabic, and her påkrav runs out on 10 December. Arabic and Turkish dates are read
# as the Danish and English ones are (the words unreviewed, as those languages' texts are).
_LAYLA_DEADLINE = date(2026, 12, 10)
_ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_ARABIC_MONTHS = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر",
                  "ديسمبر")  # fmt: skip
_TURKISH_MONTHS = ("Ocak", "Şubat", "Mart", "Nisan", "Mayıs", "Haziran", "Temmuz", "Ağustos", "Eylül", "Ekim", "Kasım",
                   "Aralık")  # fmt: skip


def _layla(text: str, today: date = _TODAY) -> list[str]:
    return sms_warnings(text, (), legal_dates=(_LAYLA_DEADLINE,), today=today)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("مرحبا ليلى، ادفعي قبل ١٠ ديسمبر", "١٠ ديسمبر"),
        ("Layla, ادفعي قبل 10 ديسمبر", "10 ديسمبر"),
        ("Layla, 10 Aralık'a kadar ödeyin", "10 Aralık'a"),
        # Eastern Arabic-Indic digits, a date with a slash, the Levantine months, the day before the month.
        ("ادفعي قبل ۱۰ ديسمبر", "۱۰ ديسمبر"),
        ("ادفعي قبل ١٠/١٢", "١٠/١٢"),
        ("ادفعي قبل ١٠ كانون الأول", "١٠ كانون"),
        ("ادفعي قبل ١٠ كانون", "١٠ كانون"),
        ("Aralık'ın 10'una kadar ödeyin", "Aralık'ın 10'una"),
        ("10 Aralıkta görüşürüz", "10 Aralıkta"),
    ],
)
def test_an_arabic_or_turkish_date_of_the_rent_case_is_refused(text: str, words: str) -> None:
    """Layla's påkrav deadline told in Arabic or Turkish, in their digits and months, is refused as "10. december" is,
    and the refusal quotes the words as the adviser wrote them."""
    assert _layla(text) == [
        f'"{words}" is {local_day(_LAYLA_DEADLINE)}, a date of the tenant\'s rent case: '
        "refer to the letter they received instead"
    ], text


@pytest.mark.parametrize(
    "text",
    [
        "مرحبا ليلى، كيف حالك؟",
        "Merhaba Layla, nasılsınız?",
        # Another day, another month: no date of the case.
        "ادفعي قبل ١١ ديسمبر",
        "ادفعي قبل ١٠ كانون الثاني",
        "10 Kasım'da görüşürüz",
        # A call or a meeting tomorrow, the day a påkrav would run out, as "jeg ringer dig op i morgen" goes.
        "سأتصل بك غدا",
        "موعدنا غدا في المكتب",
        "سأتصل بك غدا قبل الساعة ١٢",
        "Yarın sizi arayacağım",
        "Yarın saat 12'ye kadar sizi arayacağım",
        # A name that only looks like a Turkish word: "Kira" (rent).
        "Hej Kira, jeg ringer i morgen",
    ],
)
def test_an_arabic_or_turkish_text_naming_no_date_of_the_case_goes(text: str) -> None:
    assert sms_warnings(text, (), legal_dates=(_LAYLA_DEADLINE, _ERIK_DEADLINE), today=_TODAY) == [], text


def test_a_name_that_only_looks_like_a_turkish_month_with_an_ending_names_no_date() -> None:
    """A "Martin" or a "Marta" is no "Mart" (March) with a Turkish ending, though the case has a date on 10 March."""
    march = date(2027, 3, 10)
    for text in ("Tak Martin 10 gange", "Tak Marta 10 gange"):
        assert sms_warnings(text, (), legal_dates=(march,), today=_TODAY) == [], text
    assert sms_warnings("Mart'ın 10'una kadar", (), legal_dates=(march,), today=_TODAY) != []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("ادفعي غدا", "غدا"),
        ("الموعد النهائي غدا", "غدا"),
        ("ادفعي قبل الثلاثاء", "الثلاثاء"),
        ("Yarın ödeyin", "Yarın"),
        ("Kiranızı yarına kadar ödeyin", "yarına"),
    ],
)
def test_an_arabic_or_turkish_day_counted_from_today_is_refused_beside_a_word_of_paying(text: str, words: str) -> None:
    """Erik's påkrav runs out tomorrow, a Tuesday: "tomorrow" or "Tuesday" beside a word of paying is that day."""
    assert _refusals(text) == [
        f'"{words}" is {local_day(_ERIK_DEADLINE)}, a date of the tenant\'s rent case: '
        "refer to the letter they received instead"
    ], text


@pytest.mark.parametrize(
    "text", ["ليلى، عليك دين كبير", "أنت مدين لنا", "Borcunuz var", "Ödemeniz gecikmiş", "ادفعي ٤٬٥٠٠", "٣٠٠ كرونة"]
)
def test_debt_words_and_amounts_in_arabic_and_turkish_are_refused(text: str) -> None:
    assert _layla(text) != [], text


async def test_an_arabic_or_turkish_reply_naming_the_court_day_or_a_debt_is_not_sent(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    court = today(runtime) + timedelta(days=14)
    _case_id, page = await _taken_case(runtime, client, court)
    arabic_day = str(court.day).translate(_ARABIC_DIGITS)
    arabic_month, turkish_month = _ARABIC_MONTHS[court.month - 1], _TURKISH_MONTHS[court.month - 1]
    dates = (
        f"مرحبا ليلى، ادفعي قبل {arabic_day} {arabic_month}",
        f"Layla, ادفعي قبل {court.day} {arabic_month}",
        f"Layla, {court.day} {turkish_month}'a kadar ödeyin",
    )
    for n, text in enumerate(dates):
        refused = await post_form(client, page, f"{page}/reply", {"text": text, "nonce": f"nonce-ar-{n}"})
        shown = html.unescape(refused.text)
        assert refused.status_code == 422 and "a date of the tenant's rent case" in shown, text
        assert local_day(court) in shown, text
    debt = await post_form(client, page, f"{page}/reply", {"text": "ليلى، عليك دين كبير", "nonce": "nonce-ar-debt"})
    assert debt.status_code == 422 and "دين" in html.unescape(debt.text)
    async with runtime.db.read() as conn:
        assert (await conn.execute(select(outbox.c.id).where(outbox.c.template == "case.reply"))).first() is None
    # An Arabic greeting with no date goes.
    greeting = "مرحبا ليلى، كيف حالك؟"
    sent = await post_form(client, page, f"{page}/reply", {"text": greeting, "nonce": "nonce-ar-hello"})
    assert sent.status_code == 303
    await drain(runtime.sender)
    assert [m.text for m in sandbox(runtime)["sms"].to("+4520000001")][-1:] == [greeting]
