"""The renderer: files per language and channel, strict values, Babel filters, buttons, org values."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from jinja2 import UndefinedError

from bot.outbox.render import Renderer, TemplateMissing
from bot.settings import Settings
from conversations.commands import TenantFacts, command
from conversations.model import Channel, Choice, FlowSettings, MessageRequested
from conversations.values import Money, Value

ROOT = Path(__file__).resolve().parents[3]


def _settings(**overrides: object) -> Settings:
    return Settings(_env_file=None, **overrides)  # type: ignore[arg-type,call-arg]


@pytest.fixture
def tmp_templates(tmp_path: Path) -> Path:
    for lang in ("da", "en"):
        (tmp_path / lang).mkdir()
    (tmp_path / "da" / "t.amount.telegram.txt").write_text("Du kan betale {{ amount | money }}.\n")
    (tmp_path / "en" / "t.amount.telegram.txt").write_text("You can pay {{ amount | money }}.\n")
    (tmp_path / "da" / "t.date.sms.txt").write_text("Den {{ pay_on | date }}.\n")
    (tmp_path / "en" / "t.date.sms.txt").write_text("On {{ pay_on | date }}.\n")
    (tmp_path / "da" / "t.org.sms.txt").write_text("{{ org_name }} {{ adviser_phone }} {{ adviser_hours }}\n")
    (tmp_path / "da" / "t.strict.sms.txt").write_text("Hej {{ missing }}\n")
    (tmp_path / "da" / "t.only_da.sms.txt").write_text("kun dansk\n")
    return tmp_path


def test_money_and_date_are_formatted_for_the_language(tmp_templates: Path) -> None:
    renderer = Renderer(tmp_templates, _settings())
    da = renderer.render("t.amount", {"amount": Money(250050)}, "da", "telegram")
    assert da.text == "Du kan betale 2.500,50 kr.."
    # English reads an amount the English way, never Danish numbers with a decimal comma.
    assert renderer.render("t.amount", {"amount": Money(250050)}, "en", "telegram").text == "You can pay DKK 2,500.50."
    assert renderer.render("t.amount", {"amount": Money(50000)}, "en", "telegram").text == "You can pay DKK 500.00."
    assert renderer.render("t.date", {"pay_on": date(2026, 3, 1)}, "da", "sms").text == "Den 1. marts 2026."
    assert renderer.render("t.date", {"pay_on": date(2026, 3, 1)}, "en", "sms").text == "On 1 March 2026."


def test_an_appointments_time_is_written_as_the_tenants_language_writes_it(tmp_path: Path) -> None:
    """Danish writes "kl. 14.30"; the value is stored as 14:30 whatever the language, and English (as its opening
    hours) and Turkish keep the colon."""
    for lang, words in (
        ("da", "Kl. {{ time|clock }}."),
        ("tr", "Saat {{ time|clock }}."),
        ("en", "At {{ time|clock }}."),
    ):
        (tmp_path / lang).mkdir()
        (tmp_path / lang / "t.clock.sms.txt").write_text(words + "\n")
    renderer = Renderer(tmp_path, _settings())
    assert renderer.render("t.clock", {"time": "14:30"}, "da", "sms").text == "Kl. 14.30."
    assert renderer.render("t.clock", {"time": "09:05"}, "da", "sms").text == "Kl. 09.05."
    assert renderer.render("t.clock", {"time": "14:30"}, "tr", "sms").text == "Saat 14:30."
    assert renderer.render("t.clock", {"time": "14:30"}, "en", "sms").text == "At 14:30."


def test_renderers_share_compiled_texts_but_each_folder_says_its_own_words(tmp_path: Path) -> None:
    """Compiled templates are shared within the process; the same name with other words is never mixed up."""
    folders = []
    for words in ("Hej {{ org_name }}", "Goddag {{ org_name }}", "Hej {{ org_name }}"):
        folder = tmp_path / str(len(folders))
        (folder / "da").mkdir(parents=True)
        (folder / "da" / "t.hello.sms.txt").write_text(words + "\n")
        folders.append(folder)
    texts = [Renderer(f, _settings(org_name="Boligen")).render("t.hello", {}, "da", "sms").text for f in folders]
    assert texts == ["Hej Boligen", "Goddag Boligen", "Hej Boligen"]
    (folders[0] / "da" / "t.hello.sms.txt").write_text("Hejsa {{ org_name }}\n")
    again = Renderer(folders[0], _settings(org_name="Boligen"))
    assert again.render("t.hello", {}, "da", "sms").text == "Hejsa Boligen"


def test_money_filter_refuses_a_plain_number(tmp_templates: Path) -> None:
    renderer = Renderer(tmp_templates, _settings())
    with pytest.raises(TypeError, match="Money"):
        renderer.render("t.amount", {"amount": 2500}, "da", "telegram")


def test_organisation_values_come_from_settings(tmp_templates: Path) -> None:
    renderer = Renderer(tmp_templates, _settings(org_name="Boligforeningen Nord", adviser_phone="+4533123456"))
    assert renderer.render("t.org", {}, "da", "sms").text == "Boligforeningen Nord 33 12 34 56 man-fre 9-15"


_APPOINTMENT: dict[str, Value] = {"first_name": "Amira", "day": date(2026, 3, 5), "time": "14:30", "place": "Byvej 12"}


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize("language", ["da", "en", "tr"])
def test_a_reminder_gives_the_number_to_call_in_groups_as_it_is_dialled(language: str, channel: Channel) -> None:
    """A tenant on a basic phone reads and types "70 10 20 30", not "+4570102030", however the number is set."""
    for setting in ("+4570102030", "70102030", "+45 70 10 20 30"):
        text = Renderer(ROOT / "templates", _settings(adviser_phone=setting)).render(
            "appointment.reminder", _APPOINTMENT, language, channel
        )
        assert text.text.count("70 10 20 30") == 1 and "4570102030" not in text.text, (setting, text.text)


@pytest.mark.parametrize("channel", ["sms", "telegram"])
def test_an_answer_gives_both_numbers_in_groups_and_a_short_number_as_written(channel: Channel) -> None:
    renderer = Renderer(ROOT / "templates", _settings(adviser_phone="+4570102030", kommune_phone="1813"))
    text = renderer.render("consent.declined", {}, "da", channel).text
    assert text.count("70 10 20 30") == 1 and text.count("1813") == 1, text
    abroad = Renderer(ROOT / "templates", _settings(kommune_phone="+442079460000"))
    assert "+44 20 7946 0000" in abroad.render("consent.declined", {}, "en", channel).text


@pytest.mark.parametrize("channel", ["sms", "telegram"])
def test_in_arabic_the_groups_of_the_number_are_held_together(channel: Channel) -> None:
    """Between digits in right-to-left text a plain space lets "70 10 20 30" show as "30 20 10 70"; a no-break space
    keeps one number, in the order it is dialled: the adviser's, and the crisis line's written in the text."""
    renderer = Renderer(ROOT / "templates", _settings(adviser_phone="+4570102030"))
    text = renderer.render("appointment.reminder", _APPOINTMENT, "ar", channel).text
    assert text.count("70\xa010\xa020\xa030") == 1 and "4570102030" not in text, text
    crisis = renderer.render("common.crisis", {}, "ar", channel).text
    assert crisis.count("70\xa0201\xa0201") == 1, crisis
    assert "70 201 201" in renderer.render("common.crisis", {}, "da", channel).text


def test_missing_value_is_an_error_not_an_empty_string(tmp_templates: Path) -> None:
    with pytest.raises(UndefinedError):
        Renderer(tmp_templates, _settings()).render("t.strict", {}, "da", "sms")


def test_missing_language_falls_back_and_missing_key_raises(tmp_templates: Path) -> None:
    renderer = Renderer(tmp_templates, _settings())
    assert renderer.render("t.only_da", {}, "en", "sms").text == "kun dansk"
    with pytest.raises(TemplateMissing):
        renderer.render("t.nothing", {}, "en", "sms")


def test_telegram_gets_buttons_and_sms_lists_options_in_text() -> None:
    renderer = Renderer(ROOT / "templates", _settings())
    values = {"first_name": "", "trigger": ""}
    choices = (Choice("paid", "choice.paid"), Choice("adviser", "choice.adviser"))
    telegram = renderer.render("payment_check.question", values, "da", "telegram", choices)
    assert telegram.buttons == (("Jeg har betalt", "paid"), ("Tal med en rådgiver", "adviser"))
    sms = renderer.render("payment_check.question", values, "da", "sms", choices)
    assert sms.buttons == ()
    assert "1 Betalt" in sms.text and sms.text.endswith("Afmeld: STOP")


def test_adviser_reply_is_rendered_as_written() -> None:
    renderer = Renderer(ROOT / "templates", _settings())
    text = "Hej, <b>vi</b> ringer {{ i morgen }}"
    assert renderer.render("case.reply", {"text": text}, "da", "telegram").text == text


def test_link_code_sms_has_the_code_and_no_link() -> None:
    renderer = Renderer(ROOT / "templates", _settings())
    for language in ("da", "en"):
        text = renderer.render("link.code", {"code": "482913"}, language, "sms").text
        assert "482913" in text and "http" not in text and "t.me" not in text


def test_danish_greetings_read_naturally() -> None:
    renderer = Renderer(ROOT / "templates", _settings())
    for channel in ("sms", "telegram"):
        welcome = renderer.render("telegram.welcome", {}, "da", channel).text
        assert welcome.startswith("Velkommen til Boligselskabet.")
        question = renderer.render("payment_check.question", {"first_name": "Amira", "trigger": ""}, "da", channel)
        assert question.text.startswith("Hej Amira, det er Boligselskabet.")


def test_sms_help_and_promise_texts_offer_telegram_by_the_word_the_service_accepts() -> None:
    from conversations.keywords import classify

    renderer = Renderer(ROOT / "templates", _settings(), telegram_on=True)
    without = Renderer(ROOT / "templates", _settings(), telegram_on=False)
    for language, word in (("da", "TELEGRAM"), ("en", "TELEGRAM")):
        help_text = renderer.render("help_info.about", {}, language, "sms").text
        values = {"pay_on": date(2026, 12, 15), "trigger": ""}
        promised = renderer.render("payment_check.promised", values, language, "sms").text
        assert word in help_text and word in promised
        # A promise at the påkrav or court stage carries its one action (pay in time, call today), no offer beside it.
        for urgent in ("demand", "court"):
            stage = renderer.render("payment_check.promised", {**values, "trigger": urgent}, language, "sms").text
            assert word not in stage
        # A deployment without Telegram never offers it.
        assert word not in without.render("help_info.about", {}, language, "sms").text
        assert word not in without.render("payment_check.promised", values, language, "sms").text
        keyword = classify(word, [language])
        assert keyword is not None and keyword.kind == "telegram"


STAGE_WORDS = {
    "da": ("hele beløbet i brevet skal være betalt inden fristen", "Ring alligevel til os i dag", "fristen", "løsning"),
    "en": ("the full amount in the letter must be paid", "call us anyway on 70 00 00 00 today", "deadline", "solution"),
}
# Thursday 3 December 2026, 10:00 in Copenhagen: the adviser answers today (man-fre 9-15).
OPEN_NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize("channel", ["sms", "telegram"])
def test_confirmations_follow_the_stage_of_the_reminder(language: str, channel: str) -> None:
    renderer = Renderer(ROOT / "templates", _settings(), telegram_on=True)
    still_applies, call_anyway, deadline, solution = STAGE_WORDS[language]

    def text(key: str, trigger: str) -> str:
        values = {"pay_on": date(2026, 12, 15), "trigger": trigger, "first_name": "Amira"}
        return renderer.render(key, values, language, channel, now=OPEN_NOW).text

    for key in ("payment_check.paid", "payment_check.promised"):
        assert still_applies in text(key, "demand") and call_anyway not in text(key, "demand")
        # The court stage: the letter's deadline has passed; the tenant is asked to call today anyway.
        assert call_anyway in text(key, "court") and deadline not in text(key, "court").lower()
        assert still_applies not in text(key, "missed") and call_anyway not in text(key, "missed")
    opener = text("payment_check.question", "court")
    assert solution in opener and "70 00 00 00" in opener and deadline not in opener.lower()
    # A payment seen in the ledger: at the court stage it does not end the matter (the organisation decides), so
    # the thanks asks for the call instead of saying there is nothing more to do.
    registered = {trigger: text("payment_check.paid_registered", trigger) for trigger in ("missed", "demand", "court")}
    assert "70 00 00 00" in registered["court"] and "70 00 00 00" not in registered["missed"]
    assert registered["demand"] == registered["missed"]


@pytest.mark.parametrize(("language", "words"), [("da", "efter fristen i brevet"), ("en", "after the deadline")])
def test_a_promise_after_the_deadline_asks_to_pay_within_the_letter_without_its_date(language: str, words: str) -> None:
    renderer = Renderer(ROOT / "templates", _settings())
    for channel in ("sms", "telegram"):
        values = {"pay_on": date(2026, 12, 15), "trigger": "demand"}
        text = renderer.render("payment_check.promised_late", values, language, channel).text
        assert words in text and "2026" in text  # the tenant's own date, and no other
        assert text.count("2026") == 1


@pytest.mark.parametrize("language", ["da", "en", "ar", "tr"])
@pytest.mark.parametrize("key", ["payment_check.part_promised", "payment_check.part_promised_late"])
def test_a_part_promised_says_the_amount_on_telegram_and_the_day_only_by_sms(language: str, key: str) -> None:
    """A part payment promised for a day: Telegram confirms the amount and the day; an SMS the day only, never the
    amount, even when the values carry it (a Telegram message that falls back to SMS is rendered by SMS rules)."""
    from bot.outbox.sms_rules import amount_like

    renderer = Renderer(ROOT / "templates", _settings())
    values = {"pay_on": date(2026, 12, 15), "amount": Money(50000), "trigger": "demand"}
    telegram = renderer.render(key, values, language, "telegram").text
    sms = renderer.render(key, values, language, "sms").text
    assert "500" in telegram and "2026" in telegram
    assert "2026" in sms and "500" not in sms and not amount_like(sms), sms


@pytest.mark.parametrize(
    ("hours", "language", "shown"),
    [
        ("man-fre 9-15", "da", "(man-fre kl. 9-15)"),
        ("man-fre 9-15", "en", "(Mon-Fri 9:00-15:00)"),
        ("man-fre 9-15", "ar", "(الاثنين-الجمعة 9:00-15:00)"),
        ("Mon-Thu 9-15, Fri 9.30-12", "da", "(man-tor kl. 9-15, fre kl. 9.30-12)"),
        ("Mon-Thu 9-15, Fri 9.30-12", "en", "(Mon-Thu 9:00-15:00, Fri 9:30-12:00)"),
        # Words it cannot read as days and hours are shown as written, in every language.
        ("hverdage 9-15", "en", "(hverdage 9-15)"),
    ],
)
def test_opening_hours_are_worded_in_the_tenants_language(hours: str, language: str, shown: str) -> None:
    renderer = Renderer(ROOT / "templates", _settings(adviser_hours=hours))
    text = renderer.render("help_info.about", {}, language, "sms").text
    assert shown in text
    if language != "da" and hours != "hverdage 9-15":
        assert "man-fre" not in text and "fre " not in text


def test_hello_at_the_opening_question_names_the_tenant_once() -> None:
    # "Hej" right after the opening question: a short line that greets by name and points to the answers. After the
    # nudge: the greeting, then the question again, which greets by name itself.
    from conversations.engine import resume, start
    from conversations.model import Context, FlowSettings, MessageRequested, TextReceived, WaitExpired

    renderer = Renderer(ROOT / "templates", _settings())
    now = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    later = now + timedelta(hours=25)
    for language in ("da", "en", "ar", "tr"):
        for channel in ("sms", "telegram"):
            context = Context("Carl", language, channel, "missed", FlowSettings())
            state, _ = start("payment_check", context, now)
            nudged, _ = resume(state, WaitExpired(), later)
            for waiting, first, at in ((state, "common.greeting_question", now), (nudged, "common.greeting", later)):
                _, events = resume(waiting, TextReceived("hej", channel), at)
                said = [renderer.render(e.template, e.values, language, channel).text for e in events]
                assert next(e.template for e in events if isinstance(e, MessageRequested)) == first
                assert " ".join(said).count("Carl") == 1, (language, channel, said)


@pytest.mark.parametrize(
    ("values", "channel", "shown"),
    [
        ({"options": 4}, "sms", "Hej Carl. Svar 1, 2, 3 eller 4 på spørgsmålet ovenfor."),
        ({"options": 2}, "sms", "Hej Carl. Svar 1 eller 2 på spørgsmålet ovenfor."),
        ({"options": 7}, "sms", "Hej Carl. Svar med et tal fra 1 til 7 på spørgsmålet ovenfor."),
        ({"yes_no": 1}, "sms", "Hej Carl. Svar JA eller NEJ på spørgsmålet ovenfor."),
        ({"buttons": 1}, "telegram", "Hej Carl. Vælg et svar herunder."),
        # A Telegram pointer that goes out by SMS instead has no buttons to point to.
        ({"buttons": 1}, "sms", "Hej Carl. Svar gerne på spørgsmålet ovenfor."),
    ],
)
def test_a_greeting_right_after_a_question_points_to_its_answers(
    values: dict[str, int], channel: Channel, shown: str
) -> None:
    renderer = Renderer(ROOT / "templates", _settings())
    assert renderer.render("common.greeting_question", {"first_name": "Carl", **values}, "da", channel).text == shown


def test_a_bad_code_points_to_an_sms_only_where_keephome_answers_one() -> None:
    for sms_on in (True, False):
        renderer = Renderer(ROOT / "templates", _settings(), telegram_on=True, sms_on=sms_on)
        for language in ("da", "en"):
            text = renderer.render("link.bad_code", {}, language, "telegram").text
            assert ("TELEGRAM" in text) is sms_on, (language, text)


def test_after_a_promise_or_a_closed_case_the_tenant_is_asked_to_write_not_to_send_a_help_word() -> None:
    # HJÆLP outside a question is the who-we-are text; writing to us starts a conversation that can reach a person.
    renderer = Renderer(ROOT / "templates", _settings())
    values = {"pay_on": date(2026, 12, 15), "trigger": ""}
    for channel in ("sms", "telegram"):
        for key, shown in (("payment_check.promised", values), ("case.closed", {}), ("payment_check.no_help", {})):
            text = renderer.render(key, shown, "da", channel).text
            assert "skriv til os her" in text.lower() and "HJÆLP" not in text, (key, text)


def test_a_name_with_a_letter_outside_gsm_is_spelled_so_the_sms_stays_short() -> None:
    """One "ş" would make the whole reminder UCS-2 (three parts instead of one); on Telegram the name is as written."""
    from bot.outbox.sms_rules import sms_segments

    renderer = Renderer(ROOT / "templates", _settings())
    values = {"first_name": "Ayşe", "trigger": ""}
    sms = renderer.render("payment_check.question", values, "da", "sms").text
    assert sms.startswith("Hej Ayse,") and sms_segments(sms)[0] == "GSM-7"
    assert renderer.render("payment_check.question", values, "da", "telegram").text.startswith("Hej Ayşe,")
    arabic = renderer.render("payment_check.question", {**values, "first_name": "محمد"}, "da", "sms").text
    assert "محمد" in arabic  # no base letters: as written


def test_an_advisers_typographic_quotes_and_dashes_go_by_sms_as_plain_ones() -> None:
    """One "’" from a phone's keyboard would make the whole reply UCS-2: 70 characters a part instead of 160."""
    from bot.outbox.sms_rules import sms_segments

    renderer = Renderer(ROOT / "templates", _settings())
    written = "Hej Anna – jeg har talt med kommunen. Kom på mandag kl. 10 … “Vi ses”, skriver de. Det er ok’et."
    sms = renderer.render("case.reply", {"text": written}, "da", "sms").text
    assert sms == 'Hej Anna - jeg har talt med kommunen. Kom på mandag kl. 10 ... "Vi ses", skriver de. Det er ok\'et.'
    assert sms_segments(sms) == ("GSM-7", 1)
    assert renderer.render("case.reply", {"text": written}, "da", "telegram").text == written


