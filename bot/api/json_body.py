"""The one reader of the API's request bodies: UTF-8 JSON, each object's keys given once.

JSON lets an object repeat a key and most parsers keep the last value, so an integrator whose system writes `phone`
twice would never hear of it: here an object's repeated keys are kept with it (`Repeated`), and the body's reader
(`bot.api.models`) names each one in its 422 with the item's other problems.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter, ValidationError

from bot.api.errors import ApiError, Problem

__all__ = ["Repeated", "decode", "repeated_problems"]

_BOM = b"\xef\xbb\xbf"
_JSON = TypeAdapter(Any)


class Repeated(dict[str, Any]):
    """A JSON object that gave some of its keys more than once: the last value of each, and those keys in order."""

    repeated: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object as json.loads builds it, remembering the keys it repeats (the usual object costs one dict)."""
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    repeated: dict[str, None] = {}
    for key, _ in pairs:
        if key in seen:
            repeated[key] = None
        seen.add(key)
    marked = Repeated(obj)
    marked.repeated = tuple(repeated)
    return marked


def repeated_problems(raw: Any, index: int | None = None) -> list[Problem]:
    """One problem for each key the object `raw` gives more than once (none for anything else)."""
    if not isinstance(raw, Repeated):
        return []
    return [Problem(f"{key} is given more than once: send each field once", key, index) for key in raw.repeated]


def _without_bom(body: bytes) -> bytes:
    """The body without the byte order mark Windows tools write before UTF-8 text (Notepad, PowerShell's
    `Out-File`): RFC 8259 lets a parser ignore it, and the CSV import does."""
    return body[len(_BOM) :] if body.startswith(_BOM) else body


def _not_json(exc: ValidationError, body: bytes) -> ApiError:
    """The 400 for a body the JSON parser refused: valid JSON nested deeper than the parser goes is said as such, a
    body in another encoding than UTF-8 (Windows-1252, UTF-16) too, and broken JSON with where the parser stopped."""
    for err in exc.errors(include_url=False, include_input=False):
        if err["type"] == "json_invalid":
            if not body.strip():
                return ApiError(400, "the body is empty: send the request's JSON object (see /api/v1/openapi.json)")
            where = str((err.get("ctx") or {}).get("error", ""))
            if "recursion limit" in where:
                return ApiError(400, "the body is nested too deeply")
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as bad:
                return ApiError(400, f"the body is not UTF-8 text (byte {bad.start}): send the JSON in UTF-8")
            return ApiError(400, f"the body is not valid JSON ({where})" if where else "the body is not valid JSON")
    return ApiError(400, "the body is not valid JSON")


def decode(body: bytes) -> Any:
    """The body's JSON value, its objects' repeated keys marked (`Repeated`); 400 saying why when it is no JSON.

    pydantic's parser judges the text first (strict UTF-8, no lone surrogate, a depth limit, the line and column of
    a fault); json.loads then builds the value, as only it tells an object's repeated keys.
    """
    body = _without_bom(body)
    try:
        _JSON.validate_json(body)
    except ValidationError as exc:
        raise _not_json(exc, body) from None
    return json.loads(body.decode("utf-8"), object_pairs_hook=_object)
