"""The REST API for the housing organisation's systems, under /api/v1 (see `bot/api/app.py`)."""

from __future__ import annotations

from starlette.routing import BaseRoute

__all__ = ["routes"]


def routes() -> list[BaseRoute]:
    """The API's routes; the app mounts them next to the console."""
    from bot.api import app

    return app.routes()
