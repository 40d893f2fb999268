"""Reminder fan-out benchmark: plan one day for 100,000 tenants on SQLite, then drain SMS through Twilio's SDK.

Run `.venv/bin/python bench/fanout.py`: one table of figures with targets (exit 1 when one is missed); the
Twilio stand-in runs in another process on 127.0.0.1 and records when each request arrived.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import uvloop
from aiohttp import web
from sqlalchemy import func, select

from bot.channels.twilio_sms import TwilioChannel
from bot.collector import tune_gc
from bot.metrics import Metrics
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.render import Renderer
from bot.outbox.sender import Sender
from bot.paths import TEMPLATES_DIR
from bot.reminders.plan import plan_reminders
from bot.settings import Settings, load_settings
from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.schema import outbox, rent_positions, tenants

TZ = ZoneInfo("Europe/Copenhagen")
# Tuesday 3 March 2026, 10:00: the day after the last on-time day of rent due 1 March (the busiest day).
DAY = date(2026, 3, 3)
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=TZ).astimezone(UTC)
SID, TOKEN, FROM = "AC" + "0" * 32, "t" * 32, "+4570102030"


ROUNDS = 5


def _standin(port_out: Any) -> None:
    """The Twilio stand-in (runs in its own process): 201 with a message body, arrival times recorded."""
    stamps: list[float] = []
    counter = iter(range(1, 1 << 62))

    async def create(request: web.Request) -> web.Response:
        stamps.append(time.time())
        form = await request.post()
        sid = f"SM{next(counter):032x}"
        body = {
            "sid": sid,
            "status": "queued",
            "to": form.get("To"),
            "from": form.get("From"),
            "body": form.get("Body"),
        }
        return web.json_response(body, status=201)

    async def read(request: web.Request) -> web.Response:
        found = list(stamps)
        stamps.clear()
        return web.json_response(found)

    async def serve() -> None:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{account}/Messages.json", create)
        app.router.add_post("/stamps", read)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port_out.put(runner.addresses[0][1])
        await asyncio.Event().wait()

    asyncio.run(serve())


def _settings(url: str, twilio_url: str = "http://127.0.0.1:9", **extra: Any) -> Settings:
    twilio = {"twilio_account_sid": SID, "twilio_auth_token": TOKEN, "twilio_from": FROM, "twilio_api_url": twilio_url}
    options = {
        "secret_key": "bench-secret-key-of-at-least-32-chars",
        "run_scheduler": False,
        "outbox_batch": 200,
        **twilio,
        **extra,
    }
    return load_settings(_env_file=None, database_url=url, **options)


def _tenant_rows(start: int, count: int, rng: random.Random, sms_only: bool) -> tuple[list[dict[str, Any]], ...]:
    """Mixed rent positions: most rent is due on the 1st, a third owes, some stale, stopped or linked."""
    made = NOW - timedelta(days=40)
    fixed = {"language": "da", "channel_preference": "auto", "telegram_blocked": False, "created_at": made}
    fixed["updated_at"] = made
    people, positions = [], []
    for tid in range(start, start + count):
        owes = sms_only or rng.random() < 0.3
        status = "active" if sms_only or rng.random() > 0.03 else rng.choice(["stopped", "wrong_number"])
        linked = not sms_only and rng.random() < 0.3
        contact = {"id": tid, "tenant_ref": f"B-{tid:06d}", "name": f"Lejer {tid}", "phone": f"+452{tid:07d}"}
        people.append({**fixed, **contact, "telegram_chat_id": tid if linked else None, "status": status})
        positions.append(
            dict(
                tenant_id=tid,
                due_day=1 if sms_only or rng.random() < 0.8 else rng.randint(2, 28),
                monthly_rent_ore=rng.randint(450_000, 950_000),
                balance_ore=rng.randint(100_00, 2_000_000) if owes else 0,
                balance_as_of=DAY - timedelta(days=0 if sms_only or rng.random() > 0.05 else 20),
                demand_sent_on=DAY - timedelta(days=rng.randint(3, 20)) if owes and rng.random() < 0.15 else None,
                court_date=DAY + timedelta(days=rng.randint(5, 60)) if owes and rng.random() < 0.02 else None,
                at_risk=rng.random() < 0.15,
                arrears_last_12m=rng.random() < 0.1,
                promise_on=DAY - timedelta(days=rng.randint(1, 5)) if owes and rng.random() < 0.05 else None,
                updated_at=made,
            )
        )
    return people, positions


async def _seed(db: Database, count: int, sms_only: bool = False) -> None:
    rng = random.Random(4)
    for start in range(1, count + 1, 10_000):
        people, positions = _tenant_rows(start, min(10_000, count + 1 - start), rng, sms_only)
        async with db.write() as conn:
            await conn.execute(tenants.insert(), people)
            await conn.execute(rent_positions.insert(), positions)


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: str
    ok: bool


async def _timed(step: Callable[[], Awaitable[Any]]) -> tuple[float, float, Any]:
    """Wall-clock and CPU seconds of one step (the CPU figure tells a busy machine from a slow step)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = await step()
    return time.perf_counter() - started, time.process_time() - cpu, result


