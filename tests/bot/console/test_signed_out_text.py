"""A form with typed text sent after the session ended (signed out in another tab, the session's hours over) does
nothing, and shows the text back as typed, to copy, with the sign-in that leads back to the case."""

from __future__ import annotations

import html
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from bot.runtime import Runtime
from bot.store.schema import case_events, outbox, staff_sessions
from tests.support.console import add_case, add_person, add_tenant, csrf_of, login, post_form, volunteers_may_see

# Typed, with what a page must not take for its own markup.
_TYPED = 'Hej Robin </textarea><script>alert("x")</script> & ring mig'


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
    # As typed, escaped: the text is in the read-only box, not in the page's markup.
    assert f'<textarea id="typed" readonly>{html.escape(_TYPED, quote=False)}</textarea>' in sent.text.replace(
        "&#34;", '"'
    )
    assert '<script>alert("x")' not in sent.text
    assert 'href="/console/login?next=' + page.replace("/", "%2F") + '" class="button" id="sign-in"' in sent.text
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
