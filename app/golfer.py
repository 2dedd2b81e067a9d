"""Tabu search on conflict pairs for dense grouping plans (the social-golfer frontier).

Pure code (NumPy, no I/O). The grouping engine's exchange search (:mod:`app.grouping`) reaches
every bound on realistic workshops in milliseconds; over many rounds with small groups, where
nobody meeting twice is the Social Golfer Problem (CSPLib 010), it needs a stronger search.
This module is that search, after Dotú and Van Hentenryck, "Scheduling social golfers
locally" (CPAIOR 2005): a tabu search whose moves exchange two people of different groups in
one round, at least one of them in conflict (meeting someone again), choosing the best
non-tabu exchange of the whole neighbourhood every iteration, with an aspiration criterion;
when it stalls it restarts from a fresh plan the caller provides (a greedy plan built by
:func:`greedy_start`, after Triska and Musliu 2012, or a design) or perturbs the best plan.

What makes it fast enough in Python is evaluating the whole neighbourhood at once. With ``C``
the matrix of how often two people have met (history counted once) and ``K1 = C >= 1``,
``K2 = C >= 2``, exchanging ``a`` (group ``A``) and ``b`` (group ``B``) in round ``w`` changes
the repeats by::

    - |{x in A: C[a,x] >= 2}| - |{y in B: C[b,y] >= 2}|
    + |{x in A - a: C[b,x] >= 1}| + |{y in B - b: C[a,y] >= 1}|

which is ``X[a,b] + X[b,a] - 2 K1[a,b]`` with ``X[a,b] = (K1 P_w)[b, A] - (K2 P_w)[a, A]``
(``P_w`` the round's membership matrix): a few matrix products per iteration for every
exchange of every round. Organisation pairs and role deviation get the same treatment, so the
search keeps the engine's priorities (:func:`rank`): it never adds a same-organisation pair, and
it weighs a unit of role deviation above any number of repeats, so that no group ends up with
only elected or no elected to spare someone a second meeting.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["GolferProblem", "GolferResult", "evaluate", "greedy_start", "rank", "tabu_search"]

# Tabu tenure of an exchange (the same two people in the same round), drawn per move from
# [_TENURE_MIN, _TENURE_MIN + _TENURE_SPAN), as Dotu and Van Hentenryck do.
_TENURE_MIN = 4
_TENURE_SPAN = 96
# Iterations without a new best plan before the search starts afresh (a new greedy start
# where there is one, else a perturbation of the best plan).
_STALL = 2_000
# Exchanges of a perturbation, per person, and at least this many.
_PERTURB_FRACTION = 0.1
_PERTURB_MIN = 2
_NO_MOVE = np.iinfo(np.int64).max
# Iterations without a better plan after which a search whose repeats are at the bound stops.
_ROLE_PATIENCE = 2_500
# The walk weighs a unit of role deviation as this many repeats, so it can pass through a
# plan with a group off its share on the way to a better one; the plan it keeps is the best
# by rank() (roles first). Strictly lexicographic moves walled the walk in (the 88-person
# quarter-remote workshop then missed its repeat bound on a seed of ten).
_ROLE_WEIGHT = 2


def rank(cost: tuple[int, int, int]) -> tuple[int, int, int]:
    """Order key of a ``(same-organisation pairs, repeats, role deviation)`` cost.

    Organisations spread first, then roles balanced, then repeats: the order of the grouping
    engine's exchange search.
    """
    return cost[0], cost[2], cost[1]


@dataclass(slots=True)
class GolferProblem:
    """One attendance mode's plan as the tabu search sees it.

    Attributes:
        groups: ``groups[t][i]`` is person ``i``'s group in round ``t`` (the start).
        k: Number of groups per round.
        org: Organisation index of each person.
        elected: Whether each person is an elected official.
        role_lo: Fewest elected a group of each size (index) should have.
        role_hi: Most elected a group of each size (index) should have.
        met_before: Pairs ``(i, j)`` that met in the history.
        movable: Whether each person may change group (pinned people may not).
        apart: Pairs that must never share a group.
        bound: A lower bound on the repeats; the search stops when it reaches it (and
            roles are balanced).
    """

    groups: list[list[int]]
    k: int
    org: Sequence[int]
    elected: Sequence[bool]
    role_lo: Sequence[int]
    role_hi: Sequence[int]
    met_before: Sequence[tuple[int, int]]
    movable: Sequence[bool]
    apart: Sequence[tuple[int, int]]
    bound: int


@dataclass(frozen=True, slots=True)
class GolferResult:
    """The best plan the search found.

    Attributes:
        groups: ``groups[t][i]``: person ``i``'s group in round ``t``.
        cost: ``(same-organisation pairs, repeats, role deviation)`` of that plan.
        iterations: Tabu iterations run.
        at_bound: Whether the repeats reached the bound with roles balanced.
    """

    groups: list[list[int]]
    cost: tuple[int, int, int]
    iterations: int
    at_bound: bool


class _State:
    """Membership, meeting counts and per-group tallies, updated exchange by exchange."""

    def __init__(self, p: GolferProblem) -> None:
        g = np.asarray(p.groups, dtype=np.int64)
        self.w, self.n = g.shape
        self.k = p.k
        n = self.n
        self.org = np.asarray(p.org, dtype=np.int64)
        self.n_orgs = int(self.org.max()) + 1 if n else 0
        self.el = np.asarray(p.elected, dtype=np.int64)
        self.history = np.zeros((n, n), dtype=np.int64)
        for i, j in p.met_before:
            self.history[i, j] = self.history[j, i] = 1
        # dev[size, count + 1]: how far ``count`` elected is outside the share of a group.
        top = n + 2
        lo = np.zeros(top, dtype=np.int64)
        hi = np.zeros(top, dtype=np.int64)
        m = min(top, len(p.role_lo))
        lo[:m] = np.asarray(p.role_lo[:m])
        hi[:m] = np.asarray(p.role_hi[:m])
        counts = np.arange(-1, top + 1)[None, :]
        self.dev = np.maximum(0, np.maximum(lo[:, None] - counts, counts - hi[:, None]))
        self.apart = [(i, j) for i, j in p.apart if i != j]
        self.movable = np.asarray(p.movable, dtype=bool)
        self.colleagues = n > 0 and self.n_orgs < n and len(set(p.org)) < n
        self.mixed_roles = n > 0 and 0 < int(self.el.sum()) < n
        self.rows = np.arange(n)
        self.weeks = np.arange(self.w)[:, None]
        self.load(g)

    def load(self, groups: np.ndarray) -> None:
        """Put everyone into ``groups`` (one row per round) and recompute every tally."""
        self.g = np.array(groups, dtype=np.int64)
        w, n, k = self.w, self.n, self.k
        self.P = np.zeros((n, w, k), dtype=np.float32)
        for t in range(w):
            self.P[self.rows, t, self.g[t]] = 1.0
        pf = self.P.reshape(n, w * k)
        meet = np.rint(pf @ pf.T).astype(np.int64)
        np.fill_diagonal(meet, 0)
        self.C = meet + self.history
        self.OC = np.zeros((w, k, max(1, self.n_orgs)), dtype=np.int64)
        self.S = np.zeros((w, k), dtype=np.int64)
        self.E = np.zeros((w, k), dtype=np.int64)
        for t in range(w):
            np.add.at(self.OC[t], (self.g[t], self.org), 1)
            np.add.at(self.S[t], self.g[t], 1)
            np.add.at(self.E[t], self.g[t], self.el)

    def cost(self) -> tuple[int, int, int]:
        """(Same-organisation pairs, repeats, role deviation) of the current plan."""
        org = int((self.OC * (self.OC - 1) // 2).sum())
        rep = int(np.maximum(self.C - 1, 0).sum()) // 2
        role = int(self.dev[self.S, self.E + 1].sum())
        return org, rep, role

    def swap(self, t: int, a: int, b: int) -> None:
        """Exchange ``a`` and ``b`` (in different groups) in round ``t``."""
        row = self.g[t]
        ga, gb = int(row[a]), int(row[b])
        mem_a = np.flatnonzero(row == ga)
        mem_b = np.flatnonzero(row == gb)
        mem_a = mem_a[mem_a != a]
        mem_b = mem_b[mem_b != b]
        c = self.C
        c[a, mem_a] -= 1
        c[mem_a, a] -= 1
        c[b, mem_b] -= 1
        c[mem_b, b] -= 1
        c[b, mem_a] += 1
        c[mem_a, b] += 1
        c[a, mem_b] += 1
        c[mem_b, a] += 1
        row[a], row[b] = gb, ga
        self.P[a, t, ga] = 0.0
        self.P[a, t, gb] = 1.0
        self.P[b, t, gb] = 0.0
        self.P[b, t, ga] = 1.0
        oa, ob = self.org[a], self.org[b]
        self.OC[t, ga, oa] -= 1
        self.OC[t, gb, oa] += 1
        self.OC[t, gb, ob] -= 1
        self.OC[t, ga, ob] += 1
        d = self.el[b] - self.el[a]
        self.E[t, ga] += d
        self.E[t, gb] -= d

    def neighbourhood(
        self,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Cost changes of exchanging each person in conflict with anyone in their round.

        A person is in conflict in a round when they meet someone there again, or their
        group is outside its role share.

        Returns:
            ``(ts, as_, d_org, d_rep, d_role, valid)``: the rounds and people in conflict
            (``m`` of them) and ``(m, n)`` arrays: entry ``[i, b]`` is exchanging ``as_[i]``
            with ``b`` in round ``ts[i]``; ``valid`` is False where the two share a group
            or a pin forbids it.
        """
        n, w, k = self.n, self.w, self.k
        g = self.g
        weeks = self.weeks
        k1 = (self.C >= 1).astype(np.float32)
        k2 = (self.C >= 2).astype(np.float32)
        pf = self.P.reshape(n, w * k)
        m1 = (k1 @ pf).reshape(n, w, k)  # m1[x, t, h]: people in group h of round t x met
        m2 = (k2 @ pf).reshape(n, w, k)
        own2 = m2[self.rows[None, :], weeks, g]  # (w, n): met twice or more in own group
        size = self.S[weeks, g]
        elec = self.E[weeks, g]
        base = self.dev[size, elec + 1]
        conflicted = (own2 > 0) | (base > 0)
        conflicted &= self.movable[None, :]
        ts, as_ = np.nonzero(conflicted)
        gs = g[ts, as_]
        gb = g[ts]  # (m, n): everyone's group in that round
        tcol = ts[:, None]
        acol = as_[:, None]
        x_ab = m1[:, ts, gs].T  # b's partners in a's group
        x_ba = m1[acol, tcol, gb]  # a's partners in b's group
        d_rep = x_ab + x_ba - 2 * k1[as_] - own2[ts, as_][:, None] - own2[ts]
        if self.colleagues:
            oa = self.org[as_][:, None]
            ob = self.org[None, :]
            oc = self.OC
            d_org = (
                oc[tcol, gs[:, None], ob] + oc[tcol, gb, oa] - oc[ts, gs, self.org[as_]][:, None]
            ) - (oc[tcol, gb, ob] - 2)
            d_org = np.where(oa != ob, d_org, 0)
        else:  # everyone their own organisation: no exchange changes the spread
            d_org = np.zeros_like(gb)
        if self.mixed_roles:
            up = self.dev[size, elec + 2] - base
            down = self.dev[size, elec] - base
            ea = self.el[as_][:, None]
            eb = self.el[None, :]
            d_role = np.where(
                eb > ea,
                up[ts, as_][:, None] + down[ts],
                np.where(eb < ea, down[ts, as_][:, None] + up[ts], 0),
            )
        else:  # one role only: exchanges never change a group's count of elected
            d_role = np.zeros_like(gb)
        valid = (gb != gs[:, None]) & self.movable[None, :]
        for i, j in self.apart:
            for p, q in ((i, j), (j, i)):
                # p may not join q's group: p (in conflict) with q's group-mates, and the
                # mirror: q's group-mates in conflict with p.
                rows_p = as_ == p
                if rows_p.any():
                    valid[rows_p] &= g[ts[rows_p]] != g[ts[rows_p], q][:, None]
                valid[:, p] &= gs != g[ts, q]
        return ts, as_, d_org, np.rint(d_rep).astype(np.int64), d_role, valid


