"""The words the console shows for stored codes: case statuses, outcomes, tenant statuses, channels.

Each table maps a code to its msgid (`N_`); a template shows it with `label(kind, code)`, translated in the
reader's language. A code missing from its table is shown as it is, its underscores as spaces.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.i18n import N_, gettext

__all__ = [
    "ADVICE_KIND_LABELS",
    "ANSWER_LABELS",
    "API_SCOPE_LABELS",
    "AUDIT_ACTION_LABELS",
    "CASE_STATUS_LABELS",
    "CHANNEL_LABELS",
    "CHANNEL_PREFERENCE_LABELS",
    "CONSENT_END_LABELS",
    "CONSENT_SCOPE_LABELS",
    "CONVERSATION_END_LABELS",
    "COURT_OUTCOME_LABELS",
    "COURT_STEP_LABELS",
    "EVENT_LABELS",
    "FLOW_LABELS",
    "LABELS",
    "LINK_CODE_LABELS",
    "MEETING_LABELS",
    "MESSAGE_LABELS",
    "OUTCOME_LABELS",
    "QUESTION_LABELS",
    "SOURCE_LABELS",
    "TAKEN_BACK_LABELS",
    "TASK_EVENT_LABELS",
    "TASK_KIND_LABELS",
    "TASK_STATUS_LABELS",
    "TENANT_STATUS_LABELS",
    "TRIGGER_LABELS",
    "UNTRIGGERED_FLOW_LABELS",
    "VOLUNTEER_TEMPLATES",
    "flow_label",
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
    "moved": N_("moved to a new time"),
    # An outreach step still open when its case closed, or an appointment its volunteer may no longer see.
    "cancelled": N_("cancelled"),
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
    "moved": N_("moved to a new time"),
    "consent_ended": N_("cancelled: the tenant took back the consent the volunteer needed"),
    "case_closed": N_("cancelled: the case closed"),
    "adviser_cancelled": N_("cancelled by the adviser"),
    "volunteer_left": N_("cancelled: the volunteer's account was closed or their role changed"),
    "call": N_("by phone"),
    "knock": N_("at the door"),
}
# Why the service took a volunteer's task back (the text of a `task_taken_back` event; bot/host/cases.py).
TAKEN_BACK_LABELS = {
    "consent_ended": N_("the tenant took back the consent the volunteer needed: the task is the adviser's again"),
}
# What happened on a case (case_events.kind), as its list of notes and events names it.
EVENT_LABELS = {
    "opened": N_("opened"),
    "status": N_("status"),
    "taken": N_("took the case"),
    "released": N_("released"),
    # The adviser holding the case left (account closed, role changed): back to the queue (bot/host/handover.py).
    "adviser_left": N_("back to the queue: the adviser's account was closed or their role changed"),
    "note": N_("note"),
    "task": N_("task given"),
    "task_done": N_("task done"),
    "task_taken_back": N_("took the task back from the volunteer"),
    "needs_adviser": N_("needs an adviser"),
    # The volunteer answered what the tenant wrote back to their prepared text (bot/console/volunteer.py).
    "answered": N_("the volunteer answered the tenant's message"),
    # The volunteer's open task ended with the case (bot/tenants/case_closing.py): the e-mail shown is the volunteer's.
    "task_ended": N_("the volunteer's task ended: the case closed"),
    "closed": N_("closed"),
    # Its text is "to <e-mail>" (bot/console/case_actions.py): shown as the e-mail after these words.
    "reassigned": N_("handed to"),
    "contact": N_("contact made"),
    # An adviser recorded a consent on the case page (bot/console/consents.py): its form's one-time value is kept here.
    "consent_recorded": N_("consent recorded"),
    # The referral forms of the case page (bot/console/referrals.py): their form's one-time value is kept here.
    "referral": N_("referral to the kommune made"),
    "referral_decision": N_("the kommune's decision recorded"),
    "step_added": N_("other help: a step tracked"),
    "step_moved": N_("other help: a step moved on"),
    "outreach": N_("outreach"),
    "appointment": N_("appointment"),
    # Migration 0011 merged a tenant's open cases into the oldest; the text is the other case's number.
    "merged_into": N_("merged into case"),
    "merged_from": N_("merged into this case: case"),
    # The tenant's data was erased (bot/tenants/erase.py): their open case closed without an outcome.
    "erased": N_("closed: the tenant's data was erased"),
    # The tenant took back the yes that opened the case before a person took it (bot/host/handlers/consent_withdrawn).
    "withdrawn": N_("closed: the tenant took back their yes before an adviser took the case"),
    # The tenant took back their yes while the case stays open: their answers to the bot stop showing.
    "consent_withdrawn": N_("the tenant took back their yes: their answers to the bot are hidden"),
}
# The readable export's words for the rest of the codes it stores (bot/console/data_rights.py, EXPORT_WORDS).
# A tenant's preferred channel: either channel, or whichever reaches them.
CHANNEL_PREFERENCE_LABELS = {"auto": N_("whichever reaches the tenant"), **CHANNEL_LABELS}
# What a conversation was about (conversations.flow: the flows in conversations/flows/).
FLOW_LABELS = {
    "payment_check": N_("the rent: a reminder's questions"),
    "help_info": N_("what keephome is (HELP)"),
    "withdraw_consent": N_("taking back a yes"),
    "withdraw_choice": N_("choosing which yes to take back"),
    "telegram_offer": N_("moving to Telegram"),
    "share_consent": N_("a consent to share with a named recipient"),
}
# The prepared texts a volunteer sends from a task (templates/<language>/volunteer.*: short, kind, nothing about
# money), by the names the task offers them by; the audit page and a tenant's export name them so too.
VOLUNTEER_TEMPLATES = {
    "volunteer.appointment_reminder": N_("Reminder of the appointment"),
    "volunteer.call_tomorrow": N_("We will call tomorrow"),
}
# What a text to a tenant was, by the name of its template (templates/<language>/<name>.<channel>.txt): a text a
# person chose by its own words, every other by what it belongs to, the part of its name before the first dot (a key
# ending in "*" stands for every name that begins with what is before it). A tenant's readable export names each
# message so, never by the template's name; the audit page names a text sent from a case so.
MESSAGE_LABELS = {
    **VOLUNTEER_TEMPLATES,
    # The text about the kommune's help an adviser sends from a case (bot/console/referrals.py).
    "help.kommune": N_("The text about the kommune's help"),
    "payment_check.*": N_("the rent"),
    "appointment.*": N_("an appointment"),
    "case.*": N_("the tenant's case with an adviser"),
    "choice.*": N_("the answer the tenant chose"),
    "common.*": N_("a reply to what the tenant wrote"),
    "consent.*": N_("the tenant's consent"),
    "share_consent.*": FLOW_LABELS["share_consent"],
    "help_info.*": FLOW_LABELS["help_info"],
    "keyword.*": N_("a word the tenant wrote to keephome (such as STOP or a language)"),
    "link.*": N_("connecting Telegram to keephome"),
    "telegram.*": FLOW_LABELS["telegram_offer"],
    "telegram_offer.*": FLOW_LABELS["telegram_offer"],
    "outreach.*": N_("a postcard asking the tenant to call"),
    "press.*": N_("a button the tenant pressed"),
    "unknown_number": N_("a message from a number keephome does not know"),
}
# A conversation no reminder started (conversations.trigger is empty) is not a reminder's questions: the tenant wrote
# first (or an adviser asked, for a flow not named here).
UNTRIGGERED_FLOW_LABELS = {"payment_check": N_("the rent: a conversation the tenant began")}


def flow_label(flow: str, trigger: str | None) -> str:
    """What a conversation was about, in the reader's language: by its flow, and by whether a reminder started it."""
    found = UNTRIGGERED_FLOW_LABELS.get(flow) if trigger is None else None
    found = FLOW_LABELS.get(flow) if found is None else found
    return flow if found is None else gettext(found)


