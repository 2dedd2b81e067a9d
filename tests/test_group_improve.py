"""Groups made at once, then improved in the background without moving anyone seated.

The core part (:func:`app.grouping.improve_round`) is checked on real rounds: every person
once, repeated pairs counted from the groups. The console part runs the real core in the
executor of a real qasync loop with pytest-qt (offscreen); a gate (a threading event) holds
the search where a test needs the phase to start first, so nothing depends on timing.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading
from collections.abc import Sequence
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app import grouping, i18n
from app.grouping import Member, improve_round, metrics
from app.model import Attendance, Phase, PhaseKind, Role
from app.room import Room
from facilitator_ui import groups_view
from facilitator_ui.main_window import MainWindow
from tests.ui_helpers import FakeClock, join, join_info

SV = i18n.catalogue("sv")
EN = i18n.catalogue("en")


def people(count: int) -> list[Member]:
    return [
        Member(
            f"p{i}", f"org {i}", Role.ELECTED if i % 4 == 0 else Role.OFFICIAL, Attendance.IN_ROOM
        )
        for i in range(count)
    ]


def triples(ids: Sequence[str]) -> list[list[str]]:
    return [list(ids[g : g + 3]) for g in range(0, len(ids), 3)]


def check_round(groups: Sequence[Sequence[str]], members: Sequence[Member]) -> None:
    placed = [pid for group in groups for pid in group]
    assert sorted(placed) == sorted(m.id for m in members)  # everyone exactly once


# -- the core -------------------------------------------------------------------------------


def test_a_round_that_repeats_every_pair_is_improved_to_none() -> None:
    members = people(12)
    first = triples([m.id for m in members])
    report = improve_round(members, first, size=3, history=[first], time_limit=60)
    assert report is not None
    check_round(report.rounds[0], members)
    assert metrics(first, members, [first]).repeated_pairs == 12
    assert metrics(report.rounds[0], members, [first]).repeated_pairs == 0
    assert report.repeated_pairs == 0 and report.minimal and report.complete


def test_seated_people_keep_their_group_and_the_bound_counts_them() -> None:
    members = people(12)
    first = triples([m.id for m in members])
    # p0 and p1 have been shown group 1 again (they met in the first round): they stay.
    report = improve_round(
        members, first, size=3, history=[first], seated={"p0", "p1", "p4"}, time_limit=60
    )
    assert report is not None
    rnd = report.rounds[0]
    check_round(rnd, members)
    assert {"p0", "p1"} <= set(rnd[0]) and "p4" in rnd[1]
    assert metrics(rnd, members, [first]).repeated_pairs == report.repeated_pairs == 1
    assert report.repeat_bound == 1 and report.minimal


def test_a_round_at_its_bound_comes_back_unchanged() -> None:
    members = people(12)
    first = triples([m.id for m in members])
    best = improve_round(members, first, size=3, history=[first], time_limit=60)
    assert best is not None
    again = improve_round(members, best.rounds[0], size=3, history=[first], time_limit=60)
    assert again is not None
    assert again.rounds == best.rounds and again.repeated_pairs == 0


def test_everyone_seated_moves_nobody() -> None:
    members = people(12)
    first = triples([m.id for m in members])
    seated = {m.id for m in members}
    report = improve_round(members, first, size=3, history=[first], seated=seated, time_limit=5)
    assert report is not None
    assert report.rounds == [first] and report.repeated_pairs == 12


def test_a_stopped_search_gives_nothing() -> None:
    members = people(12)
    first = triples([m.id for m in members])
    asked: list[bool] = []

    def stop() -> bool:
        asked.append(True)
        return True

    assert improve_round(members, first, size=3, history=[first], time_limit=5, stop=stop) is None
    assert asked


# -- the console ----------------------------------------------------------------------------

ROUND_1, ROUND_2 = 0, 1


@pytest.fixture
def window(qtbot, qloop, room: Room) -> MainWindow:  # noqa: ANN001
    win = MainWindow(room, join_info(room), clock=FakeClock())
    qtbot.addWidget(win)
    win.resize(1500, 960)
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture
def two_rounds(room: Room, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Twelve people, two mixed-group phases; the first one's groups are made.

    Groups made "at once" for the second phase are the first round again (every pair meets
    again, and the report says so): a start the background search must improve on.
    """
    room.live.set_program(
        [
            Phase(PhaseKind.MIXED_GROUPS, "Runda 1", 20),
            Phase(PhaseKind.MIXED_GROUPS, "Runda 2", 20),
        ]
    )
    for i in range(12):
        join(room, f"Person {i}", i, role=Role.ELECTED if i % 4 == 0 else Role.OFFICIAL)
    first = [list(g) for g in room.live.make_groups(ROUND_1, 3).groups]

    def same_again(job: Any) -> tuple[list[list[str]], grouping.PlanReport]:
        assert job.phase_index == ROUND_2 and job.history == (tuple(map(tuple, first)),)
        rnd = [list(g) for g in first]
        return rnd, grouping.PlanReport([rnd], 12, 0, known_zero=False, complete=False)

    monkeypatch.setattr(groups_view, "first_groups", same_again)
    return first


