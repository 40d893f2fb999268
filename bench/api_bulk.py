"""API bulk benchmark: 10,000 tenants through `POST /api/v1/tenants/bulk` next to the CSV import of the same rows.

Run `.venv/bin/python bench/api_bulk.py`: one table of figures (exit 1 when the bulk misses its 5 s target).
Each step starts from a new, migrated SQLite file. The API runs in process (httpx's ASGI transport, no socket):
the time covers everything keephome does with the request — the body limit, the key and its rate count, JSON
and the models, the CSV import's validator on every item, the upsert, the audit entry, the Idempotency-Key's
answer and the urgent cases of the rows with a court date — but not the network. The CSV side is what
`keephome import` does after reading the file: `parse_csv` and `import_tenants`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bot.api.keys import add_key
from bot.app import create_app
from bot.reminders.ledger import import_tenants
from bot.runtime import Clock, build_runtime
from bot.settings import Settings, load_settings
from bot.starter import running
from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.tenants.csv_rows import known_languages, parse_csv

TZ = ZoneInfo("Europe/Copenhagen")
# Tuesday 3 March 2026, 10:00.
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=TZ).astimezone(UTC)
TARGET_S = 5.0


class _At(Clock):
    def __call__(self) -> datetime:
        return NOW + self.offset


@dataclass(frozen=True)
class Figure:
    name: str
    seconds: float
    target: str
    ok: bool


def _settings(path: Path) -> Settings:
    return load_settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{path}",
        secret_key="bench-secret-key-bench-secret-key-0123",
        run_scheduler=False,
        run_sender=False,
    )


def _tenants(count: int, balance_shift: int = 0) -> list[dict[str, Any]]:
    """Tenants as the API takes them: every fourth owes rent, one in twenty has a påkrav, one in a hundred a
    court date (an urgent case each)."""
    rows = []
    for i in range(count):
        row: dict[str, Any] = {
            "tenant_ref": f"B-{i:06d}",
            "name": f"Lejer Nummer {i}",
            "phone": f"+452012{i:04d}" if i < 10_000 else f"+45401{i:05d}",
            "language": "da" if i % 3 else "en",
            "due_day": 1,
            "monthly_rent": "7100.50",
            "balance": f"{(7100 + balance_shift) if i % 4 == 0 else 0}.00",
            "balance_as_of": "2026-03-03",
            "at_risk": i % 10 == 0,
        }
        if i % 20 == 1:
            row["demand_sent_on"] = "2026-02-20"
        if i % 100 == 2:
            row["court_date"] = "2026-04-15"
        rows.append(row)
    return rows


def _csv(rows: list[dict[str, Any]]) -> bytes:
    columns = ["tenant_ref", "name", "phone", "language", "due_day", "monthly_rent", "balance", "balance_as_of"]
    columns += ["at_risk", "demand_sent_on", "court_date"]
    lines = [",".join(columns)]
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column, "")
            cells.append(("1" if value else "0") if isinstance(value, bool) else str(value))
        lines.append(",".join(cells))
    return ("\n".join(lines) + "\n").encode()


async def _csv_import(workdir: Path, rows: list[dict[str, Any]]) -> float:
    settings = _settings(workdir / "csv.db")
    db = Database(settings.database_url)
    await upgrade(db)
    data = _csv(rows)
    started = time.perf_counter()
    parsed = parse_csv(data, NOW.astimezone(TZ).date(), known_languages(), settings.language_list, "da")
    assert parsed.ok, [str(e) for e in parsed.errors[:3]]
    await import_tenants(db, parsed.rows, NOW, settings)
    elapsed = time.perf_counter() - started
    await db.dispose()
    return elapsed


async def _api_bulk(workdir: Path, name: str, batches: list[list[dict[str, Any]]]) -> list[float]:
    """POST each batch in turn to one fresh service; the seconds each took."""
    settings = _settings(workdir / f"{name}.db")
    rt = build_runtime(settings, channels={}, clock=_At())
    await upgrade(rt.db)
    times = []
    async with running(rt, background=False):
        async with rt.db.write() as conn:
            _, key = await add_key(conn, "bench", "write", NOW, "cli")
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org", timeout=60) as c:
            for number, batch in enumerate(batches):
                body = json.dumps({"tenants": batch}).encode()
                headers = {
                    "Authorization": f"Bearer {key}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": f"bench-{name}-{number}",
                }
                started = time.perf_counter()
                answer = await c.post("/api/v1/tenants/bulk", content=body, headers=headers)
                times.append(time.perf_counter() - started)
                assert answer.status_code == 200, answer.text[:500]
    return times


async def _run(count: int, rounds: int) -> list[Figure]:
    rows = _tenants(count)
    size = len(json.dumps({"tenants": rows}).encode())
    figures = []
    with tempfile.TemporaryDirectory(prefix="keephome-api-bulk-") as tmp:
        workdir = Path(tmp)
        csv_times = [await _csv_import(workdir / f"r{r}", rows) for r in range(rounds) if _mkdir(workdir / f"r{r}")]
        new_times, update_times = [], []
        for r in range(rounds):
            _mkdir(workdir / f"a{r}")
            first, second = await _api_bulk(workdir / f"a{r}", "api", [rows, _tenants(count, balance_shift=100)])
            new_times.append(first)
            update_times.append(second)
    csv_s = statistics.median(csv_times)
    new_s = statistics.median(new_times)
    update_s = statistics.median(update_times)
    figures.append(Figure(f"CSV import, {count:,} new tenants (parse_csv + import_tenants)", csv_s, "", True))
    figures.append(
        Figure(
            f"API bulk, {count:,} new tenants ({size / 1024 / 1024:.1f} MiB of JSON)",
            new_s,
            f"<= {TARGET_S:g} s",
            new_s <= TARGET_S,
        )
    )
    target = f"<= {TARGET_S:g} s"
    figures.append(Figure(f"API bulk, the same {count:,} updated", update_s, target, update_s <= TARGET_S))
    return figures


def _mkdir(path: Path) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    return True


def main(argv: list[str] | None = None) -> int:
    """Measure and print; non-zero when a target is missed."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--tenants", type=int, default=10_000)
    p.add_argument("--rounds", type=int, default=3, help="each figure is the median of this many runs")
    args = p.parse_args(argv)
    figures = asyncio.run(_run(args.tenants, args.rounds))
    width = max(len(f.name) for f in figures)
    print(f"{'figure (median of ' + str(args.rounds) + ' runs, SQLite)':<{width}}  {'seconds':>8}  {'target':<8}  ok")
    print("-" * (width + 26))
    for f in figures:
        print(f"{f.name:<{width}}  {f.seconds:>8.2f}  {f.target:<8}  {'yes' if f.ok else 'NO'}")
    return 0 if all(f.ok for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())
