"""The audience window follows the session; keyboard shortcuts and their help overlay."""

from __future__ import annotations

import os

# Before Qt is imported (tests/conftest.py does the same; this keeps the module runnable alone).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from dataclasses import dataclass

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QLineEdit, QPushButton

from app import i18n
from app.live import PhaseStatus
from app.model import Attendance, Role
from app.protocol import Join, Reflect, SurveyAnswers, Withdraw
from app.room import Room
from facilitator_ui.audience_window import (
    AudienceView,
    choose_screen,
    default_view,
    label_texts,
    screen_key,
)
from facilitator_ui.main_window import MainWindow
from facilitator_ui.settings import Settings
from facilitator_ui.shortcuts import SHORTCUTS, Command, key_text, sequences
from tests.ui_helpers import FakeClock, join, join_info

SV = i18n.catalogue("sv")
MIXED, MUNICIPALITY, SURVEY, CLOSING = 1, 2, 3, 4  # the sample program's phases


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings() -> Settings:
    return Settings()  # in memory: nothing reaches the user's settings


@pytest.fixture
def window(qtbot, room: Room, clock: FakeClock, settings: Settings) -> MainWindow:  # noqa: ANN001
    win = MainWindow(room, join_info(room), clock=clock, settings=settings)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture
def audience(window: MainWindow):  # noqa: ANN201
    screen = window.audience
    screen.resize(1600, 900)
    screen.show()
    return screen


def settle(qtbot) -> None:  # noqa: ANN001
    qtbot.wait(5)  # the audience window coalesces a burst of events into one redraw


# -- following the phases ---------------------------------------------------------------------


def test_the_audience_window_follows_the_phases(
    qtbot, window: MainWindow, audience, room: Room, clock: FakeClock
) -> None:
    live = room.live
    # Before the start: the QR code with the short address, the code and a live count.
    assert audience.view() == AudienceView.QR
    assert audience.stack.currentWidget() is audience.join_page
    page = audience.join_page
    assert page.qr_widget.text() == window.join_info.join_url
    assert page.address_label.text() == "http://192.168.1.20:8765"  # no token in words
    assert page.code_label.text() == room.display_code
    assert page.count_label.text() == "0 anmälda · 0 anslutna nu"
    ids = [join(room, f"Person {i}", i, present=i != 0) for i in range(12)]
    settle(qtbot)
    assert page.count_label.text() == "12 anmälda · 11 anslutna nu"
    assert not audience.countdown_label.isVisible()

    live.start(0, now=clock.now)  # the lecture: people still arrive, the QR code stays
    settle(qtbot)
    assert audience.view() == AudienceView.QR
    assert audience.countdown_label.text() == "45:00"

    window.groups_view.auto_check.setChecked(False)  # here the groups wait for the button
    live.start(MIXED, now=clock.now)
    settle(qtbot)
    assert audience.view() == AudienceView.GROUPS
    assert audience.stack.currentWidget() is audience.groups_page
    assert audience.groups_page.groups() == []  # not made yet: a message, no QR code
    assert audience.title_label.text() == "Mixade grupper"
    assert audience.prompt_label.text() == live.phase.prompt
    rnd = live.make_groups(size=4)
    settle(qtbot)
    boxes = audience.groups_page.groups()
    assert [b.title for b in boxes] == [f"Grupp {n + 1}" for n in range(len(rnd.groups))]
    first = [room.participant(pid) for pid in rnd.groups[0]]
    assert [(name, org) for name, org, _colour in boxes[0].members] == [
        (p.name, room.organisation_name(p.organisation_id)) for p in first
    ]
    assert audience.countdown_label.text() == "40:00"
    clock.now += 38 * 60 + 30  # 1:30 left: the header says so in words too
    live.pause(now=clock.now)
    settle(qtbot)
    assert audience.countdown_label.text() == "01:30"
    assert audience.countdown_tag.text() == SV["phase_tag_paused"]
    live.resume(now=clock.now)

    live.start(SURVEY, now=clock.now)
    for n, pid in enumerate(ids[1:6]):
        person = room.participant(pid)
        live.answer_survey(person, SurveyAnswers(f"s-{n}", {"perspective": 4 + n % 2}))
    audience.refresh()  # answers are recounted a few times a second; now, for the test
    assert audience.view() == AudienceView.SURVEY
    items = dict(audience.survey_page.items())
    assert items["Träffen gav mig nya perspektiv på digital transformation."] == (0, 0, 0, 3, 2)
    assert "5 har svarat" in audience.survey_page.caption

    live.start(CLOSING, now=clock.now)
    settle(qtbot)
    assert audience.view() == AudienceView.THANKS
    assert audience.thanks_page.thanks_label.text() == SV["audience_thanks"]
    live.next_phase(now=clock.now)
    settle(qtbot)
    assert live.clock.status == PhaseStatus.ENDED
    assert audience.view() == AudienceView.THANKS and not audience.countdown_label.isVisible()


