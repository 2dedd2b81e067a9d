"""Metrics, explanations and English descriptions of a grouping."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from math import comb

from app.grouping.bounds import (
    _role_bounds,
    _role_dev,
    org_pair_lower_bound,
)
from app.grouping.late import (
    _group_mode,
    _index_groups,
)
from app.grouping.model import (
    MODE_ORDER,
    REASON_IMPROVABLE,
    REASON_NO_BETTER_SWAP,
    REASON_PINNED,
    REASON_SINGLE_GROUP,
    Alone,
    GroupExplanation,
    Issue,
    Member,
    Metrics,
    MixedAttendance,
    OrgAboveEvenShare,
    OrgBelowEvenShare,
    PinBroken,
    Pins,
    RepeatedPair,
    RoleOffShare,
    SizeUnbalanced,
)
from app.grouping.prepare import (
    _history_pairs,
    _present,
)
from app.grouping.search import _ModePlan
from app.model import Attendance, Role


def _round_metrics(
    present: Sequence[Member], rows: Sequence[Sequence[int]], met: set[tuple[int, int]]
) -> Metrics:
    same = 0
    repeats = 0
    off = 0
    deviation = 0
    bound = 0
    for mode in MODE_ORDER:
        mode_rows = [r for r in rows if r and present[r[0]].attendance == mode]
        if not mode_rows:
            continue
        people = sum(len(r) for r in mode_rows)
        elected = sum(1 for r in mode_rows for i in r if present[i].role == Role.ELECTED)
        org_sizes: dict[str, int] = {}
        for r in mode_rows:
            for i in r:
                org_sizes[present[i].organisation] = org_sizes.get(present[i].organisation, 0) + 1
        bound += org_pair_lower_bound(org_sizes.values(), [len(r) for r in mode_rows])
        for r in mode_rows:
            e = sum(1 for i in r if present[i].role == Role.ELECTED)
            d = _role_dev(e, len(r), elected, people)
            deviation += d
            off += d > 0
    for r in rows:
        orgs: dict[str, int] = {}
        for i in r:
            orgs[present[i].organisation] = orgs.get(present[i].organisation, 0) + 1
        same += sum(comb(c, 2) for c in orgs.values())
        s = sorted(r)
        repeats += sum(1 for x, i in enumerate(s) for j in s[x + 1 :] if (i, j) in met)
    return Metrics(same, bound, repeats, off, deviation)


def metrics(
    groups: Sequence[Sequence[str]],
    members: Iterable[Member],
    history: Iterable[Sequence[Sequence[str]]] = (),
) -> Metrics:
    """Measure one round of groups against the soft rules.

    Computed directly from the groups (independently of the search), so it also serves to
    check the engine.

    Args:
        groups: The round's groups of ids.
        members: Everyone in ``groups``.
        history: Earlier rounds; pairs that met there count as repeats here.
    """
    present, index, rows = _index_groups(groups, members)
    return _round_metrics(present, rows, _history_pairs(history, index))


def plan_metrics(
    plan: Sequence[Sequence[Sequence[str]]],
    members: Iterable[Member],
    history: Iterable[Sequence[Sequence[str]]] = (),
) -> Metrics:
    """Measure a plan of rounds, each against the history plus the rounds before it.

    Returns:
        The per-round metrics summed over the rounds.
    """
    present = _present(members)
    index = {m.id: i for i, m in enumerate(present)}
    met = _history_pairs(history, index)
    total = Metrics(0, 0, 0, 0, 0)
    for round_groups in plan:
        _, _, rows = _index_groups(round_groups, present)
        m = _round_metrics(present, rows, met)
        total = Metrics(*(a + b for a, b in zip(_astuple(total), _astuple(m), strict=True)))
        met |= _history_pairs([round_groups], index)
    return total


def _astuple(m: Metrics) -> tuple[int, int, int, int, int]:
    return (
        m.same_org_pairs,
        m.org_pair_lower_bound,
        m.repeated_pairs,
        m.groups_off_role_share,
        m.role_deviation,
    )


def explain(
    groups: Sequence[Sequence[str]],
    members: Iterable[Member],
    history: Iterable[Sequence[Sequence[str]]] = (),
    pins: Pins | None = None,
) -> list[GroupExplanation]:
    """Explain one round of groups for the console: what each group mixes, what it misses.

    Args:
        groups: The round's groups of ids (in-room groups first, as the engine lists them).
        members: Everyone in ``groups``.
        history: Earlier rounds, as for :func:`plan_rounds`.
        pins: The facilitator's pins, to report broken ones and pin-forced shortfalls.

    Returns:
        One explanation per group, in order.
    """
    present, index, rows = _index_groups(groups, members)
    met = _history_pairs(history, index)
    where = {i: g for g, row in enumerate(rows) for i in row}
    issues: list[list[Issue]] = [[] for _ in rows]
    modes = [_group_mode(present, row) for row in rows]
    frozen: set[int] = set()
    pinned_pairs: set[tuple[int, int]] = set()
    apart_pairs: set[tuple[int, int]] = set()
    if pins is not None:
        for pid, g in sorted(pins.in_group.items()):
            if pid in index and index[pid] in where:
                frozen.add(index[pid])
                if where[index[pid]] != g:
                    issues[where[index[pid]]].append(PinBroken("in_group", (pid,), g))
        for a, b in pins.together:
            if a in index and b in index and index[a] in where and index[b] in where:
                i, j = index[a], index[b]
                frozen |= {i, j}
                pinned_pairs.add((min(i, j), max(i, j)))
                if where[i] != where[j]:
                    issues[where[i]].append(PinBroken("together", (a, b)))
                    issues[where[j]].append(PinBroken("together", (b, a)))
        for a, b in pins.apart:
            if a in index and b in index and index[a] in where and index[b] in where:
                apart_pairs.add((index[a], index[b]))
                if where[index[a]] == where[index[b]] and a != b:
                    issues[where[index[a]]].append(PinBroken("apart", (a, b)))
    for g, row in enumerate(rows):
        in_room = sum(1 for i in row if present[i].attendance == Attendance.IN_ROOM)
        if in_room and in_room < len(row):
            issues[g].append(MixedAttendance(in_room, len(row) - in_room))
        if len(row) == 1:
            issues[g].append(Alone())
    for mode in MODE_ORDER:
        mode_groups = [g for g in range(len(rows)) if rows[g] and modes[g] == mode]
        if mode_groups:
            _explain_mode(
                present, rows, mode_groups, met, frozen, pinned_pairs, apart_pairs, issues
            )
    out = []
    for g, row in enumerate(rows):
        orgs: dict[str, int] = {}
        for i in row:
            orgs[present[i].organisation] = orgs.get(present[i].organisation, 0) + 1
        elected = sum(1 for i in row if present[i].role == Role.ELECTED)
        out.append(
            GroupExplanation(
                index=g,
                attendance=modes[g],
                size=len(row),
                organisations=tuple(sorted(orgs.items(), key=lambda kv: (-kv[1], kv[0]))),
                elected=elected,
                officials=len(row) - elected,
                issues=tuple(issues[g]),
            )
        )
    return out


def _explain_mode(
    present: Sequence[Member],
    rows: Sequence[Sequence[int]],
    mode_groups: Sequence[int],
    met: set[tuple[int, int]],
    frozen: set[int],
    pinned_pairs: set[tuple[int, int]],
    apart_pairs: set[tuple[int, int]],
    issues: list[list[Issue]],
) -> None:
    """Add the soft-rule issues of one mode's groups, with reasons."""
    idx = [i for g in mode_groups for i in rows[g]]
    local = {i: x for x, i in enumerate(idx)}
    org_ids: dict[str, int] = {}
    orgs = [org_ids.setdefault(present[i].organisation, len(org_ids)) for i in idx]
    org_names = list(org_ids)
    lmet: list[dict[int, int]] = [{} for _ in idx]
    for i, j in met:
        if i in local and j in local:
            lmet[local[i]][local[j]] = 1
            lmet[local[j]][local[i]] = 1
    k = len(mode_groups)
    state = _ModePlan(
        orgs, [present[i].role == Role.ELECTED for i in idx], k, 1, lmet, random.Random(0)
    )
    for lg, g in enumerate(mode_groups):
        for i in rows[g]:
            state.add(0, local[i], lg)
    for i in frozen:
        if i in local:
            state.movable[local[i]] = False
    sizes = [len(rows[g]) for g in mode_groups]
    min_size = min(sizes)
    single = REASON_SINGLE_GROUP if k == 1 else None

    for i, j in apart_pairs:
        if i in local and j in local:
            state.apart[local[i]].append(local[j])
            state.apart[local[j]].append(local[i])
    pinned_movable = list(state.movable)
    pinned_apart = state.apart
    free_apart: list[list[int]] = [[] for _ in idx]
    cache: dict[tuple[bool, int], bool] = {}

    def better_for(a: int, respect_pins: bool) -> bool:
        # Exhaustive over exchanges and moves of ``a``: is any change strictly better?
        key = (respect_pins, a)
        if key not in cache:
            state.movable = pinned_movable if respect_pins else [True] * state.n
            state.apart = pinned_apart if respect_pins else free_apart
            cache[key] = state.movable[a] and (
                any(
                    state.movable[b]
                    and (d := state.swap_delta(0, a, b)) is not None
                    and d < (0, 0, 0)
                    for b in range(state.n)
                )
                or any(
                    (d := state.move_delta(0, a, gb)) is not None and d < (0, 0, 0)
                    for gb in range(k)
                )
            )
            state.movable, state.apart = pinned_movable, pinned_apart
        return cache[key]

    def reason(candidates: Sequence[int], forced: bool) -> str:
        if single:
            return single
        if forced:
            return REASON_PINNED
        if any(better_for(a, True) for a in candidates):
            return REASON_IMPROVABLE
        if any(better_for(a, False) for a in candidates):
            return REASON_PINNED  # only moving pinned people (or ignoring pins) would help
        return REASON_NO_BETTER_SWAP

    for lg, g in enumerate(mode_groups):
        mem = state.members[0][lg]
        if sizes[lg] > min_size + 1:
            issues[g].append(SizeUnbalanced(sizes[lg], min_size))
        for o, name in enumerate(org_names):
            c = state.orgc[0][lg][o]
            if state.opairs[0][o] <= state.even[o]:
                continue
            of_org = [i for i in mem if state.org[i] == o]
            stuck = sum(1 for i in of_org if not state.movable[i])
            if c > state.org_hi[o]:
                r = reason(of_org, stuck > state.org_hi[o])
                issues[g].append(OrgAboveEvenShare(name, c, state.org_hi[o], r))
            elif c < state.org_lo[o]:
                others = [i for i in mem if state.org[i] != o]
                r = reason(others, all(not state.movable[i] for i in others))
                issues[g].append(OrgBelowEvenShare(name, c, state.org_lo[o], r))
        ordered = sorted(mem, key=lambda i: idx[i])
        for x, a in enumerate(ordered):
            for b in ordered[x + 1 :]:
                if state.met[a].get(b, 0) >= 2:
                    ga, gb = idx[a], idx[b]
                    forced = (min(ga, gb), max(ga, gb)) in pinned_pairs or (
                        not state.movable[a] and not state.movable[b]
                    )
                    issues[g].append(
                        RepeatedPair(present[ga].id, present[gb].id, reason([a, b], forced))
                    )
        e = state.elec[0][lg]
        lo, hi = _role_bounds(len(mem), state.n_elected, state.n)
        if not lo <= e <= hi:
            excess = [i for i in mem if bool(state.elected[i]) == (e > hi)]
            forced = sum(1 for i in excess if not state.movable[i]) > (
                hi if e > hi else len(mem) - lo
            )
            issues[g].append(RoleOffShare(e, lo, hi, reason(excess, forced)))


