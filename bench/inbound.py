"""Inbound SMS benchmark: what a tenant's message costs keephome, end to end, and whether replies keep pace.

Run `.venv/bin/python bench/inbound.py` (needs `wrk`: `apt-get install wrk`, or `./dev bench`), or with
`--database postgresql --processes 1,2,4` for several `keephome run` processes behind nginx on one PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
import httpx
import phonenumbers
from loadgen import WrkResult, conversations, run_wrk, senders_used, signed_requests, write_script
from servers import REFUSED_LOG, client_ports, cpu_by_process, cpu_seconds, nginx_config, server_options
from sqlalchemy import make_url

from bot.settings import Settings
from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.schema import rent_positions, tenants

__all__ = ["Load", "Round", "main"]

HERE = Path(__file__).resolve().parent
PUBLIC_URL = "https://keephome.example.org"
ACCOUNT_SID = "AC" + "5eed" * 8
AUTH_TOKEN = secrets.token_hex(16)
FROM_NUMBER = "+4570102030"
# KEEPHOME_TEST_DATABASE_URL, from the environment or .env, as the tests read it.
PG_URL = Settings().test_database_url
TARGET_CPU_US = 650.0  # keephome CPU per message, webhook + processing + send
TARGET_P99_MS = 50.0  # webhook p99 at 80 % of the capacity
TARGET_LAG_S = 2.0  # every reply accepted by the stand-in this long after the load ends
PACED_SHARE = 0.8
SCALE_OUT_LIMIT = 1.3  # N = 4 may cost at most this much per message as N = 1


@dataclass(frozen=True)
class Load:
    """One wrk run against keephome and what keephome made of it, up to the last reply accepted."""

    wrk: WrkResult
    asked_rate: float  # 0: as fast as it answers
    committed: int
    backlog_inbound: int  # committed and not yet processed when the load stopped
    backlog_replies: int  # replies queued and not yet sent when the load stopped
    processed: int
    replies: int
    sent: int
    accepted: int  # create calls the stand-in accepted meanwhile
    reply_lag: float | None  # seconds from the load's end to the last reply accepted; None: not all in time
    cpu: float  # seconds of keephome CPU, load and catch-up
    holder_cpu: float  # of which the process holding the sender role (it also handles every inbound message)
    pg_cpu: float | None  # seconds of CPU of the PostgreSQL backends serving keephome meanwhile
    refused: tuple[str, ...] = ()  # nginx's log lines of the answers that were not 2xx or 3xx, in this load

    @property
    def cpu_us(self) -> float:
        """keephome CPU per committed message, in microseconds."""
        return self.cpu / self.committed * 1e6 if self.committed else 0.0

    @property
    def holder_us(self) -> float:
        """The sender role's holder's CPU per committed message, in microseconds (all of it with one process)."""
        return self.holder_cpu / self.committed * 1e6 if self.committed else 0.0

    @property
    def pg_us(self) -> float | None:
        return self.pg_cpu / self.committed * 1e6 if self.pg_cpu is not None and self.committed else None

    @property
    def complete(self) -> bool:
        """Every accepted request committed, processed, and every reply sent and accepted."""
        accepted = self.wrk.requests - self.wrk.failed
        return (
            not self.wrk.failed
            and not self.wrk.wraps
            and self.committed >= accepted
            and self.processed == self.committed
            and self.sent == self.replies
            and self.accepted >= self.sent
        )


@dataclass(frozen=True)
class Round:
    """The bare endpoint, keephome as fast as it answers, and keephome at 80 % of that."""

    bare: WrkResult
    bare_cpu: float
    capacity: Load
    paced: Load

    @property
    def bare_us(self) -> float:
        answered = self.bare.requests - self.bare.failed
        return self.bare_cpu / answered * 1e6 if answered else 0.0


@dataclass(frozen=True)
class Setup:
    """Cores, command prefixes and where things listen for one measurement series."""

    kh_pin: tuple[str, ...]  # keephome (and the bare endpoint) on one core
    load_pin: tuple[str, ...]  # wrk, the stand-in and nginx on the other
    cores: str


def _pinning() -> Setup:
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2 or shutil.which("taskset") is None:
        return Setup((), (), f"{len(cpus)} core(s), not pinned")
    return Setup(
        ("taskset", "-c", str(cpus[0])),
        ("taskset", "-c", str(cpus[1])),
        f"keephome on cpu {cpus[0]}, load on cpu {cpus[1]}",
    )


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
        for start in range(0, len(people), 1000):
            await conn.execute(tenants.insert(), people[start : start + 1000])
            await conn.execute(rent_positions.insert(), positions[start : start + 1000])
    await db.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(base: str, proc: subprocess.Popen[bytes], log: Path, what: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer within 60 s")
        time.sleep(0.05)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def _process(
    command: Sequence[str], env: dict[str, str], workdir: Path, name: str
) -> Iterator[subprocess.Popen[bytes]]:
    log = (workdir / f"{name}.log").open("wb")
    proc = subprocess.Popen(list(command), env=env, cwd=workdir, stdout=log, stderr=log)
    try:
        yield proc
    finally:
        _stop(proc)
        log.close()


@contextmanager
def _server(
    kind: str, env: dict[str, str], workdir: Path, pin: Sequence[str], name: str | None = None
) -> Iterator[tuple[str, int]]:
    """`servers.py KIND` in its own process, pinned, its log `name` (default KIND); yields its base URL and pid once
    it answers."""
    port = _free_port()
    command = [*pin, sys.executable, str(HERE / "servers.py"), kind, str(port)]
    name = name or kind
    with _process(command, env, workdir, name) as proc:
        base = f"http://127.0.0.1:{port}"
        _wait_healthy(base, proc, workdir / f"{name}.log", f"the {kind} server")
        yield base, proc.pid


@contextmanager
def _keephome(
    env: dict[str, str], workdir: Path, setup: Setup, processes: int, front: bool
) -> Iterator[tuple[str, list[int], list[str]]]:
    """`keephome run` N times on keephome's core, behind nginx on the load's core when `front`; yields the URL
    wrk calls, the keephome pids and each process's own URL."""
    with contextlib.ExitStack() as stack:
        pids, bases = [], []
        for n in range(processes):
            port = _free_port()
            mine = dict(env, KEEPHOME_PORT=str(port))
            command = [*setup.kh_pin, sys.executable, "-m", "bot.cli.main", "run"]
            proc = stack.enter_context(_process(command, mine, workdir, f"keephome-{n + 1}"))
            base = f"http://127.0.0.1:{port}"
            _wait_healthy(base, proc, workdir / f"keephome-{n + 1}.log", f"keephome run #{n + 1}")
            pids.append(proc.pid)
            bases.append(base)
        yield (_front(stack, env, workdir, setup, bases) if front else bases[0]), pids, bases