# What a tenant answered to a conversation's question (the option keys of conversations/flows/), as a case page
# shows the tenant's answers.
ANSWER_LABELS = {
    "paid": N_("has paid"),
    "will_pay": N_("will pay later"),
    "part": N_("can pay part of it"),
    "paid_part": N_("has paid part of it"),
    "adviser": N_("wants to talk to an adviser"),
    "info": N_("wanted information"),
    "no_thanks": N_("no, thanks"),
    # Said outright ("jeg kan ikke betale") or as not knowing when ("ved ikke", asked when they can pay).
    "hardship": N_("finds it hard to pay"),
    "lost_job": N_("lost their job"),
    "illness": N_("illness"),
    "benefits_delayed": N_("benefits delayed"),
    "unexpected_expense": N_("an unexpected expense"),
    "other_reason": N_("another reason"),
    "no_reason": N_("would rather not say why"),
    "will_tell": N_("will tell in own words"),
    "yes": N_("yes"),
    "no": N_("no"),
}
# The questions a tenant answered in a conversation (the names their answers are kept under in its data: a step of
# conversations/flows/, its own words as `<step>_text`, a promised day and an amount), as a case page and the readable
# export show them.
QUESTION_LABELS = {
    "question": N_("First answer"),
    "question_text": N_("First answer, in their words"),
    "when": N_("When they can pay"),
    "part_when": N_("When they can pay"),  # the day for the part they can pay (after its amount, or with it by SMS)
    "rest_when": N_("When they can pay the rest"),
    "pay_on": N_("Will pay on"),
    "amount": N_("Can pay"),
    "reason": N_("Why"),
    "reason_text": N_("Why, in their words"),
    "consent": N_("Agreed to share"),
    "offer": N_("Continue on Telegram"),
    "share": N_("Agreed to share with the recipient"),
    "choose": N_("The yes taken back"),
}
# Why a reminder was planned or a conversation began: the stage of the rent timeline, or a nudge after no answer.
TRIGGER_LABELS = {
    "before_due": N_("before the due day"),
    "missed": N_("rent missed"),
    "demand": N_("påkrav"),
    "court": N_("termination or court date"),
    "promise_check": N_("promise check"),
    "nudge": N_("a nudge after no answer"),
}
# Why a conversation ended: its flow's end, the engine's, or the service's (a tenant's status, a newer reminder, the
# sender's second look at a late reminder: bot/reminders/recheck.py).
CONVERSATION_END_LABELS = {
    "paid": N_("the rent was seen paid"),
    "paid_claimed": N_("the tenant said it is paid"),
    "promised": N_("the tenant promised a day to pay"),
    "handed_off": N_("handed to an adviser"),
    "declined": N_("the tenant said no"),
    "help_given": N_("help was offered"),
    # A bare "ja" after a conversation that ended answered: it said the answer was read, as "ok" does.
    "noted": N_("the tenant said they read the answer"),
    "info_given": N_("information given"),
    "link_requested": N_("a code for Telegram was sent"),
    "consent_withdrawn": N_("the tenant took back a yes"),
    "share_consented": N_("the tenant said yes to sharing"),
    "no_response": N_("no answer"),
    "not_understood": N_("the answers were not understood"),
    # "👍" again at a consent question: understood, but a sign is no yes; nothing was passed on.
    "not_in_words": N_("the tenant answered with a sign, not a yes in words"),
    # Words of crisis: the tenant got Livslinien and 112, and no question of the flow after them.
    "crisis": N_("the tenant was told where to call for help, with no more questions"),
    "flow_changed": N_("the questions changed meanwhile"),
    "superseded": N_("a newer reminder took its place"),
    "tenant wrote first": N_("the tenant wrote before its question reached them"),
    "case taken": N_("a person took the case before its question reached the tenant"),
    "stage passed": N_("its moment on the rent timeline had passed"),
    "nothing owed": N_("the balance was paid"),
    "no longer due": N_("no longer due"),
    "one a day": N_("the tenant already had a message from keephome that day"),
    **{status: words for status, words in TENANT_STATUS_LABELS.items() if status != "active"},
}
# A court case's stored codes in words, as the case page and the tenant's page show them (bot/console/court.py).
COURT_OUTCOME_LABELS = {
    "called_off": N_("called off (after payment or agreement)"),
    "postponed": N_("postponed"),
    "carried_out": N_("carried out by the fogedret"),
    "moved_out": N_("the tenant moved out"),
}
MEETING_LABELS = {"court": N_("at the court"), "address": N_("at the address")}
# The steps of the rent path (rent_events.kind).
COURT_STEP_LABELS = {
    "demand": N_("påkrav sent"),
    "termination": N_("termination (ophævelse)"),
    "filing": N_("filed with the fogedret"),
    "court_date": N_("court date"),
    # A court date that is no longer the court date (bot.tenants.court.Step.shown).
    "court_date_moved": N_("court date (moved)"),
    "court_date_called_off": N_("court date (called off)"),
    "postponed": N_("court date postponed"),
    "called_off": N_("eviction called off"),
    "carried_out": N_("eviction carried out"),
    "moved_out": N_("moved out"),
    "kommune_notified": N_("kommune notified"),
}
# A consent's scope: the organisation's own advisers read the answers, or sharing with a named recipient.
CONSENT_SCOPE_LABELS = {"adviser": N_("Our own advisers"), "share": N_("sharing with a named recipient")}
# Why a consent ended.
CONSENT_END_LABELS = {
    "withdrawn": N_("withdrawn"),
    "case_closed": N_("lapsed when the case closed"),
    "erased": N_("erased"),
}
# Who brought a fact keephome keeps (a step of the rent path, a balance).
SOURCE_LABELS = {
    "import": N_("the import"),
    "api": N_("the API"),
    "console": N_("the console"),
    "payment": N_("a payment through the API"),
}
# A Telegram link code: a code sent by SMS for the tenant to type, or a link that opens the bot.
LINK_CODE_LABELS = {"code": N_("a code sent by SMS"), "token": N_("a link to the bot")}

