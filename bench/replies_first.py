"""Replies first, measured: a tenant's webhook-to-reply time while a 20,000-reminder campaign drains at 10 SMS/s.

Run `.venv/bin/python bench/replies_first.py`. One keephome runtime (SQLite, the inbox, the processor and the
sender running as in `keephome run`, the real twilio SDK) sends to the Twilio stand-in of the test suite on
127.0.0.1. The morning's plan queues one reminder for each of 20,000 tenants; then, while the campaign drains at
`KEEPHOME_TWILIO_RATE`, other tenants write HJÆLP to the SMS webhook (signed as Twilio signs) every half second.
For each such message the time from the webhook request to the stand-in receiving keephome's answer is taken;
the run prints p50, p99 and the slowest, how many answers never came, and what the campaign sent meanwhile (the
rate, and the most sends in any one second: replies share the same rate limit). Target: p99 <= 5 s.
Exit status 1 when the target is missed or an answer is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import insert

from bot.app import create_app
from bot.reminders.plan import plan_reminders
from bot.runtime import Clock, build_runtime
from bot.settings import Settings, load_settings
from bot.starter import running
from bot.store.db import utcnow
from bot.store.migrate import upgrade
from bot.store.schema import rent_positions, tenants
from tests.support.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, TwilioStandin, serve_standin, sign

__all__ = ["main"]

TZ = ZoneInfo("Europe/Copenhagen")
# Tuesday 3 March 2026, 10:00: rent due 1 March was missed (the busiest morning of the month).
DAY = date(2026, 3, 3)
MORNING = datetime(2026, 3, 3, 10, 0, tzinfo=TZ)
PUBLIC_URL = "https://keephome.example.org"
SMS_PATH = "/webhooks/twilio/sms"
CAMPAIGN_PREFIX, WRITER_PREFIX = "+452", "+45421"
TARGET_P99 = 5.0


@dataclass
class Figures:
    latencies: list[float]
    missing: int
    campaign_sent: int
    seconds: float
    busiest_second: int


def _settings(url: str, standin: TwilioStandin, rate: float) -> Settings:
    return load_settings(
        _env_file=None,
        database_url=url,
        secret_key="bench-secret-key-of-at-least-32-chars",
        public_url=PUBLIC_URL,
        run_scheduler=False,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from=FROM_NUMBER,
        twilio_api_url=standin.url,
        twilio_rate=rate,
    )


async def _seed(settings: Settings, reminders: int, writers: int) -> None:
    """`reminders` tenants who missed the rent (each gets a reminder) and `writers` paid-up tenants who write."""
    rt = build_runtime(settings)
    await upgrade(rt.db)
    made = MORNING.astimezone(UTC) - timedelta(days=40)
    fixed = {"language": "da", "channel_preference": "auto", "telegram_blocked": False, "status": "active"}
    people, positions = [], []
    for i in range(reminders + writers):
        owes = i < reminders
        phone = f"{CAMPAIGN_PREFIX}{i:07d}" if owes else f"{WRITER_PREFIX}{i - reminders:05d}"
        people.append(
            {**fixed, "id": i + 1, "tenant_ref": f"B-{i:06d}", "name": f"Lejer {i}", "phone": phone}
            | {"created_at": made, "updated_at": made}
        )
        positions.append(
            {"tenant_id": i + 1, "due_day": 1, "balance_ore": 650_000 if owes else 0, "balance_as_of": DAY}
            | {"at_risk": False, "arrears_last_12m": False, "updated_at": made}
        )
    async with rt.db.write() as conn:
        for start in range(0, len(people), 5_000):
            await conn.execute(insert(tenants), people[start : start + 5_000])
            await conn.execute(insert(rent_positions), positions[start : start + 5_000])
    await rt.db.dispose()


def _busiest(stamps: list[float]) -> int:
    best, j = 0, 0
    for i, t in enumerate(stamps):
        while stamps[j] <= t - 1.0:
            j += 1
        best = max(best, i - j + 1)
    return best


async def _measure(settings: Settings, standin: TwilioStandin, args: argparse.Namespace) -> Figures:
    clock = Clock(MORNING.astimezone(UTC) - utcnow())
    rt = build_runtime(settings, clock=clock)
    planned = await plan_reminders(rt.db, settings, clock())
    assert len(planned.rows) == args.reminders, f"expected {args.reminders} reminders, got {len(planned.rows)}"
    sent_at: dict[str, float] = {}
    transport = httpx.ASGITransport(app=create_app(rt))
    async with running(rt), httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
        await asyncio.sleep(args.warmup)  # the campaign is under way before the first tenant writes
        before = len(standin.posted)
        started = time.monotonic()
        for n in range(int(args.duration / args.every)):
            number = f"{WRITER_PREFIX}{n % args.writers:05d}"
            form = {"MessageSid": f"SM{n:032x}", "From": number, "To": FROM_NUMBER, "Body": "HJÆLP"}
            headers = {"X-Twilio-Signature": sign(PUBLIC_URL + SMS_PATH, form)}
            sent_at[number] = time.monotonic()
            answer = await client.post(SMS_PATH, data=form, headers=headers)
            assert answer.status_code == 200, answer.text
            await asyncio.sleep(max(0.0, started + (n + 1) * args.every - time.monotonic()))
        await asyncio.sleep(TARGET_P99 * 2)  # the last answers
        seconds = time.monotonic() - started
    latencies, missing = [], 0
    for number, at in sent_at.items():
        answered = [p.at for p in standin.posted if p.to == number and p.at >= at]
        if answered:
            latencies.append(min(answered) - at)
        else:
            missing += 1
    campaign = sorted(p.at for p in standin.posted[before:] if p.to.startswith(CAMPAIGN_PREFIX))
    everything = sorted(p.at for p in standin.posted[before:])
    return Figures(sorted(latencies), missing, len(campaign), seconds, _busiest(everything))


def _percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, round(share * (len(values) - 1)))]


def main(argv: list[str] | None = None) -> int:
    """Seed, plan, measure and print; non-zero when the p99 target is missed or an answer is missing."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--reminders", type=int, default=20_000, help="the campaign's size")
    p.add_argument("--writers", type=int, default=200, help="tenants who write (each answers once per round)")
    p.add_argument("--rate", type=float, default=10.0, help="KEEPHOME_TWILIO_RATE (default: the default, 10/s)")
    p.add_argument("--duration", type=float, default=60.0, help="seconds during which tenants write")
    p.add_argument("--every", type=float, default=0.5, help="seconds between two tenants' messages")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds of campaign before the first message")
    args = p.parse_args(argv)
    args.writers = max(args.writers, int(args.duration / args.every))  # one message per writer: answers are theirs

    async def run() -> Figures:
        with tempfile.TemporaryDirectory(prefix="keephome-replies-") as tmp:
            async with serve_standin() as standin:
                settings = _settings(f"sqlite+aiosqlite:///{Path(tmp) / 'replies.db'}", standin, args.rate)
                await _seed(settings, args.reminders, args.writers)
                return await _measure(settings, standin, args)

    f = asyncio.run(run())
    p50 = statistics.median(f.latencies) if f.latencies else float("nan")
    p99 = _percentile(f.latencies, 0.99) if f.latencies else float("nan")
    ok = f.missing == 0 and p99 <= TARGET_P99
    print(f"campaign: {args.reminders:,} reminders queued, KEEPHOME_TWILIO_RATE={args.rate:g}")
    wrote = len(f.latencies) + f.missing
    print(f"tenants who wrote HJÆLP: {wrote} (one every {args.every:g} s for {args.duration:g} s)")
    print(f"webhook-to-reply: p50 {p50:.2f} s, p99 {p99:.2f} s, slowest {max(f.latencies, default=0):.2f} s")
    print(f"answers missing: {f.missing}")
    print(f"campaign sent meanwhile: {f.campaign_sent} ({f.campaign_sent / f.seconds:.1f}/s over {f.seconds:.0f} s)")
    print(f"most sends in any one second (replies and campaign): {f.busiest_second} (rate {args.rate:g})")
    print(f"target p99 <= {TARGET_P99:g} s: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
