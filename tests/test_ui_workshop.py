"""The console's workshop commands: files, recent list, roster import, editors, GDPR erasure."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QStandardPaths
from PySide6.QtGui import QAction

from app import i18n
from app.model import Attendance, Role, SurveyKind
from app.protocol import Join, Reflect, SurveyAnswers, parse
from app.room import JoinInfo, Room
from app.store import Store
from app.workshop import create_workshop
from facilitator_ui import privacy, workshop_files
from facilitator_ui.main_window import MainWindow
from facilitator_ui.roster_model import RosterRole
from facilitator_ui.settings import Settings
from facilitator_ui.workshop_files import recent_workshops, remember_workshop

SV = i18n.catalogue("sv")
MIXED, SURVEY = 1, 3


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.at(tmp_path / "settings.ini")


@pytest.fixture
def window(qtbot, qloop, room: Room, settings: Settings) -> MainWindow:  # noqa: ANN001
    base = "http://192.168.1.20:8765"
    info = JoinInfo(f"{base}/#t={room.room_token}", base, room.display_code, 8765, 8765, False)
    win = MainWindow(room, info, settings=settings)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    return win


def join(room: Room, name: str, org_index: int) -> str:
    org = room.series.organisations[org_index]
    pid = room.join(Join(name, org.id, Role.OFFICIAL, Attendance.IN_ROOM, "")).participant.id
    room.attach(pid)
    return pid


def roster_names(window: MainWindow) -> list[str]:
    model = window.roster_model
    names = []
    for row in range(model.rowCount()):
        parent = model.index(row, 0)
        names += [str(model.index(r, 0, parent).data()) for r in range(model.rowCount(parent))]
    return names


# -- files --------------------------------------------------------------------------------------


def test_file_menu_has_the_workshop_commands_before_quit(window: MainWindow) -> None:
    menu = window.menuBar().actions()[0].menu()
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    for key in ("ws_new", "ws_open", "ws_recent", "ws_save_as", "ws_import_roster", "ws_export"):
        assert SV[key] in texts
    for key in ("ws_edit", "ws_erase", "ws_delete_session"):
        assert SV[key] in texts
    assert menu.actions()[-1].menuRole() == QAction.MenuRole.QuitRole
    assert window.windowFilePath() == str(window.bridge.room.store.path)
    window.language_action("en").trigger()
    assert window.workshop_actions.export_action.text() == i18n.catalogue("en")["ws_export"]


def test_recent_workshops_are_remembered_between_runs(tmp_path: Path) -> None:
    first = Settings.at(tmp_path / "s.ini")
    for name in ("a", "b", "a", "c"):
        remember_workshop(first, tmp_path / f"{name}.tankesmedja")
    first.sync()
    again = Settings.at(tmp_path / "s.ini")
    assert [p.name for p in recent_workshops(again)] == [
        "c.tankesmedja",
        "a.tankesmedja",
        "b.tankesmedja",
    ]
    assert again.last_workshop == str((tmp_path / "c.tankesmedja").resolve())
    remember_workshop(again, tmp_path / "only.tankesmedja")  # one item survives QSettings too
    assert recent_workshops(Settings.at(tmp_path / "s.ini"))[0].name == "only.tankesmedja"


def test_new_workshop_creates_the_file_and_asks_to_switch(
    qtbot, window: MainWindow, tmp_path: Path, settings: Settings
) -> None:
    dialog = window.workshop_actions.new_workshop()
    dialog.empty_radio.setChecked(True)
    dialog.accept()
    assert dialog.error_label.text() == SV["ws_need_file"]
    dialog.path_edit.setText(str(tmp_path / "Dalsland"))
    dialog.accept()
    assert dialog.error_label.text() == SV["ws_need_name"]
    dialog.name_edit.setText("Tankesmedja Dalsland 2025")
    dialog.theme_edit.setText("UTBLICK")
    with qtbot.waitSignal(window.openWorkshopRequested) as requested:
        dialog.accept()
    path = requested.args[0]
    assert path == tmp_path / "Dalsland.tankesmedja" and path.is_file()
    assert recent_workshops(settings)[0] == path.resolve()
    store = Store(path)
    assert store.series().name == "Tankesmedja Dalsland 2025"  # type: ignore[union-attr]
    store.close()


def test_open_checks_the_file_first(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(
        workshop_files, "show_problems", lambda _p, _t, text, _d: shown.append(text)
    )
    junk = tmp_path / "junk.tankesmedja"
    junk.write_text("not a database")
    with qtbot.assertNotEmitted(window.openWorkshopRequested):
        assert window.workshop_actions.open_workshop(junk) is False
    assert shown == [SV["ws_error_not_workshop"].format(path=junk)]
    assert window.workshop_actions.open_workshop(window.bridge.room.store.path) is False
    good = create_workshop(tmp_path / "good")
    with qtbot.waitSignal(window.openWorkshopRequested) as requested:
        assert window.workshop_actions.open_workshop(good) is True
    assert requested.args == [good]
    window.workshop_actions._fill_recent()
    assert [a.text() for a in window.workshop_actions.recent_menu.actions()] == [
        SV["ws_recent_item"].format(name=good.name, folder=good.resolve().parent)
    ]


def test_save_as_goes_on_in_the_copy_without_a_restart(
    window: MainWindow, room: Room, tmp_path: Path
) -> None:
    before = join(room, "Före Kopian", 0)
    old_path = room.store.path
    saved = window.workshop_actions.save_as(tmp_path / "kopia")
    assert saved == tmp_path / "kopia.tankesmedja"
    assert room.store.path == saved
    assert window.windowFilePath() == str(saved)
    after = join(room, "Efter Kopian", 1)
    copy, old = Store(saved), Store(old_path)
    try:
        assert {p.id for p in copy.participants(room.session.id)} == {before, after}
        assert {p.id for p in old.participants(room.session.id)} == {before}
    finally:
        copy.close()
        old.close()
    assert "Efter Kopian" in roster_names(window)


def test_a_failed_save_as_changes_nothing(
    window: MainWindow, room: Room, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(
        workshop_files, "show_problems", lambda _p, _t, text, _d: shown.append(text)
    )
    old_path = room.store.path
    assert window.workshop_actions.save_as(tmp_path / "missing-folder" / "x") is None
    assert room.store.path == old_path
    assert shown and shown[0].startswith(SV["ws_save_failed"].split("{path}")[0])
    assert not (tmp_path / "missing-folder").exists()


def test_switching_workshops_rebuilds_server_and_window(tmp_path: Path) -> None:
    script = tmp_path / "switch.py"
    script.write_text(
        f"""
