"""Writing imported tenants and rent positions, upserted by tenant_ref; bot/reminders/ledger.py applies an import."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, delete, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.db import Database
from bot.store.dialect import insert_for
from bot.store.election import namespace_key
from bot.store.schema import balance_events, court_cases, erased_refs, rent_events, rent_positions, tenants
from bot.tenants.court import CourtFacts, Mirror, apply_court_facts
from bot.tenants.csv_rows import ImportRow, RowError, RowNotice, early_demand_notice
from bot.tenants.erase import ref_hash
from bot.tenants.said_stop import STOPPABLE, StopsUnchecked, any_kept, kept_for, stop_holders, store_stopped
from bot.tenants.status import set_status

__all__ = [
    "CHUNK",
    "ErasedUnchecked",
    "ImportRefused",
    "ImportSummary",
    "arrears_flags",
    "balance_event",
    "preview_import",
    "record_balances",
    "stops_since",
    "upsert_rows",
]


# Rows per multi-row statement: 1,000 rows of 13 columns stay far below the bound-parameter limits of
# SQLite (32,766) and asyncpg (32,767).
CHUNK = 1000
ARREARS_WINDOW = timedelta(days=365)
# The columns an import owns; the others hold what the tenant said (promise, paid claim) or a payment. The court
# dates an import writes are the open court case's, as bot/tenants/court.py leaves it after the row's dates.
_KEPT = ("tenant_id", "last_payment_on", "promise_on", "paid_claim_until")
_REPLACED = tuple(column.name for column in rent_positions.c if column.name not in _KEPT)
# The second key of the PostgreSQL lock that makes writes of tenants take turns, in the deployment's lock namespace
# (bot/store/election.py), far from the roles' keys (1, 2, …).
_TENANT_WRITES_KEY = 1_000_001


# What an import writes of a row: a known tenant whose stored values all equal the row's is "unchanged". A tenant
# who chose their language themselves (`language_chosen_at`) keeps it: the file's language is compared and written
# only for a tenant who never chose (`_as_imported`).
_COMPARED_TENANT = ("name", "phone", "language")
# Compared only when the row carries them: an empty cell keeps the stored value, so it changes nothing.
_COMPARED_IF_GIVEN = ("address", "children")
_COMPARED_POSITION = (
    "due_day",
    "monthly_rent_ore",
    "balance_ore",
    "balance_as_of",
    "demand_sent_on",
    "demand_received_on",
    "termination_on",
    "at_risk",
)
# The court dates are compared with the days already seen instead (`_Known.court_seen`): a filing or court date seen
# before changes nothing, whether or not its case is still open (bot/tenants/court.py).
_COURT_KINDS = {"court_filed_on": "filing", "court_date": "court_date"}


# How many lines the summary names of the rows whose empty balance cell set a stored debt to 0 (each is a notice too).
_LINES_NAMED = 20


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """How many tenants an import created, and of the known ones (`updated`) how many it found unchanged."""

    created: int
    # Rows of tenants already known, changed or not (`changed` + `unchanged`): the API's "200 updated".
    updated: int
    # Tenants whose balance the file shows settled: their waiting reminder conversations end.
    settled_ids: tuple[int, ...] = field(default=(), compare=False, repr=False)
    # Rows left out because their tenant_ref was erased and the row does not say reactivate=1.
    erased_skipped: int = 0
    # Known tenants whose row holds exactly what is stored already.
    unchanged: int = 0
    # Known tenants whose row's balance is older than the stored one (a payment recorded since): the stored stays.
    older_balances_kept: int = 0
    # What the file alone could not tell (`_stored_notices`), beside the file's own notices.
    notices: tuple[RowNotice, ...] = field(default=(), compare=False, repr=False)
    # Known tenants whose row gives another language than the one they chose themselves (wrote ENGLISH): theirs stays.
    chosen_languages_kept: int = 0
    # Tenants stored stopped: their number, new to them, had said STOP before it was theirs (bot/tenants/said_stop.py).
    said_stop_before: int = 0
    # Known tenants who owed, whose row's balance cell was empty: an empty balance is 0, so their stored debt is set to
    # 0 and they get no reminders. Each at its line, so a half-filled export is caught before it is imported.
    balances_emptied: tuple[RowNotice, ...] = field(default=(), compare=False, repr=False)
    # The numbers the rows gave their tenants anew: a STOP one of them says as the write commits is looked for again
    # after it (`stops_since`).
    numbers_given: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @property
    def changed(self) -> int:
        """Known tenants whose row changes something."""
        return self.updated - self.unchanged

    def audit_detail(self) -> str:
        """What the import did, as its audit entry keeps it (the CSV's and the API's bulk): counts as `key=value`s,
        which the audit page says in the reader's words (bot/tenants/export.py, `audit_words`); the rows left out or
        not taken only when there were any."""
        counts = {"created": self.created, "changed": self.changed, "unchanged": self.unchanged}
        more = {
            "erased_left_out": self.erased_skipped,
            "older_balances_kept": self.older_balances_kept,
            "chosen_languages_kept": self.chosen_languages_kept,
            "said_stop_before": self.said_stop_before,
            "balances_emptied": len(self.balances_emptied),
        }
        counts.update({key: n for key, n in more.items() if n})
        return " ".join(f"{key}={n}" for key, n in counts.items())

    def __str__(self) -> str:
        total = self.created + self.updated
        said = (
            f"{total} {'tenant' if total == 1 else 'tenants'}: {self.created} new, {self.changed} changed, "
            f"{self.unchanged} unchanged"
        )
        if self.erased_skipped:
            n = self.erased_skipped
            said += f"; {n} erased {'tenant' if n == 1 else 'tenants'} left out (reactivate=1 brings one back)"
        if self.older_balances_kept:
            n = self.older_balances_kept
            said += (
                f"; {n} older {'balance' if n == 1 else 'balances'} not taken (keephome already has a newer one, "
                "from a payment for instance, and keeps it)"
            )
        if self.chosen_languages_kept:
            n = self.chosen_languages_kept
            said += (
                f"; {n} {'tenant' if n == 1 else 'tenants'} kept the language they chose themselves over the file's "
                "language column"
            )
        if self.said_stop_before:
            n = self.said_stop_before
            said += (
                f"; {n} {'tenant' if n == 1 else 'tenants'} had already said STOP from their number; they get nothing "
                "until they write START"
            )
        if self.balances_emptied:
            n = len(self.balances_emptied)
            lines = ", ".join(str(notice.line) for notice in self.balances_emptied[:_LINES_NAMED])
            more = ", …" if n > _LINES_NAMED else ""
            said += (
                f"; {n} {'tenant' if n == 1 else 'tenants'} who owed had an empty balance cell "
                f"({'line' if n == 1 else 'lines'} {lines}{more}): an empty balance is 0, so their debt is set to 0 "
                "and they get no reminders"
            )
        return said


class ImportRefused(ValueError):
    """Rows the stored tenants rule out: the whole import is refused and nothing is written."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = tuple(errors)
        lines = "; ".join(str(error) for error in self.errors)
        problems = f"{len(self.errors)} problem{'' if len(self.errors) == 1 else 's'}"
        super().__init__(f"{problems}, nothing was imported: {lines}")


