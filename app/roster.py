"""Roster import: participants listed in a spreadsheet, as organisers save it from Excel.

The file has a header row naming (at least) the columns ``id``, ``name``, ``municipality``,
``role`` and ``attendance``, in any order, and optionally ``email`` (for a video tool's
breakout-room pre-assignment); other columns are ignored. What Excel saves is accepted:

* an ``.xlsx`` workbook (the sheet Excel shows on opening; read with openpyxl);
* "CSV (semikolonavgränsad)" and "CSV UTF-8": ``;`` or ``,``, with or without a BOM;
* "Unicode-text": UTF-16 with a byte-order mark, tab-separated;
* Windows-1252 text.

The delimiter (tab, ``;`` or ``,``) is sniffed from the header line. Roles and attendance
may be written in English or Swedish (``elected``/``förtroendevald``,
``official``/``tjänsteperson``, ``in_room``/``på plats``, ``remote``/``på distans``), in any
case.

Errors are raised as :class:`RosterError` with the file, the line and (for a cell) the
column, a stable ``code`` and its ``params`` (for a UI to translate) and an English message
built from ``MESSAGES``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from app.model import ATTENDANCE_WORDS, ROLE_WORDS, Attendance, Role, parse_attendance, parse_role

__all__ = ["COLUMNS", "MESSAGES", "RosterError", "RosterRow", "parse_roster", "read_roster"]

#: The columns a roster must have, in the order the CLI writes them.
COLUMNS: tuple[str, ...] = ("id", "name", "municipality", "role", "attendance")

# Header words accepted for each column (compared case-insensitively, spaces trimmed).
_HEADER_WORDS: dict[str, str] = {
    "id": "id",
    "name": "name",
    "namn": "name",
    "municipality": "municipality",
    "organisation": "municipality",
    "organization": "municipality",
    "kommun": "municipality",
    "role": "role",
    "roll": "role",
    "attendance": "attendance",
    "närvaro": "attendance",
    "email": "email",
    "e-mail": "email",
    "mail": "email",
    "email address": "email",
    "e-post": "email",
    "epost": "email",
    "e-postadress": "email",
    "mejl": "email",
}

#: English message templates, keyed by RosterError code.
MESSAGES: dict[str, str] = {
    "unreadable": "cannot read the roster: {reason}",
    "encoding": "the roster is neither UTF-8, UTF-16 nor Windows-1252 text",
    "xls": (
        "an old Excel file (.xls) or a password-protected workbook: save it without a"
        " password as .xlsx (Excel-arbetsbok) or CSV and try again"
    ),
    "empty": "the roster is empty (no header line)",
    "bad_csv": "not valid CSV: {reason}",
    "missing_column": "missing column {column!r} (the header has: {header})",
    "empty_id": "empty id",
    "duplicate_id": "duplicate id {id!r} (first on line {first_line})",
    "empty_municipality": "empty municipality for id {id!r}",
    "unknown_role": "unknown role {value!r} (expected one of: {expected})",
    "unknown_attendance": "unknown attendance {value!r} (expected one of: {expected})",
    "bad_email": "{value!r} is not an e-mail address",
}


class RosterError(ValueError):
    """A roster that cannot be read, with the line (and column) it concerns.

    Attributes:
        line: 1-based line number in the file (the header is line 1; in a workbook, the
            sheet's row number), or None for errors about the whole file.
        message: English description, without the place.
        code: Stable key of the error (see ``MESSAGES``).
        params: The values the message mentions.
        column: Where in the line: the column's letter as a spreadsheet shows it and the
            header's text, e.g. ``D ("Roll")``; None for errors about a whole line or file.
        path: The file (set by :func:`read_roster`; None for :func:`parse_roster`).
    """

    def __init__(
        self,
        line: int | None,
        message: str,
        *,
        code: str = "",
        at: str | None = None,
        **params: object,
    ) -> None:
        self.line = line
        self.message = message
        self.code = code
        self.params = params
        self.column = at
        self.path: Path | None = None
        super().__init__(message)

    def __str__(self) -> str:
        """Return ``file: line N, column X: message`` (the parts that are known)."""
        return f"{self.where()}: {self.message}" if self.where() else self.message

    def where(self) -> str:
        """Return the place as English text: ``roster.xlsx, line 3, column D ("Roll")``."""
        parts = [str(self.path)] if self.path is not None else []
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    @classmethod
    def of(
        cls, line: int | None, code: str, *, at: str | None = None, **params: object
    ) -> RosterError:
        """Build the error for ``code`` (``at``: the column, see ``column``)."""
        return cls(line, MESSAGES[code].format(**params), code=code, at=at, **params)


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One participant read from a roster.

    Attributes:
        line: The line the row starts on, for messages.
        id: Unique participant id (trimmed).
        name: Display name (trimmed; may be empty).
        municipality: Organisation (municipality or the regional federation).
        role: Elected official or official.
        attendance: In the room or remote.
        email: E-mail address for a video tool's breakout rooms ('' when not given).
    """

    line: int
    id: str
    name: str
    municipality: str
    role: Role
    attendance: Attendance
    email: str = ""


def _decode(data: bytes) -> str:
    # Excel's "Unicode text" is UTF-16 with a BOM; without one, NUL bytes in every other
    # position give UTF-16 away (no real roster text has NULs otherwise).
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    elif len(data) >= 4 and data[1:8:2].count(0) >= 2 and not data[0:8:2].count(0):
        encodings = ("utf-16-le",)
    elif len(data) >= 4 and data[0:8:2].count(0) >= 2 and not data[1:8:2].count(0):
        encodings = ("utf-16-be",)
    else:
        encodings = ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise RosterError.of(None, "encoding") from None


def _sniff_delimiter(header_line: str) -> str:
    # Excel writes ';' where the decimal separator is a comma (Swedish locale), ',' elsewhere,
    # and a tab in "Unicode text"; the header holds no quoted delimiters in practice, so
    # counting is enough.
    counts = {d: header_line.count(d) for d in ("\t", ";", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _column_name(position: int, header: list[str]) -> str:
    letters = ""
    index = position + 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    title = header[position].strip() if position < len(header) else ""
    return f'{letters} ("{title}")' if title else letters


def parse_roster(text: str) -> list[RosterRow]:
    """Parse roster text (already decoded). See :func:`read_roster`.

    Raises:
        RosterError: For the first problem found, with its line number.
    """
    text = text.removeprefix("\ufeff")
    first = text.splitlines()[0] if text.strip() else ""
    if not first.strip():
        raise RosterError.of(1 if text else None, "empty")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(first))

    def records() -> Iterable[tuple[int, list[str]]]:
        previous = 0  # reader.line_num after the previous record: records may span lines
        try:
            for record in reader:
                start, previous = previous + 1, reader.line_num
                yield start, record
        except csv.Error as exc:
            raise RosterError.of(reader.line_num, "bad_csv", reason=str(exc)) from None

    return _parse_records(records())


def _parse_records(records: Iterable[tuple[int, list[str]]]) -> list[RosterRow]:
    rows: list[RosterRow] = []
    first_line: dict[str, int] = {}
    columns: dict[str, int] = {}
    header: list[str] = []
    for start, record in records:
        if not columns:
            if not any(cell.strip() for cell in record):
                raise RosterError.of(start, "empty")
            header = record
            columns = _columns(record)
            continue
        if not any(cell.strip() for cell in record):
            continue
        row = _row(start, record, columns, header)
        if row.id in first_line:
            raise RosterError.of(
                start,
                "duplicate_id",
                at=_column_name(columns["id"], header),
                id=row.id,
                first_line=first_line[row.id],
            )
        first_line[row.id] = start
        rows.append(row)
    if not columns:
        raise RosterError.of(None, "empty")
    return rows


def _columns(header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for position, cell in enumerate(header):
        column = _HEADER_WORDS.get(cell.strip().casefold())
        if column is not None and column not in columns:
            columns[column] = position
    for column in COLUMNS:
        if column not in columns:
            shown = ", ".join(cell.strip() for cell in header if cell.strip()) or "nothing"
            raise RosterError.of(1, "missing_column", column=column, header=shown)
    return columns


# Loose on purpose (the video tool checks for real), but never a formula's first character.
_EMAIL = re.compile(r"[^@\s=+\-\t\r][^@\s]*@[^@\s]+\.[^@\s]+")


def _row(line: int, record: list[str], columns: dict[str, int], header: list[str]) -> RosterRow:
    def cell(column: str) -> str:
        position = columns.get(column, len(record))
        return record[position].strip() if position < len(record) else ""

    def where(column: str) -> str:
        return _column_name(columns[column], header)

    pid = cell("id")
    if not pid:
        raise RosterError.of(line, "empty_id", at=where("id"))
    municipality = cell("municipality")
    if not municipality:
        raise RosterError.of(line, "empty_municipality", at=where("municipality"), id=pid)
    role = parse_role(cell("role"))
    if role is None:
        raise RosterError.of(
            line,
            "unknown_role",
            at=where("role"),
            value=cell("role"),
            expected=", ".join(ROLE_WORDS),
        )
    attendance = parse_attendance(cell("attendance"))
    if attendance is None:
        raise RosterError.of(
            line,
            "unknown_attendance",
            at=where("attendance"),
            value=cell("attendance"),
            expected=", ".join(ATTENDANCE_WORDS),
        )
    email = cell("email").removeprefix("mailto:")
    if email and not _EMAIL.fullmatch(email):
        raise RosterError.of(line, "bad_email", at=where("email"), value=email)
    return RosterRow(line, pid, cell("name"), municipality, role, attendance, email)


def read_roster(path: str | Path) -> list[RosterRow]:
    """Read a roster file: ``.xlsx``, CSV or tab-separated text (see the module docstring).

    Args:
        path: The file to read.

    Returns:
        The participants, in file order (blank lines skipped).

    Raises:
        RosterError: If the file cannot be read or decoded, a column is missing, or a row has
            an empty id, a duplicate id, an empty municipality, an unknown role or
            attendance, or an e-mail address that is not one; ``path``, ``line`` and
            ``column`` tell where.
    """
    path = Path(path)
    try:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise RosterError.of(None, "unreadable", reason=exc.strerror or str(exc)) from None
        if data.startswith(b"PK\x03\x04"):  # a zip: an .xlsx workbook
            return _parse_records(_xlsx_records(data))
        if data.startswith(b"\xd0\xcf\x11\xe0"):  # .xls, or an encrypted .xlsx (both OLE)
            raise RosterError.of(None, "xls")
        return parse_roster(_decode(data))
    except RosterError as exc:
        exc.path = path
        raise


def _xlsx_records(data: bytes) -> list[tuple[int, list[str]]]:
    """Return (row number, cells as text) of a workbook's active sheet (the one Excel shows).

    Raises:
        RosterError: ``unreadable`` for anything that is not a readable workbook; a damaged
            file can fail in many ways inside openpyxl, and each must be a clear message.
    """
    from openpyxl import load_workbook  # only when a workbook is read: it is slow to import

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # BadZipFile, KeyError, XML errors, …: all "not a workbook"
        reason = f"not an Excel workbook ({type(exc).__name__}: {exc})"
        raise RosterError.of(None, "unreadable", reason=reason) from None
    try:
        sheet = book.active if book.active is not None else book.worksheets[0]
        return [
            (number, [_cell_text(v) for v in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    except Exception as exc:  # a damaged sheet inside a sound zip
        reason = f"a damaged Excel workbook ({type(exc).__name__}: {exc})"
        raise RosterError.of(None, "unreadable", reason=reason) from None
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an id typed as a number: 12, not 12.0
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)
