"""Serving the ASGI app with uvicorn: what `keephome run` and `keephome demo` end with."""

from __future__ import annotations

import uvicorn

from bot.app import create_app
from bot.runtime import Runtime

__all__ = ["KEEP_ALIVE_SECONDS", "serve", "server_config"]

# How long an idle HTTP connection stays open. Longer than a reverse proxy keeps its idle upstream connections
# (nginx 60 s, most load balancers 60 s): with uvicorn's 5 s, nginx sent a webhook on a connection keephome was
# closing at that moment and answered it 502 (bench/README.md, 2026-12-05); the provider does not send it again.
KEEP_ALIVE_SECONDS = 75


def server_config(rt: Runtime) -> uvicorn.Config:
    """Uvicorn's settings: `X-Forwarded-For`/`-Proto` count only from `KEEPHOME_TRUSTED_PROXIES` (none by default).

    The sign-in limits per client address read the address uvicorn puts in the request; without a trusted
    proxy that is the connecting peer, whatever headers it sends.
    """
    proxies = rt.settings.trusted_proxy_list
    return uvicorn.Config(
        create_app(rt),
        host=rt.settings.host,
        port=rt.settings.port,
        log_level="info",
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
        access_log=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )


async def serve(rt: Runtime) -> int:
    """Serve until stopped; the app's lifespan starts and stops the runtime (`bot.starter.running`)."""
    await uvicorn.Server(server_config(rt)).serve()
    return 0