def arrears_flags(row: ImportRow, last_arrears_on: date | None) -> tuple[date | None, bool]:
    """The new `last_arrears_on` and `arrears_last_12m` for a row, given what an earlier import saw.

    An import whose balance is owing records its balance date; the flag holds while the latest such
    date lies within a year of the row's balance date, so a tenant who fell behind in the spring still
    gets a before-due reminder in the autumn, and stops getting one a year after catching up.
    """
    if row.balance_ore > 0 and (last_arrears_on is None or row.balance_as_of > last_arrears_on):
        last_arrears_on = row.balance_as_of
    recent = last_arrears_on is not None and row.balance_as_of - last_arrears_on <= ARREARS_WINDOW
    return last_arrears_on, recent


@dataclass(frozen=True, slots=True)
class _Known:
    """What an earlier import left of a tenant that matters to this one."""

    last_arrears_on: date | None
    status: str
    phone: str | None
    balance_ore: int | None = None
    # The stored values of the _COMPARED_* fields (None without a rent position).
    stored: tuple[Any, ...] | None = None
    # The stored values of _COMPARED_IF_GIVEN.
    kept: tuple[Any, ...] = ()
    # The stored balance is a figure with a day (a ledger's, a payment's), not the 0 a file without a balance
    # column gave a new tenant: only a dated balance outranks an older one.
    dated: bool = False
    # The open court case's filing day and kommune notice day (None without one).
    case_filed_on: date | None = None
    case_notified_on: date | None = None
    # The filings and court dates already recorded for the tenant: (kind, day).
    court_seen: frozenset[tuple[str, date]] = frozenset()
    # The language the tenant chose themselves (wrote ENGLISH, DANSK, …); None when they never chose.
    chosen_language: str | None = None

    def same_as(self, row: ImportRow) -> bool:
        """Whether importing `row` would change nothing an import writes."""
        given = all(
            getattr(row, name) is None or getattr(row, name) == stored
            for name, stored in zip(_COMPARED_IF_GIVEN, self.kept, strict=True)
        )
        unseen = any(
            (day := getattr(row, name)) is not None and (kind, day) not in self.court_seen
            for name, kind in _COURT_KINDS.items()
        )
        return (
            self.stored is not None
            and self.stored == _imported(row)
            and given
            and not unseen
            and not self._notice_moves(row)
        )

    def _notice_moves(self, row: ImportRow) -> bool:
        """Whether the row's kommune notice day is stamped on the open court case: the first, or an earlier one
        (bot/tenants/court.py: the earliest day counts)."""
        notified = row.kommune_notified_on
        if notified is None or self.case_filed_on is None:
            return False
        return self.case_notified_on is None or notified < self.case_notified_on


