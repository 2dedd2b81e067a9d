"""Benchmark of the grouping engine (prints a table; not a timed test).

Run: ``python bench/grouping.py [--cp-instances 20] [--cp-seconds 20] [--skip-cp]
[--search-alone] [--find G-S-W]``.

Part 1 plans 3 rounds of groups of 6 for four rosters and compares the engine with a random
shuffle into balanced groups (what a video tool's automatic breakout assignment does; done
per attendance mode, so that it too keeps remote and in-room people apart):

(a) 88 people in the 11 Fyrbodal organisations, about 35 % elected;
(b) the same with about a quarter remote;
(c) 48 people, one organisation with 30 of them;
(d) about 2 400 people in 49 organisations.

For each: same-organisation pairs against their lower bound (exact for balanced sizes),
repeated pairs against a simple lower bound (every round after the first, a group of s people
drawn from the first round's k groups holds at least even_pairs(s, k) pairs that met then),
groups whose elected count is outside their share (bound 0), and wall time.

Part 2 compares the engine with an exact optimum from a CP-SAT model (needs ``ortools``, the
``bench`` extra) on random small instances (10 to 30 people, 3 rounds), lexicographically on
(same-organisation pairs, repeated pairs, role deviation) over the whole plan. There the
exact optimum *is* the repeat lower bound: an instance counts as matched when the engine's
figures equal the proven optimum (proven by CP-SAT, or by the engine reaching its own lower
bounds, which CP-SAT's best then cannot beat). Instances neither proves within the time limit
are reported apart (with the engine equal to, better or worse than CP-SAT's best).

Part 3 is the Social Golfer Problem (CSPLib 010): g groups of s people for w rounds, everyone
in their own organisation, planned as ``tankesmedja groups --size s --rounds w`` would (default
time limit 10 s; 60 s for 8-4-9 and 120 s for 8-4-10), beside the best known results from the
literature, with the repeated pairs, the engine's lower bound and the time. ``--search-alone``
adds the tabu search's figures without the designs (subspace cosets, the stored 6-3-8 plan)
as a start, and a CP-SAT comparison on the small instances (with ``ortools``).
``--find G-S-W`` runs the search with greedy restarts until it finds a plan with no repeats
and prints it (how the stored 5-3-7 and 6-3-8 plans in ``app/designs.py`` were found);
``--find-cyclic 7`` searches a Z_7 difference pattern for 21 people in triples over 10 rounds
(how the stored 7-3-10 plan was found); ``--find-two-fixed 11`` develops one round of
24 people (two of them fixed) over ``Z_11`` into 11 rounds (how the stored 8-3-11 plan was
found).
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.grouping import (  # noqa: E402
    MODE_ORDER,
    Member,
    _role_bounds,  # noqa: E402
    even_pairs,
    groups_for_size,
    plan_metrics,
    plan_rounds,
)
from app.model import Role  # noqa: E402
from app.sample import FYRBODAL_SIZES  # noqa: E402

FYRBODAL = FYRBODAL_SIZES
SIZE = 6
ROUNDS = 3
SEEDS = 10


def roster(orgs: dict[str, int], *, remote: float = 0.0, seed: int = 1) -> list[Member]:
    """People of each organisation, about 35 % elected, some remote at random."""
    rng = random.Random(seed)
    out = []
    for name, n in orgs.items():
        for j in range(n):
            role = Role.ELECTED if rng.random() < 0.35 else Role.OFFICIAL
            where = MODE_ORDER[1] if rng.random() < remote else MODE_ORDER[0]
            out.append(Member(f"{name}-{j}", name, role, where))
    return out


def instance_d() -> list[Member]:
    rng = random.Random(49)
    weights = [rng.randint(15, 90) for _ in range(49)]
    sizes = [max(5, round(w * 2400 / sum(weights))) for w in weights]
    return roster({f"Kommun {i + 1}": n for i, n in enumerate(sizes)}, remote=0.1, seed=4)


INSTANCES: dict[str, Callable[[], list[Member]]] = {
    "(a) Fyrbodal": lambda: roster(FYRBODAL),
    "(b) + remote": lambda: roster(FYRBODAL, remote=0.25, seed=2),
    "(c) one org 30/48": lambda: roster({"Uddevalla": 30, "Tanum": 6, "Lysekil": 6, "Åmål": 6}),
    "(d) 49 orgs": instance_d,
}


def random_plan(members: Sequence[Member], rounds: int, size: int, seed: int) -> list:
    """Shuffle each mode into balanced groups, independently each round."""
    rng = random.Random(seed)
    plan = []
    for _ in range(rounds):
        groups = []
        for mode in MODE_ORDER:
            ids = [m.id for m in members if m.attendance == mode]
            if not ids:
                continue
            rng.shuffle(ids)
            k = groups_for_size(len(ids), size)
            groups += [ids[g::k] for g in range(k)]
        plan.append(groups)
    return plan


def repeat_bound(members: Sequence[Member], rounds: int, size: int) -> int:
    total = 0
    for mode in MODE_ORDER:
        n = sum(m.attendance == mode for m in members)
        if n:
            k = groups_for_size(n, size)
            q, r = divmod(n, k)
            total += (rounds - 1) * (r * even_pairs(q + 1, k) + (k - r) * even_pairs(q, k))
    return total


def part1() -> None:
    header = (
        f"{'instance':<19}{'people':>7}{'groups':>7}  {'method':<15}"
        f"{'org pairs (bound)':>18}{'repeats (bound)':>17}{'off-share (0)':>14}{'time':>9}"
    )
    print(header)
    print("-" * len(header))
    for name, make in INSTANCES.items():
        members = make()
        t0 = time.perf_counter()
        plan = plan_rounds(members, ROUNDS, size=SIZE, seed=0)
        elapsed = time.perf_counter() - t0
        shuffled = random_plan(members, ROUNDS, SIZE, seed=0)
        bound = repeat_bound(members, ROUNDS, SIZE)
        for method, p, secs in (("engine", plan, elapsed), ("random shuffle", shuffled, None)):
            m = plan_metrics(p, members)
            shown = f"{secs:.3f} s" if secs is not None else "-"
            print(
                f"{name if method == 'engine' else '':<19}"
                f"{len(members) if method == 'engine' else '':>7}"
                f"{len(p[0]) if method == 'engine' else '':>7}  {method:<15}"
                f"{f'{m.same_org_pairs} ({m.org_pair_lower_bound})':>18}"
                f"{f'{m.repeated_pairs} ({bound})':>17}"
                f"{m.groups_off_role_share:>14}{shown:>9}"
            )
    print(
        "figures summed over 3 rounds of target size 6; org bound exact for balanced sizes;"
        " repeat bound: see the module docstring"
    )
    print(f"\nrobustness: seeds 0-{SEEDS - 1} whose plan has all three figures at their bounds")
    for name, make in INSTANCES.items():
        members = make()
        bound = repeat_bound(members, ROUNDS, SIZE)
        hits = 0
        slowest = 0.0
        for seed in range(SEEDS):
            t0 = time.perf_counter()
            m = plan_metrics(plan_rounds(members, ROUNDS, size=SIZE, seed=seed), members)
            slowest = max(slowest, time.perf_counter() - t0)
            hits += (m.same_org_pairs, m.repeated_pairs, m.groups_off_role_share) == (
                m.org_pair_lower_bound,
                bound,
                0,
            )
        print(f"  {name:<19}{hits:>3} of {SEEDS}   slowest {slowest:.3f} s")


# ------------------------------------------------------------------------------------------
# Part 2: exact optimum with CP-SAT


def exact(members: Sequence[Member], rounds: int, size: int, seconds: float) -> tuple:
    """Return ((org pairs, repeats, role deviation), proven optimal?) of the best plan found.

    Same group counts and balanced sizes as the engine. By the theorem documented in
    ``org_pair_lower_bound``, same-organisation pairs are at their minimum exactly when every
    organisation's count in every group is the floor or ceiling of an even spread; that is a
    constraint here, and the solver minimises repeats * W + role deviation (W larger than
    any role deviation), which is the lexicographic order.
    """
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    rep_terms: list = []
    role_terms: list = []
    org_pairs = 0
    for mode in MODE_ORDER:
        idx = [i for i, m in enumerate(members) if m.attendance == mode]
        if not idx:
            continue
        n = len(idx)
        k = groups_for_size(n, size)
        q, r = divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
        n_elected = sum(members[i].role == Role.ELECTED for i in idx)
        orgs = sorted({members[i].organisation for i in idx})
        org_n = {o: sum(members[i].organisation == o for i in idx) for o in orgs}
        org_pairs += rounds * sum(even_pairs(c, k) for c in org_n.values())
        x = {(i, g, t): model.NewBoolVar("") for i in idx for g in range(k) for t in range(rounds)}
        for t in range(rounds):
            for i in idx:
                model.AddExactlyOne(x[i, g, t] for g in range(k))
            # Groups of one size are interchangeable: anchor the first person.
            for g in range(k):
                if g not in {0, r}:
                    model.Add(x[idx[0], g, t] == 0)
            for g in range(k):
                model.Add(sum(x[i, g, t] for i in idx) == sizes[g])
                lo, hi = _role_bounds(sizes[g], n_elected, n)
                e = sum(x[i, g, t] for i in idx if members[i].role == Role.ELECTED)
                dev = model.NewIntVar(0, sizes[g], "")
                model.Add(dev >= lo - e)
                model.Add(dev >= e - hi)
                role_terms.append(dev)
                for o in orgs:
                    c = sum(x[i, g, t] for i in idx if members[i].organisation == o)
                    model.Add(c >= org_n[o] // k)
                    model.Add(c <= -(-org_n[o] // k))
        # People of one organisation and role are interchangeable: sort their first round.
        last: dict = {}
        for i in idx[1:]:
            key = (members[i].organisation, members[i].role)
            if key in last:
                j = last[key]
                model.Add(
                    sum(g * x[j, g, 0] for g in range(k)) <= sum(g * x[i, g, 0] for g in range(k))
                )
            last[key] = i
        meet: dict = {}
        for a, b in itertools.combinations(idx, 2):
            for t in range(rounds):
                v = model.NewBoolVar("")
                for g in range(k):
                    model.AddBoolOr([x[a, g, t].Not(), x[b, g, t].Not(), v])
                    model.AddImplication(x[a, g, t], x[b, g, t]).OnlyEnforceIf(v)
                meet[a, b, t] = meet[b, a, t] = v
            for t in range(1, rounds):
                rep = model.NewBoolVar("")
                for s in range(t):
                    model.AddBoolOr([meet[a, b, t].Not(), meet[a, b, s].Not(), rep])
                model.AddImplication(rep, meet[a, b, t])
                rep_terms.append(rep)
        for t in range(rounds):
            for a in idx:
                model.Add(
                    sum(meet[a, b, t] for b in idx if b != a)
                    == sum((sizes[g] - 1) * x[a, g, t] for g in range(k))
                )
    weight = rounds * len(members) + 1  # above any total role deviation
    model.Minimize(weight * sum(rep_terms) + sum(role_terms))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 8
    status = solver.Solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, False
    reps = sum(solver.Value(v) for v in rep_terms)
    role = sum(solver.Value(v) for v in role_terms)
    return (org_pairs, reps, role), status == cp_model.OPTIMAL


def small_instance(seed: int) -> tuple[list[Member], int]:
    rng = random.Random(seed)
    n = rng.randint(10, 30)
    n_orgs = rng.randint(2, 6)
    weights = [rng.random() + 0.2 for _ in range(n_orgs)]
    members = []
    for i in range(n):
        org = rng.choices(range(n_orgs), weights)[0]
        members.append(
            Member(
                f"p{i}",
                f"org{org}",
                Role.ELECTED if rng.random() < 0.35 else Role.OFFICIAL,
                MODE_ORDER[1] if rng.random() < 0.2 else MODE_ORDER[0],
            )
        )
    return members, rng.choice([3, 4, 5])


def part2(count: int, seconds: float) -> None:
    try:
        import ortools  # noqa: F401
    except ImportError:
        print("\nCP-SAT comparison skipped: ortools is not installed (pip install '.[bench]').")
        return
    print(
        f"\nCP-SAT comparison: {count} random instances, 10-30 people, 3 rounds,"
        f" {seconds:g} s per instance; (org pairs, repeats, role deviation)"
    )
    print(f"{'#':>3}{'people':>7}{'size':>5}  {'engine':<14}{'engine s':>9}  {'CP-SAT':<14}result")
    tally = {
        "matched": 0,
        "worse": 0,
        "unproven-equal": 0,
        "unproven-better": 0,
        "unproven-worse": 0,
    }
    for seed in range(count):
        members, size = small_instance(seed)
        t0 = time.perf_counter()
        plan = plan_rounds(members, 3, size=size, seed=0)
        elapsed = time.perf_counter() - t0
        m = plan_metrics(plan, members)
        mine = (m.same_org_pairs, m.repeated_pairs, m.role_deviation)
        best, proven = exact(members, 3, size, seconds)
        # The engine's own lower bounds prove optimality too, where it reaches them.
        at_bound = mine == (m.org_pair_lower_bound, repeat_bound(members, 3, size), 0)
        if proven:
            result = "matched" if mine == best else "worse"
        elif at_bound:
            result = "matched (engine at its bound)"
        elif best is None or mine < best:
            result = "unproven-better"
        else:
            result = "unproven-equal" if mine == best else "unproven-worse"
        tally[result.split()[0]] += 1
        shown = f"{best}{'' if proven else ' ?'}"
        print(
            f"{seed:>3}{len(members):>7}{size:>5}  {str(mine):<14}{elapsed:>8.3f}s"
            f"  {shown:<14}{result}",
            flush=True,
        )
    proven_n = tally["matched"] + tally["worse"]
    print(
        f"matched the proven optimum on {tally['matched']} of {proven_n} instances with a proven"
        f" optimum; of the other {count - proven_n}: engine equal to CP-SAT's best"
        f" on {tally['unproven-equal']}, better on {tally['unproven-better']}, worse on"
        f" {tally['unproven-worse']}"
    )


# ------------------------------------------------------------------------------------------
# Part 3: the Social Golfer Problem (CSPLib 010)

# (groups, size, rounds, best known repeats, where it is from, time limit in seconds)
GOLFERS: list[tuple[int, int, int, int, str, float]] = [
    (3, 3, 4, 0, "affine plane AG(2,3)", 10.0),
    (4, 3, 4, 0, "CSPLib", 10.0),
    (5, 3, 7, 0, "Kirkman 1850", 10.0),
    (5, 3, 8, 15, "counting bound", 10.0),
    (6, 3, 8, 0, "NKTS(18)", 10.0),
    (7, 3, 10, 0, "KTS(21)", 10.0),
    (8, 3, 10, 0, "CSPLib", 10.0),
    (8, 3, 11, 0, "NKTS(24)", 10.0),
    (9, 3, 13, 0, "AG(3,3), KTS(27)", 10.0),
    (4, 4, 5, 0, "affine plane AG(2,4)", 10.0),
    (8, 4, 9, 0, "CSPLib", 60.0),
    (8, 4, 10, 0, "Aguado 2004", 120.0),
    (5, 5, 6, 0, "affine plane AG(2,5)", 10.0),
    (7, 7, 8, 0, "affine plane AG(2,7)", 10.0),
    (8, 8, 9, 0, "affine plane AG(2,8)", 10.0),
]


def golfers(groups: int, size: int) -> list[Member]:
    return [Member(f"g{i}", f"org {i}", Role.OFFICIAL, MODE_ORDER[0]) for i in range(groups * size)]


def check_golfer_plan(plan: list, members: Sequence[Member], size: int) -> int:
    """Check every person is in exactly one group per round; return pairs met again."""
    ids = sorted(m.id for m in members)
    met: set = set()
    repeats = 0
    for round_groups in plan:
        assert sorted(i for g in round_groups for i in g) == ids
        assert all(len(g) == size for g in round_groups)
        for g in round_groups:
            for pair in itertools.combinations(sorted(g), 2):
                repeats += pair in met
                met.add(pair)
    return repeats


def part3(search_alone: bool, cp_seconds: float) -> None:
    from app import designs
    from app.grouping import plan_report

    print("\nSocial Golfer Problem (CSPLib 010): g groups of s for w rounds, each their own org")
    print(
        f"{'g-s-w':<8}{'people':>7}  {'known':>6} {'source':<22}{'limit':>6}"
        f"{'repeats':>9}{'bound':>7}  {'status':<11}{'time':>9}"
    )
    for g, s, w, known, source, limit in GOLFERS:
        members = golfers(g, s)
        t0 = time.perf_counter()
        report = plan_report(members, w, size=s, seed=0, time_limit=limit)
        elapsed = time.perf_counter() - t0
        repeats = check_golfer_plan(report.rounds, members, s)
        assert repeats == report.repeated_pairs
        status = "minimal" if report.minimal else "best found"
        print(
            f"{g}-{s}-{w:<4}{g * s:>7}  {known:>6} {source:<22}{limit:>5g}s"
            f"{repeats:>9}{report.repeat_bound:>7}  {status:<11}{elapsed:>8.2f}s",
            flush=True,
        )
    if not search_alone:
        return
    print("\nthe tabu search alone (no design as a start), seeds 0-2:")
    saved = designs.design_plan
    designs.design_plan = lambda *args, **kwargs: None  # type: ignore[assignment]
    try:
        for g, s, w, _known, _source, limit in GOLFERS:
            if (g, s, w) not in {(5, 3, 7), (6, 3, 8), (8, 4, 9), (8, 4, 10), (7, 3, 10)}:
                continue
            members = golfers(g, s)
            for seed in range(3):
                t0 = time.perf_counter()
                report = plan_report(members, w, size=s, seed=seed, time_limit=limit)
                elapsed = time.perf_counter() - t0
                print(
                    f"  {g}-{s}-{w:<4} seed {seed}: {report.repeated_pairs} repeats,"
                    f" {report.iterations} iterations, {elapsed:.2f} s (limit {limit:g} s)",
                    flush=True,
                )
    finally:
        designs.design_plan = saved
    try:
        import ortools  # noqa: F401
    except ImportError:
        print("CP-SAT comparison skipped: ortools is not installed (pip install '.[bench]').")
        return
    print(f"\nCP-SAT on the small instances ({cp_seconds:g} s each): repeats, proven, time")
    for g, s, w in ((3, 3, 4), (4, 3, 4), (4, 4, 5), (5, 3, 7), (6, 3, 8)):
        members = golfers(g, s)
        t0 = time.perf_counter()
        best, proven = exact(members, w, s, cp_seconds)
        elapsed = time.perf_counter() - t0
        reps = best[1] if best is not None else "none"
        print(f"  {g}-{s}-{w:<4} CP-SAT {reps} repeats, proven {proven}, {elapsed:.2f} s")


def find(spec: str) -> None:
    """Run the tabu search with greedy restarts until a plan has no repeats; print it."""
    import numpy as np

    from app import golfer

    g, s, w = (int(x) for x in spec.split("-"))
    n = g * s
    orgs = list(range(n))

    def restart(rng: np.random.Generator) -> list[list[int]] | None:
        return golfer.greedy_start(n, g, w, [], orgs, rng)

    for seed in itertools.count(100):
        start = restart(np.random.default_rng(seed))
        assert start is not None
        problem = golfer.GolferProblem(
            start, g, orgs, [False] * n, [0] * (n + 2), [0] * (n + 2), [], [True] * n, [], 0
        )
        t0 = time.perf_counter()
        result = golfer.tabu_search(
            problem, seed=seed, max_iterations=None, deadline=time.monotonic() + 60, restart=restart
        )
        elapsed = time.perf_counter() - t0
        print(f"seed {seed}: {result.cost[1]} repeats, {elapsed:.1f} s", flush=True)
        if result.cost[1] == 0:
            print(tuple(tuple(row) for row in result.groups))
            return


def find_cyclic(q: int) -> None:
    """Search 3q people in triples for (3q - 1) / 2 rounds with a Z_q difference pattern.

    People are ``Z_q x {0, 1, 2}`` (person ``q L + x``). A base round holds one triple
    ``{a, a+1, a+3}`` (or ``{a, a+2, a+3}``) in each level and ``q - 3`` triples across the
    levels; its ``q`` shifts are rounds, and three more rounds are triples
    ``{(s, 0), (s + b, 1), (s + c, 2)}``. Exhaustive over such patterns; prints the first
    plan with no repeats (how the stored 7-3-10 plan in ``app/designs.py`` was found).
    """
    cross = q - 3

    def point(x: int, level: int) -> int:
        return q * level + x % q

    for a1, a2 in itertools.product(range(q), repeat=2):
        for flips in itertools.product((1, 2), repeat=3):
            starts = (0, a1, a2)
            pure = [[point(a + d, lv) for d in (0, flips[lv], 3)] for lv, a in enumerate(starts)]
            rest = [
                sorted(set(range(q)) - {(a + d) % q for d in (0, flips[lv], 3)})
                for lv, a in enumerate(starts)
            ]
            for p1 in itertools.permutations(rest[1]):
                d01 = [(p1[i] - rest[0][i]) % q for i in range(cross)]
                if len(set(d01)) < cross:
                    continue
                for p2 in itertools.permutations(rest[2]):
                    d02 = [(p2[i] - rest[0][i]) % q for i in range(cross)]
                    d12 = [(p2[i] - p1[i]) % q for i in range(cross)]
                    if len(set(d02)) < cross or len(set(d12)) < cross:
                        continue
                    r01 = sorted(set(range(q)) - set(d01))
                    r12 = sorted(set(range(q)) - set(d12))
                    for cs in itertools.permutations(sorted(set(range(q)) - set(d02))):
                        if sorted((c - b) % q for b, c in zip(r01, cs, strict=True)) != r12:
                            continue
                        base = pure + [
                            [point(rest[0][i], 0), point(p1[i], 1), point(p2[i], 2)]
                            for i in range(cross)
                        ]
                        rounds = [
                            [[point(x % q + s, x // q) for x in t] for t in base] for s in range(q)
                        ]
                        rounds += [
                            [[point(s, 0), point(b + s, 1), point(c + s, 2)] for s in range(q)]
                            for b, c in zip(r01, cs, strict=True)
                        ]
                        plan = [[[f"g{x}" for x in t] for t in r] for r in rounds]
                        if check_golfer_plan(plan, golfers(q, 3), 3) == 0:
                            rows = []
                            for r in rounds:
                                row = [0] * (3 * q)
                                for g, t in enumerate(r):
                                    for x in t:
                                        row[x] = g
                                rows.append(tuple(row))
                            print(tuple(rows))
                            return
    print("no plan of this pattern")


def find_two_fixed(q: int) -> None:
    """Search ``2q + 2`` people in triples for ``q`` rounds (``q`` odd) by developing one round.

    People are ``Z_q x {0, 1}`` (person ``q L + x``) and two fixed people ``2q`` and ``2q + 1``,
    each in a triple with one person of each level. The base round's ``q`` shifts are the
    rounds: no pair meets twice when every within-level difference class ``+-d`` and every
    across-level difference occurs at most once in the base round. A depth-first search
    prints the first such plan (how the stored 8-3-11 plan in ``app/designs.py`` was found).
    """
    fixed = (2 * q, 2 * q + 1)

    def point(x: int, level: int) -> int:
        return q * level + x % q

    def cls(d: int) -> int:
        return min(d % q, -d % q)

    def fill(
        free: tuple[frozenset[int], frozenset[int]],
        pure: tuple[frozenset[int], frozenset[int]],
        across: frozenset[int],
    ) -> list[list[tuple[int, int]]] | None:
        if not free[0] and not free[1]:
            return []
        level = 0 if free[0] else 1
        first = (min(free[level]), level)
        others = [(x, lv) for lv in (0, 1) for x in sorted(free[lv]) if (x, lv) != first]
        for second, third in itertools.combinations(others, 2):
            triple = (first, second, third)
            new_pure = [set(pure[0]), set(pure[1])]
            new_across = set(across)
            ok = True
            for (u, lu), (v, lv) in itertools.combinations(triple, 2):
                seen, d = (
                    (new_pure[lu], cls(u - v))
                    if lu == lv
                    else (new_across, (v - u) % q if lu == 0 else (u - v) % q)
                )
                if d in seen:
                    ok = False
                    break
                seen.add(d)
            if not ok:
                continue
            left = tuple(free[lv] - {x for x, l2 in triple if l2 == lv} for lv in (0, 1))
            rest = fill(
                (left[0], left[1]),
                (frozenset(new_pure[0]), frozenset(new_pure[1])),
                frozenset(new_across),
            )
            if rest is not None:
                return [list(triple), *rest]
        return None

    everyone = frozenset(range(q))
    for b, c, e in itertools.product(range(q), range(1, q), range(q)):
        if e == b or b == (e - c) % q:
            continue
        rest = fill(
            (everyone - {0, c}, everyone - {b, e}),
            (frozenset(), frozenset()),
            frozenset({b, (e - c) % q}),
        )
        if rest is None:
            continue
        base = [[fixed[0], point(0, 0), point(b, 1)], [fixed[1], point(c, 0), point(e, 1)]]
        base += [[point(x, lv) for x, lv in t] for t in rest]
        rows = []
        for s in range(q):
            row = [0] * (2 * q + 2)
            for g, t in enumerate(base):
                for x in t:
                    row[x if x in fixed else point(x % q + s, x // q)] = g
            rows.append(tuple(row))
        plan = [
            [[f"g{i}" for i, x in enumerate(r) if x == g] for g in range(len(base))] for r in rows
        ]
        if check_golfer_plan(plan, golfers(len(base), 3), 3) == 0:
            print(tuple(rows))
            return
    print("no plan of this pattern")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cp-instances", type=int, default=20)
    parser.add_argument("--cp-seconds", type=float, default=20.0)
    parser.add_argument("--skip-cp", action="store_true")
    parser.add_argument("--search-alone", action="store_true")
    parser.add_argument("--find", metavar="G-S-W")
    parser.add_argument("--find-cyclic", type=int, metavar="Q")
    parser.add_argument("--find-two-fixed", type=int, metavar="Q")
    args = parser.parse_args(argv)
    if args.find_two_fixed:
        find_two_fixed(args.find_two_fixed)
        return 0
    if args.find_cyclic:
        find_cyclic(args.find_cyclic)
        return 0
    if args.find:
        find(args.find)
        return 0
    part1()
    if not args.skip_cp:
        part2(args.cp_instances, args.cp_seconds)
    part3(args.search_alone, args.cp_seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
