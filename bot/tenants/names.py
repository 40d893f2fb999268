"""How messages and the console name a tenant: by first name only."""

from __future__ import annotations

__all__ = ["first_name"]


def first_name(name: str) -> str:
    """The first word of a tenant's name, as messages greet them."""
    words = name.split()
    return words[0] if words else name
