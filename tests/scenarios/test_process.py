"""keephome as an operator starts it: the real CLI in a process of its own, killed and started again."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.store.db import Database
from bot.store.migrate import head_revision
from bot.store.schema import inbound, outbox, tenants
from tests.support.helpers import add_tenant
from tests.support.processes import free_port, keephome_env, start_keephome
from tests.support.schema import migrated
from tests.support.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, TwilioStandin, sign, twilio_standin

__all__ = ["twilio_standin"]  # the stand-in fixture

PUBLIC_URL = "https://keephome.example.org"

pytestmark = pytest.mark.slow


def _keephome(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("values", "variable"),
    [
        ({}, "KEEPHOME_SECRET_KEY"),
        ({"secret_key": "s", "twilio_account_sid": "AC123"}, "KEEPHOME_TWILIO_AUTH_TOKEN"),
        ({"secret_key": "s", "telegram_token": "1:A"}, "KEEPHOME_TELEGRAM_SECRET"),
        ({"secret_key": "s", "public_url": "keephome.example.org"}, "KEEPHOME_PUBLIC_URL"),
        ({"secret_key": "s", "database_url": "mysql://x"}, "KEEPHOME_DATABASE_URL"),
        ({"secret_key": "s", "port": "eighty"}, "KEEPHOME_PORT"),
    ],
)
def test_a_bad_configuration_stops_start_up_with_one_line(
    values: dict[str, str], variable: str, tmp_path: Path
) -> None:
    done = _keephome("run", env=keephome_env(**values), cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert variable in lines[0]
    assert "Traceback" not in done.stderr


@pytest.mark.postgres
def test_run_on_postgres_refuses_a_schema_that_is_behind(pg_url: str, tmp_path: Path) -> None:
    env = keephome_env(database_url=pg_url, secret_key="s" * 32, port=str(free_port()))
    done = _keephome("run", env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert "keephome db upgrade" in done.stderr
    upgraded = _keephome("db", "upgrade", env=env, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"to revision {head_revision()}" in upgraded.stdout


async def _in_flight(db: Database) -> set[str]:
    """The numbers whose rows a killed process had claimed and not finished: the only ones that may repeat."""
    async with db.read() as conn:
        query = (
            select(tenants.c.phone)
            .join(outbox, outbox.c.tenant_id == tenants.c.id)
            .where(outbox.c.state == "pending", outbox.c.lease_until.is_not(None))
        )
        return {str(phone) for phone in (await conn.execute(query)).scalars()}


async def test_a_process_killed_right_after_answering_webhooks_loses_nothing(
    twilio_standin: TwilioStandin, database_url: str, tmp_path: Path
) -> None:
    standin = twilio_standin
    db = Database(database_url)
    await migrated(db)
    phones = [f"+452012{i:04d}" for i in range(30)]
    for i, phone in enumerate(phones):
        await add_tenant(db, f"T-{i}", name=f"Lejer {i}", phone=phone)
    port = free_port()
    env = keephome_env(
        database_url=database_url,
        secret_key="s" * 32,
        public_url=PUBLIC_URL,
        port=str(port),
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from=FROM_NUMBER,
        twilio_api_url=standin.url,
        twilio_rate="200",
        run_scheduler="false",
        # Rows the killed process had claimed come back when their lease ends: keep it short here.
        send_timeout_seconds="1",
        lease_seconds="3",
        election_seconds="0.5",
        quiet_start="00:00",
        quiet_end="00:00",
    )
    first = await start_keephome(env, tmp_path, "first")
    try:
        await first.wait_healthy()

        async def post(i: int, phone: str) -> int:
            form = {"MessageSid": f"SM{i:032d}", "From": phone, "To": FROM_NUMBER, "Body": "hej"}
            signature = sign(PUBLIC_URL + "/webhooks/twilio/sms", form)
            answer = await first.client.post(
                "/webhooks/twilio/sms", data=form, headers={"X-Twilio-Signature": signature}
            )
            return answer.status_code

        statuses = await asyncio.gather(*(post(i, p) for i, p in enumerate(phones)))
        first.kill()
        await first.process.wait()
    finally:
        await first.close()
    assert statuses == [200] * len(phones)
    may_repeat = await _in_flight(db)

    second = await start_keephome(env, tmp_path, "second")
    try:
        await second.wait_healthy()
        # Done when every row is recorded, not merely when every phone got something: a row the killed
        # process sent without recording is sent again once its lease runs out, and recorded then.
        for _ in range(600):
            async with db.read() as conn:
                open_rows = select(func.count()).select_from(outbox).where(outbox.c.state != "sent")
                if (await conn.execute(open_rows)).scalar_one() == 0 and {p.to for p in standin.sent} == set(phones):
                    break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # long enough for a repeat to show up, were there one
    finally:
        await second.close()
    # Every acknowledged message was committed, handled once and answered at least once; only a row the killed
    # process had claimed (it may have reached Twilio unrecorded) is answered twice, and never more.
    answered = Counter(p.to for p in standin.sent)
    assert set(answered) == set(phones)
    repeated = {phone for phone, times in answered.items() if times > 1}
    assert repeated <= may_repeat
    assert max(answered.values()) <= 2
    async with db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(inbound))).scalar_one() == len(phones)
        unprocessed = select(func.count()).select_from(inbound).where(inbound.c.processed_at.is_(None))
        assert (await conn.execute(unprocessed)).scalar_one() == 0
        assert (await conn.execute(select(func.count()).select_from(outbox))).scalar_one() == len(phones)
        states = (await conn.execute(select(outbox.c.state))).scalars().all()
    assert Counter(states) == {"sent": len(phones)}
    await db.dispose()


async def test_an_idle_connection_stays_open_longer_than_a_proxy_keeps_it(sqlite_url: str, tmp_path: Path) -> None:
    # A reverse proxy (nginx) reuses an idle connection to keephome for the next webhook. Were keephome to close
    # idle connections first (uvicorn's default: after 5 s), a webhook sent at that moment would be answered 502
    # by the proxy, and the provider does not send it again. Idle for 6 s, the connection still answers. On SQLite
    # only: uvicorn keeps the connection (bot/cli/serve.py), whatever the database; on PostgreSQL too it waited 6 s
    # more, in a process of its own.
    port = free_port()
    env = keephome_env(database_url=sqlite_url, secret_key="s" * 32, port=str(port), run_scheduler="false")
    process = await start_keephome(env, tmp_path)
    try:
        await process.wait_healthy()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        request = b"GET /healthz HTTP/1.1\r\nHost: keephome.example.org\r\n\r\n"
        answers = []
        for pause in (0.0, 6.0):
            await asyncio.sleep(pause)
            writer.write(request)
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            [length] = re.findall(rb"(?im)^content-length: *(\d+)", head)
            await reader.readexactly(int(length))
            answers.append(head.split(b"\r\n", 1)[0])
        writer.close()
    finally:
        await process.close()
    assert answers == [b"HTTP/1.1 200 OK"] * 2