def tabu_search(
    problem: GolferProblem,
    *,
    seed: int,
    max_iterations: int | None,
    patience: int | None = None,
    max_work: int | None = None,
    deadline: float | None = None,
    progress: Callable[[int, tuple[int, int, int]], None] | None = None,
    restart: Callable[[np.random.Generator], list[list[int]] | None] | None = None,
) -> GolferResult:
    """Balance the roles, then lower the repeats, of a plan by tabu search.

    Never adds a same-organisation pair; a unit of role deviation weighs more than any number
    of repeats (see :func:`rank`).

    Args:
        problem: The start plan and the rules.
        seed: Seed of the search's random choices (ties, tenures, perturbations).
        max_iterations: Stop after this many iterations (None: only the deadline stops it).
        patience: Stop after this many iterations without a better plan (None: never).
            Once the repeats are at the bound, the search stops after ``_ROLE_PATIENCE``
            such iterations whatever ``patience`` says: only roles are left to balance, and
            they may be out of reach (a Kirkman schedule meets every pair once, so elected
            officials cannot all sit apart).
        max_work: Stop after evaluating this many exchanges in all (None: no limit).
        deadline: ``time.monotonic()`` value at which to stop (None: no deadline).
        progress: Called about twice a second with the iterations so far and the best cost.
        restart: Makes a fresh start plan when the search stalls (None: perturb the best).

    Returns:
        The best plan found (the start plan if nothing better was found).
    """
    st = _State(problem)
    rng = np.random.default_rng(seed % (1 << 32))
    n, w = st.n, st.w
    # Plans rank organisations first, then roles, then repeats (``lex``: a unit of role
    # deviation outweighs any number of repeats, at most w n^2 / 2); moves are chosen on a
    # softer ``score`` (_ROLE_WEIGHT), never adding a same-organisation pair.
    weight = n * n * w + 1
    cost = st.cost()
    best_cost = cost
    best_g = st.g.copy()
    run_best = cost
    tabu = np.zeros((w, n, n), dtype=np.int64)
    cols = np.arange(n)[None, :]
    it = 0
    since_best = 0
    best_at = 0
    work = 0
    last_report = time.monotonic()

    def done() -> bool:
        return best_cost[1] <= problem.bound and best_cost[2] == 0

    def weighted(c: tuple[int, int, int]) -> int:
        return (c[0] * weight + c[2]) * weight + c[1]

    while not done():
        if max_iterations is not None and it >= max_iterations:
            break
        if patience is not None and it - best_at >= patience:
            break
        if best_cost[1] <= problem.bound and it - best_at >= _ROLE_PATIENCE:
            break
        if max_work is not None and work >= max_work:
            break
        if deadline is not None and (it & 15) == 0 and time.monotonic() >= deadline:
            break
        it += 1
        ts, as_, d_org, d_rep, d_role, valid = st.neighbourhood()
        work += len(ts) * n
        if len(ts) == 0:
            break  # nobody in conflict: a local optimum the bound does not see
        ok = valid & (d_org <= 0)
        lex = (d_org * weight + d_role) * weight + d_rep
        score = d_org * weight * weight + d_rep + _ROLE_WEIGHT * d_role
        # Aspiration: a tabu exchange is allowed if it makes a new best plan.
        allowed = ok & (
            (tabu[ts[:, None], as_[:, None], cols] <= it)
            | (weighted(cost) + lex < weighted(best_cost))
        )
        if not allowed.any():
            allowed = ok
            if not allowed.any():
                since_best = _STALL
        if allowed.any():
            masked = np.where(allowed, score, _NO_MOVE)
            choices = np.flatnonzero(masked == masked.min())
            i, b = divmod(int(choices[rng.integers(len(choices))]), n)
            t, a = int(ts[i]), int(as_[i])
            st.swap(t, a, b)
            cost = (
                cost[0] + int(d_org[i, b]),
                cost[1] + int(d_rep[i, b]),
                cost[2] + int(d_role[i, b]),
            )
            tenure = _TENURE_MIN + int(rng.integers(_TENURE_SPAN))
            tabu[t, a, b] = tabu[t, b, a] = it + tenure
            if rank(cost) < rank(best_cost):
                best_cost, best_g, best_at = cost, st.g.copy(), it
            if rank(cost) < rank(run_best):
                run_best = cost
                since_best = 0
            else:
                since_best += 1
        if since_best >= _STALL:
            fresh = restart(rng) if restart is not None else None
            if fresh is not None:
                st.load(np.asarray(fresh))
            else:
                st.load(best_g)
                _perturb(st, rng)
            cost = run_best = st.cost()
            if rank(cost) < rank(best_cost):
                best_cost, best_g = cost, st.g.copy()
            tabu[:] = 0
            since_best = 0
        if progress is not None and time.monotonic() - last_report >= 0.5:
            last_report = time.monotonic()
            progress(it, best_cost)
    return GolferResult(
        groups=[[int(v) for v in row] for row in best_g],
        cost=best_cost,
        iterations=it,
        at_bound=done(),
    )