def second_round_view(window: MainWindow) -> groups_view.GroupsView:
    view = window.groups_view
    view.auto_check.setChecked(False)
    window.tabs.setCurrentWidget(view)
    view.set_phase(ROUND_2)
    view.size_spin.setValue(3)
    return view


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Hold the background search until the test opens the gate (real core behind it)."""
    real = grouping.improve_round
    state: dict[str, Any] = {
        "started": threading.Event(),
        "open": threading.Event(),
        "results": [],
    }

    def held(*args: Any, **kwargs: Any) -> grouping.PlanReport | None:
        state["started"].set()
        state["open"].wait(60)
        result = real(*args, **kwargs)
        state["results"].append(result)
        return result

    monkeypatch.setattr(grouping, "improve_round", held)
    return state


def test_groups_made_before_the_phase_are_improved_in_the_background(
    qtbot, window: MainWindow, room: Room, two_rounds: list[list[str]]
) -> None:
    view = second_round_view(window)
    seen: list[tuple[bool, bool, bool, str]] = []
    view.improvingChanged.connect(
        lambda on: seen.append(
            (
                on,
                view.improve_label.isVisible(),
                view.improve_stop_button.isVisible(),
                view.repeats_label.text(),
            )
        )
    )
    qtbot.mouseClick(view.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=60_000)
    # At once: the first groups and the search's state; then the better groups.
    assert seen[0] == (
        True,
        True,
        True,
        "12 par möts igen än så länge; letar efter färre …",
    )
    assert seen[1][:3] == (False, False, False)
    assert view.improve_label.text() == SV["groups_improving"] == "Förbättrar grupperna …"
    rnd = room.live.round(ROUND_2)
    assert rnd is not None
    members = [room.live._member(p) for p in room.live.present()]
    check_round(rnd.groups, members)
    assert metrics(rnd.groups, members, [two_rounds]).repeated_pairs == 0
    assert view.repeats_label.text() == SV["groups_repeats_none"]
    assert window.statusBar().currentMessage() == SV["groups_improved"]
    qtbot.waitUntil(lambda: [c.member_ids() for c in view.cards] == [list(g) for g in rnd.groups])
    # Undo goes back to the groups made at once.
    qtbot.mouseClick(view.undo_button, Qt.MouseButton.LeftButton)
    assert [list(g) for g in room.live.round(ROUND_2).groups] == two_rounds


def test_once_the_phase_starts_nobody_seated_is_moved(
    qtbot, window: MainWindow, room: Room, two_rounds: list[list[str]], gate: dict[str, Any]
) -> None:
    view = second_round_view(window)
    qtbot.mouseClick(view.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(view.is_improving, timeout=10_000)
    assert view.improve_label.isVisible() and view.improve_stop_button.isVisible()
    room.live.start(ROUND_2)  # everyone placed is shown their group now
    assert not view.is_improving() and not view.improve_label.isVisible()
    assert window.statusBar().currentMessage() == SV["groups_improve_started"]
    gate["open"].set()
    qtbot.waitUntil(lambda: bool(gate["results"]), timeout=60_000)
    assert gate["results"] == [None]  # the search was told to stop
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=10_000)
    assert [list(g) for g in room.live.round(ROUND_2).groups] == two_rounds
    assert view.repeats_label.text() == (
        "12 par möts igen: det bästa som hittades på den tid som fanns."
    )
    assert not view.improve_button.isVisible() and not view.can_improve()  # seated now
    view.improve()
    assert not view.is_improving()
    # Groups made again while the phase runs: everyone is seated at once, nothing to improve.
    seen: list[bool] = []
    view.improvingChanged.connect(seen.append)
    qtbot.mouseClick(view.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.is_busy(), timeout=10_000)
    assert seen == [] and not view.is_improving()


def test_cancel_keeps_the_groups_and_the_message_reads_in_english(
    qtbot, window: MainWindow, room: Room, two_rounds: list[list[str]], gate: dict[str, Any]
) -> None:
    view = second_round_view(window)
    qtbot.mouseClick(view.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(view.is_improving, timeout=10_000)
    assert view.improve_stop_button.text() == SV["groups_improve_stop"] == "Avbryt"
    qtbot.mouseClick(view.improve_stop_button, Qt.MouseButton.LeftButton)
    assert not view.is_improving() and not view.improve_stop_button.isVisible()
    assert window.statusBar().currentMessage() == SV["groups_improve_cancelled"]
    gate["open"].set()
    qtbot.waitUntil(lambda: bool(gate["results"]), timeout=60_000)
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=10_000)
    assert gate["results"] == [None]
    assert [list(g) for g in room.live.round(ROUND_2).groups] == two_rounds
    i18n.set_language("en")
    view.retranslate()
    assert view.repeats_label.text() == "12 pairs meet again: the best found in the time given."
    # Searching again (the gate is open now): the real search finds groups where nobody meets
    # again, and there is nothing more to look for.
    assert (
        view.improve_button.isVisible()
        and view.improve_button.text() == (EN["groups_improve_more"])
    )
    qtbot.mouseClick(view.improve_button, Qt.MouseButton.LeftButton)
    assert view.is_improving() and not view.improve_button.isVisible()
    qtbot.waitUntil(lambda: not view.is_improving(), timeout=60_000)
    members = [room.live._member(p) for p in room.live.present()]
    rnd = room.live.round(ROUND_2)
    check_round(rnd.groups, members)
    assert metrics(rnd.groups, members, [two_rounds]).repeated_pairs == 0
    assert view.repeats_label.text() == EN["groups_repeats_none"]
    assert not view.improve_button.isVisible()


def test_a_drag_while_improving_wins_over_the_search(
    qtbot, window: MainWindow, room: Room, two_rounds: list[list[str]], gate: dict[str, Any]
) -> None:
    view = second_round_view(window)
    qtbot.mouseClick(view.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(view.is_improving, timeout=10_000)
    pid = two_rounds[0][0]
    view.move_member(pid, 1)
    assert not view.is_improving()
    assert window.statusBar().currentMessage() == SV["groups_improve_edited"]
    gate["open"].set()
    qtbot.waitUntil(lambda: bool(gate["results"]), timeout=60_000)
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=10_000)
    assert room.live.round(ROUND_2).group_of(pid) == 1
    assert view.repeats_label.text() == ""  # the report was about other groups


@pytest.mark.parametrize(
    ("lang", "count", "minimal", "expected"),
    [
        ("sv", 1, True, "1 par möts igen; ingen indelning kan ha färre."),
        ("en", 1, True, "1 pair meets again; no grouping can have fewer."),
        ("en", 2, False, "2 pairs meet again: the best found in the time given."),
        ("en", 2, True, "2 pairs meet again; no grouping can have fewer."),
    ],
)
def test_the_repeat_message_counts_in_both_languages(
    lang: str, count: int, minimal: bool, expected: str
) -> None:
    i18n.set_language(lang)
    report = grouping.PlanReport(
        [[["a", "b"]]], count, count if minimal else 0, known_zero=False, complete=minimal
    )
    assert groups_view.repeats_text(report, history=True, searching=False) == expected
    zero = grouping.PlanReport([[["a", "b"]]], 0, 0, known_zero=False, complete=True)
    assert groups_view.repeats_text(zero, history=False, searching=False) == ""
    assert groups_view.repeats_text(zero, history=True, searching=False) == i18n.tr(
        "groups_repeats_none"
    )


def test_a_search_that_cannot_run_leaves_the_groups_and_no_busy_state(
    qtbot,
    window: MainWindow,
    room: Room,
    two_rounds: list[list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise grouping.GroupingError("pin_apart_self", id="p0")

    monkeypatch.setattr(grouping, "improve_round", refuse)
    view = second_round_view(window)
    seen: list[bool] = []
    view.improvingChanged.connect(seen.append)
    qtbot.mouseClick(view.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: seen == [True, False], timeout=10_000)
    assert not view.improve_label.isVisible() and not view.is_improving()
    assert [list(g) for g in room.live.round(ROUND_2).groups] == two_rounds
    assert view.repeats_label.text() == (
        "12 par möts igen: det bästa som hittades på den tid som fanns."
    )


def test_closing_the_window_stops_the_search(
    qtbot, window: MainWindow, room: Room, two_rounds: list[list[str]], gate: dict[str, Any]
) -> None:
    view = second_round_view(window)
    qtbot.mouseClick(view.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(view.is_improving, timeout=10_000)
    # The search thread runs (a job still queued would simply never run once cancelled).
    qtbot.waitUntil(gate["started"].is_set, timeout=60_000)
    window.close()  # a close the program makes itself: no question
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=10_000)  # the task is cancelled
    gate["open"].set()
    qtbot.waitUntil(lambda: bool(gate["results"]), timeout=60_000)
    assert gate["results"] == [None]  # told to stop: no thread thinks on after the window
    assert [list(g) for g in room.live.round(ROUND_2).groups] == two_rounds


# -- the next phase's groups, prepared while the phase before it runs ------------------------


@pytest.fixture
def round_one_running(room: Room, two_rounds: list[list[str]]) -> list[list[str]]:
    """The first round's groups are out and its phase runs; the second is next."""
    room.live.start(ROUND_1)
    return two_rounds


