"""Plans in which nobody meets twice, from resolvable designs (pure code, no I/O).

Where the number of people is a prime power ``p**m`` and the group size a power ``p**d``,
the people are the vectors of ``GF(p)**m`` and each round is the set of cosets of one
``d``-dimensional subspace: ``x`` and ``y`` share a group in the round of ``V`` exactly when
``x - y`` lies in ``V``. Rounds whose subspaces meet only in zero (a partial spread) never
repeat a pair. This gives the affine planes (``p``-``p``-``p+1``, e.g. 5-5-6, 7-7-8), the
affine geometries (9-3-13, the Kirkman triple system on 27 points) and partial spreads such
as nine lines of ``PG(4, 2)`` (8-4-9). The subspaces are found by a short depth-first search.

A few instances without such a structure are stored: ``STORED`` holds plans found once, by
the engine's own tabu search (``bench/grouping.py --find``) or a small search over cyclic
difference patterns; ``tests/test_grouping.py`` checks every stored plan.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["STORED", "design_plan", "subspace_plan"]

#: Largest number of people for which subspaces are enumerated.
_MAX_PEOPLE = 256
#: Nodes of the depth-first search for disjoint subspaces.
_SEARCH_NODES = 20_000

#: Plans found once and kept: ``(groups, size) -> groups[t][person]``.
#: 5-3-7 (Kirkman's 15 schoolgirls, a Kirkman triple system): ``--find 5-3-7``, seed 100,
#: 0.1 s; the search alone takes up to a second on some seeds, so it is kept too.
#: 7-3-10 (21 people in triples for 10 rounds, a Kirkman triple system KTS(21)): people are
#: ``Z_7 x {0, 1, 2}`` (person ``7 L + x``); one base round of a triple ``{a, a+1, a+3}`` in
#: each level and four triples across the levels, shifted by ``Z_7`` into seven rounds, plus
#: three rounds of triples ``{(s, 0), (s + b, 1), (s + c, 2)}``; the base round and ``b, c``
#: were found by a short exhaustive search over such patterns (``bench/grouping.py
#: --find-cyclic 7``, a few seconds).
#: 6-3-8 (18 people in triples for 8 rounds, a nearly Kirkman triple system): found by the
#: tabu search with greedy restarts (seed 102, about 8 s; ``bench/grouping.py --find 6-3-8``
#: runs that search and finds others, e.g. at seed 100 after 51 s); the search alone reaches
#: it within 10 s on only some seeds (about 4 in 10 here), so it is kept.
#: 8-3-11 (24 people in triples for 11 rounds, a nearly Kirkman triple system NKTS(24)):
#: people are ``Z_11 x {0, 1}`` (person ``11 L + x``) and two fixed people 22 and 23; one base
#: round of eight triples, each fixed person with one person of each level, is shifted by
#: ``Z_11`` into the eleven rounds. Within a level each difference ``+-d`` and across the
#: levels each difference occurs at most once in the base round, so no pair meets twice; the
#: base round was found by a depth-first search over such rounds (``bench/grouping.py
#: --find-two-fixed 11``, well under a second). The tabu search alone stops at 2 repeats.
STORED: Mapping[tuple[int, int], tuple[tuple[int, ...], ...]] = MappingProxyType(
    {
        (5, 3): (
            (4, 3, 3, 1, 4, 3, 0, 2, 0, 1, 2, 0, 1, 2, 4),
            (0, 2, 0, 4, 2, 3, 4, 3, 3, 1, 4, 0, 2, 1, 1),
            (4, 0, 2, 4, 3, 4, 1, 2, 0, 0, 3, 3, 1, 1, 2),
            (2, 3, 0, 1, 1, 4, 2, 1, 0, 2, 3, 4, 0, 4, 3),
            (1, 0, 3, 0, 2, 4, 4, 1, 2, 3, 3, 0, 1, 2, 4),
            (0, 4, 2, 2, 3, 3, 4, 4, 0, 3, 0, 1, 1, 2, 1),
            (2, 2, 4, 0, 4, 3, 4, 1, 0, 1, 3, 1, 3, 2, 0),
        ),
        (7, 3): (
            (0, 0, 3, 0, 4, 5, 6, 1, 1, 4, 1, 3, 6, 5, 2, 2, 5, 2, 6, 3, 4),
            (6, 0, 0, 3, 0, 4, 5, 5, 1, 1, 4, 1, 3, 6, 4, 2, 2, 5, 2, 6, 3),
            (5, 6, 0, 0, 3, 0, 4, 6, 5, 1, 1, 4, 1, 3, 3, 4, 2, 2, 5, 2, 6),
            (4, 5, 6, 0, 0, 3, 0, 3, 6, 5, 1, 1, 4, 1, 6, 3, 4, 2, 2, 5, 2),
            (0, 4, 5, 6, 0, 0, 3, 1, 3, 6, 5, 1, 1, 4, 2, 6, 3, 4, 2, 2, 5),
            (3, 0, 4, 5, 6, 0, 0, 4, 1, 3, 6, 5, 1, 1, 5, 2, 6, 3, 4, 2, 2),
            (0, 3, 0, 4, 5, 6, 0, 1, 4, 1, 3, 6, 5, 1, 2, 5, 2, 6, 3, 4, 2),
            (0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6),
            (0, 1, 2, 3, 4, 5, 6, 4, 5, 6, 0, 1, 2, 3, 6, 0, 1, 2, 3, 4, 5),
            (0, 1, 2, 3, 4, 5, 6, 3, 4, 5, 6, 0, 1, 2, 1, 2, 3, 4, 5, 6, 0),
        ),
        (6, 3): (
            (0, 5, 0, 1, 3, 4, 3, 4, 2, 0, 2, 1, 1, 3, 2, 5, 5, 4),
            (0, 3, 2, 2, 5, 4, 1, 3, 4, 5, 2, 1, 4, 3, 0, 1, 0, 5),
            (0, 0, 2, 5, 5, 0, 3, 3, 2, 1, 1, 1, 3, 4, 4, 4, 5, 2),
            (4, 0, 1, 2, 1, 3, 5, 1, 5, 0, 4, 3, 0, 4, 3, 2, 5, 2),
            (0, 5, 2, 5, 0, 1, 2, 3, 5, 1, 3, 0, 4, 4, 2, 3, 1, 4),
            (1, 3, 5, 1, 2, 5, 3, 1, 0, 0, 3, 4, 2, 0, 2, 5, 4, 4),
            (5, 0, 0, 4, 3, 4, 5, 1, 3, 1, 2, 0, 2, 4, 1, 3, 2, 5),
            (1, 5, 4, 0, 2, 2, 0, 3, 3, 0, 2, 3, 1, 4, 5, 1, 4, 5),
        ),
        (8, 3): (
            (0, 1, 2, 2, 3, 2, 4, 5, 6, 3, 4, 0, 4, 1, 5, 7, 6, 6, 7, 3, 7, 5, 0, 1),
            (4, 0, 1, 2, 2, 3, 2, 4, 5, 6, 3, 5, 0, 4, 1, 5, 7, 6, 6, 7, 3, 7, 0, 1),
            (3, 4, 0, 1, 2, 2, 3, 2, 4, 5, 6, 7, 5, 0, 4, 1, 5, 7, 6, 6, 7, 3, 0, 1),
            (6, 3, 4, 0, 1, 2, 2, 3, 2, 4, 5, 3, 7, 5, 0, 4, 1, 5, 7, 6, 6, 7, 0, 1),
            (5, 6, 3, 4, 0, 1, 2, 2, 3, 2, 4, 7, 3, 7, 5, 0, 4, 1, 5, 7, 6, 6, 0, 1),
            (4, 5, 6, 3, 4, 0, 1, 2, 2, 3, 2, 6, 7, 3, 7, 5, 0, 4, 1, 5, 7, 6, 0, 1),
            (2, 4, 5, 6, 3, 4, 0, 1, 2, 2, 3, 6, 6, 7, 3, 7, 5, 0, 4, 1, 5, 7, 0, 1),
            (3, 2, 4, 5, 6, 3, 4, 0, 1, 2, 2, 7, 6, 6, 7, 3, 7, 5, 0, 4, 1, 5, 0, 1),
            (2, 3, 2, 4, 5, 6, 3, 4, 0, 1, 2, 5, 7, 6, 6, 7, 3, 7, 5, 0, 4, 1, 0, 1),
            (2, 2, 3, 2, 4, 5, 6, 3, 4, 0, 1, 1, 5, 7, 6, 6, 7, 3, 7, 5, 0, 4, 0, 1),
            (1, 2, 2, 3, 2, 4, 5, 6, 3, 4, 0, 4, 1, 5, 7, 6, 6, 7, 3, 7, 5, 0, 0, 1),
        ),
    }
)


def _prime_power(n: int) -> tuple[int, int] | None:
    """Return ``(p, m)`` with ``n == p**m`` for a prime ``p``, else None."""
    if n < 2:
        return None
    p = next(d for d in range(2, n + 1) if n % d == 0)
    m = 0
    while n % p == 0:
        n //= p
        m += 1
    return (p, m) if n == 1 else None


def subspace_plan(groups: int, size: int, rounds: int) -> list[list[int]] | None:
    """Return up to ``rounds`` rounds with no repeats from cosets of disjoint subspaces.

    Args:
        groups: Groups per round.
        size: People per group.
        rounds: Rounds wanted.

    Returns:
        ``plan[t][person]`` = group, for as many rounds as the search found (at most
        ``rounds``), or None when the sizes have no such structure.
    """
    found = _subspace_plan(groups, size, rounds)
    return None if found is None else [list(row) for row in found]


@functools.lru_cache(maxsize=32)
def _subspace_plan(groups: int, size: int, rounds: int) -> tuple[tuple[int, ...], ...] | None:
    n = groups * size
    whole = _prime_power(n)
    part = _prime_power(size)
    if whole is None or part is None or whole[0] != part[0] or n > _MAX_PEOPLE:
        return None
    p, m = whole
    d = part[1]
    digits = [[(x // p**i) % p for i in range(m)] for x in range(n)]

    def add(x: int, y: int) -> int:
        pairs = zip(digits[x], digits[y], strict=True)
        return sum(((a + b) % p) * p**i for i, (a, b) in enumerate(pairs))

    def scale(c: int, x: int) -> int:
        return sum(((c * a) % p) * p**i for i, a in enumerate(digits[x]))

    def span(base: frozenset[int], v: int) -> frozenset[int]:
        out = set(base)
        for c in range(1, p):
            cv = scale(c, v)
            out |= {add(u, cv) for u in base}
        return frozenset(out)

    level: set[frozenset[int]] = {frozenset({0})}
    for _ in range(d):
        level = {span(s, v) for s in level for v in range(1, n) if v not in s}
    subspaces = sorted(level, key=lambda s: sorted(s))
    nonzero = [s - {0} for s in subspaces]
    chosen: list[int] = []
    best: list[int] = []
    nodes = [0]

    def search(start: int, used: frozenset[int]) -> bool:
        nonlocal best
        if len(chosen) > len(best):
            best = list(chosen)
        if len(chosen) == rounds:
            return True
        nodes[0] += 1
        if nodes[0] > _SEARCH_NODES:
            return False
        for i in range(start, len(subspaces)):
            if used.isdisjoint(nonzero[i]):
                chosen.append(i)
                if search(i + 1, used | nonzero[i]):
                    return True
                chosen.pop()
        return False

    search(0, frozenset())
    plan: list[tuple[int, ...]] = []
    for i in best:
        space = subspaces[i]
        keys: dict[int, int] = {}
        row = []
        for x in range(n):
            rep = min(add(x, v) for v in space)
            row.append(keys.setdefault(rep, len(keys)))
        plan.append(tuple(row))
    return tuple(plan)


def design_plan(groups: int, size: int, rounds: int, seed: int) -> list[list[int]] | None:
    """Return a plan with no repeats for as many of ``rounds`` as a design gives.

    The people are relabelled at random (by ``seed``), so that different seeds give
    different plans.

    Returns:
        ``plan[t][person]`` = group for up to ``rounds`` rounds, or None if no design
        applies.
    """
    stored = STORED.get((groups, size))
    plan = [list(r) for r in stored[:rounds]] if stored else subspace_plan(groups, size, rounds)
    if not plan:
        return None
    n = groups * size
    order = list(range(n))
    random.Random(f"tankesmedja:design:{seed}").shuffle(order)
    return [[row[order[i]] for i in range(n)] for row in plan]