def _front(stack: contextlib.ExitStack, env: dict[str, str], workdir: Path, setup: Setup, bases: Sequence[str]) -> str:
    """nginx on the load's core in front of `bases` (its files in `workdir`), stopped with `stack`; its URL."""
    nginx = _nginx_path()
    if nginx is None:
        raise RuntimeError("nginx is missing: apt-get install nginx-light (./dev bench installs it)")
    port = _free_port()
    conf = nginx_config(workdir, port, [int(b.rsplit(":", 1)[1]) for b in bases])
    proc = stack.enter_context(
        _process([*setup.load_pin, nginx, "-c", str(conf), "-p", str(workdir)], env, workdir, "nginx")
    )
    base = f"http://127.0.0.1:{port}"
    _wait_healthy(base, proc, workdir / "nginx-error.log", "nginx")
    return base


@contextmanager
def _bare(
    env: dict[str, str], workdir: Path, setup: Setup, processes: int, front: bool
) -> Iterator[tuple[str, list[int]]]:
    """The bare endpoint as keephome runs: N processes on keephome's core, behind an nginx of their own when
    `front`, so its CPU per request shows what N processes sharing one core cost anyway; its URL and pids."""
    with contextlib.ExitStack() as stack:
        found = [
            stack.enter_context(_server("bare", env, workdir, setup.kh_pin, f"bare-{n + 1}")) for n in range(processes)
        ]
        bases, pids = [base for base, _ in found], [pid for _, pid in found]
        if not front:
            yield bases[0], pids
            return
        own = workdir / f"bare-front-{processes}"
        own.mkdir(exist_ok=True)
        yield _front(stack, env, own, setup, bases), pids


