"""The grouping engine: hard rules (property-based), bounds, soft rules, late joiners, explain."""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
from collections import Counter
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import grouping
from app.grouping import (
    Alone,
    GroupingError,
    Member,
    Metrics,
    MixedAttendance,
    OrgAboveEvenShare,
    PinBroken,
    Pins,
    RepeatedPair,
    RoleOffShare,
    _ModePlan,
    describe,
    even_pairs,
    explain,
    groups_for_size,
    make_groups,
    metrics,
    org_pair_lower_bound,
    place_late_joiner,
    plan_metrics,
    plan_rounds,
    split_group_count,
)
from app.model import Attendance, Role
from app.sample import FYRBODAL_SIZES

IN, REMOTE = Attendance.IN_ROOM, Attendance.REMOTE
ELECTED, OFFICIAL = Role.ELECTED, Role.OFFICIAL

FYRBODAL = FYRBODAL_SIZES


def roster(
    orgs: dict[str, int], *, elected: float = 0.35, remote: float = 0.0, seed: int = 1
) -> list[Member]:
    rng = random.Random(seed)
    out = []
    for name, n in orgs.items():
        n_elected = round(n * elected)
        for j in range(n):
            out.append(
                Member(
                    f"{name}-{j}",
                    name,
                    ELECTED if j < n_elected else OFFICIAL,
                    REMOTE if rng.random() < remote else IN,
                )
            )
    return out


def by_id(members: Sequence[Member]) -> dict[str, Member]:
    return {m.id: m for m in members}


def check_hard_rules(
    rounds: list[list[list[str]]],
    members: Sequence[Member],
    pins: Pins | None = None,
    absent: frozenset[str] = frozenset(),
) -> None:
    people = by_id(members)
    present = {m.id for m in members} - absent
    for groups in rounds:
        flat = [i for g in groups for i in g]
        assert sorted(flat) == sorted(present), "everyone present exactly once"
        assert all(groups), "no empty groups"
        sizes: dict[Attendance, list[int]] = {}
        modes = []
        for g in groups:
            mode = {people[i].attendance for i in g}
            assert len(mode) == 1, "remote and in-room never share a group"
            modes.append(mode.pop())
            sizes.setdefault(modes[-1], []).append(len(g))
        assert all(max(s) - min(s) <= 1 for s in sizes.values()), sizes
        # In-room groups are listed first.
        assert modes == sorted(modes, key=lambda m: m != IN)
        if pins is None:
            continue
        where = {i: n for n, g in enumerate(groups) for i in g}
        for pid, n in pins.in_group.items():
            if pid in where:
                assert where[pid] == n
        for a, b in pins.together:
            if a in where and b in where:
                assert where[a] == where[b]
        for a, b in pins.apart:
            if a in where and b in where:
                assert where[a] != where[b]


# ------------------------------------------------------------------------------------------
# Bounds


def test_even_pairs_hand_computed() -> None:
    assert even_pairs(7, 3) == 5  # 3 + 2 + 2 -> 3 + 1 + 1
    assert even_pairs(14, 15) == 0
    assert even_pairs(30, 8) == 42  # six groups of 4 (6 pairs), two of 3 (3 pairs)
    assert even_pairs(5, 1) == 10
    assert even_pairs(0, 4) == 0


def test_lower_bound_hand_computed() -> None:
    # Instance (a): 88 people in 15 groups; no organisation has more than 15 people.
    assert org_pair_lower_bound(FYRBODAL.values(), [6] * 13 + [5] * 2) == 0
    # Instance (c): 30 of one organisation over eight groups of 6.
    assert org_pair_lower_bound([30, 5, 5, 4, 4], [6] * 8) == 42
    # 11 people of one organisation in two groups of 6 and 5: 15 + 10.
    assert org_pair_lower_bound([11], [6, 5]) == 25
    # Balanced sizes: the sum of even spreads, 5 as 2 + 2 + 1 twice, 2 as 1 + 1 + 0.
    assert org_pair_lower_bound([5, 5, 2], [4, 4, 4]) == 4


def test_lower_bound_respects_capacities_of_uneven_groups() -> None:
    # Evenly 3 + 3 does not fit a group of 2: each organisation alone needs 4 + 2 (6 + 1).
    assert org_pair_lower_bound([6, 6], [10, 2]) == 14
    # The bound stays valid (the true optimum, 5 + 1 each, is higher: they compete for room).
    assert brute_force_min_pairs([6, 6], [10, 2]) == 20
    assert org_pair_lower_bound([6], [4, 1, 1]) == 6


def test_lower_bound_rejects_sizes_that_do_not_add_up() -> None:
    with pytest.raises(ValueError, match="add up"):
        org_pair_lower_bound([3, 3], [4, 4])


