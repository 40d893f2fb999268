"""The API's refusals: one JSON shape for every 4xx and for a fault of its own, with every bad field and why."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from starlette.responses import JSONResponse

from bot.tenants.csv_rows import FIELDS, RowError

__all__ = [
    "EMPTY_REF",
    "ApiError",
    "Problem",
    "from_row_errors",
    "from_validation",
    "is_api_path",
    "json_response",
    "no_tenant",
    "server_error",
]


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

    def body(self) -> dict[str, Any]:
        """The refusal's JSON: why, and every problem found."""
        return {"error": self.message, "errors": self.problems}

    def response(self) -> JSONResponse:
        """The refusal as the client sees it."""
        return json_response(self.body(), self.status, self.headers)


# A tenant route's path with nothing after /tenants/ (a client's variable left empty).
EMPTY_REF = "tenant_ref in the path is empty: write it after /api/v1/tenants/"


def no_tenant(tenant_ref: str) -> ApiError:
    """The 404 for a tenant_ref no tenant (or only an erased one) has; an empty one says where it goes."""
    if not tenant_ref:
        return ApiError(404, EMPTY_REF, [Problem(EMPTY_REF, "tenant_ref")])
    return ApiError(404, f'there is no tenant "{tenant_ref}"')


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """JSON that no cache keeps (it may name a tenant)."""
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})})


def is_api_path(path: str) -> bool:
    """A path whose answers, an error's too, are JSON in the API's shape (the README promises that every refusal of
    the API is: a body too large, a fault of keephome's own)."""
    return path.startswith("/api/")


_SERVER_ERROR = (
    "keephome failed on its side (the error is in its log) and may not have carried out this request: "
    "send it again later; a write sent again with the same Idempotency-Key is not carried out twice"
)


def server_error() -> JSONResponse:
    """A fault of keephome's own under /api/, in the refusals' shape: what it means for the client, nothing of the
    fault itself (its traceback goes to the log)."""
    return ApiError(500, _SERVER_ERROR).response()


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
# What a list of a field holds, for its length's reason ("a list of at most 10000 tenants").
_ITEMS = {"tenants": "tenants"}
# pydantic's error types in plain words: one home for how a JSON value that does not fit a model is described.
# `{…}` names come from the error's context; a type not listed here gets `_FALLBACK`, never pydantic's own text
# (which may name an internal class).
_REASONS: dict[str, str] = {
    "missing": "is required",
    "extra_forbidden": "is not a field keephome knows",
    "string_type": "must be a JSON string",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be a JSON object",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "too_long": "must be a list of at most {max_length} {items} (got {actual_length})",
    "too_short": "must be a list of at least {min_length} {items} (got {actual_length})",
    "string_too_long": "must be at most {max_length} characters long",
    "string_too_short": "must be at least {min_length} characters long",
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be {ge} or more",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be {le} or less",
    "literal_error": "must be one of {expected}",
    "enum": "must be one of {expected}",
}
_FALLBACK = "is not a value keephome can take here (see /api/v1/openapi.json)"


def _unknown(field: str | None, known: Collection[str], read_only: Collection[str]) -> str:
    """Why a field is refused, with what to do: leave out one that only GET shows; the field meant, when its name
    is close to one the body takes."""
    if field in read_only:
        return "is shown by GET but not written by this request: leave it out"
    close = difflib.get_close_matches(field or "", sorted(known), n=1, cutoff=0.75)
    if close:
        return f"{_REASONS['extra_forbidden']}: did you mean {close[0]}?"
    return f"{_REASONS['extra_forbidden']} (the fields this request takes are in /api/v1/openapi.json)"


def _reason(kind: str, field: str | None, context: Mapping[str, Any]) -> str:
    """Why a value does not fit, in plain words, without the field's name."""
    if kind == "string_type" and field in _MONEY:
        return 'must be a JSON string with a decimal point, e.g. "7100.50" (never a number)'
    if kind == "string_type" and field is not None and field.endswith(_DAYS):
        return 'must be a JSON string, e.g. "2026-03-01"'
    words = _REASONS.get(kind, _FALLBACK)
    try:
        return words.format(items=_ITEMS.get(field or "", "items"), **context)
    except (KeyError, IndexError):  # a context without the values the words name
        return _FALLBACK


def from_validation(
    exc: ValidationError,
    *,
    index: int | None = None,
    known: Collection[str] = (),
    read_only: Collection[str] = (),
) -> list[Problem]:
    """pydantic's problems (a wrong JSON type, a missing or unknown field) in plain words; `index`: the bulk item
    they are in; `known`, the fields the body takes, and `read_only`, those GET shows that it does not take (for
    what an unknown field's reason suggests). Each reason begins with the field's name, as the CSV import's do."""
    problems: list[Problem] = []
    for err in exc.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in err["loc"]) or None
        if err["type"] == "extra_forbidden":
            reason = _unknown(field, known, read_only)
        else:
            reason = _reason(err["type"], field, err.get("ctx") or {})
        # No field: the value as a whole is wrong, the body or a bulk's item (which `index` names).
        subject = field or ("the item" if index is not None else "the body")
        problems.append(Problem(f"{subject} {reason}", field, index))
    return problems