# What an API key may do (bot/api/keys.py, SCOPES): the stored code stays the same in every language.
API_SCOPE_LABELS = {
    "read": N_("read only"),
    "write": N_("read and write"),
    "erase": N_("read, write and erase"),
}

# What an audit log entry records (audit_log.action), as the audit page words it beside the code. Every action keephome
# writes has its words here (tests/bot/console/test_audit_words.py finds each one written).
AUDIT_ACTION_LABELS = {
    # Signing in and out, and the staff's accounts.
    "login": N_("signed in"),
    "login.failed": N_("a sign-in failed"),
    "logout": N_("signed out"),
    "staff.add": N_("added a staff account"),
    "staff.organisation": N_("named the organisation"),
    "staff.name": N_("changed a person's name"),
    "staff.password_reset": N_("reset a password"),
    "staff.password_set": N_("set their password"),
    "staff.password_change": N_("changed their password"),
    "staff.password_change_refused": N_("a password change was refused"),
    "staff.role_change": N_("changed a role"),
    "staff.deactivate": N_("closed a staff account"),
    "staff.reactivate": N_("reopened a staff account"),
    "staff.language": N_("chose the console's language"),
    "staff.notices": N_("chose their Telegram notices"),
    "staff.telegram_code": N_("made a code to link Telegram"),
    "staff.telegram_linked": N_("linked Telegram for notices"),
    "staff.admin_left": N_("an admin's cases went back to the queue"),
    "staff.adviser_left": N_("an adviser's cases went back to the queue"),
    "staff.volunteer_left": N_("a volunteer's tasks went back to their advisers"),
    "staff.caretaker_left": N_("a caretaker's visits went to any caretaker"),
    # Tenants and their data.
    "inbox.view": N_("looked at the inbox"),
    "tenants.search": N_("searched for a tenant"),
    "tenant.view": N_("looked at a tenant"),
    "tenant.export": N_("exported a tenant's data"),
    "tenant.erase": N_("erased a tenant's data"),
    "tenant.wrong_number": N_("a tenant's number was reported wrong"),
    "tenant.said_stop_before": N_("a tenant was stored stopped: their number had said STOP before it was theirs"),
    "tenants.import": N_("imported tenants"),
    "tenants.wrong_numbers.view": N_("looked at the wrong numbers"),
    "tenants.refused_numbers.view": N_("looked at the numbers that cannot get SMS"),
    "tenants.maybe_twice.view": N_("looked at messages that may have gone twice"),
    "tenants.unanswered.view": N_("looked at the messages keephome could not handle"),
    "inbound.dealt_with": N_("marked a message keephome could not handle dealt with"),
    # Cases.
    "case.open": N_("opened a case"),
    "case.view": N_("looked at a case"),
    "case.messages": N_("read a case's messages"),
    "case.take": N_("took a case"),
    "case.release": N_("released a case"),
    "case.reassign": N_("handed a case to someone else"),
    "case.note": N_("wrote a note on a case"),
    "case.contact": N_("recorded contact with the tenant"),
    "case.task": N_("gave a task to a volunteer"),
    "case.close": N_("closed a case"),
    "message.send": N_("sent a message to a tenant"),
    "consent.ask": N_("asked the tenant for consent"),
    "consent.record": N_("recorded a consent"),
    "consent.withdraw": N_("recorded a consent withdrawn"),
    "call.reached": N_("phone call: reached"),
    "call.not_reached": N_("phone call: not reached"),
    # Volunteers' tasks and appointments, caretakers' visits.
    "tasks.view": N_("looked at their tasks"),
    "task.done": N_("marked a task done"),
    "task.needs_adviser": N_("said a task needs an adviser"),
    "task.answered": N_("marked a tenant's answer to a task answered"),
    "task.take_back": N_("took a task back from a volunteer"),
    "appointment.book": N_("booked an appointment"),
    "appointment.cancel": N_("cancelled an appointment"),
    "appointment.move": N_("moved an appointment"),
    "appointment.held": N_("marked an appointment held"),
    "appointment.missed": N_("marked an appointment missed"),
    "visits.view": N_("looked at their visits"),
    "postcard.print": N_("printed a postcard"),
    "knock.reached": N_("door knock: reached"),
    "knock.not_reached": N_("door knock: not at home"),
    "postcard.sent": N_("postcard delivered"),
    # Referrals to other help.
    "referral.create": N_("made a referral"),
    "referral.view": N_("looked at a referral"),
    "referral.download": N_("downloaded a referral"),
    "referral.decision": N_("recorded a referral's decision"),
    "step.add": N_("added a step to a referral"),
    "step.update": N_("changed a referral's step"),
    # The court path.
    "court.filing": N_("recorded a court filing"),
    "court.details": N_("changed a court case's details"),
    "court.outcome": N_("recorded a court case's outcome"),
    "kommune_notice.view": N_("looked at a kommune notice"),
    "kommune_notice.sent": N_("recorded a kommune notice sent"),
    "kommune_notices.list": N_("listed the missing kommune notices"),
    # Figures, reports and the organisation's switches.
    "outcomes.export": N_("exported the outcomes"),
    "activity.export": N_("exported the activity"),
    "report.print": N_("printed the report"),
    "report.export": N_("exported the report"),
    "report.baseline.save": N_("saved a report baseline"),
    "report.baseline.delete": N_("deleted a report baseline"),
    "pause.on": N_("paused reminders"),
    "pause.off": N_("resumed reminders"),
    # The REST API and its keys.
    "apikey.add": N_("made an API key"),
    "apikey.revoke": N_("revoked an API key"),
    "api.tenant.view": N_("API: read a tenant"),
    "api.tenant.put": N_("API: created or updated a tenant"),
    "api.tenants.bulk": N_("API: loaded tenants in bulk"),
    "api.payment": N_("API: recorded a payment"),
    "api.tenant.erase": N_("API: erased a tenant's data"),
    "api.cases.list": N_("API: listed cases"),
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
    "taken_back": TAKEN_BACK_LABELS,
    "event": EVENT_LABELS,
    "api_scope": API_SCOPE_LABELS,
    "audit_action": AUDIT_ACTION_LABELS,
}


def label(kind: str, code: str | None) -> str:
    """The words for `code` in the table `kind`, in the reader's language."""
    if code is None:
        return "–"
    found = LABELS[kind].get(code)
    return gettext(found) if found is not None else code.replace("_", " ")