def brute_force_min_pairs(orgs: list[int], sizes: list[int]) -> int:
    """Fewest same-organisation pairs over all count matrices (tiny cases only)."""
    best = None

    def rec(o: int, room: list[int], pairs: int) -> None:
        nonlocal best
        if o == len(orgs):
            best = pairs if best is None else min(best, pairs)
            return
        for counts in itertools.product(*(range(r + 1) for r in room)):
            if sum(counts) == orgs[o]:
                rec(
                    o + 1,
                    [r - c for r, c in zip(room, counts, strict=True)],
                    pairs + sum(c * (c - 1) // 2 for c in counts),
                )

    rec(0, sizes, 0)
    assert best is not None
    return best


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(1, 5), min_size=1, max_size=3),
    st.integers(1, 3),
    st.data(),
)
def test_lower_bound_is_valid_and_exact_for_balanced_sizes(
    orgs: list[int], k: int, data: st.DataObject
) -> None:
    n = sum(orgs)
    q, r = divmod(n, k)
    balanced = [q + 1] * r + [q] * (k - r)
    assert org_pair_lower_bound(orgs, balanced) == brute_force_min_pairs(orgs, balanced)
    # Any sizes: never above the true optimum.
    cuts = sorted(data.draw(st.lists(st.integers(0, n), min_size=k - 1, max_size=k - 1)))
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
    assert org_pair_lower_bound(orgs, sizes) <= brute_force_min_pairs(orgs, sizes)


def test_groups_for_size_and_split() -> None:
    assert groups_for_size(88, 6) == 15
    assert groups_for_size(7, 6) == 1
    assert groups_for_size(8, 6) == 2
    assert groups_for_size(2400, 6) == 400
    assert groups_for_size(1, 6) == 1
    assert split_group_count(15, [66, 22]) == [11, 4]
    assert split_group_count(2, [50, 1]) == [1, 1]
    assert split_group_count(5, [10, 0]) == [5, 0]
    with pytest.raises(GroupingError, match="at least 2"):
        split_group_count(1, [10, 3])
    with pytest.raises(GroupingError, match="only 3"):
        split_group_count(4, [3, 0])


# ------------------------------------------------------------------------------------------
# Hard rules, property-based


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[Member], dict[str, object]]:
    n = draw(st.integers(1, 36))
    n_orgs = draw(st.integers(1, 6))
    members = [
        Member(
            f"p{i}",
            f"org{draw(st.integers(0, n_orgs - 1))}",
            draw(st.sampled_from([ELECTED, OFFICIAL])),
            draw(st.sampled_from([IN, IN, REMOTE])),
        )
        for i in range(n)
    ]
    ids = [m.id for m in members]
    kwargs: dict[str, object] = {}
    if draw(st.booleans()):
        kwargs["size"] = draw(st.integers(2, 8))
    else:
        kwargs["groups"] = draw(st.integers(1, max(1, n // 2)))
    mode = {m.id: m.attendance for m in members}
    # Mostly satisfiable pins (contradictions have their own tests): together within a mode,
    # apart between two different people, in-group to one of the first groups.
    pair = st.tuples(st.sampled_from(ids), st.sampled_from(ids))
    kwargs["pins"] = Pins(
        in_group=draw(st.dictionaries(st.sampled_from(ids), st.integers(0, 2), max_size=2)),
        together=tuple(draw(st.lists(pair.filter(lambda p: mode[p[0]] == mode[p[1]]), max_size=3))),
        apart=tuple(draw(st.lists(pair.filter(lambda p: p[0] != p[1]), max_size=4))),
    )
    kwargs["absent"] = frozenset(draw(st.lists(st.sampled_from(ids), max_size=3)))
    kwargs["seed"] = draw(st.integers(0, 3))
    return members, kwargs


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(instances(), st.integers(1, 3))
def test_hard_rules_hold_or_a_clear_error(
    instance: tuple[list[Member], dict[str, object]], rounds: int
) -> None:
    members, kwargs = instance
    # The search effort does not affect the hard rules; a small budget keeps this test quick.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(grouping, "_budget", lambda people, rounds, groups: 3_000)
        try:
            plan = plan_rounds(members, rounds, **kwargs)  # type: ignore[arg-type]
        except GroupingError as exc:
            assert str(exc) and exc.code
            return
    assert len(plan) == rounds
    check_hard_rules(plan, members, kwargs["pins"], kwargs["absent"])  # type: ignore[arg-type]


def test_pins_hold_in_every_round() -> None:
    members = roster(FYRBODAL)
    pins = Pins(
        in_group={"Uddevalla-0": 3, "Tanum-1": 3},
        together=(("Lysekil-0", "Åmål-2"), ("Åmål-2", "Dals-Ed-4")),
        apart=(("Uddevalla-1", "Trollhättan-1"), ("Lysekil-0", "Tanum-0")),
    )
    plan = plan_rounds(members, 3, size=6, pins=pins, seed=2)
    check_hard_rules(plan, members, pins)


def test_absent_people_are_left_out() -> None:
    members = roster(FYRBODAL)
    gone = frozenset({"Uddevalla-3", "Tanum-0", "Dals-Ed-1"})
    plan = plan_rounds(members, 2, size=6, absent=gone, pins=Pins(in_group={"Tanum-0": 1}))
    check_hard_rules(plan, members, absent=gone)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"size": 1}, "size_too_small"),
        ({}, "no_size_or_groups"),
        ({"size": 6, "groups": 3}, "size_and_groups"),
        ({"groups": 0}, "groups_too_few"),
        ({"groups": 1}, "groups_below_modes"),
        ({"groups": 99}, "groups_above_people"),
        ({"size": 2, "pins": Pins(together=(("a", "r"),))}, "pin_together_modes"),
        ({"size": 2, "pins": Pins(in_group={"a": 9})}, "pin_group_out_of_range"),
        ({"size": 2, "pins": Pins(in_group={"a": 2})}, "pin_group_wrong_mode"),
        (
            {"size": 2, "pins": Pins(together=(("a", "b"),), apart=(("b", "a"),))},
            "pin_together_and_apart",
        ),
        (
            {"size": 2, "pins": Pins(in_group={"a": 0, "b": 1}, together=(("a", "b"),))},
            "pin_together_groups",
        ),
        ({"size": 2, "pins": Pins(in_group={"a": 0, "b": 0, "c": 0})}, "pin_group_overfull"),
        ({"size": 2, "pins": Pins(together=(("a", "b"), ("b", "c")))}, "pin_cluster_too_big"),
        (
            {"size": 2, "pins": Pins(in_group={"a": 0, "b": 0}, apart=(("a", "b"),))},
            "pin_apart_same_group",
        ),
    ],
)
def test_impossible_input_raises_a_clear_error(kwargs: dict[str, object], code: str) -> None:
    members = [
        Member("a", "X", ELECTED, IN),
        Member("b", "Y", OFFICIAL, IN),
        Member("c", "X", OFFICIAL, IN),
        Member("d", "Y", OFFICIAL, IN),
        Member("r", "X", OFFICIAL, REMOTE),
        Member("s", "Y", OFFICIAL, REMOTE),
    ]
    with pytest.raises(GroupingError) as info:
        make_groups(members, **kwargs)  # type: ignore[arg-type]
    assert info.value.code == code
    assert isinstance(info.value, ValueError)
    assert str(info.value)


