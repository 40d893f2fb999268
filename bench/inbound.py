"""Inbound SMS benchmark: signed Twilio webhooks through the real service, next to a bare endpoint.

Run `.venv/bin/python bench/inbound.py` (needs `wrk`: `apt-get install wrk`, or `./dev bench`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import phonenumbers
from loadgen import WrkResult, run_wrk, signed_requests, write_script
from servers import server_options

from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.schema import rent_positions, tenants

__all__ = ["Round", "main"]

HERE = Path(__file__).resolve().parent
PUBLIC_URL = "https://keephome.example.org"
ACCOUNT_SID = "AC" + "5eed" * 8
AUTH_TOKEN = secrets.token_hex(16)
FROM_NUMBER = "+4570102030"
TARGET_RATE = 1500.0
TARGET_P99_MS = 50.0


@dataclass(frozen=True)
class Round:
    """One measurement of both endpoints and what keephome made of the messages."""

    bare: WrkResult
    keephome: WrkResult
    committed: int
    processed_at_end: int
    processed: int
    replies: int
    catch_up_seconds: float


def _phones(count: int) -> list[str]:
    phones: list[str] = []
    candidate = 21_000_000
    while len(phones) < count:
        number = f"+45{candidate}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number, None)):
            phones.append(number)
        candidate += 1
    return phones


async def _seed(url: str, phones: list[str]) -> None:
    """Migrate a new database and write the tenants and their rent positions directly."""
    db = Database(url)
    await upgrade(db)
    now = datetime.now(UTC)
    people = [
        {
            "id": i + 1,
            "tenant_ref": f"B-{i + 1:06d}",
            "name": f"Lejer {i + 1}",
            "phone": phone,
            "language": "da",
            "channel_preference": "auto",
            "telegram_blocked": False,
            "status": "active",
            "created_at": now,
            "updated_at": now,
        }
        for i, phone in enumerate(phones)
    ]
    positions = [
        {
            "tenant_id": i + 1,
            "due_day": 1,
            "monthly_rent_ore": 650_000,
            "balance_ore": 0,
            "balance_as_of": now.date(),
            "at_risk": False,
            "arrears_last_12m": False,
            "updated_at": now,
        }
        for i in range(len(phones))
    ]
    async with db.write() as conn:
        await conn.execute(tenants.insert(), people)
        await conn.execute(rent_positions.insert(), positions)
    await db.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _server(kind: str, env: dict[str, str], workdir: Path) -> Iterator[str]:
    """Start `servers.py KIND` in its own process and yield its base URL once it answers."""
    port = _free_port()
    log = (workdir / f"{kind}.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "servers.py"), kind, str(port)], env=env, cwd=workdir, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the {kind} server exited: {(workdir / f'{kind}.log').read_text()[-2000:]}")
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {kind} server did not answer within 30 s")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _counts(db_path: Path, after_inbound: int, after_outbox: int) -> tuple[int, int, int, int, int]:
    """(committed, processed, replies queued, last inbound id, last outbox id) since the given ids."""
    with sqlite3.connect(db_path, timeout=30) as conn:
        committed, processed, last_in = conn.execute(
            "SELECT count(*), count(processed_at), coalesce(max(id), ?) FROM inbound WHERE id > ?",
            (after_inbound, after_inbound),
        ).fetchone()
        replies, last_out = conn.execute(
            "SELECT count(*), coalesce(max(id), ?) FROM outbox WHERE id > ?", (after_outbox, after_outbox)
        ).fetchone()
    return int(committed), int(processed), int(replies), int(last_in), int(last_out)


def _round(args: argparse.Namespace, db_path: Path, phones: list[str], bare: str, keephome: str, n: int) -> Round:
    requests = signed_requests(PUBLIC_URL, AUTH_TOKEN, ACCOUNT_SID, FROM_NUMBER, phones, args.requests)
    script = write_script(db_path.parent / f"round{n}.lua", requests)
    wrk = {"threads": args.threads, "connections": args.connections, "seconds": args.duration}
    bare_result = run_wrk(bare, script, **wrk)
    _, _, _, last_in, last_out = _counts(db_path, 0, 0)
    kh_result = run_wrk(keephome, script, **wrk)
    finished = time.monotonic()
    committed, processed_at_end, _, _, _ = _counts(db_path, last_in, last_out)
    while time.monotonic() - finished < args.catch_up:
        committed, processed, replies, _, _ = _counts(db_path, last_in, last_out)
        if processed >= committed:
            break
        time.sleep(0.1)
    return Round(bare_result, kh_result, committed, processed_at_end, processed, replies, time.monotonic() - finished)


def _table(rounds: list[Round], args: argparse.Namespace) -> bool:
    """Print every round, the medians and the verdict; False when the full path was not handled."""
    options = server_options()
    print(
        f"\nkeephome inbound benchmark: wrk {args.threads} threads, {args.connections} connections, "
        f"{args.duration} s; {args.tenants} tenants; uvicorn loop={options['loop']} http={options['http']}"
    )
    head = f"{'run':<4}{'endpoint':<10}{'msgs/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'failed':>8}"
    print(head + f"{'committed':>11}{'done@end':>10}{'processed':>11}{'replies':>9}{'catch-up s':>12}")
    healthy = True
    for i, r in enumerate(rounds, 1):
        for name, w in (("bare", r.bare), ("keephome", r.keephome)):
            line = f"{i:<4}{name:<10}{w.ok_per_second:>9.0f}{w.p50_ms:>9.1f}{w.p99_ms:>9.1f}{w.failed:>8}"
            if name == "keephome":
                line += f"{r.committed:>11}{r.processed_at_end:>10}{r.processed:>11}{r.replies:>9}"
                line += f"{r.catch_up_seconds:>12.1f}"
            print(line)
        accepted = r.keephome.requests - r.keephome.failed
        if r.keephome.failed or r.processed < r.committed or r.committed < accepted or r.keephome.wraps:
            healthy = False
            print(
                f"     round {i}: {r.keephome.failed} failed, {r.committed - r.processed} unprocessed, "
                f"{accepted} accepted vs {r.committed} committed, {r.keephome.wraps} request wraps (duplicates)"
            )
    rate = statistics.median(r.keephome.ok_per_second for r in rounds)
    p50 = statistics.median(r.keephome.p50_ms for r in rounds)
    p99 = statistics.median(r.keephome.p99_ms for r in rounds)
    bare_rate = statistics.median(r.bare.ok_per_second for r in rounds)
    bare_p99 = statistics.median(r.bare.p99_ms for r in rounds)
    print(f"\nmedian of {len(rounds)}: bare {bare_rate:.0f} msgs/s (p99 {bare_p99:.1f} ms)")
    print(f"               keephome {rate:.0f} msgs/s (p50 {p50:.1f} ms, p99 {p99:.1f} ms)")
    print(f"               keephome / bare = {rate / bare_rate:.2f}" if bare_rate else "")
    met = rate >= TARGET_RATE and p99 <= TARGET_P99_MS
    verdict = "met" if met else "MISSED"
    print(f"target >= {TARGET_RATE:.0f} msgs/s with p99 <= {TARGET_P99_MS:.0f} ms: {verdict}")
    print("full path handled (every accepted message committed and processed): " + ("yes" if healthy else "NO"))
    return healthy


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tenants", type=int, default=3000, help="tenants imported (default 3000)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--runs", type=int, default=3, help="rounds; the summary is their median (default 3)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--requests", type=int, default=0, help="unique requests per round (default 3000 a second)")
    parser.add_argument("--catch-up", type=float, default=15.0, help="seconds to wait for the processor")
    parser.add_argument("--twilio-rate", type=float, default=None, help="replies per second (default: setting)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory and print it")
    args = parser.parse_args(argv)
    args.requests = args.requests or args.duration * 3000
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table; exit 1 when messages were lost or left unprocessed."""
    args = _arguments(argv)
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install wrk (./dev bench installs it)", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="keephome-bench-"))
    db_path = workdir / "keephome.db"
    url = f"sqlite+aiosqlite:///{db_path}"
    phones = _phones(args.tenants)
    asyncio.run(_seed(url, phones))
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEPHOME_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE.parent), env.get("PYTHONPATH")]))
    try:
        with _server("twilio", env, workdir) as twilio_url:
            env.update(
                KEEPHOME_DATABASE_URL=url,
                KEEPHOME_PUBLIC_URL=PUBLIC_URL,
                KEEPHOME_SECRET_KEY=secrets.token_hex(16),
                KEEPHOME_TWILIO_ACCOUNT_SID=ACCOUNT_SID,
                KEEPHOME_TWILIO_AUTH_TOKEN=AUTH_TOKEN,
                KEEPHOME_TWILIO_FROM=FROM_NUMBER,
                KEEPHOME_TWILIO_API_URL=twilio_url,
                KEEPHOME_RUN_SCHEDULER="false",
            )
            if args.twilio_rate:
                env["KEEPHOME_TWILIO_RATE"] = str(args.twilio_rate)
            with _server("bare", env, workdir) as bare, _server("keephome", env, workdir) as keephome:
                rounds = [_round(args, db_path, phones, bare, keephome, n) for n in range(args.runs)]
        healthy = _table(rounds, args)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
