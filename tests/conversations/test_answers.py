"""Understanding answers: yes/no, option numbers, amounts, dates, hardship, and messages that must not crash."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from conversations.answers import (
    PRECEDENCE,
    asks_after_but,
    asks_for_person,
    cannot_pay_that_day,
    dates_named,
    emoji_reading,
    find_amount,
    find_date,
    fixed_dates_named,
    names_unplaced_day,
    offers_nothing,
    parse_amount,
    parse_date,
    parse_number,
    pick_tag,
    says_no_day,
    says_only,
    sounds_in_crisis,
    sounds_upset,
    tells_hardship,
)
from conversations.engine import resume, start
from conversations.model import AnswerRecorded, ButtonPressed, Channel, Context, TextReceived

TODAY = date(2026, 12, 3)
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("ja", "da", "yes"),
        ("Jo", "da", "yes"),
        ("jep", "da", "yes"),
        ("jepper", "da", "yes"),
        ("Jah", "da", "yes"),
        ("jaja", "da", "yes"),
        ("ok", "da", "yes"),
        ("Okay 👍", "da", "yes"),
        ("yes", "da", "yes"),
        ("y", "en", "yes"),
        ("Ja tak!", "da", "yes"),
        ("nej", "da", "no"),
        ("nope", "da", "no"),
        ("no", "en", "no"),
        ("Nej tak.", "da", "no"),
        ("ja nej", "da", "no"),  # a muddled answer never counts as consent
        ("ja men ring efter kl 16", "da", "yes"),  # a yes with a wish is a yes, of any length
        ("jaaa", "da", "yes"),
        ("måske", "da", "unrecognised"),
        ("🤷", "da", "unrecognised"),
        # A yes word with a negation beside it is a no; "no problem" is no "no"; unsure is neither.
        ("det er ikke ok", "da", "no"),
        ("Det er IKKE ok at I ser mit nummer", "da", "no"),
        ("that's not ok", "en", "no"),
        ("selvfølgelig ikke", "da", "no"),
        ("of course not", "en", "no"),
        # A no said strongly, as the whole message.
        ("slet ikke", "da", "no"),
        ("Absolut ikke!", "da", "no"),
        ("not at all", "en", "no"),
        ("No way.", "en", "no"),
        ("ikke lige nu ok", "da", "no"),
        ("Yes, no problem", "en", "yes"),
        ("sure, no worries", "en", "yes"),
        ("not sure", "en", "unrecognised"),
        # Putting it off is no yes yet (the question waits, the tenant is heard).
        ("ok jeg tænker over det", "da", "unrecognised"),
        ("ok I'll think about it", "en", "unrecognised"),
        ("ok jeg spørger min mand", "da", "unrecognised"),
        ("ja, men jeg skal lige snakke med min mand først", "da", "unrecognised"),
        ("yes, but I'll talk to my husband first", "en", "unrecognised"),
        ("evet", "tr", "yes"),
        ("نعم", "ar", "yes"),
        # As people text them.
        ("yea", "en", "yes"),
        ("ya", "en", "yes"),
        ("i agree", "en", "yes"),
        ("go ahead", "en", "yes"),
        ("I don't agree", "en", "no"),
        ("nah", "en", "no"),
        ("helst ikke", "da", "no"),
        # "I'm ok" is a no thanks only as all that is said; beside a yes it agrees.
        ("I'm ok", "en", "no"),
        ("yes I'm ok with that", "en", "yes"),
        ("yes im good with that", "en", "yes"),
        # "Fint" is a yes as all that is said, as "det er ok" is; negated or beside a no it is a no, and in a longer
        # message it says how the tenant is: no consent.
        ("det er fint", "da", "yes"),
        ("Fint.", "da", "yes"),
        ("det er fint med mig", "da", "yes"),
        ("det er ok", "da", "yes"),
        ("det er ikke fint", "da", "no"),
        ("nej, fint", "da", "no"),
        ("nej det er fint", "da", "no"),
        ("det er fint, jeg klarer det selv", "da", "no"),
        ("jeg har det fint", "da", "-"),
        ("det går ikke så fint", "da", "unrecognised"),
    ],
)
@pytest.mark.parametrize("channel", ["sms", "telegram"])
def test_yes_and_no_words_answer_consent(text: str, language: str, expected: str, channel: Channel) -> None:
    state, _events = start("payment_check", Context("", language, channel), NOW)
    state, _events = resume(state, ButtonPressed("adviser", channel), NOW)
    assert state.step == "consent"
    _state, events = resume(state, TextReceived(text, channel), NOW)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)] == ([] if expected == "-" else [expected])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        (" 2. ", 2),
        ("nr 3", 3),
        ("4️⃣", 4),
        ("5", None),
        ("0", None),
        ("12", None),
        ("1 eller 2", None),
        ("Hej 2", 2),
        ("Hej, 2", 2),
        ("Hi, 1", 1),
        ("god morgen 3.", 3),
        ("Hej 7", None),
        ("Hej Carl 2", None),
        # Numbers written as words, as the whole message.
        ("tre", 3),
        ("Three.", 3),
        ("nr. to", 2),
        ("nummer fire", 4),
        ("Hej to", 2),
        ("fem", None),
        ("en", None),  # alone more often a word cut off than a choice
        ("to tusind", None),
        ("jeg kan betale om to uger", None),
        # A number with courtesy after it is that number; with anything else after it, not.
        ("3 tak", 3),
        ("2, mange tak", 2),
        ("1 please", 1),
        ("5 tak", None),
        ("3 tak 3", None),
        ("tak", None),
    ],
)
def test_option_number(text: str, expected: int | None) -> None:
    assert parse_number(text, 4) == expected


@pytest.mark.parametrize(
    ("text", "ore"),
    [
        ("2500", 250000),
        ("2.500", 250000),
        ("2.500,50 kr", 250050),
        ("kr. 2500", 250000),
        ("2500,-", 250000),
        ("2 500 kr", 250000),
        ("2500,5", 250050),
        ("1.250", 125000),
        ("Jeg kan betale 900 kr", 90000),
        ("0", 0),  # nothing is an answer too: it leads to help
        ("ingenting", 0),
        ("nothing", 0),
        ("to tusind", 200000),
        ("3 tusind", 300000),
        # "Tusind" or "hundrede" without a number before it is one of them; "tusind tak" is thanks.
        ("tusind kr", 100000),
        ("tusind", 100000),
        ("hundrede kroner", 10000),
        ("kan betale tusind kr på fredag", 100000),
        ("tusind tak", None),
        ("femten hundrede", 150000),  # counted hundreds: never "femten" and a hundred
        ("tolv hundrede kr", 120000),
        ("tyve tusind", 2000000),
        ("fifteen hundred", 150000),
        # A ten and a unit counting the hundreds are one number: never "twenty" left over and 500.
        ("twenty five hundred", 250000),
        ("twenty-five hundred kr", 250000),
        ("femogtyve hundrede", 250000),
        ("femogfyrre hundrede kroner", 450000),
        # Thousands and hundreds said together are one amount, never two.
        ("to tusind fem hundrede", 250000),
        ("two thousand and five hundred", 250000),
        ("2k", 200000),  # a thousand as people text it, never 2 kr
        ("3 K", 300000),
        # Tenths of a thousand, with a point or a comma, with or without a space: never "1.5" as the 1st of May.
        ("1.5k", 150000),
        ("1,5k", 150000),
        ("1.5 k", 150000),
        ("kan betale 1,5 K", 150000),
        ("1,5 tusind", 150000),
        ("2.25k", 225000),
        ("2000 den 15.", 200000),  # the date is not part of the amount
        ("ring efter kl 16", None),
        ("2500 eller 3000", None),
        ("halvdelen", None),  # never guessed
        ("ring på 12345678", None),  # a phone number is not an amount
        ("💰💰", None),
        # A year said as when is no amount; written as money, or alone where an amount is asked, it is one.
        ("kan betale i 2027", None),
        ("i januar 2027", None),
        ("in 2027", None),
        ("starten af 2027", None),
        ("500 kr i 2027", 50000),
        ("i 2027 kr", 202700),
        ("2027", 202700),
        # A date as a phone writes it ("2026-12-15") is no amount of 2026 kr; a sum beside it still is.
        ("2026-12-15", None),
        ("2026-11-01", None),
        ("2000 kr 2026-12-15", 200000),
        ("2026", 202600),
    ],
)
def test_amount_in_ore(text: str, ore: int | None) -> None:
    assert parse_amount(text) == ore


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15", date(2026, 12, 15)),
        ("den 15.", date(2026, 12, 15)),
        ("d. 15", date(2026, 12, 15)),
        ("15/12", date(2026, 12, 15)),
        ("15-12-2026", date(2026, 12, 15)),
        ("15.12.26", date(2026, 12, 15)),
        ("3", date(2026, 12, 3)),
        ("1", date(2027, 1, 1)),
        ("2/1", date(2027, 1, 2)),  # day first, as Danes write it: never February 1st
        ("d.2/1", date(2027, 1, 2)),
        ("2 i januar", date(2027, 1, 2)),  # a day "in" a month, as it is said
        ("betaler den 2 i jan", date(2027, 1, 2)),
        ("d. 2 jan", date(2027, 1, 2)),
        ("2 in January", date(2027, 1, 2)),
        ("1.5k", None),  # an amount in thousands, not the 1st of May
        ("1,5k", None),
        ("kan betale 1.5 k", None),
        ("15. januar", date(2027, 1, 15)),
        ("i morgen", date(2026, 12, 4)),
        ("tomorrow", date(2026, 12, 4)),
        ("i overmorgen", date(2026, 12, 5)),
        ("31", date(2026, 12, 31)),
        ("fredag", date(2026, 12, 4)),  # 3 December 2026 is a Thursday
        ("på mandag", date(2026, 12, 7)),
        ("torsdag", date(2026, 12, 10)),  # the next one, not today
        ("om en uge", date(2026, 12, 10)),
        ("3 dage", date(2026, 12, 6)),  # a count of days without "om", not the 3rd
        ("to uger", date(2026, 12, 17)),
        ("in 3 days", date(2026, 12, 6)),
        ("for 3 dage siden", None),  # a day gone by
        ("en dag", None),  # "en dag" is some day, not a count
        ("efter den 10.", date(2026, 12, 11)),
        ("den femtende", date(2026, 12, 15)),
        # A day of the month in words, ordinal or not, as "den 15." and a bare "15" are.
        ("femten", date(2026, 12, 15)),
        ("femtende", date(2026, 12, 15)),
        ("den femten", date(2026, 12, 15)),
        ("første", date(2027, 1, 1)),
        ("fifteen", date(2026, 12, 15)),
        ("the fifteenth", date(2026, 12, 15)),
        ("on the twenty first", date(2026, 12, 21)),  # never the 20th
        ("twenty five", date(2026, 12, 25)),
        ("femten hundrede", None),  # an amount, no day
        ("after the 10th", date(2026, 12, 11)),
        ("fredag i næste uge", date(2026, 12, 11)),
        ("fredag den 11.", date(2026, 12, 11)),  # the weekday agrees with the day
        ("frdag", date(2026, 12, 4)),  # one typo
        ("fredag kl 12", date(2026, 12, 4)),  # a time is not a day
        ("1/1/2020", None),
        ("30/2", None),
        ("32", None),
        ("snart", None),
        ("næste fredag", None),  # this one or the one after? never guessed
        ("næste uge", None),
        ("fredag eller lørdag", None),
        # Two days, one of them said for the rest: by then all of it is paid.
        ("betalt en del i dag, resten på fredag", date(2026, 12, 4)),
        ("3000 i dag og resten den 20.", date(2026, 12, 20)),
        ("paid some today and the rest on the 20th", date(2026, 12, 20)),
        ("i dag halvdelen, fredag kommer resten", date(2026, 12, 4)),
        ("halvdelen i dag og noget af resten fredag", None),  # a part of the rest: two days, no one promise
        ("i går", None),
        ("i fredags", None),
        ("ikke fredag", None),
        ("😅😅", None),
        ("1.500,-", None),  # an amount with a thousands point, its ",-" cut as the edge: never the 1st
        ("den 1ste", date(2027, 1, 1)),  # Danish ordinal endings
        ("3dje", date(2026, 12, 3)),
        ("NU", date(2026, 12, 3)),  # "now" alone is today
        ("straks", date(2026, 12, 3)),
        ("i aften", date(2026, 12, 3)),
        ("kan ikke betale nu", None),  # never inside a longer message
        ("2.000", None),
        # A number of times or instalments is no day of the month (today is the 3rd: never read as today).
        ("3 gange i januar", None),
        ("3 gange", None),
        ("i 3 rater", None),
        ("3 times in january", None),
        # As it is typed fast or said: "i morgen" and "tomorrow" spelt by ear, short weekdays, a day count in words.
        ("imorn", date(2026, 12, 4)),
        ("i morn", date(2026, 12, 4)),
        ("betaler imoren", date(2026, 12, 4)),
        ("tommorow", date(2026, 12, 4)),
        ("2moro", date(2026, 12, 4)),
        ("ons", date(2026, 12, 9)),
        ("lør", date(2026, 12, 5)),
        ("weds", date(2026, 12, 9)),
        ("om fjorten dage", date(2026, 12, 17)),
        ("om et par dage", None),  # a time, no day: which day is asked
        # A date as a phone writes it, year first: that day; one passed or no date at all is none.
        ("2026-12-15", date(2026, 12, 15)),
        ("betaler 2027-01-02", date(2027, 1, 2)),
        ("2026-11-01", None),
        ("2026-13-40", None),
        ("2026", None),
        # "Free" is no "fre" (Friday) with a letter doubled; "fre" and "free friday" still are Friday.
        ("is it free", None),
        ("feel free", None),
        ("fre", date(2026, 12, 4)),
        ("free friday", date(2026, 12, 4)),
        # Turkish writes the day with its ending ("on the 15th"): the when-question's "örneğin 15" answered as said.
        ("15'inde", date(2026, 12, 15)),
        ("ayın 15'i", date(2026, 12, 15)),
        ("28'inde ödeyeceğim", date(2026, 12, 28)),
        ("20'sinde", date(2026, 12, 20)),
        ("30'unda", date(2026, 12, 30)),
        ("15'te", date(2026, 12, 15)),
        ("15inde", date(2026, 12, 15)),
    ],
)
def test_date_is_next_such_date_on_or_after_today(text: str, expected: date | None) -> None:
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "unplaced"),
    [
        ("næste fredag", True),
        ("next friday", True),
        ("næste uge", True),
        ("ikke fredag", True),
        ("fredag eller næste fredag", True),
        ("når jeg får løn", True),
        ("på lønningsdagen", True),
        ("sidst på måneden", True),
        ("i januar", True),
        ("3 gange i januar", True),  # instalments in January: which day is asked, never the 3rd
        ("snart", True),
        ("end of the month", True),
        ("2027", True),  # a year, no day
        ("efter jul", True),
        ("i weekenden", True),
        ("senere", True),
        ("til nytår", True),
        ("after christmas", True),
        ("om et par dage", True),
        ("om nogle dage", True),
        ("in a few days", True),
        ("in a couple of weeks", True),
        ("i 2027", True),
        ("først i januar 2027", True),
        ("end of 2027", True),
        ("betalt en del i dag, resten næste fredag", True),  # the rest's day, not placed
        ("snarest", True),  # as soon as may be: when, but no day
        ("hurtigst muligt", True),
        ("så hurtigt som muligt", True),
        ("hurtigst", True),
        ("det går ikke så hurtigt", False),  # "hurtigt" alone says no time
        ("så hurtigt jeg kan", False),
        ("fredag", False),  # placed: no question
        ("betalt en del i dag, resten på fredag", False),
        ("på fredag", False),
        ("ved ikke", False),  # no day named at all: not understood, as before
        ("hej", False),
        ("15", False),
    ],
)
def test_a_day_named_but_not_placed_is_told_apart_from_no_day(text: str, unplaced: bool) -> None:
    assert names_unplaced_day(text, TODAY) is unplaced


def test_day_that_this_month_lacks_moves_to_the_next_month_that_has_it() -> None:
    assert parse_date("31", date(2027, 2, 1)) == date(2027, 3, 31)


def test_a_bare_number_is_a_day_only_where_a_day_is_asked() -> None:
    assert find_date("betaler 15", TODAY) == date(2026, 12, 15)
    assert find_date("betaler 15", TODAY, strict=True) is None
    assert find_date("betaler den 15.", TODAY, strict=True) == date(2026, 12, 15)
    assert find_date("sorry i can pay the 15", TODAY, strict=True) == date(2026, 12, 15)  # "the 15" as "den 15"
    # A day with its month is a day wherever it stands, also beside other words: "betaler 2 i januar".
    assert find_date("betaler 2 i januar", TODAY, strict=True) == date(2027, 1, 2)
    assert find_date("jeg betaler d.2/1", TODAY, strict=True) == date(2027, 1, 2)


def test_every_date_a_longer_text_names_as_written_once_each() -> None:
    # An adviser's message to a tenant (TODAY is Thursday 3 December 2026): the dates it names, whatever the words
    # before them do to an answer's meaning ("efter den 9." is the 10th as an answer, and names the 9th).
    text = "Husk fristen den 9. december, ikke fredag. Ring efter den 9. eller 14/12 kl. 10, ikke 2.500 kr"
    assert dates_named(text, TODAY) == [date(2026, 12, 9), date(2026, 12, 4), date(2026, 12, 14)]
    assert dates_named("Remember the deadline on 9 December", TODAY) == [date(2026, 12, 9)]
    assert dates_named("ring 12345678, vi ses kl 15", TODAY) == []  # a phone number and a time are no days
    assert dates_named("det var den 1. december", TODAY) == []  # a day that has passed is not placed
    assert dates_named("fristen er 2026-12-14, ikke 2026-11-01", TODAY) == [date(2026, 12, 14)]


def test_an_amount_in_a_message_about_something_else_must_look_like_rent() -> None:
    assert find_amount("kan betale 2000", strict=True) == 200000
    assert find_amount("har ringet 3 gange", strict=True) is None
    assert find_amount("ingenting", strict=True) is None
    assert find_amount("30 kr", strict=True) == 3000
    assert find_amount("2027", strict=True) is None  # a year alone, where no amount is asked


def test_fixed_dates_are_those_named_alike_from_either_day() -> None:
    """ "Den 21." and "21/12" name the same day read ten days apart; "om 10 dage" and "mandag" do not."""
    text = "Ring mandag eller om 10 dage, senest den 21. og ikke efter 21/12"
    assert fixed_dates_named(text, date(2026, 12, 1), date(2026, 12, 11)) == [date(2026, 12, 21)]
    assert fixed_dates_named("Ring om 10 dage eller om 20 dage", date(2026, 12, 1), date(2026, 12, 11)) == []


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("500 kr den 15.", date(2026, 12, 15)),
        ("jeg kan betale 500 den 15.", date(2026, 12, 15)),
        ("I can pay 800 on Friday", date(2026, 12, 4)),
        ("800 i morgen", date(2026, 12, 4)),
        ("2.000 kr 18/12", date(2026, 12, 18)),
        ("1500", None),  # an amount alone names no day
        ("500 kr næste fredag", None),  # a day named, not placed: no guess
        ("500 den 15. eller den 20.", None),  # two days: no guess
    ],
)
def test_an_amount_with_a_day_keeps_both(text: str, day: date | None) -> None:
    """What "how much can you pay now?" reads: the amount, and the day as the date question ahead reads it (a bare
    number is the amount, never a day)."""
    assert parse_amount(text) is not None
    assert find_date(text, TODAY, strict=True) == day


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("👍", "yes"),
        ("👍🏽", "yes"),  # a skin tone
        ("👌", "yes"),
        ("✅", "yes"),
        ("✔️", "yes"),
        ("👍 👍", "yes"),
        ("🙂", "noted"),
        ("🙏", "thanks"),
        ("❤️", "thanks"),
        ("🙏❤️", "thanks"),
        ("😢", "upset"),
        ("😭😭😭", "upset"),
        ("😡", "upset"),
        ("👍😢", None),  # two different things said: neither is read
        ("🤔", None),
        ("?", None),  # a sign, not an emoji: a question of the tenant's own
        ("ok 👍", None),  # words: read as words
        ("ja 🙏", None),
        ("", None),
    ],
)
def test_emoji_only_is_read_by_what_it_says(text: str, reading: str | None) -> None:
    assert emoji_reading(text) == reading


QUESTION = ("paid", "will_pay", "part", "adviser", "yes", "help", "info", "no", "hardship")


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("jeg har betalt", "da", "paid"),
        ("betalt ✅", "da", "paid"),
        ("I already paid", "en", "paid"),
        ("Jeg har ikke betalt", "da", "hardship"),  # a negated pay word means the opposite
        ("ikke betalt endnu", "da", "hardship"),
        ("jeg kan ikke betale", "da", "hardship"),
        ("I can't pay", "en", "hardship"),
        ("I can’t pay", "en", "hardship"),  # a typographic apostrophe
        ("mistet mit arbejde", "da", "hardship"),
        ("har betalt en del", "da", "part"),  # a paid word with a part word: never the paid pause
        ("kan ikke betale det hele", "da", "part"),
        ("kan betale 2000", "da", "part"),
        ("jeg har en del regninger", "da", None),  # "en del" without a pay word is no part payment
        ("kan ikke betale før d 15", "da", "will_pay"),  # not before the 15th: a promise
        ("har ikke betalt endnu men jeg betaler på fredag", "da", "will_pay"),
        ("jeg betaler", "da", "will_pay"),
        ("ja jeg har betalt", "da", "paid"),
        ("ja men ring efter kl 16", "da", "adviser"),
        ("hvad kan I hjælpe med", "da", "info"),
        ("hjælp", "da", "help"),
        ("nej tak", "da", "no"),
        ("jeg har betlat", "da", "paid"),  # one typo
        # After "har" a typo one letter from "betalt" is "betalt", though "betalr" is one letter from "betaler" too;
        # "betal" (pay) stays a promise, after "har" too.
        ("har betalr", "da", "paid"),
        ("jeg har betalr i går", "da", "paid"),
        ("har btalt", "da", "paid"),
        ("betlt", "da", "paid"),
        ("har overfrt pengene", "da", "paid"),
        ("betal", "da", "will_pay"),
        ("har betal", "da", "will_pay"),
        ("jeg betaler", "da", "will_pay"),
        ("i hav payd it allredy", "en", "paid"),  # spelled as it sounds, too short for the typo correction
        ("ill pay on friday", "en", "will_pay"),  # I'll, not ill
        ("I'm ill", "en", "hardship"),
        ("naeste fredag", "da", "will_pay"),  # a day not placed, alone, answers when: which day is asked next
        ("next friday", "en", "will_pay"),
        ("efter lon", "da", "will_pay"),
        ("når jeg får penge", "da", "will_pay"),  # when the money comes: which day is asked next
        ("glemt det", "da", "will_pay"),  # forgot: they will pay, and when is asked
        ("sorry i forgot", "en", "will_pay"),
        ("jeg har glemt min kode til netbank", "da", None),  # forgot something else
        # "betalr" alone is one letter from "betaler" and from "betalt": paid or will pay is never guessed (after
        # "har" it is "betalt", with a day it is a promise, above).
        ("betalr", "da", None),
        ("jeg betalr", "da", None),
        # Paid, said in other words: the money sent, or the whole answer "done".
        ("pengene er sendt", "da", "paid"),
        ("sendt pengene i går", "da", "paid"),
        ("har ikke sendt pengene", "da", "hardship"),  # negated like a pay word
        ("i sent the money", "en", "paid"),
        ("money sent", "en", "paid"),
        ("i haven't sent the money yet", "en", None),  # not sent: no payment claimed
        ("transfered", "en", "paid"),
        ("det er ordnet", "da", "paid"),
        ("klaret", "da", "paid"),
        ("det har jeg gjort", "da", "paid"),
        ("done", "en", "paid"),
        ("jeg har ikke gjort noget forkert", "da", None),  # within a longer message "gjort" is no payment
        ("jeg betaler lidt sent", "da", "will_pay"),  # Danish "sent" is late: no payment sent
        # "Sendt" alone is no pay word: only the money or the rent sent is a payment.
        ("jeg har sendt en del beskeder", "da", None),
        ("jeg har sendt noget til jer", "da", None),
        ("jeg har sendt det til kommunen", "da", None),
        ("jeg har ikke sendt ansøgningen endnu", "da", None),
        ("jeg har sendt huslejen", "da", "paid"),
        # All is well: no thanks, never "ok, call me"; not being ok oneself is hard, never a no thanks.
        ("alt er ok", "da", "no"),
        ("ikke interesseret", "da", "no"),
        ("det klarer jeg", "da", "no"),
        ("alt er i orden", "da", "no"),
        ("det klarer jeg ikke", "da", "hardship"),  # cannot cope: hard, never a no thanks
        ("det klarer jeg ikke alene", "da", "hardship"),
        ("alt i orden?", "da", None),  # asked, not said: no answer
        ("er alt i orden", "da", None),
        ("nah im good", "en", "no"),
        ("I'm good, thanks", "en", "no"),
        ("I'm ok with that", "en", "yes"),  # agreeing, not all is well: the opening's yes
        ("I'm not ok", "en", "hardship"),
        ("jeg er ikke ok", "da", "hardship"),
        ("jeg har det ikke godt", "da", "hardship"),
        ("jeg klarer mig ikke", "da", "hardship"),
        ("det er ikke godt", "da", None),  # not the tenant's own state: nothing read
        # A time with no day, alone, answers when as "næste fredag" does: which day is asked next.
        ("sidst på måneden", "da", "will_pay"),
        ("til januar", "da", "will_pay"),
        ("end of month", "en", "will_pay"),
        ("i januar", "da", "will_pay"),
        # A greeting or a word of later is no promise: nothing is read, never "which day?".
        ("Glædelig jul", "da", None),
        ("God weekend", "da", None),
        ("Tak i lige måde, god jul", "da", None),
        ("merry christmas", "en", None),
        ("jeg skriver senere", "da", None),
        ("I'll text you later", "en", None),
        # Not paid yet, said short: as "har ikke betalt endnu" is.
        ("ikke endnu", "da", "hardship"),
        ("nej ikke endnu", "da", "hardship"),
        ("not yet", "en", "hardship"),
        ("ok not yet", "en", "hardship"),  # "ok" before it turns it into no "no"
        ("ok ikke endnu", "da", "hardship"),
        ("cnt pay", "en", "hardship"),
    ],
)
def test_the_most_telling_reading_wins(text: str, language: str, expected: str | None) -> None:
    assert pick_tag(text, language, QUESTION, TODAY) == expected


def test_only_offered_readings_are_picked() -> None:
    assert pick_tag("ja jeg har betalt", "da", ("yes", "no"), TODAY) == "yes"
    assert pick_tag("jeg har ingen penge", "da", ("yes", "no"), TODAY) is None


@pytest.mark.parametrize(
    "text", ["", " ", "\u200f", "💥" * 50, "ﷺ", "1" * 400, "\x00", "２５００", "d", "den", "om en"]
)
def test_odd_input_never_crashes(text: str) -> None:
    parse_amount(text)
    find_amount(text, strict=True)
    parse_date(text, TODAY)
    find_date(text, TODAY, strict=True)
    pick_tag(text, "da", QUESTION, TODAY)
    parse_number(text, 4)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("jeg kan betale en del", "da", "part"),
        ("Jeg kan betale noget", "da", "part"),
        ("jeg betaler på fredag", "da", "will_pay"),
        ("I can pay part", "en", "part"),
        ("I will pay", "en", "will_pay"),
    ],
)
def test_part_payment_in_own_words_is_not_mistaken_for_will_pay(text: str, language: str, expected: str) -> None:
    assert pick_tag(text, language, ("part", "will_pay", "paid"), TODAY) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("har betalt en del", "da", "paid_part"),
        ("jeg har kun betalt halvdelen", "da", "paid_part"),
        ("jeg har overført noget af det", "da", "paid_part"),
        ("I paid some of it", "en", "paid_part"),
        ("I have paid part of it", "en", "paid_part"),
        ("jeg kan betale en del", "da", "part"),  # a part offered, not paid: how much can be paid now
        ("I can pay some of it", "en", "part"),
        ("kan ikke betale det hele", "da", "part"),
        ("har ikke betalt det hele", "da", "part"),  # a negated pay word says nothing was paid for sure
        ("har betalt 3000", "da", "paid"),  # an amount alone may be all of it: a payment made, the ledger tells
        ("I paid 6500 kr yesterday", "en", "paid"),
        ("when I get paid I can pay part", "en", "part"),  # their wages, not a payment made
        ("jeg har sendt en del beskeder", "da", None),  # messages sent, no money
    ],
)
def test_a_part_already_paid_is_told_from_a_part_offered(text: str, language: str, expected: str) -> None:
    assert pick_tag(text, language, (*QUESTION, "paid_part"), TODAY) == expected


@pytest.mark.parametrize(
    ("text", "language", "nothing", "expected"),
    [
        ("kan betale 0 kr den 15.", "da", True, "hardship"),
        ("0 kr den 15.", "da", True, "hardship"),
        ("jeg kan betale 0 kr", "da", True, "hardship"),
        ("kan betale ingenting", "da", True, "hardship"),
        ("I can pay 0 kr on the 15th", "en", True, "hardship"),
        ("I can pay nothing", "en", True, "hardship"),
        ("kan betale 500 kr den 15.", "da", False, "part"),  # an amount: a part, for that day
        ("jeg kan ikke betale før den 15.", "da", False, "will_pay"),  # a promise for the day
        ("jeg har betalt, 0 kr tilbage", "da", False, "paid"),  # nothing left to pay: paid
        ("0", "da", False, None),  # a bare number: what it means is for the question to say
    ],
)
def test_an_amount_of_nothing_is_no_payment_and_no_promise(
    text: str, language: str, nothing: bool, expected: str | None
) -> None:
    assert offers_nothing(text, TODAY) is nothing
    assert pick_tag(text, language, (*QUESTION, "hardship"), TODAY) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        # An amount beside why the tenant cannot pay all is a part, whichever comes first and with or without a pay
        # word (the opening question then keeps the day as the part's, not the whole's).
        ("500 kr den 21., jeg er syg", "da", "part"),
        ("jeg er syg, kan betale 500 den 21", "da", "part"),
        ("2000 kr, jeg har mistet mit arbejde", "da", "part"),
        ("I can only pay 500 on the 21st, I am ill", "en", "part"),
        ("500 kr on the 21st, I am ill", "en", "part"),
        # Not an amount they say they cannot pay: heard.
        ("kan ikke betale 500 kr den 21., jeg er syg", "da", "hardship"),
        ("I cannot pay 500 on the 21st, I am ill", "en", "hardship"),
        ("jeg er syg, har 2 børn", "da", "hardship"),  # a number of things, no amount
    ],
)
def test_an_amount_beside_a_reason_is_a_part_in_any_order(text: str, language: str, expected: str) -> None:
    assert pick_tag(text, language, (*QUESTION, "paid_part"), TODAY) == expected


@pytest.mark.parametrize(
    "text", ["ok, hvem kan se mine svar?", "okay but what does that mean?", "Jeg ved ikke, er det ok?"]
)
@pytest.mark.parametrize("channel", ["sms", "telegram"])
def test_a_question_at_the_consent_question_is_no_consent(text: str, channel: Channel) -> None:
    """An "ok" in a question of the tenant's own gives nothing: the question is answered, the consent question waits."""
    state, _events = start("payment_check", Context("", "da", channel), NOW)
    state, _events = resume(state, ButtonPressed("adviser", channel), NOW)
    state, events = resume(state, TextReceived(text, channel), NOW)
    assert not [e for e in events if isinstance(e, AnswerRecorded)]
    assert state.step == "consent" and not state.ended