def _imported(row: ImportRow) -> tuple[Any, ...]:
    return tuple(getattr(row, name) for name in (*_COMPARED_TENANT, *_COMPARED_POSITION))


_STORED = (*_COMPARED_TENANT, *_COMPARED_POSITION)
# A file's column and the row's field it fills, where the names differ.
_FIELD_OF = {"monthly_rent": "monthly_rent_ore", "balance": "balance_ore"}
_BALANCE = ("balance_ore", "balance_as_of")


@dataclass(frozen=True, slots=True)
class _Imported:
    """A row as an import writes it, and whether the stored balance stays (then no balance event, no "settled")."""

    row: ImportRow
    balance_kept: bool = False
    older: bool = False  # kept because the row's balance is older than the stored one
    language_kept: bool = False  # the tenant's own choice of language stays over the row's other one


def _as_imported(row: ImportRow, known: _Known | None) -> _Imported:
    """A known tenant keeps its stored value of each column the file does not have (a contact-only file changes
    no balance and no legal date), and a balance older than the stored one (a payment recorded since, an older
    file imported again) leaves the stored balance and its day: an older ledger never undoes a newer payment. A
    tenant who chose their language keeps it."""
    language_kept = False
    if known is not None and known.chosen_language is not None:
        # The tenant's own choice outranks the organisation's file; the import says so when the file said otherwise.
        language_kept = "language" not in row.absent and row.language != known.chosen_language
        row = replace(row, language=known.chosen_language)
    if known is None or known.stored is None:
        return _Imported(row, language_kept=language_kept)
    stored = dict(zip(_STORED, known.stored, strict=True))
    kept = {
        name: stored[name]
        for column in row.absent
        if (name := _FIELD_OF.get(column, column)) in stored and name not in _BALANCE
    }
    # A new påkrav date without its delivery day: the day counts from the new date, not the old letter's.
    if "demand_received_on" in kept and "demand_sent_on" not in kept and row.demand_sent_on != stored["demand_sent_on"]:
        del kept["demand_received_on"]
    older = known.dated and "balance" not in row.absent and stored["balance_as_of"] > row.balance_as_of
    balance_kept = older or "balance" in row.absent
    if balance_kept:
        kept.update({name: stored[name] for name in _BALANCE})
    return _Imported(replace(row, **kept) if kept else row, balance_kept, older, language_kept)


