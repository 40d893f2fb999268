"""CSV that keephome writes: every cell a spreadsheet could read as a formula is neutralised first.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a single quote in
front (the OWASP advice against CSV injection): a spreadsheet then shows it as text and runs nothing. There
is no exception for any column, so a value that came from outside (a tenant_ref, a name, a reason) cannot
slip a formula through. Phone numbers in E.164 begin with `+` and are therefore written `'+4520123456`: the
quote keeps a spreadsheet from turning the number into a formula (and from dropping the plus). A program
that reads the file back removes one leading quote from a cell whose next character is one of those six.

A file a person downloads to open in a spreadsheet (the console's CSVs) begins with a UTF-8 byte order mark
(`bom=True`): Excel reads a CSV as UTF-8 only with one, and otherwise garbles æ, ø and å in the local code page.
The cells stay separated by commas (a Danish Excel that splits on semicolons then shows one column: use Data →
From Text/CSV, or LibreOffice, which ask). What a program reads — a command's `--csv` on stdout — has no mark.
keephome's own tenant import reads a file with or without one.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

__all__ = ["BOM", "FORMULA_STARTS", "CsvWriter", "neutralise"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The UTF-8 byte order mark, written as the first character of a file for a spreadsheet.
BOM = "\ufeff"


def neutralise(value: object) -> str:
    """The cell as text, with a leading quote when a spreadsheet would otherwise read it as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class CsvWriter:
    """`csv.writer` for files people open in a spreadsheet: the one way keephome writes CSV."""

    def __init__(self, out: TextIO, *, delimiter: str = ",", bom: bool = False) -> None:
        """`bom`: begin with the byte order mark, for a file a person opens in a spreadsheet (a download)."""
        if bom:
            out.write(BOM)
        self._writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")

    def writerow(self, cells: Iterable[object]) -> None:
        """Write one row, each cell neutralised."""
        self._writer.writerow([neutralise(cell) for cell in cells])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        """Write several rows."""
        for row in rows:
            self.writerow(row)