def test_a_yes_with_a_later_call_is_still_a_yes() -> None:
    state, _events = start("payment_check", Context("", "da", "sms"), NOW)
    state, _events = resume(state, ButtonPressed("adviser", "sms"), NOW)
    _state, events = resume(state, TextReceived("ja, ring senere i dag", "sms"), NOW)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)] == ["yes"]


@pytest.mark.parametrize(
    ("text", "tag", "expected"),
    [
        ("JA", "yes", True),
        ("Ja tak!", "yes", True),
        ("ja, mange tak", "yes", True),
        ("ok, ja", "yes", True),
        ("yes please", "yes", True),
        ("Nej tak.", "no", True),
        ("no thank you", "no", True),
        ("ja men ring efter kl 16", "yes", False),  # a yes with a wish says more
        ("ja nej", "yes", False),
        ("ja nej", "no", False),
        ("tak", "yes", False),  # courtesy alone is no answer
        ("ja jeg har betalt", "yes", False),
    ],
)
def test_says_only_tells_a_bare_yes_or_no_from_one_that_says_more(text: str, tag: str, expected: bool) -> None:
    assert says_only(text, "da", (tag,)) is expected


@pytest.mark.parametrize(
    ("text", "no"),
    [
        ("nej", True),
        ("Nej!", True),
        ("nejj", True),
        ("aldrig", True),
        ("nej desværre", True),
        ("desværre nej", True),
        ("nej tak", True),
        ("never", True),
        ("no sorry", True),
        ("nope 😢", True),
        # A no with more in it is what the more says.
        ("nej den 20", False),
        ("nej, ring til mig", False),
        ("nej jeg har betalt", False),
        ("no idea", False),
        ("ja", False),
        ("nogle gange", False),
    ],
)
def test_a_no_and_nothing_more_is_told_apart(text: str, no: bool) -> None:
    assert says_no_day(text) is no


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("nej jeg kan ikke", "da"),
        ("nej, det kan jeg ikke", "da"),
        ("det kan jeg desværre ikke", "da"),
        ("jeg kan desværre ikke", "da"),
        ("det kan jeg ikke sige", "da"),
        ("det er umuligt", "da"),
        ("no I can't", "en"),
        ("sorry, I can't", "en"),
        ("not possible", "en"),
    ],
)
def test_cannot_said_with_a_no_or_regret_is_hardship_over_no(text: str, language: str) -> None:
    assert pick_tag(text, language, ("hardship", "no", "yes"), TODAY) == "hardship"


