"""The faults bench's verdict: a row the outbox gave up is a failure unless its number met a failed call at
every attempt (then the outbox did as it must); a copy sent twice is a failure unless its message says so."""

from __future__ import annotations

from bench.faults import MAX_ATTEMPTS, Campaign, Report, _analyse
from tests.support.twilio_standin import Posted


def _calls(to: str, failed: int, then_ok: bool = False) -> list[Posted]:
    calls = [Posted(to, "+4512340001", None, "hej", None, None, kind="error", at=float(i)) for i in range(failed)]
    if then_ok:
        calls.append(Posted(to, "+4512340001", None, "hej", None, "SM1", at=float(failed)))
    return calls


def _report(posted: list[Posted], given_up: list[str], not_marked: frozenset[str] = frozenset()) -> Report:
    report = Report(Campaign(reminders=2), queued=2, failed_rows=len(given_up))
    _analyse(report, posted, 0.0, given_up, set(not_marked))
    return report


def test_a_row_given_up_after_a_failure_at_every_attempt_is_the_outbox_doing_its_job() -> None:
    posted = _calls("+4520000001", MAX_ATTEMPTS, then_ok=True) + _calls("+4520000002", 0, then_ok=True)
    report = _report(posted, ["+4520000001"])
    assert report.failed_after_every_attempt == 1
    assert report.ok


def test_a_row_given_up_sooner_fails_the_verdict() -> None:
    posted = _calls("+4520000001", MAX_ATTEMPTS - 1, then_ok=True) + _calls("+4520000002", 0, then_ok=True)
    report = _report(posted, ["+4520000001"])
    assert report.failed_after_every_attempt == 0
    assert not report.ok


def test_a_copy_sent_twice_fails_the_verdict_unless_its_message_is_marked() -> None:
    # The stand-in took +4520000001's message twice (a timeout after it was accepted, then the retry).
    twice = [
        Posted("+4520000001", "+4512340001", None, "hej", None, f"SM{i}", kind="slow", at=float(i)) for i in (0, 1)
    ]
    posted = twice + _calls("+4520000002", 0, then_ok=True)
    marked = _report(posted, [], not_marked=frozenset({"+4520000002"}))
    assert (marked.extra_copies, marked.unmarked) == (1, 0) and marked.ok
    unmarked = _report(posted, [], not_marked=frozenset({"+4520000001", "+4520000002"}))
    assert (unmarked.extra_copies, unmarked.unmarked) == (1, 1) and not unmarked.ok
