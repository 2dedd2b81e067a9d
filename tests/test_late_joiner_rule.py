"""The late joiner's rule, made faster for a late-join storm at N = 1000, chooses as before."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

import pytest

from app import grouping
from app.grouping import GroupingError, Member, Pins, place_late_joiner
from app.model import Attendance, Role


def reference_place_late_joiner(
    groups: Sequence[Sequence[str]],
    member: Member,
    members: Iterable[Member],
    history: Iterable[Sequence[Sequence[str]]] = (),
    pins: Pins | None = None,
) -> int:
    """The rule as it was before it was made faster (issue 14), kept to compare."""
    everyone = [m for m in members if m.id != member.id]
    present, index, rows = grouping._index_groups(groups, everyone)
    me = len(present)
    present.append(member)
    index[member.id] = me
    modes = [grouping._group_mode(present, row) for row in rows]
    candidates = [g for g, row in enumerate(rows) if row and modes[g] == member.attendance]
    if pins is not None:
        where = {i: g for g, row in enumerate(rows) for i in row}
        if member.id in pins.in_group:
            target = pins.in_group[member.id]
            if target not in candidates:
                raise grouping.GroupingError(
                    "pin_group_wrong_mode" if 0 <= target < len(rows) else "pin_group_out_of_range",
                    id=member.id,
                    group=target,
                    groups=len(rows),
                    group_mode=str(modes[target]) if 0 <= target < len(rows) else "",
                    mode=member.attendance.value,
                )
            candidates = [target]
        for a, b in pins.together:
            other = b if a == member.id else a if b == member.id else None
            if other is not None and other in index and index[other] in where:
                candidates = [g for g in candidates if g == where[index[other]]]
        for a, b in pins.apart:
            other = b if a == member.id else a if b == member.id else None
            if other is not None and other in index and index[other] in where:
                candidates = [g for g in candidates if g != where[index[other]]]
        if not candidates:
            raise grouping.GroupingError(
                "pins_unsatisfiable",
                mode=member.attendance.value,
                groups=len(rows),
                min_size=min((len(r) for r in rows), default=0),
                max_size=max((len(r) for r in rows), default=0),
            )
    if not candidates:
        return len(groups)
    met = grouping._history_pairs(history, index)
    mode_rows = [rows[g] for g in range(len(rows)) if modes[g] == member.attendance]
    people = sum(len(r) for r in mode_rows) + 1
    elected = sum(1 for r in mode_rows for i in r if present[i].role == grouping.Role.ELECTED)
    elected += member.role == grouping.Role.ELECTED
    min_size = min(len(r) for r in mode_rows)

    def key(g: int) -> tuple[int, ...]:
        row = rows[g]
        s = len(row)
        unbalanced = 1 if s + 1 > min_size + 1 and any(len(r) == min_size for r in mode_rows) else 0
        org_pairs = sum(1 for i in row if present[i].organisation == member.organisation)
        repeats = sum(1 for i in row if (min(i, me), max(i, me)) in met)
        e = sum(1 for i in row if present[i].role == grouping.Role.ELECTED)
        joined = e + (member.role == grouping.Role.ELECTED)
        # Other groups' deviation is the same whichever group is chosen, so only this
        # group's change matters.
        d_role = grouping._role_dev(joined, s + 1, elected, people) - grouping._role_dev(
            e, s, elected, people
        )
        # Roles before repeats (issue 19: no group of only elected to spare a repeat).
        return unbalanced, org_pairs, d_role, repeats, s, g

    return min(candidates, key=key)


def room(rng: random.Random) -> tuple[list[list[str]], list[Member]]:
    people = [
        Member(
            f"p{i}",
            f"o{rng.randrange(6)}",
            rng.choice([Role.ELECTED, Role.OFFICIAL]),
            Attendance.REMOTE if rng.random() < 0.25 else Attendance.IN_ROOM,
        )
        for i in range(rng.randrange(2, 60))
    ]
    groups: list[list[str]] = []
    for mode in (Attendance.IN_ROOM, Attendance.REMOTE):
        ids = [m.id for m in people if m.attendance == mode]
        size = rng.randrange(2, 7)
        groups += [ids[i : i + size] for i in range(0, len(ids), size)]
    rng.shuffle(groups)
    return groups, people


def outcome(fn: object, *args: object) -> object:
    try:
        return fn(*args)  # type: ignore[operator]
    except GroupingError as exc:
        return ("error", exc.code)


@pytest.mark.parametrize("seed", range(300))
def test_the_faster_rule_chooses_the_same_group(seed: int) -> None:
    rng = random.Random(seed)
    groups, people = room(rng)
    joiner = Member(
        "x",
        f"o{rng.randrange(6)}",
        rng.choice([Role.ELECTED, Role.OFFICIAL]),
        Attendance.REMOTE if rng.random() < 0.3 else Attendance.IN_ROOM,
    )
    ids = [m.id for m in people]
    history = [
        [rng.sample([*ids, "x"], min(len(ids) + 1, rng.randrange(2, 7))) for _ in range(4)]
        for _ in range(rng.randrange(3))
    ]
    pins = None
    if rng.random() < 0.3:
        pins = Pins(
            together=((rng.choice(ids), "x"),) if rng.random() < 0.5 else (),
            apart=(("x", rng.choice(ids)),) if rng.random() < 0.5 else (),
        )
    if rng.random() < 0.1:
        people = [*people, people[0]]  # a duplicate: both refuse it
    if rng.random() < 0.1:
        groups = [*groups, ["nobody"]]  # an unknown id: both refuse it
    if rng.random() < 0.1:
        people = [*people, joiner]  # the joiner among the members: allowed
    assert outcome(place_late_joiner, groups, joiner, people, history, pins) == outcome(
        reference_place_late_joiner, groups, joiner, people, history, pins
    )