@pytest.mark.parametrize(
    ("text", "language", "asks"),
    [
        ("jeg kan først betale den 20, kan en rådgiver ringe til mig?", "da", True),
        ("Jeg er syg og kan først betale den 20. Ring til mig", "da", True),
        ("Kan nogen hjælpe mig? Jeg vil gerne betale men jeg kan ikke lige nu.", "da", True),
        ("jeg kan betale den 20. men ring til mig", "da", True),
        ("I can only pay on the 20th, please call me", "en", True),
        ("My pay comes on the 20th. Can someone help me please?", "en", True),
        ("I can't pay right now, only on the 20th", "en", True),
        ("jeg betaler den 20.", "da", False),
        ("kan ikke betale før d 20", "da", False),
        ("har ikke betalt endnu, men betaler i overmorgen", "da", False),
        ("jeg betaler fredag, ring ikke til mig", "da", False),
        ("betaler fredag, jeg har ikke brug for hjælp", "da", False),
        ("betaler fredag, tak for hjælpen", "da", False),
        ("betaler fredag, tak for hjælp", "da", False),
        ("I'll pay friday, thanks for your help", "en", False),
        ("please don't call me, I'll pay friday", "en", False),
        # A person wished for, in the words that also say a call or a talk with someone else.
        ("kan en rådgiver ringe til mig?", "da", True),
        ("please call me", "en", True),
        ("kan nogen hjælpe mig?", "da", True),
        ("kan I ringe til mig, jeg betaler fredag", "da", True),
        ("betaler fredag, ring efter kl 16", "da", True),
        ("can someone call me? I'll pay on friday", "en", True),
        # Leave given to call is a wish for a call, as "ring gerne" is; the tenant's own call is none.
        ("den 20 og I må gerne ringe", "da", True),
        ("den 20 og du må gerne ringe", "da", True),
        ("fredag, I kan bare ringe", "da", True),
        ("fredag, du må godt ringe", "da", True),
        ("the 20th and you can call", "en", True),
        ("friday and feel free to call", "en", True),
        ("den 20, I må ikke ringe", "da", False),
        ("fredag, jeg kan ringe til jer", "da", False),
        ("fredag, I må gerne ringe til min mand", "da", False),
        ("friday, I can call you", "en", False),
        ("I want to talk to someone, I can pay friday", "en", True),
        ("jeg vil gerne tale med en, betaler fredag", "da", True),
        ("jeg betaler fredag, kan du ringe?", "da", True),
        # Asked politely, its "ikke" turns nothing down.
        ("Kan I ikke ringe til mig? Jeg betaler fredag", "da", True),
        ("kunne du ikke hjælpe mig, jeg kan først betale den 20", "da", True),
        # A call or a talk with someone else asks for no one of ours.
        ("I'll talk to my husband, pay Friday", "en", False),
        ("jeg ringer til banken og betaler fredag", "da", False),
        ("I will call the bank and pay on Friday", "en", False),
        ("jeg skal lige snakke med min mand, betaler fredag", "da", False),
        ("ring til banken i morgen, betaler fredag", "da", False),
        ("someone owes me money, I will pay on friday", "en", False),
    ],
)
def test_a_wish_for_a_person_or_help_is_told_whatever_else_the_message_says(
    text: str, language: str, asks: bool
) -> None:
    assert asks_for_person(text, language, TODAY) is asks


