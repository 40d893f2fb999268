"""A long list on a console page, shown a page at a time: its own query parameter (`?wrong=2`), so several lists on
one page each keep their place, and a pager under it (`templates/console/_pager.html`). A list's filters (`?actor=`)
are kept by its links too.

A page number past the last shows the last page (a list that shrank while its page was open). A list of thousands
is then neither shown nor audited at once: a view names the rows its page showed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TypeVar
from urllib.parse import urlencode

from starlette.requests import Request

from bot.console.ids import whole_number

__all__ = ["MAX_PAGE", "Page", "page_of"]

MAX_PAGE = 1_000_000  # keeps the offset a number the database accepts

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list of `count` rows, `size` a page: `number` from 1 to `pages`; `kept` are the query's other
    parameters (the list's filters) that the links to other pages carry."""

    param: str
    number: int
    size: int
    count: int
    kept: tuple[tuple[str, str], ...] = ()

    @property
    def pages(self) -> int:
        """How many pages the list fills (one, when it is empty)."""
        return max(1, -(-self.count // self.size))

    @property
    def offset(self) -> int:
        """The rows before this page."""
        return (self.number - 1) * self.size

    def cut(self, rows: Sequence[T]) -> list[T]:
        """This page's rows out of the whole list."""
        return list(rows[self.offset : self.offset + self.size])

    def query(self, number: int, others: Sequence[Page] = ()) -> str:
        """The link to page `number` of this list with its filters, the page's `others` lists kept where they are
        (not past page 1)."""
        places = {other.param: other.number for other in others if other.number > 1 and other.param != self.param}
        return "?" + urlencode({**dict(self.kept), **places, self.param: number})


def page_of(request: Request, param: str, size: int, count: int, keep: Sequence[str] = ()) -> Page:
    """The page `?<param>=` asks for of a list of `count` rows; past the last, the last. The query's parameters named
    in `keep` (the filters that made the list), those not left empty, go with the links to its other pages."""
    asked = whole_number(request.query_params.get(param, "1"), "page", minimum=1, maximum=MAX_PAGE)
    kept = tuple((name, value) for name in keep if (value := request.query_params.get(name, "")).strip())
    whole = Page(param, 1, size, count, kept)
    return replace(whole, number=min(asked, whole.pages))
