"""Serving the ASGI app with uvicorn: what `keephome run` and `keephome demo` end with."""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import sys

import uvicorn

from bot.app import create_app
from bot.runtime import Runtime

__all__ = ["KEEP_ALIVE_SECONDS", "bind", "listening_sockets", "serve", "server_config"]

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


async def listening_sockets(host: str, port: int) -> list[socket.socket]:
    """Bind `host`:`port` the way uvicorn's own `loop.create_server(host=…, port=…)` does (asyncio's rules: every
    address the name resolves to, SO_REUSEADDR, IPv6 sockets IPv6-only, a family this machine lacks skipped).

    Raises OSError (socket.gaierror for a host that does not resolve) when that fails; the sockets are not listening
    yet: uvicorn listens on them once the app has started."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host or None, port, family=socket.AF_UNSPEC, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _name, address in dict.fromkeys(infos):
            try:
                sock = socket.socket(family, kind, proto)
            except OSError:
                continue  # a family or protocol this machine does not offer
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                if exc.errno != errno.EADDRNOTAVAIL:
                    raise
                sockets.pop().close()  # e.g. ::1 where IPv6 is off: asyncio skips that address too
            else:
                sock.setblocking(False)
        if not sockets:
            raise OSError(errno.EADDRNOTAVAIL, f"no address of {host} can be bound on this machine")
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _cannot_listen(host: str, port: int, exc: OSError) -> str:
    """One line: where keephome could not listen, why, and what to do."""
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    why = f"[Errno {exc.errno}] {exc.strerror}" if exc.errno is not None and exc.strerror else str(exc)
    if exc.errno == errno.EADDRINUSE:
        hint = "another process listens there (keephome already running?): stop it, or choose another KEEPHOME_PORT"
    elif exc.errno == errno.EACCES:
        hint = "this user may not listen on that port: choose another KEEPHOME_PORT (1024 or above)"
    elif isinstance(exc, socket.gaierror):
        hint = "KEEPHOME_HOST must be an address or name of this machine (127.0.0.1; 0.0.0.0 for every address)"
    else:
        hint = "check KEEPHOME_HOST and KEEPHOME_PORT"
    return f"keephome: cannot listen on {where}: {why}: {hint}"


class _Server(uvicorn.Server):
    """Uvicorn on sockets bound before the app starts."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            # Uvicorn says where it listens only for the sockets it binds itself: say it as it would.
            host, port = self.config.host, self.config.port
            shown = f"[{host}]" if ":" in host else host
            logging.getLogger("uvicorn.error").info(
                "Uvicorn running on http://%s:%d (Press CTRL+C to quit)", shown, port
            )


async def bind(rt: Runtime) -> list[socket.socket] | None:
    """The sockets `serve` listens on, bound now; None (and one line on stderr) when the address cannot be had."""
    config = server_config(rt)
    try:
        return await listening_sockets(config.host, config.port)
    except OSError as exc:
        print(_cannot_listen(config.host, config.port, exc), file=sys.stderr)
        return None


async def serve(rt: Runtime, sockets: list[socket.socket] | None = None) -> int:
    """Serve until stopped; the app's lifespan starts and stops the runtime (`bot.starter.running`).

    The address is bound before the app starts (here, or by the caller with `bind`, before anything else it does).
    Uvicorn starts the app (the channels, the roles, the scheduler) first and binds after: a port in use or a host
    that does not resolve took the roles, stopped them again mid-work and buried uvicorn's line under the
    tracebacks of what it cancelled. Now nothing starts: one line says why, and the exit status is 2."""
    if sockets is None:
        sockets = await bind(rt)
    if sockets is None:
        await rt.db.dispose()
        return 2
    try:
        await _Server(server_config(rt)).serve(sockets=sockets)
    finally:
        for sock in sockets:
            sock.close()
    return 0
