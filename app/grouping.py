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
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from math import comb
from types import MappingProxyType

from app.model import Attendance, Role

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

#: Attendance modes in the order their groups are listed in a round.
MODE_ORDER: tuple[Attendance, ...] = (Attendance.IN_ROOM, Attendance.REMOTE)

#: Reason codes attached to a soft rule that a group does not meet.
REASON_PINNED = "pinned"
REASON_SINGLE_GROUP = "single_group"
REASON_NO_BETTER_SWAP = "no_better_swap"
REASON_IMPROVABLE = "improvable"

# English templates for GroupingError, keyed by its code; the UI translates by code and params.
ERROR_MESSAGES: dict[str, str] = {
    "size_and_groups": "give either a group size or a number of groups, not both",
    "no_size_or_groups": "give a group size or a number of groups",
    "size_too_small": "group size must be at least 2 (got {size})",
    "groups_too_few": "number of groups must be at least 1 (got {groups})",
    "groups_below_modes": (
        "{groups} group(s) cannot keep remote and in-room participants apart; at least {needed}"
        " are needed"
    ),
    "groups_above_people": "{groups} groups for only {people} present participants",
    "rounds_too_few": "number of rounds must be at least 1 (got {rounds})",
    "max_size_too_small": "maximum municipality group size must be at least 2 (got {max_size})",
    "duplicate_member": "participant id {id!r} appears more than once",
    "unknown_member": "group {group} lists unknown participant id {id!r}",
    "pin_group_out_of_range": "{id!r} is pinned to group {group}, but there are {groups} groups",
    "pin_group_wrong_mode": (
        "{id!r} is pinned to group {group}, which is a group for {group_mode} participants,"
        " but {id!r} is {mode}"
    ),
    "pin_together_modes": (
        "{first!r} and {second!r} are pinned together, but one is remote and the other in the room"
    ),
    "pin_together_groups": (
        "{first!r} and {second!r} must be together (directly or through other together pins)"
        " but are pinned to groups {first_group} and {second_group}"
    ),
    "pin_together_and_apart": (
        "{first!r} and {second!r} are pinned apart but also together (directly or through other"
        " together pins)"
    ),
    "pin_apart_self": "{id!r} is pinned apart from themself",
    "pin_apart_same_group": (
        "{first!r} and {second!r} are pinned apart but both (directly or through together"
        " pins) to group {group}"
    ),
    "pin_cluster_too_big": (
        "{count} people are pinned together ({ids}), but groups of {mode} participants hold at"
        " most {max_size}"
    ),
    "pin_group_overfull": (
        "{count} people are pinned into group {group}, but it holds at most {max_size}"
    ),
    "pins_unsatisfiable": (
        "the pins for {mode} participants cannot all hold with {groups} groups of {min_size} to"
        " {max_size} people"
    ),
}


class GroupingError(ValueError):
    """Impossible grouping input (contradictory pins, size < 2, ...).

    Attributes:
        code: A stable key (see ``ERROR_MESSAGES``) that a UI can translate.
        params: The values the message mentions.
    """

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(ERROR_MESSAGES[code].format(**params))


@dataclass(frozen=True, slots=True)
class Member:
    """A present participant as the grouping engine sees them."""

    id: str
    organisation: str
    role: Role
    attendance: Attendance


@dataclass(frozen=True, slots=True)
class Pins:
    """Facilitator pins, which hold in every round.

    Pins that name someone who is not present are ignored, so a pin survives a person leaving.

    Attributes:
        in_group: Participant id -> group index (in-room groups first, then remote ones).
        together: Pairs of ids that must share a group.
        apart: Pairs of ids that must not share a group.
    """

    in_group: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    together: tuple[tuple[str, str], ...] = ()
    apart: tuple[tuple[str, str], ...] = ()


# --------------------------------------------------------------------------------------------
# Structured explanations


@dataclass(frozen=True, slots=True)
class MixedAttendance:
    """Hard rule broken (e.g. by a manual edit): remote and in-room people share the group."""

    code: str = field(default="mixed_attendance", init=False)
    in_room: int
    remote: int


@dataclass(frozen=True, slots=True)
class PinBroken:
    """Hard rule broken (e.g. by a manual edit): a pin does not hold in this group.

    ``kind`` is ``"in_group"`` (``ids[0]`` belongs in group ``target``), ``"together"`` (the
    two ids are in different groups) or ``"apart"`` (the two ids share this group).
    """

    code: str = field(default="pin_broken", init=False)
    kind: str
    ids: tuple[str, ...]
    target: int | None = None