def prepared_view(window: MainWindow) -> groups_view.GroupsView:
    view = window.groups_view
    assert view.auto_check.isChecked()  # the default: groups are made as a phase starts
    window.tabs.setCurrentWidget(view)
    view.size_spin.setValue(3)
    return view


def test_the_next_phase_is_prepared_and_used_as_it_starts(
    qtbot, window: MainWindow, room: Room, round_one_running: list[list[str]]
) -> None:
    first = round_one_running
    view = prepared_view(window)
    view.update_draft()  # (what a moment after the phase started does by itself)
    assert view.is_preparing()
    qtbot.waitUntil(lambda: view.draft(ROUND_2) is not None, timeout=60_000)
    draft = view.draft(ROUND_2)
    assert draft is not None
    groups, report = draft
    members = [room.live._member(p) for p in room.live.present()]
    check_round(groups, members)
    # Made at once the second round would repeat every pair (the patched first groups); the
    # search had the first phase's time to find groups where nobody meets again.
    assert metrics(groups, members, [first]).repeated_pairs == report.repeated_pairs == 0
    assert room.live.round(ROUND_2) is None  # prepared, not handed out
    view.set_phase(ROUND_2)
    assert view.empty_label.isVisible() and view.empty_label.text() == (
        "Grupper för 12 personer är förberedda och delas ut när momentet startar (eller nu,"
        " med ”Skapa grupper”); den som ansluter under tiden läggs till. "
        + SV["groups_repeats_none"]
    )
    view.set_phase(ROUND_1)
    # Meanwhile one person leaves and one arrives.
    leaver = groups[0][0]
    room.detach(leaver)
    newcomer = join(room, "Ny person", 5, role=Role.ELECTED)
    room.live.start(ROUND_2)  # the clock moves on: groups are made as the phase starts
    qtbot.waitUntil(lambda: room.live.round(ROUND_2) is not None, timeout=10_000)
    rnd = room.live.round(ROUND_2)
    assert rnd is not None
    present = [room.live._member(p) for p in room.live.present()]
    check_round(rnd.groups, present)
    # The prepared groups, without the leaver; the newcomer (placed late in the first round
    # too, which changes its history only for them) placed as a late joiner.
    without = [[pid for pid in group if pid != newcomer] for group in rnd.groups]
    assert without == [[pid for pid in group if pid != leaver] for group in groups]
    assert rnd.late == frozenset({newcomer})
    assert room.live.round(ROUND_1).group_of(newcomer) is not None
    stayed = [m for m in present if m.id != newcomer]
    assert metrics(without, stayed, [first]).repeated_pairs == 0
    assert (
        window.statusBar().currentMessage() == "4 grupper från förberedelsen i bakgrunden lades in."
    )
    assert not view.is_improving() and view.draft(ROUND_2) is None  # everyone is seated now


