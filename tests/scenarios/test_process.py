"""keephome as an operator starts it: the real CLI in a process of its own, killed and started again."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.schema import inbound, outbox
from tests.support.helpers import add_tenant
from tests.support.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, TwilioStandin, sign, twilio_standin

__all__ = ["twilio_standin"]  # the stand-in fixture

PUBLIC_URL = "https://keephome.example.org"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEPHOME_")}
    env.update({f"KEEPHOME_{k.upper()}": v for k, v in values.items()})
    return env


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
    done = _keephome("run", env=_env(**values), cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert variable in lines[0]
    assert "Traceback" not in done.stderr


@pytest.mark.postgres
def test_run_on_postgres_refuses_a_schema_that_is_behind(pg_url: str, tmp_path: Path) -> None:
    env = _env(database_url=pg_url, secret_key="s", port=str(_free_port()))
    done = _keephome("run", env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert "keephome db upgrade" in done.stderr
    upgraded = _keephome("db", "upgrade", env=env, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "0001" in upgraded.stdout


async def _start(command: list[str], env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def _wait_healthy(client: httpx.AsyncClient, process: asyncio.subprocess.Process) -> None:
    for _ in range(200):
        assert process.returncode is None, "keephome run exited"
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("keephome run did not become healthy")


async def test_a_process_killed_right_after_answering_webhooks_loses_nothing(
    twilio_standin: TwilioStandin, tmp_path: Path
) -> None:
    standin = twilio_standin
    url = f"sqlite+aiosqlite:///{tmp_path / 'keephome.db'}"
    db = Database(url)
    await upgrade(db)
    phones = [f"+452012{i:04d}" for i in range(30)]
    for i, phone in enumerate(phones):
        await add_tenant(db, f"T-{i}", name=f"Lejer {i}", phone=phone)
    port = _free_port()
    env = _env(
        database_url=url,
        secret_key="s",
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
        quiet_start="00:00",
        quiet_end="00:00",
    )
    command = [sys.executable, "-m", "bot.cli.main", "run"]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        first = await _start(command, env, tmp_path)
        try:
            await _wait_healthy(client, first)

            async def post(i: int, phone: str) -> int:
                form = {"MessageSid": f"SM{i:032d}", "From": phone, "To": FROM_NUMBER, "Body": "hej"}
                signature = sign(PUBLIC_URL + "/webhooks/twilio/sms", form)
                answer = await client.post("/webhooks/twilio/sms", data=form, headers={"X-Twilio-Signature": signature})
                return answer.status_code

            statuses = await asyncio.gather(*(post(i, p) for i, p in enumerate(phones)))
            first.send_signal(signal.SIGKILL)  # no shutdown, no flush: the harshest stop there is
        finally:
            if first.returncode is None:
                first.kill()
            await first.wait()
        assert statuses == [200] * len(phones)

        second = await _start(command, env, tmp_path)
        try:
            await _wait_healthy(client, second)
            for _ in range(400):
                if {p.to for p in standin.sent} == set(phones):
                    break
                await asyncio.sleep(0.05)
        finally:
            second.terminate()
            await asyncio.wait_for(second.wait(), 10)
    # Every acknowledged message was committed, handled once and answered (at least once).
    assert {p.to for p in standin.sent} == set(phones)
    async with db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(inbound))).scalar_one() == len(phones)
        unprocessed = select(func.count()).select_from(inbound).where(inbound.c.processed_at.is_(None))
        assert (await conn.execute(unprocessed)).scalar_one() == 0
        assert (await conn.execute(select(func.count()).select_from(outbox))).scalar_one() == len(phones)
    await db.dispose()
