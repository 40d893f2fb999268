"""The README's figures come from bench/: a bench that no longer runs against today's schema is caught here."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_the_outcomes_bench_seeds_todays_schema_and_measures_the_page(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "outcomes.py"), "--tenants", "300", "--rounds", "1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "GET /console/outcomes, 300 tenants" in done.stdout
    assert "last 30 days (the default)" in done.stdout


def test_the_stages_bench_handles_and_answers_every_message(tmp_path: Path) -> None:
    """`stages` times the engine through a stand-in of its own: a function of the engine the handler calls that the
    stand-in lacks fails every message reaching it, and the bench would print its figures all the same."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "stages.py"), "--messages", "200", "--tenants", "100", "--runs", "1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    replies = re.search(r"\(([0-9.]+) replies a message\)", done.stdout)
    assert replies is not None, done.stdout
    assert float(replies.group(1)) >= 1.0, done.stdout
