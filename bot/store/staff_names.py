"""How the console names a staff member to another person: their name where one is set, their e-mail otherwise."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func

from bot.store.schema import staff

__all__ = ["staff_name"]


def staff_name(label: str = "name") -> ColumnElement[str]:
    """The staff member's name, or their e-mail where no name is set, as a column to select (labelled `label`)."""
    return func.coalesce(func.nullif(func.trim(staff.c.name), ""), staff.c.email).label(label)