def test_the_qr_code_is_on_screen_only_in_the_qr_view(window: MainWindow, audience, room: Room):
    room.live.start(MIXED)
    assert audience.stack.currentWidget() is not audience.join_page
    assert not audience.join_page.qr_widget.isVisible()
    audience.set_choice(AudienceView.QR)
    assert audience.join_page.qr_widget.isVisible()


def test_a_remote_group_meets_in_a_digital_group_room(qtbot, audience, room: Room) -> None:
    for i in range(6):
        join(room, f"På plats {i}", i)
    for i in range(4):
        join(room, f"Distans {i}", i, attendance=Attendance.REMOTE)
    room.live.start(MIXED)
    room.live.make_groups(size=4)
    settle(qtbot)
    boxes = audience.groups_page.groups()
    remote = [b for b in boxes if b.remote]
    assert remote and all(b.tag == SV["audience_group_room"] for b in remote)
    assert all(name.startswith("Distans") for b in remote for name, _o, _c in b.members)
    assert all(b.tag == "" for b in boxes if not b.remote)


def test_municipality_groups_name_their_organisation_once(qtbot, audience, room: Room) -> None:
    for i in range(6):
        join(room, f"Person {i}", i % 2)
    room.live.start(MUNICIPALITY)
    room.live.make_groups()
    settle(qtbot)
    boxes = audience.groups_page.groups()
    names = {o.name for o in room.series.organisations[:2]}
    assert {b.subtitle for b in boxes} == names and {b.tag for b in boxes} == {""}
    assert all(org == "" for b in boxes for _n, org, _c in b.members)


# -- the wall ------------------------------------------------------------------------------------


def test_the_wall_shows_no_hidden_or_withdrawn_card_and_no_names_when_anonymous(
    qtbot, window: MainWindow, audience, room: Room
) -> None:
    ids = [join(room, f"Namn{i} Efternamn", i) for i in range(6)]
    live = room.live
    live.start(MIXED)
    live.make_groups(size=3)
    texts = {}
    for n, pid in enumerate(ids):
        card = live.reflect(room.participant(pid), Reflect(f"card-{n}", MIXED, f"Tanke {n}", 1))
        texts[card.id] = card.text
    live.moderate("card-1", hidden=True)
    live.withdraw(room.participant(ids[2]), Withdraw("card-2", 2))
    live.moderate("card-4", highlighted=True)

    # The phase shows groups by default; the facilitator switches the projector to the wall.
    assert audience.view() == AudienceView.GROUPS
    window.audience_combo.setCurrentIndex(window.audience_combo.findData("wall"))
    window.audience_combo.activated.emit(window.audience_combo.currentIndex())
    assert audience.view() == AudienceView.WALL
    shown = audience.wall_page.shown_cards()
    assert [c.id for c in shown] == ["card-4", "card-5", "card-3", "card-0"]  # lifted first
    assert "Tanke 1" not in [c.text for c in shown] and "Tanke 2" not in [c.text for c in shown]
    assert shown[0].highlighted
    assert shown[-1].meta.startswith("Namn0 Efternamn · ")

    # The console's wall toggle is the projector's too.
    window.wall.anonymous_check.setChecked(True)
    settle(qtbot)
    assert audience.anonymous()
    metas = [c.meta for c in audience.wall_page.shown_cards()]
    assert metas and not any("Namn" in meta for meta in metas)
    organisations = {o.name for o in room.series.organisations}
    assert all(meta.split(" · ")[0] in organisations for meta in metas)  # no names

    live.moderate("card-5", hidden=True)  # hidden on the console: gone from the projector
    settle(qtbot)
    assert "card-5" not in [c.id for c in audience.wall_page.shown_cards()]
    live.moderate("card-1", hidden=False)
    settle(qtbot)
    assert "card-1" in [c.id for c in audience.wall_page.shown_cards()]


