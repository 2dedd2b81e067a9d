"""Cross-municipality grouping engine for the mixed-groups and municipality phases.

Pure code: no Qt, no network, no I/O. Every function is deterministic for a given ``seed``.

Rules, in order of priority:

Hard (never broken)
    Every present participant is in exactly one group; remote and in-room participants never
    share a group; within each attendance mode, group sizes differ by at most one; facilitator
    pins hold (person in a given group, two people together, two people apart); absent people
    are left out.

Soft, lexicographically
    1. Spread organisations: same-organisation pairs inside groups at the lower bound
       (:func:`org_pair_lower_bound`).
    2. Balance roles: in every group the number of elected officials is the floor or ceiling of
       the group's proportional share (group size x elected fraction of its attendance mode).
       Before repeats: a group of only elected (or of no elected) to spare someone a second
       meeting is not what a facilitator wants. On plain rosters every round can be balanced.
    3. New people each round: no pair that met in an earlier round (of this plan or of the
       ``history``) meets again, where possible; otherwise as few repeats as possible.

Group numbering: the groups of a round are listed in-room groups first, then remote groups;
``Pins.in_group`` indices and every returned index refer to that order.

How it works: each round starts from a construction that deals every organisation's members
over consecutive slots of a cyclic group order (which alone reaches the organisation bound),
choosing within each organisation who sits where to balance roles and avoid earlier partners.
A search then exchanges members between groups (or moves one from a larger to a smaller
group) over all rounds of the plan at once, with incremental cost deltas: a descent, then
iterated local search (random kicks, descend again) and simulated annealing, until every
figure is at a lower bound or a fixed evaluation budget is spent; a small mode that misses
a bound gets a few independent attempts. Realistic rosters reach their bounds in the first
descent, in milliseconds.

Many rounds of small groups (the Social Golfer Problem, CSPLib 010) need more: where a mode of
up to a few hundred people still misses its repeat bound, a tabu search on conflict pairs
(:mod:`app.golfer`, after Dotú and Van Hentenryck 2005) takes over, never adding a
same-organisation pair and ranking plans by the priorities above (roles before repeats: the
exchange search, which orders repeats first, reaches both bounds together on realistic rosters,
and where it does not, the tabu search will not leave a group of only elected to spare a
repeat). Where everyone may sit apart from their colleagues it also starts
from, and restarts with, greedy plans that keep people free to meet (Triska and Musliu 2012)
and plans with no repeats from resolvable designs (:mod:`app.designs`). Without a time limit
it runs a fixed number of iterations, so a plan depends only on its input and seed; with one
(``tankesmedja groups --time-limit``) it thinks until the bound is reached or time is up.
:func:`plan_report` says whether the repeats are proven minimal (at the bound, which also
counts partners: nobody can sit with more new people than there are), whether a plan with
none is known for this size, or that the plan is the best found in the time given.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from app.grouping.bounds import (
    _role_bounds,  # noqa: F401 (callers import it from here)
    _role_dev,  # noqa: F401 (callers import it from here)
    even_pairs,
    groups_for_size,
    org_pair_lower_bound,
    split_group_count,
)
from app.grouping.late import (
    _group_mode,  # noqa: F401 (callers import it from here)
    _index_groups,  # noqa: F401 (callers import it from here)
    place_late_joiner,
)
from app.grouping.model import (
    MODE_ORDER,
    Alone,
    GroupExplanation,
    GroupingError,
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
    _build_mode_plan,
    _history_pairs,
    _mode_counts,
    _present,
    _resolve_pins,
)
from app.grouping.report import (
    describe,
    explain,
    metrics,
    plan_metrics,
)
from app.grouping.search import (
    _ATTEMPTS,
    _ATTEMPTS_UP_TO_PEOPLE,
    _DENSE_BUDGET,
    _FINAL_DESCENT,
    _ModePlan,
)
from app.model import Attendance, Role  # noqa: F401 (callers use grouping.Role)

__all__ = [
    "MODE_ORDER",
    "Alone",
    "GroupExplanation",
    "GroupingError",
    "Issue",
    "Member",
    "Metrics",
    "MixedAttendance",
    "OrgAboveEvenShare",
    "KNOWN_ZERO_ROUNDS",
    "OrgBelowEvenShare",
    "PinBroken",
    "Pins",
    "PlanReport",
    "RepeatedPair",
    "RoleOffShare",
    "SizeUnbalanced",
    "describe",
    "even_pairs",
    "explain",
    "groups_for_size",
    "improve_round",
    "make_groups",
    "metrics",
    "org_pair_lower_bound",
    "place_late_joiner",
    "plan_metrics",
    "plan_report",
    "plan_rounds",
    "split_group_count",
]


def _budget(people: int, rounds: int, groups: int) -> int:
    # Evaluations of candidate changes. The search stops as soon as every figure is at its
    # bound, which on realistic rosters happens long before; the cap bounds the time (a few
    # seconds) when a bound cannot be reached. An evaluation walks both groups, so fewer
    # evaluations are allowed when groups are large.
    evaluations = min(40_000 + 1_000 * people * rounds, 400_000)
    return max(2_000, evaluations * 6 // max(6, -(-people // max(1, groups))))


# --------------------------------------------------------------------------------------------
# Public API: planning


@dataclass(frozen=True, slots=True)
class PlanReport:
    """A plan of rounds and how close it is to never letting two people meet twice.

    Attributes:
        rounds: One list per round of groups of ids, as :func:`plan_rounds` returns.
        repeated_pairs: Pairs meeting again (counted once per round in which they meet
            after having met before, in the plan or in the history).
        repeat_bound: No plan with these groups has fewer repeats (pins and history
            included); when ``repeated_pairs`` equals it, the plan is proven minimal.
        known_zero: For a plain social-golfer instance (everyone in their own
            organisation, one attendance mode, equal groups, no history or pins), whether
            the literature knows a plan with no repeats for this size.
        complete: Whether every figure reached its bound (otherwise the search stopped at
            its time or iteration budget with the best plan found).
        iterations: Tabu-search iterations spent (0 where the first search sufficed).
    """

    rounds: list[list[list[str]]]
    repeated_pairs: int
    repeat_bound: int
    known_zero: bool
    complete: bool
    iterations: int = 0

    @property
    def minimal(self) -> bool:
        """Whether no plan can have fewer repeats (the bound is reached)."""
        return self.repeated_pairs <= self.repeat_bound


#: Most rounds known to admit a plan with no repeats, for plain social-golfer instances
#: ``(groups, size)`` (CSPLib 010; Kirkman and nearly Kirkman triple systems, affine
#: planes and geometries, Aguado 2004).
#: Groups of two: ``2 g - 1`` rounds (a round robin), handled apart.
KNOWN_ZERO_ROUNDS: Mapping[tuple[int, int], int] = MappingProxyType(
    {
        (3, 3): 4,
        (4, 3): 4,
        (5, 3): 7,
        (6, 3): 8,
        (7, 3): 10,
        (8, 3): 11,
        (9, 3): 13,
        (4, 4): 5,
        (8, 4): 10,
        (5, 5): 6,
        (7, 7): 8,
        (8, 8): 9,
        (9, 9): 10,
    }
)

# The tabu search (app.golfer) takes over where the exchange search misses the repeat bound,
# on modes of at most this many people (its neighbourhood is evaluated as n x n arrays).
_GOLFER_MAX_PEOPLE = 400
# Without a time limit the tabu search runs at most this many iterations, so that a plan
# depends only on its input and seed (about a second on a 2-core machine at worst).
_GOLFER_ITERATIONS = 6_000
# ... and stops after this many iterations without a better plan (the bound may be out of
# reach: pins, history, or the instance itself).
_GOLFER_PATIENCE = 2_500
# ... or this many for a single round (the console groups one round at a time: at once).
_ONE_ROUND_PATIENCE = 600
# ... and evaluates at most this many exchanges in all (large modes get fewer iterations).
_GOLFER_WORK = 10_000_000
# A mode is dense when everyone would meet at least this share of the others: there the
# exchange search's long annealing is skipped and the tabu search starts at once.
_DENSE_SHARE = 0.5


def _known_zero(present: Sequence[Member], counts: Sequence[int], rounds: int, met: int) -> bool:
    n = len(present)
    k = sum(counts)
    if met or n == 0 or len([c for c in counts if c]) != 1 or n % k:
        return False
    if len({m.organisation for m in present}) != n:
        return False
    size = n // k
    if size == 2:
        return rounds <= 2 * k - 1
    return rounds <= KNOWN_ZERO_ROUNDS.get((k, size), 0)


def plan_report(
    members: Iterable[Member],
    rounds: int,
    *,
    size: int | None = None,
    groups: int | None = None,
    history: Iterable[Sequence[Sequence[str]]] = (),
    pins: Pins | None = None,
    absent: Collection[str] = (),
    seed: int = 0,
    time_limit: float | None = None,
    progress: Callable[[float, int, int], None] | None = None,
) -> PlanReport:
    """Plan rounds as :func:`plan_rounds` does, and report how good the plan is.

    Args:
        members: See :func:`plan_rounds` for these arguments.
        rounds: Number of rounds.
        size: Target group size.
        groups: Number of groups instead of a size.
        history: Earlier rounds.
        pins: Facilitator pins.
        absent: Ids to leave out.
        seed: Seed for the pseudo-random choices.
        time_limit: Seconds the search may think where a bound is not reached at once
            (it stops as soon as every figure is at its bound). None: a fixed iteration
            budget instead, so that the plan depends only on the input and the seed.
        progress: Called about twice a second while the search thinks, with the seconds
            spent, the fewest repeats found so far and the role deviation of that plan (in
            the attendance mode being planned).

    Returns:
        The plan and its report.
    """
    if rounds < 1:
        raise GroupingError("rounds_too_few", rounds=rounds)
    started = time.monotonic()
    deadline = None if time_limit is None else started + time_limit
    present = _present(members, absent)
    counts = _mode_counts(present, size, groups)
    resolved = _resolve_pins(pins, present, counts)
    index = {m.id: i for i, m in enumerate(present)}
    met_before = _history_pairs(history, index)
    plan: list[list[list[str]]] = [[] for _ in range(rounds)]
    offset = 0
    bound = 0
    repeats = 0
    complete = True
    iterations = 0
    for m, mode in enumerate(MODE_ORDER):
        idx = [i for i, p in enumerate(present) if p.attendance == mode]
        k = counts[m]
        if not idx:
            continue
        n = len(idx)
        dense = rounds * (n // k - 1) >= _DENSE_SHARE * (n - 1) and rounds > 1
        golfer = 2 <= k and n <= _GOLFER_MAX_PEOPLE
        # Independent attempts (each from a fresh construction) while a bound is not reached:
        # on small, dense modes the search's luck matters more than its length.
        state: _ModePlan | None = None
        budget = _budget(n, rounds, k)
        attempts = _ATTEMPTS if n <= _ATTEMPTS_UP_TO_PEOPLE else 1
        pure = all(c <= k for c in Counter(present[i].organisation for i in idx).values())
        if dense and golfer and pure and not resolved.group and not resolved.clusters:
            # Greedy plans and designs will start the tabu search: one short attempt here.
            attempts, budget = 1, min(budget, _DENSE_BUDGET)
        for attempt in range(attempts):
            rng = random.Random(f"tankesmedja:{seed}:{mode.value}:{attempt}")
            tried = _build_mode_plan(
                present, idx, k, rounds, met_before, resolved, offset, mode, rng
            )
            for t in range(rounds):
                tried.construct(t)
            tried.improve(budget)
            if state is None or tried.cost() < state.cost():
                state = tried
            if state.cost() <= state.bound():
                break
        assert state is not None
        if golfer and state.cost() > state.bound():
            mode_deadline = deadline
            if deadline is not None:
                # Share the time left with the modes still to plan.
                later = sum(1 for x in range(m + 1, len(MODE_ORDER)) if counts[x])
                now = time.monotonic()
                mode_deadline = now + max(0.0, deadline - now) / (1 + later)
            iterations += _golfer_improve(
                state, seed, mode_deadline, progress, started, repeats, greedy=dense
            )
        for t in range(rounds):
            for g in range(k):
                plan[t].append([present[idx[i]].id for i in sorted(state.members[t][g])])
        offset += k
        bound += state.repeat_bound()
        repeats += state.cost_rep
        complete = complete and state.cost() <= state.bound()
    return PlanReport(
        rounds=plan,
        repeated_pairs=repeats,
        repeat_bound=bound,
        known_zero=not (resolved.group or resolved.clusters or resolved.apart)
        and _known_zero(present, counts, rounds, len(met_before)),
        complete=complete,
        iterations=iterations,
    )


def _golfer_improve(
    state: _ModePlan,
    seed: int,
    deadline: float | None,
    progress: Callable[[float, int, int], None] | None,
    started: float,
    earlier_repeats: int,
    *,
    greedy: bool,
) -> int:
    """Run the tabu search of :mod:`app.golfer` on ``state``; keep its plan if better.

    With ``greedy`` and organisations small enough that nobody need sit with a colleague,
    the search may also restart from greedy plans (Triska and Musliu). Returns the
    iterations spent.
    """
    from app import designs, golfer  # NumPy is imported only where the search needs it

    def ranked() -> tuple[int, int, int]:
        return golfer.rank(state.cost())

    n, k, rounds = state.n, state.k, state.rounds
    history = sorted((i, j) for i in range(n) for j in state.history_partners[i] if i < j)
    apart = sorted({(min(i, j), max(i, j)) for i in range(n) for j in state.apart[i]})
    problem = golfer.GolferProblem(
        groups=[list(row) for row in state.group_of],
        k=k,
        org=state.org,
        elected=state.elected,
        role_lo=state.role_lo,
        role_hi=state.role_hi,
        met_before=history,
        movable=state.movable,
        apart=apart,
        bound=state.repeat_bound(),
    )
    pure = greedy and all(state.movable) and not apart and all(c <= k for c in state.org_size)
    restart = None
    if pure:
        q, r = divmod(n, k)
        has_design = r == 0 and designs.design_plan(k, q, rounds, 0) is not None
        tries = [0]

        def restart(rng: golfer.np.random.Generator) -> list[list[int]] | None:
            # Alternately a greedy plan and, where one applies, a relabelled design whose
            # missing rounds are dealt greedily (counting its pairs as met).
            tries[0] += 1
            if not has_design or tries[0] % 2:
                return golfer.greedy_start(n, k, rounds, history, state.org, rng)
            design = designs.design_plan(k, q, rounds, int(rng.integers(1 << 31)))
            assert design is not None
            met = set(history)
            for row in design:
                for i in range(n):
                    met.update((i, j) for j in range(i + 1, n) if row[j] == row[i])
            more = golfer.greedy_start(n, k, rounds - len(design), sorted(met), state.org, rng)
            return design + more if more is not None else None

        rng = golfer.np.random.default_rng([seed % (1 << 32), 1])
        best_cost = ranked()
        for _ in range(2 if has_design else 1):
            first = restart(rng)
            if first is not None:
                start = dataclasses.replace(problem, groups=first)
                if golfer.rank(golfer.evaluate(start)) < best_cost:
                    problem, best_cost = start, golfer.rank(golfer.evaluate(start))
    report = None
    if progress is not None:

        def report(_iterations: int, cost: tuple[int, int, int]) -> None:
            progress(time.monotonic() - started, earlier_repeats + cost[1], cost[2])

    result = golfer.tabu_search(
        problem,
        seed=seed,
        max_iterations=None if deadline is not None else _GOLFER_ITERATIONS,
        max_work=None if deadline is not None else _GOLFER_WORK,
        patience=None
        if deadline is not None
        else _GOLFER_PATIENCE
        if rounds > 1
        else _ONE_ROUND_PATIENCE,
        deadline=deadline,
        progress=report,
        restart=restart,
    )
    if golfer.rank(result.cost) < ranked():
        state._restore(result.groups)
        if state.cost() > state.bound():
            # The exchange search's moves (one person to a smaller group) and chained role
            # exchanges are not in the tabu search's neighbourhood: a last descent with them,
            # kept only if it does not trade role balance for repeats (the descent ranks
            # repeats first).
            before = ranked()
            kept = [list(row) for row in state.group_of]
            state._descend([i for i in range(n) if state.movable[i]], _FINAL_DESCENT)
            if ranked() > before:
                state._restore(kept)
    return result.iterations


def plan_rounds(
    members: Iterable[Member],
    rounds: int,
    *,
    size: int | None = None,
    groups: int | None = None,
    history: Iterable[Sequence[Sequence[str]]] = (),
    pins: Pins | None = None,
    absent: Collection[str] = (),
    seed: int = 0,
    time_limit: float | None = None,
) -> list[list[list[str]]]:
    """Plan several rounds of mixed groups; each round counts the earlier ones as met.

    The rounds are optimised together: a pair meets again only if that cannot be avoided
    (within the search budget) without more same-organisation pairs.

    Args:
        members: The participants (present ones; see ``absent``).
        rounds: Number of rounds, at least 1.
        size: Target group size (at least 2); per attendance mode, the number of groups is
            the one whose average size is closest to it (see :func:`groups_for_size`).
        groups: Total number of groups instead of a size; split across attendance modes by
            :func:`split_group_count`.
        history: Earlier rounds (of this session or earlier sessions of the series), each a
            list of groups of participant ids; unknown ids are ignored.
        pins: Facilitator pins, which hold in every round.
        absent: Ids to leave out even though they are in ``members``.
        seed: Seed for the pseudo-random choices; the same input and seed give the same plan
            (with a ``time_limit``, only where the plan reaches its bounds).
        time_limit: Seconds the search may think where a bound is not reached at once;
            None: a fixed budget (see :func:`plan_report`).

    Returns:
        One list per round of groups of participant ids, in-room groups first; the ids in a
        group keep the order of ``members``.

    Raises:
        GroupingError: For impossible input (both or neither of size and groups, size < 2,
            contradictory pins, duplicate ids, ...).
    """
    return plan_report(
        members,
        rounds,
        size=size,
        groups=groups,
        history=history,
        pins=pins,
        absent=absent,
        seed=seed,
        time_limit=time_limit,
    ).rounds


def make_groups(
    members: Iterable[Member],
    *,
    size: int | None = None,
    groups: int | None = None,
    history: Iterable[Sequence[Sequence[str]]] = (),
    pins: Pins | None = None,
    absent: Collection[str] = (),
    seed: int = 0,
) -> list[list[str]]:
    """Make one round of mixed groups. See :func:`plan_rounds` for the arguments.

    Returns:
        Groups of participant ids, in-room groups first.
    """
    return plan_rounds(
        members, 1, size=size, groups=groups, history=history, pins=pins, absent=absent, seed=seed
    )[0]


class _Stopped(Exception):
    """Raised from the progress callback to end a search whose result is no longer wanted."""


def _round_cost(
    groups: Sequence[Sequence[str]],
    members: Sequence[Member],
    history: Sequence[Sequence[Sequence[str]]],
) -> tuple[int, int, int]:
    # In the engine's order: organisations, roles, repeats.
    m = metrics(groups, members, history)
    return m.same_org_pairs, m.role_deviation, m.repeated_pairs


def improve_round(
    members: Iterable[Member],
    current: Sequence[Sequence[str]],
    *,
    size: int | None = None,
    groups: int | None = None,
    history: Iterable[Sequence[Sequence[str]]] = (),
    seated: Collection[str] = (),
    seed: int = 0,
    time_limit: float,
    stop: Callable[[], bool] | None = None,
) -> PlanReport | None:
    """Search, for up to ``time_limit`` seconds, for a better round than ``current``.

    The console makes a round at once (:func:`make_groups`) and improves it in the
    background with this. People in ``seated`` keep the group they have in ``current``
    (they have been shown it); only the others may move. A round is better when it has
    fewer same-organisation pairs, then a better role balance, then fewer repeated pairs.

    Args:
        members: The people of ``current`` (as given to :func:`make_groups`).
        current: The round to improve, groups in the order :func:`make_groups` gives
            (in-room groups first); made with the same ``size`` or ``groups``.
        size: Target group size, as given to :func:`make_groups`.
        groups: Number of groups instead of a size.
        history: Earlier rounds.
        seated: Ids that must stay in their group of ``current``.
        seed: Seed for the pseudo-random choices.
        time_limit: Seconds the search may think (it stops as soon as the bounds are reached).
        stop: Asked about twice a second while the search thinks; True ends it (the result
            is then None).

    Returns:
        A report on the better round found, or on ``current`` when none is better (its
        ``repeat_bound`` and ``complete`` say whether a better one can exist); None when
        ``stop`` ended the search.
    """
    people = _present(members)
    earlier = [[list(g) for g in rnd] for rnd in history]
    rows = [list(g) for g in current]
    held = set(seated)
    pins = Pins(
        in_group=MappingProxyType(
            {pid: g for g, group in enumerate(rows) for pid in group if pid in held}
        )
    )

    def progress(_seconds: float, _repeats: int, _roles: int = 0) -> None:
        if stop is not None and stop():
            raise _Stopped

    if stop is not None and stop():
        return None
    try:
        found = plan_report(
            people,
            1,
            size=size,
            groups=groups,
            history=earlier,
            pins=pins,
            seed=seed,
            time_limit=time_limit,
            progress=progress,
        )
    except _Stopped:
        return None
    before = _round_cost(rows, people, earlier)
    after = _round_cost(found.rounds[0], people, earlier)
    moved_seated = any(
        pid not in found.rounds[0][g]
        for pid, g in pins.in_group.items()
        if g < len(found.rounds[0])
    )
    if after < before and not moved_seated and len(found.rounds[0]) == len(rows):
        return found
    return dataclasses.replace(
        found,
        rounds=[rows],
        repeated_pairs=before[2],
        complete=found.complete and after == before,
    )
