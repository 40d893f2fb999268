"""CSV that keephome writes: every cell a spreadsheet could read as a formula is neutralised first.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a single quote in
front (the OWASP advice against CSV injection): a spreadsheet then shows it as text and runs nothing. There
is no exception for any column, so a value that came from outside (a tenant_ref, a name, a reason) cannot
slip a formula through. Phone numbers in E.164 begin with `+` and are therefore written `'+4520123456`: the
quote keeps a spreadsheet from turning the number into a formula (and from dropping the plus). A program
that reads the file back removes one leading quote from a cell whose next character is one of those six.

A file a person downloads to open in a spreadsheet (the console's CSVs, `CsvWriter.download`) begins with a UTF-8
byte order mark: Excel reads a CSV as UTF-8 only with one, and otherwise garbles æ, ø and å in the local code page.
It is also written as a spreadsheet in the reader's language opens it by double click: where the decimal mark is
a comma (Danish), cells are separated by semicolons and a decimal number has a comma (`0,333`), as Excel on such a
machine expects; otherwise commas and a decimal point. keephome's own tenant import reads both (a `;`-separated
file in Danish number format). What a program reads — a command's `--csv` on stdout — has no mark and commas.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from decimal import Decimal
from typing import TextIO

from babel.numbers import get_decimal_symbol

__all__ = ["BOM", "FORMULA_STARTS", "CsvWriter", "neutralise"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The UTF-8 byte order mark, written as the first character of a file for a spreadsheet.
BOM = "\ufeff"


def neutralise(value: object, decimal_mark: str = ".") -> str:
    """The cell as text, with a leading quote when a spreadsheet would otherwise read it as a formula; a Decimal
    with `decimal_mark`."""
    if value is None:
        text = ""
    elif isinstance(value, Decimal):
        text = str(value).replace(".", decimal_mark)
    else:
        text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class CsvWriter:
    """`csv.writer` for files people open in a spreadsheet: the one way keephome writes CSV."""

    def __init__(self, out: TextIO, *, delimiter: str = ",", bom: bool = False, decimal_mark: str = ".") -> None:
        """`bom`: begin with the byte order mark, for a file a person opens in a spreadsheet (a download)."""
        if bom:
            out.write(BOM)
        self._decimal_mark = decimal_mark
        self._writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")

    @classmethod
    def download(cls, out: TextIO, language: str) -> CsvWriter:
        """A download a person opens in a spreadsheet in `language`: the byte order mark, and the separator and
        decimal mark such a spreadsheet splits and reads by double click (`;` and `,` where a comma is the
        decimal mark)."""
        comma = get_decimal_symbol(language) == ","
        return cls(out, delimiter=";" if comma else ",", bom=True, decimal_mark="," if comma else ".")

    def writerow(self, cells: Iterable[object]) -> None:
        """Write one row, each cell neutralised."""
        self._writer.writerow([neutralise(cell, self._decimal_mark) for cell in cells])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        """Write several rows."""
        for row in rows:
            self.writerow(row)
