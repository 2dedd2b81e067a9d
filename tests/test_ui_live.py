"""The console runs a session: phase controls, groups with drag and drop, the wall, the survey.

Everything runs against a real SQLite store and room; grouping goes through the executor on a
real qasync loop (marked running, so Qt events processed by qtbot drive asyncio as well).
"""

from __future__ import annotations

import os

# Before Qt is imported (tests/conftest.py does the same; this keeps the module runnable alone).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QMimeData, QPoint, QPointF, Qt
from PySide6.QtWidgets import QInputDialog, QLabel, QWidget

from app import i18n
from app.live import PhaseStatus
from app.model import Role
from app.protocol import Reflect, SurveyAnswers, Withdraw
from app.room import Room
from app.store import Store
from facilitator_ui import wall_view
from facilitator_ui.common import PARTICIPANT_MIME, format_countdown
from facilitator_ui.main_window import MainWindow
from facilitator_ui.phase_bar import CountdownState
from tests.ui_helpers import T0, FakeClock, join, join_info

SV = i18n.catalogue("sv")
EN = i18n.catalogue("en")
HOSTILE = "<b>x</b><img src=x>"
MIXED = 1  # the sample program: inspiration, mixed groups, municipality, survey, closing
SURVEY = 3


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def crowd(room: Room, count: int) -> list[str]:
    return [
        join(room, f"Person {i}", i, role=Role.ELECTED if i % 3 == 0 else Role.OFFICIAL)
        for i in range(count)
    ]


@pytest.fixture
def window(qtbot, qloop, room: Room, clock: FakeClock) -> MainWindow:  # noqa: ANN001
    win = MainWindow(room, join_info(room), clock=clock)
    qtbot.addWidget(win)
    win.resize(1500, 960)
    win.show()
    qtbot.waitExposed(win)
    return win


def labels_text(widget: QWidget) -> list[str]:
    return [label.text() for label in widget.findChildren(QLabel)]


# -- phase controls ---------------------------------------------------------------------------


def test_phase_controls_count_down_pause_add_time_and_advance(
    qtbot, window: MainWindow, room: Room, clock: FakeClock, tmp_path: Path
) -> None:
    bar = window.phase_bar
    live = room.live
    height = bar.height()
    window.tabs.setCurrentWidget(window.program_panel)
    assert bar.height() == height  # one height on every tab: the tabs never jump
    assert bar.countdown_label.font().pixelSize() >= 56
    assert bar.countdown_state() == CountdownState.WAITING
    assert bar.countdown_label.text() == "45:00"  # the first phase's full time, not started

    qtbot.mouseClick(bar.start_button, Qt.MouseButton.LeftButton)
    assert live.clock.status == PhaseStatus.RUNNING and live.clock.index == 0
    assert bar.countdown_label.text() == "45:00"
    assert bar.title_label.text() == "Inspiration"
    assert bar.tag_label.text() == SV["phase_tag_running"]
    assert not bar.start_button.isEnabled()

    clock.now += 30.4
    bar.refresh()
    assert bar.countdown_label.text() == "44:30"

    qtbot.mouseClick(bar.pause_button, Qt.MouseButton.LeftButton)
    assert live.clock.status == PhaseStatus.PAUSED
    assert bar.pause_button.text() == SV["phase_resume"]
    clock.now += 300  # paused: time passes, the countdown does not
    bar.refresh()
    assert bar.countdown_label.text() == "44:30"
    assert bar.tag_label.text() == SV["phase_tag_paused"]

    qtbot.mouseClick(bar.add_minute_button, Qt.MouseButton.LeftButton)
    assert bar.countdown_label.text() == "45:30"  # +60 s, shown at once (phaseChanged)
    qtbot.mouseClick(bar.pause_button, Qt.MouseButton.LeftButton)  # Fortsätt
    assert live.clock.status == PhaseStatus.RUNNING
    qtbot.mouseClick(bar.add_five_button, Qt.MouseButton.LeftButton)
    assert bar.countdown_label.text() == "50:30"

    clock.now += 50 * 60 + 30 - 100  # 99.6 s left (we paused at 44:29.6): amber
    bar.refresh()
    assert bar.countdown_label.text() == "01:40"
    assert bar.countdown_state() == CountdownState.WARNING
    assert bar.tag_label.text() == SV["phase_tag_warning"] == "Två minuter kvar"
    assert "#ffb300" in bar.countdown_label.styleSheet()

    clock.now += 105  # 5.4 s over: counts on, with a minus sign
    bar.refresh()
    assert bar.countdown_label.text() == format_countdown(-5.4) == "\u221200:06"
    assert bar.countdown_state() == CountdownState.OVERTIME
    assert "#b00020" in bar.countdown_label.styleSheet()  # red

    qtbot.mouseClick(bar.next_button, Qt.MouseButton.LeftButton)
    assert live.clock.index == 1 and live.clock.status == PhaseStatus.RUNNING
    assert bar.countdown_label.text() == "40:00"
    assert bar.title_label.text() == "Mixade grupper"
    assert bar.position_label.text() == "Moment 2 av 5"
    # The program tab marks the running phase.
    assert window.program_panel.phase_list.item(1).text().startswith("▶")

    reopened = Store(tmp_path / "workshop.sqlite3")
    try:
        assert Room(reopened).live.clock == live.clock
    finally:
        reopened.close()


