"""The API's refusals: one JSON shape for every 4xx, with every bad field and its reason."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from starlette.responses import JSONResponse

from bot.tenants.csv_rows import FIELDS, RowError

__all__ = ["ApiError", "Problem", "from_row_errors", "from_validation", "json_response"]


class Problem(dict[str, Any]):
    """One bad field: `{"index": item or null, "field": name or null, "reason": text}`."""

    def __init__(self, reason: str, field: str | None = None, index: int | None = None) -> None:
        super().__init__(index=index, field=field, reason=reason)


class ApiError(Exception):
    """A request refused with `status`; the body says why and lists every problem found."""

    def __init__(
        self,
        status: int,
        message: str,
        problems: Sequence[Problem] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = list(problems)
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        """The refusal as the client sees it."""
        return json_response({"error": self.message, "errors": self.problems}, self.status, self.headers)


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """JSON that no cache keeps (it may name a tenant)."""
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})})


def _field_of(error: RowError) -> str | None:
    if error.column is not None:
        return error.column
    # Every reason the tenant checks give begins with the column it is about ("phone +45… belongs to …").
    first = error.reason.split(" ", 1)[0]
    return first if first in FIELDS else None


def from_row_errors(errors: Iterable[RowError], *, indexed: bool) -> list[Problem]:
    """The shared tenant checks' problems; `indexed` when `line` is an item's index in a bulk."""
    return [Problem(e.reason, _field_of(e), e.line if indexed else None) for e in errors]


_MONEY = ("monthly_rent", "balance", "amount")
_DAYS = ("_on", "_date", "_as_of")


def from_validation(exc: ValidationError, *, index: int | None = None) -> list[Problem]:
    """pydantic's problems (a wrong JSON type, a missing or unknown field); `index`: the bulk item they are in."""
    problems: list[Problem] = []
    for err in exc.errors(include_url=False, include_context=False, include_input=False):
        field = ".".join(str(part) for part in err["loc"]) or None
        reason = str(err["msg"])
        if err["type"] == "extra_forbidden":
            reason = "is not a field keephome knows"
        elif err["type"] == "string_type" and field in _MONEY:
            reason = 'must be a JSON string with a decimal point, e.g. "7100.50" (never a number)'
        elif err["type"] == "string_type" and field is not None and field.endswith(_DAYS):
            reason = 'must be a JSON string, e.g. "2026-03-01"'
        elif err["type"] == "string_type":
            reason = "must be a JSON string"
        problems.append(Problem(f"{field} {reason}" if field else reason, field, index))
    return problems
