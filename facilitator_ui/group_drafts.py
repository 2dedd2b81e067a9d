"""Groups prepared in the background for the next mixed-group phase, and their repeats text.

The Qt-free half of :class:`facilitator_ui.groups_view.GroupsView`'s background work (the
groups made at once and their improvement are made there, by ``first_groups`` and
``prepare_groups``): the records of a draft, an improvement and a kept report, how long the
search may think (:data:`IMPROVE_SECONDS`), and how a prepared draft is kept, adapted to who
left and placed for who arrived.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from app import grouping
from app.grouping import PlanReport
from app.i18n import tr
from app.live import GroupJob
from app.model import Attendance, GroupRound

#: Seconds the background search may think to improve groups made at once (as the command
#: line's default); it stops earlier as soon as no better groups can exist.
IMPROVE_SECONDS = 10.0
#: Milliseconds to wait after a change (a join, a phase, a group change) before the groups of
#: the next phase are prepared again: a burst of joins restarts the search once.
DRAFT_DELAY_MS = 1000
#: A prepared draft is kept while at most this share of its people changed (left, arrived,
#: changed attendance), or two people in a small room; arrivals join as late joiners.
DRAFT_TOLERANCE = 0.1


def _met(history: Sequence[Sequence[Sequence[str]]], ids: set[str]) -> set[tuple[str, str]]:
    """Pairs of ``ids`` that shared a group in ``history``."""
    pairs: set[tuple[str, str]] = set()
    for rnd in history:
        for group in rnd:
            inside = sorted(pid for pid in group if pid in ids)
            pairs.update((a, b) for x, a in enumerate(inside) for b in inside[x + 1 :])
    return pairs


def draft_fits(prepared: GroupJob, now: GroupJob) -> bool:
    """Whether groups prepared for ``prepared`` may serve ``now``.

    Same phase, kind and size, no locked groups, at most :data:`DRAFT_TOLERANCE` of the
    people changed, and the same history among the people prepared for: a late joiner placed
    in the running phase changes the history only for themselves, a drag there does not.
    """
    if (
        prepared.phase_index != now.phase_index
        or prepared.kind != now.kind
        or prepared.size != now.size
        or prepared.group_count != now.group_count
        or prepared.keep
        or now.keep
    ):
        return False
    before = {m.id: m for m in prepared.members}
    after = {m.id: m for m in now.members}
    if prepared.history != now.history:
        ids = set(before)
        if _met(prepared.history, ids) != _met(now.history, ids):
            return False
    changed = sum(1 for pid, m in after.items() if before.get(pid) != m)
    changed += sum(1 for pid in before if pid not in after)
    return changed <= max(2, int(len(after) * DRAFT_TOLERANCE))


def adapt_draft(
    prepared: GroupJob, groups: Sequence[Sequence[str]], now: GroupJob
) -> list[list[str]] | None:
    """Drop from prepared ``groups`` whoever left or changed since they were prepared.

    Someone changed when their attendance, organisation or role differs in ``now``. Returns
    None if that leaves a group of fewer than two or sizes more than one apart within an
    attendance mode (then the groups are made afresh).

    Whoever is in ``now`` but not in the groups is placed later, as a late joiner.
    """
    before = {m.id: m for m in prepared.members}
    after = {m.id: m for m in now.members}
    kept = [[pid for pid in group if after.get(pid) == before.get(pid)] for group in groups]
    sizes: dict[Attendance, list[int]] = {}
    for group in kept:
        if len(group) < 2:
            return None
        sizes.setdefault(after[group[0]].attendance, []).append(len(group))
    if any(max(s) - min(s) > 1 for s in sizes.values()):
        return None
    return kept


def repeats_text(report: PlanReport, *, history: bool, searching: bool) -> str:
    """Say how many pairs meet again in a round and whether fewer is possible (translated).

    Empty for a first round (no ``history``) where nobody meets again: there is nothing to say.
    """
    count = report.repeated_pairs
    if count == 0:
        return tr("groups_repeats_none") if history else ""
    if report.minimal:
        return tr("groups_repeats_minimal", count=count)
    if searching:
        return tr("groups_repeats_so_far", count=count)
    return tr("groups_repeats_best", count=count)


@dataclass(frozen=True)
class _Kept:
    """A report on the groups of a phase, kept while the phase shows those groups."""

    shown: tuple[tuple[str, ...], ...]  # the whole round the report is about
    report: PlanReport  # its rounds[0] is the job's part of ``shown``
    job: GroupJob


@dataclass(eq=False)
class _Improvement:
    """A background search for better groups than ``base`` (the round made at once)."""

    job: GroupJob
    base: GroupRound
    groups: list[list[str]]  # the job's part of ``base`` (all of it, without locked groups)
    seated: frozenset[str]
    stop: threading.Event


def place_arrivals(groups: list[list[str]], job: GroupJob) -> list[list[str]] | None:
    """Add whoever of ``job.members`` is not in ``groups``, one by one, as late joiners are.

    See :func:`app.grouping.place_late_joiner`. None when someone's attendance mode has no
    group (then the groups are made afresh).
    """
    placed = [list(g) for g in groups]
    inside = {pid for g in placed for pid in g}
    by_id = {m.id: m for m in job.members}
    for member in job.members:
        if member.id in inside:
            continue
        seated = [by_id[pid] for g in placed for pid in g]
        g = grouping.place_late_joiner(placed, member, seated, job.history)
        if g == len(placed):
            return None
        placed[g].append(member.id)
        inside.add(member.id)
    return placed


@dataclass(eq=False)
class _Draft:
    """Groups being prepared, in the background, for a mixed-group phase not yet started."""

    job: GroupJob
    stop: threading.Event
    groups: list[list[str]] | None = None  # set when ready
    report: PlanReport | None = None