@pytest.mark.parametrize(
    ("text", "language", "after"),
    [
        ("nej, men ring til mig", "da", True),
        ("nej tak men ring gerne til mig", "da", True),
        ("Nej. Men ring til mig", "da", True),
        ("no, but call me", "en", True),
        ("nej", "da", False),
        ("nej, men tak", "da", False),
        ("nej men ring ikke", "da", False),
        ("ring til mig", "da", False),  # nothing after a "men": the consent question reads it as it is
    ],
)
def test_a_call_wished_for_after_a_but_is_told_apart(text: str, language: str, after: bool) -> None:
    assert asks_after_but(text, language, ("adviser",), TODAY) is after


@pytest.mark.parametrize(
    ("text", "language"),
    [("kan ikke betale nu, men den 20.", "da"), ("I can't pay right now, only on the 20th", "en")],
)
def test_cannot_pay_now_with_a_day_is_a_promise_for_that_day(text: str, language: str) -> None:
    assert pick_tag(text, language, ("will_pay", "hardship", "adviser"), TODAY) == "will_pay"
    assert find_date(text, TODAY, strict=True) == date(2026, 12, 20)


@pytest.mark.parametrize("text", ["Kan I ikke ringe til mig?", "kan du ikke ringe mig op", "kunne I ikke ringe?"])
def test_a_call_asked_for_politely_is_a_wish_for_the_adviser(text: str) -> None:
    """ "Kan I ikke ringe til mig?" asks us to call; it never got the line telling the tenant to call us instead."""
    assert pick_tag(text, "da", PRECEDENCE, TODAY) == "adviser"


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        # A call or a talk with someone else named is no adviser wished for, with a day or without one.
        ("jeg ringer til banken", "da", None),
        ("I'll call the bank", "en", None),
        ("I will talk to my husband", "en", None),
        ("jeg skal snakke med min mand", "da", None),
        ("jeg ringer lige til kommunen", "da", None),
        # Whoever else it is: the offices a tenant in trouble calls, and the people close to them.
        ("jeg ringer til ydelseskontoret", "da", None),
        ("jeg ringer til sagsbehandleren", "da", None),
        ("jeg ringer til borgerservice", "da", None),
        ("jeg ringer til jobcenter", "da", None),
        ("jeg ringer til Udbetaling Danmark", "da", None),
        ("jeg ringer til min kæreste", "da", None),
        ("jeg skal tale med min veninde", "da", None),
        ("I'll call council", "en", None),
        ("I'll call the job centre", "en", None),
        ("I will talk to my caseworker", "en", None),
        ("I'll speak to my partner", "en", None),
        # A call to the tenant, a talk with us or with an adviser is one.
        ("ring til mig", "da", "adviser"),
        ("ring til mit nummer", "da", "adviser"),
        ("call me", "en", "adviser"),
        ("kan jeg tale med jer?", "da", "adviser"),
        ("I want to talk to the adviser", "en", "adviser"),
        ("ring", "da", "adviser"),
    ],
)
def test_a_call_or_talk_with_someone_else_is_no_wish_for_an_adviser(
    text: str, language: str, expected: str | None
) -> None:
    assert pick_tag(text, language, QUESTION, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "language", "asks"),
    [
        # Help had from someone else named asks nothing of us, with a day or without one.
        ("jeg får hjælp af min bror, betaler fredag", "da", False),
        ("min bror vil hjælpe mig, jeg betaler den 15.", "da", False),
        ("I get help from my brother, will pay Friday", "en", False),
        ("my family can help, I will pay on friday", "en", False),
        ("jeg får hjælp fra kommunen og betaler fredag", "da", False),
        # Named alone, before the help: "kommunen vil hjælpe mig" as "min bror vil hjælpe mig".
        ("kommunen vil hjælpe mig, jeg betaler fredag", "da", False),
        ("jeg tror jobcentret kan hjælpe", "da", False),
        ("familien vil gerne hjælpe, betaler den 15.", "da", False),
        ("I think the council can help, I will pay friday", "en", False),
        # Help asked of us, or of anyone, still is a wish for help.
        ("kan I hjælpe mig? jeg betaler fredag", "da", True),
        ("jeg har brug for hjælp til huslejen, betaler fredag", "da", True),
        ("jeg vil gerne have hjælp fra en rådgiver, betaler fredag", "da", True),
        ("I need help from you, I can pay friday", "en", True),
        ("kan du hjælpe min mor? jeg betaler fredag", "da", True),
        # A call to someone else asked of us is a wish all the same.
        ("kan I ringe til min datter? jeg betaler fredag", "da", True),
        ("can you call my daughter, I will pay friday", "en", True),
        ("please call my son, I will pay friday", "en", True),
        ("kan nogen ringe til min søn? betaler fredag", "da", True),
    ],
)
def test_help_or_a_call_with_someone_else_asks_for_nothing_unless_asked_of_us(
    text: str, language: str, asks: bool
) -> None:
    assert asks_for_person(text, language, TODAY) is asks
    assert (pick_tag(text, language, ("adviser", "help"), TODAY) is not None) is asks


