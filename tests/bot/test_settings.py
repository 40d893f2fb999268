"""The settings an operator writes by hand are checked when they are read, each refusal one line naming the
variable (the command line's own answers are in tests/bot/cli/test_one_line_errors.py)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.channels.base import OutgoingMessage
from bot.channels.twilio_sms import TwilioChannel
from bot.settings import LOG_LEVELS, NOT_SETTINGS, ConfigError, Settings, load_settings
from tests.conftest import make_settings
from tests.support.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, TwilioStandin, twilio_standin

__all__ = ["twilio_standin"]

ROOT = Path(__file__).resolve().parents[2]
# Names misspelled on purpose: the refusals' own tests, and the README's example of one.
MISSPELLING_TESTS = ROOT / "tests" / "bot" / "cli" / "test_one_line_errors.py"
README_TYPO = "KEEPHOME_DATABSE_URL"


def _load(**values: object) -> object:
    return load_settings(_env_file=None, **values)


@pytest.mark.parametrize("zone", ["Europe/Copenhagen", "UTC", "America/Nuuk", "Atlantic/Faroe"])
def test_a_time_zone_is_an_iana_name(zone: str) -> None:
    assert load_settings(_env_file=None, timezone=zone).timezone == zone


@pytest.mark.parametrize("zone", ["Mars/Base", "Europe", "europe/copenhagen", "", "/etc/localtime", "../etc"])
def test_anything_else_is_refused(zone: str) -> None:
    with pytest.raises(ConfigError, match=rf"^KEEPHOME_TIMEZONE: {re.escape(repr(zone))} is not a time zone: "):
        _load(timezone=zone)


def test_demand_offsets_are_read_as_days_and_anything_else_refused() -> None:
    assert load_settings(_env_file=None, demand_offsets=" 1, 7,3 ,7,").demand_offset_list == [7, 3, 1]
    assert load_settings(_env_file=None, demand_offsets="").demand_offset_list == []
    for bad, entry in (("abc", "abc"), ("7,3,-1", "-1"), ("7, 2.5", "2.5"), ("7;3", "7;3")):
        with pytest.raises(ConfigError, match=rf"^KEEPHOME_DEMAND_OFFSETS: {re.escape(repr(entry))} is not a number"):
            _load(demand_offsets=bad)


def test_languages_are_read_in_any_case_and_each_must_have_texts() -> None:
    # Every command reads them (remind and import as well as run): "DA,EN" is da and en, not "no fallback".
    settings = load_settings(_env_file=None, languages=" DA, En ", fallback_language="DA")
    assert (settings.language_list, settings.fallback_language) == (["da", "en"], "da")
    with pytest.raises(ConfigError, match=r"^KEEPHOME_LANGUAGES: names xx, for which keephome has no texts: choose"):
        _load(languages="da,xx")
    with pytest.raises(ConfigError, match=r"^KEEPHOME_LANGUAGES: names no language: choose from ar, da, en, tr$"):
        _load(languages=" , ")


def _mentioned_names() -> dict[str, Path]:
    """Every whole `KEEPHOME_…` name the repository's code, scripts and documents mention, with a file naming it."""
    places = [ROOT / "dev", ROOT / "README.md", ROOT / "pyproject.toml"]
    for folder in ("bot", "tests", "bench", ".ci", "docs"):
        places += [p for p in (ROOT / folder).rglob("*") if p.is_file() and p.suffix in ("", ".py", ".md", ".sh")]
    places.remove(MISSPELLING_TESTS)
    found: dict[str, Path] = {}
    for place in places:
        for name in re.findall(r"\bKEEPHOME_[A-Z0-9_]+", place.read_text(encoding="utf-8", errors="replace")):
            if not name.endswith("_"):  # a prefix ("the KEEPHOME_TWILIO_ variables"), not a name
                found.setdefault(name, place)
    return found


