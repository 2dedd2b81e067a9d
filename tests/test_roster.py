"""Roster import: Excel-style CSV files, with every error pointing at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.model import Attendance, Role
from app.roster import RosterError, RosterRow, parse_roster, read_roster

HEADER = "id,name,municipality,role,attendance\n"


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "roster.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_reads_a_plain_roster(tmp_path: Path) -> None:
    path = write(
        tmp_path, HEADER + "u1,Anna,Uddevalla,elected,in_room\nt1,Bo,Tanum,official,remote\n"
    )
    assert read_roster(path) == [
        RosterRow(2, "u1", "Anna", "Uddevalla", Role.ELECTED, Attendance.IN_ROOM),
        RosterRow(3, "t1", "Bo", "Tanum", Role.OFFICIAL, Attendance.REMOTE),
    ]


def test_reads_excel_semicolons_bom_and_swedish_words(tmp_path: Path) -> None:
    text = (
        "\ufeffID;Namn;Kommun;Roll;Närvaro;Funktion\n"
        "å1;Åsa Öberg;Åmål;Förtroendevald;På plats;KSO\n"
        "v2;Göran;Vänersborg;TJÄNSTEPERSON;på  distans;IT-chef\n"
    )
    rows = read_roster(write(tmp_path, text))
    assert [(r.id, r.name, r.municipality, r.role, r.attendance) for r in rows] == [
        ("å1", "Åsa Öberg", "Åmål", Role.ELECTED, Attendance.IN_ROOM),
        ("v2", "Göran", "Vänersborg", Role.OFFICIAL, Attendance.REMOTE),
    ]


def test_reads_windows_1252(tmp_path: Path) -> None:
    text = "id;name;municipality;role;attendance\r\n1;Åsa;Åmål;förtroendevald;på plats\r\n"
    rows = read_roster(write(tmp_path, text, "cp1252"))
    assert rows[0].name == "Åsa" and rows[0].municipality == "Åmål"
    assert rows[0].role is Role.ELECTED


def test_blank_lines_and_quoted_fields(tmp_path: Path) -> None:
    text = (
        HEADER
        + '\n"1","Berg, Anna",Uddevalla,elected,in_room\n'
        + '\n2,"Multi\nline",Tanum,official,remote\n'
        + "3,C,Lysekil,boss,remote\n"
    )
    with pytest.raises(RosterError) as info:
        read_roster(write(tmp_path, text))
    # The quoted newline makes row 2 span lines 5-6, so the bad row starts on line 7.
    assert info.value.line == 7
    rows = parse_roster(text.rsplit("3,C", 1)[0])
    assert [(r.line, r.name) for r in rows] == [(3, "Berg, Anna"), (5, "Multi\nline")]


@pytest.mark.parametrize(
    ("text", "line", "code", "words"),
    [
        ("id,name,role,attendance\n1,A,elected,remote\n", 1, "missing_column", "municipality"),
        (HEADER + "1,A,U,elected,remote\n2,B,U,boss,remote\n", 3, "unknown_role", "boss"),
        (HEADER + "1,A,U,elected,somewhere\n", 2, "unknown_attendance", "somewhere"),
        (HEADER + "1,A,U,elected,remote\n ,B,U,elected,remote\n", 3, "empty_id", "empty id"),
        (HEADER + "1,A,U,elected,remote\n1,B,U,elected,remote\n", 3, "duplicate_id", "line 2"),
        (HEADER + "1,A,,elected,remote\n", 2, "empty_municipality", "municipality"),
        (HEADER + "1,A,U,elected\n", 2, "unknown_attendance", "''"),
    ],
)
def test_errors_name_their_line(
    tmp_path: Path, text: str, line: int, code: str, words: str
) -> None:
    with pytest.raises(RosterError) as info:
        read_roster(write(tmp_path, text))
    assert info.value.line == line
    assert info.value.code == code
    assert words in info.value.message
    assert str(info.value).startswith(f"line {line}: ")


def test_file_level_errors(tmp_path: Path) -> None:
    with pytest.raises(RosterError) as info:
        read_roster(tmp_path / "missing.csv")
    assert info.value.line is None and info.value.code == "unreadable"
    with pytest.raises(RosterError) as info:
        read_roster(write(tmp_path, ""))
    assert info.value.code == "empty"
    (tmp_path / "bad.csv").write_bytes(b"id,name\n\x81\x8d\x90\n")
    with pytest.raises(RosterError) as info:
        read_roster(tmp_path / "bad.csv")
    assert info.value.code == "encoding"
