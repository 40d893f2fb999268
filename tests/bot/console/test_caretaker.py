"""The caretaker sees a tenant's first name, address and the task — no amounts, no history, no messages — every
view audited, 403 everywhere else, like the volunteer; the postcard they print keeps the SMS rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
from sqlalchemy import insert, select, update

from bot.cli.check import run_check
from bot.console.messaging import sms_warnings
from bot.paths import TEMPLATES_DIR
from bot.runtime import Runtime
from bot.store.schema import audit_log, case_tasks, messages, tenants
from tests.support.console import (
    add_case,
    add_person,
    add_tenant,
    case_row,
    login,
    post_form,
    posted_twice,
    without_tokens,
)


async def with_knock(
    rt: Runtime, ref: str = "R-1", *, assignee: int | None = None, kind: str = "knock"
) -> tuple[int, int, int]:
    phone = "+4520000001" if ref == "R-1" else "+4520000002"
    tenant = await add_tenant(rt, ref, name="Beta Tenant", phone=phone, balance_ore=1234500)
    case_id = await add_case(rt, tenant)
    at = rt.clock()
    async with rt.db.write() as conn:
        await conn.execute(update(tenants).where(tenants.c.id == tenant).values(address="Byvej 12, 1. th."))
        await conn.execute(
            insert(messages).values(
                tenant_id=tenant,
                case_id=case_id,
                direction="in",
                channel="sms",
                author="tenant",
                status="received",
                status_rank=0,
                proactive=False,
                text="Jeg har mistet mit job",
                created_at=at,
                updated_at=at,
            )
        )
        task = (
            await conn.execute(
                insert(case_tasks)
                .values(
                    case_id=case_id,
                    tenant_id=tenant,
                    kind=kind,
                    status="open",
                    assignee_id=assignee,
                    created_at=at,
                    updated_at=at,
                )
                .returning(case_tasks.c.id)
            )
        ).scalar_one()
    return tenant, case_id, int(task)


async def test_a_caretaker_sees_first_name_address_and_the_task_only(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    me = await add_person(runtime, "caretaker@example.org", "caretaker")
    other = await add_person(runtime, "other@example.org", "caretaker")
    _, _, mine = await with_knock(runtime)
    await with_knock(runtime, "R-2", assignee=other)
    response = await login(client, "caretaker@example.org")
    assert response.headers["location"] == "/console/visits"
    assert (await client.get("/console/", follow_redirects=False)).headers["location"] == "/console/visits"
    page = without_tokens((await client.get("/console/visits")).text)
    assert "Beta" in page and "Byvej 12, 1. th." in page
    assert page.count('class="card visit"') == 1 and f'data-task="{mine}"' in page
    for secret in ("Beta Tenant", "12.345", "+4520000001", "R-1", "wants to talk", "mistet", "job"):
        assert secret not in page
    async with runtime.db.read() as conn:
        audited = (
            await conn.execute(select(audit_log.c.actor, audit_log.c.detail).where(audit_log.c.action == "visits.view"))
        ).all()
    assert [tuple(a) for a in audited] == [(f"staff:{me}", f"task:{mine}")]


@pytest.mark.parametrize(
    "path",
    [
        "/console/cases/{case}",
        "/console/cases/{case}/messages.json",
        "/console/tenants/{tenant}",
        "/console/tenants?ref=R-1",
        "/console/tasks",
        "/console/outcomes",
        "/console/audit",
        "/console/staff",
        "/console/admin",
        "/console/data",
    ],
)
async def test_a_caretaker_gets_403_for_case_and_tenant_urls(
    runtime: Runtime, client: httpx.AsyncClient, path: str
) -> None:
    await add_person(runtime, "caretaker@example.org", "caretaker")
    tenant, case_id, _ = await with_knock(runtime)
    await login(client, "caretaker@example.org")
    response = await client.get(path.format(case=case_id, tenant=tenant))
    assert response.status_code == 403
    assert "12.345" not in response.text and "+4520000001" not in response.text


async def test_a_caretaker_cannot_post_case_actions(runtime: Runtime, client: httpx.AsyncClient) -> None:
    await add_person(runtime, "caretaker@example.org", "caretaker")
    _, case_id, task = await with_knock(runtime)
    await login(client, "caretaker@example.org")
    for action, data in (
        ("close", {"outcome": "paid"}),
        ("contact", {}),
        ("step", {"task_id": str(task), "outcome": "reached"}),
    ):
        response = await post_form(client, "/console/visits", f"/console/cases/{case_id}/{action}", data)
        assert response.status_code == 403
    assert (await case_row(runtime, case_id)).status == "waiting"


async def test_a_visit_given_to_another_caretaker_is_not_found(runtime: Runtime, client: httpx.AsyncClient) -> None:
    await add_person(runtime, "caretaker@example.org", "caretaker")
    other = await add_person(runtime, "other@example.org", "caretaker")
    _, _, theirs = await with_knock(runtime, assignee=other)
    await login(client, "caretaker@example.org")
    response = await post_form(client, "/console/visits", f"/console/visits/{theirs}/reached", {})
    assert response.status_code == 404
    assert (await client.get(f"/console/visits/{theirs}/postcard")).status_code == 404


async def test_the_postcard_prints_in_the_tenants_language_and_is_audited(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    await add_person(runtime, "caretaker@example.org", "caretaker")
    _, _, card = await with_knock(runtime, kind="postcard")
    await login(client, "caretaker@example.org")
    page = await client.get(f"/console/visits/{card}/postcard")
    assert page.status_code == 200
    assert "Hej Beta" in page.text and "Byvej 12, 1. th." in page.text
    # Printed, the number is written as it is dialled from paper (+4570000000 as 70 00 00 00).
    assert "70 00 00 00" in page.text and runtime.settings.adviser_phone not in page.text
    assert "12.345" not in page.text and "Beta Tenant" not in page.text
    async with runtime.db.read() as conn:
        targets = (
            (await conn.execute(select(audit_log.c.target).where(audit_log.c.action == "postcard.print")))
            .scalars()
            .all()
        )
    assert list(targets) == [f"task:{card}"]


async def test_no_postcard_prints_without_an_address(runtime: Runtime, client: httpx.AsyncClient) -> None:
    caretaker = await add_person(runtime, "caretaker@example.org", "caretaker")
    tenant, _, card = await with_knock(runtime, assignee=caretaker, kind="postcard")
    async with runtime.db.write() as conn:  # the address is no longer stored (erased in the system it came from)
        await conn.execute(update(tenants).where(tenants.c.id == tenant).values(address=None))
    await login(client, "caretaker@example.org")
    visits = (await client.get("/console/visits")).text
    assert f'href="/console/visits/{card}/postcard"' not in visits
    assert "No address is stored" in visits
    printed = await client.get(f"/console/visits/{card}/postcard")
    assert printed.status_code == 409 and "no postcard to print" in printed.text
    assert "Beta" not in printed.text.split("<main", 1)[1]
    async with runtime.db.read() as conn:
        found = await conn.execute(select(audit_log.c.id).where(audit_log.c.action == "postcard.print"))
        assert found.all() == []


@pytest.mark.parametrize("language", ["da", "en"])
def test_the_postcard_text_follows_the_sms_rule(runtime: Runtime, language: str) -> None:
    text = runtime.renderer.render("outreach.postcard", {"first_name": "Beta"}, language, "sms").text
    assert "Beta" in text
    assert {"da": "Ring til os på 70 00 00 00", "en": "Call us on 70 00 00 00"}[language] in text
    assert sms_warnings(text, runtime.settings.forbidden_words) == []


def test_keephome_check_fails_a_postcard_with_debt_words(runtime: Runtime, tmp_path: Path) -> None:
    copy = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, copy)
    assert not [p for p in run_check(runtime.settings, copy).problems if "outreach.postcard" in p]
    card = copy / "da" / "outreach.postcard.sms.txt"
    card.write_text(card.read_text(encoding="utf-8") + "Det handler om din gæld.\n", encoding="utf-8")
    problems = [p for p in run_check(runtime.settings, copy).problems if "outreach.postcard" in p]
    assert problems and "forbidden word" in problems[0]
    card.unlink()
    assert any("missing sms text 'outreach.postcard'" in p for p in run_check(runtime.settings, copy).problems)


async def test_the_tenants_export_lists_the_caretakers_views_of_them(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The export promises the audit entries about the tenant: a caretaker who saw their address on the visits
    list and printed their postcard looked at their data, though those entries name the task, not the tenant."""
    from bot.tenants.export import export_tenant

    await add_person(runtime, "caretaker@example.org", "caretaker")
    _, _, task = await with_knock(runtime, kind="postcard")
    assert (await login(client, "caretaker@example.org")).status_code == 303
    assert (await client.get("/console/visits")).status_code == 200
    assert (await client.get(f"/console/visits/{task}/postcard")).status_code == 200
    data = await export_tenant(runtime.db, "R-1", runtime.clock(), "cli", "json")
    actions = [entry["action"] for entry in data["audit"]]
    assert actions.count("postcard.print") == 1 and actions.count("visits.view") == 1, actions


