"""The one reader of the API's request bodies: UTF-8 JSON, each object's keys given once.

JSON lets an object repeat a key and most parsers keep the last value, so an integrator whose system writes `phone`
twice would never hear of it: here an object's repeated keys are kept with it (`Repeated`), and the body's reader
(`bot.api.models`) names each one in its 422 with the item's other problems.
"""

from __future__ import annotations

import json
import re
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
                text = body.decode("utf-8")
            except UnicodeDecodeError as bad:
                return _not_utf8(body, bad.start)
            lone = _lone_surrogate(text, where)
            if lone is not None:
                return lone
            return ApiError(400, f"the body is not valid JSON ({where})" if where else "the body is not valid JSON")
    return ApiError(400, "the body is not valid JSON")


def _line_and_column(text: str, offset: int) -> str:
    """Where the character at `offset` of `text` is, as an editor counts: "line 2 column 5" (from 1)."""
    line, line_start = text.count("\n", 0, offset) + 1, text.rfind("\n", 0, offset) + 1
    return f"line {line} column {offset - line_start + 1}"


def _not_utf8(body: bytes, start: int) -> ApiError:
    """The 400 for a body that is not UTF-8 from byte `start`: where (the byte, its line and column) and the bytes;
    a UTF-16 surrogate written as UTF-8 bytes (CESU-8, Java's "modified UTF-8": 0xED 0xA0-0xBF …) is named so."""
    read = body[:start].decode("utf-8")
    second = body[start + 1 : start + 2]
    surrogate = body[start] == 0xED and second != b"" and 0xA0 <= second[0] <= 0xBF
    found = body[start : start + 3] if surrogate else body[start : start + 1]
    shown = " ".join(f"0x{byte:02X}" for byte in found)
    what = f"{shown}, a UTF-16 surrogate written as UTF-8, which is no character" if surrogate else shown
    return ApiError(
        400,
        f"the body is not UTF-8 text (byte {start}, {_line_and_column(read, start)}: {what}): send the JSON in UTF-8",
    )


# A JSON string's escape: `\\uXXXX` (its code in group 1) or a backslash and the character it escapes.
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)


def _lone_surrogate(text: str, where: str) -> ApiError | None:
    """The 400 for a `\\uD800`-`\\uDFFF` escape that is not half of a pair (a high one followed by a low one): it is
    no character, and the parser's words for it ("unexpected end of hex escape") say nothing of that. The parser
    stops at the first such escape, and so does this. None when the parser's fault (`where`) is another."""
    if "hex escape" not in where and "surrogate" not in where:
        return None
    pending: re.Match[str] | None = None  # a high half, waiting for its low half right after it
    lone: re.Match[str] | None = None
    for escape in _ESCAPE.finditer(text):
        code = int(escape.group(1), 16) if escape.group(1) else None
        low = code is not None and 0xDC00 <= code <= 0xDFFF
        if pending is not None:
            if low and escape.start() == pending.end():
                pending = None
                continue
            lone = pending
            break
        if code is not None and 0xD800 <= code <= 0xDBFF:
            pending = escape
        elif low:
            lone = escape
            break
    lone = lone or pending
    if lone is None:
        return None
    return ApiError(
        400,
        f"the body is not valid JSON (the escape {lone.group()} at {_line_and_column(text, lone.start())} is half of a "
        "UTF-16 surrogate pair, alone: it is no character; write the character itself in UTF-8, or both halves of "
        "its pair)",
    )


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
