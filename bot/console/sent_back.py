"""A console form refused for what was entered comes back at itself: its page again (422), why at the form (said to a
screen reader, given the keyboard's place) and every field it keeps as entered, to correct rather than type again on a
phone. The one mechanism for every page with such forms: the page renders with a `SentBack` (templates use the `why`
macro of templates/console/_sent_back.html and `value`/`chosen` for the fields); `send_back_on` makes what the route's
guard answers a refusal with (`guard(..., send_back=...)`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from bot.console.sessions import SendBack, StaffSession
from bot.console.web import read_form

__all__ = ["NONE_SENT_BACK", "FormOnPage", "PageWithForm", "SentBack", "row_form", "send_back_on"]


@dataclass(frozen=True)
class SentBack:
    """A form of a page that was refused, shown again at itself: `form`, its id on the page; why; and what was
    entered in the fields it keeps (each field's values as posted: a box ticked is one of them), to correct, not to
    type again."""

    form: str
    error: str
    entered: Mapping[str, tuple[str, ...]]
    # Not a refusal: the form back with what was entered for another reason (the text typed before a session ended,
    # after signing in again), said as a notice.
    notice: bool = False

    def why(self, form: str) -> str | None:
        """Why `form` was refused, when it is the form sent back."""
        return self.error if form == self.form else None

    def value(self, form: str, name: str, default: str = "") -> str:
        """What `form`'s field holds: as entered when it is the form sent back, else `default`."""
        if form != self.form:
            return default
        values = self.entered.get(name, ())
        return values[-1] if values else ""

    def chosen(self, form: str, name: str, value: object, default: bool = False) -> bool:
        """Whether `form`'s option or box `value` of the field `name` is chosen: as entered when it is the form sent
        back, else `default`."""
        return str(value) in self.entered.get(name, ()) if form == self.form else default

    def shown_on(self, page: Response) -> bool:
        """Whether the page came back with this form at itself: the form is on it as things are now (a row's form whose
        row moved on meanwhile is not, and then there is nothing to come back at)."""
        return f'id="{self.form}-error"'.encode() in page.body


# A page as it is opened: no form sent back.
NONE_SENT_BACK = SentBack("", "", {})

# A page shown with one of its forms sent back (the status, the form): None when there is no such page any more, or the
# form is not on it as things are now (`SentBack.shown_on`, asked before the page audits its view: a refusal that ends
# on the page every form has showed nothing, and stores nothing).
PageWithForm = Callable[[Request, StaffSession, int, SentBack], Awaitable[Response | None]]
# The id on its page of the form posted (a row's form names its row, from the path or the form); None: on no page.
FormOnPage = str | Callable[[Request, FormData], Awaitable[str | None]]


def row_form(form: str, path_name: str) -> FormOnPage:
    """The form `form` of the row the path names, one such form a row (`role-7` for /console/staff/7/role)."""

    async def of_row(request: Request, posted: FormData) -> str:
        return f"{form}-{request.path_params[path_name]}"

    return of_row


def send_back_on(page: PageWithForm, form: FormOnPage, *fields: str) -> SendBack:
    """What a refused form answers: `page` with the form `form` sent back at itself, why, and what was entered in its
    `fields`; None (the refusal page every form has says why) when the form is not on that page as things are now."""

    async def sent_back(request: Request, me: StaffSession, status: int, why: str) -> Response | None:
        posted = await read_form(request)
        form_id = form if isinstance(form, str) else await form(request, posted)
        if form_id is None:
            return None
        entered = {name: tuple(str(value) for value in posted.getlist(name)) for name in fields}
        back = SentBack(form_id, why, entered, notice=status < 400)
        shown = await page(request, me, status, back)
        return shown if shown is not None and back.shown_on(shown) else None

    return sent_back
