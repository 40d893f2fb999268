"""The outcome page's charts: the geometry of each SVG chart the template draws, and each chart's CSV rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from bot.console.labels import OUTCOME_LABELS
from bot.console.outcome_figures import Outcomes, Steps, both_words, number, percent
from bot.console.outcome_period import SETTLED_WITHIN, STEPS
from bot.host.cases import OUTCOMES
from bot.i18n import N_, day_in
from bot.i18n import gettext as _

__all__ = [
    "CHARTS",
    "CHART_TITLES",
    "FAILED_SHOWN",
    "OUTCOME_COLOURS",
    "OUTCOME_LABELS",
    "Bar",
    "Column",
    "closed_columns",
    "contact_bars",
    "failure_bars",
    "funnel_bars",
    "settled_bars",
]

OUTCOME_COLOURS = {
    "paid": "#1e7d32",
    "payment_plan": "#66bb6a",
    "kommune": "#0b5cad",
    "boligstoette": "#64a0dc",
    "debt_counselling": "#8e24aa",
    "no_contact": "#b3261e",
    "moved": "#e65100",
    "other": "#5f6b76",
}
# Days from the first reminder to the adviser's contact, as the histogram groups them: (label, first, last). A day
# is 24 hours from the reminder's moment (a contact the next morning came within 24 hours of an evening reminder).
DAY_BUCKETS = (
    (N_("under 24 hours"), 0, 0),
    (N_("1 day"), 1, 1),
    ("2–3", 2, 3),
    ("4–7", 4, 7),
    ("8–14", 8, 14),
    ("15–30", 15, 30),
    (N_("over 30"), 31, None),
)
_WORDED = {label for label, _first, _last in DAY_BUCKETS if any(ch.isalpha() for ch in label)}
FAILED_SHOWN = 12
# A CSV is in the reader's language throughout, its column names too, and says what the page says: a column the
# page shows has the page's own words (the same msgid, so a spreadsheet and the page never name one figure two
# ways: "reached" alone is a phone call's step), the others words of their own. DESIGN.md's contract names none.
_COLUMNS = {
    "group": N_("group"),
    # The funnel's rows of stages and channels, as the page's table heads them.
    "group_value": N_("Stage / channel"),
    # The funnel's steps, as the page's table heads them.
    **dict(STEPS),
    "contact_days": N_("Days from the first reminder to an adviser's contact"),
    # The days' chart counts the tenants an adviser reached: the chart's own title.
    "tenants": N_("Tenants an adviser reached, by days after their first reminder"),
    "channel": N_("channel"),
    "error_code": N_("error code"),
    "messages": N_("messages"),
    "from": N_("from"),
    "stage": N_("stage"),
    "all": N_("all"),
    # The group of the funnel's rows that count its tenants' cases by outcome, under the page's heading of them.
    "outcomes": N_("Outcomes of these tenants' cases"),
    # The outcomes over time: a column each, named as the page names the outcome.
    **OUTCOME_LABELS,
}
# A bar of "Balance back to 0" is "within 7 days" under that heading: the file says both.
_SETTLED_HEADING = N_("Balance back to 0")
_SETTLED_BAR = N_("within %(n)d days")
# The whole each share is of: the tenants whose days have run out (a tenant reminded since is still waiting).
_SETTLED_WAITED = N_("tenants whose %(n)d days have passed")


def _words(*names: str) -> list[object]:
    """Column names (and the funnel's group words) in the reader's language."""
    return [_(_COLUMNS[name]) for name in names]


def _settled_columns() -> list[object]:
    """The tenants each share is of, then the shares' counts."""
    heading = _(_SETTLED_HEADING)
    return [
        *(both_words(heading, _(_SETTLED_WAITED) % {"n": n}) for n in SETTLED_WITHIN),
        *(both_words(heading, _(_SETTLED_BAR) % {"n": n}) for n in SETTLED_WITHIN),
    ]


def _settled_cells(steps: Steps) -> list[object]:
    return [*(steps.waited[n] for n in SETTLED_WITHIN), *(steps.settled[n] for n in SETTLED_WITHIN)]


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of a horizontal bar chart: a label, its value as text, and its length from 0 to 1."""

    label: str
    shown: str
    fraction: float
    colour: str = "#0b5cad"


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a stacked column chart: a label and its segments (colour, height from 0 to 1, count)."""

    label: str
    segments: tuple[tuple[str, float, float, int], ...]  # (colour, bottom, height, count), all 0..1
    total: int

    @property
    def filled(self) -> float:
        """How high the column reaches, from 0 to 1."""
        return sum(height for _, _, height, _ in self.segments)


def _bars(items: Iterable[tuple[str, int, str]], colour: str = "#0b5cad") -> list[Bar]:
    found = list(items)
    top = max((n for _, n, _ in found), default=0)
    return [Bar(label, shown, 0 if top == 0 else n / top, colour) for label, n, shown in found]


def funnel_bars(total: Steps) -> list[Bar]:
    """The funnel: each step's count and its share of the reminded."""
    reminded = total.counts["reminded"]
    return [
        Bar(
            _(label),
            f"{number(total.counts[key])} ({total.share(key)})",
            0 if not reminded else total.counts[key] / reminded,
        )
        for key, label in STEPS
    ]


def _day_buckets(days: Counter[int]) -> list[tuple[str, int]]:
    """The tenants reached by days from the first reminder to the adviser's contact, in the chart's buckets (each
    named in the reader's language), the empty ones too."""
    return [
        (
            _(label) if label in _WORDED else label,
            sum(n for d, n in days.items() if d >= low and (high is None or d <= high)),
        )
        for label, low, high in DAY_BUCKETS
    ]


def contact_bars(days: Counter[int]) -> list[Bar]:
    """The days from the first reminder to the adviser's contact, in buckets."""
    return _bars(((label, n, number(n)) for label, n in _day_buckets(days)), "#12355b")


def failure_bars(failures: Sequence[tuple[str, str, int]]) -> list[Bar]:
    """Delivery failures by channel and error code, the most frequent first."""
    shown = failures[:FAILED_SHOWN]
    names = {"sms": "SMS", "telegram": "Telegram"}
    return _bars(((f"{names.get(ch, ch)} {code}", n, number(n)) for ch, code, n in shown), "#b3261e")


def settled_bars(stages: Sequence[Steps]) -> list[tuple[str, list[Bar], list[tuple[int, int]]]]:
    """For each stage, the share of its reminded tenants whose balance reached 0 within 7 and 14 days, of those
    whose days have run out, and how many are still waiting for them to (days, tenants; none when none are)."""
    groups = []
    for steps in stages:
        bars = [
            Bar(
                _(_SETTLED_BAR) % {"n": n},
                _("%(share)s (%(n)s of %(total)s)")
                % {
                    "share": percent(steps.settled[n], steps.waited[n]),
                    "n": number(steps.settled[n]),
                    "total": number(steps.waited[n]),
                },
                0 if not steps.waited[n] else steps.settled[n] / steps.waited[n],
                "#1e7d32" if n == SETTLED_WITHIN[0] else "#66bb6a",
            )
            for n in SETTLED_WITHIN
        ]
        waiting = [(n, steps.waiting(n)) for n in SETTLED_WITHIN if steps.waiting(n)]
        groups.append((steps.label, bars, waiting))
    return groups


def _when(bucket: str) -> str:
    """A week (its first day, `2026-11-08`) or a month (`2026-11`) as the chart names it in the reader's language:
    '8. nov.', 'nov. 2026' in Danish; '8 Nov', 'Nov 2026' in English."""
    if len(bucket) == len("2026-11"):
        return day_in(date.fromisoformat(f"{bucket}-01"), "yMMM")
    return day_in(date.fromisoformat(bucket), "MMMd")


def closed_columns(closed: Sequence[tuple[str, Counter[str]]]) -> list[Column]:
    """Outcomes by type over time: one stacked column per week or month (the CSV keeps the ISO dates)."""
    top = max((sum(c.values()) for _, c in closed), default=0)
    columns = []
    for bucket, counts in closed:
        label = _when(bucket)
        bottom = 0.0
        segments = []
        for outcome in OUTCOMES:
            n = counts.get(outcome, 0)
            if n and top:
                segments.append((OUTCOME_COLOURS[outcome], bottom, n / top, n))
                bottom += n / top
        columns.append(Column(label, tuple(segments), sum(counts.values())))
    return columns


def _funnel_rows(found: Outcomes) -> Iterable[list[object]]:
    yield [*_words("group", "group_value", *(key for key, _label in STEPS)), *_settled_columns()]
    every = _(_COLUMNS["all"])
    groups = [(every, every, found.total)]
    groups += [(_(_COLUMNS["stage"]), s.label, s) for s in found.by_stage]
    groups += [(_(_COLUMNS["channel"]), s.label, s) for s in found.by_channel]
    for group, value, steps in groups:
        yield [group, value, *(steps.counts[key] for key, _label in STEPS), *_settled_cells(steps)]
    # Each outcome's count under "Outcome recorded", the other steps' cells and the balances' empty.
    blank_steps, blank_balances = [""] * (len(STEPS) - 1), [""] * len(_settled_columns())
    for outcome in OUTCOMES:
        count = found.outcomes.get(outcome, 0)
        yield [_(_COLUMNS["outcomes"]), _(OUTCOME_LABELS[outcome]), *blank_steps, count, *blank_balances]


def _contact_rows(found: Outcomes) -> Iterable[list[object]]:
    # By the chart's buckets, as the page shows them (the median is on the page).
    yield _words("contact_days", "tenants")
    for label, n in _day_buckets(found.contact_days):
        yield [label, n]


def _failure_rows(found: Outcomes) -> Iterable[list[object]]:
    yield _words("channel", "error_code", "messages")
    yield from ([channel, code, n] for channel, code, n in found.failures)


def _closed_rows(found: Outcomes) -> Iterable[list[object]]:
    yield _words("from", *OUTCOMES)
    for label, counts in found.closed:
        yield [label, *(counts.get(o, 0) for o in OUTCOMES)]


def _settled_rows(found: Outcomes) -> Iterable[list[object]]:
    yield [*_words("stage", "reminded"), *_settled_columns()]
    for steps in found.by_stage:
        yield [steps.label, steps.counts["reminded"], *_settled_cells(steps)]


# Each download's chart by its heading on the page: what the audit page says an export of it was.
CHART_TITLES = {
    "funnel": N_("From reminder to outcome"),
    "contact": N_("Days from the first reminder to an adviser's contact"),
    "failures": N_("Delivery failures by error code"),
    "outcomes": N_("Cases closed, by outcome"),
    "balance": N_("Balance back to 0"),
}
CHARTS: dict[str, Callable[[Outcomes], Iterable[list[object]]]] = {
    "funnel": _funnel_rows,
    "contact": _contact_rows,
    "failures": _failure_rows,
    "outcomes": _closed_rows,
    "balance": _settled_rows,
}
