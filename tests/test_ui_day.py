"""A facilitator's day without traps (issue 16): what the console asks before it hurts the room."""

from __future__ import annotations

import os
from dataclasses import replace

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtGui import QCloseEvent

from app import i18n
from app.room import Room
from facilitator_ui import main_window
from facilitator_ui.main_window import MainWindow
from tests.ui_helpers import join, join_info

SV = i18n.catalogue("sv")


@pytest.fixture
def window(qtbot, room: Room) -> MainWindow:  # noqa: ANN001
    win = MainWindow(room, join_info(room))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


class Asked(list):
    """Every question the console asks (title and text), answered from ``answers``."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[bool] = []  # Avbryt once they run out

    def __call__(self, _parent: object, title: str, text: str, _action: str, **_kw: object) -> bool:
        answer = self.answers.pop(0) if self.answers else False
        self.append((f"{title}\n{text}", answer))
        return answer


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> Asked:
    questions = Asked()
    monkeypatch.setattr(main_window, "ask", questions)
    return questions


def test_quitting_an_empty_room_does_not_ask(window: MainWindow, asked: Asked) -> None:
    closed: list[bool] = []
    window.closed.connect(lambda: closed.append(True))
    window.shortcut_actions[main_window.Command.QUIT].trigger()
    assert asked == [] and closed == [True]


def test_quitting_while_people_are_connected_asks_and_cancel_keeps_the_room(
    window: MainWindow, room: Room, asked: Asked
) -> None:
    join(room, "Anna Berg", 0)
    room.live.start(0)
    closed: list[bool] = []
    window.closed.connect(lambda: closed.append(True))

    window.shortcut_actions[main_window.Command.QUIT].trigger()  # Ctrl+Q: Avbryt
    [(question, answer)] = asked
    assert answer is False and closed == [] and window.isVisible()
    assert SV["quit_title"] in question
    assert "1 deltagare är ansluten just nu." in question
    assert "Momentet ”" in question and room.live.phase.title in question

    # The title bar's × asks too: the window system's close is a spontaneous event (which
    # offscreen Qt cannot make, hence the event made here).
    class WindowManagerClose(QCloseEvent):
        def spontaneous(self) -> bool:
            return True

    event = WindowManagerClose()
    window.closeEvent(event)
    assert len(asked) == 2 and not event.isAccepted() and closed == []
    window.closeEvent(QCloseEvent())  # the program's own close (a logout): no question
    assert len(asked) == 2 and closed == [True]
    closed.clear()
    window.show()

    asked.answers.append(True)
    window.shortcut_actions[main_window.Command.QUIT].trigger()
    assert len(asked) == 3 and asked[-1][1] is True
    assert closed == [True]


def test_rehearsal_people_are_named_so_and_removed_in_one_step(
    window: MainWindow, room: Room, asked: Asked
) -> None:
    from app.model import Attendance, Role
    from app.protocol import Join
    from facilitator_ui.roster_model import Column

    real = join(room, "Anna Berg", 0)
    org = room.series.organisations[1].id
    for i in range(3):
        form = Join(f"Sim {i}", org, Role.OFFICIAL, Attendance.IN_ROOM, "")
        result = room.join(replace(form, rehearsal_key=room.rehearsal_key))
        room.attach(result.participant.id)
    model = window.roster_model
    names = [
        model.index(r, Column.NAME, model.index(o, 0)).data()
        for o in range(model.rowCount())
        for r in range(model.rowCount(model.index(o, 0)))
    ]
    assert sorted(names) == ["Anna Berg", *[f"Sim {i} (repetition)" for i in range(3)]]

    assert window.ask_remove_rehearsal() is False  # Avbryt
    assert "3 simulerade deltagare" in asked[-1][0] and len(room.participants()) == 4
    asked.answers.append(True)
    assert window.ask_remove_rehearsal() is True
    assert [p.id for p in room.participants()] == [real]
    assert window.totals_label.text() == "1 anmäld · 1 ansluten nu"
    assert window.ask_remove_rehearsal() is False and len(asked) == 2  # none left: no question


def test_every_moderation_step_on_the_wall_can_be_undone(
    qtbot,
    window: MainWindow,
    room: Room,  # noqa: ANN001
) -> None:
    import json

    from app.protocol import parse

    who = join(room, "Anna Berg", 0)
    room.live.start(1)
    message = {"type": "reflect", "id": "card-undo-0001", "phase": 1, "text": "Oj"}
    room.live.reflect(room.participant(who), parse(json.dumps(message)))  # type: ignore[arg-type]
    wall = window.wall
    qtbot.waitUntil(lambda: "card-undo-0001" in wall.card_widgets)
    assert not wall.undo_button.isEnabled() and wall.undo_button.text() == SV["wall_undo"]

    wall.card_widgets["card-undo-0001"].hide_button.click()
    assert room.live.card("card-undo-0001").hidden  # type: ignore[union-attr]
    assert "card-undo-0001" not in wall.shown_ids()  # off the wall ...
    assert wall.undo_button.isEnabled()
    assert wall.undo_button.text() == SV["wall_undo_unhide"]  # ... and one click brings it back
    wall.undo_button.click()
    assert not room.live.card("card-undo-0001").hidden  # type: ignore[union-attr]
    assert "card-undo-0001" in wall.shown_ids()
    assert [r.hidden for r in room.store.reflections(room.session.id)] == [False]

    wall.card_widgets["card-undo-0001"].highlight_button.click()
    wall.card_widgets["card-undo-0001"].hide_button.click()
    wall.undo()
    wall.undo()  # both steps, last first
    card = room.live.card("card-undo-0001")
    assert card is not None and not card.hidden and not card.highlighted
    assert not wall.can_undo() and not wall.undo_button.isEnabled()


def test_a_group_phase_gets_its_groups_when_it_starts_and_skipping_ahead_asks(
    window: MainWindow, room: Room, asked: Asked, monkeypatch: pytest.MonkeyPatch
) -> None:
    from facilitator_ui import phase_bar

    monkeypatch.setattr(phase_bar, "ask", asked)
    live = room.live
    for i in range(8):
        join(room, f"Person {i}", i)
    assert window.groups_view.auto_check.isChecked()  # on by default
    window.phase_bar.start_button.click()  # Inspiration runs
    assert live.clock.index == 0

    window.next_phase()  # Ctrl+→ with time left: asked, Avbryt keeps the phase
    [(question, _)] = asked
    assert live.clock.index == 0
    assert f"Momentet ”{live.program[0].title}” har" in question
    assert f"Gå vidare till ”{live.program[1].title}” ändå?" in question

    asked.answers.append(True)
    window.next_phase()
    assert live.clock.index == 1 and len(asked) == 2
    rnd = live.round(1)  # made as the phase started, without a click
    assert rnd is not None and sum(len(g) for g in rnd.groups) == 8

    # Turned off (and remembered): the next group phase waits for the button.
    window.groups_view.auto_check.setChecked(False)
    assert window.settings.auto_groups is False
    live.add_time(-10_000)  # the time is up: moving on needs no question
    window.next_phase()
    assert live.clock.index == 2 and live.round(2) is None and len(asked) == 2


def test_ending_the_program_early_asks_in_its_own_words(
    window: MainWindow, room: Room, asked: Asked, monkeypatch: pytest.MonkeyPatch
) -> None:
    from facilitator_ui import phase_bar

    monkeypatch.setattr(phase_bar, "ask", asked)
    live = room.live
    live.start(len(live.program) - 1)
    window.next_phase()
    [(question, _)] = asked
    assert "Avsluta programmet ändå?" in question
    assert live.phase is not None  # Avbryt: still running


FIRST = ("Kristina", "Johan", "Ann-Charlotte", "Per", "Mohammed")
LAST = ("Björklund", "Öberg", "Lindqvist", "Ek", "Gustafsson", "Nilsson", "Ahlström")


@pytest.mark.parametrize("count", [5, 15, 24])
def test_projector_group_names_stay_readable_from_the_back(qtbot, count: int) -> None:  # noqa: ANN001
    from PySide6.QtGui import QColor

    from facilitator_ui.audience_window import MIN_NAME_PX, GroupBox, GroupsStage

    stage = GroupsStage()
    qtbot.addWidget(stage)
    stage.resize(1920, 1080 - 170)  # a 1080p projector under the phase's header
    orgs = ["Fyrbodals kommunalförbund", "Trollhättan", "Vänersborg", "Uddevalla", "Åmål"]
    groups = [
        GroupBox(
            f"Grupp {g + 1}",
            "",
            False,
            tuple(
                (f"{FIRST[(g + m) % 5]} {LAST[(g * 6 + m) % 7]}", orgs[(g + m) % 5], QColor("#123"))
                for m in range(6)
            ),
        )
        for g in range(count)
    ]
    stage.set_groups(groups)
    stage.show()
    assert stage.name_pixels() >= MIN_NAME_PX  # 28 px at 1080 lines, whatever the count
    seen = []
    for _ in range(stage.page_count()):
        seen += [g.title for g in stage.page_groups()]
        stage.next_page()
    assert seen == [g.title for g in groups]  # every group on exactly one page
    assert stage.page_count() == (1 if count <= 6 else stage.page_count())
    if count == 5:
        assert stage.page_count() == 1  # few groups: one screen, no paging
    stage.grab()  # paints every part (the page line too) without error


def test_dialogs_use_readable_type_not_the_platforms_small_font(
    qtbot,
    window: MainWindow,  # noqa: ANN001
) -> None:
    from PySide6.QtWidgets import QApplication

    from facilitator_ui.common import CONSOLE_POINT_SIZE, use_console_font

    app = QApplication.instance()
    before = app.font()  # restored below: other tests keep theirs
    try:
        use_console_font(app)  # what the composition root does
        for dialog in (
            window.workshop_actions.open_export(),
            window.workshop_actions.open_erase(),
        ):
            assert dialog.font().pointSize() >= CONSOLE_POINT_SIZE, type(dialog).__name__
            dialog.close()  # deletes itself
    finally:
        app.setFont(before)


def test_the_projectors_title_is_never_clipped_by_the_countdown(
    qtbot,
    window: MainWindow,
    room: Room,  # noqa: ANN001
) -> None:
    room.live.start(0)  # the lecture: the session's line beside a running countdown
    audience = window.audience
    audience.resize(1920, 1080)
    audience.show()
    qtbot.waitExposed(audience)
    label = audience.title_label
    qtbot.waitUntil(lambda: label.height() > 40)  # laid out
    assert "UTBLICK" in label.text()
    # Every line of it shown: the height it needs at its width is the height it has.
    assert label.heightForWidth(label.width()) <= label.height()
    needed = label.fontMetrics().horizontalAdvance(label.text())
    assert needed <= label.width() or label.wordWrap()


def test_starting_another_phase_from_the_program_asks_while_one_runs(
    window: MainWindow, room: Room, asked: Asked, monkeypatch: pytest.MonkeyPatch
) -> None:
    from facilitator_ui import program_panel

    monkeypatch.setattr(program_panel, "ask", asked)
    live = room.live
    live.start(0)
    panel = window.program_panel
    panel.phase_list.setCurrentRow(3)  # the survey, while the lecture runs
    panel.start_selected_button.click()
    [(question, _)] = asked
    assert live.clock.index == 0  # Avbryt: the lecture goes on
    assert f"Gå vidare till ”{live.program[3].title}” ändå?" in question
    asked.answers.append(True)
    panel.start_selected_button.click()
    assert live.clock.index == 3