def test_the_choice_is_per_phase_and_the_console_shows_it(
    qtbot, window: MainWindow, audience, room: Room
) -> None:
    live = room.live
    live.start(MIXED)
    audience.set_choice(AudienceView.WALL)
    assert window.audience_combo.currentData() == "wall"
    live.next_phase()
    assert audience.view() == AudienceView.GROUPS  # a new phase starts on its default
    assert window.audience_combo.currentData() == "auto"
    live.start(MIXED)
    assert audience.view() == AudienceView.WALL  # the choice made for that phase
    audience.set_choice(AudienceView.AUTO)
    assert audience.view() == default_view(live) == AudienceView.GROUPS


# -- the screen ----------------------------------------------------------------------------------


@dataclass
class FakeScreen:
    label: str

    def name(self) -> str:
        return self.label


def test_the_screen_chooser_prefers_the_remembered_then_a_free_screen() -> None:
    laptop, projector, tv = FakeScreen("eDP-1"), FakeScreen("HDMI-1"), FakeScreen("DP-2")
    screens = [laptop, projector, tv]
    assert choose_screen(screens, None, laptop) is projector  # not the console's screen
    assert choose_screen(screens, "DP-2", laptop) is tv  # the one chosen last time
    assert choose_screen(screens, "gone", laptop) is projector
    assert choose_screen([laptop], "HDMI-1", laptop) is laptop  # one screen: share it
    assert choose_screen([], None, None) is None


def test_showing_the_audience_window_covers_its_screen(
    qtbot, window: MainWindow, settings: Settings
) -> None:
    audience = window.audience
    screen = QGuiApplication.screens()[0]
    window.set_audience_visible(True)
    qtbot.waitUntil(audience.isVisible)
    assert audience.isFullScreen()
    assert audience.screen() is screen
    assert audience.geometry() == screen.geometry()
    assert window.audience_button.isChecked()
    assert window.shortcut_actions[Command.AUDIENCE].isChecked()

    window.choose_audience_screen(screen)
    assert settings.audience_screen == screen_key(screen)  # its name, or its place if unnamed
    assert window.audience_screen() is screen

    qtbot.keyClick(audience, Qt.Key.Key_Escape)  # Esc on the projector hides it
    assert not audience.isVisible() and not window.audience_button.isChecked()


# -- shortcuts and their help -------------------------------------------------------------------


@pytest.fixture
def active(qtbot, window: MainWindow) -> MainWindow:  # noqa: ANN001
    window.activateWindow()
    qtbot.waitActive(window)
    window.tabs.setFocus()
    return window