def test_apart_pins_that_cannot_all_hold() -> None:
    members = [Member(f"p{i}", f"o{i}", OFFICIAL, IN) for i in range(6)]
    # Three groups of two; p0..p3 pairwise apart needs four groups.
    apart = tuple(itertools.combinations(["p0", "p1", "p2", "p3"], 2))
    with pytest.raises(GroupingError) as info:
        make_groups(members, size=2, pins=Pins(apart=apart))
    assert info.value.code == "pins_unsatisfiable"


def test_duplicate_ids_are_rejected() -> None:
    with pytest.raises(GroupingError, match="more than once"):
        make_groups([Member("a", "X", ELECTED, IN)] * 2, size=2)


# ------------------------------------------------------------------------------------------
# Soft rules


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fyrbodal_reaches_every_bound_over_three_rounds(seed: int) -> None:
    members = roster(FYRBODAL, seed=seed)
    plan = plan_rounds(members, 3, size=6, seed=seed)
    check_hard_rules(plan, members)
    m = plan_metrics(plan, members)
    assert m.same_org_pairs == m.org_pair_lower_bound == 0
    assert m.repeated_pairs == 0
    assert m.groups_off_role_share == 0


def test_large_organisation_spread_at_the_bound() -> None:
    members = roster({"Big": 30, "B": 5, "C": 5, "D": 4, "E": 4})
    plan = plan_rounds(members, 3, size=6)
    m = plan_metrics(plan, members)
    assert m.same_org_pairs == m.org_pair_lower_bound == 3 * 42
    assert m.groups_off_role_share == 0
    for groups in plan:
        assert all(3 <= sum(i.startswith("Big-") for i in g) <= 4 for g in groups)


def test_reaches_the_bound_on_a_larger_roster_with_remote_people() -> None:
    rng = random.Random(7)
    orgs = {f"Org{i}": rng.randint(4, 14) for i in range(25)}
    members = roster(orgs, remote=0.3, seed=3)
    plan = plan_rounds(members, 3, size=6, seed=4)
    check_hard_rules(plan, members)
    m = plan_metrics(plan, members)
    assert (m.same_org_pairs, m.repeated_pairs, m.groups_off_role_share) == (
        m.org_pair_lower_bound,
        0,
        0,
    )


def test_history_is_respected() -> None:
    members = roster(FYRBODAL)
    earlier = plan_rounds(members, 2, size=6, seed=11)
    now = make_groups(members, size=6, history=earlier, seed=12)
    m = metrics(now, members, history=earlier)
    assert m.repeated_pairs == 0
    met = {frozenset(p) for r in earlier for g in r for p in itertools.combinations(g, 2)}
    assert not any(frozenset(p) in met for g in now for p in itertools.combinations(g, 2))