def test_the_countdown_ticks_by_itself_while_running(qtbot, qloop, room: Room) -> None:
    window = MainWindow(room, join_info(room))  # the real clock
    qtbot.addWidget(window)
    room.live.start(0)
    first = window.phase_bar.countdown_label.text()
    assert first in ("45:00", "44:59")
    qtbot.waitUntil(lambda: window.phase_bar.countdown_label.text() != first, timeout=2500)
    room.live.pause()
    assert not window.phase_bar._timer.isActive()  # a paused console does no work


def test_the_program_editor_changes_the_live_program(
    qtbot, window: MainWindow, room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    from facilitator_ui import program_panel

    asked: list[str] = []
    monkeypatch.setattr(program_panel, "ask", lambda _p, _t, text, _a: asked.append(text) or True)
    panel = window.program_panel
    live = room.live
    live.start(1)  # the day is under way: phases 1 and 2 stay in place
    panel.select_phase(0)
    assert not panel.remove_button.isEnabled() and not panel.up_button.isEnabled()
    assert not panel.kind_combo.isEnabled()  # a phase that ran keeps its kind

    panel.select_phase(3)
    assert panel.remove_button.isEnabled()
    qtbot.keyClicks(panel.title_edit, " (kort)")
    panel.minutes_spin.setValue(7)
    assert panel.is_dirty() and panel.save_button.isEnabled()
    assert live.program[3].title == "Enkät"  # nothing sent before saving
    qtbot.mouseClick(panel.up_button, Qt.MouseButton.LeftButton)  # to place 3
    assert not panel.up_button.isEnabled()  # never above the running phase
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(panel.title_edit, "X")
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)

    titles = [p.title for p in live.program]
    assert titles == [
        "Inspiration",
        "Mixade grupper",
        "Enkät (kort)",
        "X",
        "Kommunvis reflektion",
        "Avslutning",
    ]
    assert live.program[2].minutes == 7
    assert not panel.is_dirty()
    assert live.clock.index == 1  # the running phase kept its place
    assert window.statusBar().currentMessage() == SV["program_saved"]

    panel.select_phase(5)
    qtbot.mouseClick(panel.start_selected_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 1  # the running phase had time left: asked first
    assert live.clock.index == 5 and live.phase is not None and live.phase.title == "Avslutning"


# -- groups -----------------------------------------------------------------------------------


def test_groups_made_in_the_executor_dragged_locked_reshuffled_and_undone(
    qtbot, window: MainWindow, room: Room
) -> None:
    live = room.live
    crowd(room, 12)
    window.groups_view.auto_check.setChecked(False)  # the button, by hand
    live.start(MIXED)
    view = window.groups_view
    window.tabs.setCurrentWidget(view)
    assert view.phase_index() == MIXED  # follows the clock into the group phase
    assert view.size_spin.value() == 6
    view.size_spin.setValue(4)

    qtbot.mouseClick(view.make_button, Qt.MouseButton.LeftButton)
    assert view.is_busy() and view.busy_bar.isVisible()  # the job waits for the executor
    assert not view.make_button.isEnabled()
    qtbot.waitUntil(lambda: not view.is_busy() and len(view.cards) == 3, timeout=5000)
    assert not view.busy_bar.isVisible()
    rnd = live.round()
    assert rnd is not None and len(rnd.groups) == 3
    qtbot.waitUntil(lambda: [c.member_ids() for c in view.cards] == [list(g) for g in rnd.groups])
    assert view.cards[0].number_label.text() == "Grupp 1"
    assert all(len(card.chips) == 4 for card in view.cards)
    organisations, elected = view.cards[0].mix_label.text(), SV["role_short_elected"]
    assert "4 personer" in organisations and f" {elected} " in organisations

    # Drag a person from card 1 to card 2: our MIME type, through the card's drop handler.
    pid = view.cards[0].member_ids()[0]
    target = view.cards[1]
    mime = QMimeData()
    mime.setData(PARTICIPANT_MIME, QByteArray(pid.encode()))
    from PySide6.QtGui import QDragEnterEvent, QDropEvent

    enter = QDragEnterEvent(
        QPoint(20, 20),
        Qt.DropAction.MoveAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    target.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(20, 20),
        Qt.DropAction.MoveAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    target.dropEvent(drop)
    assert drop.isAccepted()
    assert live.round().group_of(pid) == 1
    qtbot.waitUntil(lambda: pid in view.cards[1].member_ids())
    assert pid not in view.cards[0].member_ids()
    # Plain text is no participant: a text drop is refused.
    text_only = QMimeData()
    text_only.setText(pid)
    refused = QDragEnterEvent(
        QPoint(5, 5),
        Qt.DropAction.MoveAction,
        text_only,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    view.cards[2].dragEnterEvent(refused)
    assert not refused.isAccepted()

    # Lock group 2, reshuffle: group 2 stays exactly as it is.
    qtbot.mouseClick(view.cards[1].lock_button, Qt.MouseButton.LeftButton)
    assert live.round().locked == frozenset({1})
    assert view.cards[1].lock_button.text() == SV["group_locked"]
    kept = live.round().groups[1]
    before = live.round()
    qtbot.mouseClick(view.reshuffle_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.is_busy() and live.round() != before, timeout=5000)
    after = live.round()
    assert after.groups[1] == kept and 1 in after.locked
    assert sorted(p for g in after.groups for p in g) == sorted(p for g in before.groups for p in g)

    # Undo puts the groups back as they were before the reshuffle.
    assert view.undo_button.isEnabled()
    qtbot.mouseClick(view.undo_button, Qt.MouseButton.LeftButton)
    assert live.round().groups == before.groups
    qtbot.waitUntil(
        lambda: [c.member_ids() for c in view.cards] == [list(g) for g in before.groups]
    )

    # A meeting link for a group (for remote groups; any group may have one).
    card = view.cards[0]
    card.link_edit.setText("https://meet.example/grupp-1")
    card.link_edit.editingFinished.emit()
    assert live.round().link(0) == "https://meet.example/grupp-1"


def test_a_hybrid_municipality_group_shows_its_meeting_link_field(
    qtbot, window: MainWindow, room: Room
) -> None:
    from app.model import Attendance

    # Tanum: two at the table, one at home; Lysekil: both in the room.
    tanum = [join(room, f"Tanum {i}", 7) for i in range(2)]
    home = join(room, "Tanum hemma", 7, attendance=Attendance.REMOTE)
    lysekil = [join(room, f"Lysekil {i}", 2) for i in range(2)]
    live = room.live
    live.start(2)  # municipality reflection
    rnd = live.make_groups()
    view = window.groups_view
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: len(view.cards) == 2)
    number = rnd.group_of(home)
    assert number is not None and set(rnd.groups[number]) == {*tanum, home}
    hybrid, in_room = view.cards[number], view.cards[1 - number]
    assert set(in_room.member_ids()) == set(lysekil)
    qtbot.waitUntil(lambda: hybrid.link_edit.isVisible())
    assert not in_room.link_edit.isVisible()
    hybrid.link_edit.setText("https://meet.example/tanum")
    hybrid.link_edit.editingFinished.emit()
    assert live.round().link(number) == "https://meet.example/tanum"


def test_a_late_joiner_is_placed_and_highlighted(qtbot, window: MainWindow, room: Room) -> None:
    live = room.live
    crowd(room, 8)
    live.start(MIXED)
    live.make_groups(size=4)
    view = window.groups_view
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: len(view.cards) == 2)
    assert not any(chip.is_late() for card in view.cards for chip in card.chips)

    late = join(room, "Sen Ankomst", 4)  # joins and connects while the groups exist
    assert late in live.round().late
    qtbot.waitUntil(lambda: view.chip_of(late) is not None)
    chip = view.chip_of(late)
    assert chip.is_late() and chip.late_badge.isVisibleTo(chip)
    assert chip.late_badge.text() == SV["groups_late_badge"]
    assert chip.name_label.text() == "Sen Ankomst"


def test_a_member_can_be_moved_without_dragging(qtbot, window: MainWindow, room: Room) -> None:
    live = room.live
    crowd(room, 6)
    live.start(MIXED)
    live.make_groups(size=3)
    view = window.groups_view
    window.tabs.setCurrentWidget(view)
    # The groups made as the phase started finish in the executor and give way to these.
    qtbot.waitUntil(lambda: len(view.cards) == 2 and not view.is_busy())
    assert [len(g) for g in live.round().groups] == [3, 3]
    chip = view.cards[0].chips[0]
    assert chip.focusPolicy() == Qt.FocusPolicy.StrongFocus  # reachable with the keyboard
    assert chip.contextMenuPolicy() == Qt.ContextMenuPolicy.CustomContextMenu
    menu = view.member_menu(chip.participant_id)  # what a right click or the menu key opens
    assert [action.text() for action in menu.actions()] == ["Flytta till grupp 2"]
    menu.actions()[0].trigger()
    assert live.round().group_of(chip.participant_id) == 1


def test_grouping_nobody_says_so(qtbot, window: MainWindow, room: Room) -> None:
    room.live.start(MIXED)
    view = window.groups_view
    view.make_groups()
    assert room.live.round() is None
    assert window.statusBar().currentMessage() == SV["groups_nobody_present"]
    assert view.empty_label.text() == SV["groups_none_yet"]


# -- the wall ---------------------------------------------------------------------------------


def card_id(n: int) -> str:
    return f"card-{n:04d}-abcdef"


def test_the_wall_shows_cards_live_and_moderates_them(
    qtbot, window: MainWindow, room: Room, clock: FakeClock
) -> None:
    live = room.live
    anna = join(room, "Anna Karlsson", 7)
    bo = join(room, "Bo Ek", 3)
    crowd(room, 2)
    live.start(MIXED)
    live.make_groups(size=2)
    anna_group = live.round().group_of(anna)
    if live.round().group_of(bo) == anna_group:
        live.move(bo, 1 - anna_group)  # two groups: Anna's and Bo's
    wall = window.wall
    window.tabs.setCurrentWidget(wall)
    assert wall.shown_ids() == []
    assert wall.empty_label.isVisible()

    anna_p, bo_p = room.participant(anna), room.participant(bo)
    live.reflect(anna_p, Reflect(card_id(1), MIXED, "Samverkan kring e-tjänster", 1), now=T0)
    qtbot.waitUntil(lambda: wall.shown_ids() == [card_id(1)], timeout=1000)
    live.reflect(bo_p, Reflect(card_id(2), MIXED, "Gemensam IT-drift", 1), now=T0 + 5)
    # Newest first, no polling; a second card within the throttle's interval waits for it.
    qtbot.waitUntil(lambda: wall.shown_ids() == [card_id(2), card_id(1)], timeout=2000)
    assert wall.count_label.text() == "2 kort"
    first = wall.card_widgets[card_id(1)]
    assert first.text_label.text() == "Samverkan kring e-tjänster"
    assert "Anna Karlsson" in first.meta_label.text() and "Uddevalla" in first.meta_label.text()

    # An edit updates the card in place.
    live.reflect(anna_p, Reflect(card_id(1), MIXED, "Samverkan kring e-tjänster!", 2))
    assert wall.card_widgets[card_id(1)] is first
    assert first.text_label.text() == "Samverkan kring e-tjänster!"

    # Highlight marks the card.
    qtbot.mouseClick(first.highlight_button, Qt.MouseButton.LeftButton)
    assert live.card(card_id(1)).highlighted
    assert first.is_highlighted() and first.property("highlighted") is True
    assert first.star_label.isVisibleTo(first)

    # Hide takes it off the wall; "show hidden" brings it back to be shown again.
    qtbot.mouseClick(first.hide_button, Qt.MouseButton.LeftButton)
    assert live.card(card_id(1)).hidden
    assert wall.shown_ids() == [card_id(2)]
    wall.show_hidden_check.setChecked(True)
    assert card_id(1) in wall.shown_ids()
    hidden = wall.card_widgets[card_id(1)]
    assert hidden.hide_button.text() == SV["wall_unhide"]
    qtbot.mouseClick(hidden.hide_button, Qt.MouseButton.LeftButton)
    assert not live.card(card_id(1)).hidden
    wall.show_hidden_check.setChecked(False)
    assert wall.shown_ids() == [card_id(2), card_id(1)]

    # Anonymous: no author names anywhere on the wall; the organisation stays.
    wall.anonymous_check.setChecked(True)
    texts = " ".join(labels_text(wall))
    assert "Anna Karlsson" not in texts and "Bo Ek" not in texts
    assert "Uddevalla" in texts
    wall.anonymous_check.setChecked(False)
    assert "Anna Karlsson" in " ".join(labels_text(wall))

    # Filter by group.
    wall.set_filters(phase=MIXED, group=live.round().group_of(bo))
    assert wall.shown_ids() == [card_id(2)]
    wall.set_filters(phase=MIXED, group=anna_group)
    assert wall.shown_ids() == [card_id(1)]
    wall.set_filters()
    assert wall.shown_ids() == [card_id(2), card_id(1)]

    # A withdrawn card disappears, and its widget keeps none of its words.
    live.withdraw(bo_p, Withdraw(card_id(2), 2))
    assert wall.shown_ids() == [card_id(1)]  # at once, even while arrivals are throttled
    assert card_id(2) not in wall.card_widgets
    assert "Gemensam IT-drift" not in " ".join(labels_text(wall))


def test_a_burst_of_cards_costs_a_few_wall_rebuilds_and_reuses_widgets(
    qtbot, window: MainWindow, room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = room.live
    people = [room.participant(join(room, f"Person {n}", n)) for n in range(60)]
    live.start(MIXED)
    live.make_groups(size=6)
    wall = window.wall
    window.tabs.setCurrentWidget(wall)
    rebuilds: list[int] = []
    set_shown = wall._set_shown
    monkeypatch.setattr(wall, "_set_shown", lambda ids: rebuilds.append(len(ids)) or set_shown(ids))
    made: list[object] = []
    original_init = wall_view.ReflectionCard.__init__

    def counting_init(self: object, *args: object, **kwargs: object) -> None:
        made.append(self)
        original_init(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(wall_view.ReflectionCard, "__init__", counting_init)
    total = wall_view.MAX_SHOWN + 80
    for n in range(total):  # as after one group commit: all in the same moment
        who = people[n % len(people)]
        live.reflect(who, Reflect(f"burst-{n:06d}", MIXED, f"Tanke #{n}#", 0), now=T0 + n)
    assert len(rebuilds) == 1  # the first card at once; the rest wait for the interval
    qtbot.waitUntil(lambda: len(wall.shown_ids()) == wall_view.MAX_SHOWN, timeout=2000)
    assert len(rebuilds) == 2
    assert wall.shown_ids()[0] == f"burst-{total - 1:06d}"  # newest first
    assert wall.count_label.text() == f"{total} kort"
    assert len(made) <= wall_view.MAX_SHOWN  # never more widgets than the wall shows
    newest = wall.card_widgets[f"burst-{total - 1:06d}"]
    assert newest.text_label.text() == f"Tanke #{total - 1}#"
    # A filter to one group shows fewer: the others are emptied and kept for later.
    wall.set_filters(phase=MIXED, group=0)
    shown = set(wall.shown_ids())
    assert shown and all(live.card(cid).group_no == 0 for cid in shown)
    texts = " ".join(labels_text(wall))
    # Widgets set aside for reuse keep nobody's words, not even in memory.
    assert wall._spare and all(w.card.text == "" and not w.reflection_id for w in wall._spare)
    hidden_out = [cid for cid in (f"burst-{n:06d}" for n in range(total)) if cid not in shown]
    assert all(live.card(cid).text not in texts for cid in hidden_out[-20:])
    wall.set_filters()
    assert len(wall.shown_ids()) == wall_view.MAX_SHOWN
    assert len(made) <= wall_view.MAX_SHOWN


# -- survey -----------------------------------------------------------------------------------


def test_survey_results_count_live_overall_and_per_organisation(
    qtbot, window: MainWindow, room: Room
) -> None:
    live = room.live
    people = [join(room, f"P{i}", i % 2) for i in range(3)]  # Bengtsfors, Dals-Ed, Bengtsfors
    live.start(SURVEY)  # answers are taken once the survey phase has started
    view = window.survey_view
    window.tabs.setCurrentWidget(view)
    assert view.respondents_label.text() == "0 har svarat"
    for n, (pid, value) in enumerate(zip(people, (5, 4, 5), strict=True)):
        answers: dict[str, int | str] = {"perspective": value}
        if n == 1:
            answers["takeaway"] = "Mer samverkan"
        live.answer_survey(room.participant(pid), SurveyAnswers(f"survey-{n:04d}", answers))
    qtbot.waitUntil(lambda: view.respondents_label.text() == "3 har svarat", timeout=2000)
    block = view.likert_blocks["perspective"]
    assert block.bars.counts() == (0, 0, 0, 1, 2)
    assert block.mean_label.text() == "Medel 4.7 · 3 svar"
    takeaway = view.open_lists["takeaway"]
    assert takeaway.item(0).text() == "Mer samverkan — Dals-Ed"

    view.set_organisation(room.series.organisations[0].id)  # Bengtsfors
    assert block.bars.counts() == (0, 0, 0, 0, 2)
    assert takeaway.item(0).text() == SV["survey_no_open_answers"]


# -- plain text, languages, rehearsal ---------------------------------------------------------


def test_participant_text_is_plain_everywhere(qtbot, window: MainWindow, room: Room) -> None:
    live = room.live
    crowd(room, 3)
    pid = join(room, HOSTILE, 2)
    live.start(MIXED)
    live.make_groups(size=2)
    view = window.groups_view
    qtbot.waitUntil(lambda: view.chip_of(pid) is not None)
    chip = view.chip_of(pid)
    assert chip.name_label.text() == HOSTILE
    assert chip.name_label.textFormat() == Qt.TextFormat.PlainText

    live.reflect(room.participant(pid), Reflect(card_id(9), MIXED, HOSTILE, 1))
    card = window.wall.card_widgets[card_id(9)]
    assert card.text_label.text() == HOSTILE
    assert card.text_label.textFormat() == Qt.TextFormat.PlainText
    assert HOSTILE in card.meta_label.text()

    labels = window.findChildren(QLabel)
    assert labels and all(label.textFormat() == Qt.TextFormat.PlainText for label in labels)
    assert not [w for w in window.findChildren(QWidget) if "<img" in w.toolTip()]


def test_the_new_views_switch_language_live(qtbot, window: MainWindow) -> None:
    window.language_action("en").trigger()
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == [
        EN["tab_participants"],
        EN["tab_program"],
        EN["tab_groups"],
        EN["tab_wall"],
        EN["tab_survey"],
        EN["tab_priorities"],
    ]
    assert window.phase_bar.start_button.text() == EN["phase_start"]
    assert window.groups_view.make_button.text() == EN["groups_make"]
    assert window.wall.anonymous_check.text() == EN["wall_anonymous"]
    assert window.survey_view.respondents_label.text() == "0 have answered"
    assert window.rehearse_action.text() == EN["rehearse_action"]
    window.language_action("sv").trigger()
    assert window.groups_view.make_button.text() == "Skapa grupper"
    assert window.tabs.tabText(0) == "Deltagare"


def test_rehearsal_asks_how_many_and_shows_it_runs(
    qtbot, qloop, room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    release = asyncio.Event()

    async def rehearse(count: int) -> None:
        calls.append(count)
        await release.wait()

    window = MainWindow(room, join_info(room), rehearse=rehearse)
    qtbot.addWidget(window)
    window.show()
    monkeypatch.setattr(QInputDialog, "getInt", lambda *args, **kwargs: (12, True))
    assert window.rehearse_action.isEnabled()
    window.rehearse_action.trigger()
    qtbot.waitUntil(lambda: calls == [12])
    assert window.is_rehearsing() and not window.rehearse_action.isEnabled()
    indicator = window.findChild(QLabel, "rehearsalIndicator")
    assert indicator.isVisible() and "12" in indicator.text()
    release.set()
    qtbot.waitUntil(lambda: not window.is_rehearsing())
    assert window.rehearse_action.isEnabled() and not indicator.isVisible()
    assert window.statusBar().currentMessage() == i18n.tr("rehearse_done", count=12)

    without = MainWindow(room, join_info(room))
    qtbot.addWidget(without)
    assert not without.rehearse_action.isEnabled()


def test_a_large_room_is_drawn_over_several_turns_of_the_loop(
    qtbot, window: MainWindow, room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    from facilitator_ui import groups_view

    for n in range(120):
        join(room, f"Person {n}", n)
    live = room.live
    live.start(MIXED)
    view = window.groups_view
    window.tabs.setCurrentWidget(view)
    monkeypatch.setattr(groups_view, "REFRESH_BUDGET_S", 0.0)  # one group per turn
    turns: list[int] = []
    refresh = view.refresh
    monkeypatch.setattr(view, "refresh", lambda: turns.append(1) or refresh())
    live.make_groups(size=6)
    rnd = live.round()
    assert rnd is not None and len(rnd.groups) == 20
    view.refresh()  # one turn: one group drawn, the others hidden until theirs
    drawn = [n for n, c in enumerate(view.cards) if c.member_ids() == list(rnd.groups[n])]
    assert drawn == [0] and view.cards[0].isVisibleTo(view)
    assert all(not c.isVisibleTo(view) for c in view.cards[1:])
    qtbot.waitUntil(
        lambda: [c.member_ids() for c in view.cards] == [list(g) for g in rnd.groups],
        timeout=5000,
    )
    assert all(c.isVisibleTo(view) for c in view.cards)
    assert len(turns) >= 20  # one group per turn of the loop, the server's work in between

    # The Wi-Fi drops for everyone: the chips show it in place, nothing is rebuilt.
    chips = [chip for card in view.cards for chip in card.chips]
    for card in view.cards:
        for pid in card.member_ids():
            room.detach(pid)
    qtbot.waitUntil(
        lambda: all(c.name_label.property("away") for card in view.cards for c in card.chips),
        timeout=5000,
    )
    assert [chip for card in view.cards for chip in card.chips] == chips
    assert view.summary_label.text() == "20 grupper · 120 personer"
    # refresh_now draws everything before it returns (e.g. for a screenshot).
    live.make_groups(size=5)
    view.refresh_now()
    again = live.round()
    assert [c.member_ids() for c in view.cards] == [list(g) for g in again.groups]


def test_a_long_organisation_never_cuts_a_members_name(qtbot, room: Room) -> None:
    """A narrow group card: the organisation's pill gives way (with "…"), the name stays whole.

    Seen in a walk through the day: "Annika Eklund" from Fyrbodals kommunalförbund showed as
    "Annika Eklu" in a three-column Grupper tab, the long pill taking the name's room.
    """
    from PySide6.QtGui import QColor

    from facilitator_ui.groups_view import MemberChip

    pid = join(room, "Annika Eklund", 0)
    person = room.participant(pid)
    chip = MemberChip(
        person, "Fyrbodals kommunalförbund", QColor("#444"), late=False, connected=True
    )
    qtbot.addWidget(chip)
    chip.resize(400, 40)  # a group card in three columns on a 1600-pixel console
    chip.show()
    qtbot.waitExposed(chip)
    name = chip.name_label
    needed = name.fontMetrics().horizontalAdvance("Annika Eklund")
    assert name.contentsRect().width() >= needed
    assert chip.org_pill.text() == "Fyrbodals kommunalförbund"
    assert chip.org_pill.accessibleName() == "Fyrbodals kommunalförbund"  # read out whole
    assert chip.org_pill.width() < chip.org_pill.sizeHint().width()  # it gave way
    assert chip.org_pill.geometry().right() < chip.role_badge.geometry().left()
