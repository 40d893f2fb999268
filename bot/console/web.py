"""What every console page shares: templates, formatting in Danish, the clock and small form helpers."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from python_multipart.exceptions import FormParserError
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.console.accounts import ROLE_LABELS
from bot.console.labels import label
from bot.i18n import (
    N_,
    Explained,
    Label,
    clock,
    console_templates,
    current_language,
    format_locale,
    gettext,
    local_day,
    local_moment,
    money,
    speaking,
    use_language,
)
from bot.inbound.inbox import clean_text
from bot.runtime import Runtime
from bot.store.election import role_held_somewhere
from bot.tenants.csv_rows import local_today
from bot.tenants.phones import readable

__all__ = [
    "FormError",
    "NotFound",
    "SendingStateOnEveryPage",
    "day_and_time",
    "field",
    "field_name",
    "form_nonce",
    "from_before_to",
    "local_day",
    "local_time",
    "money",
    "now",
    "parse_day",
    "read_form",
    "redirect",
    "render",
    "role_name",
    "runtime",
    "today",
]

_env = console_templates()


def role_name(role: str) -> str:
    """A staff role in the reader's language ("rådgiver" for adviser)."""
    return gettext(ROLE_LABELS[role]) if role in ROLE_LABELS else role


def in_danish(caller: Callable[[], str]) -> Markup:
    """`{% call in_danish() %}…{% endcall %}`: the part of a page that is a document for a Danish authority (the
    § 92 notice to the kommune, a referral) is in Danish, whatever the language of the person printing it."""
    with speaking("da"):
        return Markup(caller())


_env.globals["role_name"] = role_name
_env.globals["label"] = label
_env.globals["in_danish"] = in_danish
# A number as the tenants' texts write it (bot/outbox/render.py): "20 12 34 56", not "+4520123456".
_env.filters["phone"] = readable


class FormError(Explained, ValueError):
    """A form field that is missing or wrong; the page answers 422 with the message.

    Its `name` value is the field as the form posts it (`signed_on`): the message names it by its label
    (`field_name`), so a person reads the words the form shows beside the field, never its code name.
    """

    def __init__(self, message: str, **values: object) -> None:
        name = values.get("name")
        if isinstance(name, str) and not isinstance(name, Label):
            values["name"] = field_name(name)
        super().__init__(message, **values)


class NotFound(Explained, LookupError):
    """The case, tenant or person in the path does not exist; the page answers 404."""


class SendingStateOnEveryPage:
    """ASGI middleware: reads the pause switch as stored, and whether some process sends, once per console request,
    for the page's banners.

    Never a copy kept in the process: a pause or resume made through any process, or the last sending process
    stopping, shows on every process's pages at once. Other paths (webhooks, the console's static files) pass
    untouched.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path.startswith("/console/") and not path.startswith("/console/static/"):
            rt: Runtime = scope["app"].state.rt
            # The deployment's language until the session says whose request it is (bot/console/sessions.py).
            use_language(rt.settings.console_language)
            state = scope.setdefault("state", {})
            async with rt.db.read() as conn:  # one connection for both
                state["paused"] = await rt.paused(conn)
                # The sender role's holder sends and, on PostgreSQL, handles every inbound message (bot/starter.py).
                state["sending"] = await role_held_somewhere(rt.db, conn, "sender", here=rt.settings.run_sender)
        await self.app(scope, receive, send)


def runtime(request: Request) -> Runtime:
    """The running service the app was built around."""
    rt: Runtime = request.app.state.rt
    return rt


def now(request: Request) -> datetime:
    """The shell's clock (UTC)."""
    return runtime(request).clock()


def _zone(request: Request) -> ZoneInfo:
    return ZoneInfo(runtime(request).settings.timezone)


def today(request: Request) -> date:
    """Today in the organisation's time zone (the import's rule, `local_today`)."""
    return local_today(now(request), runtime(request).settings.timezone)


def _make_local_time(zone: ZoneInfo, this_year: int) -> Any:
    def local_time(value: datetime | None, year: bool = False) -> str:
        if value is None:
            return "–"
        local = value.astimezone(zone)
        # The year when it is not this one ("5. dec. kl. 02.05" of last year would read as days ahead), and always on
        # what leaves the console (`year`: a printed referral).
        return local_moment(local, year=year or local.year != this_year)

    return local_time


def local_time(request: Request, value: datetime | None) -> str:
    """A moment in the organisation's zone in the reader's language, e.g. '3. mar. kl. 14.05' in Danish, '3. mar.
    14:05' in English ('3. mar. 2025 kl. 14.05' in another year)."""
    formatter: str = _make_local_time(_zone(request), today(request).year)(value)
    return formatter


def render(request: Request, name: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    """Render a console template with the signed-in person (if any) and the formatting filters."""
    template = _env.get_template(name)
    values.setdefault("me", getattr(request.state, "staff", None))
    values.setdefault("error", None)
    html = template.render(
        **values,
        money=money,
        local_date=local_day,
        local_time=_make_local_time(_zone(request), today(request).year),
        clock=clock,
        paused=bool(getattr(request.state, "paused", False)),
        nobody_sends=not getattr(request.state, "sending", True),
        page_language=current_language(),
        # The locale a date field's words are written in beside it (static/dates.js): "da-DK", "en-GB".
        date_locale=format_locale().replace("_", "-"),
        no_channel=not runtime(request).channels,
        here=request.url.path,
    )
    headers = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}
    return HTMLResponse(html, status_code=status_code, headers=headers)


def redirect(path: str) -> RedirectResponse:
    """A redirect after a POST (303, so the browser follows with GET)."""
    return RedirectResponse(path, status_code=303)