def test_every_keephome_name_the_project_uses_is_a_setting_or_listed_as_none() -> None:
    """`load_settings` refuses a `KEEPHOME_` name it does not know: one that the project's own scripts, tests or
    documents set must be a setting or in NOT_SETTINGS, the one list of the others."""
    known = {f"KEEPHOME_{name.upper()}" for name in Settings.model_fields} | set(NOT_SETTINGS) | {README_TYPO}
    mentioned = _mentioned_names()
    assert {"KEEPHOME_PYTHON", "KEEPHOME_DATABASE_URL", "KEEPHOME_TEST_DATABASE_URL"} <= set(mentioned)
    assert {name: str(place.relative_to(ROOT)) for name, place in mentioned.items() if name not in known} == {}


@pytest.mark.parametrize(
    ("values", "said"),
    [
        ({"twilio_rate": "0"}, "KEEPHOME_TWILIO_RATE: '0' is out of range: write more than 0"),
        ({"election_seconds": "-1"}, "KEEPHOME_ELECTION_SECONDS: '-1' is out of range: write more than 0"),
        (
            {"telegram_mode": "push"},
            "KEEPHOME_TELEGRAM_MODE: 'push' is not one of its values: write 'webhook' or 'polling'",
        ),
        ({"console_language": "de"}, "KEEPHOME_CONSOLE_LANGUAGE: 'de' is not one of its values: write 'da' or 'en'"),
    ],
)
def test_a_rate_or_a_word_out_of_its_range_is_told_with_the_fix(values: dict[str, str], said: str) -> None:
    """Not pydantic's "Input should be greater than 0": the value, and what to write instead."""
    with pytest.raises(ConfigError) as refused:
        load_settings(_env_file=None, **values)
    assert str(refused.value) == said


@pytest.mark.parametrize("token", ["", "  ", "two words"])
def test_a_metrics_token_that_would_guard_nothing_stops_start_up(token: str) -> None:
    """An empty token (a variable set from one that was not) left /metrics open to anyone, without a word."""
    with pytest.raises(ConfigError, match=r"^KEEPHOME_METRICS_TOKEN is empty or holds a space"):
        load_settings(_env_file=None, metrics_token=token)
    assert load_settings(_env_file=None, metrics_token="metrics-token-0123456789").metrics_token


def test_the_log_level_is_read_in_any_case() -> None:
    assert _load().log_level == "INFO"  # type: ignore[attr-defined]
    assert [load_settings(_env_file=None, log_level=level.lower()).log_level for level in LOG_LEVELS] == list(
        LOG_LEVELS
    )
    assert load_settings(_env_file=None, log_level=" Debug\n").log_level == "DEBUG"
    for bad in ("LOUD", "", "10", "warn ing"):
        with pytest.raises(ConfigError) as refused:
            _load(log_level=bad)
        assert str(refused.value) == (
            f"KEEPHOME_LOG_LEVEL: {bad!r} is not a log level: use one of DEBUG, INFO, WARNING, ERROR, CRITICAL"
        )