async def _planning(workdir: Path, tenants_n: int) -> list[Figure]:
    db = Database(f"sqlite+aiosqlite:///{workdir / 'plan.db'}")
    settings = _settings(db.url)
    await upgrade(db)
    await _seed(db, tenants_n)
    dry_s, dry_cpu, dry = await _timed(lambda: plan_reminders(db, settings, NOW, dry_run=True))
    real_s, real_cpu, real = await _timed(lambda: plan_reminders(db, settings, NOW))
    # The process's peak so far (seeding and both plans), read before tracemalloc starts: its own record of
    # every allocation would add tens of megabytes that are not keephome's.
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    await plan_reminders(db, settings, NOW, dry_run=True)
    heap_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    await db.dispose()
    n = f"{tenants_n:,} tenants"
    return [
        Figure(f"plan one day, dry run ({n}, {len(dry.rows):,} reminders)", dry_s, "s", "< 5 s", dry_s < 5),
        Figure("  of which CPU time of this process", dry_cpu, "s", "", True),
        Figure(f"plan one day for real ({len(real.rows):,} recorded + queued)", real_s, "s", "< 5 s", real_s < 5),
        Figure("  of which CPU time of this process", real_cpu, "s", "", True),
        Figure("python heap peak while planning (tracemalloc)", heap_mb, "MB", "< 300 MB", heap_mb < 300),
        Figure("process peak RSS after both plans (ru_maxrss)", rss_mb, "MB", "< 300 MB", rss_mb < 300),
    ]


async def _queue_sms(
    workdir: Path, name: str, count: int, twilio_url: str, rate: float
) -> tuple[Database, Sender, TwilioChannel]:
    """A database with `count` reminders queued for SMS, and a sender with the real Twilio channel."""
    db = Database(f"sqlite+aiosqlite:///{workdir / name}")
    settings = _settings(db.url, twilio_url, twilio_rate=rate)
    await upgrade(db)
    await _seed(db, count, sms_only=True)
    planned = await plan_reminders(db, settings, NOW)
    assert len(planned.rows) == count, f"expected {count} queued reminders, got {len(planned.rows)}"
    channel = TwilioChannel(settings)
    await channel.start()
    sender = Sender(
        db,
        {"sms": channel},
        Renderer(TEMPLATES_DIR, settings),
        lambda: NOW + timedelta(minutes=1),
        Metrics(),
        rates={"sms": RateLimiter(settings.twilio_rate)},
        lease=timedelta(seconds=settings.lease_seconds),
        batch=settings.outbox_batch,
        send_timeout=settings.send_timeout_seconds,
    )
    return db, sender, channel


async def _bare(url: str, count: int, concurrency: int) -> float:
    """The same form posts with a bare aiohttp client and the same concurrency: the HTTP floor."""
    auth = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    endpoint = f"{url}/2010-04-01/Accounts/{SID}/Messages.json"
    sem = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession() as session:

        async def post(i: int) -> None:
            form = {"To": f"+452{i:07d}", "From": FROM, "Body": "Hej. Har du brug for hjælp med huslejen?"}
            async with sem, session.post(endpoint, data=form, headers={"Authorization": auth}) as answer:
                await answer.json()

        started = time.perf_counter()
        await asyncio.gather(*(post(i) for i in range(count)))
        return count / (time.perf_counter() - started)


async def _stamps(url: str) -> list[float]:
    async with aiohttp.ClientSession() as session, session.post(f"{url}/stamps") as answer:
        return sorted(json.loads(await answer.text()))


def _max_per_second(stamps: list[float]) -> int:
    best, j = 0, 0
    for i, t in enumerate(stamps):
        while stamps[j] <= t - 1.0:
            j += 1
        best = max(best, i - j + 1)
    return best


async def _drain(sender: Sender) -> int:
    """Send everything that is due, batch after batch; returns how many rows were handled."""
    total = 0
    while (n := await sender.drain_once()) > 0:
        total += n
    return total


