"""Roster import: participants listed in a CSV file, as organisers export it from Excel.

The file has a header row naming (at least) the columns ``id``, ``name``, ``municipality``,
``role`` and ``attendance``, in any order; other columns are ignored. Excel habits are
accepted: ``;`` or ``,`` as delimiter (sniffed from the header line), a UTF-8 byte-order mark,
and Windows-1252 encoding. Roles and attendance may be written in English or Swedish
(``elected``/``förtroendevald``, ``official``/``tjänsteperson``, ``in_room``/``på plats``,
``remote``/``på distans``), in any case.

Errors are raised as :class:`RosterError` with the line number, a stable ``code`` and its
``params`` (for a UI to translate) and an English message built from ``MESSAGES``.
"""

from __future__ import annotations

import csv
import io
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
}

#: English message templates, keyed by RosterError code.
MESSAGES: dict[str, str] = {
    "unreadable": "cannot read the roster: {reason}",
    "encoding": "the roster is neither UTF-8 nor Windows-1252 text",
    "empty": "the roster is empty (no header line)",
    "bad_csv": "not valid CSV: {reason}",
    "missing_column": "missing column {column!r} (the header has: {header})",
    "empty_id": "empty id",
    "duplicate_id": "duplicate id {id!r} (first on line {first_line})",
    "empty_municipality": "empty municipality for id {id!r}",
    "unknown_role": "unknown role {value!r} (expected one of: {expected})",
    "unknown_attendance": "unknown attendance {value!r} (expected one of: {expected})",
}


class RosterError(ValueError):
    """A roster that cannot be read, with the line it concerns.

    Attributes:
        line: 1-based line number in the file (the header is line 1), or None for errors
            about the whole file.
        message: English description, without the line number.
        code: Stable key of the error (see ``MESSAGES``).
        params: The values the message mentions.
    """

    def __init__(self, line: int | None, message: str, *, code: str = "", **params: object) -> None:
        self.line = line
        self.message = message
        self.code = code
        self.params = params
        super().__init__(f"line {line}: {message}" if line is not None else message)

    @classmethod
    def of(cls, line: int | None, code: str, **params: object) -> RosterError:
        """Build the error for ``code`` with its English message."""
        return cls(line, MESSAGES[code].format(**params), code=code, **params)


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
    """

    line: int
    id: str
    name: str
    municipality: str
    role: Role
    attendance: Attendance


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise RosterError.of(None, "encoding") from None


def _sniff_delimiter(header_line: str) -> str:
    # Excel writes ';' where the decimal separator is a comma (Swedish locale), ',' elsewhere;
    # the header holds no quoted commas or semicolons in practice, so counting is enough.
    return ";" if header_line.count(";") > header_line.count(",") else ","


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
    rows: list[RosterRow] = []
    first_line: dict[str, int] = {}
    columns: dict[str, int] = {}
    previous = 0  # reader.line_num after the previous record: records may span lines
    try:
        for record in reader:
            start, previous = previous + 1, reader.line_num
            if not columns:
                columns = _columns(record)
                continue
            if not any(cell.strip() for cell in record):
                continue
            row = _row(start, record, columns)
            if row.id in first_line:
                raise RosterError.of(
                    start, "duplicate_id", id=row.id, first_line=first_line[row.id]
                )
            first_line[row.id] = start
            rows.append(row)
    except csv.Error as exc:
        raise RosterError.of(reader.line_num, "bad_csv", reason=str(exc)) from None
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


def _row(line: int, record: list[str], columns: dict[str, int]) -> RosterRow:
    def cell(column: str) -> str:
        position = columns[column]
        return record[position].strip() if position < len(record) else ""

    pid = cell("id")
    if not pid:
        raise RosterError.of(line, "empty_id")
    municipality = cell("municipality")
    if not municipality:
        raise RosterError.of(line, "empty_municipality", id=pid)
    role = parse_role(cell("role"))
    if role is None:
        raise RosterError.of(
            line, "unknown_role", value=cell("role"), expected=", ".join(ROLE_WORDS)
        )
    attendance = parse_attendance(cell("attendance"))
    if attendance is None:
        raise RosterError.of(
            line,
            "unknown_attendance",
            value=cell("attendance"),
            expected=", ".join(ATTENDANCE_WORDS),
        )
    return RosterRow(line, pid, cell("name"), municipality, role, attendance)


def read_roster(path: str | Path) -> list[RosterRow]:
    """Read a roster CSV file.

    Args:
        path: The file to read.

    Returns:
        The participants, in file order (blank lines skipped).

    Raises:
        RosterError: If the file cannot be read or decoded, a column is missing, or a row has
            an empty id, a duplicate id, an empty municipality, or an unknown role or
            attendance; ``line`` tells where.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise RosterError.of(None, "unreadable", reason=exc.strerror or str(exc)) from None
    return parse_roster(_decode(data))
