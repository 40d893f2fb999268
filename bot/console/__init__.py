"""The staff console."""

from starlette.routing import BaseRoute

__all__ = ["routes"]


def routes() -> list[BaseRoute]:
    """No routes yet."""
    return []
