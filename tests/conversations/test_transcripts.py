"""Golden whole-conversation transcripts: every flow, both channels, Danish and English, fixed clock.

`pytest tests/conversations --update-transcripts` rewrites what the files expect from what the engine and
the keyword commands produce now, keeping the inputs; without the flag any difference fails with a diff.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from conversations.flows import FLOWS
from conversations.model import Channel
from tests.conversations.transcript_format import Played, Transcript, parse, print_transcript
from tests.conversations.transcript_play import play_commands, play_flow

TRANSCRIPTS = sorted((Path(__file__).resolve().parent / "transcripts").glob("*.md"))
CHANNELS: dict[str, Channel] = {"sms": "sms", "telegram": "telegram"}


def _play(subject: str, channel: Channel, language: str, transcript: Transcript) -> list[Played]:
    now = transcript.now
    if subject == "commands":
        return [play_commands(channel, language, now, scenario) for scenario in transcript.scenarios]
    return [play_flow(subject, channel, language, now, scenario) for scenario in transcript.scenarios]


def _diff(path: Path, written: str, produced: str) -> str:
    lines = difflib.unified_diff(
        written.splitlines(keepends=True),
        produced.splitlines(keepends=True),
        fromfile=f"{path.name} (as written)",
        tofile=f"{path.name} (as produced now)",
    )
    return "".join(lines)


def check_transcript(path: Path, update: bool) -> str | None:
    """The diff between a file and what it produces now, or None; `update` rewrites the file instead."""
    subject, channel, language = path.stem.split(".")
    written = path.read_text(encoding="utf-8")
    transcript = parse(written)
    played = _play(subject, CHANNELS[channel], language, transcript)
    produced = print_transcript(f"{subject} on {channel} in {language}", transcript.now, played)
    if produced == written:
        return None
    if update:
        path.write_text(produced, encoding="utf-8")
        return None
    return _diff(path, written, produced)


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.stem)
def test_transcript(path: Path, update_transcripts: bool) -> None:
    diff = check_transcript(path, update_transcripts)
    if diff is not None:
        hint = "run `pytest tests/conversations --update-transcripts` if the change is meant"
        pytest.fail(f"{path.name} differs from what is produced now ({hint}):\n{diff}", pytrace=False)


def test_a_changed_expectation_fails_with_a_diff_and_is_only_rewritten_when_asked(tmp_path: Path) -> None:
    source = next(path for path in TRANSCRIPTS if path.name == "withdraw_consent.sms.da.md")
    copy = tmp_path / source.name
    edited = source.read_text(encoding="utf-8").replace("ended: consent_withdrawn", "ended: nothing")
    copy.write_text(edited, encoding="utf-8")
    diff = check_transcript(copy, update=False)
    assert diff is not None and "-ended: nothing\n+ended: consent_withdrawn" in diff
    assert copy.read_text(encoding="utf-8") == edited
    assert check_transcript(copy, update=True) is None
    assert copy.read_text(encoding="utf-8") == source.read_text(encoding="utf-8")


def test_the_inputs_survive_a_rewrite(tmp_path: Path) -> None:
    source = next(path for path in TRANSCRIPTS if path.name == "payment_check.telegram.da.md")
    copy = tmp_path / source.name
    # Only the inputs and the header: everything expected is printed again.
    kept = [line for line in source.read_text(encoding="utf-8").splitlines() if line.startswith(("#", "now:", "> "))]
    copy.write_text("\n".join(kept) + "\n", encoding="utf-8")
    assert check_transcript(copy, update=True) is None
    assert copy.read_text(encoding="utf-8") == source.read_text(encoding="utf-8")


def test_every_flow_has_transcripts_on_its_channels_in_danish_and_english() -> None:
    covered = {path.stem for path in TRANSCRIPTS}
    for flow in FLOWS.values():
        for channel in flow.channels:
            for language in ("da", "en"):
                assert f"{flow.name}.{channel}.{language}" in covered


def test_keyword_commands_have_transcripts_on_both_channels_in_danish_and_english() -> None:
    covered = {path.stem for path in TRANSCRIPTS}
    assert {f"commands.{c}.{lang}" for c in CHANNELS for lang in ("da", "en")} <= covered
