"""What the inbound benchmark runs besides keephome: a bare endpoint, a Twilio stand-in, an nginx front.

`python bench/servers.py bare|twilio PORT` serves one of the two small apps with uvicorn until terminated.
keephome itself runs as `keephome run` (the real command), one process or several behind `nginx_config`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

__all__ = [
    "EMPTY_TWIML",
    "bare_app",
    "client_ports",
    "cpu_by_process",
    "cpu_seconds",
    "main",
    "nginx_config",
    "server_options",
    "twilio_standin_app",
]

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
_TICK = os.sysconf("SC_CLK_TCK")


def server_options() -> dict[str, str]:
    """The event loop and HTTP parser uvicorn picks by itself (`keephome run` too): the same for every server."""
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return {"loop": loop, "http": http}


def cpu_by_process(pids: Sequence[int]) -> dict[int, float]:
    """User plus system CPU seconds each process used so far, all its threads together (from /proc/<pid>/stat);
    a process gone meanwhile is left out."""
    spent = {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        # The command name (field 2) may hold spaces: count the fields after its closing parenthesis.
        fields = stat[stat.rindex(")") + 2 :].split()
        spent[pid] = (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime (fields 14 and 15)
    return spent


def cpu_seconds(pids: Sequence[int]) -> float:
    """User plus system CPU seconds the processes used so far, together."""
    return sum(cpu_by_process(pids).values())


def client_ports(pids: Sequence[int], server_port: int) -> set[int]:
    """The local ports of the TCP connections these processes hold to `server_port` (from /proc).

    The bench asks PostgreSQL which backends serve those ports, so the CPU it reports is that of the backends
    serving keephome, not of the whole server, which other programs on a shared machine may be using too.
    """
    inodes = set()
    for pid in pids:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[len("socket:[") : -1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if inode in inodes and int(remote.rsplit(":", 1)[1], 16) == server_port:
                ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


REFUSED_LOG = "nginx-refused.log"


def nginx_config(workdir: Path, port: int, upstreams: Sequence[int]) -> Path:
    """An nginx configuration in `workdir`: one port in front of the keephome processes, kept-alive upstreams.

    Round robin over the processes; HTTP/1.1 with idle connections kept, so nginx does not open a connection
    to keephome per request (which would cost keephome, not nginx, the CPU of each handshake).
    """
    servers = "\n".join(f"    server 127.0.0.1:{p};" for p in upstreams)
    temp = "\n".join(
        f"  {kind}_temp_path {workdir / ('nginx-' + kind)};" for kind in ("proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = f"""{user}worker_processes 1;
daemon off;
pid {workdir / "nginx.pid"};
error_log {workdir / "nginx-error.log"} warn;
events {{ worker_connections 4096; }}
http {{
  # Only answers that are not 2xx or 3xx are logged, with what the upstream said and how long it took: the bench
  # prints them beside a round's failed requests.
  map $status $refused {{ ~^[23] 0; default 1; }}
  log_format refused '$time_iso8601 status=$status upstream=$upstream_addr upstream_status=$upstream_status '
                     'request_time=$request_time upstream_time=$upstream_response_time';
  access_log {workdir / REFUSED_LOG} refused if=$refused;
  client_body_temp_path {workdir / "nginx-body"};
{temp}
  upstream keephome {{
{servers}
    keepalive 128;
  }}
  server {{
    listen 127.0.0.1:{port} reuseport;
    location / {{
      proxy_pass http://keephome;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      # As README.md's nginx for /webhooks/ (the bench posts only webhooks): a duplicate is stored once.
      proxy_next_upstream error timeout non_idempotent;
    }}
  }}
}}
"""
    path = workdir / "nginx.conf"
    path.write_text(conf, encoding="utf-8")
    return path


async def _bare_sms(request: Request) -> Response:
    """Parse the form as the real webhook does, then answer empty TwiML: the HTTP floor."""
    body = await request.body()
    pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    if not any(name == "MessageSid" for name, _ in pairs):
        return PlainTextResponse("MessageSid is missing", status_code=422)
    return Response(EMPTY_TWIML, media_type="text/xml")


async def _ok(request: Request) -> Response:
    return PlainTextResponse("ok")


def bare_app() -> Starlette:
    """A starlette app with only the form parsing of the SMS webhook."""
    return Starlette(
        routes=[Route("/webhooks/twilio/sms", _bare_sms, methods=["POST"]), Route("/healthz", _ok, methods=["GET"])]
    )


def twilio_standin_app() -> Starlette:
    """Answers the Messages create call at once, like Twilio accepting the message; `/stats` tells how many it
    accepted and when the last one came (`time.monotonic()`, the same clock in every process of the machine)."""
    counter = itertools.count(1)
    stats = {"accepted": 0, "last": 0.0}

    async def create(request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))
        sid = f"SM{next(counter):032x}"
        answer = {
            "sid": sid,
            "account_sid": request.path_params["account"],
            "to": form.get("To"),
            "from": form.get("From"),
            "body": form.get("Body"),
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
        }
        stats["accepted"] += 1
        stats["last"] = time.monotonic()
        return Response(json.dumps(answer), status_code=201, media_type="application/json")

    async def read_stats(request: Request) -> Response:
        return JSONResponse(stats)

    return Starlette(
        routes=[
            Route("/2010-04-01/Accounts/{account}/Messages.json", create, methods=["POST"]),
            Route("/stats", read_stats, methods=["GET"]),
            Route("/healthz", _ok, methods=["GET"]),
        ]
    )


def main(argv: list[str]) -> int:
    """Serve one kind of app on 127.0.0.1:PORT until terminated."""
    if len(argv) != 2 or argv[0] not in ("bare", "twilio"):
        print("usage: servers.py bare|twilio PORT", file=sys.stderr)
        return 2
    kind, port = argv[0], int(argv[1])
    factories: dict[str, Callable[[], ASGIApp]] = {"bare": bare_app, "twilio": twilio_standin_app}
    options = server_options()
    config = uvicorn.Config(
        factories[kind](),
        host="127.0.0.1",
        port=port,
        loop=options["loop"],
        http=options["http"],
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_keep_alive=75,  # keephome's KEEP_ALIVE_SECONDS (bot/cli/serve.py): idle connections alike
    )
    uvicorn.Server(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
