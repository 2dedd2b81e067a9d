"""The ranking and the word cloud on the console and the projector (Qt offscreen)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from dataclasses import replace
from typing import Any

import pytest

from app import i18n
from app.model import Participant, PhaseKind
from app.room import Room
from facilitator_ui.audience_window import AudienceView
from facilitator_ui.main_window import MainWindow
from facilitator_ui.ranking_view import RankedBlock, RankedLine
from facilitator_ui.settings import Settings
from tests.ui_helpers import FakeClock, join_info

from .test_live import reflect
from .test_votes import MUNI, PRIO, people, vote, with_vote

SV = i18n.catalogue("sv")


@pytest.fixture
def scene(room: Room) -> tuple[Room, dict[int, list[Participant]]]:
    with_vote(room)
    group = people(room, [7, 5], 3)
    room.live.start(MUNI)
    room.live.make_groups(MUNI)
    texts = {
        7: ["Gemensam e-tjänsteplattform", "Samverkan om e-tjänster", "Utbilda chefer"],
        5: ["Bredband på landsbygden", "Bredband i skärgården", "Digital turism"],
    }
    for o, members in group.items():
        for i, p in enumerate(members):
            reflect(room, p, f"card-{o}-{i}", texts[o][i], phase=MUNI)
    room.live.start(PRIO)
    return room, group


@pytest.fixture
def window(qtbot: Any, scene: tuple[Room, Any]) -> MainWindow:
    room, _ = scene
    win = MainWindow(room, join_info(room), clock=FakeClock(), settings=Settings())
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    return win


def test_console_ranking_live_and_close_button(
    qtbot: Any, window: MainWindow, scene: tuple[Room, dict[int, list[Participant]]]
) -> None:
    room, group = scene
    view = window.priorities_view
    window.tabs.setCurrentWidget(view)
    a, b, c = group[7]
    vote(room, a, "vote-0001", "card-7-1", 2)
    vote(room, b, "vote-0002", "card-7-1", 1)
    vote(room, c, "vote-0003", "card-7-0", 1)
    qtbot.waitUntil(lambda: any(b.lines[0].dots == 3 for b in view.chart.blocks()))
    blocks = {b.title: b for b in view.chart.blocks()}
    assert blocks["Uddevalla"].lines == (
        RankedLine("Samverkan om e-tjänster", 3, 2),
        RankedLine("Gemensam e-tjänsteplattform", 1, 1),
        RankedLine("Utbilda chefer", 0, 0),
    )
    assert [line.dots for line in blocks["Tanum"].lines] == [0, 0, 0]
    assert "3 har röstat" in view.status_label.text()
    assert view.close_button.text() == SV["ranking_close"]
    view.close_button.click()
    assert not room.live.votes.is_open(PRIO)
    assert view.close_button.text() == SV["ranking_reopen"]
    # Themes of the session, names of the municipalities left out.
    assert "bredband (2)" in view.themes_label.text()
    assert "tanum" not in view.themes_label.text().lower()


def test_projector_keeps_counts_secret_until_closed_then_shows_top_three(
    qtbot: Any, window: MainWindow, scene: tuple[Room, dict[int, list[Participant]]]
) -> None:
    room, group = scene
    audience = window.audience
    audience.resize(1920, 1080)
    audience.show()
    qtbot.waitExposed(audience)
    assert audience.view() == AudienceView.RANKING
    vote(room, group[7][0], "vote-0001", "card-7-2", 2)
    qtbot.waitUntil(lambda: "1 har röstat" in audience.ranking_page.empty_text)
    assert audience.ranking_page.blocks() == []  # secret while voting
    room.live.votes.close(PRIO)
    qtbot.waitUntil(lambda: bool(audience.ranking_page.blocks()))
    blocks = audience.ranking_page.blocks()
    assert len(blocks) == 2
    assert next(b for b in blocks if b.title == "Uddevalla") == RankedBlock(
        "Uddevalla",
        (
            RankedLine("Utbilda chefer", 2, 1),
            RankedLine("Gemensam e-tjänsteplattform", 0, 0),
            RankedLine("Samverkan om e-tjänster", 0, 0),
        ),
    )
    image = audience.grab()
    assert image.width() >= 1900
    # Open voting: the projector shows the counts while voting.
    program = list(room.live.program)
    program[PRIO] = replace(program[PRIO], open_votes=True)
    room.live.set_program(program)
    room.live.votes.close(PRIO, False)
    qtbot.waitUntil(lambda: bool(audience.ranking_page.blocks()))
    # The word cloud, when the facilitator picks it.
    audience.set_choice(AudienceView.THEMES)
    qtbot.waitUntil(lambda: bool(audience.themes_page.themes()))
    labels = [t.label for t in audience.themes_page.themes()]
    assert labels[0] == "bredband"
    audience.themes_page.grab()
    assert {label for label, _rect in audience.themes_page.placed} == set(labels)
    rects = [rect for _label, rect in audience.themes_page.placed]
    assert all(audience.themes_page.rect().toRectF().contains(r) for r in rects)
    # One municipality's cloud, picked on the console.
    view = window.priorities_view
    view.org_combo.setCurrentIndex(view.org_combo.findData(room.series.organisations[7].id))
    view.org_combo.activated.emit(view.org_combo.currentIndex())
    qtbot.waitUntil(lambda: audience.title_label.text() == "Det Uddevalla talade om")
    labels = [t.label for t in audience.themes_page.themes()]
    assert "bredband" not in labels


def test_program_editor_sets_a_prioritise_phase(qtbot: Any, window: MainWindow) -> None:
    panel = window.program_panel
    window.tabs.setCurrentWidget(panel)
    panel.select_phase(PRIO)
    assert panel.vote_box.isVisible()
    panel.dots_spin.setValue(5)
    panel.per_card_spin.setValue(3)
    panel.open_votes_check.setChecked(True)
    assert panel.save()
    phase = window._room.live.program[PRIO]  # noqa: SLF001
    assert (phase.kind, phase.dots, phase.per_card, phase.open_votes) == (
        PhaseKind.PRIORITISE,
        5,
        3,
        True,
    )
    panel.select_phase(0)
    assert not panel.vote_box.isVisible()


def test_room_wide_vote_on_highlighted_cards_from_the_console(
    qtbot: Any, window: MainWindow, scene: tuple[Room, dict[int, list[Participant]]]
) -> None:
    room, group = scene
    view = window.priorities_view
    window.tabs.setCurrentWidget(view)
    view.room_vote_button.click()  # nothing highlighted yet: says so, changes nothing
    assert view.status_label.text() == SV["room_vote_none"]
    count = len(room.live.program)
    room.live.moderate("card-7-0", highlighted=True)
    room.live.moderate("card-5-1", highlighted=True)
    view.room_vote_button.click()
    live = room.live
    assert len(live.program) == count + 1
    index = live.clock.index
    assert index == PRIO + 1 and live.program[index].scope.value == "highlighted"
    assert live.program[index].title == SV["room_vote_title"]
    tanum = group[5][0]
    assert {c.id for c in live.votes.ballot(index, tanum)} == {"card-7-0", "card-5-1"}
    vote(room, tanum, "vote-0001", "card-7-0", 2, phase=index)
    qtbot.waitUntil(lambda: any(b.lines[0].dots == 2 for b in view.chart.blocks()))
    [block] = view.chart.blocks()
    assert block.title == SV["ranking_room"]
