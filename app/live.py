"""The live session: program and timer, groups, reflections and survey.

:class:`Live` is the state machine the room server and the console both drive. Every command
validates, commits to the store, updates memory and then emits events; nothing here waits on
the network. Participants' writes are also offered split (``plan_*`` returns a
:class:`Pending`) so the room server can commit many of them together (:mod:`app.commit`).

Grouping can take a moment for large rooms, so it is split in two: a
:class:`GroupJob` is an immutable snapshot whose :meth:`GroupJob.run` is pure (safe in an
executor thread), and :meth:`Live.apply_groups` commits the result on the loop thread.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from app import grouping, municipality, protocol
from app.cards import on_wall, page_sees
from app.clock import WARNING_SECONDS as WARNING_SECONDS  # re-exported for the shells
from app.clock import PhaseClock, PhaseStatus
from app.model import (
    REFLECTION_PHASES,
    GroupKind,
    GroupRound,
    Participant,
    Phase,
    PhaseKind,
    Reflection,
    Series,
    Session,
    SurveyItem,
    SurveyKind,
    VoteScope,
)
from app.protocol import (
    MAX_DOTS,
    ErrorCode,
    Frame,
    ProtocolError,
    Reflect,
    SurveyAnswers,
    Vote,
    Withdraw,
)
from app.session.frames import Frames
from app.store import NotYours
from app.survey import SurveyResults, check_items, tally
from app.votes import Votes, VotesChanged

if TYPE_CHECKING:
    from app.store import Store


DEFAULT_GROUP_SIZE = 6
MUNICIPALITY_MAX_SIZE = 8
UNDO_DEPTH = 50
# Cards (and withdrawn placeholders) one participant may make in a session, whatever their
# number of tabs: a real person writes a handful per phase; a script must not fill the wall.
MAX_CARDS_PER_PARTICIPANT = 100


class _Cards(dict[str, Reflection]):
    """The session's cards by id, with a counter that changes on every write."""

    version = 0

    def __setitem__(self, key: str, value: Reflection) -> None:
        super().__setitem__(key, value)
        self.version += 1

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.version += 1


def _no_frames(_stored: object) -> tuple[Frame, ...]:
    """Nothing to apply in memory, nothing for any page."""
    return ()


@dataclass(frozen=True)
class Pending:
    """A checked participant write, split so the room server can batch its commit.

    Store ``write`` (None: nothing new, e.g. a resend) and only once it is committed call
    ``apply`` with what ``write`` returned (None without a write): it updates memory from
    what is stored, tells the console and returns the frames the participants' pages get
    (recipients and encoded payload), for the caller to write. Then acknowledge ``revision``.
    """

    revision: int
    write: Callable[[Store], object] | None = None
    apply: Callable[[object], tuple[Frame, ...]] = _no_frames


# -- events ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PhaseChanged:
    """The program or the phase clock changed."""

    clock: PhaseClock


@dataclass(frozen=True, slots=True)
class GroupsChanged:
    """The groups of a phase were made, edited or undone.

    ``affected`` names the people whose own group (its members or link) changed, so a late
    joiner or one moved person updates a few pages, not the whole room; None means everyone.
    """

    round: GroupRound
    affected: frozenset[str] | None = None


def changed_members(old: GroupRound | None, new: GroupRound) -> frozenset[str] | None:
    """Return everyone in a group whose members or link differ between two versions of a round.

    None when there is no comparable old version (new groups for the phase: everyone).
    """
    if old is None or old.kind != new.kind or old.phase_index != new.phase_index:
        return None
    changed: set[str] = set()
    for number in range(max(len(old.groups), len(new.groups))):
        before = old.groups[number] if number < len(old.groups) else ()
        after = new.groups[number] if number < len(new.groups) else ()
        if before != after or old.link(number) != new.link(number):
            changed.update(before, after)
    return frozenset(changed)


@dataclass(frozen=True, slots=True)
class ReflectionChanged:
    """A card was written, edited, withdrawn or moderated."""

    reflection: Reflection
    moderated: bool = False
    # Who may see the card changed (hidden, shown again): the pages of its group must follow,
    # as they do for a card written or withdrawn.
    visibility_changed: bool = False


@dataclass(frozen=True, slots=True)
class FramesOut:
    """Frames for participants' pages from a change nobody's write asked for.

    The console's moderation (a card hidden or shown again) and writes made outside the room
    server (the console, the simulator) change what pages show; their frames come as this
    event. A participant's write through :class:`Pending` returns its frames instead.
    """

    frames: tuple[Frame, ...]