def _nginx_path() -> str | None:
    """Debian's nginx, also where /usr/sbin is not on the PATH (a user other than root)."""
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


def _sender_holders(bases: Sequence[str]) -> list[int]:
    """Which processes (their indexes in `bases`) say on /metrics that they hold the sender role."""
    held = []
    for n, base in enumerate(bases):
        text = httpx.get(base + "/metrics", timeout=5).text
        if any(line.startswith('keephome_role_held{role="sender"} 1') for line in text.splitlines()):
            held.append(n)
    return held


def _one_sender(bases: Sequence[str]) -> int:
    """Wait until exactly one process holds the sender role; its index in `bases`."""
    deadline = time.monotonic() + 30
    while len(held := _sender_holders(bases)) != 1:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(held)} processes hold the sender role, not one")
        time.sleep(0.2)
    return held[0]


class Counts:
    """Rows of the inbound and outbox tables since a mark, read by the bench (never by keephome)."""

    _SQL = (
        "SELECT (SELECT count(*) FROM inbound WHERE id > {i}),"
        " (SELECT count(processed_at) FROM inbound WHERE id > {i}),"
        " (SELECT count(*) FROM outbox WHERE id > {o}),"
        " (SELECT count(*) FROM outbox WHERE id > {o} AND state = 'sent'),"
        " (SELECT coalesce(max(id), 0) FROM inbound), (SELECT coalesce(max(id), 0) FROM outbox)"
    )

    def __init__(self, url: str, schema: str | None, vacuum: bool = False) -> None:
        self._loop = asyncio.new_event_loop()
        self._schema = schema
        self._vacuum = vacuum
        self._sqlite: sqlite3.Connection | None = None
        self._pg: Any = None
        self._pg_port = 0
        if url.startswith("sqlite"):
            self._sqlite = sqlite3.connect(url.split("///", 1)[1], timeout=30)
        else:
            dsn = _asyncpg_dsn(url)
            self._pg_port = make_url(url).port or 5432
            settings = {"search_path": schema} if schema else None
            self._pg = self._loop.run_until_complete(asyncpg.connect(dsn, server_settings=settings))
        self.marks = (0, 0)

    def mark(self) -> None:
        """Count from here on."""
        *_, last_in, last_out = self.read()
        self.marks = (last_in, last_out)

    def read(self) -> tuple[int, int, int, int, int, int]:
        """(committed, processed, replies queued, replies sent, last inbound id, last outbox id) since the mark."""
        sql = self._SQL.format(i=self.marks[0], o=self.marks[1])
        if self._sqlite is not None:
            row = self._sqlite.execute(sql).fetchone()
        else:
            row = tuple(self._loop.run_until_complete(self._pg.fetchrow(sql)))
        committed, processed, replies, sent, last_in, last_out = (int(v) for v in row)
        return committed, processed, replies, sent, last_in, last_out

    def vacuum(self) -> None:
        """With PostgreSQL's autovacuum off, what it would have done since the last load: VACUUM (ANALYZE) of the
        bench's tables, on the bench's own connection (its CPU is not keephome's)."""
        if self._pg is None or not self._vacuum:
            return
        tables = self._loop.run_until_complete(
            self._pg.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename", self._schema)
        )
        names = ", ".join(f'"{self._schema}"."{row[0]}"' for row in tables)
        if names:
            self._loop.run_until_complete(self._pg.execute(f"VACUUM (ANALYZE) {names}"))

    def backend_cpu(self, pids: Sequence[int]) -> dict[int, float]:
        """CPU seconds so far of each PostgreSQL backend connected to these processes (the server runs here)."""
        if self._pg is None:
            return {}
        ports = sorted(client_ports(pids, self._pg_port))
        sql = "SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1::int[])"
        backends = [int(r[0]) for r in self._loop.run_until_complete(self._pg.fetch(sql, ports))]
        return cpu_by_process(backends)

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        if self._pg is not None:
            self._loop.run_until_complete(self._pg.close())
        self._loop.close()


def _standin_stats(base: str) -> tuple[int, float]:
    data = httpx.get(base + "/stats", timeout=5).json()
    return int(data["accepted"]), float(data["last"])