@pytest.mark.parametrize(
    ("text", "language", "told"),
    [
        ("Jeg er syg og kan først betale den 20.", "da", True),
        ("har mistet mit job, betaler fredag", "da", True),
        ("I'm sick and can only pay on the 20th", "en", True),
        ("jeg bliver smidt ud", "da", True),  # afraid of losing the home: told, never "not understood"
        ("JEG BLIVER SMIDT UD HVIS JEG IKKE BETALER", "da", True),
        ("de saetter mig ud", "da", True),
        ("fogeden kommer på mandag", "da", True),
        ("I will be evicted", "en", True),
        ("I will be evicted", "da", True),  # English in a Danish conversation
        ("im going to lose my home", "en", True),
        ("ingen penge før den 20.", "da", True),
        ("kan ikke betale før den 20.", "da", False),  # when, not why
        ("jeg betaler den 20.", "da", False),
        ("I can't pay until friday", "en", False),
    ],
)
def test_a_reason_why_paying_is_hard_is_told_apart_from_a_day_alone(text: str, language: str, told: bool) -> None:
    assert tells_hardship(text, language) is told


@pytest.mark.parametrize(
    ("text", "language", "day"),
    [
        # A day said with a call or a talk, no payment spoken of in its clause, is when to call: no day to pay.
        ("ringer til kommunen i morgen", "da", None),
        ("jeg ringer til jobcentret på mandag", "da", None),
        ("i morgen ringer jeg til ydelseskontoret", "da", None),
        ("ring til min mobil i morgen", "da", None),
        ("kan I ringe til min datter på fredag?", "da", None),
        ("I'll call the council tomorrow", "en", None),
        ("call my mobile on Friday", "en", None),
        # Beside a payment, in its clause or its own, the day is the payment's.
        ("jeg ringer til banken og betaler fredag", "da", date(2026, 12, 4)),
        ("i morgen ringer jeg til kommunen, og så betaler jeg fredag", "da", date(2026, 12, 4)),
        ("jeg får løn fredag og ringer til banken", "da", date(2026, 12, 4)),
        ("I will call the bank and pay on Friday", "en", date(2026, 12, 4)),
        ("I can pay on the 20th, please call me", "en", date(2026, 12, 20)),
    ],
)
def test_a_day_said_with_a_call_is_when_to_call_not_when_to_pay(text: str, language: str, day: date | None) -> None:
    assert find_date(text, TODAY) == day
    assert (pick_tag(text, language, QUESTION, TODAY) == "will_pay") is (day is not None)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        # An office named with its hyphen is the office named without it: a plan, no adviser wished for.
        ("jeg ringer til a-kassen", "da", "unsure"),
        ("jeg ringer lige til a-kassen i morgen", "da", "unsure"),
        ("jeg skal snakke med a-kassen", "da", "unsure"),
        ("a-kassen vil hjælpe mig", "da", None),
        ("I'll call job-centre tomorrow", "en", "unsure"),
        ("I will talk to case-worker", "en", "unsure"),
        # A call to the tenant stays a wish for an adviser.
        ("ring til mig", "da", "adviser"),
        ("call me", "en", "adviser"),
    ],
)
def test_someone_else_named_with_a_hyphen_is_someone_else(text: str, language: str, expected: str | None) -> None:
    """ "Jeg ringer til a-kassen" is read as "jeg ringer til akassen" is: never a call asked of us (the consent question
    would come as if the tenant had asked an adviser to call)."""
    assert pick_tag(text, language, PRECEDENCE, TODAY) == expected
    assert pick_tag(text.replace("-", ""), language, PRECEDENCE, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "upset"),
    [
        ("fuck jer", True),
        ("mine børn sulter", True),
        ("jeg er så bange", True),
        ("i am scared", True),
        ("jeg betaler fredag", False),
        ("ok", False),
    ],
)
def test_anger_or_despair_in_words_is_told_apart(text: str, upset: bool) -> None:
    assert sounds_upset(text) is upset


