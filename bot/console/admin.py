"""The admins' page: whether messages go out (and which wait after failed tries), whether today's reminders were
planned (and who was left out for old balance data), the messages that may have reached a tenant twice, the messages
from tenants keephome could not handle (until an admin has dealt with each), the global pause switch and the numbers
tenants said were wrong."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console.audit import record, record_shown
from bot.console.delivery import explain, explained, refused_numbers
from bot.console.ids import path_id
from bot.console.paging import page_of
from bot.console.sessions import StaffSession, guard
from bot.console.unanswered import deal_with, unanswered
from bot.console.web import FormError, NotFound, field, now, redirect, render, runtime
from bot.i18n import N_
from bot.outbox.depth import backlog, inbound_backlog, inbound_failed
from bot.outbox.trouble import TWICE_DAYS, failing_rows, maybe_twice
from bot.reminders.plan import reminder_fates
from bot.reminders.plan_state import last_plan, plan_state
from bot.store.flags import PAUSED, is_paused, write_flag
from bot.store.schema import inbound, outbox, tenants

__all__ = ["BEHIND_AFTER", "UNANSWERED_PAGE_SIZE", "UNHANDLED_AFTER", "WRONG_PAGE_SIZE", "routes"]

# The wrong numbers a page of the list shows: they stay until the organisation corrects the number and re-imports, so
# with thousands of tenancies the list grows past what one page (and one audit entry per tenant on every view) holds.
WRONG_PAGE_SIZE = 50
# The messages keephome could not handle a page shows: each stays until an admin marks it dealt with.
UNANSWERED_PAGE_SIZE = 20

# Messages due this long and not sent yet are a backlog the page names (a large plan at a low rate, a stuck sender).
BEHIND_AFTER = timedelta(minutes=5)
# A message from a tenant stored this long and not handled: the processing has stopped or keeps failing.
UNHANDLED_AFTER = timedelta(minutes=1)
# Where each channel's provider is and what signs in to it: what an admin checks when keephome could not reach it.
_SETTINGS = {
    "sms": ("KEEPHOME_TWILIO_API_URL", "KEEPHOME_TWILIO_ACCOUNT_SID, KEEPHOME_TWILIO_AUTH_TOKEN"),
    "telegram": ("KEEPHOME_TELEGRAM_API_URL", "KEEPHOME_TELEGRAM_TOKEN"),
}


@guard("admin")
async def _admin_page(request: Request, me: StaffSession) -> Response:
    rt = runtime(request)
    is_wrong = tenants.c.status == "wrong_number"
    async with rt.db.read() as conn:
        wrong_count = int((await conn.execute(select(func.count()).select_from(tenants).where(is_wrong))).scalar_one())
        wrong_page = page_of(request, "wrong", WRONG_PAGE_SIZE, wrong_count)
        wrong = (
            await conn.execute(
                select(tenants.c.id, tenants.c.tenant_ref, tenants.c.name, tenants.c.updated_at)
                .where(is_wrong)
                .order_by(tenants.c.updated_at.desc(), tenants.c.id.desc())
                .offset(wrong_page.offset)
                .limit(wrong_page.size)
            )
        ).all()
        flag_paused = await conn.run_sync(is_paused)  # as stored now: the same in every process
        # Messages whose tries failed and that wait for another (a provider unreachable, an account refused): what
        # the sender logs and /metrics show, here from the rows, whichever process serves this page.
        failing = await conn.run_sync(failing_rows)
        # Messages due and not sent: the same figures as keephome_outbox_due and keephome_outbox_oldest_due_seconds.
        due = await conn.run_sync(backlog, now(request))
        # Numbers Twilio said cannot get SMS: only the housing organisation can correct them.
        refused = await conn.run_sync(refused_numbers, now(request))
        # Messages from tenants stored and not handled: keephome_inbound_waiting and its oldest's age.
        unhandled = await conn.run_sync(inbound_backlog)
        # Messages from tenants keephome could not handle, unanswered: keephome_inbound_failed, and a page of them.
        unanswered_page = page_of(request, "unanswered", UNANSWERED_PAGE_SIZE, await conn.run_sync(inbound_failed))
        set_aside = await conn.run_sync(unanswered, unanswered_page.offset, unanswered_page.size)
        # Messages that may have reached their tenant twice: each says so on its tenant's page; here, the last days'.
        twice_count, twice = await conn.run_sync(maybe_twice, now(request))
        # The daily plan as stored by whichever process holds the scheduler role: missing, late, or who it left out.
        plan = plan_state(await conn.run_sync(last_plan), now(request), rt.settings.timezone, rt.settings.plan_hour)
        # A late plan is worth a warning only once its reminders went out late: a plan with no reminder due (a fresh
        # install, a quiet day) or none sent yet delayed nothing a tenant would notice.
        late_sent = 0
        if plan.state == "late":
            fates = await conn.run_sync(reminder_fates, plan.plan_at.date(), ZoneInfo(rt.settings.timezone))
            late_sent = sum(1 for fate in fates if fate.outbox_state == "sent")
        # Read for every console page (`SendingStateOnEveryPage`): while no process holds the sender role (each runs
        # with KEEPHOME_RUN_SENDER=false, say) nothing goes out and nobody answers; this page says what waits meanwhile.
        waiting = (0, 0)
        if not getattr(request.state, "sending", True):
            waiting = (
                await conn.execute(
                    select(
                        select(func.count()).where(inbound.c.processed_at.is_(None)).scalar_subquery(),
                        select(func.count()).where(outbox.c.state == "pending").scalar_subquery(),
                    )
                )
            ).one()
    # Each list's view in the audit log with the tenants it showed, in one write.
    shown = {
        "tenants.wrong_numbers.view": [f"tenant:{row.id}" for row in wrong],
        "tenants.refused_numbers.view": [f"tenant:{r.tenant_id}" for r in refused],
        "tenants.maybe_twice.view": [
            f"tenant:{n}" for n in sorted({t.tenant_id for t in twice if t.tenant_id is not None})
        ],
        "tenants.unanswered.view": [f"tenant:{n}" for n in sorted({n for m in set_aside for n in m.tenant_ids})],
    }
    if any(shown.values()):
        async with rt.db.write() as conn:
            for action, tenants_shown in shown.items():
                if tenants_shown:
                    await record_shown(conn, now(request), me.actor, action, tenants_shown)
    return render(
        request,
        "admin.html",
        wrong=wrong,
        wrong_page=wrong_page,
        unanswered=set_aside,
        unanswered_page=unanswered_page,
        setting_paused=rt.settings.paused,
        flag_paused=flag_paused,
        waiting_in=waiting[0],
        waiting_out=waiting[1],
        failing=[(f, *explained(None, f.reason, f.channel), _SETTINGS.get(f.channel, ("", ""))) for f in failing],
        twice=twice,
        twice_count=twice_count,
        twice_days=TWICE_DAYS,
        plan=plan,
        late_sent=late_sent,
        refused=[(r, explain(r.error_code, None, "sms")) for r in refused],
        behind=due if due.waited(now(request)) >= BEHIND_AFTER else None,
        unhandled=unhandled if unhandled.waited(now(request)) >= UNHANDLED_AFTER else None,
        stale_days=rt.settings.balance_max_age_days,
    )


@guard("admin")
async def _pause(request: Request, me: StaffSession) -> Response:
    choice = field(await request.form(), "paused", max_length=3)
    if choice not in ("on", "off"):
        raise FormError(N_("Choose to pause or to resume the reminders."))
    rt = runtime(request)
    at = now(request)
    async with rt.db.write() as conn:
        # Stored, and only stored: every process reads it there before each proactive send and on each page.
        await conn.run_sync(write_flag, PAUSED, "1" if choice == "on" else "0", at)
        await record(conn, at, me.actor, "pause.on" if choice == "on" else "pause.off")
    return redirect("/console/admin")


@guard("admin")
async def _dealt_with(request: Request, me: StaffSession) -> Response:
    missing = N_("There is no such message waiting to be dealt with.")
    inbound_id = path_id(request, "inbound_id", missing)
    at = now(request)
    async with runtime(request).db.write() as conn:
        # Once: a second click, or another admin's, finds it dealt with already and changes nothing.
        if await conn.run_sync(deal_with, inbound_id, at):
            await record(conn, at, me.actor, "inbound.dealt_with", f"inbound:{inbound_id}")
        elif not await conn.scalar(select(inbound.c.id).where(inbound.c.id == inbound_id)):
            raise NotFound(missing)
    return redirect("/console/admin#unanswered")


def routes() -> list[BaseRoute]:
    """The admin page, the pause switch and the mark on a message keephome could not handle."""
    return [
        Route("/console/admin", _admin_page, methods=["GET"]),
        Route("/console/admin/pause", _pause, methods=["POST"]),
        Route("/console/admin/unanswered/{inbound_id}/dealt-with", _dealt_with, methods=["POST"]),
    ]
