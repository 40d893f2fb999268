"""Generated bodies against both webhooks (hypothesis), on SQLite and PostgreSQL.

Whatever arrives — signed Twilio forms with odd fields and values, unsigned or forged ones, bytes that are no
form, JSON of any shape, Telegram-like updates with lone surrogates, NUL, huge numbers and deep nesting, with or
without the secret — the webhook never answers 5xx (Telegram and Twilio would send it again and again); a
refused request stores nothing in `inbound`; an accepted message is stored once, as written, and sending it
again changes nothing. One runtime serves all the examples of a test: the counts are compared before and after
each request.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.app import create_app
from bot.inbound.inbox import clean_text
from bot.runtime import Clock, Runtime
from bot.store.schema import STATUS_RANK, inbound, messages, tenants
from bot.tenants.phones import e164
from bot.webhooks.telegram import SECRET_HEADER
from bot.webhooks.twilio import SMS_PATH, STATUS_PATH
from tests.conftest import make_settings, started_runtime
from tests.support.helpers import add_tenant
from tests.support.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, sign

PUBLIC = "https://keephome.example.org"
SECRET = "s3cret"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KNOWN_SID = "SM" + "5" * 32  # an outbound message the status callbacks can move
FORM = "application/x-www-form-urlencoded"
# Half the profile's examples per test and database: every example is a few requests through the whole app.
EXAMPLES = max(1, settings.default.max_examples // 2)
shared_runtime = settings(
    max_examples=EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


class FixedClock(Clock):
    """A clock that stands still."""

    def __call__(self) -> datetime:
        return START


@dataclass
class Edge:
    rt: Runtime
    http: httpx.AsyncClient


@pytest.fixture
async def edge(database_url: str) -> AsyncIterator[Edge]:
    """Both webhooks on (SMS and Telegram in webhook mode), in front of a runtime whose inbox commits each message
    alone (the group commit has a property of its own below)."""
    settings_ = make_settings(
        database_url,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from=FROM_NUMBER,
        telegram_token="123:ABC",
        telegram_secret=SECRET,
    )
    async with started_runtime(settings_, FixedClock()) as rt:
        tenant_id = await add_tenant(rt.db, "T-1", phone="+4520123456", now=START, today=START.date())
        async with rt.db.write() as conn:
            await conn.execute(
                messages.insert().values(
                    tenant_id=tenant_id,
                    direction="out",
                    channel="sms",
                    provider_id=KNOWN_SID,
                    text="Hej",
                    author="bot",
                    status="sent",
                    status_rank=STATUS_RANK["sent"],
                    created_at=START,
                    updated_at=START,
                )
            )
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(rt)), base_url=PUBLIC) as http:
            yield Edge(rt, http)


async def _count(rt: Runtime) -> int:
    async with rt.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(inbound))).scalar_one())


async def _stored(rt: Runtime, channel: str, provider_id: str) -> list[Any]:
    if provider_id != clean_text(provider_id):
        return []  # NUL or a lone surrogate: no database holds it (and PostgreSQL refuses to look for it)
    async with rt.db.read() as conn:
        query = select(inbound).where(inbound.c.channel == channel, inbound.c.provider_id == provider_id)
        return list((await conn.execute(query)).all())


async def _rows_of(rt: Runtime, table: Any) -> list[Any]:
    async with rt.db.read() as conn:
        return list((await conn.execute(select(table).order_by(table.c.id))).all())


# --- what generated text looks like --------------------------------------------------------------------------------

# Strings that have broken webhooks somewhere: NUL, lone surrogates, direction marks, BOMs, form syntax, escapes.
ODD = [
    "\x00", "\x00\x00", "\ud800", "\udfff", "a\ud83d", "\ud83d\ude00", "\u202e", "\u200f", "\ufeff", "\r\n", "%00",
    "%ZZ", "&", "=", "+", "é", "🙂", "\\", "'", '"', "<Response/>", "ﷺ", "\x7f", "\x1b[31m", "\U0010ffff", "STOP",
    "TILBAGEKALD", "/start", "/start abc", " ", "",
]  # fmt: skip
any_text = st.one_of(
    st.sampled_from(ODD),
    st.sampled_from([400, 1600, 70_000]).map(lambda n: "9" * n),  # long: a number, a text, past the body limit
    st.text(st.characters(exclude_categories=()), max_size=30),
    st.lists(st.sampled_from(ODD) | st.text(max_size=5), max_size=6).map("".join),
)
# What can travel in a UTF-8 form: everything but lone surrogates.
form_text = any_text.map(lambda s: s.encode("utf-8", "replace").decode("utf-8"))


def mostly(good: st.SearchStrategy[Any], *bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Good values three times in four, so that generated requests also get past the first check (one_of alone
    would pick each alternative about as often)."""
    worse = st.one_of(*bad)
    return st.integers(0, 3).flatmap(lambda n: worse if n == 3 else good)