def _balances_emptied(imported: Sequence[_Imported], known: dict[str, _Known]) -> list[RowNotice]:
    """The rows whose empty balance cell sets a known tenant's stored debt to 0 (an empty balance is 0, as documented):
    each at its line, naming the tenant and what they owed. A balance the import keeps (an older row) is not one."""
    found = []
    for i in imported:
        k = known.get(i.row.tenant_ref)
        stored = 0 if k is None or k.balance_ore is None else k.balance_ore
        if not i.row.balance_empty or i.balance_kept or stored <= 0:
            continue
        owed = f"{stored // 100}.{stored % 100:02d}"
        reason = (
            f'balance is empty for tenant_ref "{i.row.tenant_ref}", who owes {owed}: an empty balance is 0, so the '
            "import sets their debt to 0.00 and they get no reminders; give their balance if they have not paid"
        )
        found.append(RowNotice(i.row.line, reason, "balance"))
    return found


def _stored_notices(imported: Sequence[_Imported]) -> list[RowNotice]:
    """The early-påkrav notices of rows from a file without a due_day column, judged with the due day the tenant
    keeps (`_as_imported`), as the tenant and case pages judge the stored påkrav (`early_demand_notice`)."""
    return [
        notice for i in imported if "due_day" in i.row.absent and (notice := early_demand_notice(i.row)) is not None
    ]


async def _known(conn: AsyncConnection, refs: Sequence[str]) -> dict[str, _Known]:
    """Existing tenants among `refs`: the last arrears date an earlier import saw, their status, number and
    balance, and what an import wrote of them."""
    rp = rent_positions.c
    compared = [tenants.c[name] for name in _COMPARED_TENANT] + [rp[name] for name in _COMPARED_POSITION]
    kept = [tenants.c[name] for name in _COMPARED_IF_GIVEN]
    dated = exists().where(balance_events.c.tenant_id == tenants.c.id)
    chosen = case((tenants.c.language_chosen_at.is_not(None), tenants.c.language), else_=None)
    cc = court_cases.c
    case_day = {  # of the open court case (a tenant has one at most)
        name: select(cc[name])
        .where(cc.tenant_id == tenants.c.id, cc.status == "open")
        .order_by(cc.id.desc())
        .limit(1)
        .scalar_subquery()
        for name in ("filed_on", "kommune_notified_on")
    }
    query = (
        select(tenants.c.tenant_ref, rp.last_arrears_on, tenants.c.status, tenants.c.phone, rp.balance_ore)
        .add_columns(case_day["filed_on"], case_day["kommune_notified_on"], dated, chosen, *kept, *compared)
        .select_from(tenants.outerjoin(rent_positions, rp.tenant_id == tenants.c.id))
        .where(tenants.c.tenant_ref.in_(refs))
    )
    found = {}
    for ref, last, status, phone, balance, filed, notified, has_balance, language, *values in (
        await conn.execute(query)
    ).all():
        given, stored = tuple(values[: len(kept)]), values[len(kept) :]
        has_position = stored[len(_COMPARED_TENANT) + _COMPARED_POSITION.index("balance_as_of")] is not None
        position = tuple(stored) if has_position else None
        found[ref] = _Known(
            last, status, phone, balance, position, given, bool(has_balance), filed, notified, chosen_language=language
        )
    e = rent_events.c
    days = (
        select(tenants.c.tenant_ref, e.kind, e.on)
        .join(tenants, tenants.c.id == e.tenant_id)
        .where(tenants.c.tenant_ref.in_(refs), e.kind.in_(_COURT_KINDS.values()))
    )
    seen: dict[str, set[tuple[str, date]]] = {}
    for ref, kind, on in (await conn.execute(days)).all():
        seen.setdefault(ref, set()).add((kind, on))
    return {ref: replace(k, court_seen=frozenset(seen.get(ref, ()))) for ref, k in found.items()}


class ErasedUnchecked(Exception):
    """Tenants were erased, and without KEEPHOME_SECRET_KEY their tombstones cannot be read: nothing is imported.

    A problem of the setting, not of a row: its one line names no line of the file."""

    def __init__(self) -> None:
        super().__init__(
            "KEEPHOME_SECRET_KEY is not set, and tenants have been erased from this database: without the key "
            "keephome cannot tell whether any row is one of them; set it to the key the service runs with"
        )