@pytest.mark.parametrize(
    ("text", "language", "cannot"),
    [
        ("kan ikke betale i dag", "da", True),
        ("I cant pay tomorrow", "en", True),
        ("kan ikke betale før d 15", "da", False),  # not before the 15th: the 15th is promised
        ("kan ikke betale nu, men den 20.", "da", False),
        ("betaler i dag", "da", False),
        ("kan ikke betale", "da", False),  # no day named
    ],
)
def test_a_day_named_as_when_one_cannot_pay_is_no_promise(text: str, language: str, cannot: bool) -> None:
    assert cannot_pay_that_day(text, language, TODAY) is cannot


@pytest.mark.parametrize(
    "text",
    [
        "jeg vil tage mit liv",
        "Jeg vil tage mit eget liv",
        "jeg vil ta mit liv",
        "jeg orker ikke at leve mere",
        "jeg orker ikk at leve mere",
        "jeg vil ikke leve mere",
        "jeg slår mig selv ihjel",
        "jeg slaar mig selv ihjel",
        "jeg vil slå mig selv ihjel",
        "selvmord",
        "jeg har selvmordstanker",
        "jeg tænker på selvmord",
        "jeg vil bare dø",
        "jeg orker ikke mere, vil bare dø",
        "jeg vil doe",
        "jeg har lyst til at dø",
        "jeg er bange for at gøre mig selv noget",
        "jeg skærer i mig selv",
        "livet er ikke værd at leve",
        "der er ingen grund til at leve",
        "jeg ville ønske jeg var død",
        "I want to die",
        "I just want to die",
        "i really wanna die",
        "I feel like dying",
        "life is not worth living",
        "I wish I was dead",
        "i wanna die",
        "I'm going to kill myself",
        "im gonna kill myself",
        "end my life",
        "I'm suicidal",
        "I don't want to live anymore",
        "I want to end it all",
        "I've been self-harming",
    ],
)
def test_words_of_crisis_are_heard(text: str) -> None:
    """Wanting to die, suicide or self-harm said in clear words, Danish with or without æøå and misspelt, or English:
    the tenant gets Livslinien and 112 before anything else."""
    assert sounds_in_crisis(text)


