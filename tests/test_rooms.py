"""Breakout rooms and table plans from ``tankesmedja groups``, read back as a video tool would."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import Workbook
from pypdf import PdfReader

from app.cli_groups import main

PEOPLE = [
    ("u1", "Åsa Öberg", "Uddevalla", "förtroendevald", "på distans", "asa@uddevalla.example"),
    ("u2", "Bo Berg", "Uddevalla", "tjänsteperson", "på distans", "bo@uddevalla.example"),
    ("t1", "=Cia Formel", "Tanum", "tjänsteperson", "på distans", ""),
    ("t2", "Dan Dahl", "Tanum", "förtroendevald", "på distans", "dan@tanum.example"),
    ("l1", "Eva Ek", "Lysekil", "tjänsteperson", "på distans", "eva@lysekil.example"),
    ("l2", "Fia Fors", "Lysekil", "tjänsteperson", "på distans", "fia@lysekil.example"),
]
HEADER = ("ID", "Namn", "Kommun", "Roll", "Närvaro", "E-post")


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    """The roster as Excel saves it: a workbook with an e-mail column."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for person in PEOPLE:
        sheet.append(person)
    sheet["B4"].data_type = "s"  # "=Cia Formel" typed as text, not a formula
    path = tmp_path / "deltagare.xlsx"
    book.save(path)
    return path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_zoom_pre_assignment_is_zooms_exact_format(
    roster: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "zoom.csv"
    code, _, err = run(
        ["--roster", str(roster), "--size", "3", "--format", "zoom", "--out", str(out)], capsys
    )
    assert code == 0
    raw = out.read_bytes()
    assert raw.startswith(b"Pre-assign Room Name,Email Address\r\n")  # no BOM, Zoom's header
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"))))[1:]
    emails = {p[5] for p in PEOPLE if p[5]}
    assert {email for _, email in rows} == emails
    assert {room for room, _ in rows} == {"Grupp 1", "Grupp 2"}
    assert all(len(room) <= 32 for room, _ in rows)
    assert "1 people have no e-mail address" in err  # Cia is left out, and the organiser told
    # The rooms are the planned groups: compare with the JSON plan of the same seed.
    code, plan_json, _ = run(["--roster", str(roster), "--size", "3"], capsys)
    groups = json.loads(plan_json)["rounds"][0]
    by_id = {p[0]: p[5] for p in PEOPLE}
    for number, members in enumerate(groups, start=1):
        expected = {by_id[m] for m in members if by_id[m]}
        assert {e for room, e in rows if room == f"Grupp {number}"} == expected


def test_rooms_list_for_teams_and_excel(
    roster: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "rooms.csv"
    code, _, err = run(
        ["--roster", str(roster), "--size", "3", "--rounds", "2", "--format", "rooms"]
        + ["--out", str(out)],
        capsys,
    )
    assert code == 0, err
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Rum", "Namn", "Organisation", "Närvaro", "E-post"]
    assert len(rows) == 1 + 2 * len(PEOPLE)
    assert {r[0] for r in rows[1:]} == {f"Runda {r} Grupp {g}" for r in (1, 2) for g in (1, 2)}
    assert ["'=Cia Formel", "Tanum", "På distans", ""] in [r[1:] for r in rows]


def test_printable_table_plan(
    roster: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "bord.pdf"
    code, _, err = run(
        ["--roster", str(roster), "--size", "2", "--rounds", "2", "--format", "plan"]
        + ["--out", str(out)],
        capsys,
    )
    assert code == 0, err
    reader = PdfReader(out)
    text = " ".join((" ".join(page.extract_text() for page in reader.pages)).split())
    assert "Bordsplacering" in text and "Runda 1" in text and "Runda 2" in text
    for _, name, org, *_ in PEOPLE:
        assert text.count(f"{name} · {org}") == 2  # once per round
    assert "Grupp 3" in text and "Grupp 4" not in text
    assert reader.metadata is not None and reader.metadata.title == "Bordsplacering"
    code, _, err = run(["--roster", str(roster), "--size", "2", "--format", "plan"], capsys)
    assert code == 2 and "--out" in err


def test_a_bad_e_mail_is_named_with_its_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(PEOPLE[0])
    sheet.append((*PEOPLE[1][:5], "=HYPERLINK(1)@x.se"))
    sheet["F3"].data_type = "s"
    path = tmp_path / "deltagare.xlsx"
    book.save(path)
    code, _, err = run(["--roster", str(path), "--size", "2", "--format", "zoom"], capsys)
    assert code == 2 and "Traceback" not in err
    assert f'{path}, line 3, column F ("E-post"): ' in err


def _session_from_roster(tmp_path: Path, roster: Path) -> Path:
    """People pick their names from the imported roster (two sessions), then mixed groups."""
    from app.model import Attendance, Role
    from app.protocol import Join
    from app.room import Room
    from app.roster import read_roster
    from app.store import DB_NAME, Store
    from app.workshop import plan_roster

    store = Store(tmp_path / DB_NAME)
    for number in (1, 2):
        room = Room(store, number)
        plan = plan_roster(read_roster(roster), room.series.organisations, room.session.id)
        assert plan.ok
        room.import_roster(list(plan.entries))
        for entry in store.roster(room.session.id):
            # Session 2: they type other spellings, but pick the same roster entries.
            form = Join("x", entry.organisation_id, Role.OFFICIAL, Attendance.REMOTE, "", entry.id)
            room.attach(room.join(form).participant.id)
        room.live.start(1)
        room.live.make_groups(size=3)
    store.close()
    return tmp_path / DB_NAME


def test_the_export_writes_the_days_groups_with_the_rosters_e_mails(
    roster: Path, tmp_path: Path
) -> None:
    from app.export import export_all
    from app.export.data import load
    from app.room import Room
    from app.store import Store

    db = _session_from_roster(tmp_path, roster)
    out = tmp_path / "out"
    without = export_all(db, out, sessions=[1])
    assert not (out / "traff1-grupper").exists()  # names and addresses only on request
    addresses = [p[5] for p in PEOPLE if p[5]]
    for path in without:
        if path.suffix in (".csv", ".json", ".html"):
            text = path.read_text("utf-8", "replace")
            assert not [a for a in addresses if a in text], path.name
    files = export_all(db, out, sessions=[1], names=True)
    folder = out / "traff1-grupper"
    assert {p.name for p in files if p.parent == folder} == {
        "zoom-traff1-moment2.csv",
        "rum.csv",
        "bordsplacering.pdf",
    }
    rows = list(csv.reader(io.StringIO((folder / "zoom-traff1-moment2.csv").read_text("utf-8"))))
    assert rows[0] == ["Pre-assign Room Name", "Email Address"]
    store = Store(db)
    rnd = Room(store, 1).live.round(1)
    assert rnd is not None
    snapshot = load(db, [1])
    by_pid = snapshot.sessions[0].emails
    for number, members in enumerate(rnd.groups, start=1):
        expected = {by_pid[m] for m in members if m in by_pid}
        assert {e for room, e in rows[1:] if room == f"Grupp {number}"} == expected
    assert {e for _, e in rows[1:]} == {p[5] for p in PEOPLE if p[5]}
    plan = " ".join(
        " ".join(p.extract_text() for p in PdfReader(folder / "bordsplacering.pdf").pages).split()
    )
    assert "Åsa Öberg · Uddevalla" in plan and "(träff 1)" in plan
    # The page never sees an address: the roster payload is names only.
    assert all(set(e) == {"id", "name", "organisation_id"} for e in Room(store, 2).roster_payload())
    store.close()
    # The same roster id in both sessions is the same person in the researcher's data.
    series = export_all(db, tmp_path / "series", sessions=None)
    long = next(p for p in series if p.name == "survey_long.csv")
    people = list(csv.DictReader(io.StringIO(long.read_text("utf-8"))))
    assert len(people) == 2 * len(PEOPLE)
    assert len({r["person"] for r in people}) == len(PEOPLE)
