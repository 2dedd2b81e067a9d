"""Input preparation shared by the public functions: presence, history, pins, modes."""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from app.grouping.bounds import (
    groups_for_size,
    split_group_count,
)
from app.grouping.model import (
    MODE_ORDER,
    GroupingError,
    Member,
    Pins,
)
from app.grouping.search import _ModePlan
from app.model import Attendance, Role


def _present(members: Iterable[Member], absent: Collection[str] = ()) -> list[Member]:
    absent_set = set(absent)
    seen: set[str] = set()
    out: list[Member] = []
    for m in members:
        if m.id in absent_set:
            continue
        if m.id in seen:
            raise GroupingError("duplicate_member", id=m.id)
        seen.add(m.id)
        out.append(m)
    return out


def _history_pairs(
    history: Iterable[Sequence[Sequence[str]]], known: Mapping[str, int]
) -> set[tuple[int, int]]:
    """Index pairs (i < j) of known people who shared a group in any earlier round."""
    pairs: set[tuple[int, int]] = set()
    for round_groups in history:
        for group in round_groups:
            idx = sorted({known[i] for i in group if i in known})
            for x, i in enumerate(idx):
                for j in idx[x + 1 :]:
                    pairs.add((i, j))
    return pairs


def _mode_counts(present: Sequence[Member], size: int | None, groups: int | None) -> list[int]:
    if size is not None and groups is not None:
        raise GroupingError("size_and_groups")
    if size is None and groups is None:
        raise GroupingError("no_size_or_groups")
    heads = [sum(1 for m in present if m.attendance == mode) for mode in MODE_ORDER]
    if size is not None:
        if size < 2:
            raise GroupingError("size_too_small", size=size)
        return [groups_for_size(n, size) for n in heads]
    assert groups is not None
    if not present:
        if groups < 1:
            raise GroupingError("groups_too_few", groups=groups)
        return [0] * len(MODE_ORDER)
    return split_group_count(groups, heads)


class _Union:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


@dataclass(slots=True)
class _ResolvedPins:
    """Pins on present people, as member indices, checked for contradictions."""

    group: dict[int, int]  # member index -> global group index
    clusters: list[list[int]]  # together-units of 2+ members
    apart: list[tuple[int, int]]


def _resolve_pins(
    pins: Pins | None, present: Sequence[Member], counts: Sequence[int]
) -> _ResolvedPins:
    index = {m.id: i for i, m in enumerate(present)}
    if pins is None:
        return _ResolvedPins({}, [], [])
    total = sum(counts)
    offsets = [sum(counts[:m]) for m in range(len(counts))]
    group: dict[int, int] = {}
    for pid, g in sorted(pins.in_group.items()):
        if pid not in index:
            continue
        if not 0 <= g < total:
            raise GroupingError("pin_group_out_of_range", id=pid, group=g, groups=total)
        m = MODE_ORDER.index(present[index[pid]].attendance)
        if not offsets[m] <= g < offsets[m] + counts[m]:
            gm = next(x for x in range(len(counts)) if offsets[x] <= g < offsets[x] + counts[x])
            raise GroupingError(
                "pin_group_wrong_mode",
                id=pid,
                group=g,
                group_mode=MODE_ORDER[gm].value,
                mode=MODE_ORDER[m].value,
            )
        group[index[pid]] = g
    uf = _Union(len(present))
    for a, b in pins.together:
        if a not in index or b not in index or a == b:
            continue
        if present[index[a]].attendance != present[index[b]].attendance:
            raise GroupingError("pin_together_modes", first=a, second=b)
        uf.union(index[a], index[b])
    roots: dict[int, list[int]] = {}
    for i in range(len(present)):
        roots.setdefault(uf.find(i), []).append(i)
    clusters = [c for c in roots.values() if len(c) > 1]
    for c in clusters:
        pinned = [(group[i], i) for i in c if i in group]
        for (g1, i1), (g2, i2) in zip(pinned, pinned[1:], strict=False):
            if g1 != g2:
                raise GroupingError(
                    "pin_together_groups",
                    first=present[i1].id,
                    second=present[i2].id,
                    first_group=g1,
                    second_group=g2,
                )
    cluster_group = {uf.find(i): g for i, g in group.items()}
    apart: list[tuple[int, int]] = []
    for a, b in pins.apart:
        if a not in index or b not in index:
            continue
        if a == b:
            raise GroupingError("pin_apart_self", id=a)
        i, j = index[a], index[b]
        if present[i].attendance != present[j].attendance:
            continue  # never share a group anyway
        if uf.find(i) == uf.find(j):
            raise GroupingError("pin_together_and_apart", first=a, second=b)
        gi, gj = cluster_group.get(uf.find(i)), cluster_group.get(uf.find(j))
        if gi is not None and gi == gj:
            raise GroupingError("pin_apart_same_group", first=a, second=b, group=gi)
        apart.append((min(i, j), max(i, j)))
    return _ResolvedPins(group, clusters, sorted(set(apart)))


