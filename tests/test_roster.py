"""Roster import: Excel-style CSV files, with every error pointing at its line."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
    assert str(info.value).startswith(f"{tmp_path / 'roster.csv'}, line {line}")


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


def test_reads_excel_unicode_text_utf16_tab_separated(tmp_path: Path) -> None:
    # What Excel writes for "Unicode-text (*.txt)": UTF-16 LE with a BOM, tabs, CRLF.
    text = (
        "id\tNamn\tKommun\tRoll\tNärvaro\tE-post\r\n"
        "å1\tÅsa Öberg\tÅmål\tFörtroendevald\tPå plats\tasa@amal.se\r\n"
        "v2\tGöran, Berg\tVänersborg\ttjänsteperson\tpå distans\t\r\n"
    )
    path = tmp_path / "roster.txt"
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    rows = read_roster(path)
    assert [(r.id, r.name, r.municipality, r.role, r.email) for r in rows] == [
        ("å1", "Åsa Öberg", "Åmål", Role.ELECTED, "asa@amal.se"),
        ("v2", "Göran, Berg", "Vänersborg", Role.OFFICIAL, ""),
    ]
    path.write_bytes(text.encode("utf-16-le"))  # no BOM: recognised by its NUL bytes
    assert [r.id for r in read_roster(path)] == ["å1", "v2"]
    path.write_bytes(text.encode("utf-8"))  # tab-separated UTF-8
    assert [r.name for r in read_roster(path)] == ["Åsa Öberg", "Göran, Berg"]


def test_reads_an_xlsx_workbook(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["ID", "Namn", "Kommun", "Roll", "Närvaro", "E-postadress", "Övrigt"])
    sheet.append([101, "Åsa Öberg", "Åmål", "förtroendevald", "på plats", "asa@amal.se", 3.5])
    sheet.append([None, None, None, None, None, None, None])
    sheet.append([102.0, "Bo", "Tanum", "official", "remote", None, None])
    path = tmp_path / "deltagare.xlsx"
    book.save(path)
    rows = read_roster(path)
    assert [(r.line, r.id, r.name, r.email) for r in rows] == [
        (2, "101", "Åsa Öberg", "asa@amal.se"),
        (4, "102", "Bo", ""),
    ]
    sheet.append([103, "Cia", "Lysekil", "chef", "remote", None, None])
    book.save(path)
    with pytest.raises(RosterError) as info:
        read_roster(path)
    error = info.value
    assert (error.line, error.code, error.column) == (5, "unknown_role", 'D ("Roll")')
    assert str(error).startswith(f'{path}, line 5, column D ("Roll"): unknown role')


def test_errors_name_file_line_and_column(tmp_path: Path) -> None:
    text = (
        "id;namn;kommun;roll;närvaro;e-post\n"
        "1;A;Tanum;elected;remote;a@b.se\n"
        "2;B;Tanum;elected;remote;inte-en-adress\n"
    )
    with pytest.raises(RosterError) as info:
        read_roster(write(tmp_path, text))
    assert info.value.code == "bad_email" and info.value.line == 3
    assert info.value.column == 'F ("e-post")'
    assert "roster.csv, line 3, column F" in str(info.value)
    with pytest.raises(RosterError) as info:
        read_roster(write(tmp_path, HEADER + "1,A,U,elected,remote\n1,B,U,elected,remote\n"))
    assert info.value.column == 'A ("id")' and "first on line 2" in str(info.value)


def test_an_old_xls_file_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "roster.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(RosterError) as info:
        read_roster(path)
    assert info.value.code == "xls" and ".xlsx" in str(info.value)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(RosterError) as info:
        read_roster(broken)
    assert info.value.code == "unreadable" and str(broken) in str(info.value)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    prefix=st.sampled_from(
        [b"", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b"PK\x03\x04", b"\xd0\xcf\x11\xe0"]
    ),
    body=st.binary(max_size=400),
)
def test_any_bytes_give_rows_or_a_roster_error_never_a_crash(
    tmp_path: Path, prefix: bytes, body: bytes
) -> None:
    path = tmp_path / "fuzz.bin"
    path.write_bytes(prefix + body)
    try:
        rows = read_roster(path)
    except RosterError as exc:
        assert exc.path == path and str(exc).startswith(str(path))
    else:
        assert all(isinstance(r, RosterRow) for r in rows)


def test_a_damaged_workbook_is_a_clear_error(tmp_path: Path) -> None:
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["id", "name", "municipality", "role", "attendance"])
    path = tmp_path / "roster.xlsx"
    book.save(path)
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                data = data[: len(data) // 2]  # cut off mid-XML
            target.writestr(item, data)
    with pytest.raises(RosterError) as info:
        read_roster(damaged)
    assert info.value.code == "unreadable" and "damaged.xlsx" in str(info.value)