valid_sid = st.binary(min_size=16, max_size=16).map(lambda b: "SM" + b.hex())
sids = mostly(
    valid_sid,
    st.sampled_from(["SM" + "0" * 32 + "\n", "sm" + "a" * 32, "MM" + "b" * 32, "SM" + "g" * 32, " SM" + "1" * 32, ""]),
    form_text,
)
phones = mostly(
    st.sampled_from(["+4520123456", "+4520000001", "+447700900123", "+15005550006", " +4520123456 "]),
    st.sampled_from(["004520123456", "+45 20 12 34 56", "+45", "+0", "+" + "9" * 30]),
    st.from_regex(r"\+[0-9]{1,20}", fullmatch=True),
    form_text,
)
field_names = st.one_of(
    st.sampled_from(["MessageSid", "From", "To", "Body", "NumMedia", "MediaUrl0", "ErrorCode", "SmsStatus", ""]),
    form_text,
)


@st.composite
def sms_forms(draw: st.DrawFn) -> dict[str, str]:
    """A form as Twilio sends it, or nearly: fields left out, odd values, extra fields."""
    form = draw(
        st.fixed_dictionaries(
            {"MessageSid": sids, "From": phones},
            optional={
                "AccountSid": st.just(ACCOUNT_SID),
                "To": st.just(FROM_NUMBER),
                "Body": form_text,
                "NumMedia": form_text,
            },
        )
    )
    extra = draw(st.dictionaries(field_names, form_text, max_size=4))
    return {**form, **extra} if draw(st.integers(0, 3)) == 0 else {**extra, **form}


def _encoded(form: Mapping[str, str]) -> bytes:
    return urlencode(list(form.items())).encode()


async def _post_form(edge: Edge, path: str, form: Mapping[str, str], signature: str | bytes | None) -> httpx.Response:
    headers: dict[str, str | bytes] = {"content-type": FORM}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    return await edge.http.post(path, content=_encoded(form), headers=headers)


TWILIO_FORM_LIMIT = 64 * 1024
# Examples past the body limit are meant; hypothesis only warns that printing them is long.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

# --- Twilio: inbound SMS -------------------------------------------------------------------------------------------


@shared_runtime
@given(form=sms_forms(), query=st.sampled_from(["", "?a=1", "?bodySHA256=x"]))
async def test_a_signed_sms_form_is_stored_once_or_refused_without_a_trace(
    edge: Edge, form: dict[str, str], query: str
) -> None:
    path = SMS_PATH + query
    sid = form.get("MessageSid", "").strip()
    before = await _count(edge.rt)
    had_it = bool(await _stored(edge.rt, "sms", sid))
    response = await _post_form(edge, path, form, sign(PUBLIC + path, form))
    assert response.status_code < 500, response.text
    event(f"answered {response.status_code} {response.text if response.status_code != 200 else ''}")
    if response.status_code != 200:
        # Refused: a form Twilio would never send (422), or a message no database can store (400).
        assert response.status_code in (400, 413, 422), response.text
        assert await _count(edge.rt) == before
        return
    [row] = await _stored(edge.rt, "sms", sid)
    assert await _count(edge.rt) == before + (0 if had_it else 1)
    body = form.get("Body")
    if not had_it:  # as the tenant wrote it (what no database can hold cleaned away), from their number
        assert row.text == (clean_text(body) if body else None)
        assert row.sender == e164(form["From"].strip(), region=None)
    again = await _post_form(edge, path, form, sign(PUBLIC + path, form))
    assert again.status_code == 200
    assert await _count(edge.rt) == before + (0 if had_it else 1)


