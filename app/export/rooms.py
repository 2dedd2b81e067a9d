"""Groups for the day itself: breakout-room pre-assignment for video tools, and a table plan.

* :func:`zoom_csv`: Zoom's pre-assignment file, exactly its format: the header
  ``Pre-assign Room Name,Email Address``, one row per person who has an e-mail address
  (Zoom matches people by the address of their Zoom account), comma-separated UTF-8.
* :func:`rooms_csv`: every member with room, name, organisation, attendance and e-mail, for
  Teams (whose breakout rooms are assigned by hand, from this list) or any other tool, and
  for Excel (``;``, BOM; formula-like names made inert, see :mod:`app.export.tables`).
* :func:`write_table_plan`: a printable A4 PDF for the room, one box per table with its
  number in large type and its members (name and organisation).

The rooms come from the planned groups of ``tankesmedja groups`` (:mod:`app.cli_groups`) or
from the mixed groups of a session in the export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, Spacer, Table, TableStyle

from app.export.data import Snapshot
from app.export.pdf import FONT, FONT_BOLD, _build, para
from app.export.tables import Table as DataTable
from app.export.tables import excel_csv, write_csv
from app.i18n import tr
from app.model import GroupKind

#: Zoom's pre-assignment header, verbatim (Zoom refuses a file with any other).
ZOOM_HEADER = ("Pre-assign Room Name", "Email Address")


@dataclass(frozen=True)
class Seat:
    """One person at a table or in a breakout room."""

    name: str
    organisation: str
    attendance: str = ""  # "in_room" / "remote" / ""
    email: str = ""


@dataclass(frozen=True)
class Room:
    """A table or breakout room: its name and the people in it."""

    name: str
    seats: tuple[Seat, ...]


def room_name(round_number: int, group_number: int, rounds: int) -> str:
    """Return a room's name: ``Grupp 3``, or ``Runda 2 Grupp 3`` when there are several rounds.

    Plain letters, digits and spaces, and short: the Zoom file cuts names at 32 characters.
    """
    if rounds > 1:
        return tr("rooms_round_group", round=round_number, group=group_number)
    return tr("rooms_group", group=group_number)


def zoom_csv(rooms: Sequence[Room]) -> tuple[bytes, int]:
    """Return Zoom's pre-assignment CSV and how many people were left out (no e-mail)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(ZOOM_HEADER)
    missing = 0
    for room in rooms:
        for seat in room.seats:
            if seat.email:
                writer.writerow((room.name[:32], seat.email))
            else:
                missing += 1
    return buffer.getvalue().encode("utf-8"), missing


def rooms_csv(rooms: Sequence[Room]) -> bytes:
    """Return every room's members as a list for Teams, other tools and Excel."""
    rows = [
        {
            "room": room.name,
            "name": seat.name,
            "organisation": seat.organisation,
            "attendance": tr(f"attendance_{seat.attendance}") if seat.attendance else "",
            "email": seat.email,
        }
        for room in rooms
        for seat in room.seats
    ]
    columns = ("room", "name", "organisation", "attendance", "email")
    return excel_csv(DataTable("rooms", columns, rows))


def write_table_plan(
    path: Path, title: str, rounds: Sequence[tuple[str, Sequence[Room]]], generated_at: float
) -> Path:
    """Write a printable table plan: per round a heading and a box per table; return ``path``."""
    story: list = [para(title, "title"), Spacer(1, 4 * mm)]
    box_width = 84 * mm
    for heading, rooms in rounds:
        story += [CondPageBreak(60 * mm), para(heading, "h1")]
        boxes = [_box(room, box_width) for room in rooms]
        pairs = [boxes[i : i + 2] for i in range(0, len(boxes), 2)]
        for pair in pairs:
            row = Table([pair + [""] * (2 - len(pair))], colWidths=[box_width + 3 * mm] * 2)
            row.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
            story.append(KeepTogether([row, Spacer(1, 3 * mm)]))
    _build(path, story, title, generated_at)
    return path


def _box(room: Room, width: float) -> Table:
    rows: list[list[object]] = [[para(room.name, "h1")]]
    rows += [[para(f"{seat.name} · {seat.organisation}", "subtitle")] for seat in room.seats]
    box = Table(rows, colWidths=[width])
    box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.8, colors.HexColor("#14507a")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6eef5")),
                ("FONT", (0, 0), (-1, -1), FONT, 10),
                ("FONT", (0, 0), (-1, 0), FONT_BOLD, 16),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return box


def rooms_of(
    groups: Sequence[Sequence[str]], seats: dict[str, Seat], round_number: int, rounds: int
) -> list[Room]:
    """Return the rooms of one round of groups (lists of ids) with the seats known for them."""
    return [
        Room(
            room_name(round_number, number, rounds),
            tuple(seats[pid] for pid in members if pid in seats),
        )
        for number, members in enumerate(groups, start=1)
    ]


def write_group_files(snapshot: Snapshot, out_dir: Path) -> list[Path]:
    """Write the mixed groups of the exported sessions for the day: Zoom, room list, table plan.

    One Zoom file per mixed round (Zoom takes one assignment per meeting), named
    ``zoom-traff<session>-moment<phase>.csv``; ``rum.csv`` lists every room of every round;
    ``bordsplacering.pdf`` is the table plan (names in the export's language:
    ``zoom-session1-phase2.csv``, ``rooms.csv``, ``table-plan.pdf`` in English). E-mail
    addresses come from the roster entries the participants claimed when they joined.
    Returns the files written (none without mixed groups).
    """
    written: list[Path] = []
    everyone: list[Room] = []
    plan: list[tuple[str, list[Room]]] = []
    for data in snapshot.sessions:
        seats = {
            p.id: Seat(
                p.name,
                snapshot.organisation_name(p.organisation_id),
                p.attendance.value,
                data.emails.get(p.id, ""),
            )
            for p in data.participants
        }
        program = data.session.program
        for rnd in data.rounds:
            if rnd.kind != GroupKind.MIXED:
                continue
            title = program[rnd.phase_index].title if rnd.phase_index < len(program) else ""
            heading = tr("rooms_plan_phase", title=title, number=data.session.number)
            rooms = rooms_of(rnd.groups, seats, 0, 1)
            plan.append((heading, rooms))
            everyone += [Room(f"{heading} · {room.name}", room.seats) for room in rooms]
            session = tr("file_session", number=data.session.number)
            name = f"zoom-{session}-{tr('file_phase', number=rnd.phase_index + 1)}.csv"
            data_bytes, _ = zoom_csv(rooms)
            written.append(write_csv(out_dir / name, data_bytes))
    if not plan:
        return written
    written.append(write_csv(out_dir / f"{tr('file_rooms')}.csv", rooms_csv(everyone)))
    plan_path = out_dir / f"{tr('file_table_plan')}.pdf"
    written.append(write_table_plan(plan_path, tr("rooms_plan_title"), plan, snapshot.generated_at))
    return written