import json, sys
from pathlib import Path
from PySide6.QtCore import QTimer
import facilitator_ui.main_window as mw
from tankesmedja import __main__ as composition
from app.workshop import create_workshop
target = create_workshop(Path({str(tmp_path)!r}) / "other", template=False, name="Andra")
built = []
original = mw.MainWindow.__init__
def init(self, room, *args, **kwargs):
    original(self, room, *args, **kwargs)
    built.append(room.series.name)
    if len(built) == 1:
        QTimer.singleShot(200, lambda: self.openWorkshopRequested.emit(target))
    else:
        QTimer.singleShot(200, self.close)
mw.MainWindow.__init__ = init
code = composition.run_console(Path({str(tmp_path / "data")!r}), "127.0.0.1", 0, None)
print("RESULT", json.dumps([code, built]))
"""
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=env
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT"))
    assert json.loads(line.removeprefix("RESULT ")) == [0, ["Tankesmedja Fyrbodal 2020", "Andra"]]


# -- roster import ------------------------------------------------------------------------------


def write_csv(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "deltagare.csv"
    path.write_bytes(("ID;Namn;Kommun;Roll;Närvaro\r\n" + body).encode("cp1252"))
    return path


def test_roster_import_from_the_menu(
    window: MainWindow, room: Room, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    problems: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(
        workshop_files,
        "show_problems",
        lambda _p, _t, text, details: problems.append((text, details)),
    )
    bad = write_csv(tmp_path, "1;Åsa;Åmål;förtroendevald;på plats\r\n2;Bo;Tanum;kung;på plats\r\n")
    assert window.workshop_actions.import_roster(bad) is False
    assert problems[-1][0].startswith("Deltagarlistan deltagare.csv importerades inte")
    assert problems[-1][1] == [
        "Rad 3, kolumn D (\"Roll\"): okänd roll 'kung'"
        " (tillåtna: elected, förtroendevald, official, tjänsteperson)"
    ]
    unnamed = write_csv(tmp_path, "1;;Åmål;förtroendevald;på plats\r\n")
    assert window.workshop_actions.import_roster(unnamed) is False
    assert problems[-1][1] == ["Rad 2: namn saknas"]
    assert room.store.roster(room.session.id) == []  # nothing imported on any error

    good = write_csv(
        tmp_path,
        "1;Åsa Öberg;ÅMÅL;förtroendevald;på plats\r\n2;Bo Ek;Göteborg;official;remote\r\n"
        "3;Cilla;göteborg;official;remote\r\n",
    )
    asked: list[str] = []
    monkeypatch.setattr(workshop_files, "ask", lambda _p, _t, text, _a: asked.append(text) or False)
    assert window.workshop_actions.import_roster(good) is False
    assert "Göteborg: okänd organisation (rad 3, 4)" in asked[0]
    assert room.store.roster(room.session.id) == []
    monkeypatch.setattr(workshop_files, "ask", lambda *_args: True)
    assert window.workshop_actions.import_roster(good) is True
    assert [e.name for e in room.store.roster(room.session.id)] == ["Åsa Öberg", "Bo Ek", "Cilla"]
    assert room.series.organisations[-1].name == "Göteborg"
    assert [r["name"] for r in room.welcome_message()["roster"]] == ["Bo Ek", "Cilla", "Åsa Öberg"]
    assert window.statusBar().currentMessage() == i18n.tr("ws_imported", added=3, kept=0, number=1)
    # The survey's organisation list follows the new organisation.
    combo = window.survey_view.organisation_combo
    assert "Göteborg" in [combo.itemText(i) for i in range(combo.count())]


# -- editors -------------------------------------------------------------------------------------


def test_editor_changes_what_participants_see(qtbot, window: MainWindow, room: Room) -> None:
    used = join(room, "Anna Användare", 0)
    live = room.live
    live.start(SURVEY)
    who = room.participant(used)
    assert who is not None
    live.answer_survey(who, SurveyAnswers("survey-01", {"perspective": 3}))
    dialog = window.workshop_actions.open_editor()

    # Organisations: a used one cannot go; add one, rename one, move one up.
    dialog.org_list.setCurrentRow(0)
    assert dialog.remove_organisation() is False
    assert dialog.error_label.text() == SV["edit_org_in_use"].format(name="Bengtsfors")
    dialog.add_organisation("Västra Götalandsregionen")
    dialog.org_list.item(1).setText("Dals-Ed kommun")
    dialog._move(dialog.org_list, -1)  # the new one, selected, moves above the last
    # Themes: rename this session's theme, add a session.
    dialog.session_table.item(0, 1).setText("NYTT TEMA")
    dialog.add_session("FRAMÅT", "Nästa steg")
    # Survey: the answered item cannot go; add an open question, drop an unanswered one.
    dialog.survey_table.selectRow(0)
    assert dialog.remove_survey_item() is False
    assert not dialog._kind_combo(0).isEnabled()
    dialog.survey_table.selectRow(1)
    assert dialog.remove_survey_item() is True
    dialog.add_survey_item(SurveyKind.OPEN, "Vad behöver din kommun härnäst?")
    new_key = dialog.survey_items()[-1].key
    assert new_key == "q1"

    with qtbot.waitSignal(dialog.saved):
        dialog.accept()
    welcome = room.welcome_message()
    names = [o["name"] for o in welcome["organisations"]]
    assert names[1] == "Dals-Ed kommun"
    assert names[-2:] == ["Västra Götalandsregionen", "Fyrbodals kommunalförbund"]
    assert welcome["session"]["theme"] == "NYTT TEMA"
    assert [s.theme for s in room.series.sessions][-1] == "FRAMÅT"
    state = live.state_message(who)
    keys = [i["key"] for i in state["survey"]["items"]]
    assert keys[0] == "perspective" and "mixed_dialogue" not in keys and keys[-1] == new_key
    # The console shows it too: the survey tab has the new question, the header the theme.
    assert new_key in window.survey_view.open_lists
    assert window.tabs.widget(window.tabs.indexOf(window.survey_view)) is window.survey_view
    assert "NYTT TEMA" in window._session_label.text()


def test_a_save_that_fails_half_way_says_so_and_saves_nothing(
    qtbot, window: MainWindow, room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = window.workshop_actions.open_editor()
    dialog.series_edit.setText("Ett nytt namn")
    dialog.add_organisation("Västra Götalandsregionen")
    dialog.session_table.item(0, 1).setText("NYTT TEMA")
    session_label = window._session_label.text()

    def full_disk(*_args: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    # The series' name and organisations are written before the theme, in one transaction.
    monkeypatch.setattr(room.store, "set_session_theme", full_disk)
    assert dialog.save() is False
    assert dialog.error_label.text() == SV["edit_save_failed"].format(
        error="database or disk is full"
    )
    assert dialog.isVisible()
    fresh = Store(room.store.path)
    try:
        stored = fresh.series()
    finally:
        fresh.close()
    assert stored is not None and stored.name == room.series.name != "Ett nytt namn"
    assert "Västra Götalandsregionen" not in [o.name for o in stored.organisations]
    assert stored.sessions[0].theme != "NYTT TEMA"
    assert window._session_label.text() == session_label
    # Without the fault the same edits go through, and the console follows the one event.
    monkeypatch.undo()
    with qtbot.waitSignal(window.bridge.workshopChanged):
        assert dialog.save() is True
    assert room.series.name == "Ett nytt namn"
    assert "NYTT TEMA" in window._session_label.text()


# -- GDPR ------------------------------------------------------------------------------------


def test_erase_a_person_from_the_dialog_updates_the_console(
    qtbot, window: MainWindow, room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = join(room, "Zebulon Quarkström", 0)
    others = [join(room, f"Person {i}", i + 1) for i in range(5)]
    room.live.start(MIXED)
    room.live.make_groups(size=3)
    frame = {"type": "reflect", "id": "secret-card", "phase": MIXED, "text": "Hemligt XYZZY"}
    message = parse(json.dumps(frame))
    assert isinstance(message, Reflect)
    room.live.reflect(room.participant(secret), message)  # type: ignore[arg-type]
    window.wall.set_filters()
    assert "secret-card" in window.wall.shown_ids()
    asked: list[str] = []
    monkeypatch.setattr(privacy, "confirm", lambda _p, _t, text, _a: asked.append(text) or True)

    dialog = window.workshop_actions.open_erase()
    dialog.filter_edit.setText("zebulon")
    visible = [
        dialog.people_list.item(r).text()
        for r in range(dialog.people_list.count())
        if not dialog.people_list.item(r).isHidden()
    ]
    assert visible == ["Zebulon Quarkström · Bengtsfors · träff 1"]
    assert dialog.select("participant", secret)
    with qtbot.waitSignal(dialog.erased):
        assert dialog.erase_selected() is True
    assert "Zebulon Quarkström (Bengtsfors, träff 1)" in asked[0]
    assert "1 reflektion," in asked[0]

    assert "Zebulon Quarkström" not in roster_names(window)
    assert window.roster_model.totals()[0] == len(others)
    assert "secret-card" not in window.wall.shown_ids()
    qtbot.waitUntil(
        lambda: all(secret not in card.member_ids() for card in window.groups_view.cards)
    )
    assert b"Zebulon" not in room.store.path.read_bytes()


def test_erase_from_the_roster_context_menu(
    qtbot, window: MainWindow, room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = join(room, "Ylva Ytterst", 2)
    join(room, "Kvar Kvarsson", 3)
    monkeypatch.setattr(privacy, "confirm", lambda *_args: True)
    monkeypatch.setattr(privacy, "run_menu", lambda menu, _where: menu.actions()[0])
    view = window.roster_view
    index = window.roster_model.index_of_participant(secret)
    assert index.data(RosterRole.PARTICIPANT_ID) == secret
    view.scrollTo(index)
    view.customContextMenuRequested.emit(view.visualRect(index).center())
    assert roster_names(window) == ["Kvar Kvarsson"]
    assert room.participant(secret) is None


def test_delete_the_running_session_needs_its_theme_typed(
    qtbot, window: MainWindow, room: Room
) -> None:
    join(room, "Anna", 0)
    dialog = window.workshop_actions.open_delete_session()
    assert "1 deltagare" in dialog.summary_label.text()
    assert not dialog.delete_button.isEnabled()
    assert dialog.delete() is False
    dialog.confirm_edit.setText("utblik")
    assert not dialog.delete_button.isEnabled()
    dialog.confirm_edit.setText(" utblick ")
    assert dialog.delete_button.isEnabled()
    old_code = window.code_label.text()
    # Started afresh in place by the core operation (no reopening): the views follow its
    # one event, and the QR code and room code are the new ones.
    with (
        qtbot.assertNotEmitted(window.openWorkshopRequested),
        qtbot.waitSignal(window.bridge.workshopChanged) as changed,
    ):
        assert dialog.delete() is True
    assert changed.args == ["clear"]
    assert room.store.participants(room.session.id) == []
    assert roster_names(window) == [] and window.roster_model.totals()[0] == 0
    assert window.code_label.text() == room.display_code != old_code
    assert window.join_info.join_url.endswith(f"#t={room.room_token}")


def test_delete_another_session_stays_in_this_one(qtbot, window: MainWindow, room: Room) -> None:
    other = Room(room.store, 2)
    join(other, "I Träff Två", 0)
    room.store.set_meta("current_session", "1")
    dialog = window.workshop_actions.open_delete_session()
    dialog.session_combo.setCurrentIndex(dialog.session_combo.findData(2))
    dialog.confirm_edit.setText("INBLICK")
    with qtbot.assertNotEmitted(window.openWorkshopRequested):
        assert dialog.delete() is True
    assert room.store.participants(other.session.id) == []


def test_export_from_the_menu_runs_on_the_windows_task_runner(
    qtbot, window: MainWindow, room: Room, tmp_path: Path
) -> None:
    join(room, "Anna", 0)
    dialog = window.workshop_actions.open_export()
    # The documents folder, where people look for files; not the hidden data folder.
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    expected = Path(documents) / "Tankesmedja" / "Tankesmedja-Fyrbodal-2020"
    assert dialog.folder_edit.text() == str(expected)
    assert "/." not in dialog.folder_edit.text()  # no hidden folder on the way
    dialog.folder_edit.setText(str(tmp_path / "ut"))
    assert dialog.start()
    assert window.tasks.busy
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=30_000)
    assert [p.name for p in dialog.written() if p.suffix == ".pdf"] == [
        "traff1-Bengtsfors.pdf",
        "traff1-oversikt.pdf",
    ]
