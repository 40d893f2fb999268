"""`keephome import FILE.csv [--dry-run]`: check a tenant file, then import it in one transaction."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot.cli.key_check import other_key
from bot.reminders.ledger import import_tenants
from bot.settings import Settings
from bot.store.db import Database, utcnow
from bot.store.migrate import prepare
from bot.tenants.csv_rows import RowNotice, known_languages, local_today, parse_csv
from bot.tenants.said_stop import StopsUnchecked
from bot.tenants.upsert import ErasedUnchecked, ImportRefused, preview_import

__all__ = ["run_import"]

# Files of this many tenants and more show a progress bar while checked and written.
_BAR_FROM = 10_000


def _tenant_rows(data: bytes) -> int:
    """The tenants' rows of a file, as its progress bar counts them: the lines with anything on them but the header
    (a quoted cell that spans lines is counted once more; the bar ends at the rows read)."""
    return max(sum(1 for line in data.splitlines() if line.strip()) - 1, 0)


class _Bar:
    """A one-line text progress bar for large files."""

    def __init__(self, stream: TextIO, label: str, total: int) -> None:
        self.stream, self.label, self.total = stream, label, max(total, 1)

    def __call__(self, done: int) -> None:
        share = min(done / self.total, 1.0)
        filled = int(share * 30)
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {share:4.0%} {done}/{self.total}")
        self.stream.flush()

    def close(self, done: int | None = None) -> None:
        """The bar full: at `done` rows when the count is known by now, else at the total it began with."""
        if done is not None:
            self.total = max(done, 1)
        self(self.total if done is None else done)
        self.stream.write("\n")


async def run_import(
    settings: Settings,
    path: Path,
    dry_run: bool,
    out: TextIO,
    err: TextIO | None = None,
    *,
    now: datetime | None = None,
) -> int:
    """Import (or, with dry_run, check) the file as of `now` (default: the clock): 0 when imported (or valid), 1 on
    bad rows, 2 otherwise. Its day in KEEPHOME_TIMEZONE is the import's today (`local_today`)."""
    err = err if err is not None else sys.stderr
    try:
        data = await asyncio.to_thread(Path(path).read_bytes)
    except OSError as exc:
        print(f"keephome import: cannot read {path}: {exc.strerror or exc}", file=err)
        return 2
    now = now or utcnow()
    rows = _tenant_rows(data)
    check_bar = _Bar(err, "checking", rows) if rows >= _BAR_FROM else None
    result = parse_csv(
        data,
        local_today(now, settings.timezone),
        known_languages(),
        settings.language_list,
        settings.fallback_language,
        progress=check_bar,
    )
    if check_bar is not None:
        # A valid file's rows are its tenants, every one read.
        check_bar.close(len(result.rows) if result.ok else None)
    if not result.ok:
        return _refused(path, result.errors, out)
    db = Database(settings.database_url)
    try:
        # SQLite migrates itself, as `run` does: a dry run against a new file then reports "all new".
        problem = await prepare(db)
        if problem is not None:
            print(f"keephome import: {problem}", file=err)
            return 2
        if (problem := await other_key(db, settings.secret_key, now)) is not None:
            print(f"keephome import: {problem}; nothing was imported", file=err)
            return 2
        if dry_run:
            summary = await preview_import(db, result.rows, secret_key=settings.secret_key)
            print(f"{path}: the file is valid; an import would give {summary} (nothing written)", file=out)
            _notices(result.notices + summary.notices + summary.balances_emptied, out)
            return 0
        write_bar = _Bar(err, "importing", len(result.rows)) if len(result.rows) >= _BAR_FROM else None
        summary = await import_tenants(db, result.rows, now, settings, progress=write_bar)
        if write_bar is not None:
            write_bar.close()
        print(f"{path}: {summary}", file=out)
        _notices(result.notices + summary.notices + summary.balances_emptied, out)
        return 0
    except ImportRefused as exc:
        return _refused(path, exc.errors, out)
    except (ErasedUnchecked, StopsUnchecked) as exc:
        print(f"keephome import: {exc} (nothing was imported)", file=err)
        return 2
    finally:
        await db.dispose()


def _refused(path: Path, errors: Sequence[object], out: TextIO) -> int:
    """Every problem with its line number; nothing was written."""
    print(f"{path}: {len(errors)} problem{'' if len(errors) == 1 else 's'}, nothing was imported:", file=out)
    for error in errors:
        print(f"  {error}", file=out)
    return 1


# A file of thousands of tenants in a language not enabled here (or with balances dated ahead) gives as many notices:
# the first are shown, the rest counted.
_NOTICES_SHOWN = 20


def _notices(notices: Sequence[RowNotice], out: TextIO) -> None:
    """What a person should know of rows imported as they are (a language not enabled here, a balance dated ahead, a
    filing before its termination), each at its line; past `_NOTICES_SHOWN`, how many more (of any kind)."""
    notices = sorted(notices, key=lambda notice: notice.line)
    for notice in notices[:_NOTICES_SHOWN]:
        print(f"  {notice}", file=out)
    if len(notices) > _NOTICES_SHOWN:
        print(f"  … and {len(notices) - _NOTICES_SHOWN} more notices", file=out)
