"""`keephome demo`'s settings: the links it gives lead to where it serves, unless KEEPHOME_PUBLIC_URL says otherwise."""

from __future__ import annotations

import asyncio
import signal
import stat
import sys
from asyncio.subprocess import PIPE
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli.demo import demo_settings
from bot.console.accounts import create_staff
from bot.store.db import Database, utcnow
from bot.store.schema import tenants
from tests.support.processes import free_port, keephome_env
from tests.support.schema import migrated

SECRET = "test-secret-key-test-secret-key-0123"


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


def test_the_demo_keeps_its_secret_key_beside_its_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Made once, readable by its owner only, and the same at every start: the tombstones of tenants erased in the
    demo are keyed with it. A key in the environment is used instead, and no file is made."""
    monkeypatch.delenv("KEEPHOME_SECRET_KEY", raising=False)
    first = demo_settings().secret_key
    kept = tmp_path / "keephome-demo.db.key"
    assert first is not None and kept.read_text().strip() == first
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert demo_settings().secret_key == first
    monkeypatch.setenv("KEEPHOME_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'other' / 'demo.db'}")
    (tmp_path / "other").mkdir()
    assert demo_settings().secret_key not in (None, first)
    assert (tmp_path / "other" / "demo.db.key").exists()
    monkeypatch.setenv("KEEPHOME_SECRET_KEY", SECRET)
    (tmp_path / "other" / "demo.db.key").unlink()
    assert demo_settings().secret_key == SECRET
    assert not (tmp_path / "other" / "demo.db.key").exists()


def test_an_empty_key_file_left_by_a_start_stopped_halfway_is_replaced_and_kept(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A key file found empty (a start stopped between making the file and writing it, before the key was written
    whole and linked into place) is no key: a new one is kept in it, and the next start reads that one, so a demo
    tenant erased from then on stays erased. No draft file is left beside it."""
    monkeypatch.delenv("KEEPHOME_SECRET_KEY", raising=False)
    kept = tmp_path / "keephome-demo.db.key"
    kept.write_text("")
    first = demo_settings().secret_key
    assert first is not None and kept.read_text().strip() == first
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert demo_settings().secret_key == first
    assert sorted(p.name for p in tmp_path.iterdir() if "key" in p.name) == ["keephome-demo.db.key"]


async def _demo_until_it_serves(tmp_path: Path) -> tuple[list[str], str]:
    """`keephome demo` as a person starts it in `tmp_path` (its database there), until it prints the last staff
    account; then stopped as a service manager stops it (SIGTERM). What it printed, and its stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli.main",
        "demo",
        env=keephome_env(port=str(free_port())),
        cwd=tmp_path,
        stdout=PIPE,
        stderr=PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    lines: list[str] = []
    try:
        while not lines or "caretaker" not in lines[-1]:
            line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
            if not line:
                break
            lines.append(line.rstrip("\n"))
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        err = (await asyncio.wait_for(process.stderr.read(), 60)).decode()
        await asyncio.wait_for(process.wait(), 60)
    return lines, err


@pytest.mark.slow  # 10-15 s: the demo starts twice and `erase` runs between
async def test_the_demo_starts_again_after_an_erasure_and_the_erased_tenant_stays_erased(tmp_path: Path) -> None:
    """The walk: the demo, an erasure in it (the way the console's Data page names in the demo), the demo again. It
    started with a new random key and read the tombstone without one: a traceback ending in ErasedUnchecked, and the
    database was of no more use."""
    lines, err = await _demo_until_it_serves(tmp_path)
    assert "caretaker" in lines[-1], err
    erased = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli.main",
        "erase",
        "--demo",
        "--yes",  # no terminal to answer at
        "DEMO-07",
        env=keephome_env(),
        cwd=tmp_path,
        stdout=PIPE,
        stderr=PIPE,
    )
    out, said = await asyncio.wait_for(erased.communicate(), 60)
    assert erased.returncode == 0, said.decode()
    assert out.decode().startswith("erased tenant ")
    lines, err = await _demo_until_it_serves(tmp_path)
    assert "Traceback" not in err and "caretaker" in lines[-1], err
    database = tmp_path / "keephome-demo.db"
    assert f"  erased in this demo, and kept so: DEMO-07; to start afresh, stop the demo and delete {database}" in lines
    db = Database(f"sqlite+aiosqlite:///{database}")
    try:
        async with db.read() as conn:
            refs = set((await conn.execute(select(tenants.c.tenant_ref))).scalars())
    finally:
        await db.dispose()
    assert len(refs) == 12 and "DEMO-07" not in refs and "DEMO-08" in refs