CPH = ZoneInfo("Europe/Copenhagen")
# The texts that ask the tenant to call the adviser, with the values that make them ask.
CALL_TEXTS = (
    ("payment_check.question", "court"),
    ("payment_check.promised", "court"),
    ("payment_check.part_promised", "court"),
    ("payment_check.paid", "court"),
    ("payment_check.paid_registered", "court"),
    ("payment_check.promised_late", "demand"),
    ("payment_check.part_promised_late", "demand"),
)
CALL_WORDS = {
    "da": {"today": "i dag inden kl. 15.00 på", "tomorrow": "i morgen på", "monday": "mandag på"},
    "en": {
        "today": "70 00 00 00 today before 15:00",
        "tomorrow": "70 00 00 00 tomorrow",
        "monday": "70 00 00 00 on Monday",
    },
    "ar": {"today": "اليوم", "tomorrow": "غدا", "monday": "يوم الاثنين"},
    "tr": {"today": "bugün", "tomorrow": "yarın", "monday": "pazartesi"},
}
SATURDAY_MORNING = datetime(2026, 12, 5, 10, 0, tzinfo=CPH)  # a court opener may go on a Saturday
TUESDAY_NIGHT = datetime(2026, 12, 8, 23, 0, tzinfo=CPH)  # an answer to the tenant's own message, at any hour
TUESDAY_MORNING = datetime(2026, 12, 8, 10, 0, tzinfo=CPH)