def _spies(args: argparse.Namespace, setup: Setup, pids: Sequence[int], label: str) -> list[subprocess.Popen[bytes]]:
    """py-spy sampling each keephome process (from the load's core) until it is told to stop."""
    spies = []
    for pid in pids:
        out = args.workdir / f"profile-{pid}-{label}.txt"
        command = [*setup.load_pin, args.py_spy, "record", "--pid", str(pid), "--rate", "250", "--nonblocking"]
        command += ["--format", "raw", "--output", str(out)]
        spies.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    time.sleep(1.0)  # py-spy attaches
    return spies


def _load(
    args: argparse.Namespace,
    setup: Setup,
    counts: Counts,
    target: str,
    script: Path,
    kh_pids: Sequence[int],
    standin: str,
    rate: float,
    pg: bool,
    profile: bool = False,
    refused_log: Path | None = None,
) -> Load:
    """One wrk run, then wait until every message is processed and every reply sent; CPU over the whole of it;
    with `refused_log` (nginx's), the lines it gained meanwhile."""
    counts.vacuum()
    counts.mark()
    log_mark = refused_log.stat().st_size if refused_log is not None and refused_log.exists() else 0
    accepted_before, _ = _standin_stats(standin)
    cpu0, pg0 = cpu_by_process(kh_pids), counts.backend_cpu(kh_pids)
    spies = _spies(args, setup, kh_pids, "paced" if rate else "capacity") if profile else []
    wrk = run_wrk(
        target,
        script,
        threads=args.threads,
        connections=args.connections,
        seconds=args.duration,
        rate=rate,
        pin=setup.load_pin,
    )
    ended = time.monotonic()
    committed, processed, replies, sent, _, _ = counts.read()
    backlog_in, backlog_out = committed - processed, replies - sent
    while time.monotonic() - ended < args.catch_up:
        committed, processed, replies, sent, _, _ = counts.read()
        if processed >= committed and sent >= replies:
            break
        time.sleep(0.05)
    cpu1, pg1 = cpu_by_process(kh_pids), counts.backend_cpu(kh_pids)
    for spy in spies:
        spy.send_signal(signal.SIGINT)
        spy.wait(60)
    accepted, last = _standin_stats(standin)
    accepted -= accepted_before
    done = processed >= committed and sent >= replies and accepted >= sent
    lag = max(0.0, last - ended) if done and accepted else (0.0 if done else None)
    return Load(
        wrk=wrk,
        asked_rate=rate,
        committed=committed,
        backlog_inbound=backlog_in,
        backlog_replies=backlog_out,
        processed=processed,
        replies=replies,
        sent=sent,
        accepted=accepted,
        reply_lag=lag,
        cpu=sum(cpu1.values()) - sum(cpu0.values()),
        holder_cpu=cpu1.get(kh_pids[0], 0.0) - cpu0.get(kh_pids[0], 0.0) if kh_pids else 0.0,
        pg_cpu=sum(spent - pg0.get(pid, 0.0) for pid, spent in pg1.items()) if pg else None,
        refused=_lines_after(refused_log, log_mark),
    )


def _lines_after(path: Path | None, offset: int) -> tuple[str, ...]:
    if path is None or not path.exists():
        return ()
    with path.open("rb") as log:
        log.seek(offset)
        return tuple(log.read().decode(errors="replace").splitlines())


class Requests:
    """Fresh signed requests for each wrk run, so no MessageSid repeats, from tenants no load has written for yet,
    each writing its whole conversation (`loadgen.conversations`): every load then does the same work a message.
    Before, the tenants' conversations went on from load to load, and the paced load of each round met steps the
    capacity's had not (every case opened in it: bench/README.md, 2026-12-04)."""

    def __init__(self, phones: list[str], workdir: Path) -> None:
        self._phones = phones
        self.workdir = workdir
        self._n = 0
        self._first = 0  # the first tenant the next load writes for

    def script(self, count: int) -> Path:
        self._n += 1
        messages = conversations(self._phones, self._first, count)
        requests = signed_requests(PUBLIC_URL, AUTH_TOKEN, ACCOUNT_SID, FROM_NUMBER, messages)
        return write_script(self.workdir / f"load{self._n}.lua", requests)

    def sent(self, load: WrkResult, in_flight: int) -> None:
        """The last script's load is over: the next one starts after every tenant it may have reached."""
        before, self._first = self._first, senders_used(self._first, load.requests + in_flight)
        if before <= len(self._phones) < self._first:
            print(
                f"note: the {len(self._phones)} tenants ran out, the next loads write for tenants again (their work"
                " differs from the first loads'): raise --tenants",
                flush=True,
            )