@pytest.mark.parametrize(
    "text",
    [
        "jeg dør af grin",
        "I feel like dying my hair",
        "jeg døde af grin",
        "jeg er ved at dø af sult",
        "the phone died",
        "my phone is dead",
        "dead tired",
        "I'm dead tired",
        "I'd die for a coffee",
        "I'm dying to know",
        "min mor døde",
        "my dad died last month",
        "jeg kan ikke leve af min løn",
        "jeg vil ikke leve af kontanthjælp",
        "jeg vil ikke leve i den lejlighed",
        "jeg vil på do",
        "hun vil dø",  # another's death, said of a parent, say: no words of crisis of the tenant's own
        "I just want to pay",
        "tag mit liv i hænderne",
        "fuck jer",
        "jeg orker ikke mere",
        "jeg betaler fredag",
    ],
)
def test_figures_of_speech_are_no_crisis(text: str) -> None:
    """ "Jeg dør af grin", "the phone died", "I'd die for a coffee", or despair without words of dying: no crisis
    line (the other distress readings answer what they answer)."""
    assert not sounds_in_crisis(text)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        # Words for "no" that also negate the word beside them: a no only as all that is said, thanks aside.
        ("لا أستطيع الدفع", "ar", "hardship"),  # "I cannot pay", heard as "nej jeg kan ikke betale" is
        ("لا، لا أستطيع الدفع", "ar", "hardship"),
        ("لا أملك المال", "ar", "hardship"),
        ("خسرت شغلي", "ar", "hardship"),  # "I lost my job", heard as "jeg har mistet mit job" is
        ("لا أعرف", "ar", "unrecognised"),  # "I don't know": no "no"
        ("لا أريد", "ar", "no_thanks"),  # "I don't want (it)": a no in words of its own
        ("gerek yok", "tr", "no_thanks"),  # "no need"
        ("لا", "ar", "no_thanks"),
        ("لا شكرا", "ar", "no_thanks"),
        ("param yok", "tr", "hardship"),  # "I have no money"
        ("ödeyemiyorum, param yok", "tr", "hardship"),
        ("hayır, param yok", "tr", "hardship"),
        ("yok", "tr", "no_thanks"),
        ("yok teşekkürler", "tr", "no_thanks"),
        ("nej jeg kan ikke betale", "da", "hardship"),
    ],
)
def test_a_no_word_that_negates_another_is_no_no_to_the_opening_question(
    text: str, language: str, expected: str
) -> None:
    asked, _ = start("payment_check", Context("", language, "sms"), NOW)
    state, events = resume(asked, TextReceived(text, "sms"), NOW)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)][:1] == [expected]
    assert state.ended == (expected == "no_thanks")  # money trouble is heard and a person offered, not an end