TAMPERED = "signed, then the body changed"


def _forgeries(form: dict[str, str]) -> st.SearchStrategy[tuple[str, str | bytes | None]]:
    """Ways a request may not carry Twilio's signature of this form at the public URL."""
    url = PUBLIC + SMS_PATH
    return st.one_of(
        st.sampled_from(
            [
                ("no signature", None),
                ("empty", ""),
                ("another token", sign(url, form, token="e" * 32)),
                ("the internal URL", sign("http://127.0.0.1:8000" + SMS_PATH, form)),
                ("the status URL", sign(PUBLIC + STATUS_PATH, form)),
                (TAMPERED, sign(url, form)),
            ]
        ),
        st.tuples(
            st.just("junk"),
            st.text(st.characters(min_codepoint=1, max_codepoint=255), max_size=40).map(lambda s: s.encode("latin-1")),
        ),
    )


@shared_runtime
@given(data=st.data())
async def test_an_unsigned_or_forged_sms_form_meets_403_and_stores_nothing(edge: Edge, data: st.DataObject) -> None:
    form = data.draw(sms_forms(), label="form")
    kind, signature = data.draw(_forgeries(form), label="signature")
    sent = {**form, "Body": form.get("Body", "") + "!"} if kind == TAMPERED else form
    before = await _count(edge.rt)
    response = await _post_form(edge, SMS_PATH, sent, signature)
    event(kind)
    # A body past the Twilio limit is refused before anyone reads it, signature or not.
    expected = 413 if len(_encoded(sent)) > TWILIO_FORM_LIMIT else 403
    assert response.status_code == expected, (kind, response.status_code, response.text)
    assert await _count(edge.rt) == before


@shared_runtime
@given(
    body=st.binary(max_size=300) | st.text(max_size=100).map(lambda s: s.encode("utf-16")),
    content_type=st.sampled_from([FORM, "application/json", "text/plain", "multipart/form-data; boundary=x", ""]),
    path=st.sampled_from([SMS_PATH, STATUS_PATH]),
)
async def test_bytes_that_are_no_form_are_refused_and_store_nothing(
    edge: Edge, body: bytes, content_type: str, path: str
) -> None:
    before = await _count(edge.rt)
    known = await _rows_of(edge.rt, messages)
    signature = sign(PUBLIC + path, {})
    response = await edge.http.post(
        path, content=body, headers={"content-type": content_type, "X-Twilio-Signature": signature}
    )
    assert response.status_code < 500, response.text
    assert await _count(edge.rt) == before
    if response.status_code >= 400:
        assert await _rows_of(edge.rt, messages) == known


# --- Twilio: delivery status ---------------------------------------------------------------------------------------

statuses = mostly(
    st.sampled_from([*STATUS_RANK, "canceled", "accepted", "scheduled", "partially_delivered", "DELIVERED"]), form_text
)
error_codes = st.one_of(st.sampled_from(["30003", "21610", "0", "99999999999", "²", "٣", " 1", "-1"]), form_text)


