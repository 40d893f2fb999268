"""`keephome run` in processes of its own, as an operator starts it: free ports, environments, health, roles."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx

__all__ = ["KeephomeProcess", "free_port", "keephome_env", "start_keephome"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def keephome_env(**values: str) -> dict[str, str]:
    """This environment without any KEEPHOME_ variable, plus the given ones (`port="8001"` → KEEPHOME_PORT)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEPHOME_")}
    env.update({f"KEEPHOME_{k.upper()}": v for k, v in values.items()})
    return env


class KeephomeProcess:
    """One `keephome run` listening on `port`; `log` collects what it wrote to stderr."""

    def __init__(self, process: asyncio.subprocess.Process, port: int, log: Path) -> None:
        self.process = process
        self.port = port
        self.log = log
        self.client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10)

    @property
    def pid(self) -> int:
        return self.process.pid

    async def wait_healthy(self, seconds: float = 120.0) -> None:
        """Until /healthz answers 200; fails when the process exits first, or after `seconds` (of the clock, not
        of polls: a start-up sharing the cores with others' takes longer, and only a failure ever waits it out)."""
        deadline = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < deadline:
            if self.process.returncode is not None:
                raise AssertionError(
                    f"keephome run exited with {self.process.returncode}: {self.log.read_text()[-2000:]}"
                )
            try:
                if (await self.client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
        raise AssertionError("keephome run did not become healthy")

    async def holds(self, role: str) -> bool:
        """Whether this process says (on /metrics) that it holds `role`; False when it does not answer."""
        try:
            text = (await self.client.get("/metrics")).text
        except httpx.TransportError:
            return False
        found = re.search(rf'^keephome_role_held\{{role="{role}"\}} (\S+)$', text, re.MULTILINE)
        return found is not None and float(found.group(1)) == 1.0

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, the harshest stop there is."""
        if self.process.returncode is None:
            self.process.kill()

    async def close(self) -> None:
        """Terminate (when still running) and wait for the process; close the HTTP client."""
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        await self.client.aclose()


async def start_keephome(env: dict[str, str], cwd: Path, name: str = "keephome") -> KeephomeProcess:
    """Start `keephome run` with `env` (KEEPHOME_PORT must be set); its stderr goes to `cwd/<name>.log`."""
    log = cwd / f"{name}.log"
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli.main", "run", env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=stderr
        )
    return KeephomeProcess(process, int(env["KEEPHOME_PORT"]), log)