def test_history_ids_not_present_are_ignored() -> None:
    members = roster({"A": 3, "B": 3})
    history = [[["A-0", "ghost", "B-0"], ["nobody"]]]
    groups = make_groups(members, size=2, history=history)
    check_hard_rules([groups], members)


def test_repeats_are_minimised_when_unavoidable() -> None:
    # Six people in two groups of three for three rounds: repeats are unavoidable.
    members = [Member(f"p{i}", f"o{i}", OFFICIAL, IN) for i in range(6)]
    plan = plan_rounds(members, 3, size=3)
    # Enumerating all plans shows 5 is the optimum (the engine's simple bound says >= 4).
    assert plan_metrics(plan, members).repeated_pairs == 5


def test_same_seed_same_plan_and_seeds_differ() -> None:
    members = roster(FYRBODAL, remote=0.25)
    assert plan_rounds(members, 2, size=6, seed=5) == plan_rounds(members, 2, size=6, seed=5)
    assert plan_rounds(members, 2, size=6, seed=5) != plan_rounds(members, 2, size=6, seed=6)


def test_groups_given_as_a_count_split_across_modes() -> None:
    members = roster(FYRBODAL, remote=0.25, seed=4)
    groups = make_groups(members, groups=12)
    people = by_id(members)
    modes = Counter(people[g[0]].attendance for g in groups)
    remote = sum(m.attendance == REMOTE for m in members)
    assert modes[IN] + modes[REMOTE] == 12
    assert modes == Counter(
        dict(zip([IN, REMOTE], split_group_count(12, [88 - remote, remote]), strict=True))
    )


def test_a_lone_remote_participant_gets_a_group() -> None:
    members = [*roster({"A": 4, "B": 4}), Member("solo", "A", ELECTED, REMOTE)]
    groups = make_groups(members, size=4)
    assert groups[-1] == ["solo"]
    assert any(isinstance(i, Alone) for i in explain(groups, members)[-1].issues)


def test_predicted_deltas_match_recomputed_costs() -> None:
    rng = random.Random(3)
    n, k, rounds = 30, 6, 2
    orgs = [rng.randrange(5) for _ in range(n)]
    elected = [rng.random() < 0.4 for _ in range(n)]
    met: list[dict[int, int]] = [{} for _ in range(n)]
    for _ in range(20):
        i, j = rng.sample(range(n), 2)
        met[i][j] = met[j][i] = 1
    history = [[[str(i), str(j)]] for i in range(n) for j in met[i] if i < j]
    plan = _ModePlan(orgs, elected, k, rounds, met, rng)
    for t in range(rounds):
        plan.construct(t)
    for _ in range(300):
        t = rng.randrange(rounds)
        a = rng.randrange(n)
        before = plan.cost()
        if rng.random() < 0.7:
            b = rng.randrange(n)
            d = plan.swap_delta(t, a, b)
            if d is None:
                continue
            plan.apply_swap(t, a, b)
        else:
            g = rng.randrange(k)
            d = plan.move_delta(t, a, g)
            if d is None:
                continue
            plan.apply_move(t, a, g)
        assert tuple(x - y for x, y in zip(plan.cost(), before, strict=True)) == d
    # The running totals agree with metrics computed from scratch.
    members = [
        Member(str(i), str(orgs[i]), ELECTED if elected[i] else OFFICIAL, IN) for i in range(n)
    ]
    rounds_ids = [[[str(i) for i in g] for g in plan.members[t]] for t in range(rounds)]
    m = plan_metrics(rounds_ids, members, history)
    assert (m.same_org_pairs, m.repeated_pairs, m.role_deviation) == plan.cost()


# ------------------------------------------------------------------------------------------
# Late joiner


def test_late_joiner_moves_nobody_and_avoids_own_organisation() -> None:
    members = roster(FYRBODAL, remote=0.25)
    groups = make_groups(members, size=6)
    joiner = Member("late", "Uddevalla", ELECTED, IN)
    chosen = place_late_joiner(groups, joiner, members)
    people = by_id(members)
    assert people[groups[chosen][0]].attendance == IN

    def uddevalla(g: list[str]) -> int:
        return sum(people[i].organisation == "Uddevalla" for i in g)

    smallest = min(len(g) for g in groups if people[g[0]].attendance == IN)
    fits = [g for g in groups if people[g[0]].attendance == IN and len(g) == smallest]
    assert len(groups[chosen]) == smallest
    assert uddevalla(groups[chosen]) == min(uddevalla(g) for g in fits)
    after = [list(g) for g in groups]
    after[chosen].append("late")
    check_hard_rules([after], [*members, joiner])  # sizes still within one
    assert [g for n, g in enumerate(after) if n != chosen] == [
        g for n, g in enumerate(groups) if n != chosen
    ]