@pytest.mark.parametrize(
    ("kind", "mark", "words"),
    [
        ("knock", "reached", "door knock: reached"),
        ("knock", "not-reached", "door knock: not at home"),
        ("postcard", "sent", "postcard delivered"),
    ],
)
async def test_a_visit_marked_twice_counts_once_and_says_so(
    runtime: Runtime, client: httpx.AsyncClient, kind: str, mark: str, words: str
) -> None:
    """The browser's back and resubmit, or a phone's retry, sends the mark again: it does nothing more, and the list
    says the visit was marked already instead of a 404 "not yours, or finished"."""
    await add_person(runtime, "caretaker@example.org", "caretaker")
    _, case_id, task = await with_knock(runtime, kind=kind)
    await login(client, "caretaker@example.org")
    first, again = await posted_twice(client, "/console/visits", f"/console/visits/{task}/{mark}", {})
    assert first.status_code == 303 and first.headers["location"] == "/console/visits?done=1"
    assert again.status_code == 303, again.text
    shown = await client.get(again.headers["location"])
    assert shown.status_code == 200
    assert f"This visit was marked already ({words})" in shown.text
    async with runtime.db.read() as conn:
        steps = (
            await conn.execute(select(case_tasks.c.kind, case_tasks.c.status).where(case_tasks.c.case_id == case_id))
        ).all()
        marks = (await conn.execute(select(audit_log.c.action).where(audit_log.c.target == f"task:{task}"))).scalars()
        finished = [a for a in marks if a != "visits.view"]
    assert [tuple(s) for s in steps].count((kind, mark.replace("-", "_"))) == 1
    assert finished == [f"{kind}.{mark.replace('-', '_')}"]
    # A visit given to another caretaker and finished stays "not yours": nothing about it is told.
    other = await add_person(runtime, "other@example.org", "caretaker")
    _, _, theirs = await with_knock(runtime, "R-2", assignee=other, kind=kind)
    async with runtime.db.write() as conn:
        await conn.execute(update(case_tasks).where(case_tasks.c.id == theirs).values(status=mark.replace("-", "_")))
    assert (await post_form(client, "/console/visits", f"/console/visits/{theirs}/{mark}", {})).status_code == 404