@dataclass(frozen=True, slots=True)
class SurveyAnswered:
    """A participant saved survey answers."""

    participant_id: str


LiveEvent = (
    PhaseChanged | GroupsChanged | ReflectionChanged | FramesOut | SurveyAnswered | VotesChanged
)


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


class Host(Protocol):
    """What :class:`Live` needs from the room that owns it, handed over when it is built.

    Live never imports its owner (:mod:`app.room`): the room builds it with itself as this
    host, so the import graph has no cycle, and everything Live asks of the room is listed
    here.
    """

    @property
    def store(self) -> Store:
        """The workshop file."""
        ...

    @property
    def session(self) -> Session:
        """The session the room runs now."""
        ...

    @property
    def series(self) -> Series:
        """The series the session belongs to."""
        ...

    def participant(self, participant_id: str) -> Participant | None:
        """Return a participant of the session, or None (erased, unknown)."""
        ...

    def participants(self) -> list[Participant]:
        """Return the session's participants."""
        ...

    def organisation_name(self, organisation_id: int) -> str:
        """Return an organisation's name ("" if unknown)."""
        ...

    def is_connected(self, participant_id: str) -> bool:
        """Return whether a participant has a page open now."""
        ...

    def survey_saved(self, items: tuple[SurveyItem, ...]) -> None:
        """Take note that the session's survey items were saved (the room keeps the session)."""
        ...