def test_late_joiner_avoids_people_met_before_and_respects_pins() -> None:
    members = [Member(f"p{i}", f"o{i}", OFFICIAL, IN) for i in range(6)]
    groups = [["p0", "p1"], ["p2", "p3"], ["p4", "p5"]]
    joiner = Member("x", "ox", OFFICIAL, IN)
    history = [[["x", "p0", "p2"]]]
    assert place_late_joiner(groups, joiner, members, history) == 2
    assert place_late_joiner(groups, joiner, members, pins=Pins(together=(("p1", "x"),))) == 0
    assert place_late_joiner(groups, joiner, members, history, Pins(apart=(("x", "p4"),))) in {0, 1}


def test_late_joiner_keeps_sizes_balanced_first_and_may_grow_a_group() -> None:
    members = [Member(f"p{i}", "same", OFFICIAL, IN) for i in range(5)]
    joiner = Member("x", "same", OFFICIAL, IN)
    # The smaller group takes them although it has more of their organisation... all same org.
    assert place_late_joiner([["p0", "p1", "p2"], ["p3", "p4"]], joiner, members) == 1
    # Equal sizes: one group grows one above its size.
    assert place_late_joiner([["p0", "p1"], ["p2", "p3"]], joiner, members[:4]) == 0


def test_late_joiner_without_a_group_of_their_mode_starts_a_new_one() -> None:
    members = [Member(f"p{i}", f"o{i}", OFFICIAL, IN) for i in range(4)]
    groups = [["p0", "p1"], ["p2", "p3"]]
    assert place_late_joiner(groups, Member("r", "o", OFFICIAL, REMOTE), members) == 2


# ------------------------------------------------------------------------------------------
# Explanations and metrics


def test_explain_reports_structured_issues_with_reasons() -> None:
    members = [
        Member("u1", "Uddevalla", ELECTED, IN),
        Member("u2", "Uddevalla", ELECTED, IN),
        Member("t1", "Tanum", OFFICIAL, IN),
        Member("t2", "Tanum", OFFICIAL, IN),
        Member("r1", "Lysekil", OFFICIAL, REMOTE),
    ]
    groups = [["u1", "u2"], ["t1", "t2"], ["r1"]]
    history = [[["t1", "t2"]]]
    out = explain(groups, members, history)
    assert [g.index for g in out] == [0, 1, 2]
    first = out[0]
    assert first.attendance == IN and first.size == 2 and first.elected == 2
    assert first.organisations == (("Uddevalla", 2),)
    codes = {i.code for i in first.issues}
    # Two from Uddevalla where an even spread has one, none from Tanum where it has one.
    assert codes == {"org_pairs_above_bound", "org_below_even_share", "role_off_share"}
    org = next(i for i in first.issues if isinstance(i, OrgAboveEvenShare))
    assert (org.organisation, org.count, org.even_max, org.reason) == (
        "Uddevalla",
        2,
        1,
        "improvable",
    )
    role = next(i for i in first.issues if isinstance(i, RoleOffShare))
    assert (role.elected, role.expected_min, role.expected_max) == (2, 1, 1)
    assert RepeatedPair("t1", "t2", "improvable") in out[1].issues
    assert out[2].issues == (Alone(),)
    # Issues are plain data for the UI: code plus fields.
    assert dataclasses.asdict(org) == {
        "code": "org_pairs_above_bound",
        "organisation": "Uddevalla",
        "count": 2,
        "even_max": 1,
        "reason": "improvable",
    }
    assert all(describe(i) for g in out for i in g.issues)


def test_explain_of_an_engine_plan_has_no_issues_at_the_bound() -> None:
    members = roster(FYRBODAL)
    plan = plan_rounds(members, 2, size=6)
    assert all(not g.issues for g in explain(plan[1], members, history=plan[:1]))


def test_explain_reasons_for_unavoidable_shortfalls() -> None:
    members = [Member(f"p{i}", "same", OFFICIAL, IN) for i in range(3)]
    out = explain([["p0", "p1", "p2"]], members, history=[[["p0", "p1"]]])
    assert RepeatedPair("p0", "p1", "single_group") in out[0].issues
    members = [Member(f"p{i}", f"o{i % 2}", OFFICIAL, IN) for i in range(4)]
    pins = Pins(together=(("p0", "p2"),))
    out = explain([["p0", "p2"], ["p1", "p3"]], members, pins=pins)
    assert {i.reason for g in out for i in g.issues if hasattr(i, "reason")} == {"pinned"}


