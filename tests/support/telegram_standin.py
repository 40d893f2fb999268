"""A stand-in Bot API server on 127.0.0.1: answers like Telegram does and records every call."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["BOT_USER", "Call", "TelegramStandIn"]

BOT_USER = {
    "id": 123,
    "is_bot": True,
    "first_name": "Keephome",
    "username": "keephome_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}

FAILURES: dict[str, tuple[int, dict[str, Any]]] = {
    "blocked": (
        403,
        {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
    ),
    "bad_request": (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}),
}


def _set(event: asyncio.Event) -> asyncio.Event:
    event.set()
    return event


@dataclass(frozen=True)
class Call:
    """One request the bot made: the method and its decoded parameters."""

    method: str
    params: dict[str, Any]


@dataclass
class TelegramStandIn:
    """Serves `/bot<token>/<method>`; `fail_next` makes the next sends fail the way Telegram fails."""

    token: str = "123:ABC"
    calls: list[Call] = field(default_factory=list)
    # "blocked", "bad_request", a retry_after in seconds, "slow" (the message is delivered, the answer comes
    # after `slow_seconds`) or "reset" (the connection drops without an answer, nothing delivered)
    fail_next: list[str | int] = field(default_factory=list)
    slow_seconds: float = 2.0
    get_me_seconds: float = 0.0  # how long getMe takes to answer
    # While cleared, answerCallbackQuery is recorded and then waits, unanswered, until it is set (a slow Bot API).
    answers_go: asyncio.Event = field(default_factory=lambda: _set(asyncio.Event()))
    updates: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None
    delivered: list[dict[str, Any]] = field(default_factory=list)  # the messages sendMessage returned
    # A private chat numbers messages in both directions from one sequence; tests use small ids for theirs.
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(10_001))
    _new_update: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def api_url(self) -> str:
        """What KEEPHOME_TELEGRAM_API_URL is set to."""
        return f"http://127.0.0.1:{self.port}/bot"

    def calls_to(self, method: str) -> list[Call]:
        """The recorded calls of one method, oldest first."""
        return [c for c in self.calls if c.method == method]

    def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates (polling mode)."""
        self.updates.append(update)
        self._new_update.set()

    async def start(self) -> None:
        """Listen on 127.0.0.1 at `port`, or on a free port when it is 0."""
        app = web.Application()
        app.router.add_route("POST", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        """Close the server."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            data: dict[str, Any] = await request.json()
            return data
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            text = str(value)
            try:
                params[key] = json.loads(text)
            except ValueError:
                params[key] = text
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params = await self._params(request)
        self.calls.append(Call(method, params))
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        result = await (handler(params, request) if method == "sendMessage" else handler(params))
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    async def _m_getMe(self, params: dict[str, Any]) -> Any:
        await asyncio.sleep(self.get_me_seconds)
        return BOT_USER

    async def _m_sendMessage(self, params: dict[str, Any], request: web.Request) -> Any:
        failure = self.fail_next.pop(0) if self.fail_next else None
        if failure == "reset":
            assert request.transport is not None
            request.transport.abort()
            raise asyncio.CancelledError  # aiohttp stops handling a request whose connection is gone
        if failure == "slow":
            message = self._deliver(params)
            await asyncio.sleep(self.slow_seconds)
            return message
        if failure is not None:
            if isinstance(failure, int):
                body = {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {failure}",
                    "parameters": {"retry_after": failure},
                }
                return web.json_response(body, status=429)
            status, body = FAILURES[failure]
            return web.json_response(body, status=status)
        return self._deliver(params)

    def _deliver(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": 1767261600,
            "chat": {"id": chat_id, "type": "private", "first_name": "Tenant"},
            "from": {k: BOT_USER[k] for k in ("id", "is_bot", "first_name", "username")},
            "text": params["text"],
        }
        markup = params.get("reply_markup")
        if markup is None:
            self.delivered.append(message)
            return message
        # The chat shows any keyboard; the Message that Telegram returns has only an inline one (the Bot API's
        # Message.reply_markup is an InlineKeyboardMarkup).
        self.delivered.append({**message, "reply_markup": markup})
        return {**message, "reply_markup": markup} if "inline_keyboard" in markup else message

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        await self.answers_go.wait()
        return True

    async def _m_setWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), 0.2)
        ready = [u for u in self.updates if u["update_id"] >= offset]
        if not ready and wait > 0:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), wait)
            ready = [u for u in self.updates if u["update_id"] >= offset]
        # Telegram forgets updates below the offset once they are confirmed.
        self.updates = ready
        return ready
