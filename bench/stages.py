"""Where keephome's CPU goes per inbound SMS: each stage of the path measured alone, in one process, on one core.

Run `.venv/bin/python bench/stages.py` (about two minutes); `--profile STAGE` prints cProfile's busiest functions of
that stage (for the processing and database stages, those of the writer's thread).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import inspect
import itertools
import os
import pstats
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from inbound import ACCOUNT_SID, FROM_NUMBER, PUBLIC_URL, _phones, _seed
from loadgen import TEXTS, in_turn, signed_requests

from bot.app import create_app
from bot.collector import tune_gc
from bot.inbound.inbox import InboundMessage
from bot.runtime import Runtime, build_runtime
from bot.settings import load_settings
from bot.webhooks.twilio import SMS_PATH, _Endpoint, inbound_sms

__all__ = ["Stage", "main"]

HERE = Path(__file__).resolve().parent
STAGES = ("webhook", "commit", "processing", "send")
GROUP = 32  # messages a group commit and a processor batch take at a time, as under load


@dataclass(frozen=True)
class Stage:
    """One stage's CPU (this process, every thread) per message."""

    name: str
    what: str
    cpu_us: float


class _Profile:
    """cProfile for one stage, in the event loop's thread and in the database writer's."""

    def __init__(self, enabled: bool) -> None:
        self.profile = cProfile.Profile() if enabled else None

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        profile = self.profile
        if profile is None:
            return fn

        def profiled(*args: Any, **kwargs: Any) -> Any:
            profile.enable()
            try:
                return fn(*args, **kwargs)
            finally:
                profile.disable()

        return profiled

    def print(self, lines: int) -> None:
        if self.profile is not None:
            pstats.Stats(self.profile).sort_stats(os.environ.get("SORT", "tottime")).print_stats(lines)


def _scope(app: Any, signature: str, body: bytes) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": SMS_PATH,
        "raw_path": SMS_PATH.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"x-twilio-signature", signature.encode()),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
        "app": app,
    }


