"""Serving the ASGI app with uvicorn: what `keephome run` and `keephome demo` end with."""

from __future__ import annotations

import uvicorn

from bot.app import create_app
from bot.runtime import Runtime

__all__ = ["serve"]


async def serve(rt: Runtime) -> int:
    """Serve until stopped; the app's lifespan starts and stops the runtime (`bot.starter.running`)."""
    config = uvicorn.Config(
        create_app(rt),
        host=rt.settings.host,
        port=rt.settings.port,
        log_level="info",
        proxy_headers=True,
        access_log=False,
    )
    await uvicorn.Server(config).serve()
    return 0
