"""`keephome chat`: a person plays the tenant and sees exactly what the channel shows."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.cli.chat import play_chat, run_chat
from bot.cli.main import main
from bot.settings import Settings, load_settings

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))


def _typed(*lines: str) -> Callable[[str], str]:
    pending = list(lines)

    def read(_prompt: str) -> str:
        if not pending:
            raise EOFError
        return pending.pop(0)

    return read


def _run(flow: str, channel: str, *lines: str, language: str = "da") -> tuple[list[str], str | None]:
    shown: list[str] = []
    state = play_chat(
        flow,
        "sms" if channel == "sms" else "telegram",
        language,
        NOW,
        _typed(*lines),
        shown.append,
        Settings(_env_file=None),  # type: ignore[call-arg]
        trigger="missed",
    )
    return shown, state.end_reason


def test_sms_chat_prints_the_sms_text_and_records_consent() -> None:
    shown, reason = _run("payment_check", "sms", "3", "ja")
    text = "\n".join(shown)
    assert "[sms] Hej, det er Boligselskabet. Brug for hjælp med huslejen? Svar:" in text
    assert "# consent_given scope=adviser wording_version=consent-v3" in text
    assert reason == "handed_off"


def test_telegram_chat_shows_buttons_and_a_number_presses_one() -> None:
    shown, reason = _run("payment_check", "telegram", "1", language="en")
    assert "  (1) I have paid" in shown
    assert any(line.startswith("# paid_claimed pause_until=2026-12-08") for line in shown)
    assert reason == "paid_claimed"


def test_a_digit_int_cannot_read_is_the_tenants_words_not_a_button() -> None:
    """ "²" is a digit to `str.isdigit` but no number to `int`: on Telegram it is text the flow reads (as the service
    reads it: a number typed there picks no button, so the tenant is asked which answer they mean), not a press that
    ends the chat with a traceback."""
    shown, reason = _run("payment_check", "telegram", "²", language="en")
    assert "# answer_recorded question=question value=unrecognised raw=²" in shown
    assert "[telegram] Which answer do you mean? Choose one below." in shown
    assert reason is None  # the chat goes on


def test_wait_and_clock_commands() -> None:
    shown, reason = _run("payment_check", "sms", "/clock 2026-12-03T12:00", "/wait", "/wait")
    assert "# clock 2026-12-03T12:00:00+01:00" in shown
    assert "# clock 2026-12-04T10:00:00+01:00" in shown
    assert any(line.startswith("[sms] Hej igen.") for line in shown)
    assert reason == "no_response"


def test_a_clock_that_is_no_time_is_told_and_the_chat_goes_on_at_the_same_time() -> None:
    shown, _ = _run("payment_check", "sms", "/clock tomorrow", "/wait")
    assert (
        "# 'tomorrow' is not a time: write YYYY-MM-DDTHH:MM, e.g. 2026-12-03T10:00; the clock stays at "
        "2026-12-03T10:00:00+01:00"
    ) in shown
    assert "# clock 2026-12-04T10:00:00+01:00" in shown  # the wait still ran out from the clock it had


@pytest.mark.parametrize(
    ("typed", "said"),
    [("/fact nope", "# 'nope' is not a fact"), ("/fact", "# name a fact"), ("/fact ", "# name a fact")],
)
def test_a_fact_that_is_none_is_told_with_the_facts_and_the_chat_goes_on(typed: str, said: str) -> None:
    shown, reason = _run("payment_check", "sms", typed, "/fact balance_cleared")
    hints = [line for line in shown if line.startswith("# ") and "one of" in line]
    assert hints == [f"{said}: write /fact and one of payment_registered, balance_cleared, case_taken, case_closed"]
    assert reason is not None  # the real fact after it still ended the conversation


def test_a_now_that_is_no_time_is_a_usage_error_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(os.environ):
        if name.startswith("KEEPHOME_"):
            monkeypatch.delenv(name)
    with pytest.raises(SystemExit) as stopped:
        main(["chat", "--now", "garbage"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        "keephome chat: error: argument --now: 'garbage' is not a time: write YYYY-MM-DDTHH:MM, e.g. 2026-12-03T10:00"
    )
    assert "Traceback" not in err


def test_stop_keyword_wins_and_quit_leaves_the_conversation_open() -> None:
    shown, reason = _run("payment_check", "sms", "STOP")
    assert any(line.startswith("[sms] Du er nu afmeldt og får ikke flere beskeder fra os.") for line in shown)
    assert reason is None
    shown, reason = _run("payment_check", "sms", "/quit", "1")
    assert reason is None and not any("paid_claimed" in line for line in shown)


def test_help_word_answers_the_question_that_offers_help() -> None:
    shown, _ = _run("payment_check", "sms", "hjælp")
    assert "# answer_recorded question=question value=adviser raw=hjælp" in shown


def test_cli_entry_returns_an_exit_status_and_names_unknown_flows() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    shown: list[str] = []
    assert run_chat("help_info", "sms", "en", NOW, _typed(), shown.append, settings) == 0
    assert any(line.startswith("[sms] This is Boligselskabet. These messages are sent automatically") for line in shown)
    said = len(shown)
    problems = io.StringIO()
    assert run_chat("nope", "sms", "da", NOW, _typed(), shown.append, settings, err=problems) == 2
    assert problems.getvalue().startswith("keephome: unknown flow 'nope'; flows: ")
    assert len(shown) == said  # nothing on the conversation's own stream


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--flow", "nope"], "keephome: unknown flow 'nope'; flows: "),
        (["--language", "xx"], "keephome: language 'xx' is not on; KEEPHOME_LANGUAGES: da, en"),
        (["--trigger", "someday"], "keephome: unknown trigger 'someday'; triggers: "),
    ],
)
def test_a_choice_chat_cannot_play_is_one_line_on_stderr_as_other_commands_say(
    argv: list[str], said: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(os.environ):
        if name.startswith("KEEPHOME_"):
            monkeypatch.delenv(name)
    assert main(["chat", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1 and captured.err.startswith(said), captured.err


def test_a_language_word_switches_the_chat_and_asks_the_open_question_again() -> None:
    shown, reason = _run("payment_check", "sms", "ENGLISH", "1")
    at = shown.index("[sms] We will now write to you in English.")
    assert shown[at + 1].startswith("[sms] Hi, this is Boligselskabet. Need help with the rent?")
    assert any(line.startswith("[sms] Thank you. We will wait a while") for line in shown)
    assert reason == "paid_claimed"


def test_the_word_telegram_over_sms_shows_the_code_and_the_question_keeps_waiting() -> None:
    shown, reason = _run("payment_check", "sms", "telegram", "1")
    at = shown.index("# keyword telegram")
    assert shown[at + 2].startswith("[sms] Fint. Du får en kode i næste besked.")
    assert (
        shown[at + 4] == "[sms] Din kode til Telegram er 1234 5678. Skriv koden til os på Telegram. "
        "Koden kan kun bruges én gang."
    )
    assert reason == "paid_claimed"


def test_the_word_telegram_on_telegram_is_an_ordinary_answer() -> None:
    shown, _ = _run("payment_check", "telegram", "telegram")
    assert "# keyword telegram" not in shown
    assert "# answer_recorded question=question value=unrecognised raw=telegram" in shown


NOTHING_TO_WITHDRAW = (
    "[sms] Du har ikke sagt ja til, at en rådgiver må se dine svar. Så er der intet at trække tilbage. "
    "Vil du tale med en person, så ring 70 00 00 00 (man-fre kl. 9-15)."
)
WITHDRAWN = (
    "[sms] Du har trukket dit ja tilbage. Rådgiveren ser ikke flere af dine svar. "
    "Vil du have hjælp alligevel, så skriv RÅDGIVER eller ring til Boligselskabet på 70 00 00 00."
)


def test_withdrawal_without_consent_says_there_is_nothing_to_withdraw() -> None:
    shown, reason = _run("payment_check", "sms", "TILBAGEKALD", "1")
    at = shown.index("# keyword withdraw_consent")
    assert shown[at + 1] == NOTHING_TO_WITHDRAW
    assert not any(line.startswith("# consent_withdrawn") for line in shown)
    assert reason == "paid_claimed"  # the open question still waited for its answer


def test_withdrawal_after_consent_withdraws_it_and_keywords_work_after_the_end() -> None:
    shown, reason = _run("payment_check", "sms", "3", "ja", "TILBAGEKALD", "TILBAGEKALD")
    assert "# ended: handed_off" in shown
    first = shown.index("# keyword withdraw_consent")
    assert shown[first + 1 : first + 3] == ["# consent_withdrawn scope=adviser", WITHDRAWN]
    # Withdrawn once: the second word finds nothing left to withdraw.
    second = shown.index("# keyword withdraw_consent", first + 1)
    assert shown[second + 1] == NOTHING_TO_WITHDRAW
    assert reason == "handed_off"


def test_help_outside_a_question_that_takes_it_prints_what_keephome_is() -> None:
    shown, _ = _run("payment_check", "sms", "2", "HJÆLP")
    at = shown.index("# keyword help")
    assert shown[at + 1] == (
        "[sms] Det er Boligselskabet. Beskederne her sendes automatisk. Vi minder dig om huslejen. "
        "En økonomisk rådgiver læser kun med, hvis du siger ja til det. "
        "Ring 70 00 00 00 (man-fre kl. 9-15) for at tale med en person. "
        "Svar TELEGRAM for at skrive med os på Telegram. "
        "Svar STOP for at afmelde."
    )
    assert shown[at + 2] == "# conversation_ended reason=help_given"
    assert not any("answer_recorded question=when" in line for line in shown)  # the date question still waits


def test_a_wish_to_stop_gets_the_hint_and_wrong_number_ends_the_chat() -> None:
    shown, reason = _run("payment_check", "sms", "skriv ikke til mig", "FORKERT NUMMER", "1")
    hint = shown.index("# keyword stop_hint")
    assert shown[hint + 1] == "[sms] Svar STOP for at afmelde beskeder fra os."
    wrong = shown.index("# keyword wrong_number")
    assert shown[wrong + 2] == "# wrong_number_reported"
    assert shown[-1] == "# wrong_number_reported" and reason is None


def test_a_tenant_who_cannot_pay_is_heard_and_who_is_writing_is_answered() -> None:
    shown, reason = _run("payment_check", "sms", "hvem er du?", "jeg kan ikke betale", "ja")
    text = "\n".join(shown)
    assert "# keyword who" in text and "[sms] Det er Boligselskabet." in text
    assert "[sms] Tak, fordi du skriver til os." in text
    assert "Undskyld, det forstod vi ikke" not in text
    assert reason == "handed_off"


def test_the_flows_the_console_starts_with_data_play_with_an_example_request() -> None:
    shown, reason = _run("share_consent", "telegram", "1")
    assert any("Aarhus Kommune, Ydelsescenter?" in line for line in shown)
    assert any(line.startswith("# consent_given scope=share") and "method=telegram" in line for line in shown)
    assert reason == "share_consented"
    shown, reason = _run("withdraw_choice", "sms", "2")
    assert any(line.startswith("# consent_withdrawn scope=share recipient_kind=kommune") for line in shown)
    assert reason == "consent_withdrawn"


def test_a_language_that_is_not_on_is_refused() -> None:
    lines: list[str] = []
    settings = load_settings(_env_file=None, languages="da,en")
    problems = io.StringIO()
    assert run_chat("payment_check", "sms", "tr", None, lambda _: "/quit", lines.append, settings, err=problems) == 2
    assert (lines, problems.getvalue()) == ([], "keephome: language 'tr' is not on; KEEPHOME_LANGUAGES: da, en\n")


def test_a_sign_with_nothing_open_is_answered_once_a_day_as_the_service_does() -> None:
    """The service says the line for a sign with nothing open at most once a day; the terminal shows the same."""
    shown, _ = _run("payment_check", "sms", "1", "🤔", "🤔", "/clock 2026-12-04T10:00", "🤔")
    heard = [line for line in shown if line.startswith("[sms] Tak for din besked.")]
    assert len(heard) == 2  # the first sign, and the first the next day
    assert "# keyword signs, said today already (the service sends it once a day)" in shown
