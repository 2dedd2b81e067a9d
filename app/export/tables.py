"""Tables as files people open: CSV for Swedish Excel, RFC 4180 CSV for tools, and ``.xlsx``.

Three forms of the same rows, for three readers:

* :func:`excel_csv`: ``;``-separated UTF-8 with a byte-order mark, CRLF, column titles in the
  export's language, timestamps as ``YYYY-MM-DD HH:MM:SS``. Swedish Excel (decimal comma,
  so list separator ``;``) opens it by a double click into columns, with å, ä and ö right.
* :func:`plain_csv`: RFC 4180 (``,``, CRLF, UTF-8 without a BOM) with the stable English
  variable names as titles, for R, pandas, SPSS and the like.
* :func:`write_xlsx`: a workbook with one sheet per table, typed cells (numbers, booleans,
  dates), a bold frozen header row and titles in the export's language.

**Formula injection** (OWASP "CSV injection"): a cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is read by Excel and LibreOffice as a formula, and a name
or reflection such as ``=HYPERLINK("http://evil", "klicka")`` would run when an organiser
opens the file. In both CSV forms such a text gets a leading ``'`` (:func:`neutralise`),
which spreadsheets take as "this is text" and tools can strip. In the workbook the cell is
a string cell (never a formula) with Excel's quote-prefix flag and the exact text. The JSON
of the raw data keeps every text exactly as written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.atomic import atomic_path, write_atomic
from app.i18n import tr

if TYPE_CHECKING:
    from openpyxl.styles import Alignment

#: First characters that make a spreadsheet read a cell as a formula (OWASP), plus their
#: full-width forms, which some spreadsheet versions fold to the ASCII ones.
FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")

# Characters XML 1.0 (and so xlsx and docx) cannot hold: C0 controls except tab, LF, CR.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

#: Columns holding a local timestamp written as ``YYYY-MM-DDTHH:MM:SS``: dates in the workbook.
DATETIME_COLUMNS = frozenset({"written"})


def neutralise(value: object) -> object:
    """Return ``value`` safe for a CSV cell: a text that could start a formula gets a ``'``.

    Numbers and booleans are returned as they are (a negative number is data, not a formula).
    """
    if isinstance(value, str) and value and value[0] in FORMULA_STARTS:
        return "'" + value
    return value


def xml_safe(text: str) -> str:
    """Return ``text`` with the characters XML cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def column_title(key: str) -> str:
    """Return a column's title in the current language (the key itself if it has none)."""
    title = tr(f"data_col_{key}")
    return key if title == f"data_col_{key}" else title


@dataclass(frozen=True)
class Table:
    """A named table: column keys and rows keyed by them.

    Attributes:
        name: File and variable name (``participants``); also the ``sheet_<name>`` title key.
        columns: The column keys, in order.
        rows: The rows; a missing key is an empty cell.
    """

    name: str
    columns: tuple[str, ...]
    rows: Sequence[Mapping[str, Any]]

    @classmethod
    def of(cls, name: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[str] = ()) -> Table:
        """Build a table whose columns are the first row's keys (``columns`` if it has none)."""
        keys = tuple(rows[0]) if rows else tuple(columns)
        return cls(name, keys, rows)

    def sheet_title(self) -> str:
        """Return the sheet's title in the current language (at most 31 characters)."""
        title = tr(f"sheet_{self.name}")
        title = self.name if title == f"sheet_{self.name}" else title
        return re.sub(r"[\[\]:*?/\\]", "-", title)[:31]


def _csv_bytes(table: Table, delimiter: str, titles: Sequence[str], excel: bool) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([neutralise(t) for t in titles])
    # Excel reads "2026-05-12 09:30:00" as a date and time, the ISO "T" form as text.
    dates = (
        {i for i, key in enumerate(table.columns) if key in DATETIME_COLUMNS} if excel else set()
    )
    for row in table.rows:
        cells = [_csv_value(row.get(key, "")) for key in table.columns]
        for i in dates:
            cells[i] = str(cells[i]).replace("T", " ", 1)
        writer.writerow(cells)
    return buffer.getvalue().encode("utf-8-sig" if excel else "utf-8")


def _csv_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)  # 1/0: both Excel and tools read it as a number
    return neutralise(value)


def excel_csv(table: Table) -> bytes:
    """Return the table as CSV for Swedish Excel (``;``, BOM, titles in the language)."""
    return _csv_bytes(table, ";", [column_title(k) for k in table.columns], excel=True)


def plain_csv(table: Table) -> bytes:
    """Return the table as RFC 4180 CSV (``,``, no BOM, variable names as titles)."""
    return _csv_bytes(table, ",", table.columns, excel=False)


def write_csv(path: Path, data: bytes) -> Path:
    """Write CSV bytes atomically; return ``path``."""
    write_atomic(path, lambda handle: handle.write(data))
    return path


def write_xlsx(path: Path, tables: Sequence[Table]) -> Path:
    """Write ``tables`` as one workbook, a sheet each, atomically; return ``path``.

    Header rows are bold, frozen and have filter buttons, columns get a width from their
    title, numbers and booleans stay typed, timestamps become dates, and no text is ever a
    formula.
    """
    # Imported here: openpyxl takes a tenth of a second to import, and the console imports
    # this package (for the export dialog) at start.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for table in tables:
        sheet = book.create_sheet(table.sheet_title())
        sheet.freeze_panes = "A2"
        if table.columns:  # a filter button on every column title
            last = _column_letter(len(table.columns) - 1)
            sheet.auto_filter.ref = f"A1:{last}{len(table.rows) + 1}"
        titles = [column_title(k) for k in table.columns]
        for index, (key, title) in enumerate(zip(table.columns, titles, strict=True)):
            letter = _column_letter(index)
            width = 60 if key in ("text", "question_sv", "question_en", "description") else 14
            sheet.column_dimensions[letter].width = max(width, min(len(title) + 2, 40))
        header = []
        for title in titles:
            cell = WriteOnlyCell(sheet, value=xml_safe(title))
            cell.data_type = "s"
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in table.rows:
            sheet.append(
                [_xlsx_cell(sheet, k, row.get(k), wrap, WriteOnlyCell) for k in table.columns]
            )
    with atomic_path(path) as tmp:
        book.save(tmp)
    return path


def _xlsx_cell(
    sheet: Any, key: str, value: object, wrap: Alignment, cell_type: type[Any]
) -> object:
    if value is None or value == "":
        return None
    if isinstance(value, bool | int | float):
        return value
    text = xml_safe(str(value))
    if key in DATETIME_COLUMNS:
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            cell = cell_type(sheet, value=moment)
            cell.number_format = "yyyy-mm-dd hh:mm:ss"
            return cell
    if text[0] not in FORMULA_STARTS and "\n" not in text:
        return text  # a plain string: openpyxl writes it as a string cell
    cell = cell_type(sheet, value=text)
    cell.data_type = "s"  # a string cell, never a formula, whatever it starts with
    if text[0] in FORMULA_STARTS:
        cell.quotePrefix = True  # and it stays text when someone edits it in Excel
    if "\n" in text:
        cell.alignment = wrap
    return cell


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