class Live:
    """The live part of a room's session."""

    def __init__(self, room: Host, emit: Callable[[LiveEvent], None]) -> None:
        """Load the session's saved state (clock, groups, cards) from the room's store."""
        self.room = room
        self._emit = emit
        store, session = room.store, room.session
        self.program: tuple[Phase, ...] = session.program
        self.survey: tuple[SurveyItem, ...] = session.survey
        self.clock = PhaseClock.from_json(store.phase_state(session.id))
        self._rounds: dict[int, GroupRound] = {}
        self._history: list[tuple[tuple[str, ...], ...]] = []
        for rnd in store.rounds(room.series.id):
            if rnd.session_id == session.id:
                self._rounds[rnd.phase_index] = rnd
            elif rnd.kind == GroupKind.MIXED:
                self._history.append(rnd.groups)
        self._cards = _Cards({r.id: r for r in store.reflections(session.id)})
        self._authored: Counter[str] = Counter(r.participant_id for r in self._cards.values())
        self._buckets: (
            tuple[tuple[int, int, int], GroupRound | None, dict[int | None, list[Reflection]]]
            | None
        ) = None
        self._answers: dict[str, dict[str, int | str]] = {}
        for pid, item, value, text in store.survey_answers(session.id):
            self._answers.setdefault(pid, {})[item] = value if value is not None else text
        self._undo: list[GroupRound] = []
        self._reshuffles = 0
        self.votes = Votes(self, store, session.id, room.participants, emit)
        self.frames = Frames(self)

    # -- program and clock ------------------------------------------------------------------

    def phase_open(self, index: int) -> bool:
        """Return True while phase ``index`` runs or is paused."""
        return self.clock.is_open(index)

    @property
    def cards_version(self) -> int:
        """A number that changes whenever any card is written, edited or moderated."""
        return self._cards.version

    @property
    def phase(self) -> Phase | None:
        """The current phase, or None before the start and after the end."""
        if 0 <= self.clock.index < len(self.program):
            return self.program[self.clock.index]
        return None

    def set_program(self, program: Sequence[Phase]) -> None:
        """Replace the program (before or during the day); the running phase keeps its place.

        Raises:
            ValueError: for an empty program, a phase without a title or a duration out of
                1–600 minutes.
        """
        program = tuple(program)
        if not program:
            raise ValueError("the program needs at least one phase")
        for phase in program:
            if not phase.title.strip() or not 1 <= phase.minutes <= 600:
                raise ValueError(f"phase {phase.title!r}: a title and 1–600 minutes are needed")
            if phase.kind == PhaseKind.PRIORITISE and not (
                1 <= phase.dots <= MAX_DOTS and 1 <= phase.per_card <= MAX_DOTS
            ):
                raise ValueError(f"phase {phase.title!r}: 1–{MAX_DOTS} dots are needed")
        self.room.store.set_program(self.room.session.id, program)
        self.program = program
        if self.clock.index >= len(program):
            self._set_clock(replace(self.clock, index=len(program) - 1))
        else:
            self._emit(PhaseChanged(self.clock))

    def _set_clock(self, clock: PhaseClock) -> None:
        self.room.store.set_phase_state(self.room.session.id, clock.to_json())
        self.clock = clock
        self._emit(PhaseChanged(clock))

    def start(self, index: int | None = None, now: float | None = None) -> None:
        """Start phase ``index`` (default: the current one, or the first) with its full time."""
        now = time.time() if now is None else now
        index = max(self.clock.index, 0) if index is None else index
        if not 0 <= index < len(self.program):
            raise ValueError(f"no phase {index}")
        minutes = self.program[index].minutes
        self._set_clock(PhaseClock(index, PhaseStatus.RUNNING, now + minutes * 60, 0.0))

    def pause(self, now: float | None = None) -> None:
        """Stop the countdown; the phase stays open."""
        if self.clock.status != PhaseStatus.RUNNING:
            return
        now = time.time() if now is None else now
        left = self.clock.seconds_left(now)
        self._set_clock(replace(self.clock, status=PhaseStatus.PAUSED, remaining=left))

    def resume(self, now: float | None = None) -> None:
        """Restart the countdown where it was paused."""
        if self.clock.status != PhaseStatus.PAUSED:
            return
        now = time.time() if now is None else now
        self._set_clock(
            replace(self.clock, status=PhaseStatus.RUNNING, deadline=now + self.clock.remaining)
        )

    def add_time(self, seconds: float) -> None:
        """Give the current phase more (or, negative, less) time."""
        if self.clock.status == PhaseStatus.RUNNING:
            self._set_clock(replace(self.clock, deadline=self.clock.deadline + seconds))
        elif self.clock.status == PhaseStatus.PAUSED:
            self._set_clock(replace(self.clock, remaining=self.clock.remaining + seconds))

    def next_phase(self, now: float | None = None) -> None:
        """Close the current phase and start the next one (or end the program)."""
        if self.clock.index + 1 < len(self.program):
            self.start(self.clock.index + 1, now)
        else:
            self._set_clock(PhaseClock(len(self.program), PhaseStatus.ENDED))

    # -- groups --------------------------------------------------------------------------------

    def round(self, phase_index: int | None = None) -> GroupRound | None:
        """Return the groups of a phase (default: the current one), if made."""
        return self._rounds.get(self.clock.index if phase_index is None else phase_index)

    def history(self, phase_index: int) -> tuple[tuple[tuple[str, ...], ...], ...]:
        """Return the mixed groups of earlier sessions and of earlier phases of this session."""
        earlier = [
            r.groups
            for i, r in sorted(self._rounds.items())
            if i < phase_index and r.kind == GroupKind.MIXED
        ]
        return tuple(self._history + earlier)

    def _member(self, p: Participant) -> grouping.Member:
        return grouping.Member(
            p.id,
            self.room.organisation_name(p.organisation_id) or str(p.organisation_id),
            p.role,
            p.attendance,
        )

    def present(self) -> list[Participant]:
        """Return the participants connected now (the people grouping places)."""
        return [p for p in self.room.participants() if self.room.is_connected(p.id)]

    def group_job(
        self, phase_index: int | None = None, size: int | None = None, *, reshuffle: bool = False
    ) -> GroupJob:
        """Snapshot what is needed to group the present participants for a group phase.

        With ``reshuffle`` the locked groups of the existing round stay as they are and only
        the people of unlocked groups are regrouped into as many groups.

        Raises:
            ValueError: if the phase is not a group phase.
        """
        index = self.clock.index if phase_index is None else phase_index
        if not 0 <= index < len(self.program):
            raise ValueError(f"no phase {index}")
        kind = REFLECTION_PHASES.get(self.program[index].kind)
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
            session_id=self.room.session.id,
            phase_index=index,
            kind=kind,
            members=tuple(self._member(p) for p in present),
            size=size,
            history=self.history(index),
            seed=self.room.session.id * 1000 + index * 50 + self._reshuffles,
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
        if job.phase_index == self.clock.index:
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
        saved = self.room.store.save_round(rnd)
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

    def forget(self, *participant_ids: str) -> None:
        """Drop erased participants (already deleted from the store) from the live state.

        Their cards and answers leave memory; every round (and every undo step) loses them,
        and each changed round is emitted so pages and the console show the groups without
        them. Several are dropped together, so no round is stored with one of them still in.
        """
        gone = set(participant_ids)

        def without(rnd: GroupRound) -> GroupRound:
            groups = tuple(tuple(m for m in g if m not in gone) for g in rnd.groups)
            return replace(rnd, groups=groups, late=rnd.late - gone)

        for card in [c for c in self._cards.values() if c.participant_id in gone]:
            # Shown once more as withdrawn and blank, so every view that keeps cards of its
            # own (the wall, the projector) drops it; then it is gone from memory too.
            blank = replace(card, text="", withdrawn=True)
            self._cards[card.id] = blank
            self._emit(ReflectionChanged(blank, moderated=True))
            del self._cards[card.id]
            self.votes.drop_card(card.id)
        for participant_id in participant_ids:
            self.votes.forget(participant_id)
            self._authored.pop(participant_id, None)
            if self._answers.pop(participant_id, None) is not None:
                self._emit(SurveyAnswered(participant_id))
        self._undo = [without(r) for r in self._undo]
        for rnd in list(self._rounds.values()):
            if any(m in gone for g in rnd.groups for m in g):
                self._commit_round(without(rnd), remember=None)

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
        if rnd is None or not self.clock.is_open(rnd.phase_index):
            return None
        if rnd.group_of(participant.id) is not None:
            return None
        member = self._member(participant)
        if rnd.kind == GroupKind.MUNICIPALITY:
            number = self._municipality_group_for(rnd, member)
        else:
            everyone = [
                self._member(p)
                for p in self.room.participants()
                if rnd.group_of(p.id) is not None  # indexed: a late join stays O(n)
            ]
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
        self.room.store.add_late_member(
            rnd.id,
            number,
            len(groups[number]) - 1,
            participant.id,
            new_group=len(groups) > len(rnd.groups),
        )
        self._rounds[placed.phase_index] = placed
        self._emit(GroupsChanged(placed, changed_members(rnd, placed)))
        return number

    def _municipality_group_for(self, rnd: GroupRound, member: grouping.Member) -> int | None:
        # With their own organisation, in the room or remote (see app.municipality); never
        # a group of their own while any group stands.
        groups = [
            [self._member(p) for p in map(self.room.participant, g) if p is not None]
            for g in rnd.groups
        ]
        return municipality.late_group(groups, member)

    # -- reflections ---------------------------------------------------------------------------

    def cards(self) -> list[Reflection]:
        """Return all cards of the session, withdrawn ones included, in the order written."""
        return list(self._cards.values())

    def card(self, reflection_id: str) -> Reflection | None:
        """Return one card by id, or None."""
        return self._cards.get(reflection_id)

    def reflect(
        self, participant: Participant, message: Reflect, now: float | None = None
    ) -> Reflection:
        """Store a participant's card (new or edited), idempotently; commit before returning.

        Raises:
            ProtocolError: as :meth:`plan_reflect`.
        """
        self._settle(self.plan_reflect(participant, message, now))
        card = self._cards.get(message.id)
        assert card is not None  # stored and applied just now
        return card

    def plan_reflect(
        self, participant: Participant, message: Reflect, now: float | None = None
    ) -> Pending:
        """Check a card (new or edited) and say what to store; memory changes on ``apply``.

        Raises:
            ProtocolError: for a phase that collects no reflections, someone else's card, or
                an edit after the phase closed.
        """
        now = time.time() if now is None else now
        existing = self._cards.get(message.id)
        if existing is not None:
            if existing.participant_id != participant.id:
                raise ProtocolError(ErrorCode.NOT_YOURS, "id")
            if message.revision <= existing.revision:
                return Pending(existing.revision)  # a resend: just ack again
            if existing.withdrawn or not self.clock.is_open(existing.phase_index):
                raise ProtocolError(ErrorCode.PHASE_CLOSED, "id")
            card = replace(existing, text=message.text, revision=message.revision, updated_at=now)
        else:
            self._check_card_count(participant)
            index = message.phase
            if not 0 <= index < len(self.program) or index > max(self.clock.index, -1):
                raise ProtocolError(ErrorCode.NO_REFLECTIONS, "phase")
            if self.program[index].kind not in REFLECTION_PHASES:
                raise ProtocolError(ErrorCode.NO_REFLECTIONS, "phase")
            # A new card for a phase that has just closed was written while it was open
            # (it waited in the page's outbox): it is kept, never lost.
            rnd = self._rounds.get(index)
            group_no = rnd.group_of(participant.id) if rnd is not None else None
            card = Reflection(
                id=message.id,
                session_id=self.room.session.id,
                participant_id=participant.id,
                phase_index=index,
                round_id=rnd.id if rnd is not None and group_no is not None else None,
                group_no=group_no,
                organisation_id=participant.organisation_id,
                text=message.text,
                revision=message.revision,
                created_at=now,
                updated_at=now,
            )
        return self._card_write(card, announce=True)

    def withdraw(
        self, participant: Participant, message: Withdraw, now: float | None = None
    ) -> Reflection | None:
        """Withdraw one's own card while its phase is open; a repeat is acknowledged quietly.

        Raises:
            ProtocolError: as :meth:`plan_withdraw`.
        """
        self._settle(self.plan_withdraw(participant, message, now))
        return self._cards.get(message.id)

    def plan_withdraw(
        self, participant: Participant, message: Withdraw, now: float | None = None
    ) -> Pending:
        """Check a withdrawal and say what to store; memory changes on ``apply``.

        Raises:
            ProtocolError: for someone else's card or a closed phase.
        """
        now = time.time() if now is None else now
        card = self._cards.get(message.id)
        if card is None:
            # The card itself has not arrived (it may still be on its way over an old
            # connection): keep a withdrawn tombstone so it cannot come back to life later.
            self._check_card_count(participant)
            tombstone = Reflection(
                id=message.id,
                session_id=self.room.session.id,
                participant_id=participant.id,
                phase_index=max(self.clock.index, 0),
                round_id=None,
                group_no=None,
                organisation_id=participant.organisation_id,
                text="",
                revision=message.revision,
                withdrawn=True,
                created_at=now,
                updated_at=now,
            )
            return self._card_write(tombstone, announce=False)
        if card.participant_id != participant.id:
            raise ProtocolError(ErrorCode.NOT_YOURS, "id")
        if card.withdrawn:
            return Pending(card.revision)
        if not self.clock.is_open(card.phase_index):
            raise ProtocolError(ErrorCode.PHASE_CLOSED, "id")
        card = replace(
            card, withdrawn=True, revision=max(card.revision + 1, message.revision), updated_at=now
        )
        return self._card_write(card, announce=True)

    def _check_card_count(self, participant: Participant) -> None:
        if self._authored[participant.id] >= MAX_CARDS_PER_PARTICIPANT:
            raise ProtocolError(ErrorCode.TOO_MANY_CARDS, "id")

    def _card_write(self, card: Reflection, announce: bool) -> Pending:
        def apply(stored: object) -> tuple[Frame, ...]:
            assert isinstance(stored, Reflection)
            if self.room.participant(stored.participant_id) is None:
                return ()  # erased while this was being committed: their words stay gone
            current = self._cards.get(stored.id)
            if current is not None:
                if current.revision > stored.revision:
                    return ()  # a newer revision was applied meanwhile (another tab)
                # Moderation is the facilitator's, set on this thread, store and memory at
                # once: the row read back on the writer's thread may predate a click.
                stored = replace(stored, hidden=current.hidden, highlighted=current.highlighted)
            else:
                self._authored[stored.participant_id] += 1
            self._cards[stored.id] = stored
            if announce:
                self._emit(ReflectionChanged(stored))
            if stored.withdrawn:
                self.votes.drop_card(stored.id)  # the store dropped its votes with it
            return self.card_frames(stored) if announce else ()

        def write(store: Store) -> Reflection:
            try:
                return store.put_reflection(card)
            except NotYours:
                # Another person's card, e.g. of an earlier session (its id is not in memory).
                raise ProtocolError(ErrorCode.NOT_YOURS, "id") from None

        return Pending(card.revision, write=write, apply=apply)

    def _settle(self, pending: Pending) -> Pending:
        # The synchronous path (the console, tests, the simulator): commit, then apply.
        stored = pending.write(self.room.store) if pending.write is not None else None
        frames = pending.apply(stored)
        if frames:
            self._emit(FramesOut(frames))
        return pending

    def moderate(
        self, reflection_id: str, *, hidden: bool | None = None, highlighted: bool | None = None
    ) -> None:
        """Hide a card from the wall or highlight it (the facilitator's moderation)."""
        before = self._cards.get(reflection_id)
        if before is None:
            raise KeyError(reflection_id)
        card = replace(
            before,
            hidden=before.hidden if hidden is None else hidden,
            highlighted=before.highlighted if highlighted is None else highlighted,
        )
        self.room.store.set_moderation(card.id, hidden=card.hidden, highlighted=card.highlighted)
        self._cards[card.id] = card
        changed = card.hidden != before.hidden
        self._emit(ReflectionChanged(card, moderated=True, visibility_changed=changed))
        if card.hidden:
            self.votes.drop_card(card.id)  # the store dropped its votes with the moderation
        if changed:
            # A card hidden (or shown again) leaves (or comes back to) its group's pages.
            frames = self.card_frames(card)
            if frames:
                self._emit(FramesOut(frames))

    def group_cards(self, phase_index: int, participant_id: str) -> list[Reflection]:
        """Return the live cards a participant sees in a phase: their group's, or their own.

        A card the facilitator hid is seen by its author only (marked so), never by the group.
        """
        return [
            c
            for c in self._group_cards(phase_index, participant_id)
            if page_sees(c, participant_id)
        ]

    def _group_cards(self, phase_index: int, participant_id: str) -> list[Reflection]:
        """Return the cards of a participant's group (hidden ones too), or their own."""
        rnd = self._rounds.get(phase_index)
        group_no = rnd.group_of(participant_id) if rnd is not None else None
        buckets = self._cards_by_group(phase_index, rnd)
        if group_no is not None:
            return list(buckets.get(group_no, ()))
        return [c for c in buckets.get(None, ()) if c.participant_id == participant_id]

    def _cards_by_group(
        self, phase_index: int, rnd: GroupRound | None
    ) -> dict[int | None, list[Reflection]]:
        # A phase change sends every participant their group's cards; sorting the cards into
        # groups once per change (not once per participant) keeps that linear in room size.
        key = (self._cards.version, phase_index, id(rnd))
        if self._buckets is not None and self._buckets[0] == key:
            return self._buckets[2]
        buckets: dict[int | None, list[Reflection]] = {}
        for card in self._cards.values():
            if card.phase_index != phase_index or card.withdrawn:
                continue
            group_no = rnd.group_of(card.participant_id) if rnd is not None else None
            buckets.setdefault(group_no, []).append(card)
        self._buckets = (key, rnd, buckets)  # holding rnd keeps its id from being reused
        return buckets

    # -- votes (rules in app.votes) -------------------------------------------------------

    def start_room_vote(self, title: str, minutes: int = 10, now: float | None = None) -> int:
        """Start a room-wide vote on the highlighted cards, right after the current phase.

        A prioritise phase with the scope "highlighted" is put into the program after the
        phase that runs (or at the start) and started. Returns its index.

        Raises:
            ValueError: if no card is highlighted.
        """
        if not any(c.highlighted and on_wall(c) for c in self.cards()):
            raise ValueError("no highlighted cards to vote on")
        at = max(self.clock.index + 1, 0)
        phase = Phase(PhaseKind.PRIORITISE, title, minutes, scope=VoteScope.HIGHLIGHTED)
        self.set_program([*self.program[:at], phase, *self.program[at:]])
        self.start(at, now)
        return at

    def vote(self, participant: Participant, message: Vote) -> None:
        """Set a participant's dots on a card; committed before returning.

        Raises:
            ProtocolError: as :meth:`app.votes.Votes.plan`.
        """
        self._settle(self.plan_vote(participant, message))

    def plan_vote(self, participant: Participant, message: Vote) -> Pending:
        """Check a vote and say what to store; memory changes on ``apply``.

        Raises:
            ProtocolError: as :meth:`app.votes.Votes.plan`.
        """
        write, apply = self.votes.plan(participant, message)

        def applied(stored: object) -> tuple[Frame, ...]:
            apply(stored)  # its pages get new states through VotesChanged
            return ()

        return Pending(0, write=write, apply=applied)

    # -- survey -------------------------------------------------------------------------------

    def set_survey(self, items: Sequence[SurveyItem]) -> None:
        """Replace the session's survey items; pages in the survey phase see them at once.

        Item keys are stable: an item that has answers keeps its key and kind, so its
        answers stay its own (it may be retexted or moved, not removed).

        Raises:
            ValueError: for a repeated or malformed key, an empty text, too many items, or an
                answered item left out or changed to the other kind.
        """
        items = tuple(items)
        self.check_survey(items)
        self.room.store.set_survey(self.room.session.id, items)
        self.survey = items
        self.room.survey_saved(items)
        self._emit(PhaseChanged(self.clock))

    def check_survey(self, items: Sequence[SurveyItem]) -> None:
        """Check survey items as :meth:`set_survey` would, without saving them.

        Raises:
            ValueError: see :meth:`set_survey`.
        """
        check_items(items, self._answers)

    def answers(self, participant_id: str) -> dict[str, int | str]:
        """Return a participant's saved survey answers."""
        return dict(self._answers.get(participant_id, {}))

    def answer_survey(self, participant: Participant, message: SurveyAnswers) -> None:
        """Store survey answers (only items of this survey; Likert 1–5, open text).

        Raises:
            ProtocolError: as :meth:`plan_survey`.
        """
        self._settle(self.plan_survey(participant, message))

    def plan_survey(self, participant: Participant, message: SurveyAnswers) -> Pending:
        """Check survey answers and say what to store; memory changes on ``apply``.

        Raises:
            ProtocolError: for an unknown item or a value of the wrong kind.
        """
        started = any(
            phase.kind == PhaseKind.SURVEY for phase in self.program[: self.clock.index + 1]
        )
        if not started:
            raise ProtocolError(ErrorCode.NO_SURVEY, "answers")
        items = {i.key: i for i in self.survey}
        for key, value in message.answers.items():
            item = items.get(key)
            if item is None:
                raise ProtocolError(ErrorCode.BAD_FIELD, f"answers.{key}"[:60])
            if item.kind == SurveyKind.LIKERT and not (
                isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5
            ):
                raise ProtocolError(ErrorCode.BAD_FIELD, f"answers.{key}")
            if item.kind == SurveyKind.OPEN and not isinstance(value, str):
                raise ProtocolError(ErrorCode.BAD_FIELD, f"answers.{key}")
        session_id, answers = self.room.session.id, dict(message.answers)

        def apply(_stored: object) -> tuple[Frame, ...]:
            if self.room.participant(participant.id) is None:
                return ()  # erased while this was being committed: their answers stay gone
            self._answers.setdefault(participant.id, {}).update(answers)
            self._emit(SurveyAnswered(participant.id))
            return ()

        return Pending(
            0,
            write=lambda store: store.put_survey_answers(session_id, participant.id, answers),
            apply=apply,
        )

    def survey_results(self) -> SurveyResults:
        """Count the answers per Likert item (overall and per organisation) and list open ones."""
        org_of = {p.id: p.organisation_id for p in self.room.participants()}
        return tally(self.survey, self._answers, org_of)

    # -- what a participant's page shows (built in app.session.frames) -------------------------

    def state_message(
        self, participant: Participant, now: float | None = None
    ) -> protocol.StateMessage:
        """Return the ``state`` message: phase, timer, group, cards and survey for one person."""
        return self.frames.state_message(participant, now)

    def state_messages(
        self, participants: Iterable[Participant], now: float | None = None
    ) -> Iterator[tuple[Participant, protocol.StateMessage]]:
        """Yield each participant with their ``state`` message (see :class:`Frames`)."""
        return self.frames.state_messages(participants, now)

    def card_payload(self, card: Reflection, viewer_id: str) -> protocol.CardInfo:
        """Return a card as a group member's page shows it."""
        return self.frames.card_payload(card, viewer_id)

    def card_frames(self, card: Reflection) -> tuple[Frame, ...]:
        """Return the ``card`` frames a changed card sends: its author's and its group's."""
        return self.frames.card_frames(card)

    def card_audience(self, card: Reflection) -> set[str]:
        """Return the ids of the participants whose page shows this card live."""
        return self.frames.card_audience(card)

    # -- what the frames read (app.session.frames.FrameSource) ---------------------------------

    def all_group_cards(self, phase_index: int, participant_id: str) -> list[Reflection]:
        """Return the cards of a participant's group (hidden ones too), or their own."""
        return self._group_cards(phase_index, participant_id)

    def participant(self, participant_id: str) -> Participant | None:
        """Return a participant of the session, or None (erased, unknown)."""
        return self.room.participant(participant_id)

    def organisation_name(self, organisation_id: int) -> str:
        """Return an organisation's name ("" if unknown)."""
        return self.room.organisation_name(organisation_id)
