"""The organisation's report for one period, computed in one place: tenants reminded, reached and consented (the
outcome page's funnel), the rent path's events, evictions counted both ways, kommune referrals, tenants outreach
never reached, the before/after comparison and the estimated saving with the numbers put into it.

The "after" runs from go-live — the first day keephome reminded a tenant — to the period's last day; the "before"
is the sum of the yearly figures an admin entered (report_baselines). Evictions per filing is evictions ÷ filings
over the same days (a year's evictions may come from an earlier year's filings, as in the yearly figures). The
saving is (evictions per filing before − after) × filings after × KEEPHOME_EVICTION_COST; when it cannot be
computed the report says why instead of showing 0. Only aggregates: nothing here names a tenant.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from babel.numbers import format_decimal
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.console.outcome_figures import Steps
from bot.console.outcome_period import Period
from bot.console.outcome_queries import funnel_query
from bot.console.report_queries import baselines_query, events_query, go_live_query, referrals_query
from bot.host.outreach import never_reached_query
from bot.i18n import N_
from bot.i18n import gettext as _

__all__ = [
    "COURT_OUTCOMES",
    "DECISIONS",
    "EVICTIONS",
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
    "load_report",
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
    events: Counter[str]
    referrals: Counter[str]  # by decision; "pending" for none yet
    never_reached: int  # tenants outreach was tried on (first in the period) and never reached: bot/host/outreach.py
    before_after: BeforeAfter
    saving: Saving

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
    """A rate or a count of evictions as the page writes it (Danish digits)."""
    if value is None:
        return "–"
    return str(format_decimal(_decimal(value, places), format="#,##0." + "0" * places, locale="da_DK"))


def rate_cell(value: Fraction | None, places: int = 3) -> Decimal | str:
    """A rate or a count of evictions for the CSV: a number, written with the reader's decimal mark; empty for none."""
    return "" if value is None else _decimal(value, places)


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
    return Report(whole, tenants, events, decided, never_reached, compared, saving)


def report_rows(report: Report) -> Iterable[list[object]]:
    """The report as CSV rows (section, figure, value), in the reader's language as the outcome page's CSVs are:
    the words through the catalogue (in English the stable keys they always were), figures only, nothing about
    one tenant. A rate is a number, which the writer gives the reader's decimal mark."""
    yield _words("section", "figure", "value")
    yield [*_words("period", "from"), report.period.first.isoformat()]
    yield [*_words("period", "to"), report.period.last.isoformat()]
    for key in ("reminded", "reached", "consented"):
        yield [*_words("tenants", key), report.tenants.counts[key]]
    for key, _label in RENT_STEPS:
        yield [*_words("rent_path", key), report.events.get(key, 0)]
    for key, _label in COURT_OUTCOMES:
        yield [*_words("court_outcomes", key), report.events.get(key, 0)]
    for key, _label, kinds in EVICTIONS:
        yield [*_words("evictions", key), report.evictions(kinds)]
    yield [*_words("referrals", "made"), report.referrals_made]
    for key, _label in DECISIONS:
        yield [*_words("referrals", key), report.referrals.get(key, 0)]
    yield [*_words("outreach", "never_reached"), report.never_reached]
    ba = report.before_after
    yield [*_words("before_after", "go_live"), ba.go_live.isoformat() if ba.go_live else ""]
    yield [*_words("before_after", "baseline_years"), " ".join(str(y.year) for y in ba.years)]
    # Without a year entered there is no "before" at all (not a before of 0).
    yield [*_words("before_after", "before_filings"), ba.before.filings if ba.years else ""]
    yield [*_words("before_after", "before_evictions"), ba.before.evictions if ba.years else ""]
    yield [*_words("before_after", "before_evictions_per_filing"), rate_cell(ba.before.value)]
    yield [
        *_words("before_after", "before_evictions_with_moves_per_filing"),
        rate_cell(ba.before_with_moves.value if ba.before_with_moves else None),
    ]
    yield [*_words("before_after", "after_from"), ba.go_live.isoformat() if ba.go_live else ""]
    yield [*_words("before_after", "after_to"), ba.last.isoformat()]
    yield [*_words("before_after", "after_filings"), ba.after.filings]
    yield [*_words("before_after", "after_evictions"), ba.after.evictions]
    yield [*_words("before_after", "after_evictions_per_filing"), rate_cell(ba.after.value)]
    yield [
        *_words("before_after", "after_evictions_with_moves_per_filing"),
        rate_cell(ba.after_with_moves.value),
    ]
    s = report.saving
    yield [*_words("saving", "eviction_cost_kr"), s.cost]
    yield [*_words("saving", "evictions_avoided"), rate_cell(s.avoided, 2)]
    yield [*_words("saving", "estimated_kr"), "" if s.amount is None else s.amount]
    missing = _MISSING_KEYS.get(s.missing or "")
    yield [*_words("saving", "not_computed"), _(_CSV_WORDS[missing]) if missing else ""]