def test_explain_reports_broken_hard_rules() -> None:
    members = [
        Member("a", "X", OFFICIAL, IN),
        Member("b", "Y", OFFICIAL, REMOTE),
        Member("c", "Z", OFFICIAL, IN),
        Member("d", "W", OFFICIAL, IN),
    ]
    pins = Pins(in_group={"c": 0}, together=(("c", "d"),), apart=(("a", "b"),))
    out = explain([["a", "b"], ["c"], ["d"]], members, pins=pins)
    assert MixedAttendance(1, 1) in out[0].issues
    assert PinBroken("apart", ("a", "b")) in out[0].issues
    assert PinBroken("in_group", ("c",), 0) in out[1].issues
    assert PinBroken("together", ("c", "d")) in out[1].issues
    with pytest.raises(GroupingError, match="unknown"):
        explain([["zz"]], members)


def test_metrics_of_a_hand_made_round() -> None:
    members = [
        Member("a", "X", ELECTED, IN),
        Member("b", "X", OFFICIAL, IN),
        Member("c", "Y", OFFICIAL, IN),
        Member("d", "Y", OFFICIAL, IN),
    ]
    m = metrics([["a", "b"], ["c", "d"]], members, history=[[["c", "d"]]])
    assert m == Metrics(
        same_org_pairs=2,
        org_pair_lower_bound=0,
        repeated_pairs=1,
        groups_off_role_share=0,  # share 0.5 each: 0 or 1 elected is fine
        role_deviation=0,
    )


# ------------------------------------------------------------------------------------------
# Many rounds of small groups: the Social Golfer Problem (CSPLib 010)


def golfers(groups: int, size: int) -> list[Member]:
    return [Member(f"g{i}", f"org {i}", OFFICIAL, IN) for i in range(groups * size)]


def count_repeats(plan: list[list[list[str]]], members: Sequence[Member], size: int) -> int:
    """Check every person sits in exactly one group of ``size`` per round; count pairs met again."""
    ids = sorted(m.id for m in members)
    met: set[tuple[str, str]] = set()
    repeats = 0
    for groups in plan:
        assert sorted(i for g in groups for i in g) == ids
        assert all(len(g) == size for g in groups)
        for g in groups:
            for pair in itertools.combinations(sorted(g), 2):
                repeats += pair in met
                met.add(pair)
    return repeats


@pytest.mark.parametrize(
    ("groups", "size", "rounds"),
    [
        (5, 3, 7),
        (6, 3, 8),
        (7, 3, 10),
        (8, 4, 9),
        (8, 4, 10),
        (4, 4, 5),
        (5, 5, 6),
        (8, 3, 10),
        (8, 3, 11),
        (9, 3, 13),
    ],
)
def test_social_golfer_instances_without_repeats(groups: int, size: int, rounds: int) -> None:
    # Without a time limit the search is deterministic. 8-4-10 (the frontier) needs luck
    # within the default budget of iterations: seed 3 reaches zero there (with a time
    # limit of a minute or two, other seeds do too).
    members = golfers(groups, size)
    seed = 3 if (groups, size, rounds) == (8, 4, 10) else 0
    report = grouping.plan_report(members, rounds, size=size, seed=seed)
    assert count_repeats(report.rounds, members, size) == 0
    assert report.repeated_pairs == 0 and report.minimal and report.complete
    assert report.known_zero


def test_beyond_the_frontier_the_counting_bound_proves_the_minimum() -> None:
    # 15 people in triples for 8 rounds: each meets 16 > 14 others, so at least
    # 15 * 2 / 2 = 15 repeats; a Kirkman schedule plus any eighth round has exactly 15.
    members = golfers(5, 3)
    report = grouping.plan_report(members, 8, size=3)
    assert count_repeats(report.rounds, members, 3) == report.repeated_pairs == 15
    assert report.repeat_bound == 15 and report.minimal and not report.known_zero


def test_the_repeat_bound_counts_history_partners() -> None:
    # Six people in two triples for two rounds; each met two of the other five before.
    # Everyone sits with 2 people per round, 4 in all, but only 3 are new to them: at
    # least 1 repeat each, 6 / 2 = 3 pairs.
    members = golfers(2, 3)
    history = [[["g0", "g1", "g2"], ["g3", "g4", "g5"]]]
    report = grouping.plan_report(members, 2, size=3, history=history)
    assert report.repeat_bound == 3
    m = plan_metrics(report.rounds, members, history)
    assert m.repeated_pairs == report.repeated_pairs >= 3


def test_a_time_limit_gives_the_same_plan_where_the_bound_is_reached() -> None:
    members = golfers(5, 3)
    assert plan_rounds(members, 7, size=3, seed=3, time_limit=60) == plan_rounds(
        members, 7, size=3, seed=3
    )


