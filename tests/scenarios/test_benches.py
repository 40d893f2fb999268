"""The README's figures come from bench/: a bench that no longer runs against today's schema is caught here."""

from __future__ import annotations

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
