"""The organisation's report for one period, computed in one place: tenants reminded, reached and consented and the
median days to an adviser's contact (the outcome page's funnel), the cases opened and the cases closed by outcome
(the outcome page's chart of them), the rent path's events, evictions counted both ways, kommune referrals, tenants
outreach never reached, the before/after comparison and the estimated saving with the numbers put into it.

The "after" runs from go-live — the first day keephome reminded a tenant — to the period's last day; the "before"
is the sum of the yearly figures an admin entered (report_baselines). Evictions per filing is evictions ÷ filings
over the same days (a year's evictions may come from an earlier year's filings, as in the yearly figures). The
saving is (evictions per filing before − after) × filings after × KEEPHOME_EVICTION_COST; when it cannot be
computed the report says why instead of showing 0. Only aggregates: nothing here names a tenant.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.console.labels import OUTCOME_LABELS
from bot.console.outcome_figures import Steps, both_words
from bot.console.outcome_period import Period
from bot.console.outcome_queries import case_contact_query, closed_query, funnel_query
from bot.console.report_queries import baselines_query, events_query, go_live_query, referrals_query
from bot.host.cases import OUTCOMES
from bot.host.outreach import never_reached_query
from bot.i18n import N_, number
from bot.i18n import gettext as _

__all__ = [
    "CASES_CLOSED",
    "CASE_OUTCOMES",
    "COURT_OUTCOMES",
    "CSV_FIGURES",
    "CSV_SECTIONS",
    "DECISIONS",
    "EVICTIONS",
    "MEDIAN_DAYS",
    "MEDIAN_HOURS",
    "NO_BASELINE",
    "NO_BASELINE_FILINGS",
    "NO_FILINGS_AFTER",
    "NO_GO_LIVE",
    "RENT_STEPS",
    "BeforeAfter",
    "Rate",
    "Report",
    "Saving",
    "estimate_saving",
    "figure_words",
    "half_cell",
    "load_report",
    "median_text",
    "rate_text",
    "report_rows",
]

# The rent path's steps (rent_events kinds) as the report names them, in the order they happen.
RENT_STEPS = (
    ("demand", N_("Påkrav sent")),
    ("termination", N_("Tenancies terminated (ophævelse)")),
    ("filing", N_("Cases filed with the fogedret")),
    ("court_date", N_("Court dates set")),
    ("kommune_notified", N_("Kommune notified of a filing")),
)
COURT_OUTCOMES = (
    ("postponed", N_("Court meeting postponed")),
    ("called_off", N_("Called off after payment or agreement")),
    ("carried_out", N_("Eviction carried out by the fogedret")),
    ("moved_out", N_("Moved out after the filing")),
)
# Evictions counted both ways, each with what it counts.
EVICTIONS = (
    ("carried_out", N_("Evictions carried out by the fogedret"), ("carried_out",)),
    ("with_moves", N_("Evictions including moves after a filing"), ("carried_out", "moved_out")),
)
DECISIONS = (
    ("granted", N_("Granted")),
    ("granted_with_conditions", N_("Granted with conditions")),
    ("refused", N_("Refused")),
    ("pending", N_("No decision yet")),
)
# The cases closed with an outcome, by outcome, in the words of the case page and the outcome page's chart.
CASE_OUTCOMES = tuple((key, OUTCOME_LABELS[key]) for key in OUTCOMES)
CASES_CLOSED = N_("Cases closed with an outcome")
MEDIAN_DAYS = N_("Median days from the first reminder to an adviser's contact")
MEDIAN_HOURS = N_("Median hours from a case's opening to an adviser's first contact")
_AFTER_KINDS = ("filing", "carried_out", "moved_out")

NO_BASELINE = N_("No figures from before go-live have been entered yet (an admin enters them).")
NO_BASELINE_FILINGS = N_("The figures from before go-live have no filings, so there is no rate to compare with.")
NO_GO_LIVE = N_("keephome has not reminded a tenant yet, so there is no “after” to compare.")
NO_FILINGS_AFTER = N_("No case has been filed with the fogedret since go-live, so there is nothing to compare.")


@dataclass(frozen=True, slots=True)
class Rate:
    """Evictions per filing over some days: None when there was no filing."""

    evictions: int
    filings: int

    @property
    def value(self) -> Fraction | None:
        return None if self.filings == 0 else Fraction(self.evictions, self.filings)


@dataclass(frozen=True, slots=True)
class BeforeAfter:
    """The yearly figures from before go-live (summed) against the events from go-live to the period's end."""

    go_live: date | None
    last: date
    years: list[Any]  # report_baselines rows, by year
    before: Rate
    before_with_moves: Rate | None  # only when every year entered has its evictions including moves
    after: Rate
    after_with_moves: Rate


