"""The words the console shows for stored codes: case statuses, outcomes, tenant statuses, channels.

Each table maps a code to its msgid (`N_`); a template shows it with `label(kind, code)`, translated in the
reader's language. A code missing from its table is shown as it is, its underscores as spaces.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.i18n import N_, gettext

__all__ = [
    "ADVICE_KIND_LABELS",
    "CASE_STATUS_LABELS",
    "CHANNEL_LABELS",
    "EVENT_LABELS",
    "LABELS",
    "OUTCOME_LABELS",
    "TASK_EVENT_LABELS",
    "TASK_KIND_LABELS",
    "TASK_STATUS_LABELS",
    "TENANT_STATUS_LABELS",
    "label",
]

CASE_STATUS_LABELS = {
    "open": N_("open"),
    "waiting": N_("waiting"),
    "taken": N_("taken"),
    "waiting_tenant": N_("waiting for the tenant"),
    "volunteer": N_("with a volunteer"),
    "closed": N_("closed"),
}
OUTCOME_LABELS = {
    "paid": N_("paid"),
    "payment_plan": N_("payment plan"),
    "kommune": N_("kommune"),
    "boligstoette": N_("boligstøtte"),
    "debt_counselling": N_("debt counselling"),
    "no_contact": N_("no contact"),
    "moved": N_("moved"),
    "other": N_("other"),
}
TENANT_STATUS_LABELS = {
    "active": N_("active"),
    "stopped": N_("stopped (wrote STOP)"),
    "wrong_number": N_("wrong number"),
    "moved_out": N_("moved out"),
    "erased": N_("erased"),
}
CHANNEL_LABELS = {"sms": "SMS", "telegram": "Telegram"}
# Tasks on a case (case_tasks): reaching an unreachable tenant, a volunteer's appointment.
TASK_KIND_LABELS = {
    "call": N_("phone call"),
    "knock": N_("door knock"),
    "postcard": N_("postcard"),
    "appointment": N_("appointment"),
}
TASK_STATUS_LABELS = {
    "open": N_("open"),
    "reached": N_("reached"),
    "not_reached": N_("not reached"),
    "sent": N_("sent"),
    "held": N_("held"),
    "missed": N_("missed"),
    "moved": N_("moved"),
    "cancelled": N_("cancelled (the case closed)"),
}
ADVICE_KIND_LABELS = {
    "budget": N_("budget"),
    "debt_overview": N_("debt overview"),
    "repayment_plan": N_("repayment plan"),
    "other": N_("other"),
}
# The text of an outreach, appointment or contact event (bot/host/outreach.py, appointments.py): a step and how
# it ended, or how the tenant was reached.
TASK_EVENT_LABELS = {
    "call:open": N_("phone call offered"),
    "call:reached": N_("phone call: reached"),
    "call:not_reached": N_("phone call: not reached"),
    "knock:reached": N_("door knock: reached"),
    "knock:not_reached": N_("door knock: not at home"),
    "postcard:sent": N_("postcard delivered"),
    "booked": N_("booked"),
    "held": N_("held"),
    "missed": N_("missed"),
    "moved": N_("moved"),
    "call": N_("by phone"),
    "knock": N_("at the door"),
}
# What happened on a case (case_events.kind), as its list of notes and events names it.
EVENT_LABELS = {
    "opened": N_("opened"),
    "status": N_("status"),
    "taken": N_("took the case"),
    "released": N_("released"),
    "note": N_("note"),
    "task": N_("task given"),
    "task_done": N_("task done"),
    "needs_adviser": N_("needs an adviser"),
    "closed": N_("closed"),
    "reassigned": N_("reassigned"),
    "contact": N_("contact made"),
    "outreach": N_("outreach"),
    "appointment": N_("appointment"),
}

LABELS: Mapping[str, Mapping[str, str]] = {
    "case_status": CASE_STATUS_LABELS,
    "outcome": OUTCOME_LABELS,
    "tenant_status": TENANT_STATUS_LABELS,
    "channel": CHANNEL_LABELS,
    "task_kind": TASK_KIND_LABELS,
    "task_status": TASK_STATUS_LABELS,
    "advice_kind": ADVICE_KIND_LABELS,
    "task_event": TASK_EVENT_LABELS,
    "event": EVENT_LABELS,
}


def label(kind: str, code: str | None) -> str:
    """The words for `code` in the table `kind`, in the reader's language."""
    if code is None:
        return "–"
    found = LABELS[kind].get(code)
    return gettext(found) if found is not None else code.replace("_", " ")