def test_shortcuts_run_the_day(
    qtbot, active: MainWindow, room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    from facilitator_ui import phase_bar

    asked: list[str] = []
    monkeypatch.setattr(phase_bar, "ask", lambda _p, _t, text, _a: asked.append(text) or True)
    window, live = active, room.live
    for i in range(8):
        join(room, f"Person {i}", i)
    qtbot.keyClick(window.tabs, Qt.Key.Key_Space)
    assert live.clock.status == PhaseStatus.RUNNING and live.clock.index == 0
    qtbot.keyClick(window.tabs, Qt.Key.Key_Space)
    assert live.clock.status == PhaseStatus.PAUSED
    qtbot.keyClick(window.tabs, Qt.Key.Key_Space)
    assert live.clock.status == PhaseStatus.RUNNING

    qtbot.keyClick(window.tabs, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert live.clock.index == MIXED and len(asked) == 1  # time was left: asked first
    qtbot.keyClick(window.tabs, Qt.Key.Key_S, QKeySequence("Ctrl+Shift+S")[0].keyboardModifiers())
    rnd = live.round()
    assert rnd is not None and sum(len(g) for g in rnd.groups) == 8  # made
    assert window.tabs.currentWidget() is window.groups_view
    live.set_locked(0, True)
    locked = rnd.groups[0]
    qtbot.keyClick(window.tabs, Qt.Key.Key_S, QKeySequence("Ctrl+Shift+S")[0].keyboardModifiers())
    assert live.round() is not rnd and live.round().groups[0] == locked  # reshuffled

    qtbot.keyClick(window.tabs, Qt.Key.Key_N)
    assert live.clock.index == MUNICIPALITY

    qtbot.keyClick(window.tabs, Qt.Key.Key_F5)
    assert window.audience.isVisible()
    qtbot.keyClick(window.tabs, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert not window.audience.isVisible()


def test_single_key_shortcuts_leave_text_fields_alone(qtbot, active: MainWindow, room: Room):
    field = QLineEdit(active)
    field.show()
    field.setFocus()
    qtbot.keyClicks(field, "N ?")
    assert field.text() == "N ?"
    assert room.live.clock.status == PhaseStatus.WAITING
    assert not active.help_overlay.isVisible()


def test_the_help_overlay_lists_every_registered_shortcut(qtbot, active: MainWindow) -> None:
    window = active
    overlay = window.help_overlay
    qtbot.keyClick(window.tabs, Qt.Key.Key_F1)
    assert overlay.isVisible() and overlay.geometry() == window.rect()
    assert [command for command, _keys, _text in overlay.rows] == [r.command for r in SHORTCUTS]
    for (command, keys, text), row in zip(overlay.rows, SHORTCUTS, strict=True):
        assert keys == [key_text(k) for k in row.keys] and text == SV[row.text_key]
        # The keys listed are exactly the keys the action answers to.
        assert window.shortcut_actions[command].shortcuts() == sequences(command)
    assert overlay.rows[0][1] == ["Mellanslag"] and overlay.rows[1][1][0] == "Ctrl+→"
    # Every shortcut anywhere in the window comes from the table, so the help cannot drift.
    registered = {
        seq.toString()
        for action in window.findChildren(QAction)
        for seq in action.shortcuts()
        if not seq.isEmpty()
    }
    listed = {seq.toString() for row in SHORTCUTS for seq in sequences(row.command)}
    assert registered == listed

    qtbot.keyClick(overlay, Qt.Key.Key_Question)
    assert not overlay.isVisible()
    qtbot.keyClick(window.tabs, Qt.Key.Key_Question)
    assert overlay.isVisible()
    qtbot.keyClick(overlay, Qt.Key.Key_Escape)
    assert not overlay.isVisible()


def test_the_keys_work_with_the_projector_focused(qtbot, window: MainWindow, room: Room):
    audience = window.audience
    audience.show()
    audience.activateWindow()
    qtbot.waitActive(audience)
    qtbot.keyClick(audience, Qt.Key.Key_Space)
    assert room.live.clock.status == PhaseStatus.RUNNING
    qtbot.keyClick(audience, Qt.Key.Key_F5)
    assert not audience.isVisible()


def test_nothing_private_is_on_the_projector(qtbot, audience, room: Room) -> None:
    org = room.series.organisations[0]
    result = room.join(Join("Anna", org.id, Role.ELECTED, Attendance.IN_ROOM, ""))
    room.attach(result.participant.id)
    settle(qtbot)
    texts = " ".join(label_texts(audience))
    assert "1 anmäld" in texts
    assert room.room_token not in texts  # only the QR code carries the token
    assert result.resume_token not in texts
    assert not audience.findChildren(QLineEdit) and not audience.findChildren(QPushButton)


def test_space_presses_a_control_reached_with_tab_but_not_one_clicked(
    qtbot, active: MainWindow, room: Room
) -> None:
    window = active
    window.tabs.setCurrentWidget(window.wall)
    check = window.wall.anonymous_check
    window.wall.group_combo.setFocus(Qt.FocusReason.MouseFocusReason)
    qtbot.keyClick(window.wall.group_combo, Qt.Key.Key_Tab)
    assert check.hasFocus()
    qtbot.keyClick(check, Qt.Key.Key_Space)  # a keyboard user ticks the box
    assert check.isChecked() and room.live.clock.status == PhaseStatus.WAITING

    window.tabs.setFocus()
    check.setFocus(Qt.FocusReason.MouseFocusReason)  # focused by a click: Space is the timer
    qtbot.keyClick(check, Qt.Key.Key_Space)
    assert check.isChecked() and room.live.clock.status == PhaseStatus.RUNNING