async def _drain_with_workers(db: Database, sender: Sender) -> int:
    """Send everything that is due with the sender's own workers, as `keephome run` does (two: one claims or
    records while the other sends, which is what keeps a capped rate); returns how many rows were sent."""
    unsent = select(func.count()).select_from(outbox).where(outbox.c.state != "sent")
    await sender.start()
    try:
        while True:
            async with db.read() as conn:
                if not (await conn.execute(unsent)).scalar_one():
                    break
            await asyncio.sleep(0.02)
    finally:
        await sender.stop()
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(outbox))).scalar_one())


async def _sending(workdir: Path, url: str, drain_n: int, capped_n: int, cap: float) -> list[Figure]:
    # Alternate the two sides over a few rounds and take medians: one short run each is too noisy.
    bare_rates, sdk_rates, ratios, sent = [], [], [], 0
    for r in range(ROUNDS):
        db, sender, channel = await _queue_sms(workdir, f"drain{r}.db", drain_n, url, rate=1e6)
        tune_gc()  # as `keephome run` does once it has started
        await _stamps(url)
        bare_rates.append(await _bare(url, drain_n, concurrency=32))
        drain_s, _, sent = await _timed(partial(_drain, sender))
        sdk_rates.append(sent / drain_s)
        ratios.append(sdk_rates[-1] / bare_rates[-1])
        await channel.stop()
        await db.dispose()
    bare_rate, sdk_rate, ratio = (statistics.median(x) for x in (bare_rates, sdk_rates, ratios))
    db, sender, channel = await _queue_sms(workdir, "capped.db", capped_n, url, rate=cap)
    await _stamps(url)
    await _drain_with_workers(db, sender)
    stamps = await _stamps(url)
    await channel.stop()
    await db.dispose()
    achieved = (len(stamps) - 1) / (stamps[-1] - stamps[0])
    worst = _max_per_second(stamps)
    return [
        Figure(f"bare aiohttp posts ({drain_n:,}, 32 at a time, median of {ROUNDS})", bare_rate, "msg/s", "", True),
        Figure(f"outbox drain via twilio SDK ({sent:,} sent, median)", sdk_rate, "msg/s", "", sent == drain_n),
        Figure("drain rate / bare aiohttp rate (median per round)", ratio, "", ">= 0.5", ratio >= 0.5),
        Figure(
            f"capped at {cap:g}/s: achieved rate ({len(stamps)} sent)",
            achieved,
            "msg/s",
            f">= {0.95 * cap:g}",
            achieved >= 0.95 * cap,
        ),
        Figure("capped: most sends in any one-second window", worst, "msg", f"<= {cap:g}", worst <= cap),
    ]


def _print(figures: list[Figure]) -> None:
    width = max(len(f.name) for f in figures)
    print(f"{'figure':<{width}}  {'value':>10}  {'unit':<6}  {'target':<10}  ok")
    print("-" * (width + 36))
    for f in figures:
        value = f"{f.value:,.2f}" if f.value < 100 else f"{f.value:,.0f}"
        print(f"{f.name:<{width}}  {value:>10}  {f.unit:<6}  {f.target:<10}  {'yes' if f.ok else 'NO'}")


async def _run(args: argparse.Namespace, url: str) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="keephome-fanout-") as tmp:
        figures = await _planning(Path(tmp), args.tenants)
        figures += await _sending(Path(tmp), url, args.drain, args.capped, args.cap)
    return figures


def main(argv: list[str] | None = None) -> int:
    """Run every measurement and print the table; non-zero when a target is missed."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--tenants", type=int, default=100_000)
    p.add_argument("--drain", type=int, default=3_000, help="messages for the drain-rate comparison")
    p.add_argument("--capped", type=int, default=600, help="messages sent under the rate cap")
    p.add_argument("--cap", type=float, default=100.0, help="KEEPHOME_TWILIO_RATE for the capped run")
    args = p.parse_args(argv)
    ctx = multiprocessing.get_context("spawn")
    ports = ctx.Queue()
    server = ctx.Process(target=_standin, args=(ports,), daemon=True)
    server.start()
    try:
        url = f"http://127.0.0.1:{ports.get(timeout=30)}"
        # keephome runs on uvloop (uvicorn picks it up); both sides of every comparison run on it here too.
        figures = uvloop.run(_run(args, url))
    finally:
        server.terminate()
        server.join(5)
    _print(figures)
    return 0 if all(f.ok for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())
