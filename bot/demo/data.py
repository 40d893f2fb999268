"""The demo's fictional tenants, placed relative to today on every stage of the rent timeline."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

from sqlalchemy import select, update

from bot.store.db import Database
from bot.store.schema import rent_positions, tenants
from bot.tenants.csv_rows import ImportRow, RowRules, check_row, known_languages
from bot.tenants.status import set_status
from bot.tenants.upsert import upsert_rows
from scheduler.calendar import demand_deadline
from scheduler.model import PolicySettings
from scheduler.rent_day import RentDay

__all__ = ["DEMO_PREFIX", "DemoRowRefused", "DemoTenant", "Seeded", "demo_tenants", "seed_demo"]

DEMO_PREFIX = "DEMO-"
_DAY = timedelta(days=1)


class DemoRowRefused(ValueError):
    """A demo tenant an import would refuse: the demo must never show data a housing organisation could not load."""


def _demo_rules(today: date, languages: Collection[str] | None = None, fallback: str = "da") -> RowRules:
    """The import's row rules on `today` (a `,` file: amounts 7100.50, dates YYYY-MM-DD); `languages`: those that
    are live (KEEPHOME_LANGUAGES; None: every one), any other read as `fallback`, as an import does."""
    known = known_languages()
    return RowRules(False, today, known, known if languages is None else frozenset(languages), fallback)


def _cell(value: date | bool | str | None) -> str:
    """A value as an import file's cell holds it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return value.isoformat() if isinstance(value, date) else value


@dataclass(frozen=True, slots=True)
class DemoTenant:
    """A fictional tenant: the import row plus what a conversation would have left behind."""

    row: ImportRow
    stage: str
    status: str = "active"
    promise_on: date | None = None
    paid_claim_until: date | None = None


def _received_on(today: date, days_left: int) -> tuple[date, int]:
    """The latest day of receipt whose påkrav deadline is `days_left` days after today, and those days.

    A deadline never falls on a weekend or holiday; when `days_left` would land on one, the letter whose
    deadline comes first after it is used and the real number of days is returned.
    """
    for wanted in range(days_left, days_left + 7):
        for back in range(45):
            received = today - back * _DAY
            if (demand_deadline(received) - today).days == wanted:
                return received, wanted
    return today - (14 - days_left) * _DAY, days_left


def _missed_due_day(today: date) -> int:
    """A due day whose rent a balance dated today shows missed (a bank day after its last on-time day)."""
    missed = RentDay(today, PolicySettings()).missed
    shown = [due_day for due_day, rent in missed.items() if rent.shown_by(today)]
    return min(shown) if shown else (today - 10 * _DAY).day


def demo_tenants(
    today: date, *, delivery_days: int = 0, before_due_days: int = 3, rules: RowRules | None = None
) -> list[DemoTenant]:
    """Twelve fictional tenants, one or two per stage, with clearly fake names and numbers. Each is written as an
    import row's cells and read by the import's own rules (`rules`, default `_demo_rules(today)`): a tenant an
    import would refuse raises DemoRowRefused."""
    rules = rules or _demo_rules(today)
    missed_day = _missed_due_day(today)
    # A due day whose before-due reminder comes today; on a day none does (Christmas), the plain distance.
    upcoming = RentDay(today, PolicySettings(before_due_days=before_due_days)).upcoming
    upcoming_day = min(upcoming, default=(today + before_due_days * _DAY).day)
    week_ago = (today - 7 * _DAY).day  # the promise answered last week's reminder
    number = iter(range(1, 100))

    def tenant(
        name: str,
        language: str,
        rent_kr: int,
        owed_kr: int,
        *,
        due_day: int = 1,
        at_risk: bool = False,
        demand_sent_on: date | None = None,
        demand_received_on: date | None = None,
        termination_on: date | None = None,
        court_date: date | None = None,
        court_filed_on: date | None = None,
        address: str | None = None,
        children: bool | None = None,
    ) -> ImportRow:
        n = next(number)
        cells = {
            "tenant_ref": f"{DEMO_PREFIX}{n:02d}",
            "name": name,
            "phone": f"+45201234{n:02d}",
            "language": language,
            "due_day": str(due_day),
            "monthly_rent": str(rent_kr),
            "balance": str(owed_kr),
            "balance_as_of": _cell(today),
            "demand_sent_on": _cell(demand_sent_on),
            "demand_received_on": _cell(demand_received_on),
            "termination_on": _cell(termination_on),
            "court_date": _cell(court_date),
            "at_risk": _cell(at_risk),
            "court_filed_on": _cell(court_filed_on),
            "address": _cell(address),
            "children": _cell(children),
        }
        row = check_row(n, cells, rules)
        if isinstance(row, list):
            raise DemoRowRefused(f"demo tenant {name} on {today.isoformat()}: " + "; ".join(e.reason for e in row))
        return row

    def demand(days_left: int, name: str, language: str, rent_kr: int, *, paper_days: int = 0) -> DemoTenant:
        # A paper letter (`paper_days` on its way) has its day of receipt recorded; Digital Post has not.
        received, left = _received_on(today, days_left)
        if paper_days:
            row = tenant(
                name,
                language,
                rent_kr,
                rent_kr,
                demand_sent_on=received - paper_days * _DAY,
                demand_received_on=received,
            )
        else:
            row = tenant(name, language, rent_kr, rent_kr, demand_sent_on=received - delivery_days * _DAY)
        return DemoTenant(row, f"påkrav, {left} day{'' if left == 1 else 's'} left")

    return [
        DemoTenant(tenant("Anna Eksempel", "da", 6950, 0), "paid up"),
        DemoTenant(tenant("Bent Prøvesen", "da", 7200, 0, due_day=upcoming_day, at_risk=True), "at risk before due"),
        DemoTenant(tenant("Carl Testesen", "da", 5800, 5800, due_day=missed_day), "missed the due day"),
        DemoTenant(tenant("Jamie Sample", "en", 6400, 6400, due_day=missed_day), "missed the due day"),
        demand(7, "Dorte Opdigtet", "da", 7100, paper_days=3),
        demand(3, "Layla Demo", "ar", 6650),
        demand(1, "Erik Fiktiv", "da", 6100),
        DemoTenant(
            tenant("Frida Påhit", "da", 6900, 20700, demand_sent_on=today - 40 * _DAY, termination_on=today - 3 * _DAY),
            "termination known",
        ),
        DemoTenant(
            tenant(
                "Robin Placeholder",
                "en",
                7500,
                22500,
                demand_sent_on=today - 70 * _DAY,
                termination_on=today - 30 * _DAY,
                court_date=today + 14 * _DAY,
                # Filed ten days ago and the kommune not yet notified: the inbox lists it; children in the home.
                court_filed_on=today - 10 * _DAY,
                address="Eksempelvej 12, 1. th, 8220 Brabrand",
                children=True,
            ),
            "court date known",
        ),
        DemoTenant(tenant("Gitte Attrap", "da", 6300, 6300, due_day=missed_day), "opted out", status="stopped"),
        DemoTenant(
            tenant("Hans Prøve", "da", 6750, 6750, due_day=week_ago), "promised to pay", promise_on=today + 2 * _DAY
        ),
        # Says she has paid while a påkrav runs: the console lists her "to check".
        DemoTenant(
            tenant("Ida Dummy", "en", 5950, 5950, demand_sent_on=_received_on(today, 5)[0] - delivery_days * _DAY),
            "says already paid",
            paid_claim_until=today + 3 * _DAY,
        ),
    ]


