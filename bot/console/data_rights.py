"""A tenant's data for admins: everything keephome holds about one tenant, downloaded as JSON or as a page.

The same export as `keephome export` (bot/tenants/export.py), audited as `tenant.export` with the admin as the
actor; the page is in the admin's language. Erasing is not a button: it is `keephome erase TENANT_REF` or the
API's DELETE, both audited.
"""

from __future__ import annotations

import re
from urllib.parse import quote
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console import accounts, delivery, labels, sharing
from bot.console.audit import AUDIT_WORDS
from bot.console.inbox import ORIGINS, OUTREACH_PREFIX, OUTREACH_REASON, REASONS
from bot.console.sent_back import NONE_SENT_BACK, SentBack, send_back_on
from bot.console.sessions import StaffSession, guard
from bot.console.web import FormError, field, now, render, runtime
from bot.i18n import N_
from bot.tenants.export import CodeWords, export_tenant, render_html, staff_roles, to_json
from bot.tenants.lookup import SeveralTenants

__all__ = ["EXPORT_WORDS", "routes"]

# Who wrote a message (messages.author; a staff member's is `staff:<id>`, shown as it is).
_AUTHORS = {"tenant": N_("the tenant"), "bot": N_("keephome, automatically"), "system": N_("keephome, automatically")}
# A case's reason as the case page says it: a code's words, and an urgent outreach's (the planner's English, which
# begins so: a key ending in "*" stands for every value that begins with what is before it).
_REASONS = {**REASONS, f"{OUTREACH_PREFIX}*": OUTREACH_REASON}
# The readable export's stored codes in the words the console shows them in (also `keephome export --html`).
EXPORT_WORDS: CodeWords = {
    "tenant.status": labels.TENANT_STATUS_LABELS,
    "tenant.channel_preference": labels.CHANNEL_PREFERENCE_LABELS,
    "court_cases.status": labels.CASE_STATUS_LABELS,
    "court_cases.outcome": labels.COURT_OUTCOME_LABELS,
    "court_cases.meeting_kind": labels.MEETING_LABELS,
    "rent_events.kind": labels.COURT_STEP_LABELS,
    "rent_events.source": labels.SOURCE_LABELS,
    "balance_history.source": labels.SOURCE_LABELS,
    "messages.channel": labels.CHANNEL_LABELS,
    "messages.status": {
        **delivery.LABELS,
        "received": N_("received"),
        "undelivered": N_("not delivered"),
        "read": N_("read"),
    },
    "messages.author": _AUTHORS,
    # What each message was (its template's name is the JSON's only).
    "messages.template": labels.MESSAGE_LABELS,
    "inbound_receipts.channel": labels.CHANNEL_LABELS,
    "conversations.flow": labels.FLOW_LABELS,
    # A conversation no reminder started: the tenant began it.
    "conversations.flow@untriggered": labels.UNTRIGGERED_FLOW_LABELS,
    "conversations.trigger": labels.TRIGGER_LABELS,
    "conversations.ended_reason": labels.CONVERSATION_END_LABELS,
    # A conversation as what the tenant was asked and answered: each question, each chosen option in words.
    "conversations.question": labels.QUESTION_LABELS,
    "conversations.answer": labels.ANSWER_LABELS,
    "consents.scope": labels.CONSENT_SCOPE_LABELS,
    "consents.ended_reason": labels.CONSENT_END_LABELS,
    "consents.recipient_kind": sharing.RECIPIENT_LABELS,
    "consents.method": sharing.METHOD_LABELS,
    # A consent an adviser recorded has its method as its wording version; a yes in a conversation, the version of the
    # question asked (KEEPHOME_CONSENT_WORDING_VERSION's consent-v3, keephome's share-v3): the page says which question
    # it was, with the version beside it for an audit (bot/tenants/export.py, `_VERSIONED`).
    "consents.wording_version": {
        **sharing.METHOD_LABELS,
        "consent-*": N_("The question in the conversation whether an adviser may see your answers"),
        "share-*": N_("The question in the conversation whether your information may be shared with the one named"),
    },
    "consents.data_kinds": sharing.DATA_KIND_LABELS,
    "referrals.help_sought": sharing.HELP_KINDS,
    "referrals.decision": sharing.DECISIONS,
    "cases.status": labels.CASE_STATUS_LABELS,
    "cases.origin": ORIGINS,
    "cases.reason": _REASONS,
    "cases.outcome": labels.OUTCOME_LABELS,
    "case_events.kind": labels.EVENT_LABELS,
    # An event's text by its kind, as the case page shows it.
    "case_events.text": _REASONS,
    "case_events.text@closed": labels.OUTCOME_LABELS,
    "case_events.text@outreach": labels.TASK_EVENT_LABELS,
    "case_events.text@appointment": labels.TASK_EVENT_LABELS,
    "case_events.text@contact": labels.TASK_EVENT_LABELS,
    "case_events.text@task_taken_back": labels.TAKEN_BACK_LABELS,
    "case_tasks.kind": {**labels.TASK_KIND_LABELS, **sharing.STEP_KINDS},
    "case_tasks.status": labels.TASK_STATUS_LABELS,
    # The steps beside a referral have statuses of their own (to apply, applied, granted, …).
    **{f"case_tasks.status@{kind}": statuses for kind, statuses in sharing.STEP_STATUSES.items()},
    "case_tasks.advice_kind": labels.ADVICE_KIND_LABELS,
    "reminders.trigger": labels.TRIGGER_LABELS,
    "telegram_link_codes.kind": labels.LINK_CODE_LABELS,
    # Who did what is named by role and number (`render_html`'s `staff`).
    "staff.role": accounts.ROLE_LABELS,
    # The audit entries about the tenant in the words the audit page uses (`AUDIT_WORDS`); who, when not a staff member
    # (those by role): an admin at the server, keephome itself, a caller of the API.
    **AUDIT_WORDS,
    "audit.actor": {"cli": N_("the command line on the server"), "system": _AUTHORS["system"], "api:*": N_("the API")},
}