def _words(*keys: str) -> list[object]:
    """The CSV's words for these keys in the reader's language."""
    return [_(_CSV_WORDS[key]) for key in keys]


# The CSV's words: in English the keys themselves (msgids), in Danish through the catalogue, as the outcome page's
# CSVs have theirs (bot/console/outcome_charts.py). DESIGN.md's contract names none of them.
_CSV_WORDS = {
    "section": N_("section"),
    "figure": N_("figure"),
    "value": N_("value"),
    "period": N_("period"),
    "from": N_("from"),
    "to": N_("to"),
    "tenants": N_("tenants"),
    "reminded": N_("reminded"),
    "reached": N_("reached"),
    "consented": N_("consented"),
    "rent_path": N_("rent_path"),
    "demand": N_("demand"),
    "termination": N_("termination"),
    "filing": N_("filing"),
    "court_date": N_("court_date"),
    "kommune_notified": N_("kommune_notified"),
    "court_outcomes": N_("court_outcomes"),
    "postponed": N_("postponed"),
    "called_off": N_("called_off"),
    "carried_out": N_("carried_out"),
    "moved_out": N_("moved_out"),
    "evictions": N_("evictions"),
    "with_moves": N_("with_moves"),
    "referrals": N_("referrals"),
    "made": N_("made"),
    "granted": N_("granted"),
    "granted_with_conditions": N_("granted_with_conditions"),
    "refused": N_("refused"),
    "pending": N_("pending"),
    "outreach": N_("outreach"),
    "never_reached": N_("never_reached"),
    "before_after": N_("before_after"),
    "go_live": N_("go_live"),
    "baseline_years": N_("baseline_years"),
    "before_filings": N_("before_filings"),
    "before_evictions": N_("before_evictions"),
    "before_evictions_per_filing": N_("before_evictions_per_filing"),
    "before_evictions_with_moves_per_filing": N_("before_evictions_with_moves_per_filing"),
    "after_from": N_("after_from"),
    "after_to": N_("after_to"),
    "after_filings": N_("after_filings"),
    "after_evictions": N_("after_evictions"),
    "after_evictions_per_filing": N_("after_evictions_per_filing"),
    "after_evictions_with_moves_per_filing": N_("after_evictions_with_moves_per_filing"),
    "saving": N_("saving"),
    "eviction_cost_kr": N_("eviction_cost_kr"),
    "evictions_avoided": N_("evictions_avoided"),
    "estimated_kr": N_("estimated_kr"),
    "not_computed": N_("not_computed"),
    "no_baseline": N_("no_baseline"),
    "no_baseline_filings": N_("no_baseline_filings"),
    "no_go_live": N_("no_go_live"),
    "no_filings_after": N_("no_filings_after"),
}


_MISSING_KEYS = {
    NO_BASELINE: "no_baseline",
    NO_BASELINE_FILINGS: "no_baseline_filings",
    NO_GO_LIVE: "no_go_live",
    NO_FILINGS_AFTER: "no_filings_after",
}
