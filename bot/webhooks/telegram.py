"""`POST /webhooks/telegram`: check the secret, parse the Update, commit it through the inbox, answer.

Telegram sends an update again after any answer that is not 2xx, for hours: an update that can never be
stored is answered 200 and counted as rejected; a database that cannot commit now is answered 500, so
Telegram tries again later. The body's size is bounded before this runs (`bot.webhooks.limits`).
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import Bot, Update

from bot.inbound.telegram_updates import receive_update, telegram_bot
from bot.runtime import Runtime
from bot.webhooks.refusals import refused

__all__ = ["SECRET_HEADER", "WEBHOOK_PATH", "UpdateError", "parse_update", "routes"]

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# `keephome telegram set-webhook` registers KEEPHOME_PUBLIC_URL + this path.
WEBHOOK_PATH = "/webhooks/telegram"


class UpdateError(ValueError):
    """The body is not a Telegram Update; the message says why."""


# The fields PTB needs to read each kind of update keephome takes, and what each must be: one it lacks is a bare
# KeyError inside PTB, so they are checked first and the bad one named ("message.chat.id must be an integer"). A
# name ending in "?" may be left out.
_Fields = dict[str, "type | _Fields"]
_USER: _Fields = {"id": int, "is_bot": bool, "first_name": str}
_MESSAGE: _Fields = {"message_id": int, "date": int, "chat": {"id": int, "type": str}, "from?": _USER}
_UPDATES: _Fields = {
    "message?": _MESSAGE,
    "edited_message?": _MESSAGE,
    "callback_query?": {"id": str, "from": _USER, "chat_instance": str},
}
_KINDS = {int: "an integer", str: "a string", bool: "true or false"}


def _bad_field(data: dict[str, Any], fields: _Fields, path: str) -> str | None:
    """The first field of `fields` that `data` lacks or holds as the wrong kind, said with its path; None if none."""
    for key, kind in fields.items():
        name = key.removesuffix("?")
        where = f"{path}{name}"
        if name not in data:
            if name == key:
                return f"{where} is missing"
            continue
        value = data[name]
        if isinstance(kind, dict):
            if not isinstance(value, dict):
                return f"{where} must be an object"
            if (bad := _bad_field(value, kind, f"{where}.")) is not None:
                return bad
        elif not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            return f"{where} must be {_KINDS[kind]}"
    return None


def parse_update(data: Any, bot: Bot | None) -> Update:
    """Turn decoded JSON into an Update, or raise UpdateError with a clear reason naming the field."""
    if not isinstance(data, dict):
        raise UpdateError("the body must be a JSON object (a Telegram Update)")
    if not isinstance(data.get("update_id"), int) or isinstance(data.get("update_id"), bool):
        raise UpdateError("not a Telegram Update: update_id (an integer) is missing")
    if (bad := _bad_field(data, _UPDATES, "")) is not None:
        raise UpdateError(f"not a Telegram Update: {bad}")
    try:
        update = Update.de_json(data, bot)
    # A date past what the platform's clock holds raises OverflowError or OSError inside PTB.
    except KeyError as exc:  # a field deeper than those checked above
        raise UpdateError(f"not a Telegram Update: a field {exc.args[0]!r} is missing") from None
    except (TypeError, ValueError, AttributeError, RecursionError, OverflowError, OSError) as exc:
        raise UpdateError(f"not a Telegram Update: {type(exc).__name__} while reading it") from None
    return update


def _error(status: int, detail: str) -> Response:
    return JSONResponse({"error": detail}, status_code=status)


async def _webhook(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    settings = rt.settings
    if not settings.telegram_enabled or settings.telegram_mode != "webhook":
        return _error(404, "Telegram webhook is not enabled")
    given = request.headers.get(SECRET_HEADER, "").encode()
    if not settings.telegram_secret or not hmac.compare_digest(given, settings.telegram_secret.encode()):
        refused(
            rt.metrics,
            "telegram",
            "bad_secret",
            f"an update without the right {SECRET_HEADER} was refused (403): forged, or KEEPHOME_TELEGRAM_SECRET "
            "changed since `keephome telegram set-webhook` (run it again)",
        )
        return _error(403, f"missing or wrong {SECRET_HEADER}")
    try:
        data = json.loads(await request.body())
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return _malformed(rt, "the body is not valid JSON")
    except RecursionError:
        return _malformed(rt, "the body is JSON nested too deep")
    bot = telegram_bot(rt.channels)
    try:
        update = parse_update(data, bot)
    except UpdateError as exc:
        return _malformed(rt, str(exc))
    try:
        outcome = await receive_update(rt.inbox, bot, update)
    except Exception:
        log.exception("telegram update %s could not be committed; Telegram will send it again", update.update_id)
        refused(rt.metrics, "telegram", "error", "an update could not be stored (500): Telegram sends it again")
        return _error(500, "the update could not be stored now; send it again later")
    if outcome in ("rejected", "duplicate"):
        rt.metrics.inbound.labels("telegram", outcome).inc()
    log.debug("telegram update %s %s", update.update_id, outcome)
    return JSONResponse({"ok": True, "result": outcome})


def _malformed(rt: Runtime, why: str) -> Response:
    """A body with the right secret that is no Telegram update: 400, counted as the Twilio webhook counts its own
    (`result="malformed"`), so a Bot API server that changed its shape shows on /metrics."""
    rt.metrics.inbound.labels("telegram", "malformed").inc()
    return _error(400, why)


def routes() -> list[BaseRoute]:
    """The Telegram webhook route."""
    return [Route(WEBHOOK_PATH, _webhook, methods=["POST"])]