def _call_text(
    renderer: Renderer, key: str, trigger: str, language: str, channel: Channel, now: datetime | None
) -> str:
    values = {"pay_on": date(2026, 12, 15), "trigger": trigger, "first_name": "Amira", "amount": Money(50000)}
    return renderer.render(key, values, language, channel, now=now).text


@pytest.mark.parametrize("language", ["da", "en", "ar", "tr"])
@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(("key", "trigger"), CALL_TEXTS)
def test_a_call_is_asked_for_today_only_when_the_adviser_answers_today(
    key: str, trigger: str, language: str, channel: Channel
) -> None:
    """Sent on a Saturday morning: Monday; at 23:00 on a Tuesday: tomorrow; at 10:00 on a Tuesday: today."""
    renderer = Renderer(ROOT / "templates", _settings())
    words = CALL_WORDS[language]
    for now, said in ((SATURDAY_MORNING, "monday"), (TUESDAY_NIGHT, "tomorrow"), (TUESDAY_MORNING, "today")):
        text = _call_text(renderer, key, trigger, language, channel, now)
        assert words[said] in text, (now, text)
        assert all(words[other] not in text for other in words if other != said), (now, text)


@pytest.mark.parametrize("language", ["da", "en", "ar", "tr"])
@pytest.mark.parametrize(("key", "trigger"), CALL_TEXTS)
def test_without_hours_it_can_read_or_a_moment_no_day_is_claimed(key: str, trigger: str, language: str) -> None:
    """Hours written in other words ("efter aftale"), or a text rendered for no moment (a preview of a queued row):
    how to call and the hours as set, never "today"."""
    words = CALL_WORDS[language]
    free = Renderer(ROOT / "templates", _settings(adviser_hours="efter aftale"))
    parsed = Renderer(ROOT / "templates", _settings())
    for channel in ("sms", "telegram"):
        for text, hours in (
            (_call_text(free, key, trigger, language, channel, TUESDAY_MORNING), "efter aftale"),
            (_call_text(parsed, key, trigger, language, channel, None), ""),
        ):
            assert "70 00 00 00" in text.replace("\xa0", " ") and hours in text, text
            assert not any(word in text for word in words.values()), text


