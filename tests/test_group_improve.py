"""Groups made at once, then improved in the background without moving anyone seated.

The core part (:func:`app.grouping.improve_round`) is checked on real rounds: every person
once, repeated pairs counted from the groups. The console part runs the real core in the
executor of a real qasync loop with pytest-qt (offscreen); a gate (a threading event) holds
the search where a test needs the phase to start first, so nothing depends on timing.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Sequence

from app import i18n
from app.grouping import Member, improve_round, metrics
from app.model import Attendance, Role

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
