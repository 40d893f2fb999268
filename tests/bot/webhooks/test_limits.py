"""Request bodies are bounded before a route reads them: declared or streamed, per route, and forms by fields."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message

from bot.app import create_app
from bot.runtime import Runtime
from bot.settings import Settings
from bot.store.schema import inbound
from bot.webhooks.limits import DEFAULT_LIMIT, ROUTE_LIMITS, BodyLimits, form_fields
from tests.conftest import make_settings, started_runtime
from tests.support.ids import message_sid
from tests.support.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, sign

PUBLIC = "https://keephome.example.org"
SMS_PATH = "/webhooks/twilio/sms"
KIB = 1024
MIB = 1024 * KIB
CHUNK = 64 * KIB


@dataclass
class Answer:
    """What the app answered one request, and how much of the body it took from the client."""

    status: int = 0
    headers: dict[bytes, bytes] = field(default_factory=dict)
    body: bytes = b""
    consumed: int = 0


def _chunks(total: int) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        size = min(CHUNK, total - sent)
        sent += size
        yield b"a" * size


async def call(
    app: ASGIApp, method: str, path: str, headers: dict[str, str], body: Iterator[bytes] | None = None
) -> Answer:
    """Drive the ASGI app as a server would, counting the body bytes the app takes (a client that streams)."""
    answer = Answer()
    body = body or iter(())
    finished = asyncio.Event()
    done_sending = False

    async def receive() -> Message:
        nonlocal done_sending
        if done_sending:
            await finished.wait()  # a server reports the disconnect only once the answer is out
            return {"type": "http.disconnect"}
        await asyncio.sleep(0)  # the client is slow: everyone else runs between two chunks
        chunk = next(body, None)
        if chunk is None:
            done_sending = True
            return {"type": "http.request", "body": b"", "more_body": False}
        answer.consumed += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = dict(message["headers"])
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")
            if not message.get("more_body", False):
                finished.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "client": ("203.0.113.7", 40000),
        "server": ("keephome.example.org", 443),
        "state": {},
    }
    await app(scope, receive, send)
    return answer


@pytest.fixture
def sms_on(sqlite_url: str) -> Settings:
    """SMS configured, so the Twilio route would read (and parse) whatever body reached it."""
    return make_settings(
        sqlite_url, twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN, twilio_from=FROM_NUMBER
    )


@pytest.fixture
async def rt(sms_on: Settings) -> AsyncIterator[Runtime]:
    async with started_runtime(sms_on) as runtime:
        yield runtime


async def stored(rt: Runtime) -> int:
    async with rt.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(inbound))).scalar_one())


FORM = {"content-type": "application/x-www-form-urlencoded"}


async def test_a_huge_login_form_and_a_huge_chunked_sms_are_refused_at_once_while_healthz_answers(rt: Runtime) -> None:
    app = create_app(rt)
    login = asyncio.create_task(
        call(app, "POST", "/console/login", {**FORM, "content-length": str(3_500_000)}, _chunks(3_500_000))
    )
    chunked = asyncio.create_task(
        call(app, "POST", SMS_PATH, {**FORM, "transfer-encoding": "chunked"}, _chunks(50 * 1000 * 1000))
    )
    health = await call(app, "GET", "/healthz", {})
    assert health.status == 200
    refused_login, refused_sms = await login, await chunked
    # The declared 3.5 MB are refused before a byte is read; the stream is cut off just past 64 KiB.
    assert (refused_login.status, refused_login.consumed) == (413, 0)
    assert refused_sms.status == 413
    assert 64 * KIB < refused_sms.consumed <= 64 * KIB + CHUNK
    for refused in (refused_login, refused_sms):
        assert refused.headers[b"connection"] == b"close"  # the server stops reading the rest
        assert b"too large" in refused.body
    assert await stored(rt) == 0


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        (SMS_PATH, 64 * KIB),
        ("/webhooks/telegram", 1 * MIB),
        ("/console/login", 64 * KIB),
        ("/api/v1/tenants/bulk", 40 * MIB),
        ("/simulator/api/send", DEFAULT_LIMIT.max_bytes),
    ],
)
async def test_each_route_takes_up_to_its_limit_and_not_a_byte_more(rt: Runtime, path: str, allowed: int) -> None:
    app = create_app(rt)
    headers = {"content-type": "application/octet-stream"}
    over = await call(app, "POST", path, {**headers, "content-length": str(allowed + 1)}, _chunks(allowed + 1))
    assert (over.status, over.consumed) == (413, 0)
    streamed = await call(app, "POST", path, {**headers, "transfer-encoding": "chunked"}, _chunks(allowed + 1))
    assert streamed.status == 413
    at_limit = await call(app, "POST", path, {**headers, "content-length": str(allowed)}, _chunks(allowed))
    # Whatever the route makes of it (a 400, 403 or 404 here), the body got through whole.
    assert at_limit.status != 413 and at_limit.consumed == allowed


async def test_a_signed_sms_sent_in_chunks_reaches_the_route_whole(rt: Runtime) -> None:
    form = {"AccountSid": ACCOUNT_SID, "MessageSid": message_sid(1), "From": "+4520123456", "Body": "hej"}
    headers = {**FORM, "X-Twilio-Signature": sign(PUBLIC + SMS_PATH, form)}
    content = urlencode(form).encode()

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(content), 7):
            yield content[start : start + 7]

    transport = httpx.ASGITransport(app=create_app(rt))
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as client:
        response = await client.post(SMS_PATH, content=pieces(), headers=headers)
    assert response.status_code == 200
    assert await stored(rt) == 1


async def test_forms_with_too_many_fields_are_refused_before_any_parser_sees_them(rt: Runtime) -> None:
    transport = httpx.ASGITransport(app=create_app(rt))
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as client:
        login = await client.post("/console/login", data={f"f{n}": "x" for n in range(60)})
        assert login.status_code == 413 and "too many fields" in login.text
        upload = await client.post("/console/login", files={f"f{n}": (f"{n}.txt", b"x") for n in range(60)})
        assert upload.status_code == 413 and "too many fields" in upload.text
        form = {"AccountSid": ACCOUNT_SID, "MessageSid": message_sid(1), "From": "+4520123456", "Body": "hej"}
        form.update({f"X{n}": "" for n in range(200)})
        sms = await client.post(SMS_PATH, data=form, headers={"X-Twilio-Signature": sign(PUBLIC + SMS_PATH, form)})
        assert sms.status_code == 413
    assert await stored(rt) == 0


def test_form_fields_are_counted_for_both_kinds_of_form() -> None:
    assert form_fields(b"application/x-www-form-urlencoded", b"") == 0
    assert form_fields(b"application/x-www-form-urlencoded; charset=utf-8", b"a=1&b=2&c=") == 3
    part = b'--xyz\r\nContent-Disposition: form-data; name="%s"\r\n\r\n1\r\n'
    body = part % b"a" + part % b"b" + b"--xyz--\r\n"
    assert form_fields(b'multipart/form-data; boundary="xyz"', body) == 2
    assert form_fields(b"application/json", b'{"a": 1, "b": 2}') == 0


def test_the_most_specific_route_prefix_decides() -> None:
    limits = BodyLimits(app=lambda scope, receive, send: None)  # type: ignore[arg-type,return-value]
    assert limits.limit_for("/webhooks/twilio/status") == dict(ROUTE_LIMITS)["/webhooks/twilio/"]
    assert limits.limit_for("/api/v1/tenants/bulk") == dict(ROUTE_LIMITS)["/api/v1/tenants/bulk"]
    assert limits.limit_for("/api/v1/tenants/T-1") == DEFAULT_LIMIT
