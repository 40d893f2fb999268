"""A form with typed text sent after the session ended (signed out in another tab, the session's hours over) does
nothing, and shows the text back as typed, to copy, with the sign-in that leads back to the case."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from bot.runtime import Runtime
from bot.store.schema import case_events, outbox, staff_sessions
from tests.bot.console.test_volunteer import with_task
from tests.support.console import (
    PASSWORD,
    add_case,
    add_person,
    add_tenant,
    case_row,
    csrf_of,
    form_nonce_of,
    login,
    post_form,
    volunteers_may_see,
)

# Typed, with what a page must not take for its own markup.
_TYPED = 'Hej Robin </textarea><script>alert("x")</script> & ring mig'


def _kept_in(page: str) -> str:
    """The text in the page's read-only box of typed text (its first line break after the tag is not the text's)."""
    found = re.search(r'<textarea id="typed"[^>]*>\n?(.*?)</textarea>', page, re.S)
    assert found is not None, page
    return html.unescape(found.group(1))


def _hidden(page: str, name: str) -> str:
    found = re.search(r'<input type="hidden" name="' + name + r'" value="([^"]*)">', page)
    assert found is not None, (name, page)
    return html.unescape(found.group(1))


async def _case_page_then_signed_out(rt: Runtime, client: httpx.AsyncClient, how: str) -> tuple[str, str]:
    """A case taken by a signed-in adviser, its page open (the form's token read), then the session ended `how`."""
    tenant = await add_tenant(rt, "R-1", phone="+4520000001")
    case_id = await add_case(rt, tenant)
    await volunteers_may_see(rt, case_id)
    await add_person(rt, "adviser@example.org", "adviser")
    assert (await login(client, "adviser@example.org")).status_code == 303
    page = f"/console/cases/{case_id}"
    await post_form(client, page, f"{page}/take", {})
    token = csrf_of((await client.get(page)).text)
    if how == "another tab":
        other = httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url), cookies=client.cookies)
        async with other:
            assert (await post_form(other, page, "/console/logout", {})).status_code == 303
    else:  # the session's hours are over
        async with rt.db.write() as conn:
            await conn.execute(update(staff_sessions).values(expires_at=rt.clock() - timedelta(seconds=1)))
    return page, token


@pytest.mark.parametrize("how", ["another tab", "hours over"])
@pytest.mark.parametrize(
    ("action", "field"), [("reply", "text"), ("note", "text"), ("task", "task"), ("close", "note")]
)
async def test_typed_text_is_shown_back_when_the_session_ended(
    runtime: Runtime, client: httpx.AsyncClient, how: str, action: str, field: str
) -> None:
    page, token = await _case_page_then_signed_out(runtime, client, how)
    sent = await client.post(f"{page}/{action}", data={field: _TYPED, "nonce": "n-1", "csrf_token": token})
    assert sent.status_code == 403
    assert "Your session has ended" in sent.text and "nothing was sent or saved" in sent.text
    # As typed, escaped: the text is in the read-only box, not in the page's markup; signing in is there, back to the
    # case page.
    assert _kept_in(sent.text) == _TYPED
    assert '<script>alert("x")' not in sent.text
    assert f'<input type="hidden" name="next" value="{page}">' in sent.text
    async with runtime.db.read() as conn:
        assert (await conn.execute(select(outbox.c.id).where(outbox.c.template == "case.reply"))).first() is None
        notes = select(func.count()).select_from(case_events).where(case_events.c.kind == "note")
        assert (await conn.execute(notes)).scalar() == 0


async def test_a_form_without_typed_text_only_leads_to_the_sign_in(runtime: Runtime, client: httpx.AsyncClient) -> None:
    page, token = await _case_page_then_signed_out(runtime, client, "another tab")
    released = await client.post(f"{page}/release", data={"csrf_token": token, "text": _TYPED})
    assert released.status_code == 403 and "Sign in first." in released.text and 'id="typed"' not in released.text
    empty = await client.post(f"{page}/reply", data={"csrf_token": token, "text": "  "})
    assert empty.status_code == 403 and "Sign in first." in empty.text and 'id="typed"' not in empty.text


