"""The console imports the rosters Excel saves: a workbook and "Unicode text" (UTF-16, tabs)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import pytest
from openpyxl import Workbook

from app.room import Room
from facilitator_ui import workshop_files
from facilitator_ui.main_window import MainWindow
from tests.test_ui_workshop import settings, window  # noqa: F401 - the fixtures


def test_the_console_imports_an_xlsx_roster_with_e_mails(
    window: MainWindow,  # noqa: F811
    room: Room,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    problems: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(
        workshop_files,
        "show_problems",
        lambda _p, _t, text, details: problems.append((text, details)),
    )
    book = Workbook()
    sheet = book.active
    sheet.append(["ID", "Namn", "Kommun", "Roll", "Närvaro", "E-post"])
    sheet.append([1, "Åsa Öberg", "Åmål", "Förtroendevald", "På plats", "asa@amal.example"])
    sheet.append([2, "Bo Ek", "Tanum", "tjänsteperson", "på distans", None])
    path = tmp_path / "deltagare.xlsx"
    book.save(path)
    assert window.workshop_actions.import_roster(path) is True, problems
    entries = room.store.roster(room.session.id)
    assert [(e.external_id, e.name, e.email) for e in entries] == [
        ("1", "Åsa Öberg", "asa@amal.example"),
        ("2", "Bo Ek", ""),
    ]
    # Excel's "Unicode text" with a mistake: the message names the file, line and column.
    text = "id\tnamn\tkommun\troll\tnärvaro\r\n3\tCia\tLysekil\tchef\tpå plats\r\n"
    bad = tmp_path / "deltagare.txt"
    bad.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    assert window.workshop_actions.import_roster(bad) is False
    heading, details = problems[-1]
    assert "deltagare.txt" in heading
    assert details == [
        "Rad 2, kolumn D (\"roll\"): okänd roll 'chef'"
        " (tillåtna: elected, förtroendevald, official, tjänsteperson)"
    ]
    assert len(room.store.roster(room.session.id)) == 2  # nothing imported on an error