@dataclass(frozen=True, slots=True)
class Saving:
    """The estimated saving, the numbers put into it, or why it cannot be computed (`missing`, a msgid)."""

    cost: int  # kroner per eviction
    before: Fraction | None
    after: Fraction | None
    filings: int
    avoided: Fraction | None  # (before − after) × filings: evictions fewer than at the old rate
    amount: int | None  # kroner, rounded
    missing: str | None


@dataclass(frozen=True, slots=True)
class Report:
    """Every figure of the organisation's report for one period (all stages)."""

    period: Period
    tenants: Steps
    cases_opened: int
    case_contact_hours: Counter[int]  # the cases opened that an adviser reached, by whole hours to the first contact
    cases_closed: Counter[str]  # closed in the period with an outcome, by outcome (the outcome page's chart)
    events: Counter[str]
    referrals: Counter[str]  # by decision; "pending" for none yet
    never_reached: int  # tenants outreach was tried on (first in the period) and never reached: bot/host/outreach.py
    before_after: BeforeAfter
    saving: Saving

    @property
    def cases_reached(self) -> int:
        return sum(self.case_contact_hours.values())

    @property
    def median_hours(self) -> float | None:
        """The median of the whole hours from a case's opening to an adviser's first contact; None when none was."""
        hours = sorted(self.case_contact_hours.elements())
        return None if not hours else float(statistics.median(hours))

    @property
    def cases_closed_total(self) -> int:
        return sum(self.cases_closed.values())

    @property
    def referrals_made(self) -> int:
        return sum(self.referrals.values())

    def evictions(self, kinds: tuple[str, ...]) -> int:
        return sum(self.events.get(kind, 0) for kind in kinds)


def estimate_saving(before: Rate | None, after: Rate | None, cost: int) -> Saving:
    """(evictions per filing before − after) × filings after × cost, or why not."""
    if before is None:
        return Saving(cost, None, None, 0, None, None, NO_BASELINE)
    if after is None:
        return Saving(cost, before.value, None, 0, None, None, NO_GO_LIVE)
    if before.value is None:
        return Saving(cost, None, after.value, after.filings, None, None, NO_BASELINE_FILINGS)
    if after.value is None:
        return Saving(cost, before.value, None, 0, None, None, NO_FILINGS_AFTER)
    avoided = (before.value - after.value) * after.filings
    amount = Decimal(avoided.numerator * cost) / Decimal(avoided.denominator)
    return Saving(
        cost,
        before.value,
        after.value,
        after.filings,
        avoided,
        int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)),
        None,
    )


def _decimal(value: Fraction, places: int) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def rate_text(value: Fraction | None, places: int = 3) -> str:
    """A rate or a count of evictions as the page writes it, in the reader's language ('0,125' in Danish, '0.125' in
    English)."""
    if value is None:
        return "–"
    return number(_decimal(value, places), "#,##0." + "0" * places)


def rate_cell(value: Fraction | None, places: int = 3) -> Decimal | str:
    """A rate or a count of evictions for the CSV: a number, written with the reader's decimal mark; empty for none."""
    return "" if value is None else _decimal(value, places)


def half_cell(median: float | None) -> Decimal | str:
    """A median of whole numbers for the CSV ('3', or '3.5' with the reader's decimal mark); empty for none."""
    return "" if median is None else _decimal(Fraction(median), 0 if median.is_integer() else 1)


def median_text(median: float | None) -> str:
    """A median of whole numbers as the page writes it ('3,5' in Danish); a dash for none."""
    return "–" if median is None else number(median)


async def _counts(conn: AsyncConnection, query: Any) -> Counter[str]:
    return Counter({str(row[0]): int(row[1]) for row in (await conn.execute(query)).all()})