@dataclass(frozen=True, slots=True)
class _Tombstones:
    rows: list[ImportRow]  # the rows to import
    skipped: int  # rows left out: their tenant_ref was erased
    reactivated: list[str]  # tombstones a reactivate=1 row lifts


async def _not_erased(conn: AsyncConnection, rows: Sequence[ImportRow], secret_key: str | None) -> _Tombstones:
    """A tenant_ref that was erased (a tombstone in `erased_refs`) stays out unless its row says reactivate=1;
    a reactivated one is imported anew as a new tenant (the erased row stays blank)."""
    if not rows or (await conn.execute(select(erased_refs.c.ref_hash).limit(1))).first() is None:
        return _Tombstones(list(rows), 0, [])
    if not secret_key:
        raise ErasedUnchecked
    live: set[str] = set()
    for start in range(0, len(rows), CHUNK):
        refs = [r.tenant_ref for r in rows[start : start + CHUNK]]
        live.update((await conn.execute(select(tenants.c.tenant_ref).where(tenants.c.tenant_ref.in_(refs)))).scalars())
    hashes = {ref_hash(secret_key, r.tenant_ref): r for r in rows if r.tenant_ref not in live}
    keys = list(hashes)
    erased: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        part = keys[start : start + CHUNK]
        found = await conn.execute(select(erased_refs.c.ref_hash).where(erased_refs.c.ref_hash.in_(part)))
        erased.update(found.scalars())
    back = [key for key in erased if hashes[key].reactivate]
    left_out = {hashes[key].tenant_ref for key in erased if not hashes[key].reactivate}
    return _Tombstones([r for r in rows if r.tenant_ref not in left_out], len(left_out), back)


def balance_event(tenant_id: int, balance_ore: int, as_of: date, now: datetime, source: str) -> dict[str, Any]:
    """A `balance_events` row: the balance as the ledger dates it."""
    return {
        "tenant_id": tenant_id,
        "as_of": as_of,
        "balance_ore": balance_ore,
        "settled": balance_ore <= 0,
        "source": source,
        "recorded_at": now,
    }


def record_balances(conn: Connection, events: Sequence[dict[str, Any]]) -> None:
    """Write balance changes (rows made by `balance_event`): an import's, or a payment's (source "payment")."""
    if events:
        conn.execute(insert(balance_events), list(events))


async def _take_turns(conn: AsyncConnection) -> None:
    """On PostgreSQL, hold the tenant writers' lock until the transaction ends. Two writes at once (a ledger's
    parallel PUTs, an import during a bulk) would each find a number free or a tenant new: the unique index would
    end one with an error where the checks name the problem, and both would count the tenant created. The checks
    read after the lock, so they see the other write's tenants. SQLite has one writer at a time anyway."""
    if conn.dialect.name != "postgresql":
        return
    schema = (await conn.execute(select(func.current_schema()))).scalar_one()
    await conn.execute(select(func.pg_advisory_xact_lock(namespace_key(str(schema)), _TENANT_WRITES_KEY)))


async def _phones_taken(conn: AsyncConnection, rows: Sequence[ImportRow], batch: str) -> list[RowError]:
    """Rows whose number a stored tenant outside the file holds (erased tenants hold none); `batch` is what the
    rows came in, as the problem names it ("file", or "request" for the API)."""
    refs = {r.tenant_ref for r in rows}
    owners: dict[str, str] = {}
    for start in range(0, len(rows), CHUNK):
        phones = [r.phone for r in rows[start : start + CHUNK]]
        query = select(tenants.c.phone, tenants.c.tenant_ref).where(
            tenants.c.phone.in_(phones), tenants.c.status != "erased"
        )
        owners.update((phone, ref) for phone, ref in (await conn.execute(query)).all())
    # A tenant in the file takes its number from the file, and the file names no number twice (csv_rows):
    # only a holder the file leaves out keeps its number and clashes.
    clash = 'phone {} belongs to tenant_ref "{}", who is not in this {}: one number belongs to one tenant'
    return [
        RowError(r.line, clash.format(r.phone, owner, batch))
        for r in rows
        if (owner := owners.get(r.phone)) is not None and owner not in refs
    ]


