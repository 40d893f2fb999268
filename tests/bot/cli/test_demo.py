"""`keephome demo`'s settings: the links it gives lead to where it serves, unless KEEPHOME_PUBLIC_URL says otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.demo import demo_settings
from bot.console.accounts import create_staff
from bot.store.db import Database, utcnow
from tests.support.schema import migrated


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No .env file of this machine, and none of its KEEPHOME_ variables."""
    monkeypatch.chdir(tmp_path)
    for name in ("KEEPHOME_PUBLIC_URL", "KEEPHOME_HOST", "KEEPHOME_PORT", "KEEPHOME_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


async def setup_link(tmp_path: Path) -> str:
    """The link to set a password that the demo gives when an admin adds a person."""
    settings = demo_settings()
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/demo.db")
    await migrated(db)
    async with db.write() as conn:
        _, link = await create_staff(conn, "new@example.org", "adviser", utcnow(), settings.public_url)
    await db.dispose()
    return link


async def test_a_password_link_leads_to_the_port_the_demo_serves_on(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KEEPHOME_PORT", "8765")
    assert (await setup_link(tmp_path)).startswith("http://127.0.0.1:8765/console/setup/")
    monkeypatch.setenv("KEEPHOME_HOST", "0.0.0.0")
    assert demo_settings().public_url == "http://127.0.0.1:8765"


async def test_keephome_public_url_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KEEPHOME_PORT", "8765")
    monkeypatch.setenv("KEEPHOME_PUBLIC_URL", "https://demo.example.org")
    assert (await setup_link(tmp_path)).startswith("https://demo.example.org/console/setup/")