async def load_report(conn: AsyncConnection, period: Period, cost: int, funnel: Steps | None = None) -> Report:
    """Every figure of the report for the period's days (whatever stage the outcome page shows). `funnel`: the
    outcome page's totals for the same days and all stages, when it has them, so the funnel is not read twice."""
    whole = replace(period, stage=None)
    tenants = funnel
    if tenants is None:
        tenants = Steps(N_("All reminded tenants"))
        for row in (await conn.execute(funnel_query(conn.dialect.name, whole))).all():
            tenants.add(row)
    opened, contact_hours = 0, Counter[int]()
    for row in (await conn.execute(case_contact_query(conn.dialect.name, whole))).all():
        opened += int(row.n)
        if row.hours is not None:
            contact_hours[max(0, int(row.hours))] += int(row.n)
    closed = Counter[str]()
    for row in (await conn.execute(closed_query(conn.dialect.name, whole))).all():
        closed[str(row.outcome)] += int(row.n)
    events = await _counts(conn, events_query(whole))
    decided = Counter(
        {str(row.decision or "pending"): int(row.n) for row in (await conn.execute(referrals_query(whole))).all()}
    )
    never_reached = int((await conn.execute(never_reached_query(whole.start, whole.end))).scalar_one())
    go_live: date | None = (await conn.execute(go_live_query())).scalar()
    after = Counter[str]()
    if go_live is not None and go_live <= whole.last:
        after = await _counts(conn, events_query(replace(whole, first=go_live), _AFTER_KINDS))
    years = list((await conn.execute(baselines_query())).all())
    with_moves = [y.evictions_with_moves for y in years]
    compared = BeforeAfter(
        go_live,
        whole.last,
        years,
        Rate(sum(y.evictions for y in years), sum(y.filings for y in years)),
        Rate(sum(n for n in with_moves if n is not None), sum(y.filings for y in years))
        if years and None not in with_moves
        else None,
        Rate(after["carried_out"], after["filing"]),
        Rate(after["carried_out"] + after["moved_out"], after["filing"]),
    )
    saving = estimate_saving(compared.before if years else None, compared.after if go_live else None, cost)
    return Report(whole, tenants, opened, contact_hours, closed, events, decided, never_reached, compared, saving)


def report_rows(report: Report) -> Iterable[list[object]]:
    """The report as CSV rows (section, figure, value), in the reader's language and in the words the report's page
    uses (`CSV_SECTIONS`, `CSV_FIGURES`): figures only, nothing about one tenant. A rate is a number, which the writer
    gives the reader's decimal mark."""
    yield [_(word) for word in (N_("section"), N_("figure"), N_("value"))]
    for section, figure, value in _cells(report):
        yield [_(CSV_SECTIONS[section]), figure_words(section, figure), value]


def figure_words(section: str, figure: str) -> str:
    """A figure's name in the CSV, in the reader's language: the page's words for it, and a figure of the before and
    after table its row's words with its column's ("Sager indgivet til fogedretten (Før)")."""
    words = CSV_FIGURES[section, figure]
    if isinstance(words, tuple):
        row, column = words
        return both_words(_(row), _(column))
    return _(words)


def _cells(report: Report) -> Iterable[tuple[str, str, object]]:
    yield "period", "from", report.period.first.isoformat()
    yield "period", "to", report.period.last.isoformat()
    for key in ("reminded", "reached", "consented"):
        yield "tenants", key, report.tenants.counts[key]
    yield "tenants", "median_days_to_contact", half_cell(report.tenants.median_contact)
    yield "cases", "opened", report.cases_opened
    yield "cases", "reached", report.cases_reached
    yield "cases", "median_hours_to_contact", half_cell(report.median_hours)
    yield "cases", "closed", report.cases_closed_total
    for key, _label in CASE_OUTCOMES:
        yield "cases", key, report.cases_closed.get(key, 0)
    for key, _label in RENT_STEPS:
        yield "rent_path", key, report.events.get(key, 0)
    for key, _label in COURT_OUTCOMES:
        yield "court_outcomes", key, report.events.get(key, 0)
    for key, _label, kinds in EVICTIONS:
        yield "evictions", key, report.evictions(kinds)
    yield "referrals", "made", report.referrals_made
    for key, _label in DECISIONS:
        yield "referrals", key, report.referrals.get(key, 0)
    yield "outreach", "never_reached", report.never_reached
    ba = report.before_after
    yield "before_after", "go_live", ba.go_live.isoformat() if ba.go_live else ""
    yield "before_after", "baseline_years", " ".join(str(y.year) for y in ba.years)
    # Without a year entered there is no "before" at all (not a before of 0).
    yield "before_after", "before_filings", ba.before.filings if ba.years else ""
    yield "before_after", "before_evictions", ba.before.evictions if ba.years else ""
    yield "before_after", "before_evictions_per_filing", rate_cell(ba.before.value)
    yield (
        "before_after",
        "before_evictions_with_moves_per_filing",
        rate_cell(ba.before_with_moves.value if ba.before_with_moves else None),
    )
    yield "before_after", "after_from", ba.go_live.isoformat() if ba.go_live else ""
    yield "before_after", "after_to", ba.last.isoformat()
    yield "before_after", "after_filings", ba.after.filings
    yield "before_after", "after_evictions", ba.after.evictions
    yield "before_after", "after_evictions_per_filing", rate_cell(ba.after.value)
    yield "before_after", "after_evictions_with_moves_per_filing", rate_cell(ba.after_with_moves.value)
    s = report.saving
    yield "saving", "eviction_cost_kr", s.cost
    yield "saving", "evictions_avoided", rate_cell(s.avoided, 2)
    yield "saving", "estimated_kr", "" if s.amount is None else s.amount
    # Why not, as the page says it.
    yield "saving", "not_computed", _(s.missing) if s.missing else ""


