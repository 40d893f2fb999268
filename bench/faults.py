"""Faults, measured: a campaign of reminders on PostgreSQL, sent by `keephome run` processes through the real twilio
SDK to a stand-in that fails a share of its calls, while the process holding the sender role is killed with SIGKILL.

Run `.venv/bin/python bench/faults.py` (PostgreSQL at KEEPHOME_TEST_DATABASE_URL, or `--database-url`). It prints
messages lost (must be 0), messages sent twice and what explains each (a row in flight at a kill, or a message the
stand-in accepted and then answered with a timeout or a dropped connection), the time to drain, whether every 429's
Retry-After was waited out, and which process sent while it held the role. Exit status 1 when a property fails.
`tests/scenarios/test_takeover.py` runs the same campaign at a smaller size.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
from sqlalchemy import Connection, func, select

from bot.outbox.enqueue import enqueue
from bot.settings import Settings
from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.scene import Scene
from bot.store.schema import outbox, rent_positions, tenants
from tests.support.processes import KeephomeProcess, free_port, keephome_env, start_keephome
from tests.support.twilio_standin import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    Answer,
    Faults,
    Posted,
    TwilioStandin,
    serve_standin,
)

__all__ = ["Campaign", "Report", "main", "run"]

# KEEPHOME_TEST_DATABASE_URL, from the environment or .env, as the tests read it.
PG_URL = Settings().test_database_url
# Attempts before the outbox gives a row up (KEEPHOME_MAX_ATTEMPTS, which the bench leaves at its default).
MAX_ATTEMPTS: int = Settings.model_fields["max_attempts"].default


@dataclass(frozen=True)
class Campaign:
    """What one run does: its size, its send rate, its processes and kills, its faults."""

    reminders: int = 10_000
    rate: float = 500.0  # KEEPHOME_TWILIO_RATE of every process
    processes: int = 3
    kills: int = 2  # the sender's holder is killed with SIGKILL this many times, spread over the campaign
    fault_rate: float = 0.2
    faults_per_number: int | None = None  # cap the failures one recipient meets (keeps a small run's retry tail short)
    retry_after: tuple[int, ...] = (1, 3, 5)  # the Retry-After values the stand-in's 429s carry
    send_timeout: float = 2.0
    lease: float = 6.0
    election: float = 1.0
    batch: int = 50  # KEEPHOME_OUTBOX_BATCH
    database_url: str = PG_URL

    def faults(self) -> Faults:
        slow = self.send_timeout + 0.5  # longer than keephome waits: accepted, then no answer in time
        kinds = (
            (Answer(500),),
            tuple(Answer(429, 20429, "Too Many Requests", retry_after=r) for r in self.retry_after),
            (Answer(201, delay=slow),),
            (Answer(201, reset=True), Answer(500, reset=True)),  # dropped after accepting, or before
        )
        return Faults(self.fault_rate, kinds, per_number=self.faults_per_number)


@dataclass
class Kill:
    """One SIGKILL of the sender's holder: when, which process, the rows it had in flight, how long until another
    process held the role."""

    at: float
    process: int
    in_flight: set[str]
    takeover: float | None = None


@dataclass
class Report:
    """The figures of one run (times in seconds, from `time.monotonic()`)."""

    campaign: Campaign
    queued: int = 0
    numbers_reached: int = 0
    lost: int = 0
    failed_rows: int = 0
    # Rows given up whose number met at least MAX_ATTEMPTS failed calls at the stand-in: the outbox did as it must
    # (with a fifth of the calls failing, one row in 10,000 meets eight in a row in about one run of forty).
    failed_after_every_attempt: int = 0
    extra_copies: int = 0
    explained_by_kills: int = 0
    explained_by_ambiguous: int = 0
    unexplained: int = 0
    # Copies beyond the first whose message is not marked as perhaps reaching the tenant twice (must be 0).
    unmarked: int = 0
    drain_seconds: float = 0.0
    p99_seconds: float = 0.0
    requests: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    busiest_second: int = 0
    retry_after_checked: int = 0
    retry_after_early: int = 0
    shortest_retry_margin: float | None = None
    kills: list[Kill] = field(default_factory=list)
    senders: list[int] = field(default_factory=list)  # process numbers in the order they sent
    interleaved: bool = False  # a process sent while another held the role

    @property
    def ok(self) -> bool:
        return (
            self.lost == 0
            and self.failed_rows == self.failed_after_every_attempt
            and self.unexplained == 0
            and self.unmarked == 0
            and self.retry_after_early == 0
            and not self.interleaved
        )


def _from_number(process: int) -> str:
    return f"+457010{process:04d}"


def _phone(i: int) -> str:
    return f"+4530{i:06d}"


async def _schema(database_url: str) -> tuple[str, str]:
    """A fresh schema of its own (the URL that uses it, and its name)."""
    name = f"bench_faults_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await admin.execute(f'CREATE SCHEMA "{name}"')
    finally:
        await admin.close()
    return f"{database_url}?search_path={name}", name


async def _drop_schema(database_url: str, name: str) -> None:
    admin = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await admin.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    finally:
        await admin.close()


async def _seed(db: Database, count: int, now: datetime) -> None:
    """Tenants paid up (so no planner adds reminders of its own), each with a number of their own."""
    for start in range(0, count, 5_000):
        people, positions = [], []
        for i in range(start, min(count, start + 5_000)):
            people.append(
                {
                    "id": i + 1,
                    "tenant_ref": f"F-{i:06d}",
                    "name": f"Lejer {i}",
                    "phone": _phone(i),
                    "language": "da",
                    "channel_preference": "auto",
                    "telegram_blocked": False,
                    "status": "active",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            positions.append(
                {
                    "tenant_id": i + 1,
                    "due_day": 1,
                    "balance_ore": 0,
                    "balance_as_of": now.date(),
                    "at_risk": False,
                    "arrears_last_12m": False,
                    "updated_at": now,
                }
            )
        async with db.write() as conn:
            await conn.execute(tenants.insert(), people)
            await conn.execute(rent_positions.insert(), positions)


def _queue(conn: Connection, ids: Iterable[int], now: datetime) -> None:
    scene = Scene.of(conn)
    for i in ids:
        enqueue(
            scene,
            now=now,
            channel="sms",
            template="payment_check.question",
            values={"first_name": f"Lejer {i}", "trigger": "missed"},
            language="da",
            idempotency_key=f"faults:{i}",
            tenant_id=i + 1,
            proactive=True,
            not_before=now,
        )


async def _states(db: Database) -> Counter[str]:
    async with db.read() as conn:
        rows = (await conn.execute(select(outbox.c.state, func.count()).group_by(outbox.c.state))).all()
    return Counter({str(state): int(n) for state, n in rows})


async def _given_up(db: Database) -> list[str]:
    """The numbers of the rows the outbox gave up (`failed`)."""
    async with db.read() as conn:
        query = (
            select(tenants.c.phone).join(outbox, outbox.c.tenant_id == tenants.c.id).where(outbox.c.state == "failed")
        )
        return [str(p) for p in (await conn.execute(query)).scalars()]


async def _not_marked(db: Database) -> set[str]:
    """The numbers whose row is not marked as perhaps sent twice (what the console and /metrics say)."""
    async with db.read() as conn:
        query = (
            select(tenants.c.phone)
            .join(outbox, outbox.c.tenant_id == tenants.c.id)
            .where(outbox.c.maybe_sent.is_(False))
        )
        return {str(p) for p in (await conn.execute(query)).scalars()}


async def _in_flight(db: Database) -> set[str]:
    """The numbers of rows claimed and not finished (right after a kill: the killed holder's)."""
    async with db.read() as conn:
        query = (
            select(tenants.c.phone)
            .join(outbox, outbox.c.tenant_id == tenants.c.id)
            .where(outbox.c.state == "pending", outbox.c.lease_until.is_not(None))
        )
        return {str(p) for p in (await conn.execute(query)).scalars()}


async def _holder(processes: dict[int, KeephomeProcess]) -> int | None:
    for number, process in list(processes.items()):
        if process.process.returncode is None and await process.holds("sender"):
            return number
    return None


async def _kill_holder(db: Database, processes: dict[int, KeephomeProcess]) -> Kill | None:
    number = await _holder(processes)
    if number is None:
        return None
    process = processes.pop(number)
    process.kill()
    at = time.monotonic()
    await process.process.wait()
    kill = Kill(at=at, process=number, in_flight=await _in_flight(db))
    await process.close()
    return kill


async def _watch_takeover(kill: Kill, processes: dict[int, KeephomeProcess]) -> None:
    for _ in range(1200):  # a minute at most
        if await _holder(processes) is not None:
            kill.takeover = time.monotonic() - kill.at
            return
        await asyncio.sleep(0.05)


def _env(campaign: Campaign, url: str, standin: TwilioStandin, number: int) -> dict[str, str]:
    return keephome_env(
        database_url=url,
        secret_key="bench-faults-" + "k" * 32,
        public_url="https://keephome.example.org",
        port=str(free_port()),
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from=_from_number(number),
        twilio_api_url=standin.url,
        twilio_rate=str(campaign.rate),
        send_timeout_seconds=str(campaign.send_timeout),
        lease_seconds=str(campaign.lease),
        election_seconds=str(campaign.election),
        outbox_batch=str(campaign.batch),
        quiet_start="00:00",
        quiet_end="00:00",
        quiet_on_holidays="false",
        log_level="WARNING",
    )


async def run(campaign: Campaign, workdir: Path, *, progress: bool = False) -> Report:
    """Run one campaign in a schema of its own (dropped afterwards) and measure it."""
    url, schema = await _schema(campaign.database_url)
    db = Database(url)
    report = Report(campaign)
    processes: dict[int, KeephomeProcess] = {}
    watchers: list[asyncio.Task[None]] = []
    try:
        await upgrade(db)
        now = datetime.now(UTC)
        await _seed(db, campaign.reminders, now)
        async with serve_standin(TwilioStandin(faults=campaign.faults())) as standin:
            # Started together and awaited together: each spends seconds of CPU on start-up, and none depends on
            # another being up (the sender's role goes to whichever claims it first).
            for number in range(1, campaign.processes + 1):
                env = _env(campaign, url, standin, number)
                processes[number] = await start_keephome(env, workdir, f"keephome-{number}")
            waits = [asyncio.ensure_future(process.wait_healthy()) for process in processes.values()]
            try:
                await asyncio.gather(*waits)
            finally:
                for wait in waits:  # when one failed, the others stop asking
                    wait.cancel()
            started = time.monotonic()
            for start in range(0, campaign.reminders, 500):
                await db.run(_queue, range(start, min(campaign.reminders, start + 500)), now)
            report.queued = campaign.reminders
            marks = [campaign.reminders * (k + 1) // (campaign.kills + 1) for k in range(campaign.kills)]
            while True:
                states = await _states(db)
                done = states["sent"] + states["failed"]
                if marks and done >= marks[0]:
                    marks.pop(0)
                    kill = await _kill_holder(db, processes)
                    if kill is not None:
                        report.kills.append(kill)
                        watchers.append(asyncio.create_task(_watch_takeover(kill, processes)))
                if progress:
                    print(f"\r{done:>6} of {campaign.reminders} sent or given up", end="", file=sys.stderr, flush=True)
                if states["pending"] == 0:
                    break
                await asyncio.sleep(0.1)
            if progress:
                print(file=sys.stderr)
            await asyncio.gather(*watchers)
            given_up = await _given_up(db)
            report.failed_rows = len(given_up)
            _analyse(report, standin.posted, started, given_up, await _not_marked(db))
    finally:
        for task in watchers:
            task.cancel()
        await asyncio.gather(*(process.close() for process in processes.values()))
        await db.dispose()
        await _drop_schema(campaign.database_url, schema)
    return report


def _analyse(report: Report, posted: list[Posted], started: float, given_up: list[str], not_marked: set[str]) -> None:
    failed_calls = Counter(p.to for p in posted if p.kind != "ok")
    report.failed_after_every_attempt = sum(1 for number in given_up if failed_calls[number] >= MAX_ATTEMPTS)
    accepted = [p for p in posted if p.sid is not None]
    copies = Counter(p.to for p in accepted)
    report.requests = len(posted)
    report.faults = Counter(p.kind for p in posted if p.kind != "ok")
    report.numbers_reached = len(copies)
    report.lost = report.queued - len(copies)
    ambiguous = Counter(p.to for p in accepted if p.kind in ("slow", "reset"))
    in_flight = Counter(number for kill in report.kills for number in kill.in_flight)
    for number, n in copies.items():
        extra = n - 1
        if extra <= 0:
            continue
        report.extra_copies += extra
        if number in not_marked:
            report.unmarked += extra
        by_ambiguous = min(extra, ambiguous[number])
        by_kills = min(extra - by_ambiguous, in_flight[number])
        report.explained_by_ambiguous += by_ambiguous
        report.explained_by_kills += by_kills
        report.unexplained += extra - by_ambiguous - by_kills
    arrivals = sorted(p.at for p in accepted)
    if arrivals:
        report.drain_seconds = arrivals[-1] - started
        report.p99_seconds = arrivals[max(0, int(len(arrivals) * 0.99) - 1)] - started
    report.busiest_second = _busiest_second([p.at for p in posted])
    _retry_after(report, posted)
    _senders(report, posted)


def _busiest_second(stamps: list[float]) -> int:
    stamps = sorted(stamps)
    most, left = 0, 0
    for right, stamp in enumerate(stamps):
        while stamp - stamps[left] >= 1.0:
            left += 1
        most = max(most, right - left + 1)
    return most


def _retry_after(report: Report, posted: list[Posted]) -> None:
    """Each 429's Retry-After against the next request for the same number."""
    by_number: dict[str, list[Posted]] = defaultdict(list)
    for p in sorted(posted, key=lambda p: p.at):
        by_number[p.to].append(p)
    for tries in by_number.values():
        for asked, following in itertools.pairwise(tries):
            if asked.retry_after is None:
                continue
            report.retry_after_checked += 1
            margin = following.at - asked.at - asked.retry_after
            if margin < 0:
                report.retry_after_early += 1
            if report.shortest_retry_margin is None or margin < report.shortest_retry_margin:
                report.shortest_retry_margin = margin


def _senders(report: Report, posted: list[Posted]) -> None:
    """Which process sent, in order: a process may send only between taking the role and losing it."""
    order: list[int] = []
    for p in sorted(posted, key=lambda p: p.at):
        number = int((p.from_ or "0")[-3:])
        if not order or order[-1] != number:
            order.append(number)
    report.senders = order
    killed = [kill.process for kill in report.kills]
    # Holders follow one another: each sends until it is killed, never again afterwards, and never two at once.
    report.interleaved = len(order) != len(set(order)) or order[:-1] != killed[: len(order) - 1]


def print_report(report: Report, out: Any = print) -> None:
    c = report.campaign
    out(
        f"faults bench, {datetime.now(UTC).date().isoformat()}, {os.cpu_count()} cores: {c.reminders:,} reminders, "
        f"{c.processes} `keephome run` processes on one PostgreSQL, {c.fault_rate:.0%} of provider calls failing"
    )
    out(
        f"  send rate (KEEPHOME_TWILIO_RATE)      {c.rate:g}/s; busiest second at the stand-in: {report.busiest_second}"
    )
    faults = ", ".join(f"{kind} {n}" for kind, n in sorted(report.faults.items()))
    out(f"  stand-in requests                     {report.requests:,}; failed on purpose: {faults or 'none'}")
    for i, kill in enumerate(report.kills, 1):
        takeover = f"{kill.takeover:.1f} s" if kill.takeover is not None else "no other process left"
        out(
            f"  kill {i}: SIGKILL sender holder #{kill.process}, {len(kill.in_flight)} rows in flight; "
            f"another process held the role after {takeover}"
        )
    out(
        f"  messages lost                         {report.lost} (rows given up: {report.failed_rows}, of which after "
        f"{MAX_ATTEMPTS} failed calls: {report.failed_after_every_attempt})"
    )
    out(
        f"  messages sent twice                   {report.extra_copies}: in flight at a kill "
        f"{report.explained_by_kills}, accepted then timeout/reset {report.explained_by_ambiguous}, "
        f"unexplained {report.unexplained}; not marked on the message {report.unmarked}"
    )
    out(
        f"  time to drain                         {report.drain_seconds:.1f} s "
        f"(99 % sent after {report.p99_seconds:.1f} s)"
    )
    margin = report.shortest_retry_margin
    shortest = f"; shortest margin {margin:+.2f} s" if margin is not None else ""
    out(
        f"  429 Retry-After waited out            {report.retry_after_checked - report.retry_after_early} of "
        f"{report.retry_after_checked}{shortest}"
    )
    out(f"  senders in order                      {' → '.join(f'#{n}' for n in report.senders)}")
    out(f"  verdict                               {'ok' if report.ok else 'FAILED'}")


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run one campaign, print the figures; 1 when a property failed."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--reminders", type=int, default=10_000)
    p.add_argument("--rate", type=float, default=500.0, help="KEEPHOME_TWILIO_RATE of every process")
    p.add_argument("--processes", type=int, default=3)
    p.add_argument("--kills", type=int, default=2)
    p.add_argument("--fault-rate", type=float, default=0.2)
    p.add_argument("--database-url", default=None, help="default: KEEPHOME_TEST_DATABASE_URL or the local test db")
    args = p.parse_args(argv)
    url = args.database_url or PG_URL
    campaign = Campaign(
        reminders=args.reminders,
        rate=args.rate,
        processes=args.processes,
        kills=args.kills,
        fault_rate=args.fault_rate,
        database_url=url,
    )
    with tempfile.TemporaryDirectory(prefix="keephome-faults-") as workdir:
        report = asyncio.run(run(campaign, Path(workdir), progress=sys.stderr.isatty()))
    print_report(report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
