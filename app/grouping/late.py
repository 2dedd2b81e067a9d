"""Place a participant who arrives after the groups are made."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from app.grouping.bounds import _role_dev
from app.grouping.model import (
    GroupingError,
    Member,
    Pins,
)
from app.grouping.prepare import _present
from app.model import Attendance, Role


def _index_groups(
    groups: Sequence[Sequence[str]], members: Iterable[Member]
) -> tuple[list[Member], dict[str, int], list[list[int]]]:
    present = _present(members)
    index = {m.id: i for i, m in enumerate(present)}
    rows: list[list[int]] = []
    for g, group in enumerate(groups):
        row = []
        for pid in group:
            if pid not in index:
                raise GroupingError("unknown_member", group=g, id=pid)
            row.append(index[pid])
        rows.append(row)
    return present, index, rows


def _group_mode(present: Sequence[Member], row: Sequence[int]) -> Attendance | None:
    modes = {present[i].attendance for i in row}
    return modes.pop() if len(modes) == 1 else None


def place_late_joiner(
    groups: Sequence[Sequence[str]],
    member: Member,
    members: Iterable[Member],
    history: Iterable[Sequence[Sequence[str]]] = (),
    pins: Pins | None = None,
) -> int:
    """Choose the group a late joiner joins, moving nobody else.

    Only groups of the joiner's attendance mode are candidates; a group may grow one above
    the largest size of its mode. The rules decide, in priority order: pins, keeping sizes
    within one of each other, fewest new same-organisation pairs, smallest role deviation,
    fewest repeated pairs; then the smaller group, then the lower index.

    Args:
        groups: The current round's groups of ids.
        member: The joiner (need not be in ``members``).
        members: Everyone in ``groups`` (others are allowed).
        history: Earlier rounds, as for :func:`plan_rounds`.
        pins: Pins naming the joiner (others' pins are not re-checked).

    Returns:
        The index of the chosen group, or ``len(groups)`` if no group has the joiner's
        attendance mode (the joiner starts a new group).

    Raises:
        GroupingError: If ``groups`` lists unknown ids, or a pin on the joiner cannot hold.
    """
    # One pass each over the room (this runs for every late joiner, on the room's loop).
    present: list[Member] = []
    index: dict[str, int] = {}
    for m in members:
        if m.id == member.id:
            continue
        if m.id in index:
            raise GroupingError("duplicate_member", id=m.id)
        index[m.id] = len(present)
        present.append(m)
    rows: list[list[int]] = []
    for g, group in enumerate(groups):
        try:
            rows.append([index[pid] for pid in group])
        except KeyError:
            unknown = next(pid for pid in group if pid not in index)
            raise GroupingError("unknown_member", group=g, id=unknown) from None
    me = len(present)
    present.append(member)
    index[member.id] = me
    modes = [_group_mode(present, row) for row in rows]
    candidates = [g for g, row in enumerate(rows) if row and modes[g] == member.attendance]
    if pins is not None:
        where = {i: g for g, row in enumerate(rows) for i in row}
        if member.id in pins.in_group:
            target = pins.in_group[member.id]
            if target not in candidates:
                raise GroupingError(
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
            raise GroupingError(
                "pins_unsatisfiable",
                mode=member.attendance.value,
                groups=len(rows),
                min_size=min((len(r) for r in rows), default=0),
                max_size=max((len(r) for r in rows), default=0),
            )
    if not candidates:
        return len(groups)
    # Only the joiner's earlier tables matter here: not every pair of the room's history.
    met_me = {
        index[pid]
        for round_groups in history
        for group in round_groups
        if member.id in group
        for pid in group
        if pid in index and pid != member.id
    }
    mode_rows = [rows[g] for g in range(len(rows)) if modes[g] == member.attendance]
    people = sum(len(r) for r in mode_rows) + 1
    elected = sum(1 for r in mode_rows for i in r if present[i].role == Role.ELECTED)
    elected += member.role == Role.ELECTED
    min_size = min(len(r) for r in mode_rows)
    # Growing a group past the smallest size by two is the first thing to avoid; it needs
    # only the sizes, so the rest of the key is worked out for the groups left (fewer and
    # fewer of them as a late-join storm fills the smallest groups).
    if any(len(r) == min_size for r in mode_rows):
        balanced = [g for g in candidates if len(rows[g]) <= min_size]
        candidates = balanced or candidates
    unbalanced = 0 if len(rows[candidates[0]]) <= min_size else 1
    organisation = member.organisation
    joiner_elected = member.role == Role.ELECTED

    def key(g: int) -> tuple[int, ...]:
        row = rows[g]
        s = len(row)
        org_pairs = repeats = e = 0
        for i in row:
            other = present[i]
            org_pairs += other.organisation == organisation
            repeats += i in met_me
            e += other.role == Role.ELECTED
        joined = e + joiner_elected
        # Other groups' deviation is the same whichever group is chosen, so only this
        # group's change matters.
        d_role = _role_dev(joined, s + 1, elected, people) - _role_dev(e, s, elected, people)
        return unbalanced, org_pairs, d_role, repeats, s, g

    return min(candidates, key=key)