# The CSV's words are the page's (the same msgids), so the file says what the page says in either language: the
# adviser's contact is the page's "Nået af en rådgiver", not a phone call's "truffet". A figure the page shows only as
# a table's row and column, or not at all, has words of its own. DESIGN.md's contract names none of them.
CSV_SECTIONS = {
    "period": N_("Period"),
    "tenants": N_("Tenants"),
    "cases": N_("Cases"),
    "rent_path": N_("The rent path"),
    "court_outcomes": N_("At the fogedret"),
    "evictions": N_("Evictions, counted two ways"),
    "referrals": N_("Referrals to the kommune"),
    "outreach": N_("Outreach: calls, door knocks and postcards"),
    "before_after": N_("Before and after go-live"),
    "saving": N_("Estimated saving"),
}
_BEFORE_AFTER_COLUMNS = (("before", N_("Before")), ("after", N_("After")))
_BEFORE_AFTER_ROWS = (
    ("filings", N_("Cases filed with the fogedret")),
    ("evictions", N_("Evictions carried out by the fogedret")),
    ("evictions_per_filing", N_("Evictions per filing")),
    ("evictions_with_moves_per_filing", N_("Evictions including moves, per filing")),
)
CSV_FIGURES: dict[tuple[str, str], str | tuple[str, str]] = {
    ("period", "from"): N_("From"),
    ("period", "to"): N_("To"),
    ("tenants", "reminded"): N_("Reminded"),
    ("tenants", "reached"): N_("Reached by an adviser"),
    ("tenants", "consented"): N_("Consented"),
    ("tenants", "median_days_to_contact"): MEDIAN_DAYS,
    ("cases", "opened"): N_("Cases opened"),
    ("cases", "reached"): N_("Cases an adviser reached"),
    ("cases", "median_hours_to_contact"): MEDIAN_HOURS,
    ("cases", "closed"): CASES_CLOSED,
    # Each outcome as a part of the cases closed, as the page names it: "Sager lukket med et udfald (betalt)".
    **{("cases", key): (CASES_CLOSED, label) for key, label in CASE_OUTCOMES},
    **{("rent_path", key): label for key, label in RENT_STEPS},
    **{("court_outcomes", key): label for key, label in COURT_OUTCOMES},
    **{("evictions", key): label for key, label, _kinds in EVICTIONS},
    ("referrals", "made"): N_("Referrals made"),
    **{("referrals", key): label for key, label in DECISIONS},
    ("outreach", "never_reached"): N_("Tenants never reached"),
    ("before_after", "go_live"): N_("Go-live"),
    ("before_after", "baseline_years"): N_("Years of the figures from before go-live"),
    ("before_after", "after_from"): N_("After: from"),
    ("before_after", "after_to"): N_("After: to"),
    # The before and after table: its row's words and its column's, as the page shows them.
    **{
        ("before_after", f"{when}_{key}"): (row, column)
        for when, column in _BEFORE_AFTER_COLUMNS
        for key, row in _BEFORE_AFTER_ROWS
    },
    ("saving", "eviction_cost_kr"): N_("Cost of one eviction (kr.)"),
    ("saving", "evictions_avoided"): N_("Evictions avoided"),
    ("saving", "estimated_kr"): N_("Estimated saving (kr.)"),
    ("saving", "not_computed"): N_("Not computed, because"),
}