@dataclass(frozen=True, slots=True)
class SizeUnbalanced:
    """The group is more than one larger than the smallest group of its mode (late joiners)."""

    code: str = field(default="size_unbalanced", init=False)
    size: int
    min_size: int


@dataclass(frozen=True, slots=True)
class Alone:
    """The group has a single member (the only participant of their attendance mode)."""

    code: str = field(default="alone", init=False)


@dataclass(frozen=True, slots=True)
class OrgAboveEvenShare:
    """More members of one organisation than an even spread puts in a group.

    Such a group holds same-organisation pairs above the lower bound.
    """

    code: str = field(default="org_pairs_above_bound", init=False)
    organisation: str
    count: int
    even_max: int
    reason: str


@dataclass(frozen=True, slots=True)
class OrgBelowEvenShare:
    """Fewer members of one organisation than an even spread puts in a group.

    Their colleagues are then concentrated elsewhere, above the lower bound.
    """

    code: str = field(default="org_below_even_share", init=False)
    organisation: str
    count: int
    even_min: int
    reason: str


@dataclass(frozen=True, slots=True)
class RepeatedPair:
    """Two members of the group met before (earlier round or session)."""

    code: str = field(default="repeated_pair", init=False)
    first: str
    second: str
    reason: str


@dataclass(frozen=True, slots=True)
class RoleOffShare:
    """The group's count of elected officials is outside its proportional share."""

    code: str = field(default="role_off_share", init=False)
    elected: int
    expected_min: int
    expected_max: int
    reason: str


#: Everything ``explain`` may report about a group.
Issue = (
    MixedAttendance
    | PinBroken
    | SizeUnbalanced
    | Alone
    | OrgAboveEvenShare
    | OrgBelowEvenShare
    | RepeatedPair
    | RoleOffShare
)


@dataclass(frozen=True, slots=True)
class GroupExplanation:
    """What one group mixes, and which rules it does not meet.

    Attributes:
        index: The group's index in the round.
        attendance: The group's attendance mode (None if empty or mixed).
        size: Number of members.
        organisations: ``(organisation, count)``, largest first, then by name.
        elected: Number of elected officials.
        officials: Number of officials (civil servants).
        issues: Rules not met, as structured data (see each class's ``code``). Soft issues
            carry a ``reason``: ``"pinned"`` (a pin forces it), ``"single_group"`` (the mode
            has one group), ``"no_better_swap"`` (no exchange or move of members fixes it
            without breaking a rule of equal or higher priority) or ``"improvable"`` (such
            an exchange exists, e.g. after a late joiner or a manual edit: regroup to fix it).
    """

    index: int
    attendance: Attendance | None
    size: int
    organisations: tuple[tuple[str, int], ...]
    elected: int
    officials: int
    issues: tuple[Issue, ...]


@dataclass(frozen=True, slots=True)
class Metrics:
    """How well a round (or a plan, summed over its rounds) meets the soft rules.

    Attributes:
        same_org_pairs: Pairs of people of the same organisation sharing a group.
        org_pair_lower_bound: No grouping with these group sizes has fewer such pairs.
        repeated_pairs: Pairs sharing a group that had met before.
        groups_off_role_share: Groups whose elected count is outside their share.
        role_deviation: Sum over groups of how far the elected count is outside its share.
    """

    same_org_pairs: int
    org_pair_lower_bound: int
    repeated_pairs: int
    groups_off_role_share: int
    role_deviation: int


# --------------------------------------------------------------------------------------------
# Bounds and sizes


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


# --------------------------------------------------------------------------------------------
# The search state for one attendance mode


# Search tuning. Candidates per repair: colleagues of the same organisation first (exchanging
# them never changes the organisation spread), then a random window of everyone.
_SAME_ORG_CANDIDATES = 48
_RANDOM_CANDIDATES = 24
_MOVE_CANDIDATES = 8  # groups tried for a move from a larger group to a smaller one
_DEAL_CANDIDATES = 8  # people tried per slot when dealing, to avoid earlier partners
# A descent stops after this many passes without progress; on such passes some exchanges of
# equal cost are taken, to walk along plateaus.
_MAX_STALL = 3
_SIDEWAYS_PROBABILITY = 0.3
# Iterated local search: kicks of about one exchange per this many people, which never
# worsen the organisation spread or the roles; stop after this many kicks without progress.
_KICK_FRACTION = 12
_MAX_FRUITLESS_KICKS = 40
# Annealing gets this share of the budget left after the first descent (kicks go first).
_ANNEAL_SHARE = 0.8
_ANNEAL_T0 = 0.4
# Weights of a repeat and of a unit of role deviation in the annealing (a same-organisation
# pair weighs 100): equal, so the walk can trade one for the other on its way.
_ANNEAL_WEIGHTS = (1.0, 1.0)
_FINAL_DESCENT = 20_000
# Independent attempts for a mode that misses a bound (small modes only: there a dense
# instance makes the search's luck matter, and attempts are cheap).
_ATTEMPTS = 3
_ATTEMPTS_UP_TO_PEOPLE = 200
# Evaluations of the exchange search on a dense mode, before the tabu search takes over.
_DENSE_BUDGET = 20_000