def test_make_groups_before_the_phase_uses_the_draft_and_seats_arrivals(
    qtbot, window: MainWindow, room: Room, round_one_running: list[list[str]]
) -> None:
    first = round_one_running
    view = prepared_view(window)
    view.update_draft()
    qtbot.waitUntil(lambda: view.draft(ROUND_2) is not None, timeout=60_000)
    draft = view.draft(ROUND_2)
    assert draft is not None
    groups, report = draft
    newcomer = join(room, "Ny person", 5)  # placed late in the running first round
    view.set_phase(ROUND_2)
    qtbot.mouseClick(view.make_button, Qt.MouseButton.LeftButton)
    rnd = room.live.round(ROUND_2)
    assert rnd is not None
    present = [room.live._member(p) for p in room.live.present()]
    check_round(rnd.groups, present)
    # The prepared groups, and the newcomer in one of them (placed like a late joiner; not
    # marked late: nobody has been shown these groups yet).
    assert [[pid for pid in g if pid != newcomer] for g in rnd.groups] == groups
    assert rnd.late == frozenset()
    stayed = [m for m in present if m.id != newcomer]
    assert metrics(groups, stayed, [first]).repeated_pairs == report.repeated_pairs == 0
    assert (
        window.statusBar().currentMessage() == "4 grupper från förberedelsen i bakgrunden lades in."
    )


