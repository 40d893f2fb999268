"""The ASGI application: webhooks, health, metrics, the console and, in the demo only, the front page and simulator."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import func, select, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.console import routes as console_routes
from bot.demo.front import routes as front_routes
from bot.demo.simulator import routes as simulator_routes
from bot.runtime import Runtime
from bot.starter import running
from bot.store.schema import outbox
from bot.webhooks import telegram as telegram_webhook
from bot.webhooks import twilio as twilio_webhook

__all__ = ["create_app", "tune_gc"]


async def _healthz(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    try:
        async with rt.db.read() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


async def _metrics(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    async with rt.db.read() as conn:
        depth = (await conn.execute(select(func.count()).where(outbox.c.state == "pending"))).scalar_one()
    rt.metrics.outbox_depth.set(depth)
    return Response(rt.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")


async def _to_console(request: Request) -> Response:
    return RedirectResponse("/console/", status_code=307)


def tune_gc() -> None:
    """Set the collector up for a long-running service (call once start-up is done).

    Everything built at start-up lives as long as the process: keep it out of the cyclic collector, and
    collect the young generation less often, so a collection never stalls many requests at once.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def create_app(rt: Runtime) -> Starlette:
    """Build the app around a runtime; the lifespan runs it (`bot.starter.running`) with its background tasks."""
    routes: list[BaseRoute] = [
        Route("/healthz", _healthz, methods=["GET"]),
        Route("/metrics", _metrics, methods=["GET"]),
        *twilio_webhook.routes(),
        *telegram_webhook.routes(),
        *console_routes(),
    ]
    if rt.demo:
        routes.extend([*front_routes(), *simulator_routes()])
    else:
        routes.append(Route("/", _to_console, methods=["GET"]))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with running(rt):
            tune_gc()
            yield

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.rt = rt
    return app