async def _post(call: Any, app: Any, signature: str, form: str) -> None:
    """One signed webhook through `call` (the app, or the route alone) as uvicorn hands it over, minus the socket."""
    body = form.encode()
    received = False

    async def receive() -> dict[str, Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # nothing more comes; a disconnect would
        return {"type": "http.disconnect"}

    status = 0

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await call(_scope(app, signature, body), receive, send)
    if status != 200:
        raise RuntimeError(f"the webhook answered {status}")


async def _cpu(work: Callable[[], Awaitable[object]]) -> float:
    started = time.process_time()
    await work()
    return time.process_time() - started


async def _webhooks(call: Any, app: Any, requests: list[tuple[str, str]], concurrency: int) -> None:
    pending = iter(requests)

    async def worker() -> None:
        for signature, form in pending:
            await _post(call, app, signature, form)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def _measure(args: argparse.Namespace, rt: Runtime, phones: list[str], token: str) -> list[Stage]:
    n = args.messages
    app = create_app(rt)
    route = _Endpoint(inbound_sms)
    requests = signed_requests(PUBLIC_URL, token, ACCOUNT_SID, FROM_NUMBER, in_turn(phones, 3 * n + 200))
    profile = _Profile(args.profile == "webhook")
    await rt.inbox.start()
    try:
        await _webhooks(app, app, requests[:200], args.concurrency)  # warm: every number's E.164 form is cached once
        route_only = await _cpu(lambda: _webhooks(route, app, requests[200 : 200 + n], args.concurrency))
        if profile.profile is not None:
            profile.profile.enable()
        whole = await _cpu(lambda: _webhooks(app, app, requests[200 + n : 200 + 2 * n], args.concurrency))
        if profile.profile is not None:
            profile.profile.disable()
    finally:
        await rt.inbox.stop()
    profile.print(args.lines)
    await _drain(rt)  # the webhooks' messages are handled before the stages below start on their own

    messages = [
        InboundMessage("sms", "SM" + uuid.uuid4().hex, phone, text)
        for _, phone, text in zip(range(n), itertools.cycle(phones), itertools.cycle(TEXTS), strict=False)
    ]
    commit = await _cpu(lambda: _commit_all(rt, messages))
    processing, pure = await _processing(args, rt)
    send, replies = await _send(args, rt)
    per = 1e6 / n
    return [
        Stage("webhook route", "parse the form, one HMAC, E.164, submit and await the commit", route_only * per),
        Stage(
            "middlewares, routing",
            "body limits, security headers, pause banner, starlette's router and error handling",
            (whole - route_only) * per,
        ),
        Stage("group commit", f"Inbox.commit, {GROUP} messages a transaction", commit * per),
        Stage(
            "processing: host",
            f"Processor.process_pending, batches of {GROUP}: reads, scene, writes, commit",
            (processing - pure) * per,
        ),
        Stage("processing: pure", "conversations/: keyword commands and the flow engine (answer parsing)", pure * per),
        Stage("send", f"Sender: claim, render, twilio SDK, record ({replies / n:.2f} replies a message)", send * per),
    ]


async def _commit_all(rt: Runtime, messages: list[InboundMessage]) -> None:
    for start in range(0, len(messages), GROUP):
        await rt.inbox.commit(messages[start : start + GROUP])


async def _drain(rt: Runtime) -> None:
    while await rt.processor.process_pending():
        pass
    while await rt.sender.drain_once():
        pass


class _Pure:
    """The CPU of the pure conversation code the handler calls (keyword commands and the flow engine), timed in
    the thread that runs it, while the stage runs."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def timed(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.thread_time() - started

        return timed


async def _processing(args: argparse.Namespace, rt: Runtime) -> tuple[float, float]:
    from bot.inbound import handler

    profile = _Profile(args.profile == "processing")
    processor = rt.processor
    processor._run_batch = profile.wrap(processor._run_batch)  # type: ignore[method-assign]
    processor._batch = GROUP
    pure = _Pure()
    saved = handler.command, handler.engine
    # Every function of the engine the handler may call, timed (one left out would fail each message that needs it).
    engine = type("TimedEngine", (), {})
    for name in handler.engine.__all__:
        found = getattr(handler.engine, name)
        setattr(engine, name, staticmethod(pure.timed(found)) if inspect.isfunction(found) else found)
    handler.command, handler.engine = pure.timed(handler.command), engine  # type: ignore[assignment]

    async def work() -> None:
        while await processor.process_pending():
            pass

    try:
        spent = await _cpu(work)
    finally:
        handler.command, handler.engine = saved
    profile.print(args.lines)
    return spent, pure.seconds


async def _send(args: argparse.Namespace, rt: Runtime) -> tuple[float, int]:
    profile = _Profile(args.profile == "send")
    sent = 0

    async def work() -> None:
        nonlocal sent
        while handled := await rt.sender.drain_once():
            sent += handled

    if profile.profile is not None:
        profile.profile.enable()
    spent = await _cpu(work)
    if profile.profile is not None:
        profile.profile.disable()
    profile.print(args.lines)
    return spent, sent


def _pin(core: int | None) -> None:
    if core is not None:
        os.sched_setaffinity(0, {core})


async def _run(args: argparse.Namespace, workdir: Path, standin: str) -> list[Stage]:
    url = f"sqlite+aiosqlite:///{workdir / 'keephome.db'}"
    phones = _phones(args.tenants)
    await _seed(url, phones)
    token = secrets.token_hex(16)
    settings = load_settings(
        _env_file=None,
        database_url=url,
        public_url=PUBLIC_URL,
        secret_key=secrets.token_hex(16),
        run_scheduler=False,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=token,
        twilio_from=FROM_NUMBER,
        twilio_api_url=standin,
        twilio_rate=1_000_000,
    )
    rt = build_runtime(settings)
    for channel in rt.channels.values():
        await channel.start()
    tune_gc()  # the collector set up as the service sets it up once it has started
    try:
        return await _measure(args, rt, phones, token)
    finally:
        for channel in rt.channels.values():
            await channel.stop()
        await rt.db.dispose()


def _standin(workdir: Path, core: int | None) -> tuple[subprocess.Popen[bytes], str]:
    from inbound import _free_port

    port = _free_port()
    pin = ["taskset", "-c", str(core)] if core is not None else []
    env = dict(os.environ, PYTHONPATH=str(HERE.parent))
    proc = subprocess.Popen(
        [*pin, sys.executable, str(HERE / "servers.py"), "twilio", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the Twilio stand-in did not start")


def main(argv: list[str] | None = None) -> int:
    """Measure each stage `--runs` times and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=4000, help="messages per stage (default 4000)")
    parser.add_argument("--tenants", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32, help="webhooks in flight (default 32)")
    parser.add_argument("--runs", type=int, default=3, help="the figures are the medians of the runs (default 3)")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="uvloop", help="uvloop: as keephome run")
    parser.add_argument("--profile", choices=STAGES, default=None, help="print cProfile's busiest functions")
    parser.add_argument("--lines", type=int, default=30)
    args = parser.parse_args(argv)
    cpus = sorted(os.sched_getaffinity(0))
    core, other = (cpus[0], cpus[1]) if len(cpus) > 1 else (None, None)
    results: list[list[Stage]] = []
    for _ in range(args.runs if args.profile is None else 1):
        with tempfile.TemporaryDirectory(prefix="keephome-stages-") as tmp:
            proc, standin = _standin(Path(tmp), other)
            try:
                _pin(core)
                if args.loop == "uvloop":
                    import uvloop

                    results.append(uvloop.run(_run(args, Path(tmp), standin)))
                else:
                    results.append(asyncio.run(_run(args, Path(tmp), standin)))
            finally:
                proc.terminate()
                proc.wait()
    print(
        f"\nkeephome CPU per inbound SMS by stage: median of {len(results)} run(s), {args.messages} messages each, "
        f"event loop {args.loop}, one core"
    )
    total = 0.0
    for i, stage in enumerate(results[0]):
        cpu = sorted(r[i].cpu_us for r in results)[len(results) // 2]
        total += cpu
        print(f"  {stage.name:<22}{cpu:>7.0f} µs   {stage.what}")
    print(f"  {'sum':<22}{total:>7.0f} µs   (the HTTP server itself is not in it: see the bare endpoint in inbound.py)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
