"""Placeholder until built."""

from starlette.routing import BaseRoute


def routes() -> list[BaseRoute]:
    """No routes yet."""
    return []