def test_dense_plans_keep_organisations_roles_and_pins() -> None:
    # 24 people of 6 organisations (4 each), groups of 4 for 5 rounds: the tabu search
    # takes over, and must keep the organisation spread, roles and pins.
    members = roster({f"O{i}": 4 for i in range(6)}, elected=0.5)
    pins = Pins(
        in_group={"O0-0": 2},
        together=(("O1-0", "O2-1"),),
        apart=(("O3-0", "O4-0"), ("O3-1", "O5-2")),
    )
    report = grouping.plan_report(members, 5, size=4, pins=pins, seed=2)
    check_hard_rules(report.rounds, members, pins)
    m = plan_metrics(report.rounds, members)
    assert m.same_org_pairs == m.org_pair_lower_bound == 0
    assert m.repeated_pairs == report.repeated_pairs
    # The together pin meets again in every round after the first: 4 forced repeats.
    assert report.repeat_bound >= 4
    # Roles come before repeats: every group has two elected in every round. That makes the
    # instance tight (each elected must meet each official of the other organisations exactly
    # once). The exchange search alone (repeats first) leaves 9 repeats but 15 groups off
    # their role share; the tabu search, roles first, balances every group at 18 repeats.
    assert m.groups_off_role_share == m.role_deviation == 0
    assert m.repeated_pairs <= 18


def think_tank(seed: int) -> tuple[list[Member], int, int]:
    """A think tank as users run one: 24-30 people of 5-10 municipalities, about a third
    elected, 2-6 rounds of groups of 3-5 (the roster, rounds and size)."""
    rng = random.Random(seed)
    n, orgs = rng.randint(24, 30), rng.randint(5, 10)
    rounds, size = rng.randint(2, 6), rng.choice([3, 4, 5])
    people = random.Random(seed)
    members = []
    for i in range(n):
        org = f"Kommun {people.randrange(orgs)}"
        role = ELECTED if people.random() < 1 / 3 else OFFICIAL
        people.random()  # (a draw for remote attendance, kept so the seeds stay the same)
        members.append(Member(f"p{i}", org, role, IN))
    return members, rounds, size


# Seeds 7, 10, 18 and 21 are dense enough that the tabu search takes over; before it ranked
# roles before repeats they came out with groups of five elected and none, or of four
# officials and no elected, to spare a few repeats. Seeds 0 and 3 reach every bound at once.
@pytest.mark.parametrize("seed", [0, 3, 7, 10, 18, 21])
def test_think_tank_schedules_keep_roles_balanced(seed: int) -> None:
    members, rounds, size = think_tank(seed)
    report = grouping.plan_report(members, rounds, size=size, seed=seed)
    check_hard_rules(report.rounds, members)
    people = by_id(members)
    ids = sorted(people)
    elected = sum(m.role == ELECTED for m in members)
    met: set[tuple[str, str]] = set()
    repeats = 0
    for groups in report.rounds:
        assert sorted(i for g in groups for i in g) == ids, "everyone once per round"
        for g in groups:
            # Role spread: floor or ceiling of the group's share of elected.
            share = len(g) * elected / len(members)
            count = sum(people[i].role == ELECTED for i in g)
            assert math.floor(share) <= count <= math.ceil(share), (g, count, share)
            for pair in itertools.combinations(sorted(g), 2):
                repeats += pair in met
                met.add(pair)
    assert repeats == report.repeated_pairs >= report.repeat_bound
    m = plan_metrics(report.rounds, members)
    assert m.same_org_pairs == m.org_pair_lower_bound
    assert m.role_deviation == m.groups_off_role_share == 0
    if seed in (0, 3):
        assert report.complete and repeats == report.repeat_bound == 0
    else:
        assert report.iterations > 0  # the tabu search ran


@pytest.mark.parametrize("seed", range(10))
def test_quarter_remote_workshop_reaches_every_bound(seed: int) -> None:
    # bench/grouping.py's instance (b): 88 people, about a quarter remote, 3 rounds of 6.
    rng = random.Random(2)
    members = []
    for name, n in FYRBODAL.items():
        for j in range(n):
            role = ELECTED if rng.random() < 0.35 else OFFICIAL
            where = REMOTE if rng.random() < 0.25 else IN
            members.append(Member(f"{name}-{j}", name, role, where))
    report = grouping.plan_report(members, 3, size=6, seed=seed)
    check_hard_rules(report.rounds, members)
    m = plan_metrics(report.rounds, members)
    assert m.same_org_pairs == m.org_pair_lower_bound
    assert m.repeated_pairs == report.repeated_pairs == report.repeat_bound
    assert m.groups_off_role_share == 0
    assert report.complete