def _round(
    args: argparse.Namespace,
    setup: Setup,
    counts: Counts,
    requests: Requests,
    bare: tuple[str, list[int]],
    target: str,
    kh_pids: Sequence[int],
    standin: str,
    pg: bool,
    profile: bool,
) -> Round:
    wrk = {"threads": args.threads, "connections": args.connections, "seconds": args.duration, "pin": setup.load_pin}
    script = requests.script(args.duration * args.max_rate)
    bare_url, bare_pids = bare
    before = cpu_seconds(bare_pids)
    bare_result = run_wrk(bare_url, script, **wrk)  # type: ignore[arg-type]
    bare_cpu = cpu_seconds(bare_pids) - before
    refused = requests.workdir / REFUSED_LOG if pg else None  # nginx is in front with several processes
    capacity = _load(args, setup, counts, target, script, kh_pids, standin, 0.0, pg, profile, refused)
    requests.sent(capacity.wrk, args.connections)
    rate = PACED_SHARE * capacity.wrk.ok_per_second
    paced_script = requests.script(int(args.duration * rate * 1.1) + 100)
    paced = _load(args, setup, counts, target, paced_script, kh_pids, standin, rate, pg, profile, refused)
    requests.sent(paced.wrk, args.connections)
    return Round(bare_result, bare_cpu, capacity, paced)


def _warm_up(
    args: argparse.Namespace, setup: Setup, counts: Counts, requests: Requests, target: str, standin: str
) -> None:
    """A short run first, so templates, statements and connections are ready before anything is measured."""
    warm = argparse.Namespace(**{**vars(args), "duration": 3})
    load = _load(warm, setup, counts, target, requests.script(3 * args.max_rate), [], standin, 0.0, False)
    requests.sent(load.wrk, args.connections)


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


@dataclass(frozen=True)
class Series:
    """The rounds measured with one number of keephome processes."""

    processes: int
    rounds: list[Round]

    def median(self, pick: Callable[[Round], float]) -> float:
        return _median([pick(r) for r in self.rounds])


def _lag(load: Load) -> str:
    return f"{load.reply_lag:.2f}" if load.reply_lag is not None else "late"