async def test_a_volunteers_and_a_consent_forms_typed_text_is_shown_back_when_the_session_ended(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Why a task needs an adviser (a volunteer's words) and a signed form's wording (copied from paper) are typed
    too: after the session ended each is shown back to copy, and nothing is done."""
    page, token = await _case_page_then_signed_out(runtime, client, "hours over")
    case_id = page.rsplit("/", 1)[1]
    for action, field in ((f"/console/tasks/{case_id}/needs-adviser", "why"), (f"{page}/consents/record", "wording")):
        sent = await client.post(action, data={field: _TYPED, "csrf_token": token})
        assert sent.status_code == 403 and "Your session has ended" in sent.text, action
        assert html.escape(_TYPED, quote=False) in sent.text.replace("&#34;", '"'), action


def _sign_in_again(answer: httpx.Response, email: str, **changed: str) -> dict[str, str]:
    """The signed-out page's sign-in form filled in by `email`, as the page gives it (with `changed` fields)."""
    fields = {name: _hidden(answer.text, name) for name in ("csrf_token", "next", "kept_form", "kept_seal")}
    return {**fields, "kept_text": _kept_in(answer.text), "email": email, "password": PASSWORD, **changed}


def _box(page: str, form_id: str, name: str) -> str:
    """What the field `name` of the form `form_id` holds on the page (a box's text, an input's value)."""
    form = re.search(r'<form[^>]*\bid="' + form_id + r'"[^>]*>(.*?)</form>', page, re.S)
    assert form is not None, page
    box = re.search(r'<textarea[^>]*name="' + name + r'"[^>]*>\n?(.*?)</textarea>', form.group(1), re.S)
    if box is None:
        box = re.search(r'<input[^>]*name="' + name + r'"[^>]*value="([^"]*)"', form.group(1))
    assert box is not None, form.group(1)
    return html.unescape(box.group(1))


@pytest.mark.parametrize(
    ("action", "form_id", "field"),
    [
        ("reply", "reply-form", "text"),
        ("note", "add-note", "text"),
        ("task", "give-task", "task"),
        ("close", "close-case", "note"),
        ("consents/record", "record-consent", "wording"),
    ],
)
async def test_signing_in_again_puts_the_typed_text_back_into_its_box(
    runtime: Runtime, client: httpx.AsyncClient, action: str, form_id: str, field: str
) -> None:
    """After the session ended, signing in again from the page that showed the text back led to an empty box: the
    adviser copied the text by hand. Now the case page opens with the text in the box it came from, and nothing sent."""
    typed = _TYPED + "\r\nLine two"
    await add_person(runtime, "volunteer@example.org", "volunteer")  # a task is given to one
    page, token = await _case_page_then_signed_out(runtime, client, "hours over")
    sent = await client.post(f"{page}/{action}", data={field: typed, "nonce": "n-1", "csrf_token": token})
    assert sent.status_code == 403 and 'id="sign-in-again"' in sent.text
    again = await client.post("/console/login", data=_sign_in_again(sent, "adviser@example.org"))
    assert again.status_code == 200, again.text
    assert again.cookies.get("keephome_session")
    assert f'<main id="main" tabindex="-1" data-address="{page}">' in again.text
    assert _box(again.text, form_id, field).replace("\r\n", "\n") == typed.replace("\r\n", "\n")
    assert f'<p class="notice" role="alert" id="{form_id}-error"' in again.text
    assert '<script>alert("x")' not in again.text
    async with runtime.db.read() as conn:
        assert (await conn.execute(select(outbox.c.id).where(outbox.c.template == "case.reply"))).first() is None
        notes = select(func.count()).select_from(case_events).where(case_events.c.kind.in_(("note", "task")))
        assert (await conn.execute(notes)).scalar() == 0
    # Signed in: the form sent from the page it came back on does what it says, once.
    if action == "reply":
        nonce = form_nonce_of(again.text, f"{page}/reply") or ""
        filled = {"text": "Hej Robin, ring mig", "nonce": nonce, "csrf_token": csrf_of(again.text)}
        assert (await client.post(f"{page}/reply", data=filled)).status_code == 303
        async with runtime.db.read() as conn:
            replies = select(func.count()).select_from(outbox).where(outbox.c.template == "case.reply")
            assert (await conn.execute(replies)).scalar() == 1


async def test_the_typed_text_comes_back_only_to_the_one_who_typed_it(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Someone else signing in at that browser gets their own start, not the text; a text changed in the page's form is
    not put back either (the sign-in leads to the page, the box empty)."""
    page, token = await _case_page_then_signed_out(runtime, client, "another tab")
    sent = await client.post(f"{page}/note", data={"text": _TYPED, "csrf_token": token})
    await add_person(runtime, "colleague@example.org", "adviser")
    other = await client.post("/console/login", data=_sign_in_again(sent, "colleague@example.org"))
    assert other.status_code == 303 and other.headers["location"] == page
    assert "Robin" not in (await client.get(page)).text
    changed = await client.post(
        "/console/login", data=_sign_in_again(sent, "adviser@example.org", kept_text="Something else")
    )
    assert changed.status_code == 303 and changed.headers["location"] == page
    shown = (await client.get(page)).text
    assert "Something else" not in shown and "Robin" not in shown


async def test_a_volunteer_signing_in_again_gets_their_reason_back_at_the_task(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Why a task needs an adviser, typed by a volunteer whose session ended, comes back at that task on their list."""
    me = await add_person(runtime, "volunteer@example.org", "volunteer")
    _, case_id = await with_task(runtime, me)
    await login(client, "volunteer@example.org")
    token = csrf_of((await client.get("/console/tasks")).text)
    async with runtime.db.write() as conn:
        await conn.execute(update(staff_sessions).values(expires_at=runtime.clock() - timedelta(seconds=1)))
    sent = await client.post(f"/console/tasks/{case_id}/needs-adviser", data={"why": _TYPED, "csrf_token": token})
    assert sent.status_code == 403 and 'id="sign-in-again"' in sent.text
    again = await client.post("/console/login", data=_sign_in_again(sent, "volunteer@example.org"))
    assert again.status_code == 200 and 'data-address="/console/tasks"' in again.text
    assert _box(again.text, f"needs-adviser-{case_id}", "why") == _TYPED
    assert (await case_row(runtime, case_id)).status == "volunteer"  # not handed back: nothing was done