@dataclass(frozen=True, slots=True)
class Seeded:
    """What a seeding left: the demo tenants there now, and those erased in the demo (left out, as an import leaves
    out an erased tenant_ref)."""

    tenants: int
    erased: tuple[str, ...]


async def seed_demo(
    db: Database,
    today: date,
    now: datetime,
    *,
    delivery_days: int = 0,
    before_due_days: int = 3,
    languages: Collection[str] = ("da", "en"),
    fallback: str = "da",
    secret_key: str | None = None,
) -> Seeded:
    """Create the fictional tenants that are missing and bring the ledger of the others to `today`, as a daily
    import would; running it again changes nothing more.

    Each tenant goes through the import's row rules (`demo_tenants`), its language too: one that is not among the
    live `languages` (KEEPHOME_LANGUAGES) is stored as `fallback`, so Layla, written in Arabic, reads Danish until
    Arabic is turned on. The rows go in as an import's do, read against the tombstones with `secret_key` (the
    demo's KEEPHOME_SECRET_KEY): a demo tenant erased in the demo stays erased.

    What a tenant or a member of staff changed stays as they left it (a restart is no new story): a status (STOP,
    START, wrong number), a promise or a paid claim is the story's only for a tenant created now, and a language
    the tenant chose (ENGLISH) is kept as every import keeps it (`language_chosen_at`, bot/tenants/upsert.py); a
    language the seed gave follows the live ones.
    """
    rules = _demo_rules(today, languages, fallback)
    demo = demo_tenants(today, delivery_days=delivery_days, before_due_days=before_due_days, rules=rules)
    refs = [d.row.tenant_ref for d in demo]
    async with db.write() as conn:
        stored = await conn.execute(select(tenants.c.tenant_ref).where(tenants.c.tenant_ref.in_(refs)))
        there_before = set(stored.scalars().all())
        rows = [d.row for d in demo]
        await upsert_rows(conn, rows, now, secret_key=secret_key)
        found = await conn.execute(select(tenants.c.tenant_ref, tenants.c.id).where(tenants.c.tenant_ref.in_(refs)))
        ids = {ref: tenant_id for ref, tenant_id in found.all()}
        for d in demo:
            tenant_id = ids.get(d.row.tenant_ref)
            if tenant_id is None or d.row.tenant_ref in there_before:  # erased, or there before: left as it is
                continue
            # The story's status only moves a tenant the import left active: one stored stopped because their number
            # said STOP before (bot/tenants/said_stop.py) keeps that STOP, as after any import.
            await conn.run_sync(partial(set_status, only_from=("active",)), tenant_id, d.status, now)
            await conn.execute(
                update(rent_positions)
                .where(rent_positions.c.tenant_id == tenant_id)
                .values(promise_on=d.promise_on, paid_claim_until=d.paid_claim_until)
            )
    return Seeded(len(ids), tuple(ref for ref in refs if ref not in ids))