def _print_rounds(series: Series) -> None:
    print(f"\n{series.processes} keephome process(es)")
    head = f"{'run':<4}{'load':<10}{'msgs/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'failed':>7}{'CPU µs/msg':>11}{'holder':>8}"
    print(head + f"{'PG µs/msg':>10}{'committed':>10}{'backlog in/out':>16}{'replies':>9}{'last reply s':>13}")
    for i, r in enumerate(series.rounds, 1):
        w = r.bare
        print(
            f"{i:<4}{'bare':<10}{w.ok_per_second:>8.0f}{w.p50_ms:>8.1f}{w.p99_ms:>8.1f}{w.failed:>7}{r.bare_us:>11.0f}"
        )
        for name, load in (("capacity", r.capacity), (f"{PACED_SHARE:.0%} paced", r.paced)):
            w = load.wrk
            pg = f"{load.pg_us:>10.0f}" if load.pg_us is not None else f"{'-':>10}"
            backlog = f"{load.backlog_inbound}/{load.backlog_replies}"
            print(
                f"{i:<4}{name:<10}{w.ok_per_second:>8.0f}{w.p50_ms:>8.1f}{w.p99_ms:>8.1f}{w.failed:>7}{load.cpu_us:>11.0f}"
                f"{load.holder_us:>8.0f}{pg}{load.committed:>10}{backlog:>16}{load.replies:>9}{_lag(load):>13}"
            )
            if not load.complete:
                print(
                    f"     round {i} {name}: {w.failed} failed ({w.failures or 'none'}; "
                    f"slowest answer {w.max_ms:.0f} ms), {load.committed - load.processed} unprocessed, "
                    f"{load.replies - load.sent} replies unsent, {w.wraps} request wraps (duplicates); "
                    f"{load.committed} committed of {w.requests - w.failed} answered, "
                    f"{load.accepted} accepted by the stand-in of {load.sent} sent"
                )
                for line in load.refused[:5]:
                    print(f"     nginx: {line}")


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def _summary(all_series: list[Series], args: argparse.Namespace, setup: Setup) -> bool:
    """The medians and the verdicts; False when a message or reply was lost or left unhandled."""
    healthy = all(load.complete for s in all_series for r in s.rounds for load in (r.capacity, r.paced))
    runs = len(all_series[0].rounds)
    print(f"\nmedian of {runs} rounds ({datetime.now(UTC).date().isoformat()}, {os.cpu_count()} cores, {setup.cores}):")
    print(
        f"{'processes':<10}{'bare µs/req':>12}{'CPU µs/msg':>11}{'PG µs/msg':>10}{'msgs/s':>8}{'p99 ms':>8}"
        f"{'paced msgs/s':>13}{'paced p99 ms':>13}{'last reply s':>13}"
    )
    for s in all_series:
        pg = s.median(lambda r: r.capacity.pg_us or 0.0)
        lags = [r.paced.reply_lag for r in s.rounds]
        lag = _median([x for x in lags if x is not None]) if all(x is not None for x in lags) else None
        print(
            f"{s.processes:<10}{s.median(lambda r: r.bare_us):>12.0f}{s.median(lambda r: r.capacity.cpu_us):>11.0f}"
            f"{(f'{pg:.0f}' if args.database == 'postgresql' else '-'):>10}"
            f"{s.median(lambda r: r.capacity.wrk.ok_per_second):>8.0f}{s.median(lambda r: r.capacity.wrk.p99_ms):>8.1f}"
            f"{s.median(lambda r: r.paced.wrk.ok_per_second):>13.0f}{s.median(lambda r: r.paced.wrk.p99_ms):>13.1f}"
            f"{(f'{lag:.2f}' if lag is not None else 'late'):>13}"
        )
    for s in all_series:
        if s.processes > 1:
            holder = s.median(lambda r: r.capacity.holder_us)
            others = s.median(lambda r: r.capacity.cpu_us - r.capacity.holder_us)
            print(
                f"{s.processes} processes, CPU µs per message at the capacity: {holder:.0f} in the one holding the "
                f"sender role (it handles every message and sends every reply), {others:.0f} in the other "
                f"{s.processes - 1} together (webhooks only)"
            )
    for s in all_series:
        cpu = s.median(lambda r: r.capacity.cpu_us)
        p99 = s.median(lambda r: r.paced.wrk.p99_ms)
        lags = [r.paced.reply_lag for r in s.rounds]
        on_time = all(x is not None and x <= TARGET_LAG_S for x in lags)
        label = f"{s.processes} process(es)"
        print(
            f"{label}: keephome CPU per message <= {TARGET_CPU_US:.0f} µs: "
            f"{_verdict(cpu <= TARGET_CPU_US)} ({cpu:.0f} µs)"
        )
        print(
            f"{label}: at {PACED_SHARE:.0%} of capacity, webhook p99 <= {TARGET_P99_MS:.0f} ms: "
            f"{_verdict(p99 <= TARGET_P99_MS)} ({p99:.1f} ms)"
        )
        print(
            f"{label}: every reply accepted within {TARGET_LAG_S:.0f} s of the load's end, each round: "
            f"{_verdict(on_time)}"
        )
    by_n = {s.processes: s.median(lambda r: r.capacity.cpu_us) for s in all_series}
    bare_n = {s.processes: s.median(lambda r: r.bare_us) for s in all_series}
    if 1 in by_n and 4 in by_n and by_n[1]:
        ratio = by_n[4] / by_n[1]
        floor = bare_n[4] / bare_n[1] if bare_n[1] else 0.0
        print(
            f"CPU per message, 4 processes / 1 <= {SCALE_OUT_LIMIT}: {_verdict(ratio <= SCALE_OUT_LIMIT)} "
            f"({ratio:.2f}; the bare endpoint's, 4 processes on one core / 1: {floor:.2f})"
        )
    print(
        "full path handled (every accepted message committed and processed, every reply sent): "
        + ("yes" if healthy else "NO")
    )
    return healthy