@shared_runtime
@given(
    form=st.fixed_dictionaries(
        {"MessageSid": mostly(st.just(KNOWN_SID), sids), "MessageStatus": statuses},
        optional={"ErrorCode": error_codes, "AccountSid": st.just(ACCOUNT_SID), "SmsSid": sids},
    ),
    signed=mostly(st.just(True), st.just(False)),
)
async def test_status_callbacks_never_fail_move_only_forward_and_a_refused_one_changes_nothing(
    edge: Edge, form: dict[str, str], signed: bool
) -> None:
    before_inbound = await _count(edge.rt)
    before_messages = await _rows_of(edge.rt, messages)
    before_tenants = await _rows_of(edge.rt, tenants)
    signature = sign(PUBLIC + STATUS_PATH, form) if signed else sign(PUBLIC + SMS_PATH, form)
    response = await _post_form(edge, STATUS_PATH, form, signature)
    assert response.status_code < 500, response.text
    event(f"answered {response.status_code}" + (f" {response.text}" if response.status_code == 422 else ""))
    assert await _count(edge.rt) == before_inbound  # a callback is no inbound message
    if response.status_code != 200:
        refusals = (400, 413, 422) if signed else (403,) if len(_encoded(form)) <= TWILIO_FORM_LIMIT else (413,)
        assert response.status_code in refusals, response.text
        assert await _rows_of(edge.rt, messages) == before_messages
        assert await _rows_of(edge.rt, tenants) == before_tenants
        return
    # Late, repeated or out of order: a message's status only moves up its ladder.
    ranks = {row.id: row.status_rank for row in await _rows_of(edge.rt, messages)}
    for row in before_messages:
        assert ranks[row.id] >= row.status_rank


# --- Telegram ------------------------------------------------------------------------------------------------------

huge_ints = st.one_of(
    st.integers(-(2**63), 2**63),
    st.sampled_from([0, -1, 2**31, 2**53 + 1, 2**63, 2**64 + 7, 10**40, -(10**100)]),
    st.integers(-(10**60), 10**60),
)
KEYS = [
    "update_id", "message", "edited_message", "callback_query", "channel_post", "chat", "from", "text", "id", "type",
    "message_id", "date", "contact", "user_id", "phone_number", "data", "is_bot", "first_name", "sticker", "entities",
]  # fmt: skip
json_values = st.recursive(
    st.none() | st.booleans() | huge_ints | st.floats() | any_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(KEYS) | any_text, children, max_size=5)
    ),
    max_leaves=25,
)


def _json_body(value: Any, depth: int = 0) -> bytes:
    """JSON text (lone surrogates as \\ud800 escapes, as a sender may write them); nested `depth` lists deep."""
    text = json.dumps(value, ensure_ascii=True, allow_nan=True)
    if depth and text.startswith("{") and text != "{}":
        text = text[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}"
    return text.encode()


@st.composite
def telegram_updates(draw: st.DrawFn) -> tuple[dict[str, Any], str | None, str | None]:
    """A Telegram-like update, its provider id when it carries a message of a private chat, and the text it says."""
    chat_id = draw(mostly(st.integers(1, 2**40), huge_ints))
    message_id = draw(mostly(st.integers(1, 2**31), huge_ints))
    chat_type = draw(mostly(st.just("private"), st.sampled_from(["group", "supergroup", "channel", "", "secret"])))
    sender = {"id": chat_id, "is_bot": draw(mostly(st.just(False), st.just(True))), "first_name": draw(any_text)}
    message: dict[str, Any] = {
        "message_id": message_id,
        "from": sender,
        "chat": {"id": chat_id, "type": chat_type, "first_name": draw(any_text)},
        "date": draw(mostly(st.just(1767261600), st.sampled_from([0, -1]), huge_ints)),
    }
    kind = draw(st.sampled_from(["text", "start", "contact", "sticker", "callback", "edited", "nothing"]))
    text: str | None = None
    if kind == "text":
        text = draw(any_text)
        message["text"] = text
    elif kind == "start":
        message["text"] = "/start " + draw(any_text)
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": 6}]
    elif kind == "contact":
        message["contact"] = {"phone_number": draw(phones | any_text), "first_name": "X", "user_id": draw(huge_ints)}
    elif kind == "sticker":
        message["sticker"] = {"file_id": "f", "file_unique_id": "u", "type": "regular", "width": 1, "height": 1}
        message["sticker"].update({"is_animated": False, "is_video": False})
    update: dict[str, Any] = {"update_id": draw(mostly(st.integers(1, 2**31), huge_ints))}
    if kind == "callback":
        query_id = draw(any_text)
        update["callback_query"] = {
            "id": query_id,
            "from": sender,
            "chat_instance": "-42",
            "data": draw(any_text),
            "message": message,
        }
        private = chat_type == "private"
        return update, (f"cb:{clean_text(query_id)}" if private else None), None
    if kind == "edited":
        update["edited_message"] = {**message, "edit_date": 1767261660}
        return update, None, None
    update["message"] = message
    stored = chat_type == "private" and not sender["is_bot"]
    return update, (f"{chat_id}:{message_id}" if stored else None), text


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place inside nested dicts and lists."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*prefix, index))
    return found