async def _release_moving_numbers(conn: AsyncConnection, rows: Sequence[ImportRow], known: dict[str, _Known]) -> None:
    """A number that passes between two tenants of the file is let go first: the unique index checks each row."""
    incoming = {r.phone for r in rows}
    moving = [
        r.tenant_ref
        for r in rows
        if (k := known.get(r.tenant_ref)) is not None and k.phone != r.phone and k.phone in incoming
    ]
    for start in range(0, len(moving), CHUNK):
        await conn.execute(
            update(tenants).where(tenants.c.tenant_ref.in_(moving[start : start + CHUNK])).values(phone=None)
        )


def _court_dates(conn: Connection, facts: Sequence[CourtFacts], now: datetime, source: str) -> Mirror:
    return apply_court_facts(conn, facts, now, source, mirror=False)


def _court_facts(tenant_id: int, row: ImportRow) -> CourtFacts:
    return CourtFacts(
        tenant_id=tenant_id,
        demand_sent_on=row.demand_sent_on,
        termination_on=row.termination_on,
        court_filed_on=row.court_filed_on,
        court_date=row.court_date,
        kommune_notified_on=row.kommune_notified_on,
    )


def _given_anew(rows: Sequence[ImportRow], known: dict[str, _Known]) -> tuple[str, ...]:
    """The numbers the rows give their tenants anew: a new tenant's, or another number than the one stored."""
    return tuple(r.phone for r in rows if (k := known.get(r.tenant_ref)) is None or k.phone != r.phone)


async def _stops_kept(
    conn: AsyncConnection, rows: Sequence[ImportRow], known: dict[str, _Known], secret_key: str | None
) -> dict[str, str]:
    """The numbers a row gives its tenant anew (`_given_anew`) that said STOP before any tenant had them, each with
    its stranger's key; raises StopsUnchecked when some STOP is kept and no key can match it."""
    fresh = _given_anew(rows, known)
    if not fresh:
        return {}
    if not secret_key:
        if await any_kept(conn):
            raise StopsUnchecked
        return {}
    found: dict[str, str] = {}
    for start in range(0, len(fresh), CHUNK):
        found.update(await kept_for(conn, secret_key, fresh[start : start + CHUNK]))
    return found


def _stoppable(known: _Known | None) -> bool:
    """Whether the import would store this tenant (None: a new one) stopped for their number's STOP."""
    return known is None or known.status in STOPPABLE


def _reactivate(conn: Connection, tenant_ids: Sequence[int], now: datetime) -> None:
    for tenant_id in tenant_ids:
        set_status(conn, tenant_id, "active", now, only_from=("wrong_number",))


async def _upsert_tenants(conn: AsyncConnection, chunk: Sequence[ImportRow], now: datetime) -> dict[str, int]:
    stmt = insert_for(conn.dialect.name, tenants)
    new = stmt.excluded
    # An empty address or children cell keeps the stored value; a tenant who chose their language keeps it, even
    # one who chose it after `_known` read them (a tenant's message does not wait for the import's turn).
    stmt = stmt.on_conflict_do_update(
        index_elements=[tenants.c.tenant_ref],
        set_={
            "name": new.name,
            "phone": new.phone,
            "language": case((tenants.c.language_chosen_at.is_(None), new.language), else_=tenants.c.language),
            "address": func.coalesce(new.address, tenants.c.address),
            "children": func.coalesce(new.children, tenants.c.children),
            "updated_at": now,
        },
    )
    params = [
        {
            "tenant_ref": r.tenant_ref,
            "name": r.name,
            "phone": r.phone,
            "language": r.language,
            "address": r.address,
            "children": r.children,
            "created_at": now,
            "updated_at": now,
        }
        for r in chunk
    ]
    result = await conn.execute(stmt.returning(tenants.c.tenant_ref, tenants.c.id), params)
    return {ref: tenant_id for ref, tenant_id in result.all()}


