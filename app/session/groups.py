"""The groups of a session's phases: made, edited, undone, and joined late.

:class:`Groups` owns every :class:`app.model.GroupRound` of the session (one per group
phase), the mixed groups of earlier sessions (so nobody meets the same people twice), the
undo steps and the locks and links. Grouping can take a moment for large rooms, so it is
split in two: a :class:`GroupJob` is an immutable snapshot whose :meth:`GroupJob.run` is pure
(safe in an executor thread), and :meth:`Groups.apply_groups` commits the result on the loop
thread. Whoever arrives after the groups were made is placed by :meth:`Groups.place_late`
without moving anyone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from app import grouping, municipality
from app.clock import PhaseClock
from app.model import REFLECTION_PHASES, GroupKind, GroupRound, Participant, Phase
from app.session.events import Emit, GroupsChanged, changed_members
from app.session.people import People

if TYPE_CHECKING:
    from app.store import Store

DEFAULT_GROUP_SIZE = 6
MUNICIPALITY_MAX_SIZE = 8
UNDO_DEPTH = 50


@dataclass(frozen=True)
class GroupJob:
    """An immutable snapshot of what grouping needs; :meth:`run` is pure and thread-safe."""

    session_id: int
    phase_index: int
    kind: GroupKind
    members: tuple[grouping.Member, ...]
    size: int
    history: tuple[tuple[tuple[str, ...], ...], ...]
    seed: int
    keep: tuple[tuple[str, ...], ...] = ()  # locked groups, kept as they are
    keep_numbers: tuple[int, ...] = ()
    group_count: int | None = None  # for a reshuffle: how many unlocked groups to make
    base: GroupRound | None = field(default=None, compare=False)

    def run(self) -> list[list[str]]:
        """Compute the groups (no I/O, no shared state)."""
        if not self.members:
            return []
        if self.kind == GroupKind.MUNICIPALITY:
            return municipality.municipality_groups(self.members, self.size)
        if self.group_count is not None:
            return grouping.make_groups(
                self.members, groups=self.group_count, history=self.history, seed=self.seed
            )
        return grouping.make_groups(
            self.members, size=self.size, history=self.history, seed=self.seed
        )


class Groups:
    """The groups of every group phase of one session."""

    def __init__(
        self,
        store: Callable[[], Store],
        session_id: int,
        series_id: int,
        clock: Callable[[], PhaseClock],
        phases: Callable[[], tuple[Phase, ...]],
        people: People,
        emit: Emit,
    ) -> None:
        """Load the session's rounds and the series' earlier mixed groups from ``store``."""
        self._store = store
        self._session_id = session_id
        self._clock = clock
        self._phases = phases
        self._people = people
        self._emit = emit
        self._rounds: dict[int, GroupRound] = {}
        self._history: list[tuple[tuple[str, ...], ...]] = []
        for rnd in store().rounds(series_id):
            if rnd.session_id == session_id:
                self._rounds[rnd.phase_index] = rnd
            elif rnd.kind == GroupKind.MIXED:
                self._history.append(rnd.groups)
        self._undo: list[GroupRound] = []
        self._reshuffles = 0
        self._grouped: tuple[GroupRound, list[grouping.Member]] | None = None
        # Where a late joiner's row is written. None: now, on this store's connection. The
        # room server hands it to its group commit instead (app.commit), whose thread holds
        # the database's write lock during a join storm: waiting for that lock on the loop
        # cost 4 ms a joiner at N = 1000. The joiner's join is committed before they are
        # placed; a placement lost in a crash is made again when their page reconnects.
        self.write_late: Callable[[Callable[[Store], None]], None] | None = None

    def round(self, phase_index: int | None = None) -> GroupRound | None:
        """Return the groups of a phase (default: the current one), if made."""
        return self._rounds.get(self._clock().index if phase_index is None else phase_index)

    def history(self, phase_index: int) -> tuple[tuple[tuple[str, ...], ...], ...]:
        """Return the mixed groups of earlier sessions and of earlier phases of this session."""
        earlier = [
            r.groups
            for i, r in sorted(self._rounds.items())
            if i < phase_index and r.kind == GroupKind.MIXED
        ]
        return tuple(self._history + earlier)

    def member(self, p: Participant) -> grouping.Member:
        """Return a participant as grouping sees them (organisation by name)."""
        return grouping.Member(
            p.id,
            self._people.organisation_name(p.organisation_id) or str(p.organisation_id),
            p.role,
            p.attendance,
        )

    def present(self) -> list[Participant]:
        """Return the participants connected now (the people grouping places)."""
        return [p for p in self._people.participants() if self._people.is_connected(p.id)]

    def group_job(
        self, phase_index: int | None = None, size: int | None = None, *, reshuffle: bool = False
    ) -> GroupJob:
        """Snapshot what is needed to group the present participants for a group phase.

        With ``reshuffle`` the locked groups of the existing round stay as they are and only
        the people of unlocked groups are regrouped into as many groups.

        Raises:
            ValueError: if the phase is not a group phase.
        """
        index = self._clock().index if phase_index is None else phase_index
        if not 0 <= index < len(self._phases()):
            raise ValueError(f"no phase {index}")
        kind = REFLECTION_PHASES.get(self._phases()[index].kind)
        if kind is None:
            raise ValueError(f"phase {index} is not a group phase")
        if size is None:
            size = DEFAULT_GROUP_SIZE if kind == GroupKind.MIXED else MUNICIPALITY_MAX_SIZE
        if size < 2:
            raise ValueError("a group needs at least two people")
        present = self.present()
        base = self._rounds.get(index)
        keep: tuple[tuple[str, ...], ...] = ()
        keep_numbers: tuple[int, ...] = ()
        group_count = None
        if reshuffle and base is not None:
            keep_numbers = tuple(sorted(base.locked))
            keep = tuple(base.groups[g] for g in keep_numbers)
            kept = {pid for g in keep for pid in g}
            present = [p for p in present if p.id not in kept]
            group_count = max(1, len(base.groups) - len(keep))
            self._reshuffles += 1
        return GroupJob(
            session_id=self._session_id,
            phase_index=index,
            kind=kind,
            members=tuple(self.member(p) for p in present),
            size=size,
            history=self.history(index),
            seed=self._session_id * 1000 + index * 50 + self._reshuffles,
            keep=keep,
            keep_numbers=keep_numbers,
            group_count=group_count if kind == GroupKind.MIXED else None,
            base=base if reshuffle else None,
        )

    def make_groups(self, phase_index: int | None = None, size: int | None = None) -> GroupRound:
        """Group now, on the caller's thread (fine for a room; shells use an executor)."""
        job = self.group_job(phase_index, size)
        return self.apply_groups(job, job.run())

    def apply_groups(self, job: GroupJob, groups: list[list[str]]) -> GroupRound:
        """Commit groups computed by ``job.run()``; locked groups of a reshuffle stay put.

        For the running phase, whoever connected while the job ran (not in its snapshot) is
        then placed like any late joiner, without moving anyone; the round returned has them.
        """
        rnd = self._apply_job(job, groups)
        if job.phase_index == self._clock().index:
            for participant in self.present():
                if rnd.group_of(participant.id) is None:
                    self.place_late(participant)
            rnd = self._rounds.get(job.phase_index, rnd)
        return rnd

    def _apply_job(self, job: GroupJob, groups: list[list[str]]) -> GroupRound:
        if job.keep:
            merged: list[tuple[str, ...]] = []
            fresh = iter(groups)
            total = len(job.keep) + len(groups)
            for number in range(total):
                if number in job.keep_numbers:
                    merged.append(job.keep[job.keep_numbers.index(number)])
                else:
                    merged.append(tuple(next(fresh, ())))
            final = tuple(merged)
            locked = frozenset(job.keep_numbers)
        else:
            final = tuple(tuple(g) for g in groups)
            locked = frozenset()
        old = self._rounds.get(job.phase_index)
        links = old.links[: len(final)] if old is not None else ()
        rnd = GroupRound(
            old.id if old is not None else 0,
            job.session_id,
            job.phase_index,
            job.kind,
            final,
            locked,
            links,
        )
        return self._commit_round(rnd, remember=old)

    def _commit_round(self, rnd: GroupRound, remember: GroupRound | None) -> GroupRound:
        saved = self._store().save_round(rnd)
        if remember is not None:
            self._undo.append(remember)
            del self._undo[:-UNDO_DEPTH]
        previous = self._rounds.get(saved.phase_index)
        self._rounds[saved.phase_index] = saved
        self._emit(GroupsChanged(saved, changed_members(previous, saved)))
        return saved

    def _current_round(self, phase_index: int | None) -> GroupRound:
        rnd = self.round(phase_index)
        if rnd is None:
            raise ValueError("no groups have been made for this phase")
        return rnd

    def move(self, participant_id: str, to_group: int, phase_index: int | None = None) -> None:
        """Move one person to another group (the facilitator's drag and drop)."""
        rnd = self._current_round(phase_index)
        if not 0 <= to_group < len(rnd.groups):
            raise ValueError(f"no group {to_group + 1}")
        if rnd.group_of(participant_id) == to_group:
            return
        groups = [tuple(m for m in g if m != participant_id) for g in rnd.groups]
        groups[to_group] = (*groups[to_group], participant_id)
        self._commit_round(replace(rnd, groups=tuple(groups)), remember=rnd)

    def set_locked(self, group_no: int, locked: bool, phase_index: int | None = None) -> None:
        """Lock a group so a reshuffle keeps it, or unlock it."""
        rnd = self._current_round(phase_index)
        numbers = set(rnd.locked)
        (numbers.add if locked else numbers.discard)(group_no)
        self._commit_round(replace(rnd, locked=frozenset(numbers)), remember=rnd)

    def set_link(self, group_no: int, link: str, phase_index: int | None = None) -> None:
        """Attach a meeting link (e.g. a video call's breakout room) to a group."""
        rnd = self._current_round(phase_index)
        links = list(rnd.links) + [""] * (len(rnd.groups) - len(rnd.links))
        links[group_no] = link.strip()
        self._commit_round(replace(rnd, links=tuple(links)), remember=rnd)

    def plan_forget(self, gone: set[str]) -> tuple[Callable[[Store], None], Callable[[], None]]:
        """Plan dropping erased participants from every round and every undo step.

        Returns (write, apply): ``write`` stores the rounds without them (inside the caller's
        transaction that erases them), ``apply`` then updates memory, quietly: the erasure is
        announced once, by its owner.
        """

        def without(rnd: GroupRound) -> GroupRound:
            groups = tuple(tuple(m for m in g if m not in gone) for g in rnd.groups)
            return replace(rnd, groups=groups, late=rnd.late - gone)

        changed = [
            without(rnd)
            for rnd in self._rounds.values()
            if any(m in gone for g in rnd.groups for m in g)
        ]

        def write(store: Store) -> None:
            for rnd in changed:
                store.save_round(rnd)

        def apply() -> None:
            self._undo = [without(r) for r in self._undo]
            for rnd in changed:
                self._rounds[rnd.phase_index] = rnd

        return write, apply

    def can_undo(self) -> bool:
        """Return True when there is a group change to undo."""
        return bool(self._undo)

    def undo(self) -> None:
        """Put back the groups as they were before the last change."""
        if not self._undo:
            return
        previous = self._undo.pop()
        current = self._rounds.get(previous.phase_index)
        if current is not None and current.kind == previous.kind:
            # People placed since (late joiners) are not the facilitator's edit: they stay
            # in the group they were shown, or the undo would drop them from every group.
            groups = [list(g) for g in previous.groups]
            for number, members in enumerate(current.groups):
                for pid in members:
                    if previous.group_of(pid) is None:
                        while number >= len(groups):
                            groups.append([])
                        groups[number].append(pid)
            previous = replace(
                previous, groups=tuple(tuple(g) for g in groups), late=previous.late | current.late
            )
        self._commit_round(previous, remember=None)

    def place_late(self, participant: Participant) -> int | None:
        """Place a participant who arrives after the current phase's groups were made.

        Nobody else moves. Returns the group index, or None when nothing was done.
        """
        rnd = self.round()
        if rnd is None or not self._clock().is_open(rnd.phase_index):
            return None
        if rnd.group_of(participant.id) is not None:
            return None
        member = self.member(participant)
        if rnd.kind == GroupKind.MUNICIPALITY:
            number = self._municipality_group_for(rnd, member)
        else:
            everyone = self._grouped_members(rnd)
            # A locked group is the facilitator's to change: late joiners go elsewhere
            # unless every group is locked.
            open_numbers = [g for g in range(len(rnd.groups)) if g not in rnd.locked]
            candidates = open_numbers or list(range(len(rnd.groups)))
            try:
                choice = grouping.place_late_joiner(
                    [rnd.groups[g] for g in candidates],
                    member,
                    everyone,
                    self.history(rnd.phase_index),
                )
                number = candidates[choice] if choice < len(candidates) else None
            except grouping.GroupingError:
                number = None
        groups = list(rnd.groups)
        if number is None:  # no group of their kind yet: they start one
            groups.append(())
            number = len(groups) - 1
        groups[number] = (*groups[number], participant.id)
        placed = replace(rnd, groups=tuple(groups), late=rnd.late | {participant.id})
        # One row, not the whole round again: a late-join storm into a room of hundreds
        # stays linear, on the loop the room server shares.
        row = (rnd.id, number, len(groups[number]) - 1, participant.id)
        new_group = len(groups) > len(rnd.groups)

        def write(store: Store) -> None:
            store.add_late_member(*row, new_group=new_group)

        if self.write_late is None:
            write(self._store())
        else:
            self.write_late(write)
        self._rounds[placed.phase_index] = placed
        if self._grouped is not None and self._grouped[0] is rnd:
            # The next late joiner of a storm finds everyone here: one more, not all again.
            self._grouped = (placed, [*self._grouped[1], member])
        self._emit(GroupsChanged(placed, changed_members(rnd, placed)))
        return number

    def _grouped_members(self, rnd: GroupRound) -> list[grouping.Member]:
        """Return everyone in ``rnd``'s groups as grouping sees them (kept for the next one).

        A late-join storm into a room of a thousand would otherwise make a thousand members
        again for every joiner, on the loop the room server shares. Any other change of the
        groups makes a new round, and the list is made again.
        """
        if self._grouped is None or self._grouped[0] is not rnd:
            members = [
                self.member(p)
                for p in self._people.participants()
                if rnd.group_of(p.id) is not None  # indexed: a late join stays O(n)
            ]
            self._grouped = (rnd, members)
        return self._grouped[1]

    def _municipality_group_for(self, rnd: GroupRound, member: grouping.Member) -> int | None:
        # With their own organisation, in the room or remote (see app.municipality); never
        # a group of their own while any group stands.
        groups = [
            [self.member(p) for p in map(self._people.participant, g) if p is not None]
            for g in rnd.groups
        ]
        return municipality.late_group(groups, member)