# --------------------------------------------------------------------------------------------
# English descriptions for the command line


def describe(issue: Issue) -> str:
    """Return an English sentence for an issue (the console translates by ``code`` instead)."""
    why = {
        REASON_PINNED: "forced by pins",
        REASON_SINGLE_GROUP: "there is only one group",
        REASON_NO_BETTER_SWAP: "no exchange fixes it without breaking a higher-priority rule",
        REASON_IMPROVABLE: "regrouping can fix it",
    }
    match issue:
        case MixedAttendance():
            return f"mixes {issue.in_room} in-room and {issue.remote} remote participants"
        case PinBroken(kind="in_group"):
            return f"{issue.ids[0]} is pinned to group {issue.target}"
        case PinBroken(kind="together"):
            return f"{issue.ids[0]} is pinned together with {issue.ids[1]}, who is elsewhere"
        case PinBroken():
            return f"{issue.ids[0]} and {issue.ids[1]} are pinned apart"
        case SizeUnbalanced():
            return f"{issue.size} people, more than one above the smallest group ({issue.min_size})"
        case Alone():
            return "only one participant"
        case OrgAboveEvenShare():
            return (
                f"{issue.count} from {issue.organisation}, an even spread has at most"
                f" {issue.even_max} ({why[issue.reason]})"
            )
        case OrgBelowEvenShare():
            return (
                f"{issue.count} from {issue.organisation}, an even spread has at least"
                f" {issue.even_min} ({why[issue.reason]})"
            )
        case RepeatedPair():
            return f"{issue.first} and {issue.second} met before ({why[issue.reason]})"
        case RoleOffShare():
            return (
                f"{issue.elected} elected, share is {issue.expected_min}-{issue.expected_max}"
                f" ({why[issue.reason]})"
            )
    raise TypeError(f"not an issue: {issue!r}")
