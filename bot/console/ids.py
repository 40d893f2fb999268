"""Numbers in console URLs and forms: only plain digits within the database's 64-bit ids are ever queried.

A number past 2**63 - 1 would reach the database driver and fail there (a 500); here it is simply not an id. An id in
an address with leading zeros (`/console/tasks/007/send`, typed or from a link another system padded) is the row
without them, read so by every route (`ROW_ID`), before anything reads it: the row's page, its work, and a refused
row form's place on its page (`send-7`, not `send-007`) agree.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.convertors import Convertor
from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from bot.console.web import FormError, NotFound, field_name
from bot.i18n import N_

__all__ = ["MAX_ID", "NOT_IDS", "ROW_ID", "id_from", "path_id", "read_row_ids", "whole_number"]

MAX_ID = 2**63 - 1
# The path parameters of console routes that name no row: a setup link's token, a chart's name.
NOT_IDS = frozenset({"token", "chart"})


class _RowId(Convertor[str]):
    """A path segment that names a row: digits without their leading zeros ("007" is "7"); anything else as written,
    for the route to say there is no such row (`path_id`)."""

    regex = "[^/]+"

    def convert(self, value: str) -> str:
        if value.isascii() and value.isdigit():
            return value.lstrip("0") or "0"
        return value

    def to_string(self, value: str) -> str:
        return str(value)


ROW_ID = _RowId()


def read_row_ids(routes: Iterable[BaseRoute]) -> list[BaseRoute]:
    """The routes, each reading every parameter of its path but `NOT_IDS` as a row id (`ROW_ID`): the one way the
    console reads an id in an address. The paths stay as written (`/console/tasks/{case_id}/send`)."""
    found = list(routes)
    for route in found:
        if isinstance(route, Route):
            for name in route.param_convertors.keys() - NOT_IDS:
                route.param_convertors[name] = ROW_ID
    return found


def id_from(raw: object) -> int | None:
    """A database id from text (ASCII digits, 1 … 2**63 - 1); None for anything else."""
    if not isinstance(raw, str) or not (0 < len(raw) <= 19) or not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None


def path_id(request: Request, name: str, missing: str) -> int:
    """The id in the path; `NotFound(missing)` (a 404) when it cannot be one."""
    found = id_from(request.path_params.get(name))
    if found is None:
        raise NotFound(missing)
    return found


def whole_number(raw: str, name: str, *, minimum: int = 0, maximum: int = MAX_ID) -> int:
    """A whole number from a query or form field; `FormError` (a 422) when it is not one in range."""
    text = raw.strip()
    if not (0 < len(text) <= 19) or not (text.isascii() and text.isdigit()) or not minimum <= int(text) <= maximum:
        raise FormError(
            N_("'%(name)s' must be a whole number from %(minimum)d to %(maximum)d"),
            name=field_name(name),
            minimum=minimum,
            maximum=maximum,
        )
    return int(text)