def test_a_text_remembered_in_the_morning_is_not_sent_unchanged_at_night() -> None:
    """The renderer remembers texts by their values: the day it names is one of them."""
    renderer = Renderer(ROOT / "templates", _settings())
    morning = _call_text(renderer, "payment_check.paid", "court", "da", "sms", TUESDAY_MORNING)
    night = _call_text(renderer, "payment_check.paid", "court", "da", "sms", TUESDAY_NIGHT)
    assert "i dag" in morning and "i morgen" in night
    assert _call_text(renderer, "payment_check.paid", "court", "da", "sms", TUESDAY_MORNING) == morning


def test_a_language_without_words_for_the_day_gives_the_hours_instead(tmp_path: Path) -> None:
    """No `common.call_day` in a language: no day in another language's words, the hours instead."""
    (tmp_path / "da").mkdir()
    (tmp_path / "xx").mkdir()
    (tmp_path / "da" / "common.call_day.sms.txt").write_text('{% if call_on == "today" %}i dag{% endif %}\n')
    call = "Ring{% if call_day %} {{ call_day }}{% else %} ({{ adviser_hours }}){% endif %}.\n"
    (tmp_path / "da" / "t.call.sms.txt").write_text(call)
    (tmp_path / "xx" / "t.call.sms.txt").write_text(call)
    renderer = Renderer(tmp_path, _settings())
    assert renderer.render("t.call", {}, "da", "sms", now=TUESDAY_MORNING).text == "Ring i dag."
    assert renderer.render("t.call", {}, "xx", "sms", now=TUESDAY_MORNING).text == "Ring (man-fre 9-15)."


