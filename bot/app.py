"""The ASGI application: webhooks, health, metrics, the console and, in the demo only, the front page and simulator."""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from bot.api import routes as api_routes
from bot.collector import tune_gc
from bot.console import routes as console_routes
from bot.console.accounts import DEMO_STAFF
from bot.console.sessions import method_not_allowed, page_not_found, server_error
from bot.console.web import SendingStateOnEveryPage
from bot.demo.front import routes as front_routes
from bot.demo.simulator import routes as simulator_routes
from bot.paths import TEMPLATES_DIR
from bot.runtime import Runtime
from bot.starter import running
from bot.webhooks import telegram as telegram_webhook
from bot.webhooks import twilio as twilio_webhook
from bot.webhooks.headers import SecurityHeaders
from bot.webhooks.limits import BodyLimits

__all__ = ["create_app"]

log = logging.getLogger(__name__)


async def _healthz(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    try:
        async with rt.db.read() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    # No channel configured: the service runs, but nothing reaches a tenant (proactive messages wait, queued).
    channels = ", ".join(sorted(rt.channels)) or "none"
    return JSONResponse({"status": "ok", "database": "ok", "channels": channels})


async def _metrics(request: Request) -> Response:
    """The counters and gauges as they stand: a scrape never queries the database."""
    rt: Runtime = request.app.state.rt
    token = rt.settings.metrics_token
    if token:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return PlainTextResponse(
                "a bearer token is required", status_code=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'}
            )
    return Response(rt.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")


async def _too_deep(request: Request, exc: Exception) -> Response:
    """JSON (or anything else) nested deeper than Python recurses is the sender's fault: 400, not 500."""
    log.warning("%s %s: %s while reading the request", request.method, request.url.path, type(exc).__name__)
    return PlainTextResponse("the body is nested too deep", status_code=400)


async def _to_console(request: Request) -> Response:
    return RedirectResponse("/console/", status_code=307)


class _Assets(StaticFiles):
    """The pages' scripts and stylesheets, revalidated on every use (ETag, 304): no old copy outlives an upgrade."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response


def _assets(prefix: str, face: str) -> Mount:
    """`templates/<face>/static/` at `prefix`: no page has an inline script or style (the CSP forbids them)."""
    return Mount(prefix, app=_Assets(directory=TEMPLATES_DIR / face / "static"))


class _App(Starlette):
    """Starlette with the security headers outside everything, so even its own 500 page carries them."""

    hsts = False  # set before the first request, when the stack is built

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack(), hsts=self.hsts)


def create_app(rt: Runtime) -> Starlette:
    """Build the app around a runtime; the lifespan runs it (`bot.starter.running`) with its background tasks.

    Every request's body is bounded before a route reads it (`BodyLimits`); every response carries the
    security headers (`SecurityHeaders`; HSTS when `KEEPHOME_PUBLIC_URL` is https).
    """
    routes: list[BaseRoute] = [
        Route("/healthz", _healthz, methods=["GET"]),
        Route("/metrics", _metrics, methods=["GET"]),
        *twilio_webhook.routes(),
        *telegram_webhook.routes(),
        _assets("/console/static", "console"),
        *console_routes(),
        *api_routes(),
    ]
    if rt.demo:
        routes.extend(
            [
                *front_routes(DEMO_STAFF),
                _assets("/demo/static", "demo"),
                *simulator_routes(),
                _assets("/simulator/static", "simulator"),
            ]
        )
    else:
        routes.append(Route("/", _to_console, methods=["GET"]))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with running(rt):
            tune_gc()
            yield

    app = _App(
        routes=routes,
        middleware=[Middleware(BodyLimits), Middleware(SendingStateOnEveryPage)],
        exception_handlers={RecursionError: _too_deep, 404: page_not_found, 405: method_not_allowed, 500: server_error},
        lifespan=lifespan,
    )
    app.hsts = rt.settings.public_url.startswith("https://")
    app.state.rt = rt
    return app
