"""The inbound bench's load: every wrk run writes whole conversations for tenants no run has written for, so the
run paced at 80 % of the capacity does the same work a message as the capacity's run (bench/README.md)."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest

from bench.loadgen import BLOCK, CONVERSATIONS, STEPS, conversations, senders_used

SENDERS = [f"+4521{i:06d}" for i in range(4 * BLOCK)]


def test_each_sender_writes_one_whole_conversation_in_order() -> None:
    messages = list(conversations(SENDERS, 0, 2 * BLOCK * STEPS))
    written: dict[str, list[str]] = {}
    for sender, text in messages:
        written.setdefault(sender, []).append(text)
    assert len(written) == 2 * BLOCK
    assert Counter(tuple(texts) for texts in written.values()) == Counter(
        {conversation: 2 * BLOCK // len(CONVERSATIONS) for conversation in CONVERSATIONS}
    )


def test_two_runs_from_fresh_senders_hold_the_same_texts_however_long() -> None:
    first = list(conversations(SENDERS, 0, BLOCK * STEPS))
    after = senders_used(0, len(first))
    second = list(conversations(SENDERS, after, 2 * BLOCK * STEPS))
    assert not {sender for sender, _ in first} & {sender for sender, _ in second}
    # The second run is twice as long and holds each text exactly twice as often.
    assert Counter(text for _, text in second) == Counter(
        {text: 2 * n for text, n in Counter(t for _, t in first).items()}
    )


def test_the_next_run_starts_after_every_sender_a_cut_short_run_reached() -> None:
    cut = list(conversations(SENDERS, 0, BLOCK * STEPS + 1))  # one message into the second block
    nxt = senders_used(0, len(cut))
    assert nxt == 2 * BLOCK
    assert {sender for sender, _ in cut} <= set(SENDERS[:nxt])


def test_a_senders_next_message_comes_a_block_of_others_later() -> None:
    positions: dict[str, list[int]] = {}
    for n, (sender, _) in enumerate(conversations(SENDERS, 0, 2 * BLOCK * STEPS)):
        positions.setdefault(sender, []).append(n)
    gaps = Counter(b - a for seen in positions.values() for a, b in pairwise(seen))
    assert gaps == Counter({BLOCK: 2 * BLOCK * (STEPS - 1)})


def test_the_bench_fails_when_keephome_warned_during_the_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "bench"))  # bench/inbound.py's imports
    from bench.inbound import _quiet_logs

    logs = tmp_path / "processes-1"
    logs.mkdir()
    (logs / "keephome-1.log").write_text("INFO:     Started server process [1]\nINFO bot.store.election: holds\n")
    assert _quiet_logs(tmp_path)
    (logs / "keephome-2.log").write_text(
        "WARNING bot.store.scene: a batch of 2 units failed (IntegrityError); writing them one by one\n"
        "ERROR bot.store.scene: left out a unit that cannot be written (messages:3, outbox:1): IntegrityError\n"
        "ERROR:    Exception in ASGI application\n"
    )
    assert not _quiet_logs(tmp_path)
    assert "keephome's logs at WARNING or above: 3 line(s)" in capsys.readouterr().out
