"""Numbers in console URLs and forms: only plain digits within the database's 64-bit ids are ever queried.

A number past 2**63 - 1 would reach the database driver and fail there (a 500); here it is simply not an id.
"""

from __future__ import annotations

from starlette.requests import Request

from bot.console.web import FormError, NotFound, field_name
from bot.i18n import N_

__all__ = ["MAX_ID", "id_from", "path_id", "whole_number"]

MAX_ID = 2**63 - 1


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