def _quiet_logs(workdir: Path) -> bool:
    """Print what keephome logged at WARNING or above over the whole run (its own lines and uvicorn's); True when
    nothing: a clean load that made keephome warn (a batch redone, a row left out) is a fault, whatever the figures."""
    trouble = [
        f"{log.parent.name}/{log.name}: {line.rstrip()}"
        for log in sorted(workdir.glob("processes-*/keephome-*.log"))
        for line in log.read_text(errors="replace").splitlines()
        if line.split(" ", 1)[0].rstrip(":") in ("WARNING", "ERROR", "CRITICAL")
    ]
    print(f"keephome's logs at WARNING or above: {len(trouble)} line(s)" + (":" if trouble else ""))
    for line in trouble[:5]:
        print(f"  {line[:300]}")
    return not trouble


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--database-url", default=None, help="PostgreSQL (default: KEEPHOME_TEST_DATABASE_URL)")
    parser.add_argument("--processes", default="1", help="keephome run processes, e.g. 1,2,4 (PostgreSQL only)")
    parser.add_argument(
        "--tenants", type=int, default=20000, help="tenants imported, each load writes for its own (default 20000)"
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--runs", type=int, default=3, help="rounds; the summary is their median (default 3)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-rate", type=int, default=4000, help="unique requests per second of a run (default 4000)")
    parser.add_argument("--catch-up", type=float, default=30.0, help="seconds to wait for processing and replies")
    parser.add_argument("--log-level", default="INFO", help="KEEPHOME_LOG_LEVEL of keephome run (default INFO)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory and print it")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy keephome in the first round, at the capacity and at 80 %% (kept in the temporary directory)",
    )
    args = parser.parse_args(argv)
    args.process_counts = [int(n) for n in args.processes.split(",")]
    if args.database == "sqlite" and args.process_counts != [1]:
        parser.error("several processes need --database postgresql (SQLite has one writer)")
    return args


def _pg_url(args: argparse.Namespace) -> str:
    return str(args.database_url or PG_URL)


def _asyncpg_dsn(url: str) -> str:
    """A keephome PostgreSQL URL as asyncpg connects to it: its own scheme, without `?search_path=…`."""
    return url.split("?", 1)[0].replace("postgresql+asyncpg://", "postgresql://")


def _autovacuum(args: argparse.Namespace) -> str:
    """PostgreSQL's autovacuum setting: when off, the rows every round updates stay behind as dead rows that each
    later round's scans step over (bench/README.md)."""

    async def show() -> str:
        conn = await asyncpg.connect(_asyncpg_dsn(_pg_url(args)))
        try:
            return str(await conn.fetchval("SHOW autovacuum"))
        finally:
            await conn.close()

    return asyncio.run(show())


@contextmanager
def _database(args: argparse.Namespace, workdir: Path) -> Iterator[tuple[str, str | None]]:
    """A new database: a SQLite file, or a schema of its own in PostgreSQL (dropped afterwards)."""
    if args.database == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / 'keephome.db'}", None
        return
    base = _pg_url(args)
    name = f"bench_inbound_{uuid.uuid4().hex[:10]}"
    dsn = _asyncpg_dsn(base)

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE SCHEMA "{name}"'))
    try:
        yield f"{base}?search_path={name}", name
    finally:
        asyncio.run(admin(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))