async def _upsert_positions(
    conn: AsyncConnection,
    chunk: Sequence[ImportRow],
    ids: dict[str, int],
    known: dict[str, _Known],
    now: datetime,
    source: str,
    court: Mirror,
) -> None:
    stmt = insert_for(conn.dialect.name, rent_positions)
    new = stmt.excluded
    settled = new.balance_ore <= 0
    set_: dict[str, Any] = {name: new[name] for name in _REPLACED}
    # What the tenant said in a conversation stands until the ledger shows the balance settled.
    set_["promise_on"] = case((settled, None), else_=rent_positions.c.promise_on)
    set_["paid_claim_until"] = case((settled, None), else_=rent_positions.c.paid_claim_until)
    stmt = stmt.on_conflict_do_update(index_elements=[rent_positions.c.tenant_id], set_=set_)
    params = []
    for r in chunk:
        before = known.get(r.tenant_ref)
        last_arrears_on, arrears = arrears_flags(r, before.last_arrears_on if before is not None else None)
        params.append(
            {
                "tenant_id": ids[r.tenant_ref],
                "due_day": r.due_day,
                "monthly_rent_ore": r.monthly_rent_ore,
                "balance_ore": r.balance_ore,
                "balance_as_of": r.balance_as_of,
                "demand_sent_on": r.demand_sent_on,
                "demand_received_on": r.demand_received_on,
                "termination_on": r.termination_on,
                "court_filed_on": court[ids[r.tenant_ref]][0],
                "court_date": court[ids[r.tenant_ref]][1],
                "at_risk": r.at_risk,
                "arrears_last_12m": arrears,
                "last_arrears_on": last_arrears_on,
                "updated_at": now,
            }
        )
    await conn.execute(stmt, params)
    # A balance that changed (or a first one) is dated in the balance history the outcome page reads; a new tenant
    # from a file without a balance column has no figure to date.
    changed = [
        balance_event(ids[r.tenant_ref], r.balance_ore, r.balance_as_of, now, source)
        for r in chunk
        if ((before := known.get(r.tenant_ref)) is None and "balance" not in r.absent)
        or (before is not None and before.balance_ore != r.balance_ore)
    ]
    await conn.run_sync(record_balances, changed)


async def upsert_rows(
    conn: AsyncConnection,
    rows: Sequence[ImportRow],
    now: datetime,
    progress: Callable[[int], None] | None = None,
    *,
    secret_key: str | None = None,
    source: str = "import",
    batch: str = "file",
) -> ImportSummary:
    """Create or update every row's tenant and rent position inside the caller's transaction.

    Raises ImportRefused, before writing anything, when a row's number belongs to a stored tenant not in the file.
    A row whose tenant_ref was erased is left out unless it says reactivate=1; `secret_key` (KEEPHOME_SECRET_KEY)
    reads the tombstones, and without it an import into a database with erased tenants is refused
    (ErasedUnchecked). A tenant the import gives a number that said STOP before any tenant had it is stored stopped
    and the STOP consumed; `secret_key` matches those numbers too, and without it an import that gives any tenant a
    number anew is refused once some STOP is kept (StopsUnchecked). `source` names the writer in the balance history
    ("import", "api"); `batch` what the rows came in, as a problem names it ("file", "request").
    """
    created = updated = unchanged = said_stop = 0
    settled: list[int] = []
    await _take_turns(conn)
    tombstones = await _not_erased(conn, rows, secret_key)
    rows = tombstones.rows
    taken = await _phones_taken(conn, rows, batch)
    if taken:
        raise ImportRefused(taken)
    known: dict[str, _Known] = {}
    for start in range(0, len(rows), CHUNK):
        known.update(await _known(conn, [r.tenant_ref for r in rows[start : start + CHUNK]]))
    imported = [_as_imported(r, known.get(r.tenant_ref)) for r in rows]
    notices = _stored_notices(imported)
    emptied = _balances_emptied(imported, known)
    rows = [i.row for i in imported]
    balance_kept = {i.row.tenant_ref for i in imported if i.balance_kept}
    stops = await _stops_kept(conn, rows, known, secret_key)
    given = _given_anew(rows, known)
    await _release_moving_numbers(conn, rows, known)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        ids = await _upsert_tenants(conn, chunk, now)
        # Filings, court dates and the kommune notice become court cases and dated events (first seen); the rent
        # position takes the open court case's dates.
        facts = [_court_facts(ids[r.tenant_ref], r) for r in chunk]
        court = await conn.run_sync(_court_dates, facts, now, source)
        await _upsert_positions(conn, chunk, ids, known, now, source, court)
        # A new number for a tenant marked "wrong number" may reach them; any other status is the tenant's
        # own choice (an opt-out) or the organisation's (erasure), and an import never undoes it.
        # A number that said STOP before it was the tenant's keeps its word instead: the tenant is stored stopped.
        renumbered = [
            ids[r.tenant_ref]
            for r in chunk
            if (k := known.get(r.tenant_ref)) is not None
            and k.status == "wrong_number"
            and k.phone != r.phone
            and r.phone not in stops
        ]
        if renumbered:
            await conn.run_sync(_reactivate, renumbered, now)
        stopping = {ids[r.tenant_ref]: stops[r.phone] for r in chunk if r.phone in stops}
        if stopping:
            said_stop += len(await conn.run_sync(store_stopped, stopping, now))
        settled.extend(
            ids[r.tenant_ref]
            for r in chunk
            if r.balance_ore <= 0 and r.tenant_ref in known and r.tenant_ref not in balance_kept
        )
        existing = sum(1 for r in chunk if r.tenant_ref in known)
        updated += existing
        created += len(chunk) - existing
        unchanged += sum(1 for r in chunk if (k := known.get(r.tenant_ref)) is not None and k.same_as(r))
        if progress is not None:
            progress(start + len(chunk))
    back = tombstones.reactivated
    for start in range(0, len(back), CHUNK):
        await conn.execute(delete(erased_refs).where(erased_refs.c.ref_hash.in_(back[start : start + CHUNK])))
    older = sum(1 for i in imported if i.older)
    languages = sum(1 for i in imported if i.language_kept)
    return ImportSummary(
        created,
        updated,
        tuple(settled),
        tombstones.skipped,
        unchanged,
        older,
        tuple(notices),
        languages,
        said_stop_before=said_stop,
        balances_emptied=tuple(emptied),
        numbers_given=given,
    )