def test_a_draft_not_ready_when_the_phase_starts_gives_way_to_groups_made_at_once(
    qtbot,
    window: MainWindow,
    room: Room,
    round_one_running: list[list[str]],
    gate: dict[str, Any],
) -> None:
    view = prepared_view(window)
    view.update_draft()
    qtbot.waitUntil(gate["started"].is_set, timeout=60_000)  # the search thinks
    room.live.start(ROUND_2)
    qtbot.waitUntil(lambda: room.live.round(ROUND_2) is not None, timeout=60_000)
    # Made at once, as before there were drafts (the patched first groups: round 1 again).
    assert [list(g) for g in room.live.round(ROUND_2).groups] == round_one_running
    assert not view.is_preparing()
    gate["open"].set()
    qtbot.waitUntil(lambda: bool(gate["results"]), timeout=60_000)
    assert gate["results"] == [None]  # the draft's search was told to stop
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=30_000)
    assert [list(g) for g in room.live.round(ROUND_2).groups] == round_one_running


def test_no_draft_without_automatic_groups_or_once_groups_exist(
    qtbot, window: MainWindow, room: Room, round_one_running: list[list[str]]
) -> None:
    view = prepared_view(window)
    view.auto_check.setChecked(False)
    view.update_draft()
    assert not view.is_preparing() and view.draft(ROUND_2) is None
    view.auto_check.setChecked(True)
    view.update_draft()
    assert view.is_preparing()
    view.set_phase(ROUND_2)
    assert view.empty_label.text() == SV["groups_draft_preparing"]
    room.live.make_groups(ROUND_2, 3)  # made by hand before the phase: the draft goes
    view.update_draft()
    assert not view.is_preparing() and view.draft(ROUND_2) is None


def test_a_draft_drops_leavers_and_refuses_lopsided_groups() -> None:
    members = people(9)
    job = dataclasses_replace_members(members)
    groups = triples([m.id for m in members])
    now = dataclasses_replace_members([m for m in members if m.id not in {"p0", "p1"}])
    assert groups_view.draft_fits(job, now)
    # p0 and p1 shared a group: one person would be left there.
    assert groups_view.adapt_draft(job, groups, now) is None
    now = dataclasses_replace_members([m for m in members if m.id not in {"p0", "p3"}])
    assert groups_view.adapt_draft(job, groups, now) == [
        ["p1", "p2"],
        ["p4", "p5"],
        ["p6", "p7", "p8"],
    ]
    # Someone who changed attendance is dropped too (placed again as a late joiner).
    moved = [
        m if m.id != "p8" else Member("p8", m.organisation, m.role, Attendance.REMOTE)
        for m in members
    ]
    assert groups_view.adapt_draft(job, groups, dataclasses_replace_members(moved)) == [
        ["p0", "p1", "p2"],
        ["p3", "p4", "p5"],
        ["p6", "p7"],
    ]
    # Too many changes: the groups are made afresh.
    assert not groups_view.draft_fits(job, dataclasses_replace_members(members[:6]))


def dataclasses_replace_members(members: Sequence[Member]) -> Any:
    from app.live import GroupJob
    from app.model import GroupKind

    return GroupJob(1, 1, GroupKind.MIXED, tuple(members), 3, (), 0)
