"""The command line's tests start from an operator's shell."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An operator's shell: a fresh SQLite file named by the environment, in a folder of its own with no .env and no
    other KEEPHOME_ variable. The SQLite file's path is returned."""
    for name in list(os.environ):
        if name.startswith("KEEPHOME_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "keephome.db"
    monkeypatch.setenv("KEEPHOME_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    return path