@contextmanager
def _series(
    args: argparse.Namespace,
    setup: Setup,
    workdir: Path,
    processes: int,
    phones: list[str],
    base_env: dict[str, str],
    standin: str,
) -> Iterator[Callable[[int], Round]]:
    """keephome with `processes` processes on a database of its own, warmed up; yields what runs round i of it.

    Every series stays up until the last round, so `main` can alternate the series' rounds (files in a folder
    of its own)."""
    pg = args.database == "postgresql"
    workdir = workdir / f"processes-{processes}"
    workdir.mkdir()
    with _database(args, workdir) as (url, schema):
        asyncio.run(_seed(url, phones))
        env = dict(
            base_env,
            KEEPHOME_DATABASE_URL=url,
            KEEPHOME_PUBLIC_URL=PUBLIC_URL,
            KEEPHOME_SECRET_KEY=secrets.token_hex(16),
            KEEPHOME_TWILIO_ACCOUNT_SID=ACCOUNT_SID,
            KEEPHOME_TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            KEEPHOME_TWILIO_FROM=FROM_NUMBER,
            KEEPHOME_TWILIO_API_URL=standin,
            KEEPHOME_TWILIO_RATE="1000000",  # the cap lifted: the send stage is measured, not the provider's rate
            KEEPHOME_RUN_SCHEDULER="false",
            KEEPHOME_LOG_LEVEL=args.log_level,
        )
        counts = Counts(url, schema, vacuum=args.vacuum)
        try:
            with (
                _bare(base_env, workdir, setup, processes, front=pg) as bare,
                _keephome(env, workdir, setup, processes, front=pg) as (target, pids, bases),
            ):
                holder = _one_sender(bases)
                pids = [pids[holder], *pids[:holder], *pids[holder + 1 :]]  # the holder first: `_load` reads it apart
                requests = Requests(phones, workdir)
                _warm_up(args, setup, counts, requests, target, standin)
                yield lambda i: _round(
                    args, setup, counts, requests, bare, target, pids, standin, pg, args.profile and i == 0
                )
        finally:
            counts.close()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the tables; exit 1 when a message or reply was lost or left unhandled, or
    keephome logged a warning or an error."""
    args = _arguments(argv)
    numbers = list(dict.fromkeys(args.process_counts))  # numbers of processes, each once
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install wrk (./dev bench installs it)", file=sys.stderr)
        return 2
    args.py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if args.profile and not os.access(args.py_spy, os.X_OK):
        print("--profile needs py-spy: .venv/bin/pip install py-spy", file=sys.stderr)
        return 2
    args.keep = args.keep or args.profile  # the profiles are written into the temporary directory
    if args.database == "postgresql" and _nginx_path() is None:
        print("nginx is missing: apt-get install nginx-light (./dev bench installs it)", file=sys.stderr)
        return 2
    autovacuum = _autovacuum(args) if args.database == "postgresql" else None
    # With autovacuum off every round would step over the dead rows of all the rounds before it (bench/README.md):
    # the bench then vacuums the tables before each load, as autovacuum would, and says so in its first line.
    args.vacuum = autovacuum == "off"
    setup = _pinning()
    workdir = Path(tempfile.mkdtemp(prefix="keephome-bench-"))
    args.workdir = workdir
    phones = _phones(args.tenants)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEPHOME_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE.parent), env.get("PYTHONPATH")]))
    options = server_options()
    print(
        f"keephome inbound benchmark: {args.database}, `keephome run` x {args.processes}, "
        f"wrk {args.threads} thread(s), "
        f"{args.connections} connections, {args.duration} s a run, {args.tenants} tenants; {setup.cores}; "
        f"uvicorn loop={options['loop']} http={options['http']}; log level {args.log_level}"
        + (f"; PostgreSQL autovacuum {autovacuum}" if autovacuum is not None else "")
        + ("; so the bench runs VACUUM (ANALYZE) on its tables before each load" if args.vacuum else ""),
        flush=True,
    )
    try:
        with _server("twilio", env, workdir, setup.load_pin) as (standin, _), contextlib.ExitStack() as stack:
            runs = [(n, stack.enter_context(_series(args, setup, workdir, n, phones, env, standin))) for n in numbers]
            rounds: dict[int, list[Round]] = {n: [] for n in numbers}
            # Round i of every series, then round i + 1: a ratio between numbers of processes compares rounds
            # minutes apart, not series a quarter of an hour apart on a machine whose speed drifts (bench/README.md).
            for i in range(args.runs):
                for n, run in runs:
                    rounds[n].append(run(i))
                    print(f"round {i + 1} of {args.runs} with {n} process(es) done", flush=True)
            all_series = [Series(n, rounds[n]) for n in numbers]
        for series in all_series:
            _print_rounds(series)
        healthy = _summary(all_series, args, setup)
        healthy = _quiet_logs(workdir) and healthy
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
