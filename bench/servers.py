"""The servers the inbound benchmark starts, each in its own process: keephome, a bare endpoint, a Twilio stand-in.

Run as `python bench/servers.py KIND PORT`; keephome reads its settings from the `KEEPHOME_*` environment.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import sys
from collections.abc import Callable
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

__all__ = ["EMPTY_TWIML", "bare_app", "keephome_app", "main", "server_options", "twilio_standin_app"]

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def server_options() -> dict[str, str]:
    """The fastest event loop and HTTP parser installed; the same for every server so the ratio is fair."""
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return {"loop": loop, "http": http}


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
    """Answers the Messages create call at once, like Twilio accepting the message."""
    counter = itertools.count(1)

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
        return Response(json.dumps(answer), status_code=201, media_type="application/json")

    return Starlette(
        routes=[
            Route("/2010-04-01/Accounts/{account}/Messages.json", create, methods=["POST"]),
            Route("/healthz", _ok, methods=["GET"]),
        ]
    )


def keephome_app() -> ASGIApp:
    """The real service as `keephome run` builds it, settings from the environment (no .env file)."""
    from bot.app import create_app
    from bot.runtime import build_runtime
    from bot.settings import load_settings

    return create_app(build_runtime(load_settings(_env_file=None)))


def main(argv: list[str]) -> int:
    """Serve one kind of app on 127.0.0.1:PORT until terminated."""
    if len(argv) != 2 or argv[0] not in ("keephome", "bare", "twilio"):
        print("usage: servers.py keephome|bare|twilio PORT", file=sys.stderr)
        return 2
    kind, port = argv[0], int(argv[1])
    factories: dict[str, Callable[[], ASGIApp]] = {
        "keephome": keephome_app,
        "bare": bare_app,
        "twilio": twilio_standin_app,
    }
    app = factories[kind]()
    options = server_options()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        loop=options["loop"],
        http=options["http"],
        log_level="warning",
        access_log=False,
        lifespan="on" if kind == "keephome" else "off",
    )
    uvicorn.Server(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
