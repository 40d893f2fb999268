"""Processes that take over from each other: three `keephome run` on one PostgreSQL send a campaign through the
real twilio SDK while the sender's holder is killed with SIGKILL (bench/faults.py at a size for the suite)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.faults import Campaign, Report, print_report, run
from tests.conftest import PG_URL

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


async def _run(campaign: Campaign, tmp_path: Path, pg_url: str) -> Report:
    # pg_url made sure PostgreSQL answers; the campaign makes a schema of its own next to that one.
    report = await run(campaign, tmp_path)
    print_report(report)  # shown when the test fails
    return report


async def test_another_process_takes_over_a_killed_sender_and_nothing_is_lost(tmp_path: Path, pg_url: str) -> None:
    campaign = Campaign(
        reminders=300,
        rate=100,
        processes=3,
        kills=1,
        fault_rate=0.0,
        send_timeout=1,
        lease=2,
        election=0.5,
        database_url=PG_URL,
    )
    report = await _run(campaign, tmp_path, pg_url)
    [kill] = report.kills
    assert kill.takeover is not None  # another process took the sender role ...
    assert report.lost == 0 and report.failed_rows == 0  # ... and every reminder went out
    # Only a row the killed holder had in flight may have gone twice, and each at most twice.
    assert report.unexplained == 0
    assert report.extra_copies == report.explained_by_kills <= len(kill.in_flight)
    # Every copy sent twice says so on its message (the console, keephome_outbound_unknown_outcome_total).
    assert report.unmarked == 0
    # One holder at a time: the killed one until its death, then one other; the third process never sent.
    assert len(report.senders) == 2 and report.senders[0] == kill.process
    assert not report.interleaved


async def test_provider_faults_and_two_kills_lose_nothing(tmp_path: Path, pg_url: str) -> None:
    campaign = Campaign(
        reminders=240,
        rate=200,
        processes=3,
        kills=2,
        fault_rate=0.2,
        faults_per_number=1,
        retry_after=(1, 2),
        send_timeout=1,
        lease=2,
        election=0.5,
        batch=20,
        database_url=PG_URL,
    )
    report = await _run(campaign, tmp_path, pg_url)
    assert len(report.kills) == 2 and all(kill.takeover is not None for kill in report.kills)
    assert set(report.faults) == {"error", "slow", "reset"}  # 500s and 429s, timeouts, dropped connections
    assert report.lost == 0 and report.failed_rows == 0
    # Sent twice only when in flight at a kill, or accepted and then answered with a timeout or a reset.
    assert report.unexplained == 0
    assert report.explained_by_ambiguous > 0
    assert report.unmarked == 0
    assert not report.interleaved
    assert report.retry_after_checked > 0