@st.composite
def mangled_updates(draw: st.DrawFn) -> dict[str, Any]:
    """A Telegram-like update with a few fields replaced by JSON of any shape (a text that is a number, an id that
    is a list, a chat that is a string, ...) or removed."""
    update = draw(telegram_updates())[0]
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(update)
        if not paths:
            break
        *parents, last = draw(st.sampled_from(paths))
        holder = update
        for step in parents:
            holder = holder[step]
        if isinstance(holder, dict) and draw(st.integers(0, 4)) == 0:
            del holder[last]
        else:
            holder[last] = draw(json_values)
    return update


async def _post_update(edge: Edge, body: bytes, secret: str | None = SECRET) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    return await edge.http.post("/webhooks/telegram", content=body, headers=headers)


async def _stored_once_or_not_at_all(edge: Edge, response: httpx.Response, before: int) -> str:
    """What became of an update the webhook answered; checks the rows agree with the answer."""
    assert response.status_code in (200, 400), response.text
    after = await _count(edge.rt)
    if response.status_code == 400:
        assert after == before
        return "refused"
    result = response.json()["result"]
    assert result in ("stored", "duplicate", "ignored", "rejected")
    assert after - before == (1 if result == "stored" else 0)
    return str(result)


def _text_update(**message: Any) -> dict[str, Any]:
    base = {"message_id": 7, "chat": {"id": 777001, "type": "private"}, "date": 1767261600, "text": "hej"}
    return {"update_id": 9, "message": {**base, **message}}


# Found by this property once (each answered 500 before): kept as examples that always run.
FOUND = [
    _text_update(date=10**20),  # a date past the platform's clock
    _text_update(text=["hej"]),  # a text that is no string
    _text_update(chat=None),  # a message without its chat
    _text_update(chat={"id": [1], "type": "private"}),  # a chat id that is no number
    {"update_id": 9, "callback_query": {"id": 5, "from": {"id": 1, "is_bot": False, "first_name": "A"}, "data": "x",
                                        "chat_instance": "1"}},  # a callback query id that is no string
]  # fmt: skip


def _with_found(test: Any) -> Any:
    for found in reversed(FOUND):
        test = example(value=found, depth=0)(test)
    return test


@shared_runtime
@_with_found
@given(value=st.one_of(json_values, mangled_updates()), depth=st.sampled_from([0, 0, 0, 50, 999, 5000, 100_000]))
async def test_json_of_any_shape_never_fails_and_stores_at_most_one_message(edge: Edge, value: Any, depth: int) -> None:
    before = await _count(edge.rt)
    body = _json_body(value, depth)
    response = await _post_update(edge, body)
    assert response.status_code < 500, response.text
    outcome = await _stored_once_or_not_at_all(edge, response, before)
    event(outcome)
    if outcome == "stored":
        stored = await _count(edge.rt)
        assert (await _post_update(edge, body)).status_code == 200
        assert await _count(edge.rt) == stored


