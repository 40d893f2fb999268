"""The settings an operator writes by hand are checked when they are read, each refusal one line naming the
variable (the command line's own answers are in tests/bot/cli/test_one_line_errors.py)."""

from __future__ import annotations

import re

import pytest

from bot.settings import LOG_LEVELS, ConfigError, load_settings, log_level


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


def test_the_log_level_is_read_in_any_case() -> None:
    assert log_level({}) == "INFO"
    assert [log_level({"KEEPHOME_LOG_LEVEL": level.lower()}) for level in LOG_LEVELS] == list(LOG_LEVELS)
    assert log_level({"KEEPHOME_LOG_LEVEL": " Debug\n"}) == "DEBUG"
    for bad in ("LOUD", "", "10", "warn ing"):
        with pytest.raises(ConfigError) as refused:
            log_level({"KEEPHOME_LOG_LEVEL": bad})
        assert str(refused.value) == (
            f"KEEPHOME_LOG_LEVEL: {bad!r} is not a log level: use one of DEBUG, INFO, WARNING, ERROR, CRITICAL"
        )


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("sqlite+aiosqlite://keephome.db", "three slashes"),
        ("postgresql+asyncpg://postgres@127.0.0.1:abc/test", "cannot be read"),
        ("mysql://x/y", "must start with"),
    ],
)
def test_a_database_url_that_cannot_work_is_one_line_at_start(url: str, said: str) -> None:
    with pytest.raises(ConfigError, match=said):
        _load(database_url=url)
    assert _load(database_url="sqlite+aiosqlite:///keephome.db") is not None