_FORMATS = {"json": ("application/json", "json"), "html": ("text/html; charset=utf-8", "html")}
# What a tenant_ref may keep in a file's name: letters and digits (any script's, in `filename*`), "-", "_" and ".";
# anything else (a "/", a quote, a space) becomes "_", so the name stays one file's, where the browser saves it.
_UNSAFE = re.compile(r"[^\w.-]+")
_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9_.-]+")


def _download_name(tenant_ref: str, suffix: str) -> str:
    """The Content-Disposition of a tenant's export: named by their reference, as the organisation knows them
    (keephome's own number means nothing outside it), plain ASCII for any browser and UTF-8 for those that read it."""
    ascii_name = f"keephome-tenant-{_UNSAFE_ASCII.sub('_', tenant_ref)}.{suffix}"
    name = f"keephome-tenant-{_UNSAFE.sub('_', tenant_ref)}.{suffix}"
    if name == ascii_name:
        return f'attachment; filename="{ascii_name}"'
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


@guard("admin")
async def _data_page(request: Request, me: StaffSession) -> Response:
    return _data_view(request, me)


def _data_view(request: Request, me: StaffSession, status: int = 200, sent_back: SentBack | None = None) -> Response:
    """The data page; with `sent_back`, its export form refused and shown again at itself, at the page's address."""
    own = None if sent_back is None else "/console/data"
    # The demo names its own way to erase (`keephome erase --demo`): its database and key are not `erase`'s.
    demo = runtime(request).demo
    return render(request, "data.html", status, sent_back=sent_back or NONE_SENT_BACK, own_address=own, demo=demo)


async def _data_with(request: Request, me: StaffSession, status: int, sent_back: SentBack) -> Response:
    return _data_view(request, me, status, sent_back)


# A reference no tenant has (a typo), two tenants have, or a format not offered: the form again with why and the
# reference as typed.
@guard("admin", send_back=send_back_on(_data_with, "export-data", "ref"))
async def _export(request: Request, me: StaffSession) -> Response:
    form = await request.form()
    ref = field(form, "ref", max_length=64)
    what = field(form, "format", max_length=4)
    if what not in _FORMATS:
        raise FormError(N_("Choose a readable page (HTML) or the data (JSON)."))
    rt = runtime(request)
    try:
        data = await export_tenant(rt.db, ref, now(request), me.actor, what)
    except SeveralTenants as exc:
        raise FormError(exc.msgid, **exc.values) from None
    except LookupError:
        # What was typed (a reference mistyped, or an erased tenant's): to correct at the form, not a missing page.
        raise FormError(N_("No tenant has that reference (an erased tenant has nothing left to export).")) from None
    media, suffix = _FORMATS[what]
    # The page in the staff member's language (the request's), the JSON as stored.
    # Its times in the deployment's zone, and who did what by role.
    if what == "json":
        body = to_json(data)
    else:
        body = render_html(data, EXPORT_WORDS, zone=ZoneInfo(rt.settings.timezone), staff=await staff_roles(rt.db))
    headers = {
        "Content-Disposition": _download_name(str(data["tenant"]["tenant_ref"]), suffix),
        "Cache-Control": "no-store",
    }
    return Response(body, media_type=media, headers=headers)


def routes() -> list[BaseRoute]:
    """The page and its download (a POST: the form carries the CSRF token)."""
    return [
        Route("/console/data", _data_page, methods=["GET"]),
        Route("/console/data/export", _export, methods=["POST"]),
    ]
