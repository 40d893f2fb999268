"""Serving: keephome binds its address before anything starts, where uvicorn itself would have listened, and an
address it cannot listen on ends `keephome run` with one line, no traceback and exit status 2."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from asyncio.subprocess import PIPE
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.serve import listening_sockets
from bot.store.election import sqlite_alone
from tests.support.processes import free_port, keephome_env, start_keephome

SECRET = "test-secret-key-test-secret-key-0123"


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another process listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


async def _run_until_it_ends(tmp_path: Path, **env: str) -> tuple[int, list[str]]:
    """`keephome run` as an operator starts it, on a fresh SQLite file, with the scheduler's catch-up due at once
    (plan hour 0): its exit status and what it wrote to stderr."""
    values = {"secret_key": SECRET, "database_url": f"sqlite+aiosqlite:///{tmp_path / 'keephome.db'}", "plan_hour": "0"}
    process = await start_keephome(keephome_env(**{**values, **env}), tmp_path)
    try:
        code = await asyncio.wait_for(process.process.wait(), 60)
    finally:
        await process.close()
    return code, process.log.read_text().splitlines()


@pytest.mark.slow  # 4-8 s: a `keephome run` process starts and ends
async def test_a_port_in_use_ends_run_with_one_line(tmp_path: Path, taken_port: int) -> None:
    code, lines = await _run_until_it_ends(tmp_path, port=str(taken_port))
    said = "\n".join(lines)
    assert code == 2, said
    assert lines[-1] == (
        f"keephome: cannot listen on 127.0.0.1:{taken_port}: [Errno 98] Address already in use: another process "
        "listens there (keephome already running?): stop it, or choose another KEEPHOME_PORT"
    )
    assert "Traceback" not in said and "ERROR" not in said
    # Nothing was started: no role taken (on PostgreSQL that is another process's sender or scheduler), no job run.
    assert "holds the" not in said and "startup" not in said


async def test_a_host_that_does_not_resolve_ends_run_with_one_line(tmp_path: Path) -> None:
    port = free_port()
    code, lines = await _run_until_it_ends(tmp_path, host="0.0.0.0.0", port=str(port))
    said = "\n".join(lines)
    assert code == 2, said
    assert lines[-1].startswith(f"keephome: cannot listen on 0.0.0.0.0:{port}: [Errno -")
    assert lines[-1].endswith(
        ": KEEPHOME_HOST must be an address or name of this machine (127.0.0.1; 0.0.0.0 for every address)"
    )
    assert "Traceback" not in said and "holds the" not in said


async def test_run_serves_on_the_address_it_bound(tmp_path: Path) -> None:
    process = await start_keephome(
        keephome_env(
            secret_key=SECRET, database_url=f"sqlite+aiosqlite:///{tmp_path / 'keephome.db'}", port=str(free_port())
        ),
        tmp_path,
    )
    try:
        await process.wait_healthy(60)
    finally:
        await process.close()
    assert f"Uvicorn running on http://127.0.0.1:{process.port} (Press CTRL+C to quit)" in process.log.read_text()


def _ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0", "localhost", "", *(["::", "::1"] if _ipv6() else [])])
async def test_the_sockets_are_those_uvicorn_would_bind(host: str) -> None:
    # Uvicorn binds with the loop's create_server(host=, port=): the same addresses, families and IPv6-only option.
    loop = asyncio.get_running_loop()
    server = await loop.create_server(asyncio.Protocol, host=host, port=0)
    theirs = sorted(
        (s.family, s.getsockname()[0], s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) != 0)
        for s in server.sockets
    )
    server.close()
    await server.wait_closed()
    sockets = await listening_sockets(host, 0)
    try:
        ours = sorted(
            (s.family, s.getsockname()[0], s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) != 0) for s in sockets
        )
        v6only = [s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) for s in sockets if s.family == socket.AF_INET6]
    finally:
        for sock in sockets:
            sock.close()
    assert ours == theirs
    assert all(v6only)


async def test_a_second_demo_on_a_port_in_use_stops_before_it_changes_the_demo(tmp_path: Path, taken_port: int) -> None:
    """A second `keephome demo` beside a running one: it stops before it seeds, gives the demo's staff new passwords
    and prints them (the running demo's printed passwords would stop working)."""
    env = keephome_env(database_url=f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}", port=str(taken_port))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli.main", "demo", env=env, cwd=tmp_path, stdout=PIPE, stderr=PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2, err.decode()
    assert err.decode().splitlines()[-1].startswith(f"keephome: cannot listen on 127.0.0.1:{taken_port}: [Errno 98]")
    assert "password" not in out.decode() and "Traceback" not in err.decode()
    assert not (tmp_path / "demo.db").exists()  # nothing seeded, no account touched


async def test_a_demo_on_a_sqlite_file_another_keephome_serves_stops_before_it_changes_the_demo(tmp_path: Path) -> None:
    """Another demo (or a `run`) on the same file, on another port: it held every role too, two senders and two
    schedulers on one file, and gave the running demo's staff new passwords. It stops in one line instead."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    release = sqlite_alone(url)  # this process serves the file, as a running demo would
    assert release is not None
    try:
        env = keephome_env(database_url=url, port=str(free_port()))
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli.main", "demo", env=env, cwd=tmp_path, stdout=PIPE, stderr=PIPE
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        release()
    assert process.returncode == 2, err.decode()
    assert err.decode().splitlines()[-1] == (
        f"keephome: another keephome run or demo (process {os.getpid()}) serves {tmp_path / 'demo.db'}: SQLite is one "
        "process, so stop that one first (several processes need PostgreSQL)"
    )
    assert "password" not in out.decode() and "Traceback" not in err.decode()
    assert not (tmp_path / "demo.db").exists()  # nothing seeded, no account touched