async def read_form(request: Request) -> FormData:
    """The posted form; an empty one when the body cannot be parsed (a malformed multipart body, which the parser
    raises on and Starlette does not turn into a 400), so the form's CSRF check refuses it with a 403."""
    try:
        return await request.form()
    except FormParserError:
        return FormData()


# A form field as its error names it: the label the form shows beside it, in short (a form whose field of the same
# name has another label passes its own: `field(form, "text", label=N_("Internal note"))`). Every field a console
# form posts is here (tests/bot/console/test_form_errors.py reads the templates' forms to keep it so).
FIELD_LABELS = {
    "text": N_("Message"),
    "task": N_("Task"),
    "due": N_("Due"),
    "note": N_("Note"),
    "reason": N_("Reason"),
    "email": N_("E-mail"),
    "password": N_("Password"),
    "current": N_("Current password"),
    "repeat": N_("The same again"),
    "role": N_("Role"),
    "organisation": N_("Volunteer organisation"),
    "name": N_("Name"),
    "scope": N_("Scope"),
    "ref": N_("Tenant reference"),
    "format": N_("Format"),
    "paused": N_("Pause"),
    "language": N_("Language"),
    "outcome": N_("Outcome"),
    "day": N_("Day"),
    "time": N_("Time"),
    "why": N_("Why an adviser is needed"),
    "place": N_("Place"),
    "template": N_("Send a prepared message"),
    "purpose": N_("Purpose"),
    "recipient": N_("Name of the unit or organisation"),
    "recipient_kind": N_("Recipient"),
    "kinds": N_("Kinds of data"),
    "method": N_("Given"),
    "signed_on": N_("Signed on"),
    "wording": N_("The form's wording or reference"),
    "decision": N_("The kommune's decision"),
    "decided_on": N_("Decided on"),
    "consent_id": N_("Consent"),
    "help": N_("Help sought"),
    "kind": N_("Step"),
    "status": N_("Status"),
    "volunteer_id": N_("Volunteer"),
    "adviser_id": N_("Adviser"),
    "caretaker_id": N_("Caretaker"),
    "task_id": N_("Task"),
    "next": N_("If not reached, the caretaker's next step"),
    "advice_kind": N_("Kind of advice"),
    "retskreds": N_("Court district"),
    "meeting_kind": N_("Where the fogedret meets"),
    "reached_by_phone": N_("The court reached the tenant by phone"),
    "filed_on": N_("Filed with the fogedret on"),
    "court_date": N_("Court date"),
    "court_date_passed": N_("The court date has passed"),
    "on": N_("Date"),
    "sent_on": N_("Sent on"),
    "from": N_("From"),
    "to": N_("To"),
    "stage": N_("Reminded at the stage"),
    "actor": N_("Who"),
    "action": N_("What"),
    "target": N_("On"),
    "year": N_("Year"),
    "page": N_("Page"),
}


def field_name(name: str) -> str:
    """How an error names the form field `name`: its label (translated where the error is shown)."""
    return Label(FIELD_LABELS[name]) if name in FIELD_LABELS else name


def field(form: FormData, name: str, *, max_length: int = 2000, required: bool = True, label: str | None = None) -> str:
    """A stripped text field; raises FormError when it is required and empty or too long, naming the field by
    `label` (a msgid: the form's own label) or else by its label in FIELD_LABELS."""
    raw = form.get(name)
    # As every database can store it (a NUL from a pasted text failed the write on PostgreSQL with a 500).
    value = clean_text(raw).strip() if isinstance(raw, str) else ""
    shown_as = Label(label) if label is not None else field_name(name)
    if required and not value:
        raise FormError(N_("'%(name)s' is required"), name=shown_as)
    if len(value) > max_length:
        raise FormError(N_("'%(name)s' is longer than %(length)d characters"), name=shown_as, length=max_length)
    return value


# The days a form may name: a date typed with a two-digit or a mistyped year ("0026-03-01", "9999-12-31") is refused
# instead of being stored ("1. jan. 1" on a printed notice) or overflowing a period's end (a 500).
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)


def parse_day(raw: str, name: str) -> date:
    """A form's or query's day as 2026-03-01, between FIRST_DAY and LAST_DAY; FormError (422) naming the field
    otherwise."""
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        raise FormError(N_("'%(name)s' must be a date like 2026-03-01"), name=field_name(name))
    return day


def day_and_time(form: FormData, zone: ZoneInfo) -> datetime:
    """An appointment's day and time as entered (local time in `zone`); FormError when either is not one."""
    try:
        clock = time.fromisoformat(field(form, "time", max_length=5))
        day = parse_day(field(form, "day", max_length=10), "day")
    except (ValueError, FormError):
        raise FormError(N_("Write the day as 2026-03-01 and the time as 14:30.")) from None
    return datetime.combine(day, clock, zone)


def from_before_to(first: date | None, last: date | None) -> None:
    """A form's "From" and "To" (a period, a filter): FormError when "From" is the later day."""
    if first is not None and last is not None and first > last:
        raise FormError(N_("'%(name)s' is after '%(other)s'"), name="from", other=field_name("to"))


_NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def form_nonce(form: FormData) -> str:
    """The one-time value a form that sends something to the tenant or makes a record carries (its outbox key, or the
    case event's `form_nonce`, so a double submit acts once); FormError when it is missing or not one keephome made."""
    nonce = field(form, "nonce", max_length=64, required=False)
    if not _NONCE.match(nonce):
        raise FormError(N_("The form is damaged: reload the page."))
    return nonce
