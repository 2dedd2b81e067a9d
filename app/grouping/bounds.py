"""Lower bounds and group sizes: how few same-organisation pairs, how many groups."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from math import comb

from app.grouping.model import GroupingError


def even_pairs(people: int, groups: int) -> int:
    """Return the pairs among ``people`` spread as evenly as possible over ``groups`` groups.

    Args:
        people: Number of people (e.g. of one organisation).
        groups: Number of groups, at least 1.

    Returns:
        ``r * C(q + 1, 2) + (groups - r) * C(q, 2)`` where ``q, r = divmod(people, groups)``.
    """
    if groups < 1:
        raise ValueError("groups must be at least 1")
    q, r = divmod(people, groups)
    return r * comb(q + 1, 2) + (groups - r) * comb(q, 2)


def _capped_pairs(people: int, capacities: Sequence[int]) -> int:
    """Fewest pairs among ``people`` placed into groups with the given capacities.

    Water-filling: pairs are convex in a group's count, so the greedy that raises the lowest
    group that still has room is optimal; done level by level instead of person by person.
    """
    caps = sorted(capacities)
    total = 0
    left = people
    level = 0
    idx = 0  # caps[:idx] are full at their capacity
    open_groups = len(caps)
    while left > 0:
        while idx < len(caps) and caps[idx] <= level:
            idx += 1
            open_groups -= 1
        if open_groups == 0:
            raise ValueError("more people than room in the groups")
        if left >= open_groups:
            total += open_groups * level  # each new member pairs with `level` earlier ones
            left -= open_groups
            level += 1
        else:
            total += left * level
            left = 0
    return total


def org_pair_lower_bound(org_sizes: Iterable[int], group_sizes: Sequence[int]) -> int:
    """Return a lower bound on same-organisation pairs for groups of the given sizes.

    The bound is the sum over organisations of the fewest pairs that organisation alone can
    have: its members spread as evenly as the groups' capacities allow. Organisations compete
    for room, so the sum is a valid bound (a relaxation) for any sizes.

    When the sizes differ by at most one (which the engine guarantees within a mode), the bound
    is exact: it equals ``sum(even_pairs(n, k))`` and some grouping reaches it. Proof: list the
    people organisation by organisation and deal them cyclically over the groups, the larger
    groups first; every organisation takes consecutive positions of a sequence with period
    ``k``, so its count in every group is the floor or ceiling of ``n / k``. Pins (and, for
    uneven sizes, the competition for room) can put the true optimum above the bound.

    Args:
        org_sizes: Number of people of each organisation (in one attendance mode).
        group_sizes: Sizes of that mode's groups; must hold exactly everyone.

    Returns:
        The bound, an integer number of pairs.

    Raises:
        ValueError: If the group sizes do not add up to the people, or no groups.
    """
    orgs = [n for n in org_sizes if n > 0]
    sizes = list(group_sizes)
    if sum(orgs) != sum(sizes):
        raise ValueError(f"group sizes add up to {sum(sizes)}, not to {sum(orgs)} people")
    if not orgs:
        return 0
    if min(sizes) < 0:
        raise ValueError("group sizes must not be negative")
    if max(sizes) - min(sizes) <= 1:
        return sum(even_pairs(n, len(sizes)) for n in orgs)
    return sum(_capped_pairs(n, sizes) for n in orgs)


def groups_for_size(people: int, size: int) -> int:
    """Return how many groups make the average group size closest to ``size``.

    Ties go to more (smaller) groups; there is always at least one group.

    Examples:
        88 people, size 6 -> 15 groups (5.87 each); 7 people, size 6 -> 1 group of 7;
        8 people, size 6 -> 2 groups of 4.
    """
    if people <= 0:
        return 0
    lo = max(1, people // size)
    hi = max(1, -(-people // size))
    # Compare |people/lo - size| with |people/hi - size| without floats.
    return lo if abs(people - size * lo) * hi < abs(people - size * hi) * lo else hi


def split_group_count(groups: int, people_by_mode: Sequence[int]) -> list[int]:
    """Split a total number of groups across attendance modes.

    Every mode with people gets at least one group; each further group goes to the mode whose
    groups are currently the largest on average (so average sizes end up as equal as
    possible, roughly proportional to head-count), never more groups than people.

    Args:
        groups: The facilitator's total number of groups.
        people_by_mode: Head-count of each mode (in ``MODE_ORDER``).

    Returns:
        Number of groups per mode, summing to ``groups``.

    Raises:
        GroupingError: If ``groups`` is below the number of non-empty modes or above the
            number of people.
    """
    if groups < 1:
        raise GroupingError("groups_too_few", groups=groups)
    needed = sum(1 for n in people_by_mode if n > 0)
    if groups < needed:
        raise GroupingError("groups_below_modes", groups=groups, needed=needed)
    total = sum(people_by_mode)
    if groups > total:
        raise GroupingError("groups_above_people", groups=groups, people=total)
    counts = [1 if n > 0 else 0 for n in people_by_mode]
    for _ in range(groups - needed):
        # Largest average first (exact rational comparison); ties to the earlier mode.
        best = -1
        for m, n in enumerate(people_by_mode):
            if counts[m] == 0 or counts[m] >= n:
                continue
            if best < 0 or n * counts[best] > people_by_mode[best] * counts[m]:
                best = m
        counts[best] += 1
    return counts


def _role_bounds(size: int, elected: int, people: int) -> tuple[int, int]:
    """Floor and ceiling of a group's elected share: ``size * elected / people``."""
    if people == 0:
        return 0, 0
    return size * elected // people, -((-size * elected) // people)


def _role_dev(count: int, size: int, elected: int, people: int) -> int:
    lo, hi = _role_bounds(size, elected, people)
    if count < lo:
        return lo - count
    if count > hi:
        return count - hi
    return 0
