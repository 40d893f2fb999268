"""`keephome check`: the shipped texts pass; bad templates written to a tmp dir are caught."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.cli.check import CheckReport, lix, main, print_report, run_check
from bot.cli.keyword_spelling import keyword_parity
from bot.cli.main import main as cli_main
from bot.outbox.render import Renderer
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[3]


def _settings(**overrides: object) -> Settings:
    return Settings(_env_file=None, **overrides)  # type: ignore[arg-type,call-arg]


@pytest.fixture(scope="module")
def shipped() -> CheckReport:
    """The report on the shipped texts, worked out once for the tests that only read it (a check renders every text in
    every language: about a second each time)."""
    return run_check(_settings(), ROOT / "templates")


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    target = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", target, ignore=shutil.ignore_patterns("console"))
    return target


@pytest.fixture
def live(tmp_path: Path) -> Path:
    """The texts of the live languages only (Danish and English): where a test changes a Danish text, the check of
    the unreviewed languages beside it (half its work) proves nothing more."""
    target = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", target, ignore=shutil.ignore_patterns("console", "ar", "tr"))
    return target


def test_shipped_texts_pass_and_unreviewed_languages_are_listed(shipped: CheckReport) -> None:
    report = shipped
    assert report.problems == []
    assert {"ar", "tr"} <= set(report.unreviewed)
    assert "da" not in report.unreviewed
    da_question = [s for s in report.sms if s.language == "da" and s.key == "payment_check.question"]
    assert da_question and all(s.encoding == "GSM-7" and s.segments <= 2 for s in da_question)


@pytest.mark.parametrize(
    ("file", "text", "complaint"),
    [
        ("payment_check.paid.sms.txt", "Du skylder {{ amount | money }}.", "amount"),
        ("payment_check.paid.sms.txt", "Betal 7.100 kr nu.", "amount"),
        ("payment_check.paid.sms.txt", "Fristen er {{ deadline | date }}.", "computed date"),
        ("payment_check.paid.sms.txt", "Du har 14 dage.", "day count"),
        ("payment_check.paid.sms.txt", "Du har restance hos os.", "forbidden word 'restance'"),
        ("payment_check.paid.sms.txt", "Din huslejerestance er sendt videre.", "forbidden word 'restance'"),
        ("payment_check.paid.sms.txt", "Sagen er i fogedretten.", "forbidden word 'foged'"),
        ("payment_check.paid.sms.txt", "Du kan blive sat ud.", "forbidden word 'sat ud'"),
        ("payment_check.paid.sms.txt", "Svar med dit CPR.", "forbidden word 'cpr'"),
        ("payment_check.paid.sms.txt", "Hej {{ tenant_cpr }}", "does not render"),
        ("payment_check.paid.sms.txt", "Hej {% if %}", "does not render"),
        # Said only at one moment of the rent timeline, or only when a call is asked for: still checked.
        ("payment_check.paid.sms.txt", "Hej.{% if trigger == 'court' %} Sagen er i fogedretten.{% endif %}", "foged"),
        ("payment_check.paid.sms.txt", "Hej.{% if call_day %} Du har 14 dage.{% endif %}", "day count"),
        ("help_info.about.sms.txt", "Hjælp. " * 60, "segments"),
        ("payment_check.question.sms.txt", "Har du brug for hjælp? Svar 1 eller 2.", "STOP"),
        ("appointment.reminder.sms.txt", "Hej {{ first_name }}. Husk din aftale i morgen.", "STOP"),
        ("volunteer.call_tomorrow.sms.txt", "Hej {{ first_name }}. Vi ringer i morgen.", "STOP"),
        # The word that a person took, let go of or closed the case, and the thanks for a payment the organisation
        # registered, come without the tenant having written: each says how to stop.
        ("case.taken.sms.txt", "En rådgiver læser nu dine beskeder.", "STOP"),
        ("case.released.sms.txt", "En anden rådgiver tager over.", "STOP"),
        ("case.closed.sms.txt", "Rådgiveren har afsluttet samtalen.", "STOP"),
        ("payment_check.paid_registered.sms.txt", "Tak! Vi kan se, at huslejen er betalt.", "STOP"),
    ],
)
def test_bad_sms_template_fails(live: Path, file: str, text: str, complaint: str) -> None:
    (live / "da" / file).write_text(text + "\n", encoding="utf-8")
    report = run_check(_settings(), live)
    assert not report.ok
    assert any(complaint in p and file in p for p in report.problems), report.problems


@pytest.mark.parametrize("key", ["case.taken", "case.released", "case.closed", "payment_check.paid_registered"])
def test_the_stop_line_costs_an_unprompted_text_no_second_segment(shipped: CheckReport, key: str) -> None:
    """A Danish or English text that fitted one GSM-7 SMS before it said how to stop still does, in every rendering."""
    report = shipped
    stats = [s for s in report.sms if s.key == key and s.language in ("da", "en")]
    assert len({s.language for s in stats}) == 2
    assert all(s.encoding == "GSM-7" and s.segments == 1 for s in stats), stats


def test_amounts_are_fine_on_telegram(live: Path) -> None:
    (live / "da" / "payment_check.paid.telegram.txt").write_text("Du kan betale {{ amount | money }} i dag.\n")
    assert run_check(_settings(), live).ok


def test_missing_text_in_an_enabled_language_fails(templates: Path) -> None:
    (templates / "en" / "link.code.sms.txt").unlink()
    (templates / "en" / "choice.part.telegram.txt").unlink()
    problems = run_check(_settings(), templates).problems
    assert "en: missing sms text 'link.code'" in problems
    assert "en: missing telegram text 'choice.part'" in problems


def test_disabled_language_findings_only_warn_and_enabling_it_fails(templates: Path) -> None:
    (templates / "tr" / "link.code.sms.txt").unlink()
    assert run_check(_settings(), templates).ok
    enabled = run_check(_settings(languages="da,en,tr"), templates)
    assert "tr: missing sms text 'link.code'" in enabled.problems
    assert "tr: enabled but not reviewed by a native speaker" in enabled.warnings


def test_enabled_language_without_templates_fails(templates: Path) -> None:
    # The settings refuse a language keephome has no texts for; a copy of the texts that lost one fails the check.
    (templates / "tr" / "meta.toml").unlink()
    report = run_check(_settings(languages="da,en,tr"), templates)
    assert "tr: enabled but templates/tr/meta.toml is missing" in report.problems


def test_report_prints_sizes_and_verdict(shipped: CheckReport) -> None:
    lines: list[str] = []
    print_report(shipped, lines.append, verbose=True)
    assert any(line.startswith("  da payment_check.question: GSM-7") for line in lines)
    assert lines[-1] == "check passed"


def test_report_is_a_summary_a_line_a_language_unless_verbose(shipped: CheckReport) -> None:
    """An operator reads a few lines and the verdict; the table of every text (hundreds of lines) is asked for."""
    short: list[str] = []
    print_report(shipped, short.append)
    texts = {(stat.language, stat.key) for stat in shipped.sms}
    assert not any(line.startswith("  da payment_check.question:") for line in short)
    for language in ("ar", "da", "en", "tr"):
        count = len({key for lang, key in texts if lang == language})
        summary = [line for line in short if line.startswith(f"  {language}: ")]
        assert len(summary) == 1 and summary[0].startswith(f"  {language}: {count} texts: ")
        assert re.search(r"the longest [a-z_.]+ \(\d segments?, \d+ characters\)$", summary[0]), summary[0]
    hardest = max(shipped.lix, key=lambda score: score.lix)
    assert f"  {len(shipped.lix)} texts, the hardest {hardest.key}.{hardest.channel} at {hardest.lix:g}" in "\n".join(
        short
    )
    assert len(short) <= 15 and short[-1] == "check passed"
    full: list[str] = []
    print_report(shipped, full.append, verbose=True)
    assert len(full) > len(texts) + len(shipped.lix) and full[-1] == "check passed"


def test_the_command_prints_the_summary_and_every_text_with_verbose(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["check"]) == 0
    short = capsys.readouterr().out.splitlines()
    assert cli_main(["check", "--verbose"]) == 0
    full = capsys.readouterr().out.splitlines()
    assert short[-1] == full[-1] == "check passed"
    assert "  da: " in "\n".join(line[:6] for line in short) and len(short) <= 15
    assert any(line.startswith("  da payment_check.question: GSM-7") for line in full) and len(full) > 300


def test_main_exit_status(live: Path) -> None:
    lines: list[str] = []
    assert main(_settings(), live, lines.append) == 0
    # One problem: the debt word (the words to write are kept, as the English text has them).
    (live / "da" / "consent.ask.sms.txt").write_text("Vi kender din gæld. Skriv TILBAGEKALD. Svar JA eller NEJ.\n")
    lines.clear()
    assert main(_settings(), live, lines.append) == 1
    assert lines[-1] == "check failed: 1 problem(s)"
    # The problem is said in the summary, not only in the table of every text.
    assert [line for line in lines if line.startswith("PROBLEM: da/consent.ask.sms.txt")], lines
    assert len(lines) <= 15


def test_a_text_keephome_does_not_send_itself_may_use_its_own_values(live: Path) -> None:
    (live / "da" / "staff.notice.telegram.txt").write_text("Ny sag {{ case_id }}: {{ url }}\n")
    assert run_check(_settings(), live).ok
    (live / "da" / "staff.notice.telegram.txt").write_text("Ny sag {{ case_id | money }}\n")
    assert not run_check(_settings(), live).ok


def test_report_says_which_languages_are_live_and_which_are_present_but_off(shipped: CheckReport) -> None:
    lines: list[str] = []
    print_report(shipped, lines.append)
    assert "Live languages (KEEPHOME_LANGUAGES): da, en" in lines
    assert "Present but off: ar, tr (their findings are warnings until enabled)" in lines
    assert any(line.startswith("Unreviewed translations: ar, tr") for line in lines)


def test_words_that_only_look_like_debt_words_pass(live: Path) -> None:
    (live / "da" / "payment_check.paid.sms.txt").write_text("Tak. Fristen i brevet gælder stadig.\n")
    assert run_check(_settings(), live).ok


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("Betal senest den {{ due_date.day }}/{{ due_date.month }}.", False),
        ("Vi ses den 15. januar.", False),
        ("Vi ses den 15. januar 2027.", True),
        ("Du betaler den {{ pay_on | date }}.", True),
        # The tenant's own day, echoed back as they gave it, may go without a year.
        ("Du betaler den {{ pay_on.day }}/{{ pay_on.month }}.", True),
    ],
)
def test_a_date_without_a_year_is_flagged_unless_it_is_the_tenants_own(live: Path, text: str, ok: bool) -> None:
    (live / "da" / "payment_check.promised.telegram.txt").write_text(text + "\n", encoding="utf-8")
    report = run_check(_settings(), live)
    assert report.ok is ok, report.problems
    if not ok:
        assert any("date without a year" in p and "payment_check.promised.telegram" in p for p in report.problems)


def test_lix_is_words_per_sentence_plus_the_share_of_long_words() -> None:
    assert lix("Det er en kort tekst. Den er let at læse nu.") == (5.5, 11)
    # 6 words in one sentence, 3 of them longer than six letters: 6 + 50.
    assert lix("Økonomisk rådgivning hjælper altid alle lejere") == (56.0, 6)
    assert lix("Ring 70 00 00 00.") == (1.0, 1)


def test_a_danish_text_that_reads_hard_fails_and_the_maximum_is_a_setting(live: Path) -> None:
    hard = (
        "Økonomisk rådgivning vedrørende huslejebetalinger tilbydes beboerne i afdelingerne omgående og uden betaling."
    )
    (live / "da" / "payment_check.paid.telegram.txt").write_text(hard + "\n", encoding="utf-8")
    report = run_check(_settings(), live)
    assert any(
        "LIX" in p and "KEEPHOME_LIX_MAX 35" in p and "payment_check.paid.telegram" in p for p in report.problems
    )
    assert run_check(_settings(lix_max=120), live).ok


def test_every_danish_text_reads_easily_and_the_report_says_how_easily(shipped: CheckReport) -> None:
    report = shipped
    assert report.lix and all(score.lix <= 35 and score.words >= 10 for score in report.lix)
    keys = [f"{score.key}.{score.channel}" for score in report.lix]
    assert [k for k in keys if keys.count(k) > 1] == []
    assert {"consent.confirmed.sms", "help_info.text.sms", "keyword.opted_in.sms", "case.taken.sms"} <= set(keys)
    lines: list[str] = []
    print_report(report, lines.append, verbose=True)
    assert any(line.startswith("LIX of Danish texts") for line in lines)
    assert any(line.startswith("  consent.ask.sms: ") for line in lines)


def test_the_sms_consent_question_says_how_to_withdraw_before_the_yes_and_who_sees_the_answers(
    shipped: CheckReport,
) -> None:
    report = shipped
    assert report.ok
    from bot.outbox.render import Renderer

    renderer = Renderer(ROOT / "templates", _settings())
    for language, withdraw, who, yes in (
        ("da", "TILBAGEKALD", "rådgivere og nogle få andre ansatte hos Boligselskabet", "Svar JA"),
        ("en", "WITHDRAW", "advisers and a few other staff at Boligselskabet", "Reply YES"),
    ):
        text = renderer.render("consent.ask", {"trigger": "", "first_name": ""}, language, "sms").text
        assert who in text
        assert text.index(withdraw) < text.index(yes)


@pytest.mark.parametrize(
    ("language", "file", "text", "complaint"),
    [
        # A word to write, in lower case where every other text writes it in capitals.
        ("da", "consent.who_sees.telegram.txt", "Må de det? Svar ja eller nej.", "'Svar ja'"),
        ("en", "consent.who_sees.telegram.txt", "May they? Answer yes or no.", "'Answer yes'"),
        ("da", "keyword.stop_hint.sms.txt", "Skriv stop for at afmelde beskeder fra os.", "'Skriv stop'"),
        # A word in capitals that nothing answers: misspelt, or another language's.
        ("da", "consent.confirmed.sms.txt", "Tak. Fortryder du, så skriv TILBAGEKALDE.", "'TILBAGEKALDE'"),
        ("da", "payment_check.help_open.sms.txt", "Skriv RADGIVR, hvis du vil.", "'RADGIVR'"),
        ("da", "payment_check.help_open.telegram.txt", "Skriv ADVISER, hvis du vil.", "'ADVISER'"),
        # Danish writes "sms" in lower case.
        ("da", "link.contact_not_own.telegram.txt", "Har du fået en kode på SMS, kan du skrive den.", "'SMS'"),
    ],
)
def test_a_word_to_write_is_one_keephome_understands_spelled_one_way(
    live: Path, language: str, file: str, text: str, complaint: str
) -> None:
    (live / language / file).write_text(text + "\n", encoding="utf-8")
    report = run_check(_settings(), live)
    assert any(complaint in p and file in p for p in report.problems), report.problems


def test_names_and_values_in_capitals_are_no_keywords(live: Path) -> None:
    (live / "da" / "help_info.text.telegram.txt").write_text(
        "Gratis hjælp: KFUM På Fode Igen. Ring til {{ org_name }} på {{ adviser_phone }}. Skriv gerne til os.\n",
        encoding="utf-8",
    )
    (live / "en" / "help_info.text.telegram.txt").write_text("Write the code you got by SMS.\n", encoding="utf-8")
    assert run_check(_settings(org_name="AAB BOLIG"), live).ok


@pytest.mark.parametrize(
    ("file", "text"),
    [
        ("common.nudge.telegram.txt", "Hej igen. Du kan stadig svare herunder."),
        ("payment_check.question.telegram.txt", "Hej. Har du brug for hjælp med huslejen? Vælg et svar herunder."),
        ("appointment.reminder.telegram.txt", "Hej {{ first_name }}. Husk din aftale."),
        ("volunteer.call_tomorrow.telegram.txt", "Hej {{ first_name }}. Vi ringer i morgen."),
        ("case.closed.telegram.txt", "Rådgiveren har afsluttet samtalen."),
        # Sent on Telegram only, by an adviser: the tenant did not just write either.
        ("help.kommune.telegram.txt", "Kommunen kan måske hjælpe dig med huslejen."),
    ],
)
def test_a_telegram_text_sent_unprompted_says_how_to_stop_too(live: Path, file: str, text: str) -> None:
    (live / "da" / file).write_text(text + "\n", encoding="utf-8")
    report = run_check(_settings(), live)
    assert any("must say how to stop (STOP)" in p and file in p for p in report.problems), report.problems


def test_a_full_stop_doubled_after_a_value_fails(live: Path) -> None:
    """The sample place ends with a full stop, as people write an address ("Byvej 12, 1. th.")."""
    (live / "da" / "appointment.reminder.telegram.txt").write_text(
        "Hej {{ first_name }}. Husk din aftale. Sted: {{ place }}. Skriv STOP for at afmelde.\n", encoding="utf-8"
    )
    report = run_check(_settings(), live)
    assert any("full stop doubled" in p and "appointment.reminder.telegram" in p for p in report.problems)
    (live / "da" / "appointment.reminder.telegram.txt").write_text(
        "Hej {{ first_name }}. Husk din aftale... Sted: {{ place }} Skriv STOP for at afmelde.\n", encoding="utf-8"
    )
    assert run_check(_settings(), live).ok


@pytest.mark.parametrize(
    ("text", "mark"),
    [
        ("Tak. Tryk »1« hvis du har betalt.", "'»' (U+00BB)"),
        ("Tak for besked\xa0i dag.", "'\\xa0' (U+00A0)"),
        ("Tak for besked 🙂", "U+1F642"),
    ],
)
def test_a_mark_that_alone_makes_an_sms_ucs2_fails(live: Path, text: str, mark: str) -> None:
    """One such mark in a short SMS keeps it within one segment but doubles what each costs in a longer one."""
    (live / "da" / "payment_check.paid.sms.txt").write_text(text + "\n", encoding="utf-8")
    report = run_check(_settings(), live)
    assert any(mark in p and "UCS-2" in p and "payment_check.paid.sms" in p for p in report.problems), report.problems
    # On Telegram a mark costs nothing.
    (live / "da" / "payment_check.paid.sms.txt").write_text("Tak for besked.\n", encoding="utf-8")
    (live / "da" / "payment_check.paid.telegram.txt").write_text(text + "\n", encoding="utf-8")
    assert run_check(_settings(), live).ok


@pytest.mark.parametrize(
    ("file", "text", "complaint"),
    [
        # The Danish tells the tenant to write RÅDGIVER; the English left the word out.
        ("payment_check.help_open.sms.txt", "If things are hard right now, an adviser can help you.", "nothing"),
        # The Danish asks for JA or NEJ; the English only for YES.
        ("consent.heard.sms.txt", "Thank you for telling us. Reply YES when you are ready.", "write yes, where da"),
    ],
)
def test_a_translation_tells_the_tenant_to_write_the_same_words(
    live: Path, file: str, text: str, complaint: str
) -> None:
    (live / "en" / file).write_text(text + "\n", encoding="utf-8")
    report = run_check(_settings(), live)
    assert any(complaint in p and f"en/{file}" in p for p in report.problems), report.problems


@pytest.mark.parametrize("language", ["ar", "tr"])
def test_a_translation_in_its_own_script_keeps_the_way_to_a_person_its_danish_text_gives(
    templates: Path, language: str
) -> None:
    """Arabic and Turkish name their own adviser word ("مستشار", DANIŞMAN) where the Danish text says RÅDGIVER: a text
    that leaves it out leaves out the way to a person, whatever script it is written in."""
    (templates / language / "payment_check.rest_when.sms.txt").write_text("15.\n", encoding="utf-8")
    assert keyword_parity(templates / "da", templates / language) == [
        f"{language}/payment_check.rest_when.sms.txt: tells the tenant to write nothing, where da tells adviser"
    ]


@pytest.mark.parametrize("language", ["ar", "tr"])
def test_a_translation_in_its_own_script_keeps_the_telegram_word_its_danish_text_gives(
    templates: Path, language: str
) -> None:
    """Arabic and Turkish write their yes, their STOP and their adviser word ("مستشار", DANIŞMAN) their own way, but
    the app only as TELEGRAM."""
    (templates / language / "payment_check.promised.sms.txt").write_text("15.\n", encoding="utf-8")
    assert keyword_parity(templates / "da", templates / language) == [
        f"{language}/payment_check.promised.sms.txt: tells the tenant to write nothing, where da tells telegram"
    ]


def test_arabic_and_turkish_keep_the_words_to_write_and_the_language_hint_budget(shipped: CheckReport) -> None:
    """Unreviewed translations get the same findings, as warnings: the words the Danish text tells the tenant to
    write (RÅDGIVER, TELEGRAM), and the SMS budget of the hint to a tenant who cannot read the message."""
    settings = _settings()
    report = shipped
    for language in ("ar", "tr"):
        assert [w for w in report.warnings if w.startswith(f"{language}/") and "tells the tenant to write" in w] == []
        hint = [s for s in report.sms if s.language == language and s.key == "common.language_hint"]
        assert hint and all(s.segments <= settings.sms_segment_budget for s in hint), hint


def test_arabic_and_turkish_pass_the_check_the_day_they_are_enabled() -> None:
    """Off, their findings only warn; enabled after a review, nothing of theirs may fail: every SMS fits its budget,
    though a single ş, ğ, ı or Arabic letter makes it UCS-2 (70 characters a segment, not 160)."""
    report = run_check(_settings(languages="da,en,ar,tr"), ROOT / "templates")
    assert report.problems == []


# The values a text reads from the organisation's settings, which a translation may word around, and the names of the
# other languages the hint to a tenant who cannot read the message offers (each language offers the others).
_WORDED_AROUND = {"org_name", "adviser_name", "adviser_phone", "adviser_hours", "kommune_phone", "telegram_bot"}
_WORDED_AROUND |= {"english", "danish"}


@pytest.mark.parametrize("language", ["ar", "tr"])
def test_a_translation_has_every_text_and_every_variant_the_danish_has(language: str) -> None:
    """A value the Danish text says something different for (a person who holds the case, a case in the queue, a yes
    that stands, a call today before a time, the tenant's first name) is read by the translation too: otherwise a
    tenant in that language is told less, or something untrue. Staff notices are Danish only (bot/host/notices.py)."""
    renderer = Renderer(ROOT / "templates", _settings(), telegram_on=True, sms_on=True)
    gaps: list[str] = []
    for path in sorted((ROOT / "templates" / "da").glob("*.txt")):
        key, channel = path.name.removesuffix(".txt").rsplit(".", 1)
        if key.startswith("staff."):
            continue
        if not renderer.exists(key, language, channel):  # type: ignore[arg-type]
            gaps.append(f"{language}/{path.name}: missing")
            continue
        lost = renderer.reads(key, "da", channel) - renderer.reads(key, language, channel) - _WORDED_AROUND  # type: ignore[arg-type]
        gaps.extend(f"{language}/{path.name}: says nothing different for {name!r}" for name in sorted(lost))
    assert gaps == []


def test_a_changed_shared_text_is_checked_in_every_text_that_shows_it(live: Path) -> None:
    """The day someone answers (`common.call_day`) is put into other texts: a check run again after it changed finds
    what it brings into them, though their own source is the same (a check remembers texts it checked already)."""
    assert run_check(_settings(), live).ok
    call_day = live / "da" / "common.call_day.sms.txt"
    call_day.write_text(call_day.read_text(encoding="utf-8").replace("i morgen", "i morgen om din gæld"))
    problems = run_check(_settings(), live).problems
    assert any("payment_check.paid.sms.txt" in p and "forbidden word" in p for p in problems), problems


def test_a_withdrawal_while_the_case_waits_is_checked_too(live: Path) -> None:
    """The text for a withdrawal while the case waits in the queue is a branch of its own: a forbidden word there is
    found, though every other branch is clean."""
    path = live / "da" / "consent.withdrawn.sms.txt"
    source = path.read_text(encoding="utf-8")
    assert "kan stadig ringe til dig om din sag" in source
    path.write_text(source.replace("kan stadig ringe til dig om din sag", "kan stadig ringe til dig om din gæld"))
    problems = run_check(_settings(), live).problems
    assert any("consent.withdrawn.sms.txt" in p and "forbidden word" in p for p in problems), problems
