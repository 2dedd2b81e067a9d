"""The exchange search over the groups of one attendance mode, with incremental costs."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from app.grouping.bounds import (
    _role_bounds,
    even_pairs,
)
from app.grouping.model import GroupingError

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