async def stops_since(
    conn: AsyncConnection, summary: ImportSummary, now: datetime, secret_key: str | None
) -> ImportSummary:
    """In a transaction after the write's commit: a tenant it gave a number whose STOP was kept meanwhile (the STOP
    committed after the write read the numbers' STOPs) is stored stopped, and counted as the write counts the others
    (bot/tenants/said_stop.py)."""
    given = summary.numbers_given
    if not secret_key or not given:
        return summary
    stopped = 0
    for start in range(0, len(given), CHUNK):
        stopped += len(await conn.run_sync(stop_holders, secret_key, given[start : start + CHUNK], now))
    return replace(summary, said_stop_before=summary.said_stop_before + stopped) if stopped else summary


async def preview_import(
    db: Database, rows: Sequence[ImportRow], *, secret_key: str | None, batch: str = "file"
) -> ImportSummary:
    """What an import of these rows would do, without writing anything; raises ImportRefused as an import would."""
    updated = unchanged = older = languages = said_stop = 0
    notices: list[RowNotice] = []
    emptied: list[RowNotice] = []
    async with db.read() as conn:
        tombstones = await _not_erased(conn, rows, secret_key)
        rows = tombstones.rows
        taken = await _phones_taken(conn, rows, batch)
        if taken:
            raise ImportRefused(taken)
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            known = await _known(conn, [r.tenant_ref for r in chunk])
            imported = [_as_imported(r, known.get(r.tenant_ref)) for r in chunk]
            updated += sum(1 for r in chunk if r.tenant_ref in known)
            unchanged += sum(1 for i in imported if (k := known.get(i.row.tenant_ref)) is not None and k.same_as(i.row))
            older += sum(1 for i in imported if i.older)
            languages += sum(1 for i in imported if i.language_kept)
            notices += _stored_notices(imported)
            emptied += _balances_emptied(imported, known)
            stops = await _stops_kept(conn, chunk, known, secret_key)
            said_stop += sum(1 for r in chunk if r.phone in stops and _stoppable(known.get(r.tenant_ref)))
    return ImportSummary(
        len(rows) - updated,
        updated,
        erased_skipped=tombstones.skipped,
        unchanged=unchanged,
        older_balances_kept=older,
        notices=tuple(notices),
        chosen_languages_kept=languages,
        said_stop_before=said_stop,
        balances_emptied=tuple(emptied),
    )
