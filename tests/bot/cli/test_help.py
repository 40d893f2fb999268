"""Every command's `--help` says what the command does, as `keephome --help` lists it, before its options."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from importlib import metadata

import pytest

from bot.cli.main import _parser, main


def _help(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as stopped:
        main([*argv, "--help"])
    assert stopped.value.code == 0
    return capsys.readouterr().out


def _commands(capsys: pytest.CaptureFixture[str]) -> list[str]:
    listed = _help(capsys).split("positional arguments:", 1)[1].split("options:", 1)[0]
    return re.findall(r"^    (\S+)", listed, flags=re.MULTILINE)


def test_every_command_says_what_it_does_above_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    commands = _commands(capsys)
    assert {"run", "db", "import", "check", "demo", "erase"} <= set(commands)
    for command in commands:
        text = _help(capsys, command)
        # usage, a blank line, then the description: not straight into the arguments or options
        after_usage = text.split("\n\n", 1)[1]
        assert not after_usage.startswith(("positional arguments:", "options:")), (command, text)


def test_import_help_says_what_file_it_takes(capsys: pytest.CaptureFixture[str]) -> None:
    text = " ".join(_help(capsys, "import").split())
    assert "tenant_ref, name and phone are required" in text
    assert "separated by , or ;" in text
    assert "imports nothing" in text


def _parsers(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """The command line and every command and sub-command under it, with the words that call each."""
    yield parser.prog, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def test_every_argument_and_option_says_what_it_takes() -> None:
    """An operator reads `--help` before the README: a bare `tenant_ref` or `--language LANGUAGE` says nothing of
    what to give (which reference, which codes)."""
    silent = [
        f"{prog} {action.option_strings[0] if action.option_strings else action.dest}"
        for prog, parser in _parsers(_parser())
        for action in parser._actions
        if not isinstance(action, argparse._SubParsersAction) and not action.help
    ]
    assert silent == []


def test_remind_help_says_a_day_other_than_today_is_only_a_dry_run(capsys: pytest.CaptureFixture[str]) -> None:
    text = " ".join(_help(capsys, "remind").split())
    assert "a day other than today only with --dry-run" in text


def test_version_prints_the_installed_distributions_version(capsys: pytest.CaptureFixture[str]) -> None:
    """An operator checking what an upgrade installed asks `keephome --version`."""
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out == f"keephome {metadata.version('keephome')}\n"