def test_tabu_deltas_match_recomputed_costs() -> None:
    np = pytest.importorskip("numpy")
    from app import golfer

    rng = random.Random(1)
    for trial in range(15):
        n, k, w = rng.randint(6, 24), rng.randint(2, 5), rng.randint(1, 4)
        plan = []
        for _t in range(w):
            order = rng.sample(range(n), n)
            row = [0] * n
            for pos, i in enumerate(order):
                row[i] = pos % k
            plan.append(row)
        # Some trials with everyone their own organisation, or one role only (shortcuts).
        orgs = list(range(n)) if trial % 3 == 0 else [rng.randrange(4) for _ in range(n)]
        elected = [trial % 4 == 1 or (trial % 4 > 1 and rng.random() < 0.4) for _ in range(n)]
        ne = sum(elected)
        lo = [s * ne // n for s in range(n + 2)]
        hi = [-(-s * ne // n) for s in range(n + 2)]
        history = [(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.1]

        rules = (k, orgs, elected, lo, hi, history, [True] * n, [], 0)
        state = golfer._State(golfer.GolferProblem(plan, *rules))
        for _step in range(20):
            ts, as_, d_org, d_rep, d_role, valid = state.neighbourhood()
            options = list(zip(*np.nonzero(valid), strict=True))
            if not options:
                break
            i, b = (int(x) for x in rng.choice(options))
            before = state.cost()
            state.swap(int(ts[i]), int(as_[i]), b)
            predicted = (
                before[0] + int(d_org[i, b]),
                before[1] + int(d_rep[i, b]),
                before[2] + int(d_role[i, b]),
            )
            assert state.cost() == predicted
            assert golfer.evaluate(golfer.GolferProblem(state.g.tolist(), *rules)) == predicted
            # The figures agree with the engine's own metrics.
            members = [
                Member(str(x), str(orgs[x]), ELECTED if elected[x] else OFFICIAL, IN)
                for x in range(n)
            ]
            ids = [
                [[str(x) for x in range(n) if row[x] == g] for g in range(k)]
                for row in state.g.tolist()
            ]
            earlier = [[[str(a), str(b)]] for a, b in history]
            m = plan_metrics(ids, members, earlier)
            assert (m.same_org_pairs, m.repeated_pairs, m.role_deviation) == predicted


def test_designs_never_repeat_a_pair() -> None:
    from app import designs

    for (groups, size), stored in designs.STORED.items():
        members = golfers(groups, size)
        plan = [
            [[f"g{i}" for i, x in enumerate(row) if x == g] for g in range(groups)]
            for row in stored
        ]
        assert count_repeats(plan, members, size) == 0
    for groups, size, rounds in [
        (3, 3, 4),
        (4, 4, 5),
        (8, 4, 9),
        (7, 7, 8),
        (9, 3, 13),
        (8, 2, 15),
    ]:
        raw = designs.design_plan(groups, size, rounds, seed=5)
        assert raw is not None and len(raw) == rounds
        plan = [
            [[f"g{i}" for i, x in enumerate(row) if x == g] for g in range(groups)] for row in raw
        ]
        assert count_repeats(plan, golfers(groups, size), size) == 0
    assert designs.subspace_plan(6, 3, 8) is None  # 18 is no prime power
    # A partial spread of lines in PG(4, 2) has at most 9 lines: 8-4-10 gets 9 rounds.
    assert len(designs.subspace_plan(8, 4, 10) or []) == 9


def test_the_repeat_bound_counts_colleagues_kept_apart() -> None:
    # Three organisations of three in triples: at the organisation bound every group has one
    # of each, so nobody ever sits with a colleague and has 6 possible partners. Three rounds
    # (a Latin-square schedule) meet them all; a fourth adds 2 repeats per person, 9 pairs.
    members = [Member(f"{o}{j}", o, OFFICIAL, IN) for o in "ABC" for j in range(3)]
    report = grouping.plan_report(members, 4, size=3)
    m = plan_metrics(report.rounds, members)
    assert m.same_org_pairs == m.org_pair_lower_bound == 0
    assert report.repeat_bound == 9
    assert m.repeated_pairs == report.repeated_pairs == 9 and report.minimal
    three = grouping.plan_report(members, 3, size=3)
    assert three.repeated_pairs == three.repeat_bound == 0


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(instances(), st.integers(4, 8), st.booleans())
def test_dense_plans_keep_the_hard_rules_and_report_true_figures(
    instance: tuple[list[Member], dict[str, object]], rounds: int, with_history: bool
) -> None:
    # Many rounds of the property-based instances: the tabu search (and, where everyone may
    # sit apart from colleagues, greedy plans and designs) runs on most of them.
    members, kwargs = instance
    history = []
    if with_history and len(members) > 3:
        ids = [m.id for m in members]
        history = [[ids[i::3] for i in range(3)]]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(grouping, "_budget", lambda people, rounds, groups: 3_000)
        patch.setattr(grouping, "_GOLFER_ITERATIONS", 300)
        try:
            report = grouping.plan_report(
                members,
                rounds,
                history=history,
                **kwargs,  # type: ignore[arg-type]
            )
        except GroupingError as exc:
            assert str(exc) and exc.code
            return
    check_hard_rules(report.rounds, members, kwargs["pins"], kwargs["absent"])  # type: ignore[arg-type]
    present = [m for m in members if m.id not in kwargs["absent"]]  # type: ignore[operator]
    m = plan_metrics(report.rounds, present, history)
    assert m.repeated_pairs == report.repeated_pairs >= report.repeat_bound
    assert report.minimal == (report.repeated_pairs <= report.repeat_bound)