def _perturb(st: _State, rng: np.random.Generator) -> None:
    """Make a few random exchanges that keep organisations spread and pins."""
    pinned = {x for pair in st.apart for x in pair}
    count = max(_PERTURB_MIN, int(st.n * _PERTURB_FRACTION))
    done = 0
    for _ in range(count * 20):
        if done >= count:
            break
        t = int(rng.integers(st.w))
        a, b = (int(v) for v in rng.choice(st.n, 2, replace=False))
        ga, gb = int(st.g[t, a]), int(st.g[t, b])
        if ga == gb or not (st.movable[a] and st.movable[b]) or a in pinned or b in pinned:
            continue
        oa, ob = st.org[a], st.org[b]
        if oa != ob:
            oc = st.OC[t]
            if oc[ga, ob] + oc[gb, oa] - oc[ga, oa] - oc[gb, ob] + 2 > 0:
                continue
        st.swap(t, a, b)
        done += 1


def greedy_start(
    n: int,
    k: int,
    rounds: int,
    met_before: Sequence[tuple[int, int]],
    org: Sequence[int],
    rng: np.random.Generator,
) -> list[list[int]] | None:
    """Build a plan round by round, keeping as many people free to meet as possible.

    After Triska and Musliu, "An effective greedy heuristic for the Social Golfer Problem"
    (2012): a group starts with the two unseated people who have not met and whom most
    others have not met either (the pair's *freedom*), and grows by the person who keeps
    the group's freedom largest, among those who have met nobody in it where possible.
    Ties are broken at random, so each call gives another start. Nobody shares a group
    with someone of their own organisation (the caller uses this only where organisations
    are no larger than the number of groups); sizes differ by at most one.

    Returns:
        ``groups[t][i]``, or None if the organisations could not be kept apart.
    """
    org_a = np.asarray(org)
    same_org = org_a[:, None] == org_a[None, :]
    unmet = np.ones((n, n), dtype=bool)
    for i, j in met_before:
        unmet[i, j] = unmet[j, i] = False
    np.fill_diagonal(unmet, False)
    q, r = divmod(n, k)
    sizes = [q + 1] * r + [q] * (k - r)
    plan: list[list[int]] = []
    for _ in range(rounds):
        row = [-1] * n
        free = np.ones(n, dtype=bool)
        for g, size in enumerate(sizes):
            members: list[int] = []
            while len(members) < size:
                cand = free.copy()
                for m in members:
                    cand &= ~same_org[m]
                if not cand.any():
                    return None
                noise = rng.random(n) * 0.5
                if not members:
                    # Best pair: unmet, most others unmet with both.
                    u = unmet & free[None, :] & free[:, None] & ~same_org
                    if size >= 2 and u.any():
                        uf = (unmet & free[None, :]).astype(np.int64)
                        freedom = uf @ uf.T
                        score = np.where(u, freedom + noise[:, None] + noise[None, :], -1.0)
                        x, y = divmod(int(score.argmax()), n)
                        members += [x, y]
                        free[x] = free[y] = False
                        continue
                    pick = int(np.where(cand, noise, -1.0).argmax())
                else:
                    fresh = cand.copy()
                    for m in members:
                        fresh &= unmet[m]
                    pool = fresh if fresh.any() else cand
                    # Freedom of the group with z: free people unmet with all of it and z.
                    open_ = free.copy()
                    for m in members:
                        open_ &= unmet[m]
                    freedom = (unmet & open_[None, :]).sum(axis=1)
                    pick = int(np.where(pool, freedom + noise, -1.0).argmax())
                members.append(pick)
                free[pick] = False
            for m in members:
                row[m] = g
            for x in members:
                for y in members:
                    if x != y:
                        unmet[x, y] = False
        plan.append(row)
    return plan


def evaluate(problem: GolferProblem) -> tuple[int, int, int]:
    """Return ``(same-organisation pairs, repeats, role deviation)`` of a problem's plan."""
    return _State(problem).cost()