class _ModePlan:
    """Groups of one attendance mode over the rounds being planned, with incremental costs.

    Members are local indices ``0..n-1``. ``met[i]`` maps a partner to how often the two have
    met: once if they met in the history (however often), plus once per planned round in
    which they share a group. A pair's repeats are ``max(0, met - 1)``: that counts every
    planned round in which the pair meets after having met before, and since it is symmetric
    in the rounds the search may change any round and keep an exact total.
    """

    def __init__(
        self,
        orgs: Sequence[int],
        elected: Sequence[bool],
        groups: int,
        rounds: int,
        met: list[dict[int, int]],
        rng: random.Random,
    ) -> None:
        n = len(orgs)
        self.n = n
        self.k = groups
        self.rounds = rounds
        self.org = list(orgs)
        n_orgs = max(orgs) + 1 if n else 0
        self.n_orgs = n_orgs
        self.org_size = [0] * n_orgs
        for o in orgs:
            self.org_size[o] += 1
        self.org_lo = [c // groups for c in self.org_size]
        self.org_hi = [-(-c // groups) for c in self.org_size]
        self.even = [even_pairs(c, groups) for c in self.org_size]
        self.elected = [1 if e else 0 for e in elected]
        self.n_elected = sum(self.elected)
        # Allowed elected counts for a group of each size (tables: this is the hot path).
        bounds = [_role_bounds(size, self.n_elected, n) for size in range(n + 2)]
        self.role_lo = [lo for lo, _ in bounds]
        self.role_hi = [hi for _, hi in bounds]
        self.met = met
        self.rng = rng
        self.movable = [True] * n
        self.apart: list[list[int]] = [[] for _ in range(n)]
        # Pinned units (set by _build_mode_plan): members, local group or None, apart units.
        self.units: list[list[int]] = []
        self.unit_group: list[int | None] = []
        self.unit_apart: list[list[int]] = []
        self.group_offset = 0  # index of this mode's first group in a round, for messages
        self.mode_name = ""
        self.forced_pairs = 0  # pairs that pins keep together in every round
        self.forced_met_before = 0  # of which met in the history
        self.history_partners = [set(m) for m in met]  # who met whom before this plan
        self.group_of = [[-1] * n for _ in range(rounds)]
        self.members: list[list[list[int]]] = [[[] for _ in range(groups)] for _ in range(rounds)]
        self.orgc = [[[0] * n_orgs for _ in range(groups)] for _ in range(rounds)]
        self.elec = [[0] * groups for _ in range(rounds)]
        self.opairs = [[0] * n_orgs for _ in range(rounds)]
        self.cost_org = 0
        self.cost_rep = 0
        self.cost_role = 0
        self.by_org: list[list[int]] = [[] for _ in range(n_orgs)]
        for i, o in enumerate(orgs):
            self.by_org[o].append(i)

    # ---- bookkeeping ------------------------------------------------------------------

    def cost(self) -> tuple[int, int, int]:
        # (organisations, repeats, roles): the order of the exchange search, which reaches
        # every bound on realistic rosters; where it does not, the tabu search ranks plans
        # with roles before repeats (see rank()).
        return self.cost_org, self.cost_rep, self.cost_role

    def dev(self, count: int, size: int) -> int:
        lo = self.role_lo[size]
        if count < lo:
            return lo - count
        hi = self.role_hi[size]
        return count - hi if count > hi else 0

    def add(self, t: int, i: int, g: int) -> None:
        mem = self.members[t][g]
        mi = self.met[i]
        met = self.met
        rep = 0
        for z in mem:
            c = mi.get(z, 0)
            if c:
                rep += 1
            mi[z] = c + 1
            met[z][i] = c + 1
        self.cost_rep += rep
        o = self.org[i]
        oc = self.orgc[t][g]
        self.cost_org += oc[o]
        self.opairs[t][o] += oc[o]
        oc[o] += 1
        e = self.elec[t][g]
        s = len(mem)
        self.cost_role -= self.dev(e, s)
        e += self.elected[i]
        self.elec[t][g] = e
        mem.append(i)
        self.cost_role += self.dev(e, s + 1)
        self.group_of[t][i] = g

    def remove(self, t: int, i: int) -> int:
        g = self.group_of[t][i]
        mem = self.members[t][g]
        mem.remove(i)
        mi = self.met[i]
        met = self.met
        rep = 0
        for z in mem:
            c = mi[z]
            if c >= 2:
                rep += 1
            if c == 1:
                del mi[z]
                del met[z][i]
            else:
                mi[z] = c - 1
                met[z][i] = c - 1
        self.cost_rep -= rep
        o = self.org[i]
        oc = self.orgc[t][g]
        oc[o] -= 1
        self.cost_org -= oc[o]
        self.opairs[t][o] -= oc[o]
        e = self.elec[t][g]
        s = len(mem)
        self.cost_role -= self.dev(e, s + 1)
        e -= self.elected[i]
        self.elec[t][g] = e
        self.cost_role += self.dev(e, s)
        self.group_of[t][i] = -1
        return g

    # ---- deltas -----------------------------------------------------------------------

    def _apart_blocks(self, t: int, i: int, g: int, leaving: int) -> bool:
        go = self.group_of[t]
        return any(go[p] == g and p != leaving for p in self.apart[i])

    def swap_delta(self, t: int, a: int, b: int) -> tuple[int, int, int] | None:
        """Cost change of exchanging ``a`` and ``b`` in round ``t``; None if not allowed."""
        go = self.group_of[t]
        ga = go[a]
        gb = go[b]
        if ga == gb:
            return None
        if self.apart[a] and self._apart_blocks(t, a, gb, b):
            return None
        if self.apart[b] and self._apart_blocks(t, b, ga, a):
            return None
        oa = self.org[a]
        ob = self.org[b]
        d_org = 0
        if oa != ob:
            ca = self.orgc[t][ga]
            cb = self.orgc[t][gb]
            d_org = ca[ob] + cb[oa] - ca[oa] - cb[ob] + 2
        ma = self.met[a]
        mb = self.met[b]
        d_rep = 0
        for z in self.members[t][ga]:
            if z != a:
                if ma.get(z, 0) >= 2:
                    d_rep -= 1
                if z in mb:
                    d_rep += 1
        for z in self.members[t][gb]:
            if z != b:
                if mb.get(z, 0) >= 2:
                    d_rep -= 1
                if z in ma:
                    d_rep += 1
        d_role = 0
        ea = self.elected[a]
        eb = self.elected[b]
        if ea != eb:
            sa = len(self.members[t][ga])
            sb = len(self.members[t][gb])
            xa = self.elec[t][ga]
            xb = self.elec[t][gb]
            diff = eb - ea
            d_role = (
                self.dev(xa + diff, sa)
                + self.dev(xb - diff, sb)
                - self.dev(xa, sa)
                - self.dev(xb, sb)
            )
        return d_org, d_rep, d_role

    def move_delta(self, t: int, a: int, gb: int) -> tuple[int, int, int] | None:
        """Cost change of moving ``a`` to group ``gb`` in round ``t``; None if not allowed.

        Only from a larger to a smaller group, so the spread of sizes never grows.
        """
        ga = self.group_of[t][a]
        if ga == gb:
            return None
        sa = len(self.members[t][ga])
        sb = len(self.members[t][gb])
        if sa <= sb:
            return None
        if self.apart[a] and self._apart_blocks(t, a, gb, -1):
            return None
        oa = self.org[a]
        d_org = self.orgc[t][gb][oa] - self.orgc[t][ga][oa] + 1
        ma = self.met[a]
        d_rep = 0
        for z in self.members[t][ga]:
            if z != a and ma.get(z, 0) >= 2:
                d_rep -= 1
        for z in self.members[t][gb]:
            if z in ma:
                d_rep += 1
        ea = self.elected[a]
        xa = self.elec[t][ga]
        xb = self.elec[t][gb]
        d_role = (
            self.dev(xa - ea, sa - 1)
            + self.dev(xb + ea, sb + 1)
            - self.dev(xa, sa)
            - self.dev(xb, sb)
        )
        return d_org, d_rep, d_role

    def apply_swap(self, t: int, a: int, b: int) -> None:
        ga = self.remove(t, a)
        gb = self.remove(t, b)
        self.add(t, a, gb)
        self.add(t, b, ga)

    def apply_move(self, t: int, a: int, gb: int) -> None:
        self.remove(t, a)
        self.add(t, a, gb)

    # ---- conflicts --------------------------------------------------------------------

    def conflicted(self, t: int, a: int) -> bool:
        """Whether ``a`` takes part in a soft-rule shortfall in round ``t``."""
        g = self.group_of[t][a]
        o = self.org[a]
        if self.opairs[t][o] > self.even[o] and self.orgc[t][g][o] > self.org_lo[o]:
            return True
        mem = self.members[t][g]
        e = self.elec[t][g]
        lo, hi = _role_bounds(len(mem), self.n_elected, self.n)
        if (e > hi and self.elected[a]) or (e < lo and not self.elected[a]):
            return True
        ma = self.met[a]
        return any(z != a and ma.get(z, 0) >= 2 for z in mem)

    # ---- local search -----------------------------------------------------------------

    def lower_bound(self) -> tuple[int, int, int]:
        """Return a cost no plan of this mode can beat (the search stops once there).

        Organisations: the exact bound per round (see :func:`org_pair_lower_bound`). Repeats:
        in every round after the first, a group of ``s`` people drawn from the first round's
        ``k`` groups holds at least ``even_pairs(s, k)`` pairs that met in the first round.
        Roles: zero. Pins and history can put the optimum above this.
        """
        q, r = divmod(self.n, self.k)
        per_round = r * even_pairs(q + 1, self.k) + (self.k - r) * even_pairs(q, self.k)
        # Pins that keep two people together meet them again every round after the first
        # (and in the first too if they met in the history).
        forced = self.forced_pairs * (self.rounds - 1) + self.forced_met_before
        return self.rounds * sum(self.even), max((self.rounds - 1) * per_round, forced), 0

    def bound(self) -> tuple[int, int, int]:
        """Return :meth:`lower_bound` with the repeats raised to :meth:`repeat_bound`."""
        org, _, role = self.lower_bound()
        return org, self.repeat_bound(), role

    def repeat_bound(self) -> int:
        """Return a lower bound on the repeats of any plan of this mode.

        The largest of three arguments: the per-round one of :meth:`lower_bound`, pins, and
        counting partners: everyone sits with at least ``q - 1`` others in each of the
        rounds (``q`` the smallest group size), but has only ``n - 1`` possible partners,
        fewer those met in the history (and fewer their colleagues where the organisation
        bound keeps colleagues apart: the bound is on plans at the organisation bound, which
        come first), so at least the excess meetings are repeats (each repeat counted for
        both people of the pair).
        """
        q = self.n // self.k
        excess = 0
        for i in range(self.n):
            unavailable = self.history_partners[i]
            if self.org_hi[self.org[i]] <= 1:
                # At the organisation bound colleagues never share a group: no partners.
                unavailable = unavailable | set(self.by_org[self.org[i]])
            fresh = self.n - 1 - len(unavailable - {i})
            excess += max(0, self.rounds * (q - 1) - fresh)
        return max(self.lower_bound()[1], -(-excess // 2))

    def improve(self, budget: int) -> None:
        """Exchange members between groups until the bound is reached or the budget is spent.

        First descend (only changes that lower the lexicographic cost, plus some of equal cost
        on plateaus). If a bound is still not reached: iterated local search (kick the best
        plan with a few random exchanges that keep the organisation spread and the roles,
        descend again), then simulated annealing on a weighted cost (which can pass through
        a worse plan to a better one) and a last descent. The best plan found is kept.
        """
        movable = [i for i in range(self.n) if self.movable[i]]
        if self.k < 2 or len(movable) < 2:
            return
        bound = self.bound()
        spent = self._descend(movable, budget)
        best_cost = self.cost()
        best = [list(go) for go in self.group_of]
        # Iterated local search with part of the budget, then annealing with the rest.
        kicks_budget = spent + int((budget - spent) * (1 - _ANNEAL_SHARE))
        fruitless = 0
        while spent < kicks_budget and best_cost > bound and fruitless < _MAX_FRUITLESS_KICKS:
            spent += self._kick(movable)
            spent += self._descend(movable, kicks_budget - spent)
            cost = self.cost()
            fruitless += 1
            if cost < best_cost:
                best_cost, best = cost, [list(go) for go in self.group_of]
                fruitless = 0
            elif cost > best_cost:
                self._restore(best)
        if best_cost > bound and spent < budget:
            self._restore(best)
            best_cost, best, used = self._anneal(movable, budget - spent, best_cost, best, bound)
            spent += used
            self._restore(best)
            self._descend(movable, _FINAL_DESCENT)
            if self.cost() < best_cost:
                best_cost, best = self.cost(), [list(go) for go in self.group_of]
        if self.cost() != best_cost:
            self._restore(best)

    def _anneal(
        self,
        movable: list[int],
        steps: int,
        best_cost: tuple[int, int, int],
        best: list[list[int]],
        bound: tuple[int, int, int],
    ) -> tuple[tuple[int, int, int], list[list[int]], int]:
        """Anneal on a weighted cost; return the best plan seen (lexicographically).

        The weights let the walk trade a repeat for role balance on the way (never more
        same-organisation pairs), which single improving exchanges cannot do.
        """
        rng = self.rng
        temp0 = _ANNEAL_T0
        w_rep, w_role = _ANNEAL_WEIGHTS
        used = 0
        exp = math.exp
        n_mov = len(movable)
        for step in range(steps):
            temp = temp0 * (1.0 - step / steps) + 0.05
            t = rng.randrange(self.rounds)
            a = movable[rng.randrange(n_mov)]
            if rng.random() < 0.5:
                same = self.by_org[self.org[a]]
                b = same[rng.randrange(len(same))]
                if not self.movable[b]:
                    continue
            else:
                b = movable[rng.randrange(n_mov)]
            d = self.swap_delta(t, a, b)
            used += 1
            if d is None or d[0] > 0:
                continue
            w = d[0] * 100 + d[1] * w_rep + d[2] * w_role
            if w <= 0 or rng.random() < exp(-w / temp):
                self.apply_swap(t, a, b)
                cost = self.cost()
                if cost < best_cost:
                    best_cost, best = cost, [list(go) for go in self.group_of]
                    if best_cost <= bound:
                        break
        return best_cost, best, used

    def _descend(self, movable: list[int], budget: int) -> int:
        """Repair conflicted members until none is left, progress stops or budget is spent."""
        evals = 0
        stall = 0
        while evals < budget:
            todo = [(t, a) for t in range(self.rounds) for a in movable if self.conflicted(t, a)]
            if not todo:
                break
            self.rng.shuffle(todo)
            self.rng.shuffle(movable)
            before = self.cost()
            for t, a in todo:
                if evals >= budget:
                    break
                if self.conflicted(t, a):
                    evals += self._repair(t, a, movable, sideways=stall > 0)
            if self.cost() < before:
                stall = 0
            else:
                stall += 1
                if stall > _MAX_STALL:
                    break
        return evals + 1

    def _kick(self, movable: list[int]) -> int:
        """Make a few random exchanges that keep the organisation cost; return evaluations."""
        rng = self.rng
        evals = 0
        done = 0
        target = max(2, len(movable) // _KICK_FRACTION)
        for _ in range(target * 8):
            if done >= target:
                break
            t = rng.randrange(self.rounds)
            a, b = rng.sample(movable, 2)
            d = self.swap_delta(t, a, b)
            evals += 1
            if d is not None and d[0] <= 0 and d[2] <= 0:
                self.apply_swap(t, a, b)
                done += 1
        return evals

    def _restore(self, assignment: list[list[int]]) -> None:
        """Put every member back into the groups of ``assignment`` (one list per round)."""
        for t, go in enumerate(assignment):
            for i in range(self.n):
                if self.group_of[t][i] != go[i]:
                    self.remove(t, i)
            for i in range(self.n):
                if self.group_of[t][i] < 0:
                    self.add(t, i, go[i])

    def _repair(self, t: int, a: int, movable: list[int], *, sideways: bool) -> int:
        """Try the best exchange or move for ``a``; return the number of evaluations."""
        rng = self.rng
        same = [b for b in self.by_org[self.org[a]] if b != a and self.movable[b]]
        if len(same) > _SAME_ORG_CANDIDATES:
            same = rng.sample(same, _SAME_ORG_CANDIDATES)
        # A random window of the (shuffled) movable list: cheaper than random.sample.
        start = rng.randrange(len(movable))
        others = movable[start : start + _RANDOM_CANDIDATES]
        if len(others) < _RANDOM_CANDIDATES:
            others += movable[: _RANDOM_CANDIDATES - len(others)]
        best: tuple[int, int, int] = (0, 0, 0)
        best_b = -1
        best_g = -1
        flat: list[int] = []
        evals = 0
        for b in (*same, *others):
            d = self.swap_delta(t, a, b)
            evals += 1
            if d is None:
                continue
            if d < best:
                best, best_b = d, b
            elif sideways and d == (0, 0, 0):
                flat.append(b)
        ga = self.group_of[t][a]
        size_a = len(self.members[t][ga])
        if size_a > self.n // self.k:  # else no group is smaller
            for _ in range(_MOVE_CANDIDATES):
                gb = rng.randrange(self.k)
                if len(self.members[t][gb]) >= size_a:
                    continue
                d = self.move_delta(t, a, gb)
                evals += 1
                if d is not None and d < best:
                    best, best_b, best_g = d, -1, gb
        if best_g >= 0:
            self.apply_move(t, a, best_g)
        elif best_b >= 0:
            self.apply_swap(t, a, best_b)
        elif self._role_excess(t, a):
            evals += self._role_chain(t, a, movable)
        elif flat and rng.random() < _SIDEWAYS_PROBABILITY:
            self.apply_swap(t, a, rng.choice(flat))
        return evals

    def _role_excess(self, t: int, a: int) -> bool:
        """Whether ``a``'s group has too many of ``a``'s role."""
        g = self.group_of[t][a]
        e = self.elec[t][g]
        size = len(self.members[t][g])
        return e > self.role_hi[size] if self.elected[a] else e < self.role_lo[size]

    def _role_chain(self, t: int, a: int, movable: list[int]) -> int:
        """Fix ``a``'s role excess with two exchanges; return the number of evaluations.

        When every role-fixing exchange makes people meet again, a second exchange of
        same-organisation, same-role people (neutral for both spreads) may undo those
        repeats. Taken only if both together lower the lexicographic cost.
        """
        ga = self.group_of[t][a]
        evals = 0
        for b in movable:
            gb = self.group_of[t][b]
            if gb == ga or self.elected[b] == self.elected[a] or not self._role_short(t, gb, a):
                continue
            first = self.swap_delta(t, a, b)
            evals += 1
            if first is None or first[0] > 0 or first[2] >= 0:
                continue
            self.apply_swap(t, a, b)
            for c in (*self.members[t][ga], *self.members[t][gb]):
                if not self.movable[c] or c in (a, b):
                    continue
                same = [
                    e
                    for e in self.by_org[self.org[c]]
                    if self.movable[e] and self.elected[e] == self.elected[c]
                ]
                for e in same[:_SAME_ORG_CANDIDATES]:
                    second = self.swap_delta(t, c, e)
                    evals += 1
                    if second is None:
                        continue
                    total = (first[0] + second[0], first[1] + second[1], first[2] + second[2])
                    if total < (0, 0, 0):
                        self.apply_swap(t, c, e)
                        return evals
            self.apply_swap(t, b, a)  # undo
        return evals

    def _role_short(self, t: int, g: int, a: int) -> bool:
        """Whether group ``g`` would welcome ``a``'s role (it has no more than its share)."""
        e = self.elec[t][g]
        size = len(self.members[t][g])
        return e < self.role_hi[size] if self.elected[a] else e > self.role_lo[size]

    # ---- construction -----------------------------------------------------------------

    def construct(self, t: int) -> None:
        """Fill round ``t``: constrained units first, then organisation stripes."""
        q, r = divmod(self.n, self.k)
        sizes = [0] * self.k
        placement = self._place_constrained(t, q, r, sizes)
        constrained: set[int] = set()
        for unit, g in placement:
            for i in unit:
                self.add(t, i, g)
                constrained.add(i)
        # Groups already at q + 1 are large; the rest of the r large groups are drawn.
        big = [g for g in range(self.k) if sizes[g] == q + 1]
        rest = [g for g in range(self.k) if sizes[g] <= q]
        self.rng.shuffle(rest)
        big_set = set(big) | set(rest[: r - len(big)])
        target = [q + 1 if g in big_set else q for g in range(self.k)]
        room = [target[g] - sizes[g] for g in range(self.k)]
        # A cyclic order with the roomiest groups first, so that the slot sequence below is a
        # prefix of a periodic sequence and every organisation block is spread evenly.
        keys = {g: self.rng.random() for g in range(self.k)}
        order = sorted(range(self.k), key=lambda g: (-room[g], keys[g]))
        slots = [g for level in range(max(room, default=0)) for g in order if room[g] > level]
        org_order = list(range(self.n_orgs))
        self.rng.shuffle(org_order)
        pos = 0
        for o in org_order:
            free = [i for i in self.by_org[o] if i not in constrained]
            if not free:
                continue
            block = slots[pos : pos + len(free)]
            pos += len(free)
            self._deal_block(t, free, block, target)

    def _deal_block(self, t: int, free: list[int], block: list[int], target: list[int]) -> None:
        """Seat one organisation's free members on its block of slots.

        Elected members go to the slots whose groups most lack elected members; within a
        role, each slot takes the first member who has not met anyone already seated there.
        """
        rng = self.rng
        elected = [i for i in free if self.elected[i]]
        officials = [i for i in free if not self.elected[i]]
        rng.shuffle(elected)
        rng.shuffle(officials)
        tentative = list(self.elec[t])
        ties = [rng.random() for _ in block]
        chosen = [False] * len(block)
        n, total = self.n, self.n_elected
        for _ in elected:
            best = -1
            best_key: tuple[int, float] = (0, 0.0)
            for j, g in enumerate(block):
                if chosen[j]:
                    continue
                key = (target[g] * total - n * tentative[g], ties[j])
                if best < 0 or key > best_key:
                    best, best_key = j, key
            chosen[best] = True
            tentative[block[best]] += 1
        for j, g in enumerate(block):
            pool = elected if chosen[j] else officials
            mem = self.members[t][g]
            pick = 0
            fewest = -1
            for idx, i in enumerate(pool[:_DEAL_CANDIDATES]):
                mi = self.met[i]
                met = sum(1 for z in mem if z in mi)
                if fewest < 0 or met < fewest:
                    pick, fewest = idx, met
                    if met == 0:
                        break
            self.add(t, pool.pop(pick), g)

    def _place_constrained(
        self, t: int, q: int, r: int, sizes: list[int]
    ) -> list[tuple[list[int], int]]:
        """Place pinned units (in-group, together, apart) respecting capacities.

        Greedy first; if that dead-ends, a depth-first search proves or refutes feasibility.
        ``sizes`` is updated in place.
        """
        units = self.units
        if not units:
            return []
        unit_apart = self.unit_apart
        placed: list[int] = [-1] * len(units)
        big = [0]

        def fits(g: int, s: int) -> bool:
            new = sizes[g] + s
            if new <= q:
                return True
            if new == q + 1:
                return sizes[g] == q + 1 or big[0] < r
            return False

        def put(u: int, g: int) -> None:
            before = sizes[g]
            sizes[g] += len(units[u])
            if before <= q < sizes[g]:
                big[0] += 1
            placed[u] = g

        def take(u: int) -> None:
            g = placed[u]
            before = sizes[g]
            sizes[g] -= len(units[u])
            if sizes[g] <= q < before:
                big[0] -= 1
            placed[u] = -1

        def allowed(u: int, g: int) -> bool:
            return fits(g, len(units[u])) and all(placed[v] != g for v in unit_apart[u])

        fixed = [u for u, g in enumerate(self.unit_group) if g is not None]
        for u in fixed:
            g = self.unit_group[u]
            assert g is not None
            if not fits(g, len(units[u])):
                count = sizes[g] + len(units[u])
                raise GroupingError(
                    "pin_group_overfull",
                    count=count,
                    group=self.group_offset + g,
                    max_size=q + 1 if r else q,
                )
            put(u, g)
        free = [u for u in range(len(units)) if self.unit_group[u] is None]
        ties = {u: self.rng.random() for u in free}
        free.sort(key=lambda u: (-len(units[u]), -len(unit_apart[u]), ties[u]))
        for u in fixed:
            if any(placed[v] == placed[u] for v in unit_apart[u]):
                self._fail_pins(q, r)
        group_orgs = [[0] * self.n_orgs for _ in range(self.k)]
        for u in fixed:
            for i in units[u]:
                group_orgs[placed[u]][self.org[i]] += 1
        greedy_ok = True
        for u in free:
            options = [g for g in range(self.k) if allowed(u, g)]
            if not options:
                greedy_ok = False
                break
            gkeys = {g: self.rng.random() for g in options}
            g = min(
                options,
                key=lambda g: (
                    sum(group_orgs[g][self.org[i]] for i in units[u]),
                    sizes[g],
                    gkeys[g],
                ),
            )
            put(u, g)
            for i in units[u]:
                group_orgs[g][self.org[i]] += 1
        if not greedy_ok:
            for u in free:
                if placed[u] >= 0:
                    take(u)
            budget = [200_000]

            def search(idx: int) -> bool:
                if idx == len(free):
                    return True
                budget[0] -= 1
                if budget[0] < 0:
                    return False
                u = free[idx]
                tried_empty = False
                for g in range(self.k):
                    if not allowed(u, g):
                        continue
                    # Empty groups are interchangeable: trying one of them is enough.
                    if sizes[g] == 0:
                        if tried_empty:
                            continue
                        tried_empty = True
                    put(u, g)
                    if search(idx + 1):
                        return True
                    take(u)
                return False

            free.sort(key=lambda u: (-len(unit_apart[u]), -len(units[u]), ties[u]))
            if not search(0):
                self._fail_pins(q, r)
        return [(units[u], placed[u]) for u in range(len(units))]

    def _fail_pins(self, q: int, r: int) -> None:
        raise GroupingError(
            "pins_unsatisfiable",
            mode=self.mode_name,
            groups=self.k,
            min_size=q,
            max_size=q + 1 if r else q,
        )


# --------------------------------------------------------------------------------------------
# Input preparation shared by the public functions


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


# --------------------------------------------------------------------------------------------
# Public API: late joiner, metrics, explanation


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