@shared_runtime
@given(generated=telegram_updates(), depth=st.sampled_from([0, 0, 0, 20, 5000]))
async def test_a_telegram_like_update_is_stored_once_as_written_or_not_at_all(
    edge: Edge, generated: tuple[dict[str, Any], str | None, str | None], depth: int
) -> None:
    update, provider_id, text = generated
    before = await _count(edge.rt)
    had_it = provider_id is not None and bool(await _stored(edge.rt, "telegram", provider_id))
    body = _json_body(update, depth)
    response = await _post_update(edge, body)
    assert response.status_code < 500, response.text
    outcome = await _stored_once_or_not_at_all(edge, response, before)
    event(outcome)
    if outcome != "stored":
        return
    assert provider_id is not None, "only a message of a private chat, from a person, is stored"
    [row] = await _stored(edge.rt, "telegram", provider_id)
    if not had_it and text is not None:
        assert row.text == clean_text(text)
    stored = await _count(edge.rt)
    assert (await _post_update(edge, body)).json()["result"] == "duplicate"  # sent again: answered, not stored again
    assert await _count(edge.rt) == stored


@shared_runtime
@given(
    body=st.one_of(
        json_values.map(_json_body), telegram_updates().map(lambda g: _json_body(g[0])), st.binary(max_size=200)
    ),
    secret=st.one_of(
        st.none(),
        st.sampled_from(["", "s3cre", "s3cret ", "S3CRET", "s3cret\x00", "s3cretx"]),
        st.text(max_size=20).filter(lambda s: s != SECRET),
    ),
)
async def test_without_the_secret_every_update_meets_403_and_stores_nothing(
    edge: Edge, body: bytes, secret: str | None
) -> None:
    before = await _count(edge.rt)
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret.encode("utf-8", "surrogatepass")  # type: ignore[assignment]
    response = await edge.http.post("/webhooks/telegram", content=body, headers=headers)
    assert response.status_code == 403, response.text
    assert await _count(edge.rt) == before


# --- one group commit, many neighbours -----------------------------------------------------------------------------


@shared_runtime
@given(
    forms=st.lists(sms_forms(), min_size=1, max_size=8),
    updates=st.lists(telegram_updates(), max_size=8),
)
async def test_in_one_group_commit_every_good_message_is_stored_whatever_its_neighbours(
    edge: Edge, forms: list[dict[str, str]], updates: list[tuple[dict[str, Any], str | None, str | None]]
) -> None:
    """Posted at once, the messages share a group commit: poison among them (NUL, surrogates, a number too long
    for its column) never fails the others — every one answered 200 "stored" is there, once."""
    candidates = {("sms", form.get("MessageSid", "").strip()) for form in forms}
    candidates |= {("telegram", provider_id) for _, provider_id, _ in updates if provider_id is not None}
    had = {key for key in candidates if await _stored(edge.rt, *key)}
    await edge.rt.inbox.start()
    try:
        before = await _count(edge.rt)
        answers = await asyncio.gather(
            *(_post_form(edge, SMS_PATH, form, sign(PUBLIC + SMS_PATH, form)) for form in forms),
            *(_post_update(edge, _json_body(update)) for update, _, _ in updates),
        )
    finally:
        await edge.rt.inbox.stop()
    assert all(a.status_code < 500 for a in answers), [a.text for a in answers if a.status_code >= 500]
    accepted: set[tuple[str, str]] = set()
    for form, answer in zip(forms, answers[: len(forms)], strict=True):
        if answer.status_code == 200:
            accepted.add(("sms", form.get("MessageSid", "").strip()))
    for (_, provider_id, _), answer in zip(updates, answers[len(forms) :], strict=True):
        if answer.status_code == 200 and answer.json()["result"] == "stored":
            assert provider_id is not None
            accepted.add(("telegram", provider_id))
    event(f"{len(accepted)} of {len(answers)} stored")
    for channel, provider_id in accepted:
        assert len(await _stored(edge.rt, channel, provider_id)) == 1
    assert await _count(edge.rt) - before == len(accepted - had)