def _build_mode_plan(
    present: Sequence[Member],
    idx: Sequence[int],
    k: int,
    rounds: int,
    history: set[tuple[int, int]],
    pins: _ResolvedPins,
    offset: int,
    mode: Attendance,
    rng: random.Random,
) -> _ModePlan:
    """Build the search state for the members ``idx`` (indices into ``present``) of one mode."""
    local = {g: x for x, g in enumerate(idx)}
    org_ids: dict[str, int] = {}
    orgs = [org_ids.setdefault(present[g].organisation, len(org_ids)) for g in idx]
    met: list[dict[int, int]] = [{} for _ in idx]
    for i, j in history:
        if i in local and j in local:
            met[local[i]][local[j]] = 1
            met[local[j]][local[i]] = 1
    plan = _ModePlan(orgs, [present[g].role == Role.ELECTED for g in idx], k, rounds, met, rng)
    plan.group_offset = offset
    plan.mode_name = mode.value
    q, r = divmod(len(idx), k)
    max_size = q + 1 if r else q
    # Units: together-clusters, plus single people with an in-group or apart pin.
    unit_of: dict[int, int] = {}
    units: list[list[int]] = []
    for c in pins.clusters:
        lc = [local[g] for g in c if g in local]
        if not lc:
            continue
        if len(lc) > max_size:
            raise GroupingError(
                "pin_cluster_too_big",
                count=len(lc),
                ids=", ".join(present[g].id for g in c),
                mode=mode.value,
                max_size=max_size,
            )
        for i in lc:
            unit_of[i] = len(units)
        units.append(sorted(lc))
    singles = {local[g] for g in pins.group if g in local}
    for i, j in pins.apart:
        if i in local:
            singles.add(local[i])
            plan.apart[local[i]].append(local[j])
            plan.apart[local[j]].append(local[i])
            singles.add(local[j])
    for i in sorted(singles):
        if i not in unit_of:
            unit_of[i] = len(units)
            units.append([i])
    unit_group: list[int | None] = [None] * len(units)
    for g_member, g in pins.group.items():
        if g_member in local:
            unit_group[unit_of[local[g_member]]] = g - offset
    unit_apart: list[set[int]] = [set() for _ in units]
    for i, j in pins.apart:
        if i in local:
            ui, uj = unit_of[local[i]], unit_of[local[j]]
            unit_apart[ui].add(uj)
            unit_apart[uj].add(ui)
    plan.units = units
    plan.unit_group = unit_group
    plan.unit_apart = [sorted(s) for s in unit_apart]
    # People that pins keep in one group every round: a together-cluster, or everyone
    # pinned to the same group (keys: -1 - group for those, the unit index for clusters).
    together: dict[int, list[int]] = {}
    for u, unit in enumerate(units):
        fixed = unit_group[u]
        if fixed is not None or len(unit) > 1:
            together.setdefault(u if fixed is None else -1 - fixed, []).extend(unit)
    for people in together.values():
        for x, i in enumerate(people):
            for j in people[x + 1 :]:
                plan.forced_pairs += 1
                plan.forced_met_before += j in met[i]
    for u, unit in enumerate(units):
        # Pinned and together-pinned people keep the place the construction gives them.
        if len(unit) > 1 or unit_group[u] is not None:
            for i in unit:
                plan.movable[i] = False
    return plan