def _readme_settings() -> list[str]:
    """Every name the README's Settings table lists in its first column."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("## Settings") : text.index("## Commands")]
    names = [
        name
        for row in table.splitlines()
        if row.startswith("| `KEEPHOME_")
        for name in re.findall(r"`(KEEPHOME_[A-Z0-9_]+)`", row.split(" | ")[0])
    ]
    assert len(names) == len(set(names)), names
    return names


def _written(name: str) -> str:
    """A value of the setting as an operator writes it: its default, or a plausible one where there is none."""
    field = name.removeprefix("KEEPHOME_").lower()
    default = Settings.model_fields[field].default
    if default is None:
        return {"KEEPHOME_TWILIO_FROM": "+4570102030", "KEEPHOME_SECRET_KEY": "s" * 40}.get(name, "value-1")
    if isinstance(default, bool):
        return str(not default).lower()
    return "DEBUG" if name == "KEEPHOME_LOG_LEVEL" else str(default)


@pytest.mark.parametrize("name", _readme_settings())
def test_every_setting_the_readme_lists_is_read_from_env_as_from_the_environment(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator moves a variable into `.env` and gets what the environment gave: KEEPHOME_LOG_LEVEL in `.env`
    once stopped every command."""
    value = _written(name)
    env_file = tmp_path / ".env"
    env_file.write_text(f"{name}={value}\n", encoding="utf-8")

    def outcome(env: Path | None) -> str:
        try:
            return repr(load_settings(_env_file=env).model_dump())
        except ConfigError as exc:  # a name that needs another (a Twilio credential alone) is refused alike
            return f"refused: {exc}"

    monkeypatch.delenv(name, raising=False)
    from_file = outcome(env_file)
    assert "is not read from there" not in from_file
    monkeypatch.setenv(name, value)
    assert from_file == outcome(None)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("sqlite+aiosqlite://keephome.db", "three slashes"),
        ("postgresql+asyncpg://postgres@127.0.0.1:abc/test", "cannot be read"),
        ("mysql://x/y", "must start with"),
        # With the first schema missing PostgreSQL uses the next: keephome would read and migrate `public`.
        ("postgresql+asyncpg://postgres@127.0.0.1/test?search_path=keephome,public", "names one schema"),
        ("postgresql+asyncpg://postgres@127.0.0.1/test?search_path=%22a%22,b", "names one schema"),
    ],
)
def test_a_database_url_that_cannot_work_is_one_line_at_start(url: str, said: str) -> None:
    with pytest.raises(ConfigError, match=said):
        _load(database_url=url)
    assert _load(database_url="sqlite+aiosqlite:///keephome.db") is not None
    for one in ("keephome", "%22Key,home%22"):  # one schema, a quoted name with a comma in it too
        assert _load(database_url=f"postgresql+asyncpg://postgres@127.0.0.1/test?search_path={one}") is not None


@pytest.mark.parametrize(
    ("written", "sender"),
    [
        ("70 10 20 30", "+4570102030"),  # a Danish number as it is written at home
        ("+45 70 10 20 30", "+4570102030"),
        ("0045 7010-2030", "+4570102030"),
        ("+1 500 555 0006", "+15005550006"),
        ("", None),  # unset: a messaging service sends instead
    ],
)
def test_the_twilio_sender_is_kept_as_the_number_twilio_takes(written: str, sender: str | None) -> None:
    assert load_settings(_env_file=None, twilio_from=written).twilio_from == sender


@pytest.mark.parametrize("written", ["Boligselskab", "1919", "70 10 20", "+4512345678", "70 10 20 30 40 50"])
def test_a_twilio_sender_that_is_no_phone_number_is_refused(written: str) -> None:
    """A sender name (alphanumeric) cannot take the tenants' answers, a short code is no number, and a number of
    the wrong length or an unused range is read as the tenants' own numbers are: refused."""
    with pytest.raises(ConfigError) as refused:
        _load(twilio_from=written)
    assert str(refused.value) == (
        f"KEEPHOME_TWILIO_FROM: {written!r} is not a phone number: set the reply-capable number Twilio gave the "
        "account, e.g. +4570102030 or 70 10 20 30 (a sender name cannot take the tenants' answers)"
    )


def test_reading_the_settings_takes_only_the_phone_rule_from_the_tenants_package() -> None:
    """The settings read KEEPHOME_TWILIO_FROM by the tenants' one phone rule (`bot/tenants/phones.py`), which sits
    above them in the import layers (an ignored import in pyproject.toml): every command reads the settings, so the
    tenants' package must give them that module and nothing of the record's rules (upsert, linking, the database)."""
    code = "import sys, bot.settings; print(sorted(m for m in sys.modules if m.startswith('bot.')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    loaded = ast.literal_eval(done.stdout)
    assert [m for m in loaded if m.startswith("bot.tenants")] == ["bot.tenants", "bot.tenants.phones"]
    assert load_settings(_env_file=None, twilio_from="70 10 20 30").twilio_from == "+4570102030"


