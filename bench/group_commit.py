"""The webhooks' group commit on PostgreSQL: keephome's CPU a commit by the messages it holds, against asyncpg.

Run `.venv/bin/python bench/group_commit.py` (or `./dev bench group-commit`) with nothing else busy. In a schema of
its own (dropped afterwards) at `KEEPHOME_TEST_DATABASE_URL` (default `postgres@127.0.0.1:5432/test`), one process
pinned to one core commits inbound rows the way a webhook's group commit does, `Database.run_statement` with the
inbox's INSERT, and the same SQL with the same parameters through a bare asyncpg pool; the two alternate, each
`--commits` commits of 1, 2, 4 and 16 messages a round. It prints keephome's CPU a commit and a message (the
process's CPU clock: PostgreSQL's backend is not in it), the bare figure, and their ratio; the median of `--runs`
rounds. With N processes behind one port each commits what its own webhooks brought meanwhile (about two
messages at N = 4 in `bench/inbound.py`, sixteen with one process): the difference is what a message costs more.

Then a write transaction the way the processor's batches and the sender's claims and records run theirs:
`Database.run` with one INSERT of one row between BEGIN and COMMIT, on the connection it keeps; the same on a
connection checked out of SQLAlchemy's pool for each transaction (what `run` did before 2026-12-04); and the same SQL
in an asyncpg transaction on a connection of a bare asyncpg pool. It never fails: the figures are for reading.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
import uvloop

from bot.inbound.inbox import _insert_inbound
from bot.settings import Settings
from bot.store.db import Database, _then_flush
from bot.store.migrate import upgrade
from bot.store.rows import fetch_call

# KEEPHOME_TEST_DATABASE_URL, from the environment or .env, as the tests read it.
PG_URL = Settings().test_database_url
SIZES = (1, 2, 4, 16)


class Rows:
    """Inbound rows as the inbox writes them, each with a new provider id (no duplicate is skipped)."""

    def __init__(self) -> None:
        self._n = 0

    def __call__(self, count: int) -> list[dict[str, Any]]:
        rows = []
        for _ in range(count):
            self._n += 1
            rows.append(
                {
                    "channel": "sms",
                    "provider_id": f"SMbench{self._n:010d}",
                    "sender": "+4520123456",
                    "text": "Jeg kan betale på fredag",
                    "payload": None,
                    "received_at": datetime.now(UTC),
                }
            )
        return rows


async def _cpu_per_call(fn: Callable[[list[dict[str, Any]]], Awaitable[None]], rows: Rows, size: int, n: int) -> float:
    batches = [rows(size) for _ in range(n)]
    start = time.process_time()
    for batch in batches:
        await fn(batch)
    return (time.process_time() - start) / n * 1e6


async def _measure(url: str, schema: str, args: argparse.Namespace) -> dict[tuple[str, int], list[float]]:
    db = Database(f"{url}?search_path={schema}")
    await upgrade(db)
    stmt = _insert_inbound("postgresql")
    call = fetch_call(db.writer.dialect, stmt, Rows()(2))
    assert call is not None, "the inbox's INSERT goes through a plan (bot/store/rows.py)"
    sql = call[0]
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    pool = await asyncpg.create_pool(dsn, min_size=2, max_size=2, server_settings={"search_path": schema})

    async def keephome(batch: list[dict[str, Any]]) -> None:
        await db.run_statement(stmt, batch)

    async def bare(batch: list[dict[str, Any]]) -> None:
        found = fetch_call(db.writer.dialect, stmt, batch)
        assert found is not None
        async with pool.acquire() as conn:
            await conn.fetchmany(sql, found[1])

    def insert(conn: Any, batch: list[dict[str, Any]]) -> None:
        conn.execute(stmt, batch[0])

    async def run(batch: list[dict[str, Any]]) -> None:
        await db.run(insert, batch)

    async def pooled(batch: list[dict[str, Any]]) -> None:
        async with db.writer.begin() as conn:
            await conn.run_sync(_then_flush, insert, batch)

    async def bare_transaction(batch: list[dict[str, Any]]) -> None:
        found = fetch_call(db.writer.dialect, stmt, batch)
        assert found is not None
        async with pool.acquire() as conn, conn.transaction():
            await conn.fetch(sql, *found[1][0])

    rows = Rows()
    figures: dict[tuple[str, int], list[float]] = {}
    transactions = (("run", run), ("pooled", pooled), ("bare", bare_transaction))
    try:
        for fn in (keephome, bare, run, pooled, bare_transaction):  # warm: connections, prepared statements
            await _cpu_per_call(fn, rows, 2 if fn in (keephome, bare) else 1, 200)
        for _ in range(args.runs):
            for size in SIZES:
                for name, fn in (("keephome", keephome), ("asyncpg", bare)):
                    figures.setdefault((name, size), []).append(await _cpu_per_call(fn, rows, size, args.commits))
            for name, fn in transactions:
                figures.setdefault((name, 1), []).append(await _cpu_per_call(fn, rows, 1, args.commits))
    finally:
        await pool.close()
        await db.dispose()
    return figures


async def _admin(dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=2000, help="commits of each size a round (default 2000)")
    parser.add_argument("--runs", type=int, default=3, help="rounds; the figures are their medians (default 3)")
    parser.add_argument("--cpu", default="0", help="the core to pin this process to (default 0)")
    args = parser.parse_args(argv)
    if os.environ.get("KEEPHOME_BENCH_PINNED") != "1":  # pin the whole process, then run in it
        env = dict(os.environ, KEEPHOME_BENCH_PINNED="1")
        return subprocess.call(["taskset", "-c", args.cpu, sys.executable, __file__, *(argv or sys.argv[1:])], env=env)
    url = PG_URL.split("?", 1)[0]
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    schema = f"bench_commit_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(dsn, f'CREATE SCHEMA "{schema}"'))
    try:
        figures = uvloop.run(_measure(url, schema, args))
    finally:
        asyncio.run(_admin(dsn, f'DROP SCHEMA "{schema}" CASCADE'))
    print(
        f"group commit on PostgreSQL: CPU of this process a commit, median of {args.runs} rounds of {args.commits} "
        f"commits each ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, cpu {args.cpu}, uvloop)"
    )
    print(f"{'messages':>9}{'keephome µs':>13}{'a message':>11}{'asyncpg µs':>12}{'a message':>11}{'ratio':>7}")
    for size in SIZES:
        ours = statistics.median(figures[("keephome", size)])
        bare = statistics.median(figures[("asyncpg", size)])
        print(f"{size:>9}{ours:>13.0f}{ours / size:>11.0f}{bare:>12.0f}{bare / size:>11.0f}{ours / bare:>7.2f}")
    bare = statistics.median(figures[("bare", 1)])
    print("a write transaction of one INSERT (BEGIN, INSERT, COMMIT): CPU of this process a transaction")
    for name, label in (
        ("run", "Database.run, on the connection it keeps"),
        ("pooled", "the same, a pooled connection checked out and in"),
        ("bare", "asyncpg: pool.acquire, transaction, execute"),
    ):
        ours = statistics.median(figures[(name, 1)])
        print(f"  {label:<50}{ours:>7.0f} µs{ours / bare:>7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