@pytest.mark.parametrize(
    ("text", "language"), [("خسرت شغلي", "ar"), ("فقدت وظيفتي", "ar"), ("jeg har mistet mit job", "da")]
)
def test_a_lost_job_in_arabic_is_what_happened_as_in_danish(text: str, language: str) -> None:
    """ "خسرت شغلي" ("I lost my job") at Telegram's reason question was not understood; the Danish is the reason."""
    asked, _ = start("payment_check", Context("", language, "telegram"), NOW)
    part, _ = resume(asked, ButtonPressed("part", "telegram"), NOW)
    reason, _ = resume(part, TextReceived("500", "telegram"), NOW)
    assert reason.step == "reason"
    _, events = resume(reason, TextReceived(text, "telegram"), NOW)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)][:1] == ["lost_job"]


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("RÅDGIVER", "da", True),
        ("DANIŞMAN", "tr", True),
        ("danisman", "tr", True),
        ("مستشار", "ar", True),
        ("danışman istemiyorum", "tr", False),
        ("لا أريد مستشار", "ar", False),
    ],
)
def test_the_adviser_word_in_arabic_or_turkish_asks_for_a_person_as_raadgiver_does(
    text: str, language: str, expected: bool
) -> None:
    """ "DANIŞMAN", "مستشار", the words the Arabic and Turkish texts name, reach a person wherever RÅDGIVER does (a
    stopped tenant's message among them): "Å" is hard to type on those keyboards. Turned down, they ask for no one."""
    assert asks_for_person(text, language, TODAY) is expected