async def test_twilio_gets_the_sender_in_e164_however_it_was_written(
    sqlite_url: str, twilio_standin: TwilioStandin
) -> None:
    """The audit's case: a number written with spaces went to Twilio as From=70+00+00+99, and every SMS was refused."""
    settings = make_settings(
        sqlite_url,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from="70 10 20 30",
        twilio_api_url=twilio_standin.url,
    )
    channel = TwilioChannel(settings)
    await channel.start()
    try:
        sent = await channel.send(OutgoingMessage(outbox_id=1, address="+4520123456", text="Hej", status_callback=None))
    finally:
        await channel.stop()
    assert sent.outcome == "sent"
    assert [posted.from_ for posted in twilio_standin.posted] == ["+4570102030"]


@pytest.mark.parametrize("secret", ["s3cret", "A-Za-z0-9_-", "x" * 256, "oB1s_9n2-TQ0aVbHlZ4f3xD8mEkR7uWcYpGiJqLs5tN"])
def test_a_telegram_secret_of_the_characters_telegram_takes_is_kept(secret: str) -> None:
    assert load_settings(_env_file=None, telegram_secret=secret).telegram_secret == secret


def test_a_telegram_bot_in_webhook_mode_without_its_secret_stops_start_up() -> None:
    """Every update would be refused 403 (the secret is how keephome knows it is Telegram); polling needs none."""
    with pytest.raises(ConfigError, match="KEEPHOME_TELEGRAM_SECRET is missing: webhook mode needs a secret token"):
        load_settings(_env_file=None, telegram_token="123:ABC", telegram_secret=None)
    polling = load_settings(_env_file=None, telegram_token="123:ABC", telegram_secret=None, telegram_mode="polling")
    assert polling.telegram_enabled and polling.telegram_secret is None


@pytest.mark.parametrize(
    ("secret", "said"),
    [
        # base64 and other "random strings": accepted by `run`, then every webhook got 403.
        ("q83v+Y/aB9==", "holds a character Telegram refuses in a webhook secret"),
        ("two words", "holds a character Telegram refuses in a webhook secret"),
        ("hemmelighed-æøå", "holds a character Telegram refuses in a webhook secret"),
        ("x" * 257, "is 257 characters long, more than Telegram takes"),
    ],
)
def test_a_telegram_secret_telegram_would_refuse_stops_start_up(secret: str, said: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(_env_file=None, telegram_secret=secret)
    assert str(refused.value) == (
        f"KEEPHOME_TELEGRAM_SECRET {said}: use only A-Z, a-z, 0-9, _ and -, 1 to 256 of them "
        '(e.g. python3 -c "import secrets; print(secrets.token_urlsafe(32))")'
    )
    assert secret not in str(refused.value)  # a secret is not printed


@pytest.mark.parametrize(
    "url",
    ["https://api.telegram.org/bot", "http://bot-api.internal:8081/bot/", "http://h/tg/bot", "http://h/bot{token}"],
)
def test_a_bot_api_url_ends_in_the_path_the_token_follows(url: str) -> None:
    assert load_settings(_env_file=None, telegram_api_url=url).telegram_api_url == url.rstrip("/")


@pytest.mark.parametrize("url", ["http://bot-api.internal:8081", "https://api.telegram.org/", "http://h:8081/api"])
def test_a_bot_api_url_without_it_stops_start_up(url: str) -> None:
    """`http://host:8081` for a self-hosted Bot API server made `http://host:8081123:AAH…`: the token read as the port,
    and the error quoted it."""
    with pytest.raises(ConfigError) as refused:
        _load(telegram_api_url=url)
    assert str(refused.value) == (
        f"KEEPHOME_TELEGRAM_API_URL must end in /bot, the path the bot's token follows: {url.rstrip('/')}/bot "
        "(Telegram's own is https://api.telegram.org/bot)"
    )