@pytest.mark.parametrize(
    ("language", "others", "words"),
    [
        ("da", ("en",), ("ENGLISH",)),
        ("en", ("da",), ("DANSK",)),
        ("da", ("en", "ar", "tr"), ("ENGLISH", "العربية", "TÜRKÇE")),
        ("en", ("da", "tr"), ("DANSK", "TÜRKÇE")),
    ],
)
def test_the_language_hint_offers_each_language_word_once(
    language: str, others: tuple[str, ...], words: tuple[str, ...]
) -> None:
    """ "Forstår ikke" gets the words that switch the language: each said once, whatever the other languages on (a
    Danish hint once said "Svar ENGLISH …" and then "Write ENGLISH …")."""
    facts = TenantFacts(
        first_name="Amina",
        language=language,
        channel="sms",
        status="active",
        consented=False,
        held=False,
        conversation=None,
        languages=(language, *others),
        telegram_on=True,
        settings=FlowSettings(),
    )
    result = command(
        "forstår ikke" if language == "da" else "I don't understand", facts, datetime(2026, 12, 3, 10, tzinfo=UTC)
    )
    assert result is not None and result.kind == "language_hint"
    (hint,) = result.events
    assert isinstance(hint, MessageRequested)
    renderer = Renderer(ROOT / "templates", _settings(languages="da,en,ar,tr"))
    for channel in ("sms", "telegram"):
        text = renderer.render(hint.template, hint.values, language, channel).text
        for word in words:
            assert text.count(word) == 1, (word, text)
